//! JVM legacy GC logs (JDK 8 and older: `-XX:+PrintGCDetails`, `-verbose:gc`, with or without
//! `-XX:+PrintGCDateStamps`, `-XX:+PrintGCTimeStamps`, `-XX:+PrintGCID`,
//! `-XX:+PrintGCApplicationStoppedTime`): Parallel, Serial, CMS/ParNew, G1 and the Shenandoah
//! JDK 8 backport.
//!
//! A legacy record is a bracketed group, possibly spread over lines and interleaved with output
//! of other threads: `[GC (Allocation Failure) [PSYoungGen: ...] 1569902K->...(2018560K), 0.0123 secs]`.
//! The parser tracks brackets across lines: the outermost group is the record, nested groups
//! tell the collector and phase (`[ParNew: ...]`, `[1 CMS-initial-mark: ...]`), and concurrent
//! phases (`[CMS-concurrent-mark: ...]`) that another thread printed into a record are taken out
//! as phases of their own. Lines that are not record text (heap dumps, tenuring distribution,
//! histograms, ...) are recognised per line and ignored; `Total time for which application
//! threads were stopped` messages are cut out of whatever line they were printed into.
//!
//! Output: one `gc_pauses` row per outermost stop-the-world record (a young collection that a
//! CMS remark runs first is part of the remark pause), concurrent phases as concurrent
//! `gc_cycles`, stopped-time messages as `safepoints`.

mod emit;
mod figures;
mod messages;
mod noise;
mod parser;
mod pause;
mod record;
mod stamps;
#[cfg(test)]
mod tests;

use std::io::BufRead;

use self::parser::Parser;
use self::record::Label;
use super::{GcOutput, SourceCtx};
use crate::lines::LineReader;
use crate::ReadError;

/// Whether the first bytes of a file look like a legacy JVM GC log (and not unified logging).
pub fn sniff(head: &[u8]) -> bool {
    let mut legacy = 0usize;
    let mut unified = 0usize;
    for line in head.split(|&b| b == b'\n').take(2000) {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end();
        if unified_decorator(line) {
            unified += 1;
            continue;
        }
        let (_, rest) = stamps::leading(line);
        let record =
            rest.strip_prefix('[').is_some_and(|r| matches!(record::label(r), Label::Pause(_) | Label::Concurrent));
        if record
            || rest.starts_with("Total time for which application threads were stopped:")
            || line.starts_with("CommandLine flags:")
            || line.starts_with("GC STATISTICS:")
        {
            legacy += 1;
        }
    }
    legacy > 0 && legacy >= unified
}

/// A unified-logging decorator at the start of a line: `[2020-...]`, `[0.035s]`, `[123ms]`, `[info]`.
fn unified_decorator(line: &str) -> bool {
    let Some(inner) = line.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(d, _)| d) else { return false };
    let b = inner.as_bytes();
    let num_unit = |unit: &str| {
        inner
            .strip_suffix(unit)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit() || c == b'.' || c == b','))
    };
    (b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T')
        || num_unit("s")
        || num_unit("ms")
        || num_unit("ns")
        || matches!(inner.trim(), "info" | "debug" | "trace" | "warning" | "error")
}

/// Parses a legacy JVM GC log.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut GcOutput) -> Result<(), ReadError> {
    let mut reader = LineReader::new(input);
    let mut p = Parser::new(ctx);
    while let Some((line_no, bytes)) = reader.next_checked()? {
        out.account.read();
        p.last_line = line_no;
        let text = String::from_utf8_lossy(bytes);
        p.line(line_no, &text, bytes, out);
    }
    p.finish(out);
    Ok(())
}
