//! A streaming writer for one table's part file that keeps the first write error: parsers hand
//! it rows or column-built batches as they go and learn of a failure once, when the stream ends
//! ([`TableSink::finish`]); what comes after a failure is dropped.

use arrow::record_batch::RecordBatch;
use model::write::TableWriter;
use model::{ModelError, Table};

/// A table writer with the first write error kept.
pub struct TableSink<T: Table> {
    /// The part-file writer.
    pub writer: TableWriter<T>,
    /// First error, reported when the stream ends.
    pub error: Option<ModelError>,
}

impl<T: Table> TableSink<T> {
    /// A sink over `writer`.
    pub fn new(writer: TableWriter<T>) -> Self {
        TableSink { writer, error: None }
    }

    /// Writes one row (after a failure, rows are dropped; the error is reported at the end).
    pub fn push(&mut self, row: T) {
        if self.error.is_none() {
            self.error = self.writer.push(row).err();
        }
    }

    /// Writes a batch built column-wise (after a failure, dropped like rows).
    pub fn write_batch(&mut self, batch: &RecordBatch) {
        if self.error.is_none() {
            self.error = self.writer.write_batch(batch).err();
        }
    }

    /// Finishes the part file: the first error of the stream, or the number of rows written.
    pub fn finish(self) -> Result<usize, ModelError> {
        match self.error {
            Some(e) => Err(e),
            None => self.writer.finish(),
        }
    }
}

impl<T: Table> std::fmt::Debug for TableSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableSink").field("table", &T::NAME).field("rows", &self.writer.rows()).finish()
    }
}
