//! `perf script` text: folded stacks equal the collapsed results inferno and FlameGraph ship,
//! every sample counted, cut files never panic.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use tracefold_ingest::gc::SourceCtx;
use tracefold_ingest::perf_script::{self, fold_with_stats, FoldOptions, PerfScriptOutput};

use crate::common::{fixture, shared_corpus};

fn parse(name: &str, bytes: &[u8]) -> PerfScriptOutput {
    let ctx = SourceCtx { source: name.to_string(), clock_scope: name.to_string() };
    let mut out = PerfScriptOutput::default();
    let mut r: &[u8] = bytes;
    perf_script::ingest(&ctx, &mut r, &mut out).expect("reading from memory cannot fail");
    let a = &out.account;
    assert_eq!(a.lines_read(), a.lines_parsed() + a.lines_skipped(), "{name}: read = parsed + skipped");
    out
}

fn read(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut s).unwrap();
        s
    } else {
        bytes
    }
}

fn read_folded(path: &Path) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for l in String::from_utf8(read(path)).unwrap().lines().filter(|l| !l.is_empty()) {
        let (k, v) = l.rsplit_once(' ').unwrap();
        *m.entry(k.to_string()).or_insert(0) += v.parse::<u64>().unwrap();
    }
    m
}

/// Compares our folded output of `text` with `expected`; returns (our lines, their lines, our
/// sum, their sum, frame-less weight).
fn compare(text: &Path, expected: &Path, opts: &FoldOptions, perl: bool) -> (usize, usize, u64, u64, u64) {
    let name = text.file_name().unwrap().to_string_lossy().to_string();
    let bytes = read(text);
    let mut out = parse(&name, &bytes);
    let unterminated = !bytes.trim_ascii_end().is_empty() && !bytes.ends_with(b"\n\n");
    if perl && unterminated {
        // stackcollapse-perf.pl emits a sample at its blank line only: a last sample without one
        // (a cut file) is lost there; we keep it. Compare without it.
        let last = out.samples.pop().unwrap();
        eprintln!("{name}: last sample (line {}) has no closing blank line; perl drops it, we keep it", last.line);
    }
    let (mut ours, stats) = fold_with_stats(&out, opts);
    if perl {
        // stackcollapse-perf.pl deletes `'` and `"` from names; inferno (and we) keep them.
        let mut stripped = BTreeMap::new();
        for (k, v) in ours {
            *stripped.entry(k.replace(['\'', '"'], "")).or_insert(0) += v;
        }
        ours = stripped;
    }
    let theirs = read_folded(expected);
    // stackcollapse-perf.pl keeps frame-less samples as `comm count`; inferno drops them.
    let theirs_stacks: BTreeMap<String, u64> =
        theirs.iter().filter(|(k, _)| k.contains(';')).map(|(k, v)| (k.clone(), *v)).collect();
    let ours_sum: u64 = ours.values().sum();
    let theirs_sum: u64 = theirs.values().sum();
    let mut diff = Vec::new();
    for (k, v) in &ours {
        if theirs_stacks.get(k) != Some(v) {
            diff.push(format!("ours   {k} {v} (theirs {:?})", theirs_stacks.get(k)));
        }
    }
    for (k, v) in &theirs_stacks {
        if !ours.contains_key(k) {
            diff.push(format!("theirs {k} {v}"));
        }
    }
    assert!(
        diff.is_empty(),
        "{name}: {} differences:\n{}",
        diff.len(),
        diff.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    let frame_less_theirs = theirs_sum - theirs_stacks.values().sum::<u64>();
    // Every sample is counted: our folded sum + the frame-less weight we set apart = their sum +
    // what they dropped (perl keeps frame-less samples as `comm count`, inferno drops them).
    assert_eq!(ours_sum + frame_less_theirs, theirs_sum, "{name}: sums");
    assert!(
        frame_less_theirs <= stats.frame_less_weight,
        "{name}: perl kept {frame_less_theirs} frame-less, we counted {}",
        stats.frame_less_weight
    );
    eprintln!(
        "{name}: {} samples, {} folded lines = theirs {}, sum {} (+{} frame-less weight in {} samples, theirs kept {}) vs {}",
        stats.samples,
        ours.len(),
        theirs_stacks.len(),
        ours_sum,
        stats.frame_less_weight,
        stats.frame_less_samples,
        frame_less_theirs,
        theirs_sum
    );
    (ours.len(), theirs.len(), ours_sum, theirs_sum, stats.frame_less_weight)
}

#[test]
fn inferno_results() {
    let dir = fixture("perf/script/inferno");
    for (text, result, opts) in [
        ("cpp-stacks-std-function.txt", "cpp-stacks-std-function-collapsed.txt", FoldOptions::default()),
        ("go-stacks.txt", "go-stacks-collapsed.txt", FoldOptions::default()),
        ("java-inline.txt", "java-inline-collapsed.txt", FoldOptions::default()),
        ("single-event.txt", "single-event-collapsed.txt", FoldOptions::default()),
        (
            "sourcepawn-jitdump.txt",
            "sourcepawn-jitdump-collapsed-jit.txt",
            FoldOptions { annotate_jit: true, ..Default::default() },
        ),
        (
            "versioned-vmlinux.txt",
            "versioned-vmlinux-collapsed-kernel.txt",
            FoldOptions { annotate_kernel: true, ..Default::default() },
        ),
    ] {
        let (_, _, ours, theirs, frame_less) =
            compare(&dir.join(text), &dir.join("results").join(result), &opts, false);
        // inferno drops frame-less samples: ours + dropped = theirs + dropped, ours = theirs.
        assert_eq!(ours, theirs, "{text}: inferno sum");
        let _ = frame_less;
    }
}

#[test]
fn inferno_example_perf_stacks() {
    let (Some(text), Some(result)) = (
        shared_corpus("perf/public/flamegraph/example-perf-stacks.txt.gz"),
        shared_corpus("perf/public/inferno/results/example-perf-stacks-collapsed.txt"),
    ) else {
        return;
    };
    let (_, _, ours, theirs, _) = compare(&text, &result, &FoldOptions::default(), false);
    assert_eq!(ours, theirs);
}

#[test]
fn flamegraph_results_all() {
    let dir = fixture("perf/script/flamegraph");
    let mut files: Vec<(std::path::PathBuf, std::path::PathBuf)> = [
        "cycles-instructions-01",
        "iperf-stacks-pidtid-01",
        "java-faults-01",
        "java-stacks-01",
        "js-stacks-01",
        "mirageos-stacks-01",
        "numa-stacks-01",
        "rust-Yamakaky-dcpu",
    ]
    .iter()
    .map(|f| (dir.join(format!("perf-{f}.txt")), dir.join(format!("results/perf-{f}-collapsed-all.txt"))))
    .collect();
    if let (Some(t), Some(r)) = (
        shared_corpus("perf/public/flamegraph/perf-vertx-stacks-01.txt"),
        shared_corpus("perf/public/flamegraph/results/perf-vertx-stacks-01-collapsed-all.txt"),
    ) {
        files.push((t, r));
    }
    for (text, result) in files {
        compare(&text, &result, &FoldOptions::perl_all(), true);
    }
}

#[test]
fn samples_per_event_and_frame_less_kept() {
    let out = parse("ci", &read(&fixture("perf/script/flamegraph/perf-cycles-instructions-01.txt")));
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &out.samples {
        *per.entry(s.event.as_str()).or_default() += 1;
    }
    assert_eq!(per, BTreeMap::from([("cycles", 111), ("instructions", 333)]));
    let text = "\
swapper     0 [000] 100.000001:    1000 cpu-clock: 
\tffffffff8103ce3b native_safe_halt+0x1 ([kernel.kallsyms])
\tffffffff8101c6a3 default_idle ([kernel.kallsyms])

:-1    -1 [001] 100.000002:    1000 cpu-clock: 

java 12/13 100.000003:    1000 cpu-clock: 
\t7f1 Lfoo/Bar;::baz->Lfoo/Qux;::q (/tmp/perf-12.map)
\t7f2 [unknown] (/usr/lib/libjvm.so)
\t7f3 [unknown] ([unknown])

perf 5 [002] 100.000004: 1 sched:sched_switch: prev_comm=perf prev_pid=5
";
    let out = parse("t", text.as_bytes());
    assert_eq!(out.samples.len(), 4);
    assert_eq!(out.samples[1].comm, ":-1");
    assert_eq!((out.samples[1].tid, out.samples[1].stack_id), (Some(-1), 0));
    assert_eq!((out.samples[2].pid, out.samples[2].tid, out.samples[2].cpu), (Some(12), Some(13), None));
    assert_eq!(out.samples[3].event, "sched:sched_switch");
    assert_eq!(out.frames.iter().filter(|f| f.inlined).count(), 1);
    let (f, st) = fold_with_stats(&out, &FoldOptions::default());
    assert_eq!(
        f,
        BTreeMap::from([
            ("java;[unknown];[libjvm.so];foo/Bar:::baz;foo/Qux:::q_[i]".to_string(), 1000),
            ("swapper;default_idle;native_safe_halt".to_string(), 1000)
        ])
    );
    assert_eq!((st.samples, st.frame_less_samples, st.other_event_samples), (3, 1, 1));
    // Interning: the same stack twice is one stack.
    let twice = format!("{text}\n{text}");
    let out2 = parse("t2", twice.as_bytes());
    assert_eq!((out2.samples.len(), out2.stacks.len(), out2.frames.len()), (8, out.stacks.len(), out.frames.len()));
}

#[test]
fn sniff_and_cut_files() {
    let bytes = read(&fixture("perf/script/inferno/go-stacks.txt"));
    assert!(perf_script::sniff(&bytes[..bytes.len().min(4096)]));
    assert!(perf_script::sniff(&read(&fixture("perf/script/flamegraph/perf-java-stacks-01.txt"))[..4096]));
    assert!(!perf_script::sniff(b"[0.004s][info][gc] Using G1\n"));
    assert!(!perf_script::sniff(b"@x[1]: 2\n"));
    for f in ["inferno/java-inline.txt", "flamegraph/perf-js-stacks-01.txt", "inferno/cpp-stacks-std-function.txt"] {
        let bytes = read(&fixture(&format!("perf/script/{f}")));
        let full = parse(f, &bytes).samples.len();
        for cut in (0..bytes.len()).step_by(7) {
            let out = parse(f, &bytes[..cut]);
            assert!(out.samples.len() <= full);
            let _ = perf_script::folded(&out, &FoldOptions::default());
        }
    }
}
