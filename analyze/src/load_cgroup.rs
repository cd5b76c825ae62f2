//! Reading one run's `cgroup_samples` (the files the interval derivation uses), its
//! `clock_offsets`, and the GOMAXPROCS its Go cycles report, with polars lazy scans.
//!
//! Output: `CgroupSampleRow`s (only the columns `cgroup_intervals` needs are filled), a clock →
//! offset map, and the largest `procs` of `gc_cycles`.

use std::collections::BTreeMap;
use std::path::Path;

use model::tables::cgroup_samples::{self, CgroupSampleRow};
use model::tables::{clock_offsets, gc_cycles};
use polars::prelude::*;

use crate::load::{partition_files, scan_lazy, Columns};
use crate::AnalyzeError;

/// cgroup files the interval derivation reads; other rows are not loaded.
const FILES: &[&str] = &[
    "cpuacct.usage",
    "cpu.stat",
    "cpu.max",
    "cpu.cfs_quota_us",
    "cpu.cfs_period_us",
    "cpu.max.burst",
    "cpu.cfs_burst_us",
    "memory.current",
    "memory.usage_in_bytes",
    "memory.max",
    "memory.limit_in_bytes",
    "memory.stat",
    "memory.events",
    "memory.oom_control",
    "cpu.pressure",
    "memory.pressure",
    "io.pressure",
];

/// Parquet files of a run's partition of `table`, sorted; none when it does not exist.
pub(crate) fn files_of(dataset: &Path, table: &str, run: &str) -> Result<Vec<std::path::PathBuf>, AnalyzeError> {
    partition_files(&model::write::partition_dir(dataset, table, run))
}

/// The run's cgroup samples of the files in [`FILES`].
pub fn load_samples(dataset: &Path, run: &str) -> Result<Vec<CgroupSampleRow>, AnalyzeError> {
    use cgroup_samples::col as c;
    let files = files_of(dataset, cgroup_samples::NAME, run)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let dir = model::write::partition_dir(dataset, cgroup_samples::NAME, run);
    let err = |source| AnalyzeError::Polars { path: dir.clone(), source };
    // `is_in` needs a polars feature; an OR of equalities keeps the build lean.
    let wanted = FILES.iter().map(|f| col(c::file).eq(lit(*f))).reduce(Expr::or).expect("FILES is not empty");
    let df = scan_lazy(&files)
        .and_then(|lf| {
            lf.filter(wanted)
                .select([
                    col(c::time_ns).strict_cast(DataType::Int64),
                    col(c::value_i64).strict_cast(DataType::Int64),
                    col(c::clock).strict_cast(DataType::String),
                    col(c::hierarchy).strict_cast(DataType::String),
                    col(c::cgroup).strict_cast(DataType::String),
                    col(c::file).strict_cast(DataType::String),
                    col(c::key).strict_cast(DataType::String),
                    col(c::unlimited).strict_cast(DataType::Boolean),
                ])
                .collect()
        })
        .map_err(err)?;
    let cols = Columns { df: &df, dir: &dir };
    let (s, i) = (|n| cols.string_or_empty(n), |n| cols.int(n));
    let (time, value) = (i(c::time_ns)?, i(c::value_i64)?);
    let (clock, hierarchy, cgroup, file, key) =
        (s(c::clock)?, s(c::hierarchy)?, s(c::cgroup)?, s(c::file)?, s(c::key)?);
    let unlimited = cols.bool_or_false(c::unlimited)?;
    Ok((0..df.height())
        .map(|k| CgroupSampleRow {
            time_ns: time[k],
            value_i64: value[k],
            clock: clock[k].clone(),
            hierarchy: hierarchy[k].clone(),
            cgroup: cgroup[k].clone(),
            file: file[k].clone(),
            key: key[k].clone(),
            unlimited: unlimited[k],
            ..Default::default()
        })
        .collect())
}

/// The run's clock → offset-to-wall map (`wall` maps to 0).
pub fn load_offsets(dataset: &Path, run: &str) -> Result<BTreeMap<String, i64>, AnalyzeError> {
    use clock_offsets::col as c;
    let mut map = BTreeMap::from([(model::tables::clock::WALL.to_string(), 0)]);
    let files = files_of(dataset, clock_offsets::NAME, run)?;
    if files.is_empty() {
        return Ok(map);
    }
    let dir = model::write::partition_dir(dataset, clock_offsets::NAME, run);
    let err = |source| AnalyzeError::Polars { path: dir.clone(), source };
    let df = scan_lazy(&files)
        .and_then(|lf| {
            lf.select([col(c::clock).strict_cast(DataType::String), col(c::offset_ns).strict_cast(DataType::Int64)])
                .collect()
        })
        .map_err(err)?;
    let clocks = df.column(c::clock).and_then(|c| c.str()).map_err(err)?;
    let offsets = df.column(c::offset_ns).and_then(|c| c.i64()).map_err(err)?;
    for (k, v) in clocks.iter().zip(offsets.iter()) {
        if let (Some(k), Some(v)) = (k, v) {
            map.insert(k.to_string(), v);
        }
    }
    Ok(map)
}

/// Largest JVM parallel GC worker count among the run's sources (`runs.gc_parallel_workers`).
pub fn load_jvm_workers(dataset: &Path, run: &str) -> Result<Option<i64>, AnalyzeError> {
    max_of(dataset, model::tables::runs::NAME, run, model::tables::runs::col::gc_parallel_workers)
}

/// Largest GOMAXPROCS (`procs`) among the run's cycles, if any cycle reports it.
pub fn load_max_procs(dataset: &Path, run: &str) -> Result<Option<i64>, AnalyzeError> {
    max_of(dataset, gc_cycles::NAME, run, gc_cycles::col::procs)
}

/// Largest value of an integer column of a run's table; `None` without rows or values.
fn max_of(dataset: &Path, table: &str, run: &str, column: &str) -> Result<Option<i64>, AnalyzeError> {
    let files = files_of(dataset, table, run)?;
    if files.is_empty() {
        return Ok(None);
    }
    let dir = model::write::partition_dir(dataset, table, run);
    let err = |source| AnalyzeError::Polars { path: dir.clone(), source };
    let df = scan_lazy(&files)
        .and_then(|lf| lf.select([col(column).strict_cast(DataType::Int64).max()]).collect())
        .map_err(err)?;
    Ok(df.column(column).and_then(|c| c.i64()).map_err(err)?.get(0))
}
