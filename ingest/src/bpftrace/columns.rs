//! `bpftrace_lines` built column by column as lines are parsed (the streaming path): a line's
//! text and parsed fields go straight into Arrow string builders, with no row struct and no
//! string allocated per line. Input: lines (or rows) in file order. Output: record batches of
//! the `bpftrace_lines` schema, the same rows [`BpftraceLineRow::to_batch`] would make.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use arrow::record_batch::RecordBatch;
use model::tables::bpftrace_lines::BpftraceLineRow;
use model::Table;

use super::fields;

/// Column builders of `bpftrace_lines` for the rows of one batch.
#[derive(Debug)]
pub struct LineColumns {
    source: StringBuilder,
    line: Int64Builder,
    kind: StringBuilder,
    text: StringBuilder,
    fields: StringBuilder,
    ts_ns: Int64Builder,
    rows: usize,
    /// One line's fields, written here and appended whole (cheaper than byte-sized appends).
    scratch: String,
}

impl Default for LineColumns {
    fn default() -> Self {
        Self::with_capacity(0, 0)
    }
}

impl LineColumns {
    /// Builders sized for `rows` rows of about `text_bytes` of text in all.
    fn with_capacity(rows: usize, text_bytes: usize) -> Self {
        Self {
            source: StringBuilder::with_capacity(rows, rows * 16),
            line: Int64Builder::with_capacity(rows),
            kind: StringBuilder::with_capacity(rows, rows * 8),
            text: StringBuilder::with_capacity(rows, text_bytes),
            fields: StringBuilder::with_capacity(rows, text_bytes),
            ts_ns: Int64Builder::with_capacity(rows),
            rows: 0,
            scratch: String::new(),
        }
    }

    /// Rows buffered.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows are buffered.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// A text-mode line: `fields` and `ts_ns` parsed from `text` as [`fields::fields`] and
    /// [`fields::leading_ts_ns`] do.
    pub fn push_text(&mut self, source: &str, line: i64, kind: &str, text: &str) {
        self.source.append_value(source);
        self.line.append_value(line);
        self.kind.append_value(kind);
        self.text.append_value(text);
        self.scratch.clear();
        fields::write_fields(text, &mut self.scratch);
        self.fields.append_value(&self.scratch);
        self.ts_ns.append_option(fields::leading_ts_ns(text));
        self.rows += 1;
    }

    /// A row made elsewhere (JSON mode, histogram leftovers).
    pub fn push_row(&mut self, row: &BpftraceLineRow) {
        self.source.append_value(&row.source);
        self.line.append_value(row.line);
        self.kind.append_value(&row.kind);
        self.text.append_value(&row.text);
        self.fields.append_value(&row.fields);
        self.ts_ns.append_option(row.ts_ns);
        self.rows += 1;
    }

    /// The buffered rows as a record batch; the builders start over, sized like this batch.
    pub fn take_batch(&mut self) -> RecordBatch {
        let next = Self::with_capacity(self.rows, self.text.values_slice().len());
        let mut done = std::mem::replace(self, next);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(done.source.finish()),
            Arc::new(done.line.finish()),
            Arc::new(done.kind.finish()),
            Arc::new(done.text.finish()),
            Arc::new(done.fields.finish()),
            Arc::new(done.ts_ns.finish()),
        ];
        RecordBatch::try_new(BpftraceLineRow::schema(), columns)
            .expect("the builders follow the declared bpftrace_lines columns (tested)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches built column by column equal the row path's, column for column.
    #[test]
    fn columns_equal_rows() {
        let texts = ["ENTER 992150150644 587 netpolldemo -1", "a=1, b=x 3", "", "Attaching 2 probes..."];
        let mut rows = Vec::new();
        let mut cols = LineColumns::default();
        for (i, t) in texts.iter().enumerate() {
            rows.push(BpftraceLineRow {
                source: "s".into(),
                line: i as i64 + 1,
                kind: "printf".into(),
                text: t.to_string(),
                fields: fields::fields(t),
                ts_ns: fields::leading_ts_ns(t),
            });
            cols.push_text("s", i as i64 + 1, "printf", t);
        }
        let extra = BpftraceLineRow { source: "s".into(), line: 9, kind: "raw".into(), ..Default::default() };
        rows.push(extra.clone());
        cols.push_row(&extra);
        assert_eq!(cols.len(), 5);
        assert_eq!(cols.take_batch(), BpftraceLineRow::to_batch(&rows));
        assert!(cols.is_empty());
        assert_eq!(cols.take_batch().num_rows(), 0);
    }
}
