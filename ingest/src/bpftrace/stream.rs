//! Streaming ingest of one bpftrace output into its source's own part files.
//!
//! Input: the output (text or JSON) and the run's staging. Output: `bpftrace_lines` rows, and
//! for a netpoll capture the `epoll_calls`/`epoll_ready` rows paired as the lines are read
//! ([`crate::netpoll::Pairing`]), written to part `part` of each table in batches of
//! [`super::FLUSH_ROWS`] (in the parsing thread: rows are allocated and freed by one thread); map
//! entries, histogram buckets, lost events and the netpoll anchors/problems stay in `out`.
//! Memory is bounded by a few batches, not the capture. A part file is created only for a table
//! that gets rows.

use std::io::BufRead;

use arrow::record_batch::RecordBatch;

use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_ready::EpollReadyRow;
use model::write::{RunStaging, TableWriter};
use model::{ModelError, Table};

use super::{ingest_with, BpftraceOutput};
use crate::gc::SourceCtx;
use crate::netpoll::{NetpollOptions, NetpollOutput, Pairing};
use crate::ReadError;

/// Why a streamed ingest failed.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input.
    Read(ReadError),
    /// Writing a part file.
    Model(ModelError),
}

/// The part files of one source, each created on its first rows; the first error is kept.
struct Parts<'a> {
    staging: &'a RunStaging,
    part: usize,
    format: &'a str,
    lines: Part<BpftraceLineRow>,
    calls: Part<EpollCallRow>,
    ready: Part<EpollReadyRow>,
    error: Option<ModelError>,
}

impl Parts<'_> {
    /// Writes the buffered lines and finished netpoll rows of `out`, leaving their buffers
    /// empty with their capacity (no regrowing a batch-sized `Vec` per batch).
    fn flush(&mut self, out: &mut BpftraceOutput) {
        self.write_columns(out);
        out.flushed_lines += out.lines.len();
        match out.netpoll.as_mut().map(Pairing::rows_mut) {
            Some((calls, ready)) => self.write(&mut out.lines, calls, ready),
            None => self.write(&mut out.lines, &mut Vec::new(), &mut Vec::new()),
        }
    }

    /// Writes the lines built column by column in `out.columns`, if any.
    fn write_columns(&mut self, out: &mut BpftraceOutput) {
        let Some(c) = out.columns.as_mut().filter(|c| !c.is_empty()) else { return };
        out.flushed_lines += c.len();
        let batch = c.take_batch();
        if self.error.is_none() {
            if let Err(e) = self.lines.write_batch(self.staging, self.part, self.format, &batch) {
                self.error = Some(e);
            }
        }
    }

    fn write(
        &mut self,
        lines: &mut Vec<BpftraceLineRow>,
        calls: &mut Vec<EpollCallRow>,
        ready: &mut Vec<EpollReadyRow>,
    ) {
        if self.error.is_some() {
            lines.clear();
            calls.clear();
            ready.clear();
            return;
        }
        let (s, p, f) = (self.staging, self.part, self.format);
        let r = self.lines.extend(s, p, f, lines).and_then(|()| self.calls.extend(s, p, f, calls));
        if let Err(e) = r.and_then(|()| self.ready.extend(s, p, f, ready)) {
            self.error = Some(e);
        }
    }

    fn finish(self) -> Result<(), ModelError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.lines.finish()?;
        self.calls.finish()?;
        self.ready.finish()
    }
}

/// Parses `input` into `out`, streaming rows to part `part` of their tables (see the module
/// docs). Returns the netpoll tables' remainder (anchors, problems; rows already written) when
/// the output is a netpoll capture.
pub fn ingest_to_parts(
    ctx: &SourceCtx,
    input: &mut dyn BufRead,
    out: &mut BpftraceOutput,
    staging: &RunStaging,
    part: usize,
    format: &str,
    opts: NetpollOptions,
) -> Result<Option<NetpollOutput>, StreamError> {
    out.netpoll = Some(Pairing::new(&ctx.source, opts));
    out.columns = Some(Default::default());
    let mut parts = Parts {
        staging,
        part,
        format,
        lines: Part::default(),
        calls: Part::default(),
        ready: Part::default(),
        error: None,
    };
    ingest_with(ctx, input, out, &mut |o| parts.flush(o)).map_err(StreamError::Read)?;
    let mut netpoll = out.netpoll.take().and_then(Pairing::finish);
    parts.write_columns(out);
    out.columns = None;
    out.flushed_lines += out.lines.len();
    match &mut netpoll {
        Some(n) => parts.write(&mut out.lines, &mut n.calls, &mut n.ready),
        None => parts.write(&mut out.lines, &mut Vec::new(), &mut Vec::new()),
    }
    parts.finish().map_err(StreamError::Model)?;
    Ok(netpoll)
}

/// One table's part file, created on its first rows.
struct Part<T: Table> {
    writer: Option<TableWriter<T>>,
}

impl<T: Table> Default for Part<T> {
    fn default() -> Self {
        Part { writer: None }
    }
}

impl<T: Table> Part<T> {
    fn writer(&mut self, staging: &RunStaging, part: usize, fmt: &str) -> Result<&mut TableWriter<T>, ModelError> {
        let w = match self.writer.take() {
            Some(w) => w,
            None => staging.part_writer::<T>(part, fmt)?.in_background(),
        };
        Ok(self.writer.insert(w))
    }

    fn extend(&mut self, staging: &RunStaging, part: usize, fmt: &str, rows: &mut Vec<T>) -> Result<(), ModelError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.writer(staging, part, fmt)?.extend(rows.drain(..))
    }

    fn write_batch(
        &mut self,
        staging: &RunStaging,
        part: usize,
        fmt: &str,
        batch: &RecordBatch,
    ) -> Result<(), ModelError> {
        self.writer(staging, part, fmt)?.write_batch(batch)
    }

    fn finish(self) -> Result<(), ModelError> {
        self.writer.map_or(Ok(()), |w| w.finish().map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpoll::{from_lines, GO_1_27_AMD64};
    use model::read::read_table;

    /// Streaming (part files, incremental pairing, small batches) gives the rows of the
    /// in-memory path: the same lines in file order, and the same calls and ready events; for
    /// text mode (lines built column by column) and JSON mode (rows copied into the columns).
    #[test]
    fn streamed_rows_equal_the_in_memory_rows() {
        for file in ["epoll-bpftrace.txt", "epoll-bpftrace.ndjson"] {
            streamed_rows_equal_the_in_memory_rows_of(file);
        }
    }

    fn streamed_rows_equal_the_in_memory_rows_of(file: &str) {
        let path = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/go-netpoll/run1").join(file);
        let bytes = std::fs::read(&path).unwrap();
        let ctx = SourceCtx { source: "run1.txt".into(), clock_scope: "run1.txt".into() };
        let opts = NetpollOptions { go_layout: Some(GO_1_27_AMD64) };

        let mut mem = BpftraceOutput::default();
        super::super::ingest(&ctx, &mut &bytes[..], &mut mem).unwrap();
        let want = from_lines("run1.txt", &mem.lines, &opts);

        let tmp = tempfile::tempdir().unwrap();
        let staging = RunStaging::new(tmp.path(), "r").unwrap();
        // Small batches, so rows are flushed while pairing is under way.
        let mut out = BpftraceOutput { flush_rows: 500, ..Default::default() };
        let n = ingest_to_parts(&ctx, &mut &bytes[..], &mut out, &staging, 1, "bpftrace", opts).unwrap().unwrap();
        assert!(out.lines.is_empty() && n.calls.is_empty() && n.ready.is_empty(), "all rows streamed");
        assert_eq!(out.flushed_lines, mem.lines.len());
        assert_eq!((n.anchors, n.problems_total), (want.anchors.clone(), 0));
        staging.write::<BpftraceLineRow>("bpftrace", Vec::new()).unwrap();
        staging.write::<EpollCallRow>("bpftrace", Vec::new()).unwrap();
        staging.write::<EpollReadyRow>("bpftrace", Vec::new()).unwrap();
        staging.commit(&[]).unwrap();

        let lines: Vec<BpftraceLineRow> = read_table(tmp.path(), "r").unwrap();
        assert!(lines == mem.lines, "lines differ");
        let mut calls: Vec<EpollCallRow> = read_table(tmp.path(), "r").unwrap();
        calls.sort_by_key(|c| (c.enter_ns, c.tid, c.line));
        assert_eq!(calls.len(), want.calls.len());
        assert!(calls == want.calls, "calls differ");
        let mut ready: Vec<EpollReadyRow> = read_table(tmp.path(), "r").unwrap();
        ready.sort_by_key(|r| (r.ts_ns, r.tid, r.index, r.line));
        assert!(ready == want.ready, "ready rows differ");
    }
}
