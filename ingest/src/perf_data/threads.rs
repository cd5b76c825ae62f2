//! Thread names over time from COMM (rename or exec), FORK and EXIT records: the name of a thread
//! at a sample's time, and the `perf_threads` rows (one per name period).
//!
//! As perf does: a forked thread inherits its parent thread's name, a COMM record renames (exec
//! flag: the process image changed), a thread never named is `:TID`, except the idle task (tid
//! 0, the samples of idle CPUs in a system-wide recording), which perf names `swapper`.

use crate::hash::HashMap;
use model::tables::perf_threads::PerfThreadRow;

/// The current name period of a thread.
#[derive(Debug, Clone)]
struct Current {
    pid: i32,
    comm: String,
    start_ns: Option<u64>,
    started_by: &'static str,
}

/// A finished period: pid, tid, comm, start, end, started_by, exited.
type Period = (i32, i32, String, Option<u64>, Option<u64>, &'static str, bool);

/// Live threads and finished periods.
#[derive(Debug, Default)]
pub struct Threads {
    live: HashMap<i32, Current>,
    /// Names of exited threads (perf keeps naming samples that come after an EXIT record).
    dead: HashMap<i32, String>,
    /// Finished periods (rows without `source` / `clock`, filled by [`Threads::rows`]).
    done: Vec<Period>,
}

/// The name of a thread no COMM record named: `:TID`, or `swapper` for the idle task (tid 0),
/// as perf names them (perf's `machine__idle_thread`).
fn unnamed(tid: i32) -> String {
    if tid == 0 {
        "swapper".to_string()
    } else {
        format!(":{tid}")
    }
}

impl Threads {
    fn end(&mut self, tid: i32, at: Option<u64>, exited: bool) {
        if let Some(c) = self.live.remove(&tid) {
            self.done.push((c.pid, tid, c.comm, c.start_ns, at, c.started_by, exited));
        }
    }

    /// A COMM record: `tid` of `pid` is now called `name` (from `at`).
    pub fn comm(&mut self, pid: i32, tid: i32, name: &str, exec: bool, at: Option<u64>) {
        if self.live.get(&tid).is_some_and(|c| c.comm == name && c.pid == pid) {
            return;
        }
        self.end(tid, at, false);
        self.dead.remove(&tid);
        let started_by = if exec { "exec" } else { "comm" };
        self.live.insert(tid, Current { pid, comm: name.to_string(), start_ns: at, started_by });
    }

    /// A FORK record: thread `tid` of `pid` created by thread `ptid`.
    pub fn fork(&mut self, pid: i32, tid: i32, ptid: i32, at: Option<u64>) {
        // A parent never named passes on no name (perf copies only a name that was set), except
        // the idle task, whose name perf sets.
        let comm = match self.live.get(&ptid) {
            Some(p) => p.comm.clone(),
            None if ptid == 0 => unnamed(0),
            None => unnamed(tid),
        };
        self.end(tid, at, false);
        self.dead.remove(&tid);
        self.live.insert(tid, Current { pid, comm, start_ns: at, started_by: "fork" });
    }

    /// An EXIT record of `tid`.
    pub fn exit(&mut self, tid: i32, at: Option<u64>) {
        if let Some(c) = self.live.get(&tid) {
            self.dead.insert(tid, c.comm.clone());
        }
        self.end(tid, at, true);
    }

    /// The name of `tid` now (`:TID` when never named; a period is opened for it).
    pub fn name(&mut self, pid: Option<i32>, tid: i32, at: Option<u64>) -> &str {
        if !self.live.contains_key(&tid) {
            if let Some(name) = self.dead.get(&tid) {
                return name;
            }
        }
        &self
            .live
            .entry(tid)
            .or_insert_with(|| Current {
                pid: pid.unwrap_or(tid),
                comm: unnamed(tid),
                start_ns: at,
                started_by: "sample",
            })
            .comm
    }

    /// Every period, finished ones first (in order of their end), then the live ones by tid.
    pub fn rows(mut self, source: &str, clock: &str) -> Vec<PerfThreadRow> {
        let mut live: Vec<(i32, Current)> = self.live.drain().collect();
        live.sort_by_key(|(tid, _)| *tid);
        let open = live.into_iter().map(|(tid, c)| (c.pid, tid, c.comm, c.start_ns, None, c.started_by, false));
        let ns = |t: Option<u64>| t.map(|t| t as i64);
        self.done
            .into_iter()
            .chain(open)
            .map(|(pid, tid, comm, start, end, started_by, exited)| PerfThreadRow {
                source: source.to_string(),
                pid: pid as i64,
                tid: tid as i64,
                comm,
                clock: clock.to_string(),
                start_ns: ns(start),
                end_ns: ns(end),
                started_by: started_by.to_string(),
                exited,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_fork_rename_exit() {
        let mut t = Threads::default();
        t.comm(10, 10, "mtwork", true, Some(1));
        t.fork(10, 11, 10, Some(2));
        assert_eq!(t.name(Some(10), 11, Some(3)), "mtwork");
        t.comm(10, 11, "worker-0", false, Some(4));
        assert_eq!(t.name(Some(10), 11, Some(5)), "worker-0");
        t.exit(11, Some(6));
        assert_eq!(t.name(Some(10), 11, Some(7)), "worker-0");
        assert_eq!(t.name(Some(10), 12, Some(7)), ":12");
        let rows = t.rows("s", "perf");
        let w: Vec<_> = rows.iter().filter(|r| r.tid == 11).collect();
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].comm.as_str(), w[0].started_by.as_str(), w[0].end_ns), ("mtwork", "fork", Some(4)));
        assert!(w[1].exited && w[1].comm == "worker-0");
    }

    /// perf's names for threads no COMM record named: the idle task is `swapper`, and passes
    /// that name on to the threads it forks; any other is `:TID`, and passes on nothing.
    #[test]
    fn the_idle_task_is_swapper() {
        let mut t = Threads::default();
        t.fork(2, 2, 0, Some(1));
        assert_eq!(t.name(Some(2), 2, Some(2)), "swapper");
        assert_eq!(t.name(Some(0), 0, Some(3)), "swapper");
        t.fork(9, 9, 7, Some(4));
        assert_eq!(t.name(Some(9), 9, Some(5)), ":9");
        assert_eq!(t.name(Some(-1), -1, Some(6)), ":-1", "exiting tasks, as perf script prints them");
    }
}
