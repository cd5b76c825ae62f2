//! Command-line arguments (clap derive). Flags map one-to-one onto the library option structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  # Compare two GC logs (each file is one run; the first is the baseline):
  tracefold run fixtures/gc/jdk17/g1.log fixtures/gc/jdk17/zgc.log --out out/

  # Runs made of several files, named:
  tracefold run --run g1=logs/g1/gc.log,logs/g1/gc.log.0 --run zgc=logs/zgc/ --out out/

  # Step by step, into one dataset:
  tracefold ingest g1.log --out ds/ --run g1 --label heap=4G
  tracefold ingest zgc.log --out ds/ --run zgc --label heap=16G
  tracefold analyze ds/
  tracefold report ds/ --out report/ --baseline g1 --candidate zgc

  # A perf.data from another machine, symbolized offline, with the GC log of the same run
  # (perf record -k CLOCK_MONOTONIC + -Xlog:gc:...:time,uptime,timenanos): the report shows
  # what ran during the pauses and just before them:
  tracefold run --run app=perf.data,gc.log --binary-dir bundle/bin --kallsyms bundle/kallsyms.xz \\
      --perf-map-dir bundle/ --out out/

Exit codes: 0 ok, 1 completed with findings (--strict and lines not understood), 2 error.";

/// tracefold: turn GC logs and traces of a slow service into one Parquet dataset, analyse it,
/// and write a Markdown report that compares runs.
#[derive(Debug, Parser)]
#[command(name = "tracefold", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail (per-file ingest accounting and skip reasons).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never draw progress bars (they are hidden anyway when stderr is not a terminal).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// How results are printed on stdout: human text, or JSON for machines.
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Text)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files or directories as one run into a dataset (formats detected by content).
    #[command(
        after_help = "Example:\n  tracefold ingest logs/ --out ds/ --run baseline --label gc=G1 --label heap=4G"
    )]
    Ingest(IngestArgs),
    /// Compute the analysis tables (pause statistics, MMU, throughput) of a dataset.
    #[command(after_help = "Example:\n  tracefold analyze ds/")]
    Analyze(AnalyzeArgs),
    /// Write DIR/report.md (and images) comparing a baseline and a candidate run.
    #[command(after_help = "Example:\n  tracefold report ds/ --out report/ --baseline g1 --candidate zgc")]
    Report(ReportArgs),
    /// Ingest, analyse and report in one go: each INPUT is one run, or give --run NAME=PATH,... groups.
    #[command(
        after_help = "Example:\n  tracefold run base.log cand.log --out out/\n  tracefold run --run base=a/gc.log,a/gc.log.0 --run cand=b/ --out out/"
    )]
    Run(RunArgs),
    /// List the input formats tracefold knows and how each is detected.
    Formats,
}

/// Options shared by `ingest` and `run`.
#[derive(Debug, Args)]
pub struct IngestFlags {
    /// Label of the run, KEY=VALUE (repeatable), e.g. `--label heap=4G`.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Read every file as this format instead of detecting it (see `tracefold formats`).
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,
    /// Map a clock to wall time: CLOCK=NS adds NS to times on CLOCK (e.g. `go_uptime@app.log=1795686815000000000`);
    /// CLOCK=OTHER says CLOCK is the same clock as OTHER (e.g. `perf=monotonic` for a `perf script` text of
    /// `perf record -k CLOCK_MONOTONIC`), so CLOCK gets OTHER's offset.
    #[arg(long = "clock-offset", value_name = "CLOCK=NS|OTHER")]
    pub clock_offsets: Vec<String>,
    /// perf.data symbols: root directory prefixed to the paths recorded in the perf.data (as perf's
    /// `--symfs`), e.g. a copy of the recording host's filesystem.
    #[arg(long, value_name = "DIR")]
    pub symfs: Option<PathBuf>,
    /// perf.data symbols: directory searched (recursively) for binaries, matched by GNU build-id, else
    /// by file name (repeatable).
    #[arg(long = "binary-dir", value_name = "DIR")]
    pub binary_dirs: Vec<PathBuf>,
    /// perf.data kernel symbols: a copy of the recording kernel's /proc/kallsyms (plain or .xz).
    /// Without it, a copy of the recorded kernel's build-id in perf's build-id cache layout under
    /// a --binary-dir is used (an unpacked `perf archive`, or ~/.debug).
    #[arg(long, value_name = "FILE")]
    pub kallsyms: Option<PathBuf>,
    /// perf.data JIT symbols: directory holding the `perf-PID.map` files the JIT wrote (JVM
    /// `-XX:+DumpPerfMapAtExit`, node `--perf-basic-prof`); repeatable.
    #[arg(long = "perf-map-dir", value_name = "DIR")]
    pub perf_map_dirs: Vec<PathBuf>,
    /// Exit with 1 when lines were not understood (they are always counted in ingest_log).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or directories (directories are walked; files of no known format are listed as skipped).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Dataset directory (created if missing).
    #[arg(long, short, value_name = "DATASET")]
    pub out: PathBuf,
    /// Run name (default: from the first input). Ingesting a run name again replaces that run.
    #[arg(long, value_name = "NAME")]
    pub run: Option<String>,
    #[command(flatten)]
    pub flags: IngestFlags,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Dataset directory.
    pub dataset: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Dataset directory.
    pub dataset: PathBuf,
    /// Output directory for report.md and images.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Baseline run (default: the first ingested).
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<String>,
    /// Candidate run (default: the last ingested).
    #[arg(long, value_name = "RUN")]
    pub candidate: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Inputs, each one run (a file or a directory).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// A run made of several inputs: NAME=PATH[,PATH...] (repeatable; ingested in the order given).
    #[arg(long = "run", value_name = "NAME=PATH,...")]
    pub runs: Vec<String>,
    /// Output directory: DIR/dataset/ and DIR/report.md.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Baseline run (default: the first).
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<String>,
    /// Candidate run (default: the last).
    #[arg(long, value_name = "RUN")]
    pub candidate: Option<String>,
    #[command(flatten)]
    pub flags: IngestFlags,
}
