//! Directory captures: a directory per timestamp (`<dir>/<ts_ns>/<cgroup path>/<file>`), or one
//! one-off copy (`<dir>/[TIMESTAMP_NS]` + `<dir>/<cgroup path>/<file>`), made with `cp`/`cat`.
//!
//! Every regular file is read line by line like the stream form, so both encodings of one
//! moment give the same rows (`source` and `line` aside). An empty file is one accounted entry:
//! ignored where cgroupfs can leave the file empty (an empty group's `cgroup.procs`), skipped
//! otherwise — `tar` stores cgroupfs files as 0 bytes, so a capture full of those was tarred, not
//! copied. Unreadable entries (read errors, broken links, FIFOs and other special files, which are
//! never opened) are skipped with the reason. Directory symlinks are not followed.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::{files, CgroupOutput, Emitter};
use crate::account::SkipKind;
use crate::gc::SourceCtx;
use crate::lines::LineReader;
use crate::IngestError;

/// Name of the file holding a one-off copy's time (Unix epoch ns).
pub const TIMESTAMP_FILE: &str = "TIMESTAMP_NS";

/// Parses a directory capture at `path`; row sources are `ctx.source` joined with each file's
/// path inside the directory. Errors only when `path` itself cannot be listed.
pub fn ingest_dir(path: &Path, ctx: &SourceCtx) -> Result<CgroupOutput, IngestError> {
    let io = |source| IngestError::Io { path: path.to_path_buf(), source };
    let mut out = CgroupOutput::default();
    let mut em = Emitter::new();
    let entries = sorted_entries(path).map_err(io)?;
    let samples: Vec<(PathBuf, Option<i64>)> = if entries.iter().any(|(n, _)| n == TIMESTAMP_FILE) {
        vec![(path.to_path_buf(), read_timestamp(&path.join(TIMESTAMP_FILE), &mut out))]
    } else {
        let timed: Vec<(PathBuf, Option<i64>)> = entries
            .iter()
            .filter(|(_, p)| p.is_dir())
            .filter_map(|(n, p)| time_of_name(n).map(|t| (p.clone(), Some(t))))
            .collect();
        if !timed.is_empty() && timed.len() == entries.iter().filter(|(n, _)| !n.starts_with('.')).count() {
            timed
        } else {
            out.account.note(format!(
                "no {TIMESTAMP_FILE} file and no per-timestamp directories: the snapshot's time is unknown (time_ns null)"
            ));
            vec![(path.to_path_buf(), None)]
        }
    };
    let mut empty_suspicious = 0usize;
    let mut files_read = 0usize;
    for (root, time_ns) in samples {
        let time_ns = match time_ns {
            // A per-timestamp directory may carry its own TIMESTAMP_NS; the name decides.
            Some(t) => Some(t),
            None if root != path && root.join(TIMESTAMP_FILE).is_file() => {
                read_timestamp(&root.join(TIMESTAMP_FILE), &mut out)
            }
            None => None,
        };
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            let entries = match sorted_entries(&d) {
                Ok(e) => e,
                Err(e) => {
                    let rel = rel_path(path, &d);
                    out.account.read();
                    out.account.skip(
                        SkipKind::Skip,
                        &format!("unreadable directory ({})", e.kind()),
                        0,
                        format!("{rel}: {e}").as_bytes(),
                    );
                    continue;
                }
            };
            // Files first, then subdirectories in name order.
            let mut subdirs = Vec::new();
            for (name, p) in entries {
                if name.starts_with('.') || (name == TIMESTAMP_FILE && d == root) {
                    continue;
                }
                let meta = match fs::symlink_metadata(&p) {
                    Ok(m) => m,
                    Err(e) => {
                        unreadable(&mut out, path, &p, &e.kind().to_string(), &e.to_string());
                        continue;
                    }
                };
                if meta.is_dir() {
                    subdirs.push(p);
                    continue;
                }
                let meta = if meta.file_type().is_symlink() {
                    match fs::metadata(&p) {
                        Ok(m) if m.is_dir() => continue,
                        Ok(m) => m,
                        Err(e) => {
                            unreadable(&mut out, path, &p, &e.kind().to_string(), &e.to_string());
                            continue;
                        }
                    }
                } else {
                    meta
                };
                if !meta.is_file() {
                    unreadable(&mut out, path, &p, "not a regular file", "special file, not opened");
                    continue;
                }
                files_read += 1;
                let rel_root = rel_path(&root, &p);
                let rel_dataset = rel_path(path, &p);
                if meta.len() == 0 {
                    let loc = em.locate(&rel_root);
                    out.account.read();
                    let example = format!("{rel_dataset} (0 bytes)");
                    if files::may_be_empty(&loc.file) {
                        out.account.skip(
                            SkipKind::Ignore,
                            "empty file (no lines, as `grep .` shows it)",
                            0,
                            example.as_bytes(),
                        );
                    } else {
                        empty_suspicious += 1;
                        out.account.skip(
                            SkipKind::Skip,
                            "empty file that cgroupfs never leaves empty (copied with `tar`? it stores cgroupfs files as 0 bytes; copy with cp or cat)",
                            0,
                            example.as_bytes(),
                        );
                    }
                    continue;
                }
                let source = format!("{}/{}", ctx.source.trim_end_matches('/'), rel_dataset);
                if let Err(e) = read_file(&mut em, &mut out, &p, &rel_root, &rel_dataset, &source, time_ns) {
                    unreadable(&mut out, path, &p, &e.kind().to_string(), &e.to_string());
                }
            }
            subdirs.reverse();
            stack.extend(subdirs);
        }
    }
    if empty_suspicious > 0 {
        out.account.note(format!(
            "{empty_suspicious} of {files_read} files are empty although cgroupfs never leaves them empty: \
             was the capture made with `tar`? (cgroupfs files report size 0, so tar stores them empty)"
        ));
    }
    Ok(out)
}

fn read_file(
    em: &mut Emitter,
    out: &mut CgroupOutput,
    p: &Path,
    rel_root: &str,
    rel_dataset: &str,
    source: &str,
    time_ns: Option<i64>,
) -> std::io::Result<()> {
    let loc = em.locate(rel_root);
    let f = fs::File::open(p)?;
    let mut reader = LineReader::new(BufReader::new(f));
    while let Some((line_no, bytes)) = reader.next_line()? {
        out.account.read();
        let text = String::from_utf8_lossy(bytes);
        let example = format!("{rel_dataset}: {text}");
        if text.trim().is_empty() {
            out.account.skip(SkipKind::Ignore, "empty line", line_no, example.as_bytes());
            continue;
        }
        em.data_line(source, line_no, time_ns, &loc, &text, example.as_bytes(), out);
    }
    Ok(())
}

fn unreadable(out: &mut CgroupOutput, base: &Path, p: &Path, kind: &str, err: &str) {
    out.account.read();
    out.account.skip(
        SkipKind::Skip,
        &format!("unreadable file ({kind})"),
        0,
        format!("{}: {err}", rel_path(base, p)).as_bytes(),
    );
}

/// Entries of a directory, sorted by name.
fn sorted_entries(d: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut v = Vec::new();
    for e in fs::read_dir(d)? {
        let e = e?;
        v.push((e.file_name().to_string_lossy().into_owned(), e.path()));
    }
    v.sort();
    Ok(v)
}

fn rel_path(base: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(base).unwrap_or(p);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Time named by a per-timestamp directory: integer epoch ns, or epoch seconds with a fraction.
fn time_of_name(name: &str) -> Option<i64> {
    if name.bytes().all(|b| b.is_ascii_digit()) {
        name.parse().ok()
    } else if name.contains('.') {
        crate::units::decimal_scaled(name, 9)
    } else {
        None
    }
}

fn read_timestamp(p: &Path, out: &mut CgroupOutput) -> Option<i64> {
    let text = fs::read_to_string(p).ok()?;
    let t = text.trim();
    let v = t.parse::<i64>().ok().or_else(|| crate::units::decimal_scaled(t, 9));
    if v.is_none() {
        out.account.note(format!("{TIMESTAMP_FILE} does not hold a time ({t:?}): time_ns null"));
    }
    v
}
