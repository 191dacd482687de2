//! Go's `strconv.ParseInt(s, 0, 64)` and `ParseUint(s, 0, 64)`: integers in the base their
//! prefix names (`0x`, `0o`, `0b`, a leading `0` for octal, else decimal), with underscores
//! where Go's `underscoreOK` allows them.

use super::parse_float::underscore_ok;

/// Go's `ParseUint(s, 0, 64)`; `None` where Go returns an error (syntax or range).
pub fn parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    // Slicing after an ASCII byte is on a character boundary.
    let (radix, digits) = match b {
        [] => return None,
        [b'0', prefix, _, ..] if matches!(prefix | 0x20, b'b' | b'o' | b'x') => {
            let radix = match prefix | 0x20 {
                b'b' => 2,
                b'o' => 8,
                _ => 16,
            };
            (radix, s.get(2..)?)
        }
        [b'0', ..] => (8, s.get(1..)?),
        _ => (10, s),
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for c in digits.chars() {
        if c == '_' {
            underscores = true;
            continue;
        }
        let d = c.to_digit(36).filter(|d| *d < radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    (!underscores || underscore_ok(s)).then_some(n)
}

/// Go's `ParseInt(s, 0, 64)`: an optional sign, then what [`parse_uint`] reads, in range.
pub fn parse_int(s: &str) -> Option<i64> {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'+') => (false, s.get(1..)?),
        Some(b'-') => (true, s.get(1..)?),
        _ => (false, s),
    };
    let n = parse_uint(magnitude)?;
    if negative {
        0i64.checked_sub_unsigned(n)
    } else {
        i64::try_from(n).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_from_prefixes() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("-0x1F"), Some(-31));
        assert_eq!(parse_int("+0o17"), Some(15));
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("0B101"), Some(5));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("0x_1f"), Some(31));
        for bad in [
            "", "+", "-", "08", "0x", "0b2", "1.0", "1e3", " 1", "_1", "1__0", "1_", "0x_", "a",
        ] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges_of_int64_and_uint64() {
        assert_eq!(parse_int("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_uint("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_uint("18446744073709551616"), None);
        assert_eq!(parse_uint("+1"), None);
        assert_eq!(parse_uint("-1"), None);
    }
}
