//! JVM legacy GC logs (JDK 8 and older) against third-party logs: the fixtures in
//! `fixtures/gc/jvm-legacy/` (always) and every legacy file of `shared/corpus/gc/jvm/` (when that
//! folder is present). For each file: `sniff` accepts it, `ingest` does not panic, every line is
//! accounted once, and the pauses found equal an independent count of pause-ending lines
//! ([`count_pause_ends`]). Unified-logging files of the corpus must not sniff as legacy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tracefold_ingest::gc::{jvm_legacy, GcOutput, SourceCtx};

/// The third-party JVM logs of the shared corpus.
fn corpus() -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/gc/jvm")
}

/// The JDK 8 fixtures.
fn fixtures() -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/gc/jvm-legacy")
}

/// Independent count of the lines that end a stop-the-world pause record. Line based, no regex,
/// no code shared with the parser:
///
/// 1. On each line, complete bracket groups `[...]` (innermost first) whose label is not a pause
///    record head are removed: generation figures (`[PSYoungGen: ...]`), G1 phase details,
///    `[Times: ...]`, reference processing and concurrent phases (`[CMS-concurrent-...]`,
///    `[GC concurrent-...]`, Shenandoah `[Concurrent ...]`). Pause record heads are `GC` and
///    `Full GC` (see [`gc_head_end`]), `GC pause`, `GC remark`, `GC cleanup` and Shenandoah
///    `Pause ...`; a complete pause group is kept.
/// 2. The line ends a pause when what is left, without trailing white space, commas and a
///    trailing stamp fragment (`...secs]2118041.535`), ends with `secs]` or `sec]` (Shenandoah: the
///    line has `[Pause ` and ends with ` ms]`), and either holds a complete pause group or a pause
///    record was opened on an earlier line and not ended yet (an end without a start, as in a
///    deliberately corrupted log, is not a pause).
/// 3. Two nested closes look like record ends and are not counted: the `..., <n> secs]` line that
///    closes a `[Class Histogram` group, and the young collection a CMS remark runs first
///    (`-XX:+CMSScavengeBeforeRemark`: a line starting a `[GC` record that ends on the same line,
///    after a line that opened a remark (`(CMS Final Remark)` or `[YG occupancy: ...]`) without
///    ending it; that collection is part of the remark pause).
fn count_pause_ends(text: &str) -> usize {
    let mut count = 0;
    let mut in_histogram = false;
    let mut remark_open = false;
    let mut record_open = false;
    for raw in text.lines() {
        let mut line = raw.to_string();
        loop {
            // Innermost complete group: a `]` with its `[` after the last earlier `]`.
            let mut found = None;
            let mut open = None;
            for (i, c) in line.char_indices() {
                match c {
                    '[' => open = Some(i),
                    ']' => {
                        if let Some(o) = open {
                            found = Some((o, i));
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some((o, c)) = found else { break };
            if is_pause_head(&line[o + 1..c]) {
                // Keep it, with brackets that no longer match.
                line.replace_range(c..=c, "}");
                line.replace_range(o..=o, "{");
            } else {
                line.replace_range(o..=c, "");
            }
        }
        let left = line.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | ':' | ' '));
        let ends =
            left.ends_with("secs]") || left.ends_with("secs}") || left.ends_with("sec]") || left.ends_with("sec}");
        let shenandoah = raw.contains("[Pause ") && (left.ends_with(" ms}") || left.ends_with(" ms]"));
        let complete_pause = line.contains('{') && line.contains('}');
        let opens_pause = line.match_indices('[').any(|(i, _)| is_pause_head(&line[i + 1..]));
        let histogram_start = raw.contains("[Class Histogram");
        if (ends || shenandoah) && (complete_pause || record_open) {
            let starts_gc = line.trim_start_matches(|c: char| !matches!(c, '[' | '{')).starts_with("{GC");
            if in_histogram && !histogram_start {
                in_histogram = false;
            } else if remark_open && starts_gc && complete_pause {
                // The scavenge inside the remark.
            } else {
                count += 1;
                remark_open = false;
                record_open = false;
            }
        } else if opens_pause {
            record_open = true;
            if raw.contains("(CMS Final Remark)") || raw.contains("[YG occupancy") {
                remark_open = true;
            }
        }
        if histogram_start && !left.ends_with("secs]") {
            in_histogram = true;
        }
    }
    count
}

fn is_pause_head(label: &str) -> bool {
    let s = label.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',' || c == ':' || c == ' ');
    if let Some(rest) = s.strip_prefix("GC") {
        if rest.starts_with(" concurrent") || rest.starts_with(" ref-proc") || rest.starts_with(" Worker") {
            return false;
        }
        return gc_head_end(rest);
    }
    s.strip_prefix("Full GC").is_some_and(gc_head_end) || (s.starts_with("Pause ") && !s.ends_with(", start"))
}

/// What may follow `GC` / `Full GC` in a pause head: nothing, ` `, `(`, `-`, `[`, `{`, a digit (a
/// glued stamp), or output glued to it (`AdaptiveSize...`, FLS `Before GC:`).
fn gc_head_end(rest: &str) -> bool {
    rest.is_empty()
        || rest.starts_with([' ', '(', '-', '[', '{'])
        || rest.starts_with(|c: char| c.is_ascii_digit())
        || rest.starts_with("AdaptiveSize")
        || rest.starts_with("Before GC")
}

/// Whether a file is unified logging: most non-empty lines start with a `[...]` decorator of
/// time, uptime or level.
fn looks_unified(text: &str) -> bool {
    let mut lines = 0;
    let mut decorated = 0;
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        lines += 1;
        let Some(inner) = l.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(d, _)| d) else { continue };
        let timeish = inner.len() >= 10 && inner.as_bytes()[4] == b'-' && inner.as_bytes()[7] == b'-';
        let up = inner.ends_with('s')
            && inner.trim_end_matches(['s', 'm', 'n']).bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',');
        let level = matches!(inner.trim(), "info" | "debug" | "trace" | "warning" | "error");
        if timeish || (up && !inner.is_empty()) || level {
            decorated += 1;
        }
    }
    lines > 0 && decorated * 2 > lines
}

/// Legacy / unified files of the corpus: garbagecat files by its INDEX.tsv (files it calls legacy
/// but that carry unified decorators are unified), the others by content.
fn corpus_files(root: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let index = std::fs::read_to_string(root.join("garbagecat/INDEX.tsv")).unwrap_or_default();
    let legacy_by_index: BTreeMap<&str, bool> = index
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').collect::<Vec<_>>().get(..3).map(|f| (f[0], f[2] == "legacy")))
        .collect();
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("readable corpus folder") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let (mut legacy, mut unified) = (Vec::new(), Vec::new());
    for p in files {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if matches!(name, "SOURCES.md" | "INDEX.tsv") || name.ends_with(".gz") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&p).expect("readable corpus file")).into_owned();
        let in_garbagecat = p.parent().and_then(|d| d.file_name()).is_some_and(|d| d == "garbagecat");
        let is_legacy = if in_garbagecat { legacy_by_index.get(name).copied().unwrap_or(false) } else { true };
        if is_legacy && !looks_unified(&text) {
            legacy.push(p);
        } else {
            unified.push(p);
        }
    }
    (legacy, unified)
}

/// Result of one file.
struct FileRun {
    out: GcOutput,
    expected_pauses: usize,
    sniffed: bool,
}

fn run_file(path: &Path) -> FileRun {
    let data = std::fs::read(path).expect("readable file");
    let ctx = SourceCtx { source: path.display().to_string(), clock_scope: "test".into() };
    let mut out = GcOutput::default();
    jvm_legacy::ingest(&ctx, &mut data.as_slice(), &mut out).expect("in-memory read");
    let sniffed = jvm_legacy::sniff(&data[..data.len().min(64 * 1024)]);
    let expected_pauses = count_pause_ends(&String::from_utf8_lossy(&data));
    FileRun { out, expected_pauses, sniffed }
}

/// Checks one legacy file; returns a failure description.
fn check(path: &Path, r: &FileRun) -> Option<String> {
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("readable file")).into_owned();
    let a = &r.out.account;
    let mut problems = Vec::new();
    if a.lines_read() != a.lines_parsed() + a.lines_skipped() {
        problems.push(format!(
            "read {} != parsed {} + skipped {}",
            a.lines_read(),
            a.lines_parsed(),
            a.lines_skipped()
        ));
    }
    if a.lines_read() != text.lines().count() as i64 {
        problems.push(format!("read {} lines, file has {}", a.lines_read(), text.lines().count()));
    }
    if r.out.pauses.len() != r.expected_pauses {
        problems.push(format!("{} pauses, independent count {}", r.out.pauses.len(), r.expected_pauses));
    }
    if r.expected_pauses > 0 && !r.sniffed {
        problems.push("sniff rejected it".into());
    }
    for p in &r.out.pauses {
        if p.pause_kind == "other" || p.duration_ns < 0 || p.runtime != "jvm" {
            problems.push(format!(
                "line {}: odd pause {:?} kind {} duration {}",
                p.line, p.name, p.pause_kind, p.duration_ns
            ));
        }
    }
    (!problems.is_empty()).then(|| format!("{}: {}", path.display(), problems.join("; ")))
}

/// Summary per corpus folder: files, pauses, lines not understood and their top reasons.
#[derive(Default)]
struct Summary {
    files: usize,
    pauses: usize,
    safepoints: usize,
    not_understood: i64,
    reasons: BTreeMap<String, i64>,
}

fn run_all(files: &[PathBuf], group_of: impl Fn(&Path) -> String) -> (BTreeMap<String, Summary>, Vec<String>) {
    let mut summaries: BTreeMap<String, Summary> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in files {
        let r = match std::panic::catch_unwind(|| run_file(path)) {
            Ok(r) => r,
            Err(_) => {
                failures.push(format!("{}: panicked", path.display()));
                continue;
            }
        };
        failures.extend(check(path, &r));
        let s = summaries.entry(group_of(path)).or_default();
        s.files += 1;
        s.pauses += r.out.pauses.len();
        s.safepoints += r.out.safepoints.len();
        s.not_understood += r.out.account.lines_not_understood();
        for row in r.out.account.rows("x", None) {
            if row.kind == "skip" {
                *s.reasons.entry(row.reason.unwrap_or_default()).or_default() += row.skipped;
            }
        }
    }
    (summaries, failures)
}

fn print(summaries: &BTreeMap<String, Summary>) {
    for (group, s) in summaries {
        let mut top: Vec<_> = s.reasons.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = top.iter().take(4).map(|(r, n)| format!("{r} ({n})")).collect();
        eprintln!(
            "jvm-legacy {group}: {} files, {} pauses, {} safepoints, {} lines not understood{}",
            s.files,
            s.pauses,
            s.safepoints,
            s.not_understood,
            if top.is_empty() { String::new() } else { format!(": {}", top.join(", ")) }
        );
    }
}

#[test]
fn corpus_legacy_files_parse_and_match_independent_count() {
    let root = &corpus();
    if !root.is_dir() {
        eprintln!("skipping: {} is absent", root.display());
        return;
    }
    let (legacy, unified) = corpus_files(root);
    assert!(legacy.len() > 200, "expected the legacy corpus, found {} files", legacy.len());
    let (summaries, failures) = run_all(&legacy, |p| {
        p.strip_prefix(root)
            .ok()
            .and_then(|r| r.iter().next())
            .map_or(String::new(), |c| c.to_string_lossy().into_owned())
    });
    print(&summaries);
    assert!(failures.is_empty(), "{} legacy files failed:\n{}", failures.len(), failures.join("\n"));
    let sniffed_unified: Vec<String> = unified
        .iter()
        .filter(|p| {
            let data = std::fs::read(p).expect("readable file");
            jvm_legacy::sniff(&data[..data.len().min(64 * 1024)])
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(sniffed_unified.is_empty(), "unified logs sniffed as legacy:\n{}", sniffed_unified.join("\n"));
}

/// A fixture's expected content: file, pauses per kind, collector, safepoints.
type Expected = (&'static str, &'static [(&'static str, usize)], &'static str, usize);

#[test]
fn fixtures_parse_and_match_independent_count() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures/gc/jvm-legacy")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "log"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "fixtures missing: {files:?}");
    let (summaries, failures) = run_all(&files, |_| "fixtures".into());
    print(&summaries);
    assert!(failures.is_empty(), "{} fixtures failed:\n{}", failures.len(), failures.join("\n"));
    // Read off the files: pause records per kind, collector, stopped-time lines.
    let expected: &[Expected] = &[
        ("garbagecat-dataset121.txt", &[("full", 1)], "CMS", 0),
        ("garbagecat-dataset15.txt", &[("young", 1)], "CMS", 0),
        ("garbagecat-dataset231.txt", &[("final_mark", 1)], "Shenandoah", 1),
        ("gctoolkit-serial180.log", &[("full", 16), ("young", 31)], "Serial", 0),
        ("gcviewer-SampleSun1_7_0G1_AppStopped_TenuringDist_Ergonomics_comma.txt", &[("young", 1)], "G1", 2),
        ("gcviewer-SampleSun1_7_0G1_PauseWithComma.txt", &[("young", 1)], "G1", 0),
        ("gcviewer-SampleSun1_8_0CMS_ScavengeBeforeRemark_HeapAtGc.txt", &[("remark", 1)], "CMS", 0),
        ("gcviewer-SampleSun1_8_0CmsPrintGcId.txt", &[("initial_mark", 1), ("remark", 1), ("young", 8)], "CMS", 0),
        ("gcviewer-SampleSun1_8_0G1PrintGCID.txt", &[("cleanup", 1), ("remark", 1), ("young", 5)], "G1", 0),
        ("gcviewer-SampleSun1_8_0ParallelPrintGCID.txt", &[("full", 2), ("young", 3)], "Parallel", 0),
    ];
    assert_eq!(files.len(), expected.len(), "one expectation per fixture");
    for (name, kinds, collector, safepoints) in expected {
        let r = run_file(&fixtures().join(name));
        let mut got: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &r.out.pauses {
            *got.entry(p.pause_kind.as_str()).or_default() += 1;
            assert_eq!(p.collector, *collector, "{name} line {}", p.line);
        }
        assert_eq!(got.into_iter().collect::<Vec<_>>(), kinds.to_vec(), "{name}");
        assert_eq!(r.out.safepoints.len(), *safepoints, "{name}");
        assert_eq!(r.out.account.lines_not_understood(), 0, "{name}");
    }
}
