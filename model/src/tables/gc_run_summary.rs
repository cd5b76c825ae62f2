//! `gc_run_summary` (analysis): one row per run — throughput, full GCs, allocation rate, MMU.
crate::table! {
    /// GC summary of one run.
    name = "gc_run_summary", version = 1;
    pub struct GcRunSummaryRow {
        /// Collectors seen, comma-separated.
        pub collectors: String,
        /// Runtimes seen (`jvm`, `go`), comma-separated.
        pub runtimes: String,
        /// Number of pauses.
        pub pause_count: i64,
        /// Number of cycles (including concurrent ones).
        pub cycle_count: i64,
        /// Full (stop-the-world whole-heap) collections: pauses of kind `full`.
        pub full_gc_count: i64,
        /// Sum of all pauses, ns.
        pub pause_total_ns: i64,
        /// Mean pause, ns.
        pub pause_mean_ns: i64,
        /// Longest pause, ns.
        pub pause_max_ns: i64,
        /// Observed span of the log: first pause start to last pause end, ns (per source, summed).
        pub span_ns: i64,
        /// Share of `span_ns` the application was stopped by GC pauses (0..1): summed duration of the
        /// pauses that have a start or end time over `span_ns`; 0 when `span_ns` is 0.
        pub stw_share: f64,
        /// 1 − stw_share.
        pub throughput: f64,
        /// Bytes allocated per second of wall time between collections; null when the log has no heap figures.
        /// Per source, over its pauses with heap figures (its cycles when fewer than two pauses have them), in time order:
        /// max(0, heap_before[i+1] − left[i]) summed, where `left` is Go's live heap or else heap_after, plus each Go
        /// cycle's growth while it marks (max(0, heap_after − heap_before), cycles between the first and the last), over
        /// start[last] − end[first]; pooled over sources.
        pub alloc_rate_bytes_per_s: Option<f64>,
        /// Largest committed heap seen, bytes.
        pub heap_committed_max_bytes: Option<i64>,
        /// Minimum mutator utilisation over 10 ms windows (0..1), the minimum over sources whose span is at least the
        /// window; null when no source's span is that long.
        pub mmu_10ms: Option<f64>,
        /// Minimum mutator utilisation over 100 ms windows.
        pub mmu_100ms: Option<f64>,
        /// Minimum mutator utilisation over 1 s windows.
        pub mmu_1s: Option<f64>,
    }
}
/// Table name.
pub const NAME: &str = "gc_run_summary";
