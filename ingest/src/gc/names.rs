//! Pause names: splitting `Pause Young (Normal) (G1 Evacuation Pause)` into name and cause, and
//! normalising names to a small set of kinds shared by all collectors.

/// Parenthesised groups that qualify a pause name rather than give its cause.
const QUALIFIERS: &[&str] = &[
    "Normal",
    "Concurrent Start",
    "Prepare Mixed",
    "Mixed",
    "Concurrent End",
    "Initial Mark",
    "Major",
    "Minor",
    "Young",
    "Old",
    "Global",
    "Bootstrap",
    "unload classes",
    "process weakrefs",
    "update refs",
    "Outside of Cycle",
    "Mark",
    "Evacuation",
    "Update Refs",
    "Update References",
    "Roots",
    "Final Roots",
];

/// Splits the text of a pause (from `Pause` to before the heap figures) into the pause name and
/// its cause. ZGC and Shenandoah pause lines carry no cause (`cause_allowed = false`).
pub fn split_pause_name(text: &str, cause_allowed: bool) -> (String, Option<String>) {
    let text = text.trim();
    let head_end = text.find(" (").unwrap_or(text.len());
    let mut name = text[..head_end].to_string();
    let mut cause = None;
    let mut rest = &text[head_end..];
    while let Some(group) = next_group(rest) {
        rest = &rest[group.len()..];
        let g = group.trim_start();
        let inner = &g[1..g.len() - 1];
        let qualifies =
            QUALIFIERS.contains(&inner) || inner.starts_with("Evacuation Failure") || inner.starts_with("To-space");
        if cause_allowed && cause.is_none() && !qualifies {
            cause = Some(inner.to_string());
        } else {
            name.push(' ');
            name.push_str(group.trim());
        }
    }
    (name, cause)
}

/// The next ` (…)` group at the start of `s` (nested parentheses allowed), without the trailing rest.
fn next_group(s: &str) -> Option<&str> {
    let start = s.find('(')?;
    if !s[..start].trim().is_empty() {
        return None;
    }
    let mut depth = 0;
    for (i, ch) in s.char_indices().skip(start) {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Normalised pause kind of a pause name (see `gc_pauses.pause_kind`).
pub fn pause_kind(name: &str) -> &'static str {
    let n = ["y: ", "Y: ", "O: "].iter().find_map(|g| name.strip_prefix(g)).unwrap_or(name);
    let n = n.strip_prefix("Pause ").unwrap_or(n);
    let rules: &[(&str, &str)] = &[
        ("Young (Mixed)", "mixed"),
        ("Mixed", "mixed"),
        ("Young", "young"),
        ("Full", "full"),
        ("Degenerated", "degenerated"),
        ("Remark", "remark"),
        ("Cleanup", "cleanup"),
        ("Initial Mark", "initial_mark"),
        ("Init Mark", "initial_mark"),
        ("Final Mark", "final_mark"),
        ("Mark Start", "mark_start"),
        ("Mark End", "mark_end"),
        ("Relocate Start", "relocate_start"),
        ("Init Update Refs", "init_update_refs"),
        ("Final Update Refs", "final_update_refs"),
        ("Final Roots", "final_roots"),
        ("Final Evac", "final_evac"),
        ("Init Evac", "init_evac"),
        ("sweep termination", "sweep_termination"),
        ("mark termination", "mark_termination"),
        ("GC", "young"),
    ];
    for (prefix, kind) in rules {
        if n.starts_with(prefix) {
            return kind;
        }
    }
    "other"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_g1_names() {
        assert_eq!(
            split_pause_name("Pause Young (Normal) (G1 Evacuation Pause)", true),
            ("Pause Young (Normal)".into(), Some("G1 Evacuation Pause".into()))
        );
        assert_eq!(
            split_pause_name("Pause Full (System.gc())", true),
            ("Pause Full".into(), Some("System.gc()".into()))
        );
        assert_eq!(split_pause_name("Pause Remark", true), ("Pause Remark".into(), None));
        assert_eq!(
            split_pause_name("Pause Init Mark (unload classes)", false),
            ("Pause Init Mark (unload classes)".into(), None)
        );
        assert_eq!(pause_kind("Pause Young (Mixed)"), "mixed");
        assert_eq!(pause_kind("Y: Pause Mark Start (Major)"), "mark_start");
        assert_eq!(pause_kind("Pause Degenerated GC (Mark)"), "degenerated");
    }
}
