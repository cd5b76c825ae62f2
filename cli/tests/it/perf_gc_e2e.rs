//! End to end, a JVM GC log + a perf profile on CLOCK_MONOTONIC → `perf_gc_windows`,
//! `perf_gc_samples`, `perf_gc_functions` and the report's "What ran during GC pauses" section.
//! Oracle: the samples per pause window counted straight from the two texts (sample header
//! times vs `timenanos` − duration), not from tracefold's own output.

use std::collections::BTreeMap;
use std::path::Path;

use model::read::read_table;
use model::tables::perf_gc_functions::PerfGcFunctionRow;
use model::tables::perf_gc_samples::PerfGcSampleRow;
use model::tables::perf_gc_windows::PerfGcWindowRow;

use super::{fixture, text, tracefold};

const MS: i64 = 1_000_000;

/// GC id → (start, end) ns, from `[...ns]` (timenanos, at the pause end) and `N.NNNms`.
fn pauses(log: &str) -> BTreeMap<i64, (i64, i64)> {
    let mut out = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains(" Pause ")) {
        let end: i64 = line.split("][").nth(2).unwrap().trim_end_matches("ns").parse().unwrap();
        let id: i64 = line.split("GC(").nth(1).unwrap().split(')').next().unwrap().parse().unwrap();
        let ms = line.rsplit(' ').next().unwrap().trim_end_matches("ms");
        let (whole, frac) = ms.split_once('.').unwrap();
        let dur = whole.parse::<i64>().unwrap() * MS + format!("{frac:0<6}")[..6].parse::<i64>().unwrap();
        out.insert(id, (end - dur, end));
    }
    out
}

/// Sample times (ns) and comms of a `perf script` text: header lines `comm pid/tid secs.micros: ...`.
fn samples(script: &str) -> Vec<(i64, String)> {
    script
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(char::is_whitespace))
        .map(|l| {
            let stamp = l.split_whitespace().find(|w| w.ends_with(':') && w.contains('.')).unwrap();
            let (s, us) = stamp.trim_end_matches(':').split_once('.').unwrap();
            (s.parse::<i64>().unwrap() * 1_000_000_000 + us.parse::<i64>().unwrap() * 1000, l.to_string())
        })
        .collect()
}

#[test]
fn samples_inside_and_before_gc_pauses() {
    let dir = fixture("perf/java-gc");
    let (log, script) = (dir.join("java_fp.gc.log"), fixture("perf/symbols/script/java_fp.script.txt"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let group = format!("java={},{}", log.display(), script.display());
    let o = tracefold(&["run", "--run", &group, "--clock-offset", "perf=monotonic", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let ds = out.join("dataset");
    let run = "java";
    assert_eq!(model::read::list_runs(&ds).unwrap(), [run]);

    // Oracle from the texts.
    let gc = pauses(&std::fs::read_to_string(&log).unwrap());
    let all = samples(&std::fs::read_to_string(&script).unwrap());
    assert_eq!((gc.len(), all.len()), (11, 696));
    let windows: Vec<PerfGcWindowRow> = read_table(&ds, run).unwrap();
    assert_eq!(windows.len(), 22, "every pause placed, two windows each");
    let (mut inside_total, mut before_total) = (0, 0);
    for (id, (s, e)) in &gc {
        let inside = all.iter().filter(|(t, _)| s <= t && t < e).count() as i64;
        let before = all.iter().filter(|(t, _)| s - 10 * MS <= *t && t < s).count() as i64;
        let got = |kind: &str| {
            let w = windows.iter().find(|w| w.gc_id == Some(*id) && w.window == kind).unwrap();
            assert_eq!(w.alignment, "via-wall-offsets", "perf = monotonic through the shared offset");
            assert_eq!(w.clock, "perf");
            w.samples
        };
        assert_eq!((got("pause"), got("before_pause")), (inside, before), "GC({id})");
        inside_total += inside;
        before_total += before;
    }
    assert_eq!((inside_total, before_total), (132, 23));
    let rows: Vec<PerfGcSampleRow> = read_table(&ds, run).unwrap();
    assert_eq!(rows.iter().filter(|r| r.window == "pause").count() as i64, inside_total);

    // Physics of a stop-the-world pause: G1 worker threads run, and share is far above the
    // rest of the profile's.
    let gc_thread = |l: &String| l.starts_with("GC Thread#");
    let in_pause = all.iter().filter(|(t, l)| gc.values().any(|(s, e)| s <= t && t < e) && gc_thread(l)).count();
    assert!(in_pause * 2 > inside_total as usize, "{in_pause} of {inside_total} pause samples are GC threads");
    let functions: Vec<PerfGcFunctionRow> = read_table(&ds, run).unwrap();
    let top = functions.iter().filter(|f| f.window == "pause").max_by_key(|f| f.self_samples).unwrap();
    assert_eq!(top.window_samples, inside_total);
    assert!(top.self_pct > top.outside_self_pct, "{top:?}");

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("### What ran during GC pauses"), "{report}");
    assert!(report.contains("11 of 11 pauses were placed"), "{report}");
    assert!(Path::new(&out).join(format!("flame-{run}-gc-pause-cpu-clock_pppH.svg")).exists());
}

#[test]
fn perf_data_on_clock_monotonic_joins_the_gc_log_directly() {
    // The binary recording of the same run: `-k CLOCK_MONOTONIC` is in its attributes, so its
    // samples are on `monotonic`, the clock of the log's `timenanos` — no flag needed.
    let log = fixture("perf/java-gc/java_fp.gc.log");
    let script = fixture("perf/symbols/script/java_fp.script.txt");
    let data = fixture("perf/data/java_fp.data");
    let tmp = tempfile::tempdir().unwrap();
    let group = format!("java={},{}", log.display(), data.display());
    let o = tracefold(&["run", "--run", &group, "--out", tmp.path().join("out").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let ds = tmp.path().join("out/dataset");
    let gc = pauses(&std::fs::read_to_string(&log).unwrap());
    let all = samples(&std::fs::read_to_string(&script).unwrap());
    let windows: Vec<PerfGcWindowRow> = read_table(&ds, "java").unwrap();
    assert_eq!(windows.len(), 22);
    for (id, (s, e)) in &gc {
        let inside = all.iter().filter(|(t, _)| s <= t && t < e).count() as i64;
        let w = windows.iter().find(|w| w.gc_id == Some(*id) && w.window == "pause").unwrap();
        assert_eq!((w.clock.as_str(), w.alignment.as_str()), ("monotonic", "same-clock"));
        // perf script prints microseconds; the binary has nanoseconds: a sample within 1 µs of
        // a window edge could fall either side, none does here.
        assert_eq!(w.samples, inside, "GC({id})");
    }
}

#[test]
fn perf_only_report_has_no_gc_sections_and_perfs_top_functions() {
    let (base, cand) = (fixture("perf/data/mt_fp.data"), fixture("perf/data/mt_pipe.data"));
    let s = fixture("perf/symbols");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (b, c) = (format!("base={}", base.display()), format!("cand={}", cand.display()));
    let o = tracefold(&[
        "run",
        "--run",
        &b,
        "--run",
        &c,
        "--binary-dir",
        s.join("bin").to_str().unwrap(),
        "--binary-dir",
        s.join("debug").to_str().unwrap(),
        "--kallsyms",
        s.join("kallsyms.xz").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.starts_with("# Performance report: base vs cand"), "{report}");
    assert!(!report.contains("GC pauses") && !report.contains("### Safepoints"), "{report}");
    // perf report --no-children on mt_fp.data: `22.87%  worker-2  mtwork  [.] worker_fp`.
    let oracle = std::fs::read_to_string(fixture("perf/data/mt_fp.report.txt")).unwrap();
    assert!(oracle.lines().any(|l| l.trim_start().starts_with("22.87%") && l.ends_with("[.] worker_fp")));
    assert!(report.contains("| `worker_fp` | 201 | 22.87 % |"), "{report}");
    assert!(out.join("flame-diff-cpu-clock_pppH.svg").exists());
}
