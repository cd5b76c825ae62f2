//! End-to-end tests of the report: a small two-run dataset written with `model::write`, rendered,
//! snapshotted and checked number by number.

use std::path::Path;

use model::tables::clock_offsets::ClockOffsetRow;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_mmu::GcMmuRow;
use model::tables::gc_pause_stats::GcPauseStatsRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::gc_run_summary::GcRunSummaryRow;
use model::tables::ingest_log::IngestLogRow;
use model::tables::runs::SourceRow;
use model::tables::safepoints::SafepointRow;
use model::write::RunStaging;
use tracefold_report::{report, ReportError, ReportOptions};

mod bpftrace;
mod cgroup;
mod epoll;
mod flame;

const MS: i64 = 1_000_000;
const US: i64 = 1_000;
const MIB: i64 = 1024 * 1024;
const GIB: i64 = 1024 * MIB;
/// 2024-03-01 12:00:00 UTC.
const T0: i64 = 1_709_294_400_000_000_000;

struct Pause {
    kind: &'static str,
    cause: &'static str,
    at_ms: i64,
    dur_ns: i64,
}

struct RunSpec {
    name: &'static str,
    ingested_at_ns: i64,
    labels: &'static str,
    collector: &'static str,
    heap_max: i64,
    pauses: Vec<Pause>,
    full_gcs: i64,
    alloc: f64,
    mmu: [f64; 3],
}

/// Nearest-rank, as the analysis tables define it.
fn nr(sorted: &[i64], q: f64) -> i64 {
    let rank = ((q * sorted.len() as f64) - 1e-9).ceil().max(1.0) as usize;
    sorted[rank - 1]
}

fn stats(collector: &str, kind: Option<&str>, cause: Option<&str>, durations: &[i64]) -> GcPauseStatsRow {
    let mut d = durations.to_vec();
    d.sort_unstable();
    let total: i64 = d.iter().sum();
    GcPauseStatsRow {
        collector: collector.into(),
        pause_kind: kind.map(Into::into),
        cause: cause.map(Into::into),
        count: d.len() as i64,
        total_ns: total,
        mean_ns: (total as f64 / d.len() as f64).round() as i64,
        p50_ns: nr(&d, 0.5),
        p90_ns: nr(&d, 0.9),
        p95_ns: nr(&d, 0.95),
        p99_ns: nr(&d, 0.99),
        p999_ns: nr(&d, 0.999),
        max_ns: *d.last().unwrap(),
    }
}

fn write_run(dataset: &Path, spec: &RunSpec) {
    let source = format!("logs/{}.log", spec.name);
    let clock = format!("jvm_uptime@{}", spec.name);
    let st = RunStaging::new(dataset, spec.name).unwrap();
    st.write(
        "jvm-unified",
        [SourceRow {
            ingested_at_ns: spec.ingested_at_ns,
            labels: spec.labels.into(),
            source: source.clone(),
            size_bytes: 123_456,
            sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            format: Some("jvm-unified".into()),
            tool_version: Some("17.0.9+9".into()),
            status: "ok".into(),
            gc_heap_max_bytes: None,
            gc_parallel_workers: None,
        }],
    )
    .unwrap();
    let pauses: Vec<GcPauseRow> = spec
        .pauses
        .iter()
        .enumerate()
        .map(|(i, p)| GcPauseRow {
            source: source.clone(),
            line: 10 + i as i64,
            runtime: "jvm".into(),
            collector: spec.collector.into(),
            gc_id: Some(i as i64),
            name: format!("Pause {}", p.kind),
            pause_kind: p.kind.into(),
            cause: Some(p.cause.into()),
            clock: clock.clone(),
            start_ns: Some(1_000 * MS + p.at_ms * MS),
            end_ns: Some(1_000 * MS + p.at_ms * MS + p.dur_ns),
            line_wall_ns: None,
            duration_ns: p.dur_ns,
            heap_before_bytes: Some(100 * MIB),
            heap_after_bytes: Some(20 * MIB),
            heap_committed_bytes: Some(spec.heap_max),
        })
        .collect();
    st.write("jvm-unified", pauses).unwrap();
    st.write(
        "jvm-unified",
        [GcCycleRow {
            source: source.clone(),
            line: 9,
            runtime: "jvm".into(),
            collector: spec.collector.into(),
            name: "Concurrent Cycle".into(),
            clock: clock.clone(),
            concurrent: true,
            ..Default::default()
        }],
    )
    .unwrap();
    st.write(
        "jvm-unified",
        [ClockOffsetRow {
            clock: clock.clone(),
            offset_ns: T0,
            method: "jvm-time+uptime-decorators".into(),
            observations: 42,
            spread_ns: 1_500 * US,
            evidence: "[2024-03-01T12:00:01.000+0000][1.000s] Using G1".into(),
        }],
    )
    .unwrap();
    st.write(
        "jvm-unified",
        [
            SafepointRow {
                source: source.clone(),
                line: 20,
                operation: Some("G1CollectForAllocation".into()),
                clock: clock.clone(),
                end_ns: Some(2_000 * MS),
                reaching_ns: Some(50 * US),
                total_ns: 3 * MS,
                ..Default::default()
            },
            SafepointRow {
                source: source.clone(),
                line: 30,
                operation: Some("Cleanup".into()),
                clock: clock.clone(),
                end_ns: Some(3_000 * MS),
                reaching_ns: Some(20 * US),
                total_ns: 100 * US,
                ..Default::default()
            },
        ],
    )
    .unwrap();
    st.write(
        "jvm-unified",
        [
            IngestLogRow {
                source: source.clone(),
                format: Some("jvm-unified".into()),
                kind: "total".into(),
                read: 100,
                parsed: 90,
                skipped: 10,
                ..Default::default()
            },
            IngestLogRow {
                source: source.clone(),
                format: Some("jvm-unified".into()),
                kind: "skip".into(),
                reason: Some("truncated line".into()),
                skipped: 3,
                first_line: Some(57),
                examples: Some("line 57: [1.234s][info][gc] GC(3) Pause Yo\nline 80: [2.0s]".into()),
                ..Default::default()
            },
            IngestLogRow {
                source: source.clone(),
                format: Some("jvm-unified".into()),
                kind: "ignore".into(),
                reason: Some("phase timing".into()),
                skipped: 7,
                first_line: Some(12),
                examples: Some("line 12: [1.0s][info][gc,phases] GC(0) Pre Evacuate".into()),
                ..Default::default()
            },
        ],
    )
    .unwrap();

    // Analysis tables, consistent with the pauses above.
    let all: Vec<i64> = spec.pauses.iter().map(|p| p.dur_ns).collect();
    let mut rows = vec![stats(spec.collector, None, None, &all)];
    for group_by_kind in [true, false] {
        let mut keys: Vec<&str> = spec.pauses.iter().map(|p| if group_by_kind { p.kind } else { p.cause }).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let d: Vec<i64> = spec
                .pauses
                .iter()
                .filter(|p| (if group_by_kind { p.kind } else { p.cause }) == key)
                .map(|p| p.dur_ns)
                .collect();
            let (k, c) = if group_by_kind { (Some(key), None) } else { (None, Some(key)) };
            rows.push(stats(spec.collector, k, c, &d));
        }
    }
    st.write("analysis", rows).unwrap();
    let total: i64 = all.iter().sum();
    let span = 10_000 * MS;
    st.write(
        "analysis",
        [GcRunSummaryRow {
            collectors: spec.collector.into(),
            runtimes: "jvm".into(),
            pause_count: all.len() as i64,
            cycle_count: 1,
            full_gc_count: spec.full_gcs,
            pause_total_ns: total,
            pause_mean_ns: (total as f64 / all.len() as f64).round() as i64,
            pause_max_ns: *all.iter().max().unwrap(),
            span_ns: span,
            stw_share: total as f64 / span as f64,
            throughput: 1.0 - total as f64 / span as f64,
            alloc_rate_bytes_per_s: Some(spec.alloc),
            heap_committed_max_bytes: Some(spec.heap_max),
            mmu_10ms: Some(spec.mmu[0]),
            mmu_100ms: Some(spec.mmu[1]),
            mmu_1s: Some(spec.mmu[2]),
        }],
    )
    .unwrap();
    st.write(
        "analysis",
        [(1, spec.mmu[0]), (10, spec.mmu[1]), (100, spec.mmu[1]), (1000, spec.mmu[2])]
            .map(|(w, mmu)| GcMmuRow { window_ns: w * 10 * MS, mmu }),
    )
    .unwrap();
    st.commit(&[]).unwrap();
}

fn g1() -> RunSpec {
    RunSpec {
        name: "jdk17-g1",
        ingested_at_ns: T0 + 3_600 * 1_000 * MS,
        labels: "jdk=17;gc=G1;heap=256m",
        collector: "G1",
        heap_max: 256 * MIB,
        pauses: vec![
            Pause { kind: "young", cause: "G1 Evacuation Pause", at_ms: 0, dur_ns: 2 * MS },
            Pause { kind: "young", cause: "G1 Evacuation Pause", at_ms: 2_000, dur_ns: 8 * MS },
            Pause { kind: "mixed", cause: "G1 Evacuation Pause", at_ms: 5_000, dur_ns: 10 * MS },
            Pause { kind: "full", cause: "System.gc()", at_ms: 9_980, dur_ns: 20 * MS },
        ],
        full_gcs: 1,
        alloc: 512.0 * MIB as f64,
        mmu: [0.0, 0.8, 0.98],
    }
}

fn zgc() -> RunSpec {
    RunSpec {
        name: "jdk21-zgc",
        ingested_at_ns: T0 + 7_200 * 1_000 * MS,
        labels: "jdk=21;gc=ZGC",
        collector: "ZGC",
        heap_max: 16 * GIB,
        pauses: vec![
            Pause { kind: "mark_start", cause: "Allocation Rate", at_ms: 0, dur_ns: 100 * US },
            Pause { kind: "mark_end", cause: "Allocation Rate", at_ms: 1_000, dur_ns: 200 * US },
            Pause { kind: "relocate_start", cause: "Allocation Rate", at_ms: 2_000, dur_ns: 300 * US },
            Pause { kind: "mark_start", cause: "Proactive", at_ms: 5_000, dur_ns: 400 * US },
            Pause { kind: "mark_end", cause: "Proactive", at_ms: 6_000, dur_ns: 500 * US },
            Pause { kind: "relocate_start", cause: "Proactive", at_ms: 9_990, dur_ns: 1_300 * US },
        ],
        full_gcs: 0,
        alloc: GIB as f64,
        mmu: [0.87, 0.987, 0.9987],
    }
}

fn two_run_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    // Ingestion order (not name order) decides the default baseline.
    write_run(&ds, &zgc());
    write_run(&ds, &g1());
    dir
}

fn render(
    dir: &Path,
    baseline: Option<&str>,
    candidate: Option<&str>,
) -> Result<(String, tracefold_report::ReportSummary), ReportError> {
    let opts = ReportOptions {
        dataset: dir.join("ds"),
        out_dir: dir.join("out"),
        baseline: baseline.map(Into::into),
        candidate: candidate.map(Into::into),
    };
    let summary = report(&opts)?;
    // To look at the output (report, figures and the dataset):
    // TRACEFOLD_REPORT_TEST_OUT=/some/dir cargo test -p tracefold-report
    if let Ok(keep) = std::env::var("TRACEFOLD_REPORT_TEST_OUT") {
        let keep = Path::new(&keep).join(summary.runs.join("-vs-"));
        copy_dir(&opts.out_dir, &keep);
        copy_dir(&opts.dataset, &keep.join("dataset"));
    }
    let md = std::fs::read_to_string(&summary.report_path).unwrap();
    let md = md.replace(&opts.dataset.display().to_string(), "<DATASET>").replace(&model::producer(), "<PRODUCER>");
    Ok((md, summary))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, dest).unwrap();
        }
    }
}

fn row<'a>(md: &'a str, metric: &str) -> &'a str {
    let prefix = format!("| {metric} |");
    md.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no row `{metric}` in:\n{md}"))
}

#[test]
fn two_runs_report() {
    let dir = two_run_dataset();
    let (md, summary) = render(dir.path(), None, None).unwrap();
    insta::assert_snapshot!("report_two_runs", md);

    assert_eq!(summary.runs, vec!["jdk17-g1".to_string(), "jdk21-zgc".to_string()]);
    assert_eq!(summary.report_path, dir.path().join("out/report.md"));

    // (b) the comparison table: exact header shape and the numbers put in.
    let header = "| metric | baseline: jdk17-g1 (G1, 256M) | candidate: jdk21-zgc (ZGC, 16G) | change |";
    assert!(md.lines().any(|l| l == header), "no header `{header}` in:\n{md}");
    assert_eq!(row(&md, "pauses (count)"), "| pauses (count) | 4 | 6 | +50.0 % (worse) |");
    assert_eq!(row(&md, "mean pause"), "| mean pause | 10.00 ms | 467 µs | ÷ 21.4 (better) |");
    assert_eq!(row(&md, "p50 pause"), "| p50 pause | 8.00 ms | 300 µs | ÷ 26.7 (better) |");
    assert_eq!(row(&md, "p90 pause"), "| p90 pause | 20.00 ms | 1.30 ms | ÷ 15.4 (better) |");
    assert_eq!(row(&md, "p99 pause"), "| p99 pause | 20.00 ms | 1.30 ms | ÷ 15.4 (better) |");
    assert_eq!(row(&md, "max pause"), "| max pause | 20.00 ms | 1.30 ms | ÷ 15.4 (better) |");
    assert_eq!(row(&md, "full GCs (count)"), "| full GCs (count) | 1 | 0 | \u{2212}100.0 % (better) |");
    assert_eq!(row(&md, "STW total"), "| STW total | 40.00 ms | 2.80 ms | ÷ 14.3 (better) |");
    assert_eq!(row(&md, "throughput (%)"), "| throughput (%) | 99.60 % | 99.97 % | +0.37 pp (better) |");
    assert_eq!(row(&md, "alloc rate"), "| alloc rate | 512 MiB/s | 1 GiB/s | +100.0 % (higher) |");
    assert_eq!(row(&md, "MMU 10 ms"), "| MMU 10 ms | 0.00 % | 87.00 % | +87.00 pp (better) |");
    assert_eq!(row(&md, "MMU 100 ms"), "| MMU 100 ms | 80.00 % | 98.70 % | +18.70 pp (better) |");
    assert_eq!(row(&md, "MMU 1 s"), "| MMU 1 s | 98.00 % | 99.87 % | +1.87 pp (better) |");

    // Per-run sections, note, links.
    assert!(md.contains("## Run `jdk17-g1` (baseline)"));
    assert!(md.contains("## Run `jdk21-zgc` (candidate)"));
    assert!(md.contains("sorted[ceil(q·n) − 1]"));
    assert!(md.contains("](pauses-jdk17-g1.svg)"));
    assert!(md.contains("](pauses-jdk21-zgc.svg)"));
    assert!(md.contains("](mmu.svg)"));
    assert!(
        md.contains("| `logs/jdk17-g1.log` | truncated line | 3 | 57 | `line 57: [1.234s][info][gc] GC(3) Pause Yo` |")
    );

    // (c) the SVGs exist and look like SVG.
    let out = dir.path().join("out");
    let mut images: Vec<_> = summary.images.iter().map(|p| p.strip_prefix(&out).unwrap().to_path_buf()).collect();
    images.sort();
    assert_eq!(images, ["mmu.svg", "pauses-jdk17-g1.svg", "pauses-jdk21-zgc.svg"].map(std::path::PathBuf::from));
    for image in &summary.images {
        let svg = std::fs::read_to_string(image).unwrap();
        assert!(svg.starts_with("<svg"), "{} does not start with <svg", image.display());
        assert!(svg.trim_end().ends_with("</svg>"), "{} is not closed", image.display());
        assert!(svg.contains("<text"), "{} has no text", image.display());
    }
    let g1_svg = std::fs::read_to_string(out.join("pauses-jdk17-g1.svg")).unwrap();
    assert!(g1_svg.contains("young (2)") && g1_svg.contains("full (1)"), "legend by pause kind");
    let mmu_svg = std::fs::read_to_string(out.join("mmu.svg")).unwrap();
    assert!(mmu_svg.contains("baseline: jdk17-g1") && mmu_svg.contains("candidate: jdk21-zgc"));

    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn explicit_runs_swap_roles() {
    let dir = two_run_dataset();
    let (md, summary) = render(dir.path(), Some("jdk21-zgc"), Some("jdk17-g1")).unwrap();
    assert_eq!(summary.runs, vec!["jdk21-zgc".to_string(), "jdk17-g1".to_string()]);
    assert!(md.contains("| metric | baseline: jdk21-zgc (ZGC, 16G) | candidate: jdk17-g1 (G1, 256M) | change |"));
    assert_eq!(row(&md, "pauses (count)"), "| pauses (count) | 6 | 4 | \u{2212}33.3 % (better) |");
    // No relative change from 0: the difference itself.
    assert_eq!(row(&md, "full GCs (count)"), "| full GCs (count) | 0 | 1 | +1 (worse) |");
}

#[test]
fn unknown_run_lists_known_ones() {
    let dir = two_run_dataset();
    let err = render(dir.path(), None, Some("jdk11")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ReportError::UnknownRun { .. }), "{msg}");
    assert!(msg.contains("unknown candidate run `jdk11`"), "{msg}");
    assert!(msg.contains("known runs: `jdk17-g1`, `jdk21-zgc`"), "{msg}");
    assert!(!dir.path().join("out/report.md").exists());
}

#[test]
fn single_run_report() {
    let dir = tempfile::tempdir().unwrap();
    write_run(&dir.path().join("ds"), &g1());
    let (md, summary) = render(dir.path(), None, None).unwrap();
    assert_eq!(summary.runs, vec!["jdk17-g1".to_string()]);
    assert!(md.contains("| metric | run: jdk17-g1 (G1, 256M) |"), "{md}");
    assert_eq!(row(&md, "p99 pause"), "| p99 pause | 20.00 ms |");
    assert!(!md.contains("Baseline vs candidate"));
    assert!(md.contains("## Run `jdk17-g1` (run)"));
    assert_eq!(summary.images.len(), 2);
}

#[test]
fn empty_dataset_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ds")).unwrap();
    let err = render(dir.path(), None, None).unwrap_err();
    assert!(matches!(err, ReportError::NoRuns { .. }), "{err}");
    assert!(err.to_string().contains("ds"), "{err}");
}

/// A run with two collectors (e.g. two JVMs) compares on its `gc_run_summary` figures.
#[test]
fn multi_collector_run_uses_run_summary() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_run(&ds, &g1());
    let st = RunStaging::new(&ds, "two-jvms").unwrap();
    st.write(
        "jvm-unified",
        ["a.log", "b.log"].map(|source| SourceRow {
            ingested_at_ns: T0 + 9_000 * 1_000 * MS,
            labels: "hosts=2".into(),
            source: source.into(),
            status: "ok".into(),
            gc_heap_max_bytes: None,
            gc_parallel_workers: None,
            ..Default::default()
        }),
    )
    .unwrap();
    let pause = |collector: &str, kind: &str, dur: i64| GcPauseRow {
        source: format!("{collector}.log"),
        runtime: "jvm".into(),
        collector: collector.into(),
        name: kind.into(),
        pause_kind: kind.into(),
        clock: format!("jvm_uptime@{collector}"),
        start_ns: Some(dur * 10),
        duration_ns: dur,
        ..Default::default()
    };
    st.write("jvm-unified", [pause("G1", "young", 4 * MS), pause("Parallel", "full", 300 * MS)]).unwrap();
    st.write("analysis", [stats("G1", None, None, &[4 * MS]), stats("Parallel", None, None, &[300 * MS])]).unwrap();
    st.write(
        "analysis",
        [GcRunSummaryRow {
            collectors: "G1,Parallel".into(),
            runtimes: "jvm".into(),
            pause_count: 2,
            cycle_count: 2,
            full_gc_count: 1,
            pause_total_ns: 304 * MS,
            pause_mean_ns: 152 * MS,
            pause_max_ns: 300 * MS,
            span_ns: 10_000 * MS,
            stw_share: 0.0304,
            throughput: 0.9696,
            heap_committed_max_bytes: Some(4 * GIB),
            ..Default::default()
        }],
    )
    .unwrap();
    st.commit(&[]).unwrap();

    let (md, summary) = render(dir.path(), None, None).unwrap();
    assert_eq!(summary.runs, vec!["jdk17-g1".to_string(), "two-jvms".to_string()]);
    assert!(
        md.contains("| metric | baseline: jdk17-g1 (G1, 256M) | candidate: two-jvms (G1 + Parallel, 4G) | change |"),
        "{md}"
    );
    assert_eq!(row(&md, "pauses (count)"), "| pauses (count) | 4 | 2 | \u{2212}50.0 % (better) |");
    assert_eq!(row(&md, "mean pause"), "| mean pause | 10.00 ms | 152.00 ms | × 15.2 (worse) |");
    assert_eq!(row(&md, "p99 pause"), "| p99 pause | 20.00 ms | n/a | n/a |");
    assert_eq!(row(&md, "max pause"), "| max pause | 20.00 ms | 300.00 ms | × 15.0 (worse) |");
    assert_eq!(row(&md, "MMU 10 ms"), "| MMU 10 ms | 0.00 % | n/a | n/a |");
    assert!(md.contains("The candidate `two-jvms` has several collectors (G1, Parallel)"), "{md}");
    assert!(md.contains("Pauses are on 2 clocks without known offsets"), "{md}");
}
