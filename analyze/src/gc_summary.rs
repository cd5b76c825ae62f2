//! `gc_run_summary` and `gc_mmu`: one run's GC summary row and MMU curve.
//!
//! Input: the run's pauses and cycles. A *timeline* is one source on one clock; times of
//! different timelines are never compared. Per timeline the span runs from the first pause
//! start to the last pause end (`start + duration` when the end is missing); spans are summed.
//! `stw_share` = summed duration of the timed pauses / summed span, `throughput` = 1 − that.
//! Allocation rate: per timeline, over consecutive pauses that carry heap-before and heap-after
//! (or, when a timeline has fewer than two such pauses, its cycles that do), the sum of
//! `max(0, heap_before[i+1] − heap_after[i])` over the sum of the gaps `start[i+1] − end[i]`
//! (pairs with no positive gap are skipped), all timelines pooled. MMU: see [`crate::mmu`].
//! Output: one `gc_run_summary` row and the `gc_mmu` rows.

use std::collections::{BTreeMap, BTreeSet};

use model::tables::gc_mmu::GcMmuRow;
use model::tables::gc_run_summary::GcRunSummaryRow;

use crate::load::{Cycle, Pause};
use crate::mmu::{mmu_curve, mmu_min, Timeline};
use crate::percentile::round_div;

const MS: i64 = 1_000_000;

/// Pause intervals grouped by timeline (source, clock), in timeline order.
fn pause_intervals(pauses: &[Pause]) -> BTreeMap<(&str, &str), Vec<(i64, i64)>> {
    let mut by: BTreeMap<(&str, &str), Vec<(i64, i64)>> = BTreeMap::new();
    for p in pauses {
        if let Some(iv) = p.interval() {
            by.entry((p.source.as_str(), p.clock.as_str())).or_default().push(iv);
        }
    }
    by
}

/// One [`Timeline`] per source and clock that has timed pauses.
pub fn timelines(pauses: &[Pause]) -> Vec<Timeline> {
    pause_intervals(pauses).into_values().filter_map(Timeline::from_pauses).collect()
}

/// A point of heap accounting: interval and heap before/after.
type HeapPoint = ((i64, i64), i64, i64);

/// Heap points of one timeline: from its pauses, from its cycles.
type HeapPoints = (Vec<HeapPoint>, Vec<HeapPoint>);

/// Bytes grown and ns elapsed between consecutive points of one timeline (sorted by interval).
fn growth(points: &mut [HeapPoint]) -> (i128, i128) {
    points.sort_unstable();
    let (mut bytes, mut ns) = (0i128, 0i128);
    for w in points.windows(2) {
        let ((_, end), _, after) = w[0];
        let ((start, _), before, _) = w[1];
        let gap = i128::from(start) - i128::from(end);
        if gap > 0 {
            bytes += (i128::from(before) - i128::from(after)).max(0);
            ns += gap;
        }
    }
    (bytes, ns)
}

/// Allocation rate, bytes/s; `None` without two heap figures a positive gap apart.
pub fn alloc_rate(pauses: &[Pause], cycles: &[Cycle]) -> Option<f64> {
    let mut by: BTreeMap<(&str, &str), HeapPoints> = BTreeMap::new();
    for p in pauses {
        if let (Some(iv), Some(b), Some(a)) = (p.interval(), p.heap_before_bytes, p.heap_after_bytes) {
            by.entry((p.source.as_str(), p.clock.as_str())).or_default().0.push((iv, b, a));
        }
    }
    for c in cycles {
        if let (Some(iv), Some(b), Some(a)) = (c.interval(), c.heap_before_bytes, c.heap_after_bytes) {
            by.entry((c.source.as_str(), c.clock.as_str())).or_default().1.push((iv, b, a));
        }
    }
    let (mut bytes, mut ns) = (0i128, 0i128);
    for (_, (mut from_pauses, mut from_cycles)) in by {
        let points = if from_pauses.len() >= 2 { &mut from_pauses } else { &mut from_cycles };
        let (b, n) = growth(points);
        bytes += b;
        ns += n;
    }
    (ns > 0).then(|| bytes as f64 * 1e9 / ns as f64)
}

/// Comma-separated sorted distinct values.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(",")
}

/// The run's summary row.
pub fn run_summary(pauses: &[Pause], cycles: &[Cycle]) -> GcRunSummaryRow {
    let tl = timelines(pauses);
    let span: i128 = tl.iter().map(|t| i128::from(t.span())).sum();
    let total: i128 = pauses.iter().map(|p| i128::from(p.duration_ns)).sum();
    let timed_total: i128 = pauses.iter().filter(|p| p.interval().is_some()).map(|p| i128::from(p.duration_ns)).sum();
    let count = pauses.len() as i64;
    let stw_share = if span > 0 { timed_total as f64 / span as f64 } else { 0.0 };
    let committed = pauses.iter().map(|p| p.heap_committed_bytes).chain(cycles.iter().map(|c| c.heap_committed_bytes));
    GcRunSummaryRow {
        collectors: distinct(
            pauses.iter().map(|p| p.collector.as_str()).chain(cycles.iter().map(|c| c.collector.as_str())),
        ),
        runtimes: distinct(pauses.iter().map(|p| p.runtime.as_str()).chain(cycles.iter().map(|c| c.runtime.as_str()))),
        pause_count: count,
        cycle_count: cycles.len() as i64,
        full_gc_count: pauses.iter().filter(|p| p.pause_kind == "full").count() as i64,
        pause_total_ns: i64::try_from(total).unwrap_or(i64::MAX),
        pause_mean_ns: if count == 0 { 0 } else { round_div(total, i128::from(count)) },
        pause_max_ns: pauses.iter().map(|p| p.duration_ns).max().unwrap_or(0),
        span_ns: i64::try_from(span).unwrap_or(i64::MAX),
        stw_share,
        throughput: 1.0 - stw_share,
        alloc_rate_bytes_per_s: alloc_rate(pauses, cycles),
        heap_committed_max_bytes: committed.flatten().max(),
        mmu_10ms: mmu_min(&tl, 10 * MS),
        mmu_100ms: mmu_min(&tl, 100 * MS),
        mmu_1s: mmu_min(&tl, 1000 * MS),
    }
}

/// The run's `gc_mmu` rows (windows no longer than its longest timeline).
pub fn mmu_rows(pauses: &[Pause]) -> Vec<GcMmuRow> {
    mmu_curve(&timelines(pauses)).into_iter().map(|(window_ns, mmu)| GcMmuRow { window_ns, mmu }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pause(source: &str, start: i64, dur: i64, heap: Option<(i64, i64)>) -> Pause {
        Pause {
            source: source.into(),
            clock: "uptime".into(),
            start_ns: Some(start),
            end_ns: None,
            line: 1,
            duration_ns: dur,
            runtime: "jvm".into(),
            collector: "G1".into(),
            pause_kind: "young".into(),
            cause: None,
            heap_before_bytes: heap.map(|h| h.0),
            heap_after_bytes: heap.map(|h| h.1),
            heap_committed_bytes: None,
            gc_id: None,
        }
    }

    #[test]
    fn alloc_rate_over_gaps() {
        // Gap 1: end 10 ms → start 110 ms (100 ms), grew 300 − 100 = 200 B.
        // Gap 2: end 120 ms → start 320 ms (200 ms), grew 500 − 200 = 300 B. 500 B / 0.3 s.
        let p = [
            pause("a", 0, 10 * MS, Some((150, 100))),
            pause("a", 110 * MS, 10 * MS, Some((300, 200))),
            pause("a", 320 * MS, 10 * MS, Some((500, 400))),
        ];
        assert_eq!(alloc_rate(&p, &[]), Some(500.0 * 1e9 / (300 * MS) as f64));
        // A shrink counts as 0 bytes but its gap still counts.
        let p = [pause("a", 0, 10, Some((0, 100))), pause("a", 20, 10, Some((50, 0)))];
        assert_eq!(alloc_rate(&p, &[]), Some(0.0));
        assert_eq!(alloc_rate(&[pause("a", 0, 10, None), pause("a", 20, 10, None)], &[]), None);
    }

    #[test]
    fn summary_of_two_sources() {
        // Source a: pauses [0,10) and [50,60) ms (span 60 ms); source b: [1000,1005) ms (span 5 ms).
        let p = [pause("a", 0, 10 * MS, None), pause("a", 50 * MS, 10 * MS, None), pause("b", 1000 * MS, 5 * MS, None)];
        let s = run_summary(&p, &[]);
        assert_eq!((s.pause_count, s.pause_total_ns, s.pause_max_ns, s.span_ns), (3, 25 * MS, 10 * MS, 65 * MS));
        assert_eq!(s.pause_mean_ns, 8_333_333);
        assert_eq!(s.stw_share, 25.0 / 65.0);
        assert_eq!(s.mmu_10ms, Some(0.0));
        assert_eq!(s.mmu_100ms, None);
        assert_eq!(s.alloc_rate_bytes_per_s, None);
        let windows: Vec<i64> = mmu_rows(&p).iter().map(|r| r.window_ns).collect();
        assert_eq!(windows, [1, 2, 5, 10, 20, 50].map(|m| m * MS));
    }
}
