//! `cgroup_samples` built column by column for the streaming path: a value costs a few byte
//! copies into growing buffers, never a heap allocation per row (a day of 1 s samples of 50
//! cgroups is hundreds of millions of values). The batch is exactly what
//! `CgroupSampleRow::to_batch` makes of the same rows (see the test below).

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::record_batch::RecordBatch;
use model::tables::cgroup_samples::CgroupSampleRow;
use model::Table;

use super::parse::Num;

/// One value as the emitter sees it, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowRef<'a> {
    pub source: &'a str,
    pub line: i64,
    pub clock: &'a str,
    pub time_ns: Option<i64>,
    pub host: Option<&'a str>,
    pub hierarchy: &'a str,
    pub cgroup: &'a str,
    pub file: &'a str,
    pub key: &'a str,
    pub num: Num,
    pub raw: &'a str,
    pub unit: &'a str,
}

impl RowRef<'_> {
    fn value_i64(&self) -> Option<i64> {
        match self.num {
            Num::Int(i) => Some(i),
            _ => None,
        }
    }

    fn value_f64(&self) -> Option<f64> {
        match self.num {
            Num::Float(f) => Some(f),
            _ => None,
        }
    }

    fn unlimited(&self) -> bool {
        self.num == Num::Unlimited
    }

    /// The owned row.
    pub fn to_row(self) -> CgroupSampleRow {
        CgroupSampleRow {
            source: self.source.to_string(),
            line: self.line,
            clock: self.clock.to_string(),
            time_ns: self.time_ns,
            host: self.host.map(str::to_string),
            hierarchy: self.hierarchy.to_string(),
            cgroup: self.cgroup.to_string(),
            file: self.file.to_string(),
            key: self.key.to_string(),
            value_i64: self.value_i64(),
            value_f64: self.value_f64(),
            unlimited: self.unlimited(),
            raw: self.raw.to_string(),
            unit: self.unit.to_string(),
        }
    }
}

/// A UTF-8 column: bytes and end offsets (the first offset, 0, is added when built).
#[derive(Debug, Default)]
struct Strs {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Strs {
    fn push(&mut self, s: &str) {
        self.data.extend_from_slice(s.as_bytes());
        self.ends.push(self.data.len());
    }

    fn truncate(&mut self, rows: usize) {
        if rows < self.ends.len() {
            self.ends.truncate(rows);
            self.data.truncate(self.ends.last().copied().unwrap_or(0));
        }
    }

    fn take(&mut self, nulls: Option<NullBuffer>) -> ArrayRef {
        // The next batch is about as large: no regrowth.
        let ends = renew(&mut self.ends);
        let data = renew(&mut self.data);
        let offsets: Vec<i32> = std::iter::once(0)
            .chain(ends.iter().map(|&e| i32::try_from(e).expect("a batch's strings stay below 2 GiB")))
            .collect();
        Arc::new(StringArray::new(OffsetBuffer::new(ScalarBuffer::from(offsets)), Buffer::from_vec(data), nulls))
    }
}

/// Takes the values of `v`, leaving it empty with room for a few more.
fn renew<T>(v: &mut Vec<T>) -> Vec<T> {
    // Batches end at sample boundaries, so the next one may be a little larger.
    let room = Vec::with_capacity(v.len() + v.len() / 8);
    std::mem::replace(v, room)
}

/// Values not yet written, as columns.
#[derive(Debug, Default)]
pub(crate) struct SampleColumns {
    source: Strs,
    line: Vec<i64>,
    clock: Strs,
    time_ns: Vec<Option<i64>>,
    host: Strs,
    host_valid: Vec<bool>,
    hierarchy: Strs,
    cgroup: Strs,
    file: Strs,
    key: Strs,
    value_i64: Vec<Option<i64>>,
    value_f64: Vec<Option<f64>>,
    unlimited: Vec<bool>,
    raw: Strs,
    unit: Strs,
}

impl SampleColumns {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.line.len()
    }

    /// Bytes of string data held (a batch must stay below 2 GiB of any column).
    pub fn string_bytes(&self) -> usize {
        self.raw.data.len().max(self.source.data.len()).max(self.cgroup.data.len()).max(self.key.data.len())
    }

    pub fn push(&mut self, r: &RowRef<'_>) {
        self.source.push(r.source);
        self.line.push(r.line);
        self.clock.push(r.clock);
        self.time_ns.push(r.time_ns);
        self.host.push(r.host.unwrap_or(""));
        self.host_valid.push(r.host.is_some());
        self.hierarchy.push(r.hierarchy);
        self.cgroup.push(r.cgroup);
        self.file.push(r.file);
        self.key.push(r.key);
        self.value_i64.push(r.value_i64());
        self.value_f64.push(r.value_f64());
        self.unlimited.push(r.unlimited());
        self.raw.push(r.raw);
        self.unit.push(r.unit);
    }

    /// Drops the rows after the first `rows`.
    pub fn truncate(&mut self, rows: usize) {
        for s in [
            &mut self.source,
            &mut self.clock,
            &mut self.host,
            &mut self.hierarchy,
            &mut self.cgroup,
            &mut self.file,
            &mut self.key,
            &mut self.raw,
            &mut self.unit,
        ] {
            s.truncate(rows);
        }
        self.line.truncate(rows);
        self.time_ns.truncate(rows);
        self.host_valid.truncate(rows);
        self.value_i64.truncate(rows);
        self.value_f64.truncate(rows);
        self.unlimited.truncate(rows);
    }

    /// The rows held as one record batch of `cgroup_samples` (in the schema's column order);
    /// leaves the columns empty.
    pub fn take_batch(&mut self) -> RecordBatch {
        let host_valid = renew(&mut self.host_valid);
        let host_nulls = (!host_valid.iter().all(|v| *v)).then(|| NullBuffer::from(host_valid));
        let columns: Vec<ArrayRef> = vec![
            self.source.take(None),
            Arc::new(Int64Array::from(renew(&mut self.line))),
            self.clock.take(None),
            Arc::new(Int64Array::from(renew(&mut self.time_ns))),
            self.host.take(host_nulls),
            self.hierarchy.take(None),
            self.cgroup.take(None),
            self.file.take(None),
            self.key.take(None),
            Arc::new(Int64Array::from(renew(&mut self.value_i64))),
            Arc::new(Float64Array::from(renew(&mut self.value_f64))),
            Arc::new(BooleanArray::from(renew(&mut self.unlimited))),
            self.raw.take(None),
            self.unit.take(None),
        ];
        RecordBatch::try_new(CgroupSampleRow::schema(), columns).expect("columns follow the cgroup_samples schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_batch_as_rows() {
        let refs = [
            RowRef {
                source: "s",
                line: 1,
                clock: "wall",
                time_ns: Some(5),
                host: Some("h"),
                hierarchy: "v2",
                cgroup: "/a",
                file: "cpu.max",
                key: "max",
                num: Num::Unlimited,
                raw: "max",
                unit: "us",
            },
            RowRef {
                source: "s",
                line: 2,
                clock: "wall",
                time_ns: None,
                host: None,
                hierarchy: "v1:cpu",
                cgroup: "/",
                file: "cpu.pressure",
                key: "some.avg10",
                num: Num::Float(1.5),
                raw: "1.50",
                unit: "pct",
            },
            RowRef {
                source: "s",
                line: 3,
                clock: "wall",
                time_ns: Some(7),
                host: None,
                hierarchy: "v2",
                cgroup: "/b",
                file: "cpu.stat",
                key: "nr_periods",
                num: Num::Int(-3),
                raw: "-3",
                unit: "count",
            },
        ];
        let mut cols = SampleColumns::default();
        for r in &refs {
            cols.push(r);
        }
        let extra = RowRef { key: "dropped", ..refs[0] };
        cols.push(&extra);
        cols.truncate(3);
        assert_eq!(cols.len(), 3);
        let rows: Vec<CgroupSampleRow> = refs.iter().map(|r| r.to_row()).collect();
        assert_eq!(cols.take_batch(), CgroupSampleRow::to_batch(&rows));
        assert_eq!(cols.len(), 0);
        cols.push(&refs[0]);
        assert_eq!(cols.take_batch(), CgroupSampleRow::to_batch(&rows[..1]));
    }
}
