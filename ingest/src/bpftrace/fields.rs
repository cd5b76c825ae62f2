//! Fields of a printed line: `key=value` tokens, numeric tokens, a leading `nsecs` timestamp.

/// `k=v` tokens as `k=v`, other numeric tokens as `$<index>=<token>`, joined by `;`.
pub fn fields(line: &str) -> String {
    let mut out = String::new();
    for (i, tok) in line.split_ascii_whitespace().enumerate() {
        let tok = tok.trim_end_matches([',', ';']);
        let key_len = tok.bytes().position(|b| b == b'=');
        let is_field = key_len.is_some_and(|k| {
            k > 0 && tok.as_bytes()[..k].iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        });
        if !is_field && !is_number(tok) {
            continue;
        }
        if out.is_empty() {
            out.reserve(line.len() + 16);
        } else {
            out.push(';');
        }
        if !is_field {
            out.push('$');
            push_index(&mut out, i);
            out.push('=');
        }
        out.push_str(tok);
    }
    out
}

/// Appends a token index in decimal without a temporary string.
fn push_index(out: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| d as char));
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
        assert_eq!(fields("a=1, =x b.c-d=2; 3 x 12345678901 -0.5"), "a=1;b.c-d=2;$3=3;$5=12345678901;$6=-0.5");
        assert_eq!(fields("no fields here"), "");
    }
}
