//! Column-wise batches for the big perf tables, `perf_samples`, `perf_stacks` and `perf_frames`: rows are
//! appended straight into arrow builders (no `String` per row — a large system-wide profile has
//! millions of samples and stack positions, and one allocation per string per row dominated the
//! ingest time), then written as record batches of the tables' own schemas.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, StringBuilder};
use arrow::record_batch::RecordBatch;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::Table;

/// One sample, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct SampleRef<'a> {
    pub source: &'a str,
    pub line: i64,
    pub clock: &'a str,
    pub time_ns: Option<i64>,
    pub comm: &'a str,
    pub pid: Option<i64>,
    pub tid: Option<i64>,
    pub cpu: Option<i64>,
    pub event: &'a str,
    pub period: i64,
    pub stack_id: i64,
}

impl SampleRef<'_> {
    /// The owned row.
    pub fn to_row(&self) -> PerfSampleRow {
        PerfSampleRow {
            source: self.source.to_string(),
            line: self.line,
            clock: self.clock.to_string(),
            time_ns: self.time_ns,
            comm: self.comm.to_string(),
            pid: self.pid,
            tid: self.tid,
            cpu: self.cpu,
            event: self.event.to_string(),
            period: self.period,
            stack_id: self.stack_id,
        }
    }
}

/// `perf_samples` columns being filled.
#[derive(Debug, Default)]
pub struct SampleColumns {
    source: StringBuilder,
    line: Int64Builder,
    clock: StringBuilder,
    time_ns: Int64Builder,
    comm: StringBuilder,
    pid: Int64Builder,
    tid: Int64Builder,
    cpu: Int64Builder,
    event: StringBuilder,
    period: Int64Builder,
    stack_id: Int64Builder,
    rows: usize,
}

impl SampleColumns {
    /// Appends one sample.
    pub fn push(&mut self, s: &SampleRef<'_>) {
        self.source.append_value(s.source);
        self.line.append_value(s.line);
        self.clock.append_value(s.clock);
        self.time_ns.append_option(s.time_ns);
        self.comm.append_value(s.comm);
        self.pid.append_option(s.pid);
        self.tid.append_option(s.tid);
        self.cpu.append_option(s.cpu);
        self.event.append_value(s.event);
        self.period.append_value(s.period);
        self.stack_id.append_value(s.stack_id);
        self.rows += 1;
    }

    /// Rows appended since the last [`SampleColumns::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The pending rows as a batch of `perf_samples`' schema; the builders start over.
    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.source.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.clock.finish()),
            Arc::new(self.time_ns.finish()),
            Arc::new(self.comm.finish()),
            Arc::new(self.pid.finish()),
            Arc::new(self.tid.finish()),
            Arc::new(self.cpu.finish()),
            Arc::new(self.event.finish()),
            Arc::new(self.period.finish()),
            Arc::new(self.stack_id.finish()),
        ];
        RecordBatch::try_new(PerfSampleRow::schema(), columns).expect("columns in the order of perf_samples' schema")
    }
}

/// `perf_stacks` rows of consecutive stacks from id `first` (1-based), as one batch: stack
/// `first + i` has the next `lens[i]` frame ids of `items` (leaf first).
pub fn stack_batch(source: &str, first: usize, items: &[u32], lens: &[usize]) -> RecordBatch {
    let n = lens.len();
    let mut src = StringBuilder::with_capacity(n, n * source.len());
    let mut id = Int64Builder::with_capacity(n);
    for i in 0..n {
        src.append_value(source);
        id.append_value((first + i) as i64);
    }
    // Each row cut from the front of what is left (a clone of the iterator starts over).
    let mut rest = items;
    let rows = lens.iter().map(move |&len| {
        let (row, tail) = rest.split_at(len);
        rest = tail;
        row
    });
    let list = model::column::i64_list_array(rows);
    let columns: Vec<ArrayRef> = vec![Arc::new(src.finish()), Arc::new(id.finish()), Arc::new(list)];
    RecordBatch::try_new(PerfStackRow::schema(), columns).expect("columns in the order of perf_stacks' schema")
}

/// `perf_frames` rows appended column by column (no `String` per cell: a system-wide profile
/// has over a million frames).
pub struct FrameColumns<'a> {
    source: &'a str,
    frame_id: Int64Builder,
    function: StringBuilder,
    dso: StringBuilder,
    address: Int64Builder,
    kind: StringBuilder,
    inlined: BooleanBuilder,
}

impl<'a> FrameColumns<'a> {
    /// Builders for `rows` frames of `source`.
    pub fn new(source: &'a str, rows: usize) -> Self {
        FrameColumns {
            source,
            frame_id: Int64Builder::with_capacity(rows),
            function: StringBuilder::with_capacity(rows, rows * 32),
            dso: StringBuilder::with_capacity(rows, rows * 24),
            address: Int64Builder::with_capacity(rows),
            kind: StringBuilder::with_capacity(rows, rows * 6),
            inlined: BooleanBuilder::with_capacity(rows),
        }
    }

    /// Appends one frame (not inlined).
    pub fn push(&mut self, frame_id: i64, function: &str, dso: &str, address: i64, kind: &str) {
        self.frame_id.append_value(frame_id);
        self.function.append_value(function);
        self.dso.append_value(dso);
        self.address.append_value(address);
        self.kind.append_value(kind);
        self.inlined.append_value(false);
    }

    /// The frames appended, as one batch.
    pub fn finish(mut self) -> RecordBatch {
        let n = arrow::array::ArrayBuilder::len(&self.frame_id);
        let mut source = StringBuilder::with_capacity(n, n * self.source.len());
        (0..n).for_each(|_| source.append_value(self.source));
        // In the order of `PerfFrameRow`'s fields.
        let columns: Vec<ArrayRef> = vec![
            Arc::new(source.finish()),
            Arc::new(self.frame_id.finish()),
            Arc::new(self.function.finish()),
            Arc::new(self.dso.finish()),
            Arc::new(self.address.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.inlined.finish()),
        ];
        RecordBatch::try_new(PerfFrameRow::schema(), columns).expect("columns in the order of perf_frames' schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_read_back_as_the_rows() {
        let s = SampleRef {
            source: "p.data",
            line: 7,
            clock: "monotonic",
            time_ns: Some(5),
            comm: "java",
            pid: Some(1),
            tid: None,
            cpu: Some(0),
            event: "cpu-clock",
            period: 1000,
            stack_id: 3,
        };
        let mut c = SampleColumns::default();
        c.push(&s);
        assert_eq!(PerfSampleRow::from_batch(&c.finish()).unwrap(), vec![s.to_row()]);
        assert!(c.is_empty());
        let rows = PerfStackRow::from_batch(&stack_batch("p.data", 7, &[4, 5, 6], &[2, 1])).unwrap();
        let got: Vec<(i64, Vec<i64>)> = rows.iter().map(|r| (r.stack_id, r.frame_ids.clone())).collect();
        assert_eq!(got, [(7, vec![4, 5]), (8, vec![6])]);
    }
}
