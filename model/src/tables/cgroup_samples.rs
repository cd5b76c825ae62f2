//! `cgroup_samples`: one row per value read from a cgroup file, raw, as observed.
//!
//! Long and narrow: a flat-keyed line (`nr_throttled 100`) is one row, a nested-keyed line
//! (`some avg10=0.00 ... total=9764823`) one row per `k=v`, a single-value file one row with an
//! empty key. Integers are kept exactly in `value_i64` (cumulative ns counters pass 2^53, so they
//! never go through a float); fractional values (PSI averages) go to `value_f64`. `max`, and `-1`
//! or the page-counter maximum in limit files, mean unlimited: both values null, `unlimited`
//! true, the text kept in `raw`. Text that is not a number (`cgroup.controllers`, `cpuset.cpus`)
//! has both values null and `unit` = `text`.
crate::table! {
    /// A value of a cgroup file at one sample time.
    name = "cgroup_samples", version = 1, delta = [line, time_ns];
    pub struct CgroupSampleRow {
        /// Source path as in `runs.source`; for a directory capture, that path joined with the
        /// file's path inside the directory.
        pub source: String,
        /// Line number (1-based) in the source file the value was read from.
        pub line: i64,
        /// Clock of `time_ns`: `wall` (sample headers and directory names are Unix epoch ns).
        pub clock: String,
        /// Sample time on `clock`, ns; null when the capture carries no time (a one-off copy
        /// without `TIMESTAMP_NS`, lines before the first `# ts_ns=` header).
        pub time_ns: Option<i64>,
        /// Host named by the capture header (`# cgsnap v1 host=...`), when given.
        pub host: Option<String>,
        /// Hierarchy: `v2` (unified), or `v1:<controllers>` of the v1 mount, e.g. `v1:cpu`,
        /// `v1:cpuacct`, `v1:cpu,cpuacct`, `v1:memory`.
        pub hierarchy: String,
        /// Cgroup path relative to the hierarchy's mount root, `/` for the root cgroup.
        pub cgroup: String,
        /// File name, e.g. `cpu.stat`, `cpu.pressure`, `memory.current`.
        pub file: String,
        /// Key inside the file: flat keyed `nr_throttled`; nested keyed `some.total`,
        /// `8:0.rbytes`; `cpu.max` `max`/`period`; per-CPU lists `cpu0`, ...; `cpuacct.usage_all`
        /// `cpu0.user`; empty for single-value files and one-value-per-line lists (`cgroup.procs`).
        pub key: String,
        /// Integer value, exact (unit in `unit`); null for unlimited, fractions and text.
        pub value_i64: Option<i64>,
        /// Fractional value (PSI `avg*`, percent), or an integer that does not fit i64
        /// (approximate); null otherwise.
        pub value_f64: Option<f64>,
        /// True when the file states "no limit": `max`, `-1` in a quota/limit file, or the v1
        /// page-counter maximum (9223372036854771712 bytes).
        pub unlimited: bool,
        /// The value's text as observed (the whole line when its shape was not understood).
        pub raw: String,
        /// Unit of the value: `ns`, `us`, `bytes`, `pages`, `count`, `pct` (percent),
        /// `ticks` (USER_HZ, 1/100 s), `weight` (relative), `pid`, `bool`, `number` (unknown unit),
        /// `text` (not a number).
        pub unit: String,
    }
}
/// Table name.
pub const NAME: &str = "cgroup_samples";
