//! The header line of a sample: `comm [pid/]tid [cpu] [time:] [period] event: [payload]`.

/// Fields of a sample header line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header<'a> {
    /// Thread name (may contain spaces).
    pub comm: &'a str,
    /// Process id, when printed as `pid/tid`.
    pub pid: Option<i64>,
    /// Thread id (the single number when only one is printed).
    pub tid: Option<i64>,
    /// CPU from `[NNN]`.
    pub cpu: Option<i64>,
    /// Time in ns from `secs.frac:`.
    pub time_ns: Option<i64>,
    /// Period, when printed.
    pub period: Option<i64>,
    /// Event name without the trailing colon; empty when absent.
    pub event: &'a str,
    /// Text after the event (a single inline frame, or a tracepoint payload), trimmed.
    pub rest: &'a str,
}

/// `N`, `-N`, `N/N` → (pid, tid).
fn pid_tid(tok: &str) -> Option<(Option<i64>, i64)> {
    let num = |s: &str| {
        let d = s.strip_prefix('-').unwrap_or(s);
        (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i64>().ok()).flatten()
    };
    match tok.split_once('/') {
        Some((p, t)) => Some((Some(num(p)?), num(t)?)),
        None => Some((None, num(tok)?)),
    }
}

/// `secs.frac:` → ns.
fn time_ns(tok: &str) -> Option<i64> {
    let t = tok.strip_suffix(':')?;
    let (s, f) = t.split_once('.')?;
    if s.is_empty() || f.is_empty() || f.len() > 9 || !s.bytes().chain(f.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = s.parse().ok()?;
    let frac: i64 = f.parse().ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(frac * 10i64.pow(9 - f.len() as u32))
}

/// Splits `s` into (token, rest after token) at the first run of spaces.
fn next_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() {
        return None;
    }
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

/// Parses a header line; `None` when no pid/tid word is found after the comm.
pub fn parse(line: &str) -> Option<Header<'_>> {
    // The first whitespace-separated word after the first one that is a pid/tid.
    let mut pos = 0;
    let mut first = true;
    let (comm_end, (pid, tid), after) = loop {
        let (tok, rest) = next_token(&line[pos..])?;
        let start = line.len() - rest.len() - tok.len();
        if !first {
            if let Some(pt) = pid_tid(tok) {
                break (start, pt, line.len() - rest.len());
            }
        }
        first = false;
        pos = line.len() - rest.len();
    };
    let mut h = Header { comm: line[..comm_end].trim(), pid, tid: Some(tid), ..Default::default() };
    let mut rest = &line[after..];
    if let Some((tok, r)) = next_token(rest) {
        if let Some(c) = tok.strip_prefix('[').and_then(|t| t.strip_suffix(']')).and_then(|c| c.parse().ok()) {
            h.cpu = Some(c);
            rest = r;
        }
    }
    if let Some((tok, r)) = next_token(rest) {
        if let Some(t) = time_ns(tok) {
            h.time_ns = Some(t);
            rest = r;
        }
    }
    if let Some((tok, r)) = next_token(rest) {
        if tok.bytes().all(|b| b.is_ascii_digit()) && next_token(r).is_some() {
            h.period = tok.parse().ok();
            rest = r;
        }
    }
    if let Some((tok, r)) = next_token(rest) {
        if let Some(ev) = tok.strip_suffix(':') {
            h.event = ev;
            rest = r;
        }
    }
    h.rest = rest.trim();
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let h = parse("vote   913    72.176760:     257597 cycles:uppp:").unwrap();
        assert_eq!((h.comm, h.pid, h.tid, h.cpu), ("vote", None, Some(913), None));
        assert_eq!((h.time_ns, h.period, h.event), (Some(72_176_760_000), Some(257597), "cycles:uppp"));
        let h = parse("V8 WorkerThread 24636/25607 [000] 94564.109216: cycles:").unwrap();
        assert_eq!(
            (h.comm, h.pid, h.tid, h.cpu, h.event),
            ("V8 WorkerThread", Some(24636), Some(25607), Some(0), "cycles")
        );
        let h = parse(":-1    -1 [001] 12.000000001:   1000 cpu-clock: ").unwrap();
        assert_eq!((h.comm, h.tid, h.cpu, h.time_ns), (":-1", Some(-1), Some(1), Some(12_000_000_001)));
        let h = parse("node-v011 31912 cpu-clock: ").unwrap();
        assert_eq!((h.comm, h.tid, h.time_ns, h.event), ("node-v011", Some(31912), None, "cpu-clock"));
        let h =
            parse("false 64414 20110.539270:      34467 cycles:u:  ffffffff9aa3c8de [unknown] ([unknown])").unwrap();
        assert_eq!((h.event, h.rest), ("cycles:u", "ffffffff9aa3c8de [unknown] ([unknown])"));
        let h = parse("perf 1/2 [003] 1.5: 1 sched:sched_switch: prev_comm=perf").unwrap();
        assert_eq!((h.event, h.rest), ("sched:sched_switch", "prev_comm=perf"));
        assert!(parse("garbage").is_none());
    }
}
