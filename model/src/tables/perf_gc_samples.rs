//! `perf_gc_samples` (analysis): the perf samples that fall in a GC window of
//! `perf_gc_windows` (inside a stop-the-world pause, or in the 10 ms before one), one row each,
//! keyed like `perf_samples` (`source`, `line`) so their stacks can be folded again (see
//! `perf_stacks` for the SQL) or drawn as a flamegraph.
crate::table! {
    /// A perf sample inside a GC window.
    name = "perf_gc_samples", version = 1;
    pub struct PerfGcSampleRow {
        /// Source of the sample, as in `perf_samples.source`.
        pub source: String,
        /// Line / record of the sample, as in `perf_samples.line`.
        pub line: i64,
        /// Event, as in `perf_samples.event`.
        pub event: String,
        /// Stack, as in `perf_samples.stack_id`.
        pub stack_id: i64,
        /// Period of the sample, as in `perf_samples.period`.
        pub period: i64,
        /// `pause` or `before_pause` (a sample in both kinds of window is a `pause` sample).
        pub window: String,
        /// The pause, as in `gc_pauses.source`.
        pub pause_source: String,
        /// The pause, as in `gc_pauses.line`.
        pub pause_line: i64,
        /// Sample time minus the pause start, ns (negative before the pause).
        pub offset_ns: i64,
    }
}
/// Table name.
pub const NAME: &str = "perf_gc_samples";
