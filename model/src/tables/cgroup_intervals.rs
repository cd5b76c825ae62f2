//! `cgroup_intervals`: one row per cgroup per pair of consecutive samples, derived from
//! `cgroup_samples`.
//!
//! A cgroup is identified by its path; on a hybrid host the files of the same path in every
//! hierarchy (v1 `cpu`, `cpuacct`, `memory`, unified) are read together. Deltas of cumulative
//! counters that went backwards (the cgroup was recreated, a counter wrapped) are null and the
//! row has `counter_reset` set — never negative. Counters absent from either sample are null.
crate::table! {
    /// CPU, throttling, pressure and memory of one cgroup over one sampling interval.
    name = "cgroup_intervals", version = 1;
    pub struct CgroupIntervalRow {
        /// Cgroup path relative to the hierarchy root, `/` for the root cgroup.
        pub cgroup: String,
        /// Clock of `start_ns`/`end_ns` (`wall`).
        pub clock: String,
        /// Time of the interval's first sample, ns.
        pub start_ns: i64,
        /// Time of the interval's second sample, ns.
        pub end_ns: i64,
        /// `end_ns − start_ns`, ns.
        pub duration_ns: i64,
        /// CPU time used in the interval (Δ`cpuacct.usage`, else Δ`cpu.stat usage_usec`), ns.
        pub cpu_used_ns: Option<i64>,
        /// Mean CPU used over the interval, cores (`cpu_used_ns / duration_ns`).
        pub cpu_used_cores: Option<f64>,
        /// CFS quota at the interval's end (`cpu.max` `$MAX`, v1 `cpu.cfs_quota_us`), ns per
        /// period; null when unlimited or not captured.
        pub cpu_quota_ns: Option<i64>,
        /// CFS period at the interval's end (`cpu.max` `$PERIOD`, v1 `cpu.cfs_period_us`), ns.
        pub cpu_period_ns: Option<i64>,
        /// Burst allowance (`cpu.max.burst`, v1 `cpu.cfs_burst_us`), ns per period.
        pub cpu_burst_ns: Option<i64>,
        /// CPU limit, cores (quota / period); null when unlimited or not captured.
        pub cpu_limit_cores: Option<f64>,
        /// Share of the limit used, fraction (`cpu_used_cores / cpu_limit_cores`; 1.0 = at quota).
        pub cpu_limit_utilisation: Option<f64>,
        /// Enforcement periods that elapsed (Δ`nr_periods`), count.
        pub periods: Option<i64>,
        /// Periods in which the group was throttled (Δ`nr_throttled`), count.
        pub throttled_periods: Option<i64>,
        /// Throttled periods / periods, fraction; null when no period elapsed.
        pub throttled_ratio: Option<f64>,
        /// Throttled time (Δ`throttled_usec`·1000, v1 Δ`throttled_time`), ns. Summed over
        /// per-CPU runqueues by the kernel, so it can exceed `duration_ns`.
        pub throttled_ns: Option<i64>,
        /// Periods that used burst (Δ`nr_bursts`), count.
        pub bursts: Option<i64>,
        /// Burst time used (Δ`burst_usec`·1000, v1 Δ`burst_time`), ns.
        pub burst_used_ns: Option<i64>,
        /// CPU pressure `some`: Δtotal / duration, fraction of the interval in which some task
        /// waited for CPU (may exceed 1 slightly: sample times are taken around the reads).
        pub psi_cpu_some: Option<f64>,
        /// CPU pressure `full`: Δtotal / duration, fraction.
        pub psi_cpu_full: Option<f64>,
        /// Memory pressure `some`: Δtotal / duration, fraction.
        pub psi_memory_some: Option<f64>,
        /// Memory pressure `full`: Δtotal / duration, fraction.
        pub psi_memory_full: Option<f64>,
        /// IO pressure `some`: Δtotal / duration, fraction.
        pub psi_io_some: Option<f64>,
        /// IO pressure `full`: Δtotal / duration, fraction.
        pub psi_io_full: Option<f64>,
        /// Memory charged at the interval's end (`memory.current`, v1 `memory.usage_in_bytes`), bytes.
        pub memory_current_bytes: Option<i64>,
        /// Working set at the interval's end: current − inactive file (v1 `total_inactive_file`), bytes.
        pub memory_working_set_bytes: Option<i64>,
        /// Memory limit at the interval's end (`memory.max`, v1 `memory.limit_in_bytes`), bytes;
        /// null when unlimited or not captured.
        pub memory_limit_bytes: Option<i64>,
        /// Limit − working set, bytes (negative when over the limit).
        pub memory_headroom_bytes: Option<i64>,
        /// OOM kills in the interval (Δ`memory.events oom_kill`, v1 `memory.oom_control oom_kill`), count.
        pub oom_kills: Option<i64>,
        /// True when a cumulative counter went backwards in this interval (its delta is null).
        pub counter_reset: bool,
    }
}
/// Table name.
pub const NAME: &str = "cgroup_intervals";
