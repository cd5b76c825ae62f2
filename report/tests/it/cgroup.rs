//! The cgroup section: `cgroup_intervals` and `gc_cgroup_overlap` rows chosen by hand, rendered
//! and checked number by number.

use std::path::Path;

use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::gc_cgroup_overlap::GcCgroupOverlapRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::runs::SourceRow;
use model::write::RunStaging;

use super::{g1, render, row, write_run, MIB, MS, T0};

const S: i64 = 1_000 * MS;

/// One 1 s interval of cgroup `cgroup` starting `at_s` seconds after T0, 0.5-core limit.
fn interval(
    cgroup: &str,
    at_s: i64,
    used_ms: Option<i64>,
    periods: Option<(i64, i64)>,
    throttled_ms: Option<i64>,
    psi_some: Option<f64>,
) -> CgroupIntervalRow {
    CgroupIntervalRow {
        cgroup: cgroup.into(),
        clock: "wall".into(),
        start_ns: T0 + at_s * S,
        end_ns: T0 + (at_s + 1) * S,
        duration_ns: S,
        cpu_used_ns: used_ms.map(|u| u * MS),
        cpu_used_cores: used_ms.map(|u| (u * MS) as f64 / S as f64),
        cpu_quota_ns: Some(50 * MS),
        cpu_period_ns: Some(100 * MS),
        cpu_limit_cores: Some(0.5),
        cpu_limit_utilisation: used_ms.map(|u| (u * MS) as f64 / S as f64 / 0.5),
        periods: periods.map(|p| p.0),
        throttled_periods: periods.map(|p| p.1),
        throttled_ratio: periods.filter(|p| p.0 > 0).map(|(p, t)| t as f64 / p as f64),
        throttled_ns: throttled_ms.map(|t| t * MS),
        psi_cpu_some: psi_some,
        ..Default::default()
    }
}

fn wall_pause(at_ms: i64, dur_ms: i64) -> GcPauseRow {
    GcPauseRow {
        source: "logs/gctrace.log".into(),
        runtime: "go".into(),
        collector: "Go".into(),
        name: "sweep termination".into(),
        pause_kind: "sweep_termination".into(),
        clock: "wall".into(),
        start_ns: Some(T0 + at_ms * MS),
        end_ns: Some(T0 + at_ms * MS + dur_ms * MS),
        duration_ns: dur_ms * MS,
        ..Default::default()
    }
}

fn write_cgroup_run(
    ds: &Path,
    name: &str,
    ingested_at_ns: i64,
    intervals: Vec<CgroupIntervalRow>,
    pauses: Vec<GcPauseRow>,
    overlap: Vec<GcCgroupOverlapRow>,
) {
    let st = RunStaging::new(ds, name).unwrap();
    st.write(
        "cgsnap",
        [SourceRow {
            ingested_at_ns,
            labels: "cgroup=yes".into(),
            source: format!("{name}/samples.cgsnap"),
            status: "ok".into(),
            gc_heap_max_bytes: None,
            gc_parallel_workers: None,
            ..Default::default()
        }],
    )
    .unwrap();
    if !pauses.is_empty() {
        st.write("go-gctrace", pauses).unwrap();
    }
    st.write("analysis", intervals).unwrap();
    if !overlap.is_empty() {
        st.write("analysis", overlap).unwrap();
    }
    st.commit(&[]).unwrap();
}

/// Quota throttling: 0.5-core limit, 24 of 40 periods throttled, GC pauses on the wall clock.
fn write_throttled(ds: &Path) {
    let mut intervals = vec![
        interval("/svc", 0, Some(500), Some((10, 9)), Some(1_200), Some(0.9)),
        interval("/svc", 1, Some(500), Some((10, 10)), Some(1_500), Some(0.95)),
        interval("/svc", 2, Some(200), Some((10, 0)), Some(0), Some(0.1)),
        interval("/svc", 3, Some(450), Some((10, 5)), Some(300), Some(0.5)),
        // The cgroup was recreated: counters went backwards, deltas are null.
        CgroupIntervalRow { counter_reset: true, ..interval("/svc", 4, None, None, None, Some(0.2)) },
    ];
    for (i, iv) in intervals.iter_mut().enumerate() {
        let ws = if i == 1 { 300 * MIB } else { 200 * MIB };
        iv.memory_current_bytes = Some(ws + 10 * MIB);
        iv.memory_working_set_bytes = Some(ws);
        iv.memory_limit_bytes = Some(512 * MIB);
        iv.memory_headroom_bytes = Some(512 * MIB - ws);
    }
    let mut pauses = vec![wall_pause(500, 5), wall_pause(1_200, 40), wall_pause(2_500, 3)];
    // A pause on a clock without a wall-clock offset: it cannot be placed.
    pauses.push(GcPauseRow { clock: "go_uptime@other".into(), start_ns: Some(3 * S), ..wall_pause(0, 7) });
    let overlap = GcCgroupOverlapRow {
        cgroup: "/svc".into(),
        pauses_in_span: 3,
        pauses_unaligned: 1,
        pauses_throttled: 2,
        throttled_p50_ns: Some(5 * MS),
        throttled_p99_ns: Some(40 * MS),
        pauses_unthrottled: 1,
        unthrottled_p50_ns: Some(3 * MS),
        unthrottled_p99_ns: Some(3 * MS),
        cpu_limit_cores: Some(0.5),
        gc_parallelism: Some(8),
        advice: Some("GOMAXPROCS 8 exceeds the CPU limit (⌈0.5⌉ = 1): set GOMAXPROCS=1.".into()),
    };
    write_cgroup_run(ds, "throttled", T0 + 10 * S, intervals, pauses, vec![overlap]);
}

/// Contention only: the same limit, 1 of 30 periods throttled, CPU pressure 85 %; plus an
/// unlimited root cgroup without CFS counters or pressure.
fn write_contended(ds: &Path) {
    let mut intervals = vec![
        interval("/svc", 0, Some(350), Some((10, 0)), Some(0), Some(0.8)),
        interval("/svc", 1, Some(350), Some((10, 1)), Some(23), Some(0.9)),
        interval("/svc", 2, Some(350), Some((10, 0)), Some(0), Some(0.85)),
    ];
    for at in 0..3 {
        intervals.push(CgroupIntervalRow {
            cpu_quota_ns: None,
            cpu_limit_cores: None,
            cpu_limit_utilisation: None,
            ..interval("/", at, Some(100), None, None, None)
        });
    }
    write_cgroup_run(ds, "contended", T0 + 20 * S, intervals, Vec::new(), Vec::new());
}

#[test]
fn throttled_run_section() {
    let dir = tempfile::tempdir().unwrap();
    write_throttled(&dir.path().join("ds"));
    let (md, summary) = render(dir.path(), None, None).unwrap();

    assert!(md.contains("### CPU limits and throttling"), "{md}");
    assert!(md.contains(
        "1 cgroup with 5 sampling intervals from 2024-03-01 12:00:00.000 UTC to 2024-03-01 12:00:05.000 UTC (5.00 s)"
    ));
    // limit | mean | peak | throttled/periods | share | time | pressure (time-weighted over active
    // intervals: (0.9 + 0.95 + 0.1 + 0.5 + 0.2) / 5) | memory | headroom | resets
    assert_eq!(
        row(&md, "`/svc`"),
        "| `/svc` | 0.5 | 0.41 | 0.50 | 24 / 40 | 60.00 % | 3.00 s | 53.0 % | 300 MiB of 512 MiB | 212 MiB | 1 |"
    );
    assert!(md.contains(
        "- `/svc`: **quota throttling: the CPU limit is too small for the load** — 60.00 % of periods throttled \
         (threshold 20 %)."
    ));
    assert!(md.contains("- `/svc`: a counter went backwards in 1 interval"), "{md}");

    // The three worst intervals by throttled time, in UTC.
    let worst: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| cgroup | start |"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .collect();
    assert_eq!(
        worst,
        [
            "| `/svc` | 2024-03-01 12:00:01.000 UTC | 2024-03-01 12:00:02.000 UTC | 0.50 | 0.5 | 10 / 10 | 1.50 s | 95.0 % |",
            "| `/svc` | 2024-03-01 12:00:00.000 UTC | 2024-03-01 12:00:01.000 UTC | 0.50 | 0.5 | 9 / 10 | 1.20 s | 90.0 % |",
            "| `/svc` | 2024-03-01 12:00:03.000 UTC | 2024-03-01 12:00:04.000 UTC | 0.45 | 0.5 | 5 / 10 | 300.00 ms | 50.0 % |",
        ]
    );

    // GC join.
    assert!(md.contains("#### GC pauses vs throttling"));
    assert!(
        md.contains("| `/svc` | 3 | 2 | 5.00 ms | 40.00 ms | 1 | 3.00 ms | 3.00 ms | 1 | 8 vs limit 0.5 |"),
        "{md}"
    );
    assert!(
        md.contains(
            "- 1 pause could not be placed on the wall-clock timeline (column *not placed*): no wall-clock offset is \
         known for their clock (`go_uptime@other`)"
        ),
        "{md}"
    );
    assert!(md.contains("- **Advice** for `/svc`: GOMAXPROCS 8 exceeds the CPU limit (⌈0.5⌉ = 1): set GOMAXPROCS=1."));

    // The timeline figure: linked, captioned, an SVG with the three placed pauses marked.
    assert!(md.contains("](cgroup-throttled.svg)"), "{md}");
    assert!(md.contains(
        "*1 of 4 GC pauses are not marked: their clock (`go_uptime@other`) has no wall-clock offset in `clock_offsets`.*"
    ), "{md}");
    let path = dir.path().join("out/cgroup-throttled.svg");
    assert!(summary.images.contains(&path));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("GC pause (3)"), "pause legend");
    assert!(svg.contains("CPU limit") && svg.contains("CPU used (/svc)"), "legend");
    // The single-run summary table has no cgroup rows.
    assert!(!md.lines().any(|l| l.starts_with("| CPU limit (cores) |")));
}

#[test]
fn contention_only_section() {
    let dir = tempfile::tempdir().unwrap();
    write_contended(&dir.path().join("ds"));
    let (md, summary) = render(dir.path(), None, None).unwrap();
    assert!(md.contains("2 cgroups with 6 sampling intervals"), "{md}");
    assert_eq!(
        row(&md, "`/svc`"),
        "| `/svc` | 0.5 | 0.35 | 0.35 | 1 / 30 | 3.33 % | 23.00 ms | 85.0 % | n/a | n/a | 0 |"
    );
    assert_eq!(row(&md, "`/`"), "| `/` | unlimited | 0.10 | 0.10 | n/a | n/a | n/a | n/a | n/a | n/a | 0 |");
    assert!(md.contains(
        "- `/svc`: **CPU contention without throttling: other work on the host/cgroup competes for CPU; raising the \
         quota will not help** — CPU pressure `some` 85.0 % of active time (threshold 10 %), 3.33 % of periods \
         throttled."
    ), "{md}");
    assert!(
        md.contains("- `/`: **no CPU constraint seen** — no CFS period counters; no CPU pressure captured."),
        "{md}"
    );
    assert!(!md.contains("quota throttling: the CPU limit is too small"));
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `/svc` | 2024-")).collect::<Vec<_>>(),
        ["| `/svc` | 2024-03-01 12:00:01.000 UTC | 2024-03-01 12:00:02.000 UTC | 0.35 | 0.5 | 1 / 10 | 23.00 ms | 90.0 % |"]
    );
    // No pauses, no overlap rows: no GC join.
    assert!(!md.contains("GC pauses vs throttling"));
    let svg = std::fs::read_to_string(dir.path().join("out/cgroup-contended.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("limit: /svc") && svg.contains("used: /"), "one legend entry per cgroup");
    assert!(!svg.contains("GC pause ("));
    assert_eq!(summary.images.len(), 1, "{:?}", summary.images);
}

#[test]
fn comparison_rows_when_both_runs_have_cgroups() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_throttled(&ds);
    write_contended(&ds);
    let (md, _) = render(dir.path(), None, None).unwrap();
    assert_eq!(row(&md, "CPU limit (cores)"), "| CPU limit (cores) | 0.5 | 0.5 | ±0.0 % (same) |");
    assert_eq!(
        row(&md, "throttled periods (%)"),
        "| throttled periods (%) | 60.00 % | 3.33 % | \u{2212}56.67 pp (better) |"
    );
    assert_eq!(row(&md, "throttled time"), "| throttled time | 3.00 s | 23.00 ms | ÷ 130 (better) |");
    // The rows follow the existing ones.
    let metrics: Vec<&str> =
        md.lines().skip_while(|l| !l.starts_with("| metric |")).skip(2).take_while(|l| l.starts_with("| ")).collect();
    assert_eq!(metrics.len(), 16, "{metrics:?}");
    assert!(metrics[12].starts_with("| MMU 1 s |") && metrics[13].starts_with("| CPU limit (cores) |"));
    assert!(md.contains("cgroup rows describe the cgroup that used the most CPU in each run (`/svc` in the baseline"));
    assert!(md.contains("](cgroup-throttled.svg)") && md.contains("](cgroup-contended.svg)"));
}

#[test]
fn comparison_unchanged_when_one_run_has_no_cgroups() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_run(&ds, &g1());
    write_throttled(&ds);
    let (md, summary) = render(dir.path(), None, None).unwrap();
    assert!(!md.lines().any(|l| l.starts_with("| CPU limit (cores) |")));
    assert!(!md.lines().any(|l| l.starts_with("| throttled periods (%) |")));
    assert!(!md.contains("cgroup rows describe"));
    // Only the run with cgroup data has the section and the figure.
    assert_eq!(md.matches("### CPU limits and throttling").count(), 1);
    assert!(!dir.path().join("out/cgroup-jdk17-g1.svg").exists());
    assert!(summary.images.contains(&dir.path().join("out/cgroup-throttled.svg")));
}
