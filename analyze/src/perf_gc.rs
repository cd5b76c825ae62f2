//! What ran during GC pauses, and just before them: the run's GC pauses placed on the clock of
//! its perf samples (`perf_gc_windows`), the samples inside a stop-the-world window or in the
//! [`BEFORE_PAUSE_NS`] before one (`perf_gc_samples`), and their top functions against the rest
//! of the profile (`perf_gc_functions`).
//!
//! Inputs: the run's pauses ([`crate::load::load_pauses`]), `clock_offsets`, the perf samples'
//! times (read with a polars lazy scan, coarsely filtered to the windows' span per clock), and
//! the grouped samples, stacks and frames of [`crate::perf_top::load`].
//!
//! Placing: a pause on the samples' own clock is used as is (`same-clock`: a JVM log with the
//! `timenanos` decorator and `perf record -k CLOCK_MONOTONIC` are both `monotonic`); otherwise
//! both clocks go through their wall-time offsets (`via-wall-offsets`); a pause whose clock or
//! the samples' clock has no offset is not placed. A sample inside a pause window is a `pause`
//! sample even when it is also in the next pause's `before_pause` window.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use model::tables::perf_gc_functions::PerfGcFunctionRow;
use model::tables::perf_gc_samples::PerfGcSampleRow;
use model::tables::perf_gc_windows::PerfGcWindowRow;
use model::tables::perf_samples;
use polars::prelude::*;

use crate::load::{partition_files, scan_lazy, Columns, Pause};
use crate::perf_top::{top_functions_of, PerfInput, SampleGroup};
use crate::AnalyzeError;

/// Length of the window before each pause, ns.
pub const BEFORE_PAUSE_NS: i64 = 10_000_000;
/// Window kind: the stop-the-world interval.
pub const PAUSE: &str = "pause";
/// Window kind: the [`BEFORE_PAUSE_NS`] before a pause.
pub const BEFORE_PAUSE: &str = "before_pause";

/// A perf sample with a time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimedSample {
    pub clock: String,
    pub time_ns: i64,
    pub source: String,
    pub line: i64,
    pub event: String,
    pub stack_id: i64,
    pub period: i64,
}

/// The three tables of one run.
#[derive(Debug, Clone, Default)]
pub struct PerfGc {
    pub windows: Vec<PerfGcWindowRow>,
    pub samples: Vec<PerfGcSampleRow>,
    pub functions: Vec<PerfGcFunctionRow>,
}

/// A window on one sample clock.
struct Window {
    start: i64,
    end: i64,
    pause: usize,
    pause_start: i64,
    alignment: &'static str,
}

/// Each pause's `[start, end)` on `clock`, with how it was placed.
fn placed(pauses: &[Pause], clock: &str, offsets: &BTreeMap<String, i64>) -> Vec<(usize, i64, i64, &'static str)> {
    pauses
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            let (s, e) = p.interval()?;
            if p.clock == clock {
                return Some((k, s, e, "same-clock"));
            }
            let shift = offsets.get(&p.clock)? - offsets.get(clock)?;
            Some((k, s + shift, e + shift, "via-wall-offsets"))
        })
        .collect()
}

/// Span `[min, max]` of each clock's sample times.
pub type ClockSpans = BTreeMap<String, (i64, i64)>;

/// The windows of `pauses` per sample clock (for the coarse filter of [`load_samples`]).
fn windows_of(
    pauses: &[Pause],
    spans: &ClockSpans,
    offsets: &BTreeMap<String, i64>,
) -> BTreeMap<String, [Vec<Window>; 2]> {
    let mut out = BTreeMap::new();
    for clock in spans.keys() {
        let (mut inside, mut before) = (Vec::new(), Vec::new());
        for (k, s, e, alignment) in placed(pauses, clock, offsets) {
            inside.push(Window { start: s, end: e.max(s + 1), pause: k, pause_start: s, alignment });
            before.push(Window { start: s - BEFORE_PAUSE_NS, end: s, pause: k, pause_start: s, alignment });
        }
        for w in [&mut inside, &mut before] {
            w.sort_by_key(|w| (w.start, w.end, w.pause));
        }
        out.insert(clock.clone(), [inside, before]);
    }
    out
}

/// The window of `windows` (sorted by start) holding `t`: the earliest-starting one.
fn find(windows: &[Window], max_len: i64, t: i64) -> Option<usize> {
    let upto = windows.partition_point(|w| w.start <= t);
    let mut hit = None;
    for k in (0..upto).rev() {
        if windows[k].start < t.saturating_sub(max_len) {
            break;
        }
        if t < windows[k].end {
            hit = Some(k);
        }
    }
    hit
}

/// The per-clock time spans of the run's perf samples; empty without timed samples.
pub fn load_spans(dataset: &Path, run: &str) -> Result<ClockSpans, AnalyzeError> {
    use perf_samples::col as c;
    let dir = model::write::partition_dir(dataset, perf_samples::NAME, run);
    let files = partition_files(&dir)?;
    if files.is_empty() {
        return Ok(ClockSpans::new());
    }
    let df = scan_lazy(&files)
        .and_then(|lf| {
            lf.filter(col(c::time_ns).is_not_null())
                .group_by([col(c::clock).strict_cast(DataType::String)])
                .agg([
                    col(c::time_ns).min().strict_cast(DataType::Int64).alias("lo"),
                    col(c::time_ns).max().strict_cast(DataType::Int64).alias("hi"),
                ])
                .sort([c::clock], Default::default())
                .collect()
        })
        .map_err(|source| AnalyzeError::Polars { path: dir.clone(), source })?;
    let cols = Columns { df: &df, dir: &dir };
    let (clock, lo, hi) = (cols.string_or_empty(c::clock)?, cols.int("lo")?, cols.int("hi")?);
    Ok(clock.into_iter().zip(lo.into_iter().zip(hi)).filter_map(|(k, (l, h))| Some((k, (l?, h?)))).collect())
}

/// The run's timed samples on `clock` within `[lo, hi)`, sorted.
fn load_samples(dataset: &Path, run: &str, ranges: &[(String, i64, i64)]) -> Result<Vec<TimedSample>, AnalyzeError> {
    use perf_samples::col as c;
    let dir = model::write::partition_dir(dataset, perf_samples::NAME, run);
    let files = partition_files(&dir)?;
    let Some(filter) = ranges
        .iter()
        .map(|(clock, lo, hi)| {
            col(c::clock).eq(lit(clock.clone())).and(col(c::time_ns).gt_eq(lit(*lo))).and(col(c::time_ns).lt(lit(*hi)))
        })
        .reduce(|a, b| a.or(b))
    else {
        return Ok(Vec::new());
    };
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let df = scan_lazy(&files)
        .and_then(|lf| {
            lf.filter(filter)
                .select([
                    col(c::source).strict_cast(DataType::String),
                    col(c::line).strict_cast(DataType::Int64),
                    col(c::clock).strict_cast(DataType::String),
                    col(c::time_ns).strict_cast(DataType::Int64),
                    col(c::event).strict_cast(DataType::String),
                    col(c::stack_id).strict_cast(DataType::Int64),
                    col(c::period).strict_cast(DataType::Int64),
                ])
                .collect()
        })
        .map_err(|source| AnalyzeError::Polars { path: dir.clone(), source })?;
    let cols = Columns { df: &df, dir: &dir };
    let (source, clock, event) =
        (cols.string_or_empty(c::source)?, cols.string_or_empty(c::clock)?, cols.string_or_empty(c::event)?);
    let (line, time, stack, period) =
        (cols.int(c::line)?, cols.int(c::time_ns)?, cols.int(c::stack_id)?, cols.int(c::period)?);
    let mut out: Vec<TimedSample> = (0..df.height())
        .filter_map(|k| {
            Some(TimedSample {
                clock: clock[k].clone(),
                time_ns: time[k]?,
                source: source[k].clone(),
                line: line[k].unwrap_or(0),
                event: event[k].clone(),
                stack_id: stack[k].unwrap_or(0),
                period: period[k].unwrap_or(1),
            })
        })
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Places `pauses` on the sample clocks and picks the samples in their windows.
pub fn place(
    pauses: &[Pause],
    spans: &ClockSpans,
    offsets: &BTreeMap<String, i64>,
    load: impl FnOnce(&[(String, i64, i64)]) -> Result<Vec<TimedSample>, AnalyzeError>,
) -> Result<(Vec<PerfGcWindowRow>, Vec<PerfGcSampleRow>), AnalyzeError> {
    let per_clock = windows_of(pauses, spans, offsets);
    let ranges: Vec<(String, i64, i64)> = per_clock
        .iter()
        .filter_map(|(clock, [inside, before])| {
            let lo = before.iter().map(|w| w.start).min()?;
            let hi = inside.iter().map(|w| w.end).max()?;
            Some((clock.clone(), lo, hi))
        })
        .collect();
    let samples = load(&ranges)?;
    let mut counts: HashMap<(&str, usize, usize), i64> = HashMap::new();
    let mut rows = Vec::new();
    for s in &samples {
        let Some(kinds) = per_clock.get(&s.clock) else { continue };
        for (kind, windows) in kinds.iter().enumerate() {
            let max_len =
                if kind == 0 { windows.iter().map(|w| w.end - w.start).max().unwrap_or(0) } else { BEFORE_PAUSE_NS };
            let Some(k) = find(windows, max_len, s.time_ns) else { continue };
            let w = &windows[k];
            *counts.entry((s.clock.as_str(), kind, k)).or_default() += 1;
            let p = &pauses[w.pause];
            rows.push(PerfGcSampleRow {
                source: s.source.clone(),
                line: s.line,
                event: s.event.clone(),
                stack_id: s.stack_id,
                period: s.period,
                window: [PAUSE, BEFORE_PAUSE][kind].to_string(),
                pause_source: p.source.clone(),
                pause_line: p.line,
                offset_ns: s.time_ns - w.pause_start,
            });
            break;
        }
    }
    rows.sort_by(|a, b| (&a.source, a.line, &a.event).cmp(&(&b.source, b.line, &b.event)));
    let mut windows = Vec::new();
    for (clock, kinds) in &per_clock {
        let (lo, hi) = spans[clock];
        for (kind, list) in kinds.iter().enumerate() {
            for (k, w) in list.iter().enumerate() {
                let p = &pauses[w.pause];
                windows.push(PerfGcWindowRow {
                    pause_source: p.source.clone(),
                    pause_line: p.line,
                    gc_id: p.gc_id,
                    pause_kind: p.pause_kind.clone(),
                    window: [PAUSE, BEFORE_PAUSE][kind].to_string(),
                    clock: clock.clone(),
                    start_ns: w.start,
                    end_ns: w.end,
                    alignment: w.alignment.to_string(),
                    samples: counts.get(&(clock.as_str(), kind, k)).copied().unwrap_or(0),
                    in_profile: w.start <= hi && w.end > lo,
                });
            }
        }
    }
    windows.sort_by(|a, b| {
        (&a.clock, a.start_ns, &a.window, &a.pause_source, a.pause_line).cmp(&(
            &b.clock,
            b.start_ns,
            &b.window,
            &b.pause_source,
            b.pause_line,
        ))
    });
    Ok((windows, rows))
}

/// Top functions per window kind, with each function's self share outside the windows.
pub fn functions(input: &PerfInput, in_windows: &[PerfGcSampleRow]) -> Vec<PerfGcFunctionRow> {
    type Key<'a> = (&'a str, &'a str, i64);
    let mut by_kind: [BTreeMap<Key<'_>, (i64, i64)>; 2] = Default::default();
    for s in in_windows {
        let kind = usize::from(s.window != PAUSE);
        let e = by_kind[kind].entry((s.source.as_str(), s.event.as_str(), s.stack_id)).or_default();
        e.0 += 1;
        e.1 += s.period;
    }
    let groups = |m: &BTreeMap<Key<'_>, (i64, i64)>| -> Vec<SampleGroup> {
        m.iter()
            .map(|(&(source, event, stack_id), &(samples, period))| SampleGroup {
                source: Arc::from(source),
                event: Arc::from(event),
                stack_id,
                samples,
                period,
            })
            .collect()
    };
    // Outside = all samples minus those in a window.
    let outside: Vec<SampleGroup> = input
        .samples
        .iter()
        .filter_map(|g| {
            let key = (&*g.source, &*g.event, g.stack_id);
            let (mut n, mut period) = (g.samples, g.period);
            for m in &by_kind {
                if let Some(&(wn, wp)) = m.get(&key) {
                    n -= wn;
                    period -= wp;
                }
            }
            (n > 0).then(|| SampleGroup { samples: n, period, ..g.clone() })
        })
        .collect();
    let outside_pct: HashMap<(String, String, Option<String>), f64> = top_functions_of(&outside, &input.index)
        .into_iter()
        .map(|r| ((r.event, r.function, r.dso), r.self_pct))
        .collect();
    let mut rows = Vec::new();
    for (kind, m) in by_kind.iter().enumerate() {
        let g = groups(m);
        let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
        for x in &g {
            *totals.entry(&*x.event).or_default() += x.samples;
        }
        for r in top_functions_of(&g, &input.index) {
            let outside_self_pct =
                outside_pct.get(&(r.event.clone(), r.function.clone(), r.dso.clone())).copied().unwrap_or(0.0);
            rows.push(PerfGcFunctionRow {
                window_samples: totals.get(r.event.as_str()).copied().unwrap_or(0),
                window: [PAUSE, BEFORE_PAUSE][kind].to_string(),
                event: r.event,
                function: r.function,
                dso: r.dso,
                self_samples: r.self_samples,
                self_pct: r.self_pct,
                total_samples: r.total_samples,
                total_pct: r.total_pct,
                outside_self_pct,
            });
        }
    }
    rows
}

/// The three tables for one run; empty when it has no pauses or no timed perf samples.
pub fn compute(
    dataset: &Path,
    run: &str,
    pauses: &[Pause],
    offsets: &BTreeMap<String, i64>,
    input: &PerfInput,
) -> Result<PerfGc, AnalyzeError> {
    if pauses.is_empty() {
        return Ok(PerfGc::default());
    }
    let spans = load_spans(dataset, run)?;
    if spans.is_empty() {
        return Ok(PerfGc::default());
    }
    let (windows, samples) = place(pauses, &spans, offsets, |r| load_samples(dataset, run, r))?;
    let functions = functions(input, &samples);
    Ok(PerfGc { windows, samples, functions })
}

/// Distinct pauses of `windows` (for summaries).
pub fn placed_pauses(windows: &[PerfGcWindowRow]) -> usize {
    windows.iter().map(|w| (&w.pause_source, w.pause_line)).collect::<BTreeSet<_>>().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pause(line: i64, clock: &str, start: i64, dur: i64) -> Pause {
        Pause {
            source: "gc.log".into(),
            clock: clock.into(),
            start_ns: Some(start),
            end_ns: None,
            line,
            duration_ns: dur,
            runtime: "jvm".into(),
            collector: "G1".into(),
            pause_kind: "young".into(),
            cause: None,
            heap_before_bytes: None,
            heap_after_bytes: None,
            heap_committed_bytes: None,
            gc_id: Some(line),
        }
    }

    fn sample(line: i64, clock: &str, t: i64) -> TimedSample {
        TimedSample {
            clock: clock.into(),
            time_ns: t,
            source: "p".into(),
            line,
            event: "cpu-clock".into(),
            stack_id: 1,
            period: 1,
        }
    }

    #[test]
    fn samples_go_to_the_pause_before_the_next_pauses_lead_in() {
        const MS: i64 = 1_000_000;
        // Pause A [100, 120) ms, pause B [125, 130) ms: B's before-window [115, 125) overlaps A.
        let pauses = [pause(1, "monotonic", 100 * MS, 20 * MS), pause(2, "monotonic", 125 * MS, 5 * MS)];
        let spans = ClockSpans::from([("monotonic".to_string(), (0, 200 * MS))]);
        let all = [
            sample(1, "monotonic", 89 * MS),  // outside
            sample(2, "monotonic", 95 * MS),  // before A
            sample(3, "monotonic", 117 * MS), // in A (also before B)
            sample(4, "monotonic", 121 * MS), // before B
            sample(5, "monotonic", 129 * MS), // in B
            sample(6, "monotonic", 130 * MS), // outside (end exclusive)
        ];
        let (windows, rows) = place(&pauses, &spans, &BTreeMap::new(), |ranges| {
            assert_eq!(ranges, &[("monotonic".to_string(), 90 * MS, 130 * MS)]);
            Ok(all.iter().filter(|s| s.time_ns >= 90 * MS && s.time_ns < 130 * MS).cloned().collect())
        })
        .unwrap();
        let got: Vec<(i64, &str, i64, i64)> =
            rows.iter().map(|r| (r.line, r.window.as_str(), r.pause_line, r.offset_ns / MS)).collect();
        assert_eq!(got, [(2, BEFORE_PAUSE, 1, -5), (3, PAUSE, 1, 17), (4, BEFORE_PAUSE, 2, -4), (5, PAUSE, 2, 4)]);
        assert_eq!(windows.len(), 4);
        assert!(windows.iter().all(|w| w.samples == 1 && w.alignment == "same-clock" && w.in_profile));
    }

    #[test]
    fn other_clocks_go_through_wall_offsets_or_are_not_placed() {
        const S: i64 = 1_000_000_000;
        let pauses = [pause(1, "jvm_uptime@a", 2 * S, S / 10), pause(2, "go_uptime@b", S, S / 10)];
        let spans = ClockSpans::from([("perf".to_string(), (0, 10 * S))]);
        // uptime 0 = wall 100 s; perf 0 = wall 99 s → uptime 2 s = perf 3 s.
        let offsets = BTreeMap::from([("jvm_uptime@a".to_string(), 100 * S), ("perf".to_string(), 99 * S)]);
        let (windows, _) = place(&pauses, &spans, &offsets, |_| Ok(Vec::new())).unwrap();
        assert_eq!(windows.len(), 2, "the go pause has no offset");
        let w = windows.iter().find(|w| w.window == PAUSE).unwrap();
        assert_eq!((w.start_ns, w.end_ns, w.alignment.as_str()), (3 * S, 3 * S + S / 10, "via-wall-offsets"));
    }
}
