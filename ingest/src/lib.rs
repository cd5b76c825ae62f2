//! tracefold ingest: one module per input format, each with a `sniff` over the first bytes of a
//! file and an `ingest` over a `BufRead`, writing the tables declared in `model`.
//!
//! [`run::ingest_run`] is the entry point: it expands inputs, detects formats, parses files in
//! parallel (rayon; output identical for any thread count), and swaps the run into the dataset.

pub mod account;
pub mod bpftrace;
pub mod cgroup;
pub mod clock;
pub mod format;
pub mod gc;
pub mod hash;
pub mod lines;
pub mod netpoll;
pub mod perf_data;
pub mod perf_script;
pub mod run;
pub mod sink;
pub mod source;
pub mod symbolize;
pub mod units;

pub use format::{detect, formats, Format};
pub use run::{ingest_run, IngestOptions, IngestSummary, Progress};

/// Lowercase hex of bytes (SHA-256 digests, build-ids).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// An I/O failure while reading a source, with where it happened.
#[derive(Debug, thiserror::Error)]
#[error("read failed at byte {offset} (line {line}): {source}")]
pub struct ReadError {
    /// Bytes consumed before the failure.
    pub offset: u64,
    /// Lines read before the failure.
    pub line: u64,
    /// The underlying error.
    pub source: std::io::Error,
}

/// Errors of an ingest call. Each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Read { path: std::path::PathBuf, source: ReadError },
    #[error("{path}: not a format tracefold knows ({hint}); see `tracefold formats`, or force one with --format")]
    NotRecognised { path: std::path::PathBuf, hint: String },
    #[error("unknown format `{0}`; `tracefold formats` lists the known ones")]
    UnknownFormat(String),
    #[error("no input files found in {0}")]
    NoInputs(String),
    #[error("--clock-offset {clock}={other}: the run has no offset for clock `{other}` to share (its sources do not map it to wall time)")]
    ClockAlias { clock: String, other: String },
    #[error("invalid label {0:?}: expected KEY=VALUE")]
    Label(String),
    #[error("{path}: {source}")]
    PerfData { path: std::path::PathBuf, source: perf_data::PerfDataError },
    #[error(transparent)]
    Model(#[from] model::ModelError),
}
