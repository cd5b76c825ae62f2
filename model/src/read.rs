//! Reading tables back with arrow-rs, batch by batch (report, the perf tables of analyze, tests);
//! analyze reads the others with polars.

use std::path::Path;
use std::sync::mpsc::sync_channel;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::intern::Interner;
use crate::tables::runs::SourceRow;
use crate::write::partition_dir;
use crate::{ModelError, Table};

/// Reads all rows of table `T` for `run`; a missing partition reads as no rows.
pub fn read_table<T: Table>(dataset: &Path, run: &str) -> Result<Vec<T>, ModelError> {
    let files = parquet_files(&partition_dir(dataset, T::NAME, run))?;
    let mut rows = Vec::new();
    for path in files {
        let pq = |source| ModelError::Parquet { path: path.clone(), source };
        let builder = open_checked::<T>(&path, &[])?;
        for batch in builder.build().map_err(pq)? {
            let batch = batch.map_err(|e| ModelError::Parquet { path: path.clone(), source: e.into() })?;
            rows.extend(T::from_batch(&batch)?);
        }
    }
    Ok(rows)
}

/// The Parquet files of a partition directory, sorted; none when it does not exist.
fn parquet_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, ModelError> {
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ModelError::Io { path: dir.to_path_buf(), source }),
    };
    files.sort();
    Ok(files)
}

/// Opens one Parquet file of table `T`, refusing a newer schema version than this build reads;
/// the string columns named in `dict` are read as `Dictionary<Int32, Utf8>`
/// ([`for_each_batch_dict`]).
fn open_checked<T: Table>(
    path: &Path,
    dict: &[&str],
) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, ModelError> {
    use arrow::datatypes::{DataType, Schema};
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    let pq = |source| ModelError::Parquet { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let mut metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(pq)?;
    if let Some(kv) = metadata.metadata().file_metadata().key_value_metadata() {
        if let Some(v) = kv.iter().find(|k| k.key == crate::META_SCHEMA_VERSION).and_then(|k| k.value.clone()) {
            if v.parse::<u32>().map_or(true, |n| n > T::VERSION) {
                return Err(ModelError::SchemaVersion {
                    path: path.to_path_buf(),
                    table: T::NAME.into(),
                    found: v,
                    supported: T::VERSION,
                });
            }
        }
    }
    if !dict.is_empty() {
        let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let fields: Vec<_> = (metadata.schema().fields().iter())
            .map(|f| match f.data_type() {
                DataType::Utf8 if dict.contains(&f.name().as_str()) => {
                    f.as_ref().clone().with_data_type(dictionary.clone())
                }
                _ => f.as_ref().clone(),
            })
            .collect();
        let options = ArrowReaderOptions::new().with_schema(std::sync::Arc::new(Schema::new(fields)));
        metadata = ArrowReaderMetadata::try_new(metadata.metadata().clone(), options).map_err(pq)?;
    }
    Ok(ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata))
}

/// Rows per record batch read: 16Ki, or 4Ki for a table with a list column (a batch of 64Ki
/// stacks of 127 frames would hold 8 M items, and their levels, at once). Batches are decoded
/// ahead of the reader (see [`for_each_batch_dict`]), so a few are in memory at once; smaller
/// ones (these were 64Ki and 8Ki) read the 175 MB bench recording's tables faster and in less
/// memory.
fn batch_rows<T: Table>() -> usize {
    if crate::table::has_list_column::<T>() {
        4 * 1024
    } else {
        16 * 1024
    }
}

/// Hands every record batch of table `T` for `run` to `each`, file by file, without building
/// rows (for tables too large to hold as row structs); a missing partition has no batches.
pub fn for_each_batch<T: Table>(
    dataset: &Path,
    run: &str,
    each: impl FnMut(&arrow::record_batch::RecordBatch) -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    for_each_batch_dict::<T>(dataset, run, &[], each)
}

/// [`for_each_batch`], with the string columns named in `dict` read as
/// `Dictionary<Int32, Utf8>`: a column that repeats a few values over millions of rows (a run's
/// `source`, a sample's `event`) then costs a key per row, not a copy of its text. Read them
/// with [`interned`].
pub fn for_each_batch_dict<T: Table>(
    dataset: &Path,
    run: &str,
    dict: &[&str],
    mut each: impl FnMut(&arrow::record_batch::RecordBatch) -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    let files = parquet_files(&partition_dir(dataset, T::NAME, run))?;
    for path in files {
        let open = || {
            open_checked::<T>(&path, dict)?
                .with_batch_size(batch_rows::<T>())
                .build()
                .map_err(|source| ModelError::Parquet { path: path.clone(), source })
        };
        let batch_err = |e: arrow::error::ArrowError| ModelError::Parquet { path: path.clone(), source: e.into() };
        // Batches are decoded (decompressed, unpacked) on a thread of their own, a few ahead of
        // `each`: the two halves of reading a large table run on two cores.
        let reader = open()?;
        std::thread::scope(|scope| {
            let (tx, rx) = sync_channel(BATCHES_AHEAD);
            let decoder = std::thread::Builder::new().name("decode".into()).spawn_scoped(scope, move || {
                for batch in reader {
                    if tx.send(batch).is_err() {
                        break; // `each` stopped
                    }
                }
            });
            if decoder.is_err() {
                // No thread to be had: decoded here, in turn.
                for batch in open()? {
                    each(&batch.map_err(batch_err)?)?;
                }
                return Ok(());
            }
            for batch in rx {
                each(&batch.map_err(batch_err)?)?;
            }
            Ok::<_, ModelError>(())
        })?;
    }
    Ok(())
}

/// Record batches decoded ahead of the caller of [`for_each_batch_dict`] (memory: a few batches).
const BATCHES_AHEAD: usize = 2;

/// The string column `column` of a batch of `table` as ids of `interner`, one per row (null reads
/// as `""`): a dictionary column ([`for_each_batch_dict`]) interns each dictionary value once, a
/// plain one each row.
pub fn interned(
    b: &arrow::record_batch::RecordBatch,
    table: &str,
    column: &str,
    interner: &mut Interner,
) -> Result<Vec<u32>, ModelError> {
    use arrow::array::{Array, DictionaryArray};
    use arrow::datatypes::Int32Type;
    let c = b
        .column_by_name(column)
        .ok_or_else(|| ModelError::MissingColumn { table: table.into(), column: column.into() })?;
    if let Some(d) = c.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
        let values = crate::column::downcast::<arrow::array::StringArray>(d.values().as_ref(), column)?;
        let ids: Vec<u32> = (0..values.len()).map(|i| interner.id(str_at(values, i))).collect();
        let empty = interner.id("");
        let keys = d.keys();
        return Ok((0..keys.len())
            .map(|i| if keys.is_null(i) { empty } else { ids.get(keys.value(i) as usize).copied().unwrap_or(empty) })
            .collect());
    }
    let strings = crate::column::downcast::<arrow::array::StringArray>(c.as_ref(), column)?;
    Ok((0..strings.len()).map(|i| interner.id(str_at(strings, i))).collect())
}

/// Column `column` of a record batch of `table`, as strings; errors name both.
pub fn str_column<'a>(
    b: &'a arrow::record_batch::RecordBatch,
    table: &str,
    column: &str,
) -> Result<&'a arrow::array::StringArray, ModelError> {
    typed_column(b, table, column)
}

/// Column `column` of a record batch of `table`, as 64-bit integers; errors name both.
pub fn i64_column<'a>(
    b: &'a arrow::record_batch::RecordBatch,
    table: &str,
    column: &str,
) -> Result<&'a arrow::array::Int64Array, ModelError> {
    typed_column(b, table, column)
}

/// Column `column` of a record batch of `table`, a list of 64-bit integers (a stack's frame
/// ids); errors name both.
pub fn i64_lists<'a>(
    b: &'a arrow::record_batch::RecordBatch,
    table: &str,
    column: &str,
) -> Result<I64Lists<'a>, ModelError> {
    use arrow::array::Array;
    let list: &arrow::array::ListArray = typed_column(b, table, column)?;
    let values = crate::column::downcast::<arrow::array::Int64Array>(list.values().as_ref(), column)?;
    let offsets = list.value_offsets();
    // The first row that is null or holds a null item.
    let null_list = list.nulls().and_then(|n| n.iter().position(|valid| !valid));
    let null_item = values.nulls().and_then(|n| n.iter().position(|valid| !valid));
    let null_item = null_item.map(|at| offsets.partition_point(|&o| o as usize <= at) - 1);
    if let Some(row) = null_list.into_iter().chain(null_item).min() {
        return Err(ModelError::NullValue { column: column.to_string(), row });
    }
    Ok(I64Lists { offsets, values: values.values() })
}

/// The rows of a list column of 64-bit integers ([`i64_lists`]).
pub struct I64Lists<'a> {
    offsets: &'a [i32],
    values: &'a [i64],
}

impl I64Lists<'_> {
    /// The items of row `i`.
    pub fn row(&self, i: usize) -> &[i64] {
        &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

/// Row `i` of a string column, `""` when null.
pub fn str_at(a: &arrow::array::StringArray, i: usize) -> &str {
    use arrow::array::Array;
    if a.is_null(i) {
        ""
    } else {
        a.value(i)
    }
}

fn typed_column<'a, A: 'static>(
    b: &'a arrow::record_batch::RecordBatch,
    table: &str,
    column: &str,
) -> Result<&'a A, ModelError> {
    let c = b
        .column_by_name(column)
        .ok_or_else(|| ModelError::MissingColumn { table: table.into(), column: column.into() })?;
    crate::column::downcast::<A>(c.as_ref(), column)
}

/// Rows of table `name` for `run`, from the Parquet footers only; 0 for a missing partition.
pub fn count_rows(dataset: &Path, name: &str, run: &str) -> Result<i64, ModelError> {
    let mut rows = 0;
    for path in parquet_files(&partition_dir(dataset, name, run))? {
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

#[cfg(test)]
mod tests {
    use super::{for_each_batch, for_each_batch_dict, interned};
    use crate::intern::Interner;
    use crate::tables::perf_frames::{col, PerfFrameRow};
    use crate::Table;

    /// A dataset holding `rows` as run `r`'s `perf_frames`.
    fn dataset_of(rows: Vec<PerfFrameRow>) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let stage = crate::write::RunStaging::new(tmp.path(), "r").unwrap();
        stage.write("test", rows).unwrap();
        stage.commit(&[]).unwrap();
        tmp
    }

    /// A column read as a dictionary gives the same ids per row as read plain, nulls as `""`,
    /// and its values are interned once per batch, not once per row.
    #[test]
    fn dictionary_columns_intern_like_plain_ones() {
        let rows: Vec<PerfFrameRow> = (0..1000)
            .map(|i| PerfFrameRow {
                source: ["a.data", "b.data", "a.data"][i % 3].into(),
                frame_id: i as i64 + 1,
                function: format!("f{}", i % 7),
                dso: (i % 5 != 0).then(|| format!("/lib/{}.so", i % 2)),
                address: None,
                kind: "user".into(),
                inlined: false,
            })
            .collect();
        let tmp = dataset_of(rows.clone());
        let read = |dict: &[&str]| {
            let (mut it, mut ids) = (Interner::default(), Vec::new());
            let mut each = |b: &arrow::record_batch::RecordBatch| {
                for c in [col::source, col::dso] {
                    ids.push(interned(b, PerfFrameRow::NAME, c, &mut it)?);
                }
                Ok(())
            };
            if dict.is_empty() {
                for_each_batch::<PerfFrameRow>(tmp.path(), "r", &mut each).unwrap();
            } else {
                for_each_batch_dict::<PerfFrameRow>(tmp.path(), "r", dict, &mut each).unwrap();
            }
            ids.iter().map(|col| col.iter().map(|&i| it.value(i).to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()
        };
        let plain = read(&[]);
        assert_eq!(plain[0], rows.iter().map(|r| r.source.clone()).collect::<Vec<_>>());
        assert_eq!(plain[1], rows.iter().map(|r| r.dso.clone().unwrap_or_default()).collect::<Vec<_>>());
        assert_eq!(read(&[col::source, col::dso]), plain);
        for_each_batch_dict::<PerfFrameRow>(tmp.path(), "r", &[col::source], |b| {
            let is_dict = |c: &str| {
                matches!(b.column_by_name(c).unwrap().data_type(), arrow::datatypes::DataType::Dictionary(..))
            };
            assert!(is_dict(col::source) && !is_dict(col::function));
            Ok(())
        })
        .unwrap();
    }

    /// Batches decoded ahead come in file order, every row once; when `each` fails part way,
    /// its error is returned and the decoding thread stops (no hang, nothing more read).
    #[test]
    fn batches_decoded_ahead_come_in_order_and_stop_with_the_caller() {
        let rows = (0..300_000).map(|i| PerfFrameRow {
            source: "a.data".into(),
            frame_id: i + 1,
            kind: "user".into(),
            ..Default::default()
        });
        let tmp = dataset_of(rows.collect());
        let mut ids = Vec::new();
        for_each_batch::<PerfFrameRow>(tmp.path(), "r", |b| {
            ids.extend(crate::read::i64_column(b, PerfFrameRow::NAME, col::frame_id)?.values().iter().copied());
            Ok(())
        })
        .unwrap();
        assert_eq!(ids, (1..=300_000).collect::<Vec<i64>>());
        let mut batches = 0;
        let stopped = for_each_batch::<PerfFrameRow>(tmp.path(), "r", |_| {
            batches += 1;
            if batches == 2 {
                return Err(crate::ModelError::MissingColumn { table: "t".into(), column: "c".into() });
            }
            Ok(())
        });
        assert!(matches!(stopped, Err(crate::ModelError::MissingColumn { .. })), "{stopped:?}");
        assert_eq!(batches, 2);
    }

    /// A list column's rows read as slices; a null list or a null item is an error naming the
    /// first row that has one.
    #[test]
    fn i64_lists_read_rows_and_name_the_null_row() {
        use std::sync::Arc;

        use arrow::array::{Int64Array, ListArray};
        use arrow::buffer::{NullBuffer, OffsetBuffer};
        use arrow::datatypes::{Field, Schema};
        use arrow::record_batch::RecordBatch;
        let batch = |items: Int64Array, nulls: Option<NullBuffer>| {
            let offsets = OffsetBuffer::from_lengths([2, 0, 1, 2]);
            let item = Arc::new(Field::new_list_field(arrow::datatypes::DataType::Int64, true));
            let list = ListArray::new(item.clone(), offsets, Arc::new(items), nulls);
            let schema = Schema::new(vec![Field::new("l", arrow::datatypes::DataType::List(item), true)]);
            RecordBatch::try_new(Arc::new(schema), vec![Arc::new(list)]).unwrap()
        };
        let ok = batch(Int64Array::from(vec![1, 2, 3, 4, 5]), None);
        let lists = super::i64_lists(&ok, "t", "l").unwrap();
        assert_eq!(
            (lists.row(0), lists.row(1), lists.row(2), lists.row(3)),
            (&[1, 2][..], &[][..], &[3][..], &[4, 5][..])
        );
        let null_item = batch(Int64Array::from(vec![Some(1), Some(2), Some(3), None, Some(5)]), None);
        let null_list =
            batch(Int64Array::from(vec![1, 2, 3, 4, 5]), Some(NullBuffer::from(vec![true, true, false, true])));
        for (b, row) in [(null_item, 3), (null_list, 2)] {
            match super::i64_lists(&b, "t", "l") {
                Err(crate::ModelError::NullValue { row: got, .. }) => assert_eq!(got, row),
                Err(e) => panic!("{e}"),
                Ok(_) => panic!("a null is an error"),
            }
        }
    }
}
