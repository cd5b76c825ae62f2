//! `gc_cgroup_overlap`: GC pauses placed on the run's wall timeline (pause clock + the run's
//! `clock_offsets`) and split by whether they overlap a CPU-throttled sampling interval of each
//! cgroup; plus advice when the runtime's GC parallelism exceeds the cgroup's CPU limit.
//!
//! Inputs: `cgroup_intervals` rows (clock `wall`), loaded pauses, clock offsets, max GOMAXPROCS.
//! Output: one `GcCgroupOverlapRow` per cgroup with a wall-clock capture.

use std::collections::BTreeMap;

use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::clock::WALL;
use model::tables::gc_cgroup_overlap::GcCgroupOverlapRow;

use crate::cgroup_intervals::summarize;
use crate::load::Pause;
use crate::percentile::nearest_rank;

/// One row per cgroup captured on the wall clock.
pub fn overlap(
    intervals: &[CgroupIntervalRow],
    pauses: &[Pause],
    offsets: &BTreeMap<String, i64>,
    max_procs: Option<i64>,
    jvm_workers: Option<i64>,
) -> Vec<GcCgroupOverlapRow> {
    let mut by_cgroup: BTreeMap<&str, Vec<&CgroupIntervalRow>> = BTreeMap::new();
    for r in intervals.iter().filter(|r| r.clock == WALL) {
        by_cgroup.entry(r.cgroup.as_str()).or_default().push(r);
    }
    let limits: BTreeMap<String, Option<f64>> =
        summarize(intervals).into_iter().filter(|s| s.clock == WALL).map(|s| (s.cgroup, s.cpu_limit_cores)).collect();
    let mut out = Vec::new();
    for (cgroup, mut rows) in by_cgroup {
        rows.sort_by_key(|r| r.start_ns);
        let span = (rows.first().map_or(0, |r| r.start_ns), rows.last().map_or(0, |r| r.end_ns));
        let (mut in_span, mut unaligned) = (0, 0);
        let (mut throttled, mut free): (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
        for p in pauses {
            let (Some((s, e)), Some(off)) = (p.interval(), offsets.get(&p.clock)) else {
                unaligned += 1;
                continue;
            };
            let (s, e) = (s + off, e + off);
            if e <= span.0 || s >= span.1 {
                continue;
            }
            in_span += 1;
            // Intervals are sorted and contiguous: the first one ending after the pause start.
            let first = rows.partition_point(|r| r.end_ns <= s);
            let hit = rows[first..]
                .iter()
                .take_while(|r| r.start_ns < e.max(s + 1))
                .any(|r| r.throttled_periods.unwrap_or(0) > 0);
            if hit {
                throttled.push(p.duration_ns);
            } else {
                free.push(p.duration_ns);
            }
        }
        throttled.sort_unstable();
        free.sort_unstable();
        let limit = limits.get(cgroup).copied().flatten();
        out.push(GcCgroupOverlapRow {
            cgroup: cgroup.to_string(),
            pauses_in_span: in_span,
            pauses_unaligned: unaligned,
            pauses_throttled: throttled.len() as i64,
            throttled_p50_ns: nearest_rank(&throttled, 500),
            throttled_p99_ns: nearest_rank(&throttled, 990),
            pauses_unthrottled: free.len() as i64,
            unthrottled_p50_ns: nearest_rank(&free, 500),
            unthrottled_p99_ns: nearest_rank(&free, 990),
            cpu_limit_cores: limit,
            gc_parallelism: max_procs.or(jvm_workers),
            advice: advice(max_procs, limit).or_else(|| jvm_advice(jvm_workers, limit)),
        });
    }
    out
}

/// Advice when GOMAXPROCS exceeds ⌈limit⌉ (the Go runtime then runs more GC workers than the
/// quota lets run at once, and the cgroup is throttled in the middle of GC phases).
pub fn advice(procs: Option<i64>, limit_cores: Option<f64>) -> Option<String> {
    let (procs, limit) = (procs?, limit_cores?);
    let cap = limit.ceil().max(1.0) as i64;
    (procs > cap).then(|| {
        format!(
            "GOMAXPROCS is {procs} but the CPU limit is {limit:.2} cores: set GOMAXPROCS={cap} \
             (Go 1.25+ does this itself for cgroup limits; earlier: go.uber.org/automaxprocs), \
             so the GC's 25 % background workers and assists fit the quota"
        )
    })
}

/// Advice when the JVM's parallel GC workers exceed ⌈limit⌉: stop-the-world phases then need
/// more CPU than the quota grants per period and are throttled mid-pause.
pub fn jvm_advice(workers: Option<i64>, limit_cores: Option<f64>) -> Option<String> {
    let (workers, limit) = (workers?, limit_cores?);
    let cap = limit.ceil().max(1.0) as i64;
    (workers > cap).then(|| {
        format!(
            "the JVM runs {workers} parallel GC workers but the CPU limit is {limit:.2} cores: set \
             -XX:ParallelGCThreads={cap} (and -XX:ConcGCThreads) or -XX:ActiveProcessorCount={cap}; \
             a container-aware JVM (JDK 10+, -XX:+UseContainerSupport) sizes them from the quota \
             unless they are set explicitly or the limit is applied outside its own cgroup"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_only_when_parallelism_exceeds_limit() {
        assert!(advice(Some(8), Some(0.5)).unwrap().contains("GOMAXPROCS=1"));
        assert!(advice(Some(2), Some(1.5)).is_none());
        assert!(advice(Some(3), Some(2.5)).is_none());
        assert!(advice(None, Some(0.5)).is_none());
        assert!(advice(Some(8), None).is_none());
        assert!(jvm_advice(Some(2), Some(0.5)).unwrap().contains("-XX:ParallelGCThreads=1"));
        assert!(jvm_advice(Some(1), Some(0.5)).is_none());
    }
}
