//! Integration tests of `tracefold_analyze::analyze`: small datasets written with
//! `model::write::RunStaging`, analysed, and read back with `model::read::read_table`.

mod cgroup;
mod epoll;
mod perf_top;

use std::path::Path;

use model::read::read_table;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_mmu::GcMmuRow;
use model::tables::gc_pause_stats::GcPauseStatsRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::gc_run_summary::GcRunSummaryRow;
use model::tables::runs::SourceRow;
use model::write::{partition_dir, RunStaging};
use tracefold_analyze::{analyze, AnalyzeError, AnalyzeOptions, AnalyzeSummary};

const MS: i64 = 1_000_000;
const MB: i64 = 1_000_000;

struct P<'a> {
    source: &'a str,
    collector: &'a str,
    kind: &'a str,
    cause: Option<&'a str>,
    start: i64,
    end: Option<i64>,
    dur: i64,
    heap: Option<(i64, i64, i64)>,
}

fn pause(p: P) -> GcPauseRow {
    GcPauseRow {
        source: p.source.into(),
        line: p.start / MS + 1,
        runtime: if p.collector == "Go" { "go" } else { "jvm" }.into(),
        collector: p.collector.into(),
        gc_id: None,
        name: p.kind.into(),
        pause_kind: p.kind.into(),
        cause: p.cause.map(Into::into),
        clock: "uptime".into(),
        start_ns: Some(p.start),
        end_ns: p.end,
        line_wall_ns: None,
        duration_ns: p.dur,
        heap_before_bytes: p.heap.map(|h| h.0),
        heap_after_bytes: p.heap.map(|h| h.1),
        heap_committed_bytes: p.heap.map(|h| h.2),
    }
}

fn cycle(source: &str, start: i64, dur: i64, before: i64, after: i64) -> GcCycleRow {
    GcCycleRow {
        source: source.into(),
        line: 1,
        runtime: "go".into(),
        collector: "Go".into(),
        name: "gc".into(),
        clock: "uptime".into(),
        start_ns: Some(start),
        duration_ns: Some(dur),
        concurrent: true,
        heap_before_bytes: Some(before),
        heap_after_bytes: Some(after),
        ..Default::default()
    }
}

fn write_run(dataset: &Path, run: &str, pauses: Vec<GcPauseRow>, cycles: Vec<GcCycleRow>) {
    let staging = RunStaging::new(dataset, run).unwrap();
    staging.write::<GcPauseRow>("test", pauses).unwrap();
    if !cycles.is_empty() {
        staging.write::<GcCycleRow>("test", cycles).unwrap();
    }
    staging.commit(&[]).unwrap();
}

fn run_all(dataset: &Path) -> AnalyzeSummary {
    analyze(&AnalyzeOptions { dataset: dataset.to_path_buf(), runs: None }).unwrap()
}

/// Source a.log (G1): [0,10) young, [50,60) young (end stamped), [100,140) full, heap figures.
/// Source b.log (Go): [0,2) and [1000,1001) ms, no heap on pauses; two cycles with heap figures.
fn hand_dataset(dataset: &Path) {
    let evac = Some("G1 Evacuation Pause");
    let g1 =
        |kind, cause, start, end, dur, heap| P { source: "a.log", collector: "G1", kind, cause, start, end, dur, heap };
    let go =
        |kind, start, dur| P { source: "b.log", collector: "Go", kind, cause: None, start, end: None, dur, heap: None };
    let pauses = vec![
        pause(g1("young", evac, 0, None, 10 * MS, Some((100 * MB, 20 * MB, 256 * MB)))),
        pause(g1("young", evac, 50 * MS, Some(60 * MS), 10 * MS, Some((70 * MB, 30 * MB, 256 * MB)))),
        pause(g1("full", Some("System.gc()"), 100 * MS, None, 40 * MS, Some((80 * MB, 10 * MB, 300 * MB)))),
        pause(go("sweep_termination", 0, 2 * MS)),
        pause(go("mark_termination", 1000 * MS, MS)),
    ];
    let cycles = vec![cycle("b.log", 0, 5 * MS, 4 * MB, 3 * MB), cycle("b.log", 1000 * MS, 3 * MS, 8 * MB, 2 * MB)];
    write_run(dataset, "hand", pauses, cycles);
}

fn stats(collector: &str, kind: Option<&str>, cause: Option<&str>, sorted_ns: &[i64]) -> GcPauseStatsRow {
    // Hand-filled nearest-rank figures for the small groups below (n ≤ 3).
    let n = sorted_ns.len();
    let total: i64 = sorted_ns.iter().sum();
    let rank = |pm: usize| sorted_ns[(pm * n).div_ceil(1000) - 1];
    GcPauseStatsRow {
        collector: collector.into(),
        pause_kind: kind.map(Into::into),
        cause: cause.map(Into::into),
        count: n as i64,
        total_ns: total,
        mean_ns: total / n as i64,
        p50_ns: rank(500),
        p90_ns: rank(900),
        p95_ns: rank(950),
        p99_ns: rank(990),
        p999_ns: rank(999),
        max_ns: sorted_ns[n - 1],
    }
}

#[test]
fn hand_computed_figures() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    hand_dataset(ds);
    let summary = run_all(ds);
    assert_eq!(summary.runs.len(), 1);
    let run = &summary.runs[0];
    assert_eq!((run.run.as_str(), run.pauses, run.cycles), ("hand", 5, 2));
    let written: Vec<(&str, usize)> = run.tables_written.iter().map(|t| (t.table, t.rows)).collect();
    assert_eq!(written, [("gc_pause_stats", 9), ("gc_run_summary", 1), ("gc_mmu", 10)]);

    let got = read_table::<GcPauseStatsRow>(ds, "hand").unwrap();
    let expected = vec![
        // G1 [10, 10, 40] ms: p50 = rank 2 = 10 ms, p90 = rank 3 = 40 ms, mean 20 ms.
        stats("G1", None, None, &[10 * MS, 10 * MS, 40 * MS]),
        stats("G1", Some("full"), None, &[40 * MS]),
        stats("G1", Some("young"), None, &[10 * MS, 10 * MS]),
        stats("G1", None, Some("G1 Evacuation Pause"), &[10 * MS, 10 * MS]),
        stats("G1", None, Some("System.gc()"), &[40 * MS]),
        // Go [1, 2] ms: p50 = rank 1 = 1 ms, p90 = rank 2 = 2 ms, mean 1.5 ms.
        stats("Go", None, None, &[MS, 2 * MS]),
        stats("Go", Some("mark_termination"), None, &[MS]),
        stats("Go", Some("sweep_termination"), None, &[2 * MS]),
        stats("Go", None, Some("(none)"), &[MS, 2 * MS]),
    ];
    assert_eq!(got, expected);
    assert_eq!((got[0].p50_ns, got[0].p90_ns, got[0].mean_ns), (10 * MS, 40 * MS, 20 * MS));
    assert_eq!((got[5].p50_ns, got[5].p90_ns, got[5].mean_ns), (MS, 2 * MS, 1_500_000));

    let s = read_table::<GcRunSummaryRow>(ds, "hand").unwrap();
    assert_eq!(s.len(), 1);
    let s = &s[0];
    assert_eq!((s.collectors.as_str(), s.runtimes.as_str()), ("G1,Go", "go,jvm"));
    assert_eq!((s.pause_count, s.cycle_count, s.full_gc_count), (5, 2, 1));
    assert_eq!((s.pause_total_ns, s.pause_mean_ns, s.pause_max_ns), (63 * MS, 12_600_000, 40 * MS));
    // Spans: a.log 0..140 ms, b.log 0..1001 ms.
    assert_eq!(s.span_ns, 1141 * MS);
    assert_eq!(s.stw_share, 63.0 / 1141.0);
    assert_eq!(s.throughput, 1.0 - 63.0 / 1141.0);
    // a.log from pauses: 70 − 20 + 80 − 30 = 100 MB from 10 ms (first end) to 100 ms (last
    // start); b.log from cycles (no live heap: what is left is heap-after): 8 − 3 = 5 MB from
    // 5 to 1000 ms. 105 MB / (90 + 995) ms.
    let rate = s.alloc_rate_bytes_per_s.unwrap();
    assert!((rate - 105e6 / 1.085).abs() < 1e-6, "{rate}");
    assert_eq!(s.heap_committed_max_bytes, Some(300 * MB));
    // 10 ms: a.log has a 10 ms pause → 0. 100 ms: a.log [40,140] holds 10 + 40 ms → 0.5
    // (b.log: 0.98). 1 s: only b.log is long enough: [1,1001] ms holds 1 + 1 ms → 0.998.
    assert_eq!((s.mmu_10ms, s.mmu_100ms, s.mmu_1s), (Some(0.0), Some(0.5), Some(0.998)));

    let mmu: Vec<(i64, f64)> =
        read_table::<GcMmuRow>(ds, "hand").unwrap().into_iter().map(|r| (r.window_ns / MS, r.mmu)).collect();
    // 50 ms: a.log [90,140] holds 40 ms → 0.2. 200/500 ms: only b.log, 2 ms paused.
    let expected = [
        (1, 0.0),
        (2, 0.0),
        (5, 0.0),
        (10, 0.0),
        (20, 0.0),
        (50, 0.2),
        (100, 0.5),
        (200, 0.99),
        (500, 0.996),
        (1000, 0.998),
    ];
    assert_eq!(mmu, expected);
}

/// Splits "2026-11-26T09:49:39.552003256Z" into ns since midnight.
fn ns_of_day(stamp: &str) -> i64 {
    let time = stamp.split('T').nth(1).unwrap().trim_end_matches('Z');
    let (hms, frac) = time.split_once('.').unwrap();
    let secs = hms.split(':').fold(0i64, |acc, part| acc * 60 + part.parse::<i64>().unwrap());
    secs * 1_000_000_000 + format!("{frac:0<9}").parse::<i64>().unwrap()
}

/// "14.595309" ms → 14595309 ns, exactly (no float).
fn ms_to_ns(ms: &str) -> i64 {
    let (int, frac) = ms.split_once('.').unwrap_or((ms, ""));
    int.parse::<i64>().unwrap() * MS + format!("{frac:0<6}").parse::<i64>().unwrap()
}

#[test]
fn g1_oracle_reproduces_manifest() {
    let csv = std::fs::read_to_string(model::package_dir(env!("CARGO_MANIFEST_DIR")).join("tests/data/g1.pauses.csv"))
        .unwrap();
    let pauses: Vec<GcPauseRow> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let kind = match f[1] {
                "Pause Remark" => "remark",
                "Pause Cleanup" => "cleanup",
                _ => "young",
            };
            GcPauseRow {
                source: "g1.jfr".into(),
                line: 0,
                runtime: "jvm".into(),
                collector: "G1".into(),
                gc_id: Some(f[0].parse().unwrap()),
                name: f[1].into(),
                pause_kind: kind.into(),
                clock: "wall".into(),
                start_ns: Some(ns_of_day(f[2])),
                duration_ns: ms_to_ns(f[3]),
                ..Default::default()
            }
        })
        .collect();
    assert_eq!(pauses.len(), 27);
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), "g1", pauses, Vec::new());
    run_all(dir.path());
    let rows = read_table::<GcPauseStatsRow>(dir.path(), "g1").unwrap();
    let all = rows.iter().find(|r| r.pause_kind.is_none() && r.cause.is_none()).unwrap();
    // MANIFEST.md, JVM table, row g1 (ms, rounded to the µs): 27 pauses, p50 16.429,
    // p90 80.227, p99 442.687, max 442.687, total STW 1134.470.
    let near = |got: i64, ms: f64| (got - (ms * 1e6).round() as i64).abs() <= 1000;
    assert_eq!(all.count, 27);
    assert!(near(all.p50_ns, 16.429), "p50 {}", all.p50_ns);
    assert!(near(all.p90_ns, 80.227), "p90 {}", all.p90_ns);
    assert!(near(all.p99_ns, 442.687), "p99 {}", all.p99_ns);
    assert!(near(all.max_ns, 442.687), "max {}", all.max_ns);
    assert!(near(all.total_ns, 1134.470), "total {}", all.total_ns);
    // And exactly, from the CSV's ns-precise durations.
    assert_eq!((all.p50_ns, all.p99_ns, all.total_ns), (16_429_031, 442_686_821, 1_134_469_654));
    let summary = &read_table::<GcRunSummaryRow>(dir.path(), "g1").unwrap()[0];
    assert_eq!((summary.pause_count, summary.pause_total_ns, summary.pause_max_ns), (27, 1_134_469_654, 442_686_821));
}

/// A few thousand pseudo-random pauses over several runs and sources.
fn synthetic_dataset(dataset: &Path) {
    let mut seed: u64 = 42;
    let mut next = move |m: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    let kinds = ["young", "mixed", "full", "remark"];
    let causes = [Some("G1 Evacuation Pause"), Some("Allocation Failure"), None];
    for r in 0..6 {
        let mut pauses = Vec::new();
        let mut cycles = Vec::new();
        for (s, source) in ["x.log", "y.log", "z.log"].iter().enumerate() {
            let mut t = next(1000) as i64 * MS;
            for i in 0..(300 + 100 * s + 50 * r) {
                let dur = next(50_000) as i64 * 1000 + 1;
                let collector = if s == 2 { "Go" } else { "G1" };
                let before = next(200) as i64 * MB;
                let heap = (s != 2).then(|| (before, before / 3, 256 * MB + next(4) as i64 * MB));
                let kind = kinds[next(4) as usize];
                let cause = causes[next(3) as usize];
                pauses.push(pause(P { source, collector, kind, cause, start: t, end: None, dur, heap }));
                if s == 2 && i % 2 == 0 {
                    cycles.push(cycle(source, t, dur * 2, before, before / 2));
                }
                t += dur + next(200) as i64 * MS;
            }
        }
        write_run(dataset, &format!("run-{r}"), pauses, cycles);
    }
}

type Tables = Vec<(Vec<GcPauseStatsRow>, Vec<GcRunSummaryRow>, Vec<GcMmuRow>)>;

fn analyze_in_pool(dataset: &Path, threads: usize) -> (AnalyzeSummary, Tables) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let summary = pool.install(|| run_all(dataset));
    let tables = summary
        .runs
        .iter()
        .map(|r| {
            (
                read_table::<GcPauseStatsRow>(dataset, &r.run).unwrap(),
                read_table::<GcRunSummaryRow>(dataset, &r.run).unwrap(),
                read_table::<GcMmuRow>(dataset, &r.run).unwrap(),
            )
        })
        .collect();
    (summary, tables)
}

#[test]
fn one_and_four_threads_give_identical_rows() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_dataset(dir.path());
    let (s1, t1) = analyze_in_pool(dir.path(), 1);
    let (s4, t4) = analyze_in_pool(dir.path(), 4);
    assert_eq!(s1.runs.len(), 6);
    assert!(t1.iter().all(|(stats, summary, mmu)| !stats.is_empty() && summary.len() == 1 && !mmu.is_empty()));
    assert_eq!(s1, s4);
    assert_eq!(t1, t4);
    // Bit-identical floats too (PartialEq on f64 would accept -0.0 == 0.0).
    let bits = |t: &Tables| -> Vec<u64> {
        t.iter()
            .flat_map(|(_, s, m)| s.iter().map(|r| r.stw_share.to_bits()).chain(m.iter().map(|r| r.mmu.to_bits())))
            .collect()
    };
    assert_eq!(bits(&t1), bits(&t4));
}

#[test]
fn selected_runs_only_and_unknown_runs_fail() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    hand_dataset(ds);
    let p = |source| {
        pause(P { source, collector: "G1", kind: "young", cause: None, start: 0, end: None, dur: MS, heap: None })
    };
    write_run(ds, "other", vec![p("c.log")], Vec::new());
    let only = |runs: &[&str]| {
        analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: Some(runs.iter().map(|r| r.to_string()).collect()) })
    };
    let s = only(&["other", "other"]).unwrap();
    assert_eq!(s.runs.len(), 1);
    assert_eq!((s.runs[0].run.as_str(), s.runs[0].pauses), ("other", 1));
    assert_eq!(read_table::<GcRunSummaryRow>(ds, "other").unwrap().len(), 1);
    assert!(read_table::<GcRunSummaryRow>(ds, "hand").unwrap().is_empty());

    let err = only(&["nope"]).unwrap_err();
    assert!(matches!(err, AnalyzeError::UnknownRun { .. }), "{err}");
    assert!(err.to_string().contains(&ds.display().to_string()), "{err}");
    assert!(matches!(only(&["../hand"]).unwrap_err(), AnalyzeError::UnknownRun { .. }));

    let missing = ds.join("absent");
    let err = analyze(&AnalyzeOptions { dataset: missing.clone(), runs: None }).unwrap_err();
    assert!(matches!(err, AnalyzeError::DatasetNotFound { .. }));
    assert!(err.to_string().contains(&missing.display().to_string()));
    // A directory that is not a dataset (a folder of logs, say) is said to be one, not analysed.
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("gc.log"), "x").unwrap();
    let err = analyze(&AnalyzeOptions { dataset: logs, runs: None }).unwrap_err();
    assert!(matches!(err, AnalyzeError::NotADataset { .. }), "{err}");
}

#[test]
fn run_without_gc_data_loses_stale_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    // Run "perf" is in the `runs` table only, but has a stale gc_run_summary partition.
    let staging = RunStaging::new(ds, "perf").unwrap();
    staging
        .write::<SourceRow>(
            "test",
            [SourceRow { source: "perf.data".into(), status: "ok".into(), ..Default::default() }],
        )
        .unwrap();
    staging.write::<GcRunSummaryRow>("analysis", [GcRunSummaryRow::default()]).unwrap();
    staging.commit(&[]).unwrap();
    let s = run_all(ds);
    assert_eq!(s.runs.len(), 1);
    assert_eq!((s.runs[0].run.as_str(), s.runs[0].pauses, s.runs[0].tables_written.len()), ("perf", 0, 0));
    assert!(!partition_dir(ds, "gc_run_summary", "perf").exists());
    assert!(!ds.join(".staging").exists());
}

#[test]
fn corrupt_partition_error_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    let part = partition_dir(ds, "gc_pauses", "bad");
    std::fs::create_dir_all(&part).unwrap();
    std::fs::write(part.join("part-0.parquet"), b"not parquet").unwrap();
    let err = run_all_err(ds);
    assert!(err.to_string().contains(&part.display().to_string()), "{err}");
}

fn run_all_err(dataset: &Path) -> AnalyzeError {
    analyze(&AnalyzeOptions { dataset: dataset.to_path_buf(), runs: None }).unwrap_err()
}
