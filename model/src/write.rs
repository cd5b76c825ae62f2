//! Writing tables: streaming Parquet writers with the dataset's writer properties, staged under
//! a temporary directory and swapped into place per table, so a crash or a failed ingest never
//! leaves a half-written table and never changes what was there before.

use std::fs::File;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use crate::encode::Encoder;
use crate::{ModelError, Table};

/// Rows buffered before a record batch is written (memory is bounded by this, not the input).
pub const BATCH_ROWS: usize = 64 * 1024;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io { path: path.to_path_buf(), source }
}

pub(crate) fn parquet_err(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> ModelError + '_ {
    move |source| ModelError::Parquet { path: path.to_path_buf(), source }
}

/// Directory of one run's partition of a table.
pub fn partition_dir(dataset: &Path, table: &str, run: &str) -> PathBuf {
    dataset.join(table).join(format!("{}={run}", crate::RUN_KEY))
}

/// Rows per row group: 1Mi, or 128Ki for a table with a list column (a row of `perf_stacks`
/// holds a whole stack: a row group's encoded pages, held in memory until it is complete, stay
/// some megabytes, and readers get row groups to share out).
fn row_group_rows<T: Table>() -> usize {
    if crate::table::has_list_column::<T>() {
        1 << 17
    } else {
        1 << 20
    }
}

/// Largest dictionary page of a column chunk (Parquet's default is 1 MiB). Past it a column
/// falls back to plain pages for the rest of the row group: every value copied and compressed
/// whole. The distinct function names of a large profile pass 1 MiB (1.4 MB of C++ names in
/// the bench recording's `perf_frames`), and stay far below this.
const DICTIONARY_PAGE_BYTES: usize = 8 << 20;

/// Writer properties every table is written with (see `DATASET.md`).
pub fn writer_properties<T: Table>(run: &str, source_format: &str) -> WriterProperties {
    let kv = vec![
        KeyValue::new(crate::META_SCHEMA_VERSION.to_string(), T::VERSION.to_string()),
        KeyValue::new(crate::META_PRODUCER.to_string(), crate::producer()),
        KeyValue::new(crate::META_TABLE.to_string(), T::NAME.to_string()),
        KeyValue::new(crate::META_RUN.to_string(), run.to_string()),
        KeyValue::new(crate::META_SOURCE_FORMAT.to_string(), source_format.to_string()),
    ];
    let props = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("1 is a valid zstd level")))
        .set_dictionary_enabled(true)
        .set_dictionary_page_size_limit(DICTIONARY_PAGE_BYTES)
        .set_max_row_group_row_count(Some(row_group_rows::<T>()))
        .set_key_value_metadata(Some(kv))
        .set_created_by(crate::producer());
    // Times, line numbers and ids that grow through the file: delta-encoded, with no dictionary
    // (it would overflow after a few thousand distinct values, with every value hashed first).
    let props = T::DELTA_COLUMNS.iter().fold(props, |p, &c| {
        let path = leaf_path::<T>(c);
        p.set_column_dictionary_enabled(path.clone(), false).set_column_encoding(path, Encoding::DELTA_BINARY_PACKED)
    });
    // `no_dict` columns: plain, no dictionary (their values seldom repeat).
    let props =
        T::NO_DICT_COLUMNS.iter().fold(props, |p, &c| p.set_column_dictionary_enabled(leaf_path::<T>(c), false));
    // `no_stats` columns: no min/max statistics (they would prune nothing).
    T::NO_STATS_COLUMNS
        .iter()
        .fold(props, |p, &c| p.set_column_statistics_enabled(leaf_path::<T>(c), EnabledStatistics::None))
        .build()
}

/// The Parquet path of the values of column `column` of `T`: the column itself, or for a list
/// `column.list.<item>` (the list's repeated group and item, as arrow-rs writes them).
fn leaf_path<T: Table>(column: &str) -> ColumnPath {
    let schema = T::schema();
    match schema.field_with_name(column).map(|f| f.data_type()) {
        Ok(arrow::datatypes::DataType::List(item)) => {
            ColumnPath::new(vec![column.to_string(), "list".to_string(), item.name().to_string()])
        }
        _ => ColumnPath::from(column),
    }
}

/// Streams rows of one table into one Parquet file, written under a `.tmp` name and renamed on
/// [`TableWriter::finish`]. Dropping an unfinished writer leaves only the `.tmp` file.
pub struct TableWriter<T: Table> {
    encoder: Encoder,
    buffer: Vec<T>,
    tmp_path: PathBuf,
    path: PathBuf,
    rows: usize,
    _table: PhantomData<T>,
}

impl<T: Table> TableWriter<T> {
    /// Creates `dir/part-<part>.parquet` (via a `.tmp` name).
    pub fn create(dir: &Path, part: usize, run: &str, source_format: &str) -> Result<Self, ModelError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(format!("part-{part}.parquet"));
        let tmp_path = dir.join(format!("part-{part}.parquet.tmp"));
        let file = File::create(&tmp_path).map_err(io_err(&tmp_path))?;
        let props = writer_properties::<T>(run, source_format);
        let writer = ArrowWriter::try_new(file, T::schema(), Some(props)).map_err(parquet_err(&tmp_path))?;
        Ok(Self {
            encoder: Encoder::Inline(Box::new(writer)),
            buffer: Vec::new(),
            tmp_path,
            path,
            rows: 0,
            _table: PhantomData,
        })
    }

    /// Encodes on a thread of its own from now on: batches are built in the caller's thread
    /// and encoded beside it (the file is the same). For tables streamed while a parser runs.
    pub fn in_background(mut self) -> Self {
        self.encoder = self.encoder.into_thread(&self.tmp_path);
        self
    }

    /// Adds one row; writes a batch when [`BATCH_ROWS`] are buffered.
    pub fn push(&mut self, row: T) -> Result<(), ModelError> {
        self.buffer.push(row);
        self.rows += 1;
        if self.buffer.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds many rows.
    pub fn extend(&mut self, rows: impl IntoIterator<Item = T>) -> Result<(), ModelError> {
        for row in rows {
            self.push(row)?;
        }
        Ok(())
    }

    /// Writes rows held elsewhere, [`BATCH_ROWS`] a batch, straight from the slice: no copy of
    /// the rows into this writer's buffer (for tables whose rows are all in memory already).
    pub fn write_rows(&mut self, rows: &[T]) -> Result<(), ModelError> {
        self.flush()?;
        for chunk in rows.chunks(BATCH_ROWS) {
            self.rows += chunk.len();
            self.encoder.write(T::to_batch(chunk), &self.tmp_path)?;
        }
        Ok(())
    }

    /// Writes a record batch of the table as built elsewhere (e.g. column by column, without a
    /// row struct per row); it must have the table's schema. Buffered rows are written first.
    pub fn write_batch(&mut self, batch: &arrow::record_batch::RecordBatch) -> Result<(), ModelError> {
        self.flush()?;
        self.rows += batch.num_rows();
        self.encoder.write(batch.clone(), &self.tmp_path)
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn flush(&mut self) -> Result<(), ModelError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let batch = T::to_batch(&self.buffer);
        self.buffer.clear();
        self.encoder.write(batch, &self.tmp_path)
    }

    /// Writes the footer and renames the file to its final name. Returns the number of rows.
    pub fn finish(mut self) -> Result<usize, ModelError> {
        self.flush()?;
        let tmp = self.tmp_path.clone();
        self.encoder.close(&tmp)?;
        std::fs::rename(&tmp, &self.path).map_err(io_err(&tmp))?;
        Ok(self.rows)
    }
}

/// A run's tables being written: everything goes to `<dataset>/.staging/<unique>/` and is moved
/// into `<dataset>/<table>/run=<name>/` by [`RunStaging::commit`]. Dropping without commit
/// removes the staging directory and leaves the dataset as it was.
pub struct RunStaging {
    dataset: PathBuf,
    run: String,
    dir: PathBuf,
    /// Tables staged so far (writers may open from several threads).
    tables: std::sync::Mutex<Vec<String>>,
    /// Table directories of the dataset (`<dataset>/<table>`) this staging created, made as
    /// each table is staged so that the commit only renames; removed again (when still empty)
    /// if the run is never committed.
    created_parents: std::sync::Mutex<Vec<PathBuf>>,
    committed: bool,
}

impl RunStaging {
    /// Starts staging tables of `run` in `dataset` (created if missing).
    pub fn new(dataset: &Path, run: &str) -> Result<Self, ModelError> {
        crate::validate_run_name(run)?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = dataset.join(".staging").join(format!("{run}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(Self {
            dataset: dataset.to_path_buf(),
            run: run.to_string(),
            dir,
            tables: Default::default(),
            created_parents: Default::default(),
            committed: false,
        })
    }

    /// Where table `table` of the run is staged: `<staging>/<table>`, renamed to
    /// `<dataset>/<table>/run=<name>` on commit (one directory per table, not two).
    fn staged_dir(&self, table: &str) -> PathBuf {
        self.dir.join(table)
    }

    /// The run's name.
    pub fn run(&self) -> &str {
        &self.run
    }

    /// Opens a streaming writer for table `T` of this run.
    pub fn writer<T: Table>(&self, source_format: &str) -> Result<TableWriter<T>, ModelError> {
        let first = {
            let mut tables = self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let first = !tables.iter().any(|t| t == T::NAME);
            if first {
                tables.push(T::NAME.to_string());
            }
            first
        };
        if first {
            self.make_parent(T::NAME)?;
        }
        TableWriter::create(&self.staged_dir(T::NAME), 0, &self.run, source_format)
    }

    /// Makes the dataset's directory of `table` (the parent of the run's partition) unless it
    /// exists, and remembers it for removal if the run is not committed.
    fn make_parent(&self, table: &str) -> Result<(), ModelError> {
        let dest = partition_dir(&self.dataset, table, &self.run);
        let parent = dest.parent().expect("partition dir has a parent").to_path_buf();
        match std::fs::create_dir(&parent) {
            Ok(()) => {
                self.created_parents.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(parent);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io_err(&parent)(e)),
        }
    }

    /// A writer for part `part` of table `T` (parts > 0 let sources stream their rows in
    /// parallel; part 0 is [`RunStaging::writer`]'s). The table must also get a part-0 writer
    /// (or be registered by one) to be moved into place on commit.
    pub fn part_writer<T: Table>(&self, part: usize, source_format: &str) -> Result<TableWriter<T>, ModelError> {
        TableWriter::create(&self.staged_dir(T::NAME), part, &self.run, source_format)
    }

    /// Writes all rows of table `T` of this run.
    pub fn write<T: Table>(&self, source_format: &str, rows: impl IntoIterator<Item = T>) -> Result<usize, ModelError> {
        // Collected in place when `rows` is a vector's `into_iter` (the usual case): the rows
        // are encoded from where they lie, not moved into the writer's buffer first.
        let rows: Vec<T> = rows.into_iter().collect();
        let mut w = self.writer::<T>(source_format)?;
        w.write_rows(&rows)?;
        w.finish()
    }

    /// Moves every staged table into place, replacing the run's previous partition of it, and
    /// removes the run's partitions of `also_remove` tables that were not staged (e.g. analysis
    /// tables made stale by a re-ingest). Each table is swapped by directory renames.
    pub fn commit(mut self, also_remove: &[&str]) -> Result<(), ModelError> {
        let old = self.dir.join(".replaced");
        let mut tables = std::mem::take(self.tables.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        tables.sort();
        for table in &tables {
            let staged = self.staged_dir(table);
            let dest = partition_dir(&self.dataset, table, &self.run);
            // One rename when the run is new to the table (the parent was made when the table
            // was staged); a rename cannot replace a directory that holds files, so a previous
            // partition is moved aside first.
            if std::fs::rename(&staged, &dest).is_ok() {
                continue;
            }
            let parent = dest.parent().expect("partition dir has a parent");
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
            if dest.exists() {
                let aside = old.join(table);
                std::fs::create_dir_all(&old).map_err(io_err(&old))?;
                std::fs::rename(&dest, &aside).map_err(io_err(&dest))?;
            }
            std::fs::rename(&staged, &dest).map_err(io_err(&staged))?;
        }
        for table in also_remove {
            if tables.iter().any(|t| t == table) {
                continue;
            }
            let dest = partition_dir(&self.dataset, table, &self.run);
            if dest.exists() {
                std::fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
            }
        }
        self.committed = true;
        self.cleanup();
        Ok(())
    }

    fn cleanup(&self) {
        // Empty after a commit that replaced nothing: one call.
        if std::fs::remove_dir(&self.dir).is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let staging_root = self.dataset.join(".staging");
        let _ = std::fs::remove_dir(&staging_root); // only if empty
    }
}

impl Drop for RunStaging {
    fn drop(&mut self) {
        if !self.committed {
            self.cleanup();
            let parents = self.created_parents.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            for parent in parents.iter() {
                let _ = std::fs::remove_dir(parent); // only if empty
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use parquet::basic::Encoding;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::TableWriter;
    use crate::tables::gc_pauses::GcPauseRow;
    use crate::Table;

    /// A run staged and dropped without a commit leaves the dataset as it was, with no table
    /// directory made for it; a table directory holding another run stays; a commit over a
    /// run's previous partition replaces it.
    #[test]
    fn staging_dropped_leaves_no_directories_and_commits_replace() {
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("ds");
        let pause = |ns| GcPauseRow { duration_ns: ns, ..Default::default() };
        let stage = |run: &str, rows: Vec<GcPauseRow>| {
            let staging = super::RunStaging::new(&ds, run).unwrap();
            staging.write::<GcPauseRow>("test", rows).unwrap();
            assert!(ds.join("gc_pauses").is_dir(), "made when the table is staged");
            staging
        };
        drop(stage("a", vec![pause(1)]));
        let left: Vec<_> = std::fs::read_dir(&ds).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        stage("a", vec![pause(1)]).commit(&[]).unwrap();
        drop(stage("b", vec![pause(2)]));
        assert!(!super::partition_dir(&ds, "gc_pauses", "b").exists());
        stage("a", vec![pause(3), pause(4)]).commit(&[]).unwrap();
        let rows: Vec<GcPauseRow> = crate::read::read_table(&ds, "a").unwrap();
        assert_eq!(rows.iter().map(|r| r.duration_ns).collect::<Vec<_>>(), [3, 4]);
        let left: Vec<_> = std::fs::read_dir(&ds).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["gc_pauses"], "no staging left");
    }

    /// Writes `rows` as part 0 of table `T` for run `r` of `dataset`; a reader of the file.
    fn write_part<T: Table>(dataset: &std::path::Path, rows: &[T]) -> SerializedFileReader<std::fs::File> {
        let dir = super::partition_dir(dataset, T::NAME, "r");
        let mut w = TableWriter::<T>::create(&dir, 0, "r", "test").unwrap();
        w.write_rows(rows).unwrap();
        assert_eq!(w.finish().unwrap(), rows.len());
        SerializedFileReader::new(std::fs::File::open(dir.join("part-0.parquet")).unwrap()).unwrap()
    }

    /// The columns a table declares `delta` are DELTA_BINARY_PACKED with no dictionary page;
    /// the others are dictionary-encoded; the rows read back as written (rows written from a
    /// slice, several batches).
    #[test]
    fn delta_columns_are_delta_encoded_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let rows: Vec<GcPauseRow> = (0..70_000)
            .map(|i| GcPauseRow {
                source: "gc.log".into(),
                line: 3 * i + 1,
                gc_id: Some(i / 2),
                start_ns: Some(1_000_000 * i),
                duration_ns: (i * 7919) % 100_000,
                ..Default::default()
            })
            .collect();
        let reader = write_part(tmp.path(), &rows);
        let group = reader.metadata().row_group(0);
        let mut checked = 0;
        for c in group.columns() {
            let name = c.column_path().string();
            let delta = GcPauseRow::DELTA_COLUMNS.contains(&name.as_str());
            let encodings = c.encodings().collect::<Vec<_>>();
            assert_eq!(encodings.contains(&Encoding::DELTA_BINARY_PACKED), delta, "{name}: {encodings:?}");
            assert_eq!(c.dictionary_page_offset().is_none(), delta, "{name}: dictionary page");
            checked += usize::from(delta);
        }
        assert_eq!(checked, GcPauseRow::DELTA_COLUMNS.len());
        let back = crate::read::read_table::<GcPauseRow>(tmp.path(), "r").unwrap();
        assert!(back == rows, "rows differ after the round trip");
    }

    /// A frame of `perf.data` (not inlined).
    fn frame(
        id: i64,
        function: String,
        dso: &str,
        address: i64,
        kind: &str,
    ) -> crate::tables::perf_frames::PerfFrameRow {
        crate::tables::perf_frames::PerfFrameRow {
            source: "perf.data".into(),
            frame_id: id,
            function,
            dso: Some(dso.into()),
            address: Some(address),
            kind: kind.into(),
            inlined: false,
        }
    }

    /// The columns a table declares `no_stats` are written without statistics; the others
    /// keep their min/max (a row group of frames: ids 1..=N, one source).
    #[test]
    fn no_stats_columns_have_no_statistics() {
        use crate::tables::perf_frames::PerfFrameRow;
        let tmp = tempfile::tempdir().unwrap();
        let rows: Vec<PerfFrameRow> = (1..=3_000)
            .map(|i| {
                let (dso, kind) = [("/bin/a", "user"), ("[kernel.kallsyms]", "kernel")][i as usize % 2];
                frame(i, format!("f{}", (i * 7919) % 1000), dso, (i * 104_729) % 65_536, kind)
            })
            .collect();
        let reader = write_part(tmp.path(), &rows);
        let group = reader.metadata().row_group(0);
        assert!(!PerfFrameRow::NO_STATS_COLUMNS.is_empty());
        for c in group.columns() {
            let name = c.column_path().string();
            let no_stats = PerfFrameRow::NO_STATS_COLUMNS.contains(&name.as_str());
            assert_eq!(c.statistics().is_none(), no_stats, "{name}: statistics");
        }
        let ids = group.columns().iter().find(|c| c.column_path().string() == "frame_id").unwrap();
        let stats = ids.statistics().unwrap();
        assert_eq!(
            (stats.min_bytes_opt(), stats.max_bytes_opt()),
            (Some(&1i64.to_le_bytes()[..]), Some(&3000i64.to_le_bytes()[..]))
        );
    }

    /// A `no_dict` column (a frame's address) is plain, with no dictionary page; a string column
    /// whose distinct values pass Parquet's default dictionary page of 1 MiB (2.4 MB of names
    /// here) stays dictionary-encoded in every data page, not plain for the rest of the group.
    #[test]
    fn no_dict_columns_are_plain_and_large_dictionaries_hold() {
        use parquet::column::page::Page;

        use crate::tables::perf_frames::PerfFrameRow;
        let tmp = tempfile::tempdir().unwrap();
        let rows: Vec<PerfFrameRow> = (1..=30_000)
            .map(|i| frame(i, format!("{}::{i:0>70}", ["std", "core"][i as usize % 2]), "/bin/a", i * 104_729, "user"))
            .collect();
        let distinct: usize = rows.iter().map(|r| r.function.len()).sum();
        assert!(distinct > 2 << 20, "{distinct} bytes of distinct names");
        let reader = write_part(tmp.path(), &rows);
        let group = reader.get_row_group(0).unwrap();
        let column = |name: &str| {
            let i = group.metadata().columns().iter().position(|c| c.column_path().string() == name).unwrap();
            let mut pages = group.get_column_page_reader(i).unwrap();
            let (mut dictionary, mut data) = (0, Vec::new());
            while let Some(page) = pages.get_next_page().unwrap() {
                match page {
                    Page::DictionaryPage { .. } => dictionary += 1,
                    other => data.push(other.encoding()),
                }
            }
            (dictionary, data)
        };
        assert_eq!(PerfFrameRow::NO_DICT_COLUMNS, ["address"]);
        let (dictionary, data) = column("address");
        assert!(dictionary == 0 && data.iter().all(|&e| e == Encoding::PLAIN), "address: {data:?}");
        let (dictionary, data) = column("function");
        assert_eq!(dictionary, 1);
        assert!(data.len() > 1 && data.iter().all(|&e| e == Encoding::RLE_DICTIONARY), "function: {data:?}");
        assert!(crate::read::read_table::<PerfFrameRow>(tmp.path(), "r").unwrap() == rows);
    }

    /// A list column (a stack's frame ids) is delta-encoded item by item under its Parquet leaf
    /// path, and empty and long lists read back as written.
    #[test]
    fn list_columns_are_delta_encoded_and_read_back() {
        use crate::tables::perf_stacks::PerfStackRow;
        let tmp = tempfile::tempdir().unwrap();
        let rows: Vec<PerfStackRow> = (0..5_000)
            .map(|i| PerfStackRow {
                source: "perf.data".into(),
                stack_id: i + 1,
                frame_ids: (0..i % 130).map(|k| (k * 7919 + i) % 100_000 - 50).collect(),
            })
            .collect();
        let reader = write_part(tmp.path(), &rows);
        let leaf = reader
            .metadata()
            .row_group(0)
            .columns()
            .iter()
            .find(|c| c.column_path().string().starts_with("frame_ids."));
        let leaf = leaf.expect("a frame_ids leaf column");
        assert_eq!(leaf.column_path().string(), super::leaf_path::<PerfStackRow>("frame_ids").string());
        assert!(
            leaf.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED) && leaf.dictionary_page_offset().is_none()
        );
        assert!(crate::read::read_table::<PerfStackRow>(tmp.path(), "r").unwrap() == rows);
    }
}
