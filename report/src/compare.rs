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
    ]
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
    let mut rows: Vec<MetricRow> = metrics()
        .into_iter()
        .map(|m| {
            let (b, c) = ((m.get)(&fb), (m.get)(&fc));
            let kind = if matches!(m.kind, Kind::Share) { ChangeKind::Points } else { ChangeKind::Relative };
            MetricRow {
                metric: m.name.to_string(),
                base: show(&m.kind, b),
                cand: show(&m.kind, c),
                change: format::change(b, c, m.better, kind),
            }
        })
        .collect();
    let mut notes: Vec<String> = [multi_collector_note("baseline", base), multi_collector_note("candidate", cand)]
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
        .map(|m| MetricRow {
            metric: m.name.to_string(),
            base: show(&m.kind, (m.get)(&f)),
            cand: String::new(),
            change: String::new(),
        })
        .collect();
    let notes = multi_collector_note("run", run).into_iter().collect();
    Comparison { base_header: header("run", run), cand_header: String::new(), rows, notes }
}
