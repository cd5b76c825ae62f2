//! The `table!` macro: declares a table once — its name, schema version, row struct, column
//! names (with units in the doc comments) — and derives the Arrow schema and batch conversions.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::ModelError;

/// A table of the dataset, as declared in `model::tables`.
pub trait Table: Sized + Clone + Send + 'static {
    /// Directory name of the table inside a dataset.
    const NAME: &'static str;
    /// Schema version, written to the Parquet key-value metadata.
    const VERSION: u32;
    /// Column names, in schema order.
    const COLUMNS: &'static [&'static str];
    /// Integer columns stored DELTA_BINARY_PACKED with no dictionary: times, line numbers and
    /// ids that grow through a file (the dataset conventions' advice; smaller and faster to
    /// write than a dictionary that overflows). Every other column is dictionary-encoded.
    const DELTA_COLUMNS: &'static [&'static str] = &[];
    /// Columns written without min/max statistics: values in no order within a file (names,
    /// addresses, process ids), or one value repeated row after row (`source`: a perf.data's
    /// samples, stacks and frames have a part file of their own), whose range would prune no
    /// row group or page, and whose upkeep costs two comparisons per value (of the whole path,
    /// for `source`).
    const NO_STATS_COLUMNS: &'static [&'static str] = &[];
    /// Columns written PLAIN, with no dictionary: values that seldom repeat (a frame's address),
    /// where a dictionary would hash every value only to overflow and fall back to plain pages.
    const NO_DICT_COLUMNS: &'static [&'static str] = &[];
    /// The Arrow schema the table is written with.
    fn schema() -> SchemaRef;
    /// Converts rows into one record batch.
    fn to_batch(rows: &[Self]) -> RecordBatch;
    /// Converts a record batch (columns matched by name, cast to the declared types) into rows.
    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>, ModelError>;
}

/// Declares a table. Each field becomes a column of the same name; its doc comment (with the
/// unit) becomes the column's documentation in the schema metadata and in `DATASET.md`.
#[macro_export]
macro_rules! table {
    (
        $(#[$meta:meta])*
        name = $name:literal, version = $version:literal $(, delta = [$($delta:ident),* $(,)?])?
        $(, no_stats = [$($no_stats:ident),* $(,)?])?
        $(, no_dict = [$($no_dict:ident),* $(,)?])?;
        pub struct $row:ident {
            $( $(#[doc = $doc:literal])* pub $field:ident : $ty:ty, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        pub struct $row {
            $( $(#[doc = $doc])* pub $field: $ty, )+
        }

        /// Column names of this table (use these, never string literals).
        #[allow(non_upper_case_globals)]
        pub mod col {
            $( $(#[doc = $doc])* pub const $field: &str = stringify!($field); )+
        }

        impl $crate::Table for $row {
            const NAME: &'static str = $name;
            const VERSION: u32 = $version;
            const COLUMNS: &'static [&'static str] = &[$( stringify!($field) ),+];
            const DELTA_COLUMNS: &'static [&'static str] = &[$($( {
                // Names a field of the row (and an integer one): a typo does not compile.
                const _: fn(&$row) -> &dyn $crate::table::DeltaColumn = |r| &r.$delta;
                stringify!($delta)
            } ),*)?];
            const NO_STATS_COLUMNS: &'static [&'static str] = &[$($( {
                // Names a field of the row: a typo does not compile.
                const _: fn(&$row) = |r| { let _ = &r.$no_stats; };
                stringify!($no_stats)
            } ),*)?];
            const NO_DICT_COLUMNS: &'static [&'static str] = &[$($( {
                // Names a field of the row: a typo does not compile.
                const _: fn(&$row) = |r| { let _ = &r.$no_dict; };
                stringify!($no_dict)
            } ),*)?];

            fn schema() -> arrow::datatypes::SchemaRef {
                use $crate::column::Column;
                let fields = vec![$(
                    arrow::datatypes::Field::new(
                        stringify!($field),
                        <$ty as Column>::data_type(),
                        <$ty as Column>::nullable(),
                    ).with_metadata(std::collections::HashMap::from([(
                        "doc".to_string(),
                        [$($doc.trim()),*].join(" ").trim().to_string(),
                    )])),
                )+];
                std::sync::Arc::new(arrow::datatypes::Schema::new(fields))
            }

            fn to_batch(rows: &[Self]) -> arrow::record_batch::RecordBatch {
                use $crate::column::Column;
                let columns: Vec<arrow::array::ArrayRef> = vec![$(
                    <$ty as Column>::to_array(rows.iter().map(|r| &r.$field)),
                )+];
                arrow::record_batch::RecordBatch::try_new(Self::schema(), columns)
                    .expect("columns are built from the declared schema")
            }

            fn from_batch(batch: &arrow::record_batch::RecordBatch) -> Result<Vec<Self>, $crate::ModelError> {
                use $crate::column::Column;
                let n = batch.num_rows();
                $(
                    let $field = $crate::table::column_as::<$ty>(batch, stringify!($field), $name)?;
                )+
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    out.push($row { $( $field: <$ty as Column>::read($field.as_ref(), i, stringify!($field))?, )+ });
                }
                Ok(out)
            }
        }
    };
}

/// Column types that can be delta-encoded (`delta = [...]` in [`table!`]): 64-bit integers, and
/// lists of them (their items are).
pub trait DeltaColumn {}
impl DeltaColumn for i64 {}
impl DeltaColumn for Option<i64> {}
impl DeltaColumn for Vec<i64> {}

/// Finds `column` in `batch` and casts it to the type declared for `T` (readers may hand back
/// large or view strings, or unsigned counts from other writers).
#[doc(hidden)]
pub fn column_as<T: crate::column::Column>(
    batch: &RecordBatch,
    column: &str,
    table: &str,
) -> Result<arrow::array::ArrayRef, ModelError> {
    let array = batch
        .column_by_name(column)
        .ok_or_else(|| ModelError::MissingColumn { table: table.to_string(), column: column.to_string() })?;
    arrow::compute::cast(array, &T::data_type()).map_err(|e| ModelError::ColumnType {
        column: column.to_string(),
        found: format!("{} ({e})", array.data_type()),
    })
}

/// Arrow schema of a table, for callers that only know the type.
pub fn schema_of<T: Table>() -> SchemaRef {
    T::schema()
}

/// Whether table `T` has a list column (a row of `perf_stacks` holds a whole stack): readers
/// and writers take such tables in fewer rows at a time.
pub(crate) fn has_list_column<T: Table>() -> bool {
    T::schema().fields().iter().any(|f| matches!(f.data_type(), arrow::datatypes::DataType::List(_)))
}
