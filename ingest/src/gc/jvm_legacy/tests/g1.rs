//! G1 records and decimal commas (snippets of `shared/corpus/gc/jvm/`, figures read off the quoted text).

use super::{run, K};

#[test]
fn g1_multi_line_record_with_gc_ids_and_concurrent_cycle() {
    // gcviewer/SampleSun1_8_0G1PrintGCID.txt lines 4-30 (phase lines shortened) and 112-146.
    let log = "2022-08-01T17:17:33.375+0000: 0.163: #0: [GC pause (G1 Evacuation Pause) (young), 0.0087570 secs]
   [Parallel Time: 5.2 ms, GC Workers: 2]
      [GC Worker Start (ms): Min: 164.8, Avg: 164.9, Max: 165.0, Diff: 0.2]
         [Processed Buffers: Min: 0, Avg: 0.0, Max: 0, Diff: 0, Sum: 0]
   [Code Root Fixup: 0.0 ms]
   [Other: 2.7 ms]
      [Free CSet: 0.0 ms]
   [Eden: 7168.0K(7168.0K)->0.0B(4096.0K) Survivors: 0.0B->1024.0K Heap: 7168.0K(32768.0K)->6664.5K(32768.0K)]
 [Times: user=0.01 sys=0.00, real=0.01 secs]
2022-08-01T17:17:33.415+0000: 0.204: #4: [GC concurrent-root-region-scan-start]
2022-08-01T17:17:33.416+0000: 0.204: #4: [GC concurrent-root-region-scan-end, 0.0002186 secs]
2022-08-01T17:17:33.416+0000: 0.204: #4: [GC concurrent-mark-start]
2022-08-01T17:17:33.425+0000: 0.214: #4: [GC concurrent-mark-end, 0.0099227 secs]
2022-08-01T17:17:33.426+0000: 0.214: #4: [GC remark 2022-08-01T17:17:33.426+0000: 0.215: #4: [Finalize Marking, 0.0006628 secs] 2022-08-01T17:17:33.427+0000: 0.216: #4: [GC ref-proc, 0.0004662 secs] 2022-08-01T17:17:33.428+0000: 0.217: #4: [Unloading, 0.0009861 secs], 0.0040559 secs]
 [Times: user=0.00 sys=0.00, real=0.00 secs]
2022-08-01T17:17:33.431+0000: 0.220: #4: [GC cleanup 41408K->41408K(128M), 0.0014223 secs]
 [Times: user=0.00 sys=0.00, real=0.00 secs]
";
    let mut out = run(log);
    assert_eq!(out.pauses.len(), 3);
    let y = &out.pauses[0];
    assert_eq!(
        (y.collector.as_str(), y.name.as_str(), y.cause.as_deref()),
        ("G1", "Pause Young", Some("G1 Evacuation Pause"))
    );
    assert_eq!((y.gc_id, y.duration_ns, y.line), (Some(0), 8_757_000, 1));
    assert_eq!(y.line_wall_ns, Some(1_659_374_253_375_000_000));
    assert_eq!(
        (y.heap_before_bytes, y.heap_after_bytes, y.heap_committed_bytes),
        (Some(7168 * K), Some(6_824_448), Some(32768 * K))
    );
    let r = &out.pauses[1];
    assert_eq!(
        (r.name.as_str(), r.pause_kind.as_str(), r.gc_id, r.duration_ns),
        ("Pause Remark", "remark", Some(4), 4_055_900)
    );
    let c = &out.pauses[2];
    assert_eq!(
        (c.name.as_str(), c.pause_kind.as_str(), c.gc_id, c.duration_ns),
        ("Pause Cleanup", "cleanup", Some(4), 1_422_300)
    );
    assert_eq!(
        (c.heap_before_bytes, c.heap_after_bytes, c.heap_committed_bytes),
        (Some(41408 * K), Some(41408 * K), Some(128 << 20))
    );
    let cycles = out.finish_cycles();
    let four = cycles.iter().find(|c| c.gc_id == Some(4)).expect("cycle #4");
    assert!(four.concurrent);
    assert_eq!((four.pause_count, four.pause_total_ns), (2, 4_055_900 + 1_422_300));
    assert_eq!(out.account.lines_parsed(), 17 - 2, "the two -start lines are ignored");
}

#[test]
fn g1_record_split_by_tenuring_distribution() {
    // gctoolkit/gclogs/preunified/g1gc/details/tenuring/180/g1gc.log lines 125-128.
    let log = "24.883: [GC pause (young)
Desired survivor size 2621440 bytes, new threshold 1 (max 15)
- age   1:    4062064 bytes,    4062064 total
, 0.0050730 secs]
   [Parallel Time: 4.5 ms, GC Workers: 8]
   [Eden: 24.0M(24.0M)->0.0B(13.0M) Survivors: 3072.0K->4096.0K Heap: 41.7M(256.0M)->22.1M(256.0M)]
 [Times: user=0.02 sys=0.01, real=0.01 secs] 
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 1);
    let p = &out.pauses[0];
    assert_eq!((p.name.as_str(), p.cause.as_deref(), p.line, p.duration_ns), ("Pause Young", None, 4, 5_073_000));
    assert_eq!((p.heap_before_bytes, p.heap_after_bytes), (Some(43_725_619), Some(23_173_529)));
}

#[test]
fn decimal_commas_in_stamps_durations_and_sizes() {
    // gcviewer/SampleSun1_7_0G1_PauseWithComma.txt lines 1 and 19-20;
    // gcviewer/SampleSun1_7_0G1_AppStopped_TenuringDist_Ergonomics_comma.txt line 1.
    let log = "2014-03-01T00:01:27.461+0100: 0,0165: [GC pause (young), 0,0665670 secs]
   [Eden: 514,0M(514,0M)->0,0B(573,0M) Survivors: 74,0M->15,0M Heap: 4985,5M(11,5G)->4491,0M(11,5G)]
 [Times: user=0,89 sys=0,01, real=0,07 secs]
2015-02-20T14:50:39.533+0100: 16576,607: Total time for which application threads were stopped: 0,0003060 seconds
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 1);
    let p = &out.pauses[0];
    assert_eq!((p.start_ns, p.duration_ns), (Some(16_500_000), 66_567_000));
    assert_eq!(p.line_wall_ns, Some(1_393_628_487_461_000_000));
    assert_eq!(
        (p.heap_before_bytes, p.heap_after_bytes, p.heap_committed_bytes),
        (Some(5_227_675_648), Some(4_709_154_816), Some(12_348_030_976))
    );
    assert_eq!(out.safepoints.len(), 1);
    let s = &out.safepoints[0];
    assert_eq!((s.total_ns, s.reaching_ns, s.end_ns, s.line), (306_000, None, Some(16_576_607_000_000), 4));
    assert_eq!(s.operation, None);
}
