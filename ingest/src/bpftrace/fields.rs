//! Fields of a printed line: `key=value` tokens, numeric tokens, a leading `nsecs` timestamp.

/// `k=v` tokens as `k=v`, other numeric tokens as `$<index>=<token>`, joined by `;`.
pub fn fields(line: &str) -> String {
    let mut out = String::new();
    for (i, tok) in line.split_ascii_whitespace().enumerate() {
        let tok = tok.trim_end_matches([',', ';']);
        if let Some((k, v)) = tok.split_once('=') {
            if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-') {
                push(&mut out, |o| {
                    o.push_str(k);
                    o.push('=');
                    o.push_str(v);
                });
                continue;
            }
        }
        if is_number(tok) {
            push(&mut out, |o| {
                o.push('$');
                o.push_str(&i.to_string());
                o.push('=');
                o.push_str(tok);
            });
        }
    }
    out
}

fn push(out: &mut String, f: impl FnOnce(&mut String)) {
    if !out.is_empty() {
        out.push(';');
    }
    f(out);
}

/// Decimal integer, negative integer, `0x` hex or decimal fraction.
pub fn is_number(t: &str) -> bool {
    let t = t.strip_prefix('-').unwrap_or(t);
    if let Some(h) = t.strip_prefix("0x") {
        return !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let mut dots = 0;
    !t.is_empty()
        && t.bytes().all(|b| {
            dots += (b == b'.') as u32;
            b.is_ascii_digit() || b == b'.'
        })
        && dots <= 1
        && t.as_bytes()[0].is_ascii_digit()
        && t.as_bytes()[t.len() - 1].is_ascii_digit()
}

/// The first integer of 10 to 19 digits among the first two tokens (bpftrace `nsecs`).
pub fn leading_ts_ns(line: &str) -> Option<i64> {
    line.split_ascii_whitespace()
        .take(2)
        .find(|t| (10..=19).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_ts() {
        assert_eq!(fields("printf: str=hello int=42 hex=0xff"), "str=hello;int=42;hex=0xff");
        assert_eq!(fields("ENTER 992150150644 587 netpolldemo -1"), "$1=992150150644;$2=587;$4=-1");
        assert_eq!(leading_ts_ns("ENTER 992150150644 587"), Some(992150150644));
        assert_eq!(leading_ts_ns("21:30:38"), None);
    }
}
