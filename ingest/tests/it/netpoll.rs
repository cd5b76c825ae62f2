//! Netpoll captures (bpftrace, text and `-f json`) → epoll_calls / epoll_ready; the capture kit
//! (`capture/netpoll.bt`, `capture/cgsnap.sh`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use model::tables::epoll_calls::EpollCallRow;
use model::tables::epoll_ready::EpollReadyRow;
use tracefold_ingest::bpftrace::{self, BpftraceOutput};
use tracefold_ingest::gc::SourceCtx;
use tracefold_ingest::netpoll::{self, NetpollOptions, NetpollOutput, GO_1_27_AMD64};

use crate::common::{fixture, shared_corpus};

fn capture_dir() -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../capture")
}

/// The printf texts of a capture file as written (JSON mode: the `data` string).
fn printf_texts(bytes: &[u8]) -> Vec<String> {
    let s = std::str::from_utf8(bytes).unwrap();
    s.lines()
        .filter_map(|l| {
            if l.starts_with('{') {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                (v["type"] == "printf").then(|| v["data"].as_str().unwrap().trim_end_matches('\n').to_string())
            } else {
                Some(l.to_string())
            }
        })
        .collect()
}

fn count_prefix(texts: &[String], p: &str) -> usize {
    texts.iter().filter(|t| t.starts_with(p)).count()
}

fn ingest(name: &str, bytes: &[u8]) -> (BpftraceOutput, NetpollOutput) {
    let ctx = SourceCtx { source: name.to_string(), clock_scope: name.to_string() };
    let mut out = BpftraceOutput::default();
    let mut reader: &[u8] = bytes;
    bpftrace::ingest(&ctx, &mut reader, &mut out).expect("reading from memory cannot fail");
    assert!(netpoll::is_netpoll(&out.lines), "{name}: not recognised as a netpoll capture");
    let np = netpoll::from_lines(name, &out.lines, &NetpollOptions { go_layout: Some(GO_1_27_AMD64) });
    (out, np)
}

fn ingest_file(p: &Path) -> (Vec<String>, NetpollOutput) {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (_, np) = ingest(&p.display().to_string(), &bytes);
    (printf_texts(&bytes), np)
}

/// Per-file invariants: one call per ENTER, one ready row per READY, every EXIT used.
fn check_counts(name: &str, texts: &[String], np: &NetpollOutput) {
    let (enters, exits, readies) =
        (count_prefix(texts, "ENTER "), count_prefix(texts, "EXIT "), count_prefix(texts, "READY "));
    assert_eq!(np.calls.len(), enters, "{name}: epoll_calls = ENTER lines");
    assert_eq!(np.ready.len(), readies, "{name}: epoll_ready = READY lines");
    assert_eq!(np.calls.iter().filter(|c| c.exit_ns.is_some()).count(), exits, "{name}: every EXIT closes a call");
    assert!(np.problems.is_empty(), "{name}: {:?}", &np.problems[..np.problems.len().min(5)]);
    assert!(np.anchor.is_some(), "{name}: anchor");
    // Ready events attached: sum of ready_count = READY lines; each complete call with ret > 0
    // has min(ret, 24) of them.
    assert_eq!(np.calls.iter().map(|c| c.ready_count as usize).sum::<usize>(), readies);
    for c in np.calls.iter().filter(|c| c.status == "complete") {
        assert_eq!(c.ready_count, c.ret.unwrap().clamp(0, 24), "{name}: call at line {}", c.line);
        assert!(c.duration_ns.unwrap() >= 0);
    }
    // timeout classes as the raw timeout says
    for c in &np.calls {
        let want = match c.timeout_ms {
            t if t < 0 => "infinite",
            0 => "non_blocking",
            _ => "finite",
        };
        assert_eq!(c.timeout_class, want);
        assert_eq!(c.clock, "monotonic");
    }
    // in flight at end: at most one per thread, and it is the thread's last call
    let mut last: HashMap<i64, &EpollCallRow> = HashMap::new();
    for c in &np.calls {
        last.insert(c.tid, c);
    }
    for c in np.calls.iter().filter(|c| c.in_flight_at_end) {
        assert_eq!(last[&c.tid].enter_ns, c.enter_ns, "{name}: in-flight call is its thread's last");
        assert!(c.exit_ns.is_none() && c.ret.is_none());
    }
}

fn classes(np: &NetpollOutput) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in &np.calls {
        *m.entry(c.timeout_class.clone()).or_default() += 1;
    }
    m
}

fn statuses(np: &NetpollOutput) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in &np.calls {
        *m.entry(c.status.clone()).or_default() += 1;
    }
    m
}

fn ready_of<'a>(np: &'a NetpollOutput, c: &EpollCallRow) -> Vec<&'a EpollReadyRow> {
    np.ready.iter().filter(|r| r.tid == c.tid && r.enter_ns == Some(c.enter_ns)).collect()
}

/// Calls present in both captures (two bpftrace processes on the same pid at the same time).
/// Each process reads `nsecs` in its own probe run, so the same syscall carries slightly
/// different timestamps in the two files (a few µs): calls are matched per thread in order
/// (one index shift per thread, found from the call nearest in time inside the common window),
/// then required identical in everything but the timestamps, with |Δenter| and |Δexit| < 1 ms.
/// Returns (matched pairs, max |Δenter| ns).
fn match_calls(a: &NetpollOutput, b: &NetpollOutput) -> (usize, i64) {
    let by_tid = |o: &NetpollOutput| {
        let mut m: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, c) in o.calls.iter().enumerate() {
            m.entry(c.tid).or_default().push(i);
        }
        m
    };
    let (ta, tb) = (by_tid(a), by_tid(b));
    let span = |o: &NetpollOutput| (o.calls.first().unwrap().enter_ns, o.calls.last().unwrap().enter_ns);
    let ((a0, a1), (b0, b1)) = (span(a), span(b));
    // common window, with a margin for the probes attaching/detaching at different moments
    let (lo, hi) = (a0.max(b0) + 2_000_000, a1.min(b1) - 2_000_000);
    let (mut pairs, mut max_d) = (0, 0);
    for (tid, ia) in &ta {
        let Some(ib) = tb.get(tid) else { continue };
        let inside: Vec<usize> = ia.iter().copied().filter(|&i| (lo..=hi).contains(&a.calls[i].enter_ns)).collect();
        let Some(&first) = inside.first() else { continue };
        let pa = ia.iter().position(|&i| i == first).unwrap();
        let t = a.calls[first].enter_ns;
        let pb = (0..ib.len()).min_by_key(|&j| (b.calls[ib[j]].enter_ns - t).abs()).unwrap();
        let shift = pb as i64 - pa as i64;
        for (k, &i) in ia.iter().enumerate() {
            let ca = &a.calls[i];
            if !(lo..=hi).contains(&ca.enter_ns) {
                continue;
            }
            let j = k as i64 + shift;
            assert!(j >= 0 && (j as usize) < ib.len(), "tid {tid}: call at {} has no partner", ca.enter_ns);
            let cb = &b.calls[ib[j as usize]];
            let d = (ca.enter_ns - cb.enter_ns).abs();
            assert!(d < 1_000_000, "tid {tid}: calls at {} / {} too far apart", ca.enter_ns, cb.enter_ns);
            max_d = max_d.max(d);
            let key = |c: &EpollCallRow| {
                (
                    c.pid,
                    c.tid,
                    c.comm.clone(),
                    c.syscall.clone(),
                    c.epfd,
                    c.maxevents,
                    c.timeout_ms,
                    c.timeout_class.clone(),
                )
            };
            assert_eq!(key(ca), key(cb), "tid {tid}: call at {}", ca.enter_ns);
            if ca.status == "complete" && cb.status == "complete" {
                assert_eq!(ca.ret, cb.ret, "tid {tid}: ret of call at {}", ca.enter_ns);
                assert!((ca.exit_ns.unwrap() - cb.exit_ns.unwrap()).abs() < 1_000_000);
                let ev = |o, c| ready_of(o, c).iter().map(|r| (r.index, r.events, r.data)).collect::<Vec<_>>();
                assert_eq!(ev(a, ca), ev(b, cb), "tid {tid}: ready events of call at {}", ca.enter_ns);
            }
            pairs += 1;
        }
    }
    (pairs, max_d)
}

fn run1(dir: &Path) -> ((Vec<String>, NetpollOutput), (Vec<String>, NetpollOutput)) {
    let t = ingest_file(&dir.join("epoll-bpftrace.txt"));
    let j = ingest_file(&dir.join("epoll-bpftrace.ndjson"));
    check_counts("txt", &t.0, &t.1);
    check_counts("ndjson", &j.0, &j.1);
    (t, j)
}

fn report(label: &str, t: &NetpollOutput, j: &NetpollOutput, pairs: usize, max_d: i64) {
    eprintln!(
        "{label}: txt {} calls {:?} {:?} {} ready; ndjson {} calls {:?} {:?} {} ready; {pairs} matched, max |Δenter| {max_d} ns",
        t.calls.len(),
        classes(t),
        statuses(t),
        t.ready.len(),
        j.calls.len(),
        classes(j),
        statuses(j),
        j.ready.len()
    );
}

#[test]
fn run1_fixture_text_and_json_agree() {
    let ((_, t), (_, j)) = run1(&fixture("go-netpoll/run1"));
    assert_eq!((t.calls.len(), t.ready.len()), (1680, 1141));
    assert_eq!((j.calls.len(), j.ready.len()), (1774, 1204));
    let (pairs, max_d) = match_calls(&t, &j);
    report("fixture", &t, &j, pairs, max_d);
    assert!(pairs > 1500, "{pairs}");
    assert_eq!(match_calls(&j, &t).0, pairs, "matching is symmetric");
    // Go uses only epoll_pwait on one epoll fd with maxevents 128
    assert!(t.calls.iter().all(|c| c.syscall == "epoll_pwait" && c.epfd == 7 && c.maxevents == 128));
    // netpollBreak wakeups have data 0 and no pollDesc; the others decode
    assert!(t.ready.iter().all(|r| (r.data == 0) == r.poll_desc.is_none()));
    // the anchor: bpftrace nsecs ↔ wall, as anchors.tsv says (offset 1795686323.662 s, ±1 ms)
    let (mono, wall) = t.anchor.unwrap();
    assert_eq!(mono, 992_147_589_598);
    assert!((wall - mono - 1_795_686_323_662_236_453).abs() < 1_000_000, "{}", wall - mono);
}

#[test]
fn run1_corpus_text_and_json_agree() {
    let Some(dir) = shared_corpus("go-netpoll/run1") else { return };
    let ((tt, t), (_, j)) = run1(&dir);
    // MANIFEST: 5424 ENTER / 5415 EXIT / 4576 READY lines in the text capture
    assert_eq!((count_prefix(&tt, "ENTER "), t.calls.len(), t.ready.len()), (5424, 5424, 4576));
    assert_eq!(t.calls.iter().filter(|c| c.exit_ns.is_some()).count(), 5415);
    let c = classes(&t);
    assert_eq!((c.get("non_blocking"), c.get("finite"), c.get("infinite")), (Some(&3125), Some(&2299), None));
    let (pairs, max_d) = match_calls(&t, &j);
    report("corpus", &t, &j, pairs, max_d);
    assert!(pairs > 5000, "{pairs}");
}

/// `which bpftrace`; runs `capture/netpoll.bt` (text and JSON, at the same time) on a child
/// doing epoll waits of all three timeout classes; skips with a message when bpftrace is absent
/// or cannot attach (unprivileged, no tracefs, ...).
#[test]
fn netpoll_bt_runs_with_bpftrace() {
    let Ok(w) = Command::new("which").arg("bpftrace").output() else {
        eprintln!("skipping: `which` unavailable");
        return;
    };
    if !w.status.success() {
        eprintln!("skipping: bpftrace not installed (`apt-get install bpftrace`)");
        return;
    }
    let script = r#"
import select, socket, time
ep = select.epoll()
a, b = socket.socketpair()
ep.register(a.fileno(), select.EPOLLIN)
end = time.time() + 6
i = 0
while time.time() < end:
    if i % 3 == 0:
        b.send(b"x")
    t = [0, 0.02, -1][i % 3]
    if t == -1 and not ep.poll(0):
        b.send(b"x")
    for fd, ev in ep.poll(t):
        a.recv(100)
    i += 1
"#;
    let Ok(mut child) = Command::new("python3").arg("-c").arg(script).stdin(Stdio::null()).spawn() else {
        eprintln!("skipping: python3 (used as the epoll workload) unavailable");
        return;
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let bt = capture_dir().join("netpoll.bt");
    let run = |extra: &[&str], out: &Path| {
        Command::new("bpftrace")
            .args(extra)
            .args(["-B", "line", "-o"])
            .arg(out)
            .arg(&bt)
            .arg(child.id().to_string())
            .arg("2")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (txt, json) = (dir.path().join("np.txt"), dir.path().join("np.ndjson"));
    let pt = run(&[], &txt);
    let pj = run(&["-f", "json"], &json);
    let (ot, oj) = (pt.wait_with_output().unwrap(), pj.wait_with_output().unwrap());
    let _ = child.kill();
    let _ = child.wait();
    let bt_txt = std::fs::read(&txt).unwrap_or_default();
    if !ot.status.success() || !oj.status.success() || !printf_texts(&bt_txt).iter().any(|l| l.starts_with("ENTER ")) {
        eprintln!(
            "skipping: bpftrace could not attach or saw no epoll calls (status {} / {}):\n{}",
            ot.status,
            oj.status,
            String::from_utf8_lossy(&ot.stderr)
        );
        return;
    }
    let bt_json = std::fs::read(&json).unwrap();
    let (_, t) = ingest("np.txt", &bt_txt);
    let (_, j) = ingest("np.ndjson", &bt_json);
    check_counts("live txt", &printf_texts(&bt_txt), &t);
    check_counts("live ndjson", &printf_texts(&bt_json), &j);
    let c = classes(&t);
    assert!(c.len() == 3, "all three timeout classes: {c:?}");
    assert!(t.calls.iter().all(|c| c.syscall == "epoll_wait" || c.syscall == "epoll_pwait"));
    assert!(t.calls.iter().all(|c| c.comm == "python3"));
    // anchor: the wall time is now (±5 min), with its zone
    let (_, wall) = t.anchor.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64;
    assert!((now - wall).abs() < 300_000_000_000, "anchor {wall} vs now {now}");
    // ready events carry the registered fd in data
    assert!(!t.ready.is_empty());
    assert!(t.ready.iter().all(|r| r.events & 1 == 1));
    let (pairs, max_d) = match_calls(&t, &j);
    report("live", &t, &j, pairs, max_d);
    assert!(pairs > 0);
}

#[test]
fn cgsnap_sh_parses_and_its_output_ingests() {
    let sh = capture_dir().join("cgsnap.sh");
    let st = Command::new("bash").arg("-n").arg(&sh).status().expect("bash");
    assert!(st.success(), "bash -n cgsnap.sh");
    if !Path::new("/sys/fs/cgroup").exists() {
        eprintln!("skipping the sampling run: no /sys/fs/cgroup here");
        return;
    }
    let out = Command::new("bash").arg(&sh).args(["-n", "2", "-i", "0.1"]).output().expect("bash");
    assert!(out.status.success(), "cgsnap.sh: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# cgsnap v1 host="), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("# ts_ns=")).count(), 2);
    assert!(tracefold_ingest::cgroup::sniff(text.as_bytes()), "sniff rejects:\n{text}");
    let ctx = SourceCtx { source: "cgsnap".into(), clock_scope: "cgsnap".into() };
    let mut o = tracefold_ingest::cgroup::CgroupOutput::default();
    let mut r: &[u8] = text.as_bytes();
    tracefold_ingest::cgroup::ingest(&ctx, &mut r, &mut o).unwrap();
    assert!(!o.samples.is_empty());
    assert_eq!(o.account.lines_read(), text.lines().count() as i64);
}
