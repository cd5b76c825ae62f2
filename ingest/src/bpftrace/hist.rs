//! Histogram buckets: text labels (`[4, 8)`, `[1K, 2K)`, `(..., 0)`, `[0]`, `[100, ...)`) and
//! JSON buckets (`min`/`max` inclusive) to `low` inclusive / `high` exclusive.

/// A number with an optional K, M, G, T, P suffix (powers of 1024).
pub fn scaled(t: &str) -> Option<i64> {
    let t = t.trim();
    let (num, mult) = match t.as_bytes().last()? {
        b'K' => (&t[..t.len() - 1], 1i64 << 10),
        b'M' => (&t[..t.len() - 1], 1 << 20),
        b'G' => (&t[..t.len() - 1], 1 << 30),
        b'T' => (&t[..t.len() - 1], 1 << 40),
        b'P' => (&t[..t.len() - 1], 1 << 50),
        b'E' => (&t[..t.len() - 1], 1 << 60),
        _ => (t, 1),
    };
    num.parse::<i64>().ok()?.checked_mul(mult)
}

/// Bounds of a text bucket label: `(low, high)`, low inclusive, high exclusive, `None` = open.
pub fn label_bounds(label: &str) -> Option<(Option<i64>, Option<i64>)> {
    if let Some(inner) = label.strip_prefix("(..., ") {
        let hi = inner.strip_suffix(')')?;
        return Some((None, Some(scaled(hi)?)));
    }
    let inner = label.strip_prefix('[')?;
    if let Some(lo) = inner.strip_suffix(", ...)") {
        return Some((Some(scaled(lo)?), None));
    }
    if let Some(v) = inner.strip_suffix(']') {
        let v = scaled(v)?;
        return Some((Some(v), Some(v.checked_add(1)?)));
    }
    let (lo, hi) = inner.strip_suffix(')')?.split_once(", ")?;
    Some((Some(scaled(lo)?), Some(scaled(hi)?)))
}

/// A text bucket row `LABEL   COUNT |@@@   |`: (label, low, high, count).
pub fn bucket_row(line: &str) -> Option<(&str, Option<i64>, Option<i64>, i64)> {
    let line = line.trim_end();
    if !(line.starts_with('[') || line.starts_with('(')) {
        return None;
    }
    let end = line.find([')', ']'])? + 1;
    let label = &line[..end];
    let rest = line[end..].trim_start();
    let (count, bar) = rest.split_once(' ').unwrap_or((rest, ""));
    let bar = bar.trim();
    if !(bar.is_empty() || bar.starts_with('|') && bar.ends_with('|')) {
        return None;
    }
    let count = count.parse::<i64>().ok()?;
    let (lo, hi) = label_bounds(label)?;
    Some((label, lo, hi, count))
}

/// A number as bpftrace prints hist bounds: with the largest K/M/G/T/P/E suffix dividing it.
pub fn format_scaled(v: i64) -> String {
    const S: [(u32, char); 6] = [(60, 'E'), (50, 'P'), (40, 'T'), (30, 'G'), (20, 'M'), (10, 'K')];
    if v > 0 {
        for (shift, c) in S {
            if v >= 1 << shift && v % (1i64 << shift) == 0 {
                return format!("{}{c}", v >> shift);
            }
        }
    }
    v.to_string()
}

/// Label rebuilt from bounds, as text mode would print it.
pub fn label_of(low: Option<i64>, high: Option<i64>) -> String {
    match (low, high) {
        (None, Some(h)) => format!("(..., {})", format_scaled(h)),
        (Some(l), None) => format!("[{}, ...)", format_scaled(l)),
        (Some(l), Some(h)) if h == l + 1 => format!("[{}]", format_scaled(l)),
        (Some(l), Some(h)) => format!("[{}, {})", format_scaled(l), format_scaled(h)),
        (None, None) => "(..., ...)".to_string(),
    }
}

/// A JSON bucket converted: (low, high, note). `prev_high` is the previous bucket's `high`;
/// a bucket below it is the 0.17 32-bit truncation (`[2G, 4G)` emitted as `min -2^31, max 0`)
/// when its `min` is negative and fits i32: restored as unsigned 32-bit, flagged.
pub fn json_bounds(
    min: Option<i64>,
    max: Option<i64>,
    prev_high: Option<i64>,
) -> (Option<i64>, Option<i64>, Option<String>) {
    let low = min;
    let high = max.and_then(|m| m.checked_add(1));
    if let (Some(l), Some(p)) = (low, prev_high) {
        if l < p {
            if l < 0 && l >= i32::MIN as i64 {
                let fixed = l & 0xffff_ffff;
                if fixed >= p && (fixed as u64).is_power_of_two() {
                    return (
                        Some(fixed),
                        Some(fixed * 2),
                        Some(format!(
                            "bpftrace 0.17 32-bit hist truncation: JSON min {l} max {} restored",
                            max.map_or("none".into(), |m| m.to_string())
                        )),
                    );
                }
            }
            return (low, high, Some("bucket bounds out of order".to_string()));
        }
    }
    (low, high, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label_bounds("[4, 8)"), Some((Some(4), Some(8))));
        assert_eq!(label_bounds("[1K, 2K)"), Some((Some(1024), Some(2048))));
        assert_eq!(label_bounds("(..., 0)"), Some((None, Some(0))));
        assert_eq!(label_bounds("[0]"), Some((Some(0), Some(1))));
        assert_eq!(label_bounds("[100, ...)"), Some((Some(100), None)));
        assert_eq!(label_bounds("[-10, 0)"), Some((Some(-10), Some(0))));
        let r = bucket_row("[2G, 4G)               1 |@@@@|").unwrap();
        assert_eq!((r.1, r.2, r.3), (Some(1 << 31), Some(1 << 32), 1));
        assert!(bucket_row("[...]").is_none());
        assert_eq!(label_of(Some(1024), Some(2048)), "[1K, 2K)");
        let (l, h, n) = json_bounds(Some(-2147483648), Some(0), Some(1 << 31));
        assert_eq!((l, h), (Some(1 << 31), Some(1 << 32)));
        assert!(n.is_some());
    }
}
