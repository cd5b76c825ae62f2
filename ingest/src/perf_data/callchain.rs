//! Frame-pointer callchains → deduplicated frames and stacks.
//!
//! A sample's callchain (`PERF_SAMPLE_CALLCHAIN`) lists addresses leaf first, with
//! `PERF_CONTEXT_*` markers (values ≥ `PERF_CONTEXT_MAX` = -4095) switching between the kernel
//! part and the user part. Each address becomes a [`FrameKey`], as `perf script` prints it:
//! kernel addresses absolute (dso `[kernel.kallsyms]` or `[module]`), user addresses in a
//! file-backed mapping DSO-relative (`ip - start + pgoff`), addresses in anonymous memory (JIT)
//! absolute with dso `/tmp/perf-PID.map`, anything else absolute with dso `[unknown]`. Samples
//! without a callchain get their `ip` as their one frame. Frames and stacks are interned; the
//! stack of a sample is its id (0 = no frames).

use std::hash::BuildHasher;

use linux_perf_data::linux_perf_event_reader::CpuMode;

use model::read::SeqInterner;

use super::maps::{Dso, Maps};

/// Smallest `PERF_CONTEXT_*` marker value (`-4095` as u64).
pub const PERF_CONTEXT_MAX: u64 = -4095i64 as u64;
const CONTEXT_HV: u64 = -32i64 as u64;
const CONTEXT_KERNEL: u64 = -128i64 as u64;
const CONTEXT_USER: u64 = -512i64 as u64;

/// Name perf gives to the kernel image DSO.
pub const KERNEL_DSO: &str = "[kernel.kallsyms]";
/// Name perf gives to addresses in no mapping.
pub const UNKNOWN_DSO: &str = "[unknown]";

/// A unique frame, before symbolization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKey {
    /// Kernel address (absolute) in DSO `dso`.
    Kernel {
        /// DSO id.
        dso: u32,
        /// Absolute address.
        addr: u64,
    },
    /// User address in a file-backed mapping: `rel` = file offset (`ip - start + pgoff`).
    User {
        /// DSO id.
        dso: u32,
        /// DSO-relative address.
        rel: u64,
    },
    /// Address in anonymous executable memory (JIT code), absolute; the DSO
    /// (`/tmp/perf-PID.map`) names the process. (No pid here: a key of 16 bytes, not 24,
    /// matters with millions of frames.)
    Jit {
        /// DSO id (`/tmp/perf-PID.map`).
        dso: u32,
        /// Absolute address.
        addr: u64,
    },
    /// Address in no known mapping (or a hypervisor / guest context), absolute.
    Unknown {
        /// Absolute address.
        addr: u64,
    },
}

/// The interning maps' hasher: millions of lookups per large profile, keys from the file
/// (collisions only cost time), and a fixed seed so runs do the same work.
type FastHash = foldhash::fast::FixedState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Kernel,
    User,
    Other,
}

/// Interned frames and stacks of one perf.data.
#[derive(Debug, Default)]
pub struct Stacks {
    /// Frames by id - 1.
    pub frames: Vec<FrameKey>,
    /// Frame ids, found by the hash of their key; the keys are looked up in `frames` (4 bytes
    /// a bucket instead of 24: millions of unique frames in a system-wide profile).
    frame_ids: hashbrown::HashTable<u32>,
    /// Stacks (frame ids, 1-based, leaf first); stack id = sequence id + 1.
    stacks: SeqInterner,
    /// Samples per stack id (index 0 = the empty stack).
    pub stack_samples: Vec<u64>,
    scratch: Vec<u32>,
    kernel_dso: Option<u32>,
    cache: FrameCache,
}

const _: () = assert!(std::mem::size_of::<FrameKey>() == 16, "FrameKey stays 16 bytes");

/// Slots of [`FrameCache`] (a power of two; 1.5 MiB).
const CACHE_SLOTS: usize = 1 << 16;

/// A direct-mapped cache of (context, pid, address) → frame id: most samples repeat hot
/// addresses, and a hit skips both the mapping search and the frame table. A slot holds only
/// while the mappings are at the version it was filled at ([`Maps::version`]).
#[derive(Debug, Clone)]
pub struct FrameCache {
    slots: Vec<CacheSlot>,
}

#[derive(Debug, Clone, Copy, Default)]
struct CacheSlot {
    addr: u64,
    pid: i32,
    version: u32,
    /// Frame id; 0 = empty.
    frame: u32,
    ctx: u8,
}

impl Default for FrameCache {
    fn default() -> Self {
        FrameCache { slots: vec![CacheSlot::default(); CACHE_SLOTS] }
    }
}

impl FrameCache {
    fn slot(pid: i32, addr: u64, ctx: u8) -> usize {
        let k = addr ^ (u64::from(pid as u32) << 40) ^ u64::from(ctx);
        (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CACHE_SLOTS.trailing_zeros())) as usize
    }
}

impl Stacks {
    /// The frame id of `addr` sampled in `pid` in context `ctx` (resolved and interned unless
    /// the cache has it).
    fn frame_of(&mut self, maps: &mut Maps, pid: i32, addr: u64, ctx: Context) -> u32 {
        // Kernel and unknown-context frames do not depend on the process.
        let (pid, c) = match ctx {
            Context::Kernel => (-1, 0),
            Context::User => (pid, 1),
            Context::Other => (-1, 2),
        };
        let version = maps.version();
        let at = FrameCache::slot(pid, addr, c);
        if let Some(s) = self.cache.slots.get(at) {
            if s.frame != 0 && s.addr == addr && s.pid == pid && s.ctx == c && s.version == version {
                return s.frame;
            }
        }
        let key = self.resolve(maps, pid, addr, ctx);
        let frame = self.frame(key);
        if let Some(slot) = self.cache.slots.get_mut(at) {
            *slot = CacheSlot { addr, pid, version, frame, ctx: c };
        }
        frame
    }

    fn frame(&mut self, key: FrameKey) -> u32 {
        let hash = |k: &FrameKey| FastHash::default().hash_one(k);
        let h = hash(&key);
        let frames = &self.frames;
        if let Some(&id) = self.frame_ids.find(h, |&id| frames[id as usize - 1] == key) {
            return id;
        }
        self.frames.push(key);
        let id = self.frames.len() as u32;
        let frames = &self.frames;
        self.frame_ids.insert_unique(h, id, |&id| hash(&frames[id as usize - 1]));
        id
    }

    fn resolve(&mut self, maps: &mut Maps, pid: i32, addr: u64, ctx: Context) -> FrameKey {
        match ctx {
            Context::Kernel => {
                let dso = match maps.kernel(addr) {
                    Some(m) => m.dso,
                    None => *self.kernel_dso.get_or_insert_with(|| {
                        maps.dsos.intern(Dso { name: KERNEL_DSO.into(), build_id: None, jit_pid: None })
                    }),
                };
                FrameKey::Kernel { dso, addr }
            }
            Context::User => match maps.user(pid, addr) {
                Some(m) if m.anon => FrameKey::Jit { dso: m.dso, addr },
                Some(m) => FrameKey::User { dso: m.dso, rel: (addr - m.start).wrapping_add(m.pgoff) },
                None => FrameKey::Unknown { addr },
            },
            Context::Other => FrameKey::Unknown { addr },
        }
    }

    /// Interns the stack of one sample and counts the sample; returns the stack id.
    pub fn sample(
        &mut self,
        maps: &mut Maps,
        pid: i32,
        callchain: Option<&[u64]>,
        ip: Option<u64>,
        cpu_mode: CpuMode,
        unwound: &[u64],
    ) -> i64 {
        let mut ctx = match cpu_mode {
            CpuMode::Kernel => Context::Kernel,
            CpuMode::User => Context::User,
            _ => Context::Other,
        };
        let mut frames = std::mem::take(&mut self.scratch);
        frames.clear();
        if let Some(cc) = callchain.filter(|c| !c.is_empty()) {
            for &addr in cc {
                if addr >= PERF_CONTEXT_MAX {
                    ctx = match addr {
                        CONTEXT_KERNEL => Context::Kernel,
                        CONTEXT_USER => Context::User,
                        CONTEXT_HV => Context::Other,
                        _ => Context::Other,
                    };
                    continue;
                }
                frames.push(self.frame_of(maps, pid, addr, ctx));
            }
        }
        // `--call-graph dwarf`: the unwound user stack (IP first) follows the kernel part; its IP
        // is dropped when the callchain already ends with it.
        if !unwound.is_empty() {
            let last = frames.last().map_or(usize::MAX, |&f| f as usize - 1);
            let last_user = matches!(
                self.frames.get(last),
                Some(FrameKey::User { .. } | FrameKey::Jit { .. } | FrameKey::Unknown { .. })
            );
            let skip = usize::from(last_user);
            for &addr in &unwound[skip.min(unwound.len())..] {
                frames.push(self.frame_of(maps, pid, addr, Context::User));
            }
        }
        // No callchain, or one holding only context markers (`--call-graph dwarf` user samples):
        // the sampled ip is the one frame.
        if frames.is_empty() {
            if let Some(ip) = ip {
                frames.push(self.frame_of(maps, pid, ip, ctx));
            }
        }
        let id = if frames.is_empty() { 0 } else { self.stack_id(&frames) };
        self.scratch = frames;
        let slot = id as usize;
        if self.stack_samples.len() <= slot {
            self.stack_samples.resize(slot + 1, 0);
        }
        self.stack_samples[slot] += 1;
        id
    }

    /// The id of the stack of `frames` (non-empty), interned when new.
    fn stack_id(&mut self, frames: &[u32]) -> i64 {
        i64::from(self.stacks.id(frames)) + 1
    }

    /// Frees the lookup maps (no more samples will come): stacks and frames stay, their lists
    /// trimmed to their length (grown by doubling, they hold up to twice that, and the tables
    /// are written after this: the ingest's peak memory).
    pub fn drop_index(&mut self) {
        self.frame_ids = hashbrown::HashTable::new();
        self.stacks.drop_index();
        self.frames.shrink_to_fit();
        self.stack_samples.shrink_to_fit();
        self.scratch = Vec::new();
        self.cache.slots = Vec::new();
    }

    /// The frames (by id - 1); the stacks are dropped.
    pub fn into_frames(self) -> Vec<FrameKey> {
        self.frames
    }

    /// Number of non-empty stacks.
    pub fn len(&self) -> usize {
        self.stacks.len()
    }

    /// Whether there is no non-empty stack.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frame ids (1-based) of stack `id` (1-based), leaf first.
    pub fn stack(&self, id: usize) -> &[u32] {
        self.stacks.get(id as u32 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cached address lookup holds only while the mappings are unchanged: once `addr` is
    /// mapped to another file, the next sample there gets that file's frame.
    #[test]
    fn the_frame_cache_follows_new_mappings() {
        let mut maps = Maps::default();
        let mut stacks = Stacks::default();
        let u = CpuMode::User;
        maps.add(7, 0x1000, 0x1000, 0, b"/bin/a", u, None);
        let first = stacks.sample(&mut maps, 7, None, Some(0x1010), u, &[]);
        assert_eq!(stacks.sample(&mut maps, 7, None, Some(0x1010), u, &[]), first, "same stack again");
        maps.add(7, 0x1000, 0x1000, 0, b"/bin/b", u, None);
        let second = stacks.sample(&mut maps, 7, None, Some(0x1010), u, &[]);
        assert_ne!(second, first, "a new mapping gives a new frame");
        let dso_of = |id: i64| match stacks.frames[stacks.stack(id as usize)[0] as usize - 1] {
            FrameKey::User { dso, .. } => maps.dsos.list[dso as usize].name.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!((dso_of(first), dso_of(second)), ("/bin/a".to_string(), "/bin/b".to_string()));
        // Another process at the same address: not the cached frame of pid 7.
        maps.add(8, 0x1000, 0x1000, 0x2000, b"/bin/a", u, None);
        let third = stacks.sample(&mut maps, 8, None, Some(0x1010), u, &[]);
        assert!(third != first && third != second);
        assert_eq!(stacks.stack_samples.iter().sum::<u64>(), 4);
    }
}
