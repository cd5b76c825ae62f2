//! Opening a source file: expanding directories, reading the head for sniffing, transparent
//! gzip, progress counting, and hashing (SHA-256) of the raw bytes.
//!
//! A file is read once: the parser's reader ([`open_hashed`]) reads the raw bytes in chunks and
//! hands each (by reference) to the thread of [`hash_beside`] before parsing it in place, so
//! SHA-256 runs beside the parser. (SHA-256 is the larger half of the work at ~1.5 GB/s, so the
//! copy out of the page cache goes with the parser.)

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use crate::chunk_queue::ChunkQueue;
use crate::format::SNIFF_BYTES;
use crate::{hex, IngestError};

/// A file to ingest, and whether the user named it (vs. found it in a directory).
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Path.
    pub path: PathBuf,
    /// Named explicitly on the command line.
    pub explicit: bool,
    /// A directory capture of cgroups (read as one source), not a file.
    pub cgroup_dir: bool,
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
            out.push(InputFile { path: input.clone(), explicit: true, cgroup_dir: true });
        } else if meta.is_dir() {
            walk(input, &mut out)?;
        } else {
            out.push(InputFile { path: input.clone(), explicit: true, cgroup_dir: false });
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
        if p.is_dir() && is_cgroup_dir(&p) {
            out.push(InputFile { path: p, explicit: false, cgroup_dir: true });
        } else if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(InputFile { path: p, explicit: false, cgroup_dir: false });
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
    (&mut content).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
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

/// Feeds the rest of `file` (from its current offset) to `hasher`; returns the bytes fed.
fn hash_rest(file: &mut std::fs::File, hasher: &mut Sha256) -> std::io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(size),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
}

/// Raw bytes are read (and hashed) in chunks of this size: small enough that a chunk is still
/// in cache when the parser and the hashing thread read it, one right after the other.
const CHUNK: usize = 256 << 10;
/// Chunks handed to the hashing thread and not yet hashed, at most (memory: up to this many
/// chunks, 32 MiB, whatever the file's size). Deep enough that a parser faster than SHA-256
/// runs ahead and finishes first: on a 120 MB G1 debug log the parse ends 10-15 ms before the
/// hash, some 25 MB ahead, and the tables are written in that time (with 32 chunks the parser
/// waited on the hash, and the table writes all came after it).
const QUEUE_CHUNKS: usize = 128;

/// A chunk of raw bytes: `buf[..len]` is data (`buf` keeps its full size for reuse).
struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

/// The parser's end of a [`hash_beside`] pair: hand it to [`open_hashed`]. Dropping it tells
/// the hashing thread that no more chunks come.
pub struct HashFeed {
    queue: Arc<ChunkQueue<Arc<Chunk>>>,
}

impl HashFeed {
    /// Hands `chunk` to the hashing thread (waiting while its queue is full); `false` when the
    /// thread is gone.
    fn send(&self, chunk: Arc<Chunk>) -> bool {
        self.queue.send(chunk).is_ok()
    }
}

impl Drop for HashFeed {
    fn drop(&mut self) {
        self.queue.close_sender();
    }
}

/// SHA-256 of a file's raw bytes and their number.
type FileDigest = ([u8; 32], u64);

/// The hashing thread of a [`hash_beside`] pair, or a hash already known.
pub struct PendingHash {
    path: PathBuf,
    state: HashState,
}

enum HashState {
    Thread(JoinHandle<std::io::Result<FileDigest>>),
    Done(Result<(String, u64), IngestError>),
}

/// Starts a thread that hashes (SHA-256) the raw bytes of `path` as the parser reads them: the
/// parser's reader ([`open_hashed`]) reads the file once, in chunks, and hands each chunk to the
/// thread before parsing it, so SHA-256 runs beside the parser. When the parser stops early,
/// fails, or never opens the file, the thread reads and hashes the rest itself.
pub fn hash_beside(path: &Path) -> (HashFeed, PendingHash) {
    let queue = Arc::new(ChunkQueue::new(QUEUE_CHUNKS));
    let (owned, rx) = (path.to_path_buf(), Arc::clone(&queue));
    let thread = std::thread::spawn(move || {
        let digest = hash_chunks(&owned, &rx);
        rx.close_receiver();
        digest
    });
    (HashFeed { queue }, PendingHash { path: path.to_path_buf(), state: HashState::Thread(thread) })
}

/// The hashing thread's work. It allocates nothing while chunks come (see [`ChunkQueue`]), so
/// the allocator never sets up for this thread: the digest goes back as bytes.
fn hash_chunks(path: &Path, rx: &ChunkQueue<Arc<Chunk>>) -> std::io::Result<FileDigest> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    // Dropping each chunk once hashed lets the parser's reader reuse it. An empty chunk says
    // the reader reached the end of the file.
    while let Some(chunk) = rx.recv() {
        if chunk.len == 0 {
            return Ok((hasher.finalize().into(), size));
        }
        hasher.update(&chunk.buf[..chunk.len]);
        size += chunk.len as u64;
    }
    // The reader stopped early (a regular file: see `ChunkReader`'s drop): the rest is read here.
    let mut file = std::fs::File::open(path)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(size))?;
    size += hash_rest(&mut file, &mut hasher)?;
    Ok((hasher.finalize().into(), size))
}

impl PendingHash {
    /// A hash computed already (e.g. by [`hash_dir`]).
    pub fn ready(path: &Path, hash: Result<(String, u64), IngestError>) -> Self {
        Self { path: path.to_path_buf(), state: HashState::Done(hash) }
    }

    /// Whether [`PendingHash::finish`] would return at once (the hashing thread is done).
    pub fn is_finished(&self) -> bool {
        match &self.state {
            HashState::Done(_) => true,
            HashState::Thread(thread) => thread.is_finished(),
        }
    }

    /// Waits for the hash: SHA-256 (lowercase hex) and size of the file's raw bytes. Call it
    /// after the reader given the feed is dropped (or read to its end).
    pub fn finish(self) -> Result<(String, u64), IngestError> {
        let io = |source| IngestError::Io { path: self.path.clone(), source };
        match self.state {
            HashState::Done(r) => r,
            HashState::Thread(thread) => match thread.join() {
                Ok(r) => r.map(|(digest, size)| (hex(&digest), size)).map_err(io),
                Err(panic) => std::panic::resume_unwind(panic),
            },
        }
    }
}

/// Raw bytes of a file as a `BufRead`, read in chunks that are handed to the hashing thread of
/// [`hash_beside`] as they are read (chunks come back for reuse once hashed and parsed).
struct ChunkReader<'a> {
    file: std::fs::File,
    /// The hashing thread; `None` once it is gone (it then reads the rest itself).
    tx: Option<HashFeed>,
    current: Option<Arc<Chunk>>,
    pos: usize,
    /// Chunks handed out before, reused once the hashing thread is done with them.
    pool: VecDeque<Arc<Chunk>>,
    on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl ChunkReader<'_> {
    /// Reads the next chunk (empty at end of file) and hands it to the hashing thread.
    fn next_chunk(&mut self) -> std::io::Result<()> {
        if let Some(done) = self.current.take() {
            if self.pool.len() < QUEUE_CHUNKS + 4 {
                self.pool.push_back(done);
            }
        }
        let mut chunk = match self.pool.iter_mut().position(|c| Arc::get_mut(c).is_some()) {
            Some(i) => self.pool.remove(i).expect("position is in the pool"),
            None => Arc::new(Chunk { buf: vec![0u8; CHUNK], len: 0 }),
        };
        let c = Arc::get_mut(&mut chunk).expect("a fresh or reclaimed chunk is unique");
        c.len = 0;
        while c.len < c.buf.len() {
            match self.file.read(&mut c.buf[c.len..]) {
                Ok(0) => break,
                Ok(n) => c.len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let at_end = c.len < c.buf.len();
        if c.len > 0 {
            self.send(chunk.clone());
            if let Some(f) = self.on_progress {
                f(chunk.len as u64);
            }
        }
        if at_end {
            // The end-of-file mark; the hashing thread needs nothing more.
            self.send(Arc::new(Chunk { buf: Vec::new(), len: 0 }));
            self.tx = None;
        }
        self.current = Some(chunk);
        self.pos = 0;
        Ok(())
    }

    fn send(&mut self, chunk: Arc<Chunk>) {
        if self.tx.as_ref().is_some_and(|t| !t.send(chunk)) {
            self.tx = None;
        }
    }
}

impl Drop for ChunkReader<'_> {
    /// Stopped before the end: the hashing thread reads the rest of a regular file itself (in
    /// parallel with whatever the parser does next); a pipe can be read only here, once.
    fn drop(&mut self) {
        let regular = self.file.metadata().is_ok_and(|m| m.is_file());
        while self.tx.is_some() && !regular {
            if self.next_chunk().is_err() {
                break;
            }
        }
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.current.as_ref().is_none_or(|c| self.pos >= c.len && c.len == CHUNK) {
            self.next_chunk()?;
        }
        Ok(match &self.current {
            Some(c) => &c.buf[self.pos..c.len],
            None => &[],
        })
    }

    fn consume(&mut self, amt: usize) {
        if let Some(c) = &self.current {
            self.pos = (self.pos + amt).min(c.len);
        }
    }
}

/// [`open`] over the chunks of `feed`: the file is read once, by the thread of
/// [`hash_beside`], and the parser reads uncompressed content where it lies (no second copy).
pub fn open_hashed<'a>(
    path: &Path,
    on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
    feed: HashFeed,
) -> Result<OpenSource<'a>, IngestError> {
    let io = |source| IngestError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = ChunkReader { file, tx: Some(feed), current: None, pos: 0, pool: VecDeque::new(), on_progress };
    let first = raw.fill_buf().map_err(io)?;
    let gzip = first.starts_with(&[0x1f, 0x8b]);
    if !gzip && (first.len() >= SNIFF_BYTES || first.len() < CHUNK) {
        // The head lies in the first chunk (or is the whole file): the parser reads the chunks
        // from the start, with no layer in between.
        let head = first[..first.len().min(SNIFF_BYTES)].to_vec();
        return Ok(OpenSource { head, gzip, reader: Box::new(raw) });
    }
    let (head, content) = read_head(raw, gzip).map_err(io)?;
    Ok(OpenSource { head, gzip, reader: Box::new(content) })
}
