//! A line reader over any `BufRead`: SIMD newline search (memchr), no copy when a line lies
//! inside the reader's buffer, `\n`/`\r\n` stripped, and no failure on invalid UTF-8 (parsers
//! work on bytes; the caller decides what a non-UTF-8 line means).
//!
//! Two ways to read: [`LineReader::next_line`] (a line at a time, for parsers that look ahead
//! or stop early) and [`LineReader::for_each_line`] (every line to a closure, a whole buffer at
//! a time: one newline search runs across the buffer, for parsers whose time is per line; it
//! also tells which lines are ASCII, checked a whole buffer at a time).

use std::io::BufRead;

/// What [`LineReader::for_each_line`] knows of a line besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFlags {
    /// Every byte of the line is ASCII; `false` means only that its buffer had a byte that is not.
    pub ascii: bool,
    /// The line is the input's last and no newline ends it (the file may have been cut while it
    /// was written).
    pub unterminated: bool,
}

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

    /// Calls `f` with every remaining line (1-based number, bytes without terminator, and its
    /// [`LineFlags`]: whether it is known to be ASCII, whether it lacks its newline), in order, until the end of input or the first
    /// error of `f`. An I/O failure becomes a [`crate::ReadError`] that says where it happened.
    ///
    /// "Known ASCII" is checked once per buffer of the reader, which costs a fraction of a
    /// check per line: `true` means every byte of the line is ASCII; `false`, only that its
    /// buffer had a byte that is not (the line itself may be ASCII).
    pub fn for_each_line<E: From<crate::ReadError>>(
        &mut self,
        mut f: impl FnMut(u64, &[u8], LineFlags) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.pending_consume > 0 {
            self.inner.consume(self.pending_consume);
            self.pending_consume = 0;
        }
        // `spill` holds the start of a line that crossed the end of the previous buffer.
        self.spill.clear();
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(crate::ReadError { offset: self.offset, line: self.line_no, source }.into()),
            };
            if buf.is_empty() {
                break;
            }
            let n = buf.len();
            let mut start = 0;
            if !self.spill.is_empty() {
                let Some(i) = memchr::memchr(b'\n', buf) else {
                    self.spill.extend_from_slice(buf);
                    self.inner.consume(n);
                    self.offset += n as u64;
                    continue;
                };
                self.spill.extend_from_slice(&buf[..i]);
                self.line_no += 1;
                self.offset += (i + 1) as u64;
                let flags = LineFlags { ascii: is_ascii(&self.spill), unterminated: false };
                f(self.line_no, strip_cr(&self.spill), flags)?;
                self.spill.clear();
                start = i + 1;
            }
            let base = start;
            let flags = LineFlags { ascii: is_ascii(&buf[base..]), unterminated: false };
            for nl in memchr::memchr_iter(b'\n', &buf[base..]) {
                let end = base + nl;
                self.line_no += 1;
                self.offset += (end + 1 - start) as u64;
                f(self.line_no, strip_cr(&buf[start..end]), flags)?;
                start = end + 1;
            }
            // The rest is the start of a line that ends in a later buffer (or at end of input).
            self.spill.extend_from_slice(&buf[start..]);
            self.offset += (n - start) as u64;
            self.inner.consume(n);
        }
        if !self.spill.is_empty() {
            self.line_no += 1;
            let flags = LineFlags { ascii: is_ascii(&self.spill), unterminated: true };
            f(self.line_no, strip_cr(&self.spill), flags)?;
            self.spill.clear();
        }
        Ok(())
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

/// Whether every byte is ASCII: an OR over all bytes, no early exit, which the compiler
/// vectorises (several times faster per byte than `<[u8]>::is_ascii` on lines a hundred bytes
/// long, and over a whole buffer the cost per line is a few instructions).
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |acc, &b| acc | b) < 0x80
}

#[inline]
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

    #[test]
    fn for_each_line_equals_next_line_at_every_buffer_size() {
        let text = b"a\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\n\r\nccc\ndd\nlast";
        let mut expected = Vec::new();
        let mut r = LineReader::new(&text[..]);
        while let Some((n, l)) = r.next_line().unwrap() {
            expected.push((n, l.to_vec()));
        }
        assert_eq!(expected.len(), 7);
        for cap in 1..=text.len() + 1 {
            let mut r = LineReader::new(std::io::BufReader::with_capacity(cap, &text[..]));
            // A line read first by next_line, the rest by for_each_line.
            let first = r.next_line().unwrap().map(|(n, l)| (n, l.to_vec()));
            let mut got = vec![first.unwrap()];
            r.for_each_line(|n, l, flags| {
                assert_eq!(flags.ascii, l.is_ascii(), "line {n}: all ASCII here");
                // Only `last` lacks its newline, whatever the buffer's size.
                assert_eq!(flags.unterminated, n == 7, "buffer capacity {cap}, line {n}");
                got.push((n, l.to_vec()));
                Ok::<_, crate::ReadError>(())
            })
            .unwrap();
            assert_eq!(got, expected, "buffer capacity {cap}");
            assert_eq!(r.offset(), text.len() as u64, "buffer capacity {cap}");
        }
    }

    #[test]
    fn a_line_is_never_called_ascii_when_it_is_not() {
        let text = b"ascii\nnot \xc3\xa9 ascii\n\xff\nascii again\nlast \x80";
        for cap in 1..=text.len() + 1 {
            let mut r = LineReader::new(std::io::BufReader::with_capacity(cap, &text[..]));
            let mut lines = 0;
            r.for_each_line(|n, l, flags| {
                assert!(!flags.ascii || l.is_ascii(), "buffer capacity {cap}, line {n}");
                lines += 1;
                Ok::<_, crate::ReadError>(())
            })
            .unwrap();
            assert_eq!(lines, 5, "buffer capacity {cap}");
        }
        // One buffer over the whole text: it has non-ASCII bytes, so no line is known ASCII.
        let mut r = LineReader::new(&text[..]);
        r.for_each_line(|_, _, flags| {
            assert!(!flags.ascii);
            Ok::<_, crate::ReadError>(())
        })
        .unwrap();
    }

    #[test]
    fn for_each_line_stops_at_the_first_error() {
        #[derive(Debug)]
        struct Stop(u64);
        impl From<crate::ReadError> for Stop {
            fn from(_: crate::ReadError) -> Self {
                Stop(0)
            }
        }
        let mut seen = 0;
        let r = LineReader::new(&b"1\n2\n3\n"[..]).for_each_line(|n, _, _| {
            seen += 1;
            if n == 2 {
                Err(Stop(n))
            } else {
                Ok(())
            }
        });
        assert!(matches!(r, Err(Stop(2))));
        assert_eq!(seen, 2);
    }
}
