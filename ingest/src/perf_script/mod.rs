//! `perf script` text output (what `inferno-collapse-perf` and `stackcollapse-perf.pl` read) →
//! `perf_samples`, `perf_stacks`, `perf_frames`.
//!
//! A sample is a header line (`comm [pid/]tid [cpu] [time:] [period] event: [...]`) followed by
//! its callchain lines (indented `ip symbol+off (dso)`), ended by a blank line. Samples without
//! callchain lines (`perf script` without `-g`, or frame-less samples of a `-g` recording) are
//! kept with the empty stack (id 0); a frame printed on the header line itself
//! (`cycles:u:  ffff... sym (dso)`) is the sample's one frame. Several events per file, with or
//! without CPU, period and time, `comm pid/tid` and `comm tid`, exiting tasks (`:-1 -1`),
//! `[unknown]` frames, perf `(inlined)` frames and Java perf-map `a->b` inlining are read.
//! Stacks and frames are interned (hash maps) so the tables stay small. Every line is accounted
//! for in [`PerfScriptOutput::account`]. [`folded`] renders inferno-style folded stacks.

pub mod fold;
pub mod frame;
pub mod header;

use std::io::BufRead;

use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;

pub use fold::{fold_stats, fold_with_stats, folded, FoldOptions, FoldStats};

use crate::account::{LineAccount, SkipKind};
use crate::gc::SourceCtx;
use crate::hash::HashMap;
use crate::lines::LineReader;
use crate::ReadError;

/// Rows and accounting produced from one `perf script` text.
#[derive(Debug, Default)]
pub struct PerfScriptOutput {
    /// Samples in file order.
    pub samples: Vec<PerfSampleRow>,
    /// Stacks (one row each, frame ids leaf first), in first-seen order.
    pub stacks: Vec<PerfStackRow>,
    /// Frames in first-seen order (`frame_id` = index + 1).
    pub frames: Vec<PerfFrameRow>,
    /// Line accounting.
    pub account: LineAccount,
}

/// Whether the first bytes look like `perf script` output: after optional `#` comments and blank
/// lines, a header line followed by a callchain line or a blank line, or two header lines.
pub fn sniff(head: &[u8]) -> bool {
    let mut lines = head
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty());
    let Some(first) = lines.next() else { return false };
    if first.starts_with([' ', '\t']) {
        return false;
    }
    let Some(h) = header::parse(first) else { return false };
    if h.event.is_empty() && h.time_ns.is_none() {
        return false;
    }
    match lines.next() {
        Some(next) if next.starts_with([' ', '\t']) => frame::parse(next).is_some(),
        Some(next) if next.trim().is_empty() => true,
        Some(next) => header::parse(next).is_some_and(|n| n.event == h.event),
        None => false,
    }
}

/// Interning tables of one source.
#[derive(Default)]
struct Interner {
    frames: HashMap<(String, Option<String>, Option<u64>, bool), i64>,
    stacks: HashMap<Vec<i64>, i64>,
}

impl Interner {
    fn frame(
        &mut self,
        out: &mut PerfScriptOutput,
        source: &str,
        f: &frame::FrameLine<'_>,
        function: &str,
        inlined: bool,
    ) -> i64 {
        let key = (function.to_string(), f.dso.map(str::to_string), f.address, inlined);
        if let Some(&id) = self.frames.get(&key) {
            return id;
        }
        let id = out.frames.len() as i64 + 1;
        out.frames.push(PerfFrameRow {
            source: source.to_string(),
            frame_id: id,
            function: function.to_string(),
            dso: f.dso.map(str::to_string),
            address: f.address.map(|a| a as i64),
            kind: frame::kind(f.dso).to_string(),
            inlined,
        });
        self.frames.insert(key, id);
        id
    }

    fn stack(&mut self, out: &mut PerfScriptOutput, source: &str, frames: &[i64]) -> i64 {
        if frames.is_empty() {
            return 0;
        }
        if let Some(&id) = self.stacks.get(frames) {
            return id;
        }
        let id = self.stacks.len() as i64 + 1;
        out.stacks.push(PerfStackRow { source: source.to_string(), stack_id: id, frame_ids: frames.to_vec() });
        self.stacks.insert(frames.to_vec(), id);
        id
    }

    /// Adds the frame(s) of one callchain line, leaf first, to `stack`.
    fn push_line(&mut self, out: &mut PerfScriptOutput, source: &str, f: &frame::FrameLine<'_>, stack: &mut Vec<i64>) {
        // Java perf-map inlining `a->b->c`: split only for JIT maps (C++ `operator->` stays).
        if f.function.contains("->") && f.dso.is_some_and(frame::is_jit_dso) {
            let parts: Vec<&str> = f.function.split("->").collect();
            for (i, part) in parts.iter().enumerate().rev() {
                let id = self.frame(out, source, f, part, i > 0);
                stack.push(id);
            }
        } else {
            let id = self.frame(out, source, f, f.function, f.inlined);
            stack.push(id);
        }
    }
}

/// A sample whose callchain is being read.
struct Pending {
    row: PerfSampleRow,
    frames: Vec<i64>,
}

fn finish(pending: &mut Option<Pending>, interner: &mut Interner, out: &mut PerfScriptOutput, source: &str) {
    if let Some(mut p) = pending.take() {
        p.row.stack_id = interner.stack(out, source, &p.frames);
        out.samples.push(p.row);
    }
}

/// Parses one `perf script` text.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut PerfScriptOutput) -> Result<(), ReadError> {
    let mut reader = LineReader::new(input);
    let mut interner = Interner::default();
    let mut pending: Option<Pending> = None;
    // After a header that could not be read, its callchain lines are skipped too.
    let mut orphan = false;
    let source = ctx.source.as_str();
    let mut frame_less = 0u64;
    while let Some((no, bytes)) = reader.next_checked()? {
        out.account.read();
        let Ok(line) = std::str::from_utf8(bytes) else {
            out.account.skip(SkipKind::Skip, "not UTF-8", no, bytes);
            continue;
        };
        if line.trim().is_empty() {
            if pending.as_ref().is_some_and(|p| p.frames.is_empty()) {
                frame_less += 1;
            }
            finish(&mut pending, &mut interner, out, source);
            orphan = false;
            out.account.skip(SkipKind::Ignore, "blank line (sample separator)", no, bytes);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match (&mut pending, frame::parse(line)) {
                (Some(p), Some(f)) => {
                    interner.push_line(out, source, &f, &mut p.frames);
                    out.account.parsed();
                }
                (Some(_), None) => out.account.skip(SkipKind::Skip, "callchain line not understood", no, bytes),
                (None, _) if orphan => {
                    out.account.skip(SkipKind::Skip, "callchain line of a header not understood", no, bytes)
                }
                (None, _) => out.account.skip(SkipKind::Skip, "callchain line outside a sample", no, bytes),
            }
            continue;
        }
        if line.starts_with('#') {
            out.account.skip(SkipKind::Ignore, "comment (perf header)", no, bytes);
            continue;
        }
        // A header line: a sample not ended by a blank line ends here.
        if pending.as_ref().is_some_and(|p| p.frames.is_empty()) {
            frame_less += 1;
        }
        finish(&mut pending, &mut interner, out, source);
        match header::parse(line) {
            Some(h) => {
                orphan = false;
                let mut p = Pending {
                    row: PerfSampleRow {
                        source: source.to_string(),
                        line: no as i64,
                        clock: "perf".into(),
                        time_ns: h.time_ns,
                        comm: h.comm.to_string(),
                        pid: h.pid,
                        tid: h.tid,
                        cpu: h.cpu,
                        event: h.event.to_string(),
                        period: h.period.unwrap_or(1),
                        stack_id: 0,
                    },
                    frames: Vec::new(),
                };
                if !h.rest.is_empty() {
                    if let Some(f) = frame::parse(h.rest) {
                        interner.push_line(out, source, &f, &mut p.frames);
                    }
                }
                pending = Some(p);
                out.account.parsed();
            }
            None => {
                orphan = true;
                out.account.skip(SkipKind::Skip, "sample header not understood", no, bytes);
            }
        }
    }
    if pending.as_ref().is_some_and(|p| p.frames.is_empty()) {
        frame_less += 1;
    }
    finish(&mut pending, &mut interner, out, source);
    if frame_less > 0 {
        out.account.note(format!(
            "{frame_less} samples without callchain frames kept with the empty stack (stack_id 0; inferno-collapse-perf drops them)"
        ));
    }
    Ok(())
}
