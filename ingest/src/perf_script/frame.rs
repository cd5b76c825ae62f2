//! A callchain line: `<hex ip> <symbol>[+0xoff] (<dso>)`, optionally ` (inlined)`.

/// A parsed callchain line (before Java `a->b` splitting).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameLine<'a> {
    /// The ip as printed.
    pub address: Option<u64>,
    /// Symbol without its `+0x` offset (may be empty).
    pub function: &'a str,
    /// Text inside the trailing parentheses.
    pub dso: Option<&'a str>,
    /// perf printed ` (inlined)`.
    pub inlined: bool,
}

/// Parses a callchain line (leading whitespace allowed); `None` when it is not one (e.g. a
/// `srcline` line such as `  foo.c:12`).
pub fn parse(line: &str) -> Option<FrameLine<'_>> {
    let line = line.trim();
    let (ip, rest) = match line.find([' ', '\t']) {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    if ip.is_empty() || !ip.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let address = u64::from_str_radix(ip, 16).ok();
    let mut rest = rest.trim_end();
    let mut inlined = false;
    if let Some(r) = rest.strip_suffix(" (inlined)").or_else(|| (rest == "(inlined)").then_some("")) {
        inlined = true;
        rest = r.trim_end();
    }
    let mut dso = None;
    if rest.ends_with(')') {
        // Matching '(' of the trailing group, scanning back (dso names may hold parentheses).
        let mut depth = 0i32;
        for (i, b) in rest.bytes().enumerate().rev() {
            match b {
                b')' => depth += 1,
                b'(' => {
                    depth -= 1;
                    if depth == 0 {
                        // A dso group is preceded by a space (or starts the text).
                        if i == 0 || rest.as_bytes()[i - 1] == b' ' {
                            dso = Some(&rest[i + 1..rest.len() - 1]);
                            rest = rest[..i].trim_end();
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    if dso.is_none() && !inlined {
        return None;
    }
    let mut function = rest.trim();
    if let Some(off) = function.rfind("+0x") {
        if function[off + 3..].bytes().all(|b| b.is_ascii_hexdigit()) {
            function = &function[..off];
        }
    }
    Some(FrameLine { address, function, dso, inlined })
}

/// Whether a dso is kernel code: `[kernel.kallsyms]` and other `[...]` except `[unknown]`,
/// `vmlinux`, `vmlinux-<version>`, kernel modules `*.ko`.
pub fn is_kernel_dso(dso: &str) -> bool {
    let base = &dso[dso.rfind('/').map_or(0, |i| i + 1)..];
    (dso.starts_with('[') && dso != "[unknown]")
        || dso.ends_with("vmlinux")
        || base.starts_with("vmlinux-")
        || base.ends_with(".ko")
}

/// Whether a dso is JIT code: `perf-N.map` (any directory) or a jitdump `jitted-*.so`.
pub fn is_jit_dso(dso: &str) -> bool {
    let base = &dso[dso.rfind('/').map_or(0, |i| i + 1)..];
    (base.starts_with("perf-") && base.ends_with(".map")) || (base.starts_with("jitted-") && base.ends_with(".so"))
}

/// `kind` column value.
pub fn kind(dso: Option<&str>) -> &'static str {
    match dso {
        None | Some("[unknown]") | Some("") => "unknown",
        Some(d) if is_kernel_dso(d) => "kernel",
        Some(d) if is_jit_dso(d) => "jit",
        Some(_) => "user",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let f = parse("\t          414297 runtime.mapassign_faststr+0x277 (/usr/lib/go/bin/go)").unwrap();
        assert_eq!(
            (f.address, f.function, f.dso, f.inlined),
            (Some(0x414297), "runtime.mapassign_faststr", Some("/usr/lib/go/bin/go"), false)
        );
        let f = parse("    7f1e2215d058  (/lib/x86_64-linux-gnu/libc-2.15.so)").unwrap();
        assert_eq!(f.function, "");
        let f = parse("\t    7f443cc8af43 __mmap64 (inlined)").unwrap();
        assert_eq!((f.function, f.dso, f.inlined), ("__mmap64", None, true));
        let f = parse("  7f7 Lfoo;::bar (/tmp/perf-1.map (deleted))").unwrap();
        assert_eq!(f.dso, Some("/tmp/perf-1.map (deleted)"));
        let f = parse("  ff std::function<void (int)>::operator()(int) const (/bin/x)").unwrap();
        assert_eq!(f.function, "std::function<void (int)>::operator()(int) const");
        assert!(parse("  foo.c:12").is_none());
        assert_eq!(kind(Some("[kernel.kallsyms]")), "kernel");
        assert_eq!(kind(Some("/tmp/perf-9.map")), "jit");
    }
}
