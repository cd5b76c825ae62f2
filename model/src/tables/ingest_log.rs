//! `ingest_log`: what happened to every line or record of every source.
//!
//! Per source one `kind = "total"` row with `read = parsed + skipped`, then one row per skip
//! reason with its count in `skipped` (they sum to the total row's `skipped`) and the first
//! examples: `kind = "skip"` for lines not understood (what `--strict` reports), `kind =
//! "ignore"` for lines understood and deliberately not tabled (e.g. GC phase details); `kind =
//! "note"` rows carry facts worth knowing (e.g. unknown decorators). A source not read (no known
//! format, a FIFO in a directory) has one `skip` row saying why, and no total row.
crate::table! {
    /// Ingest accounting per source file.
    name = "ingest_log", version = 1;
    pub struct IngestLogRow {
        /// Source file path as in `runs.source`.
        pub source: String,
        /// Format id the file was read as; null when none matched.
        pub format: Option<String>,
        /// `total`, `skip`, `ignore`, `note` or `error`.
        pub kind: String,
        /// Skip reason / note / error message; null on `total` rows.
        pub reason: Option<String>,
        /// Lines or records read (total rows), else 0.
        pub read: i64,
        /// Lines or records parsed into tables or recognised as known non-event lines (total rows), else 0.
        pub parsed: i64,
        /// Lines or records skipped (total rows: all reasons; skip rows: this reason).
        pub skipped: i64,
        /// Line number (1-based) or byte offset of the first occurrence, when known.
        pub first_line: Option<i64>,
        /// Up to three examples, `line N: text`, joined by newlines.
        pub examples: Option<String>,
    }
}
/// Table name.
pub const NAME: &str = "ingest_log";
