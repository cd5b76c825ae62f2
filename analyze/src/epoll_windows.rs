//! Per-thread epoll activity by time window (`epoll_windows`) from a run's `epoll_calls`.
//!
//! Input, read with a polars lazy scan ([`load`]): the columns of `epoll_calls` the figures need.
//! The computation ([`windows`]) is plain Rust: per thread (tid, comm) one whole-run row, then one
//! row per window of `window_ns` (default [`DEFAULT_WINDOW_NS`]) that holds calls. A call belongs
//! to the window of its `enter_ns`; the first window starts at the run's first `enter_ns` rounded
//! down to a multiple of `window_ns`, so all threads share the same window bounds.
//!
//! - blocking call: `timeout_ms != 0`; wakeup: `ret > 0`; timeout: blocking and `ret == 0`;
//!   error: `ret < 0`; no exit: `ret` null;
//! - blocked time: `duration_ns` of the blocking calls that have one, nearest-rank percentiles
//!   ([`crate::percentile::nearest_rank`]);
//! - ready events per wakeup: Σ `ret` over wakeups ÷ wakeups (`ret` is exact; the capture's
//!   `ready_count` is capped at the lines it prints).
//!
//! A call present in several sources of the run (same pid, tid and `enter_ns`: the same capture
//! ingested twice) counts once. Two bpftrace processes tracing the same pid at the same time stamp
//! each call separately (µs apart), so their captures are not merged: ingest them as separate runs.

use std::collections::BTreeMap;
use std::path::Path;

use model::tables::epoll_calls;
use model::tables::epoll_windows::EpollWindowRow;
use polars::prelude::*;

use crate::load::{scan_lazy, Columns};
use crate::load_cgroup::files_of;
use crate::percentile::nearest_rank;
use crate::AnalyzeError;

/// Default window length: 1 s.
pub const DEFAULT_WINDOW_NS: i64 = 1_000_000_000;

/// What [`windows`] needs of one `epoll_calls` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpollCall {
    pub clock: String,
    pub pid: i64,
    pub tid: i64,
    pub comm: String,
    pub timeout_ms: i64,
    pub enter_ns: i64,
    pub duration_ns: Option<i64>,
    pub ret: Option<i64>,
}

/// The run's epoll calls, sorted by (pid, tid, `enter_ns`) with duplicates across sources removed;
/// empty when the run has no `epoll_calls`.
pub fn load(dataset: &Path, run: &str) -> Result<Vec<EpollCall>, AnalyzeError> {
    use epoll_calls::col as c;
    let files = files_of(dataset, epoll_calls::NAME, run)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let dir = model::write::partition_dir(dataset, epoll_calls::NAME, run);
    let err = |source| AnalyzeError::Polars { path: dir.clone(), source };
    let df = scan_lazy(&files)
        .and_then(|lf| {
            lf.select([
                col(c::clock).strict_cast(DataType::String),
                col(c::pid).strict_cast(DataType::Int64),
                col(c::tid).strict_cast(DataType::Int64),
                col(c::comm).strict_cast(DataType::String),
                col(c::timeout_ms).strict_cast(DataType::Int64),
                col(c::enter_ns).strict_cast(DataType::Int64),
                col(c::duration_ns).strict_cast(DataType::Int64),
                col(c::ret).strict_cast(DataType::Int64),
            ])
            .collect()
        })
        .map_err(err)?;
    let cols = Columns { df: &df, dir: &dir };
    let (s, i) = (|n| cols.string_or_empty(n), |n| cols.int(n));
    let (clock, comm) = (s(c::clock)?, s(c::comm)?);
    let (pid, tid, timeout, enter) = (i(c::pid)?, i(c::tid)?, i(c::timeout_ms)?, i(c::enter_ns)?);
    let (duration, ret) = (i(c::duration_ns)?, i(c::ret)?);
    let required = |v: &[Option<i64>], column: &str, row: usize| {
        v[row].ok_or_else(|| AnalyzeError::NullValue { path: dir.clone(), column: column.to_string(), row })
    };
    let mut calls = (0..df.height())
        .map(|k| {
            Ok(EpollCall {
                clock: clock[k].clone(),
                pid: required(&pid, c::pid, k)?,
                tid: required(&tid, c::tid, k)?,
                comm: comm[k].clone(),
                timeout_ms: required(&timeout, c::timeout_ms, k)?,
                enter_ns: required(&enter, c::enter_ns, k)?,
                duration_ns: duration[k],
                ret: ret[k],
            })
        })
        .collect::<Result<Vec<_>, AnalyzeError>>()?;
    // Prefer the copy with an exit when two sources saw the same call.
    calls.sort_by(|a, b| {
        (a.pid, a.tid, a.enter_ns, a.ret.is_none(), &a.comm).cmp(&(b.pid, b.tid, b.enter_ns, b.ret.is_none(), &b.comm))
    });
    calls.dedup_by(|b, a| (a.pid, a.tid, a.enter_ns) == (b.pid, b.tid, b.enter_ns));
    Ok(calls)
}

#[derive(Default)]
struct Acc {
    calls: i64,
    blocking: i64,
    wakeups: i64,
    timeouts: i64,
    errors: i64,
    no_exit: i64,
    blocked: Vec<i64>,
    ready: i64,
}

impl Acc {
    fn add(&mut self, c: &EpollCall) {
        self.calls += 1;
        let blocking = c.timeout_ms != 0;
        self.blocking += i64::from(blocking);
        match c.ret {
            None => self.no_exit += 1,
            Some(r) if r > 0 => {
                self.wakeups += 1;
                self.ready += r;
            }
            Some(0) => self.timeouts += i64::from(blocking),
            Some(_) => self.errors += 1,
        }
        if let (true, Some(d)) = (blocking, c.duration_ns) {
            self.blocked.push(d);
        }
    }

    fn row(mut self, tid: i64, comm: &str, clock: &str, window_ns: i64, start: Option<i64>) -> EpollWindowRow {
        self.blocked.sort_unstable();
        let q = |pm| nearest_rank(&self.blocked, pm);
        EpollWindowRow {
            tid,
            comm: comm.to_string(),
            clock: clock.to_string(),
            window_ns,
            window_start_ns: start,
            window_end_ns: start.map(|s| s + window_ns),
            calls: self.calls,
            blocking_calls: self.blocking,
            wakeups: self.wakeups,
            timeouts: self.timeouts,
            errors: self.errors,
            no_exit: self.no_exit,
            blocked_ns: self.blocked.iter().sum(),
            blocked_p50_ns: q(500),
            blocked_p90_ns: q(900),
            blocked_p99_ns: q(990),
            blocked_max_ns: self.blocked.last().copied(),
            ready_events: self.ready,
            ready_per_wakeup: (self.wakeups > 0).then(|| self.ready as f64 / self.wakeups as f64),
        }
    }
}

/// The `epoll_windows` rows of one run's calls (see the module documentation). `window_ns` must be > 0.
pub fn windows(calls: &[EpollCall], window_ns: i64) -> Vec<EpollWindowRow> {
    assert!(window_ns > 0, "window length {window_ns}");
    let Some(first) = calls.iter().map(|c| c.enter_ns).min() else { return Vec::new() };
    let origin = first.div_euclid(window_ns) * window_ns;
    // (tid, comm) → (clock, whole run, window index → accumulator).
    type Thread<'a> = (&'a str, Acc, BTreeMap<i64, Acc>);
    let mut threads: BTreeMap<(i64, &str), Thread> = BTreeMap::new();
    for c in calls {
        let (_, whole, per_window) = threads
            .entry((c.tid, c.comm.as_str()))
            .or_insert_with(|| (c.clock.as_str(), Acc::default(), BTreeMap::new()));
        whole.add(c);
        per_window.entry((c.enter_ns - origin).div_euclid(window_ns)).or_default().add(c);
    }
    let mut rows = Vec::new();
    for ((tid, comm), (clock, whole, per_window)) in threads {
        rows.push(whole.row(tid, comm, clock, window_ns, None));
        for (k, acc) in per_window {
            rows.push(acc.row(tid, comm, clock, window_ns, Some(origin + k * window_ns)));
        }
    }
    rows
}
