//! A line reader over any `BufRead`: SIMD newline search (memchr), no copy when a line lies
//! inside the reader's buffer, `\n`/`\r\n` stripped, and no failure on invalid UTF-8 (parsers
//! work on bytes; the caller decides what a non-UTF-8 line means).

use std::io::BufRead;

/// Reads lines as byte slices, numbering them from 1.
pub struct LineReader<R> {
    inner: R,
    /// A line that crossed the buffer's end, assembled here.
    spill: Vec<u8>,
    /// Bytes of the current line still to be consumed from `inner`.
    pending_consume: usize,
    line_no: u64,
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        Self { inner, spill: Vec::new(), pending_consume: 0, line_no: 0, offset: 0 }
    }

    /// The next line without its terminator, with its 1-based number; `None` at end of input.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        if self.pending_consume > 0 {
            self.inner.consume(self.pending_consume);
            self.pending_consume = 0;
        }
        self.spill.clear();
        // Fast path: the whole line is in the buffer.
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', buf) {
            self.pending_consume = i + 1;
            self.offset += (i + 1) as u64;
            self.line_no += 1;
            // Re-borrow to return a slice of the buffer.
            let buf = self.inner.fill_buf()?;
            return Ok(Some((self.line_no, strip_cr(&buf[..i]))));
        }
        // Slow path: the line continues past the buffer.
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    self.spill.extend_from_slice(&buf[..i]);
                    self.inner.consume(i + 1);
                    self.offset += (i + 1) as u64;
                    break;
                }
                None => {
                    let n = buf.len();
                    self.spill.extend_from_slice(buf);
                    self.inner.consume(n);
                    self.offset += n as u64;
                }
            }
        }
        self.line_no += 1;
        Ok(Some((self.line_no, strip_cr(&self.spill))))
    }

    /// [`LineReader::next_line`], with an I/O failure turned into a [`crate::ReadError`] that
    /// says where it happened.
    pub fn next_checked(&mut self) -> Result<Option<(u64, &[u8])>, crate::ReadError> {
        let (offset, line) = (self.offset, self.line_no);
        self.next_line().map_err(|source| crate::ReadError { offset, line, source })
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

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_buffer_ends() {
        let text = b"a\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\nlast";
        let mut r = LineReader::new(std::io::BufReader::with_capacity(8, &text[..]));
        let mut got = Vec::new();
        while let Some((n, l)) = r.next_line().unwrap() {
            got.push((n, String::from_utf8(l.to_vec()).unwrap()));
        }
        assert_eq!(got, vec![(1, "a".into()), (2, "b".repeat(46)), (3, String::new()), (4, "last".into())]);
        assert_eq!(r.offset(), text.len() as u64);
    }
}
