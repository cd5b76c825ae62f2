//! `bpftrace_maps`: one row per printed map entry (scalar or keyed) of a bpftrace output.
//!
//! Text `@m: v`, `@m[k]: v`, `@m[k1, k2]: v`, stack keys over several lines, `stats()` entries
//! (`count N, average A, total T`); JSON records of type `map` and `stats`. A map printed
//! several times (`print(@m)` and again at exit) gives rows for each printing. Histograms go to
//! `bpftrace_hist`. Values carry the unit the script gave them (bpftrace records none).
crate::table! {
    /// A map entry printed by bpftrace.
    name = "bpftrace_maps", version = 1, delta = [line];
    pub struct BpftraceMapRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) where the entry (text) or the map record (JSON) starts.
        pub line: i64,
        /// Map name with its `@` (`@` alone for the anonymous map).
        pub map: String,
        /// Key: key parts joined by `, ` (as text mode prints them; JSON's `a,1` becomes `a, 1`);
        /// a stack key is its frames, trimmed, joined by `\n`; empty for a scalar map.
        pub key: String,
        /// Number of key parts (0 for a scalar map).
        pub key_len: i64,
        /// First key part; null for a scalar map.
        pub key1: Option<String>,
        /// Second key part; null when the key has fewer parts.
        pub key2: Option<String>,
        /// Integer value (count, sum, min, max, avg truncated by bpftrace, or plain integer);
        /// for `stats()` entries the average; null when the value is not an integer (strings,
        /// tuples, values beyond i64).
        pub value: Option<i64>,
        /// Value as a float when it is a number (also for values beyond i64); null otherwise.
        pub value_f64: Option<f64>,
        /// Value as printed in text mode (`(t, 1, 2)` for tuples, strings unquoted,
        /// `count 3, average 21, total 63` for stats).
        pub value_text: String,
        /// `value` for a plain value, `stats` for a `stats()` entry (count/average/total).
        pub kind: String,
        /// `stats()` count; null for other kinds.
        pub stats_count: Option<i64>,
        /// `stats()` average (integer-truncated by bpftrace); null for other kinds.
        pub stats_avg: Option<i64>,
        /// `stats()` total; null for other kinds.
        pub stats_total: Option<i64>,
    }
}
/// Table name.
pub const NAME: &str = "bpftrace_maps";
