//! CMS/ParNew records (snippets of `shared/corpus/gc/jvm/`, figures read off the quoted text).

use super::{run, K};

#[test]
fn cms_young_split_by_an_interleaved_concurrent_phase() {
    // garbagecat/dataset15.txt (the concurrent phase and its Times are printed inside ParNew).
    let log = "2210.281: [GC 2210.282: [ParNew2210.314: [CMS-concurrent-abortable-preclean: 0.043/0.144 secs] [Times: user=0.58 sys=0.03, real=0.14 secs]
: 212981K->3156K(242304K), 0.0364435 secs] 4712182K->4502357K(4971420K), 0.0368807 secs] [Times: user=0.18 sys=0.02, real=0.04 secs]";
    let mut out = run(log);
    assert_eq!(out.pauses.len(), 1);
    let p = &out.pauses[0];
    assert_eq!((p.collector.as_str(), p.name.as_str(), p.line), ("CMS", "Pause Young", 2));
    assert_eq!((p.duration_ns, p.start_ns), (36_880_700, Some(2_210_281_000_000)));
    assert_eq!(
        (p.heap_before_bytes, p.heap_after_bytes, p.heap_committed_bytes),
        (Some(4712182 * K), Some(4502357 * K), Some(4971420 * K))
    );
    let cycles = out.finish_cycles();
    let phases: Vec<_> = cycles.iter().filter(|c| c.concurrent).collect();
    assert_eq!(phases.len(), 1);
    assert_eq!(
        (phases[0].name.as_str(), phases[0].duration_ns),
        ("CMS-concurrent-abortable-preclean", Some(144_000_000))
    );
    assert_eq!(phases[0].start_ns, Some(2_210_314_000_000 - 144_000_000));
    assert_eq!(out.account.lines_parsed(), 2);
}

#[test]
fn cms_initial_mark_phases_and_concurrent_mode_failure() {
    // garbagecat/dataset5.txt.
    let log = "233288.698: [GC [1 CMS-initial-mark: 1117964K(1310720K)] 1569902K(2018560K), 2.0271745 secs]
233290.726: [CMS-concurrent-mark-start]
233307.273: [CMS-concurrent-mark: 16.547/16.547 secs]
233307.273: [CMS-concurrent-preclean-start]
233307.425: [CMS-concurrent-preclean: 0.137/0.151 secs]
233307.425: [CMS-concurrent-abortable-preclean-start]
233333.318: [GC 233333.319: [ParNew (promotion failed): 673108K->673108K(707840K), 1.5366054 secs]233334.855: [CMS233334.856: [CMS-concurrent-abortable-preclean: 12.033/27.431 secs]
 (concurrent mode failure): 1125100K->1156809K(1310720K), 36.8003032 secs] 1791073K->1156809K(2018560K), 38.3378201 secs] 
";
    let mut out = run(log);
    assert_eq!(out.pauses.len(), 2, "concurrent phases are not pauses");
    let im = &out.pauses[0];
    assert_eq!(
        (im.collector.as_str(), im.name.as_str(), im.pause_kind.as_str()),
        ("CMS", "Pause Initial Mark", "initial_mark")
    );
    assert_eq!(im.duration_ns, 2_027_174_500);
    assert_eq!(
        (im.heap_before_bytes, im.heap_after_bytes, im.heap_committed_bytes),
        (Some(1569902 * K), None, Some(2018560 * K))
    );
    let f = &out.pauses[1];
    assert_eq!(f.name, "Pause Full (promotion failed) (concurrent mode failure)");
    assert_eq!((f.pause_kind.as_str(), f.collector.as_str(), f.line), ("full", "CMS", 8));
    assert_eq!(f.duration_ns, 38_337_820_100);
    assert_eq!(
        (f.heap_before_bytes, f.heap_after_bytes, f.heap_committed_bytes),
        (Some(1791073 * K), Some(1156809 * K), Some(2018560 * K))
    );
    let cycles = out.finish_cycles();
    let phases: Vec<_> = cycles.iter().filter(|c| c.concurrent).map(|c| (c.name.as_str(), c.duration_ns)).collect();
    assert_eq!(
        phases,
        vec![
            ("CMS-concurrent-mark", Some(16_547_000_000)),
            ("CMS-concurrent-preclean", Some(151_000_000)),
            ("CMS-concurrent-abortable-preclean", Some(27_431_000_000))
        ]
    );
}

#[test]
fn cms_remark_with_scavenge_before_remark_is_one_pause() {
    // garbagecat/dataset120.txt (heap dumps shortened to two lines each).
    let log = "2017-04-03T03:12:02.133-0500: 30.385: [GC (CMS Final Remark) {Heap before GC invocations=7 (full 2):
 par new generation   total 2770432K, used 451444K [0x00000005c0000000, 0x0000000681400000, 0x0000000681400000)
  eden space 2374656K,   5% used [0x00000005c0000000, 0x00000005c829d0f8, 0x0000000650f00000)
2017-04-03T03:12:02.134-0500: 30.385: [GC (CMS Final Remark)  890910K->620060K(7992832K), 0.1223879 secs]
Heap after GC invocations=8 (full 2):
 par new generation   total 2770432K, used 180594K [0x00000005c0000000, 0x0000000681400000, 0x0000000681400000)
}
 620060K(7992832K), 0.2328529 secs]
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 1);
    let p = &out.pauses[0];
    assert_eq!((p.collector.as_str(), p.name.as_str(), p.pause_kind.as_str()), ("CMS", "Pause Remark", "remark"));
    assert_eq!(p.cause.as_deref(), Some("CMS Final Remark"));
    assert_eq!((p.duration_ns, p.line, p.start_ns), (232_852_900, 8, Some(30_385_000_000)));
    assert_eq!((p.heap_before_bytes, p.heap_committed_bytes), (Some(620060 * K), Some(7992832 * K)));
}

#[test]
fn cms_class_histogram_inside_a_full_collection() {
    // garbagecat/dataset121.txt, histograms shortened.
    let log = "2017-04-22T13:58:35.287+0100: 471391.741: [GC 471391.743: [ParNew (promotion failed)
Desired survivor size 14391704 bytes, new threshold 2 (max 32)
- age   1:   10091512 bytes,   10091512 total
: 516864K->516864K(516864K), 2.1875738 secs]471393.931: [Class Histogram:
 num     #instances         #bytes  class name
----------------------------------------------
   1:       2050241     4701812112  [Ljava.lang.Object;
   2:       3842390      388061760  [C
Total      44540060     7115953848
, 25.2253758 secs]
471419.156: [CMS CMS: abort preclean due to time 2017-04-22T13:59:06.831+0100: 471423.282: [CMS-concurrent-abortable-preclean: 3.663/31.735 secs] [Times: user=39.81 sys=0.23, real=31.74 secs]
 (concurrent mode failure): 5977264K->1290167K(7331840K), 59.2834068 secs]471478.440: [Class Histogram
 num     #instances         #bytes  class name
----------------------------------------------
   1:       2082654      228457736  [C
Total      26124315     1769983592
, 15.6352805 secs]
 6449326K->1290167K(7848704K), [CMS Perm : 473438K->450663K(771512K)], 102.3357902 secs] [Times: user=106.25 sys=0.21, real=102.34 secs]
";
    let out = run(log);
    assert_eq!(out.pauses.len(), 1);
    let p = &out.pauses[0];
    assert_eq!(p.name, "Pause Full (promotion failed) (concurrent mode failure)");
    assert_eq!((p.duration_ns, p.line), (102_335_790_200, 18));
    assert_eq!(
        (p.heap_before_bytes, p.heap_after_bytes, p.heap_committed_bytes),
        (Some(6449326 * K), Some(1290167 * K), Some(7848704 * K))
    );
    assert_eq!(out.account.lines_not_understood(), 0);
}
