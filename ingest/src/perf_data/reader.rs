//! The record loop: replays linux-perf-data's time-sorted records (read ahead by
//! [`super::records`]) into the thread and mapping models, turns samples into `perf_samples`
//! rows (streamed), counts LOST records, and accounts for every record (parsed, or skipped with
//! a reason per record type).

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use linux_perf_data::linux_perf_event_reader::SamplingPolicy;
use linux_perf_data::PerfFileReader;
use model::tables::lost_events::LostEventsRow;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_stacks::PerfStackRow;
use model::Table;

use super::columns::{self, SampleRef};
use super::maps::Maps;
use super::open::{Counted, Damage, Opened};
use super::records::{self, Batch, Rec, Resolver};
use super::stacks::{FrameIds, Stacks};
use super::threads::Threads;
use super::{meta, symbols, PerfDataError, PerfDataOutput};
use crate::account::SkipKind;
use crate::gc::SourceCtx;
use crate::symbolize::Symbolizer;

/// Reads a file-mode perf.data.
pub fn read_file(
    ctx: &SourceCtx,
    opened: Opened,
    sym: &Symbolizer,
    out: &mut PerfDataOutput,
) -> Result<(), PerfDataError> {
    let (reader, pos) = Counted::new(opened.reader, 0);
    let r = PerfFileReader::parse_file(reader)
        .map_err(|source| PerfDataError::Parse { offset: pos.load(Ordering::Relaxed), source })?;
    replay(ctx, r, "file", pos, opened.damage, sym, out)
}

/// Reads a pipe-mode perf.data (already cut at its last complete record).
pub fn read_pipe<R: Read + Send>(
    ctx: &SourceCtx,
    reader: R,
    damage: Option<Damage>,
    sym: &Symbolizer,
    out: &mut PerfDataOutput,
) -> Result<(), PerfDataError> {
    let (reader, pos) = Counted::new(reader, 0);
    let r = PerfFileReader::parse_pipe(reader).map_err(|source| {
        let offset = pos.load(Ordering::Relaxed);
        match &damage {
            // The cut is what broke the metadata records: name it.
            Some(d) => PerfDataError::Damaged { offset: d.offset, message: format!("{} ({source})", d.note) },
            None => PerfDataError::Parse { offset, source },
        }
    })?;
    replay(ctx, r, "pipe", pos, damage, sym, out)
}

/// Batches the reading thread may have sent and the replay not yet taken: slack for batches
/// that cost the two sides unequally (each is some hundreds of kilobytes).
const BATCHES_AHEAD: usize = 4;

/// Stacks per `perf_stacks` batch: 4Ki, some 500 KB of frame ids. With 16Ki, the bench
/// recording's ingest peaked 8–10 MB higher (median 217 vs 209 MB over 10 paired runs), in the
/// same time.
const STACKS_PER_BATCH: usize = 4 * 1024;

/// `perf_stacks` rows of every stack, column-wise, a batch per [`STACKS_PER_BATCH`] stacks (rows):
/// into `sink` when streaming, else kept in `rows`.
fn write_stacks(
    source: &str,
    stacks: &Stacks,
    sink: &mut Option<super::Sink<PerfStackRow>>,
    rows: &mut Vec<PerfStackRow>,
) {
    let (mut items, mut lens) = (Vec::new(), Vec::new());
    for first in (1..=stacks.len()).step_by(STACKS_PER_BATCH) {
        let last = (first + STACKS_PER_BATCH - 1).min(stacks.len());
        items.clear();
        lens.clear();
        stacks.stacks_into(first..=last, &mut items, &mut lens);
        let batch = columns::stack_batch(source, first, &items, &lens);
        match sink {
            Some(s) => s.write_batch(&batch),
            None => rows.extend(PerfStackRow::from_batch(&batch).expect("a batch of the table's schema")),
        }
    }
}

fn replay<R: Read + Send>(
    ctx: &SourceCtx,
    r: PerfFileReader<R>,
    mode: &str,
    pos: Arc<AtomicU64>,
    damage: Option<Damage>,
    sym: &Symbolizer,
    out: &mut PerfDataOutput,
) -> Result<(), PerfDataError> {
    let PerfFileReader { mut perf_file, mut record_iter } = r;
    let source = ctx.source.as_str();
    let attrs = perf_file.event_attributes().to_vec();
    let names = meta::event_names(&attrs);
    let clocks: Vec<String> = attrs.iter().map(|a| meta::clock_of(a.attributes())).collect();
    let fixed_period: Vec<Option<u64>> = attrs
        .iter()
        .map(|a| match a.attributes().sampling_policy {
            SamplingPolicy::Period(p) => Some(p.get()),
            _ => None,
        })
        .collect();
    out.meta = meta::rows(source, &perf_file, mode, &names);
    if let Ok(Some(c)) = perf_file.clock_data() {
        if c.clockid == 1 {
            out.clock_anchor =
                Some((model::tables::clock::MONOTONIC.into(), c.clockid_time_ns as i64, c.wall_clock_ns as i64));
        }
    }
    let mut maps = Maps::default();
    if let Ok(ids) = perf_file.build_ids() {
        maps.build_ids = ids.into_iter().map(|(k, v)| (k, v.build_id)).collect();
    }
    let mut threads = Threads::default();
    let mut stacks = Stacks::default();
    let mut frame_ids = FrameIds::default();
    let mut sample_frames: Vec<u32> = Vec::new();
    // DWARF user stacks are unwound on x86_64 only (framehop's other arch is aarch64, not wired).
    let dwarf_mode = attrs.iter().any(|a| {
        a.attributes().sample_format.contains(linux_perf_data::linux_perf_event_reader::SampleFormat::STACK_USER)
    });
    let x86_64 = perf_file.arch().ok().flatten().is_none_or(|a| a == "x86_64");
    let dwarf = (dwarf_mode && x86_64).then(|| super::dwarf::Dwarf::new(sym.options().clone()));
    let mut resolver = Resolver::new(maps, dwarf);
    let mut ordinal = 0u64;
    let mut lost_total = 0u64;
    // Records are read and parsed, and their frames resolved, on a thread of their own
    // (`records`), and replayed here, in their order.
    let broken = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
        let pos = &pos;
        let (perf_file, record_iter, resolver) = (&mut perf_file, &mut record_iter, &mut resolver);
        let reader = scope.spawn(move || records::read_ahead(perf_file, record_iter, pos, resolver, tx, back_rx));
        for batch in rx {
            frame_ids.add_keys(&batch.new_keys);
            for rec in &batch.records {
                ordinal += 1;
                out.account.read();
                let s = match rec {
                    Rec::Sample(s) => s,
                    Rec::Comm { pid, tid, name, exec, at } => {
                        threads.comm(*pid, *tid, name, *exec, *at);
                        out.account.parsed();
                        continue;
                    }
                    Rec::Fork { pid, tid, ptid, at, .. } => {
                        threads.fork(*pid, *tid, *ptid, Some(*at));
                        out.account.parsed();
                        continue;
                    }
                    Rec::Exit { tid, at } => {
                        threads.exit(*tid, Some(*at));
                        out.account.parsed();
                        continue;
                    }
                    Rec::Mapped => {
                        out.account.parsed();
                        continue;
                    }
                    Rec::Lost(n) | Rec::LostSamples(Some(n)) => {
                        lost_total += n;
                        out.lost.push(LostEventsRow {
                            source: source.to_string(),
                            line: ordinal as i64,
                            events: *n as i64,
                        });
                        out.account.parsed();
                        continue;
                    }
                    Rec::LostSamples(None) => {
                        out.account.skip(SkipKind::Skip, "LOST_SAMPLES record too short", ordinal, b"LOST_SAMPLES");
                        continue;
                    }
                    Rec::Skip(kind, what, example) => {
                        out.account.skip(*kind, what, ordinal, example);
                        continue;
                    }
                };
                let pid = s.pid.unwrap_or(-1);
                let tid = s.tid.unwrap_or(pid);
                frame_ids.map(&batch.frames[s.frames.0 as usize..s.frames.1 as usize], &mut sample_frames);
                let stack_id = stacks.sample(&sample_frames);
                let comm = threads.name(s.pid, tid, s.time);
                let period = s.period.or(fixed_period.get(s.attr_index as usize).copied().flatten()).unwrap_or(1);
                out.push_ref(&SampleRef {
                    source,
                    line: ordinal as i64,
                    clock: clocks.get(s.attr_index as usize).map_or(meta::PERF_CLOCK, String::as_str),
                    time_ns: s.time.map(|t| t as i64),
                    comm,
                    pid: s.pid.map(i64::from),
                    tid: s.tid.map(i64::from),
                    cpu: s.cpu.map(i64::from),
                    event: names.get(s.attr_index as usize).map_or("", String::as_str),
                    period: period as i64,
                    stack_id,
                });
                out.account.parsed();
            }
            // The reader may have stopped (it then drops its end and the loop ends).
            let _ = back_tx.send(batch);
        }
        reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    out.flush();
    // Every sample is written: the part file is finished now, so its writer's buffers (a row
    // group of encoded pages) are freed before symbolization, the ingest's peak.
    if let Some(sink) = out.sink.take() {
        sink.finish()?;
    }
    if lost_total > 0 {
        out.account
            .note(format!("{lost_total} samples lost by perf ({} LOST records; see lost_events)", out.lost.len()));
    }
    if let Some(d) = damage {
        out.account.note(d.note);
    }
    if let Some(b) = broken {
        out.account.note(b);
    }
    let frameless = stacks.stack_samples.first().copied().unwrap_or(0);
    if frameless > 0 {
        out.account.note(format!("{frameless} samples without frames kept with the empty stack (stack_id 0)"));
    }
    let Resolver { maps, dwarf, .. } = resolver;
    match &dwarf {
        Some(d) => {
            out.account.note(format!(
                "--call-graph dwarf: {} samples' user stacks unwound (framehop, .eh_frame), {} not past their IP",
                d.unwound, d.stuck
            ));
            let mut missing: Vec<&String> = d.missing.iter().collect();
            missing.sort();
            for m in missing {
                out.account.note(format!("--call-graph dwarf: binary {m} not found: its frames do not unwind"));
            }
        }
        None if dwarf_mode => {
            out.account.note("--call-graph dwarf recording of a non-x86_64 machine: user stacks not unwound (IP kept)")
        }
        None => {}
    }

    stacks.drop_index();
    stacks.frames = frame_ids.into_frames();
    // `perf_stacks` does not depend on symbols: its rows are built and encoded on a thread of
    // their own while the frames are looked up (in parallel) here.
    let found = std::thread::scope(|scope| {
        let stacks = &stacks;
        let (stack_sink, stack_rows) = (&mut out.stack_sink, &mut out.stacks);
        scope.spawn(move || write_stacks(source, stacks, stack_sink, stack_rows));
        symbols::symbolize(stacks, &maps.dsos, maps.kernel_ref.as_ref(), sym, &mut out.account)
    });
    // The stacks are written and counted: only the frames are needed for the frame rows (the
    // stacks' lists are the largest thing in memory).
    let frames = stacks.into_frames();
    let (frame_sink, frame_rows) = (&mut out.frame_sink, &mut out.frames);
    let mut emit = |batch: &_| match frame_sink {
        Some(s) => s.write_batch(batch),
        None => frame_rows.extend(PerfFrameRow::from_batch(batch).expect("a batch of the table's schema")),
    };
    symbols::frame_rows(source, &frames, &maps.dsos, found, &mut emit);
    let thread_clock = clocks.first().cloned().unwrap_or_else(|| meta::PERF_CLOCK.into());
    out.threads = threads.rows(source, &thread_clock);
    Ok(())
}
