//! One ingest call = one run: expand the inputs, detect each file's format, parse the files in
//! parallel (rayon; rows are written in input order, so the output does not depend on the
//! thread count), and swap the run's tables into the dataset. Any error leaves the dataset as
//! it was: everything is staged first (see `model::write::RunStaging`).

use std::path::{Path, PathBuf};

use model::tables::cgroup_samples::CgroupSampleRow;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_meta::PerfMetaRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::tables::perf_threads::PerfThreadRow;
use model::write::RunStaging;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bpftrace::BpftraceOutput;
use crate::cgroup::{CgroupOutput, Sink};
use crate::format::{self, Format, Parser};
use crate::gc::{GcOutput, SourceCtx};
use crate::source::{self, InputFile};
use crate::IngestError;

mod write;
use self::write::write_run;

/// What to ingest and where.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Files and directories.
    pub inputs: Vec<PathBuf>,
    /// Dataset directory (created if missing).
    pub dataset: PathBuf,
    /// Run name; default derived from the first input.
    pub run: Option<String>,
    /// `key=value` labels of the run.
    pub labels: Vec<(String, String)>,
    /// Force this format id for every file instead of detecting.
    pub format: Option<String>,
    /// User-given clock offsets: (clock name, ns to add to get wall time).
    pub clock_offsets: Vec<(String, i64)>,
    /// User-declared clock identities: (clock, other clock) — times on the first are times on
    /// the second (e.g. `perf` = `monotonic` for `perf record -k CLOCK_MONOTONIC` scripts), so
    /// the first gets the second's offset to wall time.
    pub clock_same_as: Vec<(String, String)>,
    /// Where perf.data symbols are found (`--symfs`, `--binary-dir`, `--kallsyms`, `--perf-map-dir`).
    pub symbols: crate::symbolize::SymbolOptions,
}

/// Progress callbacks (the CLI draws a bar; libraries stay silent).
pub trait Progress: Sync {
    /// Called once with the number of files and their total size.
    fn begin(&self, _files: usize, _bytes: u64) {}
    /// Called as bytes are read (from several threads).
    fn advance(&self, _bytes: u64) {}
    /// Called when all files are parsed.
    fn end(&self) {}
}

/// No progress display.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Outcome per source file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceSummary {
    /// Path.
    pub source: String,
    /// Format id, or null when skipped.
    pub format: Option<String>,
    /// Pauses found.
    pub pauses: usize,
    /// Cycles found.
    pub cycles: usize,
    /// Safepoints found.
    pub safepoints: usize,
    /// cgroup values found.
    pub cgroup_samples: usize,
    /// bpftrace lines, map entries and histogram buckets found.
    pub bpftrace_rows: usize,
    /// perf samples found.
    pub perf_samples: usize,
    /// Lines read.
    pub lines_read: i64,
    /// Lines parsed.
    pub lines_parsed: i64,
    /// Lines skipped (ignored + not understood).
    pub lines_skipped: i64,
    /// Lines not understood.
    pub lines_not_understood: i64,
    /// What the person should know (e.g. a forced `--format` that read nothing of the file).
    #[serde(default)]
    pub warning: Option<String>,
}

/// Outcome of an ingest call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestSummary {
    /// Run name.
    pub run: String,
    /// Dataset path.
    pub dataset: PathBuf,
    /// Per source.
    pub sources: Vec<SourceSummary>,
    /// Files in directories that matched no format, or were not read (see `ingest_log`).
    pub unrecognised: Vec<String>,
    /// What was done to the dataset first: commits of killed ingests completed, their stagings
    /// removed (see `model::write::recover`).
    #[serde(default)]
    pub recovered: Vec<String>,
}

impl IngestSummary {
    /// Lines not understood, over all sources.
    pub fn lines_not_understood(&self) -> i64 {
        self.sources.iter().map(|s| s.lines_not_understood).sum()
    }
}

/// Parsed result of one file.
struct Parsed {
    input: InputFile,
    /// Format id; `None` when no format matched.
    format: Option<&'static str>,
    hint: String,
    /// See [`SourceSummary::warning`].
    warning: Option<String>,
    /// SHA-256 and size of the raw bytes: the hashing thread may still be reading when the
    /// parser is done, so it is joined only when the `runs` table is written, last.
    hash: Option<source::PendingHash>,
    out: GcOutput,
    cycles: Vec<GcCycleRow>,
    cgroup_samples: Vec<CgroupSampleRow>,
    /// cgroup values of this source, including those streamed to its part file.
    cgroup_rows: usize,
    bpftrace: BpftraceOutput,
    /// epoll calls and ready events when the bpftrace output is a netpoll capture.
    netpoll: Option<crate::netpoll::NetpollOutput>,
    perf: crate::perf_script::PerfScriptOutput,
    /// perf.data samples streamed to this source's part file.
    perf_streamed: usize,
    perf_threads: Vec<PerfThreadRow>,
    perf_meta: Vec<PerfMetaRow>,
}

/// Ingests `opts.inputs` as one run into `opts.dataset`.
pub fn ingest_run(opts: &IngestOptions, progress: &dyn Progress) -> Result<IngestSummary, IngestError> {
    let forced = match &opts.format {
        Some(id) => Some(format::by_id(id).ok_or_else(|| IngestError::UnknownFormat(id.clone()))?),
        None => None,
    };
    let files = source::expand(&opts.inputs)?;
    if files.is_empty() {
        let shown: Vec<String> = opts.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(IngestError::NoInputs(shown.join(", ")));
    }
    let run = match &opts.run {
        Some(r) => r.clone(),
        None => default_run_name(&opts.inputs[0]),
    };
    model::validate_run_name(&run)?;
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(&f.path).ok()).map(|m| m.len()).sum();
    progress.begin(files.len(), total);
    // Staged first: sources that stream rows (cgroup captures) write their own part files.
    let staging = RunStaging::new(&opts.dataset, &run)?;
    // One symbolizer per run: each binary / kallsyms / perf map is read at most once.
    let symbolizer = crate::symbolize::Symbolizer::new(opts.symbols.clone());
    let parse = |(i, f): (usize, &InputFile)| {
        parse_file(f, i + 1, RunParse { staging: &staging, forced, symbolizer: &symbolizer, progress })
    };
    // One file is parsed on this thread: rayon's pool would start its threads now, and they
    // would take turns on the cores with the parser and the hashing thread while they start.
    let parsed: Vec<Result<Parsed, IngestError>> = if files.len() == 1 {
        files.iter().enumerate().map(parse).collect()
    } else {
        files.par_iter().enumerate().map(parse).collect()
    };
    progress.end();
    let parsed: Vec<Parsed> = parsed.into_iter().collect::<Result<_, _>>()?;
    let recovered = staging.recovered().to_vec();
    let mut summary = write_run(opts, &run, staging, parsed)?;
    summary.recovered = recovered;
    Ok(summary)
}

/// What the parses of one run's files share.
#[derive(Clone, Copy)]
struct RunParse<'a> {
    staging: &'a RunStaging,
    /// `--format`, instead of detecting.
    forced: Option<&'static Format>,
    symbolizer: &'a crate::symbolize::Symbolizer,
    progress: &'a dyn Progress,
}

fn parse_file(input: &InputFile, part: usize, run: RunParse<'_>) -> Result<Parsed, IngestError> {
    let (hash, parsed) = if input.skip.is_some() {
        // Not read at all: no hash, no size.
        (source::PendingHash::ready(&input.path, Ok((String::new(), 0))), parse_content(input, part, run, None))
    } else if input.cgroup_dir {
        let (hash, parsed) = rayon::join(|| source::hash_dir(&input.path), || parse_content(input, part, run, None));
        (source::PendingHash::ready(&input.path, hash), parsed)
    } else {
        // The file is read once: the parser's chunks are hashed on a thread beside it.
        let (feed, hash) = source::hash_beside(&input.path);
        (hash, parse_content(input, part, run, Some(feed)))
    };
    match parsed {
        Ok(mut p) => {
            p.hash = Some(hash);
            Ok(p)
        }
        Err(e) => {
            // The reading thread ends once it has read the file; wait for it, keep the parse error.
            let _ = hash.finish();
            Err(e)
        }
    }
}

fn parse_content(
    input: &InputFile,
    part: usize,
    run: RunParse<'_>,
    hash_feed: Option<source::HashFeed>,
) -> Result<Parsed, IngestError> {
    let RunParse { staging, forced, symbolizer, progress } = run;
    let ctx = SourceCtx { source: input.path.display().to_string(), clock_scope: clock_scope(&input.path) };
    let mut parsed = Parsed {
        input: input.clone(),
        format: None,
        hint: String::new(),
        warning: None,
        hash: None,
        out: GcOutput::default(),
        cycles: Vec::new(),
        cgroup_samples: Vec::new(),
        cgroup_rows: 0,
        bpftrace: BpftraceOutput::default(),
        netpoll: None,
        perf: crate::perf_script::PerfScriptOutput::default(),
        perf_streamed: 0,
        perf_threads: Vec::new(),
        perf_meta: Vec::new(),
    };
    // Not read at all: its skip row gives `input.skip` as the reason.
    if input.skip.is_some() {
        return Ok(parsed);
    }
    if input.cgroup_dir {
        let c = crate::cgroup::ingest_dir(&input.path, &ctx)?;
        parsed.format = Some(format::CGROUP_DIR_FORMAT);
        parsed.out.account = c.account;
        parsed.cgroup_rows = c.samples.len();
        parsed.cgroup_samples = c.samples;
        return Ok(parsed);
    }
    let advance = |n: u64| progress.advance(n);
    let mut src = match hash_feed {
        Some(feed) => source::open_hashed(&input.path, Some(&advance), feed)?,
        None => source::open(&input.path, Some(&advance))?,
    };
    let format = forced.or_else(|| format::detect(&src.head));
    if format.is_none() {
        parsed.hint = format::describe_unrecognised(&src.head);
    }
    let read_err = |source| IngestError::Read { path: input.path.clone(), source };
    match format.map(|f| f.parse) {
        Some(Parser::Gc(parse)) => {
            parse(&ctx, &mut src.reader, &mut parsed.out).map_err(read_err)?;
            parsed.cycles = parsed.out.finish_cycles();
        }
        Some(Parser::Cgroup(parse)) => {
            // Streamed into this source's own part file: memory bounded by a batch.
            let writer = staging.part_writer::<CgroupSampleRow>(part, "cgroup-cgsnap")?;
            let mut c = CgroupOutput { sink: Some(Sink::new(writer)), ..Default::default() };
            parse(&ctx, &mut src.reader, &mut c).map_err(read_err)?;
            c.sink.take().expect("sink set above").finish()?;
            parsed.cgroup_rows = c.len();
            parsed.out.account = c.account;
            parsed.cgroup_samples = c.samples;
        }
        Some(Parser::Bpftrace(_)) => {
            // Streamed into this source's own part files (lines, netpoll calls/ready): memory
            // bounded by a batch; maps and histograms stay in memory.
            let opts = crate::netpoll::NetpollOptions::default();
            let fid = format.map_or("bpftrace", |f| f.id);
            let n = crate::bpftrace::stream::ingest_to_parts(
                &ctx,
                &mut src.reader,
                &mut parsed.bpftrace,
                staging,
                part,
                fid,
                opts,
            )
            .map_err(|e| match e {
                crate::bpftrace::stream::StreamError::Read(r) => read_err(r),
                crate::bpftrace::stream::StreamError::Model(m) => m.into(),
            })?;
            parsed.out.account = std::mem::take(&mut parsed.bpftrace.account);
            if let Some(n) = n {
                for (mono, wall) in &n.anchors {
                    parsed.out.clocks.observe(model::tables::clock::MONOTONIC, *mono, *wall, "netpoll-anchor", || {
                        format!("{}: ANCHOR line", ctx.source)
                    });
                }
                for p in n.problems.iter().take(3) {
                    parsed.out.account.note(format!("netpoll: line {}: {}: {}", p.line, p.reason, p.text));
                }
                if n.problems_total > 3 {
                    parsed.out.account.note(format!("netpoll: {} lines not paired in all", n.problems_total));
                }
                parsed.netpoll = Some(n);
            }
        }
        Some(Parser::PerfScript(parse)) => {
            parse(&ctx, &mut src.reader, &mut parsed.perf).map_err(read_err)?;
            parsed.out.account = std::mem::take(&mut parsed.perf.account);
        }
        Some(Parser::PerfData(parse)) => {
            // Read by path (the parser seeks; the hash thread reads what `src` left unread);
            // samples streamed into this source's part file.
            drop(src);
            // Samples, stack rows and frame rows are streamed into this source's part files.
            use crate::perf_data::Sink as PerfSink;
            let fid = format::PERF_DATA;
            let mut p = crate::perf_data::PerfDataOutput {
                // Samples are encoded beside the record loop, on a thread of their own.
                sink: Some(PerfSink::new(staging.part_writer::<PerfSampleRow>(part, fid)?.in_background())),
                stack_sink: Some(PerfSink::new(staging.part_writer::<PerfStackRow>(part, fid)?)),
                // Frames are encoded beside their symbolization and row building.
                frame_sink: Some(PerfSink::new(staging.part_writer::<PerfFrameRow>(part, fid)?.in_background())),
                ..Default::default()
            };
            parse(&ctx, &input.path, symbolizer, &mut p)
                .map_err(|source| IngestError::PerfData { path: input.path.clone(), source })?;
            p.flush();
            for sink in [p.stack_sink.take().map(PerfSink::finish), p.frame_sink.take().map(PerfSink::finish)] {
                sink.transpose()?;
            }
            p.sink.take().map(PerfSink::finish).transpose()?;
            if let Some((clock, clock_ns, wall_ns)) = p.clock_anchor.take() {
                parsed.out.clocks.observe(&clock, clock_ns, wall_ns, "perf-clock-data", || {
                    format!("{}: CLOCK_DATA header feature", ctx.source)
                });
            }
            parsed.perf_streamed = p.len();
            parsed.perf.stacks = p.stacks;
            parsed.perf.frames = p.frames;
            parsed.perf_threads = p.threads;
            parsed.perf_meta = p.meta;
            parsed.bpftrace.lost = p.lost;
            parsed.out.account = p.account;
        }
        None if input.explicit => {
            return Err(IngestError::NotRecognised { path: input.path.clone(), hint: parsed.hint });
        }
        None => {}
    }
    if let Some(f) = forced.filter(|_| parsed.out.account.lines_read() > 0 && parsed.out.account.lines_parsed() == 0) {
        let warning = format!(
            "--format {} was forced and nothing in the file was read as {}: it may be another format (`tracefold formats`)",
            f.id, f.id
        );
        parsed.out.account.note(warning.clone());
        parsed.warning = Some(warning);
    }
    parsed.format = format.map(|f| f.id);
    Ok(parsed)
}

/// Default run name: the first input's file or directory name, made safe.
pub fn default_run_name(input: &Path) -> String {
    let base = input
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "run".into());
    let stem = base.strip_suffix(".log").or_else(|| base.strip_suffix(".txt")).unwrap_or(&base);
    let safe: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() {
        "run".into()
    } else {
        safe
    }
}

/// The clock scope of a file: rotated JVM logs (`gc.log`, `gc.log.0`, `gc.log.3.current`)
/// share their base name, since they come from one JVM.
pub fn clock_scope(path: &Path) -> String {
    let s = path.display().to_string();
    let trimmed = s.strip_suffix(".current").unwrap_or(&s);
    match trimmed.rsplit_once('.') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && base.ends_with(".log") => {
            base.to_string()
        }
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_sets_share_a_scope() {
        assert_eq!(clock_scope(Path::new("a/gc.log.3")), "a/gc.log");
        assert_eq!(clock_scope(Path::new("a/gc.log.3.current")), "a/gc.log");
        assert_eq!(clock_scope(Path::new("a/gc.log")), "a/gc.log");
        assert_eq!(clock_scope(Path::new("a/app.2.txt")), "a/app.2.txt");
    }
}
