//! Finding the ELF file for a recorded DSO path: (1) any file under the binary directories whose
//! GNU build-id matches (the directories are walked and indexed once), (2) `--symfs` + recorded
//! path, (3) a file of the same name under the binary directories, (4) the recorded path itself
//! when its build-id matches the recorded one, or when neither has a build-id (by path, as
//! perf). A candidate whose build-id differs from the recorded one is rejected (it is another
//! build). Separate debug files (`.text` NOBITS, with
//! `.symtab`) of the same build-id, found in the index or under
//! `<symfs or />/usr/lib/debug/.build-id/xx/….debug`, supply the symbols, as perf prefers them.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::elf::{probe_file, Probe};
use crate::hex;

/// An indexed file.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    pub probe: Probe,
}

/// The ELF files under the binary directories, by build-id and by file name.
#[derive(Debug, Default)]
pub(crate) struct BinaryIndex {
    by_build_id: HashMap<Vec<u8>, Vec<Candidate>>,
    by_name: HashMap<OsString, Vec<Candidate>>,
    pub files: usize,
}

const MAX_DEPTH: usize = 12;

impl BinaryIndex {
    /// Walks `dirs` recursively (symlinks followed, each directory visited once) and probes every
    /// regular file that starts with the ELF magic.
    pub fn build(dirs: &[PathBuf]) -> BinaryIndex {
        let mut idx = BinaryIndex::default();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        for d in dirs {
            idx.walk(d, 0, &mut seen);
        }
        idx
    }

    fn walk(&mut self, dir: &Path, depth: usize, seen: &mut HashSet<PathBuf>) {
        if depth > MAX_DEPTH {
            return;
        }
        let canon = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !seen.insert(canon) {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let Ok(md) = std::fs::metadata(&p) else { continue };
            if md.is_dir() {
                self.walk(&p, depth + 1, seen);
            } else if md.is_file() && md.len() >= 64 {
                if let Some(probe) = probe_file(&p) {
                    self.add(Candidate { path: p, probe });
                }
            }
        }
    }

    fn add(&mut self, c: Candidate) {
        self.files += 1;
        if let Some(id) = &c.probe.build_id {
            self.by_build_id.entry(norm(id).to_vec()).or_default().push(c.clone());
        }
        if let Some(name) = c.path.file_name() {
            self.by_name.entry(name.to_os_string()).or_default().push(c);
        }
    }

    pub fn by_build_id(&self, id: &[u8]) -> &[Candidate] {
        self.by_build_id.get(norm(id)).map_or(&[], |v| v.as_slice())
    }

    pub fn by_name(&self, name: &std::ffi::OsStr) -> &[Candidate] {
        self.by_name.get(name).map_or(&[], |v| v.as_slice())
    }
}

/// Where the code and the symbols of a DSO come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Located {
    /// The binary (program headers, PLT, and symbols unless `debug` is set).
    pub binary: PathBuf,
    /// A separate debug file with `.symtab`.
    pub debug: Option<PathBuf>,
}

/// Build-ids compare without trailing zero bytes (perf.data pads them to 24 bytes).
pub(crate) fn norm(id: &[u8]) -> &[u8] {
    let n = id.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &id[..n]
}

/// A kallsyms copy of the kernel with `build_id` in perf's build-id cache layout, under one of
/// `dirs`: `[kernel.kallsyms]/<build-id>/kallsyms` or `.build-id/<xx>/<rest>/kallsyms`, as
/// `perf record` keeps it in `~/.debug` and `perf archive` packs it.
pub(crate) fn cached_kallsyms(dirs: &[PathBuf], build_id: &[u8]) -> Option<PathBuf> {
    let id = hex(norm(build_id));
    if id.len() < 3 {
        return None;
    }
    dirs.iter()
        .flat_map(|d| [d.join("[kernel.kallsyms]").join(&id), d.join(".build-id").join(&id[..2]).join(&id[2..])])
        .map(|dir| dir.join("kallsyms"))
        .find(|p| p.is_file())
}

fn join_symfs(symfs: &Path, recorded: &str) -> PathBuf {
    symfs.join(recorded.trim_start_matches('/'))
}

fn accept(recorded_id: Option<&[u8]>, probe: &Probe) -> bool {
    !probe.debug_only
        && match (recorded_id, &probe.build_id) {
            (Some(want), Some(have)) => norm(want) == norm(have),
            _ => true,
        }
}

/// Locates `recorded` (with its recorded build-id, if any).
pub(crate) fn locate(
    index: &BinaryIndex,
    symfs: Option<&Path>,
    recorded: &str,
    build_id: Option<&[u8]>,
) -> Option<Located> {
    let build_id = build_id.map(norm).filter(|id| !id.is_empty());
    // perf records the path of an unlinked binary with this suffix.
    let recorded = recorded.strip_suffix(" (deleted)").unwrap_or(recorded);
    let mut binary: Option<(PathBuf, Probe)> = None;
    // (1) build-id in the index.
    if let Some(id) = build_id {
        if let Some(c) = index.by_build_id(id).iter().find(|c| !c.probe.debug_only) {
            binary = Some((c.path.clone(), c.probe.clone()));
        }
    }
    // (2) symfs + recorded path.
    if binary.is_none() {
        if let Some(root) = symfs {
            let p = join_symfs(root, recorded);
            if let Some(probe) = probe_file(&p).filter(|pr| accept(build_id, pr)) {
                binary = Some((p, probe));
            }
        }
    }
    // (3) same file name in the index.
    if binary.is_none() {
        if let Some(name) = Path::new(recorded).file_name() {
            if let Some(c) = index.by_name(name).iter().find(|c| accept(build_id, &c.probe)) {
                binary = Some((c.path.clone(), c.probe.clone()));
            }
        }
    }
    // (4) the recorded path on this machine: when the build-ids match, or by path alone when
    // neither the recording nor the file has one (as perf does; a Go binary or a Rust
    // toolchain library has no GNU build-id). A local file with a build-id the recording did
    // not note (a DSO seen only in callers) is not used: it may be another build.
    if binary.is_none() && symfs.is_none() {
        let p = PathBuf::from(recorded);
        let same = |pr: &Probe| match build_id {
            Some(id) => pr.build_id.as_deref().map(norm) == Some(norm(id)),
            None => pr.build_id.is_none() && !pr.debug_only,
        };
        if let Some(probe) = probe_file(&p).filter(same) {
            binary = Some((p, probe));
        }
    }
    let (binary, probe) = binary?;
    // A separate debug file with the binary's build-id.
    let id = probe.build_id.as_deref().or(build_id);
    let mut debug = None;
    if let Some(id) = id {
        debug = index.by_build_id(id).iter().find(|c| c.probe.debug_only && c.probe.has_symtab).map(|c| c.path.clone());
        if debug.is_none() {
            // perf's build-id debug directory, under --symfs, or on this machine without it (the
            // build-id is checked, so a local file is used only when it is the recorded build).
            let root = symfs.unwrap_or(Path::new("/"));
            let h = hex(id);
            if h.len() > 2 {
                let p = root.join(format!("usr/lib/debug/.build-id/{}/{}.debug", &h[..2], &h[2..]));
                if probe_file(&p).is_some_and(|pr| pr.has_symtab && pr.build_id.as_deref().map(norm) == Some(norm(id)))
                {
                    debug = Some(p);
                }
            }
        }
    }
    Some(Located { binary, debug })
}
