//! Read-ahead of perf.data records on a thread of their own: linux-perf-data reads, sorts and
//! parses them there, the mappings are kept there (MMAP / FORK records, in order) and each
//! sample's callchain is resolved and interned into frame ids there ([`Resolver`]); the
//! records go to the replay ([`super::reader`]) in batches of owned values (a parsed record
//! borrows the reader's buffers), which keeps the threads' names, interns the stacks and
//! writes the sample rows: the two halves run on two cores. Batches come back for reuse and at
//! most a few are in flight: memory is bounded by the batch size. The order of records is kept.

use std::borrow::Cow;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use linux_perf_data::linux_perf_event_reader::{CpuMode, EventRecord, Mmap2FileId, RecordType, SampleRecord};
use linux_perf_data::{PerfFile, PerfFileRecord, PerfRecordIter};

use super::callchain::{FrameKey, FrameTable};
use super::dwarf::{Dwarf, REG_BP, REG_IP, REG_SP};
use super::maps::Maps;
use super::sample_fields::{self, SampleFields};
use crate::account::SkipKind;

/// Records per batch.
const BATCH_RECORDS: usize = 4096;

/// `PROT_EXEC` in MMAP2's protection.
const PROT_EXEC: u32 = 4;

/// One SAMPLE record, its stack resolved into raw frame ids.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Index of the event's attributes.
    pub attr_index: u32,
    pub pid: Option<i32>,
    pub tid: Option<i32>,
    pub cpu: Option<u32>,
    pub time: Option<u64>,
    pub period: Option<u64>,
    /// The stack's raw frame ids, leaf first (given by the [`Resolver`]): `Batch::frames[start..end]`.
    pub frames: (u32, u32),
}

/// A record, owned, with what the replay needs of it (a mapping is kept where the records are
/// read, and only counted by the replay).
#[derive(Debug, Clone)]
pub enum Rec {
    Sample(Sample),
    Comm {
        pid: i32,
        tid: i32,
        name: String,
        exec: bool,
        at: Option<u64>,
    },
    Fork {
        pid: i32,
        tid: i32,
        ptid: i32,
        at: u64,
    },
    Exit {
        tid: i32,
        at: u64,
    },
    /// An executable mapping (MMAP, or MMAP2 with `PROT_EXEC`), added to the [`Resolver`]'s maps.
    Mapped,
    /// LOST: events lost.
    Lost(u64),
    /// LOST_SAMPLES: samples lost (`None` when the record is too short to say).
    LostSamples(Option<u64>),
    /// A record counted as skipped: kind, reason, example.
    Skip(SkipKind, Cow<'static, str>, Vec<u8>),
}

const _: () = assert!(std::mem::size_of::<Rec>() <= 80, "Rec stays small: millions are moved");

/// Records, with the raw frame ids of their samples in one flat list.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<Rec>,
    /// Raw frame ids of the samples' stacks.
    pub frames: Vec<u32>,
    /// Keys of the raw frame ids first given in this batch, in raw id order.
    pub new_keys: Vec<FrameKey>,
}

impl Batch {
    fn clear(&mut self) {
        self.records.clear();
        self.frames.clear();
        self.new_keys.clear();
    }
}

/// The mappings and frames, kept where the records are read: MMAP and FORK records are applied
/// in record order, and each sample's callchain (and `--call-graph dwarf` user stack, unwound
/// here) becomes raw frame ids before the replay sees it.
pub struct Resolver {
    /// Executable mappings and DSOs.
    pub maps: Maps,
    /// Raw frame ids.
    pub frames: FrameTable,
    /// Unwinders of `--call-graph dwarf` user stacks (x86_64), if they are unwound.
    pub dwarf: Option<Dwarf>,
    addrs: Vec<u64>,
    stack: Vec<u8>,
    unwound: Vec<u64>,
}

impl Resolver {
    /// A resolver over `maps` (with the file's build-id table), unwinding with `dwarf` if given.
    pub fn new(maps: Maps, dwarf: Option<Dwarf>) -> Self {
        Resolver {
            maps,
            frames: FrameTable::default(),
            dwarf,
            addrs: Vec::new(),
            stack: Vec::new(),
            unwound: Vec::new(),
        }
    }

    /// Appends the raw frame ids of sample `s` to `frames`; returns their range there.
    fn sample(&mut self, s: &SampleRecord<'_>, frames: &mut Vec<u32>) -> (u32, u32) {
        let pid = s.pid.unwrap_or(-1);
        self.unwound.clear();
        if let (Some(d), Some(regs), Some((stack, size))) = (self.dwarf.as_mut(), &s.user_regs, &s.user_stack) {
            if let (Some(ip), Some(sp), Some(bp)) = (regs.get(REG_IP), regs.get(REG_SP), regs.get(REG_BP)) {
                let bytes = stack.as_slice();
                self.stack.clear();
                self.stack.extend_from_slice(&bytes[..(*size as usize).min(bytes.len())]);
                let mappings = self.maps.user_mappings(pid);
                d.unwind(pid, &mappings, &self.maps.dsos, (ip, sp, bp), &self.stack, &mut self.unwound);
            }
        }
        self.addrs.clear();
        if let Some(cc) = &s.callchain {
            self.addrs.extend((0..cc.len()).map_while(|i| cc.get(i)));
        }
        self.frames_of(pid, s.callchain.is_some(), s.ip, s.cpu_mode, frames)
    }

    /// [`Resolver::sample`] for a sample read in place (no user stack to unwind).
    fn sample_fields(&mut self, s: &SampleFields<'_>, frames: &mut Vec<u32>) -> (u32, u32) {
        self.unwound.clear();
        self.addrs.clear();
        s.callchain_into(&mut self.addrs);
        self.frames_of(s.pid.unwrap_or(-1), s.callchain.is_some(), s.ip, s.cpu_mode, frames)
    }

    /// Appends the raw frame ids of a sample (its callchain in `addrs` when it has one, its
    /// unwound user stack in `unwound`) to `frames`; returns their range there.
    fn frames_of(
        &mut self,
        pid: i32,
        has_callchain: bool,
        ip: Option<u64>,
        cpu_mode: CpuMode,
        frames: &mut Vec<u32>,
    ) -> (u32, u32) {
        let callchain = has_callchain.then_some(self.addrs.as_slice());
        let start = frames.len();
        self.frames.chain(&mut self.maps, pid, callchain, ip, cpu_mode, &self.unwound, frames);
        (start as u32, frames.len() as u32)
    }
}

/// Reads every record into batches sent on `tx` (sent batches come back on `back` for reuse),
/// applied to `resolver` on the way. Returns why the stream broke, if it did (`pos`: bytes
/// read so far, for the message).
pub fn read_ahead<R: Read>(
    perf_file: &mut PerfFile,
    iter: &mut PerfRecordIter<R>,
    pos: &AtomicU64,
    resolver: &mut Resolver,
    tx: SyncSender<Batch>,
    back: Receiver<Batch>,
) -> Option<String> {
    let mut batch = Batch::default();
    let mut broken = None;
    loop {
        let record = match iter.next_record(perf_file) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                broken = Some(format!(
                    "record stream broken near byte {}: {e}; records after it (and those of the current sort round) lost",
                    pos.load(Ordering::Relaxed)
                ));
                break;
            }
        };
        let rec = own(record, &mut batch, resolver);
        batch.records.push(rec);
        if batch.records.len() >= BATCH_RECORDS {
            resolver.frames.take_keys(&mut batch.new_keys);
            let mut next = back.try_recv().unwrap_or_default();
            next.clear();
            if tx.send(std::mem::replace(&mut batch, next)).is_err() {
                return broken; // the replay stopped
            }
        }
    }
    if !batch.records.is_empty() {
        resolver.frames.take_keys(&mut batch.new_keys);
        let _ = tx.send(batch);
    }
    broken
}

fn own(record: PerfFileRecord<'_>, batch: &mut Batch, resolver: &mut Resolver) -> Rec {
    let record = match record {
        PerfFileRecord::EventRecord { attr_index, record } => (attr_index, record),
        PerfFileRecord::UserRecord(u) => {
            let kind = match format!("{:?}", u.record_type).trim_matches('"') {
                "Unknown UserRecordType 82" => "PERF_FINISHED_INIT".to_string(),
                k => k.to_string(),
            };
            let what = format!("{kind} user record (perf metadata, not tabled)");
            return Rec::Skip(SkipKind::Ignore, what.into(), format!("{} bytes", u.data.len()).into_bytes());
        }
    };
    let (attr_index, record) = record;
    let rt = record.record_type;
    // Most samples are read in place (see `sample_fields`); the others, and every other record,
    // by linux-perf-event-reader.
    if rt == RecordType::SAMPLE {
        if let Some(s) = sample_fields::read(&record) {
            return Rec::Sample(Sample {
                attr_index: attr_index as u32,
                pid: s.pid,
                tid: s.tid,
                cpu: s.cpu,
                time: s.time,
                period: s.period,
                frames: resolver.sample_fields(&s, &mut batch.frames),
            });
        }
    }
    // The time of a COMM record is in its sample_id trailer (looked up for those only).
    let at = if rt == RecordType::COMM { record.timestamp() } else { None };
    let parsed = match record.parse() {
        Ok(p) => p,
        Err(e) => {
            return Rec::Skip(SkipKind::Skip, format!("{rt:?} record not readable").into(), e.to_string().into_bytes())
        }
    };
    match parsed {
        EventRecord::Sample(s) => Rec::Sample(Sample {
            attr_index: attr_index as u32,
            pid: s.pid,
            tid: s.tid,
            cpu: s.cpu,
            time: s.timestamp,
            period: s.period,
            frames: resolver.sample(&s, &mut batch.frames),
        }),
        EventRecord::Comm(c) => Rec::Comm {
            pid: c.pid,
            tid: c.tid,
            name: String::from_utf8_lossy(&c.name.as_slice()).to_string(),
            exec: c.is_execve,
            at,
        },
        EventRecord::Fork(f) => {
            resolver.maps.fork(f.ppid, f.pid);
            Rec::Fork { pid: f.pid, tid: f.tid, ptid: f.ptid, at: f.timestamp }
        }
        EventRecord::Exit(e) => Rec::Exit { tid: e.tid, at: e.timestamp },
        EventRecord::Mmap(m) if m.is_executable => {
            resolver.maps.add(m.pid, m.address, m.length, m.page_offset, &m.path.as_slice(), m.cpu_mode, None);
            Rec::Mapped
        }
        EventRecord::Mmap2(m) if m.protection & PROT_EXEC != 0 => {
            let build_id = match &m.file_id {
                Mmap2FileId::BuildId(b) => Some(b.as_slice()),
                Mmap2FileId::InodeAndVersion(_) => None,
            };
            resolver.maps.add(m.pid, m.address, m.length, m.page_offset, &m.path.as_slice(), m.cpu_mode, build_id);
            Rec::Mapped
        }
        EventRecord::Mmap(_) | EventRecord::Mmap2(_) => Rec::Skip(
            SkipKind::Ignore,
            Cow::Borrowed("non-executable mapping (no code to symbolize)"),
            b"MMAP".to_vec(),
        ),
        EventRecord::Lost(l) => Rec::Lost(l.count),
        EventRecord::Raw(raw) if raw.record_type == RecordType::LOST_SAMPLES => {
            let body = raw.data.as_slice();
            Rec::LostSamples(body.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes))
        }
        _ => Rec::Skip(SkipKind::Ignore, format!("{rt:?} record (not tabled)").into(), format!("{rt:?}").into_bytes()),
    }
}
