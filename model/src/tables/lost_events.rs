//! `lost_events`: events bpftrace reports as lost (perf/ring buffer overflow).
//!
//! Text: `Lost N events` lines; JSON: `{"type": "lost_events", "data": {"events": N}}`.
crate::table! {
    /// A lost-events report of a bpftrace output.
    name = "lost_events", version = 1;
    pub struct LostEventsRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) of the report.
        pub line: i64,
        /// Number of events lost (count).
        pub events: i64,
    }
}
/// Table name.
pub const NAME: &str = "lost_events";
