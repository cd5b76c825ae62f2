//! `lost_events`: events a tracer reports as lost (perf/ring buffer overflow).
//!
//! bpftrace text: `Lost N events` lines; bpftrace JSON: `{"type": "lost_events", "data":
//! {"events": N}}`; perf.data: `PERF_RECORD_LOST` / `LOST_SAMPLES` records (N = lost samples,
//! `line` = the record's ordinal).
crate::table! {
    /// A lost-events report of a bpftrace output or a perf.data.
    name = "lost_events", version = 1, delta = [line];
    pub struct LostEventsRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) of the report; for a perf.data, the ordinal of the LOST record.
        pub line: i64,
        /// Number of events lost (count).
        pub events: i64,
    }
}
/// Table name.
pub const NAME: &str = "lost_events";
