//! A line reader over any `BufRead` that reuses one buffer, strips `\n`/`\r\n`, and never fails
//! on invalid UTF-8 (parsers work on bytes; the caller decides what a non-UTF-8 line means).

use std::io::BufRead;

/// Reads lines as byte slices, numbering them from 1.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: u64,
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        Self { inner, buf: Vec::with_capacity(256), line_no: 0, offset: 0 }
    }

    /// The next line without its terminator, with its 1-based number; `None` at end of input.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        let n = self.inner.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.offset += n as u64;
        self.line_no += 1;
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        Ok(Some((self.line_no, &self.buf[..end])))
    }

    /// Lines read so far.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}
