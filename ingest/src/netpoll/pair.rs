//! Incremental netpoll pairing: `bpftrace_lines` rows in, `epoll_calls`/`epoll_ready` rows out
//! as soon as they are final, so a capture of any length is paired in memory bounded by its
//! threads (per thread: the open call, the last closed one awaiting its `READY` lines, and a
//! reorder window of [`REORDER_EVENTS`] events).
//!
//! Detection is part of it: until a well-formed `ENTER` line is seen among the first
//! [`super::DETECT_ROWS`] rows, rows are held; then they are replayed (a netpoll capture), or
//! dropped and everything after ignored (not one).

use std::collections::VecDeque;

use model::tables::clock::MONOTONIC;
use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_ready::EpollReadyRow;

use super::{is_enter, parse_line, Ev, NetpollOptions, NetpollOutput, DETECT_ROWS};
use crate::hash::HashMap;

/// Events per thread held to restore time order (bpftrace's per-CPU buffers can print a
/// thread's events out of order when it migrates between CPUs). An event displaced by more is
/// paired in file order and counted as a problem.
pub const REORDER_EVENTS: usize = 64;

#[derive(Debug)]
enum Detect {
    /// Rows so far (line, text), none an `ENTER`.
    Undecided(Vec<(i64, String)>),
    Netpoll,
    Not,
}

/// An event waiting in its thread's reorder window.
#[derive(Debug)]
struct Pending {
    ns: i64,
    line: i64,
    ev: Ev,
}

#[derive(Debug, Default)]
struct Thread {
    /// Events not yet paired, ordered by (ns, arrival).
    window: VecDeque<Pending>,
    /// `ns` of the last event paired.
    last_ns: Option<i64>,
    /// The call entered and not yet exited.
    open: Option<EpollCallRow>,
    /// The call last exited, collecting its `READY` lines until the thread's next `ENTER`.
    closed: Option<EpollCallRow>,
}

/// Pairs the rows of one capture as they are read; see the module docs.
#[derive(Debug)]
pub struct Pairing {
    source: String,
    opts: NetpollOptions,
    detect: Detect,
    threads: HashMap<i64, Thread>,
    out: NetpollOutput,
}

impl Pairing {
    /// A pairing for `source` (the `source` column of the rows it makes).
    pub fn new(source: &str, opts: NetpollOptions) -> Self {
        Pairing {
            source: source.to_string(),
            opts,
            detect: Detect::Undecided(Vec::new()),
            threads: HashMap::default(),
            out: NetpollOutput::default(),
        }
    }

    /// Treats the rows as a netpoll capture without detecting it.
    pub fn force_netpoll(&mut self) {
        if let Detect::Undecided(held) = std::mem::replace(&mut self.detect, Detect::Netpoll) {
            for (line, text) in held {
                self.event(line, &text);
            }
        }
    }

    /// Whether the rows so far are a netpoll capture (`false` while undecided).
    pub fn is_netpoll(&self) -> bool {
        matches!(self.detect, Detect::Netpoll)
    }

    /// Feeds one `bpftrace_lines` row (its line number and text), in file order.
    pub fn line(&mut self, line: i64, text: &str) {
        match &mut self.detect {
            Detect::Netpoll => self.event(line, text),
            Detect::Not => {}
            Detect::Undecided(held) => {
                if is_enter(text) {
                    self.force_netpoll();
                    self.event(line, text);
                } else {
                    held.push((line, text.to_string()));
                    if held.len() >= DETECT_ROWS {
                        self.detect = Detect::Not;
                    }
                }
            }
        }
    }

    /// Rows made so far and not yet taken (finished `epoll_calls`, `epoll_ready`).
    pub fn pending_rows(&self) -> usize {
        self.out.calls.len() + self.out.ready.len()
    }

    /// The finished rows made so far, (calls, ready), for the caller to drain.
    pub fn rows_mut(&mut self) -> (&mut Vec<EpollCallRow>, &mut Vec<EpollReadyRow>) {
        (&mut self.out.calls, &mut self.out.ready)
    }

    /// Ends the capture: pairs what the windows hold, marks calls still open `in_flight`.
    /// `None` when the capture is not a netpoll capture.
    pub fn finish(mut self) -> Option<NetpollOutput> {
        if !self.is_netpoll() {
            return None;
        }
        let mut tids: Vec<i64> = self.threads.keys().copied().collect();
        tids.sort_unstable();
        let mut last = Vec::new();
        for tid in tids {
            let mut t = self.threads.remove(&tid).expect("key listed above");
            while let Some(p) = t.window.pop_front() {
                pair(&mut self.out, &self.source, &self.opts, &mut t, tid, p);
            }
            last.extend(t.closed);
            if let Some(mut c) = t.open {
                c.in_flight_at_end = true;
                c.status = "in_flight".to_string();
                last.push(c);
            }
        }
        last.sort_by_key(|c| (c.enter_ns, c.tid, c.line));
        self.out.calls.extend(last);
        self.out.anchor = self.out.anchors.first().copied();
        Some(self.out)
    }

    fn event(&mut self, line: i64, text: &str) {
        let ev = match parse_line(text) {
            None => return,
            Some(Err(reason)) => return self.out.problem(line, reason, || text.to_string()),
            Some(Ok(Ev::Anchor { mono, wall })) => {
                self.out.anchors.push((mono, wall));
                self.out.anchor = self.out.anchors.first().copied();
                return;
            }
            Some(Ok(ev)) => ev,
        };
        let (ns, tid) = ev.ns_tid();
        let t = self.threads.entry(tid).or_default();
        // Insert after every held event at or before `ns` (file order breaks ties).
        let at = t.window.iter().rposition(|p| p.ns <= ns).map_or(0, |i| i + 1);
        t.window.insert(at, Pending { ns, line, ev });
        if t.window.len() > REORDER_EVENTS {
            let p = t.window.pop_front().expect("window is not empty");
            pair(&mut self.out, &self.source, &self.opts, t, tid, p);
        }
    }
}

/// Pairs one event of thread `tid`, in the thread's time order.
fn pair(
    out: &mut NetpollOutput,
    source: &str,
    opts: &NetpollOptions,
    t: &mut Thread,
    tid: i64,
    Pending { ns, line, ev }: Pending,
) {
    if t.last_ns.is_some_and(|l| ns < l) {
        out.problem(line, "event out of time order on its thread (beyond the reorder window)", || {
            format!("ns {ns} tid {tid}")
        });
    }
    t.last_ns = Some(t.last_ns.map_or(ns, |l| l.max(ns)));
    match ev {
        Ev::Enter { pid, comm, syscall, epfd, maxevents, timeout, .. } => {
            if let Some(mut prev) = t.open.take() {
                prev.status = "exit_lost".to_string();
                out.calls.push(prev);
            }
            if let Some(done) = t.closed.take() {
                out.calls.push(done);
            }
            t.open = Some(EpollCallRow {
                source: source.to_string(),
                line,
                clock: MONOTONIC.to_string(),
                pid,
                tid,
                comm,
                syscall,
                epfd,
                maxevents,
                timeout_ms: timeout,
                timeout_class: timeout_class(timeout).to_string(),
                enter_ns: ns,
                exit_ns: None,
                duration_ns: None,
                ret: None,
                ready_count: 0,
                in_flight_at_end: false,
                status: "complete".to_string(),
            });
        }
        Ev::Exit { ret, .. } => match t.open.take() {
            Some(mut call) => {
                call.exit_ns = Some(ns);
                call.duration_ns = Some(ns - call.enter_ns);
                call.ret = Some(ret);
                // A thread's closed call is always taken by the ENTER that opened this one.
                debug_assert!(t.closed.is_none());
                t.closed = Some(call);
            }
            None => out
                .problem(line, "EXIT without an open call on its thread", || format!("EXIT {ns} tid {tid} ret {ret}")),
        },
        Ev::Ready { index, events, data, data_hex, .. } => {
            let call = t.closed.as_mut();
            let (enter_ns, exit_ns) = match call {
                Some(c) => {
                    c.ready_count += 1;
                    (Some(c.enter_ns), c.exit_ns)
                }
                None => {
                    out.problem(line, "READY without a returned call on its thread", || {
                        format!("READY {ns} tid {tid} idx {index}")
                    });
                    (None, None)
                }
            };
            out.ready.push(EpollReadyRow {
                source: source.to_string(),
                line,
                clock: MONOTONIC.to_string(),
                tid,
                enter_ns,
                exit_ns,
                ts_ns: ns,
                index,
                events,
                data: data as i64,
                data_hex,
                poll_desc: opts.go_layout.and_then(|g| g.decode(data)).map(|p| p as i64),
            });
        }
        Ev::Anchor { .. } => {}
    }
}

fn timeout_class(timeout: i64) -> &'static str {
    match timeout {
        t if t < 0 => "infinite",
        0 => "non_blocking",
        _ => "finite",
    }
}
