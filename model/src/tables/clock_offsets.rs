//! `clock_offsets`: how each clock of a run maps to wall time: `wall_ns = t_ns + offset_ns`.
crate::table! {
    /// One row per clock of the run whose offset to wall time is known.
    name = "clock_offsets", version = 1;
    pub struct ClockOffsetRow {
        /// Clock name as in the event tables' `clock` column.
        pub clock: String,
        /// Offset to add to a time on this clock to get Unix-epoch wall time, ns.
        pub offset_ns: i64,
        /// How it was found: `jvm-time+uptime-decorators`, `user`, `go-anchor`, ...
        pub method: String,
        /// Number of observations the offset was derived from.
        pub observations: i64,
        /// Spread (max − min) of the observed offsets, ns: the timeline's uncertainty for this clock.
        pub spread_ns: i64,
        /// A line or file the offset was read from.
        pub evidence: String,
    }
}
/// Table name.
pub const NAME: &str = "clock_offsets";
