//! `runs`: one row per source file of a run (the run itself is the partition key).
crate::table! {
    /// A source file ingested into the run.
    name = "runs", version = 1;
    pub struct SourceRow {
        /// Order of the run's ingestion (ns since the Unix epoch when the run was ingested); the
        /// first-ingested run is the default baseline.
        pub ingested_at_ns: i64,
        /// Run labels as `key=value` pairs joined by `;`, in the order given.
        pub labels: String,
        /// Path of the source file as given (directories expanded).
        pub source: String,
        /// File size, bytes.
        pub size_bytes: i64,
        /// SHA-256 of the file content, lowercase hex.
        pub sha256: String,
        /// Detected (or forced) format id, e.g. `jvm-unified`, `jvm-legacy`, `go-gctrace`; null when no format matched.
        pub format: Option<String>,
        /// Version of the producing tool when the source says it (e.g. JVM version string).
        pub tool_version: Option<String>,
        /// `ok`, `skipped` (no known format), or `error: <message>`.
        pub status: String,
        /// Maximum heap size the GC log states (`Heap Max Capacity:` / `Max Capacity:` of
        /// `gc,init`), bytes; null when it does not.
        pub gc_heap_max_bytes: Option<i64>,
        /// Parallel GC worker threads the JVM log states (`gc,init`, JDK 17+: `Parallel Workers: N`
        /// of G1/Parallel/Shenandoah, `GC Workers: N` / `GC Workers Max: N` of ZGC); null when it
        /// does not. (Go's GC parallelism is `gc_cycles.procs`.)
        pub gc_parallel_workers: Option<i64>,
    }
}
/// Table name.
pub const NAME: &str = "runs";
