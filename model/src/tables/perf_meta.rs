//! `perf_meta`: a perf.data's header metadata as key/value rows (one source, many keys).
//!
//! Keys: `mode` (`file`/`pipe`), `hostname`, `os_release`, `perf_version`, `arch`, `cpu_desc`,
//! `nr_cpus_online`, `nr_cpus_available` (count), `total_mem_kb` (KiB), `cmdline` (space-joined),
//! `compression` (`zstd level N` when `-z`), `build_id` (value `HEX PATH`, one row per DSO of the
//! build-id table), and per event `N` (attr index, 0-based, in file order): `event.N.name`,
//! `event.N.type` (`hardware`, `software`, `tracepoint`, ...), `event.N.config` (decimal),
//! `event.N.sample_type` (`IP|TID|TIME|...` flag names), `event.N.freq` (Hz, when frequency
//! sampling) or `event.N.period` (events per sample), `event.N.clockid` (`perf` = perf's default
//! clock, else the clock name, e.g. `monotonic`), `event.N.ids` (count of event ids).
crate::table! {
    /// One metadata entry of a perf.data header.
    name = "perf_meta", version = 1;
    pub struct PerfMetaRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Key (see the table doc).
        pub key: String,
        /// Value as text (numbers in decimal, build-ids in lowercase hex).
        pub value: String,
    }
}
/// Table name.
pub const NAME: &str = "perf_meta";
