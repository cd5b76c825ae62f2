//! Text mode: printf/time/stderr lines and map dumps, one state machine over lines.

use std::io::BufRead;

use model::tables::bpftrace_hist::BpftraceHistRow;
use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::lost_events::LostEventsRow;

use super::{hist, stack_key, BpftraceOutput, MapValue};
use crate::account::SkipKind;
use crate::gc::SourceCtx;
use crate::lines::LineReader;
use crate::ReadError;

const CUT_STACK: &str = "stack key cut off (no closing `]:` line)";

/// A map line split: (map name, key text if keyed, rest after the colon). `@m: v` →
/// (`@m`, None, `v`); `@m[k1, k2]: v` → (`@m`, Some(`k1, k2`), `v`); `@m[` → (`@m`, Some(""), "")
/// with the rest empty and the key open (stack key).
pub fn split_map_line(l: &str) -> Option<(&str, Option<&str>, &str)> {
    let b = l.as_bytes();
    if b.first() != Some(&b'@') {
        return None;
    }
    let n = 1 + b[1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
    let name = &l[..n];
    match b.get(n) {
        Some(b':') => Some((name, None, &l[n + 1..])),
        Some(b'[') => {
            let rest = &l[n + 1..];
            if rest.is_empty() {
                return Some((name, Some(""), ""));
            }
            let mut from = 0;
            while let Some(i) = rest[from..].find("]:") {
                let at = from + i;
                let after = &rest[at + 2..];
                if after.is_empty() || after.starts_with(' ') {
                    return Some((name, Some(&rest[..at]), after));
                }
                from = at + 2;
            }
            None
        }
        _ => None,
    }
}

/// Key parts of a printed key (`a, 1` → [`a`, `1`]).
fn key_parts(k: &str) -> Vec<String> {
    if k.is_empty() {
        return Vec::new();
    }
    k.split(", ").map(str::to_string).collect()
}

enum State {
    Normal,
    /// Inside a hist block: map, key, next bucket index.
    Hist {
        map: String,
        key: String,
        bucket: i64,
    },
    /// Inside a multi-line stack key: map, first line, frames so far, pending (line, text).
    Stack {
        map: String,
        start: u64,
        frames: String,
        pending: Vec<(u64, String)>,
    },
}

struct Parser<'a> {
    source: &'a str,
    out: &'a mut BpftraceOutput,
    state: State,
}

impl Parser<'_> {
    fn text_line(&mut self, line_no: u64, kind: &str, text: &str) {
        self.out.push_text_line(self.source, line_no, kind, text);
        self.out.account.parsed();
    }

    fn abort_stack(&mut self) {
        if let State::Stack { pending, .. } = std::mem::replace(&mut self.state, State::Normal) {
            for (n, t) in pending {
                self.out.account.skip(SkipKind::Skip, CUT_STACK, n, t.as_bytes());
            }
        }
    }

    /// A map entry or hist header once map, key parts and the text after `:` are known.
    fn entry(&mut self, line_no: u64, map: &str, parts: Vec<String>, rest: &str) {
        if rest.trim().is_empty() {
            self.state = State::Hist { map: map.to_string(), key: parts.join(", "), bucket: 0 };
        } else {
            let row = MapValue::from_text(rest).row(self.source, line_no, map, &parts);
            self.out.maps.push(row);
        }
    }

    fn line(&mut self, line_no: u64, l: &str) {
        // Inside a stack key.
        if let State::Stack { frames, pending, .. } = &mut self.state {
            let t = l.trim_start();
            if t.starts_with(']') || t.starts_with(',') {
                if let Some(at) = t.rfind("]:") {
                    let State::Stack { map, start, frames, pending } =
                        std::mem::replace(&mut self.state, State::Normal)
                    else {
                        unreachable!()
                    };
                    let mut parts = vec![stack_key(&frames)];
                    if let Some(more) = t[..at].strip_prefix(',') {
                        parts.extend(key_parts(more.trim_start()));
                    }
                    for _ in &pending {
                        self.out.account.parsed();
                    }
                    self.out.account.parsed();
                    self.entry(start, &map, parts, &t[at + 2..]);
                    return;
                }
            } else if l.starts_with(' ') || l.starts_with('\t') {
                frames.push_str(t);
                frames.push('\n');
                pending.push((line_no, l.to_string()));
                return;
            }
            self.abort_stack();
        }
        // Inside a hist block.
        if let State::Hist { map, key, bucket } = &mut self.state {
            if let Some((label, low, high, count)) = hist::bucket_row(l) {
                self.out.hist.push(BpftraceHistRow {
                    source: self.source.to_string(),
                    line: line_no as i64,
                    map: map.clone(),
                    key: key.clone(),
                    bucket: *bucket,
                    low,
                    high,
                    count,
                    label: label.to_string(),
                    note: None,
                });
                *bucket += 1;
                self.out.account.parsed();
                return;
            }
            self.state = State::Normal;
            if l.starts_with('[') || l.starts_with('(') {
                self.out.push_line(BpftraceLineRow {
                    source: self.source.to_string(),
                    line: line_no as i64,
                    kind: "other".to_string(),
                    text: l.trim_end().to_string(),
                    fields: String::new(),
                    ts_ns: None,
                });
                self.out.account.skip(
                    SkipKind::Skip,
                    "malformed histogram row, cut off? (kept as an `other` line)",
                    line_no,
                    l.as_bytes(),
                );
                return;
            }
        }
        let t = l.trim_end();
        if t.trim_start().is_empty() {
            self.out.account.skip(SkipKind::Ignore, "blank line", line_no, l.as_bytes());
            return;
        }
        if let Some((map, key, rest)) = split_map_line(t) {
            match key {
                Some("") if rest.is_empty() => {
                    self.state = State::Stack {
                        map: map.to_string(),
                        start: line_no,
                        frames: String::new(),
                        pending: Vec::new(),
                    };
                    self.out.account.parsed();
                }
                _ => {
                    self.out.account.parsed();
                    self.entry(line_no, map, key.map(key_parts).unwrap_or_default(), rest);
                }
            }
            return;
        }
        if let Some(n) = t.strip_prefix("Lost ").and_then(|r| r.strip_suffix(" events")) {
            if let Ok(events) = n.trim().parse::<i64>() {
                self.out.lost.push(LostEventsRow { source: self.source.to_string(), line: line_no as i64, events });
                self.out.account.parsed();
                return;
            }
        }
        let kind = if t.starts_with("Attaching ") && (t.ends_with(" probes...") || t.ends_with(" probe...")) {
            "attach"
        } else if ["ERROR:", "WARNING:", "stdin:", "Error "].iter().any(|p| t.starts_with(p)) || is_diagnostic(t) {
            "stderr"
        } else if is_clock(t) {
            "time"
        } else {
            "printf"
        };
        self.text_line(line_no, kind, l);
    }
}

/// A bpftrace compiler diagnostic: `<file>.bt:52:15-16: WARNING: ...` (or `ERROR:`).
fn is_diagnostic(t: &str) -> bool {
    // `.bt:` found through its colons (a printf line has few), not a substring search per line.
    let Some(at) = memchr::memchr_iter(b':', t.as_bytes()).find(|&i| t[..i].ends_with(".bt")) else {
        return false;
    };
    let r = &t[at + 1..];
    r.contains(": WARNING: ") || r.contains(": ERROR: ")
}

/// `HH:MM:SS` alone on a line (a `time()` line with the default format).
fn is_clock(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && b.iter().enumerate().all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit())
}

/// Parses a text-mode bpftrace output; `flush` as in [`super::ingest_with`].
pub fn ingest(
    ctx: &SourceCtx,
    input: &mut dyn BufRead,
    out: &mut BpftraceOutput,
    flush: &mut dyn FnMut(&mut BpftraceOutput),
) -> Result<(), ReadError> {
    let mut reader = LineReader::new(input);
    let mut p = Parser { source: &ctx.source, out, state: State::Normal };
    let mut hist_open_at_end = false;
    loop {
        let (line_no, bytes) = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(source) => return Err(ReadError { offset: reader.offset(), line: reader.line_no(), source }),
        };
        p.out.account.read();
        let l = match std::str::from_utf8(bytes) {
            Ok(l) => std::borrow::Cow::Borrowed(l),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        let was_hist = matches!(&p.state, State::Hist { .. });
        p.line(line_no, &l);
        hist_open_at_end = (was_hist || matches!(&p.state, State::Hist { .. })) && !l.trim().is_empty();
        p.out.maybe_flush(flush);
    }
    if matches!(p.state, State::Stack { .. }) {
        p.out.account.note("output ends inside a multi-line stack key (cut off?)");
    }
    p.abort_stack();
    if hist_open_at_end {
        p.out.account.note(
            "output ends inside a histogram without its closing blank line (cut off? its last bucket may be missing)",
        );
    }
    Ok(())
}
