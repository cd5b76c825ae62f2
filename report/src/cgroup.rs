//! The cgroup part of a run's section: CPU limit, use, throttling, pressure and memory per cgroup
//! (from `cgroup_intervals`), a verdict that tells quota throttling from CPU contention, the worst
//! intervals, and GC pauses joined with throttling (from `gc_cgroup_overlap`).

use std::collections::BTreeSet;

use serde::Serialize;

use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::clock;

use crate::data::{wall_offset, RunData};
use crate::format;

/// Share of periods throttled from which the verdict is quota throttling.
pub const THROTTLED_THRESHOLD: f64 = 0.20;
/// CPU pressure `some` (share of active time) from which, without throttling, the verdict is contention.
pub const PRESSURE_THRESHOLD: f64 = 0.10;
/// Intervals listed as the worst (by throttled time).
const WORST_INTERVALS: usize = 3;

/// Verdict for a cgroup whose share of throttled periods reaches [`THROTTLED_THRESHOLD`].
pub const VERDICT_QUOTA: &str = "quota throttling: the CPU limit is too small for the load";
/// Verdict for a cgroup with CPU pressure but no throttling.
pub const VERDICT_CONTENTION: &str =
    "CPU contention without throttling: other work on the host/cgroup competes for CPU; raising the quota will not help";
/// Verdict for a cgroup with neither.
pub const VERDICT_NONE: &str = "no CPU constraint seen";

/// What one cgroup did over the capture.
#[derive(Debug, Clone)]
pub struct CgroupSummary<'a> {
    pub cgroup: &'a str,
    /// Its intervals, by start.
    pub intervals: Vec<&'a CgroupIntervalRow>,
    /// CPU used, ns, and the duration of the intervals it was measured over.
    pub cpu_used_ns: Option<i64>,
    pub cpu_measured_ns: i64,
    pub peak_cores: Option<f64>,
    /// Σ periods and Σ throttled periods over intervals that have both.
    pub periods: Option<(i64, i64)>,
    pub throttled_ns: Option<i64>,
    /// CPU pressure `some` / `full`: share of the active time (see [`active`]).
    pub pressure_some: Option<f64>,
    pub pressure_full: Option<f64>,
    pub memory_peak: Option<i64>,
    pub memory_limit: Option<i64>,
    pub min_headroom: Option<i64>,
    pub oom_kills: i64,
    pub resets: usize,
}

impl CgroupSummary<'_> {
    /// Mean CPU used over the intervals that measured it, cores.
    pub fn mean_cores(&self) -> Option<f64> {
        self.cpu_used_ns.filter(|_| self.cpu_measured_ns > 0).map(|u| u as f64 / self.cpu_measured_ns as f64)
    }

    /// Σ throttled periods / Σ periods; `None` when no period elapsed.
    pub fn throttled_share(&self) -> Option<f64> {
        self.periods.filter(|(p, _)| *p > 0).map(|(p, t)| t as f64 / p as f64)
    }

    /// CPU limit at the end of the capture, cores; `None` when unlimited (or not captured).
    pub fn last_limit(&self) -> Option<f64> {
        self.intervals.last().and_then(|i| i.cpu_limit_cores)
    }

    /// The verdict and why.
    pub fn verdict(&self) -> (&'static str, String) {
        let throttled = self.throttled_share();
        let shown_throttled = match throttled {
            Some(t) => format!("{} of periods throttled", format::percent(t, 2)),
            None => "no CFS period counters".to_string(),
        };
        let shown_pressure = match self.pressure_some {
            Some(p) => format!("CPU pressure `some` {} of active time", format::percent(p, 1)),
            None => "no CPU pressure captured".to_string(),
        };
        if throttled.is_some_and(|t| t >= THROTTLED_THRESHOLD) {
            (VERDICT_QUOTA, format!("{shown_throttled} (threshold {:.0} %)", THROTTLED_THRESHOLD * 100.0))
        } else if self.pressure_some.is_some_and(|p| p >= PRESSURE_THRESHOLD) {
            (
                VERDICT_CONTENTION,
                format!("{shown_pressure} (threshold {:.0} %), {shown_throttled}", PRESSURE_THRESHOLD * 100.0),
            )
        } else {
            (VERDICT_NONE, format!("{shown_throttled}; {shown_pressure}"))
        }
    }
}

/// Whether the cgroup was active in the interval: it used CPU or CFS periods elapsed (periods
/// only advance while it has runnable tasks). Unknown counts as active.
fn active(i: &CgroupIntervalRow) -> bool {
    match (i.cpu_used_ns, i.periods) {
        (None, None) => true,
        (used, periods) => used.unwrap_or(0) > 0 || periods.unwrap_or(0) > 0,
    }
}

fn sum<T: std::iter::Sum<T>>(mut values: impl Iterator<Item = Option<T>>) -> Option<T> {
    let first = values.by_ref().flatten().next()?;
    Some(std::iter::once(first).chain(values.flatten()).sum())
}

/// Time-weighted share of active intervals: Σ(share·duration) / Σ duration over those that have it.
fn pressure(intervals: &[&CgroupIntervalRow], get: fn(&CgroupIntervalRow) -> Option<f64>) -> Option<f64> {
    let (mut weighted, mut time) = (0.0, 0i64);
    for i in intervals.iter().filter(|i| active(i)) {
        if let Some(v) = get(i) {
            weighted += v * i.duration_ns as f64;
            time += i.duration_ns;
        }
    }
    (time > 0).then(|| weighted / time as f64)
}

/// Per-cgroup summaries of the run, by cgroup path.
pub fn summaries(run: &RunData) -> Vec<CgroupSummary<'_>> {
    let mut out: Vec<CgroupSummary> = Vec::new();
    for row in &run.cgroup_intervals {
        match out.last_mut() {
            Some(s) if s.cgroup == row.cgroup => s.intervals.push(row),
            _ => out.push(CgroupSummary {
                cgroup: &row.cgroup,
                intervals: vec![row],
                cpu_used_ns: None,
                cpu_measured_ns: 0,
                peak_cores: None,
                periods: None,
                throttled_ns: None,
                pressure_some: None,
                pressure_full: None,
                memory_peak: None,
                memory_limit: None,
                min_headroom: None,
                oom_kills: 0,
                resets: 0,
            }),
        }
    }
    for s in &mut out {
        let iv = &s.intervals;
        s.cpu_used_ns = sum(iv.iter().map(|i| i.cpu_used_ns));
        s.cpu_measured_ns = iv.iter().filter(|i| i.cpu_used_ns.is_some()).map(|i| i.duration_ns).sum();
        s.peak_cores = iv.iter().filter_map(|i| i.cpu_used_cores).reduce(f64::max);
        let pairs: Vec<(i64, i64)> = iv.iter().filter_map(|i| i.periods.zip(i.throttled_periods)).collect();
        s.periods = (!pairs.is_empty()).then(|| pairs.iter().fold((0, 0), |a, (p, t)| (a.0 + p, a.1 + t)));
        s.throttled_ns = sum(iv.iter().map(|i| i.throttled_ns));
        s.pressure_some = pressure(iv, |i| i.psi_cpu_some);
        s.pressure_full = pressure(iv, |i| i.psi_cpu_full);
        s.memory_peak = iv.iter().filter_map(|i| i.memory_working_set_bytes.or(i.memory_current_bytes)).max();
        s.memory_limit = iv.iter().rev().find_map(|i| i.memory_limit_bytes);
        s.min_headroom = iv.iter().filter_map(|i| i.memory_headroom_bytes).min();
        s.oom_kills = iv.iter().filter_map(|i| i.oom_kills).sum();
        s.resets = iv.iter().filter(|i| i.counter_reset).count();
    }
    out
}

/// A number of cores: `0.5`, `2`, `1.25` (at most two decimals, trailing zeros dropped).
pub fn cores(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn limit_text(v: Option<f64>) -> String {
    v.map_or_else(|| "unlimited".to_string(), cores)
}

/// The CPU limit over the capture: `0.5`, `unlimited`, or its changes `0.5 → 1`.
fn limits(s: &CgroupSummary) -> String {
    let mut seq: Vec<Option<f64>> = Vec::new();
    for i in &s.intervals {
        if seq.last() != Some(&i.cpu_limit_cores) {
            seq.push(i.cpu_limit_cores);
        }
    }
    if seq.len() <= 3 {
        seq.into_iter().map(limit_text).collect::<Vec<_>>().join(" → ")
    } else {
        let values: Vec<f64> = seq.iter().flatten().copied().collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(0.0, f64::max);
        let unlimited = if seq.iter().any(Option::is_none) { ", at times unlimited" } else { "" };
        format!("{}–{} ({} changes{unlimited})", cores(lo), cores(hi), seq.len() - 1)
    }
}

/// A time of an interval: UTC on the wall clock, else seconds on its own clock.
fn when(clock_name: &str, t: i64) -> String {
    if clock_name == clock::WALL {
        format::utc(t)
    } else {
        format!("{:.3} s on {}", t as f64 / 1e9, format::code(clock_name))
    }
}

#[derive(Debug, Serialize)]
pub struct CgroupSectionCtx {
    overview: String,
    image: Option<String>,
    image_notes: Vec<String>,
    cgroups: Vec<CgroupRowCtx>,
    verdicts: Vec<String>,
    notes: Vec<String>,
    worst: Vec<WorstCtx>,
    gc: Vec<GcCtx>,
    gc_notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct CgroupRowCtx {
    cgroup: String,
    limit: String,
    mean: String,
    peak: String,
    throttled_periods: String,
    throttled_share: String,
    throttled_time: String,
    pressure: String,
    memory_peak: String,
    headroom: String,
    resets: String,
}

#[derive(Debug, Serialize)]
struct WorstCtx {
    cgroup: String,
    start: String,
    end: String,
    used: String,
    limit: String,
    periods: String,
    throttled_time: String,
    pressure: String,
}

#[derive(Debug, Serialize)]
struct GcCtx {
    cgroup: String,
    in_span: i64,
    throttled: i64,
    throttled_p50: String,
    throttled_p99: String,
    unthrottled: i64,
    unthrottled_p50: String,
    unthrottled_p99: String,
    unaligned: i64,
    parallelism: String,
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "n/a".to_string(), f)
}

/// The cgroup section of a run; `None` when the run has no `cgroup_intervals` rows.
pub fn section(run: &RunData, figure: Option<(String, Vec<String>)>) -> Option<CgroupSectionCtx> {
    if run.cgroup_intervals.is_empty() {
        return None;
    }
    let sums = summaries(run);
    let first = run.cgroup_intervals.iter().min_by_key(|i| i.start_ns)?;
    let last = run.cgroup_intervals.iter().max_by_key(|i| i.end_ns)?;
    let overview = format!(
        "{} with {} from {} to {} ({}), from `cgroup_intervals`.",
        plural(sums.len(), "cgroup", "cgroups"),
        plural(run.cgroup_intervals.len(), "sampling interval", "sampling intervals"),
        when(&first.clock, first.start_ns),
        when(&last.clock, last.end_ns),
        format::duration(last.end_ns - first.start_ns),
    );
    let cgroups = sums
        .iter()
        .map(|s| CgroupRowCtx {
            cgroup: format::code(s.cgroup),
            limit: limits(s),
            mean: opt(s.mean_cores(), |v| format!("{v:.2}")),
            peak: opt(s.peak_cores, |v| format!("{v:.2}")),
            throttled_periods: opt(s.periods, |(p, t)| format!("{t} / {p}")),
            throttled_share: opt(s.throttled_share(), |v| format::percent(v, 2)),
            throttled_time: opt(s.throttled_ns, format::duration),
            pressure: match (s.pressure_some, s.pressure_full) {
                (Some(some), Some(full)) => {
                    format!("{} (full {})", format::percent(some, 1), format::percent(full, 1))
                }
                (Some(some), None) => format::percent(some, 1),
                _ => "n/a".to_string(),
            },
            memory_peak: match (s.memory_peak, s.memory_limit) {
                (Some(p), Some(l)) => format!("{} of {}", format::size_iec(p), format::size_iec(l)),
                (Some(p), None) => format::size_iec(p),
                _ => "n/a".to_string(),
            },
            headroom: opt(s.min_headroom, format::size_iec),
            resets: s.resets.to_string(),
        })
        .collect();
    let verdicts = sums
        .iter()
        .map(|s| {
            let (verdict, why) = s.verdict();
            format!("{}: **{verdict}** — {why}.", format::code(s.cgroup))
        })
        .collect();
    let mut notes = Vec::new();
    for s in &sums {
        if s.resets > 0 {
            notes.push(format!(
                "{}: a counter went backwards in {} (cgroup recreated or counter wrapped); their \
                 deltas are left out, not counted as negative.",
                format::code(s.cgroup),
                plural(s.resets, "interval", "intervals")
            ));
        }
        if s.oom_kills > 0 {
            notes.push(format!(
                "{}: {} in the capture.",
                format::code(s.cgroup),
                plural(s.oom_kills as usize, "OOM kill", "OOM kills")
            ));
        }
    }
    let mut worst: Vec<&CgroupIntervalRow> =
        run.cgroup_intervals.iter().filter(|i| i.throttled_ns.is_some_and(|t| t > 0)).collect();
    worst.sort_by(|a, b| {
        b.throttled_ns.cmp(&a.throttled_ns).then(a.start_ns.cmp(&b.start_ns)).then(a.cgroup.cmp(&b.cgroup))
    });
    let worst = worst
        .into_iter()
        .take(WORST_INTERVALS)
        .map(|i| WorstCtx {
            cgroup: format::code(&i.cgroup),
            start: when(&i.clock, i.start_ns),
            end: when(&i.clock, i.end_ns),
            used: opt(i.cpu_used_cores, |v| format!("{v:.2}")),
            limit: limit_text(i.cpu_limit_cores),
            periods: match (i.throttled_periods, i.periods) {
                (Some(t), Some(p)) => format!("{t} / {p}"),
                _ => "n/a".to_string(),
            },
            throttled_time: opt(i.throttled_ns, format::duration),
            pressure: opt(i.psi_cpu_some, |v| format::percent(v, 1)),
        })
        .collect();
    let (gc, gc_notes) = gc_join(run);
    let (image, image_notes) = match figure {
        Some((file, notes)) => (Some(file), notes),
        None => (None, Vec::new()),
    };
    Some(CgroupSectionCtx { overview, image, image_notes, cgroups, verdicts, notes, worst, gc, gc_notes })
}

fn gc_join(run: &RunData) -> (Vec<GcCtx>, Vec<String>) {
    let mut notes = Vec::new();
    if run.cgroup_overlap.is_empty() {
        if !run.pauses.is_empty() {
            notes.push(
                "No `gc_cgroup_overlap` rows: run `tracefold analyze` on the dataset to join the GC pauses with \
                 the throttled intervals."
                    .to_string(),
            );
        }
        return (Vec::new(), notes);
    }
    let d = |v: Option<i64>| format::opt_duration(v);
    let rows: Vec<GcCtx> = run
        .cgroup_overlap
        .iter()
        .map(|o| GcCtx {
            cgroup: format::code(&o.cgroup),
            in_span: o.pauses_in_span,
            throttled: o.pauses_throttled,
            throttled_p50: d(o.throttled_p50_ns),
            throttled_p99: d(o.throttled_p99_ns),
            unthrottled: o.pauses_unthrottled,
            unthrottled_p50: d(o.unthrottled_p50_ns),
            unthrottled_p99: d(o.unthrottled_p99_ns),
            unaligned: o.pauses_unaligned,
            parallelism: match (o.gc_parallelism, o.cpu_limit_cores) {
                (Some(p), limit) => format!("{p} vs limit {}", limit_text(limit)),
                (None, _) => "n/a".to_string(),
            },
        })
        .collect();
    if let Some(o) = run.cgroup_overlap.iter().find(|o| o.pauses_unaligned > 0) {
        let clocks: BTreeSet<&str> =
            run.pauses.iter().filter(|p| wall_offset(run, &p.clock).is_none()).map(|p| p.clock.as_str()).collect();
        let which = if clocks.is_empty() {
            String::new()
        } else {
            format!(" ({})", clocks.iter().map(|c| format::code(c)).collect::<Vec<_>>().join(", "))
        };
        notes.push(format!(
            "{} could not be placed on the wall-clock timeline (column *not placed*): no wall-clock offset is \
             known for their clock{which} in `clock_offsets` (see Clocks), so it is unknown which interval they \
             fell in.",
            plural(o.pauses_unaligned as usize, "pause", "pauses")
        ));
    }
    for o in &run.cgroup_overlap {
        if let Some(advice) = o.advice.as_deref().filter(|a| !a.trim().is_empty()) {
            notes.push(format!("**Advice** for {}: {}", format::code(&o.cgroup), format::cell(advice)));
        }
    }
    (rows, notes)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The figures the comparison table shows for a run's cgroup data: of the cgroup that used most CPU.
#[derive(Debug, Clone, Default)]
pub struct CompareFigs {
    pub cgroup: String,
    pub limit: Option<f64>,
    pub throttled_share: Option<f64>,
    pub throttled_ns: Option<i64>,
}

/// `None` when the run has no `cgroup_intervals` rows.
pub fn compare_figs(run: &RunData) -> Option<CompareFigs> {
    let sums = summaries(run);
    let main = sums
        .iter()
        .max_by(|a, b| a.cpu_used_ns.unwrap_or(0).cmp(&b.cpu_used_ns.unwrap_or(0)).then(b.cgroup.cmp(a.cgroup)))?;
    Some(CompareFigs {
        cgroup: main.cgroup.to_string(),
        limit: main.last_limit(),
        throttled_share: main.throttled_share(),
        throttled_ns: main.throttled_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(cgroup: &str, at: i64, limit: Option<f64>) -> CgroupIntervalRow {
        CgroupIntervalRow {
            cgroup: cgroup.into(),
            clock: "wall".into(),
            start_ns: at,
            end_ns: at + 1_000,
            duration_ns: 1_000,
            cpu_limit_cores: limit,
            ..Default::default()
        }
    }

    #[test]
    fn core_numbers() {
        assert_eq!(cores(0.5), "0.5");
        assert_eq!(cores(2.0), "2");
        assert_eq!(cores(1.25), "1.25");
        assert_eq!(cores(1.0 / 3.0), "0.33");
        assert_eq!(cores(0.0), "0");
    }

    #[test]
    fn limit_changes_and_verdicts() {
        let run = RunData {
            cgroup_intervals: vec![
                iv("/a", 0, Some(0.5)),
                iv("/a", 1_000, Some(0.5)),
                iv("/a", 2_000, Some(1.0)),
                iv("/b", 0, None),
                iv("/c", 0, Some(1.0)),
                iv("/c", 1_000, None),
                iv("/c", 2_000, Some(2.0)),
                iv("/c", 3_000, Some(4.0)),
            ],
            ..Default::default()
        };
        let sums = summaries(&run);
        assert_eq!(sums.iter().map(|s| s.cgroup).collect::<Vec<_>>(), ["/a", "/b", "/c"]);
        assert_eq!(limits(&sums[0]), "0.5 → 1");
        assert_eq!(limits(&sums[1]), "unlimited");
        assert_eq!(limits(&sums[2]), "1–4 (3 changes, at times unlimited)");
        // No counters at all: no verdict beyond "nothing seen", and it says why.
        let (verdict, why) = sums[1].verdict();
        assert_eq!(verdict, VERDICT_NONE);
        assert_eq!(why, "no CFS period counters; no CPU pressure captured");
        // Exactly at the thresholds.
        let mut s = sums[0].clone();
        s.periods = Some((10, 2));
        assert_eq!(s.verdict().0, VERDICT_QUOTA);
        s.periods = Some((100, 19));
        s.pressure_some = Some(0.10);
        assert_eq!(s.verdict().0, VERDICT_CONTENTION);
        s.pressure_some = Some(0.099);
        assert_eq!(s.verdict().0, VERDICT_NONE);
    }
}
