//! Offline symbolization of perf.data addresses, as on an analyst's laptop: kernel addresses
//! from a kallsyms file (plain or .xz; without `--kallsyms`, the copy of the recorded kernel's
//! build-id in perf's build-id cache layout under a binary directory: an unpacked `perf
//! archive`, or `~/.debug`), user addresses in file-backed mappings from ELF
//! symbol tables (binaries found under `--symfs` / `--binary-dir`, by build-id or file name),
//! JIT addresses from `perf-PID.map` files; names demangled (Rust, C++).
//!
//! API contract shared by the perf.data reader (`crate::perf_data`). Every lookup is `&self` and
//! the type is `Sync`, so unique addresses can be resolved in parallel (rayon) after the records
//! are read. Each kallsyms file, binary and perf map is read at most once, lazily, on its first
//! lookup (`OnceLock` slots; the maps' locks are held only to find a slot, never while loading);
//! lookups are binary searches over sorted tables.
//!
//! Names reproduce perf 6.1's choices (checked line by line against `perf script` output of the
//! corpus in `tests/it/symbolize.rs`): kallsyms `T/W/D/B` symbols with ends fixed up before
//! duplicates are resolved (so the last of a same-address group wins, e.g.
//! `__x64_sys_sched_yield` over `__ia32_sys_sched_yield`); ELF `.symtab` from a separate debug
//! file of the same build-id when there is one (libc's `msort_with_tmp.part.0`,
//! `pthread_mutex_lock@@GLIBC_2.2.5`), else the binary's `.symtab`, else `.dynsym` plus the Go
//! `.gopclntab`; PLT entries as `name@plt` in relocation order; C++ demangled without parameters.
//!
//! Files: `symtab.rs` (sorted tables, perf's fix-ups), `kallsyms.rs`, `elf.rs` (ELF symbols,
//! file offset → virtual address, PLT), `gopclntab.rs`, `perf_map.rs`, `demangle.rs`,
//! `locate.rs` (build-id index of the binary directories, `--symfs`, debug files).

mod demangle;
/// A symbol name from [`ElfSymbols::entry_name`] as [`Symbolizer::in_file`] gives it
/// (Rust and C++ demangled as perf prints them).
pub fn demangle_name(mangled: &str) -> std::borrow::Cow<'_, str> {
    demangle::demangle(mangled)
}
mod elf;
mod gopclntab;
mod kallsyms;
mod locate;
mod names;
mod perf_map;
mod symtab;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

pub use demangle::demangle;
pub use elf::{file_offset_to_vaddr, Segment};

use crate::hash::HashMap;
use elf::ElfSymbols;
use kallsyms::Kallsyms;
use locate::{BinaryIndex, Located};
use perf_map::PerfMap;

/// Where to find symbols (the CLI's `--symfs`, `--binary-dir`, `--kallsyms`, `--perf-map-dir`).
#[derive(Debug, Clone, Default)]
pub struct SymbolOptions {
    /// Root prefixed to recorded paths, as perf's `--symfs`.
    pub symfs: Option<PathBuf>,
    /// Directories searched for binaries by build-id (any file whose GNU build-id matches) or by
    /// file name (repeatable).
    pub binary_dirs: Vec<PathBuf>,
    /// A `/proc/kallsyms` copy of the recording kernel (plain text or `.xz`).
    pub kallsyms: Option<PathBuf>,
    /// Directories holding `perf-PID.map` files (JIT symbols).
    pub perf_map_dirs: Vec<PathBuf>,
}

/// A resolved symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Demangled function name, as perf prints it (e.g. `msort_with_tmp.part.0`,
    /// `pthread_mutex_lock@@GLIBC_2.2.5`, `java.lang.String Alloc.buildString(int)`).
    pub name: String,
    /// Address minus the symbol's start.
    pub offset: u64,
}

/// Outcome of a lookup in a mapped file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Found the binary and a symbol covering the address.
    Found(Symbol),
    /// Found the binary but no symbol covers the address.
    NoSymbol,
    /// The binary was not found (or is not a readable ELF); the frame keeps dso + offset.
    MissingBinary,
}

/// Symbol sources loaded lazily, each binary / map / kallsyms read at most once.
#[derive(Debug, Default)]
pub struct Symbolizer {
    opts: SymbolOptions,
    /// The kallsyms file read (given, or found by the kernel's build-id) and its symbols.
    kallsyms: OnceLock<Option<(PathBuf, Kallsyms)>>,
    /// The recording kernel's build-id, for a kallsyms copy in a build-id cache.
    kernel_build_id: OnceLock<Vec<u8>>,
    index: OnceLock<BinaryIndex>,
    /// (recorded path, recorded build-id) → the loaded binary (None = missing).
    dsos: RwLock<HashMap<DsoKey, Slot<ElfSymbols>>>,
    /// Located file (binary, debug) → loaded symbols, so one file is read once whatever the
    /// recorded paths that lead to it.
    files: RwLock<HashMap<Located, Slot<ElfSymbols>>>,
    maps: RwLock<HashMap<i64, Slot<PerfMap>>>,
    /// Recorded DSO paths that could not be symbolized, with the reason.
    missing: Mutex<BTreeMap<String, String>>,
    /// Files that failed to load (kallsyms, ELF), with the error.
    errors: Mutex<BTreeMap<String, String>>,
}

/// A recorded DSO: path and recorded build-id.
type DsoKey = (String, Option<Vec<u8>>);

/// A value loaded at most once; the map lock is held only to find or insert the slot.
type Slot<T> = Arc<OnceLock<Option<Arc<T>>>>;

fn slot<K: std::hash::Hash + Eq, T>(map: &RwLock<HashMap<K, Slot<T>>>, key: K) -> Slot<T> {
    if let Some(s) = map.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return s.clone();
    }
    let mut m = map.write().unwrap_or_else(|e| e.into_inner());
    m.entry(key).or_default().clone()
}

/// A recorded DSO's symbols, as [`Symbolizer::load_dso`] loads them.
#[derive(Debug)]
pub struct DsoSymbols {
    /// The symbol table.
    pub symbols: ElfSymbols,
    /// The file was taken by its recorded path alone: neither the recording nor the file has a
    /// build-id to check it against (as perf does).
    pub by_path: bool,
}

/// Where a DSO's symbols came from (for the ingest log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsoSource {
    /// Path as recorded in perf.data.
    pub recorded: String,
    /// The binary used (program headers, PLT).
    pub binary: PathBuf,
    /// The separate debug file whose `.symtab` was used, if any.
    pub debug: Option<PathBuf>,
    /// GNU build-id of the binary used, if it has one.
    pub build_id: Option<Vec<u8>>,
    /// Number of symbols loaded.
    pub symbols: usize,
}

impl Symbolizer {
    /// A symbolizer over these options (nothing is read until the first lookup).
    pub fn new(opts: SymbolOptions) -> Self {
        Symbolizer { opts, ..Symbolizer::default() }
    }

    /// The options.
    pub fn options(&self) -> &SymbolOptions {
        &self.opts
    }

    fn kallsyms(&self) -> Option<&Kallsyms> {
        self.kallsyms
            .get_or_init(|| {
                let path = match &self.opts.kallsyms {
                    Some(p) => p.clone(),
                    None => locate::cached_kallsyms(&self.opts.binary_dirs, self.kernel_build_id.get()?)?,
                };
                match Kallsyms::load(&path) {
                    Ok(k) if !k.is_empty() => Some((path, k)),
                    Ok(_) => {
                        self.note_error(path.display().to_string(), "no usable symbols (all addresses zero?)".into());
                        None
                    }
                    Err(e) => {
                        self.note_error(path.display().to_string(), e.to_string());
                        None
                    }
                }
            })
            .as_ref()
            .map(|(_, k)| k)
    }

    /// The recording kernel's build-id (perf.data's build-id table): without `--kallsyms`, kernel
    /// symbols come from a kallsyms copy of that build-id in perf's build-id cache layout under a
    /// binary directory (`[kernel.kallsyms]/<build-id>/kallsyms`, as `perf archive` packs it and
    /// `~/.debug` keeps it). Call it before the first kernel lookup; the first call counts (one
    /// kernel per symbolizer, as with `--kallsyms`).
    pub fn set_kernel_build_id(&self, build_id: &[u8]) {
        let _ = self.kernel_build_id.set(build_id.to_vec());
    }

    /// The kallsyms file kernel symbols were read from (given or found), once one was read.
    pub fn kallsyms_file(&self) -> Option<&Path> {
        self.kallsyms.get()?.as_ref().map(|(path, _)| path.as_path())
    }

    fn note_error(&self, what: String, err: String) {
        self.errors.lock().unwrap_or_else(|e| e.into_inner()).insert(what, err);
    }

    /// Whether kernel symbols are available (a kallsyms file was given and read).
    pub fn has_kernel_symbols(&self) -> bool {
        self.kallsyms().is_some()
    }

    /// The address of the kernel's relocation reference `name` (`_text` or `_stext`, as perf
    /// records it) in the kallsyms file.
    pub fn kernel_reference(&self, name: &str) -> Option<u64> {
        self.kallsyms()?.reference(name)
    }

    /// A kernel address (absolute, as in the callchain).
    pub fn kernel(&self, addr: u64) -> Option<Symbol> {
        let (name, offset, _) = self.kallsyms()?.find(addr)?;
        Some(Symbol { name: name.to_owned(), offset })
    }

    /// The kernel module (without brackets; perf prints the dso as `[name]`) holding a kernel
    /// address, `None` for the core kernel (`[kernel.kallsyms]`) or an unknown address.
    pub fn kernel_module(&self, addr: u64) -> Option<String> {
        self.kallsyms()?.find(addr)?.2.map(str::to_owned)
    }

    fn index(&self) -> &BinaryIndex {
        self.index.get_or_init(|| BinaryIndex::build(&self.opts.binary_dirs))
    }

    fn binary(&self, path: &str, build_id: Option<&[u8]>) -> Option<Arc<ElfSymbols>> {
        let key = (path.to_owned(), build_id.map(<[u8]>::to_vec));
        let s = slot(&self.dsos, key);
        s.get_or_init(|| {
            let located = self.locate_dso(path, build_id)?;
            let loaded = self.load_file(&located);
            if loaded.is_none() {
                self.note_unreadable(path, &located);
            }
            loaded
        })
        .clone()
    }

    /// Where the file of a recorded DSO is (noted as missing when nowhere).
    fn locate_dso(&self, path: &str, build_id: Option<&[u8]>) -> Option<Located> {
        let located = locate::locate(self.index(), self.opts.symfs.as_deref(), path, build_id);
        if located.is_none() {
            let why = match build_id {
                Some(id) => {
                    format!("not found (build-id {})", crate::hex(id))
                }
                None => "not found".to_owned(),
            };
            self.missing.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_owned(), why);
        }
        located
    }

    fn note_unreadable(&self, path: &str, located: &Located) {
        self.missing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), format!("{} is not a readable ELF file", located.binary.display()));
    }

    fn load_file(&self, located: &Located) -> Option<Arc<ElfSymbols>> {
        let s = slot(&self.files, located.clone());
        s.get_or_init(|| {
            // Read in place: only the headers and the sections used, not the whole file.
            match ElfSymbols::load_files(&located.binary, located.debug.as_deref()) {
                Ok(e) => Some(Arc::new(e)),
                Err(e) => {
                    self.note_error(located.binary.display().to_string(), e);
                    None
                }
            }
        })
        .clone()
    }

    /// An address in a file-backed mapping: `path` as recorded in the MMAP/MMAP2 record,
    /// `build_id` from the perf.data build-id table or MMAP2 (if any), `file_offset` =
    /// `ip - map.start + map.pgoff` (what perf script prints as the DSO-relative ip).
    pub fn in_file(&self, path: &str, build_id: Option<&[u8]>, file_offset: u64) -> Lookup {
        let Some(bin) = self.binary(path, build_id) else { return Lookup::MissingBinary };
        match bin.find_file_offset(file_offset) {
            Some((name, offset)) => Lookup::Found(Symbol { name: name.into_owned(), offset }),
            None => Lookup::NoSymbol,
        }
    }

    /// The symbols of a recorded DSO's file, loaded now on the calling thread and not kept by
    /// the symbolizer (`None` when the file is missing or unreadable, noted as for a lookup):
    /// a caller that looks up many addresses in one file searches its table itself, demangles
    /// each symbol found once (`ElfSymbols::find_file_offset_entry`, [`demangle_name`]), and
    /// frees the table when done (a `libLLVM.so` has 258K symbols).
    pub fn load_dso(&self, path: &str, build_id: Option<&[u8]>) -> Option<DsoSymbols> {
        let located = self.locate_dso(path, build_id)?;
        match ElfSymbols::load_files(&located.binary, located.debug.as_deref()) {
            Ok(symbols) => Some(DsoSymbols {
                by_path: symbols.build_id.is_none() && located.binary == std::path::Path::new(path),
                symbols,
            }),
            Err(e) => {
                self.note_error(located.binary.display().to_string(), e);
                self.note_unreadable(path, &located);
                None
            }
        }
    }

    /// A JIT address of process `pid`, from `perf-PID.map` in the map directories.
    pub fn jit(&self, pid: i64, addr: u64) -> Option<Symbol> {
        let s = slot(&self.maps, pid);
        let map = s
            .get_or_init(|| {
                let file = format!("perf-{pid}.map");
                let path = self.opts.perf_map_dirs.iter().map(|d| d.join(&file)).find(|p| p.is_file())?;
                match std::fs::read(&path) {
                    Ok(text) => Some(Arc::new(PerfMap::parse(&text))),
                    Err(e) => {
                        self.note_error(path.display().to_string(), e.to_string());
                        None
                    }
                }
            })
            .clone()?;
        let (name, offset) = map.find(addr)?;
        Some(Symbol { name: name.to_owned(), offset })
    }

    /// The binary file this symbolizer uses for a recorded DSO (same rules as `in_file`: build-id
    /// index of the binary directories, `--symfs` + path, file name, local file with the recorded
    /// build-id), e.g. for a DWARF unwinder that needs the binary's `.eh_frame`. Does not load
    /// symbols.
    pub fn locate_binary(&self, path: &str, build_id: Option<&[u8]>) -> Option<PathBuf> {
        locate::locate(self.index(), self.opts.symfs.as_deref(), path, build_id).map(|l| l.binary)
    }

    /// Recorded DSO paths looked up so far whose binary was not found or not readable, with the
    /// reason, sorted by path (for the ingest log: "which DSOs were missing").
    pub fn missing_dsos(&self) -> Vec<(String, String)> {
        let m = self.missing.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Files that failed to load (kallsyms, ELF, perf map), with the error, sorted by path.
    pub fn load_errors(&self) -> Vec<(String, String)> {
        let m = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The DSOs resolved so far and the files their symbols came from, sorted by recorded path.
    pub fn dso_sources(&self) -> Vec<DsoSource> {
        let dsos = self.dsos.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<DsoSource> = dsos
            .iter()
            .filter_map(|((recorded, id), slot)| {
                let elf = slot.get()?.as_ref()?;
                let located = locate::locate(self.index(), self.opts.symfs.as_deref(), recorded, id.as_deref())?;
                Some(DsoSource {
                    recorded: recorded.clone(),
                    binary: located.binary,
                    debug: located.debug,
                    build_id: elf.build_id.clone(),
                    symbols: elf.len(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.recorded.cmp(&b.recorded));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolizer_is_sync_and_send() {
        fn check<T: Sync + Send>() {}
        check::<Symbolizer>();
    }

    #[test]
    fn nothing_configured() {
        let s = Symbolizer::new(SymbolOptions::default());
        assert!(!s.has_kernel_symbols());
        assert_eq!(s.kernel(0xffff_ffff_8100_0000), None);
        assert_eq!(s.in_file("/nonexistent/libfoo.so", None, 0x1000), Lookup::MissingBinary);
        assert_eq!(s.jit(1, 0x1000), None);
        assert_eq!(s.missing_dsos(), vec![("/nonexistent/libfoo.so".to_owned(), "not found".to_owned())]);
    }
}
