//! Go's `strconv.ParseFloat(s, 64)`: which strings are numbers
//! (Flux's `numerical` policy reads tags with it).
//!
//! Accepted: an optional sign; decimal digits with an optional `.` and `e` exponent
//! (`1`, `+5`, `-.5`, `1.`, `1e3`, `1E-3`); hexadecimal mantissas with a mandatory `p`
//! exponent (`0x1p-2`, `0X.8P1`); `inf`/`infinity` with an optional sign and `nan` without
//! one, in any case. Underscores are allowed only between digits, or between a base prefix
//! and a digit (Go's `underscoreOK`: `1_000` and `0x_1p0` parse, `_1`, `1__0`, `1_.5` do
//! not). A value too large for a float64 is a range error in Go, so it fails here too.

/// Parses `s` as Go's `ParseFloat(s, 64)` would; `None` where Go returns an error.
pub fn parse_float(s: &str) -> Option<f64> {
    if let Some(v) = special(s) {
        return Some(v);
    }
    let lit = read_float(s)?;
    let value = if lit.hex {
        hex_value(&lit)?
    } else if s.contains('_') {
        let cleaned: String = s.chars().filter(|c| *c != '_').collect();
        cleaned.parse::<f64>().ok()?
    } else {
        s.parse::<f64>().ok()?
    };
    value.is_finite().then_some(value)
}

/// `inf`, `infinity` (optionally signed) and `nan`, case-insensitive, and nothing after.
fn special(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first()? {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        b'i' | b'I' | b'n' | b'N' => (1.0, s),
        _ => return None,
    };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        Some(sign * f64::INFINITY)
    } else if body.len() == s.len() && body.eq_ignore_ascii_case("nan") {
        Some(f64::NAN)
    } else {
        None
    }
}

/// The parts of a syntactically valid literal that the value needs.
struct Literal<'a> {
    neg: bool,
    hex: bool,
    /// Mantissa digits and dot, underscores included.
    mantissa: &'a str,
    /// The exponent value (capped like Go's), signed.
    exp: i64,
}

/// Go's `readFloat` grammar; `None` unless the whole string is one valid literal.
fn read_float(s: &str) -> Option<Literal<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'+') => {
            i = 1;
            false
        }
        Some(b'-') => {
            i = 1;
            true
        }
        _ => false,
    };
    // Indexing is guarded by the length test just before it.
    let hex = b.len() > i + 2 && b[i] == b'0' && (b[i + 1] | 0x20) == b'x';
    if hex {
        i += 2;
    }
    let mantissa_start = i;
    let (mut saw_dot, mut saw_digits) = (false, false);
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => {}
            b'.' if saw_dot => break,
            b'.' => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            c if hex && (b'a'..=b'f').contains(&(c | 0x20)) => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    let mantissa = &s[mantissa_start..i];
    let exp_char = if hex { b'p' } else { b'e' };
    let mut exp: i64 = 0;
    if b.get(i).is_some_and(|c| (c | 0x20) == exp_char) {
        i += 1;
        let mut sign = 1;
        match b.get(i) {
            Some(b'+') => i += 1,
            Some(b'-') => {
                i += 1;
                sign = -1;
            }
            _ => {}
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = b.get(i) {
            match c {
                b'_' => {}
                b'0'..=b'9' if exp < 10_000 => exp = exp * 10 + i64::from(c - b'0'),
                b'0'..=b'9' => {}
                _ => break,
            }
            i += 1;
        }
        exp *= sign;
    } else if hex {
        return None;
    }
    if i != s.len() || (s.contains('_') && !underscore_ok(s)) {
        return None;
    }
    Some(Literal {
        neg,
        hex,
        mantissa,
        exp,
    })
}

/// Go's `underscoreOK`: underscores only between digits or after a base prefix.
pub(super) fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = s.as_bytes();
    // Indexing is guarded by the length test in the same expression (and `prefix` below).
    let prefix = b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x');
    let hex = prefix && b.get(1).is_some_and(|c| (c | 0x20) == b'x');
    // What was seen last: start, digit (or prefix), underscore, other.
    #[derive(PartialEq)]
    enum Saw {
        Start,
        Digit,
        Underscore,
        Other,
    }
    let mut saw = if prefix { Saw::Digit } else { Saw::Start };
    for &c in b.iter().skip(if prefix { 2 } else { 0 }) {
        let digit = c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&(c | 0x20)));
        if digit {
            saw = Saw::Digit;
        } else if c == b'_' {
            if saw != Saw::Digit {
                return false;
            }
            saw = Saw::Underscore;
        } else if saw == Saw::Underscore {
            return false;
        } else {
            saw = Saw::Other;
        }
    }
    saw != Saw::Underscore
}

/// The value of a hexadecimal literal, rounded to nearest-even; `None` on overflow.
fn hex_value(lit: &Literal<'_>) -> Option<f64> {
    let mut mant: u64 = 0;
    let mut exp2 = lit.exp;
    let mut sticky = false;
    let mut after_dot = false;
    for c in lit.mantissa.chars() {
        let Some(d) = c.to_digit(16) else {
            after_dot |= c == '.';
            continue;
        };
        if mant < 1 << 60 {
            mant = mant * 16 + u64::from(d);
            if after_dot {
                exp2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_dot {
                exp2 += 4;
            }
        }
    }
    let sign = if lit.neg { -1.0 } else { 1.0 };
    if mant == 0 {
        return Some(sign * 0.0);
    }
    let lz = mant.leading_zeros();
    let m = mant << lz;
    // value = m * 2^(e - 63), with m in [2^63, 2^64).
    let e = exp2 - i64::from(lz) + 63;
    // Bits to drop: 11 keeps 53 for a normal number; more for a subnormal one.
    let drop = if e >= -1022 { 11 } else { 11 + (-1022 - e) };
    let kept = if drop > 64 {
        0
    } else {
        let kept = if drop == 64 { 0 } else { m >> drop };
        let rest = if drop == 64 {
            m
        } else {
            m & ((1u64 << drop) - 1)
        };
        let half = 1u64 << (drop - 1);
        let up = rest > half || (rest == half && (sticky || kept & 1 == 1));
        kept + u64::from(up)
    };
    let bits = if e >= -1022 {
        let (kept, e) = if kept == 1 << 53 {
            (1 << 52, e + 1)
        } else {
            (kept, e)
        };
        if e > 1023 {
            return None;
        }
        let biased = u64::try_from(e + 1023).ok()?;
        (biased << 52) | (kept - (1 << 52))
    } else {
        // Subnormal: a carry into bit 52 is exactly the smallest normal's encoding.
        kept
    };
    Some(sign * f64::from_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> f64 {
        parse_float(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn decimal_forms() {
        assert_eq!(ok("1"), 1.0);
        assert_eq!(ok("+5"), 5.0);
        assert_eq!(ok("-5"), -5.0);
        assert_eq!(ok("1.5"), 1.5);
        assert_eq!(ok(".5"), 0.5);
        assert_eq!(ok("5."), 5.0);
        assert_eq!(ok("1e3"), 1000.0);
        assert_eq!(ok("1E-3"), 0.001);
        assert_eq!(ok("007"), 7.0);
        assert_eq!(ok("1e-400"), 0.0);
        assert_eq!(ok("0e99999999999"), 0.0);
        assert_eq!(ok("1.7976931348623157e308"), f64::MAX);
    }

    #[test]
    fn specials_any_case() {
        assert_eq!(ok("Inf"), f64::INFINITY);
        assert_eq!(ok("-infinity"), f64::NEG_INFINITY);
        assert_eq!(ok("+INF"), f64::INFINITY);
        assert!(ok("NaN").is_nan());
        assert!(ok("nan").is_nan());
        for bad in ["+nan", "-NaN", "infin", "infx", "nanx", "in"] {
            assert!(parse_float(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hexadecimal() {
        assert_eq!(ok("0x1p-2"), 0.25);
        assert_eq!(ok("0X.8P1"), 1.0);
        assert_eq!(ok("-0x1.8p1"), -3.0);
        assert_eq!(ok("0x_1_2.3_4_5p+1_2"), 74565.0);
        assert_eq!(ok("0x1p-1074"), f64::from_bits(1));
        assert_eq!(ok("0x1p-1075"), 0.0);
        assert_eq!(ok("0x1.8p-1075"), f64::from_bits(1));
        assert_eq!(ok("0x1.fffffffffffff8p0"), 2.0);
        assert_eq!(ok("0x1.00000000000008p0"), 1.0);
        assert_eq!(ok("0x1.000000000000080000000001p0"), 1.0000000000000002);
        assert_eq!(ok("0x1.fffffffffffffp1023"), f64::MAX);
        for bad in [
            "0x1", "0x1p", "0xp1", "0x", "0x1.8", "0x1p1.5", "0x1p1024", "0xg1p1",
        ] {
            assert!(parse_float(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn underscores_between_digits_only() {
        assert_eq!(ok("1_000"), 1000.0);
        assert_eq!(ok("1_23.50_0_0e+1_2"), 1.235e14);
        for bad in [
            "_1", "1_", "1__0", "1_.5", "1._5", "1.5_e1", "1e_1", "-_1", "0x_p1",
        ] {
            assert!(parse_float(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn rejects_junk_and_out_of_range() {
        for bad in [
            "", "+", "-", ".", "1a", "a1", "1e", "1e+", "1.2.3", " 1", "1 ", "1e400", "-1e400",
            "0b1", "1,5",
        ] {
            assert!(parse_float(bad).is_none(), "{bad}");
        }
    }
}
