//! Top functions per event of one run (`perf_top_functions`): self and total (children) samples,
//! like `perf report --no-children` / `--children` with `-n`.
//!
//! Input ([`load`]): the run's `perf_samples` grouped by source, event and stack (sample count
//! and period sum), and a [`StackIndex`] of every stack's leaf function and distinct functions,
//! built from `perf_frames` and `perf_stacks` (ids are per source). All three are read in
//! record batches (`model::read`), not as polars frames: a system-wide profile has millions of
//! samples and stack positions, and only the groups and the per-stack summaries are kept
//! (175 MB perf.data, 9.5 M stack positions: 6.0 s and 1.55 GB peak RSS with collected polars
//! frames, 1.7 s and 0.23 GB streamed).
//!
//! - self: samples whose leaf frame (`frame_ids[0]`) is the function;
//! - total: samples whose stack contains the function at least once (recursion counts once);
//! - percentages are of the event's **sample count**, frame-less samples (`stack_id` 0, or a
//!   stack without a row) included in that count but in no function. `perf report`'s "Overhead"
//!   is weighted by period; the two agree whenever the period is fixed (every file of the perf
//!   corpus: cpu-clock at a fixed rate, tracepoints with period 1). The period sums are kept in
//!   `self_period` / `total_period` for the weighted share.
//!
//! A function is identified by (`function`, `dso`) across the run's sources. Rows are sorted by
//! event, `self_samples` descending, function, dso.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::Array;
use foldhash::{HashMap, HashMapExt};
use model::id_map::IdMap;
use model::intern::Interner;
use model::read::{for_each_batch_dict, i64_column, i64_lists, interned, str_at, str_column};
use model::tables::perf_frames::{self, PerfFrameRow};
use model::tables::perf_samples::{self, PerfSampleRow};
use model::tables::perf_stacks::{self, PerfStackRow};
use model::tables::perf_top_functions::PerfTopFunctionRow;
use model::Table;

use crate::AnalyzeError;

/// Samples of one (source, event, stack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleGroup {
    /// Source path (shared by the source's groups: a run has hundreds of thousands).
    pub source: Arc<str>,
    /// Event name (shared likewise).
    pub event: Arc<str>,
    /// Stack id in `perf_stacks` of the same source (0 = no frames).
    pub stack_id: i64,
    /// Number of samples.
    pub samples: i64,
    /// Sum of their periods.
    pub period: i64,
}

/// Every stack of a run, summarised: its leaf function and its distinct functions.
#[derive(Debug, Clone)]
pub struct StackIndex {
    /// Functions, `(function, dso)`, by index.
    functions: Vec<(String, Option<String>)>,
    /// Source paths, by index.
    sources: Interner,
    /// `(source, stack id)` → index in `entries` (stack ids are dense from 1: a vector per
    /// source, looked up without hashing).
    slots: IdMap<u32>,
    /// Leaf function (when its first frame is known) and distinct functions, by slot.
    entries: Vec<StackFunctions>,
}

/// Marks a stack with no slot.
const NO_SLOT: u32 = u32::MAX;

impl Default for StackIndex {
    fn default() -> Self {
        StackIndex {
            functions: Vec::new(),
            sources: Interner::default(),
            slots: IdMap::new(NO_SLOT),
            entries: Vec::new(),
        }
    }
}

impl StackIndex {
    /// The stack's functions; `None` for a stack none of whose frames is known (it counts in no
    /// function), or with no row.
    fn get(&self, source: u32, stack_id: i64) -> Option<&StackFunctions> {
        let slot = self.slots.get((source, stack_id))?;
        self.entries.get(slot as usize).filter(|(_, f)| !f.is_empty())
    }
}

/// What [`top_functions`] needs of a run.
#[derive(Debug, Clone, Default)]
pub struct PerfInput {
    /// Samples grouped by (source, event, stack).
    pub samples: Vec<SampleGroup>,
    /// The run's stacks.
    pub index: StackIndex,
}

use crate::load_cgroup::files_of;

/// The run's perf samples (grouped), stacks and frames; `None` when it has no `perf_samples`.
pub fn load(dataset: &Path, run: &str) -> Result<Option<PerfInput>, AnalyzeError> {
    if files_of(dataset, perf_samples::NAME, run)?.is_empty() {
        return Ok(None);
    }
    // `perf_stacks`' row count (from the footers) sizes both readers' maps.
    let stacks =
        model::read::count_rows(dataset, perf_stacks::NAME, run).map_err(read_err(dataset, perf_stacks::NAME, run))?;
    let stacks = usize::try_from(stacks).unwrap_or(0);
    // Two independent reads, one core each.
    let (samples, index) = rayon::join(|| sample_groups(dataset, run, stacks), || stack_index(dataset, run, stacks));
    Ok(Some(PerfInput { samples: samples?, index: index? }))
}

/// A read error of `table`'s partition of `run`, naming its directory.
fn read_err<'a>(
    dataset: &'a Path,
    table: &'a str,
    run: &'a str,
) -> impl FnOnce(model::ModelError) -> AnalyzeError + 'a {
    move |source| AnalyzeError::Model {
        path: model::write::partition_dir(dataset, table, run),
        source: Box::new(source),
    }
}

/// The run's samples grouped by (source, event, stack): counted batch by batch (a run has
/// millions of samples and thousands of groups); `stacks` (the run's stack count) sizes the map.
fn sample_groups(dataset: &Path, run: &str, stacks: usize) -> Result<Vec<SampleGroup>, AnalyzeError> {
    // Sources and events are interned, so the per-sample key is three integers.
    let (mut sources, mut events) = (Interner::default(), Interner::default());
    // About one group per stack (per event): sized up front, the map never holds its old and
    // new tables at once.
    let mut groups: HashMap<(u32, u32, i64), (i64, i64)> = HashMap::with_capacity(stacks + 1);
    use perf_samples::col as c;
    for_each_batch_dict::<PerfSampleRow>(dataset, run, &[c::source, c::event], |b| {
        let t = PerfSampleRow::NAME;
        let (source, event) = (interned(b, t, c::source, &mut sources)?, interned(b, t, c::event, &mut events)?);
        let (stack, period) = (i64_column(b, t, c::stack_id)?, i64_column(b, t, c::period)?);
        for i in 0..b.num_rows() {
            let (s, e) = (source[i], event[i]);
            let stack_id = if stack.is_null(i) { 0 } else { stack.value(i) };
            let p = if period.is_null(i) { 0 } else { period.value(i) };
            let g = groups.entry((s, e, stack_id)).or_default();
            g.0 += 1;
            g.1 += p;
        }
        Ok(())
    })
    .map_err(read_err(dataset, perf_samples::NAME, run))?;
    let mut groups: Vec<_> = groups.into_iter().collect();
    // In stack order: the stacks' summaries are then read in their order.
    groups.sort_unstable_by_key(|&((s, e, stack_id), _)| (s, stack_id, e));
    Ok(groups
        .into_iter()
        .map(|((s, e, stack_id), (samples, period))| SampleGroup {
            source: Arc::clone(sources.value(s)),
            event: Arc::clone(events.value(e)),
            stack_id,
            samples,
            period,
        })
        .collect())
}

/// A stack's leaf function (if its first frame is known) and its distinct functions, sorted.
type StackFunctions = (Option<u32>, Box<[u32]>);

/// Marks a frame id with no row in `perf_frames`.
const NO_FUNCTION: u32 = u32::MAX;

/// Builds the run's [`StackIndex`] (of `stacks` stacks) from `perf_frames` and `perf_stacks`,
/// batch by batch. Frames absent from `perf_frames` are left out of their stacks.
fn stack_index(dataset: &Path, run: &str, stacks: usize) -> Result<StackIndex, AnalyzeError> {
    let mut index = StackIndex::default();
    // Functions are (function, dso) pairs of interned names: no string is allocated per frame.
    let (mut names, mut dsos) = (Interner::default(), Interner::default());
    let mut function_of: HashMap<(u32, Option<u32>), u32> = HashMap::new();
    // Function by (source, frame id); frame ids of any size (other writers' tables) are kept.
    let mut frame_function = IdMap::new(NO_FUNCTION);
    // Sources are read as dictionaries and interned in `index.sources`.
    for_each_batch_dict::<PerfFrameRow>(dataset, run, &[perf_frames::col::source], |b| {
        use perf_frames::col as c;
        let t = PerfFrameRow::NAME;
        let (source, id) = (interned(b, t, c::source, &mut index.sources)?, i64_column(b, t, c::frame_id)?);
        let (function, dso) = (str_column(b, t, c::function)?, str_column(b, t, c::dso)?);
        for (i, &src) in source.iter().enumerate() {
            let d = (!dso.is_null(i)).then(|| dso.value(i));
            let key = (names.id(str_at(function, i)), d.map(|d| dsos.id(d)));
            let f = *function_of.entry(key).or_insert_with(|| {
                index.functions.push((str_at(function, i).to_string(), d.map(str::to_string)));
                index.functions.len() as u32 - 1
            });
            frame_function.insert((src, id.value(i)), f);
        }
        Ok(())
    })
    .map_err(read_err(dataset, perf_frames::NAME, run))?;
    drop((function_of, names, dsos));
    // One row per stack (a stack given twice keeps its last row, as report's folding does):
    // the map is sized from the row count, so it never holds its old and new tables at once.
    index.entries.reserve(stacks);
    let mut functions: Vec<u32> = Vec::new();
    for_each_batch_dict::<PerfStackRow>(dataset, run, &[perf_stacks::col::source], |b| {
        use perf_stacks::col as c;
        let t = PerfStackRow::NAME;
        let (source, stack) = (interned(b, t, c::source, &mut index.sources)?, i64_column(b, t, c::stack_id)?);
        let frames = i64_lists(b, t, c::frame_ids)?;
        for (i, &src) in source.iter().enumerate() {
            let ids = frames.row(i);
            functions.clear();
            functions.extend(ids.iter().filter_map(|&f| frame_function.get((src, f))));
            let leaf = ids.first().and_then(|&f| frame_function.get((src, f)));
            functions.sort_unstable();
            functions.dedup();
            index.slots.insert((src, stack.value(i)), index.entries.len() as u32);
            index.entries.push((leaf, functions.as_slice().into()));
        }
        Ok(())
    })
    .map_err(read_err(dataset, perf_stacks::NAME, run))?;
    Ok(index)
}

#[derive(Default)]
struct Acc {
    /// Whether the function is in the event's list of functions met.
    met: bool,
    self_samples: i64,
    self_period: i64,
    total_samples: i64,
    total_period: i64,
}

impl Acc {
    /// The accumulator of function `k`, added to `met` the first time.
    fn of<'a>(accs: &'a mut [Acc], met: &mut Vec<u32>, k: u32) -> &'a mut Acc {
        let a = &mut accs[k as usize];
        if !a.met {
            a.met = true;
            met.push(k);
        }
        a
    }
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
    top_functions_of(&input.samples, &input.index)
}

/// [`top_functions`] over these sample groups (e.g. a subset of the run's samples), with the
/// run's stacks; percentages are of each event's samples among `samples`.
pub fn top_functions_of(samples: &[SampleGroup], index: &StackIndex) -> Vec<PerfTopFunctionRow> {
    let keys = &index.functions;
    // Per event: its sample count, the functions' accumulators (by function index) and the
    // functions met, in the order met.
    let mut events: BTreeMap<&str, (i64, Vec<Acc>, Vec<u32>)> = BTreeMap::new();
    // The groups of a source share its path: it is looked up once per run of them.
    let mut source: Option<(&Arc<str>, Option<u32>)> = None;
    for g in samples {
        let (count, accs, met) = events.entry(&*g.event).or_insert_with(|| {
            let accs = std::iter::repeat_with(Acc::default).take(keys.len()).collect();
            (0, accs, Vec::new())
        });
        *count += g.samples;
        let src = match source {
            Some((path, id)) if Arc::ptr_eq(path, &g.source) => id,
            _ => {
                let id = index.sources.get(&g.source);
                source = Some((&g.source, id));
                id
            }
        };
        let Some((leaf, all)) = src.and_then(|s| index.get(s, g.stack_id)) else { continue };
        if let Some(leaf) = leaf {
            let a = Acc::of(accs, met, *leaf);
            a.self_samples += g.samples;
            a.self_period += g.period;
        }
        for &k in all.iter() {
            let a = Acc::of(accs, met, k);
            a.total_samples += g.samples;
            a.total_period += g.period;
        }
    }
    let mut rows = Vec::new();
    for (event, (count, accs, met)) in events {
        let mut part: Vec<PerfTopFunctionRow> = met
            .into_iter()
            .map(|k| (k, &accs[k as usize]))
            .map(|(k, a)| PerfTopFunctionRow {
                event: event.to_string(),
                function: keys[k as usize].0.clone(),
                self_samples: a.self_samples,
                self_pct: pct(a.self_samples, count),
                total_samples: a.total_samples,
                total_pct: pct(a.total_samples, count),
                dso: keys[k as usize].1.clone(),
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
