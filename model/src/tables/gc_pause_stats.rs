//! `gc_pause_stats` (analysis): pause statistics per run in three grouping sets — per collector
//! (`pause_kind` and `cause` null), per collector × kind, per collector × cause. Percentiles are
//! nearest-rank: `sorted[ceil(q·n) − 1]` (polars `interpolation="equiprobable"`, DuckDB `quantile_disc`).
crate::table! {
    /// Pause statistics of one group.
    name = "gc_pause_stats", version = 1;
    pub struct GcPauseStatsRow {
        /// Collector.
        pub collector: String,
        /// Pause kind, null in the per-collector and per-cause sets.
        pub pause_kind: Option<String>,
        /// Cause, null in the per-collector and per-kind sets (pauses with no cause count as `(none)`).
        pub cause: Option<String>,
        /// Number of pauses.
        pub count: i64,
        /// Sum of pause durations, ns.
        pub total_ns: i64,
        /// Mean pause, ns (rounded to the nearest ns).
        pub mean_ns: i64,
        /// Median (nearest-rank), ns.
        pub p50_ns: i64,
        /// 90th percentile (nearest-rank), ns.
        pub p90_ns: i64,
        /// 95th percentile (nearest-rank), ns.
        pub p95_ns: i64,
        /// 99th percentile (nearest-rank), ns.
        pub p99_ns: i64,
        /// 99.9th percentile (nearest-rank), ns.
        pub p999_ns: i64,
        /// Longest pause, ns.
        pub max_ns: i64,
    }
}
/// Table name.
pub const NAME: &str = "gc_pause_stats";
