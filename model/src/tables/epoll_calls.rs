//! `epoll_calls`: one row per `epoll_wait`/`epoll_pwait` call seen by a netpoll capture
//! (`capture/netpoll.bt` or the corpus script it is modelled on): one row per `ENTER` line.
crate::table! {
    /// One epoll wait call of one thread, from its `ENTER` line and (when seen) its `EXIT` line.
    name = "epoll_calls", version = 1, delta = [line, enter_ns, exit_ns];
    pub struct EpollCallRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) of the `ENTER` line (JSON mode: of its record).
        pub line: i64,
        /// Clock of `enter_ns`/`exit_ns`: `monotonic` (bpftrace `nsecs`).
        pub clock: String,
        /// Process id.
        pub pid: i64,
        /// Thread id (the thread that made the call).
        pub tid: i64,
        /// Thread name (`comm`) as printed.
        pub comm: String,
        /// `epoll_wait` or `epoll_pwait`.
        pub syscall: String,
        /// epoll file descriptor.
        pub epfd: i64,
        /// `maxevents` argument.
        pub maxevents: i64,
        /// `timeout` argument, ms (-1 = wait forever).
        pub timeout_ms: i64,
        /// `non_blocking` (timeout 0), `finite` (timeout > 0) or `infinite` (timeout < 0).
        pub timeout_class: String,
        /// Syscall entry on `clock`, ns.
        pub enter_ns: i64,
        /// Syscall exit on `clock`, ns; null when no `EXIT` was seen.
        pub exit_ns: Option<i64>,
        /// `exit_ns - enter_ns`; null when no `EXIT` was seen.
        pub duration_ns: Option<i64>,
        /// Return value: number of ready events, 0 on timeout, -errno on error; null when no `EXIT`.
        pub ret: Option<i64>,
        /// `READY` lines attached to this call (the script prints at most 24 per call).
        pub ready_count: i64,
        /// The call was still blocked when the capture ended (last call of its thread, no `EXIT`).
        pub in_flight_at_end: bool,
        /// `complete`, `in_flight` (see `in_flight_at_end`) or `exit_lost` (the thread entered
        /// another call before any `EXIT`: the exit was not captured, e.g. while probes attached).
        pub status: String,
    }
}
/// Table name.
pub const NAME: &str = "epoll_calls";
