//! Fields of a printed line: `key=value` tokens, numeric tokens, a leading `nsecs` timestamp.

/// `k=v` tokens as `k=v`, other numeric tokens as `$<index>=<token>`, joined by `;`.
pub fn fields(line: &str) -> String {
    let mut out = String::new();
    write_fields(line, &mut out);
    out
}

/// Byte classes for [`write_fields`]' scan (one table lookup per byte).
const WS: u8 = 1;
const DIGIT: u8 = 2;
const EQ: u8 = 4;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_whitespace() {
            WS
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c == b'=' {
            EQ
        } else {
            0
        };
        i += 1;
    }
    t
};

/// [`fields`] appended to `out`: one pass over the bytes, tokens split on ASCII whitespace; a
/// token with `=` is checked for a key, any other for a number (all digits, the common case,
/// known from the scan itself).
pub fn write_fields(line: &str, out: &mut String) {
    let b = line.as_bytes();
    let (mut at, mut index, mut first) = (0, 0usize, true);
    loop {
        while at < b.len() && CLASS[b[at] as usize] == WS {
            at += 1;
        }
        if at == b.len() {
            break;
        }
        let start = at;
        // Classes every byte of the token has (`all`) and some byte has (`any`).
        let (mut all, mut any) = (DIGIT, 0);
        while at < b.len() {
            let k = CLASS[b[at] as usize];
            if k == WS {
                break;
            }
            all &= k;
            any |= k;
            at += 1;
        }
        let mut end = at;
        while end > start && matches!(b[end - 1], b',' | b';') {
            end -= 1;
        }
        let i = index;
        index += 1;
        let tok = &b[start..end];
        let is_field = any & EQ != 0
            && match tok.iter().position(|&c| c == b'=') {
                Some(k) => {
                    k > 0 && tok[..k].iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
                }
                None => false,
            };
        let is_number = !is_field && ((all == DIGIT && end == at) || is_number_bytes(tok));
        if !is_field && !is_number {
            continue;
        }
        if !first {
            out.push(';');
        }
        first = false;
        if !is_field {
            out.push('$');
            push_index(out, i);
            out.push('=');
        }
        // Token bounds are ASCII bytes, so the slice is on char boundaries.
        out.push_str(&line[start..end]);
    }
}

/// Appends a token index in decimal without a temporary string.
fn push_index(out: &mut String, i: usize) {
    if i < 10 {
        out.push((b'0' + i as u8) as char);
        return;
    }
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut at = digits.len();
    while n > 0 {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits[at..].iter().map(|&d| d as char));
}

/// Decimal integer, negative integer, `0x` hex or decimal fraction.
pub fn is_number(t: &str) -> bool {
    is_number_bytes(t.as_bytes())
}

fn is_number_bytes(t: &[u8]) -> bool {
    let t = t.strip_prefix(b"-").unwrap_or(t);
    if let Some(h) = t.strip_prefix(b"0x") {
        return !h.is_empty() && h.iter().all(u8::is_ascii_hexdigit);
    }
    let (Some(f), Some(l)) = (t.first(), t.last()) else { return false };
    if !f.is_ascii_digit() || !l.is_ascii_digit() {
        return false;
    }
    let mut dots = 0;
    for &c in t {
        if c == b'.' {
            dots += 1;
        } else if !c.is_ascii_digit() {
            return false;
        }
    }
    dots <= 1
}

/// The first integer of 10 to 19 digits among the first two tokens (bpftrace `nsecs`).
pub fn leading_ts_ns(line: &str) -> Option<i64> {
    let b = line.as_bytes();
    let mut at = 0;
    for _ in 0..2 {
        while at < b.len() && b[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        let mut value: i64 = 0;
        let mut digits = true;
        while at < b.len() && !b[at].is_ascii_whitespace() {
            let c = b[at];
            digits &= c.is_ascii_digit();
            value = value.wrapping_mul(10).wrapping_add(i64::from(c.wrapping_sub(b'0')));
            at += 1;
        }
        let len = at - start;
        if len == 0 {
            return None;
        }
        if digits && (10..=19).contains(&len) {
            // 19 digits may pass i64::MAX: parsed properly then.
            return if len < 19 { Some(value) } else { line[start..at].parse().ok() };
        }
    }
    None
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

    /// The one-pass scanner agrees with the plain definition (split, trim, classify) on lines
    /// mixing every token shape.
    #[test]
    fn scanner_matches_the_definition() {
        fn reference(line: &str) -> String {
            let mut out = Vec::new();
            for (i, tok) in line.split_ascii_whitespace().enumerate() {
                let tok = tok.trim_end_matches([',', ';']);
                let field = tok.find('=').is_some_and(|k| {
                    k > 0 && tok[..k].bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                });
                if field {
                    out.push(tok.to_string());
                } else if is_number(tok) {
                    out.push(format!("${i}={tok}"));
                }
            }
            out.join(";")
        }
        let toks = [
            "a=1",
            "=x",
            "k.v-2_=",
            "x;=1",
            "12",
            "-7",
            "0x1f",
            "-0xAB",
            "0x",
            "1.5",
            "1.2.3",
            "1.",
            ".5",
            "-",
            "é=1",
            "naïve",
            "3,",
            "4;;",
            "a=b,",
            ",",
            "ENTER",
            "992150150644",
            "9999999999999999999",
            "tab\t",
        ];
        let mut seed = 7u64;
        for _ in 0..3000 {
            let mut line = String::new();
            for _ in 0..(seed % 14) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                line.push_str(toks[(seed >> 33) as usize % toks.len()]);
                line.push_str([" ", "  ", "\t", " , "][(seed >> 20) as usize % 4]);
            }
            assert_eq!(fields(&line), reference(&line), "{line:?}");
            let ts = line
                .split_ascii_whitespace()
                .take(2)
                .find(|t| (10..=19).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(leading_ts_ns(&line), ts.and_then(|t| t.parse().ok()), "{line:?}");
        }
    }
}
