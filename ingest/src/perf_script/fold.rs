//! Folded stacks (`comm;root;...;leaf weight`) rendered from the tables, as
//! `inferno-collapse-perf` renders them from the text: weight = period (1 when not printed),
//! offsets `+0x..` stripped, argument lists cut (Go `.(*T)` methods and C++
//! `(anonymous namespace)` kept), `;` in names turned into `:`, Java `Lpkg/Cls;` tidied when
//! the comm is `java`, `[unknown]` functions named `[<dso file name>]` when the dso is known,
//! symbols printed as `(...)` left out, Java perf-map inlining `a->b` as `a;b_[i]`, partially
//! demangled legacy Rust symbols fixed; only one event (by default the first sample's).
//! Samples of that event with no frame left are not in the output (inferno drops them);
//! [`fold_stats`] counts them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use model::tables::perf_frames::PerfFrameRow;

use super::PerfScriptOutput;

/// Options, named as inferno's (all off by default, as inferno's).
#[derive(Debug, Clone, Default)]
pub struct FoldOptions {
    /// Root frame `comm-pid` (`--pid`); `?` when the text has no pid.
    pub include_pid: bool,
    /// Root frame `comm-pid/tid` (`--tid`).
    pub include_tid: bool,
    /// `_[k]` on kernel frames (`--kernel`).
    pub annotate_kernel: bool,
    /// `_[j]` on JIT frames (`--jit`).
    pub annotate_jit: bool,
    /// `[dso <addr>]` for unknown symbols (`--addrs`).
    pub include_addrs: bool,
    /// Leave partially demangled legacy Rust symbols (`_$LT$..::h<hash>`) as printed, as
    /// stackcollapse-perf.pl does (inferno fixes them: off).
    pub raw_rust_symbols: bool,
    /// Event to fold (as in `perf_samples.event`); `None` = the event of the first sample.
    pub event: Option<String>,
}

impl FoldOptions {
    /// `--all`: kernel and JIT annotations (`--all` of both tools).
    pub fn all() -> Self {
        FoldOptions { annotate_kernel: true, annotate_jit: true, ..Default::default() }
    }

    /// stackcollapse-perf.pl `--all`: [`FoldOptions::all`] with Rust symbols left as printed.
    pub fn perl_all() -> Self {
        FoldOptions { raw_rust_symbols: true, ..Self::all() }
    }
}

/// What folding left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldStats {
    /// The event folded.
    pub event: Option<String>,
    /// Samples of that event folded.
    pub samples: u64,
    /// Samples of that event with no frame (not in the folded output, as in inferno).
    pub frame_less_samples: u64,
    /// Their total weight.
    pub frame_less_weight: u64,
    /// Samples of other events (not folded).
    pub other_event_samples: u64,
}

/// Folded stacks of one event → total weight.
pub fn folded(out: &PerfScriptOutput, opts: &FoldOptions) -> BTreeMap<String, u64> {
    fold_with_stats(out, opts).0
}

/// What [`folded`] left out.
pub fn fold_stats(out: &PerfScriptOutput, opts: &FoldOptions) -> FoldStats {
    fold_with_stats(out, opts).1
}

/// [`folded`] and [`fold_stats`] in one pass.
pub fn fold_with_stats(out: &PerfScriptOutput, opts: &FoldOptions) -> (BTreeMap<String, u64>, FoldStats) {
    let mut stats = FoldStats::default();
    let mut map = BTreeMap::new();
    let event = opts.event.clone().or_else(|| out.samples.first().map(|s| s.event.clone()));
    stats.event = event.clone();
    let Some(event) = event else { return (map, stats) };

    // Frames of each stack, root first.
    let stacks: HashMap<i64, Vec<i64>> =
        out.stacks.iter().map(|r| (r.stack_id, r.frame_ids.iter().rev().copied().collect())).collect();
    let frames: HashMap<i64, &PerfFrameRow> = out.frames.iter().map(|f| (f.frame_id, f)).collect();
    // Rendered frames per (root, stack): root matters for the Java tidy-up only.
    let mut cache: HashMap<(String, i64), Option<String>> = HashMap::new();

    for s in &out.samples {
        if s.event != event {
            stats.other_event_samples += 1;
            continue;
        }
        stats.samples += 1;
        let mut root = s.comm.replace(' ', "_");
        if opts.include_tid {
            let pid = s.pid.map_or("?".to_string(), |p| p.to_string());
            let tid = s.tid.map_or("?".to_string(), |t| t.to_string());
            root = format!("{root}-{pid}/{tid}");
        } else if opts.include_pid {
            root = format!("{root}-{}", s.pid.map_or("?".to_string(), |p| p.to_string()));
        }
        let body = cache
            .entry((root.clone(), s.stack_id))
            .or_insert_with(|| render(&root, stacks.get(&s.stack_id).map_or(&[][..], |v| v), &frames, opts))
            .clone();
        let weight = s.period.max(0) as u64;
        match body {
            Some(body) => *map.entry(format!("{root};{body}")).or_insert(0) += weight,
            None => {
                stats.frame_less_samples += 1;
                stats.frame_less_weight += weight;
            }
        }
    }
    (map, stats)
}

/// The frames part (`root;...;leaf` without the comm), `None` when no frame is left.
fn render(root: &str, ids: &[i64], frames: &HashMap<i64, &PerfFrameRow>, opts: &FoldOptions) -> Option<String> {
    let mut parts: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(f) = frames.get(id) else { continue };
        let raw = if f.function.is_empty() { " " } else { f.function.as_str() };
        if raw.starts_with('(') {
            continue;
        }
        let module = f.dso.as_deref().unwrap_or(if f.inlined { "inlined" } else { "" });
        let raw = if opts.raw_rust_symbols { Cow::Borrowed(raw) } else { fix_partially_demangled_rust_symbol(raw) };
        for (i, part) in raw.split("->").enumerate() {
            let mut func = tidy_generic(&with_module_fallback(module, part, f.address, opts.include_addrs));
            if root == "java" && func.starts_with('L') && func.contains('/') {
                func.remove(0);
            }
            if i > 0 || (f.inlined && f.dso.is_some()) {
                func.push_str("_[i]");
            } else if opts.annotate_kernel && is_kernel(module) {
                func.push_str("_[k]");
            } else if opts.annotate_jit && super::frame::is_jit_dso(module) {
                func.push_str("_[j]");
            }
            parts.push(func);
        }
    }
    (!parts.is_empty()).then(|| parts.join(";"))
}

fn is_kernel(module: &str) -> bool {
    module != "[unknown]" && (module.starts_with('[') || module.contains("vmlinux") || module.ends_with(".ko"))
}

fn with_module_fallback<'a>(module: &str, func: &'a str, address: Option<i64>, include_addrs: bool) -> Cow<'a, str> {
    if func != "[unknown]" {
        return Cow::Borrowed(func);
    }
    let name = match (module, include_addrs) {
        ("[unknown]", true) => "unknown",
        ("[unknown]", false) => return Cow::Borrowed(func),
        (m, _) => &m[m.rfind('/').map_or(0, |i| i + 1)..],
    };
    if include_addrs {
        Cow::Owned(format!("[{name} <{:x}>]", address.unwrap_or(0) as u64))
    } else {
        Cow::Owned(format!("[{name}]"))
    }
}

/// `;` → `:`, argument list cut at the first top-level `(` that is not a Go method `.(` or a C++
/// `(anonymous namespace)`.
fn tidy_generic(func: &str) -> String {
    let func = func.replace(';', ":");
    let mut depth = 0i32;
    let mut last_dot = None;
    let mut cut = func.len();
    for (i, c) in func.char_indices() {
        match c {
            '<' | '{' | '[' => depth += 1,
            '>' | '}' | ']' | ')' => depth -= 1,
            '(' => {
                if depth == 0 {
                    let go = last_dot == Some(i);
                    let anon = func[i..].starts_with("(anonymous namespace)");
                    if !go && !anon {
                        cut = i;
                        break;
                    }
                }
                depth += 1;
            }
            '.' => last_dot = Some(i + 1),
            _ => {}
        }
    }
    let mut func = func;
    func.truncate(cut);
    func
}

/// Legacy Rust symbols left partially demangled (`_$LT$a..b$GT$::f::h0123456789abcdef`) →
/// `<a::b>::f`; anything else unchanged.
fn fix_partially_demangled_rust_symbol(symbol: &str) -> Cow<'_, str> {
    const HASH: usize = 17;
    let Some(start) = symbol.len().checked_sub(HASH) else { return Cow::Borrowed(symbol) };
    let Some(hash) = symbol.get(start..) else { return Cow::Borrowed(symbol) };
    if !hash.starts_with('h') || !hash[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        return Cow::Borrowed(symbol);
    }
    let mut rest = &symbol[..start];
    if let Some(r) = rest.strip_suffix("::") {
        rest = r;
    }
    if rest.starts_with("_$") {
        rest = &rest[1..];
    }
    const ESC: &[(&str, &str)] = &[
        ("$SP$", "@"),
        ("$BP$", "*"),
        ("$RF$", "&"),
        ("$LT$", "<"),
        ("$GT$", ">"),
        ("$LP$", "("),
        ("$RP$", ")"),
        ("$C$", ","),
        ("$u7e$", "~"),
        ("$u20$", " "),
        ("$u27$", "'"),
        ("$u3d$", "="),
        ("$u5b$", "["),
        ("$u5d$", "]"),
        ("$u7b$", "{"),
        ("$u7d$", "}"),
        ("$u3b$", ";"),
        ("$u2b$", "+"),
        ("$u21$", "!"),
        ("$u22$", "\""),
    ];
    let mut out = String::with_capacity(rest.len());
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("..") {
            out.push_str("::");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            out.push('.');
            rest = r;
        } else if rest.starts_with('$') {
            match ESC.iter().find(|(e, _)| rest.starts_with(e)) {
                Some((e, d)) => {
                    out.push_str(d);
                    rest = &rest[e.len()..];
                }
                None => return Cow::Borrowed(symbol),
            }
        } else {
            let end = rest.find(['$', '.']).unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy() {
        assert_eq!(tidy_generic("go/build.(*importReader).readByte"), "go/build.(*importReader).readByte");
        assert_eq!(tidy_generic("foo<Vec::<usize>>(Vec<usize>)"), "foo<Vec::<usize>>");
        assert_eq!(tidy_generic("base(BasicType) const"), "base");
        assert_eq!(tidy_generic("(anonymous namespace)::myBar()"), "(anonymous namespace)::myBar");
        assert_eq!(tidy_generic("{lambda(int, int)#2}::operator()"), "{lambda(int, int)#2}::operator");
        assert_eq!(
            fix_partially_demangled_rust_symbol("_$LT$a..B$LT$$u27$s$C$$u20$M$GT$$GT$::run::h30ecedc997ad7e32"),
            "<a::B<'s, M>>::run"
        );
    }
}
