//! Opening a perf.data: sniffing the header (file mode vs pipe mode) and checking the framing of
//! the records against the file size, so that a truncated file still yields every record before
//! the damage instead of an error from the middle of linux-perf-data's record sorter.
//!
//! File mode: the 104-byte header names the attribute, data and feature sections. When the file
//! ends inside the data section, the data size is cut to the last complete record and the feature
//! bits are cleared (their sections are gone); when it ends inside the feature sections, only
//! the features whose index entry and section are complete are kept. The patched header is served
//! by [`Patched`], a `Read + Seek` view of the file with its first 104 bytes replaced.
//! Pipe mode: records follow the 16-byte header back to back; the stream is cut at the last
//! complete record.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// Magic of a little-endian perf.data (file and pipe mode).
pub const MAGIC: &[u8; 8] = b"PERFILE2";
/// Header size of a file-mode perf.data.
pub const FILE_HEADER: u64 = 104;
/// Header size of a pipe-mode perf.data (`perf record -o -`).
pub const PIPE_HEADER: u64 = 16;
/// Read buffer.
pub const BUF: usize = 1 << 20;

/// perf.data layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seekable file with a 104-byte header.
    File,
    /// Stream with a 16-byte header, metadata as in-stream records.
    Pipe,
}

/// The mode of a perf.data head, `None` when it is not one.
pub fn mode(head: &[u8]) -> Option<Mode> {
    if head.len() < 16 || &head[..8] != MAGIC {
        return None;
    }
    match u64::from_le_bytes(head[8..16].try_into().ok()?) {
        FILE_HEADER => Some(Mode::File),
        PIPE_HEADER => Some(Mode::Pipe),
        _ => None,
    }
}

/// Damage found before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the damage (where the file ends or the framing breaks).
    pub offset: u64,
    /// What was lost.
    pub note: String,
}

/// A file-mode perf.data ready for `PerfFileReader::parse_file`.
pub struct Opened {
    /// The reader (header patched when damaged).
    pub reader: Patched,
    /// Damage found, if any.
    pub damage: Option<Damage>,
}

fn u64_at(h: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(h[at..at + 8].try_into().expect("8 bytes"))
}

fn fatal(offset: u64, msg: String) -> super::PerfDataError {
    super::PerfDataError::Damaged { offset, message: msg }
}

/// Walks record headers (`u32 type, u16 misc, u16 size`) from `start` while complete records fit
/// before `end`; returns the end of the last complete record and why the walk stopped early.
fn scan_records(r: &mut BufReader<File>, start: u64, end: u64) -> std::io::Result<(u64, Option<String>)> {
    r.seek(SeekFrom::Start(start))?;
    let mut at = start;
    let mut h = [0u8; 8];
    while at < end {
        if end - at < 8 {
            return Ok((at, Some(format!("file ends at byte {end} inside the header of a record at byte {at}"))));
        }
        r.read_exact(&mut h)?;
        let kind = u32::from_le_bytes(h[..4].try_into().expect("4"));
        let size = u64::from(u16::from_le_bytes(h[6..8].try_into().expect("2")));
        if size < 8 {
            return Ok((at, Some(format!("record at byte {at} declares size {size} (< 8): framing broken"))));
        }
        let mut total = size;
        // PERF_RECORD_AUXTRACE: its trace data follows the record (size in the body's first u64).
        if kind == 71 && size >= 16 && end - at >= 16 {
            let mut b = [0u8; 8];
            r.read_exact(&mut b)?;
            total = total.saturating_add(u64::from_le_bytes(b));
            r.seek_relative(size as i64 - 16)?;
        } else if end - at >= size {
            r.seek_relative(size as i64 - 8)?;
        }
        if end - at < total {
            return Ok((
                at,
                Some(format!("file ends at byte {end} inside a record of {total} bytes at byte {at} (type {kind})")),
            ));
        }
        at += total;
    }
    Ok((at, None))
}

/// Opens a file-mode perf.data, patching its header when the file was cut short.
pub fn open_file(path: &std::path::Path) -> Result<Opened, super::PerfDataError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut r = BufReader::with_capacity(BUF, file);
    if len < FILE_HEADER {
        return Err(fatal(len, format!("file ends at byte {len} inside the {FILE_HEADER}-byte header")));
    }
    let mut header = [0u8; FILE_HEADER as usize];
    r.read_exact(&mut header)?;
    let (attrs_at, attrs_size) = (u64_at(&header, 24), u64_at(&header, 32));
    let (data_at, data_size) = (u64_at(&header, 40), u64_at(&header, 48));
    let (types_at, types_size) = (u64_at(&header, 56), u64_at(&header, 64));
    let attrs_end = attrs_at.saturating_add(attrs_size);
    if attrs_end > len {
        return Err(fatal(
            len,
            format!("file ends at byte {len} inside the attribute section [{attrs_at}, {attrs_end})"),
        ));
    }
    if types_size > 0 && types_at.saturating_add(types_size) > len {
        return Err(fatal(len, format!("file ends at byte {len} inside the event-types section at byte {types_at}")));
    }
    if data_at > len {
        return Err(fatal(len, format!("file ends at byte {len} before the data section at byte {data_at}")));
    }
    let data_end = data_at.saturating_add(data_size);
    let features: Vec<u32> = (0..256u32).filter(|b| header[72 + (b / 8) as usize] & (1 << (b % 8)) != 0).collect();
    let mut damage = None;
    if data_end > len {
        let (kept_end, why) = scan_records(&mut r, data_at, len)?;
        header[48..56].copy_from_slice(&(kept_end - data_at).to_le_bytes());
        header[72..104].fill(0);
        let why = why.unwrap_or_else(|| format!("file ends at byte {len}"));
        damage = Some(Damage {
            offset: len,
            note: format!(
                "truncated perf.data: {why}; the header declares data up to byte {data_end}; records up to byte \
                 {kept_end} kept; feature sections (event names, build-ids, host metadata) lost"
            ),
        });
    } else {
        // Feature index: one (offset, size) pair per feature bit, right after the data section.
        let mut kept = 0usize;
        r.seek(SeekFrom::Start(data_end))?;
        let mut pair = [0u8; 16];
        for i in 0..features.len() {
            let at = data_end + 16 * i as u64;
            if at + 16 > len {
                break;
            }
            r.read_exact(&mut pair)?;
            let (off, size) = (u64_at(&pair, 0), u64_at(&pair, 8));
            if off.saturating_add(size) > len {
                break;
            }
            kept = i + 1;
        }
        if kept < features.len() {
            for &bit in &features[kept..] {
                header[72 + (bit / 8) as usize] &= !(1 << (bit % 8));
            }
            damage = Some(Damage {
                offset: len,
                note: format!(
                    "truncated perf.data: file ends at byte {len} inside the feature sections; {} of {} feature \
                     sections lost (records complete)",
                    features.len() - kept,
                    features.len()
                ),
            });
        }
    }
    r.seek(SeekFrom::Start(0))?;
    Ok(Opened { reader: Patched { inner: r, header, pos: 0 }, damage })
}

/// Opens a pipe-mode perf.data, cut at its last complete record.
pub fn open_pipe(
    path: &std::path::Path,
) -> Result<(std::io::Take<BufReader<File>>, Option<Damage>), super::PerfDataError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut r = BufReader::with_capacity(BUF, file);
    let (kept_end, why) = scan_records(&mut r, PIPE_HEADER, len)?;
    let damage = why.map(|why| Damage {
        offset: kept_end,
        note: format!("truncated pipe-mode perf.data: {why}; records up to byte {kept_end} kept"),
    });
    r.seek(SeekFrom::Start(0))?;
    Ok((r.take(kept_end), damage))
}

/// A file with its first [`FILE_HEADER`] bytes replaced by a patched copy.
pub struct Patched {
    inner: BufReader<File>,
    header: [u8; FILE_HEADER as usize],
    pos: u64,
}

impl Read for Patched {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < FILE_HEADER {
            let from = self.pos as usize;
            let n = buf.len().min(FILE_HEADER as usize - from);
            buf[..n].copy_from_slice(&self.header[from..from + n]);
            self.pos += n as u64;
            if self.pos == FILE_HEADER {
                self.inner.seek(SeekFrom::Start(FILE_HEADER))?;
            }
            return Ok(n);
        }
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    /// Past the header, straight to the buffered reader's `read_exact` (a copy out of its
    /// buffer: linux-perf-data reads each record with two of these).
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        if self.pos < FILE_HEADER {
            let mut rest = buf;
            while !rest.is_empty() {
                match self.read(rest) {
                    Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => rest = &mut rest[n..],
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
        self.inner.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }
}

impl Seek for Patched {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(|| std::io::Error::other("seek"))?,
            SeekFrom::End(d) => {
                let end = self.inner.get_ref().metadata()?.len();
                end.checked_add_signed(d).ok_or_else(|| std::io::Error::other("seek"))?
            }
        };
        if target >= FILE_HEADER {
            // Relative seeks keep BufReader's buffer when the target is close.
            let cur = self.pos.max(FILE_HEADER);
            if self.pos >= FILE_HEADER {
                self.inner.seek_relative(target as i64 - cur as i64)?;
            } else {
                self.inner.seek(SeekFrom::Start(target))?;
            }
        }
        self.pos = target;
        Ok(target)
    }
}

/// A reader that publishes its position (bytes consumed, or the last seek target), so that an
/// error from inside linux-perf-data can name the byte offset it happened at.
pub struct Counted<R> {
    inner: R,
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R> Counted<R> {
    /// Wraps `inner`, whose position is `start`.
    pub fn new(inner: R, start: u64) -> (Self, std::sync::Arc<std::sync::atomic::AtomicU64>) {
        let pos = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(start));
        (Counted { inner, pos: pos.clone() }, pos)
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }

    /// The inner reader's `read_exact` (a buffered reader's is one copy), counted once.
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        let before = self.pos.load(std::sync::atomic::Ordering::Relaxed);
        let result = self.inner.read_exact(buf);
        // On an error the bytes read before it are unknown: the position stays where the read
        // began (the offset an error message names is the start of what could not be read).
        if result.is_ok() {
            self.pos.store(before + buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let p = self.inner.seek(to)?;
        self.pos.store(p, std::sync::atomic::Ordering::Relaxed);
        Ok(p)
    }
}
