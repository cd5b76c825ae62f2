//! Human-readable formatting of durations, sizes, shares, timestamps and changes.
//!
//! Everything the report prints goes through these functions, so one run of the same dataset
//! always renders byte-identically (no locale, no clock).

/// The minus sign used in front of negative changes (U+2212, not a hyphen).
pub const MINUS: char = '\u{2212}';

/// A duration in nanoseconds, e.g. `640 ns`, `8.12 µs`, `812 µs`, `16.43 ms`, `1.13 s`,
/// `2 min 05 s`, `1 h 02 min`.
pub fn duration(ns: i64) -> String {
    if ns < 0 {
        return format!("{MINUS}{}", duration(ns.checked_neg().unwrap_or(i64::MAX)));
    }
    if ns < 1_000 {
        return format!("{ns} ns");
    }
    let n = ns as f64;
    if ns < 1_000_000 {
        let us = n / 1e3;
        let s = if us >= 99.95 {
            format!("{us:.0}")
        } else if us >= 9.995 {
            format!("{us:.1}")
        } else {
            format!("{us:.2}")
        };
        return if s == "1000" { "1.00 ms".to_string() } else { format!("{s} µs") };
    }
    if ns < 1_000_000_000 {
        let s = format!("{:.2}", n / 1e6);
        return if s == "1000.00" { "1.00 s".to_string() } else { format!("{s} ms") };
    }
    if ns < 60_000_000_000 {
        let s = format!("{:.2}", n / 1e9);
        if s != "60.00" {
            return format!("{s} s");
        }
    }
    let secs = (n / 1e9).round() as i64;
    if secs < 3600 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        let mins = (secs + 30) / 60;
        format!("{} h {:02} min", mins / 60, mins % 60)
    }
}

/// [`duration`] of an optional value; `n/a` for `None`.
pub fn opt_duration(ns: Option<i64>) -> String {
    ns.map_or_else(|| "n/a".to_string(), duration)
}

/// A size in bytes with binary units in the JVM's style: `512B`, `64K`, `256M`, `4G`, `1.5G`.
pub fn size(bytes: i64) -> String {
    size_with(bytes as f64, JVM_UNITS, "")
}

/// Unit names from TiB down to bytes: the JVM's `-Xmx` spelling, and the spelt-out one.
const JVM_UNITS: [&str; 5] = ["T", "G", "M", "K", "B"];
const IEC_UNITS: [&str; 5] = ["TiB", "GiB", "MiB", "KiB", "B"];

/// Bytes in binary units, spelt out: `512 B`, `64 KiB`, `1.5 GiB` (for prose and tables; the
/// comparison's headers use the JVM's `-Xmx` spelling of [`size`]).
pub fn size_iec(bytes: i64) -> String {
    size_with(bytes as f64, IEC_UNITS, " ")
}

fn size_with(bytes: f64, names: [&str; 5], sep: &str) -> String {
    const FACTORS: [f64; 4] = [1024.0 * 1024.0 * 1024.0 * 1024.0, 1024.0 * 1024.0 * 1024.0, 1024.0 * 1024.0, 1024.0];
    for (unit, factor) in names.iter().zip(FACTORS) {
        if bytes.abs() >= factor {
            return format!("{}{sep}{unit}", trim_one_decimal(bytes / factor));
        }
    }
    format!("{}{sep}{}", trim_one_decimal(bytes), names[4])
}

/// A rate in bytes per second, binary units: `512 MiB/s`, `1.2 GiB/s`.
pub fn rate(bytes_per_s: f64) -> String {
    format!("{}/s", size_with(bytes_per_s, IEC_UNITS, " "))
}

fn trim_one_decimal(v: f64) -> String {
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some(t) => t.to_string(),
        None => s,
    }
}

/// A share (0..1) as a percentage with `decimals` decimals: `99.25 %`.
pub fn percent(share: f64, decimals: usize) -> String {
    format!("{:.*} %", decimals, share * 100.0)
}

/// Which direction of a metric is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Lower is better (pause times, counts of pauses).
    Lower,
    /// Higher is better (throughput, MMU).
    Higher,
    /// Neither (a property of the workload, e.g. the allocation rate).
    Neither,
}

/// How the change between baseline and candidate is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Relative change of the value, `+12.3 %`.
    Relative,
    /// Difference of two shares in percentage points, `−1.20 pp`.
    Points,
}

/// The change from `base` to `cand`: `+12.3 % (worse)`, `−40.0 % (better)`, `±0.0 % (same)`, or
/// `n/a` when a value is missing or the relative change is undefined (baseline 0, candidate not).
pub fn change(base: Option<f64>, cand: Option<f64>, better: Better, kind: ChangeKind) -> String {
    let (Some(b), Some(c)) = (base, cand) else {
        return "n/a".to_string();
    };
    if !b.is_finite() || !c.is_finite() {
        return "n/a".to_string();
    }
    let (value, unit, decimals) = match kind {
        ChangeKind::Relative => {
            if b == 0.0 {
                if c == 0.0 {
                    return "±0.0 % (same)".to_string();
                }
                return "n/a".to_string();
            }
            ((c - b) / b.abs() * 100.0, "%", 1)
        }
        ChangeKind::Points => ((c - b) * 100.0, "pp", 2),
    };
    let shown = format!("{:.*}", decimals, value.abs());
    if shown.chars().all(|ch| ch == '0' || ch == '.') {
        return format!("±{shown} {unit} (same)");
    }
    let sign = if value > 0.0 { '+' } else { MINUS };
    let word = verdict(better, value > 0.0);
    // Beyond a factor of 10 a percentage hides the size of the change (−99.9 % vs −100.0 %):
    // say the factor instead, `÷ 1,800` or `× 25`.
    if matches!(kind, ChangeKind::Relative) && b > 0.0 && c > 0.0 && (c / b >= 10.0 || b / c >= 10.0) {
        let (op, factor) = if c > b { ('×', c / b) } else { ('÷', b / c) };
        return format!("{op} {}{word}", significant(factor));
    }
    format!("{sign}{shown} {unit}{word}")
}

/// ` (worse)`, ` (better)`, ` (higher)` or ` (lower)`: what a rise (`up`) or a fall means.
fn verdict(better: Better, up: bool) -> &'static str {
    match (better, up) {
        (Better::Lower, true) | (Better::Higher, false) => " (worse)",
        (Better::Lower, false) | (Better::Higher, true) => " (better)",
        (Better::Neither, true) => " (higher)",
        (Better::Neither, false) => " (lower)",
    }
}

/// A change shown as the difference itself, `shown` (already formatted, no sign), for when no
/// relative change exists (a baseline of 0): `+1 (worse)`, `−2.00 ms (better)`.
pub fn difference(shown: &str, up: bool, better: Better) -> String {
    let sign = if up { '+' } else { MINUS };
    format!("{sign}{shown}{}", verdict(better, up))
}

/// A factor with three significant digits and thousands separators: `25.0`, `1,800`.
fn significant(x: f64) -> String {
    if x < 100.0 {
        return format!("{x:.1}");
    }
    let digits = x.log10().floor() as i32 + 1;
    let scale = 10f64.powi(digits - 3);
    let n = ((x / scale).round() * scale) as u64;
    let raw = n.to_string();
    let mut out = String::new();
    for (i, ch) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A Unix-epoch time in nanoseconds as `YYYY-MM-DD hh:mm:ss.mmm UTC`.
pub fn utc(epoch_ns: i64) -> String {
    let secs = epoch_ns.div_euclid(1_000_000_000);
    let millis = epoch_ns.rem_euclid(1_000_000_000) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03} UTC", sod / 3600, sod % 3600 / 60, sod % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Escapes text for a Markdown table cell: `|` is escaped, line breaks become spaces.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// Text as an inline code span that survives backticks inside it, for a table cell.
pub fn code(text: &str) -> String {
    let text = cell(text);
    if text.is_empty() {
        return String::new();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0 ns");
        assert_eq!(duration(640), "640 ns");
        assert_eq!(duration(8_123), "8.12 µs");
        assert_eq!(duration(81_230), "81.2 µs");
        assert_eq!(duration(812_000), "812 µs");
        assert_eq!(duration(812_499), "812 µs");
        assert_eq!(duration(999_999), "1.00 ms");
        assert_eq!(duration(16_430_000), "16.43 ms");
        assert_eq!(duration(999_999_999), "1.00 s");
        assert_eq!(duration(1_130_000_000), "1.13 s");
        assert_eq!(duration(59_999_000_000), "1 min 00 s");
        assert_eq!(duration(125_000_000_000), "2 min 05 s");
        assert_eq!(duration(3_720_000_000_000), "1 h 02 min");
        assert_eq!(duration(-16_430_000), "\u{2212}16.43 ms");
        assert_eq!(opt_duration(None), "n/a");
        assert_eq!(opt_duration(Some(5_000_000)), "5.00 ms");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512B");
        assert_eq!(size(64 * 1024), "64K");
        assert_eq!(size(256 * 1024 * 1024), "256M");
        assert_eq!(size(4 * 1024 * 1024 * 1024), "4G");
        assert_eq!(size_iec(512), "512 B");
        assert_eq!(size_iec(256 * 1024 * 1024), "256 MiB");
        assert_eq!(size_iec(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(rate(171_451_464.0), "163.5 MiB/s");
        assert_eq!(size(16 * 1024 * 1024 * 1024), "16G");
        assert_eq!(size(3 * 512 * 1024 * 1024), "1.5G");
        assert_eq!(size(2 * 1024 * 1024 * 1024 * 1024), "2T");
        assert_eq!(rate(512.0 * 1024.0 * 1024.0), "512 MiB/s");
        assert_eq!(rate(1.25 * 1024.0 * 1024.0 * 1024.0), "1.2 GiB/s");
    }

    #[test]
    fn percents() {
        assert_eq!(percent(0.99251, 2), "99.25 %");
        assert_eq!(percent(0.5, 1), "50.0 %");
    }

    #[test]
    fn change_direction() {
        use Better::*;
        use ChangeKind::*;
        assert_eq!(change(Some(100.0), Some(112.3), Lower, Relative), "+12.3 % (worse)");
        assert_eq!(change(Some(100.0), Some(60.0), Lower, Relative), "\u{2212}40.0 % (better)");
        assert_eq!(change(Some(100.0), Some(60.0), Higher, Relative), "\u{2212}40.0 % (worse)");
        assert_eq!(change(Some(100.0), Some(150.0), Higher, Relative), "+50.0 % (better)");
        assert_eq!(change(Some(442.72), Some(0.024), Lower, Relative), "÷ 18,400 (better)");
        assert_eq!(change(Some(28.0), Some(159.0), Lower, Relative), "+467.9 % (worse)");
        assert_eq!(change(Some(2.0), Some(50.0), Lower, Relative), "× 25.0 (worse)");
        assert_eq!(change(Some(100.0), Some(150.0), Neither, Relative), "+50.0 % (higher)");
        assert_eq!(change(Some(100.0), Some(50.0), Neither, Relative), "\u{2212}50.0 % (lower)");
        assert_eq!(change(Some(100.0), Some(100.01), Lower, Relative), "±0.0 % (same)");
        assert_eq!(change(Some(0.0), Some(0.0), Lower, Relative), "±0.0 % (same)");
        assert_eq!(change(Some(0.0), Some(3.0), Lower, Relative), "n/a");
        assert_eq!(change(None, Some(3.0), Lower, Relative), "n/a");
        assert_eq!(change(Some(3.0), None, Lower, Relative), "n/a");
        assert_eq!(change(Some(0.992), Some(0.98), Higher, Points), "\u{2212}1.20 pp (worse)");
        assert_eq!(change(Some(0.0), Some(0.45), Higher, Points), "+45.00 pp (better)");
        assert_eq!(change(Some(0.5), Some(0.5), Higher, Points), "±0.00 pp (same)");
    }

    #[test]
    fn timestamps() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(utc(1_709_294_400_123_000_000), "2024-03-01 12:00:00.123 UTC");
        assert_eq!(utc(951_782_400_000_000_000), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(utc(-1_000_000), "1969-12-31 23:59:59.999 UTC");
    }

    #[test]
    fn cells() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(code("x"), "`x`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code(""), "");
    }
}
