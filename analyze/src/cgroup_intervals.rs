//! `cgroup_intervals` from `cgroup_samples`: per cgroup, per pair of consecutive samples, CPU
//! used against the limit, throttling, pressure and memory headroom; and a per-cgroup summary
//! of a run that tells quota throttling from CPU contention.
//!
//! A cgroup is its path: on a hybrid host the same path in the v1 `cpu`, `cpuacct`, `memory`
//! hierarchies and in the unified one is one cgroup. Sources of each figure, first found wins:
//! - CPU used: v1 `cpuacct.usage` (ns), else v2 `cpu.stat usage_usec`;
//! - periods / throttling / bursts: the `cpu.stat` that has `nr_periods` (v2 µs keys, v1 ns keys);
//! - limit: v2 `cpu.max` (+ `cpu.max.burst`), v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`
//!   (+ `cpu.cfs_burst_us`), as of the interval's end;
//! - pressure: `{cpu,memory,io}.pressure` `some.total`/`full.total` (µs);
//! - memory: v2 `memory.current`/`memory.max`/`memory.stat inactive_file`/`memory.events
//!   oom_kill`; v1 `memory.usage_in_bytes`/`memory.limit_in_bytes`/`memory.stat
//!   total_inactive_file`/`memory.oom_control oom_kill`.
//!
//! Deltas of cumulative counters that go backwards are null and flag `counter_reset`.
//! Pure functions; nothing here reads files.

use std::collections::BTreeMap;

use model::tables::cgroup_intervals::CgroupIntervalRow;
use model::tables::cgroup_samples::CgroupSampleRow;

/// A run is quota-throttled when at least this share of its enforcement periods was throttled.
pub const QUOTA_THROTTLED_RATIO: f64 = 0.20;
/// A run is CPU-contended when, in its active intervals, tasks waited for CPU (PSI `some`) at
/// least this share of the time without being throttled.
pub const CONTENTION_PSI_SHARE: f64 = 0.10;
/// An interval is active when the cgroup used at least this many cores or periods elapsed.
pub const ACTIVE_CORES: f64 = 0.01;
/// How many worst intervals a summary keeps.
pub const WORST_INTERVALS: usize = 5;

/// A limit as read: a value, or "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Value(i64),
    Unlimited,
}

/// Throttling counters of one `cpu.stat`, in ns.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Throttle {
    periods: Option<i64>,
    throttled: Option<i64>,
    throttled_ns: Option<i64>,
    bursts: Option<i64>,
    burst_ns: Option<i64>,
}

/// What one sample says about one cgroup.
#[derive(Debug, Clone, Default, PartialEq)]
struct Snap {
    usage_v1_ns: Option<i64>,
    usage_v2_ns: Option<i64>,
    v1: Throttle,
    v2: Throttle,
    quota_us: Option<Limit>,
    period_us: Option<i64>,
    burst_us: Option<i64>,
    /// [cpu, memory, io] × [some, full] totals, µs.
    psi_us: [[Option<i64>; 2]; 3],
    mem_current: Option<i64>,
    inactive_file: Option<i64>,
    mem_limit: Option<Limit>,
    oom_kill: Option<i64>,
}

fn us_to_ns(v: Option<i64>) -> Option<i64> {
    v.and_then(|v| v.checked_mul(1000))
}

impl Snap {
    fn absorb(&mut self, r: &CgroupSampleRow) {
        let v1 = r.hierarchy.starts_with("v1");
        let int = r.value_i64;
        let limit = if r.unlimited { Some(Limit::Unlimited) } else { int.map(Limit::Value) };
        match (r.file.as_str(), r.key.as_str()) {
            ("cpuacct.usage", "") => self.usage_v1_ns = int,
            ("cpu.stat", key) => {
                let t = if v1 { &mut self.v1 } else { &mut self.v2 };
                match key {
                    "usage_usec" if !v1 => self.usage_v2_ns = us_to_ns(int),
                    "nr_periods" => t.periods = int,
                    "nr_throttled" => t.throttled = int,
                    "throttled_usec" => t.throttled_ns = us_to_ns(int),
                    "throttled_time" => t.throttled_ns = int,
                    "nr_bursts" => t.bursts = int,
                    "burst_usec" => t.burst_ns = us_to_ns(int),
                    "burst_time" => t.burst_ns = int,
                    _ => {}
                }
            }
            ("cpu.max", "max") | ("cpu.cfs_quota_us", "") => self.quota_us = limit,
            ("cpu.max", "period") | ("cpu.cfs_period_us", "") => self.period_us = int,
            ("cpu.max.burst", "") | ("cpu.cfs_burst_us", "") => self.burst_us = int,
            ("memory.current", "") | ("memory.usage_in_bytes", "") => self.mem_current = int,
            ("memory.max", "") | ("memory.limit_in_bytes", "") => self.mem_limit = limit,
            ("memory.stat", "inactive_file") if !v1 => self.inactive_file = int,
            ("memory.stat", "total_inactive_file") if v1 => self.inactive_file = int,
            ("memory.events", "oom_kill") | ("memory.oom_control", "oom_kill") => self.oom_kill = int,
            (file, key) => {
                let res = match file {
                    "cpu.pressure" => 0,
                    "memory.pressure" => 1,
                    "io.pressure" => 2,
                    _ => return,
                };
                let kind = match key {
                    "some.total" => 0,
                    "full.total" => 1,
                    _ => return,
                };
                self.psi_us[res][kind] = int;
            }
        }
    }

    fn usage_ns(&self, other: &Snap) -> (Option<i64>, Option<i64>) {
        if self.usage_v1_ns.is_some() && other.usage_v1_ns.is_some() {
            (self.usage_v1_ns, other.usage_v1_ns)
        } else {
            (self.usage_v2_ns, other.usage_v2_ns)
        }
    }

    fn throttle(&self, other: &Snap) -> (Throttle, Throttle) {
        if self.v2.periods.is_some() && other.v2.periods.is_some() {
            (self.v2, other.v2)
        } else {
            (self.v1, other.v1)
        }
    }
}

/// Δ of a cumulative counter: null when either side is missing; null and a reset when it went
/// backwards.
fn delta(a: Option<i64>, b: Option<i64>, reset: &mut bool) -> Option<i64> {
    let d = b?.checked_sub(a?)?;
    if d < 0 {
        *reset = true;
        None
    } else {
        Some(d)
    }
}

/// Groups samples by (clock, cgroup) and time; rows without a time are left out.
fn snapshots(samples: &[CgroupSampleRow]) -> BTreeMap<(String, String), BTreeMap<i64, Snap>> {
    let mut by: BTreeMap<(String, String), BTreeMap<i64, Snap>> = BTreeMap::new();
    for r in samples {
        let Some(t) = r.time_ns else { continue };
        let cg = match by.get_mut(&(r.clock.clone(), r.cgroup.clone())) {
            Some(m) => m,
            None => by.entry((r.clock.clone(), r.cgroup.clone())).or_default(),
        };
        cg.entry(t).or_default().absorb(r);
    }
    by
}

/// One interval row from two consecutive snapshots.
fn interval(clock: &str, cgroup: &str, (t0, a): (i64, &Snap), (t1, b): (i64, &Snap)) -> CgroupIntervalRow {
    let dur = t1 - t0;
    let mut reset = false;
    let share = |d: Option<i64>| d.map(|d| d as f64 * 1000.0 / dur as f64);
    let (ua, ub) = a.usage_ns(b);
    let cpu_used_ns = delta(ua, ub, &mut reset);
    let cpu_used_cores = cpu_used_ns.map(|u| u as f64 / dur as f64);
    let quota_ns = match b.quota_us {
        Some(Limit::Value(q)) if q >= 0 => us_to_ns(Some(q)),
        _ => None,
    };
    let period_ns = us_to_ns(b.period_us);
    let cpu_limit_cores = match (quota_ns, period_ns) {
        (Some(q), Some(p)) if p > 0 => Some(q as f64 / p as f64),
        _ => None,
    };
    let (ta, tb) = a.throttle(b);
    let periods = delta(ta.periods, tb.periods, &mut reset);
    let throttled_periods = delta(ta.throttled, tb.throttled, &mut reset);
    let throttled_ratio = match (periods, throttled_periods) {
        (Some(p), Some(t)) if p > 0 => Some(t as f64 / p as f64),
        _ => None,
    };
    let mut psi = [[None; 2]; 3];
    for (res, row) in psi.iter_mut().enumerate() {
        for (kind, cell) in row.iter_mut().enumerate() {
            *cell = share(delta(a.psi_us[res][kind], b.psi_us[res][kind], &mut reset));
        }
    }
    let working_set = match (b.mem_current, b.inactive_file) {
        (Some(c), Some(i)) => Some((c - i).max(0)),
        _ => None,
    };
    let memory_limit_bytes = match b.mem_limit {
        Some(Limit::Value(v)) => Some(v),
        _ => None,
    };
    CgroupIntervalRow {
        cgroup: cgroup.to_string(),
        clock: clock.to_string(),
        start_ns: t0,
        end_ns: t1,
        duration_ns: dur,
        cpu_used_ns,
        cpu_used_cores,
        cpu_quota_ns: quota_ns,
        cpu_period_ns: period_ns,
        cpu_burst_ns: us_to_ns(b.burst_us),
        cpu_limit_cores,
        cpu_limit_utilisation: match (cpu_used_cores, cpu_limit_cores) {
            (Some(u), Some(l)) if l > 0.0 => Some(u / l),
            _ => None,
        },
        periods,
        throttled_periods,
        throttled_ratio,
        throttled_ns: delta(ta.throttled_ns, tb.throttled_ns, &mut reset),
        bursts: delta(ta.bursts, tb.bursts, &mut reset),
        burst_used_ns: delta(ta.burst_ns, tb.burst_ns, &mut reset),
        psi_cpu_some: psi[0][0],
        psi_cpu_full: psi[0][1],
        psi_memory_some: psi[1][0],
        psi_memory_full: psi[1][1],
        psi_io_some: psi[2][0],
        psi_io_full: psi[2][1],
        memory_current_bytes: b.mem_current,
        memory_working_set_bytes: working_set,
        memory_limit_bytes,
        memory_headroom_bytes: match (memory_limit_bytes, working_set) {
            (Some(l), Some(w)) => l.checked_sub(w),
            _ => None,
        },
        oom_kills: delta(a.oom_kill, b.oom_kill, &mut reset),
        counter_reset: reset,
    }
}

/// Interval rows of all cgroups, ordered by clock, cgroup and start time.
pub fn derive_intervals(samples: &[CgroupSampleRow]) -> Vec<CgroupIntervalRow> {
    let mut out = Vec::new();
    for ((clock, cgroup), snaps) in snapshots(samples) {
        let v: Vec<(i64, &Snap)> = snaps.iter().map(|(t, s)| (*t, s)).collect();
        for w in v.windows(2) {
            out.push(interval(&clock, &cgroup, w[0], w[1]));
        }
    }
    out
}

/// Why a cgroup's CPU was short, over a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuVerdict {
    /// The CFS quota throttled the group: a larger limit (or less parallelism) helps.
    QuotaThrottled,
    /// Tasks waited for CPU (high PSI `some`) but the quota did not throttle: the host (or a
    /// parent cgroup) is short of CPU — a larger quota will not help.
    Contention,
    /// Neither throttled nor waiting notably.
    Unconstrained,
    /// Neither throttling counters nor CPU pressure were captured.
    Unknown,
}

impl CpuVerdict {
    /// Stable name for tables and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CpuVerdict::QuotaThrottled => "quota_throttled",
            CpuVerdict::Contention => "contention",
            CpuVerdict::Unconstrained => "unconstrained",
            CpuVerdict::Unknown => "unknown",
        }
    }
}

/// A run of one cgroup, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupRunSummary {
    /// Cgroup path.
    pub cgroup: String,
    /// Clock of the times.
    pub clock: String,
    /// Intervals.
    pub intervals: usize,
    /// First sample time, ns.
    pub start_ns: i64,
    /// Last sample time, ns.
    pub end_ns: i64,
    /// CPU limit at the end, cores (null: unlimited or not captured).
    pub cpu_limit_cores: Option<f64>,
    /// Whether the limit changed during the run.
    pub cpu_limit_changed: bool,
    /// Total CPU used, ns (sum of non-null interval deltas).
    pub cpu_used_ns: i64,
    /// Mean CPU used over the intervals with a usage delta, cores.
    pub cpu_used_mean_cores: Option<f64>,
    /// Highest interval CPU use, cores.
    pub cpu_used_peak_cores: Option<f64>,
    /// Mean CPU used over active intervals, cores.
    pub cpu_used_active_mean_cores: Option<f64>,
    /// Wall time of active intervals (CPU used or periods elapsed), ns.
    pub active_ns: i64,
    /// Enforcement periods elapsed, count.
    pub periods: i64,
    /// Throttled periods, count.
    pub throttled_periods: i64,
    /// Throttled / elapsed periods, fraction; null without periods.
    pub throttled_ratio: Option<f64>,
    /// Throttled time, ns (kernel sum over CPUs: may exceed wall time).
    pub throttled_ns: i64,
    /// Intervals with at least one throttled period.
    pub throttled_intervals: usize,
    /// Wall time of intervals with at least one throttled period, ns.
    pub throttled_interval_ns: i64,
    /// CPU pressure `some` over the whole run, fraction of wall time.
    pub psi_cpu_some: Option<f64>,
    /// CPU pressure `some` over active intervals, fraction of their wall time.
    pub psi_cpu_some_active: Option<f64>,
    /// CPU pressure `full` over active intervals, fraction.
    pub psi_cpu_full_active: Option<f64>,
    /// Peak working set, bytes.
    pub memory_working_set_peak_bytes: Option<i64>,
    /// Smallest memory headroom seen, bytes.
    pub memory_headroom_min_bytes: Option<i64>,
    /// OOM kills, count.
    pub oom_kills: i64,
    /// Intervals with a counter reset.
    pub counter_resets: usize,
    /// The worst intervals: most throttled time, then most CPU pressure, then most CPU used.
    pub worst_intervals: Vec<CgroupIntervalRow>,
    /// Quota, contention, neither.
    pub verdict: CpuVerdict,
}

/// Whether an interval is active (the group ran or wanted to).
pub fn is_active(r: &CgroupIntervalRow) -> bool {
    r.cpu_used_cores.is_some_and(|c| c >= ACTIVE_CORES) || r.periods.is_some_and(|p| p > 0)
}

/// Time-weighted mean of a per-interval share over `rows` (intervals with the share).
fn weighted(rows: &[&CgroupIntervalRow], f: impl Fn(&CgroupIntervalRow) -> Option<f64>) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for r in rows {
        if let Some(v) = f(r) {
            num += v * r.duration_ns as f64;
            den += r.duration_ns as f64;
        }
    }
    (den > 0.0).then(|| num / den)
}

/// Classifies a run: quota-throttled when `throttled_ratio ≥ QUOTA_THROTTLED_RATIO`; else
/// contention when active-interval CPU pressure `some ≥ CONTENTION_PSI_SHARE`; else
/// unconstrained; unknown without periods and pressure.
pub fn classify(throttled_ratio: Option<f64>, psi_cpu_some_active: Option<f64>) -> CpuVerdict {
    match (throttled_ratio, psi_cpu_some_active) {
        (Some(r), _) if r >= QUOTA_THROTTLED_RATIO => CpuVerdict::QuotaThrottled,
        (_, Some(p)) if p >= CONTENTION_PSI_SHARE => CpuVerdict::Contention,
        (None, None) => CpuVerdict::Unknown,
        _ => CpuVerdict::Unconstrained,
    }
}

/// Summaries per (clock, cgroup) of interval rows as [`derive_intervals`] orders them.
pub fn summarize(intervals: &[CgroupIntervalRow]) -> Vec<CgroupRunSummary> {
    let mut groups: BTreeMap<(&str, &str), Vec<&CgroupIntervalRow>> = BTreeMap::new();
    for r in intervals {
        groups.entry((r.clock.as_str(), r.cgroup.as_str())).or_default().push(r);
    }
    groups.into_iter().map(|((clock, cgroup), rows)| summarize_one(clock, cgroup, &rows)).collect()
}

fn summarize_one(clock: &str, cgroup: &str, rows: &[&CgroupIntervalRow]) -> CgroupRunSummary {
    let sum = |f: &dyn Fn(&CgroupIntervalRow) -> Option<i64>| rows.iter().filter_map(|r| f(r)).sum::<i64>();
    let used_rows: Vec<&&CgroupIntervalRow> = rows.iter().filter(|r| r.cpu_used_ns.is_some()).collect();
    let cpu_used_ns = sum(&|r| r.cpu_used_ns);
    let used_dur: i64 = used_rows.iter().map(|r| r.duration_ns).sum();
    let active: Vec<&CgroupIntervalRow> = rows.iter().copied().filter(|r| is_active(r)).collect();
    let active_ns: i64 = active.iter().map(|r| r.duration_ns).sum();
    let active_used: i64 = active.iter().filter_map(|r| r.cpu_used_ns).sum();
    let periods = sum(&|r| r.periods);
    let throttled_periods = sum(&|r| r.throttled_periods);
    let have_periods = rows.iter().any(|r| r.periods.is_some());
    let throttled_ratio = (have_periods && periods > 0).then(|| throttled_periods as f64 / periods as f64);
    let throttled: Vec<&&CgroupIntervalRow> =
        rows.iter().filter(|r| r.throttled_periods.is_some_and(|t| t > 0)).collect();
    let psi_active = if active.is_empty() { rows.to_vec() } else { active.clone() };
    let psi_cpu_some_active = weighted(&psi_active, |r| r.psi_cpu_some);
    let limits: Vec<Option<f64>> = rows.iter().map(|r| r.cpu_limit_cores).collect();
    let mut worst: Vec<CgroupIntervalRow> = rows.iter().map(|r| (*r).clone()).collect();
    worst.sort_by(|a, b| {
        let key = |r: &CgroupIntervalRow| {
            (r.throttled_ns.unwrap_or(0), r.psi_cpu_some.unwrap_or(0.0), r.cpu_used_cores.unwrap_or(0.0))
        };
        let (ka, kb) = (key(a), key(b));
        kb.0.cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then(kb.2.total_cmp(&ka.2)).then(a.start_ns.cmp(&b.start_ns))
    });
    worst.truncate(WORST_INTERVALS);
    CgroupRunSummary {
        cgroup: cgroup.to_string(),
        clock: clock.to_string(),
        intervals: rows.len(),
        start_ns: rows.first().map_or(0, |r| r.start_ns),
        end_ns: rows.last().map_or(0, |r| r.end_ns),
        cpu_limit_cores: limits.last().copied().flatten(),
        cpu_limit_changed: limits.windows(2).any(|w| w[0] != w[1]),
        cpu_used_ns,
        cpu_used_mean_cores: (used_dur > 0).then(|| cpu_used_ns as f64 / used_dur as f64),
        cpu_used_peak_cores: rows.iter().filter_map(|r| r.cpu_used_cores).reduce(f64::max),
        cpu_used_active_mean_cores: (active_ns > 0).then(|| active_used as f64 / active_ns as f64),
        active_ns,
        periods,
        throttled_periods,
        throttled_ratio,
        throttled_ns: sum(&|r| r.throttled_ns),
        throttled_intervals: throttled.len(),
        throttled_interval_ns: throttled.iter().map(|r| r.duration_ns).sum(),
        psi_cpu_some: weighted(rows, |r| r.psi_cpu_some),
        psi_cpu_some_active,
        psi_cpu_full_active: weighted(&psi_active, |r| r.psi_cpu_full),
        memory_working_set_peak_bytes: rows.iter().filter_map(|r| r.memory_working_set_bytes).max(),
        memory_headroom_min_bytes: rows.iter().filter_map(|r| r.memory_headroom_bytes).min(),
        oom_kills: sum(&|r| r.oom_kills),
        counter_resets: rows.iter().filter(|r| r.counter_reset).count(),
        worst_intervals: worst,
        verdict: classify(throttled_ratio, psi_cpu_some_active),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: i64, file: &str, key: &str, v: i64) -> CgroupSampleRow {
        CgroupSampleRow {
            clock: "wall".into(),
            time_ns: Some(t),
            hierarchy: "v2".into(),
            cgroup: "/a".into(),
            file: file.into(),
            key: key.into(),
            value_i64: Some(v),
            ..Default::default()
        }
    }

    #[test]
    fn reset_is_flagged_never_negative() {
        let s = [row(0, "cpu.stat", "usage_usec", 100), row(1_000, "cpu.stat", "usage_usec", 50)];
        let iv = derive_intervals(&s);
        assert_eq!(iv.len(), 1);
        assert_eq!((iv[0].cpu_used_ns, iv[0].counter_reset), (None, true));
    }

    #[test]
    fn classification() {
        assert_eq!(classify(Some(0.96), Some(0.9)), CpuVerdict::QuotaThrottled);
        assert_eq!(classify(Some(0.01), Some(0.9)), CpuVerdict::Contention);
        assert_eq!(classify(Some(0.01), Some(0.01)), CpuVerdict::Unconstrained);
        assert_eq!(classify(None, Some(0.5)), CpuVerdict::Contention);
        assert_eq!(classify(None, None), CpuVerdict::Unknown);
    }
}
