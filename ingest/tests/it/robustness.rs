//! Bad input never panics: empty files, binary garbage, a JFR recording, truncated logs, noise
//! mixed into a log. Explicitly named files of no known format are errors naming the file; a
//! failed ingest leaves the dataset exactly as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tracefold_ingest::run::NoProgress;
use tracefold_ingest::{ingest_run, IngestError, IngestOptions};

use crate::common::{fixture, parse_bytes};

fn opts(inputs: Vec<PathBuf>, dataset: &Path, run: &str) -> IngestOptions {
    IngestOptions { inputs, dataset: dataset.to_path_buf(), run: Some(run.into()), ..Default::default() }
}

/// Every file under `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn unrecognised_explicit_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty.log", b"", "empty"),
        ("garbage.bin", &[0u8, 159, 146, 150, 7, 0, 1, 2, 3, 255], "binary"),
        ("rec.jfr", b"FLR\0\0\x02\0\x01 rest of a recording", "JFR"),
        ("notes.txt", b"hello\nthis is not a gc log\n", "first line"),
    ];
    for (name, bytes, expect) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = ingest_run(&opts(vec![path.clone()], &tmp.path().join("ds"), "r"), &NoProgress).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, IngestError::NotRecognised { .. }), "{name}: {msg}");
        assert!(msg.contains(name) && msg.contains(expect), "{name}: {msg}");
    }
    assert!(!tmp.path().join("ds/gc_pauses").exists(), "nothing written on error");
}

#[test]
fn truncation_at_any_offset_keeps_what_was_good() {
    let bytes = std::fs::read(fixture("gc/jdk17/g1.log")).unwrap();
    let (_, full, _) = parse_bytes("g1", &bytes).unwrap();
    let step = bytes.len() / 97;
    let mut last = 0;
    for cut in (200..bytes.len()).step_by(step) {
        let (_, out, _) = parse_bytes("g1-cut", &bytes[..cut]).expect("a cut log is still detected");
        // Pauses are never invented, and all complete pause lines before the cut are kept.
        assert!(out.pauses.len() <= full.pauses.len());
        assert!(out.pauses.len() >= last);
        let complete = bytes[..cut].iter().rposition(|&b| b == b'\n').unwrap_or(0);
        let (_, whole, _) = parse_bytes("g1-lines", &bytes[..complete]).unwrap();
        assert!(out.pauses.len() >= whole.pauses.len(), "cut {cut}");
        last = whole.pauses.len();
    }
}

/// A unified log cut inside its last pause line (the duration lost) says so: the line is a
/// skip that is not understood (what `--strict` reports), not a detail line ignored; the same
/// log complete but for its final newline tables that pause.
#[test]
fn a_pause_line_cut_at_the_end_is_reported_cut_off() {
    let bytes = std::fs::read(fixture("gc/jdk17/g1.log")).unwrap();
    let (_, full, _) = parse_bytes("g1", &bytes).unwrap();
    let last_pause = bytes.windows(6).rposition(|w| w == b"Pause ").unwrap();
    let line_end = last_pause + bytes[last_pause..].iter().position(|&b| b == b'\n').unwrap();
    // Cut two bytes before the end of that line (`...(256M) 26.8` of `26.845ms`).
    let (_, cut, _) = parse_bytes("g1-cut", &bytes[..line_end - 2]).unwrap();
    assert_eq!(cut.pauses.len(), full.pauses.len() - 1);
    assert_eq!(cut.account.lines_not_understood(), full.account.lines_not_understood() + 1);
    let rows = cut.account.rows("g1-cut", Some("jvm-unified"));
    assert!(rows.iter().any(|r| r.reason.as_deref().is_some_and(|t| t.starts_with("last line cut off"))), "{rows:?}");
    // The whole line, only its newline missing: tabled.
    let (_, whole, _) = parse_bytes("g1-no-newline", &bytes[..line_end]).unwrap();
    assert_eq!(whole.pauses.len(), full.pauses.len());
    let last = |o: &tracefold_ingest::gc::GcOutput| o.pauses.last().map(|p| (p.line, p.name.clone(), p.duration_ns));
    assert_eq!(last(&whole), last(&full));
}

/// A gzip'd log damaged in its first blocks: the error names the file and where the
/// decompressed content stopped.
#[test]
fn a_gzip_damaged_at_its_start_is_an_error_that_says_where() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(fixture("gc/jdk17/g1.log")).unwrap()).unwrap();
    let bytes = gz.finish().unwrap();
    let path = tmp.path().join("gc.log.gz");
    std::fs::write(&path, &bytes[..2000]).unwrap();
    let err = ingest_run(&opts(vec![path.clone()], &tmp.path().join("ds"), "r"), &NoProgress).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("gc.log.gz") && msg.contains("read failed at byte"), "{msg}");
    assert!(!tmp.path().join("ds").exists(), "a failed first ingest leaves no dataset behind");
}

#[test]
fn noise_and_garbage_inside_a_log_are_counted_not_fatal() {
    let mut bytes = std::fs::read(fixture("gc/jdk17/parallel.log")).unwrap();
    let (_, clean, _) = parse_bytes("p", &bytes).unwrap();
    let mid = bytes.len() / 2;
    let mid = mid + bytes[mid..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let noise = b"Exception in thread \"main\" java.lang.OutOfMemoryError\n\xff\xfe\x00garbage\x01\n[0.5s][info][gc] GC(9999) Pause Young (Allocation Failure) 10M->\n";
    bytes.splice(mid..mid, noise.iter().copied());
    let (_, out, _) = parse_bytes("p-noisy", &bytes).unwrap();
    assert_eq!(out.pauses.len(), clean.pauses.len());
    assert_eq!(out.account.lines_not_understood(), clean.account.lines_not_understood() + 2);
    assert_eq!(out.account.lines_read(), clean.account.lines_read() + 3);
}

#[test]
fn failed_ingest_leaves_the_dataset_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    ingest_run(&opts(vec![fixture("gc/jdk17/g1.log")], &ds, "base"), &NoProgress).unwrap();
    let before = snapshot(&ds);
    let bad = tmp.path().join("bad.jfr");
    std::fs::write(&bad, b"FLR\0binary").unwrap();
    let err = ingest_run(&opts(vec![fixture("gc/jdk17/zgc.log"), bad], &ds, "base"), &NoProgress);
    assert!(err.is_err());
    assert_eq!(snapshot(&ds), before, "dataset untouched by the failed re-ingest");
}
