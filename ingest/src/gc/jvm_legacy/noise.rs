//! Lines and fragments that legacy logs interleave with GC records but that are not records:
//! JVM banner, heap dumps (`-XX:+PrintHeapAtGC`), tenuring distribution, CMS free-list and
//! class-histogram dumps, adaptive-size and TLAB output, Shenandoah (JDK 8 backport) tables; and
//! fragments glued into record lines (`{Heap before GC invocations=...`, a JVM warning).

use std::sync::OnceLock;

use memchr::memmem::Finder;

/// Needles of the fragments [`strip_fragments`] and the messages
/// [`take_messages`](super::messages::take_messages) cut out.
const EDIT_NEEDLES: [&str; 6] =
    ["Heap ", "RS summary", "warning:", "Total time for which", "Application time: ", "{Heap"];

/// Whether a line holds a fragment or message to cut out (one SIMD search per needle).
pub fn needs_edit(line: &str) -> bool {
    static FINDERS: OnceLock<Vec<Finder<'static>>> = OnceLock::new();
    FINDERS
        .get_or_init(|| EDIT_NEEDLES.iter().map(|n| Finder::new(n.as_bytes())).collect())
        .iter()
        .any(|f| f.find(line.as_bytes()).is_some())
}

/// What a whole line is when it is not record text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Understood, not tabled.
    Ignore(&'static str),
    /// JVM banner with the version (`Java HotSpot(TM) 64-Bit Server VM (25.73-b02) ...`).
    Version(String),
    /// `CommandLine flags: ...`.
    Flags,
    /// Starts a multi-line dump whose lines are ignored until record text resumes.
    BlockStart(&'static str),
}

/// Classifies a whole line that is not record text; `None` when it may be record text.
pub fn classify(line: &str) -> Option<LineKind> {
    let s = line.trim();
    let indented = line.starts_with([' ', '\t']);
    use LineKind::{BlockStart, Ignore};
    if s.is_empty() {
        return Some(Ignore("empty line"));
    }
    // Record text starts with a stamp, a bracket or a continuation; of the dumps only histogram
    // rows and the rotation header start with a digit.
    match s.as_bytes()[0] {
        b'0'..=b'9' if !indented => {
            if histogram_row(s) {
                return Some(Ignore("class histogram"));
            }
            if s.contains("GC log file created") || s.contains("GC log file has reached") {
                return Some(Ignore("log rotation header"));
            }
            return None;
        }
        b'[' if s.starts_with("[0x") => return Some(Ignore("PrintHeapAtGC dump")),
        b'[' | b',' | b':' | b'(' | b']' => return None,
        _ => {}
    }
    if s.starts_with("Java HotSpot(TM)") || s.starts_with("OpenJDK") {
        if s.contains("warning:") {
            return Some(Ignore("JVM warning"));
        }
        return Some(LineKind::Version(version(s)));
    }
    if s.starts_with("CommandLine flags:") {
        return Some(LineKind::Flags);
    }
    if s.starts_with("Memory: ") || s.starts_with("/proc/meminfo:") {
        return Some(Ignore("JVM banner"));
    }
    if s.contains("GC log file created") || s.contains("GC log file has reached") {
        return Some(Ignore("log rotation header"));
    }
    let brace_rest = s.strip_prefix('}').map(str::trim_start);
    if s.starts_with("{Heap before")
        || s.starts_with("Heap before")
        || s.starts_with("Heap after")
        || brace_rest.is_some_and(|r| r.is_empty() || r.starts_with("{Heap"))
    {
        return Some(Ignore("PrintHeapAtGC dump"));
    }
    if s == "Heap" {
        return Some(Ignore("heap summary at exit"));
    }
    if indented
        && !s.contains("secs]")
        && (s.contains("[0x") || s.contains(" used") || s.starts_with("region size") || s.ends_with(" regions"))
    {
        return Some(Ignore("PrintHeapAtGC dump"));
    }
    if s.starts_with("No shared spaces configured") {
        return Some(Ignore("PrintHeapAtGC dump"));
    }
    if s.starts_with("- [0x") || s.starts_with("- map (") || s == "Collection set:" {
        return Some(Ignore("heap summary at exit"));
    }
    if s.starts_with("Desired survivor size") || s.starts_with("- age") {
        return Some(Ignore("tenuring distribution"));
    }
    const FLS: &[&str] = &[
        "Statistics for BinaryTreeDictionary",
        "Statistics for IndexedFreeLists",
        "Total Free Space:",
        "Max   Chunk Size:",
        "Number of Blocks:",
        "Av.  Block  Size:",
        "Tree      Height:",
        "free=",
        "size[",
        "Before GC:",
        "After GC:",
        "CMS: Large",
        "demand:",
    ];
    if FLS.iter().any(|p| s.starts_with(p)) || (s.len() >= 8 && s.bytes().all(|b| b == b'-')) {
        return Some(Ignore("CMS free list statistics"));
    }
    if s.starts_with("num ") && s.contains("#instances") || histogram_row(s) {
        return Some(Ignore("class histogram"));
    }
    if s.starts_with("CMSCollector shouldConcurrentCollect") || s.starts_with("time_until_cms") || key_value(s) {
        return Some(Ignore("CMS initiation statistics"));
    }
    if s.starts_with("TLAB") {
        return Some(Ignore("TLAB statistics"));
    }
    if s.starts_with("GC locker:") {
        return Some(Ignore("GC locker message"));
    }
    if s.starts_with("Setting abort in CSMarkOopClosure") || s.starts_with("Mark stack is full") {
        return Some(Ignore("G1 mark stack overflow message"));
    }
    const ADAPTIVE: &[&str] =
        &["AdaptiveSize", "PSAdaptiveSize", "avg_survived", "PSYoungGen::", "PSOldGen::", "ASParNew::", "ASCMS::"];
    if ADAPTIVE.iter().any(|p| s.starts_with(p)) {
        return Some(Ignore("adaptive size policy"));
    }
    const SHENANDOAH: &[&str] = &[
        "Trigger:",
        "Free:",
        "Failed to allocate",
        "Cancelling GC",
        "Cancelling concurrent GC",
        "Pacer for",
        "Adaptive CSet Selection",
        "Collectable Garbage",
        "Immediate Garbage",
        "Good progress",
        "Shenandoah Heap",
        "Status:",
        "Reserved region:",
        "Uncommitted",
        "Regions:",
        "Humongous object threshold:",
        "Max TLAB size:",
        "GC threads:",
        "Heuristics ergonomically",
        "Shenandoah GC mode:",
        "Shenandoah heuristics:",
        "Initialize Shenandoah heap:",
        "Reference processing:",
        "Soft Max Heap Size:",
        "Free headroom:",
    ];
    if SHENANDOAH.iter().any(|p| s.starts_with(p)) || (s.starts_with("Using ") && s.contains(" workers")) {
        return Some(Ignore("Shenandoah detail"));
    }
    if s.starts_with("GC STATISTICS:") || s.starts_with("All times are wall-clock times") {
        return Some(BlockStart("Shenandoah statistics"));
    }
    if s.contains("(a =") && s.contains("(n =") && !s.contains('[') {
        return Some(Ignore("Shenandoah statistics"));
    }
    None
}

/// The collector a heap dump line names (`-XX:+PrintHeapAtGC`, heap summary at exit).
pub fn collector_in_dump(line: &str) -> Option<&'static str> {
    let s = line.trim_start();
    [
        ("PSYoungGen", "Parallel"),
        ("ParOldGen", "Parallel"),
        ("par new generation", "CMS"),
        ("concurrent mark-sweep generation", "CMS"),
        ("garbage-first heap", "G1"),
        ("Shenandoah Heap", "Shenandoah"),
    ]
    .iter()
    .find(|(p, _)| s.starts_with(p))
    .map(|(_, c)| *c)
}

/// `promotion_rate=106773` (CMS initiation statistics).
fn key_value(s: &str) -> bool {
    s.split_once('=').is_some_and(|(k, v)| {
        !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !v.is_empty() && !v.contains(' ')
    })
}

/// `   1:       2050241     4701812112  [Ljava.lang.Object;` or `Total      44540060     7115953848`.
fn histogram_row(s: &str) -> bool {
    let mut words = s.split_whitespace();
    let first = words.next().unwrap_or("");
    let numeric = |w: Option<&str>| w.is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
    let lead = first == "Total"
        || first.strip_suffix(':').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    lead && numeric(words.next()) && numeric(words.next())
}

/// The version a JVM banner states: the JRE version when given, else the VM version.
fn version(s: &str) -> String {
    if let Some((_, rest)) = s.split_once("JRE (") {
        if let Some((v, _)) = rest.split_once(')') {
            return v.to_string();
        }
    }
    // `Java HotSpot(TM) 1.5.0_11, Oracle Corporation 2000`.
    if let Some(w) = s.strip_prefix("Java HotSpot(TM) ").and_then(|r| r.split_whitespace().next()) {
        if w.starts_with(|c: char| c.is_ascii_digit()) {
            return w.trim_end_matches(',').to_string();
        }
    }
    if let Some((_, rest)) = s.split_once(" (") {
        if let Some((v, _)) = rest.split_once(')') {
            return v.to_string();
        }
    }
    s.chars().take(100).collect()
}

/// Fragments [`strip_fragments`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stripped {
    /// A PrintHeapAtGC marker.
    pub heap_dump: bool,
    /// G1 `Before GC RS summary`: a remembered-set dump follows.
    pub rs_summary: bool,
    /// A JVM warning printed into the line.
    pub warning: bool,
}

/// Removes fragments that other output glues into record lines: `{Heap before GC invocations=1
/// (full 0):`, `Heap after gc invocations=530:`, G1 `Before GC RS summary`, and a JVM warning
/// (`Java HotSpot(TM) Server VM warning: bailing out to foreground collection`, to the line end).
pub fn strip_fragments(line: &mut String) -> Stripped {
    let mut st = Stripped::default();
    for marker in ["{Heap before", "Heap after", "Heap before"] {
        while let Some(i) = line.find(marker) {
            let end = heap_marker_end(line, i + marker.len()).unwrap_or(line.len());
            line.replace_range(i..end, "");
            st.heap_dump = true;
        }
    }
    for marker in ["Before GC RS summary", "After GC RS summary"] {
        if let Some(i) = line.find(marker) {
            line.replace_range(i..i + marker.len(), "");
            st.rs_summary = true;
        }
    }
    for marker in ["Java HotSpot(TM)", "OpenJDK"] {
        if let Some(i) = line.find(marker) {
            if line[i..].contains("warning:") {
                line.truncate(i);
                st.warning = true;
            }
        }
    }
    st
}

/// End of ` GC invocations=N (full M):` / ` gc invocations=N:` starting at `from`.
fn heap_marker_end(line: &str, from: usize) -> Option<usize> {
    let rest = &line[from..];
    let rest = rest.strip_prefix(" GC invocations=").or_else(|| rest.strip_prefix(" gc invocations="))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let mut rest = &rest[digits..];
    if let Some(r) = rest.strip_prefix(" (full ") {
        let d = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = r[d..].strip_prefix(')')?;
    }
    rest.strip_prefix(':').map(|r| line.len() - r.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_cut_out() {
        // garbagecat dataset21.txt lines 1 and 9.
        let mut l = "28308.701: [GC {Heap before gc invocations=529:".to_string();
        assert!(strip_fragments(&mut l).heap_dump);
        assert_eq!(l, "28308.701: [GC ");
        let mut l = " (concurrent mode failure): 1179212K->1179647K(1179648K), 10.7159890 secs] 1422025K->1183557K(1441600K)Heap after gc invocations=530:".to_string();
        strip_fragments(&mut l);
        assert_eq!(
            l,
            " (concurrent mode failure): 1179212K->1179647K(1179648K), 10.7159890 secs] 1422025K->1183557K(1441600K)"
        );
        let mut l = "{Heap before GC invocations=0 (full 0):".to_string();
        strip_fragments(&mut l);
        assert_eq!(l, "");
    }

    #[test]
    fn banner_and_dumps() {
        assert_eq!(
            classify("Java HotSpot(TM) 64-Bit Server VM (25.73-b02) for linux-amd64 JRE (1.8.0_73-b02), built on Jan 29 2016"),
            Some(LineKind::Version("1.8.0_73-b02".into()))
        );
        assert_eq!(
            classify("  eden space 261760K, 100% used [0x80b90000, 0x90b30000, 0x90b30000)"),
            Some(LineKind::Ignore("PrintHeapAtGC dump"))
        );
        assert_eq!(
            classify("   1:       2050241     4701812112  [Ljava.lang.Object;"),
            Some(LineKind::Ignore("class histogram"))
        );
        assert_eq!(
            classify("- age   1:   10091512 bytes,   10091512 total"),
            Some(LineKind::Ignore("tenuring distribution"))
        );
        assert_eq!(classify("12.3: [GC (Allocation Failure) [PSYoungGen: 1K->2K(3K)] 4K->5K(6K), 0.1 secs]"), None);
    }
}
