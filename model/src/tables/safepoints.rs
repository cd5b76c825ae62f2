//! `safepoints`: one row per JVM safepoint (unified `safepoint` tag, or legacy
//! `Total time for which application threads were stopped` lines).
crate::table! {
    /// A JVM safepoint operation.
    name = "safepoints", version = 1, delta = [line, end_ns, line_wall_ns];
    pub struct SafepointRow {
        /// Source file path as in `runs.source`.
        pub source: String,
        /// Line number of the (last) line of the record.
        pub line: i64,
        /// VM operation, e.g. `G1CollectForAllocation`; null when the form does not say (legacy).
        pub operation: Option<String>,
        /// Clock of `end_ns`.
        pub clock: String,
        /// Time the line was written on `clock` (end of the safepoint), ns.
        pub end_ns: Option<i64>,
        /// Wall time of the line when it carries one, ns since the Unix epoch.
        pub line_wall_ns: Option<i64>,
        /// Time to reach the safepoint (`Reaching safepoint`/`Stopping threads took`), ns.
        pub reaching_ns: Option<i64>,
        /// Cleanup time, ns.
        pub cleanup_ns: Option<i64>,
        /// Time at the safepoint (the operation itself), ns.
        pub at_safepoint_ns: Option<i64>,
        /// Leaving the safepoint (JDK 25+), ns.
        pub leaving_ns: Option<i64>,
        /// Total time application threads were stopped, ns.
        pub total_ns: i64,
    }
}
/// Table name.
pub const NAME: &str = "safepoints";
