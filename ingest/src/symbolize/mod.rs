//! Offline symbolization of perf.data addresses, as on an analyst's laptop: kernel addresses
//! from a kallsyms file (plain or .xz), user addresses in file-backed mappings from ELF
//! symbol tables (binaries found under `--symfs` / `--binary-dir`, by build-id or file name),
//! JIT addresses from `perf-PID.map` files; names demangled (Rust, C++).
//!
//! API contract shared by the perf.data reader (`crate::perf_data`); the implementation fills in
//! the bodies. Every lookup is `&self` and the type is `Sync`, so unique addresses can be
//! resolved in parallel (rayon) after the records are read.

use std::path::PathBuf;

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
}

impl Symbolizer {
    /// A symbolizer over these options (nothing is read until the first lookup).
    pub fn new(opts: SymbolOptions) -> Self {
        Symbolizer { opts }
    }

    /// The options.
    pub fn options(&self) -> &SymbolOptions {
        &self.opts
    }

    /// Whether kernel symbols are available (a kallsyms file was given and read).
    pub fn has_kernel_symbols(&self) -> bool {
        false
    }

    /// A kernel address (absolute, as in the callchain).
    pub fn kernel(&self, _addr: u64) -> Option<Symbol> {
        None
    }

    /// An address in a file-backed mapping: `path` as recorded in the MMAP/MMAP2 record,
    /// `build_id` from the perf.data build-id table or MMAP2 (if any), `file_offset` =
    /// `ip - map.start + map.pgoff` (what perf script prints as the DSO-relative ip).
    pub fn in_file(&self, _path: &str, _build_id: Option<&[u8]>, _file_offset: u64) -> Lookup {
        Lookup::MissingBinary
    }

    /// A JIT address of process `pid`, from `perf-PID.map` in the map directories.
    pub fn jit(&self, _pid: i64, _addr: u64) -> Option<Symbol> {
        None
    }
}
