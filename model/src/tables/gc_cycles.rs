//! `gc_cycles`: one row per collection cycle, stop-the-world or concurrent.
crate::table! {
    /// A GC cycle (a JVM gc id, or a Go `gc N` line).
    name = "gc_cycles", version = 1, delta = [line, gc_id, start_ns];
    pub struct GcCycleRow {
        /// Source file path as in `runs.source`.
        pub source: String,
        /// Line number of the cycle's first line.
        pub line: i64,
        /// `jvm` or `go`.
        pub runtime: String,
        /// Collector (as in `gc_pauses`).
        pub collector: String,
        /// GC id; null when the log has none.
        pub gc_id: Option<i64>,
        /// Cycle name: the first pause's name, or the concurrent cycle's (e.g. `Concurrent Mark Cycle`, `Major Collection`).
        pub name: String,
        /// Cause, when given.
        pub cause: Option<String>,
        /// Clock of `start_ns`.
        pub clock: String,
        /// Cycle start on `clock`, ns.
        pub start_ns: Option<i64>,
        /// Cycle wall-clock duration when the log gives it (concurrent cycle, ZGC/Shenandoah cycle, Go `a+b+c`), ns.
        pub duration_ns: Option<i64>,
        /// Whether the cycle ran (partly) concurrently with the application.
        pub concurrent: bool,
        /// Whether the log says the cycle was aborted, degenerated or upgraded to full.
        pub aborted: bool,
        /// Stop-the-world pauses in this cycle.
        pub pause_count: i64,
        /// Sum of this cycle's pauses, ns.
        pub pause_total_ns: i64,
        /// Longest pause of this cycle, ns.
        pub pause_max_ns: i64,
        /// Heap before, bytes (Go: heap at GC start).
        pub heap_before_bytes: Option<i64>,
        /// Heap after, bytes (Go: heap at GC end).
        pub heap_after_bytes: Option<i64>,
        /// Heap committed after, bytes.
        pub heap_committed_bytes: Option<i64>,
        /// Go: live heap marked, bytes.
        pub heap_live_bytes: Option<i64>,
        /// Go: heap goal, bytes.
        pub heap_goal_bytes: Option<i64>,
        /// Go: GOMAXPROCS (`N P`).
        pub procs: Option<i64>,
        /// Go: whether the cycle was forced (`(forced)`, e.g. `runtime.GC()`).
        pub forced: bool,
        /// Go: percentage of CPU used by GC since program start, as printed.
        pub gc_cpu_percent: Option<f64>,
        /// Go CPU: STW sweep termination, ns of CPU.
        pub cpu_sweep_term_ns: Option<i64>,
        /// Go CPU: mark assist, ns of CPU.
        pub cpu_assist_ns: Option<i64>,
        /// Go CPU: background mark workers, ns of CPU.
        pub cpu_background_ns: Option<i64>,
        /// Go CPU: idle mark workers, ns of CPU.
        pub cpu_idle_ns: Option<i64>,
        /// Go CPU: STW mark termination, ns of CPU.
        pub cpu_mark_term_ns: Option<i64>,
    }
}
/// Table name.
pub const NAME: &str = "gc_cycles";
