//! bpftrace output (text or `-f json`, 0.17 through current) → `bpftrace_lines`,
//! `bpftrace_maps`, `bpftrace_hist`, `lost_events`.
//!
//! The mode is decided by the first non-blank line: a line starting with `{` means JSON (one
//! record per line; pretty-printed records spanning several lines, as in bpftrace's own test
//! outputs, are joined). Text mode ([`text`]) reads `printf`/`time()` lines, `Attaching N
//! probes...`, stray stderr lines, and map dumps (scalar, keyed, multi-key, multi-line stack
//! keys, `stats()`, `hist()`/`lhist()` blocks). JSON mode ([`json`]) reads every record type;
//! types it does not know are kept raw. Every line read is accounted for in
//! [`BpftraceOutput::account`].
//!
//! [`ingest`] keeps every row in memory; [`stream::ingest_to_parts`] (what `tracefold ingest`
//! uses) streams `bpftrace_lines` rows, and the `epoll_calls`/`epoll_ready` rows of a netpoll
//! capture paired as the lines are read, to the source's own part files: memory is bounded by a
//! batch (maps and histograms, printed at exit, stay in memory).

pub mod columns;
pub mod fields;
pub mod hist;
pub mod json;
pub mod stream;
pub mod text;

use std::io::BufRead;

use model::tables::bpftrace_hist::BpftraceHistRow;
use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::bpftrace_maps::BpftraceMapRow;
use model::tables::lost_events::LostEventsRow;

use crate::account::LineAccount;
use crate::gc::SourceCtx;
use crate::ReadError;

/// Rows and accounting produced from one bpftrace output.
#[derive(Debug, Default)]
pub struct BpftraceOutput {
    /// Non-map lines and records, in file order.
    pub lines: Vec<BpftraceLineRow>,
    /// Map entries, in file order.
    pub maps: Vec<BpftraceMapRow>,
    /// Histogram buckets, in file order.
    pub hist: Vec<BpftraceHistRow>,
    /// Lost-event reports.
    pub lost: Vec<LostEventsRow>,
    /// Line accounting.
    pub account: LineAccount,
    /// Netpoll pairing fed every `lines` row as it is made, when set.
    pub netpoll: Option<crate::netpoll::Pairing>,
    /// `lines` rows handed to a flush callback so far (no longer in `lines`).
    pub flushed_lines: usize,
    /// Rows buffered before the flush callback is called; 0: [`FLUSH_ROWS`].
    pub flush_rows: usize,
    /// When set, `lines` rows are built here column by column instead of in `lines`.
    pub columns: Option<columns::LineColumns>,
}

/// Rows buffered before the flush callback of [`ingest_with`] is called (by default).
pub const FLUSH_ROWS: usize = 16 * 1024;

impl BpftraceOutput {
    /// Adds a `bpftrace_lines` row (and feeds it to the netpoll pairing, if any).
    pub fn push_line(&mut self, row: BpftraceLineRow) {
        if let Some(n) = &mut self.netpoll {
            n.line(row.line, &row.text);
        }
        match &mut self.columns {
            Some(c) => c.push_row(&row),
            None => self.lines.push(row),
        }
    }

    /// Adds a text-mode `bpftrace_lines` row, its fields parsed from `text` (and feeds it to the
    /// netpoll pairing, if any).
    pub fn push_text_line(&mut self, source: &str, line: u64, kind: &str, text: &str) {
        let line = line as i64;
        if let Some(n) = &mut self.netpoll {
            n.line(line, text);
        }
        match &mut self.columns {
            Some(c) => c.push_text(source, line, kind, text),
            None => self.lines.push(BpftraceLineRow {
                source: source.to_string(),
                line,
                kind: kind.to_string(),
                text: text.to_string(),
                fields: fields::fields(text),
                ts_ns: fields::leading_ts_ns(text),
            }),
        }
    }

    /// `lines` rows buffered (as rows or in `columns`).
    pub fn lines_buffered(&self) -> usize {
        self.lines.len() + self.columns.as_ref().map_or(0, columns::LineColumns::len)
    }

    /// Rows made so far, flushed or not: lines, map entries and histogram buckets.
    pub fn rows(&self) -> usize {
        self.flushed_lines + self.lines_buffered() + self.maps.len() + self.hist.len()
    }

    /// Rows buffered that a flush would hand over (lines and finished netpoll rows).
    fn buffered(&self) -> usize {
        self.lines_buffered() + self.netpoll.as_ref().map_or(0, |n| n.pending_rows())
    }

    /// Calls `flush` when `flush_rows` rows are buffered.
    pub(crate) fn maybe_flush(&mut self, flush: &mut dyn FnMut(&mut BpftraceOutput)) {
        let limit = if self.flush_rows == 0 { FLUSH_ROWS } else { self.flush_rows };
        if self.buffered() >= limit {
            flush(self);
        }
    }
}

/// Whether the first bytes look like bpftrace output: an `Attaching N probes...` line, a JSON
/// record `{"type": "<bpftrace type>"` (also pretty-printed: `{` alone, then `"type": ...`), or
/// a map dump line (`@name: v`, `@name[k]: v`, `@name:`) near the top.
pub fn sniff(head: &[u8]) -> bool {
    let mut open_brace = false;
    for l in head.split(|&b| b == b'\n').take(50) {
        let Ok(l) = std::str::from_utf8(l) else { continue };
        let l = l.trim();
        if open_brace {
            let ty = l.strip_prefix("\"type\":").map(str::trim_start);
            return ty.is_some_and(|r| json::KNOWN_TYPES.iter().any(|t| r.starts_with(&format!("\"{t}\""))));
        }
        if l == "{" {
            open_brace = true;
            continue;
        }
        if l.starts_with("Attaching ") && l.ends_with(" probes...") || l == "Attaching 1 probe..." {
            return true;
        }
        if l.starts_with("{\"type\":") {
            return json::KNOWN_TYPES.iter().any(|t| {
                l.strip_prefix("{\"type\":").is_some_and(|r| r.trim_start().starts_with(&format!("\"{t}\"")))
            });
        }
        if l.starts_with('@') && text::split_map_line(l).is_some() {
            return true;
        }
    }
    false
}

/// Parses one bpftrace output, text or JSON, keeping every row in `out`.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut BpftraceOutput) -> Result<(), ReadError> {
    ingest_with(ctx, input, out, &mut |_| {})
}

/// Parses one bpftrace output, text or JSON, calling `flush` whenever [`FLUSH_ROWS`] rows are
/// buffered in `out.lines` and its netpoll pairing (the callback takes them; it is not called
/// for the rows left at the end).
pub fn ingest_with(
    ctx: &SourceCtx,
    input: &mut dyn BufRead,
    out: &mut BpftraceOutput,
    flush: &mut dyn FnMut(&mut BpftraceOutput),
) -> Result<(), ReadError> {
    let is_json = {
        let buf = input.fill_buf().map_err(|source| ReadError { offset: 0, line: 0, source })?;
        json_first(buf)
    };
    if is_json {
        json::ingest(ctx, input, out, flush)
    } else {
        text::ingest(ctx, input, out, flush)
    }
}

/// Whether the first line that is not blank and not one of bpftrace's own stderr messages
/// (`ERROR:`, `WARNING:`) starts with `{`.
fn json_first(buf: &[u8]) -> bool {
    for l in buf.split(|&b| b == b'\n') {
        let l = l.trim_ascii();
        if l.is_empty() || l.starts_with(b"ERROR:") || l.starts_with(b"WARNING:") {
            continue;
        }
        return l.starts_with(b"{");
    }
    false
}

/// Canonical key from key parts: parts joined by `, `.
pub(crate) fn key_columns(parts: &[String]) -> (String, i64, Option<String>, Option<String>) {
    (parts.join(", "), parts.len() as i64, parts.first().cloned(), parts.get(1).cloned())
}

/// Frames of a stack key: trimmed non-empty lines joined by `\n`.
pub(crate) fn stack_key(text: &str) -> String {
    let mut s = String::new();
    for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(l);
    }
    s
}

/// A map value parsed from its printed form.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct MapValue {
    pub value: Option<i64>,
    pub value_f64: Option<f64>,
    pub text: String,
    pub stats: Option<(i64, i64, i64)>,
}

impl MapValue {
    /// Value from its text-mode form.
    pub(crate) fn from_text(v: &str) -> Self {
        let v = v.trim();
        if let Some(s) = parse_stats(v) {
            return MapValue { value: Some(s.1), value_f64: Some(s.1 as f64), text: v.to_string(), stats: Some(s) };
        }
        let (value, value_f64) = number(v);
        MapValue { value, value_f64, text: v.to_string(), stats: None }
    }

    pub(crate) fn row(self, source: &str, line: u64, map: &str, parts: &[String]) -> BpftraceMapRow {
        let (key, key_len, key1, key2) = key_columns(parts);
        BpftraceMapRow {
            source: source.to_string(),
            line: line as i64,
            map: map.to_string(),
            key,
            key_len,
            key1,
            key2,
            value: self.value,
            value_f64: self.value_f64,
            value_text: self.text,
            kind: if self.stats.is_some() { "stats" } else { "value" }.to_string(),
            stats_count: self.stats.map(|s| s.0),
            stats_avg: self.stats.map(|s| s.1),
            stats_total: self.stats.map(|s| s.2),
        }
    }
}

/// `count N, average A, total T`.
fn parse_stats(v: &str) -> Option<(i64, i64, i64)> {
    let mut it = v.split(", ");
    let c = it.next()?.strip_prefix("count ")?.parse().ok()?;
    let a = it.next()?.strip_prefix("average ")?.parse().ok()?;
    let t = it.next()?.strip_prefix("total ")?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Some((c, a, t))
}

/// An integer (exact in i64 when it fits) or a float; both null for text.
pub(crate) fn number(v: &str) -> (Option<i64>, Option<f64>) {
    if let Ok(i) = v.parse::<i64>() {
        return (Some(i), Some(i as f64));
    }
    if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
        return (None, v.parse::<f64>().ok());
    }
    if v.contains('.') && v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return (None, v.parse::<f64>().ok());
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sniffs_pretty_printed_json() {
        assert!(super::sniff(b"{\n  \"type\": \"tseries\",\n  \"data\": {\n"));
        assert!(!super::sniff(b"{\n  \"kind\": \"tseries\"\n"));
        assert!(!super::sniff(b"{\n  \"type\": \"nope\"\n"));
    }
}
