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

pub mod dir;
pub mod files;
pub mod parse;
pub mod path;

use std::collections::HashMap;
use std::io::BufRead;
use std::rc::Rc;

use model::tables::cgroup_samples::CgroupSampleRow;
use model::tables::clock::WALL;

pub use dir::ingest_dir;

use crate::account::{LineAccount, SkipKind};
use crate::gc::SourceCtx;
use crate::lines::LineReader;
use crate::{units, ReadError};
use parse::{Num, Outcome};
use path::Location;

/// Rows and accounting produced from one capture.
#[derive(Debug, Default)]
pub struct CgroupOutput {
    /// Values in capture order.
    pub samples: Vec<CgroupSampleRow>,
    /// Line accounting (directory captures: lines of all files, plus one entry per empty or
    /// unreadable file).
    pub account: LineAccount,
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
        Self { clock: WALL.to_string(), host: None, locations: HashMap::new(), big_noted: false }
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
        let row = |key: String, num: Num, raw: &str, unit: &str| CgroupSampleRow {
            source: source.to_string(),
            line: line_no as i64,
            clock: self.clock.clone(),
            time_ns,
            host: self.host.clone(),
            hierarchy: loc.hierarchy.clone(),
            cgroup: loc.cgroup.clone(),
            file: loc.file.clone(),
            key,
            value_i64: match num {
                Num::Int(i) => Some(i),
                _ => None,
            },
            value_f64: match num {
                Num::Float(f) => Some(f),
                _ => None,
            },
            unlimited: num == Num::Unlimited,
            raw: raw.to_string(),
            unit: unit.to_string(),
        };
        let before = out.samples.len();
        let mut big = false;
        let outcome = parse::line(&loc.file, loc.is_v1(), content, &mut |v| {
            big |= matches!(v.num, Num::Float(_)) && v.unit != "pct" && !v.raw.contains('.');
            out.samples.push(row(v.key, v.num, v.raw, v.unit));
        });
        match outcome {
            Outcome::Parsed => out.account.parsed(),
            Outcome::Ignored(reason) => out.account.skip(SkipKind::Ignore, reason, line_no, example),
            Outcome::Unexpected => {
                out.samples.truncate(before);
                out.samples.push(row(String::new(), Num::Text, content, "text"));
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

/// Parses a cgsnap text stream.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut CgroupOutput) -> Result<(), ReadError> {
    let mut em = Emitter::new();
    let mut reader = LineReader::new(input);
    let mut time_ns: Option<i64> = None;
    let mut in_sample = false;
    let mut untimed = false;
    // Values per sample, to spot a capture cut inside its last sample.
    let mut per_sample: Vec<usize> = Vec::new();
    let mut sample_start = out.samples.len();
    let mut last_path = String::new();
    let mut last_loc: Option<Rc<Location>> = None;
    while let Some((line_no, bytes)) = reader.next_checked()? {
        out.account.read();
        let text = String::from_utf8_lossy(bytes);
        if let Some(c) = text.strip_prefix('#') {
            let c = c.trim();
            if let Some(v) = c.strip_prefix("ts_ns=").or_else(|| c.strip_prefix("ts=")) {
                let ns =
                    if c.starts_with("ts_ns=") { v.trim().parse::<i64>().ok() } else { units::decimal_scaled(v, 9) };
                if in_sample {
                    per_sample.push(out.samples.len() - sample_start);
                }
                sample_start = out.samples.len();
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
        let Some((p, content)) = path::split_data_line(&text) else {
            out.account.skip(SkipKind::Skip, "not a `path:line` data line (cut off or foreign text)", line_no, bytes);
            continue;
        };
        let loc = match &last_loc {
            Some(l) if last_path == p => l.clone(),
            _ => {
                let l = em.locate(p);
                last_path.clear();
                last_path.push_str(p);
                last_loc = Some(l.clone());
                l
            }
        };
        if !in_sample && !untimed {
            untimed = true;
            out.account.note("values before the first `# ts_ns=` header have no time (time_ns null)");
        }
        em.data_line(&ctx.source, line_no, time_ns, &loc, content, bytes, out);
    }
    if in_sample {
        per_sample.push(out.samples.len() - sample_start);
    }
    if let [.., prev, last] = per_sample[..] {
        if last < prev {
            out.account.note(format!(
                "the last sample has {last} values, the one before {prev}: capture cut off inside its last sample?"
            ));
        }
    }
    Ok(())
}
