//! Opening a source file: expanding directories, reading the head for sniffing, transparent
//! gzip, progress counting, and hashing (SHA-256) of the raw bytes: of a directory capture
//! here, of a file in [`hashed`] while it is parsed.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::format::SNIFF_BYTES;
use crate::{hex, IngestError};

mod chunk_queue;
mod hashed;

pub use hashed::{hash_beside, open_hashed, HashFeed, PendingHash};

/// A file to ingest, and whether the user named it (vs. found it in a directory).
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Path.
    pub path: PathBuf,
    /// Named explicitly on the command line.
    pub explicit: bool,
    /// A directory capture of cgroups (read as one source), not a file.
    pub cgroup_dir: bool,
    /// Why an entry found in a directory is not read (a FIFO, a dangling link): it is listed
    /// as skipped, like a file of no known format.
    pub skip: Option<String>,
}

impl InputFile {
    fn new(path: PathBuf, explicit: bool, cgroup_dir: bool) -> Self {
        Self { path, explicit, cgroup_dir, skip: None }
    }
}

/// Whether a directory is a cgroup capture: it holds cgroupfs files (a one-off copy), a
/// `TIMESTAMP_NS` file, or only sub-directories named by timestamps that hold such copies.
pub fn is_cgroup_dir(dir: &Path) -> bool {
    fn holds_cgroup_files(dir: &Path) -> bool {
        std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).any(|e| {
            let n = e.file_name().to_string_lossy().to_string();
            n == crate::cgroup::dir::TIMESTAMP_FILE
                || (crate::cgroup::files::is_cgroup_file(&n) && e.file_type().is_ok_and(|t| t.is_file()))
        })
    }
    /// Cgroup files somewhere below (a copied tree keeps the cgroup path), a few levels deep.
    fn cgroup_files_below(dir: &Path, depth: usize) -> bool {
        holds_cgroup_files(dir)
            || (depth > 0
                && std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .any(|e| e.file_type().is_ok_and(|t| t.is_dir()) && cgroup_files_below(&e.path(), depth - 1)))
    }
    if holds_cgroup_files(dir) {
        return true;
    }
    let entries: Vec<_> = std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).collect();
    let timed = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    !entries.is_empty()
        && entries.iter().all(|e| timed(&e.file_name().to_string_lossy()) && e.path().is_dir())
        && entries.iter().all(|e| cgroup_files_below(&e.path(), 6))
}

/// Expands files and directories (recursively, sorted, hidden entries skipped) into files.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<InputFile>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| IngestError::Io { path: input.clone(), source })?;
        if meta.is_dir() && is_cgroup_dir(input) {
            out.push(InputFile::new(input.clone(), true, true));
        } else if meta.is_dir() {
            walk(input, &mut out)?;
        } else {
            out.push(InputFile::new(input.clone(), true, false));
        }
    }
    Ok(out)
}

/// The files under `dir`. Entries that are not regular files (FIFOs, sockets, devices: reading
/// one could block for ever), links that lead nowhere, and links to directories (not followed,
/// so a link to an ancestor cannot loop) are listed with the reason they are skipped.
fn walk(dir: &Path, out: &mut Vec<InputFile>) -> Result<(), IngestError> {
    let rd = std::fs::read_dir(dir).map_err(|source| IngestError::Io { path: dir.to_path_buf(), source })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        let link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        let skip = |reason: String| InputFile { skip: Some(reason), ..InputFile::new(p.clone(), false, false) };
        match std::fs::metadata(&p) {
            Err(e) if link => out.push(skip(format!("a symbolic link that cannot be followed: {e}"))),
            Err(e) => out.push(skip(format!("cannot be read: {e}"))),
            Ok(m) if m.is_dir() && link => out.push(skip("a symbolic link to a directory (not followed)".into())),
            Ok(m) if m.is_dir() && is_cgroup_dir(&p) => out.push(InputFile::new(p, false, true)),
            Ok(m) if m.is_dir() => walk(&p, out)?,
            Ok(m) if m.is_file() => out.push(InputFile::new(p, false, false)),
            Ok(_) => out.push(skip("not a regular file (a FIFO, socket or device)".into())),
        }
    }
    Ok(())
}

/// Counts bytes read, reporting progress every MiB.
pub struct CountingReader<'a, R> {
    inner: R,
    on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
    unreported: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.unreported += n as u64;
        if self.unreported >= 1 << 20 || n == 0 {
            if let Some(f) = self.on_progress {
                f(self.unreported);
            }
            self.unreported = 0;
        }
        Ok(n)
    }
}

/// An opened source: its head (decompressed) for sniffing and a reader positioned at byte 0.
pub struct OpenSource<'a> {
    /// Up to [`SNIFF_BYTES`] of (decompressed) content.
    pub head: Vec<u8>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
    /// Reader over the whole (decompressed) content, starting with `head`.
    pub reader: Box<dyn BufRead + Send + 'a>,
}

/// Opens `path` for sniffing and parsing. `on_progress` receives raw bytes read.
pub fn open<'a>(path: &Path, on_progress: Option<&'a (dyn Fn(u64) + Sync)>) -> Result<OpenSource<'a>, IngestError> {
    let io = |source| IngestError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = BufReader::with_capacity(256 * 1024, CountingReader { inner: file, on_progress, unreported: 0 });
    let gzip = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let (head, content) = read_head(raw, gzip).map_err(io)?;
    let reader: Box<dyn BufRead + Send + 'a> = Box::new(BufReader::with_capacity(256 * 1024, content));
    Ok(OpenSource { head, gzip, reader })
}

/// The first [`SNIFF_BYTES`] of the (gunzipped when `gzip`) content, and a reader of the whole
/// content (the head put back in front).
fn read_head<'a>(raw: impl BufRead + Send + 'a, gzip: bool) -> std::io::Result<(Vec<u8>, impl BufRead + Send + 'a)> {
    let mut content: Box<dyn BufRead + Send + 'a> = if gzip {
        Box::new(BufReader::with_capacity(256 * 1024, flate2::bufread::MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    if let Err(e) = (&mut content).take(SNIFF_BYTES as u64).read_to_end(&mut head) {
        // Where it failed: the bytes read so far stay in `head`.
        let what = if gzip { "decompressed content" } else { "content" };
        return Err(std::io::Error::new(e.kind(), format!("read failed at byte {} of the {what}: {e}", head.len())));
    }
    Ok((head.clone(), Cursor::new(head).chain(content)))
}

/// SHA-256 and total size of a directory capture: over each file's relative path, a NUL, and
/// its bytes, in sorted path order (special files are left out).
pub fn hash_dir(dir: &Path) -> Result<(String, u64), IngestError> {
    fn files(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                files(&p, base, out);
            } else if t.is_file() {
                out.push((p.strip_prefix(base).unwrap_or(&p).display().to_string(), p));
            }
        }
    }
    let mut list = Vec::new();
    files(dir, dir, &mut list);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    for (rel, p) in list {
        hasher.update(rel.as_bytes());
        hasher.update([0u8]);
        if let Ok(bytes) = std::fs::read(&p) {
            size += bytes.len() as u64;
            hasher.update(&bytes);
        }
    }
    Ok((hex(&hasher.finalize()), size))
}
