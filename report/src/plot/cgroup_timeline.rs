//! The cgroup timeline of a run: CPU used vs the CPU limit (upper panel), the share of CFS periods
//! throttled per interval (lower panel), and GC pauses marked where they can be put on the
//! intervals' clock.

use std::collections::BTreeSet;

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use model::tables::cgroup_intervals::CgroupIntervalRow;

use super::{axis_number, color, Figure, PlotError};
use crate::data::{pause_start, wall_offset, RunData};
use crate::format;

/// Cgroups drawn at most (most throttled time first, then most CPU used).
pub const MAX_CGROUPS: usize = 4;
/// Intervals drawn per cgroup at most; longer captures are merged into equal time buckets.
pub const MAX_BUCKETS: usize = 1_500;
/// Pause markers drawn at most (the longest pauses are kept).
pub const MAX_MARKS: usize = 2_000;

const PAUSE_COLOR: RGBColor = RGBColor(214, 39, 40);

/// Intervals of one cgroup merged over a time bucket (or one interval).
struct Bucket {
    start_s: f64,
    end_s: f64,
    used_cores: Option<f64>,
    limit_cores: Option<f64>,
    throttled: Option<f64>,
    pressure: Option<f64>,
}

fn merge(group: &[&CgroupIntervalRow], base: i64) -> Bucket {
    let first = group[0];
    let last = group[group.len() - 1];
    let (mut used, mut measured, mut any_used) = (0i64, 0i64, false);
    let (mut periods, mut throttled) = (0i64, 0i64);
    let (mut psi, mut psi_ns) = (0.0f64, 0i64);
    for i in group {
        if let Some(v) = i.psi_cpu_some {
            psi += v * i.duration_ns as f64;
            psi_ns += i.duration_ns;
        }
        if let Some(u) = i.cpu_used_ns {
            used += u;
            measured += i.duration_ns;
            any_used = true;
        }
        if let (Some(p), Some(t)) = (i.periods, i.throttled_periods) {
            periods += p;
            throttled += t;
        }
    }
    let used_cores = if group.len() == 1 {
        first.cpu_used_cores
    } else {
        (any_used && measured > 0).then(|| used as f64 / measured as f64)
    };
    Bucket {
        start_s: (first.start_ns - base) as f64 / 1e9,
        end_s: (last.end_ns - base) as f64 / 1e9,
        used_cores,
        limit_cores: last.cpu_limit_cores,
        throttled: (periods > 0).then(|| throttled as f64 / periods as f64),
        pressure: (psi_ns > 0).then(|| (psi / psi_ns as f64).clamp(0.0, 1.0)),
    }
}

fn buckets(intervals: &[&CgroupIntervalRow], base: i64, width_ns: Option<i64>) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut group: Vec<&CgroupIntervalRow> = Vec::new();
    let mut key = None;
    for (n, i) in intervals.iter().enumerate() {
        let k = match width_ns {
            Some(w) => ((i.start_ns - base) / w) as usize,
            None => n,
        };
        if key != Some(k) && !group.is_empty() {
            out.push(merge(&group, base));
            group.clear();
        }
        key = Some(k);
        group.push(i);
    }
    if !group.is_empty() {
        out.push(merge(&group, base));
    }
    out
}

/// Runs of consecutive `Some` values as step-line points.
fn steps(buckets: &[Bucket], get: fn(&Bucket) -> Option<f64>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for b in buckets {
        match get(b) {
            Some(v) => {
                current.push((b.start_s, v));
                current.push((b.end_s, v));
            }
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The timeline figure of a run; `None` without `cgroup_intervals` rows.
pub fn cgroup_figure(run: &RunData) -> Result<Option<Figure>, PlotError> {
    let Some(first) = run.cgroup_intervals.iter().min_by_key(|i| i.start_ns) else {
        return Ok(None);
    };
    let base = first.start_ns;
    let iv_clock = first.clock.as_str();
    let end = run.cgroup_intervals.iter().map(|i| i.end_ns).max().unwrap_or(base);
    let x_max = ((end - base) as f64 / 1e9).max(1e-3);
    let mut notes = Vec::new();

    let mut sums = crate::cgroup::summaries(run);
    let total_cgroups = sums.len();
    sums.sort_by(|a, b| {
        b.throttled_ns
            .unwrap_or(0)
            .cmp(&a.throttled_ns.unwrap_or(0))
            .then(b.cpu_used_ns.unwrap_or(0).cmp(&a.cpu_used_ns.unwrap_or(0)))
            .then(a.cgroup.cmp(b.cgroup))
    });
    sums.truncate(MAX_CGROUPS);
    if total_cgroups > sums.len() {
        notes.push(format!(
            "The figure shows {} of {total_cgroups} cgroups: those with the most throttled time, then the most CPU used.",
            sums.len()
        ));
    }
    let longest = sums.iter().map(|s| s.intervals.len()).max().unwrap_or(0);
    let width_ns = (longest > MAX_BUCKETS).then(|| ((end - base) / MAX_BUCKETS as i64).max(1));
    if let Some(w) = width_ns {
        notes.push(format!(
            "Intervals are merged into buckets of {} (CPU used and throttled share recomputed from the sums).",
            format::duration(w)
        ));
    }
    let series: Vec<(String, Vec<Bucket>)> =
        sums.iter().map(|s| (s.cgroup.to_string(), buckets(&s.intervals, base, width_ns))).collect();

    // GC pauses on the intervals' clock.
    let (mut no_time, mut outside) = (0usize, 0usize);
    let mut unplaced: BTreeSet<&str> = BTreeSet::new();
    let mut unplaced_n = 0usize;
    let mut marks: Vec<(f64, i64)> = Vec::new();
    for p in &run.pauses {
        let Some(t) = pause_start(p) else {
            no_time += 1;
            continue;
        };
        let on_iv_clock = if p.clock == iv_clock {
            Some(t)
        } else {
            wall_offset(run, &p.clock).zip(wall_offset(run, iv_clock)).map(|(op, oi)| t + op - oi)
        };
        match on_iv_clock {
            None => {
                unplaced_n += 1;
                unplaced.insert(&p.clock);
            }
            Some(x) if x < base || x > end => outside += 1,
            Some(x) => marks.push(((x - base) as f64 / 1e9, p.duration_ns)),
        }
    }
    if unplaced_n > 0 {
        notes.push(format!(
            "{unplaced_n} of {} GC pauses are not marked: their clock ({}) has no wall-clock offset in `clock_offsets`.",
            run.pauses.len(),
            unplaced.iter().map(|c| format::code(c)).collect::<Vec<_>>().join(", ")
        ));
    }
    if outside > 0 {
        notes.push(format!("{outside} GC pauses fall outside the cgroup capture and are not marked."));
    }
    if no_time > 0 {
        notes.push(format!("{no_time} GC pauses have no timestamp and are not marked."));
    }
    let marked = marks.len();
    if marks.len() > MAX_MARKS {
        marks.sort_by_key(|m| std::cmp::Reverse(m.1));
        marks.truncate(MAX_MARKS);
        notes.push(format!("{MAX_MARKS} of {marked} placed GC pauses are marked: the longest."));
    }

    let y_top = series
        .iter()
        .flat_map(|(_, b)| b.iter().flat_map(|b| [b.used_cores, b.limit_cores]))
        .flatten()
        .fold(0.0f64, f64::max);
    // Keep the upper share of the panel (~17 px a legend row of ~330 px) free for the legend.
    let legend_rows = 2 * series.len() + usize::from(!marks.is_empty());
    let legend_share = ((legend_rows as f64 * 17.0 + 20.0) / 330.0).min(0.6);
    let y_max = (y_top / (1.0 - legend_share)).max(0.1);
    let single = series.len() == 1;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1280, 640)).into_drawing_area();
        root.fill(&WHITE)?;
        let (upper, lower) = root.split_vertically(400);
        let mut chart = ChartBuilder::on(&upper)
            .caption(format!("{}: CPU used vs limit", run.name), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
        chart
            .configure_mesh()
            .y_desc("CPU (cores)")
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&|v| axis_number(*v))
            .draw()?;
        for (i, (cgroup, b)) in series.iter().enumerate() {
            let c = color(i);
            let (used_label, limit_label) = if single {
                (format!("CPU used ({cgroup})"), "CPU limit".to_string())
            } else {
                (format!("used: {cgroup}"), format!("limit: {cgroup}"))
            };
            let used = steps(b, |b| b.used_cores);
            if !used.is_empty() {
                chart
                    .draw_series(used.into_iter().map(|pts| PathElement::new(pts, c.stroke_width(2))))?
                    .label(used_label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            }
            let limit = steps(b, |b| b.limit_cores);
            // Darker than the used line, so that it stays visible where the use is at the limit.
            let c = RGBColor(c.0 / 2, c.1 / 2, c.2 / 2);
            if !limit.is_empty() {
                chart
                    .draw_series(limit.into_iter().map(|pts| DashedPathElement::new(pts, 8, 5, c.stroke_width(2))))?
                    .label(limit_label)
                    .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 20, y)], 6, 3, c.stroke_width(2)));
            }
        }
        if !marks.is_empty() {
            let style = PAUSE_COLOR.mix(0.5).stroke_width(1);
            chart
                .draw_series(marks.iter().map(|&(x, _)| PathElement::new(vec![(x, 0.0), (x, y_max)], style)))?
                .label(format!("GC pause ({})", marks.len()))
                .legend(move |(x, y)| PathElement::new(vec![(x + 10, y - 6), (x + 10, y + 6)], style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;

        // Room above 100 % for the legend (~17 px a row of a ~170 px plot).
        let lower_rows: usize = series
            .iter()
            .map(|(_, b)| {
                usize::from(b.iter().any(|b| b.throttled.is_some()))
                    + usize::from(b.iter().any(|b| b.pressure.is_some()))
            })
            .sum();
        let lower_max = 1.0 / (1.0 - ((lower_rows as f64 * 17.0 + 20.0) / 170.0).min(0.6));
        let mut chart = ChartBuilder::on(&lower)
            .caption(
                "per interval: share of CFS periods throttled (bars), CPU pressure some (line)",
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..lower_max)?;
        chart
            .configure_mesh()
            .x_desc("seconds since the capture's first interval")
            .y_desc("share")
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&|v| if *v <= 1.0 + 1e-9 { format!("{:.0} %", v * 100.0) } else { String::new() })
            .draw()?;
        let mut lower_legend = false;
        for (i, (cgroup, b)) in series.iter().enumerate() {
            let c = color(i);
            let (throttled_label, pressure_label) = if single {
                ("throttled".to_string(), "CPU pressure some".to_string())
            } else {
                (format!("throttled: {cgroup}"), format!("pressure: {cgroup}"))
            };
            if b.iter().any(|b| b.throttled.is_some()) {
                lower_legend = true;
                chart
                    .draw_series(b.iter().filter_map(|b| {
                        let t = b.throttled.filter(|t| *t > 0.0)?;
                        Some(Rectangle::new([(b.start_s, 0.0), (b.end_s, t.min(1.0))], c.mix(0.45).filled()))
                    }))?
                    .label(throttled_label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], c.mix(0.45).filled()));
            }
            let pressure = steps(b, |b| b.pressure);
            if !pressure.is_empty() {
                lower_legend = true;
                let dark = RGBColor(c.0 / 2, c.1 / 2, c.2 / 2);
                chart
                    .draw_series(pressure.into_iter().map(|pts| PathElement::new(pts, dark.stroke_width(1))))?
                    .label(pressure_label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], dark.stroke_width(1)));
            }
        }
        let style = PAUSE_COLOR.mix(0.35).stroke_width(1);
        chart.draw_series(marks.iter().map(|&(x, _)| PathElement::new(vec![(x, 0.0), (x, lower_max)], style)))?;
        if lower_legend {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .draw()?;
        }
        root.present()?;
    }
    Ok(Some(Figure { svg, notes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_captures_are_bucketed() {
        let n = 3 * MAX_BUCKETS as i64;
        let intervals = (0..n)
            .map(|i| CgroupIntervalRow {
                cgroup: "/svc".into(),
                clock: "wall".into(),
                start_ns: i * 1_000_000_000,
                end_ns: (i + 1) * 1_000_000_000,
                duration_ns: 1_000_000_000,
                cpu_used_ns: Some(500_000_000),
                cpu_used_cores: Some(0.5),
                cpu_limit_cores: Some(1.0),
                periods: Some(10),
                throttled_periods: Some(i % 2 * 10),
                psi_cpu_some: Some(0.25),
                ..Default::default()
            })
            .collect();
        let run = RunData { name: "long".into(), cgroup_intervals: intervals, ..Default::default() };
        let fig = cgroup_figure(&run).unwrap().unwrap();
        assert!(fig.svg.starts_with("<svg"));
        assert!(
            fig.notes.iter().any(|n| n.starts_with("Intervals are merged into buckets of 3.00 s")),
            "{:?}",
            fig.notes
        );
        // One bar per bucket (each bucket holds a throttled interval), not one per interval.
        let bars = fig.svg.matches("<rect").count();
        assert!(bars < MAX_BUCKETS + 50, "{bars} rects");
        let rows: Vec<&CgroupIntervalRow> = run.cgroup_intervals.iter().collect();
        let b = buckets(&rows, 0, Some(3_000_000_000));
        assert_eq!(b.len(), MAX_BUCKETS);
        assert_eq!(b[0].used_cores, Some(0.5));
        // Buckets 0..3 s: intervals 0 (not throttled), 1 (10/10), 2 (not) → 10 of 30 periods.
        assert_eq!(b[0].throttled, Some(10.0 / 30.0));
        assert_eq!(b[0].pressure, Some(0.25));
    }
}
