//! SVG bar chart of one bpftrace histogram: a bar per bucket (in printed order, labelled as
//! bpftrace labels it), count on the y axis.

use plotters::prelude::*;

use super::Bucket;
use crate::plot::{color, PlotError};

/// Bucket labels shown on the x axis at most (every k-th beyond that).
const MAX_LABELS: usize = 24;

/// The chart as SVG text.
pub fn hist_svg(title: &str, buckets: &[Bucket]) -> Result<String, PlotError> {
    let n = buckets.len().max(1) as u32;
    let max = buckets.iter().map(|b| b.count.max(0) as u64).max().unwrap_or(0).max(1);
    let width = (200 + 40 * n).clamp(640, 1280);
    // Horizontal labels (~6.5 px a character at 11 px) on every `step`-th bucket so they fit.
    let longest = buckets.iter().map(|b| b.label.chars().count()).max().unwrap_or(1) as f64;
    let per_bucket = f64::from(width - 100) / f64::from(n);
    let step = ((longest * 6.5 + 8.0) / per_bucket).ceil().max((n as usize).div_ceil(MAX_LABELS) as f64) as usize;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((0..n).into_segmented(), 0u64..max + max / 20 + 1)?;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if (*i as usize).is_multiple_of(step) => {
                buckets.get(*i as usize).map(|b| b.label.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(2 * n as usize + 2)
            .x_label_formatter(&label)
            .x_label_style(("sans-serif", 11))
            .x_desc("bucket")
            .y_desc("count")
            .draw()?;
        let bar = |i: usize, b: &Bucket, style: ShapeStyle| {
            let (x0, x1) = (SegmentValue::Exact(i as u32), SegmentValue::Exact(i as u32 + 1));
            Rectangle::new([(x0, 0), (x1, b.count.max(0) as u64)], style)
        };
        chart.draw_series(buckets.iter().enumerate().map(|(i, b)| bar(i, b, color(0).mix(0.8).filled())))?;
        chart.draw_series(buckets.iter().enumerate().map(|(i, b)| bar(i, b, WHITE.stroke_width(2))))?;
        root.present()?;
    }
    Ok(svg)
}
