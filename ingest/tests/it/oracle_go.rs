//! Oracle: Go's `runtime.MemStats.PauseNs` per cycle minus gctrace's `a + c` lies within the
//! print truncation of gctrace (two significant digits; whole ms from 10 ms; below 1 µs → 0).

use std::collections::BTreeMap;

use crate::common::{fixture, parse_file};

/// Truncation bound of one printed `ms clock` term, ns (see shared/tools/go_stw_check.py).
fn bound_ns(v_ns: i64) -> i64 {
    if v_ns >= 10_000_000 {
        1_000_000
    } else {
        (v_ns / 10).max(1_000)
    }
}

fn oracle() -> (i64, BTreeMap<i64, i64>) {
    let text = std::fs::read_to_string(fixture("gc/go/go_churn.oracle.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let per = v["per_gc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["gc"].as_i64().unwrap(), r["pause_ns"].as_i64().unwrap()))
        .collect();
    (v["memstats_numgc"].as_i64().unwrap(), per)
}

#[test]
fn go_pauses_within_truncation_of_pause_ns() {
    let (fmt, out, cycles) = parse_file(&fixture("gc/go/go_churn.gctrace.txt")).unwrap();
    assert_eq!(fmt, "go-gctrace");
    let (numgc, pause_ns) = oracle();
    assert_eq!(cycles.len() as i64, numgc, "one cycle per gctrace line, as NumGC");
    assert_eq!(out.pauses.len() as i64, 2 * numgc, "two STW pauses per cycle");
    let mut by_cycle: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for p in &out.pauses {
        by_cycle.entry(p.gc_id.unwrap()).or_default().push(p.duration_ns);
    }
    for (n, want) in &pause_ns {
        let got = &by_cycle[n];
        let (a, c) = (got[0], got[1]);
        let d = want - (a + c);
        assert!(d >= 0 && d <= bound_ns(a) + bound_ns(c), "gc {n}: PauseNs {want} vs a+c {}", a + c);
    }
    let forced: Vec<_> = cycles.iter().filter(|c| c.forced).collect();
    assert_eq!(forced.len(), 1, "MANIFEST: the last cycle is (forced)");
    assert_eq!(forced[0].gc_id, Some(numgc));
    // MANIFEST: sum(a+c) = 1669.856 ms.
    let total: i64 = out.pauses.iter().map(|p| p.duration_ns).sum();
    assert_eq!(total, 1_669_856_000);
    assert!(cycles.iter().all(|c| c.procs == Some(2)), "GOMAXPROCS=2 in the command");
}

#[test]
fn go_1_9_form() {
    let (fmt, out, cycles) = parse_file(&fixture("gc/go/go1.9.txt")).unwrap();
    assert_eq!(fmt, "go-gctrace");
    let text = std::fs::read_to_string(fixture("gc/go/go1.9.txt")).unwrap();
    let n = text.lines().filter(|l| l.starts_with("gc ") && l.contains(" ms clock, ")).count();
    assert_eq!(cycles.len(), n);
    assert_eq!(out.pauses.len(), 2 * n);
    assert_eq!(out.account.lines_not_understood(), 0);
}
