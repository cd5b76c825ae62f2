//! `perf_gc_windows` (analysis): the GC pauses of a run placed on the clock of its perf samples,
//! one row per pause and window kind: `pause` = the stop-the-world interval itself,
//! `before_pause` = the 10 ms before it (the seed's "allocation burst before GC" question).
//!
//! A pause is placed on a sample clock directly when both use the same clock (e.g. a JVM log
//! with the `timenanos` decorator and `perf record -k CLOCK_MONOTONIC`: both `monotonic`), else
//! through the run's `clock_offsets` (both clocks mapped to wall time; the uncertainty is the
//! offsets' `spread_ns`). Pauses that cannot be placed have no rows.
crate::table! {
    /// One window around one GC pause, on one perf sample clock.
    name = "perf_gc_windows", version = 1;
    pub struct PerfGcWindowRow {
        /// Source of the pause, as in `gc_pauses.source`.
        pub pause_source: String,
        /// Line of the pause in its source, as in `gc_pauses.line`.
        pub pause_line: i64,
        /// GC id of the pause, as in `gc_pauses.gc_id`.
        pub gc_id: Option<i64>,
        /// Pause kind, as in `gc_pauses.pause_kind`.
        pub pause_kind: String,
        /// `pause` or `before_pause`.
        pub window: String,
        /// Clock of `start_ns`/`end_ns`: the perf samples' clock, as in `perf_samples.clock`.
        pub clock: String,
        /// Window start on `clock`, ns (inclusive).
        pub start_ns: i64,
        /// Window end on `clock`, ns (exclusive).
        pub end_ns: i64,
        /// How the pause was placed: `same-clock` or `via-wall-offsets`.
        pub alignment: String,
        /// Samples (all events) of the run on `clock` inside the window; a sample in both a
        /// pause and another pause's `before_pause` window counts in the pause only.
        pub samples: i64,
        /// Whether the window overlaps the time span of the run's samples on `clock`.
        pub in_profile: bool,
    }
}
/// Table name.
pub const NAME: &str = "perf_gc_windows";
