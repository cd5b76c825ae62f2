//! The parser's fast path: telling the lines it skips most often from lines that may be
//! tabled, on raw bytes, before any UTF-8 check or decorator parsing: `GC(n)` detail lines (a
//! phase timing, a heap region line: most lines of a debug-level log) and `gc`-tagged messages
//! without a `GC(n)` id (marking statistics, ergonomics) that are not setup lines.
//!
//! A decorated line is `[...]` groups back to back, one space, then the message. Lines of one
//! log share the shape of their decorators (which `]` ends where), so the probe remembers the
//! last shape and checks a line against it with a few byte compares and one vectorised count;
//! a line of another shape (an uptime that grew a digit, tags padded anew) is walked in full
//! and its shape remembered.

/// Starts of `GC(n)` message bodies that may be tabled (pauses, cycle summaries, concurrent
/// phases, aborts); any other `GC(n)` line is a detail line.
const TABLED_BODIES: &[&[u8]] = &[
    b"Pause ",
    b"y: ",
    b"Y: ",
    b"O: ",
    b"Garbage Collection",
    b"Major Collection",
    b"Minor Collection",
    b"Concurrent",
    b"Cancelling",
    b"Upgrade",
];

/// First bytes of [`TABLED_BODIES`] (a test keeps the two in step).
const TABLED_FIRST: &[u8] = b"PyYOGMCU";
/// [`TABLED_FIRST`] as a table indexed by byte (one load, no loop, in the hot path).
const TABLED_FIRST_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < TABLED_FIRST.len() {
        t[TABLED_FIRST[i] as usize] = true;
        i += 1;
    }
    t
};

/// Decorator groups remembered at most (a line with more is walked in full every time).
const MAX_GROUPS: usize = 16;

/// Remembers the decorator shape of the last decorated line.
#[derive(Debug, Default)]
pub(super) struct DetailProbe {
    /// Positions of the `]` closing each decorator group; the last is followed by the space.
    closes: [usize; MAX_GROUPS],
    groups: usize,
}

impl DetailProbe {
    /// The skip reason of `line` when it is one of the two kinds above, the parser's own answer
    /// for it; `None` sends the line to the full parser.
    #[inline]
    pub(super) fn fast_skip(&mut self, line: &[u8]) -> Option<&'static str> {
        let msg_at = match self.same_shape(line) {
            Some(at) => at,
            None => self.walk(line)?,
        };
        let msg = &line[msg_at..];
        if msg.starts_with(b"GC(") {
            return is_detail_message(msg).then_some(super::GC_DETAIL);
        }
        self.plain_message(line, msg)
    }

    /// The full parser's skip reason for `line` (of the remembered shape, message `msg`) when
    /// its last decorator is a tag set and the message is none it reads: tagged `gc...`, none
    /// of [`super::GC_SETUP_MESSAGES`] (`NO_GC_ID`); tagged `safepoint`, none of
    /// [`super::SAFEPOINT_MESSAGES`] (`SAFEPOINT_DETAIL`). Non-ASCII lines go to the full parser
    /// (it checks UTF-8).
    #[inline]
    fn plain_message(&self, line: &[u8], msg: &[u8]) -> Option<&'static str> {
        let g = self.groups;
        let start = if g >= 2 { self.closes[g - 2] + 2 } else { 1 };
        let tags = &line[start..self.closes[g - 1]];
        let tags = &tags[..tags.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1)];
        let starts = |list: &[&str]| list.iter().any(|m| msg.starts_with(m.as_bytes()));
        let reason = if tags == b"safepoint" {
            (!starts(super::SAFEPOINT_MESSAGES)).then_some(super::SAFEPOINT_DETAIL)?
        } else if tags.starts_with(b"gc")
            && tags.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b',' || b == b'_')
        {
            (!starts(super::GC_SETUP_MESSAGES)).then_some(super::NO_GC_ID)?
        } else {
            return None;
        };
        line.is_ascii().then_some(reason)
    }

    /// Whether `line` is a decorated line whose message is `GC(n) <body>` with a body that
    /// cannot be tabled.
    #[cfg(test)]
    fn is_gc_detail_line(&mut self, line: &[u8]) -> bool {
        self.fast_skip(line) == Some(super::GC_DETAIL)
    }

    /// The message start when `line` has the remembered shape: `[` first, a `]` at each
    /// remembered position followed by `[` (the last by a space), and no other `]` before.
    #[inline]
    fn same_shape(&self, line: &[u8]) -> Option<usize> {
        let g = self.groups;
        if g == 0 || line.first() != Some(&b'[') {
            return None;
        }
        let last = self.closes[g - 1];
        // The `]` count below is kept in a byte (it vectorises): prefixes are far shorter.
        if last >= usize::from(u8::MAX) || line.len() < last + 2 || line[last + 1] != b' ' {
            return None;
        }
        for (k, &c) in self.closes[..g].iter().enumerate() {
            let next = if k + 1 == g { b' ' } else { b'[' };
            if line[c] != b']' || line[c + 1] != next {
                return None;
            }
        }
        // No other `]` before the message.
        let count = line[..=last].iter().fold(0u8, |n, &b| n + u8::from(b == b']'));
        (usize::from(count) == g).then_some(last + 2)
    }

    /// Walks the decorators of `line`; on success remembers its shape and returns the message
    /// start. `None` when the line is not `[...]` groups followed by a space.
    #[inline(never)]
    fn walk(&mut self, line: &[u8]) -> Option<usize> {
        let mut closes = [0usize; MAX_GROUPS];
        let mut groups = 0;
        let mut i = 0;
        loop {
            if line.get(i) != Some(&b'[') {
                return None;
            }
            let close = i + 1 + line[i + 1..].iter().position(|&b| b == b']')?;
            if groups < MAX_GROUPS {
                closes[groups] = close;
            }
            groups += 1;
            match line.get(close + 1) {
                Some(b'[') => i = close + 1,
                Some(b' ') => {
                    // More groups than remembered: left to the full parser.
                    if groups > MAX_GROUPS {
                        return None;
                    }
                    self.closes = closes;
                    self.groups = groups;
                    return Some(close + 2);
                }
                _ => return None,
            }
        }
    }
}

/// `GC(<digits>) <body>` with a body (after spaces) that is not a tabled one.
#[inline]
fn is_detail_message(msg: &[u8]) -> bool {
    let Some(rest) = msg.strip_prefix(b"GC(") else { return false };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    // Up to 18 digits always fit the parser's i64 id; longer ids are left to it.
    if digits == 0 || digits > 18 || rest.get(digits) != Some(&b')') {
        return false;
    }
    let body = &rest[digits + 1..];
    let body = &body[body.iter().position(|&b| b != b' ').unwrap_or(body.len())..];
    // Most detail bodies start with a letter no tabled body starts with.
    let may_be_tabled = body.first().is_some_and(|&b| TABLED_FIRST_BYTE[usize::from(b)]);
    !(may_be_tabled && TABLED_BODIES.iter().any(|p| body.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: walk every line's decorators, remembering nothing.
    fn walked(line: &[u8]) -> bool {
        DetailProbe::default().is_gc_detail_line(line)
    }

    #[test]
    fn tabled_first_bytes_cover_the_tabled_bodies() {
        for body in TABLED_BODIES {
            assert!(TABLED_FIRST.contains(&body[0]), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn remembered_shape_gives_the_walked_answer() {
        let lines: &[&[u8]] = &[
            b"[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,heap        ] GC(5)   region size 1024K",
            b"[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(5) Pause Young (Normal) 30M->3M(48M) 1.657ms",
            b"[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,heap        ] GC(5)  Metaspace       used 117K",
            // The uptime grew a digit: every `]` after it moved.
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][gc,heap        ] GC(5)   region size 1024K",
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][gc,heap       ] GC(5)   region size 1024K",
            // A `]` inside a remembered group, or a group cut short: not the shape.
            b"[2026-11-26T11:47:42.7]2+0000][10.207s][debug][gc,heap        ] GC(5)   region size 1024K",
            b"[2026-11-26T11:47:42.782+0000][10.207s] GC(5) x][gc,heap        ] GC(5)   region size 1024K",
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][gc,heap        ]GC(5)   region size 1024K",
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][gc,heap        ] GC(5)",
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][gc,heap        ] GC(5) Concurrent Mark 1.2ms",
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][gc,heap        ] GC() x",
            b"[2026-11-26T11:47:42.782+0000][10.207s][debug][safepoint      ] Safepoint \"G1\"",
            b"[0.5s] GC(7) Heap after GC invocations=8",
            b"GC(7) Heap after GC invocations=8",
            b"",
            b"[",
            b"[a]",
            b"[a] ",
        ];
        let expected = [
            true, false, true, true, true, false, true, false, true, false, false, false, true, false, false, false,
            false, false,
        ];
        for (line, want) in lines.iter().zip(expected) {
            assert_eq!(walked(line), want, "{}", String::from_utf8_lossy(line));
        }
        // Every order of the lines through one probe gives the walked answers.
        let mut probe = DetailProbe::default();
        for round in 0..lines.len() {
            for k in 0..lines.len() {
                let line = lines[(k * 7 + round) % lines.len()];
                assert_eq!(probe.is_gc_detail_line(line), walked(line), "{}", String::from_utf8_lossy(line));
            }
        }
    }
}
