//! The parser's fast path: telling the lines it skips most often from lines that may be
//! tabled, on raw bytes, before any UTF-8 check or decorator parsing: `GC(n)` detail lines (a
//! phase timing, a heap region line: most lines of a debug-level log; and under tags other
//! than `gc` and `gc,phases`, every `GC(n)` line, e.g. `gc,start` pause starts and
//! `gc,marking` concurrent phases) and `gc`-tagged messages without a `GC(n)` id (marking
//! statistics, ergonomics) that are not setup lines.
//!
//! A decorated line is `[...]` groups back to back, one space, then the message. Lines of one
//! log share the shape of their decorators (which `]` ends where), so the probe remembers the
//! last shape and checks a line against it with a few byte compares and one vectorised count;
//! a line of another shape (an uptime that grew a digit, tags padded anew) is walked in full
//! and its shape remembered.

use super::decorators::{is_level, is_tags};

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
    /// The last group of the last line looked at, and its length as a tag set.
    last_group: LastGroup,
}

/// What the full parser makes of a line's tags, as far as the fast path needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagClass {
    /// The line has no tag set.
    Untagged,
    /// `gc`.
    Gc,
    /// `gc,phases`.
    GcPhases,
    /// Any other tag set starting with `gc`.
    OtherGc,
    /// `safepoint`.
    Safepoint,
    /// Any other tag set.
    Other,
}

impl TagClass {
    fn of(tags: Option<&[u8]>) -> Self {
        match tags {
            None => Self::Untagged,
            Some(b"gc") => Self::Gc,
            Some(b"gc,phases") => Self::GcPhases,
            Some(b"safepoint") => Self::Safepoint,
            Some(t) if t.starts_with(b"gc") => Self::OtherGc,
            Some(_) => Self::Other,
        }
    }
}

/// A decorator group as it was written and what [`as_tag_set`] made of it: consecutive lines
/// mostly share their tags (three lines in four in a G1 debug log), so a comparison of two
/// words stands in for the check of each byte.
#[derive(Debug, Default)]
struct LastGroup {
    /// [`group_words`] of the group; `None`: nothing remembered.
    words: Option<GroupWords>,
    /// The class of the group's tag set; `None`: the group is not a tag set.
    class: Option<TagClass>,
}

/// A group of 8 to 32 bytes as its length and two words that together cover every byte: its
/// first and its last 16 bytes (8 when it is shorter than 16), overlapping.
type GroupWords = (usize, u128, u128);

#[inline]
fn group_words(group: &[u8]) -> Option<GroupWords> {
    let n = group.len();
    let (first, last) = match n {
        16..=32 => {
            (u128::from_le_bytes(group[..16].try_into().ok()?), u128::from_le_bytes(group[n - 16..].try_into().ok()?))
        }
        8..=15 => (
            u128::from(u64::from_le_bytes(group[..8].try_into().ok()?)),
            u128::from(u64::from_le_bytes(group[n - 8..].try_into().ok()?)),
        ),
        _ => return None,
    };
    Some((n, first, last))
}

impl LastGroup {
    /// The class of `group` when it is a tag set (see [`as_tag_set`]), from memory when
    /// `group` is the group seen last.
    #[inline]
    fn class(&mut self, group: &[u8]) -> Option<TagClass> {
        let words = group_words(group);
        if words.is_some() && words == self.words {
            return self.class;
        }
        let class = as_tag_set(group).map(|t| TagClass::of(Some(t)));
        self.words = words;
        self.class = class;
        class
    }
}

impl DetailProbe {
    /// The skip reason of `line` when it is one of the two kinds above, the parser's own answer
    /// for it; `None` sends the line to the full parser. `known_ascii`: the line is known to be
    /// ASCII (else it is checked here).
    #[inline]
    pub(super) fn fast_skip(&mut self, line: &[u8], known_ascii: bool) -> Option<&'static str> {
        let msg_at = match self.same_shape(line) {
            Some(at) => at,
            None => self.walk(line)?,
        };
        let msg = &line[msg_at..];
        let class = self.tag_class(line);
        // Without tags, the full parser takes the line for unified logging only when a group
        // is a level or a time (`[12345p] GC(3) ...`, a pid alone, is not): its own test decides.
        if class == TagClass::Untagged && std::str::from_utf8(line).ok().and_then(super::parse_decorated).is_none() {
            return None;
        }
        let reason = if msg.starts_with(b"GC(") {
            is_detail_message(msg, class).then_some(super::GC_DETAIL)?
        } else {
            plain_message(msg, class)?
        };
        // Non-ASCII lines go to the full parser (it checks UTF-8).
        (known_ascii || line.is_ascii()).then_some(reason)
    }

    /// The class of the full parser's tags of `line` (of the remembered shape): the last
    /// decorator group, trailing whitespace trimmed, that is a tag set (lowercase identifiers
    /// joined by commas) and not a level; [`TagClass::Untagged`] when no group is.
    #[inline]
    fn tag_class(&mut self, line: &[u8]) -> TagClass {
        let closes = &self.closes;
        let group = |k: usize| {
            let start = if k > 0 { closes[k - 1] + 2 } else { 1 };
            &line[start..closes[k]]
        };
        // Tags are the last decorator in HotSpot's order: one group looked at, as a rule.
        let last = self.groups - 1;
        match self.last_group.class(group(last)) {
            Some(class) => class,
            None => TagClass::of((0..last).rev().find_map(|k| as_tag_set(group(k)))),
        }
    }

    /// Whether `line` is a decorated line whose message is `GC(n) <body>` with a body that
    /// cannot be tabled.
    #[cfg(test)]
    fn is_gc_detail_line(&mut self, line: &[u8]) -> bool {
        self.fast_skip(line, false) == Some(super::GC_DETAIL)
    }

    /// The message start when `line` has the remembered shape: `[` first, a `]` at each
    /// remembered position followed by `[` (the last by a space), and no other `]` before.
    #[inline]
    fn same_shape(&self, line: &[u8]) -> Option<usize> {
        let g = self.groups;
        let (&last, inner) = self.closes[..g].split_last()?;
        // The `]` count below is kept in a byte (it vectorises): prefixes are far shorter.
        if last >= usize::from(u8::MAX) || line.first() != Some(&b'[') || line.get(last..last + 2) != Some(b"] ") {
            return None;
        }
        // Two-byte compares, one per group: a loop over the bytes cost a fifth of the fast path.
        if inner.iter().any(|&c| line.get(c..c + 2) != Some(b"][")) {
            return None;
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

/// ASCII whitespace as `str::trim` sees it (`\t`, `\n`, vertical tab, form feed, `\r`, space).
#[inline]
fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

/// `group` with trailing whitespace trimmed, when that is a tag set and not a level (as the
/// full parser classifies a decorator group).
#[inline]
fn as_tag_set(group: &[u8]) -> Option<&[u8]> {
    let tags = &group[..group.iter().rposition(|&b| !is_space(b))? + 1];
    (is_tags(tags) && !is_level(tags)).then_some(tags)
}

/// Messages the full parser reads anywhere in a `GC(n)` body under tag `gc` (an aborted or
/// cancelled cycle).
const ABORT_WORDS: &[&[u8]] = &[b"Abort", b"Upgrade to Full", b"Cancelling GC"];

/// The full parser's skip reason for a message without a `GC(n)` id under tags of `class`
/// when it reads nothing in it: tagged `gc...`, none of [`super::GC_SETUP_MESSAGES`]
/// (`NO_GC_ID`); tagged `safepoint`, none of [`super::SAFEPOINT_MESSAGES`]
/// (`SAFEPOINT_DETAIL`).
#[inline]
fn plain_message(msg: &[u8], class: TagClass) -> Option<&'static str> {
    let starts = |list: &[&str]| list.iter().any(|m| msg.starts_with(m.as_bytes()));
    match class {
        TagClass::Safepoint => (!starts(super::SAFEPOINT_MESSAGES)).then_some(super::SAFEPOINT_DETAIL),
        TagClass::Gc | TagClass::GcPhases | TagClass::OtherGc => {
            (!starts(super::GC_SETUP_MESSAGES)).then_some(super::NO_GC_ID)
        }
        TagClass::Untagged | TagClass::Other => None,
    }
}

/// `GC(<digits>) <body>` that the full parser skips as a detail line, under tags of `class`.
/// Under `gc` (or without tags) a body may be a pause, a cycle summary, a concurrent phase or
/// an abort; under `gc,phases` only a pause; under any other `gc...` tag set none is tabled.
/// Under tags not `gc...` the line is left to the full parser (it gives another reason).
#[inline]
fn is_detail_message(msg: &[u8], class: TagClass) -> bool {
    let Some(rest) = msg.strip_prefix(b"GC(") else { return false };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    // Up to 18 digits always fit the parser's i64 id; longer ids are left to it.
    if digits == 0 || digits > 18 || rest.get(digits) != Some(&b')') {
        return false;
    }
    let body = &rest[digits + 1..];
    let body = &body[body.iter().position(|&b| b != b' ').unwrap_or(body.len())..];
    // The full parser trims any whitespace before the body: other than spaces, left to it.
    if body.first().is_some_and(|&b| is_space(b)) {
        return false;
    }
    match class {
        TagClass::Gc | TagClass::Untagged => {}
        TagClass::GcPhases => return ![&b"Pause "[..], b"y: ", b"Y: ", b"O: "].iter().any(|p| body.starts_with(p)),
        // Other `gc...` tags: never tabled. Not `gc...`: the full parser gives another reason.
        TagClass::OtherGc => return true,
        TagClass::Safepoint | TagClass::Other => return false,
    }
    // Most detail bodies start with a letter no tabled body starts with.
    let may_be_tabled = body.first().is_some_and(|&b| TABLED_FIRST_BYTE[usize::from(b)]);
    if may_be_tabled && TABLED_BODIES.iter().any(|p| body.starts_with(p)) {
        return false;
    }
    !ABORT_WORDS.iter().any(|w| memchr::memmem::find(body, w).is_some())
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
            // A concurrent phase is tabled under `gc` only.
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
            true, false, true, true, true, false, true, false, true, true, false, false, true, false, false, false,
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
