//! `bpftrace_lines`: every non-map line of a bpftrace output, verbatim, with parsed fields.
//!
//! Text mode: `printf()` output, `time()` lines, `Attaching N probes...`, stray stderr lines
//! (`ERROR: ...`, `WARNING: ...`) and anything else the script printed outside map dumps. JSON
//! mode (`-f json`): one row per record of type `printf`, `time`, `attached_probes`, `cat`,
//! `join`, `syscall`, `value`, `helper_error`, `errorf`/`warnf`/`runtime_error`, and of any type
//! not understood (`kind` = `raw`, whole JSON record in `text`).
crate::table! {
    /// A line (text mode) or record (JSON mode) of bpftrace output that is not a map dump.
    name = "bpftrace_lines", version = 1, delta = [line, ts_ns];
    pub struct BpftraceLineRow {
        /// Source path as in `runs.source`.
        pub source: String,
        /// Line number (1-based) in the source file (JSON mode: first line of the record).
        pub line: i64,
        /// `printf`, `time`, `attach`, `stderr` (bpftrace's own `ERROR:`/`WARNING:` lines),
        /// `value`, `cat`, `join`, `syscall`, `helper_error`, `errorf`, `warnf`, `runtime_error`,
        /// `tseries`, `raw` (a JSON type not understood) or `other` (text outside any construct).
        pub kind: String,
        /// The line as printed, without its line terminator (JSON mode: the string `data`
        /// without its trailing newline; for non-string records the JSON text).
        pub text: String,
        /// Parsed fields, `k=v` joined by `;`: each `key=value` token of the line, and each other
        /// token that is a number as `$<index>=<number>` (0-based token index); empty when none.
        pub fields: String,
        /// Leading timestamp: the first integer of 10 to 19 digits among the first two tokens,
        /// taken as bpftrace `nsecs` (CLOCK_MONOTONIC ns); null when the line carries none.
        pub ts_ns: Option<i64>,
    }
}
/// Table name.
pub const NAME: &str = "bpftrace_lines";
