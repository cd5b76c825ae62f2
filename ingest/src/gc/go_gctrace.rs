//! Go `GODEBUG=gctrace=1` lines (Go 1.9–1.27), found anywhere in a program's stderr:
//! `gc N @Ts P%: a+b+c ms clock, d+e/f/g+h ms cpu, x->y->z MB, w MB goal, [s MB stacks, g MB globals,] N P [(forced)]`.
//!
//! Output: per cycle one `gc_cycles` row (CPU split, heap, goal, GOMAXPROCS) and two
//! `gc_pauses` rows — sweep termination (`a`, starting at `@T`) and mark termination (`c`,
//! starting at `@T + a + b`) — on the clock `go_uptime@<file>`. Other lines are counted as
//! ignored program output.

use std::io::BufRead;

use model::tables::clock::{self, GO_UPTIME};
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_pauses::GcPauseRow;

use super::{GcOutput, SourceCtx};
use crate::account::SkipKind;
use crate::lines::LineReader;
use crate::{units, ReadError};

/// Wall-clock anchor written by the capture kit before the program starts:
/// `# tracefold go start wall_ns=<ns since the Unix epoch>` (see capture/README.md).
pub const START_ANCHOR: &str = "# tracefold go start wall_ns=";

/// Whether the first bytes contain a gctrace line.
pub fn sniff(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .any(|l| find_trace(l).and_then(parse).is_some())
}

/// A parsed gctrace line.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Cycle number.
    pub n: i64,
    /// `@Ts`: time since program start, ns.
    pub at_ns: i64,
    /// `P%`.
    pub cpu_percent: f64,
    /// Wall clock phases a, b, c, ns.
    pub clock_ns: [i64; 3],
    /// CPU: sweep term, assist, background, idle, mark term, ns.
    pub cpu_ns: [i64; 5],
    /// Heap x, y, z, bytes.
    pub heap: [i64; 3],
    /// Goal, bytes.
    pub goal: i64,
    /// GOMAXPROCS.
    pub procs: i64,
    /// `(forced)`.
    pub forced: bool,
}

/// The `gc N @` start of a trace inside a line (programs may prefix stderr lines).
fn find_trace(line: &str) -> Option<&str> {
    let i = line.find("gc ")?;
    let t = &line[i..];
    t.as_bytes().get(3).filter(|b| b.is_ascii_digit())?;
    Some(t)
}

/// Parses a trace line starting at `gc `.
pub fn parse(t: &str) -> Option<Trace> {
    let t = t.strip_prefix("gc ")?;
    let (n, t) = t.split_once(" @")?;
    let (at, t) = t.split_once("s ")?;
    let (pct, t) = t.split_once("%: ")?;
    let (clock_part, t) = t.split_once(" ms clock, ")?;
    let (cpu_part, t) = t.split_once(" ms cpu, ")?;
    let clock: Vec<i64> = clock_part.split('+').map(|x| units::decimal_scaled(x, 6)).collect::<Option<_>>()?;
    // d+e/f/g+h
    let cpu: Vec<i64> = cpu_part.split(['+', '/']).map(|x| units::decimal_scaled(x, 6)).collect::<Option<_>>()?;
    let mut fields = t.split(", ");
    let heap_part = fields.next()?.strip_suffix(" MB")?;
    let heap: Vec<i64> = heap_part.split("->").map(mb).collect::<Option<_>>()?;
    let goal = mb(fields.next()?.strip_suffix(" MB goal")?)?;
    let mut procs = None;
    let mut forced = false;
    for f in fields {
        if let Some(p) = f.split_whitespace().next().filter(|_| f.contains(" P")) {
            if f.split_whitespace().nth(1) == Some("P") {
                procs = p.parse().ok();
                forced = f.contains("(forced)");
            }
        }
    }
    if clock.len() != 3 || cpu.len() != 5 || heap.len() != 3 {
        return None;
    }
    Some(Trace {
        n: n.trim().parse().ok()?,
        at_ns: units::decimal_scaled(at, 9)?,
        cpu_percent: pct.trim().parse().ok()?,
        clock_ns: [clock[0], clock[1], clock[2]],
        cpu_ns: [cpu[0], cpu[1], cpu[2], cpu[3], cpu[4]],
        heap: [heap[0], heap[1], heap[2]],
        goal,
        procs: procs?,
        forced,
    })
}

fn mb(x: &str) -> Option<i64> {
    units::decimal_scaled(x.trim(), 6).map(|micro_mb| micro_mb * (1 << 20) / 1_000_000)
}

/// Parses a stream containing gctrace lines.
pub fn ingest(ctx: &SourceCtx, input: &mut dyn BufRead, out: &mut GcOutput) -> Result<(), ReadError> {
    let clock = clock::scoped(GO_UPTIME, &ctx.clock_scope);
    let mut reader = LineReader::new(input);
    while let Some((line_no, bytes)) = reader.next_checked()? {
        out.account.read();
        let text = String::from_utf8_lossy(bytes);
        if let Some(wall) = text.trim().strip_prefix(START_ANCHOR).and_then(|v| v.trim().parse::<i64>().ok()) {
            // The capture kit's anchor: the wall time when the process started (gctrace's `@0s`).
            out.clocks.observe(&clock, 0, wall, "go-start-anchor", || format!("{}:{line_no}", ctx.source));
            out.account.parsed();
            continue;
        }
        let Some(t) = find_trace(&text) else {
            let reason = if text.starts_with("scvg") || text.starts_with("pacer:") || text.starts_with("gc ") {
                "runtime trace line not tabled (scvg, pacer, ...)"
            } else {
                "program output (not gctrace)"
            };
            out.account.skip(SkipKind::Ignore, reason, line_no, bytes);
            continue;
        };
        let Some(tr) = parse(t) else {
            out.account.skip(SkipKind::Skip, "gctrace line not understood (cut off or unknown form)", line_no, bytes);
            continue;
        };
        out.account.parsed();
        emit(ctx, &clock, line_no as i64, &tr, out);
    }
    Ok(())
}

fn emit(ctx: &SourceCtx, clock: &str, line: i64, tr: &Trace, out: &mut GcOutput) {
    let [a, b, c] = tr.clock_ns;
    let cause = tr.forced.then(|| "forced".to_string());
    let pause = |name: &str, start: i64, dur: i64| GcPauseRow {
        source: ctx.source.clone(),
        line,
        runtime: "go".into(),
        collector: "Go".into(),
        gc_id: Some(tr.n),
        name: name.into(),
        pause_kind: super::pause_kind(name).into(),
        cause: cause.clone(),
        clock: clock.into(),
        start_ns: Some(start),
        end_ns: Some(start + dur),
        line_wall_ns: None,
        duration_ns: dur,
        heap_before_bytes: None,
        heap_after_bytes: None,
        heap_committed_bytes: None,
    };
    out.pause(pause("sweep termination", tr.at_ns, a));
    out.pause(pause("mark termination", tr.at_ns + a + b, c));
    let cyc = out.cycle(tr.n, GcCycleRow::default);
    *cyc = GcCycleRow {
        source: ctx.source.clone(),
        line,
        runtime: "go".into(),
        collector: "Go".into(),
        gc_id: Some(tr.n),
        name: "gc".into(),
        cause,
        clock: clock.into(),
        start_ns: Some(tr.at_ns),
        duration_ns: Some(a + b + c),
        concurrent: true,
        aborted: false,
        pause_count: 2,
        pause_total_ns: a + c,
        pause_max_ns: a.max(c),
        heap_before_bytes: Some(tr.heap[0]),
        heap_after_bytes: Some(tr.heap[1]),
        heap_committed_bytes: None,
        heap_live_bytes: Some(tr.heap[2]),
        heap_goal_bytes: Some(tr.goal),
        procs: Some(tr.procs),
        forced: tr.forced,
        gc_cpu_percent: Some(tr.cpu_percent),
        cpu_sweep_term_ns: Some(tr.cpu_ns[0]),
        cpu_assist_ns: Some(tr.cpu_ns[1]),
        cpu_background_ns: Some(tr.cpu_ns[2]),
        cpu_idle_ns: Some(tr.cpu_ns[3]),
        cpu_mark_term_ns: Some(tr.cpu_ns[4]),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_anchor_maps_go_uptime_to_wall() {
        let text = "# tracefold go start wall_ns=1795686815000000000\n\
            gc 1 @0.001s 27%: 0.19+1.8+0.003 ms clock, 0.38+1.5/0.12/0.076+0.006 ms cpu, 6->6->4 MB, 4 MB goal, 2 P\n";
        let ctx = SourceCtx { source: "g".into(), clock_scope: "g".into() };
        let mut out = GcOutput::default();
        ingest(&ctx, &mut text.as_bytes(), &mut out).unwrap();
        let rows = out.clocks.rows();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].clock.as_str(), rows[0].offset_ns), ("go_uptime@g", 1_795_686_815_000_000_000));
        assert_eq!((out.account.lines_parsed(), out.pauses.len()), (2, 2));
    }

    #[test]
    fn parses_modern_and_old_forms() {
        let t = parse("gc 3 @0.050s 5%: 0.50+10+0.23 ms clock, 1.0+0.17/1.5/0+0.47 ms cpu, 10->20->15 MB, 12 MB goal, 0 MB stacks, 0 MB globals, 2 P").unwrap();
        assert_eq!(t.n, 3);
        assert_eq!(t.at_ns, 50_000_000);
        assert_eq!(t.clock_ns, [500_000, 10_000_000, 230_000]);
        assert_eq!(t.cpu_ns, [1_000_000, 170_000, 1_500_000, 0, 470_000]);
        assert_eq!(t.heap, [10 << 20, 20 << 20, 15 << 20]);
        assert_eq!((t.goal, t.procs, t.forced), (12 << 20, 2, false));
        // Go 1.9 (from GCViewer's go1.9.txt form), forced.
        let t = parse("gc 1 @0.011s 1%: 0.012+0.39+0.046 ms clock, 0.049+0.17/0.30/0.52+0.18 ms cpu, 4->4->0 MB, 5 MB goal, 4 P (forced)").unwrap();
        assert_eq!((t.procs, t.forced, t.clock_ns[2]), (4, true, 46_000));
        assert!(parse(
            "gc 1 @0.011s 1%: 0.012+0.39+0.046 ms clock, 0.049+0.17/0.30/0.52+0.18 ms cpu, 4->4->0 MB, 5 MB"
        )
        .is_none());
    }
}
