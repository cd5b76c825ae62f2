//! `--call-graph dwarf` user stacks (x86_64): unwound with framehop from the sample's user
//! registers (IP, SP, BP) and its copy of the user stack, using the `.eh_frame` /
//! `.eh_frame_hdr` CFI of each mapped binary.
//!
//! Binaries are found like the symbolizer's simple cases: `--symfs` + recorded path, a file of
//! the same name under a `--binary-dir`, else the recorded path itself; each is read once. One
//! framehop unwinder per process holds a module per executable mapping (bias from the ELF
//! `PT_LOAD` segment holding the mapping's file offset). Output: the user addresses, leaf first
//! (the IP, then return addresses as perf prints them).

use std::ops::{Deref, Range};
use std::path::PathBuf;
use std::sync::Arc;

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::{ExplicitModuleSectionInfo, Module, Unwinder};
use object::{Object, ObjectSection, ObjectSegment};

use super::maps::{Dsos, Mapping};
use crate::hash::{HashMap, HashSet};
use crate::symbolize::SymbolOptions;

/// x86_64 perf register numbers.
pub(crate) const REG_BP: u64 = 6;
pub(crate) const REG_SP: u64 = 7;
pub(crate) const REG_IP: u64 = 8;
/// Frames kept per stack at most.
const MAX_FRAMES: usize = 512;

/// Shared section bytes.
#[derive(Clone)]
pub struct Bytes(Arc<[u8]>);

impl Default for Bytes {
    fn default() -> Self {
        Bytes(Arc::from(&[][..]))
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Unwind sections of one binary.
struct Binary {
    /// PT_LOAD segments: (file offset, file size, vaddr).
    loads: Vec<(u64, u64, u64)>,
    text: Option<(Range<u64>, Bytes)>,
    eh_frame: Option<(Range<u64>, Bytes)>,
    eh_frame_hdr: Option<(Range<u64>, Bytes)>,
    got: Option<Range<u64>>,
}

fn load(path: &std::path::Path) -> Option<Binary> {
    let data = std::fs::read(path).ok()?;
    let file = object::File::parse(&data[..]).ok()?;
    let section = |name: &str| {
        let s = file.section_by_name(name)?;
        let bytes = s.data().ok()?;
        Some((s.address()..s.address() + s.size(), Bytes(Arc::from(bytes))))
    };
    let loads = file
        .segments()
        .map(|s| {
            let (off, size) = s.file_range();
            (off, size, s.address())
        })
        .collect();
    Some(Binary {
        loads,
        text: section(".text"),
        eh_frame: section(".eh_frame"),
        eh_frame_hdr: section(".eh_frame_hdr"),
        got: file.section_by_name(".got").map(|s| s.address()..s.address() + s.size()),
    })
}

/// Unwinders of all processes of one perf.data.
pub struct Dwarf {
    opts: SymbolOptions,
    binaries: HashMap<u32, Option<Arc<Binary>>>,
    processes: HashMap<i32, (UnwinderX86_64<Bytes>, HashSet<u64>)>,
    cache: CacheX86_64,
    /// Samples unwound past their IP.
    pub unwound: u64,
    /// Samples with user registers and stack that did not unwind past their IP.
    pub stuck: u64,
    /// DSO names whose binary was not found.
    pub missing: HashSet<String>,
}

impl Dwarf {
    /// Unwinders finding binaries with `opts`.
    pub fn new(opts: SymbolOptions) -> Self {
        Dwarf {
            opts,
            binaries: HashMap::default(),
            processes: HashMap::default(),
            cache: CacheX86_64::new(),
            unwound: 0,
            stuck: 0,
            missing: HashSet::default(),
        }
    }

    fn find(&self, name: &str) -> Option<PathBuf> {
        let rel = name.trim_start_matches('/');
        let file = name.rsplit('/').next().unwrap_or(name);
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(root) = &self.opts.symfs {
            candidates.push(root.join(rel));
        }
        candidates.extend(self.opts.binary_dirs.iter().map(|d| d.join(file)));
        candidates.push(PathBuf::from(name));
        candidates.into_iter().find(|p| p.is_file())
    }

    fn binary(&mut self, dso: u32, dsos: &Dsos) -> Option<Arc<Binary>> {
        if let Some(b) = self.binaries.get(&dso) {
            return b.clone();
        }
        let name = &dsos.list[dso as usize].name;
        let b = if name.starts_with('[') { None } else { self.find(name).and_then(|p| load(&p)).map(Arc::new) };
        if b.is_none() && !name.starts_with('[') {
            self.missing.insert(name.clone());
        }
        self.binaries.insert(dso, b.clone());
        b
    }

    /// Unwinds one sample's user stack of process `pid` into `out` (leaf first); false when the
    /// registers are missing.
    pub fn unwind(
        &mut self,
        pid: i32,
        mappings: &[Mapping],
        dsos: &Dsos,
        (ip, sp, bp): (u64, u64, u64),
        stack: &[u8],
        out: &mut Vec<u64>,
    ) -> bool {
        let mut fresh = Vec::new();
        {
            let added = self.processes.get(&pid).map(|p| &p.1);
            for m in mappings.iter().filter(|m| !m.anon && added.is_none_or(|a| !a.contains(&m.start))) {
                fresh.push(*m);
            }
        }
        for m in fresh {
            let bin = self.binary(m.dso, dsos);
            let entry = self.processes.entry(pid).or_insert_with(|| (UnwinderX86_64::new(), HashSet::default()));
            entry.1.insert(m.start);
            let Some(bin) = bin else { continue };
            let Some(&(off, _, vaddr)) =
                bin.loads.iter().find(|(off, size, _)| (*off..off.saturating_add(*size.max(&1))).contains(&m.pgoff))
            else {
                continue;
            };
            let bias = m.start.wrapping_sub(vaddr.wrapping_add(m.pgoff - off));
            let info = ExplicitModuleSectionInfo {
                base_svma: 0,
                text_svma: bin.text.as_ref().map(|t| t.0.clone()),
                text: bin.text.as_ref().map(|t| t.1.clone()),
                got_svma: bin.got.clone(),
                eh_frame_svma: bin.eh_frame.as_ref().map(|t| t.0.clone()),
                eh_frame: bin.eh_frame.as_ref().map(|t| t.1.clone()),
                eh_frame_hdr_svma: bin.eh_frame_hdr.as_ref().map(|t| t.0.clone()),
                eh_frame_hdr: bin.eh_frame_hdr.as_ref().map(|t| t.1.clone()),
                ..Default::default()
            };
            let name = dsos.list[m.dso as usize].name.clone();
            entry.0.add_module(Module::new(name, m.start..m.end, bias, info));
        }
        let Some((unwinder, _)) = self.processes.get(&pid) else { return false };
        let mut read_stack = |addr: u64| -> Result<u64, ()> {
            let off = addr.checked_sub(sp).ok_or(())? as usize;
            let b = stack.get(off..off.checked_add(8).ok_or(())?).ok_or(())?;
            Ok(u64::from_le_bytes(b.try_into().map_err(|_| ())?))
        };
        let before = out.len();
        let mut it = unwinder.iter_frames(ip, UnwindRegsX86_64::new(ip, sp, bp), &mut self.cache, &mut read_stack);
        while let Ok(Some(f)) = it.next() {
            out.push(f.address());
            if out.len() - before >= MAX_FRAMES {
                break;
            }
        }
        if out.len() - before > 1 {
            self.unwound += 1;
        } else {
            self.stuck += 1;
        }
        true
    }
}
