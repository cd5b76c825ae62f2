//! The "bpftrace maps and histograms" part of a run's section, from `bpftrace_hist` and
//! `bpftrace_maps` (written by `tracefold ingest` from bpftrace output, text or JSON).
//!
//! Per histogram (map + key, per source; when bpftrace printed it several times, the last
//! printing): its buckets as a table (bpftrace's own labels, `[4K, 8K)`, `(..., 0)`,
//! `[100, ...)`), counts, a text bar, p50/p90/p99 estimated from the buckets, and an SVG bar
//! chart when it has at least [`CHART_BUCKETS`] non-empty buckets. Scalar maps as one table;
//! keyed maps as a table of their [`TOP_ENTRIES`] largest values. When baseline and candidate
//! both have a histogram of the same map and key, the candidate's section compares them bucket
//! by bucket. Output: [`BpftraceSectionCtx`] per run with such rows, and the SVG files.

mod chart;

use std::collections::BTreeMap;
use std::path::Path;

use model::read::read_table;
use model::tables::bpftrace_hist::BpftraceHistRow;
use model::tables::bpftrace_maps::BpftraceMapRow;
use model::Table;
use serde::Serialize;

use crate::data::RunData;
use crate::{format, write_atomic, ReportError};

/// Entries listed per keyed map (largest values first).
pub const TOP_ENTRIES: usize = 10;
/// Non-empty buckets a histogram needs to get a bar chart.
pub const CHART_BUCKETS: usize = 6;
/// Width of the text bar of the largest bucket, in `@`s (bpftrace prints 52).
const BAR: usize = 30;

/// One bucket of a histogram: bounds (low inclusive, high exclusive, `None` = open), count and
/// label as bpftrace printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub low: Option<i64>,
    pub high: Option<i64>,
    pub count: i64,
    pub label: String,
}

/// A histogram as last printed by one source.
#[derive(Debug, Clone)]
pub struct Hist {
    pub source: String,
    pub map: String,
    pub key: String,
    /// How many times the source printed it.
    pub printings: usize,
    pub buckets: Vec<Bucket>,
}

impl Hist {
    /// `@map` or `@map[key]`.
    pub fn title(&self) -> String {
        if self.key.is_empty() {
            self.map.clone()
        } else {
            format!("{}[{}]", self.map, self.key.replace('\n', ", "))
        }
    }

    fn total(&self) -> i64 {
        self.buckets.iter().map(|b| b.count).sum()
    }
}

/// Groups `bpftrace_hist` rows (in file order) into histograms: one per source, map and key,
/// the last printing (a printing restarts at bucket 0).
pub fn hists(rows: &[BpftraceHistRow]) -> Vec<Hist> {
    let mut order: Vec<(String, String, String)> = Vec::new();
    let mut by: BTreeMap<(String, String, String), Hist> = BTreeMap::new();
    for r in rows {
        let k = (r.source.clone(), r.map.clone(), r.key.clone());
        let h = by.entry(k.clone()).or_insert_with(|| {
            order.push(k);
            Hist { source: r.source.clone(), map: r.map.clone(), key: r.key.clone(), printings: 0, buckets: Vec::new() }
        });
        if r.bucket == 0 || h.printings == 0 {
            h.printings += 1;
            h.buckets.clear();
        }
        h.buckets.push(Bucket { low: r.low, high: r.high, count: r.count, label: r.label.clone() });
    }
    order.into_iter().filter_map(|k| by.remove(&k)).collect()
}

/// Value at quantile `q` estimated from buckets: the nearest-rank bucket, and a value
/// interpolated linearly inside it (its finite bound when it is open).
pub fn quantile(buckets: &[Bucket], q: f64) -> Option<(f64, &Bucket)> {
    let total: i64 = buckets.iter().map(|b| b.count).sum();
    if total <= 0 {
        return None;
    }
    let rank = ((q * total as f64) - 1e-9).ceil().max(1.0) as i64;
    let mut before = 0;
    for b in buckets {
        if b.count > 0 && before + b.count >= rank {
            // Ranks spread evenly over the bucket: the k-th of n at (k - 0.5) / n of its width.
            let within = ((rank - before) as f64 - 0.5) / b.count as f64;
            let v = match (b.low, b.high) {
                (Some(l), Some(h)) => l as f64 + (h - l) as f64 * within,
                (Some(l), None) => l as f64,
                (None, Some(h)) => h as f64,
                (None, None) => return None,
            };
            return Some((v, b));
        }
        before += b.count;
    }
    None
}

/// A value with bpftrace's K/M/G suffixes (powers of 1024) and three significant digits.
pub fn scaled(v: f64) -> String {
    const S: [(f64, &str); 4] = [(1_099_511_627_776.0, "T"), (1_073_741_824.0, "G"), (1_048_576.0, "M"), (1024.0, "K")];
    for (m, s) in S {
        if v.abs() >= m {
            return format!("{}{s}", sig3(v / m));
        }
    }
    sig3(v)
}

fn sig3(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn quantile_cell(buckets: &[Bucket], q: f64) -> String {
    quantile(buckets, q).map_or_else(|| "n/a".to_string(), |(v, b)| format!("~{} in `{}`", scaled(v), b.label))
}

/// The section of one run.
#[derive(Debug, Clone, Serialize)]
pub struct BpftraceSectionCtx {
    pub hists: Vec<HistCtx>,
    /// Scalar map values (all sources).
    pub scalars: Vec<EntryCtx>,
    pub maps: Vec<MapCtx>,
    /// Histograms shared with the baseline (candidate's section only).
    pub comparisons: Vec<CompareCtx>,
    /// The baseline run's name when `comparisons` is set.
    pub baseline: String,
}

/// A histogram, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct HistCtx {
    pub title: String,
    /// ` (<source file>)` when the run has several bpftrace sources, else empty.
    pub source: String,
    pub printings: usize,
    pub total: i64,
    pub p50: String,
    pub p90: String,
    pub p99: String,
    pub buckets: Vec<BucketCtx>,
    /// SVG file name, when drawn.
    pub image: Option<String>,
}

/// A bucket row.
#[derive(Debug, Clone, Serialize)]
pub struct BucketCtx {
    pub label: String,
    pub count: i64,
    pub share: String,
    pub bar: String,
}

/// A map entry.
#[derive(Debug, Clone, Serialize)]
pub struct EntryCtx {
    /// Map name (scalars; with its source file when the run has several) or key, formatted.
    pub name: String,
    pub value: String,
}

/// A keyed map.
#[derive(Debug, Clone, Serialize)]
pub struct MapCtx {
    pub map: String,
    /// ` (<source file>)` when the run has several bpftrace sources, else empty.
    pub source: String,
    pub keys: usize,
    pub entries: Vec<EntryCtx>,
    pub more: usize,
}

/// Baseline vs candidate of one histogram.
#[derive(Debug, Clone, Serialize)]
pub struct CompareCtx {
    pub title: String,
    pub base_total: i64,
    pub cand_total: i64,
    /// (name, baseline, candidate) for p50, p90, p99.
    pub quantiles: Vec<(String, String, String)>,
    pub rows: Vec<DeltaCtx>,
}

/// A bucket of the union of both histograms' buckets.
#[derive(Debug, Clone, Serialize)]
pub struct DeltaCtx {
    pub label: String,
    pub base: i64,
    pub cand: i64,
    pub delta: String,
    pub base_share: String,
    pub cand_share: String,
}

fn share(n: i64, total: i64) -> String {
    if total == 0 {
        return "n/a".to_string();
    }
    format::percent(n as f64 / total as f64, 1)
}

fn file_name(source: &str) -> String {
    Path::new(source).file_name().map_or_else(|| source.to_string(), |n| n.to_string_lossy().to_string())
}

fn hist_ctx(h: &Hist, image: Option<String>) -> HistCtx {
    let total = h.total();
    let max = h.buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    HistCtx {
        title: format::code(&h.title()),
        source: format!(" ({})", file_name(&h.source)),
        printings: h.printings,
        total,
        p50: quantile_cell(&h.buckets, 0.5),
        p90: quantile_cell(&h.buckets, 0.9),
        p99: quantile_cell(&h.buckets, 0.99),
        buckets: h
            .buckets
            .iter()
            .map(|b| {
                // Truncated like bpftrace's own bars (a small non-zero bucket may get none).
                let n = (b.count as u128 * BAR as u128 / max as u128) as usize;
                BucketCtx {
                    label: format::code(&b.label),
                    count: b.count,
                    share: share(b.count, total),
                    bar: if n == 0 { String::new() } else { format!("`{}`", "@".repeat(n)) },
                }
            })
            .collect(),
        image,
    }
}

/// Keyed maps and scalars of a run: the last value of each (source, map, key).
fn maps_ctx(rows: &[BpftraceMapRow], sources: usize) -> (Vec<EntryCtx>, Vec<MapCtx>) {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by: BTreeMap<(String, String), Vec<&BpftraceMapRow>> = BTreeMap::new();
    for r in rows {
        let k = (r.source.clone(), r.map.clone());
        let v = by.entry(k.clone()).or_insert_with(|| {
            order.push(k);
            Vec::new()
        });
        match v.iter_mut().find(|e| e.key == r.key) {
            Some(e) => *e = r,
            None => v.push(r),
        }
    }
    let src = |s: &str| if sources > 1 { format!(" ({})", file_name(s)) } else { String::new() };
    let (mut scalars, mut maps) = (Vec::new(), Vec::new());
    for k in order {
        let mut entries = by.remove(&k).unwrap_or_default();
        if entries.len() == 1 && entries[0].key.is_empty() {
            let e = entries[0];
            let name = format::code(&e.map);
            let name = if sources > 1 { format!("{name} ({})", file_name(&e.source)) } else { name };
            scalars.push(EntryCtx { name, value: format::cell(&e.value_text) });
            continue;
        }
        entries.sort_by(|a, b| {
            let v = |r: &BpftraceMapRow| r.value_f64.unwrap_or(f64::NEG_INFINITY);
            v(b).total_cmp(&v(a)).then_with(|| a.key.cmp(&b.key))
        });
        maps.push(MapCtx {
            map: format::code(&k.1),
            source: src(&k.0),
            keys: entries.len(),
            more: entries.len().saturating_sub(TOP_ENTRIES),
            entries: entries
                .iter()
                .take(TOP_ENTRIES)
                .map(|e| EntryCtx {
                    name: format::code(&e.key.replace('\n', " ← ")),
                    value: format::cell(&e.value_text),
                })
                .collect(),
        });
    }
    (scalars, maps)
}

/// Baseline vs candidate of the same histogram: buckets matched by bounds, in bound order.
pub fn compare(base: &Hist, cand: &Hist) -> CompareCtx {
    // (low, high, label, baseline count, candidate count)
    type Row = (Option<i64>, Option<i64>, String, i64, i64);
    let mut rows: Vec<Row> = Vec::new();
    for (b, is_base) in base.buckets.iter().map(|b| (b, true)).chain(cand.buckets.iter().map(|b| (b, false))) {
        let at = rows.iter().position(|r| (r.0, r.1) == (b.low, b.high));
        let r = match at {
            Some(i) => &mut rows[i],
            None => {
                rows.push((b.low, b.high, b.label.clone(), 0, 0));
                rows.last_mut().expect("just pushed")
            }
        };
        if is_base {
            r.3 += b.count;
        } else {
            r.4 += b.count;
        }
    }
    // (..., x) first, then by low bound.
    rows.sort_by_key(|r| (r.0.is_some(), r.0, r.1.is_none(), r.1));
    let (bt, ct) = (base.total(), cand.total());
    let q = |name: &str, q: f64| (name.to_string(), quantile_cell(&base.buckets, q), quantile_cell(&cand.buckets, q));
    CompareCtx {
        title: format::code(&base.title()),
        base_total: bt,
        cand_total: ct,
        quantiles: vec![q("p50", 0.5), q("p90", 0.9), q("p99", 0.99)],
        rows: rows
            .into_iter()
            .map(|(_, _, label, b, c)| DeltaCtx {
                label: format::code(&label),
                base: b,
                cand: c,
                delta: format!("{:+}", c - b),
                base_share: share(b, bt),
                cand_share: share(c, ct),
            })
            .collect(),
    }
}

fn read<T: Table>(dataset: &Path, run: &str) -> Result<Vec<T>, ReportError> {
    read_table::<T>(dataset, run).map_err(|source| ReportError::Read { table: T::NAME, run: run.to_string(), source })
}

/// The sections of `runs` (baseline first when `compare`), drawing the charts into `out_dir`
/// (`bpftrace-<run>-<n>.svg`, added to `images`). Runs without bpftrace maps get none.
pub fn sections(
    dataset: &Path,
    out_dir: &Path,
    runs: &[RunData],
    compare_runs: bool,
    images: &mut Vec<std::path::PathBuf>,
) -> Result<BTreeMap<String, BpftraceSectionCtx>, ReportError> {
    let mut out = BTreeMap::new();
    let mut base_hists: Option<(String, Vec<Hist>)> = None;
    for (i, run) in runs.iter().enumerate() {
        let hist_rows: Vec<BpftraceHistRow> = read(dataset, &run.name)?;
        let map_rows: Vec<BpftraceMapRow> = read(dataset, &run.name)?;
        let hs = hists(&hist_rows);
        let mut sources: Vec<&str> = hist_rows.iter().map(|r| r.source.as_str()).collect();
        sources.extend(map_rows.iter().map(|r| r.source.as_str()));
        sources.sort_unstable();
        sources.dedup();
        let mut hist_ctxs = Vec::new();
        for (n, h) in hs.iter().enumerate() {
            let mut image = None;
            if h.buckets.iter().filter(|b| b.count > 0).count() >= CHART_BUCKETS {
                let file = format!("bpftrace-{}-{}.svg", run.name, n + 1);
                let path = out_dir.join(&file);
                let svg = chart::hist_svg(&format!("{}: {}", run.name, h.title()), &h.buckets)
                    .map_err(|e| ReportError::Plot { path: path.clone(), message: e.to_string() })?;
                write_atomic(&path, svg.as_bytes())?;
                images.push(path);
                image = Some(file);
            }
            let mut c = hist_ctx(h, image);
            if sources.len() <= 1 {
                c.source = String::new();
            }
            hist_ctxs.push(c);
        }
        let (scalars, maps) = maps_ctx(&map_rows, sources.len());
        let mut comparisons = Vec::new();
        let mut baseline = String::new();
        if let (true, 1, Some((bname, bh))) = (compare_runs, i, &base_hists) {
            baseline = bname.clone();
            for c in &hs {
                if let Some(b) = bh.iter().find(|b| (&b.map, &b.key) == (&c.map, &c.key)) {
                    if !comparisons.iter().any(|x: &CompareCtx| x.title == format::code(&c.title())) {
                        comparisons.push(compare(b, c));
                    }
                }
            }
        }
        if !(hist_ctxs.is_empty() && scalars.is_empty() && maps.is_empty()) {
            out.insert(run.name.clone(), BpftraceSectionCtx { hists: hist_ctxs, scalars, maps, comparisons, baseline });
        }
        if i == 0 {
            base_hists = Some((run.name.clone(), hs));
        }
    }
    Ok(out)
}
