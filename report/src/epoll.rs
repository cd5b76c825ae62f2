//! The "epoll (netpoll)" part of a run's section, from `epoll_windows` (written by
//! `tracefold analyze` from `epoll_calls`): a per-thread summary (whole-run rows, the
//! [`TOP_THREADS`] threads with the most calls) and the [`BUSIEST_WINDOWS`] windows with the most
//! calls.

use std::path::Path;

use serde::Serialize;

use model::read::read_table;
use model::tables::epoll_calls;
use model::tables::epoll_windows::{self, EpollWindowRow};

use crate::{format, ReportError};

/// Threads listed in the per-thread table (by calls).
pub const TOP_THREADS: usize = 10;
/// Windows listed as the busiest (by calls).
pub const BUSIEST_WINDOWS: usize = 3;

/// The epoll section of one run.
#[derive(Debug, Clone, Serialize)]
pub struct EpollSectionCtx {
    /// Calls over all threads.
    pub calls: i64,
    /// Threads seen.
    pub threads: usize,
    /// Window length, formatted.
    pub window: String,
    /// Whole-run rows of the top threads.
    pub thread_rows: Vec<EpollRowCtx>,
    /// Threads not listed.
    pub more_threads: usize,
    /// The busiest windows.
    pub busiest: Vec<EpollRowCtx>,
    /// Set when the run has `epoll_calls` but no `epoll_windows` (not analysed).
    pub missing: bool,
}

/// One `epoll_windows` row, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct EpollRowCtx {
    pub tid: i64,
    pub comm: String,
    /// Window start relative to the run's first window (empty on whole-run rows).
    pub start: String,
    pub calls: i64,
    pub blocking: i64,
    pub wakeups: i64,
    pub timeouts: i64,
    pub errors: i64,
    pub no_exit: i64,
    pub blocked: String,
    pub p50: String,
    pub p90: String,
    pub p99: String,
    pub max: String,
    pub ready_per_wakeup: String,
}

fn row_ctx(r: &EpollWindowRow, origin: i64) -> EpollRowCtx {
    EpollRowCtx {
        tid: r.tid,
        comm: format::code(&r.comm),
        start: r
            .window_start_ns
            .map(|s| if s == origin { "+0 s".to_string() } else { format!("+{}", format::duration(s - origin)) })
            .unwrap_or_default(),
        calls: r.calls,
        blocking: r.blocking_calls,
        wakeups: r.wakeups,
        timeouts: r.timeouts,
        errors: r.errors,
        no_exit: r.no_exit,
        blocked: format::duration(r.blocked_ns),
        p50: format::opt_duration(r.blocked_p50_ns),
        p90: format::opt_duration(r.blocked_p90_ns),
        p99: format::opt_duration(r.blocked_p99_ns),
        max: format::opt_duration(r.blocked_max_ns),
        ready_per_wakeup: r.ready_per_wakeup.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}")),
    }
}

/// The section from a run's `epoll_windows` rows; `None` when there are none.
pub fn section_of(rows: &[EpollWindowRow]) -> Option<EpollSectionCtx> {
    let mut whole: Vec<&EpollWindowRow> = rows.iter().filter(|r| r.window_start_ns.is_none()).collect();
    if whole.is_empty() {
        return None;
    }
    let mut windows: Vec<&EpollWindowRow> = rows.iter().filter(|r| r.window_start_ns.is_some()).collect();
    let origin = windows.iter().filter_map(|r| r.window_start_ns).min().unwrap_or(0);
    whole.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.tid.cmp(&b.tid)).then(a.comm.cmp(&b.comm)));
    windows
        .sort_by(|a, b| b.calls.cmp(&a.calls).then(a.window_start_ns.cmp(&b.window_start_ns)).then(a.tid.cmp(&b.tid)));
    Some(EpollSectionCtx {
        calls: whole.iter().map(|r| r.calls).sum(),
        threads: whole.len(),
        window: format::duration(whole[0].window_ns),
        more_threads: whole.len().saturating_sub(TOP_THREADS),
        thread_rows: whole.iter().take(TOP_THREADS).map(|r| row_ctx(r, origin)).collect(),
        busiest: windows.iter().take(BUSIEST_WINDOWS).map(|r| row_ctx(r, origin)).collect(),
        missing: false,
    })
}

/// The section of `run`: from `epoll_windows`; a "not analysed" section when the run has
/// `epoll_calls` only; `None` without epoll data.
pub fn section(dataset: &Path, run: &str) -> Result<Option<EpollSectionCtx>, ReportError> {
    let rows = read_table::<EpollWindowRow>(dataset, run).map_err(|source| ReportError::Read {
        table: epoll_windows::NAME,
        run: run.to_string(),
        source,
    })?;
    if let Some(s) = section_of(&rows) {
        return Ok(Some(s));
    }
    let has_calls = model::read::count_rows(dataset, epoll_calls::NAME, run).map_err(|source| ReportError::Read {
        table: epoll_calls::NAME,
        run: run.to_string(),
        source,
    })? > 0;
    Ok(has_calls.then(|| EpollSectionCtx {
        calls: 0,
        threads: 0,
        window: String::new(),
        thread_rows: Vec::new(),
        more_threads: 0,
        busiest: Vec::new(),
        missing: true,
    }))
}
