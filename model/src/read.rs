//! Reading tables back with arrow-rs (report, tests). `analyze` reads with polars instead.

use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::tables::runs::SourceRow;
use crate::write::partition_dir;
use crate::{ModelError, Table};

/// Reads all rows of table `T` for `run`; a missing partition reads as no rows.
pub fn read_table<T: Table>(dataset: &Path, run: &str) -> Result<Vec<T>, ModelError> {
    let dir = partition_dir(dataset, T::NAME, run);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ModelError::Io { path: dir, source }),
    };
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let file = std::fs::File::open(&path).map_err(|source| ModelError::Io { path: path.clone(), source })?;
        let pq = |source| ModelError::Parquet { path: path.clone(), source };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
        if let Some(kv) = builder.metadata().file_metadata().key_value_metadata() {
            if let Some(v) = kv.iter().find(|k| k.key == crate::META_SCHEMA_VERSION).and_then(|k| k.value.clone()) {
                if v.parse::<u32>().map_or(true, |n| n > T::VERSION) {
                    return Err(ModelError::SchemaVersion {
                        path,
                        table: T::NAME.into(),
                        found: v,
                        supported: T::VERSION,
                    });
                }
            }
        }
        for batch in builder.build().map_err(pq)? {
            let batch = batch.map_err(|e| ModelError::Parquet { path: path.clone(), source: e.into() })?;
            rows.extend(T::from_batch(&batch)?);
        }
    }
    Ok(rows)
}

/// Rows of table `name` for `run`, from the Parquet footers only; 0 for a missing partition.
pub fn count_rows(dataset: &Path, name: &str, run: &str) -> Result<i64, ModelError> {
    let dir = partition_dir(dataset, name, run);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(source) => return Err(ModelError::Io { path: dir, source }),
    };
    let mut rows = 0;
    for path in rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "parquet")) {
        let file = std::fs::File::open(&path).map_err(|source| ModelError::Io { path: path.clone(), source })?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|source| ModelError::Parquet { path, source })?;
        rows += builder.metadata().file_metadata().num_rows();
    }
    Ok(rows)
}

/// Runs of a dataset in ingestion order (the first is the default baseline).
pub fn list_runs(dataset: &Path) -> Result<Vec<String>, ModelError> {
    let dir = dataset.join(<SourceRow as Table>::NAME);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ModelError::Io { path: dir, source }),
    };
    let prefix = format!("{}=", crate::RUN_KEY);
    let mut runs = Vec::new();
    for entry in rd.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(run) = name.strip_prefix(&prefix) {
            let sources = read_table::<SourceRow>(dataset, run)?;
            let at = sources.iter().map(|s| s.ingested_at_ns).min().unwrap_or(i64::MAX);
            runs.push((at, run.to_string()));
        }
    }
    runs.sort();
    Ok(runs.into_iter().map(|(_, r)| r).collect())
}
