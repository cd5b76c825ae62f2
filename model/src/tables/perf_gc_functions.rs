//! `perf_gc_functions` (analysis): what ran during GC pauses and just before them — per event,
//! window kind (`pause`, `before_pause`) and function (+ dso), the self and total samples of
//! the samples in `perf_gc_samples`, as `perf_top_functions` computes them for the whole run,
//! and the function's self share among the event's samples outside every GC window, so a
//! function over-represented before pauses (an allocation burst) stands out.
crate::table! {
    /// One function of one event in one window kind.
    name = "perf_gc_functions", version = 1;
    pub struct PerfGcFunctionRow {
        /// Event, as in `perf_samples.event`.
        pub event: String,
        /// `pause` or `before_pause`.
        pub window: String,
        /// Function, as in `perf_frames.function`.
        pub function: String,
        /// Module, as in `perf_frames.dso`.
        pub dso: Option<String>,
        /// Samples of the event in windows of this kind (the percentages' denominator).
        pub window_samples: i64,
        /// Of those, samples whose leaf frame is the function.
        pub self_samples: i64,
        /// `self_samples` as a percentage (0–100) of `window_samples`.
        pub self_pct: f64,
        /// Samples in these windows whose stack contains the function.
        pub total_samples: i64,
        /// `total_samples` as a percentage (0–100) of `window_samples`.
        pub total_pct: f64,
        /// The function's self share (0–100) among the event's samples outside every GC
        /// window; 0 when it is never the leaf there.
        pub outside_self_pct: f64,
    }
}
/// Table name.
pub const NAME: &str = "perf_gc_functions";
