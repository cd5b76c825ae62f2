//! The epoll (netpoll) section: `epoll_windows` rows chosen by hand, rendered and checked number
//! by number; no section without epoll data; a note when calls were not analysed.

use std::path::Path;

use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_windows::EpollWindowRow;
use model::write::RunStaging;

use super::{g1, render, row, write_run, MS};

const S: i64 = 1_000 * MS;

/// Whole-run row of thread `tid` (`app-<tid>`) with `calls` calls and fixed other figures.
fn whole(tid: i64, calls: i64) -> EpollWindowRow {
    EpollWindowRow {
        tid,
        comm: format!("app-{tid}"),
        clock: "monotonic".into(),
        window_ns: S,
        window_start_ns: None,
        window_end_ns: None,
        calls,
        blocking_calls: 100,
        wakeups: 80,
        timeouts: 15,
        errors: 1,
        no_exit: 0,
        blocked_ns: 1_234_567_890,
        blocked_p50_ns: Some(2 * MS),
        blocked_p90_ns: Some(15 * MS),
        blocked_p99_ns: Some(250 * MS),
        blocked_max_ns: Some(1_500 * MS),
        ready_events: 100,
        ready_per_wakeup: Some(1.25),
    }
}

/// Window of thread `tid` starting at `start_s` seconds with `calls` calls.
fn window(tid: i64, start_s: i64, calls: i64) -> EpollWindowRow {
    EpollWindowRow {
        window_start_ns: Some(start_s * S),
        window_end_ns: Some((start_s + 1) * S),
        blocking_calls: calls,
        wakeups: calls - 1,
        timeouts: 1,
        errors: 0,
        blocked_ns: 40 * MS,
        blocked_p50_ns: Some(MS),
        blocked_p90_ns: Some(4 * MS),
        blocked_p99_ns: Some(9 * MS),
        blocked_max_ns: Some(9 * MS),
        ready_events: 3 * (calls - 1),
        ready_per_wakeup: Some(3.0),
        ..whole(tid, calls)
    }
}

fn add_epoll(ds: &Path, windows: Vec<EpollWindowRow>, calls: Vec<EpollCallRow>) {
    let st = RunStaging::new(ds, "jdk17-g1").unwrap();
    st.write::<EpollCallRow>("bpftrace", calls).unwrap();
    if !windows.is_empty() {
        st.write::<EpollWindowRow>("analysis", windows).unwrap();
    }
    st.commit(&[]).unwrap();
}

fn one_call() -> EpollCallRow {
    EpollCallRow {
        source: "netpoll.txt".into(),
        clock: "monotonic".into(),
        tid: 3,
        comm: "app-3".into(),
        timeout_ms: -1,
        timeout_class: "infinite".into(),
        enter_ns: 5 * S,
        status: "in_flight".into(),
        in_flight_at_end: true,
        ..Default::default()
    }
}

#[test]
fn section_renders_top_threads_and_busiest_windows() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_run(&ds, &g1());
    // 12 threads, tid t with 10·t calls: the table lists tids 12 down to 3.
    let mut rows: Vec<EpollWindowRow> = (1..=12).map(|t| whole(t, 10 * t)).collect();
    rows.extend([window(12, 5, 50), window(12, 6, 70), window(4, 5, 30), window(3, 7, 30), window(1, 8, 10)]);
    add_epoll(&ds, rows, vec![one_call()]);
    let (md, _) = render(dir.path(), None, None).unwrap();
    assert!(md.contains("### epoll (netpoll)"), "{md}");
    assert!(md.contains("780 `epoll_wait`/`epoll_pwait` calls by 12 threads, in windows of 1.00 s."), "{md}");
    assert_eq!(
        row(&md, "12"),
        "| 12 | `app-12` | 120 | 100 | 80 | 15 | 1 | 0 | 1.23 s | 2.00 ms | 15.00 ms | 250.00 ms | 1.50 s | 1.25 |"
    );
    assert!(md.contains("| 3 | `app-3` | 30 |"), "{md}");
    assert!(!md.contains("| 2 | `app-2` |"), "{md}");
    assert!(!md.contains("| 1 | `app-1` |"), "{md}");
    assert!(md.contains("2 more threads not shown."), "{md}");
    // Busiest windows: 70 calls at +1 s, 50 at +0 s, then the earlier of the two 30-call windows.
    let busiest: Vec<&str> = md.lines().filter(|l| l.starts_with("| +")).collect();
    assert_eq!(
        busiest,
        [
            "| +1.00 s | 12 | `app-12` | 70 | 70 | 69 | 1 | 0 | 40.00 ms | 1.00 ms | 4.00 ms | 9.00 ms | 9.00 ms | 3.00 |",
            "| +0 s | 12 | `app-12` | 50 | 50 | 49 | 1 | 0 | 40.00 ms | 1.00 ms | 4.00 ms | 9.00 ms | 9.00 ms | 3.00 |",
            "| +0 s | 4 | `app-4` | 30 | 30 | 29 | 1 | 0 | 40.00 ms | 1.00 ms | 4.00 ms | 9.00 ms | 9.00 ms | 3.00 |",
        ]
    );
    // The section sits after the run's GC tables and before its safepoints.
    let (epoll, safepoints) = (md.find("### epoll (netpoll)").unwrap(), md.find("### Safepoints").unwrap());
    assert!(epoll < safepoints);
}

#[test]
fn no_section_without_epoll_data() {
    let dir = tempfile::tempdir().unwrap();
    write_run(&dir.path().join("ds"), &g1());
    let (md, _) = render(dir.path(), None, None).unwrap();
    assert!(!md.contains("epoll"), "{md}");
}

#[test]
fn calls_without_windows_ask_for_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_run(&ds, &g1());
    add_epoll(&ds, Vec::new(), vec![one_call()]);
    let (md, _) = render(dir.path(), None, None).unwrap();
    assert!(md.contains("### epoll (netpoll)"), "{md}");
    assert!(md.contains("run `tracefold analyze` on the dataset to fill this section"), "{md}");
    assert!(!md.contains("| tid | comm |"), "{md}");
}
