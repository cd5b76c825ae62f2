//! Frame-pointer callchains → raw frame ids and their keys (made frame ids and stacks by
//! [`super::stacks`]).
//!
//! A sample's callchain (`PERF_SAMPLE_CALLCHAIN`) lists addresses leaf first, with
//! `PERF_CONTEXT_*` markers (values ≥ `PERF_CONTEXT_MAX` = -4095) switching between the kernel
//! part and the user part. Each address becomes a [`FrameKey`], as `perf script` prints it:
//! kernel addresses absolute (dso `[kernel.kallsyms]` or `[module]`), user addresses in a
//! file-backed mapping DSO-relative (`ip - start + pgoff`), addresses in anonymous memory (JIT)
//! absolute with dso `/tmp/perf-PID.map`, anything else absolute with dso `[unknown]`. Samples
//! without a callchain get their `ip` as their one frame.
//!
//! Where the records are read, [`FrameTable`] turns each address into a raw frame id through a
//! cache (a miss: the address is resolved against the mappings, and gets a new raw id whose key
//! goes out with the batch); where they are replayed, [`super::stacks`] deduplicates the keys
//! into frame ids and interns the stacks. Both halves are about equal work, on two cores.

use linux_perf_data::linux_perf_event_reader::CpuMode;

use super::maps::{Dso, Maps};

/// Smallest `PERF_CONTEXT_*` marker value (`-4095` as u64).
pub const PERF_CONTEXT_MAX: u64 = -4095i64 as u64;
const CONTEXT_HV: u64 = -32i64 as u64;
/// `PERF_CONTEXT_KERNEL`: the kernel part of a callchain follows.
pub const CONTEXT_KERNEL: u64 = -128i64 as u64;
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Kernel,
    User,
    Other,
}

/// The reading half of frame interning: callchain addresses → raw frame ids, through a cache.
/// Raw ids are 1-based and given in order; the key of each new one is kept until
/// [`FrameTable::take_keys`] hands it to the replay. Two raw ids may have the same key (an
/// address evicted from the cache and seen again); the replay maps them to one frame id.
#[derive(Debug, Default)]
pub struct FrameTable {
    /// Keys of the raw ids given since the last [`FrameTable::take_keys`].
    new_keys: Vec<FrameKey>,
    /// Raw ids given so far.
    raw_ids: u32,
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

impl FrameTable {
    /// The raw frame id of `addr` sampled in `pid` in context `ctx` (a new one, with its key
    /// resolved, unless the cache has it).
    fn frame_of(&mut self, maps: &mut Maps, pid: i32, addr: u64, ctx: Context) -> u32 {
        // Kernel and unknown-context frames do not depend on the process.
        let (key_pid, c) = match ctx {
            Context::Kernel => (-1, 0),
            Context::User => (pid, 1),
            Context::Other => (-1, 2),
        };
        let version = maps.version();
        let at = FrameCache::slot(key_pid, addr, c);
        if let Some(s) = self.cache.slots.get(at) {
            if s.frame != 0 && s.addr == addr && s.pid == key_pid && s.ctx == c && s.version == version {
                return s.frame;
            }
        }
        let key = self.resolve(maps, pid, addr, ctx);
        self.new_keys.push(key);
        self.raw_ids += 1;
        let frame = self.raw_ids;
        if let Some(slot) = self.cache.slots.get_mut(at) {
            *slot = CacheSlot { addr, pid: key_pid, version, frame, ctx: c };
        }
        frame
    }

    /// Moves the keys of the raw ids given since the last call to the end of `into` (in raw id
    /// order).
    pub fn take_keys(&mut self, into: &mut Vec<FrameKey>) {
        into.append(&mut self.new_keys);
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

    /// Appends to `frames` the raw frame ids of one sample's stack, leaf first (none when it
    /// has no frames).
    #[allow(clippy::too_many_arguments)]
    pub fn chain(
        &mut self,
        maps: &mut Maps,
        pid: i32,
        callchain: Option<&[u64]>,
        ip: Option<u64>,
        cpu_mode: CpuMode,
        unwound: &[u64],
        frames: &mut Vec<u32>,
    ) {
        let first = frames.len();
        // Context of the last frame pushed (a kernel frame is the only kind not in user space).
        let mut last_ctx = None;
        let mut ctx = match cpu_mode {
            CpuMode::Kernel => Context::Kernel,
            CpuMode::User => Context::User,
            _ => Context::Other,
        };
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
                last_ctx = Some(ctx);
            }
        }
        // `--call-graph dwarf`: the unwound user stack (IP first) follows the kernel part; its IP
        // is dropped when the callchain already ends with it.
        if !unwound.is_empty() {
            let last_user = last_ctx.is_some_and(|c| c != Context::Kernel);
            let skip = usize::from(last_user);
            for &addr in &unwound[skip.min(unwound.len())..] {
                frames.push(self.frame_of(maps, pid, addr, Context::User));
            }
        }
        // No callchain, or one holding only context markers (`--call-graph dwarf` user samples):
        // the sampled ip is the one frame.
        if frames.len() == first {
            if let Some(ip) = ip {
                frames.push(self.frame_of(maps, pid, ip, ctx));
            }
        }
    }
}
