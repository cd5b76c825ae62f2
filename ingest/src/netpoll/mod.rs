//! Netpoll captures (`capture/netpoll.bt`, and the corpus script `epoll_netpoll.bt` it is
//! modelled on) → `epoll_calls`, `epoll_ready`, and the CLOCK_MONOTONIC ↔ wall anchor.
//!
//! Input is what the generic bpftrace parser ([`crate::bpftrace`]) made of the capture, text or
//! `-f json`: its `bpftrace_lines` rows, whole ([`from_lines`]) or one at a time as they are
//! parsed ([`Pairing`], memory bounded by the threads' open calls). The script's `printf` lines are
//!
//! ```text
//! ANCHOR <nsecs> <strftime(ISO 8601 [+zone], nsecs)>     bpftrace nsecs == CLOCK_MONOTONIC
//! ENTER  <nsecs> <pid> <tid> <comm> <probe> <epfd> <maxevents> <timeout_ms>
//! EXIT   <nsecs> <pid> <tid> <comm> <probe> <ret> <dur_ns>
//! READY  <nsecs> <tid> <idx> <events_hex> <data_hex>      one per returned event, after its EXIT
//! ```
//!
//! `comm` may contain spaces (it is taken as everything between `tid` and the trailing fields).
//! Events of one thread are ordered by `nsecs` (per-CPU buffers may interleave threads out of
//! order; within a thread, time order is call order, restored over a window of
//! [`pair::REORDER_EVENTS`] events per thread). Pairing per thread: an `ENTER` opens a
//! call; the next `EXIT` closes it; `READY` lines attach to the call the thread last closed. An
//! `ENTER` while a call is open marks the open one `exit_lost`; a call still open at the end is
//! `in_flight_at_end`. Every `ENTER` line gives exactly one `epoll_calls` row. Lines that are not
//! netpoll lines are ignored (they stay in `bpftrace_lines`); netpoll lines that cannot be read,
//! `EXIT`s without an open call and `READY`s without a closed call are counted in
//! [`NetpollOutput::problems`] (the `READY` ones are still kept, with null `enter_ns`/`exit_ns`).

pub mod pair;

use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_ready::EpollReadyRow;

pub use pair::Pairing;

/// How a Go runtime tags `*pollDesc` in `epoll_event.data`: `pd = (data >> right) << left`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoPollDescLayout {
    /// Right shift dropping the tag bits.
    pub right: u32,
    /// Left shift restoring the pointer alignment.
    pub left: u32,
}

/// Go 1.27 linux/amd64 (as verified on the corpus run1): `(data >> 24) << 9`.
pub const GO_1_27_AMD64: GoPollDescLayout = GoPollDescLayout { right: 24, left: 9 };

impl GoPollDescLayout {
    /// The `*pollDesc` of a data word; `None` for 0 (netpollBreak's eventfd).
    pub fn decode(self, data: u64) -> Option<u64> {
        (data != 0).then(|| (data >> self.right) << self.left)
    }
}

/// Options of [`from_lines`] and [`Pairing`].
#[derive(Debug, Clone, Default)]
pub struct NetpollOptions {
    /// Layout to decode `epoll_ready.poll_desc` with, when the Go version of the target is known.
    pub go_layout: Option<GoPollDescLayout>,
}

/// A line that could not be used, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Line number in the source.
    pub line: i64,
    /// Why.
    pub reason: &'static str,
    /// The line.
    pub text: String,
}

/// Most problems kept in [`NetpollOutput::problems`] (all are counted).
pub const MAX_PROBLEMS: usize = 1000;

/// Tables and anchor from one netpoll capture.
#[derive(Debug, Default)]
pub struct NetpollOutput {
    /// One row per `ENTER` line; [`from_lines`]: ordered by `enter_ns` then `tid`; [`Pairing`]:
    /// in the order the calls are complete (streamed rows), the rest ordered by `enter_ns`.
    pub calls: Vec<EpollCallRow>,
    /// One row per `READY` line; [`from_lines`]: ordered by `ts_ns` then `tid`, `index`;
    /// [`Pairing`]: in thread time order as read.
    pub ready: Vec<EpollReadyRow>,
    /// First `ANCHOR`: (CLOCK_MONOTONIC ns, wall ns since the epoch).
    pub anchor: Option<(i64, i64)>,
    /// Every `ANCHOR` read, in file order.
    pub anchors: Vec<(i64, i64)>,
    /// Netpoll lines not used as expected (see the module docs); the first [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Number of problems, including those beyond [`MAX_PROBLEMS`].
    pub problems_total: usize,
}

impl NetpollOutput {
    fn problem(&mut self, line: i64, reason: &'static str, text: impl FnOnce() -> String) {
        self.problems_total += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { line, reason, text: text() });
        }
    }
}

/// Rows of `bpftrace_lines` looked at to decide whether a capture is a netpoll capture.
pub const DETECT_ROWS: usize = 200;

/// Whether the `printf` output looks like a netpoll capture (an `ENTER` line with the expected
/// fields within the first [`DETECT_ROWS`] rows).
pub fn is_netpoll(lines: &[BpftraceLineRow]) -> bool {
    lines.iter().take(DETECT_ROWS).any(|l| is_enter(&l.text))
}

/// Whether a line is a well-formed `ENTER` line.
pub(crate) fn is_enter(text: &str) -> bool {
    text.trim_ascii_start().starts_with("ENTER") && matches!(parse_line(text), Some(Ok(Ev::Enter { .. })))
}

#[derive(Debug, Clone)]
pub(crate) enum Ev {
    Anchor { mono: i64, wall: i64 },
    Enter { ns: i64, pid: i64, tid: i64, comm: String, syscall: String, epfd: i64, maxevents: i64, timeout: i64 },
    Exit { ns: i64, tid: i64, ret: i64 },
    Ready { ns: i64, tid: i64, index: i64, events: i64, data: u64, data_hex: String },
}

impl Ev {
    fn ns_tid(&self) -> (i64, i64) {
        match self {
            Ev::Anchor { mono, .. } => (*mono, -1),
            Ev::Enter { ns, tid, .. } | Ev::Exit { ns, tid, .. } | Ev::Ready { ns, tid, .. } => (*ns, *tid),
        }
    }
}

fn int(s: &str) -> Option<i64> {
    s.parse().ok()
}

fn hex(s: &str) -> Option<u64> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u64::from_str_radix(h, 16).ok()
}

/// `tracepoint:syscalls:sys_enter_epoll_pwait` → `epoll_pwait`.
fn syscall_of(probe: &str) -> String {
    let last = probe.rsplit(':').next().unwrap_or(probe);
    last.strip_prefix("sys_enter_").or_else(|| last.strip_prefix("sys_exit_")).unwrap_or(last).to_string()
}

/// Most tokens of a netpoll line looked at without allocating (longer lines: `comm` with many
/// spaces, collected into a `Vec`).
const INLINE_TOKENS: usize = 16;

/// `None`: not a netpoll line; `Some(Err)`: a netpoll line that cannot be read.
pub(crate) fn parse_line(text: &str) -> Option<Result<Ev, &'static str>> {
    // Cheap reject: every netpoll line starts with one of the four upper-case words.
    if !matches!(text.trim_ascii_start().as_bytes().first(), Some(b'A' | b'E' | b'R')) {
        return None;
    }
    let mut inline = [""; INLINE_TOKENS];
    let mut n = 0;
    let mut spill: Vec<&str> = Vec::new();
    for tok in text.split_ascii_whitespace() {
        if n < INLINE_TOKENS {
            inline[n] = tok;
        } else {
            if spill.is_empty() {
                spill.extend_from_slice(&inline);
            }
            spill.push(tok);
        }
        n += 1;
    }
    let t: &[&str] = if n > INLINE_TOKENS { &spill } else { &inline[..n] };
    let kind = *t.first()?;
    let ev = match kind {
        "ANCHOR" => (|| {
            let mono = int(t.get(1)?)?;
            let wall = crate::units::iso8601_ns(&t.get(2..)?.join(" "))?;
            Some(Ev::Anchor { mono, wall })
        })()
        .ok_or("ANCHOR line without `<nsecs> <ISO 8601 time>`"),
        "ENTER" => (|| {
            if t.len() < 9 {
                return None;
            }
            let n = t.len();
            Some(Ev::Enter {
                ns: int(t[1])?,
                pid: int(t[2])?,
                tid: int(t[3])?,
                comm: t[4..n - 4].join(" "),
                syscall: syscall_of(t[n - 4]),
                epfd: int(t[n - 3])?,
                maxevents: int(t[n - 2])?,
                timeout: int(t[n - 1])?,
            })
        })()
        .ok_or("ENTER line without `<nsecs> <pid> <tid> <comm> <probe> <epfd> <maxevents> <timeout>`"),
        "EXIT" => (|| {
            if t.len() < 8 {
                return None;
            }
            let n = t.len();
            Some(Ev::Exit { ns: int(t[1])?, tid: int(t[3])?, ret: int(t[n - 2])? })
        })()
        .ok_or("EXIT line without `<nsecs> <pid> <tid> <comm> <probe> <ret> <dur>`"),
        "READY" => (|| {
            if t.len() != 6 {
                return None;
            }
            let data = hex(t[5])?;
            Some(Ev::Ready {
                ns: int(t[1])?,
                tid: int(t[2])?,
                index: int(t[3])?,
                events: i64::try_from(hex(t[4])?).ok()?,
                data,
                data_hex: t[5].to_string(),
            })
        })()
        .ok_or("READY line without `<nsecs> <tid> <idx> <events_hex> <data_hex>`"),
        _ => return None,
    };
    Some(ev)
}

/// Builds `epoll_calls`/`epoll_ready` from the `bpftrace_lines` rows of one capture (both text
/// and JSON mode rows; any kind is considered, non-netpoll lines are ignored). Pure; the rows
/// are fed to a [`Pairing`] and the result ordered (calls by `enter_ns`, `tid`, line; ready
/// rows by `ts_ns`, `tid`, `index`, line).
pub fn from_lines(source: &str, lines: &[BpftraceLineRow], opts: &NetpollOptions) -> NetpollOutput {
    let mut p = Pairing::new(source, opts.clone());
    p.force_netpoll();
    for l in lines {
        p.line(l.line, &l.text);
    }
    let mut out = p.finish().unwrap_or_default();
    out.calls.sort_by_key(|c| (c.enter_ns, c.tid, c.line));
    out.ready.sort_by_key(|r| (r.ts_ns, r.tid, r.index, r.line));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<BpftraceLineRow> {
        text.lines()
            .enumerate()
            .map(|(i, l)| BpftraceLineRow {
                source: "t".into(),
                line: i as i64 + 1,
                kind: "printf".into(),
                text: l.into(),
                fields: String::new(),
                ts_ns: None,
            })
            .collect()
    }

    #[test]
    fn pairs_per_thread_and_flags_the_rest() {
        let t = "ANCHOR 100 2026-11-26T10:01:55.809820\n\
                 ENTER 1000 5 7 my comm tracepoint:syscalls:sys_enter_epoll_pwait 7 128 0\n\
                 ENTER 1001 5 8 x tracepoint:syscalls:sys_enter_epoll_wait 7 128 -1\n\
                 ENTER 1010 5 7 my comm tracepoint:syscalls:sys_enter_epoll_pwait 7 128 10\n\
                 EXIT 1020 5 7 my comm tracepoint:syscalls:sys_exit_epoll_pwait 2 10\n\
                 READY 1021 7 0 0x1 0x0\n\
                 READY 1021 7 1 0x5 0x3fd112546f000001\n\
                 EXIT 999 5 9 x tracepoint:syscalls:sys_exit_epoll_pwait 0 10\n\
                 ENTER bad\n";
        let o = from_lines("t", &rows(t), &NetpollOptions { go_layout: Some(GO_1_27_AMD64) });
        assert_eq!(o.anchor, Some((100, 1_795_687_315_809_820_000)));
        assert_eq!(o.calls.len(), 3);
        let c: Vec<_> = o.calls.iter().map(|c| (c.tid, c.enter_ns, c.status.as_str(), c.ret)).collect();
        assert_eq!(c, [(7, 1000, "exit_lost", None), (8, 1001, "in_flight", None), (7, 1010, "complete", Some(2))]);
        assert_eq!(o.calls[0].comm, "my comm");
        assert_eq!(o.calls[1].syscall, "epoll_wait");
        assert_eq!(o.calls[1].timeout_class, "infinite");
        assert!(o.calls[1].in_flight_at_end);
        assert_eq!((o.calls[2].duration_ns, o.calls[2].ready_count), (Some(10), 2));
        assert_eq!(o.ready.len(), 2);
        assert_eq!(o.ready[1].exit_ns, Some(1020));
        assert_eq!(o.ready[0].poll_desc, None);
        assert_eq!(o.ready[1].poll_desc, Some((0x3fd112546f000001_i64 >> 24) << 9));
        assert_eq!(o.problems.len(), 2, "{:?}", o.problems);
    }
}
