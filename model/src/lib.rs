//! The tracefold dataset contract.
//!
//! A dataset is a directory of Parquet tables, hive-partitioned by run:
//! `<dataset>/<table>/run=<name>/part-0.parquet`. Every table is declared once, in
//! [`tables`], with its columns, their units and its schema version. [`write`] writes tables
//! (ZSTD, dictionary-encoded strings, key-value metadata, temp name + rename) and swaps a run in
//! atomically per table; [`read`] reads them back with arrow-rs.
//!
//! Conventions (chosen so polars, DuckDB and Spark read the files unchanged): every time and
//! duration is a plain signed INT64 of nanoseconds (`*_ns`), sizes are INT64 bytes (`*_bytes`),
//! strings are plain UTF-8 left to Parquet's dictionary encoding, the run is the partition key
//! only (never a column inside the files).

pub mod column;
pub mod doc;
mod encode;
pub mod id_map;
pub mod intern;
pub mod read;
pub mod table;
pub mod tables;
pub mod write;

pub use table::Table;

/// Key of the schema version in each file's key-value metadata.
pub const META_SCHEMA_VERSION: &str = "tracefold.schema_version";
/// Key of the producer (`tracefold <version>`) in each file's key-value metadata.
pub const META_PRODUCER: &str = "tracefold.producer";
/// Key of the table name in each file's key-value metadata.
pub const META_TABLE: &str = "tracefold.table";
/// Key of the run name in each file's key-value metadata.
pub const META_RUN: &str = "tracefold.run";
/// Key of the source formats a file was built from (comma-separated).
pub const META_SOURCE_FORMAT: &str = "tracefold.source_format";
/// The partition key of every table.
pub const RUN_KEY: &str = "run";

/// Producer string written into every file.
pub fn producer() -> String {
    format!("tracefold {}", env!("CARGO_PKG_VERSION"))
}

/// Errors of reading and writing dataset tables.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("column `{column}` has type {found}, not the declared one")]
    ColumnType { column: String, found: String },
    #[error("column `{column}` is null at row {row} but is declared required")]
    NullValue { column: String, row: usize },
    #[error("table `{table}` has no column `{column}`")]
    MissingColumn { table: String, column: String },
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
    #[error("{path}: not a directory; a dataset is a directory of tables (give --out a directory, new or existing)")]
    NotADataset { path: std::path::PathBuf },
    #[error("run `{run}` was ingested again while it was analysed; its analysis was not written (run `tracefold analyze` again)")]
    RunChanged { run: String },
    #[error("{path}: {source}")]
    Parquet { path: std::path::PathBuf, source: parquet::errors::ParquetError },
    #[error("{path}: schema version {found} of table `{table}` is newer than this tracefold reads ({supported})")]
    SchemaVersion { path: std::path::PathBuf, table: String, found: String, supported: u32 },
    #[error("invalid run name {0:?}: use letters, digits, '.', '_' and '-' only")]
    RunName(String),
}

/// Checks that a run name is safe as a directory name and a hive partition value.
pub fn validate_run_name(name: &str) -> Result<(), ModelError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ModelError::RunName(name.to_string()))
    }
}

/// The directory of the package whose tests run: `CARGO_MANIFEST_DIR` as cargo sets it for the
/// test process (the checkout under test), else `compiled` (the package's `env!` value at build
/// time). Tests find their fixtures through it: a test binary built from another checkout of
/// the same sources, and reused by cargo from a shared target directory, has that checkout's
/// path compiled in.
pub fn package_dir(compiled: &str) -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| compiled.into(), std::path::PathBuf::from)
}
