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

pub mod fields;
pub mod hist;
pub mod json;
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
}

/// Whether the first bytes look like bpftrace output: an `Attaching N probes...` line, a JSON
/// record `{"type": "<bpftrace type>"`, or a map dump line (`@name: v`, `@name[k]: v`, `@name:`)
/// near the top.
pub fn sniff(head: &[u8]) -> bool {
    for l in head.split(|&b| b == b'\n').take(50) {
        let Ok(l) = std::str::from_utf8(l) else { continue };
        let l = l.trim();
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

/// Parses one bpftrace output, text or JSON.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut BpftraceOutput) -> Result<(), ReadError> {
    let is_json = {
        let buf = input.fill_buf().map_err(|source| ReadError { offset: 0, line: 0, source })?;
        json_first(buf)
    };
    if is_json {
        json::ingest(ctx, input, out)
    } else {
        text::ingest(ctx, input, out)
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
