//! Unified-logging decorators: the `[...]` groups before the message, in any selection of
//! `time`, `utctime`, `uptime`, `timemillis`, `uptimemillis`, `timenanos`, `uptimenanos`,
//! `hostname`, `pid`, `tid`, `level`, `tags` (tags padded to a width that may grow mid-file).
//! Each group is classified by its shape, since the selection is not written in the file.

use crate::units;

/// A line split into decorators and message.
#[derive(Debug, Default)]
pub(crate) struct Decorated<'a> {
    /// JVM uptime (`uptimenanos`, else `uptimemillis`, else `uptime`), ns.
    pub uptime_ns: Option<i64>,
    /// Wall time (`time`, `utctime` or `timemillis`), ns since the Unix epoch.
    pub wall_ns: Option<i64>,
    /// `timenanos` (the JVM's monotonic clock), ns.
    pub timenanos: Option<i64>,
    /// `level`.
    pub level: Option<&'a str>,
    /// `tags`, padding trimmed.
    pub tags: Option<&'a str>,
    /// The message after the decorators.
    pub msg: &'a str,
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
    let mut uptime_s = None;
    let mut uptime_ms = None;
    let mut nanos: [Option<i64>; 2] = [None, None];
    while let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']')?;
        let g = r[..end].trim();
        rest = &r[end + 1..];
        groups += 1;
        classify(g, &mut d, &mut uptime_s, &mut uptime_ms, &mut nanos);
    }
    let timed = uptime_s.is_some() || uptime_ms.is_some() || nanos[0].is_some() || d.wall_ns.is_some();
    if groups == 0 || (d.level.is_none() && d.tags.is_none() && !timed) {
        return None;
    }
    // Two `ns` groups are timenanos then uptimenanos (the decorator order); a single one is
    // taken as uptimenanos, the common choice.
    let (timenanos, uptimenanos) = match nanos {
        [Some(a), Some(b)] => (Some(a), Some(b)),
        [Some(a), None] => (None, Some(a)),
        _ => (None, None),
    };
    d.timenanos = timenanos;
    d.uptime_ns = uptimenanos.or(uptime_ms).or(uptime_s);
    d.msg = rest.strip_prefix(' ').unwrap_or(rest).trim_end();
    Some(d)
}

fn classify<'a>(
    g: &'a str,
    d: &mut Decorated<'a>,
    uptime_s: &mut Option<i64>,
    uptime_ms: &mut Option<i64>,
    nanos: &mut [Option<i64>; 2],
) {
    if LEVELS.contains(&g) {
        d.level = Some(g);
    } else if g.len() >= 19 && g.as_bytes()[4] == b'-' && g.as_bytes()[10] == b'T' {
        if let Some(ns) = units::iso8601_ns(g) {
            d.wall_ns.get_or_insert(ns);
        }
    } else if let Some(n) = g.strip_suffix("ns").filter(|n| is_digits(n)) {
        let v = n.parse().ok();
        if nanos[0].is_none() {
            nanos[0] = v;
        } else {
            nanos[1] = v;
        }
    } else if let Some(n) = g.strip_suffix("ms").filter(|n| is_digits(n)) {
        if let Ok(ms) = n.parse::<i64>() {
            if ms >= EPOCH_MS_THRESHOLD {
                d.wall_ns.get_or_insert(ms * 1_000_000);
            } else {
                *uptime_ms = Some(ms * 1_000_000);
            }
        }
    } else if let Some(n) =
        g.strip_suffix('s').filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b','))
    {
        *uptime_s = units::decimal_scaled(n, 9);
    } else if is_tags(g) {
        d.tags = Some(g);
    }
    // pid (`123p`), tid (`456t`) and hostname are recognised by elimination and not needed.
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Tag sets are lowercase identifiers joined by commas: `gc`, `gc,heap,exit`, `safepoint`.
/// (A lowercase hostname looks the same; tags come last in decorator order, so the last wins.)
fn is_tags(g: &str) -> bool {
    !g.is_empty()
        && g.as_bytes()[0].is_ascii_lowercase()
        && g.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b',' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorators_in_any_selection() {
        let d =
            parse_decorated("[2026-11-26T09:49:38.610+0000][3.471s][info][gc          ] GC(0) Pause Young").unwrap();
        assert_eq!(d.uptime_ns, Some(3_471_000_000));
        assert_eq!(d.wall_ns, Some(1_795_686_578_610_000_000));
        assert_eq!(d.tags, Some("gc"));
        assert_eq!(d.msg, "GC(0) Pause Young");
        let d = parse_decorated(
            "[1795686578610ms][3471ms][12345ns][3471000123ns][host1][1234p][5678t][debug][gc,phases,start] x",
        )
        .unwrap();
        assert_eq!(d.wall_ns, Some(1_795_686_578_610_000_000));
        assert_eq!(d.uptime_ns, Some(3_471_000_123));
        assert_eq!(d.timenanos, Some(12345));
        assert_eq!(d.level, Some("debug"));
        assert_eq!(d.tags, Some("gc,phases,start"));
        assert!(parse_decorated("[GC (Allocation Failure) [PSYoungGen: 1K->2K(3K)] 4K->5K(6K), 0.001 secs]").is_none());
        assert!(parse_decorated("plain text").is_none());
    }
}
