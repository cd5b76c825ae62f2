//! Rust field types that a table column may have, and their Arrow mapping.
//!
//! The dataset conventions (see `DATASET.md`) allow only signed 64-bit integers, 64-bit floats,
//! booleans, plain UTF-8 strings, and lists of 64-bit integers (a stack's frame ids). Every time
//! and duration is an `i64` of nanoseconds.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, StringArray, StringBuilder};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field};

use crate::ModelError;

/// A Rust type that maps onto one Parquet/Arrow column.
pub trait Column: Sized {
    /// The Arrow type the column is written with.
    fn data_type() -> DataType;
    /// Whether the column may hold nulls.
    fn nullable() -> bool;
    /// Builds the column from the values of one batch.
    /// (`values` is cloneable so string columns can be sized before they are filled.)
    fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef
    where
        Self: 'a;
    /// Reads row `row` of a column already cast to [`Column::data_type`].
    fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError>;
}

pub(crate) fn downcast<'a, T: 'static>(array: &'a dyn Array, column: &str) -> Result<&'a T, ModelError> {
    array
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| ModelError::ColumnType { column: column.to_string(), found: array.data_type().to_string() })
}

fn null_in_required(column: &str, row: usize) -> ModelError {
    ModelError::NullValue { column: column.to_string(), row }
}

macro_rules! primitive_column {
    ($t:ty, $arr:ty, $dt:expr) => {
        impl Column for $t {
            fn data_type() -> DataType {
                $dt
            }
            fn nullable() -> bool {
                false
            }
            fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
                Arc::new(<$arr>::from_iter_values(values.cloned()))
            }
            fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError> {
                let a = downcast::<$arr>(array, column)?;
                if a.is_null(row) {
                    return Err(null_in_required(column, row));
                }
                Ok(a.value(row))
            }
        }
        impl Column for Option<$t> {
            fn data_type() -> DataType {
                $dt
            }
            fn nullable() -> bool {
                true
            }
            fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
                Arc::new(values.cloned().collect::<$arr>())
            }
            fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError> {
                let a = downcast::<$arr>(array, column)?;
                Ok((!a.is_null(row)).then(|| a.value(row)))
            }
        }
    };
}

primitive_column!(i64, Int64Array, DataType::Int64);
primitive_column!(f64, Float64Array, DataType::Float64);

impl Column for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
    fn nullable() -> bool {
        false
    }
    fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(values.map(|v| Some(*v)).collect::<BooleanArray>())
    }
    fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError> {
        let a = downcast::<BooleanArray>(array, column)?;
        if a.is_null(row) {
            return Err(null_in_required(column, row));
        }
        Ok(a.value(row))
    }
}

impl Column for String {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn nullable() -> bool {
        false
    }
    fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        let bytes = values.clone().map(String::len).sum();
        let mut b = StringBuilder::with_capacity(values.size_hint().0, bytes);
        values.for_each(|v| b.append_value(v));
        Arc::new(b.finish())
    }
    fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError> {
        let a = downcast::<StringArray>(array, column)?;
        if a.is_null(row) {
            return Err(null_in_required(column, row));
        }
        Ok(a.value(row).to_string())
    }
}

impl Column for Option<String> {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn nullable() -> bool {
        true
    }
    fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        let bytes = values.clone().map(|v| v.as_ref().map_or(0, String::len)).sum();
        let mut b = StringBuilder::with_capacity(values.size_hint().0, bytes);
        values.for_each(|v| b.append_option(v.as_deref()));
        Arc::new(b.finish())
    }
    fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError> {
        let a = downcast::<StringArray>(array, column)?;
        Ok((!a.is_null(row)).then(|| a.value(row).to_string()))
    }
}

/// The item field of a list column (non-null 64-bit integers, named `item` as arrow-rs names it).
pub fn list_item() -> Arc<Field> {
    Arc::new(Field::new_list_field(DataType::Int64, false))
}

/// A list column (`LIST<INT64>`, no nulls) from each row's items, e.g. a stack's frame ids.
pub fn i64_list_array<'a, T: Copy + Into<i64> + 'a>(rows: impl Iterator<Item = &'a [T]> + Clone) -> ListArray {
    // Sized first and filled row by row (a flattened iterator has no size to reserve: its
    // vector would grow by doubling, a stack batch's items copied some twenty times).
    let mut items: Vec<i64> = Vec::with_capacity(rows.clone().map(<[T]>::len).sum());
    for row in rows.clone() {
        items.extend(row.iter().map(|&x| x.into()));
    }
    let offsets = OffsetBuffer::from_lengths(rows.map(<[T]>::len));
    ListArray::new(list_item(), offsets, Arc::new(Int64Array::from(items)), None)
}

/// A non-null list of non-null 64-bit integers (`LIST<INT64>`).
impl Column for Vec<i64> {
    fn data_type() -> DataType {
        DataType::List(list_item())
    }
    fn nullable() -> bool {
        false
    }
    fn to_array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(i64_list_array(values.map(Vec::as_slice)))
    }
    fn read(array: &dyn Array, row: usize, column: &str) -> Result<Self, ModelError> {
        let a = downcast::<ListArray>(array, column)?;
        if a.is_null(row) {
            return Err(null_in_required(column, row));
        }
        let items = a.value(row);
        let items = downcast::<Int64Array>(items.as_ref(), column)?;
        if items.null_count() > 0 {
            return Err(null_in_required(column, row));
        }
        Ok(items.values().to_vec())
    }
}
