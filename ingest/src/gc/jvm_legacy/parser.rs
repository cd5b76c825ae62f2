//! The line loop of the legacy parser: per-line classification, the bracket tokenizer that
//! follows records across lines, and line accounting (a line that fed a record takes the
//! record's fate: parsed when it ends, skipped when it is cut off).

use model::tables::clock::{self, JVM_UPTIME};

use super::messages::Message;
use super::noise::{self, LineKind};
use super::pause::PauseFacts;
use super::record::{self, Group, Head, Label};
use super::stamps::{self, Stamps};
use crate::account::SkipKind;
use crate::gc::{GcOutput, SourceCtx};

/// How a finished record or line is accounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Parsed,
    Ignore(&'static str),
    Skip(&'static str),
}

/// What happened on the current line.
#[derive(Debug, Default)]
pub(super) struct LineFate {
    pub(super) tabled: bool,
    pub(super) ignore: Option<&'static str>,
    pub(super) skip: Option<&'static str>,
    /// Non-stamp text outside any record.
    pub(super) junk: bool,
}

impl LineFate {
    pub(super) fn apply(&mut self, o: Outcome) {
        match o {
            Outcome::Parsed => self.tabled = true,
            Outcome::Ignore(r) => {
                self.ignore.get_or_insert(r);
            }
            Outcome::Skip(r) => {
                self.skip.get_or_insert(r);
            }
        }
    }
}

/// A pause record read to its end, waiting for detail lines (G1 `[Eden: ...]`, `[Times: ...]`).
#[derive(Debug)]
pub(super) struct Draft {
    pub(super) facts: PauseFacts,
    pub(super) stamps: Stamps,
    pub(super) line: u64,
    pub(super) real_ns: Option<i64>,
    pub(super) real_line: u64,
}

/// Cap on lines one open record may span before it is given up as cut off.
const MAX_RECORD_LINES: usize = 20_000;
/// Cap on pauses held back while the collector is not yet known.
pub(super) const MAX_UNRESOLVED: usize = 100_000;

/// Parser state carried from line to line.
pub(super) struct Parser<'c> {
    pub(super) ctx: &'c SourceCtx,
    pub(super) uptime_clock: String,
    pub(super) last_line: u64,
    /// Open groups, outermost first.
    pub(super) stack: Vec<Group>,
    /// Emptied text buffers of closed groups, reused for new ones.
    pub(super) spare_text: Vec<String>,
    /// Lines that so far only fed the open record, with their text for skip examples.
    pub(super) open_lines: Vec<(u64, Vec<u8>)>,
    pub(super) pending: Option<Draft>,
    /// The last top-level group was a concurrent phase (a `[Times: ...]` after it is its own).
    pub(super) last_top_concurrent: bool,
    /// The current line starts with white space (G1 detail lines do).
    pub(super) line_indented: bool,
    /// The last top-level group was a G1 string deduplication phase (statistics lines follow).
    pub(super) after_dedup: bool,
    /// Pauses whose record names no collector, held until one is known.
    pub(super) unresolved: Vec<Draft>,
    pub(super) collector_hint: Option<&'static str>,
    /// A CMS initial mark was seen and no remark or full collection since.
    pub(super) cms_cycle_marked: bool,
    /// Inside a multi-line dump: its ignore reason.
    pub(super) block: Option<&'static str>,
    pub(super) cut_records: u64,
    /// Pause records that gave no duration, and the first one's line.
    pub(super) no_duration: (u64, Option<u64>),
    pub(super) cur: LineFate,
}

impl<'c> Parser<'c> {
    pub(super) fn new(ctx: &'c SourceCtx) -> Self {
        Self {
            ctx,
            uptime_clock: clock::scoped(JVM_UPTIME, &ctx.clock_scope),
            last_line: 0,
            stack: Vec::new(),
            spare_text: Vec::new(),
            open_lines: Vec::new(),
            pending: None,
            last_top_concurrent: false,
            line_indented: false,
            after_dedup: false,
            unresolved: Vec::new(),
            collector_hint: None,
            cms_cycle_marked: false,
            block: None,
            cut_records: 0,
            no_duration: (0, None),
            cur: LineFate::default(),
        }
    }

    /// Handles and accounts one line.
    pub(super) fn line(&mut self, line_no: u64, text: &str, bytes: &[u8], out: &mut GcOutput) {
        self.cur = LineFate::default();
        let fed = self.line_inner(line_no, text, out);
        self.account_line(line_no, bytes, fed, out);
    }

    /// Handles one line; returns whether it fed a record that is still open.
    fn line_inner(&mut self, line_no: u64, text: &str, out: &mut GcOutput) -> bool {
        if let Some(reason) = self.block {
            if looks_like_record_text(text) {
                self.block = None;
            } else {
                self.cur.apply(Outcome::Ignore(reason));
                return false;
            }
        }
        if let Some(kind) = noise::classify(text) {
            match kind {
                LineKind::Ignore(r) => {
                    if let Some(c) = noise::collector_in_dump(text) {
                        self.set_hint(c, out);
                    }
                    self.cur.apply(Outcome::Ignore(r));
                }
                LineKind::Version(v) => {
                    out.tool_version.get_or_insert(v);
                    self.cur.apply(Outcome::Parsed);
                }
                LineKind::Flags => {
                    if let Some(c) = collector_from_flags(text) {
                        self.set_hint(c, out);
                    }
                    self.cur.apply(Outcome::Ignore("command line flags"));
                }
                LineKind::BlockStart(r) => {
                    self.block = Some(r);
                    self.cur.apply(Outcome::Ignore(r));
                }
            }
            return false;
        }
        // Most lines hold nothing to cut out and are read in place.
        let edited = noise::needs_edit(text).then(|| {
            let mut e = text.to_string();
            let stripped = noise::strip_fragments(&mut e);
            let messages = super::messages::take_messages(&mut e);
            (e, stripped, messages)
        });
        let (s, stripped, messages) = match &edited {
            Some((e, st, m)) => (e.as_str(), *st, m.as_slice()),
            None => (text, noise::Stripped::default(), &[][..]),
        };
        if stripped.rs_summary {
            self.block = Some("G1 remembered set summary");
            self.cur.apply(Outcome::Ignore("G1 remembered set summary"));
        }
        if stripped.heap_dump {
            self.cur.apply(Outcome::Ignore("PrintHeapAtGC dump"));
        }
        if stripped.warning {
            self.cur.apply(Outcome::Ignore("JVM warning"));
        }
        for m in messages {
            match *m {
                Message::Stopped { stamps, total_ns, reaching_ns } => {
                    self.safepoint(line_no, stamps, total_ns, reaching_ns, out)
                }
                Message::ApplicationTime => {
                    self.cur.apply(Outcome::Ignore("application time (PrintGCApplicationConcurrentTime)"))
                }
                Message::Malformed => self.cur.apply(Outcome::Skip("stopped-time message without figures")),
            }
        }
        let (_, rest) = stamps::leading(s);
        let has_brackets = rest.contains(['[', ']']);
        if rest.trim().is_empty() || (!messages.is_empty() && !has_brackets && self.stack.is_empty()) {
            // Nothing but stamps left (or the debris of a line two threads wrote at once).
            if !self.cur.tabled && self.cur.ignore.is_none() && self.cur.skip.is_none() {
                self.cur.apply(Outcome::Skip("stamps without a record"));
            }
            return false;
        }
        if !self.admitted(rest) {
            let reason = if self.stack.is_empty() {
                if rest.starts_with([',', ':', ']']) {
                    "record continuation without its start"
                } else {
                    "unrecognised line"
                }
            } else {
                "unrecognised line inside a record"
            };
            self.cur.apply(Outcome::Skip(reason));
            return false;
        }
        self.line_indented = text.starts_with([' ', '\t']);
        self.tokenize(s, line_no, out);
        if self.stack.is_empty() {
            return false;
        }
        if self.open_lines.len() >= MAX_RECORD_LINES || self.stack.first().is_some_and(|g| g.text.len() > 1 << 20) {
            self.abandon("record cut off (too long, no closing `]`)", out);
            self.cur.apply(Outcome::Skip("record cut off (too long, no closing `]`)"));
            return false;
        }
        true
    }

    /// Whether a line (after its stamps) may be record text.
    fn admitted(&self, rest: &str) -> bool {
        let r = rest.trim_start();
        if self.stack.is_empty() {
            if r.trim_start_matches([':', ',', ' ']).starts_with('[') {
                return true;
            }
            // A record after foreign text (`**** Error\t...\t[GC ...`).
            return rest
                .match_indices('[')
                .any(|(i, _)| matches!(record::label(&rest[i + 1..]), Label::Pause(_) | Label::Concurrent));
        }
        r.starts_with(['[', ']', ':', ',', '('])
            || r.contains(']')
            || r.contains('[')
            || r.contains("secs")
            || r.contains("->")
    }

    fn account_line(&mut self, line_no: u64, bytes: &[u8], fed_open: bool, out: &mut GcOutput) {
        let f = std::mem::take(&mut self.cur);
        if fed_open {
            // Its fate is the open record's: parsed when it ends, skipped when it is cut off.
            self.open_lines.push((line_no, bytes[..bytes.len().min(200)].to_vec()));
        } else if f.tabled {
            out.account.parsed();
        } else if let Some(r) = f.skip {
            out.account.skip(SkipKind::Skip, r, line_no, bytes);
        } else if let Some(r) = f.ignore {
            out.account.skip(SkipKind::Ignore, r, line_no, bytes);
        } else if f.junk {
            out.account.skip(SkipKind::Skip, "record end without its start", line_no, bytes);
        } else {
            out.account.skip(SkipKind::Skip, "unrecognised line", line_no, bytes);
        }
    }

    /// Resolves the lines that fed the record that just ended.
    pub(super) fn resolve_open_lines(&mut self, o: Outcome, out: &mut GcOutput) {
        for (n, b) in self.open_lines.drain(..) {
            match o {
                Outcome::Parsed => out.account.parsed(),
                Outcome::Ignore(r) => out.account.skip(SkipKind::Ignore, r, n, &b),
                Outcome::Skip(r) => out.account.skip(SkipKind::Skip, r, n, &b),
            }
        }
    }

    /// Gives up the open record (no closing bracket came).
    pub(super) fn abandon(&mut self, reason: &'static str, out: &mut GcOutput) {
        if self.stack.is_empty() {
            return;
        }
        self.stack.clear();
        self.cut_records += 1;
        self.resolve_open_lines(Outcome::Skip(reason), out);
    }

    fn tokenize(&mut self, s: &str, line_no: u64, out: &mut GcOutput) {
        let b = s.as_bytes();
        let mut seg = 0;
        let mut i = 0;
        let mut first = true;
        while i < b.len() {
            match b[i] {
                b'[' if s[i + 1..].starts_with("0x") => {
                    // An address range `[0x..., 0x...)` is text.
                    i = s[i..].find([']', ')']).map_or(b.len(), |j| i + j + 1);
                    continue;
                }
                b'[' => {
                    let (before, stamps) = stamps::trailing(&s[seg..i]);
                    self.push_text(before);
                    let rest = &s[i + 1..];
                    let lab = record::label(rest);
                    if first
                        && before.trim().is_empty()
                        && matches!(lab, Label::Pause(_))
                        && !self.stack.is_empty()
                        && !self.remark_scavenge(rest)
                    {
                        self.abandon("record cut off (a new record started)", out);
                    }
                    if self.stack.is_empty() && matches!(lab, Label::Pause(_)) {
                        self.flush_pending(out);
                    }
                    first = false;
                    let text = self.spare_text.pop().unwrap_or_default();
                    self.stack.push(Group { stamps, text, ..Default::default() });
                    seg = i + 1;
                }
                b']' => {
                    self.push_text(&s[seg..i]);
                    seg = i + 1;
                    match self.stack.pop() {
                        Some(mut g) => {
                            self.close(&mut g, line_no, out);
                            g.text.clear();
                            if self.spare_text.len() < 64 {
                                self.spare_text.push(std::mem::take(&mut g.text));
                            }
                        }
                        None => self.cur.junk = true,
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.push_text(&s[seg.min(s.len())..]);
    }

    /// CMS with `-XX:+CMSScavengeBeforeRemark`: the young collection the remark runs first starts
    /// a line inside the open remark record.
    fn remark_scavenge(&self, rest: &str) -> bool {
        record::label(rest) == Label::Pause(Head::Gc)
            && self
                .stack
                .first()
                .is_some_and(|g| g.text.contains("CMS Final Remark") || g.flags & record::flag::REMARK != 0)
    }

    fn push_text(&mut self, t: &str) {
        match self.stack.last_mut() {
            Some(g) => g.text.push_str(t),
            None => {
                if !stamps::leading(t).1.trim().is_empty() {
                    self.cur.junk = true;
                }
            }
        }
    }
}

/// Whether a line inside a dump block is record text again.
fn looks_like_record_text(line: &str) -> bool {
    let (_, rest) = stamps::leading(line);
    rest.starts_with(['[', ',', ':'])
        || line.contains("secs]")
        || line.contains("Total time for which")
        || line.contains("Application time:")
}

/// Collector selected by `CommandLine flags:`.
fn collector_from_flags(line: &str) -> Option<&'static str> {
    [
        ("-XX:+UseG1GC", "G1"),
        ("-XX:+UseConcMarkSweepGC", "CMS"),
        ("-XX:+UseParNewGC", "CMS"),
        ("-XX:+UseParallelOldGC", "Parallel"),
        ("-XX:+UseParallelGC", "Parallel"),
        ("-XX:+UseSerialGC", "Serial"),
        ("-XX:+UseShenandoahGC", "Shenandoah"),
    ]
    .iter()
    .find(|(f, _)| line.contains(f))
    .map(|(_, c)| *c)
}
