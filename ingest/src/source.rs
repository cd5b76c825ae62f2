//! Opening a source file: expanding directories, reading the head for sniffing, transparent
//! gzip, and hashing (SHA-256) and counting bytes as the parser reads, so each file is read once.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::format::SNIFF_BYTES;
use crate::IngestError;

/// A file to ingest, and whether the user named it (vs. found it in a directory).
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Path.
    pub path: PathBuf,
    /// Named explicitly on the command line.
    pub explicit: bool,
}

/// Expands files and directories (recursively, sorted, hidden entries skipped) into files.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<InputFile>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| IngestError::Io { path: input.clone(), source })?;
        if meta.is_dir() {
            walk(input, &mut out)?;
        } else {
            out.push(InputFile { path: input.clone(), explicit: true });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<InputFile>) -> Result<(), IngestError> {
    let rd = std::fs::read_dir(dir).map_err(|source| IngestError::Io { path: dir.to_path_buf(), source })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(InputFile { path: p, explicit: false });
        }
    }
    Ok(())
}

/// Counts bytes into a hasher and a shared progress counter as they are read.
pub struct HashingReader<'a, R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
    unreported: u64,
}

impl<'a, R: Read> HashingReader<'a, R> {
    fn new(inner: R, on_progress: Option<&'a (dyn Fn(u64) + Sync)>) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0, on_progress, unreported: 0 }
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
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
    hashing: std::sync::Arc<std::sync::Mutex<Option<(Sha256, u64)>>>,
}

struct Shared<'a, R> {
    inner: HashingReader<'a, R>,
    slot: std::sync::Arc<std::sync::Mutex<Option<(Sha256, u64)>>>,
}

impl<R: Read> Read for Shared<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some((self.inner.hasher.clone(), self.inner.bytes));
            }
        }
        Ok(n)
    }
}

/// Opens `path` for sniffing and parsing. `on_progress` receives raw bytes read.
pub fn open<'a>(path: &Path, on_progress: Option<&'a (dyn Fn(u64) + Sync)>) -> Result<OpenSource<'a>, IngestError> {
    let io = |source| IngestError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let mut raw = BufReader::with_capacity(
        256 * 1024,
        Shared { inner: HashingReader::new(file, on_progress), slot: slot.clone() },
    );
    let gzip = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let mut content: Box<dyn BufRead + Send + 'a> = if gzip {
        Box::new(BufReader::with_capacity(256 * 1024, flate2::bufread::MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut content).take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(io)?;
    let reader: Box<dyn BufRead + Send + 'a> =
        Box::new(BufReader::with_capacity(256 * 1024, Cursor::new(head.clone()).chain(content)));
    Ok(OpenSource { head, gzip, reader, hashing: slot })
}

impl OpenSource<'_> {
    /// Reads what the parser left unread (to complete the hash) and returns (sha256 hex, raw size).
    pub fn finish(mut self, path: &Path) -> Result<(String, u64), IngestError> {
        let io = |source| IngestError::Io { path: path.to_path_buf(), source };
        std::io::copy(&mut self.reader, &mut std::io::sink()).map_err(io)?;
        let slot = self.hashing.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (hasher, bytes) = slot.unwrap_or_default();
        let digest = hasher.finalize();
        Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), bytes))
    }
}
