//! Loading one run's tables from the dataset (arrow-rs via `model::read`).

use std::path::Path;

use model::read::read_table;
use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::clock_offsets::ClockOffsetRow;
use model::tables::gc_cgroup_overlap::GcCgroupOverlapRow;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_mmu::GcMmuRow;
use model::tables::gc_pause_stats::GcPauseStatsRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::gc_run_summary::GcRunSummaryRow;
use model::tables::ingest_log::IngestLogRow;
use model::tables::runs::SourceRow;
use model::tables::safepoints::SafepointRow;
use model::Table;

use crate::ReportError;

/// Everything the report shows of one run.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub name: String,
    pub sources: Vec<SourceRow>,
    pub ingest: Vec<IngestLogRow>,
    pub offsets: Vec<ClockOffsetRow>,
    pub pauses: Vec<GcPauseRow>,
    pub cycles: Vec<GcCycleRow>,
    pub safepoints: Vec<SafepointRow>,
    pub stats: Vec<GcPauseStatsRow>,
    pub summary: Option<GcRunSummaryRow>,
    pub mmu: Vec<GcMmuRow>,
    /// `cgroup_intervals`, sorted by cgroup, then start.
    pub cgroup_intervals: Vec<CgroupIntervalRow>,
    /// `gc_cgroup_overlap`, sorted by cgroup.
    pub cgroup_overlap: Vec<GcCgroupOverlapRow>,
}

fn read<T: Table>(dataset: &Path, run: &str) -> Result<Vec<T>, ReportError> {
    read_table::<T>(dataset, run).map_err(|source| ReportError::Read { table: T::NAME, run: run.to_string(), source })
}

impl RunData {
    /// Reads all tables of `run`; missing tables read as empty.
    pub fn load(dataset: &Path, run: &str) -> Result<Self, ReportError> {
        let mut mmu: Vec<GcMmuRow> = read(dataset, run)?;
        mmu.sort_by_key(|m| m.window_ns);
        let mut cgroup_intervals: Vec<CgroupIntervalRow> = read(dataset, run)?;
        cgroup_intervals.sort_by(|a, b| a.cgroup.cmp(&b.cgroup).then(a.start_ns.cmp(&b.start_ns)));
        let mut cgroup_overlap: Vec<GcCgroupOverlapRow> = read(dataset, run)?;
        cgroup_overlap.sort_by(|a, b| a.cgroup.cmp(&b.cgroup));
        Ok(Self {
            name: run.to_string(),
            sources: read(dataset, run)?,
            ingest: read(dataset, run)?,
            offsets: read(dataset, run)?,
            pauses: read(dataset, run)?,
            cycles: read(dataset, run)?,
            safepoints: read(dataset, run)?,
            stats: read(dataset, run)?,
            summary: read::<GcRunSummaryRow>(dataset, run)?.into_iter().next(),
            mmu,
            cgroup_intervals,
            cgroup_overlap,
        })
    }

    /// Per-collector statistics rows (`pause_kind` and `cause` null).
    pub fn collector_stats(&self) -> Vec<&GcPauseStatsRow> {
        self.stats.iter().filter(|s| s.pause_kind.is_none() && s.cause.is_none()).collect()
    }

    /// Collectors of the run: from `gc_run_summary`, else the statistics, else the pauses.
    pub fn collectors(&self) -> Vec<String> {
        if let Some(s) = &self.summary {
            let list: Vec<String> =
                s.collectors.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
            if !list.is_empty() {
                return list;
            }
        }
        let mut list: Vec<String> = self.collector_stats().iter().map(|s| s.collector.clone()).collect();
        if list.is_empty() {
            list = self.pauses.iter().map(|p| p.collector.clone()).collect();
        }
        list.sort();
        list.dedup();
        list
    }

    /// The run's labels (`k=v;k=v` in `runs.labels`), as pairs, in the order given.
    pub fn labels(&self) -> Vec<(String, String)> {
        let Some(first) = self.sources.first() else {
            return Vec::new();
        };
        first
            .labels
            .split(';')
            .map(str::trim)
            .filter(|kv| !kv.is_empty())
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                None => (kv.to_string(), String::new()),
            })
            .collect()
    }

    /// When the run was ingested (earliest source), ns since the Unix epoch.
    pub fn ingested_at_ns(&self) -> Option<i64> {
        self.sources.iter().map(|s| s.ingested_at_ns).min()
    }
}

/// Start of a pause on its clock: `start_ns`, else `end_ns − duration_ns`.
pub fn pause_start(p: &GcPauseRow) -> Option<i64> {
    p.start_ns.or_else(|| p.end_ns.map(|e| e - p.duration_ns))
}

/// Offset from `clock` to wall time (`wall_ns = t_ns + offset`): 0 for `wall`, else the run's
/// `clock_offsets` row, else `None`.
pub fn wall_offset(run: &RunData, clock: &str) -> Option<i64> {
    if clock == model::tables::clock::WALL {
        return Some(0);
    }
    run.offsets.iter().find(|o| o.clock == clock).map(|o| o.offset_ns)
}

/// Nearest-rank percentile of sorted values: `sorted[ceil(q·n) − 1]` (q in 0..=1).
pub fn nearest_rank(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // The small epsilon keeps float noise in q·n (e.g. 99.00000000000001) from moving the rank.
    let rank = (q * n as f64 - 1e-9).ceil().max(1.0) as usize;
    Some(sorted[rank.min(n) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_definition() {
        let v = [10, 20, 30, 40];
        assert_eq!(nearest_rank(&v, 0.25), Some(10));
        assert_eq!(nearest_rank(&v, 0.5), Some(20));
        assert_eq!(nearest_rank(&v, 0.6), Some(30));
        assert_eq!(nearest_rank(&v, 0.9), Some(40));
        assert_eq!(nearest_rank(&v, 0.0), Some(10));
        assert_eq!(nearest_rank(&v, 1.0), Some(40));
        assert_eq!(nearest_rank(&[], 0.5), None);
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 0.99), Some(99));
        assert_eq!(nearest_rank(&hundred, 0.999), Some(100));
    }

    #[test]
    fn labels_parse() {
        let run = RunData {
            sources: vec![SourceRow { labels: "jdk=17; gc=G1;flag".into(), ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(
            run.labels(),
            vec![("jdk".into(), "17".into()), ("gc".into(), "G1".into()), ("flag".into(), String::new())]
        );
    }
}
