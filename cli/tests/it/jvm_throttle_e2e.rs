//! End to end on a real paired capture (fixtures/cgroup/jvm_throttle, MANIFEST.md): a G1 JVM in a
//! 0.5-CPU cgroup, without and with container support. Oracles come from the capture's own text:
//! `cpu.stat` counters (last − first sample), the log's `Parallel Workers:` line and its pause
//! lines — not from tracefold's earlier output.

use model::read::read_table;
use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::gc_cgroup_overlap::GcCgroupOverlapRow;

use super::{fixture, text, tracefold};

/// (first, last) value of `cpu.stat:<key>` in a cgsnap stream.
fn cpu_stat(cgsnap: &str, key: &str) -> (i64, i64) {
    let pat = format!("/cpu.stat:{key} ");
    let values: Vec<i64> =
        cgsnap.lines().filter_map(|l| l.split_once(&pat)).map(|(_, v)| v.trim().parse().unwrap()).collect();
    (values[0], *values.last().unwrap())
}

#[test]
fn jvm_gc_workers_against_a_half_cpu_quota() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let group = |name: &str, dir: &str| {
        let d = fixture(&format!("cgroup/jvm_throttle/{dir}"));
        format!("{name}={},{}", d.join("gc.log").display(), d.join("cgsnap.txt").display())
    };
    let (nocs, cs) = (group("nocs", "no_container_support"), group("cs", "container_support"));
    let o = tracefold(&["run", "--run", &nocs, "--run", &cs, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let ds = out.join("dataset");
    for (run, dir, workers) in [("nocs", "no_container_support", 2), ("cs", "container_support", 1)] {
        let d = fixture(&format!("cgroup/jvm_throttle/{dir}"));
        let log = std::fs::read_to_string(d.join("gc.log")).unwrap();
        let cgsnap = std::fs::read_to_string(d.join("cgsnap.txt")).unwrap();
        assert!(log.contains(&format!("Parallel Workers: {workers}\n")));
        let pause_lines = log.lines().filter(|l| l.contains("[gc          ]") && l.contains(" Pause ")).count() as i64;

        let intervals: Vec<CgroupIntervalRow> = read_table(&ds, run).unwrap();
        let cpu: Vec<&CgroupIntervalRow> = intervals.iter().filter(|r| r.throttled_ns.is_some()).collect();
        assert!(!cpu.is_empty());
        let (t0, t1) = cpu_stat(&cgsnap, "throttled_time");
        let (n0, n1) = cpu_stat(&cgsnap, "nr_throttled");
        assert_eq!(cpu.iter().map(|r| r.throttled_ns.unwrap()).sum::<i64>(), t1 - t0, "{run}: throttled ns");
        assert_eq!(cpu.iter().map(|r| r.throttled_periods.unwrap()).sum::<i64>(), n1 - n0, "{run}: throttled periods");
        assert!(cpu.iter().all(|r| r.cpu_limit_cores == Some(0.5)));

        let overlap: Vec<GcCgroupOverlapRow> = read_table(&ds, run).unwrap();
        let o = overlap.iter().find(|o| o.pauses_in_span > 0).unwrap();
        assert_eq!(o.pauses_unaligned, 0, "{run}: time+uptime decorators place every pause");
        assert_eq!(o.pauses_throttled + o.pauses_unthrottled, o.pauses_in_span);
        assert!(o.pauses_in_span <= pause_lines && o.pauses_in_span >= pause_lines - 2, "{run}: {o:?}");
        assert_eq!(o.gc_parallelism, Some(workers));
        let advice = o.advice.as_deref().unwrap_or("");
        assert_eq!(advice.contains("-XX:ParallelGCThreads=1"), workers > 1, "{run}: {advice:?}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("-XX:ParallelGCThreads=1"), "the advice is in the report");
}
