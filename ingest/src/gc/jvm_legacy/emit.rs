//! What closed groups become: pause rows (held until detail lines and the collector are known),
//! concurrent phases as cycles, stopped-time messages as safepoints.

use model::tables::clock::WALL;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::safepoints::SafepointRow;

use super::parser::{Draft, Outcome, Parser, MAX_UNRESOLVED};
use super::pause::{self, Phase};
use super::record::{self, Group, Head, Label};
use super::stamps::Stamps;
use crate::gc::GcOutput;

impl Parser<'_> {
    /// A group closed on `line_no`.
    pub(super) fn close(&mut self, g: &mut Group, line_no: u64, out: &mut GcOutput) {
        let lab = record::label(&g.text);
        if !self.stack.is_empty() {
            self.close_nested(lab, g, line_no, out);
            return;
        }
        let outcome = match lab {
            Label::Pause(head) => {
                self.finish_record(head, g, line_no, out);
                self.after_dedup = false;
                Outcome::Parsed
            }
            Label::Concurrent => {
                let o = self.phase(g, line_no, out);
                // CMS prints `[Times: ...]` after a phase end: that one is the phase's.
                let t = g.text.trim_start();
                self.last_top_concurrent = (t.starts_with("CMS-") || t.starts_with("ASCMS-")) && o == Outcome::Parsed;
                self.after_dedup = t.contains("string-deduplication");
                self.close_top(o, out);
                return;
            }
            Label::Times => match self.pending.as_mut() {
                Some(p) if !std::mem::take(&mut self.last_top_concurrent) => {
                    if p.real_ns.is_none() {
                        p.real_ns = super::figures::times_real(&g.text);
                        p.real_line = line_no;
                    }
                    self.flush_pending(out);
                    Outcome::Parsed
                }
                _ if self.last_top_concurrent => Outcome::Ignore("Times of a concurrent phase"),
                _ => Outcome::Ignore("Times without its record"),
            },
            Label::Eden => match self.pending.as_mut() {
                Some(p) => {
                    if let Some(h) = super::figures::eden_heap(&g.text) {
                        p.facts.heap = h;
                    }
                    p.facts.collector.get_or_insert("G1");
                    Outcome::Parsed
                }
                None => Outcome::Ignore("G1 heap detail without its pause"),
            },
            Label::Other => self.top_other(&g.text),
        };
        if lab != Label::Times {
            self.last_top_concurrent = false;
        }
        self.close_top(outcome, out);
    }

    pub(super) fn close_top(&mut self, outcome: Outcome, out: &mut GcOutput) {
        self.cur.apply(outcome);
        self.resolve_open_lines(outcome, out);
    }

    pub(super) fn close_nested(&mut self, lab: Label, g: &Group, line_no: u64, out: &mut GcOutput) {
        match lab {
            Label::Concurrent => {
                let o = self.phase(g, line_no, out);
                self.cur.apply(if o == Outcome::Parsed {
                    o
                } else {
                    Outcome::Ignore("concurrent phase inside a record")
                });
                if let Some(p) = self.stack.last_mut() {
                    p.after_concurrent = true;
                }
                return;
            }
            Label::Pause(head) => {
                let inside_pause = self.stack.iter().any(|a| matches!(record::label(&a.text), Label::Pause(_)));
                if !inside_pause {
                    // A record printed into a foreign group (a cut concurrent line): a record of its own.
                    self.finish_record(head, g, line_no, out);
                    self.cur.apply(Outcome::Parsed);
                    return;
                }
            }
            _ => {}
        }
        let Some(p) = self.stack.last_mut() else { return };
        match lab {
            Label::Times => {
                if !p.after_concurrent && p.real_ns.is_none() {
                    p.real_ns = super::figures::times_real(&g.text);
                }
            }
            Label::Eden => {
                p.eden_heap = super::figures::eden_heap(&g.text).or(p.eden_heap);
                p.flags |= record::flag::G1;
            }
            Label::Pause(_) => p.flags |= g.flags & (record::flag::PARALLEL | record::flag::SERIAL | record::flag::CMS),
            _ => p.flags |= g.flags | record::child_flags(&g.text),
        }
        p.after_concurrent = false;
    }

    /// A top-level group that is neither a pause nor a phase.
    pub(super) fn top_other(&mut self, text: &str) -> Outcome {
        let t = text.trim_start();
        let detail =
            self.line_indented || t.contains(" ms") || t.contains("(ms)") || t.contains("Avg:") || t.contains("Sum:");
        if detail && self.after_dedup {
            return Outcome::Ignore("string deduplication statistics");
        }
        if detail {
            if let Some(p) = self.pending.as_mut() {
                // JDK 6/7 G1 details end with the heap as `[ 29M->2589K(59M)]`.
                if t.starts_with(|c: char| c.is_ascii_digit()) {
                    if let Some(h) = super::figures::first_transition(t) {
                        p.facts.heap = h;
                    }
                }
                return Outcome::Parsed;
            }
        }
        if t.starts_with("Pause ") && t.trim_end().ends_with(", start") {
            Outcome::Ignore("Shenandoah pause start")
        } else if t.starts_with("Metaspace:") {
            Outcome::Ignore("Shenandoah cycle summary")
        } else if t.starts_with("G1Ergonomics") {
            Outcome::Ignore("G1 ergonomics (PrintAdaptiveSizePolicy)")
        } else if t.starts_with("Unloading class") || t.starts_with("Loaded ") || t.starts_with("Loading ") {
            Outcome::Ignore("class loading (-verbose:class)")
        } else if t.starts_with("Class Histogram") || t.starts_with("Heap Dump") {
            Outcome::Ignore("class histogram / heap dump")
        } else if detail {
            Outcome::Ignore("G1 phase detail without its pause")
        } else {
            Outcome::Skip("unrecognised bracketed record")
        }
    }

    pub(super) fn finish_record(&mut self, head: Head, g: &Group, line_no: u64, out: &mut GcOutput) {
        let facts = pause::pause_facts(head, g, self.cms_cycle_marked);
        match facts.name.as_str() {
            "Pause Initial Mark" if facts.collector == Some("CMS") => self.cms_cycle_marked = true,
            "Pause Remark" if facts.collector == Some("CMS") => self.cms_cycle_marked = false,
            n if n.starts_with("Pause Full") => self.cms_cycle_marked = false,
            _ => {}
        }
        self.flush_pending(out);
        self.pending = Some(Draft { facts, stamps: g.stamps, line: line_no, real_ns: g.real_ns, real_line: line_no });
    }

    pub(super) fn set_hint(&mut self, c: &'static str, out: &mut GcOutput) {
        self.collector_hint = Some(c);
        for d in std::mem::take(&mut self.unresolved) {
            self.emit(d, c, out);
        }
    }

    pub(super) fn flush_pending(&mut self, out: &mut GcOutput) {
        let Some(d) = self.pending.take() else { return };
        let strong = d.facts.collector.filter(|_| !d.facts.weak);
        if let Some(c) = strong {
            self.set_hint(c, out);
        }
        match strong.or(self.collector_hint) {
            Some(c) => self.emit(d, c, out),
            None => {
                self.unresolved.push(d);
                if self.unresolved.len() >= MAX_UNRESOLVED {
                    self.emit_unresolved(out);
                }
            }
        }
    }

    /// Emits the held-back pauses with what their records say (no other evidence came).
    pub(super) fn emit_unresolved(&mut self, out: &mut GcOutput) {
        for d in std::mem::take(&mut self.unresolved) {
            let c = d.facts.collector.unwrap_or("unknown");
            self.emit(d, c, out);
        }
    }

    pub(super) fn emit(&mut self, d: Draft, collector: &str, out: &mut GcOutput) {
        let (duration, line) = match (d.facts.duration_ns, d.real_ns) {
            (Some(v), _) => (v, d.line),
            (None, Some(r)) => (r, d.real_line),
            (None, None) => {
                self.no_duration.0 += 1;
                self.no_duration.1.get_or_insert(d.line);
                return;
            }
        };
        let (clock, stamp_ns) = self.clock_of(&d.stamps, d.line, out);
        let start_ns = if d.facts.stamp_is_end { stamp_ns.and_then(|t| t.checked_sub(duration)) } else { stamp_ns };
        let name = d.facts.name;
        out.pause(GcPauseRow {
            source: self.ctx.source.clone(),
            line: line as i64,
            runtime: "jvm".into(),
            collector: collector.to_string(),
            gc_id: d.stamps.gc_id,
            pause_kind: crate::gc::pause_kind(&name).to_string(),
            name,
            cause: d.facts.cause,
            clock,
            start_ns,
            end_ns: start_ns.and_then(|s| s.checked_add(duration)),
            line_wall_ns: d.stamps.wall_ns,
            duration_ns: duration,
            heap_before_bytes: d.facts.heap.before,
            heap_after_bytes: d.facts.heap.after,
            heap_committed_bytes: d.facts.heap.committed,
        });
    }

    /// Clock and time of a stamped event; observes the uptime-to-wall offset when both are given.
    pub(super) fn clock_of(&self, st: &Stamps, line: u64, out: &mut GcOutput) -> (String, Option<i64>) {
        match (st.uptime_ns, st.wall_ns) {
            (Some(u), Some(w)) if w.checked_sub(u).is_some() => {
                out.clocks.observe(&self.uptime_clock, u, w, "jvm-datestamp+uptime", || {
                    format!("{}:{line}", self.ctx.source)
                });
                (self.uptime_clock.clone(), Some(u))
            }
            (Some(u), _) => (self.uptime_clock.clone(), Some(u)),
            (None, Some(w)) => (WALL.to_string(), Some(w)),
            (None, None) => (self.uptime_clock.clone(), None),
        }
    }

    /// A concurrent phase group (stamped at the phase's end).
    pub(super) fn phase(&mut self, g: &Group, line_no: u64, out: &mut GcOutput) -> Outcome {
        let ph = pause::phase(&g.text);
        if self.collector_hint.is_none() {
            self.set_hint(ph.collector, out);
        }
        if ph.aborted {
            if let Some(id) = g.stamps.gc_id {
                let row = self.phase_row(&ph, g, line_no, None, out);
                let c = out.cycle(id, || row);
                c.concurrent = true;
                c.aborted = true;
                return Outcome::Parsed;
            }
            return Outcome::Ignore("concurrent phase marker (abort/overflow)");
        }
        let Some(dur) = ph.duration_ns.filter(|_| !ph.start) else {
            return Outcome::Ignore("concurrent phase start");
        };
        let row = self.phase_row(&ph, g, line_no, Some(dur), out);
        match g.stamps.gc_id {
            Some(id) => {
                let c = out.cycle(id, || row);
                c.concurrent = true;
            }
            None => out.anonymous_cycle(row),
        }
        Outcome::Parsed
    }

    pub(super) fn phase_row(
        &self,
        ph: &Phase,
        g: &Group,
        line_no: u64,
        dur: Option<i64>,
        out: &mut GcOutput,
    ) -> GcCycleRow {
        let (clock, end) = self.clock_of(&g.stamps, line_no, out);
        GcCycleRow {
            source: self.ctx.source.clone(),
            line: line_no as i64,
            runtime: "jvm".into(),
            collector: ph.collector.to_string(),
            gc_id: g.stamps.gc_id,
            name: ph.name.clone(),
            clock,
            start_ns: end.and_then(|e| e.checked_sub(dur.unwrap_or(0))),
            duration_ns: dur,
            concurrent: true,
            aborted: ph.aborted,
            ..Default::default()
        }
    }

    pub(super) fn safepoint(
        &mut self,
        line_no: u64,
        st: Stamps,
        total_ns: i64,
        reaching_ns: Option<i64>,
        out: &mut GcOutput,
    ) {
        let (clock, end_ns) = self.clock_of(&st, line_no, out);
        out.safepoint(SafepointRow {
            source: self.ctx.source.clone(),
            line: line_no as i64,
            operation: None,
            clock,
            end_ns,
            line_wall_ns: st.wall_ns,
            reaching_ns,
            total_ns,
            ..Default::default()
        });
        self.cur.apply(Outcome::Parsed);
    }

    pub(super) fn finish(&mut self, out: &mut GcOutput) {
        if !self.stack.is_empty() {
            self.abandon("record cut off at end of file", out);
        }
        self.flush_pending(out);
        self.emit_unresolved(out);
        if let (n @ 1.., Some(first)) = self.no_duration {
            out.account.note(format!(
                "{n} pause record(s) without a duration (no `secs` figure, no `[Times: ...]`) were not tabled; first at line {first}"
            ));
        }
        if self.cut_records > 0 {
            out.account.note(format!(
                "{} record(s) cut off without their closing `]`; their lines are counted as skipped",
                self.cut_records
            ));
        }
    }
}
