//! JVM unified logging (JDK 9–25, `-Xlog:gc*,safepoint`): pauses, cycles and safepoints of every
//! HotSpot collector (G1, Parallel, Serial, CMS, ZGC incl. generational, Shenandoah incl.
//! generational), with any decorator selection and tag padding that changes width mid-file.
//!
//! Input: the log's lines. Output: `gc_pauses` (one row per `Pause ... <d>ms` line tagged `gc`
//! or `gc,phases`), `gc_cycles` (per `GC(n)`), `safepoints` (one-line JDK 17+ form and the
//! JDK 9–15 `Total time for which application threads were stopped` form), and clock
//! observations when lines carry both a wall-time and an uptime decorator.

mod decorators;
mod detail;
#[cfg(test)]
mod fast_path_tests;
mod pause;

use std::io::BufRead;

use model::tables::clock::{self, JVM_UPTIME};
use model::tables::gc_cycles::GcCycleRow;
use model::tables::safepoints::SafepointRow;

use self::decorators::{parse_decorated, Decorated};
use self::detail::DetailProbe;
use super::{GcOutput, SourceCtx};
use crate::account::SkipKind;
use crate::lines::LineReader;
use crate::{units, ReadError};

/// Whether the first bytes of a file look like unified JVM logging.
pub fn sniff(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n').take(400).filter_map(|l| std::str::from_utf8(l).ok()).any(|l| {
        parse_decorated(l.trim_end_matches('\r')).is_some_and(|d| {
            d.tags.is_some_and(|t| t.starts_with("gc") || t.starts_with("safepoint"))
                || JVM_MESSAGES.iter().any(|m| d.msg.trim_start().starts_with(m))
                || is_safepoint_message(d.msg)
                || (d.tags.is_some() && d.level.is_some())
        })
    })
}

/// Parser state carried from line to line.
struct State {
    collector: String,
    /// JDK 9–15 safepoint: operation named by the last `Entering safepoint region:` line.
    pending_operation: Option<String>,
    /// Shenandoah: cause from the last `Trigger:` line, for the next cycle.
    pending_trigger: Option<String>,
    /// G1: cause of the last `Concurrent Start` pause, for the concurrent cycle it starts.
    pending_concurrent_cause: Option<String>,
}

/// Message starts that mark a decorated line as HotSpot's, for logs written without tags.
const JVM_MESSAGES: &[&str] = &[
    "GC(",
    "Using ",
    "Version: ",
    "GC STATISTICS",
    "All times are wall-clock",
    "=== Garbage Collection Statistics",
    "Metaspace",
    "CardTable entry size",
    "Heap Region Size",
    "Heap ",
    "jvm_args:",
    "Trigger: ",
    "Periodic GC",
    "Humongous object threshold",
    "Initial heap",
    "Min heap",
    "Max heap",
    "Heuristics",
    "Mode: ",
];

/// Skip reason of `GC(n)` lines that are neither pauses nor cycle summaries.
const GC_DETAIL: &str = "gc detail line (phases, heap, metaspace, ...)";
/// Skip reason of `gc`-tagged lines without a `GC(n)` id that say nothing tabled.
const NO_GC_ID: &str = "gc message without GC(n) id";
/// Skip reason of `safepoint`-tagged lines that are not a safepoint's summary.
const SAFEPOINT_DETAIL: &str = "safepoint detail (application time, leaving region, ...)";
/// Messages of `safepoint`-tagged lines that [`safepoint`] reads.
const SAFEPOINT_MESSAGES: &[&str] =
    &["Safepoint \"", "Entering safepoint region: ", "Total time for which application threads were stopped: "];
/// Messages of `gc`-tagged lines without a `GC(n)` id that [`line`] reads.
const GC_SETUP_MESSAGES: &[&str] = &[
    "Using ",
    "Heap Max Capacity: ",
    "Max Capacity: ",
    "Parallel Workers: ",
    "GC Workers: ",
    "GC Workers Max: ",
    "Version: ",
    "Trigger: ",
];

/// Safepoint messages, recognised also when the log has no tags decorator.
fn is_safepoint_message(msg: &str) -> bool {
    msg.starts_with("Safepoint \"")
        || msg.starts_with("Entering safepoint region: ")
        || msg.starts_with("Leaving safepoint region")
        || msg.starts_with("Total time for which application threads were stopped: ")
        || msg.starts_with("Application time: ")
}

/// Parses a unified JVM log.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut GcOutput) -> Result<(), ReadError> {
    ingest_lines(ctx, input, out, true)
}

/// [`ingest`], with or without the fast path of [`DetailProbe`] (a test proves both give the
/// same output).
fn ingest_lines(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut GcOutput, fast: bool) -> Result<(), ReadError> {
    let mut reader = LineReader::new(input);
    let uptime_clock = clock::scoped(JVM_UPTIME, &ctx.clock_scope);
    let mut st = State {
        collector: "unknown".into(),
        pending_operation: None,
        pending_trigger: None,
        pending_concurrent_cause: None,
    };
    let mut detail = DetailProbe::default();
    reader.for_each_line(|line_no, bytes, flags| {
        out.account.read();
        if flags.unterminated {
            // The last line, with no newline: complete (tabled as usual) or cut off while the
            // log was written, which is said as such (it may be a pause that lost its duration).
            let text = String::from_utf8_lossy(bytes);
            let tabled = parse_decorated(&text).map(|d| line(ctx, &mut st, &uptime_clock, &d, line_no as i64, out));
            match tabled {
                Some(None) => out.account.parsed(),
                _ => out.account.skip(SkipKind::Skip, CUT_OFF, line_no, bytes),
            }
            return Ok(());
        }
        if let Some(reason) = detail.fast_skip(bytes, flags.ascii).filter(|_| fast) {
            out.account.skip_static(SkipKind::Ignore, reason, line_no, bytes);
            return Ok::<_, ReadError>(());
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            out.account.skip(SkipKind::Skip, "invalid UTF-8", line_no, bytes);
            return Ok(());
        };
        if text.trim().is_empty() {
            out.account.skip(SkipKind::Ignore, "empty line", line_no, bytes);
            return Ok(());
        }
        let Some(d) = parse_decorated(text) else {
            out.account.skip(SkipKind::Skip, "not a unified logging line", line_no, bytes);
            return Ok(());
        };
        match line(ctx, &mut st, &uptime_clock, &d, line_no as i64, out) {
            None => out.account.parsed(),
            Some((kind, reason)) => out.account.skip(kind, reason, line_no, bytes),
        }
        Ok(())
    })
}

/// Skip reason of a last line that has no newline and is not tabled.
const CUT_OFF: &str = "last line cut off (no newline at the end of the file)";

/// Handles one decorated line; returns the skip reason when the line is not tabled.
fn line(
    ctx: &SourceCtx,
    st: &mut State,
    uptime_clock: &str,
    d: &Decorated<'_>,
    line_no: i64,
    out: &mut GcOutput,
) -> Option<(SkipKind, &'static str)> {
    // Without a tags decorator every message is a candidate (tags unknown).
    let untagged = d.tags.is_none();
    let tags = d.tags.unwrap_or("");
    // Events go on the most precise clock the line has: `timenanos` (CLOCK_MONOTONIC, shared
    // with perf -k CLOCK_MONOTONIC and bpftrace nsecs), else the JVM uptime, else wall time.
    let timenanos = d.timenanos();
    let clock = match timenanos {
        Some(_) => clock::MONOTONIC,
        None if d.has_uptime() => uptime_clock,
        None => clock::WALL,
    };
    let event_ns = || match timenanos {
        Some(t) => Some(t),
        None if d.has_uptime() => d.uptime_ns(),
        None => d.wall_ns(),
    };
    if tags == "safepoint" || (untagged && is_safepoint_message(d.msg)) {
        return safepoint(ctx, st, d, clock, &event_ns, line_no, out);
    }
    if !tags.starts_with("gc") && !untagged {
        return Some((SkipKind::Ignore, "not a gc or safepoint tag"));
    }
    let msg = d.msg;
    // (Keep GC_SETUP_MESSAGES in step with the messages read here.)
    if let Some(rest) = msg.strip_prefix("Using ") {
        if tags == "gc" || tags == "gc,init" || untagged {
            st.collector = collector_from_using(rest).to_string();
            return None;
        }
    }
    if let Some(v) = msg.strip_prefix("Heap Max Capacity: ").or_else(|| msg.strip_prefix("Max Capacity: ")) {
        if let Some(b) = units::size_bytes(v.trim()) {
            out.heap_max_bytes = Some(b);
            return None;
        }
    }
    // G1/Parallel/Shenandoah `Parallel Workers: 2`; ZGC `GC Workers: 1 (dynamic)`, generational
    // ZGC `GC Workers Max: 1 (dynamic)`.
    if let Some(v) = ["Parallel Workers: ", "GC Workers: ", "GC Workers Max: "].iter().find_map(|p| msg.strip_prefix(p))
    {
        if let Some(Ok(n)) = v.split_whitespace().next().map(str::parse::<i64>) {
            out.parallel_workers = Some(out.parallel_workers.map_or(n, |m| m.max(n)));
            return None;
        }
    }
    if let Some(v) = msg.strip_prefix("Version: ") {
        out.tool_version.get_or_insert_with(|| v.trim().to_string());
        return None;
    }
    if let Some(t) = msg.strip_prefix("Trigger: ") {
        st.pending_trigger = Some(t.trim().to_string());
        return Some((SkipKind::Ignore, "collector heuristics (Trigger:)"));
    }
    let Some((gc_id, body)) = split_gc_id(msg) else {
        return Some((SkipKind::Ignore, NO_GC_ID));
    };
    if tags == "gc" || tags == "gc,phases" || untagged {
        if let Some(p) = pause::parse(body) {
            observe(ctx, out, uptime_clock, d, line_no);
            let collector = if st.collector == "unknown" {
                pause::infer_collector(&p.name).to_string()
            } else {
                st.collector.clone()
            };
            let cause_allowed = !matches!(collector.as_str(), "ZGC" | "Shenandoah");
            let (name, cause) = super::split_pause_name(&p.name, cause_allowed);
            let kind = super::pause_kind(&name).to_string();
            if name.contains("Concurrent Start") || name.contains("Initial Mark") {
                st.pending_concurrent_cause = cause.clone();
            }
            let end_ns = event_ns();
            out.pause(model::tables::gc_pauses::GcPauseRow {
                source: ctx.source.clone(),
                line: line_no,
                runtime: "jvm".into(),
                collector,
                gc_id: Some(gc_id),
                name,
                pause_kind: kind,
                cause,
                clock: clock.to_string(),
                start_ns: end_ns.map(|e| e - p.duration_ns),
                end_ns,
                line_wall_ns: d.wall_ns(),
                duration_ns: p.duration_ns,
                heap_before_bytes: p.heap.map(|h| h.0),
                heap_after_bytes: p.heap.map(|h| h.1),
                heap_committed_bytes: p.heap.and_then(|h| h.2),
            });
            return None;
        }
    }
    if !(tags == "gc" || untagged) {
        return Some((SkipKind::Ignore, GC_DETAIL));
    }
    cycle_line(st, ctx, d, clock, event_ns(), gc_id, body, line_no, out)
}

/// Non-pause lines with a gc id: cycle summaries and concurrent phases.
#[allow(clippy::too_many_arguments)]
fn cycle_line(
    st: &mut State,
    ctx: &SourceCtx,
    d: &Decorated<'_>,
    clock: &str,
    event_ns: Option<i64>,
    gc_id: i64,
    body: &str,
    line_no: i64,
    out: &mut GcOutput,
) -> Option<(SkipKind, &'static str)> {
    let tags = d.tags.unwrap_or("");
    let body = ["y: ", "Y: ", "O: "].iter().find_map(|g| body.strip_prefix(g)).unwrap_or(body);
    let summary = [
        "Garbage Collection",
        "Major Collection",
        "Minor Collection",
        "Concurrent Mark Cycle",
        "Concurrent Undo Cycle",
        "Concurrent Cycle",
    ]
    .iter()
    .find(|p| body.starts_with(**p));
    let concurrent_phase = body.starts_with("Concurrent ") && (tags == "gc" || d.tags.is_none());
    if summary.is_none() && !concurrent_phase {
        if body.contains("Abort") || body.contains("Upgrade to Full") || body.contains("Cancelling GC") {
            let c = new_cycle(st, ctx, clock, event_ns, gc_id, body, line_no, out);
            c.aborted = true;
            return None;
        }
        return Some((SkipKind::Ignore, GC_DETAIL));
    }
    let duration = body.rsplit(' ').next().and_then(units::duration_ns);
    let mut text = body;
    if duration.is_some() {
        text = text.rsplit_once(' ').map_or(text, |(a, _)| a);
    }
    // ZGC: `Garbage Collection (Warmup) 20M(1%)->10M(0%)`.
    let heap = text.rsplit(' ').next().filter(|t| t.contains("->")).and_then(zgc_heap);
    if heap.is_some() {
        text = text.rsplit_once(' ').map_or(text, |(a, _)| a);
    }
    let (name, cause) = super::split_pause_name(text, summary.is_some_and(|s| s.ends_with("Collection")));
    let c = new_cycle(st, ctx, clock, event_ns, gc_id, &name, line_no, out);
    c.concurrent = true;
    if let Some(s) = summary {
        c.name = s.to_string();
        if cause.is_some() {
            c.cause = cause;
        }
        if let Some(dur) = duration {
            c.duration_ns = Some(dur);
            if let Some(end) = event_ns {
                c.start_ns = Some(c.start_ns.map_or(end - dur, |s| s.min(end - dur)));
            }
        }
        if let Some((before, after)) = heap {
            c.heap_before_bytes = Some(before);
            c.heap_after_bytes = Some(after);
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn new_cycle<'o>(
    st: &mut State,
    ctx: &SourceCtx,
    clock: &str,
    event_ns: Option<i64>,
    gc_id: i64,
    name: &str,
    line_no: i64,
    out: &'o mut GcOutput,
) -> &'o mut GcCycleRow {
    let collector = st.collector.clone();
    let trigger = match collector.as_str() {
        "Shenandoah" => st.pending_trigger.take(),
        "G1" if name.starts_with("Concurrent") && !out.has_cycle(gc_id) => st.pending_concurrent_cause.take(),
        _ => None,
    };
    out.cycle(gc_id, || GcCycleRow {
        source: ctx.source.clone(),
        line: line_no,
        runtime: "jvm".into(),
        collector,
        gc_id: Some(gc_id),
        name: name.to_string(),
        cause: trigger,
        clock: clock.to_string(),
        start_ns: event_ns,
        ..Default::default()
    })
}

fn safepoint(
    ctx: &SourceCtx,
    st: &mut State,
    d: &Decorated<'_>,
    clock: &str,
    event_ns: &dyn Fn() -> Option<i64>,
    line_no: i64,
    out: &mut GcOutput,
) -> Option<(SkipKind, &'static str)> {
    let msg = d.msg;
    // The row is built only for the lines that make one (most safepoint lines do not).
    let row = |operation: Option<String>| SafepointRow {
        source: ctx.source.clone(),
        line: line_no,
        clock: clock.to_string(),
        end_ns: event_ns(),
        line_wall_ns: d.wall_ns(),
        operation,
        ..Default::default()
    };
    // (Keep SAFEPOINT_MESSAGES in step with the messages read here.)
    let row = if let Some(rest) = msg.strip_prefix("Safepoint \"") {
        let (op, fields) = rest.split_once('"')?;
        let mut row = row(Some(op.to_string()));
        let mut total = None;
        for field in split2(fields, *b", ") {
            let Some((key, value)) = split_once2(field.trim_start_matches(',').trim(), *b": ") else { continue };
            let ns = spaced_duration_ns(value);
            match key {
                "Reaching safepoint" => row.reaching_ns = ns,
                "Cleanup" => row.cleanup_ns = ns,
                "At safepoint" => row.at_safepoint_ns = ns,
                "Leaving safepoint" => row.leaving_ns = ns,
                "Total" => total = ns,
                _ => {}
            }
        }
        let Some(total) = total else { return Some((SkipKind::Skip, "safepoint line without Total")) };
        row.total_ns = total;
        row
    } else if let Some(op) = msg.strip_prefix("Entering safepoint region: ") {
        st.pending_operation = Some(op.trim().to_string());
        return Some((SkipKind::Ignore, "safepoint begin (two-line form)"));
    } else if let Some(rest) = msg.strip_prefix("Total time for which application threads were stopped: ") {
        let (total, reaching) = super::stopped_time(rest)?;
        let mut row = row(st.pending_operation.take());
        row.total_ns = total;
        row.reaching_ns = reaching;
        row
    } else {
        return Some((SkipKind::Ignore, SAFEPOINT_DETAIL));
    };
    if d.has_uptime() {
        observe(ctx, out, clock, d, line_no);
    }
    out.safepoint(row);
    None
}

/// `s.split_once(sep)` for a separator of two ASCII bytes, found with `memchr` (a safepoint
/// line has a dozen of them to find, and `str`'s substring search sets up a searcher each time).
fn split_once2(s: &str, sep: [u8; 2]) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(sep[0], &bytes[from..]) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&sep[1]) {
            // Both bytes are ASCII: `at` and `at + 2` are char boundaries.
            return Some((&s[..at], &s[at + 2..]));
        }
        from = at + 1;
    }
    None
}

/// `s.split(sep)` for a separator of two ASCII bytes (see [`split_once2`]).
fn split2(s: &str, sep: [u8; 2]) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        let (piece, more) = split_once2(s, sep).map_or((s, None), |(piece, more)| (piece, Some(more)));
        rest = more;
        Some(piece)
    })
}

/// `1696167 ns` (the unit after a space, as safepoint lines write it) → ns.
fn spaced_duration_ns(value: &str) -> Option<i64> {
    let exp = match value.split_once(' ') {
        Some((n, "ns")) => Some((n, 0)),
        Some((n, "us")) => Some((n, 3)),
        Some((n, "ms")) => Some((n, 6)),
        Some((n, "s" | "sec" | "secs")) => Some((n, 9)),
        _ => None,
    };
    match exp {
        Some((n, exp)) => units::decimal_scaled(n, exp),
        None => units::duration_ns(&value.replace(' ', "")),
    }
}

fn observe(ctx: &SourceCtx, out: &mut GcOutput, clock: &str, d: &Decorated<'_>, line_no: i64) {
    if !d.has_wall() {
        return;
    }
    let Some(wall) = d.wall_ns() else { return };
    if let Some(up) = d.uptime_ns().filter(|_| d.has_uptime()) {
        out.clocks.observe(clock, up, wall, "jvm-time+uptime-decorators", || format!("{}:{line_no}", ctx.source));
    }
    // `timenanos` is the JVM's System.nanoTime(): CLOCK_MONOTONIC on Linux, shared with perf.
    if let Some(mono) = d.timenanos() {
        out.clocks.observe(clock::MONOTONIC, mono, wall, "jvm-time+timenanos-decorators", || {
            format!("{}:{line_no}", ctx.source)
        });
    }
}

/// `GC(12) rest` → `(12, "rest")`.
fn split_gc_id(msg: &str) -> Option<(i64, &str)> {
    let rest = msg.strip_prefix("GC(")?;
    let (id, rest) = rest.split_once(')')?;
    Some((id.parse().ok()?, rest.trim_start()))
}

fn collector_from_using(rest: &str) -> &'static str {
    let r = rest.trim();
    if r.starts_with("G1") {
        "G1"
    } else if r.starts_with("Parallel") {
        "Parallel"
    } else if r.starts_with("Serial") {
        "Serial"
    } else if r.starts_with("Concurrent Mark Sweep") {
        "CMS"
    } else if r.contains("Z Garbage Collector") || r.starts_with("ZGC") {
        "ZGC"
    } else if r.starts_with("Shenandoah") {
        "Shenandoah"
    } else if r.starts_with("Epsilon") {
        "Epsilon"
    } else {
        "unknown"
    }
}

/// ZGC heap `20M(1%)->10M(0%)` → (before, after) bytes.
fn zgc_heap(t: &str) -> Option<(i64, i64)> {
    let (a, b) = t.split_once("->")?;
    let strip = |s: &str| s.split('(').next().and_then(units::size_bytes);
    Some((strip(a)?, strip(b)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_once2_is_split_once() {
        let texts = ["", ",", ", ", "a, b, c", "a,b, c", ",, ,", "x: 1 ns", "x:1: 2", "é, ü: 3", "a ,b", "tail,"];
        for text in texts {
            for sep in [*b", ", *b": "] {
                let pattern = std::str::from_utf8(&sep).unwrap();
                assert_eq!(super::split_once2(text, sep), text.split_once(pattern), "{text:?} {sep:?}");
                let pieces: Vec<&str> = super::split2(text, sep).collect();
                assert_eq!(pieces, text.split(pattern).collect::<Vec<_>>(), "{text:?} {sep:?}");
            }
        }
    }
}
