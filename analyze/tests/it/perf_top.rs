//! `perf_top_functions` on a hand-made run: two sources (frame and stack ids are per source),
//! recursion (counted once in `total`), a frame-less sample (in the event's count, in no
//! function), the same function name with and without a dso, and two events.

use std::path::Path;

use model::read::read_table;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::tables::perf_top_functions::PerfTopFunctionRow;
use model::tables::runs::SourceRow;
use model::write::{partition_dir, RunStaging};
use tracefold_analyze::{analyze, AnalyzeOptions};

const APP: Option<&str> = Some("/bin/app");
const KERNEL: Option<&str> = Some("[kernel.kallsyms]");

fn frame(source: &str, frame_id: i64, function: &str, dso: Option<&str>) -> PerfFrameRow {
    PerfFrameRow {
        source: source.into(),
        frame_id,
        function: function.into(),
        dso: dso.map(Into::into),
        kind: "user".into(),
        ..Default::default()
    }
}

/// A stack from its frame ids, leaf first (one row).
fn stack(source: &str, stack_id: i64, frames: &[i64]) -> Vec<PerfStackRow> {
    vec![PerfStackRow { source: source.into(), stack_id, frame_ids: frames.to_vec() }]
}

/// `n` samples of `event` on `stack_id`, each with `period`.
fn samples(source: &str, event: &str, stack_id: i64, period: i64, n: usize) -> Vec<PerfSampleRow> {
    (0..n)
        .map(|i| PerfSampleRow {
            source: source.into(),
            line: i as i64 + 1,
            clock: "perf".into(),
            time_ns: Some(i as i64),
            comm: "app".into(),
            event: event.into(),
            period,
            stack_id,
            ..Default::default()
        })
        .collect()
}

/// a.txt: frames 1 main, 2 f, 3 g (all /bin/app), 4 __schedule (kernel);
///   stack 1 = f ← f ← main (recursion), stack 2 = g ← f ← main, stack 3 = __schedule ← f.
///   cpu-clock: 3 × stack 1 (period 10), 2 × stack 2 (period 20), 1 frame-less (period 5);
///   sched:sched_switch: 2 × stack 3 (period 1).
/// b.txt: frames 1 g, 2 main (/bin/app), 3 f (no dso);
///   stack 1 = g ← main, stack 2 = f(no dso) ← g ← g (recursion).
///   cpu-clock: 1 × stack 1, 1 × stack 2, 1 frame-less (period 10 each).
fn write_perf_run(dataset: &Path, run: &str) {
    write_perf_run_ids(dataset, run, |id| id);
}

/// [`write_perf_run`], with b.txt's frame ids mapped by `b_id` (another writer's ids).
fn write_perf_run_ids(dataset: &Path, run: &str, b_id: impl Fn(i64) -> i64) {
    let mut frames = vec![
        frame("a.txt", 1, "main", APP),
        frame("a.txt", 2, "f", APP),
        frame("a.txt", 3, "g", APP),
        frame("a.txt", 4, "__schedule", KERNEL),
        frame("b.txt", 1, "g", APP),
        frame("b.txt", 2, "main", APP),
        frame("b.txt", 3, "f", None),
    ];
    frames.iter_mut().filter(|f| f.source == "b.txt").for_each(|f| f.frame_id = b_id(f.frame_id));
    let stacks = [
        stack("a.txt", 1, &[2, 2, 1]),
        stack("a.txt", 2, &[3, 2, 1]),
        stack("a.txt", 3, &[4, 2]),
        stack("b.txt", 1, &[b_id(1), b_id(2)]),
        stack("b.txt", 2, &[b_id(3), b_id(1), b_id(1)]),
    ]
    .concat();
    let samples = [
        samples("a.txt", "cpu-clock", 1, 10, 3),
        samples("a.txt", "cpu-clock", 2, 20, 2),
        samples("a.txt", "cpu-clock", 0, 5, 1),
        samples("a.txt", "sched:sched_switch", 3, 1, 2),
        samples("b.txt", "cpu-clock", 1, 10, 1),
        samples("b.txt", "cpu-clock", 2, 10, 1),
        samples("b.txt", "cpu-clock", 0, 10, 1),
    ]
    .concat();
    let staging = RunStaging::new(dataset, run).unwrap();
    let sources = ["a.txt", "b.txt"].map(|s| SourceRow { source: s.into(), status: "ok".into(), ..Default::default() });
    staging.write::<SourceRow>("test", sources).unwrap();
    staging.write::<PerfSampleRow>("test", samples).unwrap();
    staging.write::<PerfStackRow>("test", stacks).unwrap();
    staging.write::<PerfFrameRow>("test", frames).unwrap();
    staging.commit(&[]).unwrap();
}

fn row(
    event: &str,
    function: &str,
    dso: Option<&str>,
    slf: (i64, i64),
    total: (i64, i64),
    n: i64,
) -> PerfTopFunctionRow {
    PerfTopFunctionRow {
        event: event.into(),
        function: function.into(),
        self_samples: slf.0,
        self_pct: 100.0 * slf.0 as f64 / n as f64,
        total_samples: total.0,
        total_pct: 100.0 * total.0 as f64 / n as f64,
        dso: dso.map(Into::into),
        self_period: slf.1,
        total_period: total.1,
    }
}

#[test]
fn self_and_total_samples_hand_computed() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    write_perf_run(ds, "perf");
    let summary = analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: None }).unwrap();
    assert_eq!(summary.runs.len(), 1);
    let written: Vec<(&str, usize)> = summary.runs[0].tables_written.iter().map(|t| (t.table, t.rows)).collect();
    assert_eq!(written, [("perf_top_functions", 6)]);

    let got = read_table::<PerfTopFunctionRow>(ds, "perf").unwrap();
    // cpu-clock: 9 samples (two frame-less).
    //   self:  f/app = a1 × 3 (30); g/app = a2 × 2 + b1 (40 + 10); f/- = b2 (10); main none.
    //   total: main = a1 3 + a2 2 + b1 1 (80); f/app = a1 3 (once each) + a2 2 (70);
    //          g/app = a2 2 + b1 1 + b2 1 (once each) (60); f/- = b2 (10).
    // sched:sched_switch: 2 samples, both on a3 = __schedule ← f.
    let cpu = "cpu-clock";
    let sched = "sched:sched_switch";
    let expected = vec![
        row(cpu, "f", APP, (3, 30), (5, 70), 9),
        row(cpu, "g", APP, (3, 50), (4, 60), 9),
        row(cpu, "f", None, (1, 10), (1, 10), 9),
        row(cpu, "main", APP, (0, 0), (6, 80), 9),
        row(sched, "__schedule", KERNEL, (2, 2), (2, 2), 2),
        row(sched, "f", APP, (0, 0), (2, 2), 2),
    ];
    assert_eq!(got, expected);
    // The percentages, spelled out.
    let pcts: Vec<(f64, f64)> = got.iter().map(|r| (r.self_pct, r.total_pct)).collect();
    assert_eq!(pcts[0], (100.0 / 3.0, 500.0 / 9.0));
    assert_eq!(pcts[3], (0.0, 600.0 / 9.0));
    assert_eq!(pcts[4], (100.0, 100.0));
    assert_eq!(pcts[5], (0.0, 100.0));
}

/// Frame ids need not be small or positive (another writer's tables): ids from 2^40 up and
/// negative ones count as the dense ids do.
#[test]
fn frame_ids_of_any_size_count_alike() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    write_perf_run(ds, "small");
    write_perf_run_ids(ds, "huge", |id| id + (1 << 40));
    write_perf_run_ids(ds, "negative", |id| -id);
    analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: None }).unwrap();
    let small = read_table::<PerfTopFunctionRow>(ds, "small").unwrap();
    assert_eq!(small.len(), 6);
    assert_eq!(read_table::<PerfTopFunctionRow>(ds, "huge").unwrap(), small);
    assert_eq!(read_table::<PerfTopFunctionRow>(ds, "negative").unwrap(), small);
}

#[test]
fn run_without_perf_samples_writes_no_table_and_drops_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    let staging = RunStaging::new(ds, "gone").unwrap();
    staging
        .write::<SourceRow>("test", [SourceRow { source: "x".into(), status: "ok".into(), ..Default::default() }])
        .unwrap();
    staging.write::<PerfTopFunctionRow>("analysis", [PerfTopFunctionRow::default()]).unwrap();
    staging.commit(&[]).unwrap();
    let summary = analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: None }).unwrap();
    assert!(summary.runs[0].tables_written.is_empty());
    assert!(!partition_dir(ds, "perf_top_functions", "gone").exists());
}
