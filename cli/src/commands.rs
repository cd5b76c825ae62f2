//! One function per subcommand: build the options struct, call the library, print the result.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::args::{AnalyzeArgs, Cli, IngestArgs, IngestFlags, MessageFormat, ReportArgs, RunArgs};
use crate::phases::Phases;
use crate::progress::Bar;
use crate::Outcome;

fn parse_labels(flags: &IngestFlags) -> Result<Vec<(String, String)>> {
    flags
        .labels
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("invalid --label {l:?}: expected KEY=VALUE"),
        })
        .collect()
}

/// `--clock-offset` values: `CLOCK=NS` offsets and `CLOCK=OTHER_CLOCK` identities.
type ClockFlags = (Vec<(String, i64)>, Vec<(String, String)>);

fn parse_offsets(flags: &IngestFlags) -> Result<ClockFlags> {
    let (mut offsets, mut same) = (Vec::new(), Vec::new());
    for c in &flags.clock_offsets {
        let (clock, value) = c
            .split_once('=')
            .with_context(|| format!("invalid --clock-offset {c:?}: expected CLOCK=NS or CLOCK=OTHER_CLOCK"))?;
        let value = value.trim();
        match value.parse::<i64>() {
            Ok(ns) => offsets.push((clock.to_string(), ns)),
            Err(_) if value.starts_with(|ch: char| ch.is_ascii_alphabetic()) => {
                same.push((clock.to_string(), value.to_string()))
            }
            Err(_) => anyhow::bail!("invalid --clock-offset {c:?}: NS must be an integer or a clock name"),
        }
    }
    Ok((offsets, same))
}

fn ingest_one(
    cli: &Cli,
    inputs: Vec<PathBuf>,
    dataset: &Path,
    run: Option<String>,
    flags: &IngestFlags,
) -> Result<ingest::IngestSummary> {
    let (offsets, same_as) = parse_offsets(flags)?;
    let opts = ingest::IngestOptions {
        inputs,
        dataset: dataset.to_path_buf(),
        run,
        labels: parse_labels(flags)?,
        format: flags.format.clone(),
        clock_offsets: offsets,
        clock_same_as: same_as,
        symbols: ingest::symbolize::SymbolOptions {
            symfs: flags.symfs.clone(),
            binary_dirs: flags.binary_dirs.clone(),
            kallsyms: flags.kallsyms.clone(),
            perf_map_dirs: flags.perf_map_dirs.clone(),
        },
    };
    let bar = Bar::new(!cli.no_progress && !cli.quiet, "ingest");
    let summary = ingest::ingest_run(&opts, &bar)?;
    if cli.message_format == MessageFormat::Text && !cli.quiet {
        print_ingest(cli, &summary);
    }
    Ok(summary)
}

fn print_ingest(cli: &Cli, s: &ingest::IngestSummary) {
    let pauses: usize = s.sources.iter().map(|x| x.pauses).sum();
    let cgroup: usize = s.sources.iter().map(|x| x.cgroup_samples).sum();
    let bpf: usize = s.sources.iter().map(|x| x.bpftrace_rows).sum();
    let perf: usize = s.sources.iter().map(|x| x.perf_samples).sum();
    let read: i64 = s.sources.iter().map(|x| x.lines_read).sum();
    let skipped: i64 = s.sources.iter().map(|x| x.lines_skipped).sum();
    println!(
        "run {}: {} source(s), {pauses} pauses, {cgroup} cgroup values, {bpf} bpftrace rows, {perf} perf samples, {read} lines read, {skipped} skipped ({} not understood) -> {}",
        s.run,
        s.sources.len(),
        s.lines_not_understood(),
        s.dataset.display()
    );
    if cli.verbose > 0 {
        for x in &s.sources {
            println!(
                "  {} [{}]: {} pauses, {} cycles, {} safepoints, {} cgroup values; lines read {} = parsed {} + skipped {} ({} not understood)",
                x.source,
                x.format.as_deref().unwrap_or("-"),
                x.pauses,
                x.cycles,
                x.safepoints,
                x.cgroup_samples,
                x.lines_read,
                x.lines_parsed,
                x.lines_skipped,
                x.lines_not_understood
            );
        }
    }
    for w in s.sources.iter().filter_map(|x| x.warning.as_ref().map(|w| (&x.source, w))) {
        eprintln!("warning: {}: {}", w.0, w.1);
    }
    for u in &s.unrecognised {
        println!("  skipped (no known format, or not a regular file; see ingest_log): {u}");
    }
    for r in &s.recovered {
        println!("  before the ingest: {r}");
    }
}

fn strict_outcome(flags: &IngestFlags, summaries: &[ingest::IngestSummary]) -> Outcome {
    let bad: i64 = summaries.iter().map(|s| s.lines_not_understood()).sum();
    let warned = summaries.iter().flat_map(|s| &s.sources).filter(|x| x.warning.is_some()).count();
    if flags.strict && bad > 0 {
        eprintln!("--strict: {bad} line(s) not understood; see the ingest_log table");
        Outcome::Findings
    } else if flags.strict && warned > 0 {
        eprintln!("--strict: {warned} source(s) with a warning; see the ingest_log table");
        Outcome::Findings
    } else {
        Outcome::Ok
    }
}

pub fn ingest(cli: &Cli, a: &IngestArgs) -> Result<Outcome> {
    let s = ingest_one(cli, a.inputs.clone(), &a.out, a.run.clone(), &a.flags)?;
    if cli.message_format == MessageFormat::Json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    }
    Ok(strict_outcome(&a.flags, &[s]))
}

pub fn analyze(cli: &Cli, a: &AnalyzeArgs) -> Result<Outcome> {
    let opts = analyze::AnalyzeOptions { dataset: a.dataset.clone(), runs: None };
    let s = analyze::analyze(&opts).with_context(|| format!("analyzing {}", a.dataset.display()))?;
    print_analyze(cli, &s);
    Ok(Outcome::Ok)
}

fn print_analyze(cli: &Cli, s: &analyze::AnalyzeSummary) {
    match cli.message_format {
        MessageFormat::Json => {
            println!("{}", serde_json::json!({ "runs": s.runs.iter().map(|r| &r.run).collect::<Vec<_>>() }))
        }
        MessageFormat::Text if !cli.quiet => println!("analyzed {} run(s)", s.runs.len()),
        MessageFormat::Text => {}
    }
}

fn report_into(
    cli: &Cli,
    dataset: &Path,
    out: &Path,
    baseline: Option<String>,
    candidate: Option<String>,
) -> Result<()> {
    let opts =
        report::ReportOptions { dataset: dataset.to_path_buf(), out_dir: out.to_path_buf(), baseline, candidate };
    let s = report::report(&opts)?;
    match cli.message_format {
        MessageFormat::Json => {
            println!("{}", serde_json::json!({ "report": s.report_path, "images": s.images, "runs": s.runs }))
        }
        MessageFormat::Text if !cli.quiet => println!("report: {}", s.report_path.display()),
        MessageFormat::Text => {}
    }
    Ok(())
}

pub fn report(cli: &Cli, a: &ReportArgs) -> Result<Outcome> {
    report_into(cli, &a.dataset, &a.out, a.baseline.clone(), a.candidate.clone())?;
    Ok(Outcome::Ok)
}

pub fn run(cli: &Cli, a: &RunArgs) -> Result<Outcome> {
    let mut groups: Vec<(Option<String>, Vec<PathBuf>)> = Vec::new();
    for g in &a.runs {
        let (name, paths) =
            g.split_once('=').with_context(|| format!("invalid --run {g:?}: expected NAME=PATH[,PATH...]"))?;
        groups.push((Some(name.to_string()), paths.split(',').filter(|p| !p.is_empty()).map(PathBuf::from).collect()));
    }
    for input in &a.inputs {
        groups.push((None, vec![input.clone()]));
    }
    if groups.is_empty() {
        bail!("nothing to run: give INPUT files or --run NAME=PATH groups");
    }
    let dataset = a.out.join("dataset");
    // Everything that can be checked before a run is saved is checked first: run names (valid,
    // distinct), inputs (present), the output directory (a directory).
    let mut named: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for (name, inputs) in groups {
        let Some(first) = inputs.first() else { bail!("--run {name:?} names no input") };
        let name = name.unwrap_or_else(|| ingest::run::default_run_name(first));
        model::validate_run_name(&name).with_context(|| format!("run name {name:?}"))?;
        if named.iter().any(|(n, _)| *n == name) {
            bail!("two inputs give the run name {name:?}; name them with --run NAME=PATH");
        }
        for input in &inputs {
            std::fs::metadata(input).with_context(|| format!("input {}", input.display()))?;
        }
        named.push((name, inputs));
    }
    for dir in [&a.out, &dataset] {
        if dir.exists() && !dir.is_dir() {
            bail!("{}: not a directory; --out names the directory for the dataset and the report", dir.display());
        }
    }
    // Each phase in a child process when this binary can be re-run (see `phases`).
    let phases = Phases::find();
    let mut summaries = Vec::new();
    for (name, inputs) in named {
        let saved: Vec<&str> = summaries.iter().map(|s: &ingest::IngestSummary| s.run.as_str()).collect();
        let context = || match saved.as_slice() {
            [] => format!("run {name:?} (nothing was saved)"),
            runs => format!("run {name:?} (already saved: {}; the report was not written)", runs.join(", ")),
        };
        let summary = match &phases {
            Some(p) => {
                let s = p.ingest(cli, &inputs, &dataset, &name, &a.flags).with_context(context)?;
                if cli.message_format == MessageFormat::Text && !cli.quiet {
                    print_ingest(cli, &s);
                }
                s
            }
            None => ingest_one(cli, inputs, &dataset, Some(name.clone()), &a.flags).with_context(context)?,
        };
        summaries.push(summary);
    }
    let first = summaries.first().map(|s| s.run.clone());
    let last = summaries.last().map(|s| s.run.clone());
    let (baseline, candidate) = if summaries.len() > 1 {
        (a.baseline.clone().or(first), a.candidate.clone().or(last))
    } else {
        (a.baseline.clone(), a.candidate.clone())
    };
    match &phases {
        Some(p) => {
            p.analyze(cli, &dataset)?;
            p.report(cli, &dataset, &a.out, baseline.as_deref(), candidate.as_deref())?;
        }
        None => {
            let opts = analyze::AnalyzeOptions { dataset: dataset.clone(), runs: None };
            let s = analyze::analyze(&opts).with_context(|| format!("analyzing {}", dataset.display()))?;
            print_analyze(cli, &s);
            report_into(cli, &dataset, &a.out, baseline, candidate)?;
        }
    }
    if cli.message_format == MessageFormat::Json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    }
    Ok(strict_outcome(&a.flags, &summaries))
}

pub fn formats(cli: &Cli) -> Result<Outcome> {
    let list = ingest::formats();
    match cli.message_format {
        MessageFormat::Json => {
            let v: Vec<_> = list
                .iter()
                .map(
                    |f| serde_json::json!({ "id": f.id, "name": f.name, "detection": f.detection, "tables": f.tables }),
                )
                .chain(std::iter::once(serde_json::json!({
                    "id": ingest::format::CGROUP_DIR_FORMAT,
                    "name": ingest::format::CGROUP_DIR_NAME,
                    "detection": ingest::format::CGROUP_DIR_DETECTION,
                    "tables": ["cgroup_samples"],
                })))
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        MessageFormat::Text => {
            println!("Formats, in detection order (the first whose sniff accepts a file's first 64 KiB wins;");
            println!("gzip-compressed files are decompressed transparently):\n");
            for f in list {
                println!("  {:<12} {}", f.id, f.name);
                println!("  {:<12} detected by: {}", "", f.detection);
                println!("  {:<12} tables: {}\n", "", f.tables.join(", "));
            }
            println!("  {:<12} {}", ingest::format::CGROUP_DIR_FORMAT, ingest::format::CGROUP_DIR_NAME);
            println!("  {:<12} detected by: {}", "", ingest::format::CGROUP_DIR_DETECTION);
            println!("  {:<12} tables: cgroup_samples", "");
        }
    }
    Ok(Outcome::Ok)
}
