//! Unit tests on snippets of the third-party corpus (`shared/corpus/gc/jvm/`, provenance in its
//! SOURCES.md; the figures below were read off the quoted text).

use super::ingest;
use crate::gc::{GcOutput, SourceCtx};

mod cms;
mod g1;
mod other;

pub(super) fn run(text: &str) -> GcOutput {
    let ctx = SourceCtx { source: "t.log".into(), clock_scope: "s".into() };
    let mut out = GcOutput::default();
    ingest(&ctx, &mut text.as_bytes(), &mut out).expect("in-memory read");
    let a = &out.account;
    assert_eq!(a.lines_read(), a.lines_parsed() + a.lines_skipped(), "every line accounted once");
    assert_eq!(a.lines_read(), text.lines().count() as i64);
    out
}

pub(super) const K: i64 = 1024;
pub(super) const UPTIME: &str = "jvm_uptime@s";

#[test]
fn parallel_young_and_full_with_gc_id_and_date_stamps() {
    // gcviewer/SampleSun1_8_0ParallelPrintGCID.txt lines 4 and 6.
    let log = "2022-07-26T21:00:40.750+0800: 3.117: #0: [GC (Allocation Failure) [PSYoungGen: 7077888K->222570K(8257536K)] 7077888K->222586K(9306112K), 0.5437135 secs] [Times: user=1.92 sys=0.20, real=0.55 secs] \n\
2022-07-26T21:00:45.231+0800: 7.599: #2: [Full GC (System.gc()) [PSYoungGen: 98289K->0K(8257536K)] [ParOldGen: 32K->98112K(1048576K)] 98321K->98112K(9306112K), [Metaspace: 16471K->16471K(1064960K)], 0.6492397 secs] [Times: user=1.52 sys=0.17, real=0.65 secs] \n";
    let out = run(log);
    assert_eq!(out.pauses.len(), 2);
    let y = &out.pauses[0];
    assert_eq!((y.collector.as_str(), y.name.as_str(), y.pause_kind.as_str()), ("Parallel", "Pause Young", "young"));
    assert_eq!(y.cause.as_deref(), Some("Allocation Failure"));
    assert_eq!(y.gc_id, Some(0));
    assert_eq!(y.duration_ns, 543_713_500);
    assert_eq!(y.clock, UPTIME);
    assert_eq!(y.start_ns, Some(3_117_000_000));
    assert_eq!(y.end_ns, Some(3_117_000_000 + 543_713_500));
    assert_eq!(y.line_wall_ns, Some(1_658_840_440_750_000_000));
    assert_eq!(
        (y.heap_before_bytes, y.heap_after_bytes, y.heap_committed_bytes),
        (Some(7077888 * K), Some(222586 * K), Some(9306112 * K))
    );
    assert_eq!(y.line, 1);
    let f = &out.pauses[1];
    assert_eq!((f.collector.as_str(), f.name.as_str(), f.pause_kind.as_str()), ("Parallel", "Pause Full", "full"));
    assert_eq!(f.cause.as_deref(), Some("System.gc()"));
    assert_eq!((f.gc_id, f.duration_ns, f.line), (Some(2), 649_239_700, 2));
    assert_eq!(
        (f.heap_before_bytes, f.heap_after_bytes, f.heap_committed_bytes),
        (Some(98321 * K), Some(98112 * K), Some(9306112 * K))
    );
    // Both stamps: the uptime-to-wall offset is observed.
    let offsets = out.clocks.rows();
    assert_eq!(offsets.len(), 1);
    assert_eq!(offsets[0].clock, UPTIME);
    assert_eq!(offsets[0].observations, 2);
    // Offsets 37.633 s and 37.632 s; the lower middle one is taken.
    assert_eq!(offsets[0].offset_ns, 1_658_840_445_231_000_000 - 7_599_000_000);
}

#[test]
fn serial_young_split_by_tenuring_and_young_turned_full() {
    // gctoolkit/gclogs/preunified/serial/defnew/details/tenuring/180/serial180.log lines 100-108.
    let log = "83.449: [GC (Allocation Failure) 83.449: [DefNew
Desired survivor size 1441792 bytes, new threshold 1 (max 15)
- age   1:    2864144 bytes,    2864144 total
- age   2:      19440 bytes,    2883584 total
: 24266K->2816K(25920K), 0.0305191 secs] 67839K->55611K(83312K), 0.0305823 secs] [Times: user=0.02 sys=0.00, real=0.03 secs] 
83.692: [GC (Allocation Failure) 83.692: [DefNew
Desired survivor size 1441792 bytes, new threshold 1 (max 15)
- age   1:    2883584 bytes,    2883584 total
: 25920K->2816K(25920K), 0.0226508 secs]83.715: [Tenured: 59555K->38074K(59568K), 0.0852370 secs] 78715K->38074K(85488K), [Metaspace: 24144K->24144K(24960K)], 0.1080106 secs] [Times: user=0.11 sys=0.00, real=0.11 secs] 
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 2);
    let y = &out.pauses[0];
    assert_eq!((y.collector.as_str(), y.name.as_str(), y.line), ("Serial", "Pause Young", 5));
    assert_eq!((y.duration_ns, y.start_ns), (30_582_300, Some(83_449_000_000)));
    assert_eq!(
        (y.heap_before_bytes, y.heap_after_bytes, y.heap_committed_bytes),
        (Some(67839 * K), Some(55611 * K), Some(83312 * K))
    );
    let f = &out.pauses[1];
    assert_eq!(
        (f.collector.as_str(), f.name.as_str(), f.pause_kind.as_str(), f.line),
        ("Serial", "Pause Full", "full", 9)
    );
    assert_eq!(f.duration_ns, 108_010_600);
    assert_eq!((f.heap_before_bytes, f.heap_after_bytes), (Some(78715 * K), Some(38074 * K)));
    assert_eq!(out.account.lines_parsed(), 4);
    assert_eq!(out.account.lines_not_understood(), 0);
}
