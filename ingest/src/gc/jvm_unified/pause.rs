//! Recognising a pause line's body: `[y:|Y:|O: ]Pause <name and groups> [heap] <d>ms`.

use crate::units;

/// A pause line's parts.
pub(super) struct PauseText<'a> {
    /// Name with its parenthesised groups (generation prefix kept, e.g. `Y: Pause Mark Start (Major)`).
    pub name: std::borrow::Cow<'a, str>,
    /// Duration, ns.
    pub duration_ns: i64,
    /// Heap before, after, committed (bytes).
    pub heap: Option<(i64, i64, Option<i64>)>,
}

/// Parses the text after `GC(n) `; `None` if it is not a finished pause.
pub(super) fn parse(body: &str) -> Option<PauseText<'_>> {
    let (prefix, rest) = match body.get(..3) {
        Some(p @ ("y: " | "Y: " | "O: ")) => (Some(&p[..1]), &body[3..]),
        _ => (None, body),
    };
    if !rest.starts_with("Pause ") {
        return None;
    }
    let (head, last) = rest.trim_end().rsplit_once(' ')?;
    if !last.ends_with("ms") {
        return None;
    }
    let duration_ns = units::duration_ns(last)?;
    let mut head = head.trim_end();
    let mut heap = None;
    if let Some((h, tok)) = head.rsplit_once(' ') {
        if let Some(t) = units::heap_transition(tok) {
            heap = Some(t);
            head = h.trim_end();
        }
    }
    let name = match prefix {
        Some(g) => std::borrow::Cow::Owned(format!("{g}: {head}")),
        None => std::borrow::Cow::Borrowed(head),
    };
    Some(PauseText { name, duration_ns, heap })
}

/// Collector implied by a pause name when the log lacks its `Using ...` line (rotated files).
pub(super) fn infer_collector(name: &str) -> &'static str {
    if name.contains("Mark Start") || name.contains("Mark End") || name.contains("Relocate Start") {
        "ZGC"
    } else if name.contains("Init Mark")
        || name.contains("Final Mark")
        || name.contains("Update Refs")
        || name.contains("Degenerated")
        || name.contains("Final Roots")
    {
        "Shenandoah"
    } else if name.contains("(Normal)")
        || name.contains("(Mixed)")
        || name.contains("Concurrent Start")
        || name.contains("Prepare Mixed")
        || name.contains("G1")
        || name.contains("Remark")
        || name.contains("Cleanup")
    {
        "G1"
    } else if name.contains("Initial Mark") {
        "CMS"
    } else {
        "unknown"
    }
}
