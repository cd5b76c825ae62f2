//! One line of a cgroup file → its values, by the file's shape. Integers are parsed as
//! integers (never through a float), so 64-bit ns counters stay exact.

use std::borrow::Cow;

use super::files::{self, Shape, PAGE_COUNTER_MAX_BYTES};

/// A value as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer.
    Int(i64),
    /// A fraction (PSI averages), or an integer beyond i64 (approximate).
    Float(f64),
    /// "No limit" (`max`, `-1` / page-counter maximum in a limit).
    Unlimited,
    /// Not a number.
    Text,
}

/// One value of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Value<'a> {
    /// Key inside the file.
    pub key: Cow<'a, str>,
    /// The value.
    pub num: Num,
    /// Its text as observed.
    pub raw: &'a str,
    /// Unit.
    pub unit: &'static str,
}

/// What became of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Values were emitted.
    Parsed,
    /// Understood, nothing to table (a header row).
    Ignored(&'static str),
    /// Not the shape the file has: the caller keeps the line as one raw text row.
    Unexpected,
}

/// Parses a token: `max`, an integer, an integer beyond i64, a decimal, or text.
pub fn num(tok: &str) -> Num {
    if tok == "max" {
        return Num::Unlimited;
    }
    let b = tok.as_bytes();
    let digits = if b.first() == Some(&b'-') { &b[1..] } else { b };
    if digits.is_empty() || !digits[0].is_ascii_digit() {
        return Num::Text;
    }
    if digits.iter().all(u8::is_ascii_digit) {
        return match tok.parse::<i64>() {
            Ok(v) => Num::Int(v),
            Err(_) => tok.parse::<f64>().map(Num::Float).unwrap_or(Num::Text),
        };
    }
    if digits.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return tok.parse::<f64>().map(Num::Float).unwrap_or(Num::Text);
    }
    Num::Text
}

fn is_number(n: Num) -> bool {
    !matches!(n, Num::Text)
}

/// Whether a token is digits (a key is never digits; `max` is a fine key, as in `memory.events`).
fn is_digits(tok: &str) -> bool {
    matches!(num(tok), Num::Int(_) | Num::Float(_))
}

/// The value of `tok` under `key` of `file`, with limits and percentages resolved.
fn value<'a>(file: &str, key: Cow<'a, str>, tok: &'a str, v1: bool) -> Value<'a> {
    let unit = files::unit(file, &key, v1);
    let mut n = num(tok);
    if unit == "pct" {
        n = match n {
            Num::Int(i) => Num::Float(i as f64),
            other => other,
        };
    }
    if let Num::Int(i) = n {
        if (i == -1 || i >= PAGE_COUNTER_MAX_BYTES) && files::is_limit(file, &key) {
            n = Num::Unlimited;
        }
    }
    Value { key, num: n, raw: tok, unit }
}

/// Parses one line (without the path) of `file`, calling `emit` for each value. `emit` is
/// called only when the outcome is [`Outcome::Parsed`].
pub fn line<'a>(file: &str, v1: bool, content: &'a str, emit: &mut dyn FnMut(Value<'a>)) -> Outcome {
    line_shaped(files::shape(file), file, v1, content, emit)
}

/// [`line`] with the file's shape already looked up.
pub fn line_shaped<'a>(
    shape: Shape,
    file: &str,
    v1: bool,
    content: &'a str,
    emit: &mut dyn FnMut(Value<'a>),
) -> Outcome {
    let mut toks = content.split_ascii_whitespace();
    let Some(t0) = toks.next() else { return Outcome::Ignored("empty line (no value)") };
    match shape {
        Shape::Single | Shape::List => {
            if toks.next().is_some() {
                return Outcome::Unexpected;
            }
            let v = value(file, Cow::Borrowed(""), t0, v1);
            if !is_number(v.num) {
                return Outcome::Unexpected;
            }
            emit(v);
        }
        Shape::Flat => {
            let (Some(t1), None) = (toks.next(), toks.next()) else { return Outcome::Unexpected };
            let v = value(file, Cow::Borrowed(t0), t1, v1);
            if !is_number(v.num) || is_digits(t0) {
                return Outcome::Unexpected;
            }
            emit(v);
        }
        Shape::Nested => return nested(file, v1, content, emit),
        Shape::CpuMax => {
            let (Some(t1), None) = (toks.next(), toks.next()) else { return Outcome::Unexpected };
            let (max, period) =
                (value(file, Cow::Borrowed("max"), t0, v1), value(file, Cow::Borrowed("period"), t1, v1));
            if !is_number(max.num) || !matches!(period.num, Num::Int(_)) {
                return Outcome::Unexpected;
            }
            emit(max);
            emit(period);
        }
        Shape::PerCpu => {
            if !content.split_ascii_whitespace().all(|t| matches!(num(t), Num::Int(_) | Num::Float(_))) {
                return Outcome::Unexpected;
            }
            for (i, t) in content.split_ascii_whitespace().enumerate() {
                let key = match CPU_KEYS.get(i) {
                    Some(k) => Cow::Borrowed(*k),
                    None => Cow::Owned(format!("cpu{i}")),
                };
                emit(value(file, key, t, v1));
            }
        }
        Shape::UsageAll => {
            let rest: Vec<&str> = toks.collect();
            if t0 == "cpu" && rest.iter().all(|t| !is_number(num(t))) {
                return Outcome::Ignored("table header");
            }
            if rest.len() != 2 || !matches!(num(t0), Num::Int(_)) || !rest.iter().all(|t| is_number(num(t))) {
                return Outcome::Unexpected;
            }
            emit(value(file, Cow::Owned(format!("cpu{t0}.user")), rest[0], v1));
            emit(value(file, Cow::Owned(format!("cpu{t0}.system")), rest[1], v1));
        }
        Shape::Text => emit(Value { key: Cow::Borrowed(""), num: Num::Text, raw: content.trim(), unit: "text" }),
        Shape::Generic => generic(file, v1, content, emit),
    }
    Outcome::Parsed
}

/// `<prefix> k=v k=v ...` (the prefix may itself be `k=v`, as in `memory.numa_stat`'s
/// `total=5 N0=5`).
fn nested<'a>(file: &str, v1: bool, content: &'a str, emit: &mut dyn FnMut(Value<'a>)) -> Outcome {
    let mut toks = content.split_ascii_whitespace();
    let Some(t0) = toks.next() else { return Outcome::Ignored("empty line (no value)") };
    let mut pending: Vec<Value<'a>> = Vec::new();
    let prefix = match t0.split_once('=') {
        Some((k, v)) => {
            pending.push(value(file, Cow::Borrowed(k), v, v1));
            k
        }
        None => t0,
    };
    let mut any = !pending.is_empty();
    for t in toks {
        let Some((k, v)) = t.split_once('=') else { return Outcome::Unexpected };
        let key = match psi_key(prefix, k) {
            Some(key) => Cow::Borrowed(key),
            None => Cow::Owned(format!("{prefix}.{k}")),
        };
        pending.push(value(file, key, v, v1));
        any = true;
    }
    if !any || pending.iter().any(|v| !is_number(v.num)) {
        return Outcome::Unexpected;
    }
    for v in pending {
        emit(v);
    }
    Outcome::Parsed
}

/// Per-CPU keys of the first CPUs, without an allocation.
const CPU_KEYS: [&str; 16] = [
    "cpu0", "cpu1", "cpu2", "cpu3", "cpu4", "cpu5", "cpu6", "cpu7", "cpu8", "cpu9", "cpu10", "cpu11", "cpu12", "cpu13",
    "cpu14", "cpu15",
];

/// `<prefix>.<k>` of pressure files, without an allocation.
fn psi_key(prefix: &str, k: &str) -> Option<&'static str> {
    Some(match (prefix, k) {
        ("some", "avg10") => "some.avg10",
        ("some", "avg60") => "some.avg60",
        ("some", "avg300") => "some.avg300",
        ("some", "total") => "some.total",
        ("full", "avg10") => "full.avg10",
        ("full", "avg60") => "full.avg60",
        ("full", "avg300") => "full.avg300",
        ("full", "total") => "full.total",
        _ => return None,
    })
}

/// A file not known: one token is a value; `k=v` tokens are nested keyed; leading words then
/// one number are `key value` (words joined with `.`); all numbers are a list (keys `0`, `1`,
/// ...); anything else is text.
fn generic<'a>(file: &str, v1: bool, content: &'a str, emit: &mut dyn FnMut(Value<'a>)) {
    let toks: Vec<&'a str> = content.split_ascii_whitespace().collect();
    let text = |emit: &mut dyn FnMut(Value<'a>)| {
        emit(Value { key: Cow::Borrowed(""), num: Num::Text, raw: content.trim(), unit: "text" })
    };
    if toks.len() == 1 {
        let v = value(file, Cow::Borrowed(""), toks[0], v1);
        if is_number(v.num) {
            emit(v);
        } else {
            text(emit);
        }
        return;
    }
    if toks.iter().skip(1).any(|t| t.contains('=')) && nested(file, v1, content, emit) == Outcome::Parsed {
        return;
    }
    let nums: Vec<bool> = toks.iter().map(|t| is_number(num(t))).collect();
    let n = toks.len();
    if nums[n - 1] && toks[..n - 1].iter().all(|t| !is_digits(t)) && !toks[..n - 1].iter().any(|t| t.contains('=')) {
        let key = match &toks[..n - 1] {
            [one] => Cow::Borrowed(*one),
            words => Cow::Owned(words.join(".")),
        };
        emit(value(file, key, toks[n - 1], v1));
    } else if nums.iter().all(|x| *x) {
        for (i, t) in toks.iter().enumerate() {
            emit(value(file, Cow::Owned(i.to_string()), t, v1));
        }
    } else {
        text(emit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(file: &str, content: &str) -> (Outcome, Vec<(String, Num, String, &'static str)>) {
        let mut got = Vec::new();
        let o = line(file, false, content, &mut |v| got.push((v.key.into_owned(), v.num, v.raw.to_string(), v.unit)));
        (o, got)
    }

    #[test]
    fn numbers_stay_exact() {
        assert_eq!(num("9007199254740993"), Num::Int(9_007_199_254_740_993));
        assert_eq!(num("18446744073709551615"), Num::Float(18446744073709551615.0));
        assert_eq!(num("-1"), Num::Int(-1));
        assert_eq!(num("0.00"), Num::Float(0.0));
        assert_eq!(num("1e5"), Num::Text);
        assert_eq!(num("-"), Num::Text);
        assert_eq!(num("nan"), Num::Text);
    }

    #[test]
    fn shapes() {
        let (o, v) = parse("cpu.max", "max 100000");
        assert_eq!(o, Outcome::Parsed);
        assert_eq!(v[0], ("max".into(), Num::Unlimited, "max".into(), "us"));
        assert_eq!(v[1], ("period".into(), Num::Int(100_000), "100000".into(), "us"));
        let (_, v) = parse("cpu.pressure", "some avg10=1.50 avg60=0.00 avg300=0.00 total=9764823");
        assert_eq!(v[0], ("some.avg10".into(), Num::Float(1.5), "1.50".into(), "pct"));
        assert_eq!(v[3], ("some.total".into(), Num::Int(9_764_823), "9764823".into(), "us"));
        let (_, v) = parse("cpu.cfs_quota_us", "-1");
        assert_eq!(v[0].1, Num::Unlimited);
        let (_, v) = parse("memory.limit_in_bytes", "9223372036854771712");
        assert_eq!(v[0].1, Num::Unlimited);
        assert_eq!(parse("cpu.stat", "nr_throttled").0, Outcome::Unexpected);
        assert_eq!(parse("cpu.stat", "nr_throttled x").0, Outcome::Unexpected);
        assert_eq!(parse("cpu.pressure", "some avg10=0.00 avg60").0, Outcome::Unexpected);
        assert_eq!(parse("cpuacct.usage_all", "cpu user system").0, Outcome::Ignored("table header"));
        let (_, v) = parse("cpuacct.usage_all", "1 5 6");
        assert_eq!(v[1], ("cpu1.system".into(), Num::Int(6), "6".into(), "ns"));
        let (_, v) = parse("blkio.throttle.io_serviced", "8:0 Read 12");
        assert_eq!(v[0].0, "8:0.Read");
        let (_, v) = parse("io.max", "8:0 rbps=max wbps=100");
        assert_eq!(v[0], ("8:0.rbps".into(), Num::Unlimited, "max".into(), "number"));
        let (o, v) = parse("memory.events", "max 3");
        assert_eq!((o, &v[0].0, v[0].1), (Outcome::Parsed, &"max".to_string(), Num::Int(3)));
        let (_, v) = parse("misc.unknown", "max 3");
        assert_eq!((v.len(), v[0].0.as_str()), (1, "max"));
        let (_, v) = parse("cgroup.controllers", "cpu io memory");
        assert_eq!(v[0], ("".into(), Num::Text, "cpu io memory".into(), "text"));
        let (_, v) = parse("memory.numa_stat", "total=5 N0=5");
        assert_eq!(v.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["total", "total.N0"]);
    }
}
