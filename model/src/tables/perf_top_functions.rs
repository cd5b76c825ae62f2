//! `perf_top_functions` (analysis): per run, event and function (with its dso), the samples
//! whose leaf frame is the function (`self`, like `perf report --no-children`) and the samples
//! whose stack contains it anywhere (`total`, like `perf report --children`; a sample whose
//! stack holds the function several times, e.g. recursion, counts once).
//!
//! Functions are matched by (`function`, `dso`) across the run's sources (frame ids are per
//! source). Percentages are of the event's **sample count**, frame-less samples (`stack_id` 0)
//! included in that count but in no function. `perf report`'s "Overhead" weighs samples by
//! period; with a fixed period (cpu-clock at a fixed rate, tracepoints: period 1 — every file of
//! the perf corpus) both agree, otherwise use `self_period` / `total_period` for the weighted share.
//! Rows are sorted by event, `self_samples` descending, function, dso.
crate::table! {
    /// One function of one event.
    name = "perf_top_functions", version = 1;
    pub struct PerfTopFunctionRow {
        /// Event name as in `perf_samples.event`.
        pub event: String,
        /// Function name as in `perf_frames.function`.
        pub function: String,
        /// Samples of the event whose leaf frame (position 0) is this function.
        pub self_samples: i64,
        /// `self_samples` as a percentage (0–100) of the event's samples.
        pub self_pct: f64,
        /// Samples of the event whose stack contains this function at least once.
        pub total_samples: i64,
        /// `total_samples` as a percentage (0–100) of the event's samples.
        pub total_pct: f64,
        /// Module (dso) as in `perf_frames.dso`; null when not printed.
        pub dso: Option<String>,
        /// Sum of `period` over the `self_samples` samples.
        pub self_period: i64,
        /// Sum of `period` over the `total_samples` samples.
        pub total_period: i64,
    }
}
/// Table name.
pub const NAME: &str = "perf_top_functions";
