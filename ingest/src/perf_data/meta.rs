//! Header metadata of a perf.data → `perf_meta` key/value rows, event names and sample clocks.
//!
//! Event names: `AttributeDescription::name()` (the EVENT_DESC feature, i.e. what perf prints,
//! e.g. `cpu-clock:pppH`, `sched:sched_switch`, `cpu-clock/freq=999/`); when the file has no
//! name for an attr (feature sections lost, pipe mode without EVENT_DESC) a name is derived from
//! its type and config (`cpu-clock`, `task-clock`, `tracepoint:ID`, ...).
//! Clocks: an attr recorded with `-k CLOCK_MONOTONIC` (`use_clockid`, clockid 1) stamps samples
//! on `monotonic` ([`model::tables::clock::MONOTONIC`]), any other on `perf`.

use linux_perf_data::linux_perf_event_reader::{
    ClockId, PerfClock, PerfEventAttr, PerfEventType, SamplingPolicy, SoftwareCounterType,
};
use linux_perf_data::{AttributeDescription, PerfFile};
use model::tables::perf_meta::PerfMetaRow;

use crate::hex;

/// Clock name of perf's default sample clock.
pub const PERF_CLOCK: &str = "perf";

/// Name of an attr without EVENT_DESC.
pub fn derived_name(attr: &PerfEventAttr) -> String {
    match attr.type_ {
        PerfEventType::Software(t) => match t {
            SoftwareCounterType::CpuClock => "cpu-clock".into(),
            SoftwareCounterType::TaskClock => "task-clock".into(),
            SoftwareCounterType::PageFaults => "page-faults".into(),
            SoftwareCounterType::ContextSwitches => "context-switches".into(),
            SoftwareCounterType::CpuMigrations => "cpu-migrations".into(),
            SoftwareCounterType::PageFaultsMin => "minor-faults".into(),
            SoftwareCounterType::PageFaultsMaj => "major-faults".into(),
            other => format!("{other:?}").to_lowercase(),
        },
        PerfEventType::Tracepoint(id) => format!("tracepoint:{id}"),
        PerfEventType::Hardware(h, _) => format!("{h:?}").to_lowercase(),
        ref other => format!("{other:?}"),
    }
}

/// Event name of each attr, in attr order.
pub fn event_names(attrs: &[AttributeDescription]) -> Vec<String> {
    attrs.iter().map(|a| a.name().map_or_else(|| derived_name(a.attributes()), str::to_string)).collect()
}

/// Sample clock of an attr: `monotonic` or `perf` (any other clockid is named after it).
pub fn clock_of(attr: &PerfEventAttr) -> String {
    match attr.clock {
        PerfClock::Default => PERF_CLOCK.into(),
        PerfClock::ClockId(ClockId::Monotonic) => model::tables::clock::MONOTONIC.into(),
        PerfClock::ClockId(other) => format!("clockid:{other:?}").to_lowercase(),
    }
}

fn type_name(t: &PerfEventType) -> &'static str {
    match t {
        PerfEventType::Hardware(..) => "hardware",
        PerfEventType::Software(_) => "software",
        PerfEventType::Tracepoint(_) => "tracepoint",
        PerfEventType::HwCache(..) => "hw_cache",
        PerfEventType::Breakpoint(..) => "breakpoint",
        PerfEventType::DynamicPmu(..) => "dynamic_pmu",
    }
}

fn config_of(t: &PerfEventType) -> Option<u64> {
    match t {
        PerfEventType::Tracepoint(id) => Some(*id),
        PerfEventType::DynamicPmu(_, c, _, _) => Some(*c),
        _ => None,
    }
}

/// `perf_meta` rows of the header (metadata accessors that fail are skipped).
pub fn rows(source: &str, file: &PerfFile, mode: &str, names: &[String]) -> Vec<PerfMetaRow> {
    let mut kv: Vec<(String, String)> = vec![("mode".into(), mode.into())];
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            kv.push((k.to_string(), v));
        }
    };
    put("hostname", file.hostname().ok().flatten().map(str::to_string));
    put("os_release", file.os_release().ok().flatten().map(str::to_string));
    put("perf_version", file.perf_version().ok().flatten().map(str::to_string));
    put("arch", file.arch().ok().flatten().map(str::to_string));
    put("cpu_desc", file.cpu_desc().ok().flatten().map(str::to_string));
    if let Ok(Some(n)) = file.nr_cpus() {
        put("nr_cpus_online", Some(n.nr_cpus_online.to_string()));
        put("nr_cpus_available", Some(n.nr_cpus_available.to_string()));
    }
    put("total_mem_kb", file.total_mem().ok().flatten().map(|m| m.to_string()));
    put("cmdline", file.cmdline().ok().flatten().map(|c| c.join(" ")));
    if let Ok(Some(c)) = file.compression_info() {
        let algo = if c.type_ == 1 { "zstd".to_string() } else { format!("type {}", c.type_) };
        put("compression", Some(format!("{algo} level {}", c.level)));
    }
    if let Ok(Some(c)) = file.clock_data() {
        put(
            "clock_data",
            Some(format!("clockid {} at {} ns = wall {} ns", c.clockid, c.clockid_time_ns, c.wall_clock_ns)),
        );
    }
    for (i, a) in file.event_attributes().iter().enumerate() {
        let attr = a.attributes();
        let p = format!("event.{i}.");
        put(&format!("{p}name"), names.get(i).cloned());
        put(&format!("{p}type"), Some(type_name(&attr.type_).into()));
        put(&format!("{p}config"), config_of(&attr.type_).map(|c| c.to_string()));
        let flags: Vec<&str> = attr.sample_format.iter_names().map(|(n, _)| n).collect();
        put(&format!("{p}sample_type"), Some(flags.join("|")));
        match attr.sampling_policy {
            SamplingPolicy::Frequency(f) => put(&format!("{p}freq"), Some(f.to_string())),
            SamplingPolicy::Period(n) => put(&format!("{p}period"), Some(n.to_string())),
            SamplingPolicy::NoSampling => put(&format!("{p}period"), Some("0".into())),
        }
        put(&format!("{p}clockid"), Some(clock_of(attr)));
        put(&format!("{p}ids"), Some(a.ids().len().to_string()));
    }
    if let Ok(ids) = file.build_ids() {
        let mut ids: Vec<String> = ids
            .values()
            .filter(|d| d.build_id.iter().any(|&b| b != 0))
            .map(|d| format!("{} {}", hex(&d.build_id), String::from_utf8_lossy(&d.path)))
            .collect();
        ids.sort();
        for v in ids {
            put("build_id", Some(v));
        }
    }
    kv.into_iter().map(|(key, value)| PerfMetaRow { source: source.to_string(), key, value }).collect()
}
