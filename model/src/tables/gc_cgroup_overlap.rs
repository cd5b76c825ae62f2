//! `gc_cgroup_overlap` (analysis): per run and cgroup, GC pauses that fell in CPU-throttled
//! sampling intervals versus the others, on the run's wall timeline, and whether the runtime's
//! GC parallelism exceeds the cgroup's CPU limit.
crate::table! {
    /// GC pauses joined with one cgroup's throttling intervals.
    name = "gc_cgroup_overlap", version = 1;
    pub struct GcCgroupOverlapRow {
        /// cgroup path.
        pub cgroup: String,
        /// Pauses placed on the wall timeline inside the cgroup capture's span.
        pub pauses_in_span: i64,
        /// Pauses that could not be placed (their clock has no offset to wall time; see `clock_offsets`).
        pub pauses_unaligned: i64,
        /// Pauses overlapping an interval with throttled periods.
        pub pauses_throttled: i64,
        /// Median pause in throttled intervals (nearest-rank), ns.
        pub throttled_p50_ns: Option<i64>,
        /// 99th percentile pause in throttled intervals (nearest-rank), ns.
        pub throttled_p99_ns: Option<i64>,
        /// Pauses in intervals without throttling.
        pub pauses_unthrottled: i64,
        /// Median pause outside throttled intervals (nearest-rank), ns.
        pub unthrottled_p50_ns: Option<i64>,
        /// 99th percentile pause outside throttled intervals (nearest-rank), ns.
        pub unthrottled_p99_ns: Option<i64>,
        /// CPU limit of the cgroup (quota/period), cores; null when unlimited.
        pub cpu_limit_cores: Option<f64>,
        /// GC parallelism of the runtime: Go GOMAXPROCS (`N P` of gctrace), largest seen; else the
        /// JVM's parallel GC workers (`runs.gc_parallel_workers`), largest of the run's logs.
        pub gc_parallelism: Option<i64>,
        /// Advice when the parallelism exceeds ⌈limit⌉, else null.
        pub advice: Option<String>,
    }
}
/// Table name.
pub const NAME: &str = "gc_cgroup_overlap";
