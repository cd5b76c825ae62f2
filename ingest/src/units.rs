//! Exact parsing of the numbers GC logs print: durations (`81.156ms`, `0.036s`, `0,0012 secs`),
//! sizes (`12M`, `1024K`, `3.5G`, `123456K`) and ISO-8601 wall times. Decimals are parsed as
//! digits, never through floats, so `14.637ms` is exactly 14 637 000 ns.

/// Parses a non-negative decimal (`.` or `,` as the separator) scaled by `10^scale_exp`
/// (e.g. `ms` → ns is 6). Returns `None` on anything else.
pub fn decimal_scaled(text: &str, scale_exp: u32) -> Option<i64> {
    // One pass over the bytes (this runs for every duration and uptime of a GC log).
    let bytes = text.trim().as_bytes();
    let int_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let frac_part = match bytes.get(int_len) {
        None => &[][..],
        Some(b'.' | b',') => &bytes[int_len + 1..],
        Some(_) => return None,
    };
    if (int_len == 0 && frac_part.is_empty()) || !frac_part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i64 = 0;
    for &b in &bytes[..int_len] {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut scale = 10i64.checked_pow(scale_exp)?;
    value = value.checked_mul(scale)?;
    let mut frac: i64 = 0;
    for &b in frac_part {
        if scale == 1 {
            // Round half up on the first digit below 1 ns.
            if b >= b'5' {
                frac += 1;
            }
            break;
        }
        scale /= 10;
        frac += i64::from(b - b'0') * scale;
    }
    value.checked_add(frac)
}

/// Duration with a unit suffix: `ns`, `us`, `ms`, `s`, `secs`, `sec`.
pub fn duration_ns(text: &str) -> Option<i64> {
    let text = text.trim();
    for (suffix, exp) in [("ns", 0), ("us", 3), ("ms", 6), ("secs", 9), ("sec", 9), ("s", 9)] {
        if let Some(num) = text.strip_suffix(suffix) {
            return decimal_scaled(num, exp);
        }
    }
    None
}

/// Size with a binary unit suffix (`B`, `K`, `M`, `G`, `T`, optional trailing `B`), in bytes.
pub fn size_bytes(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_suffix('B').filter(|t| t.ends_with(['K', 'M', 'G', 'T'])).unwrap_or(text);
    let (num, shift) = match text.as_bytes().last()? {
        b'K' => (&text[..text.len() - 1], 10),
        b'M' => (&text[..text.len() - 1], 20),
        b'G' => (&text[..text.len() - 1], 30),
        b'T' => (&text[..text.len() - 1], 40),
        b'B' => (&text[..text.len() - 1], 0),
        _ => (text, 0),
    };
    // Sizes may carry decimals (`3.5G`); scale through milli-units to stay exact enough.
    let milli = decimal_scaled(num, 3)?;
    milli.checked_mul(1i64 << shift).map(|v| v / 1000)
}

/// Parses `before->after(committed)` heap figures, e.g. `12M->3M(256M)`.
pub fn heap_transition(text: &str) -> Option<(i64, i64, Option<i64>)> {
    let (before, rest) = text.split_once("->")?;
    let (after, committed) = match rest.split_once('(') {
        Some((a, c)) => (a, Some(size_bytes(c.strip_suffix(')')?)?)),
        None => (rest, None),
    };
    Some((size_bytes(before)?, size_bytes(after)?, committed))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The number in `text[r]`: its ASCII digits read directly (every stamp a JVM writes), else what
/// `str::parse` makes of it (a sign, say), so that the answer is the same either way. A JVM log
/// line with wall-clock time is parsed through here: the direct read is a tenth of the cost.
fn fixed_field(text: &str, r: std::ops::Range<usize>) -> Option<i64> {
    match text.as_bytes().get(r.clone()) {
        Some(b) if !b.is_empty() && b.iter().all(u8::is_ascii_digit) => {
            Some(b.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
        }
        _ => text.get(r)?.parse::<i64>().ok(),
    }
}

/// Parses `2026-11-26T09:49:35.173+0000` (also `Z`, `+00:00`, and without fraction or zone,
/// which is then taken as UTC) to ns since the Unix epoch.
pub fn iso8601_ns(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r| fixed_field(text, r);
    let (y, mo, d, h, mi, s) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut frac_ns = 0;
    if let Some(r) = rest.strip_prefix(['.', ',']) {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let mut scale = 100_000_000;
        for b in r[..digits].bytes().take(9) {
            frac_ns += i64::from(b - b'0') * scale;
            scale /= 10;
        }
        rest = &r[digits..];
    }
    let offset_s = match rest {
        "" | "Z" => 0,
        z if z.len() >= 5 && (z.starts_with('+') || z.starts_with('-')) => {
            // `+hhmm` or `+hh:mm`: exactly four digits after the sign, whatever is between them.
            let mut digits = [0i64; 4];
            let mut n = 0;
            for &b in z.as_bytes()[1..].iter().filter(|b| b.is_ascii_digit()) {
                if let Some(slot) = digits.get_mut(n) {
                    *slot = i64::from(b - b'0');
                }
                n += 1;
            }
            if n != 4 {
                return None;
            }
            let (hh, mm) = (digits[0] * 10 + digits[1], digits[2] * 10 + digits[3]);
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (hh * 3600 + mm * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_s;
    secs.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact() {
        assert_eq!(duration_ns("14.637ms"), Some(14_637_000));
        assert_eq!(duration_ns("0.036s"), Some(36_000_000));
        assert_eq!(duration_ns("0,0012345 secs"), Some(1_234_500));
        assert_eq!(duration_ns("0,0012345secs"), Some(1_234_500));
        assert_eq!(duration_ns("123 ns".replace(' ', "").as_str()), Some(123));
        assert_eq!(decimal_scaled("0.0000001234", 9), Some(123)); // 123.4 ns
        assert_eq!(decimal_scaled("0.0000000015", 9), Some(2));
    }

    /// Every kind of input, with the answer worked out by hand.
    #[test]
    fn decimal_scaled_answers() {
        let cases: &[(&str, u32, Option<i64>)] = &[
            ("", 0, None),
            (" ", 9, None),
            (".", 9, None),
            (",", 9, None),
            ("5", 0, Some(5)),
            ("5", 3, Some(5_000)),
            ("5.", 3, Some(5_000)),
            (".5", 3, Some(500)),
            (",5", 3, Some(500)),
            ("0.207", 9, Some(207_000_000)),
            ("0,207", 9, Some(207_000_000)),
            (" 7 ", 6, Some(7_000_000)),
            ("\t12.5\n", 3, Some(12_500)),
            ("0.", 9, Some(0)),
            ("00.00", 9, Some(0)),
            ("15364756", 0, Some(15_364_756)),
            // Rounded half up on the first digit below the unit.
            ("1.5", 0, Some(2)),
            ("1.4", 0, Some(1)),
            ("2.45", 1, Some(25)),
            ("0.0000001234", 9, Some(123)),
            ("0.0000000015", 9, Some(2)),
            ("0.0000000014999", 9, Some(1)),
            // Not a plain decimal.
            ("1.2.3", 9, None),
            ("1,2.3", 9, None),
            ("abc", 0, None),
            ("-1", 0, None),
            ("+1", 0, None),
            ("1e3", 0, None),
            ("1 000", 0, None),
            ("12.3a", 3, None),
            ("a12.3", 3, None),
            ("\u{661}\u{662}", 0, None),
            // At and past the range of i64.
            ("9223372036854775807", 0, Some(i64::MAX)),
            ("9223372036854775808", 0, None),
            ("9223372036854775807", 1, None),
            ("92233720368.54775807", 8, Some(i64::MAX)),
            ("92233720368.54775807", 9, None),
            ("99999999999999999999.5", 0, None),
            ("1", 18, Some(1_000_000_000_000_000_000)),
            ("1", 19, None),
            ("0", 19, None),
        ];
        for &(text, exp, want) in cases {
            assert_eq!(decimal_scaled(text, exp), want, "{text:?} e{exp}");
        }
    }

    #[test]
    fn sizes_and_heaps() {
        assert_eq!(size_bytes("12M"), Some(12 << 20));
        assert_eq!(size_bytes("1024K"), Some(1 << 20));
        assert_eq!(size_bytes("3.5G"), Some(3_758_096_384));
        assert_eq!(heap_transition("12M->3M(256M)"), Some((12 << 20, 3 << 20, Some(256 << 20))));
    }

    #[test]
    fn iso_times() {
        // 2026-11-26T09:49:35.173Z; checked with `date -d @1795686575.173 -u`.
        assert_eq!(iso8601_ns("2026-11-26T09:49:35.173+0000"), Some(1_795_686_575_173_000_000));
        assert_eq!(iso8601_ns("2026-11-26T10:49:35.173+0100"), Some(1_795_686_575_173_000_000));
        assert_eq!(iso8601_ns("1970-01-01T00:00:00Z"), Some(0));
        // Worked out by hand: zones with and without a colon, west of UTC, a comma, more than
        // nine fraction digits, no zone, fields that are not all digits (read as `str::parse`
        // reads them: a sign is a number's), and zones that are not four digits.
        let h = 3_600_000_000_000_i64;
        assert_eq!(iso8601_ns("2026-11-26T15:19:35.173+05:30"), Some(1_795_686_575_173_000_000));
        assert_eq!(iso8601_ns("2026-11-26T01:49:35.173-0800"), Some(1_795_686_575_173_000_000));
        assert_eq!(iso8601_ns("2026-11-26T09:49:35,5+0000"), Some(1_795_686_575_500_000_000));
        assert_eq!(iso8601_ns("2026-11-26T09:49:35.1234567891+0000"), Some(1_795_686_575_123_456_789));
        assert_eq!(iso8601_ns("2026-11-26 09:49:35"), Some(1_795_686_575_000_000_000));
        assert_eq!(iso8601_ns("2026-11-26T+9:49:35Z"), Some(1_795_686_575_000_000_000));
        assert_eq!(iso8601_ns("2026-11-26T09:49:35+1:00"), None);
        assert_eq!(iso8601_ns("2026-11-26T09:49:35+01:000"), None);
        assert_eq!(iso8601_ns("2026-11-26T09:49:35+0a100"), Some(1_795_686_575_000_000_000 - h));
        assert_eq!(iso8601_ns("2026-1x-26T09:49:35Z"), None);
        assert_eq!(iso8601_ns("2026-11-26T09:49:35.173+0000 "), Some(1_795_686_575_173_000_000));
    }
}
