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
}

impl LineAccount {
    /// Counts a line as read (call once per line).
    pub fn read(&mut self) {
        self.read += 1;
    }
    /// Counts a line as parsed.
    pub fn parsed(&mut self) {
        self.parsed += 1;
    }
    /// Counts a line as skipped for `reason`.
    pub fn skip(&mut self, kind: SkipKind, reason: &str, line_no: u64, line: &[u8]) {
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
        let r = &mut self.reasons[idx];
        r.count += 1;
        if r.examples.len() < EXAMPLES {
            let cut = &line[..line.len().min(EXAMPLE_BYTES)];
            r.examples.push(format!("line {line_no}: {}", String::from_utf8_lossy(cut)));
        }
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
