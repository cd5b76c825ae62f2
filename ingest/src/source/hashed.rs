//! A file read once for two: the parser's reader ([`open_hashed`]) reads the raw bytes in
//! chunks and hands each (by reference) to the thread of [`hash_beside`] before parsing it in
//! place, so SHA-256 (for `runs.sha256`) runs beside the parser. SHA-256 is the larger half of
//! the work (2 GB/s with the CPU's SHA instructions), so the copy out of the page cache goes
//! with the parser.

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::chunk_queue::ChunkQueue;
use super::{read_head, OpenSource};
use crate::format::SNIFF_BYTES;
use crate::{hex, IngestError};

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

/// What the reader hands the hashing thread: a chunk, or the hash of the chunks before it.
enum Feed {
    Chunk(Arc<Chunk>),
    /// The hash so far and the bytes it covers, made by the reader's thread.
    Hash(Sha256, u64),
}

/// The parser's end of a [`hash_beside`] pair: hand it to [`open_hashed`]. Dropping it tells
/// the hashing thread that no more chunks come.
///
/// Until the hashing thread runs, the chunks are hashed here, by the reader's thread, and the
/// hash so far goes over when the thread has started. A new thread waits 1 to 10 ms to run on
/// the bench's VM (its idle vCPU must be woken), and SHA-256 is the run's critical path: the
/// parser, which runs ahead of the hash, can spare the time better.
pub struct HashFeed {
    queue: Arc<ChunkQueue<Feed>>,
    /// Set by the hashing thread when it starts.
    started: Arc<AtomicBool>,
    /// The hash of the chunks hashed here; `None` once handed over.
    local: Option<(Sha256, u64)>,
}

impl HashFeed {
    /// Hashes `chunk` or hands it to the hashing thread (waiting while its queue is full);
    /// `false` when the thread is gone. An empty chunk (the end) is always handed over.
    fn send(&mut self, chunk: Arc<Chunk>) -> bool {
        if let Some((hasher, size)) = &mut self.local {
            if chunk.len > 0 && !self.started.load(Ordering::Acquire) {
                hasher.update(&chunk.buf[..chunk.len]);
                *size += chunk.len as u64;
                return true;
            }
            if !self.hand_over() {
                return false;
            }
        }
        self.queue.send(Feed::Chunk(chunk)).is_ok()
    }

    /// Hands the hash made here (if any) to the hashing thread.
    fn hand_over(&mut self) -> bool {
        match self.local.take() {
            Some((hasher, size)) => self.queue.send(Feed::Hash(hasher, size)).is_ok(),
            None => true,
        }
    }
}

impl Drop for HashFeed {
    fn drop(&mut self) {
        self.hand_over();
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
    let started = Arc::new(AtomicBool::new(false));
    let (owned, rx, now) = (path.to_path_buf(), Arc::clone(&queue), Arc::clone(&started));
    let thread = std::thread::spawn(move || {
        now.store(true, Ordering::Release);
        let digest = hash_chunks(&owned, &rx);
        rx.close_receiver();
        digest
    });
    let feed = HashFeed { queue, started, local: Some((Sha256::new(), 0)) };
    (feed, PendingHash { path: path.to_path_buf(), state: HashState::Thread(thread) })
}

/// The hashing thread's work. It allocates nothing while chunks come (see [`ChunkQueue`]), so
/// the allocator never sets up for this thread: the digest goes back as bytes.
fn hash_chunks(path: &Path, rx: &ChunkQueue<Feed>) -> std::io::Result<FileDigest> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    // Dropping each chunk once hashed lets the parser's reader reuse it. An empty chunk says
    // the reader reached the end of the file.
    while let Some(feed) = rx.recv() {
        let chunk = match feed {
            Feed::Hash(so_far, n) => {
                (hasher, size) = (so_far, n);
                continue;
            }
            Feed::Chunk(chunk) => chunk,
        };
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
    /// A hash computed already (e.g. by [`super::hash_dir`]).
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
        if self.tx.as_mut().is_some_and(|t| !t.send(chunk)) {
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

/// [`super::open`] over the chunks of `feed`: the file is read once, by this reader, whose
/// chunks go to the thread of [`hash_beside`], and the parser reads uncompressed content where
/// it lies (no second copy).
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use sha2::{Digest, Sha256};

    use super::{hash_chunks, open_hashed, Chunk, ChunkQueue, HashFeed, CHUNK};

    /// A feed whose hashing thread has not started (`started` is false until the test says);
    /// the test plays the thread afterwards with [`hash_chunks`].
    fn feed(started: &Arc<AtomicBool>) -> (HashFeed, Arc<ChunkQueue<super::Feed>>) {
        let queue = Arc::new(ChunkQueue::new(64));
        let feed =
            HashFeed { queue: Arc::clone(&queue), started: Arc::clone(started), local: Some((Sha256::new(), 0)) };
        (feed, queue)
    }

    fn chunk(bytes: &[u8]) -> Arc<Chunk> {
        Arc::new(Chunk { buf: bytes.to_vec(), len: bytes.len() })
    }

    /// The chunks hashed by the reader before the thread starts, and those after, make the
    /// file's SHA-256, whether the thread starts before the end, only at the end, or when the
    /// reader stops early (the thread then reads the rest of the file from where it stopped).
    #[test]
    fn the_hash_made_before_the_thread_starts_is_handed_over() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        std::fs::write(&path, &data).unwrap();
        let want = (<[u8; 32]>::from(Sha256::digest(&data)), data.len() as u64);
        let pieces: Vec<&[u8]> = data.chunks(30_000).collect();
        for start_after in [0, 1, 5, pieces.len()] {
            for stop_after in [pieces.len(), 3] {
                let started = Arc::new(AtomicBool::new(false));
                let (mut feed, queue) = feed(&started);
                for (k, piece) in pieces.iter().enumerate().take(stop_after) {
                    if k == start_after {
                        started.store(true, Ordering::Release);
                    }
                    assert!(feed.send(chunk(piece)));
                }
                if stop_after == pieces.len() {
                    assert!(feed.send(chunk(&[])));
                }
                drop(feed);
                let got = hash_chunks(&path, &queue).unwrap();
                assert_eq!(got, want, "thread started after {start_after} chunks, reader stopped after {stop_after}");
            }
        }
    }

    /// Through the real reader and thread: the parser reads every byte, and the hash is the
    /// file's, for files of less than one chunk and of several.
    #[test]
    fn a_file_read_once_is_parsed_and_hashed() {
        let tmp = tempfile::tempdir().unwrap();
        for len in [0, 10, CHUNK + 1, 5 * CHUNK / 2] {
            let path = tmp.path().join(format!("f{len}"));
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            let (feed, pending) = super::hash_beside(&path);
            let mut src = open_hashed(&path, None, feed).unwrap();
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut src.reader, &mut read).unwrap();
            drop(src);
            assert_eq!(read, data);
            assert_eq!(pending.finish().unwrap(), (crate::hex(&Sha256::digest(&data)), len as u64));
        }
    }
}
