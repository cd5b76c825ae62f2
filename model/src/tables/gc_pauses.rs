//! `gc_pauses`: one row per contiguous stop-the-world pause of a JVM or Go garbage collector.
//!
//! Go: each cycle's two STW phases (sweep termination `a`, mark termination `c` of
//! `a+b+c ms clock`) are two rows. Times are on the clock named in `clock`.
crate::table! {
    /// A stop-the-world GC pause, as the log reported it.
    name = "gc_pauses", version = 1, delta = [line, gc_id, start_ns, end_ns, line_wall_ns];
    pub struct GcPauseRow {
        /// Source file path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) of the line that ended the pause.
        pub line: i64,
        /// `jvm` or `go`.
        pub runtime: String,
        /// Collector: `G1`, `Parallel`, `Serial`, `CMS`, `ZGC`, `Shenandoah`, `Go`.
        pub collector: String,
        /// GC id as the log numbers it (JVM `GC(n)` / `#n`, Go cycle number); null when the log has none.
        pub gc_id: Option<i64>,
        /// Pause name as the log wrote it, e.g. `Pause Young (Normal)`, `Pause Mark End`, `sweep termination`.
        pub name: String,
        /// Normalised kind: `young`, `mixed`, `full`, `remark`, `cleanup`, `initial_mark`, `final_mark`,
        /// `mark_start`, `mark_end`, `relocate_start`, `degenerated`, `final_roots`, `init_update_refs`,
        /// `final_update_refs`, `sweep_termination`, `mark_termination`, `other`.
        pub pause_kind: String,
        /// GC cause, e.g. `G1 Evacuation Pause`, `Allocation Failure`, `System.gc()`; Go `forced` or null.
        pub cause: Option<String>,
        /// Clock of `start_ns`/`end_ns` (see `model::tables::clock`).
        pub clock: String,
        /// Pause start on `clock`, ns (end − duration when the log stamps the end).
        pub start_ns: Option<i64>,
        /// Pause end on `clock`, ns.
        pub end_ns: Option<i64>,
        /// Wall time of the line (Unix epoch ns) when the line itself carries wall time.
        pub line_wall_ns: Option<i64>,
        /// Pause duration, ns.
        pub duration_ns: i64,
        /// Heap occupancy before the pause, bytes.
        pub heap_before_bytes: Option<i64>,
        /// Heap occupancy after the pause, bytes.
        pub heap_after_bytes: Option<i64>,
        /// Heap committed (capacity) after the pause, bytes.
        pub heap_committed_bytes: Option<i64>,
    }
}
/// Table name.
pub const NAME: &str = "gc_pauses";
