//! Writing a parsed run: every table (in parallel, rows in source order), the `runs` rows once
//! the sources' hashes are in, the clock offsets, and the commit that moves the run into the
//! dataset.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use model::tables::bpftrace_hist::BpftraceHistRow;
use model::tables::bpftrace_lines::BpftraceLineRow;
use model::tables::bpftrace_maps::BpftraceMapRow;
use model::tables::cgroup_samples::CgroupSampleRow;
use model::tables::clock_offsets::ClockOffsetRow;
use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_ready::EpollReadyRow;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::ingest_log::IngestLogRow;
use model::tables::lost_events::LostEventsRow;
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_meta::PerfMetaRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::tables::perf_threads::PerfThreadRow;
use model::tables::runs::SourceRow;
use model::tables::safepoints::SafepointRow;
use model::tables::ANALYSIS_TABLES;
use model::write::RunStaging;

use super::{IngestOptions, IngestSummary, Parsed, SourceSummary};
use crate::clock::ClockObservations;
use crate::source::PendingHash;
use crate::IngestError;

/// One table write.
type Job<'a> = Box<dyn FnOnce() -> Result<usize, model::ModelError> + Send + 'a>;

/// Table writes of a run, run in parallel by [`TableJobs::run`].
struct TableJobs<'a> {
    staging: &'a RunStaging,
    format: &'a str,
    /// Each write with the number of rows it writes.
    jobs: Vec<(usize, Job<'a>)>,
}

impl<'a> TableJobs<'a> {
    fn new(staging: &'a RunStaging, format: &'a str) -> Self {
        Self { staging, format, jobs: Vec::new() }
    }

    /// Adds the write of all `rows` of table `T`.
    fn add<T: model::Table + Send + 'a>(&mut self, rows: Vec<T>) {
        let (staging, format) = (self.staging, self.format);
        self.jobs.push((rows.len(), Box::new(move || staging.write::<T>(format, rows))));
    }

    /// Writes every table while the sources' hashing threads finish, and returns their hashes
    /// (in the order of `hashes`); the first error of a write (in the order added) comes first.
    ///
    /// A hashing thread still running is the run's critical path (SHA-256 of a large log takes
    /// as long as its parse), so the writes leave it its core: this thread and one helper per
    /// core not taken by a hash start at once, and one helper per running hash waits for it
    /// and then joins in. (Writes on every core at once slowed the hash down by a quarter.)
    ///
    /// This thread takes the jobs largest first, the helpers smallest first. A helper's
    /// allocator is fresh: each 2 MiB of memory it touches first costs 0.7 ms or more to map
    /// and zero (THP; up to 5 ms on the bench's VM), and writing one table of thousands of rows
    /// touched five such pages, where this thread reuses the memory the parse freed. The small
    /// and empty tables need little memory.
    fn run(self, hashes: Vec<Option<PendingHash>>) -> Result<Vec<Option<(String, u64)>>, IngestError> {
        let n = self.jobs.len();
        let mut jobs: Vec<_> = self.jobs.into_iter().enumerate().collect();
        jobs.sort_by_key(|(_, (rows, _))| std::cmp::Reverse(*rows));
        let queue: Mutex<VecDeque<_>> = Mutex::new(jobs.into_iter().map(|(i, (_, job))| (i, job)).collect());
        let results: Mutex<Vec<Option<Result<usize, model::ModelError>>>> = Mutex::new((0..n).map(|_| None).collect());
        let take = |largest: bool| {
            let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
            if largest {
                q.pop_front()
            } else {
                q.pop_back()
            }
        };
        let work_from = |largest: bool| {
            while let Some((i, job)) = take(largest) {
                let r = job();
                results.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(r);
            }
        };
        let helper_work = || work_from(false);
        let mut hashed: Vec<Option<Result<(String, u64), IngestError>>> = (0..hashes.len()).map(|_| None).collect();
        let mut running = Vec::new();
        for (i, hash) in hashes.into_iter().enumerate() {
            match hash {
                Some(h) if !h.is_finished() => running.push((i, h)),
                Some(h) => hashed[i] = Some(h.finish()),
                None => {}
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let free_helpers = cores.saturating_sub(1 + running.len()).min(n);
        std::thread::scope(|scope| {
            let helper_work = &helper_work;
            for _ in 0..free_helpers {
                scope.spawn(helper_work);
            }
            let waiters: Vec<_> = running
                .into_iter()
                .map(|(i, h)| {
                    scope.spawn(move || {
                        let r = h.finish();
                        helper_work();
                        (i, r)
                    })
                })
                .collect();
            work_from(true);
            for waiter in waiters {
                let (i, r) = waiter.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                hashed[i] = Some(r);
            }
        });
        let results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
        for r in results.into_iter().flatten() {
            r?;
        }
        hashed.into_iter().map(Option::transpose).collect()
    }
}

/// Writes the run's tables and commits it.
pub(super) fn write_run(
    opts: &IngestOptions,
    run: &str,
    staging: RunStaging,
    mut parsed: Vec<Parsed>,
) -> Result<IngestSummary, IngestError> {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
    let labels: Vec<String> = opts.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let formats: Vec<&str> = {
        let mut f: Vec<&str> = parsed.iter().filter_map(|p| p.format).collect();
        f.sort_unstable();
        f.dedup();
        f
    };
    let fmt = formats.join(",");
    let mut runs_rows = Vec::new();
    let mut log_rows: Vec<IngestLogRow> = Vec::new();
    let mut clocks = ClockObservations::default();
    let mut summary = IngestSummary {
        run: run.to_string(),
        dataset: opts.dataset.clone(),
        sources: Vec::new(),
        unrecognised: Vec::new(),
        recovered: Vec::new(),
    };
    for p in &mut parsed {
        let source = p.input.path.display().to_string();
        let fid = p.format;
        runs_rows.push(SourceRow {
            ingested_at_ns: now,
            labels: labels.join(";"),
            source: source.clone(),
            // Filled in once the hashes are joined, below.
            size_bytes: 0,
            sha256: String::new(),
            format: fid.map(str::to_string),
            tool_version: p.out.tool_version.clone(),
            status: if fid.is_some() { "ok".into() } else { "skipped".into() },
            gc_heap_max_bytes: p.out.heap_max_bytes,
            gc_parallel_workers: p.out.parallel_workers,
        });
        if fid.is_none() {
            log_rows.push(IngestLogRow {
                source: source.clone(),
                kind: "skip".into(),
                reason: Some(match &p.input.skip {
                    Some(why) => format!("not read: {why}"),
                    None => format!("no known format ({})", p.hint),
                }),
                ..Default::default()
            });
            summary.unrecognised.push(source);
            continue;
        }
        log_rows.extend(p.out.account.rows(&source, fid));
        summary.sources.push(SourceSummary {
            source: source.clone(),
            format: fid.map(str::to_string),
            pauses: p.out.pauses.len(),
            cycles: p.cycles.len(),
            safepoints: p.out.safepoints.len(),
            cgroup_samples: p.cgroup_rows,
            bpftrace_rows: p.bpftrace.rows(),
            perf_samples: p.perf.samples.len() + p.perf_streamed,
            lines_read: p.out.account.lines_read(),
            lines_parsed: p.out.account.lines_parsed(),
            lines_skipped: p.out.account.lines_skipped(),
            lines_not_understood: p.out.account.lines_not_understood(),
            warning: p.warning.clone(),
        });
        clocks.merge(std::mem::take(&mut p.out.clocks));
    }
    let mut offsets = clocks.rows();
    for (clock, offset) in &opts.clock_offsets {
        offsets.retain(|o| &o.clock != clock);
        offsets.push(ClockOffsetRow {
            clock: clock.clone(),
            offset_ns: *offset,
            method: "user".into(),
            observations: 1,
            spread_ns: 0,
            evidence: "--clock-offset".into(),
        });
    }
    for (clock, other) in &opts.clock_same_as {
        let Some(known) = offsets.iter().find(|o| &o.clock == other).cloned() else {
            return Err(IngestError::ClockAlias { clock: clock.clone(), other: other.clone() });
        };
        offsets.retain(|o| &o.clock != clock);
        offsets.push(ClockOffsetRow {
            clock: clock.clone(),
            method: format!("user: same clock as {other} ({})", known.method),
            evidence: format!("--clock-offset {clock}={other}"),
            ..known
        });
    }
    // Every table is written, empty or not, rows in source order; tables in parallel, while
    // hashing threads may still be reading. `runs` waits for the hashes and comes last.
    let hashes: Vec<_> = parsed.iter_mut().map(|p| p.hash.take()).collect();
    let mut jobs = TableJobs::new(&staging, &fmt);
    let mut netpolls: Vec<_> = parsed.iter_mut().map(|p| p.netpoll.take().unwrap_or_default()).collect();
    macro_rules! rows {
        ($list:expr, |$p:ident| $field:expr) => {
            concat_rows($list.iter_mut().map(|$p| std::mem::take(&mut $field)).collect())
        };
    }
    jobs.add::<GcPauseRow>(rows!(parsed, |p| p.out.pauses));
    jobs.add::<GcCycleRow>(rows!(parsed, |p| p.cycles));
    jobs.add::<SafepointRow>(rows!(parsed, |p| p.out.safepoints));
    jobs.add::<CgroupSampleRow>(rows!(parsed, |p| p.cgroup_samples));
    jobs.add::<BpftraceLineRow>(rows!(parsed, |p| p.bpftrace.lines));
    jobs.add::<BpftraceMapRow>(rows!(parsed, |p| p.bpftrace.maps));
    jobs.add::<BpftraceHistRow>(rows!(parsed, |p| p.bpftrace.hist));
    jobs.add::<LostEventsRow>(rows!(parsed, |p| p.bpftrace.lost));
    jobs.add::<EpollCallRow>(rows!(netpolls, |n| n.calls));
    jobs.add::<EpollReadyRow>(rows!(netpolls, |n| n.ready));
    jobs.add::<PerfSampleRow>(rows!(parsed, |p| p.perf.samples));
    jobs.add::<PerfStackRow>(rows!(parsed, |p| p.perf.stacks));
    jobs.add::<PerfFrameRow>(rows!(parsed, |p| p.perf.frames));
    jobs.add::<PerfThreadRow>(rows!(parsed, |p| p.perf_threads));
    jobs.add::<PerfMetaRow>(rows!(parsed, |p| p.perf_meta));
    jobs.add::<IngestLogRow>(log_rows);
    jobs.add::<ClockOffsetRow>(offsets);
    // Opened before the hashes are in, so that only its rows are left for after them.
    let mut runs_writer = staging.writer::<SourceRow>(&fmt)?;
    for (row, hash) in runs_rows.iter_mut().zip(jobs.run(hashes)?) {
        if let Some((sha256, size)) = hash {
            row.sha256 = sha256;
            row.size_bytes = size as i64;
        }
    }
    runs_writer.write_rows(&runs_rows)?;
    runs_writer.finish()?;
    staging.commit(ANALYSIS_TABLES)?;
    Ok(summary)
}

/// The rows of every source, in source order: the one non-empty list itself when there is
/// only one (the usual case: no copy), else one list sized once.
fn concat_rows<T>(mut lists: Vec<Vec<T>>) -> Vec<T> {
    lists.retain(|l| !l.is_empty());
    if lists.len() <= 1 {
        return lists.pop().unwrap_or_default();
    }
    let mut all = Vec::with_capacity(lists.iter().map(Vec::len).sum());
    for mut l in lists {
        all.append(&mut l);
    }
    all
}

#[cfg(test)]
mod tests {
    use model::tables::gc_pauses::GcPauseRow;
    use model::tables::lost_events::LostEventsRow;
    use model::write::RunStaging;
    use sha2::Digest;

    use super::TableJobs;
    use crate::source;

    /// Tables are written while a hash is still running, and its result comes back in its
    /// place (the hashing thread here reads the file itself once its feed is dropped, 50 ms in).
    #[test]
    fn tables_are_written_beside_a_running_hash() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("input.log");
        let text: Vec<u8> = (0..200_000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        std::fs::write(&path, &text).unwrap();
        let (feed, running) = source::hash_beside(&path);
        assert!(!running.is_finished(), "the hash waits for its feed");
        let dropper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(feed);
        });
        let staging = RunStaging::new(&tmp.path().join("ds"), "r").unwrap();
        let mut jobs = TableJobs::new(&staging, "test");
        jobs.add::<LostEventsRow>(Vec::new());
        jobs.add::<GcPauseRow>(vec![GcPauseRow { duration_ns: 5, ..Default::default() }; 3]);
        let hashed = jobs.run(vec![None, Some(running)]).unwrap();
        dropper.join().unwrap();
        let want = crate::hex(&sha2::Sha256::digest(&text));
        assert_eq!(hashed, vec![None, Some((want, text.len() as u64))]);
        staging.commit(&[]).unwrap();
        let pauses: Vec<GcPauseRow> = model::read::read_table(&tmp.path().join("ds"), "r").unwrap();
        assert_eq!(pauses.len(), 3);
    }
}
