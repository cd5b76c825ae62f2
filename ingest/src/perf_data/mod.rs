//! Binary `perf.data` (linux-perf-data 0.13) → `perf_samples`, `perf_stacks`, `perf_frames`
//! (the same tables as the `perf script` text parser, so analysis and report work unchanged),
//! plus `perf_threads`, `perf_meta` and `lost_events`.
//!
//! Input: a file-mode perf.data (`PERFILE2`, 104-byte header) or a pipe-mode one (`perf record
//! -o -`, 16-byte header), zstd-compressed records (`-z`) included (decompressed by the crate).
//! Records come out of linux-perf-data sorted by time, read and parsed ahead on a thread of
//! their own ([`records`]), which also keeps the per-process executable mappings of MMAP /
//! MMAP2 / FORK records ([`maps`]) and turns each sample's frame-pointer callchain, split at the
//! `PERF_CONTEXT_*` markers, into raw frame ids ([`callchain`]). The records are replayed in
//! that order on the calling thread: COMM / FORK / EXIT keep thread names ([`threads`]), each
//! SAMPLE becomes a `perf_samples` row (event = the attr's name, `clock` = `monotonic` for
//! `-k CLOCK_MONOTONIC` recordings, else `perf`; `line` = 1-based ordinal of the record in that
//! order; `cpu` null without `PERF_SAMPLE_CPU`) whose raw frame ids become frame ids and a stack
//! ([`stacks`], kept packed: [`packed`]). LOST / LOST_SAMPLES records become `lost_events` rows
//! and a note. Samples are streamed to their own part file in 4Ki-row batches, encoded on a
//! thread of their own (memory does not grow with the number of samples); frames are
//! symbolized once each, in parallel, at the end ([`symbols`], through
//! [`crate::symbolize::Symbolizer`]), while the stacks are written. Every record is accounted for
//! (parsed, or skipped with a reason per record type). A file cut short keeps the records
//! before the cut ([`open`]) with a note; damage before the first record is an error naming the
//! byte offset. `--call-graph dwarf` user stacks (x86_64) are unwound with framehop ([`dwarf`]).

pub mod callchain;
pub mod columns;
pub mod dwarf;
pub mod maps;
pub mod meta;
pub mod open;
pub mod packed;
pub mod reader;
pub mod records;
pub mod sample_fields;
pub mod stacks;
pub mod symbols;
pub mod threads;

use std::path::Path;

use model::tables::lost_events::LostEventsRow;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_meta::PerfMetaRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::tables::perf_threads::PerfThreadRow;

use crate::account::LineAccount;
use crate::gc::SourceCtx;
use crate::symbolize::Symbolizer;

/// Errors reading a perf.data (the caller adds the path).
#[derive(Debug, thiserror::Error)]
pub enum PerfDataError {
    /// Reading the file failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The file is damaged before its first record.
    #[error("damaged perf.data at byte {offset}: {message}")]
    Damaged {
        /// Byte offset of the damage.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// linux-perf-data rejected the header or metadata.
    #[error("perf.data not readable at byte {offset}: {source}")]
    Parse {
        /// Bytes consumed when the error happened.
        offset: u64,
        /// The crate's error.
        source: linux_perf_data::Error,
    },
    /// Writing the streamed `perf_samples` part failed.
    #[error(transparent)]
    Model(#[from] model::ModelError),
}

/// A streaming writer for one table (`perf_samples` by default), with the first write error kept.
pub type Sink<T = PerfSampleRow> = crate::sink::TableSink<T>;

/// Samples are handed to the sink in batches of this many (one is filled while one is encoded).
/// 4Ki rows make a batch of some 600 KB, its path column (a copy per row) 200 KB. With 16Ki
/// rows (4 MB, an 800 KB path column), the bench recording's reading phase took 0.1 s longer
/// (paired runs), likely because blocks that large come from fresh pages every time.
const FLUSH_ROWS: usize = 4 * 1024;

/// Rows and accounting produced from one perf.data.
#[derive(Debug, Default)]
pub struct PerfDataOutput {
    /// Samples not yet handed to `sink` (all of them when there is no sink), in record order.
    pub samples: Vec<PerfSampleRow>,
    /// Where samples are streamed, if anywhere.
    pub sink: Option<Sink>,
    /// Samples not yet handed to `sink`, column-wise (when there is a sink).
    pub pending: columns::SampleColumns,
    /// Samples handed to `sink` so far.
    pub flushed: usize,
    /// Stacks (rows of each stack contiguous, leaf first), by stack id; empty when streamed to
    /// `stack_sink`.
    pub stacks: Vec<PerfStackRow>,
    /// Where stack rows are streamed, if anywhere (a large profile has millions).
    pub stack_sink: Option<Sink<PerfStackRow>>,
    /// Frames by frame id (symbolized); empty when streamed to `frame_sink`.
    pub frames: Vec<PerfFrameRow>,
    /// Where frame rows are streamed, if anywhere.
    pub frame_sink: Option<Sink<PerfFrameRow>>,
    /// Thread name periods.
    pub threads: Vec<PerfThreadRow>,
    /// Header metadata.
    pub meta: Vec<PerfMetaRow>,
    /// LOST / LOST_SAMPLES records.
    pub lost: Vec<LostEventsRow>,
    /// CLOCK_DATA reference pair: (clock, ns on that clock, wall ns) at one instant.
    pub clock_anchor: Option<(String, i64, i64)>,
    /// Record accounting ("line" = record ordinal).
    pub account: LineAccount,
}

impl PerfDataOutput {
    /// Samples produced so far (flushed or not).
    pub fn len(&self) -> usize {
        self.flushed + self.samples.len() + self.pending.len()
    }

    /// Whether no sample was produced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a sample, handing a batch to the sink when one is full.
    pub fn push(&mut self, row: PerfSampleRow) {
        self.samples.push(row);
        if self.sink.is_some() && self.samples.len() >= FLUSH_ROWS {
            self.flush();
        }
    }

    /// Adds a sample without owning its strings: appended column-wise when streaming (no
    /// allocation per row), else kept as a row.
    pub fn push_ref(&mut self, s: &columns::SampleRef<'_>) {
        if self.sink.is_none() {
            self.samples.push(s.to_row());
            return;
        }
        self.pending.push(s);
        if self.pending.len() >= FLUSH_ROWS {
            self.flush();
        }
    }

    /// Hands buffered samples to the sink, if there is one.
    pub fn flush(&mut self) {
        let Some(sink) = &mut self.sink else { return };
        self.flushed += self.samples.len();
        for row in self.samples.drain(..) {
            sink.push(row);
        }
        if !self.pending.is_empty() {
            self.flushed += self.pending.len();
            let batch = self.pending.finish();
            sink.write_batch(&batch);
        }
    }
}

/// Whether the first bytes are a perf.data header (`PERFILE2`, header size 104 or 16).
pub fn sniff(head: &[u8]) -> bool {
    open::mode(head).is_some()
}

/// Reads one perf.data file into `out`, symbolizing with `sym`.
pub fn ingest(ctx: &SourceCtx, path: &Path, sym: &Symbolizer, out: &mut PerfDataOutput) -> Result<(), PerfDataError> {
    let mut head = [0u8; 16];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path)?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        n
    };
    match open::mode(&head[..n]) {
        Some(open::Mode::File) => {
            let opened = open::open_file(path)?;
            reader::read_file(ctx, opened, sym, out)
        }
        Some(open::Mode::Pipe) => {
            let (r, damage) = open::open_pipe(path)?;
            reader::read_pipe(ctx, r, damage, sym, out)
        }
        None => {
            Err(PerfDataError::Damaged { offset: 0, message: "not a perf.data header (PERFILE2 + size 104/16)".into() })
        }
    }
}
