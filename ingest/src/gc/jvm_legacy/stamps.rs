//! The stamps legacy logs put before a record or a message: a date stamp
//! `2015-01-01T10:00:00.000+0100: ` (`-XX:+PrintGCDateStamps`), an uptime stamp `123.456: `
//! (`-XX:+PrintGCTimeStamps`, decimal comma in some locales: `1,319: `) and a GC id `#12: `
//! (`-XX:+PrintGCID`), in that order, each optional.

use crate::units;

/// Stamps found before a record or message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamps {
    /// Date stamp, ns since the Unix epoch.
    pub wall_ns: Option<i64>,
    /// Uptime stamp, ns since JVM start.
    pub uptime_ns: Option<i64>,
    /// `-XX:+PrintGCID` id.
    pub gc_id: Option<i64>,
}

impl Stamps {
    /// Whether no stamp was found.
    pub fn is_empty(&self) -> bool {
        self.wall_ns.is_none() && self.uptime_ns.is_none() && self.gc_id.is_none()
    }

    /// Fills missing fields from `other` (stamps are read right to left, so `other` is earlier).
    fn fill(&mut self, other: Stamps) {
        self.wall_ns = self.wall_ns.or(other.wall_ns);
        self.uptime_ns = self.uptime_ns.or(other.uptime_ns);
        self.gc_id = self.gc_id.or(other.gc_id);
    }
}

/// Length of `2015-01-01T10:00:00.000+0100`.
const DATE_LEN: usize = 28;

/// A date stamp `2015-01-01T10:00:00.000+0100` exactly filling `s`.
fn date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != DATE_LEN || b[4] != b'-' || b[10] != b'T' || !matches!(b[23], b'+' | b'-') {
        return None;
    }
    units::iso8601_ns(s)
}

/// An uptime `123.456` (or `123,456`) exactly filling `s`.
fn uptime(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once(['.', ','])?;
    if int.is_empty()
        || frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    units::decimal_scaled(s, 9)
}

/// A GC id `#12` exactly filling `s`.
fn gc_id(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('#')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads stamps at the start of `s`; returns them and the rest (leading spaces skipped).
pub fn leading(s: &str) -> (Stamps, &str) {
    let mut st = Stamps::default();
    let mut rest = s.trim_start();
    while let Some(colon) = rest.find(": ").or_else(|| rest.ends_with(':').then(|| rest.len() - 1)) {
        // A date stamp contains colons of its own; try it first.
        if rest.len() > DATE_LEN && rest.as_bytes()[DATE_LEN] == b':' {
            if let Some(w) = rest.get(..DATE_LEN).and_then(date) {
                st.wall_ns.get_or_insert(w);
                rest = rest[DATE_LEN + 1..].trim_start();
                continue;
            }
        }
        let token = &rest[..colon];
        if let Some(u) = uptime(token) {
            st.uptime_ns.get_or_insert(u);
        } else if let Some(id) = gc_id(token) {
            st.gc_id.get_or_insert(id);
        } else {
            break;
        }
        rest = rest[colon + 1..].trim_start();
    }
    (st, rest)
}

/// Strips the stamps at the end of `s` (the text right before a `[`), which may be glued to a
/// word (`ParNew2210.314: `); returns the text before them and the stamps.
pub fn trailing(s: &str) -> (&str, Stamps) {
    let mut st = Stamps::default();
    let mut rest = s;
    loop {
        let t = rest.trim_end();
        let Some(body) = t.strip_suffix(':') else { break };
        let found = if body.len() >= DATE_LEN && body.is_char_boundary(body.len() - DATE_LEN) {
            date(&body[body.len() - DATE_LEN..])
                .map(|w| (Stamps { wall_ns: Some(w), ..Default::default() }, body.len() - DATE_LEN))
        } else {
            None
        };
        let found = found.or_else(|| {
            let start = body
                .char_indices()
                .rev()
                .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ',' || *c == '#'))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let mut token = &body[start..];
            // A glued uptime may follow a word that ends in a digit-free character only.
            let mut start = start;
            while !token.is_empty() && !token.starts_with(|c: char| c.is_ascii_digit() || c == '#') {
                token = &token[1..];
                start += 1;
            }
            if let Some(u) = uptime(token) {
                Some((Stamps { uptime_ns: Some(u), ..Default::default() }, start))
            } else {
                gc_id(token).map(|id| (Stamps { gc_id: Some(id), ..Default::default() }, start))
            }
        });
        let Some((found, start)) = found else { break };
        st.fill(found);
        rest = &body[..start];
    }
    if st.is_empty() {
        (s, st)
    } else {
        (rest, st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_stamps() {
        // garbagecat dataset104.txt style prefix.
        let (st, rest) = leading("2016-10-12T09:53:31.818+0100: 0.239: #3: [GC pause");
        assert_eq!(st.wall_ns, units::iso8601_ns("2016-10-12T09:53:31.818+0100"));
        assert_eq!(st.uptime_ns, Some(239_000_000));
        assert_eq!(st.gc_id, Some(3));
        assert_eq!(rest, "[GC pause");
        let (st, rest) = leading("1,319: [GC");
        assert_eq!(st.uptime_ns, Some(1_319_000_000));
        assert_eq!(rest, "[GC");
        let (st, rest) = leading(": 516864K->516864K(516864K), 2.1875738 secs]");
        assert!(st.is_empty());
        assert_eq!(rest, ": 516864K->516864K(516864K), 2.1875738 secs]");
        let (st, rest) = leading("Total time for which");
        assert!(st.is_empty());
        assert_eq!(rest, "Total time for which");
    }

    #[test]
    fn trailing_stamps() {
        let (before, st) = trailing("ParNew2210.314: ");
        assert_eq!(before, "ParNew");
        assert_eq!(st.uptime_ns, Some(2_210_314_000_000));
        let (before, st) = trailing("GC 2016-03-14T16:06:13.991-0700: 5.746: #7: ");
        assert_eq!(before, "GC ");
        assert_eq!(st.uptime_ns, Some(5_746_000_000));
        assert_eq!(st.gc_id, Some(7));
        assert!(st.wall_ns.is_some());
        let (before, st) = trailing("CMS2017-02-15T16:22:06.001+0900: ");
        assert_eq!(before, "CMS");
        assert!(st.wall_ns.is_some());
        let (before, st) = trailing("GC (Allocation Failure) ");
        assert_eq!(before, "GC (Allocation Failure) ");
        assert!(st.is_empty());
        // Not a stamp: a size before a colon.
        assert_eq!(trailing("Avg: 12: ").1.uptime_ns, None);
    }
}
