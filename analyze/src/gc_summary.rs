//! `gc_run_summary` and `gc_mmu`: one run's GC summary row and MMU curve.
//!
//! Input: the run's pauses and cycles. A *timeline* is one source on one clock; times of
//! different timelines are never compared. Per timeline the span runs from the first pause
//! start to the last pause end (`start + duration` when the end is missing); spans are summed.
//! `stw_share` = summed duration of the timed pauses / summed span, `throughput` = 1 − that.
//! Allocation rate: bytes allocated per second of wall time between a timeline's first and last
//! collection, all timelines pooled. Per timeline, over its pauses that carry heap-before and
//! heap-after (or, when fewer than two do, its cycles that do), in time order: the bytes are
//! `max(0, heap_before[i+1] − left[i])` between collections, where `left` is what a collection
//! leaves (Go: the live heap marked, the heap a cycle's sweep comes down to; else heap-after),
//! plus, for a Go cycle (the program runs and allocates while it marks), `max(0, heap_after −
//! heap_before)` of each cycle between the first and the last; the time is `start[last] −
//! end[first]`. MMU: see [`crate::mmu`].
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

/// A point of heap accounting: a pause or a cycle with heap figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct HeapPoint {
    /// `[start, end)`, ns.
    interval: (i64, i64),
    /// Heap when it starts, bytes.
    before: i64,
    /// Heap when it ends, bytes.
    after: i64,
    /// The heap it leaves for the program: the live heap for a Go cycle, else `after`.
    left: i64,
    /// A Go cycle: the program ran (and allocated) while it marked, `after − before` of it.
    concurrent: bool,
}

/// Heap points of one timeline: from its pauses, from its cycles.
type HeapPoints = (Vec<HeapPoint>, Vec<HeapPoint>);

/// Bytes allocated and ns elapsed from the end of the first point to the start of the last.
fn growth(points: &mut [HeapPoint]) -> (i128, i128) {
    points.sort_unstable();
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return (0, 0) };
    let ns = i128::from(last.interval.0) - i128::from(first.interval.1);
    if points.len() < 2 || ns <= 0 {
        return (0, 0);
    }
    let between: i128 = points.windows(2).map(|w| (i128::from(w[1].before) - i128::from(w[0].left)).max(0)).sum();
    let during: i128 = points[1..points.len() - 1]
        .iter()
        .filter(|p| p.concurrent)
        .map(|p| (i128::from(p.after) - i128::from(p.before)).max(0))
        .sum();
    (between + during, ns)
}

/// Allocation rate, bytes/s; `None` without two heap figures a positive time apart.
pub fn alloc_rate(pauses: &[Pause], cycles: &[Cycle]) -> Option<f64> {
    let mut by: BTreeMap<(&str, &str), HeapPoints> = BTreeMap::new();
    for p in pauses {
        if let (Some(interval), Some(before), Some(after)) = (p.interval(), p.heap_before_bytes, p.heap_after_bytes) {
            let point = HeapPoint { interval, before, after, left: after, concurrent: false };
            by.entry((p.source.as_str(), p.clock.as_str())).or_default().0.push(point);
        }
    }
    for c in cycles {
        if let (Some(interval), Some(before), Some(after)) = (c.interval(), c.heap_before_bytes, c.heap_after_bytes) {
            // Only Go's gctrace gives the live heap; its cycles are concurrent.
            let point = match c.heap_live_bytes {
                Some(live) => HeapPoint { interval, before, after, left: live, concurrent: true },
                None => HeapPoint { interval, before, after, left: after, concurrent: false },
            };
            by.entry((c.source.as_str(), c.clock.as_str())).or_default().1.push(point);
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
    fn alloc_rate_over_wall_time_between_collections() {
        // Between 1: 300 − 100 = 200 B; between 2: 500 − 200 = 300 B. Pauses stop the program:
        // nothing grows during them. From the first end (10 ms) to the last start (320 ms):
        // 500 B / 0.31 s.
        let p = [
            pause("a", 0, 10 * MS, Some((150, 100))),
            pause("a", 110 * MS, 10 * MS, Some((300, 200))),
            pause("a", 320 * MS, 10 * MS, Some((500, 400))),
        ];
        assert_eq!(alloc_rate(&p, &[]), Some(500.0 * 1e9 / (310 * MS) as f64));
        // A shrink counts as 0 bytes but its time still counts.
        let p = [pause("a", 0, 10, Some((0, 100))), pause("a", 20, 10, Some((50, 0)))];
        assert_eq!(alloc_rate(&p, &[]), Some(0.0));
        assert_eq!(alloc_rate(&[pause("a", 0, 10, None), pause("a", 20, 10, None)], &[]), None);
        // One point, or points with no time between them: no rate.
        assert_eq!(alloc_rate(&p[..1], &[]), None);
        assert_eq!(alloc_rate(&[pause("a", 0, 10, Some((1, 1))), pause("a", 5, 10, Some((9, 1)))], &[]), None);
    }

    fn go_cycle(start: i64, dur: i64, (before, after, live): (i64, i64, i64)) -> Cycle {
        Cycle {
            source: "go.txt".into(),
            clock: "go_uptime".into(),
            start_ns: Some(start),
            line: 1,
            duration_ns: Some(dur),
            runtime: "go".into(),
            collector: "Go".into(),
            heap_before_bytes: Some(before),
            heap_after_bytes: Some(after),
            heap_committed_bytes: None,
            heap_live_bytes: Some(live),
        }
    }

    /// gctrace's `4->6->1 MB`: heap at GC start, at GC end, live. After a cycle the heap comes
    /// down to the live heap; while a cycle marks, the program allocates (start → end).
    #[test]
    fn go_alloc_rate_counts_from_the_live_heap_and_during_marking() {
        let c = [
            go_cycle(0, 5 * MS, (4, 6, 1)),
            go_cycle(100 * MS, 10 * MS, (9, 12, 2)),
            go_cycle(200 * MS, 5 * MS, (10, 11, 3)),
        ];
        // Between: (9 − 1) + (10 − 2) = 16 B; during the middle cycle: 12 − 9 = 3 B (the first and
        // the last lie outside the time counted). Time: 200 − 5 = 195 ms.
        assert_eq!(alloc_rate(&[], &c), Some(19.0 * 1e9 / (195 * MS) as f64));
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
