//! The template context: every number of the report, already formatted, in the order shown.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use model::tables::gc_pause_stats::GcPauseStatsRow;

use crate::cgroup::{self, CgroupSectionCtx};
use crate::compare::{compare, compare_one, Comparison};
use crate::data::{nearest_rank, RunData};
use crate::format;
use crate::Selection;

/// How many safepoint operations the per-run table lists.
const TOP_OPERATIONS: usize = 8;
/// Examples are cut to this many characters in the report.
const EXAMPLE_CHARS: usize = 160;

/// Figures written for the report (file names relative to the report).
#[derive(Debug, Default)]
pub struct Figures {
    /// Run → (file name, notes).
    pub pauses: BTreeMap<String, (String, Vec<String>)>,
    /// Run → (file name, notes) of the cgroup timeline.
    pub cgroups: BTreeMap<String, (String, Vec<String>)>,
    pub mmu: Option<String>,
    /// Run → its CPU profile section (runs with perf samples).
    pub perf: BTreeMap<String, crate::flame::PerfSectionCtx>,
    /// Run → its "what ran during GC pauses" section (runs with pauses and timed perf samples).
    pub perf_gc: BTreeMap<String, crate::perf_gc::PerfGcCtx>,
    /// Run → its epoll section (runs with epoll data).
    pub epoll: BTreeMap<String, crate::epoll::EpollSectionCtx>,
    /// Run → its bpftrace maps and histograms section (runs with such rows).
    pub bpftrace: BTreeMap<String, crate::bpftrace::BpftraceSectionCtx>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// Whether any run has GC data; without, the GC comparison and its warnings are left out
    /// (e.g. a perf-only or cgroup-only report).
    gc: bool,
    title: String,
    dataset: String,
    generated_by: String,
    other_runs: Vec<String>,
    warnings: Vec<String>,
    runs: Vec<RunCtx>,
    /// Set when comparing two runs.
    comparison: Option<Comparison>,
    /// Set for a single-run report.
    single: Option<Comparison>,
    mmu_image: Option<String>,
}

#[derive(Debug, Serialize)]
struct RunCtx {
    name: String,
    /// Whether the run has GC data (pauses, cycles or safepoints): GC sections are shown.
    gc: bool,
    role: String,
    labels: String,
    ingested_at: String,
    sources: Vec<SourceCtx>,
    summary_line: String,
    image: Option<String>,
    image_notes: Vec<String>,
    per_collector: Vec<StatsCtx>,
    per_kind: Vec<StatsCtx>,
    per_cause: Vec<StatsCtx>,
    safepoints: Option<SafepointCtx>,
    clocks: Vec<ClockCtx>,
    ingest: Vec<IngestCtx>,
    skips: Vec<SkipCtx>,
    ingest_notes: Vec<String>,
    /// Set when the run has `cgroup_intervals` rows.
    cgroup: Option<CgroupSectionCtx>,
    /// Set when the run has `perf_samples` rows.
    perf: Option<crate::flame::PerfSectionCtx>,
    /// Set when the run's pauses could be placed on its perf samples' clock.
    perf_gc: Option<crate::perf_gc::PerfGcCtx>,
    /// Set when the run has `epoll_calls` rows.
    epoll: Option<crate::epoll::EpollSectionCtx>,
    /// Set when the run has `bpftrace_hist` or `bpftrace_maps` rows.
    bpftrace: Option<crate::bpftrace::BpftraceSectionCtx>,
}

#[derive(Debug, Serialize)]
struct SourceCtx {
    path: String,
    format: String,
    tool: String,
    size: String,
    sha: String,
    status: String,
}

#[derive(Debug, Serialize)]
struct StatsCtx {
    collector: String,
    group: String,
    count: i64,
    total: String,
    mean: String,
    p50: String,
    p90: String,
    p95: String,
    p99: String,
    p999: String,
    max: String,
}

#[derive(Debug, Serialize)]
struct SafepointCtx {
    count: usize,
    total: String,
    mean: String,
    p99: String,
    max: String,
    reaching_p99: String,
    reaching_max: String,
    operations: Vec<OperationCtx>,
    more_operations: usize,
}

#[derive(Debug, Serialize)]
struct OperationCtx {
    operation: String,
    count: usize,
    total: String,
    mean: String,
    max: String,
}

#[derive(Debug, Serialize)]
struct ClockCtx {
    clock: String,
    pauses: usize,
    zero: String,
    method: String,
    observations: String,
    spread: String,
    evidence: String,
}

#[derive(Debug, Serialize)]
struct IngestCtx {
    source: String,
    format: String,
    read: i64,
    parsed: i64,
    skipped: i64,
    ignored: i64,
    not_understood: i64,
}

#[derive(Debug, Serialize)]
struct SkipCtx {
    source: String,
    reason: String,
    count: i64,
    first_line: String,
    example: String,
}

/// The role names of the selected runs, in order.
pub fn roles(selection: &Selection) -> Vec<&'static str> {
    match selection {
        Selection::Single(_) => vec!["run"],
        Selection::Compare { .. } => vec!["baseline", "candidate"],
    }
}

/// Builds the template context.
pub fn build(
    dataset: &Path,
    selection: &Selection,
    runs: &[RunData],
    other_runs: &[String],
    figures: &Figures,
) -> Report {
    let roles = roles(selection);
    let gc = runs.iter().any(|r| !r.pauses.is_empty() || !r.cycles.is_empty() || !r.safepoints.is_empty());
    let mut warnings = Vec::new();
    for run in runs.iter().filter(|_| gc) {
        if run.pauses.is_empty() {
            warnings.push(format!("run `{}` has no GC pauses in `gc_pauses`.", run.name));
        }
        let missing: Vec<&str> = [
            ("gc_pause_stats", run.stats.is_empty() && !run.pauses.is_empty()),
            ("gc_run_summary", run.summary.is_none()),
            ("gc_mmu", run.mmu.is_empty() && !run.pauses.is_empty()),
        ]
        .into_iter()
        .filter_map(|(t, missing)| missing.then_some(t))
        .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "run `{}` has no {} rows: run `tracefold analyze` on the dataset to fill the n/a cells.",
                run.name,
                missing.join(", ")
            ));
        }
    }
    let figures_of = |r: &RunData| figures.pauses.get(&r.name).cloned();
    let cgroup_figure_of = |r: &RunData| figures.cgroups.get(&r.name).cloned();
    let run_ctxs: Vec<RunCtx> = runs
        .iter()
        .zip(&roles)
        .map(|(r, role)| RunCtx {
            perf: figures.perf.get(&r.name).cloned(),
            perf_gc: figures.perf_gc.get(&r.name).cloned(),
            epoll: figures.epoll.get(&r.name).cloned(),
            bpftrace: figures.bpftrace.get(&r.name).cloned(),
            ..run_ctx(r, role, figures_of(r), cgroup_figure_of(r))
        })
        .collect();
    let (title, comparison, single) = match selection {
        Selection::Compare { baseline, candidate } => {
            (format!("{baseline} vs {candidate}"), Some(compare(&runs[0], &runs[1])).filter(|_| gc), None)
        }
        Selection::Single(run) => (run.clone(), None, Some(compare_one(&runs[0])).filter(|_| gc)),
    };
    Report {
        gc,
        title,
        dataset: dataset.display().to_string(),
        generated_by: format!("{} (`tracefold report`)", model::producer()),
        other_runs: other_runs.to_vec(),
        warnings,
        runs: run_ctxs,
        comparison,
        single,
        mmu_image: figures.mmu.clone(),
    }
}

fn summary_line(run: &RunData) -> String {
    let collectors = run.collectors();
    let who = if collectors.is_empty() { "No collector seen".to_string() } else { collectors.join(" + ") };
    let Some(s) = &run.summary else {
        return format!(
            "{who}: {} pauses in `gc_pauses`; no `gc_run_summary` (run `tracefold analyze`).",
            run.pauses.len()
        );
    };
    let mut line = format!("{who} ({}): {} ({} full)", s.runtimes, plural(s.pause_count, "pause"), s.full_gc_count);
    line.push_str(&format!(" in {}", plural(s.cycle_count, "cycle")));
    if !run.cycles.is_empty() {
        let concurrent = run.cycles.iter().filter(|c| c.concurrent).count();
        let aborted = run.cycles.iter().filter(|c| c.aborted).count();
        line.push_str(&format!(" ({concurrent} concurrent, {aborted} aborted/degenerated/upgraded to full)"));
    }
    line.push_str(&format!(
        " over {} from the first pause to the end of the last; STW total {} ({} of that span, throughput {})",
        format::duration(s.span_ns),
        format::duration(s.pause_total_ns),
        format::percent(s.stw_share, 2),
        format::percent(s.throughput, 2)
    ));
    if s.pause_count > 0 {
        line.push_str(&format!(
            "; mean pause {}, max {}",
            format::duration(s.pause_mean_ns),
            format::duration(s.pause_max_ns)
        ));
    }
    if let Some(rate) = s.alloc_rate_bytes_per_s {
        line.push_str(&format!("; allocation rate {}", format::rate(rate)));
    }
    if let Some(heap) = s.heap_committed_max_bytes {
        line.push_str(&format!("; committed heap up to {}", format::size_iec(heap)));
    }
    line.push('.');
    line
}

/// `1 pause`, `2 pauses`.
fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn stats_ctx(row: &GcPauseStatsRow, group: Option<&str>) -> StatsCtx {
    let d = format::duration;
    StatsCtx {
        collector: format::cell(&row.collector),
        group: group.map(format::cell).unwrap_or_default(),
        count: row.count,
        total: d(row.total_ns),
        mean: d(row.mean_ns),
        p50: d(row.p50_ns),
        p90: d(row.p90_ns),
        p95: d(row.p95_ns),
        p99: d(row.p99_ns),
        p999: d(row.p999_ns),
        max: d(row.max_ns),
    }
}

fn stats_tables(run: &RunData) -> (Vec<StatsCtx>, Vec<StatsCtx>, Vec<StatsCtx>) {
    let mut per_collector: Vec<&GcPauseStatsRow> = run.collector_stats();
    per_collector.sort_by(|a, b| b.count.cmp(&a.count).then(a.collector.cmp(&b.collector)));
    let mut per_kind: Vec<&GcPauseStatsRow> =
        run.stats.iter().filter(|s| s.pause_kind.is_some() && s.cause.is_none()).collect();
    per_kind.sort_by(|a, b| {
        a.collector.cmp(&b.collector).then(b.count.cmp(&a.count)).then(a.pause_kind.cmp(&b.pause_kind))
    });
    let mut per_cause: Vec<&GcPauseStatsRow> =
        run.stats.iter().filter(|s| s.pause_kind.is_none() && s.cause.is_some()).collect();
    per_cause.sort_by(|a, b| a.collector.cmp(&b.collector).then(b.count.cmp(&a.count)).then(a.cause.cmp(&b.cause)));
    (
        per_collector.into_iter().map(|s| stats_ctx(s, None)).collect(),
        per_kind.into_iter().map(|s| stats_ctx(s, s.pause_kind.as_deref())).collect(),
        per_cause.into_iter().map(|s| stats_ctx(s, s.cause.as_deref())).collect(),
    )
}

fn safepoints(run: &RunData) -> Option<SafepointCtx> {
    if run.safepoints.is_empty() {
        return None;
    }
    let mut totals: Vec<i64> = run.safepoints.iter().map(|s| s.total_ns).collect();
    totals.sort_unstable();
    let mut reaching: Vec<i64> = run.safepoints.iter().filter_map(|s| s.reaching_ns).collect();
    reaching.sort_unstable();
    let sum: i64 = totals.iter().sum();
    let n = totals.len();
    let mut ops: BTreeMap<&str, (usize, i64, i64)> = BTreeMap::new();
    for s in &run.safepoints {
        let e = ops.entry(s.operation.as_deref().unwrap_or("(not given)")).or_default();
        e.0 += 1;
        e.1 += s.total_ns;
        e.2 = e.2.max(s.total_ns);
    }
    let mut ops: Vec<(&str, (usize, i64, i64))> = ops.into_iter().collect();
    ops.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(b.0)));
    let more_operations = ops.len().saturating_sub(TOP_OPERATIONS);
    Some(SafepointCtx {
        count: n,
        total: format::duration(sum),
        mean: format::duration((sum as f64 / n as f64).round() as i64),
        p99: format::opt_duration(nearest_rank(&totals, 0.99)),
        max: format::opt_duration(totals.last().copied()),
        reaching_p99: format::opt_duration(nearest_rank(&reaching, 0.99)),
        reaching_max: format::opt_duration(reaching.last().copied()),
        operations: ops
            .into_iter()
            .take(TOP_OPERATIONS)
            .map(|(op, (count, total, max))| OperationCtx {
                operation: format::code(op),
                count,
                total: format::duration(total),
                mean: format::duration((total as f64 / count as f64).round() as i64),
                max: format::duration(max),
            })
            .collect(),
        more_operations,
    })
}

fn clocks(run: &RunData) -> Vec<ClockCtx> {
    let mut pauses: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &run.pauses {
        *pauses.entry(p.clock.as_str()).or_default() += 1;
    }
    let mut out: Vec<ClockCtx> = run
        .offsets
        .iter()
        .map(|o| ClockCtx {
            clock: format::code(&o.clock),
            pauses: pauses.get(o.clock.as_str()).copied().unwrap_or(0),
            zero: format::utc(o.offset_ns),
            method: format::cell(&o.method),
            observations: o.observations.to_string(),
            spread: format::duration(o.spread_ns),
            evidence: format::code(&truncate(&o.evidence, EXAMPLE_CHARS)),
        })
        .collect();
    let known: BTreeSet<&str> = run.offsets.iter().map(|o| o.clock.as_str()).collect();
    for (clock, n) in pauses {
        if !known.contains(clock) {
            out.push(ClockCtx {
                clock: format::code(clock),
                pauses: n,
                zero: "unknown".to_string(),
                method: "no offset known".to_string(),
                observations: String::new(),
                spread: String::new(),
                evidence: String::new(),
            });
        }
    }
    out
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(chars).collect::<String>())
    }
}

fn ingest(run: &RunData) -> (Vec<IngestCtx>, Vec<SkipCtx>, Vec<String>) {
    let mut totals = Vec::new();
    let mut skips = Vec::new();
    let mut notes = Vec::new();
    for row in &run.ingest {
        match row.kind.as_str() {
            "total" => {
                let of_kind = |kind: &str| -> i64 {
                    run.ingest.iter().filter(|r| r.source == row.source && r.kind == kind).map(|r| r.skipped).sum()
                };
                totals.push(IngestCtx {
                    source: format::code(&row.source),
                    format: row.format.as_deref().map(format::code).unwrap_or_else(|| "none".to_string()),
                    read: row.read,
                    parsed: row.parsed,
                    skipped: row.skipped,
                    ignored: of_kind("ignore"),
                    not_understood: of_kind("skip"),
                });
            }
            "skip" => {
                let example = row.examples.as_deref().and_then(|e| e.lines().next()).unwrap_or("");
                skips.push(SkipCtx {
                    source: format::code(&row.source),
                    reason: format::cell(row.reason.as_deref().unwrap_or("(no reason)")),
                    count: row.skipped,
                    first_line: row.first_line.map(|l| l.to_string()).unwrap_or_default(),
                    example: format::code(&truncate(example, EXAMPLE_CHARS)),
                });
            }
            "ignore" => {}
            kind => notes.push(format!(
                "{kind} in {}: {}",
                format::code(&row.source),
                row.reason.as_deref().unwrap_or("(no message)").replace('\n', " ")
            )),
        }
    }
    skips.sort_by(|a, b| a.source.cmp(&b.source).then(b.count.cmp(&a.count)));
    (totals, skips, notes)
}

fn run_ctx(
    run: &RunData,
    role: &str,
    figure: Option<(String, Vec<String>)>,
    cgroup_figure: Option<(String, Vec<String>)>,
) -> RunCtx {
    let (per_collector, per_kind, per_cause) = stats_tables(run);
    let (ingest, skips, ingest_notes) = ingest(run);
    let labels = run.labels();
    let (image, image_notes) = match figure {
        Some((file, notes)) => (Some(file), notes),
        None => (None, Vec::new()),
    };
    RunCtx {
        name: run.name.clone(),
        role: role.to_string(),
        labels: if labels.is_empty() {
            "(none)".to_string()
        } else {
            labels
                .iter()
                .map(|(k, v)| if v.is_empty() { format::code(k) } else { format::code(&format!("{k}={v}")) })
                .collect::<Vec<_>>()
                .join(" ")
        },
        ingested_at: run.ingested_at_ns().map(format::utc).unwrap_or_else(|| "unknown".to_string()),
        sources: run
            .sources
            .iter()
            .map(|s| SourceCtx {
                path: format::code(&s.source),
                format: s.format.as_deref().map(format::code).unwrap_or_else(|| "none".to_string()),
                tool: s.tool_version.as_deref().map(format::cell).unwrap_or_default(),
                size: format::size_iec(s.size_bytes),
                sha: s.sha256.chars().take(12).collect(),
                status: format::cell(&s.status),
            })
            .collect(),
        gc: !run.pauses.is_empty() || !run.cycles.is_empty() || !run.safepoints.is_empty(),
        summary_line: summary_line(run),
        image,
        image_notes,
        per_collector,
        per_kind,
        per_cause,
        safepoints: safepoints(run),
        clocks: clocks(run),
        ingest,
        skips,
        ingest_notes,
        cgroup: cgroup::section(run, cgroup_figure),
        perf: None,
        perf_gc: None,
        epoll: None,
        bpftrace: None,
    }
}
