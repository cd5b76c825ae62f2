//! The comparison table: the pause figures, GC throughput, allocation rate, MMU and (with
//! cgroup data) CPU limit and throttling of a baseline and a candidate run, with the change, in
//! the shape engineers already use (`| metric | baseline (G1, 4G) | candidate (ZGC, 16G) |
//! change |`); for a single run the same rows with one value column.

use serde::Serialize;

use crate::cgroup;
use crate::data::RunData;
use crate::format::{self, Better, ChangeKind};

/// The comparison table of the report (or a single run's figures in the same shape).
#[derive(Debug, Serialize)]
pub(crate) struct Comparison {
    base_header: String,
    cand_header: String,
    rows: Vec<MetricRow>,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct MetricRow {
    metric: String,
    base: String,
    cand: String,
    change: String,
}

/// The comparison figures of one run.
#[derive(Debug, Default)]
struct Figs {
    count: Option<i64>,
    mean: Option<i64>,
    p50: Option<i64>,
    p90: Option<i64>,
    p99: Option<i64>,
    max: Option<i64>,
    full_gc: Option<i64>,
    total: Option<i64>,
    throughput: Option<f64>,
    alloc_rate: Option<f64>,
    mmu_10ms: Option<f64>,
    mmu_100ms: Option<f64>,
    mmu_1s: Option<f64>,
    /// Time the safepoints held the application, time to reach them included (JVM logs with the
    /// `safepoint` tag or `Total time for which application threads were stopped` lines).
    safepoint_total: Option<i64>,
    safepoint_max: Option<i64>,
}

fn figs(run: &RunData) -> Figs {
    let per_collector = run.collector_stats();
    let mut f = Figs::default();
    if let [one] = per_collector.as_slice() {
        f.count = Some(one.count);
        f.total = Some(one.total_ns);
        if one.count > 0 {
            f.mean = Some(one.mean_ns);
            f.p50 = Some(one.p50_ns);
            f.p90 = Some(one.p90_ns);
            f.p99 = Some(one.p99_ns);
            f.max = Some(one.max_ns);
        }
    } else if let Some(s) = &run.summary {
        f.count = Some(s.pause_count);
        f.total = Some(s.pause_total_ns);
        if s.pause_count > 0 {
            f.mean = Some(s.pause_mean_ns);
            f.max = Some(s.pause_max_ns);
        }
    } else if !per_collector.is_empty() {
        // Several collectors and no run summary: the per-run figures are sums over collectors.
        let count: i64 = per_collector.iter().map(|s| s.count).sum();
        let total: i64 = per_collector.iter().map(|s| s.total_ns).sum();
        f.count = Some(count);
        f.total = Some(total);
        if count > 0 {
            f.mean = Some((total as f64 / count as f64).round() as i64);
            f.max = per_collector.iter().map(|s| s.max_ns).max();
        }
    }
    if let Some(s) = &run.summary {
        f.full_gc = Some(s.full_gc_count);
        f.throughput = Some(s.throughput);
        f.alloc_rate = s.alloc_rate_bytes_per_s;
        f.mmu_10ms = s.mmu_10ms;
        f.mmu_100ms = s.mmu_100ms;
        f.mmu_1s = s.mmu_1s;
    }
    if !run.safepoints.is_empty() {
        f.safepoint_total = Some(run.safepoints.iter().map(|s| s.total_ns).sum());
        f.safepoint_max = run.safepoints.iter().map(|s| s.total_ns).max();
    }
    f
}

/// `role: name (G1, 4G)`: the run's collectors and its maximum heap as the log states it, else
/// the largest committed heap seen.
fn header(role: &str, run: &RunData) -> String {
    let mut parts = Vec::new();
    let collectors = run.collectors();
    if !collectors.is_empty() {
        parts.push(collectors.join(" + "));
    }
    let stated = run.sources.iter().filter_map(|s| s.gc_heap_max_bytes).max();
    if let Some(heap) = stated.or_else(|| run.summary.as_ref().and_then(|s| s.heap_committed_max_bytes)) {
        parts.push(format::size(heap));
    }
    if parts.is_empty() {
        format!("{role}: {}", run.name)
    } else {
        format!("{role}: {} ({})", run.name, parts.join(", "))
    }
}

enum Kind {
    Count,
    Duration,
    Share,
    Rate,
}

struct Metric {
    name: &'static str,
    kind: Kind,
    better: Better,
    get: fn(&Figs) -> Option<f64>,
}

fn metrics() -> Vec<Metric> {
    fn i(v: Option<i64>) -> Option<f64> {
        v.map(|x| x as f64)
    }
    use Better::*;
    use Kind::*;
    vec![
        Metric { name: "pauses (count)", kind: Count, better: Lower, get: |f| i(f.count) },
        Metric { name: "mean pause", kind: Duration, better: Lower, get: |f| i(f.mean) },
        Metric { name: "p50 pause", kind: Duration, better: Lower, get: |f| i(f.p50) },
        Metric { name: "p90 pause", kind: Duration, better: Lower, get: |f| i(f.p90) },
        Metric { name: "p99 pause", kind: Duration, better: Lower, get: |f| i(f.p99) },
        Metric { name: "max pause", kind: Duration, better: Lower, get: |f| i(f.max) },
        Metric { name: "full GCs (count)", kind: Count, better: Lower, get: |f| i(f.full_gc) },
        Metric { name: "STW total", kind: Duration, better: Lower, get: |f| i(f.total) },
        Metric { name: "throughput (%)", kind: Share, better: Higher, get: |f| f.throughput },
        Metric { name: "alloc rate", kind: Rate, better: Neither, get: |f| f.alloc_rate },
        Metric { name: "MMU 10 ms", kind: Share, better: Higher, get: |f| f.mmu_10ms },
        Metric { name: "MMU 100 ms", kind: Share, better: Higher, get: |f| f.mmu_100ms },
        Metric { name: "MMU 1 s", kind: Share, better: Higher, get: |f| f.mmu_1s },
        Metric { name: "safepoints: stopped total", kind: Duration, better: Lower, get: |f| i(f.safepoint_total) },
        Metric { name: "safepoints: longest", kind: Duration, better: Lower, get: |f| i(f.safepoint_max) },
    ]
}

/// Safepoint rows are shown when a run has safepoint records.
fn is_safepoint_row(m: &Metric) -> bool {
    m.name.starts_with("safepoints:")
}

/// The change of a metric: relative (or in points for shares); from a baseline of 0, where no
/// relative change exists, the difference itself (`+1 (worse)`).
fn change_of(m: &Metric, b: Option<f64>, c: Option<f64>) -> String {
    match (&m.kind, b, c) {
        (Kind::Share, ..) => format::change(b, c, m.better, ChangeKind::Points),
        (kind, Some(b), Some(c)) if b == 0.0 && c != 0.0 && c.is_finite() => {
            format::difference(&show(kind, Some((c - b).abs())), c > b, m.better)
        }
        _ => format::change(b, c, m.better, ChangeKind::Relative),
    }
}

/// A note when safepoints held the application much longer than the collector's pauses (time
/// to reach the safepoint, non-GC operations): the pause rows alone would understate it.
fn safepoint_note(role: &str, run: &RunData, f: &Figs) -> Option<String> {
    let (stopped, paused) = (f.safepoint_total?, f.total.unwrap_or(0));
    (stopped as f64 > 1.5 * paused as f64 && stopped - paused >= 1_000_000).then(|| {
        format!(
            "In the {role} `{}` safepoints stopped the application for {} in all, against {} of GC pauses: the \
             pause, throughput and MMU rows count the collector's pauses as the log (and JFR) time them, without the \
             time threads took to reach the safepoint or the non-GC operations; see its Safepoints section.",
            run.name,
            format::duration(stopped),
            format::duration(paused)
        )
    })
}

fn show(kind: &Kind, v: Option<f64>) -> String {
    let Some(v) = v else { return "n/a".to_string() };
    match kind {
        Kind::Count => format!("{}", v as i64),
        Kind::Duration => format::duration(v as i64),
        Kind::Share => format::percent(v, 2),
        Kind::Rate => format::rate(v),
    }
}

fn multi_collector_note(role: &str, run: &RunData) -> Option<String> {
    let collectors = run.collector_stats();
    (collectors.len() > 1).then(|| {
        format!(
            "The {role} `{}` has several collectors ({}): its pause count, mean, max and STW total are the \
             per-run figures of `gc_run_summary` (or, without it, summed over the collectors); percentiles \
             exist per collector only (see its section).",
            run.name,
            collectors.iter().map(|c| c.collector.as_str()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// Baseline against candidate: each metric, both values and the change.
pub(crate) fn compare(base: &RunData, cand: &RunData) -> Comparison {
    let (fb, fc) = (figs(base), figs(cand));
    let with_safepoints = fb.safepoint_total.is_some() || fc.safepoint_total.is_some();
    let mut rows: Vec<MetricRow> = metrics()
        .into_iter()
        .filter(|m| with_safepoints || !is_safepoint_row(m))
        .map(|m| {
            let (b, c) = ((m.get)(&fb), (m.get)(&fc));
            MetricRow {
                metric: m.name.to_string(),
                base: show(&m.kind, b),
                cand: show(&m.kind, c),
                change: change_of(&m, b, c),
            }
        })
        .collect();
    let mut notes: Vec<String> = [
        multi_collector_note("baseline", base),
        multi_collector_note("candidate", cand),
        safepoint_note("baseline", base, &fb),
        safepoint_note("candidate", cand, &fc),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(note) = cgroup_rows(base, cand, &mut rows) {
        notes.push(note);
    }
    notes.push(
        "Change: candidate relative to baseline; for shares (throughput, MMU) the difference in percentage points (pp). \
         Lower is better for pause counts and times, higher for throughput and MMU; the allocation rate describes the \
         workload and is neither."
            .to_string(),
    );
    Comparison { base_header: header("baseline", base), cand_header: header("candidate", cand), rows, notes }
}

/// Adds the cgroup rows to the comparison when both runs have cgroup data (each row only when
/// both runs have its value); returns the note that says which cgroups they describe.
fn cgroup_rows(base: &RunData, cand: &RunData, rows: &mut Vec<MetricRow>) -> Option<String> {
    let (b, c) = (cgroup::compare_figs(base)?, cgroup::compare_figs(cand)?);
    let limit = |v: Option<f64>| v.map_or_else(|| "unlimited".to_string(), cgroup::cores);
    rows.push(MetricRow {
        metric: "CPU limit (cores)".to_string(),
        base: limit(b.limit),
        cand: limit(c.limit),
        change: format::change(b.limit, c.limit, Better::Neither, ChangeKind::Relative),
    });
    if let (Some(bs), Some(cs)) = (b.throttled_share, c.throttled_share) {
        rows.push(MetricRow {
            metric: "throttled periods (%)".to_string(),
            base: format::percent(bs, 2),
            cand: format::percent(cs, 2),
            change: format::change(Some(bs), Some(cs), Better::Lower, ChangeKind::Points),
        });
    }
    if let (Some(bt), Some(ct)) = (b.throttled_ns, c.throttled_ns) {
        rows.push(MetricRow {
            metric: "throttled time".to_string(),
            base: format::duration(bt),
            cand: format::duration(ct),
            change: format::change(Some(bt as f64), Some(ct as f64), Better::Lower, ChangeKind::Relative),
        });
    }
    Some(format!(
        "cgroup rows describe the cgroup that used the most CPU in each run ({} in the baseline, {} in the \
         candidate): its CPU limit at the end of the capture (neither better nor worse), the share of CFS periods \
         throttled (Σ throttled periods ÷ Σ periods) and the total throttled time; lower is better for both.",
        format::code(&b.cgroup),
        format::code(&c.cgroup)
    ))
}

/// One run's figures in the comparison table's shape.
pub(crate) fn compare_one(run: &RunData) -> Comparison {
    let f = figs(run);
    let rows = metrics()
        .into_iter()
        .filter(|m| f.safepoint_total.is_some() || !is_safepoint_row(m))
        .map(|m| MetricRow {
            metric: m.name.to_string(),
            base: show(&m.kind, (m.get)(&f)),
            cand: String::new(),
            change: String::new(),
        })
        .collect();
    let notes = [multi_collector_note("run", run), safepoint_note("run", run, &f)].into_iter().flatten().collect();
    Comparison { base_header: header("run", run), cand_header: String::new(), rows, notes }
}
