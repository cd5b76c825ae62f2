//! The "What ran during GC pauses" section of a run: how many pauses were placed on the perf
//! samples' clock, the share of samples inside stop-the-world windows and in the 10 ms before
//! them against the share of time those windows cover, the top functions of each window kind
//! against the rest of the profile, and a flamegraph + folded file per window kind.
//!
//! Inputs: the analysis tables `perf_gc_windows`, `perf_gc_functions`, `perf_gc_samples`, and
//! the run's perf tables (to fold the window samples' stacks).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use foldhash::HashSet;
use model::read::read_table;
use model::tables::perf_gc_functions::PerfGcFunctionRow;
use model::tables::perf_gc_samples::PerfGcSampleRow;
use model::tables::perf_gc_windows::PerfGcWindowRow;
use model::tables::perf_samples::{self, PerfSampleRow};
use model::Table;
use serde::Serialize;

use crate::data::RunData;
use crate::flame::event_slug;
use crate::fold::Folder;
use crate::{format, write_atomic, ReportError};

/// Functions listed per window kind.
const TOP: usize = 10;

/// The section of one run.
#[derive(Debug, Clone, Serialize)]
pub struct PerfGcCtx {
    /// Pauses of the run.
    pub pauses: usize,
    /// Pauses placed on the samples' clock.
    pub placed: usize,
    /// Of those, pauses inside the profile's time span.
    pub in_profile: usize,
    /// How they were placed, e.g. "same clock (`monotonic`)".
    pub alignment: String,
    pub kinds: Vec<WindowKindCtx>,
}

/// One window kind (`pause`, `before_pause`).
#[derive(Debug, Clone, Serialize)]
pub struct WindowKindCtx {
    pub label: String,
    /// Windows of this kind inside the profile's span.
    pub windows: usize,
    /// Summed length of those windows.
    pub duration: String,
    /// Their share of the profile's time span.
    pub time_share: String,
    /// Samples in them (all events).
    pub samples: i64,
    /// Their share of the run's timed samples on that clock.
    pub sample_share: String,
    /// Per event: flamegraph, folded file and top functions.
    pub events: Vec<WindowEventCtx>,
}

/// One event of a window kind.
#[derive(Debug, Clone, Serialize)]
pub struct WindowEventCtx {
    pub event: String,
    pub samples: i64,
    pub flamegraph: String,
    pub folded: String,
    pub top: Vec<WindowTopCtx>,
}

/// A function row.
#[derive(Debug, Clone, Serialize)]
pub struct WindowTopCtx {
    pub function: String,
    pub self_samples: i64,
    pub self_pct: String,
    pub outside_pct: String,
    /// self % / outside %, as `×N.N`; `only here` when the function is never the leaf outside.
    pub lift: String,
}

fn read<T: Table>(dataset: &Path, run: &str) -> Result<Vec<T>, ReportError> {
    read_table::<T>(dataset, run).map_err(|source| ReportError::Read { table: T::NAME, run: run.to_string(), source })
}

fn label(kind: &str) -> &'static str {
    if kind == "pause" {
        "inside stop-the-world pauses"
    } else {
        "in the 10 ms before each pause"
    }
}

fn lift(inside: f64, outside: f64) -> String {
    if outside <= 0.0 {
        "only here".to_string()
    } else {
        format!("×{:.1}", inside / outside)
    }
}

/// The section, with its flamegraphs written to `out_dir`; `None` when the run has no
/// `perf_gc_windows` rows.
pub fn section(
    dataset: &Path,
    out_dir: &Path,
    run: &RunData,
    images: &mut Vec<PathBuf>,
) -> Result<Option<PerfGcCtx>, ReportError> {
    let windows: Vec<PerfGcWindowRow> = read(dataset, &run.name)?;
    if windows.is_empty() {
        return Ok(None);
    }
    let functions: Vec<PerfGcFunctionRow> = read(dataset, &run.name)?;
    let in_windows: Vec<PerfGcSampleRow> = read(dataset, &run.name)?;
    let clocks: HashSet<&str> = windows.iter().map(|w| w.clock.as_str()).collect();
    // Time span and count of the samples on the windows' clocks.
    let (mut timed, mut span) = (0i64, (i64::MAX, i64::MIN));
    model::read::for_each_batch::<PerfSampleRow>(dataset, &run.name, |b| {
        use arrow::array::Array;
        let clock = crate::fold::strings(b, PerfSampleRow::NAME, perf_samples::col::clock)?;
        let time = crate::fold::ints(b, PerfSampleRow::NAME, perf_samples::col::time_ns)?;
        for i in (0..b.num_rows()).filter(|&i| !time.is_null(i) && clocks.contains(clock.value(i))) {
            timed += 1;
            span = (span.0.min(time.value(i)), span.1.max(time.value(i)));
        }
        Ok(())
    })
    .map_err(|source| ReportError::Read { table: PerfSampleRow::NAME, run: run.name.clone(), source })?;
    if timed == 0 {
        span = (0, 0);
    }
    let mut folder = Folder::load(dataset, &run.name)?;
    let placed: HashSet<(&str, i64)> = windows.iter().map(|w| (w.pause_source.as_str(), w.pause_line)).collect();
    let in_profile: HashSet<(&str, i64)> =
        windows.iter().filter(|w| w.in_profile).map(|w| (w.pause_source.as_str(), w.pause_line)).collect();
    let methods: std::collections::BTreeSet<String> = windows
        .iter()
        .map(|w| {
            if w.alignment == "same-clock" {
                format!("on the same clock ({})", format::code(&w.clock))
            } else {
                format!("through both clocks' wall-time offsets (samples on {})", format::code(&w.clock))
            }
        })
        .collect();
    let mut kinds = Vec::new();
    for kind in ["pause", "before_pause"] {
        let of_kind: Vec<&PerfGcWindowRow> = windows.iter().filter(|w| w.window == kind && w.in_profile).collect();
        // Clip each window to the profile's span for the time share.
        let covered: i64 = of_kind.iter().map(|w| (w.end_ns.min(span.1) - w.start_ns.max(span.0)).max(0)).sum();
        let samples: i64 = of_kind.iter().map(|w| w.samples).sum();
        let keys: HashSet<(&str, i64)> =
            in_windows.iter().filter(|s| s.window == kind).map(|s| (s.source.as_str(), s.line)).collect();
        let keep = |source: &str, line: i64| keys.contains(&(source, line));
        let mut events = Vec::new();
        for (event, folded) in folder.fold(dataset, &run.name, Some(&keep))? {
            let slug = format!("{}-gc-{}-{}", run.name, kind.replace('_', "-"), event_slug(&event));
            let folded_file = format!("perf-{slug}.folded");
            write_atomic(&out_dir.join(&folded_file), folded.text.as_bytes())?;
            let svg_file = format!("flame-{slug}.svg");
            let svg_path = out_dir.join(&svg_file);
            let n = folded.samples;
            let title = format!("{}: {event}, {}", run.name, label(kind));
            let (flame_lines, order) = folded.flame_lines();
            let svg = crate::flame::flamegraph_svg(&svg_path, title, Some(format!("{n} samples")), flame_lines, order)?;
            write_atomic(&svg_path, &svg)?;
            images.push(svg_path);
            let mut top: Vec<&PerfGcFunctionRow> =
                functions.iter().filter(|f| f.window == kind && f.event == event).collect();
            top.sort_by(|a, b| b.self_samples.cmp(&a.self_samples).then_with(|| a.function.cmp(&b.function)));
            events.push(WindowEventCtx {
                event: format::code(&event),
                samples: n as i64,
                flamegraph: svg_file,
                folded: folded_file,
                top: top
                    .into_iter()
                    .filter(|f| f.self_samples > 0)
                    .take(TOP)
                    .map(|f| WindowTopCtx {
                        function: format::code(&f.function),
                        self_samples: f.self_samples,
                        self_pct: format!("{:.2} %", f.self_pct),
                        outside_pct: format!("{:.2} %", f.outside_self_pct),
                        lift: lift(f.self_pct, f.outside_self_pct),
                    })
                    .collect(),
            });
        }
        let profile_ns = (span.1 - span.0).max(1);
        kinds.push(WindowKindCtx {
            label: label(kind).to_string(),
            windows: of_kind.len(),
            duration: format::duration(covered),
            time_share: format::percent(covered as f64 / profile_ns as f64, 1),
            samples,
            sample_share: format::percent(samples as f64 / timed.max(1) as f64, 1),
            events,
        });
    }
    let pauses = run.pauses.len();
    Ok(Some(PerfGcCtx {
        pauses,
        placed: placed.len(),
        in_profile: in_profile.len(),
        alignment: methods.into_iter().collect::<Vec<_>>().join("; "),
        kinds,
    }))
}

/// Sections of `runs`, by run name.
pub fn sections(
    dataset: &Path,
    out_dir: &Path,
    runs: &[RunData],
    images: &mut Vec<PathBuf>,
) -> Result<BTreeMap<String, PerfGcCtx>, ReportError> {
    let mut out = BTreeMap::new();
    for run in runs {
        if let Some(s) = section(dataset, out_dir, run, images)? {
            out.insert(run.name.clone(), s);
        }
    }
    Ok(out)
}
