//! Unified-logging decorators: the `[...]` groups before the message, in any selection of
//! `time`, `utctime`, `uptime`, `timemillis`, `uptimemillis`, `timenanos`, `uptimenanos`,
//! `hostname`, `pid`, `tid`, `level`, `tags` (tags padded to a width that may grow mid-file).
//! Each group is classified by its shape, since the selection is not written in the file.

use crate::units;

/// A line split into decorators and message. Times are decoded only when asked for (most
/// lines of a debug-level log are never tabled, and decoding dominated the profile).
#[derive(Debug, Default)]
pub(crate) struct Decorated<'a> {
    wall: Option<&'a str>,
    uptime_s: Option<&'a str>,
    uptime_ms: Option<&'a str>,
    nanos: [Option<&'a str>; 2],
    /// `level`.
    pub level: Option<&'a str>,
    /// `tags`, padding trimmed.
    pub tags: Option<&'a str>,
    /// The message after the decorators.
    pub msg: &'a str,
    /// [`Decorated::wall_ns`] once decoded (a tabled line asks for it more than once).
    wall_cache: std::cell::Cell<Option<Option<i64>>>,
    /// [`Decorated::coarse_uptime_ns`] once decoded.
    uptime_cache: std::cell::Cell<Option<Option<i64>>>,
}

const LEVELS: &[&str] = &["trace", "debug", "info", "warning", "error"];

/// Milliseconds above this are epoch time (`timemillis`), below it uptime (`uptimemillis`).
const EPOCH_MS_THRESHOLD: i64 = 100_000_000_000; // 1973-03-03

/// Splits a line into decorators and message; `None` when the line has no decorator groups or
/// none of them is a level, a tag set or a time.
pub(crate) fn parse_decorated(line: &str) -> Option<Decorated<'_>> {
    let mut d = Decorated::default();
    let mut rest = line;
    let mut groups = 0;
    while let Some(r) = rest.strip_prefix('[') {
        let end = memchr::memchr(b']', r.as_bytes())?;
        let g = r[..end].trim_end();
        rest = &r[end + 1..];
        groups += 1;
        classify(g, &mut d);
    }
    let timed = d.has_uptime() || d.has_wall();
    if groups == 0 || (d.level.is_none() && d.tags.is_none() && !timed) {
        return None;
    }
    d.msg = rest.strip_prefix(' ').unwrap_or(rest).trim_end();
    Some(d)
}

impl Decorated<'_> {
    /// Whether the line has an uptime decorator.
    pub fn has_uptime(&self) -> bool {
        self.nanos[0].is_some() || self.uptime_ms.is_some() || self.uptime_s.is_some()
    }

    /// Whether the line has a wall-time decorator.
    pub fn has_wall(&self) -> bool {
        self.wall.is_some()
    }

    /// JVM uptime (`uptimenanos`, else `uptimemillis`, else `uptime`), ns. Two `ns` groups
    /// are timenanos then uptimenanos (the decorator order); a single one is taken as
    /// uptimenanos, the common choice.
    pub fn uptime_ns(&self) -> Option<i64> {
        if let Some(n) = self.ns_pair().1 {
            return Some(n);
        }
        self.coarse_uptime_ns()
    }

    /// Uptime from `uptimemillis` or `uptime`, ns.
    fn coarse_uptime_ns(&self) -> Option<i64> {
        if let Some(known) = self.uptime_cache.get() {
            return known;
        }
        let ns = match self.uptime_ms.and_then(|n| n.parse::<i64>().ok()) {
            Some(ms) => Some(ms * 1_000_000),
            None => self.uptime_s.and_then(|s| units::decimal_scaled(s, 9)),
        };
        self.uptime_cache.set(Some(ns));
        ns
    }

    /// `(timenanos, uptimenanos)`. Two `ns` groups are both, in decorator order. A single one
    /// is `uptimenanos` unless the line's `uptime`/`uptimemillis` disagrees with it by more
    /// than a second, which makes it `timenanos` (e.g. `-Xlog:gc:file:time,uptime,timenanos`).
    fn ns_pair(&self) -> (Option<i64>, Option<i64>) {
        let parse = |n: &str| n.parse::<i64>().ok();
        match self.nanos {
            [Some(a), Some(b)] => (parse(a), parse(b)),
            [Some(a), None] => {
                let a = parse(a);
                match (a, self.coarse_uptime_ns()) {
                    (Some(v), Some(up)) if (v - up).abs() > 1_000_000_000 => (a, None),
                    _ => (None, a),
                }
            }
            _ => (None, None),
        }
    }

    /// Wall time (`time`, `utctime` or `timemillis`), ns since the Unix epoch.
    pub fn wall_ns(&self) -> Option<i64> {
        if let Some(known) = self.wall_cache.get() {
            return known;
        }
        let w = self.wall?;
        let ns = match w.strip_suffix("ms") {
            Some(ms) => ms.parse::<i64>().ok().map(|v| v * 1_000_000),
            None => units::iso8601_ns(w),
        };
        self.wall_cache.set(Some(ns));
        ns
    }

    /// `timenanos` (the JVM's System.nanoTime(), CLOCK_MONOTONIC on Linux), ns, when the line
    /// has it (see `ns_pair` for how a single `ns` group is told apart from `uptimenanos`).
    pub fn timenanos(&self) -> Option<i64> {
        self.ns_pair().0
    }
}

fn classify<'a>(g: &'a str, d: &mut Decorated<'a>) {
    let b = g.as_bytes();
    if b.is_empty() {
        return;
    }
    if b[0].is_ascii_digit() {
        if b.len() >= 19 && b[4] == b'-' && b[10] == b'T' {
            d.wall.get_or_insert(g);
        } else if let Some(n) = g.strip_suffix("ns").filter(|n| is_digits(n)) {
            if d.nanos[0].is_none() {
                d.nanos[0] = Some(n);
            } else {
                d.nanos[1] = Some(n);
            }
        } else if let Some(n) = g.strip_suffix("ms").filter(|n| is_digits(n)) {
            // Milliseconds above the threshold are epoch time (`timemillis`), below it uptime.
            if n.len() >= 12 && n.parse::<i64>().is_ok_and(|ms| ms >= EPOCH_MS_THRESHOLD) {
                d.wall.get_or_insert(g);
            } else {
                d.uptime_ms = Some(n);
            }
        } else if let Some(n) =
            g.strip_suffix('s').filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b','))
        {
            d.uptime_s = Some(n);
        }
        // pid (`123p`) and tid (`456t`) are not needed.
    } else if is_level(b) {
        d.level = Some(g);
    } else if is_tags(b) {
        d.tags = Some(g);
    }
    // A hostname is recognised by elimination (or taken for tags; tags come last and win).
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a decorator group (trailing whitespace trimmed) is a level.
pub(super) fn is_level(g: &[u8]) -> bool {
    LEVELS.iter().any(|l| l.as_bytes() == g)
}

/// Bytes of a tag set: lowercase letters, digits, `,` and `_`, as a table indexed by byte.
const TAG_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_lowercase() || c.is_ascii_digit() || c == b',' || c == b'_';
        b += 1;
    }
    t
};

/// Tag sets are lowercase identifiers joined by commas: `gc`, `gc,heap,exit`, `safepoint`.
/// (A lowercase hostname looks the same; tags come last in decorator order, so the last wins.)
pub(super) fn is_tags(g: &[u8]) -> bool {
    g.first().is_some_and(u8::is_ascii_lowercase) && g.iter().all(|&b| TAG_BYTE[usize::from(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorators_in_any_selection() {
        let d =
            parse_decorated("[2026-11-26T09:49:38.610+0000][3.471s][info][gc          ] GC(0) Pause Young").unwrap();
        assert_eq!(d.uptime_ns(), Some(3_471_000_000));
        assert_eq!(d.wall_ns(), Some(1_795_686_578_610_000_000));
        assert_eq!(d.tags, Some("gc"));
        assert_eq!(d.msg, "GC(0) Pause Young");
        let d = parse_decorated(
            "[1795686578610ms][3471ms][12345ns][3471000123ns][host1][1234p][5678t][debug][gc,phases,start] x",
        )
        .unwrap();
        assert_eq!(d.wall_ns(), Some(1_795_686_578_610_000_000));
        assert_eq!(d.uptime_ns(), Some(3_471_000_123));
        assert_eq!(d.timenanos(), Some(12345));
        assert_eq!(d.level, Some("debug"));
        assert_eq!(d.tags, Some("gc,phases,start"));
        assert!(parse_decorated("[GC (Allocation Failure) [PSYoungGen: 1K->2K(3K)] 4K->5K(6K), 0.001 secs]").is_none());
        assert!(parse_decorated("plain text").is_none());
    }

    #[test]
    fn a_single_ns_group_is_told_apart_by_the_uptime() {
        // `-Xlog:gc:file:time,uptime,timenanos` (corpus perf/generated/java_fp.gc.log).
        let d =
            parse_decorated("[2026-11-26T09:51:30.254+0000][0.799s][366592203745ns][info][gc] GC(0) Pause").unwrap();
        assert_eq!(d.timenanos(), Some(366_592_203_745));
        assert_eq!(d.uptime_ns(), Some(799_000_000));
        // `uptime,uptimenanos`: the same instant twice.
        let d = parse_decorated("[0.799s][799123456ns][info][gc] GC(0) Pause").unwrap();
        assert_eq!(d.timenanos(), None);
        assert_eq!(d.uptime_ns(), Some(799_123_456));
        // A lone ns group stays uptimenanos (the common choice).
        let d = parse_decorated("[366592203745ns][info][gc] GC(0) Pause").unwrap();
        assert_eq!((d.timenanos(), d.uptime_ns()), (None, Some(366_592_203_745)));
    }
}
