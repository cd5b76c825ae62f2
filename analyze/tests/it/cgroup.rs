//! `cgroup_intervals` and the run summary against the corpus ground truth
//! (`fixtures/cgroup/PROVENANCE.md`), `derived_intervals_reference.txt` (written by the corpus
//! author's `generator/derive.py`), and the hand-computed v2 fixture (`fixtures/cgroup/README.md`).
//!
//! The analyze crate does not depend on ingest, so the samples are loaded here by a minimal
//! cgsnap reader (enough for these fixtures); `ingest/tests/cgroup.rs` runs the same
//! comparison end to end on the real ingest.

use tracefold_analyze::cgroup_intervals;

use cgroup_intervals::{derive_intervals, summarize, CpuVerdict};
use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::cgroup_samples::CgroupSampleRow;

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cgroup").join(rel))
        .unwrap()
}

/// Minimal cgsnap reader: `# ts_ns=`, `/sys/fs/cgroup/<ctrl|unified|v2 path>/<file>:<content>`;
/// content `k=v` pairs after a prefix, `key value`, `cpu.max`'s `max period`, or one value.
fn load(text: &str) -> Vec<CgroupSampleRow> {
    let mut rows = Vec::new();
    let mut t = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("# ts_ns=") {
            t = v.parse().ok();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (path, content) = line.split_once(':').unwrap();
        let rel = path.strip_prefix("/sys/fs/cgroup/").unwrap();
        let (dirs, file) = rel.rsplit_once('/').unwrap_or(("", rel));
        let mut parts: Vec<&str> = dirs.split('/').filter(|s| !s.is_empty()).collect();
        let hierarchy = match parts.first() {
            Some(&"unified") => {
                parts.remove(0);
                "v2".to_string()
            }
            Some(c) if ["cpu", "cpuacct", "pids", "memory"].contains(c) => {
                let h = format!("v1:{c}");
                parts.remove(0);
                h
            }
            _ => "v2".to_string(),
        };
        let cgroup = format!("/{}", parts.join("/"));
        let toks: Vec<&str> = content.split_whitespace().collect();
        let mut push = |key: String, v: &str| {
            rows.push(CgroupSampleRow {
                clock: "wall".into(),
                time_ns: t,
                hierarchy: hierarchy.clone(),
                cgroup: cgroup.clone(),
                file: file.to_string(),
                key,
                value_i64: v.parse().ok(),
                value_f64: v.parse().ok(),
                unlimited: v == "max" || (v == "-1" && file.contains("quota")),
                raw: v.to_string(),
                ..Default::default()
            })
        };
        if file == "cpu.max" {
            push("max".into(), toks[0]);
            push("period".into(), toks[1]);
        } else if toks.len() > 1 && toks[1].contains('=') {
            for kv in &toks[1..] {
                let (k, v) = kv.split_once('=').unwrap();
                push(format!("{}.{k}", toks[0]), v);
            }
        } else if toks.len() == 2 {
            push(toks[0].to_string(), toks[1]);
        } else if toks.len() == 1 {
            push(String::new(), toks[0]);
        }
    }
    rows
}

/// Compares intervals with `derived_intervals_reference.txt`: every line, formatted exactly as
/// `derive.py` prints it (`thr_ratio` 0.00 where no period elapsed, where ours is null).
fn assert_reference(samples: &[CgroupSampleRow], intervals: &[CgroupIntervalRow], reference: &str) {
    let t0 = samples.iter().filter_map(|r| r.time_ns).min().unwrap();
    let first_periods = samples
        .iter()
        .find(|r| r.file == "cpu.stat" && r.key == "nr_periods" && r.time_ns == Some(t0))
        .and_then(|r| r.value_i64)
        .unwrap();
    let first_throttled = samples
        .iter()
        .find(|r| r.file == "cpu.stat" && r.key == "nr_throttled" && r.time_ns == Some(t0))
        .and_then(|r| r.value_i64)
        .unwrap();
    let want: Vec<&str> = reference.lines().skip(1).collect();
    assert_eq!(intervals.len(), want.len());
    let (mut np, mut nt) = (first_periods, first_throttled);
    for (iv, want) in intervals.iter().zip(want) {
        let (dp, dth) = (iv.periods.unwrap(), iv.throttled_periods.unwrap());
        np += dp;
        nt += dth;
        let dt = iv.duration_ns as f64 / 1e9;
        let du = iv.cpu_used_ns.unwrap() as f64 / 1e9 / dt;
        let ms = |share: Option<f64>| share.unwrap() * iv.duration_ns as f64 / 1e6;
        let got = format!(
            "{:6.2} {:4} {:4} {:3} {:3} {:5.2} {:5.2} {:8.1} {:7.1} {:7.1}",
            (iv.end_ns - t0) as f64 / 1e9,
            np,
            nt,
            dp,
            dth,
            iv.throttled_ratio.unwrap_or(0.0),
            du,
            iv.throttled_ns.unwrap() as f64 / 1e6,
            ms(iv.psi_cpu_some),
            ms(iv.psi_cpu_full),
        );
        assert_eq!(got, want);
        // Our own figures agree with the printed ones within their rounding.
        let cols: Vec<f64> = want.split_whitespace().map(|x| x.parse().unwrap()).collect();
        assert!((iv.cpu_used_cores.unwrap() - cols[6]).abs() <= 0.005 + 1e-9, "{want}");
        assert!(!iv.counter_reset);
    }
}

fn run(dir: &str) -> (Vec<CgroupSampleRow>, Vec<CgroupIntervalRow>) {
    let samples = load(&fixture(&format!("{dir}/samples.cgsnap")));
    let intervals = derive_intervals(&samples);
    assert_reference(&samples, &intervals, &fixture(&format!("{dir}/derived_intervals_reference.txt")));
    (samples, intervals)
}

#[test]
fn throttle_run_a_is_quota_throttled() {
    let (_, iv) = run("throttle_run_a");
    assert_eq!(iv.len(), 63);
    assert!(iv.iter().all(|r| r.cgroup == "/tracebench_a" && r.cpu_limit_cores == Some(0.5)));
    assert!(iv.iter().all(|r| r.cpu_quota_ns == Some(50_000_000) && r.cpu_period_ns == Some(100_000_000)));
    let s = &summarize(&iv)[0];
    assert_eq!(s.cpu_limit_cores, Some(0.5));
    assert!(!s.cpu_limit_changed);
    assert_eq!((s.periods, s.throttled_periods), (104, 100));
    assert_eq!(s.throttled_ns, 12_645_572_093);
    assert_eq!(s.cpu_used_ns, 5_045_927_763);
    assert_eq!(s.verdict, CpuVerdict::QuotaThrottled);
    // Busy for ~10 s at the 0.5-core limit.
    let active = s.cpu_used_active_mean_cores.unwrap();
    assert!((0.45..=0.55).contains(&active), "{active}");
    assert!(s.cpu_used_peak_cores.unwrap() < 0.65);
    assert!((s.throttled_ratio.unwrap() - 100.0 / 104.0).abs() < 1e-12);
    assert!((9_500_000_000..=10_800_000_000).contains(&s.active_ns), "{}", s.active_ns);
    assert_eq!(s.throttled_intervals, 47);
    // Throttling makes tasks wait too: PSI is high, and the verdict is still the quota.
    assert!(s.psi_cpu_some_active.unwrap() > 0.8);
    assert_eq!(s.worst_intervals.len(), 5);
    let most = iv.iter().filter_map(|r| r.throttled_ns).max();
    assert_eq!(s.worst_intervals[0].throttled_ns, most);
    assert!((s.worst_intervals[0].throttled_ns.unwrap() as f64 / 1e6 - 404.7).abs() < 0.05);
}

#[test]
fn contended_run_is_contention_not_quota() {
    let (_, iv) = run("contended_run");
    assert_eq!(iv.len(), 64);
    let s = &summarize(&iv)[0];
    assert_eq!(s.cpu_limit_cores, Some(0.5));
    assert_eq!((s.periods, s.throttled_periods), (104, 1));
    assert_eq!(s.throttled_ns, 22_652_379);
    assert_eq!(s.cpu_used_ns, 3_527_010_705);
    assert_eq!(s.verdict, CpuVerdict::Contention);
    // ~0.35 cores in the busy phase, well below the 0.5 limit, while tasks waited most of it.
    let active = s.cpu_used_active_mean_cores.unwrap();
    assert!((0.30..=0.40).contains(&active), "{active}");
    assert!(s.psi_cpu_some_active.unwrap() > 0.8, "{:?}", s.psi_cpu_some_active);
    assert!(s.throttled_ratio.unwrap() < 0.01);
}

#[test]
fn v2_fixture_by_hand() {
    let samples = load(&fixture("v2_synthetic/samples.cgsnap"));
    let iv = derive_intervals(&samples);
    let big: Vec<&CgroupIntervalRow> = iv.iter().filter(|r| r.cgroup == "/big.slice").collect();
    // 9007199254740993 → 9007199254740995 µs: exactly 2 µs, though both pass 2^53.
    assert_eq!(big.len(), 1);
    assert_eq!(big[0].cpu_used_ns, Some(2_000));
    let a: Vec<&CgroupIntervalRow> = iv.iter().filter(|r| r.cgroup == "/system.slice/myapp.service").collect();
    assert_eq!(a.len(), 4);
    const MIB: i64 = 1 << 20;
    let i1 = a[0];
    assert_eq!(i1.duration_ns, 1_000_000_000);
    assert_eq!(i1.cpu_used_ns, Some(1_500_000_000));
    assert_eq!(i1.cpu_used_cores, Some(1.5));
    assert_eq!((i1.cpu_quota_ns, i1.cpu_period_ns, i1.cpu_burst_ns), (Some(200_000_000), Some(100_000_000), Some(0)));
    assert_eq!(i1.cpu_limit_cores, Some(2.0));
    assert_eq!(i1.cpu_limit_utilisation, Some(0.75));
    assert_eq!((i1.periods, i1.throttled_periods, i1.throttled_ratio), (Some(10), Some(5), Some(0.5)));
    assert_eq!((i1.throttled_ns, i1.bursts, i1.burst_used_ns), (Some(200_000_000), Some(1), Some(1_000_000)));
    assert_eq!((i1.psi_cpu_some, i1.psi_cpu_full), (Some(0.3), Some(0.15)));
    assert_eq!((i1.psi_memory_some, i1.psi_memory_full), (Some(0.01), Some(0.005)));
    assert_eq!((i1.psi_io_some, i1.psi_io_full), (Some(0.002), Some(0.001)));
    assert_eq!(i1.memory_current_bytes, Some(600 * MIB));
    assert_eq!(i1.memory_working_set_bytes, Some(500 * MIB));
    assert_eq!(i1.memory_limit_bytes, Some(1024 * MIB));
    assert_eq!(i1.memory_headroom_bytes, Some(524 * MIB));
    assert_eq!(i1.oom_kills, Some(1));
    assert!(!i1.counter_reset);
    let i2 = a[1];
    assert_eq!((i2.cpu_used_cores, i2.throttled_ratio, i2.throttled_ns), (Some(2.0), Some(1.0), Some(400_000_000)));
    assert_eq!((i2.memory_working_set_bytes, i2.memory_headroom_bytes), (Some(550 * MIB), Some(474 * MIB)));
    // Sample 4 is a recreated cgroup: every counter went back. Deltas null, never negative.
    let i3 = a[2];
    assert!(i3.counter_reset);
    assert_eq!((i3.cpu_used_ns, i3.cpu_used_cores, i3.periods, i3.throttled_periods), (None, None, None, None));
    assert_eq!((i3.throttled_ratio, i3.throttled_ns, i3.psi_cpu_some, i3.oom_kills), (None, None, None, None));
    // `memory.max` is `max` now: no limit, no headroom; gauges still read.
    assert_eq!((i3.memory_limit_bytes, i3.memory_headroom_bytes), (None, None));
    assert_eq!(i3.memory_working_set_bytes, Some(40 * MIB));
    let i4 = a[3];
    assert!(!i4.counter_reset);
    assert_eq!((i4.cpu_used_cores, i4.cpu_limit_utilisation), (Some(0.5), Some(0.25)));
    assert_eq!((i4.periods, i4.throttled_periods, i4.throttled_ratio), (Some(10), Some(0), Some(0.0)));
    assert!((i4.psi_cpu_some.unwrap() - 0.1).abs() < 1e-12 && (i4.psi_cpu_full.unwrap() - 0.04).abs() < 1e-12);
    for r in &iv {
        for d in [r.cpu_used_ns, r.periods, r.throttled_periods, r.throttled_ns, r.bursts, r.burst_used_ns, r.oom_kills]
        {
            assert!(d.is_none_or(|d| d >= 0));
        }
    }
    let s = summarize(&iv);
    let s = s.iter().find(|s| s.cgroup == "/system.slice/myapp.service").unwrap();
    assert_eq!(s.counter_resets, 1);
    assert_eq!(s.cpu_used_ns, 4_000_000_000);
    assert_eq!((s.periods, s.throttled_periods, s.throttled_ns), (30, 15, 600_000_000));
    assert_eq!(s.verdict, CpuVerdict::QuotaThrottled);
    assert_eq!(s.cpu_used_peak_cores, Some(2.0));
    assert_eq!(s.memory_working_set_peak_bytes, Some(550 * MIB));
    assert_eq!(s.memory_headroom_min_bytes, Some(474 * MIB));
    assert_eq!(s.oom_kills, 1);
    assert_eq!(s.worst_intervals[0].start_ns, i2.start_ns);
}

#[test]
fn no_samples_no_intervals_and_untimed_rows_are_left_out() {
    assert!(derive_intervals(&[]).is_empty());
    assert!(summarize(&[]).is_empty());
    let untimed =
        CgroupSampleRow { time_ns: None, file: "cpu.stat".into(), key: "usage_usec".into(), ..Default::default() };
    assert!(derive_intervals(&[untimed.clone(), untimed]).is_empty());
}
