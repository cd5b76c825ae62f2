//! The fast path ([`super::detail::DetailProbe`]) changes nothing: every unified log of the
//! fixtures (and of `../shared/corpus/gc/jvm` when present), and lines made to trip it, give
//! the same rows, cycles, clocks and `ingest_log` with and without it.

use std::path::{Path, PathBuf};

use super::{ingest_lines, sniff};
use crate::gc::{GcOutput, SourceCtx};

fn output(text: &[u8], fast: bool) -> String {
    let ctx = SourceCtx { source: "log".into(), clock_scope: "log".into() };
    let mut out = GcOutput::default();
    let mut input = std::io::BufReader::with_capacity(1 << 12, text);
    ingest_lines(&ctx, &mut input, &mut out, fast).expect("in-memory read");
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?} {:?} {:?}",
        out.pauses,
        out.safepoints,
        out.cycles,
        out.clocks,
        out.account.rows("log", Some("jvm-unified")),
        out.tool_version,
        out.heap_max_bytes,
        out.parallel_workers
    )
}

/// Panics with the first difference between the two outputs, in context.
fn assert_same(fast: &str, full: &str, what: &str) {
    if let Some(at) = fast
        .bytes()
        .zip(full.bytes())
        .position(|(a, b)| a != b)
        .or((fast.len() != full.len()).then(|| fast.len().min(full.len())))
    {
        let from = fast[..at].char_indices().rev().nth(200).map_or(0, |(i, _)| i);
        let ctx = |s: &str| s[from..].chars().take(400).collect::<String>();
        panic!("{what}: outputs differ\nfast: {}\nfull: {}", ctx(fast), ctx(full));
    }
}

fn logs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            logs_under(&p, out);
        } else if std::fs::read(&p).is_ok_and(|b| sniff(&b[..b.len().min(crate::format::SNIFF_BYTES)])) {
            out.push(p);
        }
    }
}

#[test]
fn fast_path_gives_the_full_parsers_output_on_every_unified_log() {
    let root = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut logs = Vec::new();
    logs_under(&root.join("fixtures"), &mut logs);
    let fixtures = logs.len();
    logs_under(&root.join("../shared/corpus/gc/jvm"), &mut logs);
    assert!(fixtures >= 10, "unified logs in fixtures: {fixtures}");
    for path in &logs {
        let text = std::fs::read(path).unwrap();
        assert_same(&output(&text, true), &output(&text, false), &path.display().to_string());
    }
    eprintln!("{} unified logs ({fixtures} from fixtures): fast path = full parser", logs.len());
}

#[test]
fn fast_path_gives_the_full_parsers_output_on_lines_made_to_trip_it() {
    let lines = [
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,init        ] Version: 17.0.15+6 (release)",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] Using G1",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,init        ] Heap Max Capacity: 48M",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,init        ] Parallel Workers: 2",
        "[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,stats       ] Marking Stats, task = 0, calls = 9",
        "[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,stats       ] Marking Stats, tâsk = 0, calls = 9",
        "[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,heap        ] GC(5)   region size 1024K",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(5) Pause Young (Normal) (G1 Evacuation Pause) 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(x) Pause Young (Normal) 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(99999999999999999999) Heap",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] Trigger: Free 10M",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ]    ",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Safepoint synchronization initiated",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Safepoint synchronizätion initiated",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Safepoint \"G1CollectForAllocation\", Time since last: 15364756 ns, Reaching safepoint: 29964 ns, Cleanup: 4202 ns, At safepoint: 1696167 ns, Total: 1730333 ns",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Entering safepoint region: ",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Entering safepoint region: G1CollectFull",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Total time for which application threads were stopped: 0.0001234 seconds, Stopping threads took: 0.0000100 seconds",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] Application time: 0.5000000 seconds",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint,stats] Application time: 0.5000000 seconds",
        "[0.207s] Total time for which application threads were stopped: 0.0001234 seconds, Stopping threads took: 0.0000100 seconds",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gcbox][gc,stats] Marking Stats",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,stats][gcbox] Marking Stats",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,stats][info] Marking Stats",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][GC,stats       ] Marking Stats",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc stats       ] Marking Stats",
        "[0.207s][gc] Using Serial",
        "[0.207s][gc] Marking Stats",
        "[0.207s] Marking Stats",
        "[1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16][17][gc] Marking Stats",
        "[1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16][gc] Marking Stats",
        "[0.207s][gc] GC(3) Pause Full (System.gc()) 10M->1M(48M) 3.000ms",
        // `GC(n)` lines under each kind of tag set: only `gc` and `gc,phases` may table one.
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,start       ] GC(5) Pause Young (Normal) (G1 Evacuation Pause)",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,phases      ] GC(5) Pause Remark 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,phases      ] Y: Pause Mark Start (Major) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,phases      ] GC(5) Y: Pause Mark Start (Major) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,phases      ] GC(5) Concurrent Mark 1.2ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,marking     ] GC(5) Concurrent Mark From Roots 12.3ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(5) Concurrent Mark Abort",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(5) Mark Abort",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(6) Degenerated: Upgrade to Full GC",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(6) Heap Cancelling GC: Allocation Failure",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(5)\tPause Young (Normal) 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc             ] GC(5) \x0bPause Young (Normal) 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc\t] GC(5) Pause Young (Normal) 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][gc,phases\x0b] GC(5) Region Register: 0.1ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] GC(5) Pause Young (Normal) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][safepoint      ] GC(5) region size 1024K",
        "[2026-11-26T11:47:42.782+0000][0.207s][info ][jit,compilation] GC(5) region size 1024K",
        "[2026-11-26T11:47:42.782+0000][0.207s][gc,marking][info] GC(5) Concurrent Mark From Roots",
        "[2026-11-26T11:47:42.782+0000][0.207s][gc][info] GC(5) Concurrent Mark From Roots",
        "[2026-11-26T11:47:42.782+0000][0.207s][safepoint][info] GC(5) region size 1024K",
        "[2026-11-26T11:47:42.782+0000][0.207s][gc,heap][debug] GC(5) region size 1024K",
        "[2026-11-26T11:47:42.782+0000][0.207s][info] GC(5) Pause Young (Normal) 30M->3M(48M) 1.657ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info] GC(5) Concurrent Cycle 12.3ms",
        "[2026-11-26T11:47:42.782+0000][0.207s][info] GC(5) region size 1024K",
        "[0.207s] GC(5) Concurrent Cycle 12.3ms",
        "[0.207s] GC(5) Mark Abort",
        "[0.207s] GC(5) region size 1024K",
        // No group is a level, a tag set or a time: not a unified logging line at all.
        "[12345p] GC(3) Heap after GC invocations=4",
        "[] GC(1) x",
        "[Host01][12345p] GC(3) Eden regions: 1->0(2)",
        "[12345p] Marking Stats",
        "",
        "plain text",
    ];
    let mut lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    // Not UTF-8, in a detail line and a message without an id.
    lines.push(b"[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,heap        ] GC(5)   region \xff size 1024K");
    lines.push(b"[2026-11-26T11:47:42.782+0000][0.207s][debug][gc,stats       ] Marking \xff Stats");
    // Each line after each other line, so the remembered shape is every line's in turn.
    let mut text = Vec::new();
    for a in &lines {
        for b in &lines {
            text.extend_from_slice(a);
            text.push(b'\n');
            text.extend_from_slice(b);
            text.push(b'\n');
        }
    }
    assert_same(&output(&text, true), &output(&text, false), "made-up lines");
}

/// Texts of one to three lines, each of up to four decorator groups drawn from times, levels,
/// tag sets (padded with spaces, tabs, vertical tabs), hostnames, pids, empty groups and groups
/// of 8 and 32 bytes, then a message drawn from detail lines, tabled lines, setup and safepoint
/// messages: the fast path and the full parser agree on every one (fixed seed, so a failure
/// reproduces).
#[test]
fn fast_path_gives_the_full_parsers_output_on_random_decorated_lines() {
    let groups: &[&str] = &[
        "2026-11-26T11:47:42.782+0000",
        "0.207s",
        "10.207s",
        "123ms",
        "1795686578610ms",
        "12345ns",
        "info",
        "info ",
        "debug",
        "warning",
        "trace",
        "error",
        "gc",
        "gc  ",
        "gc             ",
        "gc,phases",
        "gc,phases      ",
        "gc,phases\x0b",
        "gc\t",
        "gc,heap",
        "gc,heap        ",
        "gcx",
        "safepoint",
        "safepoint      ",
        "safepoint,stats",
        "jit",
        "Host",
        "host",
        "",
        " ",
        " gc",
        "1234p",
        "gc,start       ",
        "gc_x",
        "g",
        "gc,",
        "errors",
        "infos",
        "gc,phases,start",
        "gc,phases ",
        "gc,phasesx",
        "safepointx     ",
        "gc,heap,exit   ",
        "gc,phases,task ",
        "abcdefgh",
        "abcdefghijklmnopqrstuvwxyz012345",
        "gc,phases      \r",
    ];
    let messages: &[&str] = &[
        "GC(5) region size 1024K",
        "GC(5) Pause Young (Normal) 30M->3M(48M) 1.657ms",
        "GC(5)",
        "GC(5)  ",
        "GC(5) \t",
        "GC(5)x",
        "GC(5) Concurrent Mark 1.2ms",
        "GC(5) Concurrent Cycle 12.3ms",
        "GC(5) Mark Abort",
        "GC(5) y: Pause Young 1.0ms",
        "GC(5) Y: Foo",
        "GC(5) Garbage Collection (Warmup) 20M(1%)->10M(0%) 1.2ms",
        "GC(5) Upgrade to Full GC",
        "GC(5) Cancelling GC: x",
        "GC(05) x",
        "GC(5) Pause",
        "GC(5) Pause Young",
        "Using G1",
        "Using ",
        "Using",
        "Marking Stats",
        "",
        "  ",
        "Safepoint \"G1\", Total: 1 ns",
        "Safepoint \"G1\", Reaching safepoint: 1 ns",
        "Application time: 0.5 seconds",
        "Entering safepoint region: X",
        "Entering safepoint region: ",
        "Total time for which application threads were stopped: 0.1 seconds, Stopping threads took: 0.01 seconds",
        "Trigger: x",
        "Heap Max Capacity: 48M",
        "Heap Max Capacity: x",
        "Version: 17",
        "GC Workers: 2",
        "Parallel Workers: x",
        " GC(5) x",
        "GC(5)\r",
        "GC(5) x\r",
        "GC(5) Heap\x0b",
    ];
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut pick = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..100_000 {
        let mut text = Vec::new();
        for _ in 0..1 + pick(3) {
            for _ in 0..pick(5) {
                text.push(b'[');
                text.extend_from_slice(groups[pick(groups.len())].as_bytes());
                text.push(b']');
            }
            text.push(b' ');
            text.extend_from_slice(messages[pick(messages.len())].as_bytes());
            text.push(b'\n');
        }
        let what = format!("round {round}: {:?}", String::from_utf8_lossy(&text));
        assert_same(&output(&text, true), &output(&text, false), &what);
    }
}
