//! End-to-end tests of the `tracefold` binary: exit codes, messages, and the main job.

use std::path::PathBuf;
use std::process::{Command, Output};

mod cgroup_e2e;
mod jvm_throttle_e2e;
mod perf_gc_e2e;

fn fixture(rel: &str) -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(rel)
}

fn tracefold(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracefold")).args(args).output().expect("binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn main_job_compares_two_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = tracefold(&[
        "run",
        fixture("gc/jdk17/g1.log").to_str().unwrap(),
        fixture("gc/jdk17/zgc.log").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| metric | baseline"), "{md}");
    assert!(md.contains("g1") && md.contains("zgc"));
    for table in ["gc_pauses", "gc_cycles", "safepoints", "runs", "ingest_log", "gc_pause_stats", "gc_run_summary"] {
        assert!(out.join("dataset").join(table).join("run=g1").is_dir(), "{table}");
    }
}

#[test]
fn not_a_gc_log_is_exit_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("recording.jfr");
    std::fs::write(&bad, b"FLR\0\x00\x02binary").unwrap();
    let o = tracefold(&["ingest", bad.to_str().unwrap(), "--out", tmp.path().join("ds").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("recording.jfr") && err.contains("JFR"), "{err}");
}

#[test]
fn strict_exits_1_when_lines_were_not_understood() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("noisy.log");
    let mut content = std::fs::read(fixture("gc/jdk17/serial.log")).unwrap();
    content.extend_from_slice(b"this line is noise from stdout\n");
    std::fs::write(&log, content).unwrap();
    let ds = tmp.path().join("ds");
    let lenient = tracefold(&["ingest", log.to_str().unwrap(), "--out", ds.to_str().unwrap()]);
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient));
    let strict = tracefold(&["ingest", log.to_str().unwrap(), "--out", ds.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
    // `run` (its ingest in a child process) judges the summaries the same way, and says why.
    let out = tmp.path().join("out");
    let run = tracefold(&["run", log.to_str().unwrap(), "--out", out.to_str().unwrap(), "--strict"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(text(&run).contains("1 line(s) not understood"), "{}", text(&run));
    assert!(out.join("report.md").is_file());
}

/// A phase of `run` that fails (here the ingest, in its child process) exits 2, and its error,
/// naming the file, is printed once.
#[test]
fn run_reports_a_failing_phase_once() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing-gc.log");
    let o = tracefold(&["run", missing.to_str().unwrap(), "--out", tmp.path().join("out").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("missing-gc.log").count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
}

/// `run` checks what it can before it saves a run: a missing second input, two inputs with one
/// run name and an `--out` that is a file fail with nothing written; a run that fails after
/// others were saved says which were.
#[test]
fn run_checks_its_inputs_before_saving_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    let g1 = fixture("gc/jdk17/g1.log");
    let (g1, g1_25) = (g1.to_str().unwrap(), fixture("gc/jdk25/g1.log"));
    let missing = tmp.path().join("missing.log");
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&[g1, missing.to_str().unwrap()], "missing.log"),
        (&[g1, g1_25.to_str().unwrap()], "two inputs give the run name"),
        (&[g1], "not a directory"),
    ];
    for (k, (inputs, says)) in cases.iter().enumerate() {
        let out = if k == 2 { file.clone() } else { tmp.path().join(format!("out{k}")) };
        let mut args = vec!["run"];
        args.extend_from_slice(inputs);
        args.extend(["--out", out.to_str().unwrap()]);
        let o = tracefold(&args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(says), "{}", text(&o));
        assert!(k == 2 || !out.exists(), "case {k}: nothing saved");
    }
    let bad = tmp.path().join("bad.log");
    std::fs::write(&bad, "not a gc log\n").unwrap();
    let out = tmp.path().join("out3");
    let o = tracefold(&["run", g1, bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already saved: g1; the report was not written"), "{}", text(&o));
}

/// A forced `--format` that reads nothing of the file is a warning, and a finding for `--strict`.
#[test]
fn a_forced_format_that_reads_nothing_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    let zgc = fixture("gc/jdk17/zgc.log");
    let args = ["ingest", zgc.to_str().unwrap(), "--format", "go-gctrace", "--out", ds.to_str().unwrap()];
    let o = tracefold(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning:"), "{}", text(&o));
    assert!(text(&o).contains("--format go-gctrace was forced"), "{}", text(&o));
    let o = tracefold(&[&args[..], &["--strict"]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn json_output_and_formats() {
    let o = tracefold(&["formats", "--message-format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "jvm-unified",
            "go-gctrace",
            "jvm-legacy",
            "cgroup-cgsnap",
            "bpftrace",
            "perf-script",
            "perf-data",
            "cgroup-dir"
        ]
    );

    let tmp = tempfile::tempdir().unwrap();
    let o = tracefold(&[
        "ingest",
        fixture("gc/go/go_churn.gctrace.txt").to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
        "--message-format",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["run"], "go_churn.gctrace");
    assert_eq!(v["sources"][0]["pauses"], 1012);
}

#[test]
fn help_has_examples() {
    let o = tracefold(&["--help"]);
    let t = text(&o);
    assert!(o.status.success());
    assert!(t.contains("Examples:") && t.contains("tracefold run"), "{t}");
}

/// GC pauses and a cgroup capture in one run, placed on one timeline with `--clock-offset`:
/// the join counts each pause once, throttled or not, by the capture's own intervals, and the
/// Go GOMAXPROCS (2, from gctrace) against the 0.5-core limit gives the parallelism advice.
#[test]
fn gc_pauses_joined_with_cgroup_throttling() {
    use model::read::read_table;
    use model::tables::cgroup_intervals::CgroupIntervalRow;
    use model::tables::gc_cgroup_overlap::GcCgroupOverlapRow;
    use model::tables::gc_pauses::GcPauseRow;

    let tmp = tempfile::tempdir().unwrap();
    let gctrace = fixture("gc/go/go_churn.gctrace.txt");
    let cgsnap = fixture("cgroup/throttle_run_a/samples.cgsnap");
    let snap = std::fs::read_to_string(&cgsnap).unwrap();
    let first_ts: i64 = snap.lines().find_map(|l| l.strip_prefix("# ts_ns=")).unwrap().trim().parse().unwrap();
    // Go uptime 0 = one second before the capture starts.
    let offset = first_ts - 1_000_000_000;
    let clock = format!("go_uptime@{}", gctrace.display());
    let out = tmp.path().join("out");
    let o = tracefold(&[
        "run",
        "--run",
        &format!("mix={},{}", gctrace.display(), cgsnap.display()),
        "--clock-offset",
        &format!("{clock}={offset}"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let ds = out.join("dataset");
    let rows: Vec<GcCgroupOverlapRow> = read_table(&ds, "mix").unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    let intervals: Vec<CgroupIntervalRow> = read_table(&ds, "mix").unwrap();
    let pauses: Vec<GcPauseRow> = read_table(&ds, "mix").unwrap();
    // Independent count: pause [start, end) + offset overlapping an interval with throttling.
    let (span_start, span_end) = (intervals[0].start_ns, intervals.last().unwrap().end_ns);
    let (mut inside, mut throttled) = (0, 0);
    for p in &pauses {
        let (s, e) = (p.start_ns.unwrap() + offset, p.end_ns.unwrap() + offset);
        if e <= span_start || s >= span_end {
            continue;
        }
        inside += 1;
        let e = e.max(s + 1);
        if intervals.iter().any(|i| i.start_ns < e && i.end_ns > s && i.throttled_periods.unwrap_or(0) > 0) {
            throttled += 1;
        }
    }
    assert!(inside > 100, "pauses in the capture span: {inside}");
    assert_eq!((r.pauses_in_span, r.pauses_throttled), (inside, throttled));
    assert_eq!(r.pauses_throttled + r.pauses_unthrottled, r.pauses_in_span);
    assert_eq!(r.pauses_unaligned, 0);
    assert_eq!(r.cpu_limit_cores, Some(0.5));
    assert_eq!(r.gc_parallelism, Some(2));
    assert!(r.advice.as_deref().is_some_and(|a| a.contains("GOMAXPROCS=1")), "{:?}", r.advice);
}
