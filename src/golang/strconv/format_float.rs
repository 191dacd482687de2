//! Go's `strconv.FormatFloat` in the `g` format, which `%v` and `%g` print floats with.

use std::fmt::Write;

/// Go's `strconv.FormatFloat(f, 'g', prec, 64)` (`prec` `None` = shortest, which `%v` uses):
/// an exponent form when the decimal exponent is below -4 or at least the precision (6 for
/// the shortest form), trailing zeros dropped.
pub fn format_float_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let sci = match prec {
        Some(p) => format!("{:.*e}", p.saturating_sub(1), f),
        None => format!("{f:e}"),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let negative = mantissa.starts_with('-');
    let mut digits = digits.trim_end_matches('0').to_owned();
    if digits.is_empty() {
        digits.push('0');
    }
    let nd = digits.len() as i32;
    let eprec = match prec {
        None => 6,
        Some(p) if (p.max(1) as i32) > nd && nd > exp => nd,
        Some(p) => p.max(1) as i32,
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push(if upper { 'E' } else { 'e' });
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.push_str(&"0".repeat(int_len - digits.len()));
        } else {
            let (int_part, frac) = digits.split_at(int_len);
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_v() {
        for (f, want) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (0.0, "0"),
        ] {
            assert_eq!(format_float_g(f, None, false), want, "{f}");
        }
        assert_eq!(format_float_g(2.46913, Some(3), false), "2.47");
        assert_eq!(format_float_g(1234.5, Some(2), true), "1.2E+03");
        assert_eq!(format_float_g(1.0, Some(5), false), "1");
    }
}
