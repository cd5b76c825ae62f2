//! `perf_threads`: thread names over time from a perf.data's COMM / FORK / EXIT records, one row
//! per (thread, name period). A rename (`prctl`/`pthread_setname_np`, COMM record) or an `exec`
//! (COMM record with the exec flag) ends the thread's current period and starts a new one; EXIT
//! ends the last one. Times are on the samples' clock (`clock`, as in `perf_samples`), so
//! `perf_samples` rows join on (`source`, `tid`) and `time_ns` within [`start_ns`, `end_ns`).
crate::table! {
    /// A period during which a thread had one name.
    name = "perf_threads", version = 1;
    pub struct PerfThreadRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Process id (thread group id).
        pub pid: i64,
        /// Thread id.
        pub tid: i64,
        /// Thread name (comm) during the period; `:TID` when no COMM record named the thread
        /// (`swapper` for the idle task, tid 0, as perf names it).
        pub comm: String,
        /// Clock of `start_ns` / `end_ns`: `monotonic` when perf recorded with
        /// `-k CLOCK_MONOTONIC`, else `perf` (perf's sample clock).
        pub clock: String,
        /// Start of the period, ns on `clock`; null when the record has no time (records
        /// synthesized by perf for threads that existed before recording).
        pub start_ns: Option<i64>,
        /// End of the period, ns on `clock`; null when the thread was still running at the end of
        /// the recording (or its end has no time).
        pub end_ns: Option<i64>,
        /// How the period started: `fork` (FORK record; name inherited from the parent thread),
        /// `comm` (COMM record: rename, or a name synthesized by perf for an existing thread),
        /// `exec` (COMM record with the exec flag), `sample` (first seen in a sample, no record).
        pub started_by: String,
        /// True when the period was ended by the thread's EXIT record.
        pub exited: bool,
    }
}
/// Table name.
pub const NAME: &str = "perf_threads";
