//! What a record describes: a pause (name, cause, collector, duration, heap) or a concurrent
//! phase.

use super::figures::{first_transition, last_duration, last_occupancy, Heap};
use super::record::{flag, text_flags, Group, Head};
use crate::units;

/// Parenthesised groups right at the start of `s` (spaces allowed between), nested parens kept.
fn leading_parens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while rest.starts_with('(') {
        let mut depth = 0;
        let mut end = None;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        out.push(&rest[1..end]);
        rest = rest[end + 1..].trim_start();
    }
    out
}

/// A pause, as far as one record tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseFacts {
    pub name: String,
    pub cause: Option<String>,
    /// Collector named by the record itself.
    pub collector: Option<&'static str>,
    pub duration_ns: Option<i64>,
    pub heap: Heap,
    /// The collector is only inferred from a young generation that several collectors share
    /// (`DefNew` is Serial's, but also CMS's young generation without ParNew).
    pub weak: bool,
    /// The stamp marks the end of the pause (Shenandoah prints the line when the pause ends).
    pub stamp_is_end: bool,
}

/// G1 qualifiers that are not causes.
const G1_QUALIFIERS: &[&str] =
    &["young", "mixed", "partial", "initial-mark", "to-space exhausted", "to-space overflow"];

/// Interprets a closed top-level pause group. `cms_cycle_marked`: a CMS initial mark was seen
/// and no remark yet (decides what a bare `[GC 1234K(5678K), ...]` is).
pub fn pause_facts(head: Head, g: &Group, cms_cycle_marked: bool) -> PauseFacts {
    use flag::*;
    let text = g.text.trim_start();
    let flags = g.flags | text_flags(text);
    let collector_from_flags = if flags & CMS != 0 {
        Some("CMS")
    } else if flags & PARALLEL != 0 {
        Some("Parallel")
    } else if flags & SERIAL != 0 {
        Some("Serial")
    } else if flags & G1 != 0 {
        Some("G1")
    } else {
        None
    };
    let after_head = |prefix: &str| text.get(prefix.len()..).unwrap_or("");
    let transition = first_transition(text);
    let mut heap = g.eden_heap.or(transition).unwrap_or_default();
    let mut collector = collector_from_flags;
    let mut cause = None;
    let name = match head {
        Head::G1Pause => {
            let groups = leading_parens(after_head("GC pause"));
            cause = groups.iter().find(|g| !G1_QUALIFIERS.contains(g)).map(|s| s.to_string());
            collector = Some("G1");
            // Qualifiers may come after a stamp another thread printed into the line.
            let mut name = if text.contains("(mixed)") || text.contains("(partial)") {
                "Pause Young (Mixed)".to_string()
            } else if text.contains("(initial-mark)") {
                "Pause Young (Initial Mark)".to_string()
            } else {
                "Pause Young".to_string()
            };
            if flags & TO_SPACE_OVERFLOW != 0 {
                name.push_str(" (to-space overflow)");
            } else if flags & TO_SPACE_EXHAUSTED != 0 || text.contains(")--") {
                // JDK 6 G1 marks an evacuation failure as `[GC pause (young)-- ...`.
                name.push_str(" (to-space exhausted)");
            }
            name
        }
        Head::G1Remark => {
            collector = Some("G1");
            "Pause Remark".to_string()
        }
        Head::G1Cleanup => {
            collector = Some("G1");
            "Pause Cleanup".to_string()
        }
        Head::Full => {
            let rest = after_head("Full GC");
            cause = leading_parens(rest).first().map(|s| s.to_string()).or_else(|| old_cause(rest));
            format!("Pause Full{}", qualifiers(flags))
        }
        Head::Gc => {
            let rest = after_head("GC");
            cause = leading_parens(rest).first().map(|s| s.to_string());
            let c = cause.as_deref().unwrap_or("");
            let young_figures = flags & (PARALLEL | SERIAL | CMS) != 0;
            if flags & INITIAL_MARK != 0 || c == "CMS Initial Mark" {
                collector = Some("CMS");
                "Pause Initial Mark".to_string()
            } else if flags & REMARK != 0 || c == "CMS Final Remark" {
                collector = Some("CMS");
                "Pause Remark".to_string()
            } else if flags & OLD != 0 {
                format!("Pause Full{}", qualifiers(flags))
            } else if transition.is_none() && !young_figures && last_occupancy(text).is_some() {
                // `-verbose:gc` CMS prints initial mark and remark as `[GC 1234K(5678K), 0.01 secs]`.
                heap = last_occupancy(text).unwrap_or_default();
                collector = Some("CMS");
                if cms_cycle_marked { "Pause Remark" } else { "Pause Initial Mark" }.to_string()
            } else if flags & PROMOTION_FAILED != 0 || rest.trim_start().starts_with("--") || text.contains(" --") {
                "Pause Young (promotion failed)".to_string()
            } else {
                "Pause Young".to_string()
            }
        }
        Head::Shenandoah => {
            collector = Some("Shenandoah");
            let end = text.find(|c: char| c == ',' || c.is_ascii_digit()).unwrap_or(text.len());
            crate::gc::split_pause_name(&text[..end], false).0
        }
    };
    if heap.before.is_none() && matches!(head, Head::Gc | Head::Full) && transition.is_none() {
        if let Some(h) = last_occupancy(text) {
            heap = h;
        }
    }
    let duration_ns = last_duration(text, head == Head::Shenandoah);
    let weak = collector == Some("Serial") && flags & OLD == 0;
    let stamp_is_end = head == Head::Shenandoah;
    PauseFacts { name, cause, collector, duration_ns, heap, weak, stamp_is_end }
}

/// JDK 1.3 `[Full GC invoke=1 size=80 <System.gc()> ...`: the cause between angle brackets.
fn old_cause(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    if !rest.starts_with("invoke=") {
        return None;
    }
    let (_, r) = rest.split_once('<')?;
    let (c, _) = r.split_once('>')?;
    Some(c.to_string())
}

fn qualifiers(flags: u32) -> String {
    use flag::*;
    let mut s = String::new();
    if flags & PROMOTION_FAILED != 0 {
        s.push_str(" (promotion failed)");
    }
    if flags & CONCURRENT_MODE_FAILURE != 0 {
        s.push_str(" (concurrent mode failure)");
    }
    if flags & CONCURRENT_MODE_INTERRUPTED != 0 {
        s.push_str(" (concurrent mode interrupted)");
    }
    s
}

/// A concurrent phase line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// Phase name as logged (`CMS-concurrent-mark`, `GC concurrent-mark`, `Concurrent marking`).
    pub name: String,
    /// Wall duration when the line ends the phase.
    pub duration_ns: Option<i64>,
    pub collector: &'static str,
    /// `-start` line (or Shenandoah `, start`).
    pub start: bool,
    /// Abort / reset marker (`GC concurrent-mark-abort`).
    pub aborted: bool,
}

/// Interprets a concurrent-phase group's text.
pub fn phase(text: &str) -> Phase {
    let s = text.trim();
    if s.starts_with("CMS-") || s.starts_with("ASCMS-") {
        // `CMS-concurrent-mark: 0.005/0.013 secs` (cpu/wall).
        let (name, rest) = s.split_once(':').unwrap_or((s, ""));
        let start = name.ends_with("-start");
        let wall = rest
            .split_once('/')
            .and_then(|(_, w)| w.split_whitespace().next())
            .and_then(|w| units::decimal_scaled(w, 9));
        return Phase { name: name.trim().to_string(), duration_ns: wall, collector: "CMS", start, aborted: false };
    }
    if s.starts_with("GC concurrent") {
        // `GC concurrent-mark-end, 0.666 secs`; JDK 6 `GC concurrent-count-end, 0.0009436`.
        let (name, rest) = s.split_once(',').unwrap_or((s, ""));
        let name = name.trim();
        let start = name.ends_with("-start");
        let aborted = name.ends_with("-abort") || name.contains("reset-for-overflow");
        let dur = last_duration(rest, false).or_else(|| {
            let w = rest.split_whitespace().last()?;
            units::decimal_scaled(w, 9)
        });
        let base = name.strip_suffix("-end").unwrap_or(name);
        return Phase { name: base.to_string(), duration_ns: dur, collector: "G1", start, aborted };
    }
    // Shenandoah: `Concurrent cleanup 21278K->4701K(37888K), 0.048 ms`, `Concurrent marking, start`.
    let end = s.find(|c: char| c == ',' || c.is_ascii_digit()).unwrap_or(s.len());
    let name = s[..end].trim();
    let start = s.ends_with(", start") || s.ends_with(",start");
    let dur = last_duration(s, true);
    Phase { name: name.to_string(), duration_ns: dur, collector: "Shenandoah", start, aborted: false }
}
