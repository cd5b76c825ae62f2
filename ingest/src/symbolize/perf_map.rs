//! JIT symbols from `perf-PID.map` files (JVM `-XX:+DumpPerfMapAtExit`, V8 `--perf-basic-prof`,
//! ...): one `START SIZE name` per line, hex with or without `0x`, the name being the rest of the
//! line (spaces allowed). Parsed as perf's `dso__load_perf_map` does (strtoull base 16, lines too
//! short skipped, zero-size entries never match). Entries can overlap when code is freed and
//! the address reused; the later line wins (the map is appended to over time), so the table is
//! flattened into disjoint ranges once at load.

use std::collections::BTreeMap;

use super::symtab::{Binding, Duplicates, RawSymbols, SymbolTable};

/// strtoull(s, 16): optional leading blanks, optional `0x`; returns (value, bytes consumed).
fn hex_prefix(s: &[u8]) -> (u64, usize) {
    let mut i = 0;
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    let digits_start =
        if s[i..].starts_with(b"0x") && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) { i + 2 } else { i };
    let mut j = digits_start;
    let mut v: u64 = 0;
    while j < s.len() {
        let Some(d) = (s[j] as char).to_digit(16) else { break };
        v = v.wrapping_mul(16).wrapping_add(d as u64);
        j += 1;
    }
    if j == digits_start {
        return (0, 0);
    }
    (v, j)
}

/// One parsed line: (start, size, name). Mirrors perf's length checks
/// (`if (len + 2 >= line_len) continue;` after each number), so names shorter than 3 bytes are
/// skipped exactly as perf skips them.
pub(crate) fn parse_line(line: &[u8]) -> Option<(u64, u64, &[u8])> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (start, mut len) = hex_prefix(line);
    len += 1;
    if len + 2 >= line.len() {
        return None;
    }
    let (size, n) = hex_prefix(&line[len..]);
    len += n + 1;
    if len + 2 >= line.len() {
        return None;
    }
    Some((start, size, &line[len..]))
}

/// A loaded perf map.
#[derive(Debug, Default)]
pub(crate) struct PerfMap {
    table: SymbolTable,
    /// For each table entry, the start of the line's whole range (offsets are relative to it
    /// even when a later line cut the range).
    origin: Vec<u64>,
}

impl PerfMap {
    pub fn parse(text: &[u8]) -> PerfMap {
        // Flatten overlaps, later lines winning: paint each line's range over what is there.
        // `painted` maps a range start to (end, line index); ranges are disjoint.
        let mut names: Vec<Box<str>> = Vec::new();
        let mut starts: Vec<u64> = Vec::new();
        let mut painted: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
        for line in text.split(|&b| b == b'\n') {
            let Some((start, size, name)) = parse_line(line) else { continue };
            let end = start.saturating_add(size);
            if end <= start {
                continue;
            }
            let idx = names.len();
            names.push(String::from_utf8_lossy(name).into());
            starts.push(start);
            // Cut the ranges overlapping [start, end).
            let overlapping: Vec<(u64, (u64, usize))> =
                painted.range(..end).rev().take_while(|(_, (e, _))| *e > start).map(|(s, v)| (*s, *v)).collect();
            // Ranges strictly before `start` may still overlap if they are long: the
            // take_while above stops at the first one ending ≤ start, which is correct because
            // ranges are disjoint and sorted (ends increase with starts).
            for (s, (e, i)) in overlapping {
                painted.remove(&s);
                if s < start {
                    painted.insert(s, (start, i));
                }
                if e > end {
                    painted.insert(end, (e, i));
                }
            }
            painted.insert(start, (end, idx));
        }
        // `origin[i]` is the line start of table entry `i` (ranges are added in start order).
        let mut origin = Vec::with_capacity(painted.len());
        let mut raw = RawSymbols::with_capacity(painted.len());
        for (s, (e, i)) in painted {
            if raw.push_span(s, e, Binding::Global, &names[i]) {
                origin.push(starts[i]);
            }
        }
        PerfMap { table: SymbolTable::from_raw(raw, Duplicates::KeepAll), origin }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// (name, offset from the start of the line's range).
    pub fn find(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.table.find_index(addr)?;
        Some((self.table.entry_name(i), addr - self.origin[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_perf_map_lines() {
        let m = PerfMap::parse(
            b"0x00007f0a24ec71c0 0x0000000000000270 java.lang.Object jdk.internal.misc.Unsafe.get(java.lang.Object, long)\n\
              7f0a24ec7620 200 Interpreter\n\
              7f0a24ec8000 0 zero-size\n\
              bogus\n\
              7f0a24ec9000 10\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(
            m.find(0x7f0a_24ec_71c1),
            Some(("java.lang.Object jdk.internal.misc.Unsafe.get(java.lang.Object, long)", 1))
        );
        assert_eq!(m.find(0x7f0a_24ec_7430), None);
        assert_eq!(m.find(0x7f0a_24ec_781f).map(|x| x.0), Some("Interpreter"));
        assert_eq!(m.find(0x7f0a_24ec_7820), None);
        assert_eq!(m.find(0x7f0a_24ec_8000), None);
    }

    #[test]
    fn later_lines_win_on_overlap() {
        let m = PerfMap::parse(b"1000 100 old\n1040 20 new\n1050 100 newer\n0f00 180 first-of-all\n");
        // Last line paints [0xf00, 0x1080).
        assert_eq!(m.find(0x1000).map(|x| x.0), Some("first-of-all"));
        assert_eq!(m.find(0x1055).map(|x| x.0), Some("first-of-all"));
        assert_eq!(m.find(0x1080).map(|x| x.0), Some("newer"));
        assert_eq!(m.find(0x114f).map(|x| x.0), Some("newer"));
        assert_eq!(m.find(0x1150), None);
        let m = PerfMap::parse(b"1000 100 old\n1040 20 new\n");
        assert_eq!(m.find(0x103f).map(|x| x.0), Some("old"));
        assert_eq!(m.find(0x1040).map(|x| x.0), Some("new"));
        assert_eq!(m.find(0x1060), Some(("old", 0x60)));
        // perf skips names shorter than 3 bytes (its `len + 2 >= line_len` check).
        assert_eq!(PerfMap::parse(b"1000 100 ab\n2000 10 abc\n").len(), 1);
    }
}
