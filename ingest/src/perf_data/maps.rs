//! Per-process executable mappings from MMAP / MMAP2 records, and the DSO table they point into.
//!
//! Each pid has an interval map (start → mapping); a new mapping replaces the parts of older ones
//! it overlaps (as the kernel does on `mmap`), a forked process starts with a copy of its
//! parent's mappings. Kernel mappings (`[kernel.kallsyms]_text`, modules) come with pid -1 and
//! live in their own map. Non-executable mappings are not kept (perf records only executable
//! ones unless `--data`).

use std::collections::BTreeMap;

use crate::hash::HashMap;
use linux_perf_data::linux_perf_event_reader::CpuMode;
use linux_perf_data::DsoKey;

/// A DSO as perf names it, with its build-id when the file has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dso {
    /// Path as recorded (`/usr/lib/x86_64-linux-gnu/libc.so.6`), or `[kernel.kallsyms]`,
    /// `[module]`, `[vdso]`, `/tmp/perf-PID.map`.
    pub name: String,
    /// GNU build-id (MMAP2 inline, else the perf.data build-id table).
    pub build_id: Option<Vec<u8>>,
    /// The process of a JIT DSO (`/tmp/perf-PID.map`), whose symbols its perf map gives.
    pub jit_pid: Option<i32>,
}

/// Interned DSOs (index = id).
#[derive(Debug, Default)]
pub struct Dsos {
    /// By id.
    pub list: Vec<Dso>,
    index: HashMap<Dso, u32>,
}

impl Dsos {
    /// The id of this DSO, added on first sight.
    pub fn intern(&mut self, dso: Dso) -> u32 {
        if let Some(&id) = self.index.get(&dso) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(dso.clone());
        self.index.insert(dso, id);
        id
    }
}

/// One executable mapping.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// File offset of `start`.
    pub pgoff: u64,
    /// DSO id in [`Dsos`].
    pub dso: u32,
    /// Anonymous memory (JIT code): addresses stay absolute, names come from `perf-PID.map`.
    pub anon: bool,
}

/// Whether perf treats a mapping path as anonymous memory (its symbols from `perf-PID.map`).
pub fn is_anon(path: &str) -> bool {
    path == "//anon"
        || path.starts_with("/anon_hugepage")
        || path.starts_with("/dev/zero")
        || path.starts_with("[anon:")
        || path.starts_with("/memfd:")
}

/// All mappings seen so far.
#[derive(Debug, Default)]
pub struct Maps {
    by_pid: HashMap<i32, BTreeMap<u64, Mapping>>,
    kernel: BTreeMap<u64, Mapping>,
    /// Build-ids of the perf.data build-id table.
    pub build_ids: HashMap<DsoKey, Vec<u8>>,
    /// DSOs.
    pub dsos: Dsos,
    /// Bumped whenever a mapping is added or copied: address lookups cached at one version hold
    /// until the next.
    version: u32,
    /// The kernel's relocation reference as recorded: perf names the kernel mapping
    /// `[kernel.kallsyms]<symbol>` (`_text`, `_stext`) and puts that symbol's address, at
    /// recording time, in its page offset. Compared with the symbol's address in a kallsyms
    /// copy, it tells how far KASLR moved the kernel between that boot and the copy's.
    pub kernel_ref: Option<(String, u64)>,
}

fn insert(map: &mut BTreeMap<u64, Mapping>, m: Mapping) {
    if m.end <= m.start {
        return;
    }
    let overlapping: Vec<u64> =
        map.range(..m.end).rev().take_while(|(_, o)| o.end > m.start).map(|(&s, _)| s).collect();
    for s in overlapping {
        let Some(o) = map.remove(&s) else { continue };
        if o.start < m.start {
            map.insert(o.start, Mapping { end: m.start, ..o });
        }
        if o.end > m.end {
            map.insert(m.end, Mapping { start: m.end, pgoff: o.pgoff + (m.end - o.start), ..o });
        }
    }
    map.insert(m.start, m);
}

fn find(map: &BTreeMap<u64, Mapping>, addr: u64) -> Option<&Mapping> {
    map.range(..=addr).next_back().map(|(_, m)| m).filter(|m| addr < m.end)
}

impl Maps {
    /// Records a mapping of `pid` (-1 = kernel).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        pid: i32,
        start: u64,
        len: u64,
        pgoff: u64,
        path: &[u8],
        cpu_mode: CpuMode,
        inline_build_id: Option<&[u8]>,
    ) {
        let raw = String::from_utf8_lossy(path);
        let kernel = pid == -1 || matches!(cpu_mode, CpuMode::Kernel | CpuMode::GuestKernel);
        if let Some(symbol) = raw.strip_prefix("[kernel.kallsyms]").filter(|s| kernel && !s.is_empty()) {
            self.kernel_ref = Some((symbol.to_string(), pgoff));
        }
        let anon = !kernel && is_anon(&raw);
        let key = DsoKey::detect(path, cpu_mode);
        let name = if anon {
            format!("/tmp/perf-{pid}.map")
        } else if kernel {
            // `[kernel.kallsyms]_text` → `[kernel.kallsyms]`, `/lib/.../x.ko` → `[x]`.
            key.as_ref().map_or_else(|| raw.to_string(), |k| k.name().to_string())
        } else {
            raw.to_string()
        };
        let build_id = inline_build_id
            .map(<[u8]>::to_vec)
            .or_else(|| key.as_ref().and_then(|k| self.build_ids.get(k)).cloned())
            .filter(|b| !b.is_empty() && b.iter().any(|&x| x != 0));
        let dso = self.dsos.intern(Dso { name, build_id, jit_pid: anon.then_some(pid) });
        let m = Mapping { start, end: start.saturating_add(len), pgoff, dso, anon };
        self.version = self.version.wrapping_add(1);
        if kernel && pid == -1 {
            insert(&mut self.kernel, m);
        } else {
            insert(self.by_pid.entry(pid).or_default(), m);
        }
    }

    /// A new process `child` forked from `parent` inherits a copy of its mappings.
    pub fn fork(&mut self, parent: i32, child: i32) {
        if parent == child {
            return;
        }
        let copy = self.by_pid.get(&parent).cloned().unwrap_or_default();
        self.by_pid.insert(child, copy);
        self.version = self.version.wrapping_add(1);
    }

    /// The mappings' version: it changes whenever a lookup's answer may.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The user mapping of `pid` covering `addr`.
    pub fn user(&self, pid: i32, addr: u64) -> Option<&Mapping> {
        self.by_pid.get(&pid).and_then(|m| find(m, addr))
    }

    /// All user mappings of `pid`, by address.
    pub fn user_mappings(&self, pid: i32) -> Vec<Mapping> {
        self.by_pid.get(&pid).map(|m| m.values().copied().collect()).unwrap_or_default()
    }

    /// The kernel mapping covering `addr` (kernel image or module).
    pub fn kernel(&self, addr: u64) -> Option<&Mapping> {
        find(&self.kernel, addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_mappings_are_replaced() {
        let mut maps = Maps::default();
        maps.add(1, 0x1000, 0x3000, 0, b"/a", CpuMode::User, None);
        maps.add(1, 0x2000, 0x1000, 0x10, b"/b", CpuMode::User, None);
        let a = maps.user(1, 0x1800).unwrap();
        assert_eq!((a.start, a.end), (0x1000, 0x2000));
        let b = maps.user(1, 0x2800).unwrap();
        assert_eq!(maps.dsos.list[b.dso as usize].name, "/b");
        let tail = maps.user(1, 0x3800).unwrap();
        assert_eq!((tail.start, tail.pgoff), (0x3000, 0x2000));
        assert!(maps.user(1, 0x4000).is_none());
        maps.fork(1, 2);
        assert!(maps.user(2, 0x2800).is_some());
        maps.add(1, 0x7000, 0x1000, 0, b"//anon", CpuMode::User, None);
        let j = maps.user(1, 0x7010).unwrap();
        assert!(j.anon);
        assert_eq!(maps.dsos.list[j.dso as usize].name, "/tmp/perf-1.map");
    }
}
