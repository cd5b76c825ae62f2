//! GC log ingestion: JVM unified logging, JVM legacy (JDK 8 and older) and Go `gctrace`, all
//! into the same tables — `gc_pauses`, `gc_cycles`, `safepoints` — through [`GcOutput`].

pub mod go_gctrace;
pub mod jvm_legacy;
pub mod jvm_unified;
mod names;

use std::collections::BTreeMap;

use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::safepoints::SafepointRow;

pub use names::{pause_kind, split_pause_name};

use crate::account::LineAccount;
use crate::clock::ClockObservations;

/// What a GC parser knows about the file it reads.
#[derive(Debug, Clone)]
pub struct SourceCtx {
    /// Source path as recorded in `runs.source`.
    pub source: String,
    /// Scope of per-process clocks (a rotated set `gc.log`, `gc.log.0`, ... shares one).
    pub clock_scope: String,
}

/// Rows and accounting produced from one GC log.
#[derive(Debug, Default)]
pub struct GcOutput {
    /// Pauses in log order.
    pub pauses: Vec<GcPauseRow>,
    /// Safepoints in log order.
    pub safepoints: Vec<SafepointRow>,
    /// Line accounting.
    pub account: LineAccount,
    /// Clock-to-wall observations.
    pub clocks: ClockObservations,
    /// Tool version when the log states it (`Version: 17.0.15+6`, `go1.21`, ...).
    pub tool_version: Option<String>,
    /// Maximum heap size when the log states it, bytes.
    pub heap_max_bytes: Option<i64>,
    /// Parallel GC workers when the log states them (`Parallel Workers: 2`).
    pub parallel_workers: Option<i64>,
    cycles: BTreeMap<i64, GcCycleRow>,
    next_anonymous: i64,
}

/// Key space for cycles without a gc id (legacy logs without `PrintGCID`): far from real ids.
const ANONYMOUS_BASE: i64 = i64::MIN / 2;

impl GcOutput {
    /// Records a pause and folds it into its cycle (by gc id; a pause without an id is a cycle
    /// of its own).
    pub fn pause(&mut self, p: GcPauseRow) {
        let key = match p.gc_id {
            Some(id) => id,
            None => {
                self.next_anonymous += 1;
                ANONYMOUS_BASE + self.next_anonymous
            }
        };
        let c = self.cycles.entry(key).or_insert_with(|| GcCycleRow {
            source: p.source.clone(),
            line: p.line,
            runtime: p.runtime.clone(),
            collector: p.collector.clone(),
            gc_id: p.gc_id,
            name: p.name.clone(),
            cause: p.cause.clone(),
            clock: p.clock.clone(),
            start_ns: p.start_ns,
            ..Default::default()
        });
        if c.pause_count == 0 {
            // A cycle opened by a concurrent line takes the first pause's facts where missing.
            if c.cause.is_none() {
                c.cause = p.cause.clone();
            }
            if c.start_ns.is_none() || p.start_ns.is_some_and(|s| c.start_ns.is_some_and(|cs| s < cs)) {
                c.start_ns = p.start_ns;
            }
            if c.heap_before_bytes.is_none() {
                c.heap_before_bytes = p.heap_before_bytes;
            }
        }
        c.pause_count += 1;
        c.pause_total_ns += p.duration_ns;
        c.pause_max_ns = c.pause_max_ns.max(p.duration_ns);
        if p.heap_after_bytes.is_some() {
            c.heap_after_bytes = p.heap_after_bytes;
        }
        if p.heap_committed_bytes.is_some() {
            c.heap_committed_bytes = p.heap_committed_bytes;
        }
        if c.collector == "unknown" {
            c.collector = p.collector.clone();
        }
        self.pauses.push(p);
    }

    /// The cycle with `gc_id`, created from `init` if it is new (for concurrent-cycle lines).
    pub fn cycle(&mut self, gc_id: i64, init: impl FnOnce() -> GcCycleRow) -> &mut GcCycleRow {
        self.cycles.entry(gc_id).or_insert_with(init)
    }

    /// Whether a cycle with this id was seen.
    pub fn has_cycle(&self, gc_id: i64) -> bool {
        self.cycles.contains_key(&gc_id)
    }

    /// Records a cycle that has no pauses of its own and no id (e.g. a legacy concurrent phase).
    pub fn anonymous_cycle(&mut self, row: GcCycleRow) {
        self.next_anonymous += 1;
        self.cycles.insert(ANONYMOUS_BASE + self.next_anonymous, row);
    }

    /// Records a safepoint.
    pub fn safepoint(&mut self, s: SafepointRow) {
        self.safepoints.push(s);
    }

    /// Finishes: fills cycle durations of stop-the-world cycles, gives pauses without a cause
    /// their cycle's cause (ZGC and Shenandoah name the cause on the cycle line), and returns
    /// the cycles ordered by first line.
    pub fn finish_cycles(&mut self) -> Vec<GcCycleRow> {
        let by_id: BTreeMap<i64, Option<String>> =
            self.cycles.iter().filter_map(|(k, c)| c.gc_id.map(|_| (*k, c.cause.clone()))).collect();
        for p in &mut self.pauses {
            if p.cause.is_none() {
                if let Some(Some(cause)) = p.gc_id.and_then(|id| by_id.get(&id)) {
                    p.cause = Some(cause.clone());
                }
            }
        }
        let mut cycles: Vec<GcCycleRow> = std::mem::take(&mut self.cycles).into_values().collect();
        for c in &mut cycles {
            if c.duration_ns.is_none() && !c.concurrent && c.pause_count > 0 {
                c.duration_ns = Some(c.pause_total_ns);
            }
        }
        cycles.sort_by_key(|c| c.line);
        cycles
    }
}

/// Parses `0.0001234 seconds, Stopping threads took: 0.0000123 seconds` (the rest of a
/// `Total time for which application threads were stopped:` line) → (total, time to safepoint).
pub fn stopped_time(rest: &str) -> Option<(i64, Option<i64>)> {
    let (total, tail) = match rest.split_once(" seconds") {
        Some((t, tail)) => (t, tail),
        None => (rest.trim(), ""),
    };
    let total = crate::units::decimal_scaled(total.trim(), 9)?;
    let reaching = tail
        .split_once("Stopping threads took: ")
        .and_then(|(_, r)| r.split(" seconds").next())
        .and_then(|r| crate::units::decimal_scaled(r.trim(), 9));
    Some((total, reaching))
}
