//! `perf_samples`: one row per sample of a `perf script` text or of a binary `perf.data`.
//!
//! Every sample is kept, including samples without any callchain frame (they point at the empty
//! stack, `stack_id` 0) and samples of exiting tasks printed as `:-1 -1` (comm `:-1`, tid -1).
//! The stack is in `perf_stacks` / `perf_frames` (joined on `source`, `stack_id`).
crate::table! {
    /// A sample.
    name = "perf_samples", version = 1, delta = [line, time_ns, stack_id], no_stats = [source, clock, comm, pid, tid, cpu, event, period];
    pub struct PerfSampleRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// `perf script` text: line number (1-based) of the sample's header line. perf.data: 1-based
        /// ordinal of the sample's record among the records linux-perf-data yields (time-sorted,
        /// as perf processes them; the same numbering as `ingest_log` and `lost_events`).
        pub line: i64,
        /// Clock of `time_ns`: `perf` (perf's sample clock, as printed; the run's timeline aligns
        /// it), or `monotonic` (CLOCK_MONOTONIC) for a perf.data recorded with `-k CLOCK_MONOTONIC`.
        pub clock: String,
        /// Sample time on `clock`, ns; null when the text has no time field.
        pub time_ns: Option<i64>,
        /// Thread name (comm) at the time of the sample, as printed (may contain spaces).
        pub comm: String,
        /// Process id; null when only one number is printed (perf's default prints the tid alone).
        pub pid: Option<i64>,
        /// Thread id; -1 for exiting tasks (`:-1 -1`); null when not printed.
        pub tid: Option<i64>,
        /// CPU the sample was taken on; null when the sample has no CPU (`[NNN]` not printed).
        pub cpu: Option<i64>,
        /// Event name as printed without its trailing colon, with modifiers, e.g.
        /// `cpu-clock:uhH`, `cycles`, `sched:sched_switch`; empty when not printed. perf.data: the
        /// attr's name from the file (EVENT_DESC, what perf prints, e.g. `cpu-clock:pppH`,
        /// `cpu-clock/freq=999/`), else one derived from its type (`cpu-clock`, `tracepoint:ID`).
        pub event: String,
        /// Sample period (weight), in the event's unit (ns for cpu-clock, events for cycles);
        /// 1 when the text does not print it.
        pub period: i64,
        /// Stack of the sample in `perf_stacks` (same `source`); 0 = the empty stack (no frames).
        pub stack_id: i64,
    }
}
/// Table name.
pub const NAME: &str = "perf_samples";
