//! SVG figures drawn with plotters' SVG backend (text as `<text>` elements, no font files).

use std::collections::{BTreeMap, BTreeSet};

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{nearest_rank, pause_start, RunData};
use crate::format;

mod cgroup_timeline;
pub use cgroup_timeline::cgroup_figure;

/// Errors of drawing, as plotters reports them.
pub type PlotError = Box<dyn std::error::Error + Send + Sync>;

/// Points drawn in a time panel at most; beyond that, every k-th pause plus the tail are drawn.
pub const MAX_POINTS: usize = 20_000;
/// Points of a CDF line at most.
const MAX_CDF_POINTS: usize = 2_000;
/// A pause axis switches to log scale when max/min exceeds this.
const LOG_SPAN: f64 = 100.0;

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour of the i-th series.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A drawn figure: SVG text plus notes for the reader (sampling, clock alignment).
pub struct Figure {
    pub svg: String,
    pub notes: Vec<String>,
}

#[derive(Clone, Copy)]
struct Point {
    x_s: f64,
    ms: f64,
    kind: usize,
}

/// Axis labels with up to three significant digits and no trailing zeros.
fn axis_number(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        let decimals = (-a.log10()).ceil() as usize + 2;
        format!("{v:.decimals$}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Pause duration over time and CDF of pause durations of one run, side by side.
/// `None` when the run has no pauses.
pub fn pauses_figure(run: &RunData) -> Result<Option<Figure>, PlotError> {
    if run.pauses.is_empty() {
        return Ok(None);
    }
    let mut notes = Vec::new();
    let kinds: Vec<String> =
        run.pauses.iter().map(|p| p.pause_kind.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let kind_index: BTreeMap<&str, usize> = kinds.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();

    // Time axis: seconds since the run's first pause; aligned through wall time when every clock
    // the pauses are on has a known offset, else each clock from its own first pause.
    let timed: Vec<(&str, i64, i64, usize)> = run
        .pauses
        .iter()
        .filter_map(|p| pause_start(p).map(|t| (p.clock.as_str(), t, p.duration_ns, kind_index[p.pause_kind.as_str()])))
        .collect();
    let clocks: BTreeSet<&str> = timed.iter().map(|t| t.0).collect();
    let mut offsets: BTreeMap<&str, i64> = run.offsets.iter().map(|o| (o.clock.as_str(), o.offset_ns)).collect();
    // The wall clock is its own wall time.
    offsets.entry(model::tables::clock::WALL).or_insert(0);
    let aligned = clocks.len() > 1 && clocks.iter().all(|c| offsets.contains_key(c));
    let mut firsts: BTreeMap<&str, i64> = BTreeMap::new();
    for &(clock, t, _, _) in &timed {
        let key = if aligned { "" } else { clock };
        let t = if aligned { t + offsets[clock] } else { t };
        firsts.entry(key).and_modify(|m| *m = (*m).min(t)).or_insert(t);
    }
    if clocks.len() > 1 {
        notes.push(if aligned {
            format!("Pauses are on {} clocks, aligned through their wall-clock offsets.", clocks.len())
        } else {
            format!(
                "Pauses are on {} clocks without known offsets to wall time: each clock is plotted from its own first pause.",
                clocks.len()
            )
        });
    }
    let mut points: Vec<Point> = timed
        .iter()
        .map(|&(clock, t, d, kind)| {
            let (key, t) = if aligned { ("", t + offsets[clock]) } else { (clock, t) };
            Point { x_s: (t - firsts[key]) as f64 / 1e9, ms: d as f64 / 1e6, kind }
        })
        .collect();
    if points.len() < run.pauses.len() {
        notes.push(format!(
            "{} of {} pauses have no timestamp and appear in the CDF only.",
            run.pauses.len() - points.len(),
            run.pauses.len()
        ));
    }
    if points.len() > MAX_POINTS {
        let mut sorted: Vec<i64> = timed.iter().map(|t| t.2).collect();
        sorted.sort_unstable();
        let p99 = nearest_rank(&sorted, 0.99).unwrap_or(i64::MAX) as f64 / 1e6;
        let k = points.len().div_ceil(MAX_POINTS);
        let total = points.len();
        let mut i = 0usize;
        points.retain(|p| {
            i += 1;
            p.ms >= p99 || (i - 1).is_multiple_of(k)
        });
        notes.push(format!(
            "The time panel shows {} of {total} pauses: one pause in {k} plus all pauses ≥ p99 ({}).",
            points.len(),
            format::duration((p99 * 1e6).round() as i64)
        ));
    }

    let mut durations: Vec<f64> = run.pauses.iter().map(|p| p.duration_ns as f64 / 1e6).collect();
    durations.sort_by(f64::total_cmp);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1280, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(720);
        let title = format!("{}: pause duration over time", run.name);
        if points.is_empty() {
            left.titled(&title, ("sans-serif", 18))?.draw_text(
                "no pause has a timestamp",
                &TextStyle::from(("sans-serif", 14)),
                (40, 60),
            )?;
        } else {
            let x_max = points.iter().map(|p| p.x_s).fold(0.0, f64::max).max(1e-3) * 1.02;
            // Legend: ~17 px a row plus padding, of a plot area ~380 px high.
            let headroom = (kinds.len() as f64 * 17.0 + 14.0) / 380.0;
            let (lo, hi, log) = value_range(points.iter().map(|p| p.ms), headroom);
            if log {
                let pts: Vec<Point> = points.iter().map(|p| Point { ms: p.ms.max(lo), ..*p }).collect();
                draw_timeline(&left, &title, x_max, (lo..hi).log_scale(), &kinds, &pts)?;
            } else {
                draw_timeline(&left, &title, x_max, 0.0..hi, &kinds, &points)?;
            }
        }
        draw_cdf(&right, &format!("{}: CDF of pause durations", run.name), &durations)?;
        root.present()?;
    }
    Ok(Some(Figure { svg, notes }))
}

/// Range of an axis of pause times: (lo, hi, log?) — log when they span more than [`LOG_SPAN`].
/// `headroom` (0..0.5) is the share of the axis kept free above the largest value, so that the
/// legend in the upper corner does not hide points.
fn value_range(values: impl Iterator<Item = f64>, headroom: f64) -> (f64, f64, bool) {
    let (mut min_pos, mut max) = (f64::INFINITY, 0.0f64);
    for v in values {
        if v > 0.0 {
            min_pos = min_pos.min(v);
        }
        max = max.max(v);
    }
    if !min_pos.is_finite() || max <= 0.0 {
        return (0.0, 1.0, false);
    }
    let grow = headroom.clamp(0.05, 0.5) / (1.0 - headroom.clamp(0.05, 0.5));
    if max / min_pos > LOG_SPAN {
        let lo = min_pos / 1.5;
        (lo, max * (max / lo).powf(grow), true)
    } else {
        (0.0, max * (1.0 + grow), false)
    }
}

impl Point {
    fn coords(&self) -> (f64, f64) {
        (self.x_s, self.ms)
    }
}

fn draw_timeline<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_max: f64,
    y: Y,
    kinds: &[String],
    points: &[Point],
) -> Result<(), PlotError>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, y)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the first pause")
        .y_desc("pause (ms)")
        .x_label_formatter(&|v| axis_number(*v))
        .y_label_formatter(&|v| axis_number(*v))
        .draw()?;
    for (i, kind) in kinds.iter().enumerate() {
        let c = color(i);
        let n = points.iter().filter(|p| p.kind == i).count();
        if n == 0 {
            continue;
        }
        chart
            .draw_series(
                points.iter().filter(|p| p.kind == i).map(|p| Circle::new(p.coords(), 2, c.mix(0.7).filled())),
            )?
            .label(format!("{kind} ({n})"))
            .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Empirical CDF of sorted durations (ms) on a log-x axis, with p50/p90/p99 marked.
fn draw_cdf<DB>(area: &DrawingArea<DB, Shift>, title: &str, sorted_ms: &[f64]) -> Result<(), PlotError>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let n = sorted_ms.len();
    let min_pos = sorted_ms.iter().copied().find(|v| *v > 0.0).unwrap_or(1e-3);
    let max = sorted_ms.last().copied().unwrap_or(1.0).max(min_pos);
    let (lo, hi) = if max / min_pos < 10.0 {
        let mid = (min_pos * max).sqrt();
        (mid / 5.0, mid * 5.0)
    } else {
        (min_pos / 1.5, max * 1.5)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc("pause (ms, log scale)")
        .y_desc("share of pauses ≤ x")
        .x_label_formatter(&|v| axis_number(*v))
        .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
        .draw()?;
    let step = n.div_ceil(MAX_CDF_POINTS).max(1);
    let mut line = Vec::with_capacity(2 * MAX_CDF_POINTS + 4);
    let mut prev = 0.0;
    let indices = (0..n).step_by(step).chain(std::iter::once(n - 1));
    for i in indices {
        let x = sorted_ms[i].max(lo);
        let y = (i + 1) as f64 / n as f64;
        line.push((x, prev));
        line.push((x, y));
        prev = y;
    }
    let c = color(0);
    chart.draw_series(LineSeries::new(line, c.stroke_width(2)))?;
    let durations_ns: Vec<i64> = sorted_ms.iter().map(|v| (v * 1e6).round() as i64).collect();
    for (q, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
        let Some(v) = nearest_rank(&durations_ns, q) else {
            continue;
        };
        let x = (v as f64 / 1e6).max(lo);
        let label = format!("{name} {}", format::duration(v));
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, q))
                + Circle::new((0, 0), 3, BLACK.filled())
                + Text::new(label, (-70, -14), ("sans-serif", 12).into_font()),
        ))?;
    }
    Ok(())
}

/// One MMU curve: its legend label and its (window ns, mmu) points.
pub struct MmuCurve {
    pub label: String,
    pub points: Vec<(i64, f64)>,
}

/// MMU curves of several runs in one chart (log-x window, y 0..100 %). `None` without data.
pub fn mmu_figure(curves: &[MmuCurve]) -> Result<Option<Figure>, PlotError> {
    let windows: Vec<f64> =
        curves.iter().flat_map(|c| c.points.iter().map(|p| p.0 as f64 / 1e6)).filter(|w| *w > 0.0).collect();
    if windows.is_empty() {
        return Ok(None);
    }
    let lo = windows.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = windows.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if hi / lo < 2.0 { (lo / 2.0, hi * 2.0) } else { (lo / 1.2, hi * 1.2) };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Minimum mutator utilisation", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.0)?;
        chart
            .configure_mesh()
            .x_desc("window (ms, log scale)")
            .y_desc("MMU")
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .draw()?;
        for (i, curve) in curves.iter().enumerate() {
            let c = color(i);
            let pts: Vec<(f64, f64)> =
                curve.points.iter().filter(|p| p.0 > 0).map(|p| (p.0 as f64 / 1e6, p.1.clamp(0.0, 1.0))).collect();
            if pts.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(curve.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        root.present()?;
    }
    Ok(Some(Figure { svg, notes: Vec::new() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers() {
        assert_eq!(axis_number(0.0), "0");
        assert_eq!(axis_number(150.0), "150");
        assert_eq!(axis_number(12.5), "12.5");
        assert_eq!(axis_number(1.0), "1");
        assert_eq!(axis_number(0.1), "0.1");
        assert_eq!(axis_number(0.30000000000000004), "0.3");
        assert_eq!(axis_number(0.002), "0.002");
    }

    #[test]
    fn many_pauses_are_sampled_keeping_the_tail() {
        use model::tables::gc_pauses::GcPauseRow;
        let n = 3 * MAX_POINTS;
        let pauses = (0..n as i64)
            .map(|i| GcPauseRow {
                collector: "G1".into(),
                pause_kind: if i % 100 == 0 { "full" } else { "young" }.into(),
                clock: "jvm_uptime".into(),
                start_ns: Some(i * 1_000_000_000),
                // 1 % of the pauses (the full ones) are long: the tail at and above p99.
                duration_ns: if i % 100 == 0 { 500_000_000 } else { 1_000_000 + i },
                ..Default::default()
            })
            .collect();
        let run = RunData { name: "big".into(), pauses, ..Default::default() };
        let fig = pauses_figure(&run).unwrap().unwrap();
        assert!(fig.svg.starts_with("<svg"));
        let note = fig.notes.iter().find(|n| n.contains("one pause in 3 ")).expect("sampling note");
        assert!(note.contains(&format!("of {n} pauses")), "{note}");
        // Every full pause (the tail) is drawn: its legend counts all of them.
        assert!(fig.svg.contains(&format!("full ({})", n / 100)), "tail kept");
        let circles = fig.svg.matches("<circle").count();
        assert!(circles < n / 2 && circles > MAX_POINTS / 2, "{circles} circles");
    }

    #[test]
    fn ranges() {
        let (lo, hi, log) = value_range([1.0, 2.0].into_iter(), 0.2);
        assert_eq!((lo, log), (0.0, false));
        assert!((hi - 2.5).abs() < 1e-12, "{hi}");
        let (lo, hi, log) = value_range([0.01, 50.0].into_iter(), 0.2);
        assert!(log && lo < 0.01 && hi > 50.0);
        // 20 % of the log axis is above the largest value.
        let share = (hi / 50.0).ln() / (hi / lo).ln();
        assert!((share - 0.2).abs() < 1e-9, "{share}");
        assert_eq!(value_range(std::iter::empty(), 0.2), (0.0, 1.0, false));
    }
}
