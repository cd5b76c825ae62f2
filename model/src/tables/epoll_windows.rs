//! `epoll_windows` (analysis): per run, thread and time window, what the thread's
//! `epoll_wait`/`epoll_pwait` calls (`epoll_calls`) did — calls, blocking calls, wakeups,
//! timeouts, errors, the blocked-time distribution and the ready events per wakeup — plus one
//! whole-run row per thread (`window_start_ns` null).
//!
//! A call belongs to the window holding its `enter_ns`. Windows are `window_ns` long (default
//! 1 s) and aligned to the run's first call: the first window starts at that call's `enter_ns`
//! rounded down to a multiple of `window_ns`. Only windows with calls have rows. A call in several
//! sources of the run with the same pid, tid and `enter_ns` (the same capture ingested twice)
//! counts once; two bpftrace processes tracing the same pid stamp each call separately, so their
//! captures belong in separate runs. Percentiles are exact nearest-rank (`sorted[ceil(q·n) − 1]`).
//! Rows are sorted by tid, comm, then the whole-run row first and windows by start.
crate::table! {
    /// One thread's epoll calls in one window (or over the whole run).
    name = "epoll_windows", version = 1;
    pub struct EpollWindowRow {
        /// Thread id.
        pub tid: i64,
        /// Thread name (`comm`) as printed by the capture.
        pub comm: String,
        /// Clock of the window bounds (`epoll_calls.clock`, `monotonic`).
        pub clock: String,
        /// Window length, ns.
        pub window_ns: i64,
        /// Window start on `clock` (inclusive), ns; null on the thread's whole-run row.
        pub window_start_ns: Option<i64>,
        /// Window end on `clock` (exclusive), ns; null on the thread's whole-run row.
        pub window_end_ns: Option<i64>,
        /// Calls entered in the window.
        pub calls: i64,
        /// Calls with a timeout other than 0 (`finite` or `infinite`): they may block.
        pub blocking_calls: i64,
        /// Calls that returned ready events (`ret > 0`).
        pub wakeups: i64,
        /// Blocking calls that returned 0: the timeout expired.
        pub timeouts: i64,
        /// Calls that returned an error (`ret < 0`).
        pub errors: i64,
        /// Calls without an exit (`ret` null: in flight at the end, or exit lost).
        pub no_exit: i64,
        /// Sum of `duration_ns` over the blocking calls with an exit, ns.
        pub blocked_ns: i64,
        /// Nearest-rank p50 of `duration_ns` over the blocking calls with an exit; null when none.
        pub blocked_p50_ns: Option<i64>,
        /// Nearest-rank p90 of the same.
        pub blocked_p90_ns: Option<i64>,
        /// Nearest-rank p99 of the same.
        pub blocked_p99_ns: Option<i64>,
        /// Largest of the same.
        pub blocked_max_ns: Option<i64>,
        /// Sum of `ret` over the wakeups: ready events returned.
        pub ready_events: i64,
        /// `ready_events / wakeups`; null without wakeups.
        pub ready_per_wakeup: Option<f64>,
    }
}
/// Table name.
pub const NAME: &str = "epoll_windows";
