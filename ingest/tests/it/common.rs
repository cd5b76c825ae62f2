//! Shared helpers: fixture paths and parsing one file with format detection.

use std::path::{Path, PathBuf};

use model::tables::gc_cycles::GcCycleRow;
use tracefold_ingest::format;
use tracefold_ingest::gc::{GcOutput, SourceCtx};

/// `fixtures/<rel>` of the workspace.
pub fn fixture(rel: &str) -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(rel)
}

/// `../shared/corpus/<rel>` beside the project, when present (tests using it skip otherwise).
pub fn shared_corpus(rel: &str) -> Option<PathBuf> {
    let p = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

/// Detects and parses one file in memory; `None` when no format matches.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Option<(&'static str, GcOutput, Vec<GcCycleRow>)> {
    let head = &bytes[..bytes.len().min(format::SNIFF_BYTES)];
    let f = format::detect(head)?;
    let ctx = SourceCtx { source: name.to_string(), clock_scope: name.to_string() };
    let mut out = GcOutput::default();
    let mut reader: &[u8] = bytes;
    let tracefold_ingest::format::Parser::Gc(parse) = f.parse else { return None };
    parse(&ctx, &mut reader, &mut out).expect("reading from memory cannot fail");
    let cycles = out.finish_cycles();
    assert_eq!(
        out.account.lines_read(),
        out.account.lines_parsed() + out.account.lines_skipped(),
        "{name}: read = parsed + skipped"
    );
    Some((f.id, out, cycles))
}

/// Detects and parses one file.
pub fn parse_file(path: &Path) -> Option<(&'static str, GcOutput, Vec<GcCycleRow>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_bytes(&path.display().to_string(), &bytes)
}

/// Reads a CSV with a header into rows of fields (the oracle CSVs have no quoted commas except
/// in the `name` field, which we never split on: fields are taken from both ends).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect()
}
