//! The formats tracefold reads, and detection by content: each format's `sniff` looks at the
//! first [`SNIFF_BYTES`] of a file; the first format whose sniff accepts wins.

use std::io::BufRead;

use crate::bpftrace::{self, BpftraceOutput};
use crate::cgroup::{self, CgroupOutput};
use crate::gc::{self, GcOutput, SourceCtx};
use crate::perf_data::{self, PerfDataError, PerfDataOutput};
use crate::perf_script::{self, PerfScriptOutput};
use crate::symbolize::Symbolizer;
use crate::ReadError;

/// How many leading bytes sniffers see.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// A GC-log parser.
pub type GcParser = fn(&SourceCtx, &mut dyn BufRead, &mut GcOutput) -> Result<(), ReadError>;
/// A cgroup-snapshot parser.
pub type CgroupParser = fn(&SourceCtx, &mut dyn BufRead, &mut CgroupOutput) -> Result<(), ReadError>;

/// A bpftrace-output parser.
pub type BpftraceParser = fn(&SourceCtx, &mut dyn BufRead, &mut BpftraceOutput) -> Result<(), ReadError>;

/// A `perf script` text parser.
pub type PerfScriptParser = fn(&SourceCtx, &mut dyn BufRead, &mut PerfScriptOutput) -> Result<(), ReadError>;

/// A binary perf.data parser: reads the file by path (it seeks), symbolizes with the run's
/// symbolizer.
pub type PerfDataParser =
    fn(&SourceCtx, &std::path::Path, &Symbolizer, &mut PerfDataOutput) -> Result<(), PerfDataError>;

/// The parser of a format, by the tables it fills.
#[derive(Clone, Copy)]
pub enum Parser {
    /// GC logs → `gc_pauses`, `gc_cycles`, `safepoints`.
    Gc(GcParser),
    /// cgroup snapshots → `cgroup_samples`.
    Cgroup(CgroupParser),
    /// bpftrace output → `bpftrace_lines`, `bpftrace_maps`, `bpftrace_hist`, `lost_events`.
    Bpftrace(BpftraceParser),
    /// `perf script` text → `perf_samples`, `perf_stacks`, `perf_frames`.
    PerfScript(PerfScriptParser),
    /// binary perf.data → `perf_samples` (streamed), `perf_stacks`, `perf_frames`,
    /// `perf_threads`, `perf_meta`, `lost_events`.
    PerfData(PerfDataParser),
}

/// An input format.
pub struct Format {
    /// Identifier used by `--format` and in `runs.format`.
    pub id: &'static str,
    /// Human name.
    pub name: &'static str,
    /// How the format is recognised.
    pub detection: &'static str,
    /// Tables it fills.
    pub tables: &'static [&'static str],
    /// Content sniffer.
    pub sniff: fn(&[u8]) -> bool,
    /// Parser.
    pub parse: Parser,
}

const GC_TABLES: &[&str] = &["gc_pauses", "gc_cycles", "safepoints"];

static FORMATS: &[Format] = &[
    Format {
        id: "jvm-unified",
        name: "JVM unified GC logging (JDK 9-25, -Xlog:gc*,safepoint)",
        detection: "lines of `[decorator]...` groups with a level or a gc/safepoint tag set, e.g. `[0.035s][info][gc] Using G1`",
        tables: GC_TABLES,
        sniff: gc::jvm_unified::sniff,
        parse: Parser::Gc(gc::jvm_unified::ingest),
    },
    Format {
        id: "go-gctrace",
        name: "Go GODEBUG=gctrace=1 output (Go 1.9-1.27), mixed with any program output",
        detection: "a line `gc N @Ts P%: a+b+c ms clock, ...`",
        tables: GC_TABLES,
        sniff: gc::go_gctrace::sniff,
        parse: Parser::Gc(gc::go_gctrace::ingest),
    },
    Format {
        id: "jvm-legacy",
        name: "JVM legacy GC logging (JDK 8 and older, -XX:+PrintGCDetails)",
        detection: "`[GC (...)`, `[Full GC`, `..., 0.0123 secs]` records or `Total time for which application threads were stopped`",
        tables: GC_TABLES,
        sniff: gc::jvm_legacy::sniff,
        parse: Parser::Gc(gc::jvm_legacy::ingest),
    },
    Format {
        id: "cgroup-cgsnap",
        name: "cgroup snapshots (v2 and v1): the capture kit's cgsnap stream (`# ts_ns=` headers + `grep -H` lines)",
        detection: "a `# cgsnap` or `# ts_ns=` header with `<path>/<cgroup file>:<value>` lines, or lines under /sys/fs/cgroup/",
        tables: &["cgroup_samples"],
        sniff: cgroup::sniff,
        parse: Parser::Cgroup(cgroup::ingest),
    },
    Format {
        id: "bpftrace",
        name: "bpftrace output, text or JSON (-f json), bpftrace 0.17 to current",
        detection: "an `Attaching N probes...` line, a JSON record `{\"type\": ...}` of a bpftrace type, or map dump lines `@name[...]: value`",
        tables: &["bpftrace_lines", "bpftrace_maps", "bpftrace_hist", "lost_events", "epoll_calls", "epoll_ready"],
        sniff: bpftrace::sniff,
        parse: Parser::Bpftrace(bpftrace::ingest),
    },
    Format {
        id: "perf-script",
        name: "`perf script` text output (with or without callchains, several events), as inferno-collapse-perf reads",
        detection: "sample header lines `comm pid/tid [cpu] time: period event:` followed by indented callchain lines",
        tables: &["perf_samples", "perf_stacks", "perf_frames"],
        sniff: perf_script::sniff,
        parse: Parser::PerfScript(perf_script::ingest),
    },
    Format {
        id: PERF_DATA,
        name: "binary perf.data (perf record), file or pipe mode, zstd-compressed or not, with offline symbolization",
        detection: "magic `PERFILE2` with header size 104 (file mode) or 16 (pipe mode, `perf record -o -`)",
        tables: &["perf_samples", "perf_stacks", "perf_frames", "perf_threads", "perf_meta", "lost_events"],
        sniff: perf_data::sniff,
        parse: Parser::PerfData(perf_data::ingest),
    },
];

/// Id of the binary perf.data format (detected before the binary-content check).
pub const PERF_DATA: &str = "perf-data";

/// Directory captures of cgroups (a directory per timestamp, or a one-off copy) are detected by
/// their layout rather than by content; see [`crate::source::is_cgroup_dir`].
pub const CGROUP_DIR_FORMAT: &str = "cgroup-dir";
/// Human name of [`CGROUP_DIR_FORMAT`].
pub const CGROUP_DIR_NAME: &str =
    "cgroup directory captures (a directory per timestamp, or a one-off copy made with cp/cat)";
/// How [`CGROUP_DIR_FORMAT`] is recognised.
pub const CGROUP_DIR_DETECTION: &str = "a directory (given or found while walking) holding cgroupfs files or TIMESTAMP_NS, or only timestamp-named sub-directories that do";

/// All known formats, in detection order.
pub fn formats() -> &'static [Format] {
    FORMATS
}

/// The format with this id.
pub fn by_id(id: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.id == id)
}

/// Detects the format of a file from its first bytes. Binary content (NUL bytes, or mostly
/// non-text) never matches.
pub fn detect(head: &[u8]) -> Option<&'static Format> {
    if perf_data::sniff(head) {
        return by_id(PERF_DATA);
    }
    if looks_binary(head) {
        return None;
    }
    FORMATS.iter().find(|f| (f.sniff)(head))
}

/// Whether the bytes look like binary data rather than text.
pub fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.contains(&0) {
        return true;
    }
    let control = sample.iter().filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b)).count();
    control * 20 > sample.len().max(1)
}

/// A short description of why a file was not recognised, for error messages.
pub fn describe_unrecognised(head: &[u8]) -> String {
    if head.is_empty() {
        "the file is empty".into()
    } else if head.starts_with(b"FLR\0") {
        "it is a JFR recording; convert it with `jfr print` or log with -Xlog:gc* instead".into()
    } else if head.starts_with(b"PERFILE2") || head.starts_with(b"PERFFILE") {
        "it is a perf.data file of an unknown layout (big-endian, or a header size other than 104 / 16)".into()
    } else if head.starts_with(&[0x1f, 0x8b]) {
        "it is gzip-compressed; decompress it first".into()
    } else if looks_binary(head) {
        "it is binary data".into()
    } else {
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        format!("first line: {:?}", String::from_utf8_lossy(&first[..first.len().min(80)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_names_only_ingest_tables() {
        for f in formats() {
            assert!(!f.tables.is_empty(), "{}", f.id);
            for t in f.tables {
                assert!(model::tables::INGEST_TABLES.contains(t), "{}: {t}", f.id);
            }
        }
    }
}
