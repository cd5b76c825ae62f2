//! `tracefold run`'s phases as child processes of this same binary: each run's `ingest`, then
//! `analyze`, then `report`, one process after the other, so the memory one phase used goes
//! back to the OS before the next starts. In one process it does not: mimalloc keeps the pages
//! a phase freed for later allocations (175 MB perf.data, `run` in one process: peak RSS
//! 335 MB; the same phases as processes: 224, 228 and 65 MB; this parent stays at a few MB).
//!
//! A child is given the subcommand and flags a user would type, plus the global flags of this
//! call; its stderr (progress bars, errors) and, for `analyze` and `report`, its stdout are this
//! process's. An ingest child prints its summary as JSON on a pipe, read back here, so `run`
//! prints and judges (`--strict`) the same summaries as in one process. A child that fails has
//! already said why on stderr: [`ChildFailed`] carries only its exit code.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::args::{Cli, IngestFlags, MessageFormat};

/// A child phase exited with this code (non-zero) after printing its own error.
#[derive(Debug)]
pub struct ChildFailed(pub u8);

impl std::fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a phase of `run` exited with code {}", self.0)
    }
}

impl std::error::Error for ChildFailed {}

/// This binary, re-run for each phase.
pub struct Phases {
    exe: PathBuf,
}

impl Phases {
    /// The running binary, when its path is known (else `run` works in one process).
    pub fn find() -> Option<Phases> {
        std::env::current_exe().ok().filter(|p| p.is_file()).map(|exe| Phases { exe })
    }

    /// `tracefold` with the global flags of `cli` (message format `format`).
    fn command(&self, cli: &Cli, format: MessageFormat) -> Command {
        let mut c = Command::new(&self.exe);
        c.args(global_args(cli, format));
        c
    }

    /// Ingests `inputs` as run `run` into `dataset`; its summary.
    pub fn ingest(
        &self,
        cli: &Cli,
        inputs: &[PathBuf],
        dataset: &Path,
        run: &str,
        flags: &IngestFlags,
    ) -> Result<ingest::IngestSummary> {
        let mut c = self.command(cli, MessageFormat::Json);
        c.arg("ingest").arg("--out").arg(dataset).arg("--run").arg(run).args(flags.to_args()).arg("--").args(inputs);
        let out = c
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("starting {}", self.exe.display()))?;
        exit_status(out.status)?;
        serde_json::from_slice(&out.stdout).context("reading the ingest summary of a child process")
    }

    /// Computes the analysis tables of `dataset`.
    pub fn analyze(&self, cli: &Cli, dataset: &Path) -> Result<()> {
        let mut c = self.command(cli, cli.message_format);
        c.arg("analyze").arg(dataset);
        exit_status(c.status().with_context(|| format!("starting {}", self.exe.display()))?)
    }

    /// Writes the report of `dataset` into `out`.
    pub fn report(
        &self,
        cli: &Cli,
        dataset: &Path,
        out: &Path,
        baseline: Option<&str>,
        candidate: Option<&str>,
    ) -> Result<()> {
        let mut c = self.command(cli, cli.message_format);
        c.arg("report").arg(dataset).arg("--out").arg(out);
        if let Some(b) = baseline {
            c.arg("--baseline").arg(b);
        }
        if let Some(b) = candidate {
            c.arg("--candidate").arg(b);
        }
        exit_status(c.status().with_context(|| format!("starting {}", self.exe.display()))?)
    }
}

fn exit_status(status: std::process::ExitStatus) -> Result<()> {
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(ChildFailed(u8::try_from(code).unwrap_or(2)).into()),
        None => anyhow::bail!("a phase of `run` was killed ({status})"),
    }
}

/// The global flags of `cli`, with message format `format`.
fn global_args(cli: &Cli, format: MessageFormat) -> Vec<OsString> {
    let Cli { command: _, quiet, verbose, no_progress, message_format: _ } = cli;
    let mut a: Vec<OsString> = Vec::new();
    if *quiet {
        a.push("--quiet".into());
    }
    a.extend((0..*verbose).map(|_| OsString::from("--verbose")));
    if *no_progress {
        a.push("--no-progress".into());
    }
    a.push("--message-format".into());
    a.push(if format == MessageFormat::Json { "json" } else { "text" }.into());
    a
}

impl IngestFlags {
    /// These flags as command-line arguments, except `--strict` (the caller judges the
    /// summaries itself).
    pub fn to_args(&self) -> Vec<OsString> {
        let IngestFlags { labels, format, clock_offsets, symfs, binary_dirs, kallsyms, perf_map_dirs, strict: _ } =
            self;
        let mut a: Vec<OsString> = Vec::new();
        let mut flag = |name: &str, value: OsString| {
            a.push(format!("--{name}").into());
            a.push(value);
        };
        labels.iter().for_each(|v| flag("label", v.into()));
        format.iter().for_each(|v| flag("format", v.into()));
        clock_offsets.iter().for_each(|v| flag("clock-offset", v.into()));
        symfs.iter().for_each(|v| flag("symfs", v.into()));
        binary_dirs.iter().for_each(|v| flag("binary-dir", v.into()));
        kallsyms.iter().for_each(|v| flag("kallsyms", v.into()));
        perf_map_dirs.iter().for_each(|v| flag("perf-map-dir", v.into()));
        a
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::Command as Sub;

    /// Every ingest flag (each given, some twice) and every global flag survive the trip
    /// through a child's command line, except `--strict`, which stays with the parent.
    #[test]
    fn flags_reach_the_child_unchanged() {
        let run = Cli::parse_from([
            "tracefold",
            "-q",
            "-vv",
            "--no-progress",
            "run",
            "--run",
            "a=x.data",
            "--out",
            "o",
            "--strict",
            "--label",
            "heap=4G",
            "--label",
            "gc=G1",
            "--format",
            "perf-data",
            "--clock-offset",
            "perf=monotonic",
            "--clock-offset",
            "go_uptime=5",
            "--symfs",
            "/root fs",
            "--binary-dir",
            "b1",
            "--binary-dir",
            "b2",
            "--kallsyms",
            "k.xz",
            "--perf-map-dir",
            "m1",
            "--perf-map-dir",
            "m2",
        ]);
        let Sub::Run(r) = &run.command else { panic!("a run command") };
        let mut args: Vec<OsString> = vec!["tracefold".into()];
        args.extend(global_args(&run, MessageFormat::Json));
        args.extend(["ingest", "--out", "ds", "--run", "a"].map(OsString::from));
        args.extend(r.flags.to_args());
        args.extend(["--", "-x.data"].map(OsString::from));
        let child = Cli::parse_from(args);
        let Sub::Ingest(i) = &child.command else { panic!("an ingest command") };
        assert_eq!((child.quiet, child.verbose, child.no_progress), (true, 2, true));
        assert_eq!(child.message_format, MessageFormat::Json);
        assert_eq!(i.inputs, [PathBuf::from("-x.data")], "an input that looks like a flag stays an input");
        assert!(r.flags.strict && !i.flags.strict);
        let without_strict = |f: &IngestFlags| format!("{f:?}").replace("strict: true", "strict: false");
        assert_eq!(without_strict(&i.flags), without_strict(&r.flags));
    }
}
