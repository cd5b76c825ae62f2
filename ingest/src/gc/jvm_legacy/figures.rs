//! Figures in a record's own text: heap transitions (`1569902K->1156809K(2018560K)`), CMS
//! occupancies (`1569902K(2018560K)`), G1 `Heap: 24.0M(254.0M)->3353.5K(254.0M)`, durations
//! (`, 0.0123 secs`, decimal comma allowed) and `real=` of `[Times: ...]`.

use crate::units;

/// Heap figures of a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Heap {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub committed: Option<i64>,
}

/// Size token (`1569902K`, `24.0M`, `0.0B`) ending exactly at `end` of `s`: its start.
fn size_start_before(s: &str, end: usize) -> Option<usize> {
    let b = s.as_bytes();
    if end == 0 || !matches!(b[end - 1], b'K' | b'M' | b'G' | b'T' | b'B') {
        return None;
    }
    let mut i = end - 1;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.' || b[i - 1] == b',') {
        i -= 1;
    }
    (i < end - 1 && b[i].is_ascii_digit()).then_some(i)
}

/// Size token at the start of `s`: its length.
fn size_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let n = b.iter().take_while(|c| c.is_ascii_digit() || **c == b'.' || **c == b',').count();
    (n > 0 && b[0].is_ascii_digit() && matches!(b.get(n), Some(b'K' | b'M' | b'G' | b'T' | b'B'))).then_some(n + 1)
}

/// `(1234K)` at the start of `s`: bytes and length.
fn paren_size(s: &str) -> Option<(i64, usize)> {
    let r = s.strip_prefix('(')?;
    let n = size_len(r)?;
    r[n..].starts_with(')').then(|| units::size_bytes(&r[..n]).map(|v| (v, n + 2)))?
}

/// The first whole-heap transition `before->after(committed)` in a record's own text.
pub fn first_transition(text: &str) -> Option<Heap> {
    let mut from = 0;
    while let Some(i) = text[from..].find("->").map(|i| i + from) {
        from = i + 2;
        let Some(start) = size_start_before(text, i) else { continue };
        let rest = &text[i + 2..];
        let Some(n) = size_len(rest) else { continue };
        let before = units::size_bytes(&text[start..i]);
        let after = units::size_bytes(&rest[..n]);
        let committed = paren_size(&rest[n..]).map(|(v, _)| v);
        if before.is_some() && after.is_some() {
            return Some(Heap { before, after, committed });
        }
    }
    None
}

/// The last occupancy `1569902K(2018560K)` in a record's own text (CMS initial mark and remark).
pub fn last_occupancy(text: &str) -> Option<Heap> {
    let mut found = None;
    for (i, _) in text.match_indices('(') {
        let Some(start) = size_start_before(text, i) else { continue };
        if let (Some(used), Some((cap, _))) = (units::size_bytes(&text[start..i]), paren_size(&text[i..])) {
            found = Some(Heap { before: Some(used), after: None, committed: Some(cap) });
        }
    }
    found
}

/// G1 `Eden: 24.0M(24.0M)->0.0B(13.0M) Survivors: 0.0B->3072.0K Heap: 24.0M(254.0M)->3353.5K(254.0M)`.
pub fn eden_heap(text: &str) -> Option<Heap> {
    let (_, h) = text.split_once("Heap: ")?;
    let n = size_len(h)?;
    let before = units::size_bytes(&h[..n])?;
    let mut rest = &h[n..];
    if let Some((_, len)) = paren_size(rest) {
        rest = &rest[len..];
    }
    let rest = rest.strip_prefix("->")?;
    let n = size_len(rest)?;
    let after = units::size_bytes(&rest[..n])?;
    let committed = paren_size(&rest[n..]).map(|(v, _)| v);
    Some(Heap { before: Some(before), after: Some(after), committed })
}

/// Longest duration taken as read, ns (27.7 hours).
const MAX_DURATION_NS: i64 = 100_000_000_000_000;

/// The last `<number> secs` (`sec`; `ms`/`us` when `millis`) in a record's own text.
pub fn last_duration(text: &str, millis: bool) -> Option<i64> {
    let mut found = None;
    let mut prev = "";
    for w in text.split_whitespace() {
        let exp = match w.trim_end_matches(',') {
            "secs" | "sec" => Some(9),
            "ms" if millis => Some(6),
            "us" if millis => Some(3),
            _ => None,
        };
        if let Some(exp) = exp {
            let num = prev.trim_start_matches(',').trim_end_matches(',');
            if let Some(v) = units::decimal_scaled(num, exp) {
                // Beyond a day is not a pause duration (and would overflow sums).
                found = Some(v).filter(|v| *v <= MAX_DURATION_NS);
            }
        }
        prev = w;
    }
    found
}

/// `real=0.55 secs` of a `Times:` group.
pub fn times_real(text: &str) -> Option<i64> {
    let (_, r) = text.split_once("real=")?;
    let n = r.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b',').count();
    units::decimal_scaled(&r[..n], 9)
}
