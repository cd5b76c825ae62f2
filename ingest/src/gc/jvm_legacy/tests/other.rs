//! Stopped time, JDK 1.3 and `-verbose:gc`, Shenandoah, dumps, cut-off records, garbage and sniffing (snippets of `shared/corpus/gc/jvm/`, figures read off the quoted text).

use super::{run, K, UPTIME};
use crate::account::SkipKind;
use crate::gc::jvm_legacy::{ingest, sniff};
use crate::gc::{GcOutput, SourceCtx};

#[test]
fn stopped_time_with_time_to_safepoint() {
    // garbagecat/dataset104.txt line 1; garbagecat/dataset27.txt line 2 (printed after a phase).
    let log = "2016-12-21T14:28:11.041-0500: 0.193: Total time for which application threads were stopped: 0.0000746 seconds, Stopping threads took: 0.0000269 seconds
234784.781: [CMS-concurrent-abortable-preclean: 0.038/0.118 secs]Total time for which application threads were stopped: 0.0123330 seconds
";
    let out = run(log);
    assert!(out.pauses.is_empty());
    assert_eq!(out.safepoints.len(), 2);
    let s = &out.safepoints[0];
    assert_eq!(
        (s.total_ns, s.reaching_ns, s.end_ns, s.clock.as_str()),
        (74_600, Some(26_900), Some(193_000_000), UPTIME)
    );
    assert_eq!((out.safepoints[1].total_ns, out.safepoints[1].line), (12_333_000, 2));
    assert_eq!(out.account.lines_parsed(), 2);
}

#[test]
fn verbose_gc_without_details() {
    // gctoolkit/gclogs/preunified/cms/815_gc.log lines 1-16: `-verbose:gc` of a CMS JVM prints the
    // initial mark and the remark as `[GC used(capacity), secs]`.
    let log = "0.586: [Full GC 16896K->1759K(83008K), 0.0343993 secs]
73.268: [GC 18783K->2657K(83008K), 0.0045864 secs]
128.136: [GC 44921K->35204K(83008K), 0.0086814 secs]
128.147: [GC 41003K(83008K), 0.0032403 secs]
128.231: [GC 52228K->48663K(83008K), 0.0196506 secs]
128.434: [GC 76437K(85956K), 0.0040666 secs]
";
    let out = run(log);
    let names: Vec<(&str, &str)> = out.pauses.iter().map(|p| (p.name.as_str(), p.collector.as_str())).collect();
    assert_eq!(
        names,
        vec![
            ("Pause Full", "CMS"),
            ("Pause Young", "CMS"),
            ("Pause Young", "CMS"),
            ("Pause Initial Mark", "CMS"),
            ("Pause Young", "CMS"),
            ("Pause Remark", "CMS")
        ]
    );
    assert_eq!(
        (out.pauses[3].heap_before_bytes, out.pauses[3].heap_committed_bytes),
        (Some(41003 * K), Some(83008 * K))
    );
    assert_eq!(out.pauses[1].duration_ns, 4_586_400);
}

#[test]
fn jdk_1_3_verbose_has_no_collector_name() {
    // gcviewer/SampleSun1_3_1_19SunOS.txt lines 1-2: no stamps, the whole heap comes first.
    let log = "[GC 30463K->3108K(1571712K) eden 30463K->0K survivor 0K->1152K tenured 0K->1956K, 0.1282309 secs]
[Full GC invoke=1 size=80 <permanent generation full> 27606K->4744K(1571712K) new 25649K->0K(31616K) tenured 1956K->4744K(1540096K) permanent 5119K->5119K(5120K), 0.4287939 secs]
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 2);
    let (y, f) = (&out.pauses[0], &out.pauses[1]);
    assert_eq!((y.collector.as_str(), y.start_ns, y.end_ns), ("unknown", None, None));
    assert_eq!(
        (y.heap_before_bytes, y.heap_after_bytes, y.heap_committed_bytes),
        (Some(30463 * K), Some(3108 * K), Some(1571712 * K))
    );
    assert_eq!(
        (f.name.as_str(), f.cause.as_deref(), f.duration_ns),
        ("Pause Full", Some("permanent generation full"), 428_793_900)
    );
    assert_eq!((f.heap_before_bytes, f.heap_after_bytes), (Some(27606 * K), Some(4744 * K)));
}

#[test]
fn shenandoah_jdk8_backport() {
    // garbagecat/dataset231.txt lines 1-5: only date stamps; the stamp is written at the end.
    let log = "2021-10-27T19:37:39.135-0400: [Concurrent marking (process weakrefs), 3.234 ms]
2021-10-27T19:37:39.139-0400: [Concurrent precleaning, 0.087 ms]
2021-10-27T19:37:39.139-0400: [Pause Final Mark (process weakrefs), 0.436 ms]
2021-10-27T19:37:39.139-0400: Total time for which application threads were stopped: 0.0004959 seconds, Stopping threads took: 0.0000384 seconds
2021-10-27T19:37:39.139-0400: [Concurrent cleanup 84078K->26953K(98304K), 0.037 ms]
";
    let mut out = run(log);
    assert_eq!(out.pauses.len(), 1);
    let p = &out.pauses[0];
    assert_eq!(
        (p.collector.as_str(), p.name.as_str(), p.pause_kind.as_str()),
        ("Shenandoah", "Pause Final Mark (process weakrefs)", "final_mark")
    );
    assert_eq!((p.clock.as_str(), p.duration_ns), ("wall", 436_000));
    assert_eq!(p.end_ns, Some(1_635_377_859_139_000_000));
    assert_eq!(p.start_ns, Some(1_635_377_859_139_000_000 - 436_000));
    assert_eq!(out.safepoints[0].clock, "wall");
    assert_eq!(out.finish_cycles().iter().filter(|c| c.concurrent).count(), 3);
}

#[test]
fn banner_flags_and_ignored_lines() {
    // garbagecat/dataset95.txt style header, dataset104.txt application time.
    let log = "Java HotSpot(TM) 64-Bit Server VM (25.73-b02) for linux-amd64 JRE (1.8.0_73-b02), built on Jan 29 2016 17:39:45 by \"java_re\" with gcc 4.3.0 20080428 (Red Hat 4.3.0-8)
Memory: 4k page, physical 8388608k(1187192k free), swap 0k(0k free)
CommandLine flags: -XX:+PrintGC -XX:+PrintGCDetails -XX:+UseG1GC
0.311: Application time: 0.1178090 seconds
2016-10-18 01:50:54 GC log file created /path/to/gc.log
0.500: [Full GC (System.gc())  7724K->3296K(16M), 0.0290700 secs]

some application output
";
    let out = run(log);
    assert_eq!(out.tool_version.as_deref(), Some("1.8.0_73-b02"));
    assert_eq!(out.pauses.len(), 1);
    assert_eq!(out.pauses[0].collector, "G1", "collector from the command line flags");
    assert_eq!(out.account.lines_parsed(), 2);
    assert_eq!(out.account.lines_not_understood(), 1);
    let reasons: Vec<_> =
        out.account.rows("t", None).into_iter().filter_map(|r| r.reason.map(|x| (r.kind, x))).collect();
    assert!(reasons.contains(&("ignore".into(), "command line flags".into())));
    assert!(reasons.contains(&("skip".into(), "unrecognised line".into())));
}

#[test]
fn cut_off_record_is_counted_not_lost() {
    // garbagecat/dataset111.txt: a full collection whose log ends inside the record.
    let log = "130454.251: [Full GC (Allocation Failure) 130454.251: [CMS130456.427: [CMS-concurrent-mark: 2.176/2.182 secs] [Times: user=2.18 sys=0.00, real=2.18 secs]\n";
    let out = run(log);
    assert!(out.pauses.is_empty());
    assert_eq!(out.account.lines_skipped(), 1);
    let rows = out.account.rows("t", None);
    assert!(rows.iter().any(|r| r.reason.as_deref() == Some("record cut off at end of file")));
    assert!(rows.iter().any(|r| r.kind == "note"));
    // A record cut by the start of the next one (garbagecat/dataset23.txt lines 1-2).
    let log = "36455.096: [GC 36455.096: [ParNew (promotion failed): 153344K->153344K(153344K), 0.6818450 secs]36455.778: [CMS36459.090: [CMS-concurrent-mark: 3.439/4.155 secs] [Times: user=8.27 sys=0.17, real=4.16 secs]
36467.891: [GC 36467.892: [ParNew: 136320K->17024K(153344K), 0.1523790 secs] 2387283K->2279303K(4590976K), 0.1526740 secs] [Times: user=0.25 sys=0.00, real=0.15 secs]
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 1);
    assert_eq!((out.pauses[0].line, out.pauses[0].duration_ns), (2, 152_674_000));
    assert_eq!(out.account.lines_not_understood(), 1);
}

#[test]
fn never_panics_on_garbage() {
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\n\n\n".to_vec(),
        b"]]]]] [[[[ secs] , 0.1 secs]\n[GC".to_vec(),
        b"[GC (\n[Full GC [\n: , secs]\n[0x\n[GC pause (young\n".to_vec(),
        vec![0xff, 0xfe, b'[', b'G', b'C', b' ', 0x80, b']', b'\n', 0],
        (0..=255u8).cycle().take(10_000).collect(),
        "12.3: [GC 1K->2K(3K), 99999999999999999999.9 secs]\n1,: #: [GC".as_bytes().to_vec(),
        "2015-01-01T10:00:00.000+0100: [GC remark, 0.1 secs]\n[Times: real=x]\n[Eden: Heap: ->]".as_bytes().to_vec(),
        "é12.5: [GC é1,2: [ParNewé: 1K->é(2K), é secs] ü->1K(2K)), 1.0 secs]\n→ 3.0: Total time for which application threads were stopped: 9223372036.854775807 seconds".as_bytes().to_vec(),
        "1.0: [GC 1K->1K(1K), 9223372036.854775807 secs]\n#1: [GC 1K->1K(1K), 9223372036.8 secs]\n".as_bytes().to_vec(),
    ];
    for input in inputs {
        let ctx = SourceCtx { source: "g".into(), clock_scope: "s".into() };
        let mut out = GcOutput::default();
        ingest(&ctx, &mut input.as_slice(), &mut out).expect("in-memory read");
        let a = &out.account;
        assert_eq!(a.lines_read(), a.lines_parsed() + a.lines_skipped());
        let _ = sniff(&input);
    }
}

#[test]
fn sniff_accepts_legacy_and_rejects_unified() {
    assert!(sniff(b"2016-02-09T06:12:45.414-0500: 27474.176: [GC (Allocation Failure) [PSYoungGen: 1K->2K(3K)] 4K->5K(6K), 0.1 secs]\n"));
    assert!(sniff(b"Java HotSpot(TM) 64-Bit Server VM (25.73-b02)\nMemory: 4k page\nCommandLine flags: -XX:+PrintGC -XX:+PrintGCDetails\n"));
    assert!(sniff(b"[GC 30463K->3108K(1571712K) eden 30463K->0K, 0.1282309 secs]\n"));
    assert!(sniff(b"0.010: Total time for which application threads were stopped: 0.0001 seconds\n"));
    assert!(!sniff(b"[0.035s][info][gc] Using G1\n[0.333s][info][gc,start     ] GC(0) Pause Young (Normal) (G1 Evacuation Pause)\n"));
    assert!(!sniff(b"[2020-10-26T14:52:27.770-0400][info][gc,start] GC(0) Pause Full (System.gc())\n"));
    assert!(!sniff(b"[2021-09-14T11:40:53.379-0500][144.036s][info][safepoint] Total time for which application threads were stopped: 0.0004546 seconds\n"));
    assert!(!sniff(
        b"gc 1 @0.012s 2%: 0.015+0.48+0.003 ms clock, 0.060+0.23/0.41/0.41+0.012 ms cpu, 4->4->0 MB, 5 MB goal, 4 P\n"
    ));
    assert!(!sniff(b""));
}

#[test]
fn skip_kinds_are_used_as_documented() {
    let out = run("- age   1:    2864144 bytes,    2864144 total\nnot a gc line\n");
    let rows = out.account.rows("t", None);
    let kind_of = |reason: &str| rows.iter().find(|r| r.reason.as_deref() == Some(reason)).map(|r| r.kind.clone());
    assert_eq!(kind_of("tenuring distribution").as_deref(), Some("ignore"));
    assert_eq!(kind_of("unrecognised line").as_deref(), Some("skip"));
    let _ = SkipKind::Ignore;
}
