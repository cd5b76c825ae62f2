//! What each cgroup file looks like: its line shape and the unit of its values, by file name
//! (kernel `Documentation/admin-guide/cgroup-v2.rst` and `cgroup-v1/*.rst`). Files not listed
//! here are read by shape ([`Shape::Generic`]) and kept, never dropped.

/// The largest value of a v1 page counter in bytes (`PAGE_COUNTER_MAX * 4096` on 64-bit, i.e.
/// `LONG_MAX` rounded down to a 4 KiB page): v1 prints it for "no limit".
pub const PAGE_COUNTER_MAX_BYTES: i64 = 9_223_372_036_854_771_712;

/// Line shape of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value on one line (`memory.current`, `cpu.cfs_quota_us`).
    Single,
    /// One value per line (`cgroup.procs`, `tasks`).
    List,
    /// `key value` per line (`cpu.stat`, `memory.stat`, `memory.events`).
    Flat,
    /// `<prefix> k=v k=v ...` per line (`*.pressure`, `io.stat`, `memory.numa_stat`).
    Nested,
    /// v2 `cpu.max`: `$MAX $PERIOD`.
    CpuMax,
    /// v1 `cpuacct.usage_percpu*`: one value per CPU on one line.
    PerCpu,
    /// v1 `cpuacct.usage_all`: header `cpu user system`, then `<cpu> <user> <system>` rows.
    UsageAll,
    /// Text kept as observed (`cgroup.controllers`, `cpuset.cpus`).
    Text,
    /// Not known: read by shape.
    Generic,
}

/// Controllers a v1 hierarchy can be mounted with (a mount directory names one or more,
/// comma-separated).
const V1_CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "blkio",
    "io",
    "devices",
    "freezer",
    "net_cls",
    "net_prio",
    "perf_event",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
    "systemd",
    "name=systemd",
];

/// Whether a directory directly under the cgroup mount root is a v1 hierarchy (`cpu`,
/// `cpu,cpuacct`, `systemd`, ...).
pub fn is_v1_mount_dir(name: &str) -> bool {
    !name.is_empty() && name.split(',').all(|c| V1_CONTROLLERS.contains(&c))
}

/// Prefixes of cgroupfs file names (`<controller>.<name>`).
const FILE_PREFIXES: &[&str] = &[
    "cgroup.",
    "cpu.",
    "cpuacct.",
    "cpuset.",
    "memory.",
    "io.",
    "pids.",
    "blkio.",
    "hugetlb.",
    "misc.",
    "rdma.",
    "net_cls.",
    "net_prio.",
    "devices.",
    "freezer.",
    "perf_event.",
];

/// Whether `name` looks like a cgroupfs file name.
pub fn is_cgroup_file(name: &str) -> bool {
    if matches!(name, "tasks" | "notify_on_release" | "release_agent") {
        return true;
    }
    FILE_PREFIXES.iter().any(|p| name.len() > p.len() && name.starts_with(p))
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether `file` exists only in v1 hierarchies (used to name the hierarchy of files whose
/// path does not say it).
pub fn v1_only(file: &str) -> bool {
    file.starts_with("cpu.cfs_")
        || file.starts_with("cpu.rt_")
        || file == "cpu.shares"
        || file.starts_with("cpuacct.")
        || file.starts_with("blkio.")
        || (file.starts_with("memory.") && (file.ends_with("_in_bytes") || file.contains("failcnt")))
        || matches!(
            file,
            "memory.oom_control" | "memory.swappiness" | "memory.use_hierarchy" | "memory.move_charge_at_immigrate"
        )
        || matches!(
            file,
            "tasks" | "notify_on_release" | "release_agent" | "cgroup.clone_children" | "cgroup.sane_behavior"
        )
}

/// The controller a file belongs to (`cpu` of `cpu.stat`), for v1 files found outside a
/// controller directory.
pub fn controller_of(file: &str) -> &str {
    file.split('.').next().unwrap_or(file)
}

/// The shape of a file.
pub fn shape(file: &str) -> Shape {
    match file {
        "cpu.max" => return Shape::CpuMax,
        "cpuacct.usage_all" => return Shape::UsageAll,
        "cpuacct.usage_percpu" | "cpuacct.usage_percpu_user" | "cpuacct.usage_percpu_sys" => return Shape::PerCpu,
        "cgroup.procs" | "cgroup.threads" | "tasks" => return Shape::List,
        "cgroup.controllers" | "cgroup.subtree_control" | "cgroup.type" | "release_agent" | "memory.kmem.slabinfo" => {
            return Shape::Text
        }
        "cpu.stat" | "cpu.stat.local" | "cpuacct.stat" | "memory.stat" | "cgroup.stat" | "memory.oom_control" => {
            return Shape::Flat
        }
        "io.stat" | "memory.numa_stat" => return Shape::Nested,
        _ => {}
    }
    if file.ends_with(".pressure") && file != "cgroup.pressure" {
        return Shape::Nested;
    }
    if file.ends_with(".events") || file.ends_with(".events.local") {
        return Shape::Flat;
    }
    if file.starts_with("cpuset.") && (file.contains("cpus") || file.contains("mems") || file.ends_with("partition")) {
        return Shape::Text;
    }
    if is_single(file) {
        return Shape::Single;
    }
    Shape::Generic
}

/// v2 memory files holding one value in bytes.
const MEMORY_BYTE_FILES: &[&str] = &[
    "memory.current",
    "memory.max",
    "memory.high",
    "memory.low",
    "memory.min",
    "memory.peak",
    "memory.swap.current",
    "memory.swap.max",
    "memory.swap.high",
    "memory.swap.peak",
    "memory.zswap.current",
    "memory.zswap.max",
];

fn is_single(file: &str) -> bool {
    MEMORY_BYTE_FILES.contains(&file)
        || matches!(
            file,
            "memory.oom.group"
                | "pids.current"
                | "pids.max"
                | "pids.peak"
                | "cpu.weight"
                | "cpu.weight.nice"
                | "cpu.idle"
                | "cpu.max.burst"
                | "cpu.shares"
                | "cgroup.max.depth"
                | "cgroup.max.descendants"
                | "cgroup.pressure"
                | "cgroup.freeze"
                | "cgroup.clone_children"
                | "cgroup.sane_behavior"
                | "notify_on_release"
                | "memory.swappiness"
                | "memory.use_hierarchy"
                | "memory.move_charge_at_immigrate"
        )
        || file.starts_with("cpu.cfs_")
        || file.starts_with("cpu.rt_")
        || (file.starts_with("cpuacct.usage") && !file.contains("percpu") && file != "cpuacct.usage_all")
        || (file.starts_with("memory.") && (file.ends_with("_in_bytes") || file.ends_with("failcnt")))
}

/// Whether a single-value file is a limit, where `-1` and the page-counter maximum also mean
/// "no limit" (`max` means it in every file).
pub fn is_limit(file: &str, key: &str) -> bool {
    matches!(
        file,
        "cpu.cfs_quota_us"
            | "cpu.rt_runtime_us"
            | "memory.max"
            | "memory.high"
            | "memory.swap.max"
            | "memory.swap.high"
            | "memory.zswap.max"
            | "pids.max"
            | "cgroup.max.depth"
            | "cgroup.max.descendants"
    ) || (file.starts_with("memory.") && file.contains("limit_in_bytes"))
        || (file == "memory.stat" && key.contains("_limit"))
}

/// Unit of a value of `file` under `key` (`v1`: the file is in a v1 hierarchy).
pub fn unit(file: &str, key: &str, v1: bool) -> &'static str {
    match file {
        "cpu.stat" | "cpu.stat.local" => {
            if key.ends_with("_usec") {
                "us"
            } else if key.ends_with("_time") || key.ends_with("_sum") || key.ends_with("_ns") {
                "ns"
            } else if key.starts_with("nr_") {
                "count"
            } else {
                "number"
            }
        }
        "cpu.max" | "cpu.max.burst" => "us",
        "cpu.weight" | "cpu.weight.nice" | "cpu.shares" => "weight",
        "cpu.idle"
        | "cgroup.pressure"
        | "cgroup.freeze"
        | "cgroup.clone_children"
        | "cgroup.sane_behavior"
        | "notify_on_release"
        | "memory.use_hierarchy"
        | "memory.oom.group" => "bool",
        "cpuacct.stat" => "ticks",
        "cgroup.procs" | "cgroup.threads" | "tasks" => "pid",
        "memory.stat" => memory_stat_unit(key),
        "memory.numa_stat" => {
            if v1 {
                "pages"
            } else {
                "bytes"
            }
        }
        "io.stat" => {
            let k = key.rsplit('.').next().unwrap_or(key);
            if k.ends_with("bytes") {
                "bytes"
            } else if k.ends_with("ios") {
                "count"
            } else {
                "number"
            }
        }
        "cgroup.stat" | "memory.oom_control" | "cgroup.max.depth" | "cgroup.max.descendants" => "count",
        "memory.swappiness" | "memory.move_charge_at_immigrate" => "number",
        _ if file.ends_with(".pressure") => {
            if key.ends_with(".total") {
                "us"
            } else {
                "pct"
            }
        }
        _ if file.ends_with(".events") || file.ends_with(".events.local") => "count",
        _ if file.starts_with("cpu.cfs_") || file.starts_with("cpu.rt_") => "us",
        _ if file.starts_with("cpuacct.usage") => "ns",
        _ if file.starts_with("pids.") => "count",
        _ if file.ends_with("failcnt") => "count",
        _ if file.starts_with("memory.") && (file.ends_with("_in_bytes") || MEMORY_BYTE_FILES.contains(&file)) => {
            "bytes"
        }
        _ => "number",
    }
}

/// `memory.stat` keys are bytes unless they count events or pages (v1 and v2 spellings, v1
/// hierarchical `total_*` duplicates included).
fn memory_stat_unit(key: &str) -> &'static str {
    let k = key.strip_prefix("total_").unwrap_or(key);
    let counts = k.starts_with("pg")
        || k.starts_with("workingset_")
        || k.starts_with("thp_")
        || k.starts_with("numa_")
        || k.starts_with("zswp")
        || k.starts_with("pswp")
        || k.contains("fault")
        || k.ends_with("_count");
    if counts {
        "count"
    } else {
        "bytes"
    }
}

/// Whether a file may legitimately be empty (an empty group's `cgroup.procs`, `cpu.stat.local`
/// on the v2 root, `release_agent`, ...). Other files are never empty on a live cgroupfs, so an
/// empty copy of one points at `tar` (it stores cgroupfs files as 0 bytes).
pub fn may_be_empty(file: &str) -> bool {
    matches!(shape(file), Shape::List | Shape::Text | Shape::Generic)
        || matches!(file, "cpu.stat.local" | "io.stat" | "memory.numa_stat")
        || file.ends_with(".local")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_units() {
        assert_eq!(shape("cpu.pressure"), Shape::Nested);
        assert_eq!(shape("cgroup.pressure"), Shape::Single);
        assert_eq!(shape("memory.events.local"), Shape::Flat);
        assert_eq!(shape("memory.limit_in_bytes"), Shape::Single);
        assert_eq!(shape("cpuacct.usage"), Shape::Single);
        assert_eq!(shape("cpuacct.usage_sys"), Shape::Single);
        assert_eq!(shape("cpuacct.usage_percpu_sys"), Shape::PerCpu);
        assert_eq!(shape("io.max"), Shape::Generic);
        assert_eq!(unit("cpu.stat", "throttled_time", true), "ns");
        assert_eq!(unit("cpu.stat", "throttled_usec", false), "us");
        assert_eq!(unit("memory.stat", "total_pgmajfault", true), "count");
        assert_eq!(unit("memory.stat", "inactive_file", false), "bytes");
        assert_eq!(unit("io.stat", "8:0.rbytes", false), "bytes");
        assert!(is_cgroup_file("cpu.stat.local") && !is_cgroup_file("cpu.") && !is_cgroup_file("foo.bar"));
        assert!(is_v1_mount_dir("cpu,cpuacct") && !is_v1_mount_dir("system.slice"));
    }
}
