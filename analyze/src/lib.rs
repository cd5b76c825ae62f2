//! tracefold-analyze: GC analysis of a tracefold dataset.
//!
//! Input: the `gc_pauses` and `gc_cycles` partitions of each run, read with polars lazy scans
//! ([`load`]), runs in parallel on the current rayon pool. Output, per run, written with
//! `model::write::RunStaging` (source format `analysis`): `gc_pause_stats` ([`gc_stats`]),
//! `gc_run_summary` and `gc_mmu` ([`gc_summary`], [`mmu`]). All figures are exact (integer ns,
//! nearest-rank percentiles, [`percentile`]) and independent of the number of threads.

use std::path::{Path, PathBuf};

use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::epoll_windows::EpollWindowRow;
use model::tables::gc_cgroup_overlap::GcCgroupOverlapRow;
use model::tables::gc_mmu::GcMmuRow;
use model::tables::gc_pause_stats::GcPauseStatsRow;
use model::tables::gc_run_summary::GcRunSummaryRow;
use model::tables::perf_gc_functions::PerfGcFunctionRow;
use model::tables::perf_gc_samples::PerfGcSampleRow;
use model::tables::perf_gc_windows::PerfGcWindowRow;
use model::tables::perf_top_functions::PerfTopFunctionRow;
use model::tables::{gc_cycles, gc_pauses, ANALYSIS_TABLES};
use model::write::RunStaging;
use model::{ModelError, Table};
use rayon::prelude::*;

pub mod cgroup_intervals;
pub mod cgroup_overlap;
pub mod epoll_windows;
pub mod gc_stats;
pub mod gc_summary;
pub mod load;
pub mod load_cgroup;
pub mod mmu;
pub mod percentile;
pub mod perf_gc;
pub mod perf_top;

/// Source format recorded in the key-value metadata of the analysis tables.
pub const SOURCE_FORMAT: &str = "analysis";

/// What to analyse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzeOptions {
    /// Dataset directory.
    pub dataset: PathBuf,
    /// Runs to analyse; `None` = every run of the dataset.
    pub runs: Option<Vec<String>>,
}

/// One table written for a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenTable {
    /// Table name.
    pub table: &'static str,
    /// Rows written.
    pub rows: usize,
}

/// What was done for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAnalysis {
    /// Run name.
    pub run: String,
    /// Pauses analysed.
    pub pauses: usize,
    /// Cycles analysed.
    pub cycles: usize,
    /// Tables written; empty when the run has no GC data (its old analysis tables are removed).
    pub tables_written: Vec<WrittenTable>,
}

/// Result of [`analyze`], runs in the order analysed (dataset order or as requested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzeSummary {
    /// One entry per run.
    pub runs: Vec<RunAnalysis>,
}

/// Errors of [`analyze`]; each names the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("{}: dataset directory not found", path.display())]
    DatasetNotFound { path: PathBuf },
    #[error("{}: not a tracefold dataset (no `runs`, `gc_pauses` or `gc_cycles` table; `tracefold ingest` makes one)", path.display())]
    NotADataset { path: PathBuf },
    #[error("{}: no run `{run}` in this dataset", dataset.display())]
    UnknownRun { dataset: PathBuf, run: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Polars { path: PathBuf, source: polars::error::PolarsError },
    #[error("{}: column `{column}` is null at row {row}", path.display())]
    NullValue { path: PathBuf, column: String, row: usize },
    #[error("{}: {source}", path.display())]
    Model { path: PathBuf, source: Box<ModelError> },
    #[error("{}: writing the analysis of run `{run}`: {source}", dataset.display())]
    Write { dataset: PathBuf, run: String, source: Box<ModelError> },
}

/// Analyses the selected runs of `opts.dataset` and writes their analysis tables.
pub fn analyze(opts: &AnalyzeOptions) -> Result<AnalyzeSummary, AnalyzeError> {
    let dataset = opts.dataset.as_path();
    if !dataset.is_dir() {
        return Err(AnalyzeError::DatasetNotFound { path: dataset.to_path_buf() });
    }
    // A commit that a killed ingest left half done is finished first: each run is all old or all new.
    model::write::recover(dataset)
        .map_err(|source| AnalyzeError::Model { path: dataset.to_path_buf(), source: Box::new(source) })?;
    let known = dataset_runs(dataset)?;
    let tables = [model::tables::runs::NAME, gc_pauses::NAME, gc_cycles::NAME];
    if known.is_empty() && !tables.iter().any(|t| dataset.join(t).is_dir()) {
        return Err(AnalyzeError::NotADataset { path: dataset.to_path_buf() });
    }
    let runs = match &opts.runs {
        None => known,
        Some(requested) => {
            let mut runs: Vec<String> = Vec::new();
            for run in requested {
                let unknown = || AnalyzeError::UnknownRun { dataset: dataset.to_path_buf(), run: run.clone() };
                if model::validate_run_name(run).is_err() || !known.contains(run) {
                    return Err(unknown());
                }
                if !runs.contains(run) {
                    runs.push(run.clone());
                }
            }
            runs
        }
    };
    // Reading and computing run in parallel, under a shared lock of the dataset (no ingest swaps
    // a run in while it is read); writes go one run at a time, after it, each committed only if
    // its run was not ingested again meanwhile.
    let read_lock = model::write::lock_dataset(dataset, true)
        .map_err(|source| AnalyzeError::Model { path: dataset.to_path_buf(), source: Box::new(source) })?;
    let computed = runs
        .par_iter()
        .map(|run| Ok((run_version(dataset, run), compute_run(dataset, run)?)))
        .collect::<Result<Vec<_>, AnalyzeError>>()?;
    drop(read_lock);
    let runs = computed.into_iter().map(|(v, c)| write_run(dataset, c, v)).collect::<Result<Vec<_>, _>>()?;
    Ok(AnalyzeSummary { runs })
}

/// Runs of the dataset: `model::read::list_runs` (ingestion order), then runs that only have
/// `gc_pauses`/`gc_cycles` partitions, by name.
fn dataset_runs(dataset: &Path) -> Result<Vec<String>, AnalyzeError> {
    let mut runs = model::read::list_runs(dataset)
        .map_err(|source| AnalyzeError::Model { path: dataset.to_path_buf(), source: Box::new(source) })?;
    let prefix = format!("{}=", model::RUN_KEY);
    let mut extra = Vec::new();
    for table in [gc_pauses::NAME, gc_cycles::NAME] {
        let dir = dataset.join(table);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(AnalyzeError::Io { path: dir, source }),
        };
        for entry in rd {
            let entry = entry.map_err(|source| AnalyzeError::Io { path: dir.clone(), source })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(run) = name.strip_prefix(&prefix) {
                if model::validate_run_name(run).is_ok() && !runs.iter().any(|r| r == run) {
                    extra.push(run.to_string());
                }
            }
        }
    }
    extra.sort();
    extra.dedup();
    runs.extend(extra);
    Ok(runs)
}

/// A run's computed tables (`None` when it has neither pauses nor cycles).
struct Computed {
    run: String,
    pauses: usize,
    cycles: usize,
    tables: Option<(Vec<GcPauseStatsRow>, GcRunSummaryRow, Vec<GcMmuRow>)>,
    cgroup: Vec<CgroupIntervalRow>,
    overlap: Vec<GcCgroupOverlapRow>,
    perf_top: Vec<PerfTopFunctionRow>,
    perf_gc: perf_gc::PerfGc,
    epoll: Vec<EpollWindowRow>,
}

fn compute_run(dataset: &Path, run: &str) -> Result<Computed, AnalyzeError> {
    let pauses = load::load_pauses(dataset, run)?;
    let cycles = load::load_cycles(dataset, run)?;
    let tables = (!pauses.is_empty() || !cycles.is_empty()).then(|| {
        (gc_stats::pause_stats(&pauses), gc_summary::run_summary(&pauses, &cycles), gc_summary::mmu_rows(&pauses))
    });
    let samples = load_cgroup::load_samples(dataset, run)?;
    let cgroup = cgroup_intervals::derive_intervals(&samples);
    let overlap = if cgroup.is_empty() {
        Vec::new()
    } else {
        let offsets = load_cgroup::load_offsets(dataset, run)?;
        let procs = load_cgroup::load_max_procs(dataset, run)?;
        let workers = load_cgroup::load_jvm_workers(dataset, run)?;
        cgroup_overlap::overlap(&cgroup, &pauses, &offsets, procs, workers)
    };
    let perf = perf_top::load(dataset, run)?;
    let perf_top = perf.as_ref().map(perf_top::top_functions).unwrap_or_default();
    let perf_gc = match &perf {
        Some(input) if !pauses.is_empty() => {
            perf_gc::compute(dataset, run, &pauses, &load_cgroup::load_offsets(dataset, run)?, input)?
        }
        _ => perf_gc::PerfGc::default(),
    };
    drop(perf);
    let epoll = epoll_windows::windows(&epoll_windows::load(dataset, run)?, epoll_windows::DEFAULT_WINDOW_NS);
    Ok(Computed {
        run: run.to_string(),
        pauses: pauses.len(),
        cycles: cycles.len(),
        tables,
        cgroup,
        overlap,
        perf_top,
        perf_gc,
        epoll,
    })
}

/// What tells one ingest of a run from the next: the identity (device, inode) of its `runs`
/// and `gc_pauses` partitions, which every ingest of the run replaces with new directories.
type RunVersion = [Option<(u64, u64)>; 2];

fn run_version(dataset: &Path, run: &str) -> RunVersion {
    use std::os::unix::fs::MetadataExt;
    [model::tables::runs::NAME, gc_pauses::NAME].map(|table| {
        let dir = model::write::partition_dir(dataset, table, run);
        std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
    })
}

fn write_run(dataset: &Path, c: Computed, read: RunVersion) -> Result<RunAnalysis, AnalyzeError> {
    let err =
        |source| AnalyzeError::Write { dataset: dataset.to_path_buf(), run: c.run.clone(), source: Box::new(source) };
    let staging = RunStaging::new(dataset, &c.run).map_err(err)?;
    let mut written = Vec::new();
    if !c.cgroup.is_empty() {
        let rows = staging.write::<CgroupIntervalRow>(SOURCE_FORMAT, c.cgroup).map_err(err)?;
        written.push(WrittenTable { table: CgroupIntervalRow::NAME, rows });
        let rows = staging.write::<GcCgroupOverlapRow>(SOURCE_FORMAT, c.overlap).map_err(err)?;
        written.push(WrittenTable { table: GcCgroupOverlapRow::NAME, rows });
    }
    if let Some((stats, summary, mmu)) = c.tables {
        let rows = staging.write::<GcPauseStatsRow>(SOURCE_FORMAT, stats).map_err(err)?;
        written.push(WrittenTable { table: GcPauseStatsRow::NAME, rows });
        let rows = staging.write::<GcRunSummaryRow>(SOURCE_FORMAT, [summary]).map_err(err)?;
        written.push(WrittenTable { table: GcRunSummaryRow::NAME, rows });
        let rows = staging.write::<GcMmuRow>(SOURCE_FORMAT, mmu).map_err(err)?;
        written.push(WrittenTable { table: GcMmuRow::NAME, rows });
    }
    if !c.perf_top.is_empty() {
        let rows = staging.write::<PerfTopFunctionRow>(SOURCE_FORMAT, c.perf_top).map_err(err)?;
        written.push(WrittenTable { table: PerfTopFunctionRow::NAME, rows });
    }
    if !c.perf_gc.windows.is_empty() {
        let rows = staging.write::<PerfGcWindowRow>(SOURCE_FORMAT, c.perf_gc.windows).map_err(err)?;
        written.push(WrittenTable { table: PerfGcWindowRow::NAME, rows });
        let rows = staging.write::<PerfGcSampleRow>(SOURCE_FORMAT, c.perf_gc.samples).map_err(err)?;
        written.push(WrittenTable { table: PerfGcSampleRow::NAME, rows });
        let rows = staging.write::<PerfGcFunctionRow>(SOURCE_FORMAT, c.perf_gc.functions).map_err(err)?;
        written.push(WrittenTable { table: PerfGcFunctionRow::NAME, rows });
    }
    if !c.epoll.is_empty() {
        let rows = staging.write::<EpollWindowRow>(SOURCE_FORMAT, c.epoll).map_err(err)?;
        written.push(WrittenTable { table: EpollWindowRow::NAME, rows });
    }
    // Analysis tables of this run not written now are stale: removed (staged ones are kept).
    let run = c.run.clone();
    let unchanged = || match run_version(dataset, &run) == read {
        true => Ok(()),
        false => Err(ModelError::RunChanged { run: run.clone() }),
    };
    staging.commit_checked(ANALYSIS_TABLES, unchanged).map_err(err)?;
    Ok(RunAnalysis { run: c.run, pauses: c.pauses, cycles: c.cycles, tables_written: written })
}
