//! `epoll_ready`: one row per ready `struct epoll_event` returned by an epoll wait call
//! (`READY` lines of a netpoll capture).
crate::table! {
    /// One ready event returned by an `epoll_calls` call.
    name = "epoll_ready", version = 1, delta = [line, enter_ns, exit_ns, ts_ns];
    pub struct EpollReadyRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) of the `READY` line (JSON mode: of its record).
        pub line: i64,
        /// Clock of `enter_ns`/`exit_ns`/`ts_ns`: `monotonic`.
        pub clock: String,
        /// Thread id.
        pub tid: i64,
        /// Entry of the call that returned the event (join key with `epoll_calls`: `tid`,
        /// `enter_ns`); null when the event could not be attached to a call.
        pub enter_ns: Option<i64>,
        /// Exit of the call that returned the event (`epoll_calls.exit_ns`); null when the event
        /// could not be attached to a call.
        pub exit_ns: Option<i64>,
        /// Time the `READY` line was printed (just after the exit), ns.
        pub ts_ns: i64,
        /// 0-based index of the event in the returned array.
        pub index: i64,
        /// `events` mask (EPOLLIN 0x1, EPOLLOUT 0x4, EPOLLERR 0x8, EPOLLHUP 0x10, EPOLLRDHUP 0x2000, ...).
        pub events: i64,
        /// `data` word, the 64 bits as a signed integer (Go: tagged `*pollDesc`, 0 = netpollBreak).
        pub data: i64,
        /// `data` as printed (hex).
        pub data_hex: String,
        /// Go runtime `*pollDesc` decoded from `data` for the layout given at ingest (Go >= 1.2x
        /// linux/amd64: `(data >> 24) << 9`); null when no layout is known or `data` is 0.
        pub poll_desc: Option<i64>,
    }
}
/// Table name.
pub const NAME: &str = "epoll_ready";
