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
    /// The staging directory, open and locked (exclusive) while this staging lives: [`recover`]
    /// leaves alone the staging of an ingest that still runs.
    _lock: File,
    /// What [`recover`] did to the dataset before this staging began.
    recovered: Vec<String>,
    /// The dataset's directory was made by this staging (removed again, when empty, if the run
    /// is not committed: a failed first ingest leaves nothing behind).
    new_dataset: bool,
    /// The commit has begun (its mark is written): from then on the staging is only ever
    /// completed, by the commit or by [`recover`], never removed.
    commit_started: bool,
    committed: bool,
}

/// The file that marks a staging directory whose commit has begun; it holds the run's name,
/// the staged tables and the tables whose partition of the run the commit removes, a line each
/// (tables separated by commas).
const COMMIT_MARK: &str = "COMMIT";

/// Where a commit moves the run's previous partitions before it removes them.
const REPLACED: &str = ".replaced";

/// A lock on a whole dataset (`flock` on its directory), held while it lives: exclusive by a
/// commit and by [`recover`], so commits (and recoveries) of a dataset run one at a time, and
/// shared by readers that want every run whole while they read (`report`, `analyze`'s reads).
#[derive(Debug)]
pub struct DatasetLock {
    _dir: File,
}

/// Locks `dataset` (waiting for the current holders): shared or exclusive.
pub fn lock_dataset(dataset: &Path, shared: bool) -> Result<DatasetLock, ModelError> {
    let dir = File::open(dataset).map_err(io_err(dataset))?;
    if shared { dir.lock_shared() } else { dir.lock() }.map_err(io_err(dataset))?;
    Ok(DatasetLock { _dir: dir })
}

/// Completes the commits that an ingest or analysis began and did not finish (the process was
/// killed between two of its renames), and removes the staging of those that ended before their
/// commit; a staging still locked by a running process is left alone. Every command that reads
/// or writes a dataset calls this first, so the dataset it sees holds, for each run, either all
/// of the old tables or all of the new. Returns what it did, one line each, with what it could
/// not remove. (Linux and macOS: a directory is locked through a handle on the directory.)
pub fn recover(dataset: &Path) -> Result<Vec<String>, ModelError> {
    let root = dataset.join(".staging");
    let listed = |root: &Path| match std::fs::read_dir(root) {
        Ok(entries) => Ok(Some(entries)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
        Err(e) => Err(io_err(root)(e)),
    };
    if listed(&root)?.is_none() {
        return Ok(Vec::new());
    }
    // One recovery or commit at a time; listed again under the lock.
    let _lock = lock_dataset(dataset, false)?;
    let Some(entries) = listed(&root)? else { return Ok(Vec::new()) };
    let mut done = Vec::new();
    for entry in entries {
        let dir = entry.map_err(io_err(&root))?.path();
        // The lock first, then the look inside. A staging locked by a running process is either
        // still being written or (its commit failed a moment ago) about to be dropped: commits
        // wait for the dataset's lock, held here, so none is half done.
        let Ok(lock) = File::open(&dir) else { continue };
        if lock.try_lock().is_err() || !dir.is_dir() {
            continue;
        }
        if dir.join(COMMIT_MARK).exists() {
            roll_forward(dataset, &dir)?;
            done.push(format!("completed the interrupted commit staged in {}", dir.display()));
        } else if modified_within(&dir, STAGING_GRACE) {
            // Made in the last seconds: maybe by an ingest between making it and locking it.
            continue;
        } else {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {
                    done.push(format!("removed {}, staged by a process that ended before its commit", dir.display()))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                // Someone else's (another user's), say: it holds no commit, so it changes nothing.
                Err(e) => done.push(format!("could not remove {}, an abandoned staging: {e}", dir.display())),
            }
        }
    }
    let _ = std::fs::remove_dir(&root); // only if empty
    Ok(done)
}

/// Whether `name` can be a table's name in a commit mark: lowercase letters, digits and `_`
/// (a mark read from a dataset never names a path outside it).
fn is_table_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// How long an unlocked staging directory with no commit mark is left alone by [`recover`].
const STAGING_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

fn modified_within(path: &Path, age: std::time::Duration) -> bool {
    let modified = std::fs::metadata(path).and_then(|m| m.modified());
    modified.is_ok_and(|t| t.elapsed().map_or(true, |e| e < age))
}

/// Moves the tables staged in `dir` (whose commit mark is written) into place, replacing the
/// run's previous partitions, removes the partitions the mark lists for removal, then `dir`.
/// Each step can be done again: a commit cut short is finished by running this once more.
fn roll_forward(dataset: &Path, dir: &Path) -> Result<(), ModelError> {
    let mark_path = dir.join(COMMIT_MARK);
    let mark = std::fs::read_to_string(&mark_path).map_err(io_err(&mark_path))?;
    let mut lines = mark.lines();
    let run = lines.next().unwrap_or_default();
    if crate::validate_run_name(run).is_err() {
        let what = format!("commit mark names no valid run ({run:?}); remove {} to drop that ingest", dir.display());
        return Err(io_err(&mark_path)(std::io::Error::new(std::io::ErrorKind::InvalidData, what)));
    }
    let list = |line: Option<&str>| -> Vec<String> {
        line.unwrap_or_default().split(',').filter(|t| !t.is_empty()).map(str::to_string).collect()
    };
    let (tables, also_remove) = (list(lines.next()), list(lines.next()));
    if let Some(bad) = tables.iter().chain(&also_remove).find(|t| !is_table_name(t)) {
        let what = format!("commit mark names `{bad}`, not a table");
        return Err(io_err(&mark_path)(std::io::Error::new(std::io::ErrorKind::InvalidData, what)));
    }
    let old = dir.join(REPLACED);
    for table in &tables {
        let staged = dir.join(table);
        let dest = partition_dir(dataset, table, run);
        // Moved now in one rename when the run is new to the table (its parent was made when the
        // table was staged), or moved already (by the commit this completes).
        match std::fs::rename(&staged, &dest) {
            Ok(()) => continue,
            Err(_) if !staged.exists() => continue,
            Err(_) => {}
        }
        let parent = dest.parent().expect("partition dir has a parent");
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        // A rename cannot replace a directory that holds files: the previous partition is moved
        // aside first.
        if dest.exists() {
            let aside = old.join(table);
            if aside.exists() {
                std::fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
            } else {
                std::fs::create_dir_all(&old).map_err(io_err(&old))?;
                std::fs::rename(&dest, &aside).map_err(io_err(&dest))?;
            }
        }
        std::fs::rename(&staged, &dest).map_err(io_err(&staged))?;
    }
    for table in also_remove.iter().filter(|t| !tables.contains(t)) {
        let dest = partition_dir(dataset, table, run);
        if dest.exists() {
            std::fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
        }
    }
    // Empty after a commit that replaced nothing but its mark: two calls.
    if std::fs::remove_file(&mark_path).is_err() || std::fs::remove_dir(dir).is_err() {
        std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
    }
    let _ = std::fs::remove_dir(dataset.join(".staging")); // only if empty
    Ok(())
}

impl RunStaging {
    /// Starts staging tables of `run` in `dataset` (created if missing).
    pub fn new(dataset: &Path, run: &str) -> Result<Self, ModelError> {
        crate::validate_run_name(run)?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        if dataset.exists() && !dataset.is_dir() {
            return Err(ModelError::NotADataset { path: dataset.to_path_buf() });
        }
        let recovered = recover(dataset)?;
        let new_dataset = !dataset.exists();
        let dir = dataset.join(".staging").join(format!("{run}-{}-{nanos}", std::process::id()));
        // Another process may remove `.staging` (when it finds it empty) between the making of
        // `.staging` and of `dir` in it: made again then.
        let mut made = std::fs::create_dir_all(&dir);
        for _ in 0..3 {
            match &made {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => made = std::fs::create_dir_all(&dir),
                _ => break,
            }
        }
        made.map_err(io_err(&dir))?;
        let lock = File::open(&dir).map_err(io_err(&dir))?;
        lock.lock().map_err(io_err(&dir))?;
        Ok(Self {
            dataset: dataset.to_path_buf(),
            run: run.to_string(),
            dir,
            tables: Default::default(),
            created_parents: Default::default(),
            _lock: lock,
            recovered,
            new_dataset,
            commit_started: false,
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

    /// What [`recover`] did to the dataset before this staging began (commits of killed
    /// processes completed, their stagings removed), one line each.
    pub fn recovered(&self) -> &[String] {
        &self.recovered
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
    /// tables made stale by a re-ingest). Each table is swapped by directory renames, after a
    /// mark that lets [`recover`] finish them should the process die in between.
    pub fn commit(self, also_remove: &[&str]) -> Result<(), ModelError> {
        self.commit_checked(also_remove, || Ok(()))
    }

    /// [`RunStaging::commit`] if `check` passes, run under the dataset's lock: no other commit
    /// can come between the check and this commit (e.g. `analyze` checks that the run it read
    /// was not ingested again meanwhile). A failed check leaves the dataset as it was.
    pub fn commit_checked(
        mut self,
        also_remove: &[&str],
        check: impl FnOnce() -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        let _lock = lock_dataset(&self.dataset, false)?;
        check()?;
        let mut tables = std::mem::take(self.tables.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        tables.sort();
        let mark = format!("{}\n{}\n{}\n", self.run, tables.join(","), also_remove.join(","));
        // Written whole under another name, then renamed: a mark is never seen half written.
        let (tmp, mark_path) = (self.dir.join("COMMIT.tmp"), self.dir.join(COMMIT_MARK));
        std::fs::write(&tmp, mark).map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &mark_path).map_err(io_err(&tmp))?;
        self.commit_started = true;
        roll_forward(&self.dataset, &self.dir)?;
        self.committed = true;
        Ok(())
    }

    fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir(self.dataset.join(".staging")); // only if empty
    }
}

impl Drop for RunStaging {
    fn drop(&mut self) {
        // A commit begun and not finished is left for `recover` to complete.
        if !self.committed && !self.commit_started {
            self.cleanup();
            let parents = self.created_parents.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            for parent in parents.iter() {
                let _ = std::fs::remove_dir(parent); // only if empty
            }
            if self.new_dataset {
                let _ = std::fs::remove_dir(&self.dataset); // only if empty
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
        assert!(!ds.exists(), "a dataset made for a run never committed is removed");
        std::fs::create_dir(&ds).unwrap();
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

    /// A process killed in the middle of a commit (one table moved, one not) leaves a dataset
    /// that `recover` completes: the run then holds all of its new tables and none of its old;
    /// a staging of a process killed before its commit is removed, and the staging of a
    /// process still running is left alone.
    #[test]
    fn recover_completes_a_commit_cut_short_and_removes_abandoned_staging() {
        use crate::tables::safepoints::SafepointRow;
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("ds");
        let pause = |ns| GcPauseRow { duration_ns: ns, ..Default::default() };
        let safepoint = |ns| SafepointRow { total_ns: ns, ..Default::default() };
        let old = super::RunStaging::new(&ds, "a").unwrap();
        old.write::<GcPauseRow>("test", vec![pause(1)]).unwrap();
        old.write::<SafepointRow>("test", vec![safepoint(1)]).unwrap();
        old.commit(&[]).unwrap();

        // The new run is staged, its commit mark written, then the process dies after moving
        // the first table (`gc_pauses`) only.
        let mut new = super::RunStaging::new(&ds, "a").unwrap();
        new.write::<GcPauseRow>("test", vec![pause(2)]).unwrap();
        new.write::<SafepointRow>("test", vec![safepoint(2)]).unwrap();
        let dir = new.dir.clone();
        std::fs::write(dir.join(super::COMMIT_MARK), "a\ngc_pauses,safepoints\ngc_pause_stats\n").unwrap();
        // A stale analysis table of the run, which the commit removes.
        let stale = super::partition_dir(&ds, "gc_pause_stats", "a");
        std::fs::create_dir_all(&stale).unwrap();
        new.commit_started = true;
        drop(new); // releases the lock, removes nothing
        let dest = super::partition_dir(&ds, "gc_pauses", "a");
        std::fs::create_dir_all(dir.join(super::REPLACED)).unwrap();
        std::fs::rename(&dest, dir.join(super::REPLACED).join("gc_pauses")).unwrap();
        std::fs::rename(dir.join("gc_pauses"), &dest).unwrap();
        let pauses = |ds: &std::path::Path| -> Vec<i64> {
            crate::read::read_table::<GcPauseRow>(ds, "a").unwrap().iter().map(|r| r.duration_ns).collect()
        };
        let safepoints = |ds: &std::path::Path| -> Vec<i64> {
            crate::read::read_table::<SafepointRow>(ds, "a").unwrap().iter().map(|r| r.total_ns).collect()
        };
        assert_eq!((pauses(&ds), safepoints(&ds)), (vec![2], vec![1]), "the state a crash leaves: mixed");
        let done = super::recover(&ds).unwrap();
        assert_eq!(done.len(), 1, "{done:?}");
        assert_eq!((pauses(&ds), safepoints(&ds)), (vec![2], vec![2]), "all new after recovery");
        assert!(!dir.exists() && !stale.exists());

        // A staging still locked by a running ingest, and one abandoned long ago before its commit.
        let running = super::RunStaging::new(&ds, "b").unwrap();
        running.write::<GcPauseRow>("test", vec![pause(9)]).unwrap();
        let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        // Old enough that only its lock keeps it.
        std::fs::File::open(&running.dir).unwrap().set_modified(long_ago).unwrap();
        let abandoned = ds.join(".staging").join("c-1-1");
        std::fs::create_dir_all(abandoned.join("gc_pauses")).unwrap();
        std::fs::File::open(&abandoned).unwrap().set_modified(long_ago).unwrap();

        let done = super::recover(&ds).unwrap();
        assert_eq!(done.len(), 1, "{done:?}");
        assert!(!abandoned.exists());
        assert!(running.dir.exists(), "a running ingest's staging stays");
        running.commit(&[]).unwrap();
        let left: Vec<_> = std::fs::read_dir(&ds).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(!left.iter().any(|n| n == ".staging"), "{left:?}");
        // Done again, nothing to do.
        assert!(super::recover(&ds).unwrap().is_empty());

        // A mark that names a path, not a table, is refused (a dataset from elsewhere cannot make
        // recovery move or remove anything outside it).
        let forged = ds.join(".staging").join("d-1-1");
        std::fs::create_dir_all(&forged).unwrap();
        std::fs::write(forged.join(super::COMMIT_MARK), "d\n../../x\n\n").unwrap();
        let err = super::recover(&ds).unwrap_err();
        assert!(err.to_string().contains("not a table"), "{err}");
    }

    /// Ingests of one run at once: their commits go one at a time, so the run ends up all from
    /// one of them (table by table, the last committed wins every table), never mixed; a commit
    /// whose check fails changes nothing.
    #[test]
    fn concurrent_commits_of_one_run_never_mix_and_checks_hold() {
        use crate::tables::safepoints::SafepointRow;
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("ds");
        std::fs::create_dir(&ds).unwrap();
        for round in 0..10 {
            std::thread::scope(|scope| {
                for k in 0..6i64 {
                    let ds = &ds;
                    scope.spawn(move || {
                        let staging = super::RunStaging::new(ds, "s").unwrap();
                        let n = round * 100 + k;
                        staging
                            .write::<GcPauseRow>("test", vec![GcPauseRow { duration_ns: n, ..Default::default() }])
                            .unwrap();
                        staging
                            .write::<SafepointRow>("test", vec![SafepointRow { total_ns: n, ..Default::default() }])
                            .unwrap();
                        staging.commit(&[]).unwrap();
                    });
                }
            });
            let p: Vec<GcPauseRow> = crate::read::read_table(&ds, "s").unwrap();
            let s: Vec<SafepointRow> = crate::read::read_table(&ds, "s").unwrap();
            assert_eq!((p.len(), s.len()), (1, 1));
            assert_eq!(p[0].duration_ns, s[0].total_ns, "round {round}: one commit's tables");
        }
        let before: Vec<GcPauseRow> = crate::read::read_table(&ds, "s").unwrap();
        let staging = super::RunStaging::new(&ds, "s").unwrap();
        staging.write::<GcPauseRow>("test", vec![GcPauseRow { duration_ns: -1, ..Default::default() }]).unwrap();
        let err = staging.commit_checked(&[], || Err(crate::ModelError::RunChanged { run: "s".into() })).unwrap_err();
        assert!(matches!(err, crate::ModelError::RunChanged { .. }));
        let after: Vec<GcPauseRow> = crate::read::read_table(&ds, "s").unwrap();
        assert_eq!(before, after);
        assert!(!ds.join(".staging").exists());
    }

    /// `--out` naming a file, not a directory: a clear error, before anything is written.
    #[test]
    fn a_dataset_path_that_is_a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = super::RunStaging::new(&file, "a").err().unwrap();
        assert!(err.to_string().contains("not a directory"), "{err}");
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
