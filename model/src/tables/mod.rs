//! Every table of the dataset, one file each. Column names live here and nowhere else.
//!
//! Clocks: an event row keeps its source's own timestamp in `*_ns` columns plus a `clock` column
//! naming that clock (see [`clock`]); `clock_offsets` maps each clock of a run to wall time.

pub mod bpftrace_hist;
pub mod bpftrace_lines;
pub mod bpftrace_maps;
pub mod cgroup_intervals;
pub mod cgroup_samples;
pub mod clock;
pub mod clock_offsets;
pub mod epoll_calls;
pub mod epoll_ready;
pub mod epoll_windows;
pub mod gc_cgroup_overlap;
pub mod gc_cycles;
pub mod gc_mmu;
pub mod gc_pause_stats;
pub mod gc_pauses;
pub mod gc_run_summary;
pub mod ingest_log;
pub mod lost_events;
pub mod perf_frames;
pub mod perf_gc_functions;
pub mod perf_gc_samples;
pub mod perf_gc_windows;
pub mod perf_meta;
pub mod perf_samples;
pub mod perf_stacks;
pub mod perf_threads;
pub mod perf_top_functions;
pub mod runs;
pub mod safepoints;

/// Names of all tables ingest writes.
pub const INGEST_TABLES: &[&str] = &[
    runs::NAME,
    ingest_log::NAME,
    clock_offsets::NAME,
    gc_pauses::NAME,
    gc_cycles::NAME,
    safepoints::NAME,
    cgroup_samples::NAME,
    bpftrace_lines::NAME,
    bpftrace_maps::NAME,
    bpftrace_hist::NAME,
    lost_events::NAME,
    epoll_calls::NAME,
    epoll_ready::NAME,
    perf_samples::NAME,
    perf_stacks::NAME,
    perf_frames::NAME,
    perf_threads::NAME,
    perf_meta::NAME,
];

/// Names of all tables `analyze` writes.
pub const ANALYSIS_TABLES: &[&str] = &[
    gc_pause_stats::NAME,
    gc_run_summary::NAME,
    gc_mmu::NAME,
    cgroup_intervals::NAME,
    gc_cgroup_overlap::NAME,
    perf_top_functions::NAME,
    perf_gc_windows::NAME,
    perf_gc_samples::NAME,
    perf_gc_functions::NAME,
    epoll_windows::NAME,
];

/// One table of the dataset, as documented in `DATASET.md`.
#[derive(Debug, Clone)]
pub struct TableInfo {
    /// Directory name.
    pub name: &'static str,
    /// Schema version.
    pub version: u32,
    /// Arrow schema.
    pub schema: arrow::datatypes::SchemaRef,
    /// Columns stored DELTA_BINARY_PACKED (no dictionary).
    pub delta: &'static [&'static str],
    /// Columns written without min/max statistics (values in no order, or one per file).
    pub no_stats: &'static [&'static str],
    /// Columns written plain, with no dictionary (values that seldom repeat).
    pub no_dict: &'static [&'static str],
    /// One-line description.
    pub desc: &'static str,
    /// The stage that writes it (`ingest` or `analyze`).
    pub by: &'static str,
}

/// Every table.
pub fn all() -> Vec<TableInfo> {
    use crate::Table;
    fn t<T: Table>(desc: &'static str, by: &'static str) -> TableInfo {
        TableInfo {
            name: T::NAME,
            version: T::VERSION,
            schema: T::schema(),
            delta: T::DELTA_COLUMNS,
            no_stats: T::NO_STATS_COLUMNS,
            no_dict: T::NO_DICT_COLUMNS,
            desc,
            by,
        }
    }
    vec![
        t::<runs::SourceRow>("one row per source file of the run: path, size, SHA-256, detected format, tool version, labels", "ingest"),
        t::<ingest_log::IngestLogRow>("what happened to every line of every source: per source a `total` row (read = parsed + skipped), then one row per skip reason with examples", "ingest"),
        t::<clock_offsets::ClockOffsetRow>("how each clock of the run maps to wall time (`wall_ns = t_ns + offset_ns`)", "ingest"),
        t::<gc_pauses::GcPauseRow>("one row per stop-the-world GC pause (JVM, Go: two per cycle)", "ingest"),
        t::<gc_cycles::GcCycleRow>("one row per GC cycle, stop-the-world or concurrent", "ingest"),
        t::<safepoints::SafepointRow>("one row per JVM safepoint", "ingest"),
        t::<gc_pause_stats::GcPauseStatsRow>("pause statistics per collector, collector × kind, collector × cause; nearest-rank percentiles", "analyze"),
        t::<gc_run_summary::GcRunSummaryRow>("one row per run: throughput, full GCs, allocation rate, MMU", "analyze"),
        t::<gc_mmu::GcMmuRow>("minimum mutator utilisation curve per run", "analyze"),
        t::<cgroup_samples::CgroupSampleRow>("one row per value read from a cgroup file (v2 or v1), raw, as observed: time, cgroup, hierarchy, file, key, value, unit", "ingest"),
        t::<gc_cgroup_overlap::GcCgroupOverlapRow>("per run and cgroup: GC pauses in CPU-throttled intervals vs the others, and GC parallelism vs the CPU limit", "analyze"),
        t::<cgroup_intervals::CgroupIntervalRow>("one row per cgroup per sampling interval: CPU used vs limit, throttling, pressure, memory headroom", "analyze"),
        t::<bpftrace_lines::BpftraceLineRow>("bpftrace output lines that are not map dumps (printf, time, attach, stderr, JSON records), verbatim with parsed fields", "ingest"),
        t::<bpftrace_maps::BpftraceMapRow>("one row per bpftrace map entry printed (scalar, keyed, stats): map, key, value", "ingest"),
        t::<bpftrace_hist::BpftraceHistRow>("one row per bucket of a bpftrace hist()/lhist(): map, key, low (inclusive), high (exclusive), count", "ingest"),
        t::<lost_events::LostEventsRow>("events bpftrace reports as lost", "ingest"),
        t::<perf_samples::PerfSampleRow>("one row per perf sample: time, comm, pid, tid, cpu, event, period, stack id (frame-less samples kept, stack 0)", "ingest"),
        t::<perf_stacks::PerfStackRow>("deduplicated perf call stacks: one row per stack, its frame ids leaf first", "ingest"),
        t::<perf_frames::PerfFrameRow>("deduplicated perf frames: function, dso, address, kind (kernel/user/jit/unknown), inlined", "ingest"),
        t::<perf_threads::PerfThreadRow>("perf.data thread names over time: one row per (thread, name period) from COMM/FORK/EXIT records, on the samples' clock", "ingest"),
        t::<perf_meta::PerfMetaRow>("perf.data header metadata as key/value rows: host, os release, perf version, cmdline, cpus, per-event attributes (sample_type, freq/period, clockid), build-ids", "ingest"),
        t::<perf_top_functions::PerfTopFunctionRow>("per event and function (+ dso): self (leaf) and total (anywhere in the stack, once per sample) samples, percent of the event's samples, and periods", "analyze"),
        t::<perf_gc_windows::PerfGcWindowRow>("GC pauses placed on the perf samples' clock: per pause, the stop-the-world window and the 10 ms before it, with their sample counts", "analyze"),
        t::<perf_gc_samples::PerfGcSampleRow>("the perf samples inside a GC pause or in the 10 ms before one, keyed like perf_samples", "analyze"),
        t::<perf_gc_functions::PerfGcFunctionRow>("per event, window kind (pause / before_pause) and function: self and total samples in the windows, and the function's self share outside them", "analyze"),
        t::<epoll_calls::EpollCallRow>("one row per epoll_wait/epoll_pwait call of a netpoll capture: tid, syscall, epfd, timeout and class, enter/exit ns, duration, ret, in-flight at end", "ingest"),
        t::<epoll_ready::EpollReadyRow>("one row per ready epoll event of a netpoll capture: tid, exit ns, index, events, data word", "ingest"),
        t::<epoll_windows::EpollWindowRow>("per thread and time window (default 1 s) plus a whole-run row per thread: epoll calls, blocking calls, wakeups, timeouts, errors, blocked-time p50/p90/p99/max (nearest-rank), ready events per wakeup", "analyze"),
    ]
}
