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

use linux_perf_data::linux_perf_event_reader::{CpuMode, EventRecord, Mmap2FileId, RecordType};
use linux_perf_data::{PerfFile, PerfFileRecord, PerfRecordIter};

use super::callchain::{FrameKey, FrameTable};
use super::dwarf::{Dwarf, REG_BP, REG_IP, REG_SP};
use super::maps::Maps;
use crate::account::SkipKind;

/// Records per batch.
const BATCH_RECORDS: usize = 4096;

/// `PROT_EXEC` in MMAP2's protection.
const PROT_EXEC: u32 = 4;

/// One SAMPLE record.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Index of the event's attributes.
    pub attr_index: usize,
    pub pid: Option<i32>,
    pub tid: Option<i32>,
    pub time: Option<u64>,
    pub cpu: Option<u32>,
    pub period: Option<u64>,
    pub ip: Option<u64>,
    pub cpu_mode: CpuMode,
    /// The callchain: `Batch::addrs[start..end]`.
    pub callchain: Option<(usize, usize)>,
    /// The stack's raw frame ids, leaf first (given by the [`Resolver`]): `Batch::frames[start..end]`.
    pub frames: (usize, usize),
    /// The user stack of a `--call-graph dwarf` sample (copied only when it is unwound).
    pub user: Option<UserStack>,
}

/// A sampled user stack: registers and `Batch::stack_bytes[start..end]` (its valid part).
#[derive(Debug, Clone, Copy)]
pub struct UserStack {
    pub ip: u64,
    pub sp: u64,
    pub bp: u64,
    pub bytes: (usize, usize),
}

/// A record, owned.
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
        ppid: i32,
        tid: i32,
        ptid: i32,
        at: u64,
    },
    Exit {
        tid: i32,
        at: u64,
    },
    /// An executable mapping (MMAP, or MMAP2 with `PROT_EXEC`).
    Mmap {
        pid: i32,
        address: u64,
        length: u64,
        pgoff: u64,
        path: Vec<u8>,
        cpu_mode: CpuMode,
        build_id: Option<Vec<u8>>,
    },
    /// LOST: events lost.
    Lost(u64),
    /// LOST_SAMPLES: samples lost (`None` when the record is too short to say).
    LostSamples(Option<u64>),
    /// A record counted as skipped: kind, reason, example.
    Skip(SkipKind, Cow<'static, str>, Vec<u8>),
}

/// Records, with the variable-length parts of their samples in flat lists.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<Rec>,
    pub addrs: Vec<u64>,
    /// Raw frame ids of the samples' stacks.
    pub frames: Vec<u32>,
    /// Keys of the raw frame ids first given in this batch, in raw id order.
    pub new_keys: Vec<FrameKey>,
    pub stack_bytes: Vec<u8>,
}

impl Batch {
    fn clear(&mut self) {
        self.records.clear();
        self.addrs.clear();
        self.frames.clear();
        self.new_keys.clear();
        self.stack_bytes.clear();
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
    unwound: Vec<u64>,
}

impl Resolver {
    /// A resolver over `maps` (with the file's build-id table), unwinding with `dwarf` if given.
    pub fn new(maps: Maps, dwarf: Option<Dwarf>) -> Self {
        Resolver { maps, frames: FrameTable::default(), dwarf, unwound: Vec::new() }
    }

    /// Applies one record (just made) to the mappings, or resolves its sample's frames into
    /// `batch.frames`.
    fn apply(&mut self, rec: &mut Rec, batch: &mut Batch) {
        match rec {
            Rec::Mmap { pid, address, length, pgoff, path, cpu_mode, build_id } => {
                self.maps.add(*pid, *address, *length, *pgoff, path, *cpu_mode, build_id.as_deref());
            }
            Rec::Fork { pid, ppid, .. } => self.maps.fork(*ppid, *pid),
            Rec::Sample(s) => {
                let pid = s.pid.unwrap_or(-1);
                self.unwound.clear();
                if let (Some(d), Some(u)) = (self.dwarf.as_mut(), &s.user) {
                    let stack = &batch.stack_bytes[u.bytes.0..u.bytes.1];
                    let mappings = self.maps.user_mappings(pid);
                    d.unwind(pid, &mappings, &self.maps.dsos, (u.ip, u.sp, u.bp), stack, &mut self.unwound);
                }
                let start = batch.frames.len();
                let callchain = s.callchain.map(|(a, b)| &batch.addrs[a..b]);
                let (maps, out) = (&mut self.maps, &mut batch.frames);
                self.frames.chain(maps, pid, callchain, s.ip, s.cpu_mode, &self.unwound, out);
                s.frames = (start, batch.frames.len());
            }
            _ => {}
        }
    }
}

/// Reads every record into batches sent on `tx` (sent batches come back on `back` for reuse),
/// applied to `resolver` on the way; copies user stacks when `user_stacks`. Returns why the
/// stream broke, if it did (`pos`: bytes read so far, for the message).
pub fn read_ahead<R: Read>(
    perf_file: &mut PerfFile,
    iter: &mut PerfRecordIter<R>,
    pos: &AtomicU64,
    user_stacks: bool,
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
        let mut rec = own(record, &mut batch, user_stacks);
        resolver.apply(&mut rec, &mut batch);
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

fn own(record: PerfFileRecord<'_>, batch: &mut Batch, user_stacks: bool) -> Rec {
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
    let at = record.timestamp();
    let parsed = match record.parse() {
        Ok(p) => p,
        Err(e) => {
            return Rec::Skip(SkipKind::Skip, format!("{rt:?} record not readable").into(), e.to_string().into_bytes())
        }
    };
    match parsed {
        EventRecord::Sample(s) => {
            let callchain = s.callchain.as_ref().map(|cc| {
                let start = batch.addrs.len();
                batch.addrs.extend((0..cc.len()).map_while(|i| cc.get(i)));
                (start, batch.addrs.len())
            });
            let user = match (&s.user_regs, &s.user_stack) {
                (Some(regs), Some((stack, size))) if user_stacks => {
                    match (regs.get(REG_IP), regs.get(REG_SP), regs.get(REG_BP)) {
                        (Some(ip), Some(sp), Some(bp)) => {
                            let bytes = stack.as_slice();
                            let start = batch.stack_bytes.len();
                            batch.stack_bytes.extend_from_slice(&bytes[..(*size as usize).min(bytes.len())]);
                            Some(UserStack { ip, sp, bp, bytes: (start, batch.stack_bytes.len()) })
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            Rec::Sample(Sample {
                attr_index,
                pid: s.pid,
                tid: s.tid,
                time: s.timestamp,
                cpu: s.cpu,
                period: s.period,
                ip: s.ip,
                cpu_mode: s.cpu_mode,
                callchain,
                frames: (0, 0),
                user,
            })
        }
        EventRecord::Comm(c) => Rec::Comm {
            pid: c.pid,
            tid: c.tid,
            name: String::from_utf8_lossy(&c.name.as_slice()).to_string(),
            exec: c.is_execve,
            at,
        },
        EventRecord::Fork(f) => Rec::Fork { pid: f.pid, ppid: f.ppid, tid: f.tid, ptid: f.ptid, at: f.timestamp },
        EventRecord::Exit(e) => Rec::Exit { tid: e.tid, at: e.timestamp },
        EventRecord::Mmap(m) if m.is_executable => {
            mapping(m.pid, (m.address, m.length, m.page_offset), &m.path.as_slice(), m.cpu_mode, None)
        }
        EventRecord::Mmap2(m) if m.protection & PROT_EXEC != 0 => {
            let build_id = match &m.file_id {
                Mmap2FileId::BuildId(b) => Some(b.clone()),
                Mmap2FileId::InodeAndVersion(_) => None,
            };
            mapping(m.pid, (m.address, m.length, m.page_offset), &m.path.as_slice(), m.cpu_mode, build_id)
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

/// An executable mapping: `(address, length, page offset)`, path, mode, build-id.
fn mapping(
    pid: i32,
    (address, length, pgoff): (u64, u64, u64),
    path: &[u8],
    cpu_mode: CpuMode,
    build_id: Option<Vec<u8>>,
) -> Rec {
    Rec::Mmap { pid, address, length, pgoff, path: path.to_vec(), cpu_mode, build_id }
}
