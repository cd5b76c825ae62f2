//! Bracketed groups of a legacy record (`[GC (Allocation Failure) [PSYoungGen: ...] ..., 0.05 secs]`):
//! the label of a group and the facts a nested group passes to its record (young/old generation
//! names, CMS phase, failures).

use std::sync::OnceLock;

use memchr::memmem::Finder;

use super::figures::Heap;
use super::stamps::Stamps;

/// Facts gathered from a record's nested groups and text.
pub mod flag {
    pub const PARALLEL: u32 = 1;
    pub const SERIAL: u32 = 1 << 1;
    pub const CMS: u32 = 1 << 2;
    pub const G1: u32 = 1 << 3;
    /// The old generation was collected (a young record that turned into a full collection).
    pub const OLD: u32 = 1 << 4;
    pub const INITIAL_MARK: u32 = 1 << 5;
    pub const REMARK: u32 = 1 << 6;
    pub const PROMOTION_FAILED: u32 = 1 << 7;
    pub const CONCURRENT_MODE_FAILURE: u32 = 1 << 8;
    pub const CONCURRENT_MODE_INTERRUPTED: u32 = 1 << 9;
    pub const TO_SPACE_EXHAUSTED: u32 = 1 << 10;
    pub const TO_SPACE_OVERFLOW: u32 = 1 << 11;
}

/// An open (or just closed) `[...]` group.
#[derive(Debug, Default)]
pub struct Group {
    /// Stamps written right before the `[`.
    pub stamps: Stamps,
    /// Text directly inside the group, nested groups (and the stamps before them) removed.
    pub text: String,
    /// [`flag`]s from nested groups and text.
    pub flags: u32,
    /// `real=` of a nested `[Times: ...]` that belongs to this group.
    pub real_ns: Option<i64>,
    /// G1 `[Eden: ... Heap: ...]` figures met inside the group.
    pub eden_heap: Option<Heap>,
    /// The last nested group was a concurrent phase (its `[Times: ...]` is not ours).
    pub after_concurrent: bool,
}

/// Record heads that are stop-the-world pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// `[GC ...` (young, or CMS initial mark/remark).
    Gc,
    /// `[Full GC ...`.
    Full,
    /// G1 `[GC pause (...) (young|mixed) ...`.
    G1Pause,
    /// G1 `[GC remark ...`.
    G1Remark,
    /// G1 `[GC cleanup ...`.
    G1Cleanup,
    /// Shenandoah (JDK 8 backport) `[Pause Init Mark, 0.5 ms]`.
    Shenandoah,
}

/// What a group is, from the start of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Pause(Head),
    /// CMS/G1/Shenandoah concurrent phase (`[CMS-concurrent-mark: ...]`, `[GC concurrent-mark-end, ...]`).
    Concurrent,
    /// `[Times: user=... sys=..., real=... secs]`.
    Times,
    /// G1 `[Eden: ... Heap: ...]`.
    Eden,
    /// Anything else: generation figures, G1 phase details, ergonomics, reference processing, ...
    Other,
}

/// Whether `rest` (text after `GC`) continues a `GC` head: end, space, `(`, `-`, `[`, `{`, a digit
/// (glued stamp) or glued adaptive-size / FLS output.
fn gc_word_end(rest: &str) -> bool {
    rest.is_empty()
        || rest.starts_with([' ', '(', '[', '{', '\t'])
        || rest.starts_with("--")
        || rest.starts_with(|c: char| c.is_ascii_digit())
        || rest.starts_with("AdaptiveSize")
        || rest.starts_with("Before GC")
        || rest.starts_with("After GC")
}

/// The label of a group whose text starts with `text`.
pub fn label(text: &str) -> Label {
    let s = text.trim_start();
    if let Some(rest) = s.strip_prefix("GC") {
        if rest.starts_with(" pause") {
            return Label::Pause(Head::G1Pause);
        }
        if rest.starts_with(" remark") {
            return Label::Pause(Head::G1Remark);
        }
        if rest.starts_with(" cleanup") {
            return Label::Pause(Head::G1Cleanup);
        }
        if rest.starts_with(" concurrent") {
            return Label::Concurrent;
        }
        if rest.starts_with(" ref-proc") || rest.starts_with(" Worker") {
            return Label::Other;
        }
        if gc_word_end(rest) {
            return Label::Pause(Head::Gc);
        }
        return Label::Other;
    }
    if let Some(rest) = s.strip_prefix("Full GC") {
        if gc_word_end(rest) {
            return Label::Pause(Head::Full);
        }
        return Label::Other;
    }
    if s.starts_with("CMS-concurrent-")
        || s.starts_with("ASCMS-concurrent-")
        || s.starts_with("Concurrent ")
        || s == "Concurrent"
    {
        return Label::Concurrent;
    }
    if s.starts_with("Pause ") {
        // Shenandoah marks a pause's start as `[Pause Init Mark, start]`; the end line has the duration.
        if s.trim_end().ends_with(", start") {
            return Label::Other;
        }
        return Label::Pause(Head::Shenandoah);
    }
    if s.starts_with("Times:") {
        return Label::Times;
    }
    if s.starts_with("Eden:") {
        return Label::Eden;
    }
    Label::Other
}

/// Flags a closed nested group passes to its parent.
pub fn child_flags(text: &str) -> u32 {
    use flag::*;
    let s = text.trim_start();
    let name_end = s.find([':', ',', '(', '[']).unwrap_or(s.len());
    let name = s[..name_end].trim();
    let mut f = text_flags(s);
    f |= match name {
        "PSYoungGen" | "ASPSYoungGen" | "PSPermGen" => PARALLEL,
        "ParOldGen" | "PSOldGen" | "ASPSOldGen" => PARALLEL | OLD,
        "DefNew" => SERIAL,
        "Tenured" => SERIAL | OLD,
        "ParNew" | "ASParNew" | "CMS Perm" | "CMS Perm " => CMS,
        "1 CMS-initial-mark" => CMS | INITIAL_MARK,
        "1 CMS-remark" | "YG occupancy" | "Rescan" => CMS | REMARK,
        _ if name.starts_with("CMS") || name.starts_with("ASCMS") => {
            if name.starts_with("CMS Perm") {
                CMS
            } else {
                CMS | OLD
            }
        }
        _ => 0,
    };
    f
}

/// Failure qualifiers written anywhere in a record.
pub fn text_flags(text: &str) -> u32 {
    use flag::*;
    const NEEDLES: [(&str, u32); 5] = [
        ("promotion failed", PROMOTION_FAILED),
        ("concurrent mode failure", CONCURRENT_MODE_FAILURE),
        ("concurrent mode interrupted", CONCURRENT_MODE_INTERRUPTED),
        ("to-space exhausted", TO_SPACE_EXHAUSTED),
        ("to-space overflow", TO_SPACE_OVERFLOW),
    ];
    static FINDERS: OnceLock<Vec<(Finder<'static>, u32)>> = OnceLock::new();
    let finders = FINDERS.get_or_init(|| NEEDLES.iter().map(|(n, b)| (Finder::new(n.as_bytes()), *b)).collect());
    finders.iter().filter(|(f, _)| f.find(text.as_bytes()).is_some()).fold(0, |acc, (_, b)| acc | b)
}
