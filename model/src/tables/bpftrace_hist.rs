//! `bpftrace_hist`: one row per bucket of a `hist()` / `lhist()` map printed by bpftrace.
//!
//! Bounds are integers in the unit of the histogrammed value, `low` inclusive and `high`
//! exclusive: text `[4, 8)` is 4..8, `[1K, 2K)` is 1024..2048 (K, M, G, T, P are powers of
//! 1024), `[0]` is 0..1, `(..., 0)` has `low` null and `high` 0, `[100, ...)` has `low` 100 and
//! `high` null. JSON buckets (`max` inclusive) are converted to the same bounds. Interior zero
//! buckets are kept as printed. bpftrace 0.17 truncates log2 hists to 32 bits: a bucket printed
//! `[2G, 4G)` is emitted in JSON as `min -2147483648, max 0`; such a bucket is restored to
//! 2^31..2^32 and flagged in `note`.
crate::table! {
    /// A histogram bucket printed by bpftrace.
    name = "bpftrace_hist", version = 1, delta = [line];
    pub struct BpftraceHistRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) of the bucket row (text) or of the hist record (JSON).
        pub line: i64,
        /// Map name with its `@`.
        pub map: String,
        /// Key, as in `bpftrace_maps.key`; empty for an unkeyed histogram.
        pub key: String,
        /// Bucket index inside its histogram (0-based, in printed order).
        pub bucket: i64,
        /// Inclusive lower bound (value unit); null for the underflow bucket `(..., x)`.
        pub low: Option<i64>,
        /// Exclusive upper bound (value unit); null for the overflow bucket `[x, ...)`.
        pub high: Option<i64>,
        /// Events in the bucket.
        pub count: i64,
        /// Bucket as printed in text mode (`[1K, 2K)`), or rebuilt from JSON bounds.
        pub label: String,
        /// Set when the bucket was repaired or looks wrong (0.17 32-bit truncation, bounds out
        /// of order); null otherwise.
        pub note: Option<String>,
    }
}
/// Table name.
pub const NAME: &str = "bpftrace_hist";
