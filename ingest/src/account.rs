//! Per-source line accounting for `ingest_log`: every line read is either parsed or skipped,
//! and every skip has a reason, a count, its first line and up to three examples.

use model::tables::ingest_log::IngestLogRow;

/// How many examples are kept per reason.
pub const EXAMPLES: usize = 3;
/// Examples are cut to this many bytes.
const EXAMPLE_BYTES: usize = 200;

/// Whether a skipped line was understood but not tabled (`ignore`), or not understood (`skip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipKind {
    /// Recognised, intentionally not tabled (e.g. a phase timing at debug level).
    Ignore,
    /// Not understood, malformed or cut off.
    Skip,
}

impl SkipKind {
    fn as_str(self) -> &'static str {
        match self {
            SkipKind::Ignore => "ignore",
            SkipKind::Skip => "skip",
        }
    }
}

/// An example line as kept in `ingest_log`: numbered, cut to [`EXAMPLE_BYTES`].
#[cold]
#[inline(never)]
fn example(line_no: u64, line: &[u8]) -> String {
    let cut = &line[..line.len().min(EXAMPLE_BYTES)];
    format!("line {line_no}: {}", String::from_utf8_lossy(cut))
}

#[derive(Debug, Clone)]
struct Reason {
    kind: SkipKind,
    reason: String,
    count: i64,
    first_line: i64,
    examples: Vec<String>,
}

/// Line accounting of one source.
#[derive(Debug, Clone, Default)]
pub struct LineAccount {
    read: i64,
    parsed: i64,
    reasons: Vec<Reason>,
    notes: Vec<String>,
    /// Index of the last reason used (consecutive lines often share one).
    last: usize,
    /// Address, length and kind of the `&'static` reason that last resolved to `last` (see
    /// [`LineAccount::skip_static`]): a static string never moves, so a repeat is found
    /// without comparing text.
    last_static: Option<(usize, usize, SkipKind)>,
}

impl LineAccount {
    /// Counts a line as read (call once per line).
    #[inline]
    pub fn read(&mut self) {
        self.read += 1;
    }
    /// Counts a line as parsed.
    pub fn parsed(&mut self) {
        self.parsed += 1;
    }
    /// Counts a line as skipped for `reason`.
    pub fn skip(&mut self, kind: SkipKind, reason: &str, line_no: u64, line: &[u8]) {
        self.last_static = None;
        let hit = self.reasons.get(self.last).is_some_and(|r| r.kind == kind && r.reason == reason);
        let found =
            if hit { Some(self.last) } else { self.reasons.iter().position(|r| r.kind == kind && r.reason == reason) };
        let idx = match found {
            Some(i) => i,
            None => {
                self.reasons.push(Reason {
                    kind,
                    reason: reason.to_string(),
                    count: 0,
                    first_line: line_no as i64,
                    examples: Vec::new(),
                });
                self.reasons.len() - 1
            }
        };
        self.last = idx;
        self.count_last(line_no, line);
    }
    /// Counts one more line for the reason used last.
    #[inline]
    fn count_last(&mut self, line_no: u64, line: &[u8]) {
        let r = &mut self.reasons[self.last];
        r.count += 1;
        if r.examples.len() < EXAMPLES {
            r.examples.push(example(line_no, line));
        }
    }
    /// [`LineAccount::skip`] for a reason that is a string constant: the hot path of parsers
    /// that skip most lines for one reason (a repeat costs a compare of two addresses).
    #[inline]
    pub fn skip_static(&mut self, kind: SkipKind, reason: &'static str, line_no: u64, line: &[u8]) {
        let key = (reason.as_ptr() as usize, reason.len(), kind);
        if self.last_static == Some(key) {
            self.count_last(line_no, line);
            return;
        }
        self.skip(kind, reason, line_no, line);
        self.last_static = Some(key);
    }
    /// Adds a note (a fact worth knowing that is not a skip).
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
    /// Lines read.
    pub fn lines_read(&self) -> i64 {
        self.read
    }
    /// Lines parsed.
    pub fn lines_parsed(&self) -> i64 {
        self.parsed
    }
    /// Lines skipped (all reasons).
    pub fn lines_skipped(&self) -> i64 {
        self.reasons.iter().map(|r| r.count).sum()
    }
    /// Lines skipped as not understood (kind `skip`, not `ignore`).
    pub fn lines_not_understood(&self) -> i64 {
        self.reasons.iter().filter(|r| r.kind == SkipKind::Skip).map(|r| r.count).sum()
    }
    /// Merges another account of the same source (e.g. a later chunk) into this one.
    pub fn merge(&mut self, other: LineAccount) {
        self.read += other.read;
        self.parsed += other.parsed;
        for r in other.reasons {
            match self.reasons.iter_mut().find(|x| x.kind == r.kind && x.reason == r.reason) {
                Some(x) => {
                    x.count += r.count;
                    x.first_line = x.first_line.min(r.first_line);
                    let room = EXAMPLES.saturating_sub(x.examples.len());
                    x.examples.extend(r.examples.into_iter().take(room));
                }
                None => self.reasons.push(r),
            }
        }
        for n in other.notes {
            self.note(n);
        }
    }
    /// `ingest_log` rows: the total row, then one per reason, then notes.
    pub fn rows(&self, source: &str, format: Option<&str>) -> Vec<IngestLogRow> {
        debug_assert_eq!(self.read, self.parsed + self.lines_skipped(), "read = parsed + skipped");
        let mut rows = vec![IngestLogRow {
            source: source.to_string(),
            format: format.map(str::to_string),
            kind: "total".into(),
            reason: None,
            read: self.read,
            parsed: self.parsed,
            skipped: self.lines_skipped(),
            first_line: None,
            examples: None,
        }];
        for r in &self.reasons {
            rows.push(IngestLogRow {
                source: source.to_string(),
                format: format.map(str::to_string),
                kind: r.kind.as_str().into(),
                reason: Some(r.reason.clone()),
                read: 0,
                parsed: 0,
                skipped: r.count,
                first_line: Some(r.first_line),
                examples: Some(r.examples.join("\n")),
            });
        }
        for n in &self.notes {
            rows.push(IngestLogRow {
                source: source.to_string(),
                format: format.map(str::to_string),
                kind: "note".into(),
                reason: Some(n.clone()),
                ..Default::default()
            });
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_and_dynamic_reasons_count_apart() {
        const DETAIL: &str = "detail";
        let mut a = LineAccount::default();
        for n in 1..=5u64 {
            a.read();
            a.skip_static(SkipKind::Ignore, DETAIL, n, b"x");
        }
        // A dynamic reason with the same text is the same reason; another text is another.
        a.read();
        a.skip(SkipKind::Ignore, &String::from("detail"), 6, b"y");
        a.read();
        a.skip(SkipKind::Skip, &format!("bad {}", 7), 7, b"z");
        a.read();
        a.skip_static(SkipKind::Ignore, DETAIL, 8, b"w");
        a.read();
        a.skip_static(SkipKind::Skip, DETAIL, 9, b"v");
        let rows = a.rows("f", None);
        let count = |kind: &str, reason: &str| {
            rows.iter().find(|r| r.kind == kind && r.reason.as_deref() == Some(reason)).map(|r| r.skipped)
        };
        assert_eq!(count("ignore", "detail"), Some(7));
        assert_eq!(count("skip", "bad 7"), Some(1));
        assert_eq!(count("skip", "detail"), Some(1));
        assert_eq!(rows[0].read, 9);
        assert_eq!(rows[0].skipped, 9);
        let ex = rows.iter().find(|r| r.kind == "ignore").and_then(|r| r.examples.clone()).unwrap();
        assert_eq!(ex, "line 1: x\\nline 2: x\\nline 3: x".replace("\\n", "\n"));
    }
}
