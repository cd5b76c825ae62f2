//! Top functions per event of one run (`perf_top_functions`): self and total (children) samples,
//! like `perf report --no-children` / `--children` with `-n`.
//!
//! Input, read with polars lazy scans ([`load`]): the run's `perf_samples` (grouped by source,
//! event and stack: sample count and period sum), `perf_stacks` and `perf_frames` (ids are per
//! source). The computation ([`top_functions`]) is plain Rust over the collected columns.
//!
//! - self: samples whose leaf frame (`position` 0) is the function;
//! - total: samples whose stack contains the function at least once (recursion counts once);
//! - percentages are of the event's **sample count**, frame-less samples (`stack_id` 0, or a
//!   stack without rows) included in that count but in no function. `perf report`'s "Overhead"
//!   is weighted by period; the two agree whenever the period is fixed (every file of the perf
//!   corpus: cpu-clock at a fixed rate, tracepoints with period 1). The period sums are kept in
//!   `self_period` / `total_period` for the weighted share.
//!
//! A function is identified by (`function`, `dso`) across the run's sources. Rows are sorted by
//! event, `self_samples` descending, function, dso.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::tables::perf_top_functions::PerfTopFunctionRow;
use model::tables::{perf_frames, perf_samples, perf_stacks};
use polars::prelude::*;

use crate::AnalyzeError;

/// Samples of one (source, event, stack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleGroup {
    /// Source path.
    pub source: String,
    /// Event name.
    pub event: String,
    /// Stack id in `perf_stacks` of the same source (0 = no frames).
    pub stack_id: i64,
    /// Number of samples.
    pub samples: i64,
    /// Sum of their periods.
    pub period: i64,
}

/// One frame position of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFrame {
    /// Source path (shared: millions of rows have a handful of sources).
    pub source: Arc<str>,
    /// Stack id.
    pub stack_id: i64,
    /// Position, 0 = leaf.
    pub position: i64,
    /// Frame id in `perf_frames` of the same source.
    pub frame_id: i64,
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Source path (shared).
    pub source: Arc<str>,
    /// Frame id.
    pub frame_id: i64,
    /// Function name.
    pub function: String,
    /// Module, if printed.
    pub dso: Option<String>,
}

/// What [`top_functions`] needs of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerfInput {
    /// Samples grouped by (source, event, stack).
    pub samples: Vec<SampleGroup>,
    /// Stack positions.
    pub stacks: Vec<StackFrame>,
    /// Frames.
    pub frames: Vec<Frame>,
}

use crate::load::scan_lazy as scan;
use crate::load_cgroup::files_of;

/// Collects `lf` and hands its columns to `rows`; errors name the table's partition directory.
fn collect<T>(
    dataset: &Path,
    table: &str,
    run: &str,
    build: impl FnOnce(&[PathBuf]) -> PolarsResult<LazyFrame>,
    rows: impl FnOnce(&DataFrame) -> PolarsResult<Vec<T>>,
) -> Result<Vec<T>, AnalyzeError> {
    let files = files_of(dataset, table, run)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let dir = model::write::partition_dir(dataset, table, run);
    build(&files)
        .and_then(|lf| lf.collect())
        .and_then(|df| rows(&df))
        .map_err(|source| AnalyzeError::Polars { path: dir, source })
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df.column(name)?.str()?.iter().map(|v| v.unwrap_or("").to_string()).collect())
}

/// A String column with each distinct value allocated once.
fn shared_strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<Arc<str>>> {
    let mut seen: HashMap<&str, Arc<str>> = HashMap::new();
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| {
            let v = v.unwrap_or("");
            seen.entry(v).or_insert_with(|| Arc::from(v)).clone()
        })
        .collect())
}

fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    Ok(df.column(name)?.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// The run's perf samples (grouped), stacks and frames; `None` when it has no `perf_samples`.
pub fn load(dataset: &Path, run: &str) -> Result<Option<PerfInput>, AnalyzeError> {
    if files_of(dataset, perf_samples::NAME, run)?.is_empty() {
        return Ok(None);
    }
    let samples = {
        use perf_samples::col as c;
        collect(
            dataset,
            perf_samples::NAME,
            run,
            |files| {
                Ok(scan(files)?
                    .select([
                        col(c::source).strict_cast(DataType::String),
                        col(c::event).strict_cast(DataType::String),
                        col(c::stack_id).strict_cast(DataType::Int64),
                        col(c::period).strict_cast(DataType::Int64),
                    ])
                    .group_by([col(c::source), col(c::event), col(c::stack_id)])
                    .agg([len().strict_cast(DataType::Int64).alias("samples"), col(c::period).sum().alias(c::period)]))
            },
            |df| {
                let (source, event) = (strings(df, c::source)?, strings(df, c::event)?);
                let (stack, n, period) = (ints(df, c::stack_id)?, ints(df, "samples")?, ints(df, c::period)?);
                Ok((0..df.height())
                    .map(|k| SampleGroup {
                        source: source[k].clone(),
                        event: event[k].clone(),
                        stack_id: stack[k],
                        samples: n[k],
                        period: period[k],
                    })
                    .collect())
            },
        )?
    };
    let stacks = {
        use perf_stacks::col as c;
        collect(
            dataset,
            perf_stacks::NAME,
            run,
            |files| {
                Ok(scan(files)?.select([
                    col(c::source).strict_cast(DataType::String),
                    col(c::stack_id).strict_cast(DataType::Int64),
                    col(c::position).strict_cast(DataType::Int64),
                    col(c::frame_id).strict_cast(DataType::Int64),
                ]))
            },
            |df| {
                let source = shared_strings(df, c::source)?;
                let (stack, position, frame) = (ints(df, c::stack_id)?, ints(df, c::position)?, ints(df, c::frame_id)?);
                Ok((0..df.height())
                    .map(|k| StackFrame {
                        source: source[k].clone(),
                        stack_id: stack[k],
                        position: position[k],
                        frame_id: frame[k],
                    })
                    .collect())
            },
        )?
    };
    let frames = {
        use perf_frames::col as c;
        collect(
            dataset,
            perf_frames::NAME,
            run,
            |files| {
                Ok(scan(files)?.select([
                    col(c::source).strict_cast(DataType::String),
                    col(c::frame_id).strict_cast(DataType::Int64),
                    col(c::function).strict_cast(DataType::String),
                    col(c::dso).strict_cast(DataType::String),
                ]))
            },
            |df| {
                let (source, function) = (shared_strings(df, c::source)?, strings(df, c::function)?);
                let frame = ints(df, c::frame_id)?;
                let dso: Vec<Option<String>> =
                    df.column(c::dso)?.str()?.iter().map(|v| v.map(str::to_string)).collect();
                Ok((0..df.height())
                    .map(|k| Frame {
                        source: source[k].clone(),
                        frame_id: frame[k],
                        function: function[k].clone(),
                        dso: dso[k].clone(),
                    })
                    .collect())
            },
        )?
    };
    Ok(Some(PerfInput { samples, stacks, frames }))
}

/// A stack's leaf function (if its position 0 is known) and its distinct functions.
type StackFunctions = (Option<usize>, Vec<usize>);

#[derive(Default)]
struct Acc {
    self_samples: i64,
    self_period: i64,
    total_samples: i64,
    total_period: i64,
}

/// Percentage of `part` in `whole` (0 when `whole` is 0).
fn pct(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The `perf_top_functions` rows of one run (see the module documentation).
pub fn top_functions(input: &PerfInput) -> Vec<PerfTopFunctionRow> {
    top_functions_of(&input.samples, &input.stacks, &input.frames)
}

/// [`top_functions`] over these sample groups (e.g. a subset of the run's samples), with the
/// run's stacks and frames; percentages are of each event's samples among `samples`.
pub fn top_functions_of(samples: &[SampleGroup], stacks: &[StackFrame], frames: &[Frame]) -> Vec<PerfTopFunctionRow> {
    // Functions, interned: (function, dso) → index.
    let mut keys: Vec<(&str, Option<&str>)> = Vec::new();
    let mut key_of: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    let mut frame_key: HashMap<(&str, i64), usize> = HashMap::new();
    for f in frames {
        let key = (f.function.as_str(), f.dso.as_deref());
        let k = *key_of.entry(key).or_insert_with(|| {
            keys.push(key);
            keys.len() - 1
        });
        frame_key.insert((&*f.source, f.frame_id), k);
    }
    // Stacks: (source, stack) → positions with their function; frames absent from
    // `perf_frames` are skipped.
    let mut positions: HashMap<(&str, i64), Vec<(i64, usize)>> = HashMap::new();
    for s in stacks {
        if let Some(&k) = frame_key.get(&(&*s.source, s.frame_id)) {
            positions.entry((&*s.source, s.stack_id)).or_default().push((s.position, k));
        }
    }
    // Per stack: the leaf's function (position 0) and the distinct functions.
    let stacks: HashMap<(&str, i64), StackFunctions> = positions
        .into_iter()
        .map(|(id, mut pos)| {
            pos.sort_unstable();
            let leaf = pos.first().filter(|(p, _)| *p == 0).map(|&(_, k)| k);
            let mut all: Vec<usize> = pos.into_iter().map(|(_, k)| k).collect();
            all.sort_unstable();
            all.dedup();
            (id, (leaf, all))
        })
        .collect();
    // Per event: its sample count and the functions' accumulators.
    let mut events: BTreeMap<&str, (i64, HashMap<usize, Acc>)> = BTreeMap::new();
    for g in samples {
        let (count, accs) = events.entry(g.event.as_str()).or_default();
        *count += g.samples;
        let Some((leaf, all)) = stacks.get(&(g.source.as_str(), g.stack_id)) else { continue };
        if let Some(leaf) = leaf {
            let a = accs.entry(*leaf).or_default();
            a.self_samples += g.samples;
            a.self_period += g.period;
        }
        for k in all {
            let a = accs.entry(*k).or_default();
            a.total_samples += g.samples;
            a.total_period += g.period;
        }
    }
    let mut rows = Vec::new();
    for (event, (count, accs)) in events {
        let mut part: Vec<PerfTopFunctionRow> = accs
            .into_iter()
            .map(|(k, a)| PerfTopFunctionRow {
                event: event.to_string(),
                function: keys[k].0.to_string(),
                self_samples: a.self_samples,
                self_pct: pct(a.self_samples, count),
                total_samples: a.total_samples,
                total_pct: pct(a.total_samples, count),
                dso: keys[k].1.map(str::to_string),
                self_period: a.self_period,
                total_period: a.total_period,
            })
            .collect();
        part.sort_by(|a, b| {
            b.self_samples
                .cmp(&a.self_samples)
                .then_with(|| a.function.cmp(&b.function))
                .then_with(|| a.dso.cmp(&b.dso))
        });
        rows.extend(part);
    }
    rows
}
