//! `gc_pause_stats`: pause statistics of one run in three grouping sets.
//!
//! Input: the run's pauses. Output: rows of `gc_pause_stats`, per collector (kind and cause
//! null), per collector × `pause_kind`, per collector × cause (a null cause counts as `(none)`):
//! count, total, mean (rounded to the nearest ns), nearest-rank p50/p90/p95/p99/p99.9 and max.
//! Rows are ordered by collector, then set (collector, kind, cause), then key.

use std::collections::BTreeMap;

use model::tables::gc_pause_stats::GcPauseStatsRow;

use crate::load::Pause;
use crate::percentile::{nearest_rank, round_div, QUANTILES_PERMILLE};

/// Key of a null cause in the per-cause set.
pub const NO_CAUSE: &str = "(none)";

/// Grouping set of a row, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Set {
    Collector,
    Kind,
    Cause,
}

/// Statistics of every group of `pauses`.
pub fn pause_stats(pauses: &[Pause]) -> Vec<GcPauseStatsRow> {
    let mut groups: BTreeMap<(&str, Set, &str), Vec<i64>> = BTreeMap::new();
    for p in pauses {
        let c = p.collector.as_str();
        let cause = p.cause.as_deref().unwrap_or(NO_CAUSE);
        for key in [(c, Set::Collector, ""), (c, Set::Kind, p.pause_kind.as_str()), (c, Set::Cause, cause)] {
            groups.entry(key).or_default().push(p.duration_ns);
        }
    }
    groups
        .into_iter()
        .map(|((collector, set, key), mut durations)| {
            durations.sort_unstable();
            let (pause_kind, cause) = match set {
                Set::Collector => (None, None),
                Set::Kind => (Some(key.to_string()), None),
                Set::Cause => (None, Some(key.to_string())),
            };
            stats_row(collector.to_string(), pause_kind, cause, &durations)
        })
        .collect()
}

/// One row from the ascending durations of a (non-empty) group.
pub fn stats_row(
    collector: String,
    pause_kind: Option<String>,
    cause: Option<String>,
    sorted: &[i64],
) -> GcPauseStatsRow {
    let count = sorted.len() as i64;
    let total: i128 = sorted.iter().map(|&d| i128::from(d)).sum();
    let q = QUANTILES_PERMILLE.map(|pm| nearest_rank(sorted, pm).unwrap_or(0));
    GcPauseStatsRow {
        collector,
        pause_kind,
        cause,
        count,
        total_ns: i64::try_from(total).unwrap_or(i64::MAX),
        mean_ns: if count == 0 { 0 } else { round_div(total, i128::from(count)) },
        p50_ns: q[0],
        p90_ns: q[1],
        p95_ns: q[2],
        p99_ns: q[3],
        p999_ns: q[4],
        max_ns: sorted.last().copied().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pause(collector: &str, kind: &str, cause: Option<&str>, duration_ns: i64) -> Pause {
        Pause {
            source: "s".into(),
            clock: "uptime".into(),
            start_ns: None,
            end_ns: None,
            line: 1,
            duration_ns,
            runtime: "jvm".into(),
            collector: collector.into(),
            pause_kind: kind.into(),
            cause: cause.map(Into::into),
            heap_before_bytes: None,
            heap_after_bytes: None,
            heap_committed_bytes: None,
            gc_id: None,
        }
    }

    #[test]
    fn three_grouping_sets_in_order() {
        let pauses = [
            pause("G1", "young", Some("G1 Evacuation Pause"), 10),
            pause("G1", "young", Some("G1 Evacuation Pause"), 20),
            pause("G1", "full", Some("System.gc()"), 300),
            pause("G1", "remark", None, 5),
            pause("Go", "sweep_termination", None, 1),
        ];
        let rows = pause_stats(&pauses);
        let keys: Vec<(&str, Option<&str>, Option<&str>, i64)> =
            rows.iter().map(|r| (r.collector.as_str(), r.pause_kind.as_deref(), r.cause.as_deref(), r.count)).collect();
        assert_eq!(
            keys,
            [
                ("G1", None, None, 4),
                ("G1", Some("full"), None, 1),
                ("G1", Some("remark"), None, 1),
                ("G1", Some("young"), None, 2),
                ("G1", None, Some("(none)"), 1),
                ("G1", None, Some("G1 Evacuation Pause"), 2),
                ("G1", None, Some("System.gc()"), 1),
                ("Go", None, None, 1),
                ("Go", Some("sweep_termination"), None, 1),
                ("Go", None, Some("(none)"), 1),
            ]
        );
        // G1 overall: [5, 10, 20, 300]: total 335, mean 83.75 → 84, p50 = rank 2 = 10,
        // p90 = rank ceil(3.6) = 4 = 300, max 300.
        let g1 = &rows[0];
        assert_eq!((g1.total_ns, g1.mean_ns, g1.p50_ns, g1.p90_ns, g1.p99_ns, g1.max_ns), (335, 84, 10, 300, 300, 300));
        let young = &rows[3];
        assert_eq!((young.total_ns, young.mean_ns, young.p50_ns, young.p95_ns, young.max_ns), (30, 15, 10, 20, 20));
    }

    #[test]
    fn percentiles_of_ten() {
        let sorted: Vec<i64> = (1..=10).map(|i| i * 100).collect();
        let r = stats_row("G1".into(), None, None, &sorted);
        assert_eq!((r.p50_ns, r.p90_ns, r.p95_ns, r.p99_ns, r.p999_ns), (500, 900, 1000, 1000, 1000));
        assert_eq!((r.count, r.total_ns, r.mean_ns), (10, 5500, 550));
    }
}
