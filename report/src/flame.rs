//! The CPU profile of a run: folded stacks, flamegraphs (inferno) and the top functions.
//!
//! For each reported run with `perf_samples` rows, per event:
//! - `perf-<run>-<event>.folded`: folded stacks as `inferno-collapse-perf` writes them
//!   (`comm;root;...;leaf count`, one line per distinct stack, sorted), the count being the number
//!   of samples. Unlike inferno, samples without any frame are kept, as the bare `comm`.
//!   Frames are the `perf_frames.function` names as stored (`;` turned into `:`; an empty or
//!   `[unknown]` function with a known dso is named `[<dso file name>]`, as inferno does), with
//!   no further inferno clean-up (the ingest-side folding applies those).
//! - `flame-<run>-<event>.svg`: its flamegraph, the SVG `inferno-flamegraph` draws from the
//!   folded file (inferno is given fewer lines it draws the same SVG from, where it can be:
//!   `fold::prune`).
//!
//! When a baseline and a candidate both have samples of an event, `flame-diff-<event>.svg` is the
//! differential flamegraph of the two folded files, the baseline normalised to the candidate's
//! sample count (`inferno-diff-folded -n`).
//!
//! `<event>` in file names is the event name with every character other than ASCII letters,
//! digits, `.`, `_` and `-` replaced by `_` (`sched:sched_switch` → `sched_sched_switch`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::{Array, Float64Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::RunData;
use crate::{format, write_atomic, ReportError};

/// Name of the analysis table with the top functions (not in `model` yet: read by column name).
pub const TOP_FUNCTIONS_TABLE: &str = "perf_top_functions";
/// How many functions the per-event table lists.
const TOP_FUNCTIONS: usize = 10;

/// An event name as part of a file name.
pub fn event_slug(event: &str) -> String {
    let slug: String = event
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    if slug.is_empty() {
        "event".to_string()
    } else {
        slug
    }
}

/// One row of `perf_top_functions`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopFunctionRow {
    pub event: String,
    pub function: String,
    pub self_samples: i64,
    pub self_pct: f64,
    pub total_samples: i64,
    pub total_pct: f64,
}

/// Reads `perf_top_functions` of `run` by column name; a missing table (or one without the
/// expected columns) reads as no rows.
pub fn read_top_functions(dataset: &Path, run: &str) -> Result<Vec<TopFunctionRow>, ReportError> {
    let read_err =
        |source: model::ModelError| ReportError::Read { table: TOP_FUNCTIONS_TABLE, run: run.to_string(), source };
    let dir = model::write::partition_dir(dataset, TOP_FUNCTIONS_TABLE, run);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(read_err(model::ModelError::Io { path: dir, source })),
    };
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let pq =
            |source: parquet::errors::ParquetError| read_err(model::ModelError::Parquet { path: path.clone(), source });
        let file = std::fs::File::open(&path)
            .map_err(|source| read_err(model::ModelError::Io { path: path.clone(), source }))?;
        for batch in ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?.build().map_err(pq)? {
            let batch = batch.map_err(|e| pq(e.into()))?;
            let col = |name: &str, ty: &DataType| -> Result<Option<arrow::array::ArrayRef>, ReportError> {
                match batch.column_by_name(name) {
                    Some(c) => arrow::compute::cast(c, ty).map(Some).map_err(|e| pq(e.into())),
                    None => Ok(None),
                }
            };
            let (Some(event), Some(function), Some(ss), Some(sp), Some(ts), Some(tp)) = (
                col("event", &DataType::Utf8)?,
                col("function", &DataType::Utf8)?,
                col("self_samples", &DataType::Int64)?,
                col("self_pct", &DataType::Float64)?,
                col("total_samples", &DataType::Int64)?,
                col("total_pct", &DataType::Float64)?,
            ) else {
                return Ok(Vec::new());
            };
            let (Some(event), Some(function), Some(ss), Some(sp), Some(ts), Some(tp)) = (
                event.as_any().downcast_ref::<StringArray>(),
                function.as_any().downcast_ref::<StringArray>(),
                ss.as_any().downcast_ref::<Int64Array>(),
                sp.as_any().downcast_ref::<Float64Array>(),
                ts.as_any().downcast_ref::<Int64Array>(),
                tp.as_any().downcast_ref::<Float64Array>(),
            ) else {
                return Ok(Vec::new());
            };
            let int = |a: &Int64Array, i: usize| if a.is_null(i) { 0 } else { a.value(i) };
            let float = |a: &Float64Array, i: usize| if a.is_null(i) { 0.0 } else { a.value(i) };
            let text = |a: &StringArray, i: usize| if a.is_null(i) { String::new() } else { a.value(i).to_string() };
            for i in 0..batch.num_rows() {
                rows.push(TopFunctionRow {
                    event: text(event, i),
                    function: text(function, i),
                    self_samples: int(ss, i),
                    self_pct: float(sp, i),
                    total_samples: int(ts, i),
                    total_pct: float(tp, i),
                });
            }
        }
    }
    Ok(rows)
}

/// The "CPU profile" section of a run.
#[derive(Debug, Clone, Serialize)]
pub struct PerfSectionCtx {
    /// Total samples over all events.
    pub samples: u64,
    pub events: Vec<EventCtx>,
    /// Baseline run name, when the run is the candidate and a differential flamegraph exists.
    pub diff_baseline: Option<String>,
}

/// One event of a run's CPU profile.
#[derive(Debug, Clone, Serialize)]
pub struct EventCtx {
    /// Event name as a code span.
    pub event: String,
    pub samples: u64,
    pub stacks: usize,
    pub flamegraph: String,
    pub folded: String,
    /// Differential flamegraph baseline → candidate (set on the candidate's section).
    pub diff: Option<String>,
    /// Top functions by self samples (empty when `perf_top_functions` has none for the event).
    pub top: Vec<TopCtx>,
}

/// A top-functions row, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct TopCtx {
    pub function: String,
    pub self_samples: i64,
    pub self_pct: String,
    pub total_samples: i64,
    pub total_pct: String,
}

fn top_rows(rows: &[TopFunctionRow], event: &str) -> Vec<TopCtx> {
    let mut of_event: Vec<&TopFunctionRow> = rows.iter().filter(|r| r.event == event).collect();
    of_event.sort_by(|a, b| b.self_samples.cmp(&a.self_samples).then_with(|| a.function.cmp(&b.function)));
    of_event
        .into_iter()
        .take(TOP_FUNCTIONS)
        .map(|r| TopCtx {
            function: format::code(&r.function),
            self_samples: r.self_samples,
            self_pct: format!("{:.2} %", r.self_pct),
            total_samples: r.total_samples,
            total_pct: format!("{:.2} %", r.total_pct),
        })
        .collect()
}

/// How the lines given to [`flamegraph_svg`] are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineOrder {
    /// Any order: they are sorted, as inferno does.
    Any,
    /// Already in the order inferno draws them in (merged lines: `fold::FoldedText::flame`).
    Drawn,
}

pub(crate) fn flamegraph_svg(
    path: &Path,
    title: String,
    subtitle: Option<String>,
    lines: &str,
    order: LineOrder,
) -> Result<Vec<u8>, ReportError> {
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title;
    opts.subtitle = subtitle;
    opts.count_name = "samples".to_string();
    opts.hash = true;
    opts.deterministic = true;
    // inferno sorts the lines it is given, on one core; a system-wide profile has hundreds of
    // thousands of long lines sharing long prefixes. The lines are put in its order here (the
    // same trimming, filter and byte order: the same SVG), on every core and only when they are
    // not in that order already (the folded text is sorted by stack, which almost always is).
    let mut sorted: Vec<&str> =
        lines.lines().map(str::trim).filter(|line| !(line.is_empty() || line.starts_with("# "))).collect();
    if order == LineOrder::Drawn {
        // inferno's flame-chart mode reverses the lines and reads them in that order, unchecked:
        // the only difference it makes.
        sorted.reverse();
        opts.flame_chart = true;
    } else if !sorted.is_sorted() {
        sorted.par_sort_unstable();
    }
    opts.no_sort = true;
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut opts, sorted, &mut svg)
        .map_err(|e| ReportError::Plot { path: path.to_path_buf(), message: format!("flamegraph: {e}") })?;
    Ok(svg)
}

/// Writes the folded files and flamegraphs of `runs` (`[baseline, candidate]` when `compare`)
/// into `out_dir`, adds the SVG paths to `images` and returns each run's section, by run name.
pub fn write_profiles(
    dataset: &Path,
    out_dir: &Path,
    runs: &[RunData],
    compare: bool,
    images: &mut Vec<PathBuf>,
) -> Result<BTreeMap<String, PerfSectionCtx>, ReportError> {
    let mut sections = BTreeMap::new();
    // Run → event → (slug, folded text).
    let mut folded_of: Vec<BTreeMap<String, (String, String)>> = Vec::new();
    // The runs' samples are folded in parallel (baseline and candidate: one core each).
    let folds = runs
        .par_iter()
        .map(|run| crate::fold::Folder::load(dataset, &run.name)?.fold(dataset, &run.name, None))
        .collect::<Result<Vec<_>, _>>()?;
    for (run, per_event) in runs.iter().zip(folds) {
        let mut texts = BTreeMap::new();
        if per_event.is_empty() {
            folded_of.push(texts);
            continue;
        }
        let top = read_top_functions(dataset, &run.name)?;
        let mut used = BTreeSet::new();
        let mut events = Vec::new();
        // Each event's text is kept for the differential (tens of MB for a system-wide profile);
        // its merged lines are dropped once drawn.
        for (event, folded) in per_event {
            let event = &event;
            let mut slug = event_slug(event);
            let mut n = 2;
            while !used.insert(slug.clone()) {
                slug = format!("{}-{n}", event_slug(event));
                n += 1;
            }
            let (samples, stack_count) = (folded.samples, folded.lines);
            let (flame_lines, order) = folded.flame_lines();
            let folded_file = format!("perf-{}-{slug}.folded", run.name);
            let svg_file = format!("flame-{}-{slug}.svg", run.name);
            let svg_path = out_dir.join(&svg_file);
            let title = format!("{}: {}", run.name, if event.is_empty() { "(no event name)" } else { event });
            // The folded file (tens of MB) is written while the flamegraph is drawn.
            let (written, svg) = rayon::join(
                || write_atomic(&out_dir.join(&folded_file), folded.text.as_bytes()),
                || flamegraph_svg(&svg_path, title, Some(format!("{samples} samples")), flame_lines, order),
            );
            written?;
            write_atomic(&svg_path, &svg?)?;
            images.push(svg_path);
            events.push(EventCtx {
                event: if event.is_empty() { "(none)".to_string() } else { format::code(event) },
                samples,
                stacks: stack_count,
                flamegraph: svg_file,
                folded: folded_file,
                diff: None,
                top: top_rows(&top, event),
            });
            texts.insert(event.clone(), (slug, folded.text));
        }
        let samples = events.iter().map(|e| e.samples).sum();
        sections.insert(run.name.clone(), PerfSectionCtx { samples, events, diff_baseline: None });
        folded_of.push(texts);
    }

    if let (true, [base, cand], [base_folded, cand_folded]) = (compare, runs, folded_of.as_slice()) {
        let mut diffs = BTreeMap::new();
        let mut used = BTreeSet::new();
        for (event, (_, cand_text)) in cand_folded {
            let Some((_, base_text)) = base_folded.get(event) else { continue };
            let mut slug = event_slug(event);
            let mut n = 2;
            while !used.insert(slug.clone()) {
                slug = format!("{}-{n}", event_slug(event));
                n += 1;
            }
            let file = format!("flame-diff-{slug}.svg");
            let path = out_dir.join(&file);
            let mut diff = Vec::new();
            let opts = inferno::differential::Options { normalize: true, ..Default::default() };
            inferno::differential::from_readers(opts, base_text.as_bytes(), cand_text.as_bytes(), &mut diff)
                .map_err(|e| ReportError::Plot { path: path.clone(), message: format!("differential: {e}") })?;
            let diff = String::from_utf8_lossy(&diff).into_owned();
            let title = format!("{} → {}: {event} (differential, normalised)", base.name, cand.name);
            let subtitle = "red: more samples in the candidate, blue: fewer (baseline scaled to the candidate's total)";
            let svg = flamegraph_svg(&path, title, Some(subtitle.to_string()), &diff, LineOrder::Any)?;
            write_atomic(&path, &svg)?;
            images.push(path);
            diffs.insert(event.clone(), file);
        }
        if let Some(section) = sections.get_mut(&cand.name) {
            if !diffs.is_empty() {
                section.diff_baseline = Some(base.name.clone());
            }
            for (ev, (event, _)) in section.events.iter_mut().zip(cand_folded) {
                ev.diff = diffs.get(event).cloned();
            }
        }
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SVG is inferno's own (lines sorted by inferno) whether the lines come in its order,
    /// in stack order (which differs when a name holds a byte below `;`), or shuffled.
    #[test]
    fn flamegraph_is_inferno_s_for_any_line_order() {
        let stacks = ["a;f 1x;g", "a;f;g", "a;f", "a;f\tx;h", "b;f", "a;f 2", "a"];
        let lines: Vec<String> = stacks.iter().enumerate().map(|(i, s)| format!("{s} {}", i + 1)).collect();
        let inferno_svg = |text: &str| {
            let mut opts = inferno::flamegraph::Options::default();
            (opts.title, opts.subtitle) = ("t".to_string(), Some("s".to_string()));
            opts.count_name = "samples".to_string();
            (opts.hash, opts.deterministic) = (true, true);
            let mut svg = Vec::new();
            inferno::flamegraph::from_lines(&mut opts, text.lines(), &mut svg).unwrap();
            svg
        };
        let by_stack = {
            let mut l = lines.clone();
            l.sort_by_key(|line| line.rsplit_once(' ').unwrap().0.to_string());
            l
        };
        let by_line = {
            let mut l = lines.clone();
            l.sort();
            l
        };
        assert_ne!(by_stack, by_line, "the case where the two orders differ");
        let expected = inferno_svg(&lines.join("\n"));
        for order in [&lines, &by_stack, &by_line] {
            let text = order.join("\n") + "\n";
            let svg = flamegraph_svg(Path::new("x.svg"), "t".into(), Some("s".into()), &text, LineOrder::Any).unwrap();
            assert_eq!(String::from_utf8(svg).unwrap(), String::from_utf8(expected.clone()).unwrap());
        }
    }
}
