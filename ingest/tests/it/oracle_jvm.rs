//! Oracle: every JFR pause (`*.pauses.csv`, jdk.GCPhasePause) is found in `gc_pauses` by gc id
//! with a duration within max(1 ms, 6 %), and the parser reports no pause the log does not
//! contain (compared with an independent count of pause lines, the corpus' reference rule).

use std::collections::BTreeMap;

use crate::common::{fixture, parse_file, read_csv};

/// Pause lines by the reference rule (shared/tools/xlog_pauses.py): a `GC(n)` line tagged
/// `gc` or `gc,phases` whose message has `Pause` and whose last token is `<number>ms`.
fn reference_pause_lines(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("Pause") && l.contains("GC("))
        .filter(|l| l.contains("[gc ") || l.contains("[gc]") || l.contains("[gc,phases"))
        .filter(|l| {
            let last = l.trim_end().rsplit(' ').next().unwrap_or("");
            last.strip_suffix("ms").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        })
        .count()
}

fn check(run: &str, expected_oracle_pauses: usize) {
    let log = fixture(&format!("gc/{run}.log"));
    let (fmt, out, _) = parse_file(&log).expect("detected");
    assert_eq!(fmt, "jvm-unified");
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(out.pauses.len(), reference_pause_lines(&text), "{run}: pause rows vs pause lines in the log");

    let oracle = read_csv(&fixture(&format!("gc/{run}.pauses.csv")));
    assert_eq!(oracle.len(), expected_oracle_pauses, "{run}: oracle size as in MANIFEST.md");
    // gcId,name,startTime,duration_ms — the name may contain commas, so take from both ends.
    let mut jfr: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    for r in &oracle {
        let id: i64 = r[0].parse().unwrap();
        let dur_ns = (r[r.len() - 1].parse::<f64>().unwrap() * 1e6).round() as i64;
        jfr.entry(id).or_default().push((r[r.len() - 2].clone(), dur_ns));
    }
    let mut ours: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for p in &out.pauses {
        ours.entry(p.gc_id.expect("unified pauses have ids")).or_default().push(p.duration_ns);
    }
    let mut matched = 0;
    for (id, mut want) in jfr {
        let mut got = ours.get(&id).cloned().unwrap_or_else(|| panic!("{run}: JFR gc id {id} has no pause in the log"));
        assert_eq!(got.len(), want.len(), "{run}: gc id {id}: pauses in log {got:?} vs JFR {want:?}");
        // JFR rows within a gc id are in start order, as are log lines.
        want.sort_by_key(|w| w.0.clone());
        let mut ours_sorted = std::mem::take(&mut got);
        let mut jfr_sorted: Vec<i64> = want.iter().map(|w| w.1).collect();
        ours_sorted.sort_unstable();
        jfr_sorted.sort_unstable();
        for (g, w) in ours_sorted.iter().zip(&jfr_sorted) {
            let tol = (*w as f64 * 0.06).max(1e6);
            assert!(((g - w) as f64).abs() <= tol, "{run}: gc id {id}: log {g} ns vs JFR {w} ns (tolerance {tol} ns)");
            matched += 1;
        }
    }
    assert_eq!(matched, expected_oracle_pauses);
}

#[test]
fn jdk17_g1() {
    check("jdk17/g1", 27);
}
#[test]
fn jdk17_parallel() {
    check("jdk17/parallel", 81);
}
#[test]
fn jdk17_serial() {
    check("jdk17/serial", 47);
}
#[test]
fn jdk17_shenandoah() {
    check("jdk17/shenandoah", 180);
}
#[test]
fn jdk17_zgc() {
    check("jdk17/zgc", 159);
}
#[test]
fn jdk25_g1() {
    check("jdk25/g1", 26);
}
#[test]
fn jdk25_shenandoah_generational() {
    check("jdk25/shenandoah-gen", 141);
}
#[test]
fn jdk25_zgc_generational() {
    check("jdk25/zgc-gen", 178);
}

#[test]
fn g1_causes_and_kinds_match_jfr_collections() {
    // g1.gc.csv (jdk.GarbageCollection): causes of gc ids 1..27; MANIFEST: G1 Evacuation Pause 22,
    // G1 Humongous Allocation 4, System.gc() 1; one G1Full.
    let (_, out, cycles) = parse_file(&fixture("gc/jdk17/g1.log")).unwrap();
    let gc = read_csv(&fixture("gc/jdk17/g1.gc.csv"));
    for r in &gc {
        let id: i64 = r[0].parse().unwrap();
        let cause = &r[2];
        let c = cycles.iter().find(|c| c.gc_id == Some(id)).unwrap_or_else(|| panic!("cycle {id}"));
        assert_eq!(c.cause.as_deref(), Some(cause.as_str()), "gc id {id}");
    }
    let full = out.pauses.iter().filter(|p| p.pause_kind == "full").count();
    assert_eq!(full, 1);
    assert!(out.pauses.iter().all(|p| p.collector == "G1"));
    assert_eq!(out.tool_version.as_deref().map(|v| v.starts_with("17.0.15")), Some(true));
    // g1.cmd: -Xmx256m; the log's `Heap Max Capacity: 256M`.
    assert_eq!(out.heap_max_bytes, Some(256 << 20));
    let (_, zgc, _) = parse_file(&fixture("gc/jdk17/zgc.log")).unwrap();
    assert_eq!(zgc.heap_max_bytes, Some(256 << 20), "ZGC states `Max Capacity: 256M`");
}

#[test]
fn safepoints_and_clock_offsets() {
    let (_, out, _) = parse_file(&fixture("gc/jdk17/g1.log")).unwrap();
    let text = std::fs::read_to_string(fixture("gc/jdk17/g1.log")).unwrap();
    let lines = text.lines().filter(|l| l.contains("[safepoint") && l.contains("Safepoint \"")).count();
    assert!(lines > 0);
    assert_eq!(out.safepoints.len(), lines);
    // First safepoint line of the log: `Safepoint "Cleanup", ..., Reaching safepoint: 9046547 ns,
    // Cleanup: 45365 ns, At safepoint: 6923 ns, Total: 9098835 ns`.
    let s = &out.safepoints[0];
    assert_eq!(s.operation.as_deref(), Some("Cleanup"));
    assert_eq!(
        (s.reaching_ns, s.cleanup_ns, s.at_safepoint_ns, s.total_ns),
        (Some(9_046_547), Some(45_365), Some(6_923), 9_098_835)
    );
    // time and uptime decorators on every line: first line 2026-11-26T09:49:35.173+0000 at 0.035s.
    let rows = out.clocks.rows();
    assert_eq!(rows.len(), 1);
    let expect = 1_795_686_575_173_000_000 - 35_000_000;
    assert!((rows[0].offset_ns - expect).abs() <= 2_000_000, "offset {} vs {expect}", rows[0].offset_ns);
    assert!(rows[0].spread_ns <= 2_000_000);
}
