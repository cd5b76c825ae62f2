//! Tables a run will leave empty, written while its sources are parsed.
//!
//! Every run has every table (an empty one when no source fills it), so a reader finds each
//! table's schema for each run. Writing a table costs about the same whether it has rows or
//! not (directories, a file, a footer), and most tables of a run are empty: a GC log fills 3 of
//! 15. The formats of the sources, sniffed up front, tell which tables no parser will fill;
//! those are written on the thread pool while the parsers run, instead of after them.
//! `write_run` checks the prediction against what was parsed and rewrites any table it got
//! wrong.

use model::tables::bpftrace_hist::BpftraceHistRow;
use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::bpftrace_maps::BpftraceMapRow;
use model::tables::cgroup_samples::CgroupSampleRow;
use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_ready::EpollReadyRow;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::lost_events::LostEventsRow;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_meta::PerfMetaRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::tables::perf_threads::PerfThreadRow;
use model::tables::safepoints::SafepointRow;
use model::write::RunStaging;
use model::{ModelError, Table};
use rayon::prelude::*;

use crate::format::{self, Format};
use crate::source::{self, InputFile};

/// The source tables: filled by parsers (every table of a run but `runs`, `ingest_log` and
/// `clock_offsets`), and how to write each one empty.
macro_rules! source_tables {
    ($($row:ty),* $(,)?) => {
        /// Names of the source tables.
        pub(crate) const SOURCE_TABLES: &[&str] = &[$(<$row as Table>::NAME),*];

        /// Writes the source table `name` empty.
        fn write_empty(staging: &RunStaging, name: &str, fmt: &str) -> Result<usize, ModelError> {
            $(if name == <$row as Table>::NAME {
                return staging.write::<$row>(fmt, Vec::new());
            })*
            Ok(0)
        }
    };
}

source_tables!(
    GcPauseRow,
    GcCycleRow,
    SafepointRow,
    CgroupSampleRow,
    BpftraceLineRow,
    BpftraceMapRow,
    BpftraceHistRow,
    LostEventsRow,
    EpollCallRow,
    EpollReadyRow,
    PerfSampleRow,
    PerfStackRow,
    PerfFrameRow,
    PerfThreadRow,
    PerfMetaRow,
);

/// The run's format list (as `write_run` will record it) and the source tables no format of
/// `files` fills; `None` when a file's format cannot be told up front.
pub(crate) fn predict(files: &[InputFile], forced: Option<&'static Format>) -> Option<(String, Vec<&'static str>)> {
    let mut formats: Vec<&'static str> = Vec::new();
    let mut filled: Vec<&'static str> = Vec::new();
    for f in files {
        if f.cgroup_dir {
            formats.push(format::CGROUP_DIR_FORMAT);
            filled.push(<CgroupSampleRow as Table>::NAME);
            continue;
        }
        let fmt = match forced {
            Some(fmt) => fmt,
            // A pipe (`<(zcat gc.log.gz)`) can be read once only: by its parser.
            None if !std::fs::metadata(&f.path).is_ok_and(|m| m.is_file()) => return None,
            None => format::detect(&source::open(&f.path, None).ok()?.head)?,
        };
        formats.push(fmt.id);
        filled.extend(fmt.tables);
    }
    formats.sort_unstable();
    formats.dedup();
    let empty = SOURCE_TABLES.iter().copied().filter(|t| !filled.contains(t)).collect();
    Some((formats.join(","), empty))
}

/// Writes `tables` empty, in parallel.
pub(crate) fn write_all(staging: &RunStaging, tables: &[&'static str], fmt: &str) -> Result<(), ModelError> {
    tables.par_iter().try_for_each(|t| write_empty(staging, t, fmt).map(drop))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn input(rel: &str) -> InputFile {
        let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(rel);
        InputFile { path, explicit: true, cgroup_dir: false }
    }

    #[test]
    fn a_gc_log_leaves_every_table_but_the_gc_ones_empty() {
        let (fmt, empty) = predict(&[input("gc/jdk17/g1.log")], None).unwrap();
        assert_eq!(fmt, "jvm-unified");
        assert_eq!(empty.len(), SOURCE_TABLES.len() - 3);
        assert!(!empty.iter().any(|t| ["gc_pauses", "gc_cycles", "safepoints"].contains(t)));
    }

    #[test]
    fn a_netpoll_capture_may_fill_the_epoll_tables() {
        let (fmt, empty) =
            predict(&[input("go-netpoll/run1/epoll-bpftrace.txt"), input("gc/jdk17/zgc.log")], None).unwrap();
        assert_eq!(fmt, "bpftrace,jvm-unified");
        assert!(!empty.contains(&"epoll_calls") && !empty.contains(&"bpftrace_lines"));
        assert!(empty.contains(&"perf_samples") && empty.contains(&"cgroup_samples"));
    }

    #[test]
    fn a_file_of_no_known_format_predicts_nothing() {
        assert!(predict(&[input("gc/jdk17/GcChurn.java")], None).is_none());
    }

    #[test]
    fn every_format_names_only_source_tables() {
        for f in format::formats() {
            for t in f.tables {
                assert!(SOURCE_TABLES.contains(t), "{}: {t}", f.id);
            }
        }
    }
}
