//! Third-party corpus (../shared/corpus/gc/jvm: garbagecat, GCViewer, gctoolkit): every file
//! is ingested or rejected with a clear message, never a panic; in every unified log, each line
//! that ends a pause by the reference rule became exactly one `gc_pauses` row.

use std::path::{Path, PathBuf};

use crate::common::{parse_bytes, shared_corpus};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if !p.ends_with("SOURCES.md") && !p.ends_with("INDEX.tsv") {
            out.push(p);
        }
    }
}

/// Pause-ending unified lines: `GC(n) [y:|Y:|O: ]Pause ... <d>ms` tagged exactly `gc` or `gc,phases`.
fn unified_pause_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let groups: Vec<&str> = l.split('[').skip(1).map(|g| g.split(']').next().unwrap_or("").trim()).collect();
            let is_tags = |g: &&str| {
                !g.is_empty()
                    && !["trace", "debug", "info", "warning", "error"].contains(g)
                    && g.bytes().all(|b| b.is_ascii_lowercase() || b == b',' || b.is_ascii_digit() || b == b'_')
                    && g.as_bytes()[0].is_ascii_lowercase()
            };
            // Lines of logs written without the tags decorator count too (tags unknown).
            let tags_ok = groups.iter().any(|g| *g == "gc" || *g == "gc,phases") || !groups.iter().any(is_tags);
            let Some(i) = l.find("] GC(") else { return false };
            let msg = &l[i + 2..];
            let after_id = msg.split_once(") ").map(|x| x.1).unwrap_or("");
            let after_gen = after_id
                .strip_prefix("y: ")
                .or(after_id.strip_prefix("Y: "))
                .or(after_id.strip_prefix("O: "))
                .unwrap_or(after_id);
            let last = l.trim_end().rsplit(' ').next().unwrap_or("");
            let ms = last
                .strip_suffix("ms")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b','));
            tags_ok && after_gen.starts_with("Pause ") && ms
        })
        .count()
}

#[test]
fn third_party_corpus_ingests_and_keeps_every_unified_pause() {
    let Some(root) = shared_corpus("gc/jvm") else { return };
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() >= 420, "corpus has 427 files, found {}", all.len());
    let (mut unified, mut legacy, mut rejected, mut pauses) = (0, 0, 0, 0);
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        let bytes = if path.extension().is_some_and(|e| e == "gz") {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2_reader(&bytes), &mut out).unwrap();
            out
        } else {
            bytes
        };
        let name = path.display().to_string();
        match parse_bytes(&name, &bytes) {
            None => {
                rejected += 1;
                let head = &bytes[..bytes.len().min(65536)];
                let why = tracefold_ingest::format::describe_unrecognised(head);
                assert!(!why.is_empty());
                eprintln!("rejected: {name}: {why}");
            }
            Some(("jvm-unified", out, _)) => {
                unified += 1;
                let text = String::from_utf8_lossy(&bytes);
                assert_eq!(out.pauses.len(), unified_pause_lines(&text), "{name}");
                pauses += out.pauses.len();
            }
            Some(_) => legacy += 1,
        }
    }
    eprintln!(
        "corpus: {} files: {unified} unified ({pauses} pauses), {legacy} other formats, {rejected} rejected",
        all.len()
    );
    assert!(unified >= 100, "unified files found: {unified}");
    // Rejected with a message: one-line JVM warnings, an application log with a thread dump,
    // an empty upstream file, a legacy log whose every date stamp is corrupted (gctoolkit's
    // `broken_datetimestamp.log`), and similar non-GC content. Each was looked at by hand.
    assert!(rejected <= 6, "rejected: {rejected}");
}

fn flate2_reader(bytes: &[u8]) -> impl std::io::Read + '_ {
    flate2::read::MultiGzDecoder::new(bytes)
}
