//! `epoll_windows` on a hand-made run: three threads, 1 s windows aligned to the first call
//! (5.3 s → windows start at 5 s), blocking / non-blocking calls, wakeups, a timeout, an error,
//! a call without exit, and a call seen by two sources (counted once).

use std::path::Path;

use model::read::read_table;
use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_windows::EpollWindowRow;
use model::tables::runs::SourceRow;
use model::write::{partition_dir, RunStaging};
use tracefold_analyze::epoll_windows::{windows, EpollCall, DEFAULT_WINDOW_NS};
use tracefold_analyze::{analyze, AnalyzeOptions};

const MS: i64 = 1_000_000;
const S: i64 = 1_000 * MS;

/// A call of `tid` entering at `enter_ms` (ms of the monotonic clock), with its exit when given
/// as (`duration_ns`, `ret`).
fn call(source: &str, tid: i64, comm: &str, timeout_ms: i64, enter_ms: i64, exit: Option<(i64, i64)>) -> EpollCallRow {
    let enter_ns = enter_ms * MS;
    EpollCallRow {
        source: source.into(),
        line: enter_ms,
        clock: "monotonic".into(),
        pid: 42,
        tid,
        comm: comm.into(),
        syscall: "epoll_pwait".into(),
        epfd: 4,
        maxevents: 128,
        timeout_ms,
        timeout_class: match timeout_ms {
            0 => "non_blocking",
            t if t > 0 => "finite",
            _ => "infinite",
        }
        .into(),
        enter_ns,
        exit_ns: exit.map(|(d, _)| enter_ns + d),
        duration_ns: exit.map(|(d, _)| d),
        ret: exit.map(|(_, r)| r),
        ready_count: exit.map_or(0, |(_, r)| r.max(0)),
        in_flight_at_end: exit.is_none(),
        status: if exit.is_some() { "complete" } else { "in_flight" }.into(),
    }
}

fn write_epoll_run(dataset: &Path, run: &str) {
    let a = "netpoll.txt";
    let mut rows = vec![
        // tid 100, window [5 s, 6 s): wakeup (10 ms, 2 events), non-blocking poll, timeout (30 ms),
        // wakeup entered at 5.9 s that exits in the next window (200 ms, 3 events).
        call(a, 100, "app", -1, 5_300, Some((10 * MS, 2))),
        call(a, 100, "app", 0, 5_400, Some((1_000, 0))),
        call(a, 100, "app", 10, 5_500, Some((30 * MS, 0))),
        call(a, 100, "app", -1, 5_900, Some((200 * MS, 3))),
        // window [6 s, 7 s): EINTR after 5 ms, wakeup after 20 ms (1 event).
        call(a, 100, "app", -1, 6_200, Some((5 * MS, -4))),
        call(a, 100, "app", 10, 6_500, Some((20 * MS, 1))),
        // window [7 s, 8 s): still blocked at the end of the capture.
        call(a, 100, "app", -1, 7_500, None),
        // tid 200, window [8 s, 9 s): one non-blocking poll returning 1 event.
        call(a, 200, "worker", 0, 8_000, Some((2_000, 1))),
    ];
    // tid 300, window [5 s, 6 s): ten 100 ms-timeout calls blocked 1..=10 ms, all timing out.
    rows.extend((1..=10).map(|k| call(a, 300, "timer", 100, 5_000 + 10 * k, Some((k * MS, 0)))));
    let staging = RunStaging::new(dataset, run).unwrap();
    let sources =
        [a, "netpoll.ndjson"].map(|s| SourceRow { source: s.into(), status: "ok".into(), ..Default::default() });
    staging.write::<SourceRow>("test", sources).unwrap();
    staging.write::<EpollCallRow>("bpftrace", rows).unwrap();
    // The same first call, seen by a JSON capture of the same script: counted once.
    let mut staging_b = staging.part_writer::<EpollCallRow>(1, "bpftrace").unwrap();
    staging_b.push(call("netpoll.ndjson", 100, "app", -1, 5_300, Some((10 * MS, 2)))).unwrap();
    staging_b.finish().unwrap();
    staging.commit(&[]).unwrap();
}

#[allow(clippy::too_many_arguments)]
fn expect(
    tid: i64,
    comm: &str,
    start_s: Option<i64>,
    counts: [i64; 6],
    blocked_ns: i64,
    pct: Option<[i64; 4]>,
    ready: i64,
    per_wakeup: Option<f64>,
) -> EpollWindowRow {
    let [calls, blocking_calls, wakeups, timeouts, errors, no_exit] = counts;
    EpollWindowRow {
        tid,
        comm: comm.into(),
        clock: "monotonic".into(),
        window_ns: S,
        window_start_ns: start_s.map(|s| s * S),
        window_end_ns: start_s.map(|s| (s + 1) * S),
        calls,
        blocking_calls,
        wakeups,
        timeouts,
        errors,
        no_exit,
        blocked_ns,
        blocked_p50_ns: pct.map(|p| p[0]),
        blocked_p90_ns: pct.map(|p| p[1]),
        blocked_p99_ns: pct.map(|p| p[2]),
        blocked_max_ns: pct.map(|p| p[3]),
        ready_events: ready,
        ready_per_wakeup: per_wakeup,
    }
}

fn expected() -> Vec<EpollWindowRow> {
    vec![
        // Whole run of tid 100: blocked [5, 10, 20, 30, 200] ms → p50 rank 3 = 20 ms,
        // p90 rank 5 = 200 ms; 6 events over 3 wakeups.
        expect(
            100,
            "app",
            None,
            [7, 6, 3, 1, 1, 1],
            265 * MS,
            Some([20 * MS, 200 * MS, 200 * MS, 200 * MS]),
            6,
            Some(2.0),
        ),
        // [5 s, 6 s): blocked [10, 30, 200] ms → p50 rank 2 = 30 ms; 5 events over 2 wakeups.
        expect(
            100,
            "app",
            Some(5),
            [4, 3, 2, 1, 0, 0],
            240 * MS,
            Some([30 * MS, 200 * MS, 200 * MS, 200 * MS]),
            5,
            Some(2.5),
        ),
        // [6 s, 7 s): blocked [5, 20] ms → p50 rank 1 = 5 ms, p90 rank 2 = 20 ms.
        expect(
            100,
            "app",
            Some(6),
            [2, 2, 1, 0, 1, 0],
            25 * MS,
            Some([5 * MS, 20 * MS, 20 * MS, 20 * MS]),
            1,
            Some(1.0),
        ),
        // [7 s, 8 s): one call without exit: no blocked time known.
        expect(100, "app", Some(7), [1, 1, 0, 0, 0, 1], 0, None, 0, None),
        expect(200, "worker", None, [1, 0, 1, 0, 0, 0], 0, None, 1, Some(1.0)),
        expect(200, "worker", Some(8), [1, 0, 1, 0, 0, 0], 0, None, 1, Some(1.0)),
        // tid 300: blocked 1..=10 ms → p50 rank 5, p90 rank 9, p99 rank 10.
        expect(300, "timer", None, [10, 10, 0, 10, 0, 0], 55 * MS, Some([5 * MS, 9 * MS, 10 * MS, 10 * MS]), 0, None),
        expect(
            300,
            "timer",
            Some(5),
            [10, 10, 0, 10, 0, 0],
            55 * MS,
            Some([5 * MS, 9 * MS, 10 * MS, 10 * MS]),
            0,
            None,
        ),
    ]
}

#[test]
fn hand_computed_epoll_windows() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    write_epoll_run(ds, "net");
    let summary = analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: None }).unwrap();
    let written: Vec<(&str, usize)> = summary.runs[0].tables_written.iter().map(|t| (t.table, t.rows)).collect();
    assert_eq!(written, [("epoll_windows", 8)]);
    let got = read_table::<EpollWindowRow>(ds, "net").unwrap();
    assert_eq!(got, expected());
}

#[test]
fn no_epoll_calls_no_table() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path();
    write_epoll_run(ds, "net");
    analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: None }).unwrap();
    assert!(partition_dir(ds, "epoll_windows", "net").is_dir());
    // The run loses its epoll calls: its stale `epoll_windows` goes on the next analysis.
    std::fs::remove_dir_all(partition_dir(ds, "epoll_calls", "net")).unwrap();
    let summary = analyze(&AnalyzeOptions { dataset: ds.to_path_buf(), runs: None }).unwrap();
    assert!(summary.runs[0].tables_written.is_empty());
    assert!(!partition_dir(ds, "epoll_windows", "net").exists());
    assert!(read_table::<EpollWindowRow>(ds, "net").unwrap().is_empty());
}

#[test]
fn windows_align_to_the_first_call_and_take_any_length() {
    let c = |tid: i64, enter_ns: i64, ret: i64| EpollCall {
        clock: "monotonic".into(),
        pid: 1,
        tid,
        comm: "t".into(),
        timeout_ms: -1,
        enter_ns,
        duration_ns: Some(MS),
        ret: Some(ret),
    };
    assert!(windows(&[], DEFAULT_WINDOW_NS).is_empty());
    // 250 ms windows: first call at 1.1 s → origin 1.0 s; 1.6 s falls in [1.5 s, 1.75 s).
    let rows = windows(&[c(1, 1_100 * MS, 1), c(1, 1_600 * MS, 0), c(2, 1_249 * MS, 4)], 250 * MS);
    let starts: Vec<(i64, Option<i64>, i64)> =
        rows.iter().map(|r| (r.tid, r.window_start_ns.map(|s| s / MS), r.calls)).collect();
    assert_eq!(starts, [(1, None, 2), (1, Some(1_000), 1), (1, Some(1_500), 1), (2, None, 1), (2, Some(1_000), 1)]);
    assert_eq!(rows[0].timeouts, 1);
    assert_eq!(rows[3].ready_per_wakeup, Some(4.0));
}
