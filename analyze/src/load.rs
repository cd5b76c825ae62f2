//! Reading one run's `gc_pauses` and `gc_cycles` partitions with polars lazy scans.
//!
//! Input: `<dataset>/<table>/run=<run>/*.parquet` (each file scanned lazily, the scans
//! concatenated, only the needed columns selected and cast). Output: plain [`Pause`] and
//! [`Cycle`] values, sorted into a total order so every later step is independent of file and
//! thread order. A missing partition reads as no rows.

use std::path::{Path, PathBuf};

use model::tables::{gc_cycles, gc_pauses};
use polars::prelude::*;

use crate::AnalyzeError;

/// A pause, with the columns the analysis needs (field order = sort order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pause {
    pub source: String,
    pub clock: String,
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    pub line: i64,
    pub duration_ns: i64,
    pub runtime: String,
    pub collector: String,
    pub pause_kind: String,
    pub cause: Option<String>,
    pub heap_before_bytes: Option<i64>,
    pub heap_after_bytes: Option<i64>,
    pub heap_committed_bytes: Option<i64>,
    pub gc_id: Option<i64>,
}

impl Pause {
    /// `[start, end)` on the pause's clock: `end` defaults to start + duration, `start` to
    /// end − duration; `None` when the pause has neither.
    pub fn interval(&self) -> Option<(i64, i64)> {
        match (self.start_ns, self.end_ns) {
            (Some(s), Some(e)) => Some((s, e)),
            (Some(s), None) => Some((s, s + self.duration_ns)),
            (None, Some(e)) => Some((e - self.duration_ns, e)),
            (None, None) => None,
        }
    }
}

/// A GC cycle, with the columns the analysis needs (field order = sort order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cycle {
    pub source: String,
    pub clock: String,
    pub start_ns: Option<i64>,
    pub line: i64,
    pub duration_ns: Option<i64>,
    pub runtime: String,
    pub collector: String,
    pub heap_before_bytes: Option<i64>,
    pub heap_after_bytes: Option<i64>,
    pub heap_committed_bytes: Option<i64>,
    /// Go: the live heap marked (what the heap drops to once swept).
    pub heap_live_bytes: Option<i64>,
}

impl Cycle {
    /// `[start, start + duration)`, a point when the duration is unknown; `None` without start.
    pub fn interval(&self) -> Option<(i64, i64)> {
        self.start_ns.map(|s| (s, s + self.duration_ns.unwrap_or(0)))
    }
}

/// Parquet files of one run partition, sorted; none when the partition does not exist.
pub(crate) fn partition_files(dir: &Path) -> Result<Vec<PathBuf>, AnalyzeError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(AnalyzeError::Io { path: dir.to_path_buf(), source }),
    };
    let mut files = Vec::new();
    for entry in rd {
        let path = entry.map_err(|source| AnalyzeError::Io { path: dir.to_path_buf(), source })?.path();
        if path.extension().is_some_and(|x| x == "parquet") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// One lazy scan over `files`. Hive partitioning off: the run is known, and polars' hive value
/// inference (with date parsing) panics without its temporal features.
pub(crate) fn scan_lazy(files: &[PathBuf]) -> PolarsResult<LazyFrame> {
    let args = ScanArgsParquet { glob: false, hive_options: HiveOptions::new_disabled(), ..Default::default() };
    let scans = files
        .iter()
        .map(|f| LazyFrame::scan_parquet(PlRefPath::try_from_path(f)?, args.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    concat(scans, UnionArgs::default())
}

/// Scans `files` lazily and collects the `int` and `string` columns, cast to Int64 / String.
fn scan(files: &[PathBuf], ints: &[&str], strings: &[&str]) -> PolarsResult<DataFrame> {
    let columns: Vec<Expr> = ints
        .iter()
        .map(|c| col(*c).strict_cast(DataType::Int64))
        .chain(strings.iter().map(|c| col(*c).strict_cast(DataType::String)))
        .collect();
    scan_lazy(files)?.select(columns).collect()
}

/// Column accessors that name the partition in their errors.
pub(crate) struct Columns<'a> {
    pub df: &'a DataFrame,
    pub dir: &'a Path,
}

impl Columns<'_> {
    /// The error of a polars failure on this partition.
    pub fn polars(&self, source: PolarsError) -> AnalyzeError {
        AnalyzeError::Polars { path: self.dir.to_path_buf(), source }
    }

    /// An Int64 column.
    pub fn int(&self, name: &str) -> Result<Vec<Option<i64>>, AnalyzeError> {
        let c = self.df.column(name).and_then(|c| c.i64()).map_err(|e| self.polars(e))?;
        Ok(c.iter().collect())
    }

    /// A String column.
    pub fn string(&self, name: &str) -> Result<Vec<Option<String>>, AnalyzeError> {
        let c = self.df.column(name).and_then(|c| c.str()).map_err(|e| self.polars(e))?;
        Ok(c.iter().map(|v| v.map(str::to_owned)).collect())
    }

    /// A String column with nulls read as "".
    pub fn string_or_empty(&self, name: &str) -> Result<Vec<String>, AnalyzeError> {
        Ok(self.string(name)?.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// A Boolean column with nulls read as false.
    pub fn bool_or_false(&self, name: &str) -> Result<Vec<bool>, AnalyzeError> {
        let c = self.df.column(name).and_then(|c| c.bool()).map_err(|e| self.polars(e))?;
        Ok(c.iter().map(|v| v.unwrap_or(false)).collect())
    }

    fn required<T>(&self, name: &str, values: Vec<Option<T>>) -> Result<Vec<T>, AnalyzeError> {
        values
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| AnalyzeError::NullValue { path: self.dir.to_path_buf(), column: name.to_string(), row })
            })
            .collect()
    }

    fn req_int(&self, name: &str) -> Result<Vec<i64>, AnalyzeError> {
        self.required(name, self.int(name)?)
    }

    fn req_string(&self, name: &str) -> Result<Vec<String>, AnalyzeError> {
        self.required(name, self.string(name)?)
    }
}

/// Reads the run's `gc_pauses` partition, sorted.
pub fn load_pauses(dataset: &Path, run: &str) -> Result<Vec<Pause>, AnalyzeError> {
    use gc_pauses::col as c;
    let dir = model::write::partition_dir(dataset, gc_pauses::NAME, run);
    let files = partition_files(&dir)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let ints = [
        c::line,
        c::start_ns,
        c::end_ns,
        c::duration_ns,
        c::heap_before_bytes,
        c::heap_after_bytes,
        c::heap_committed_bytes,
        c::gc_id,
    ];
    let strings = [c::source, c::clock, c::runtime, c::collector, c::pause_kind, c::cause];
    let df = scan(&files, &ints, &strings).map_err(|source| AnalyzeError::Polars { path: dir.clone(), source })?;
    let cols = Columns { df: &df, dir: &dir };
    let mut source = cols.req_string(c::source)?.into_iter();
    let mut clock = cols.req_string(c::clock)?.into_iter();
    let mut runtime = cols.req_string(c::runtime)?.into_iter();
    let mut collector = cols.req_string(c::collector)?.into_iter();
    let mut pause_kind = cols.req_string(c::pause_kind)?.into_iter();
    let mut cause = cols.string(c::cause)?.into_iter();
    let mut line = cols.req_int(c::line)?.into_iter();
    let mut start = cols.int(c::start_ns)?.into_iter();
    let mut end = cols.int(c::end_ns)?.into_iter();
    let mut duration = cols.req_int(c::duration_ns)?.into_iter();
    let mut before = cols.int(c::heap_before_bytes)?.into_iter();
    let mut after = cols.int(c::heap_after_bytes)?.into_iter();
    let mut committed = cols.int(c::heap_committed_bytes)?.into_iter();
    let mut gc_id = cols.int(c::gc_id)?.into_iter();
    let mut pauses: Vec<Pause> = (0..df.height())
        .filter_map(|_| {
            Some(Pause {
                source: source.next()?,
                clock: clock.next()?,
                start_ns: start.next()?,
                end_ns: end.next()?,
                line: line.next()?,
                duration_ns: duration.next()?,
                runtime: runtime.next()?,
                collector: collector.next()?,
                pause_kind: pause_kind.next()?,
                cause: cause.next()?,
                heap_before_bytes: before.next()?,
                heap_after_bytes: after.next()?,
                heap_committed_bytes: committed.next()?,
                gc_id: gc_id.next()?,
            })
        })
        .collect();
    pauses.sort_unstable();
    Ok(pauses)
}

/// Reads the run's `gc_cycles` partition, sorted.
pub fn load_cycles(dataset: &Path, run: &str) -> Result<Vec<Cycle>, AnalyzeError> {
    use gc_cycles::col as c;
    let dir = model::write::partition_dir(dataset, gc_cycles::NAME, run);
    let files = partition_files(&dir)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let ints = [
        c::line,
        c::start_ns,
        c::duration_ns,
        c::heap_before_bytes,
        c::heap_after_bytes,
        c::heap_committed_bytes,
        c::heap_live_bytes,
    ];
    let strings = [c::source, c::clock, c::runtime, c::collector];
    let df = scan(&files, &ints, &strings).map_err(|source| AnalyzeError::Polars { path: dir.clone(), source })?;
    let cols = Columns { df: &df, dir: &dir };
    let mut source = cols.req_string(c::source)?.into_iter();
    let mut clock = cols.req_string(c::clock)?.into_iter();
    let mut runtime = cols.req_string(c::runtime)?.into_iter();
    let mut collector = cols.req_string(c::collector)?.into_iter();
    let mut line = cols.req_int(c::line)?.into_iter();
    let mut start = cols.int(c::start_ns)?.into_iter();
    let mut duration = cols.int(c::duration_ns)?.into_iter();
    let mut before = cols.int(c::heap_before_bytes)?.into_iter();
    let mut after = cols.int(c::heap_after_bytes)?.into_iter();
    let mut committed = cols.int(c::heap_committed_bytes)?.into_iter();
    let mut live = cols.int(c::heap_live_bytes)?.into_iter();
    let mut cycles: Vec<Cycle> = (0..df.height())
        .filter_map(|_| {
            Some(Cycle {
                source: source.next()?,
                clock: clock.next()?,
                start_ns: start.next()?,
                line: line.next()?,
                duration_ns: duration.next()?,
                runtime: runtime.next()?,
                collector: collector.next()?,
                heap_before_bytes: before.next()?,
                heap_after_bytes: after.next()?,
                heap_committed_bytes: committed.next()?,
                heap_live_bytes: live.next()?,
            })
        })
        .collect();
    cycles.sort_unstable();
    Ok(cycles)
}
