//! JSON mode (`-f json`): one record `{"type": T, "data": D}` per line; pretty-printed records
//! over several lines are joined until they parse.

use std::io::BufRead;

use model::tables::bpftrace_hist::BpftraceHistRow;
use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::lost_events::LostEventsRow;
use serde_json::{Map, Value};

use super::{fields, hist, key_columns, stack_key, BpftraceOutput, MapValue};
use crate::account::SkipKind;
use crate::gc::SourceCtx;
use crate::lines::LineReader;
use crate::ReadError;

/// Record types this reader knows (others are kept raw).
pub const KNOWN_TYPES: &[&str] = &[
    "attached_probes",
    "printf",
    "time",
    "cat",
    "join",
    "syscall",
    "map",
    "hist",
    "stats",
    "value",
    "lost_events",
    "helper_error",
    "errorf",
    "warnf",
    "runtime_error",
    "tseries",
];

/// Most lines a pretty-printed record may span before it is given up.
const MAX_RECORD_LINES: usize = 100_000;

/// Key parts of a JSON map key: a stack key (contains a newline) is one part, others split at `,`.
fn key_parts(k: &str) -> Vec<String> {
    if k.contains('\n') {
        // A stack key, possibly followed by `,more` parts after its last line.
        let (stack, more) = match k.rfind('\n') {
            Some(i) if k[i + 1..].starts_with(',') => (&k[..i], Some(&k[i + 2..])),
            _ => (k, None),
        };
        let mut parts = vec![stack_key(stack)];
        if let Some(m) = more {
            parts.extend(m.split(',').map(str::to_string));
        }
        return parts;
    }
    k.split(',').map(str::to_string).collect()
}

/// A JSON value rendered as text mode prints it (strings unquoted, tuples `(a, 1)`).
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => format!("({})", a.iter().map(render).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

fn map_value(v: &Value) -> MapValue {
    match v {
        Value::Number(n) => MapValue { value: n.as_i64(), value_f64: n.as_f64(), text: n.to_string(), stats: None },
        Value::Object(o) if is_stats(o) => {
            let g = |k: &str| o.get(k).and_then(Value::as_i64).unwrap_or_default();
            let s = (g("count"), g("average"), g("total"));
            MapValue {
                value: Some(s.1),
                value_f64: Some(s.1 as f64),
                text: format!("count {}, average {}, total {}", s.0, s.1, s.2),
                stats: Some(s),
            }
        }
        other => MapValue { value: None, value_f64: None, text: render(other), stats: None },
    }
}

fn is_stats(o: &Map<String, Value>) -> bool {
    o.len() == 3 && ["count", "average", "total"].iter().all(|k| o.get(*k).is_some_and(Value::is_number))
}

struct Reader<'a> {
    source: &'a str,
    out: &'a mut BpftraceOutput,
}

impl Reader<'_> {
    fn line_row(&mut self, line: u64, kind: &str, text: &str, flds: Option<String>) {
        self.out.push_line(BpftraceLineRow {
            source: self.source.to_string(),
            line: line as i64,
            kind: kind.to_string(),
            text: text.to_string(),
            fields: flds.unwrap_or_else(|| fields::fields(text)),
            ts_ns: fields::leading_ts_ns(text),
        });
    }

    /// Handles one parsed record; `false` when its type is not understood (kept raw).
    fn record(&mut self, line: u64, raw: &str, rec: &Value) -> bool {
        let ty = rec.get("type").and_then(Value::as_str).unwrap_or("");
        let data = rec.get("data").unwrap_or(&Value::Null);
        match ty {
            "printf" | "time" | "cat" | "join" | "syscall" | "errorf" | "warnf" => {
                let text = match data {
                    Value::String(s) => s.strip_suffix('\n').unwrap_or(s).to_string(),
                    Value::Object(o) if o.get("msg").is_some_and(Value::is_string) => {
                        o["msg"].as_str().unwrap_or_default().to_string()
                    }
                    other => render(other),
                };
                for l in text.split('\n') {
                    self.line_row(line, ty, l, None);
                }
            }
            "attached_probes" => {
                let n = data.get("probes").and_then(Value::as_i64).or_else(|| rec.get("count").and_then(Value::as_i64));
                self.line_row(line, "attach", raw, Some(n.map(|n| format!("probes={n}")).unwrap_or_default()));
            }
            "lost_events" => {
                let n = data.get("events").and_then(Value::as_i64).or_else(|| rec.get("count").and_then(Value::as_i64));
                match n {
                    Some(events) => {
                        self.out.lost.push(LostEventsRow { source: self.source.to_string(), line: line as i64, events })
                    }
                    None => return false,
                }
            }
            "map" | "stats" => {
                let Value::Object(maps) = data else { return false };
                for (name, v) in maps {
                    match v {
                        Value::Object(o) if !(ty == "stats" && is_stats(o)) => {
                            for (k, v) in o {
                                let row = map_value(v).row(self.source, line, name, &key_parts(k));
                                self.out.maps.push(row);
                            }
                        }
                        v => {
                            let row = map_value(v).row(self.source, line, name, &[]);
                            self.out.maps.push(row);
                        }
                    }
                }
            }
            "hist" => {
                let Value::Object(maps) = data else { return false };
                for (name, v) in maps {
                    match v {
                        Value::Array(b) => self.buckets(line, name, "", b),
                        Value::Object(o) => {
                            for (k, b) in o {
                                let key = key_columns(&key_parts(k)).0;
                                match b {
                                    Value::Array(b) => self.buckets(line, name, &key, b),
                                    _ => return false,
                                }
                            }
                        }
                        _ => return false,
                    }
                }
            }
            "value" => self.line_row(line, "value", &render(data), None),
            "helper_error" | "runtime_error" | "tseries" => self.line_row(line, ty, raw, Some(flat_fields(rec))),
            _ => {
                self.line_row(line, "raw", raw, Some(String::new()));
                return false;
            }
        }
        true
    }

    fn buckets(&mut self, line: u64, map: &str, key: &str, b: &[Value]) {
        let mut prev_high = None;
        for (i, e) in b.iter().enumerate() {
            let g = |k: &str| e.get(k).and_then(Value::as_i64);
            let (low, high, note) = hist::json_bounds(g("min"), g("max"), prev_high);
            if note.is_some() {
                self.out.account.note(format!("{map}: {}", note.as_deref().unwrap_or_default()));
            }
            prev_high = high.or(prev_high);
            self.out.hist.push(BpftraceHistRow {
                source: self.source.to_string(),
                line: line as i64,
                map: map.to_string(),
                key: key.to_string(),
                bucket: i as i64,
                low,
                high,
                count: g("count").unwrap_or_default(),
                label: hist::label_of(low, high),
                note,
            });
        }
    }
}

/// Scalar top-level and `data` fields as `k=v;...`.
fn flat_fields(rec: &Value) -> String {
    let mut parts = Vec::new();
    let mut add = |o: &Map<String, Value>| {
        for (k, v) in o {
            if !v.is_object() && !v.is_array() && k != "type" {
                parts.push(format!("{k}={}", render(v)));
            }
        }
    };
    if let Value::Object(o) = rec {
        add(o);
        if let Some(Value::Object(d)) = o.get("data") {
            add(d);
        }
    }
    parts.join(";")
}

/// A record being joined over several lines: first line, text so far, lines (number, text).
type Pending = (u64, String, Vec<(u64, String)>);

/// Parses a JSON-mode bpftrace output; `flush` as in [`super::ingest_with`].
pub fn ingest(
    ctx: &SourceCtx,
    input: &mut dyn BufRead,
    out: &mut BpftraceOutput,
    flush: &mut dyn FnMut(&mut BpftraceOutput),
) -> Result<(), ReadError> {
    let mut reader = LineReader::new(input);
    let mut r = Reader { source: &ctx.source, out };
    // A record being joined over several lines: first line, text, lines (number, text).
    let mut pending: Option<Pending> = None;
    loop {
        r.out.maybe_flush(flush);
        let (line_no, bytes) = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(source) => return Err(ReadError { offset: reader.offset(), line: reader.line_no(), source }),
        };
        r.out.account.read();
        let l = String::from_utf8_lossy(bytes).into_owned();
        let t = l.trim();
        if let Some((start, mut buf, mut lines)) = pending.take() {
            // A new top-level record starts: the joined one never parsed.
            if t.starts_with("{\"type\"") {
                give_up(&mut r, lines);
            } else {
                buf.push('\n');
                buf.push_str(&l);
                lines.push((line_no, l.clone()));
                if t.ends_with('}') {
                    if let Ok(v) = serde_json::from_str::<Value>(&buf) {
                        finish(&mut r, start, &buf, &v, lines.len());
                        continue;
                    }
                }
                if lines.len() >= MAX_RECORD_LINES {
                    give_up(&mut r, lines);
                } else {
                    pending = Some((start, buf, lines));
                }
                continue;
            }
        }
        if t.is_empty() {
            r.out.account.skip(SkipKind::Ignore, "blank line", line_no, bytes_of(&l));
            continue;
        }
        if t.starts_with('{') {
            match serde_json::from_str::<Value>(t) {
                Ok(v) => finish(&mut r, line_no, t, &v, 1),
                Err(_) => pending = Some((line_no, l.clone(), vec![(line_no, l.clone())])),
            }
            continue;
        }
        // Not JSON: bpftrace's own messages (stderr mixed in) or foreign text.
        let kind =
            if ["ERROR:", "WARNING:", "Attaching "].iter().any(|p| t.starts_with(p)) { "stderr" } else { "other" };
        r.line_row(line_no, kind, t, None);
        if kind == "stderr" {
            r.out.account.parsed();
        } else {
            r.out.account.skip(
                SkipKind::Skip,
                "not a JSON record in JSON-mode output (kept as `other` line)",
                line_no,
                bytes_of(&l),
            );
        }
    }
    if let Some((_, _, lines)) = pending {
        r.out.account.note("output ends inside a JSON record (cut off?)");
        give_up(&mut r, lines);
    }
    Ok(())
}

fn bytes_of(s: &str) -> &[u8] {
    s.as_bytes()
}

fn finish(r: &mut Reader<'_>, line: u64, raw: &str, v: &Value, n_lines: usize) {
    let ok = r.record(line, raw, v);
    for i in 0..n_lines {
        if ok {
            r.out.account.parsed();
        } else {
            r.out.account.skip(
                SkipKind::Skip,
                "JSON record of a type or shape not understood (kept raw in bpftrace_lines, kind `raw`)",
                line + i as u64,
                raw.as_bytes(),
            );
        }
    }
}

fn give_up(r: &mut Reader<'_>, lines: Vec<(u64, String)>) {
    for (n, l) in lines {
        r.line_row(n, "raw", &l, Some(String::new()));
        r.out.account.skip(SkipKind::Skip, "JSON record that does not parse (cut off?; kept raw)", n, l.as_bytes());
    }
}
