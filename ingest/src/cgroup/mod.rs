//! cgroup snapshots (v2 and v1) → `cgroup_samples`, raw, as observed.
//!
//! Three capture forms (see `shared/reference/cgroup.md`):
//! - the "cgsnap" text stream ([`ingest`]): optional `# cgsnap v1 host=...` header, `# ts_ns=<epoch
//!   ns>` (or `# ts=<epoch s>`) starting each sample, then `grep -H . <files>` lines
//!   `<path>:<line>` (or `grep -Z`'s `<path>\0<line>`); other `#` lines are comments;
//! - a directory per timestamp, `<dir>/<ts_ns>/<cgroup path>/<file>` ([`ingest_dir`]);
//! - a one-off copy of cgroup directories, `<dir>/[TIMESTAMP_NS]` + `<dir>/<cgroup path>/<file>`
//!   ([`ingest_dir`]).
//!
//! Paths are taken relative to `/sys/fs/cgroup`; a first directory naming v1 controllers
//! (`cpu`, `cpu,cpuacct`, `memory`) is a v1 hierarchy, `unified` is the v2 hierarchy of a hybrid
//! host, anything else a v2 cgroup. Each line of each file is parsed by the file's shape
//! (single value, list, `key value`, `prefix k=v ...`, `cpu.max`, per-CPU list); unknown files
//! are read by shape and kept; a line of unexpected shape is kept as one raw text row and counted
//! as skipped. Every line read is accounted for in [`CgroupOutput::account`].

mod columns;
pub mod dir;
pub mod files;
pub mod parse;
pub mod path;

use std::io::BufRead;
use std::rc::Rc;

use model::Table;

use model::tables::cgroup_samples::CgroupSampleRow;
use model::tables::clock::WALL;

pub use dir::ingest_dir;

use crate::account::{LineAccount, SkipKind};
use crate::gc::SourceCtx;
use crate::hash::HashMap;
use crate::lines::LineReader;
use crate::sink::TableSink;
use crate::{units, ReadError};
use columns::{RowRef, SampleColumns};
use parse::{Num, Outcome};
use path::Location;

/// Rows and accounting produced from one capture.
#[derive(Debug, Default)]
pub struct CgroupOutput {
    /// Values in capture order (those not yet handed to `sink`).
    pub samples: Vec<CgroupSampleRow>,
    /// Line accounting (directory captures: lines of all files, plus one entry per empty or
    /// unreadable file).
    pub account: LineAccount,
    /// Where values go as the stream is read, so memory stays bounded by a batch, not the
    /// capture (a day of 1 s samples of 50 cgroups is millions of rows). `None`: kept in `samples`.
    pub sink: Option<Sink>,
    /// Values handed to `sink` so far.
    pub flushed: usize,
}

/// A streaming writer for `cgroup_samples`. Values bound for it are built as columns (no
/// allocation per row) and handed a batch at a time to the table writer, which encodes them on
/// a thread of its own ([`model::write::TableWriter::in_background`]) while the stream is parsed.
pub struct Sink {
    out: TableSink<CgroupSampleRow>,
    /// Values not yet handed over.
    columns: SampleColumns,
}

impl Sink {
    /// A sink writing to `writer` (moved to a thread of its own).
    pub fn new(writer: model::write::TableWriter<CgroupSampleRow>) -> Self {
        Self { out: TableSink::new(writer.in_background()), columns: SampleColumns::default() }
    }

    /// Completes the part file: the first write error, or the number of rows written.
    pub fn finish(self) -> Result<usize, model::ModelError> {
        self.out.finish()
    }
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").field("out", &self.out).field("pending", &self.columns.len()).finish()
    }
}

/// Values are handed to the sink in batches of at least this many (at sample boundaries).
const FLUSH_ROWS: usize = 64 * 1024;
/// ... or earlier (at a line boundary), when a column holds this many bytes of text.
const FLUSH_BYTES: usize = 256 << 20;

impl CgroupOutput {
    /// Values produced so far (flushed or not).
    pub fn len(&self) -> usize {
        self.flushed + self.pending()
    }

    /// Values produced and not yet handed to the sink.
    fn pending(&self) -> usize {
        self.samples.len() + self.sink.as_ref().map_or(0, |s| s.columns.len())
    }

    fn push(&mut self, r: &RowRef<'_>) {
        match &mut self.sink {
            Some(sink) => sink.columns.push(r),
            None => self.samples.push(r.to_row()),
        }
    }

    /// Drops the values after the first `pending` not yet handed to the sink.
    fn truncate_pending(&mut self, pending: usize) {
        match &mut self.sink {
            Some(sink) => sink.columns.truncate(pending - self.samples.len().min(pending)),
            None => self.samples.truncate(pending),
        }
    }

    /// Whether no value was produced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands buffered values to the sink, if there is one.
    pub fn flush(&mut self) {
        let Some(sink) = &mut self.sink else { return };
        if !self.samples.is_empty() {
            self.flushed += self.samples.len();
            sink.out.write_batch(&CgroupSampleRow::to_batch(&self.samples));
            self.samples.clear();
        }
        if sink.columns.len() > 0 {
            self.flushed += sink.columns.len();
            let batch = sink.columns.take_batch();
            sink.out.write_batch(&batch);
        }
    }
}

/// Whether the first bytes are a cgsnap stream: a `# cgsnap` header, or a `# ts_ns=`/`# ts=`
/// header and a `path:line` data line naming a cgroupfs file, or a first data line under
/// `/sys/fs/cgroup/`.
pub fn sniff(head: &[u8]) -> bool {
    let mut header = false;
    let mut data = false;
    let mut first_data = true;
    for l in head.split(|&b| b == b'\n') {
        let Ok(l) = std::str::from_utf8(l) else { continue };
        let l = l.trim_end_matches('\r');
        if l.starts_with("# cgsnap") {
            return true;
        }
        if l.starts_with("# ts_ns=") || l.starts_with("# ts=") {
            header = true;
            continue;
        }
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        let named = path::split_data_line(l).is_some_and(|(p, _)| {
            files::is_cgroup_file(p.rsplit('/').next().unwrap_or(p)) && (p.contains('/') || header)
        });
        if first_data && named && l.contains("/sys/fs/cgroup/") {
            return true;
        }
        first_data = false;
        data |= named;
        if header && data {
            return true;
        }
    }
    false
}

/// Turns parsed values into rows; shared by the stream and the directory forms.
pub(crate) struct Emitter {
    clock: String,
    host: Option<String>,
    /// Locations by path (a capture repeats the same few paths).
    locations: HashMap<String, Rc<Location>>,
    big_noted: bool,
}

impl Emitter {
    pub(crate) fn new() -> Self {
        Self { clock: WALL.to_string(), host: None, locations: HashMap::default(), big_noted: false }
    }

    pub(crate) fn locate(&mut self, p: &str) -> Rc<Location> {
        if let Some(l) = self.locations.get(p) {
            return l.clone();
        }
        let l = Rc::new(path::locate(p));
        self.locations.insert(p.to_string(), l.clone());
        l
    }

    /// Parses the content of one line of the file at `loc`, adds its rows and accounts for it.
    /// `example` is what a skip shows (the whole line as read).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn data_line(
        &mut self,
        source: &str,
        line_no: u64,
        time_ns: Option<i64>,
        loc: &Location,
        content: &str,
        example: &[u8],
        out: &mut CgroupOutput,
    ) {
        let clock = self.clock.as_str();
        let host = self.host.as_deref();
        let row = |key: &'_ str, num: Num, raw: &'_ str, unit: &'_ str, out: &mut CgroupOutput| {
            out.push(&RowRef {
                source,
                line: line_no as i64,
                clock,
                time_ns,
                host,
                hierarchy: &loc.hierarchy,
                cgroup: &loc.cgroup,
                file: &loc.file,
                key,
                num,
                raw,
                unit,
            })
        };
        let before = out.pending();
        let mut big = false;
        let outcome = parse::line_shaped(loc.shape, &loc.file, loc.is_v1(), content, &mut |v| {
            big |= matches!(v.num, Num::Float(_)) && v.unit != "pct" && !v.raw.contains('.');
            row(&v.key, v.num, v.raw, v.unit, out);
        });
        match outcome {
            Outcome::Parsed => out.account.parsed(),
            Outcome::Ignored(reason) => out.account.skip(SkipKind::Ignore, reason, line_no, example),
            Outcome::Unexpected => {
                out.truncate_pending(before);
                row("", Num::Text, content, "text", out);
                out.account.skip(
                    SkipKind::Skip,
                    "line of unexpected shape for its file (kept as one raw text row; cut off?)",
                    line_no,
                    example,
                );
            }
        }
        if big && !self.big_noted {
            self.big_noted = true;
            out.account.note("an integer beyond i64 was kept only approximately in value_f64 (text in raw)");
        }
    }
}

/// A path of a stream's data lines.
struct SeenPath {
    path: String,
    loc: Rc<Location>,
    /// Whether a line starting with `path:` is split there (see [`path::splits_at_path`]).
    fast: bool,
}

/// Parses a cgsnap text stream.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut CgroupOutput) -> Result<(), ReadError> {
    let mut em = Emitter::new();
    let mut reader = LineReader::new(input);
    let mut time_ns: Option<i64> = None;
    let mut in_sample = false;
    let mut untimed = false;
    // Values per sample, to spot a capture cut inside its last sample.
    let mut per_sample: Vec<usize> = Vec::new();
    let mut sample_start = out.len();
    // Paths in the order first seen, and where each is in `seen`.
    let mut seen: Vec<SeenPath> = Vec::new();
    let mut seen_at: HashMap<String, usize> = HashMap::default();
    let mut last: Option<usize> = None;
    while let Some((line_no, bytes)) = reader.next_checked()? {
        out.account.read();
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        if let Some(c) = text.strip_prefix('#') {
            let c = c.trim();
            if let Some(v) = c.strip_prefix("ts_ns=").or_else(|| c.strip_prefix("ts=")) {
                let ns =
                    if c.starts_with("ts_ns=") { v.trim().parse::<i64>().ok() } else { units::decimal_scaled(v, 9) };
                if in_sample {
                    per_sample.push(out.len() - sample_start);
                }
                if out.pending() >= FLUSH_ROWS {
                    out.flush();
                }
                sample_start = out.len();
                in_sample = true;
                time_ns = ns;
                if ns.is_some() {
                    out.account.parsed();
                } else {
                    out.account.skip(
                        SkipKind::Skip,
                        "sample header with an unreadable time (its values have no time)",
                        line_no,
                        bytes,
                    );
                }
            } else if let Some(rest) = c.strip_prefix("cgsnap") {
                em.host = rest.split_ascii_whitespace().find_map(|kv| kv.strip_prefix("host=")).map(str::to_string);
                out.account.parsed();
            } else {
                out.account.skip(SkipKind::Ignore, "comment", line_no, bytes);
            }
            continue;
        }
        if text.trim().is_empty() {
            out.account.skip(SkipKind::Ignore, "empty line", line_no, bytes);
            continue;
        }
        // A capture repeats its paths in the same order every sample: try the path of the
        // line before, the one that followed it last time, and the first one.
        let predicted = last.and_then(|i| {
            [i, i + 1, 0].into_iter().find_map(|j| {
                let s = seen.get(j).filter(|s| s.fast)?;
                path::content_after(&text, &s.path).map(|content| (j, content))
            })
        });
        let (i, content) = match predicted {
            Some(hit) => hit,
            None => {
                let Some((p, content)) = path::split_data_line(&text) else {
                    out.account.skip(
                        SkipKind::Skip,
                        "not a `path:line` data line (cut off or foreign text)",
                        line_no,
                        bytes,
                    );
                    continue;
                };
                let i = match seen_at.get(p) {
                    Some(&i) => i,
                    None => {
                        seen.push(SeenPath { path: p.to_string(), loc: em.locate(p), fast: path::splits_at_path(p) });
                        seen_at.insert(p.to_string(), seen.len() - 1);
                        seen.len() - 1
                    }
                };
                (i, content)
            }
        };
        last = Some(i);
        let loc = seen[i].loc.clone();
        if !in_sample && !untimed {
            untimed = true;
            out.account.note("values before the first `# ts_ns=` header have no time (time_ns null)");
        }
        if out.sink.as_ref().is_some_and(|s| s.columns.string_bytes() >= FLUSH_BYTES) {
            out.flush();
        }
        em.data_line(&ctx.source, line_no, time_ns, &loc, content, bytes, out);
    }
    if in_sample {
        per_sample.push(out.len() - sample_start);
    }
    out.flush();
    if let [.., prev, last] = per_sample[..] {
        if last < prev {
            out.account.note(format!(
                "the last sample has {last} values, the one before {prev}: capture cut off inside its last sample?"
            ));
        }
    }
    Ok(())
}
