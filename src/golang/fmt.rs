//! Go's `fmt.Sprint`, `Sprintln` and `Sprintf` over template values, with Go's error forms
//! (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA ...)`).

use std::fmt::Write;

use super::strconv::{format_float_g, quote, quote_rune};
use super::value::{Value, write_v};

/// `fmt.Sprint`: operands printed with `%v`, a space between two operands when neither is a
/// string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        let is_str = matches!(arg, Value::Str(_));
        if i > 0 && !is_str && !matches!(args.get(i - 1), Some(Value::Str(_))) {
            out.push(' ');
        }
        write_v(&mut out, arg, false);
    }
    out
}

/// `fmt.Sprintln`: operands printed with `%v`, always separated by spaces, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_v(&mut out, arg, false);
    }
    out.push('\n');
    out
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf` for the verbs templates use: `%v %+v %s %q %d %x %X %o %b %c %U %t %f %F %e
/// %E %g %G %%`, with flags, width and precision (`*` reads them from the arguments).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = number_or_star(&mut chars, args, &mut next_arg);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(number_or_star(&mut chars, args, &mut next_arg).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        let body = format_one(verb, arg, &spec);
        pad(
            &mut out,
            &body,
            &spec,
            matches!(arg, Value::Int(_) | Value::Float(_)),
        );
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args.iter().enumerate().skip(next_arg) {
            if i > next_arg {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", arg.type_name());
            write_v(&mut out, arg, false);
        }
        out.push(')');
    }
    out
}

fn number_or_star(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    args: &[Value],
    next_arg: &mut usize,
) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let n = match args.get(*next_arg) {
            Some(Value::Int(n)) => usize::try_from(*n).ok(),
            _ => None,
        };
        *next_arg += 1;
        return n.map(|n| n.min(1 << 16));
    }
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        n = Some((n.unwrap_or(0) * 10 + d as usize).min(1 << 16));
    }
    n
}

fn pad(out: &mut String, body: &str, spec: &Spec, numeric: bool) {
    let len = body.chars().count();
    let fill = spec.width.unwrap_or(0).saturating_sub(len);
    if spec.minus {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        let (sign, digits) = match body.strip_prefix(['-', '+']) {
            Some(rest) => (body.get(..1).unwrap_or_default(), rest),
            None => ("", body),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(body);
    }
}

fn bad(verb: char, arg: &Value) -> String {
    let mut out = format!("%!{verb}({}=", arg.type_name());
    write_v(&mut out, arg, false);
    out.push(')');
    out
}

fn format_one(verb: char, arg: &Value, spec: &Spec) -> String {
    match (verb, arg) {
        ('v', _) => {
            let mut out = String::new();
            match arg {
                Value::Int(n) => return signed(*n, spec, 10, false),
                Value::Float(f) => return float(*f, 'g', spec),
                _ => write_v(&mut out, arg, spec.plus),
            }
            out
        }
        ('s', Value::Str(s)) => truncate(s, spec.prec),
        ('s', Value::Struct(st)) if st.stringer.is_some() => {
            truncate(st.stringer.as_deref().unwrap_or_default(), spec.prec)
        }
        ('s', Value::List(_) | Value::Map(_) | Value::Struct(_)) => {
            let mut out = String::new();
            write_v(&mut out, arg, false);
            out
        }
        ('q', Value::Str(s)) => quote(s),
        ('q', Value::Int(n)) => quote_rune(
            u32::try_from(*n)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}'),
        ),
        ('d', Value::Int(n)) => signed(*n, spec, 10, false),
        ('x', Value::Int(n)) => signed(*n, spec, 16, false),
        ('X', Value::Int(n)) => signed(*n, spec, 16, true),
        ('o', Value::Int(n)) => signed(*n, spec, 8, false),
        ('b', Value::Int(n)) => signed(*n, spec, 2, false),
        ('x' | 'X', Value::Str(s)) => {
            let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            if verb == 'X' { hex.to_uppercase() } else { hex }
        }
        ('c', Value::Int(n)) => u32::try_from(*n)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{fffd}')
            .to_string(),
        ('U', Value::Int(n)) => format!("U+{n:04X}"),
        (_, Value::List(l)) => {
            let parts: Vec<String> = l.items.iter().map(|v| format_one(verb, v, spec)).collect();
            format!("[{}]", parts.join(" "))
        }
        (_, Value::Struct(st)) => {
            let parts: Vec<String> = st
                .fields
                .iter()
                .map(|(_, v, _)| format_one(verb, v, spec))
                .collect();
            format!("{{{}}}", parts.join(" "))
        }
        (_, Value::Map(m)) => {
            let parts: Vec<String> = m
                .entries
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        format_one(verb, k, spec),
                        format_one(verb, v, spec)
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        ('t', Value::Bool(b)) => b.to_string(),
        ('f' | 'F' | 'e' | 'E' | 'g' | 'G', Value::Float(f)) => float(*f, verb, spec),
        _ => bad(verb, arg),
    }
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_owned(),
    }
}

fn signed(n: i64, spec: &Spec, radix: u32, upper: bool) -> String {
    let magnitude = n.unsigned_abs();
    let digits = match radix {
        16 if upper => format!("{magnitude:X}"),
        16 => format!("{magnitude:x}"),
        8 => format!("{magnitude:o}"),
        2 => format!("{magnitude:b}"),
        _ => magnitude.to_string(),
    };
    let prefix = match (spec.sharp, radix) {
        (true, 16) if upper => "0X",
        (true, 16) => "0x",
        (true, 8) => "0",
        (true, 2) => "0b",
        _ => "",
    };
    let sign = if n < 0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{sign}{prefix}{digits}")
}

fn float(f: f64, verb: char, spec: &Spec) -> String {
    if f.is_nan() {
        return if spec.plus { "+NaN" } else { "NaN" }.to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let sign = if f.is_sign_negative() {
        ""
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let body = match verb {
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f),
        'e' | 'E' => {
            let raw = format!("{:.*e}", spec.prec.unwrap_or(6), f);
            let (mantissa, exp) = raw.split_once('e').unwrap_or((raw.as_str(), "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            let e = if verb == 'E' { 'E' } else { 'e' };
            format!(
                "{mantissa}{e}{}{:02}",
                if exp < 0 { '-' } else { '+' },
                exp.abs()
            )
        }
        _ => format_float_g(f, spec.prec, verb == 'G'),
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn sprint_and_sprintln_space_like_go() {
        assert_eq!(sprint(&[s("a"), s("b")]), "ab");
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[s("a"), Value::Int(2), s("c")]), "a2c");
        assert_eq!(sprintln(&[s("a"), s("b")]), "a b\n");
        assert_eq!(sprintln(&[s("main-1f49071-24")]), "main-1f49071-24\n");
        assert_eq!(sprintln(&[]), "\n");
    }

    #[test]
    fn sprintf_verbs_flags_and_errors() {
        let i = Value::Int;
        let f = Value::Float;
        let cases: [(&str, Vec<Value>, &str); 16] = [
            ("%s=%d", vec![s("n"), i(5)], "n=5"),
            ("%q", vec![s("a\"b\n")], "\"a\\\"b\\n\""),
            (
                "%v|%5s|%-4d|%04d",
                vec![Value::Bool(true), s("ab"), i(7), i(-7)],
                "true|   ab|7   |-007",
            ),
            (
                "%x %X %#x %o %b %c %U",
                vec![i(255), i(255), i(255), i(8), i(5), i(65), i(65)],
                "ff FF 0xff 10 101 A U+0041",
            ),
            (
                "%.2f %e %g",
                vec![f(2.46913), f(1234.5), f(0.5)],
                "2.47 1.234500e+03 0.5",
            ),
            ("%.3s", vec![s("abcdef")], "abc"),
            ("%d", vec![s("x")], "%!d(string=x)"),
            ("%s %s", vec![s("x")], "x %!s(MISSING)"),
            ("%s", vec![s("x"), i(1)], "x%!(EXTRA int=1)"),
            ("100%%", vec![], "100%"),
            ("%", vec![], "%!(NOVERB)"),
            ("%*d", vec![i(4), i(1)], "   1"),
            ("%s", vec![i(5)], "%!s(int=5)"),
            ("%q", vec![i(120)], "'x'"),
            ("%q", vec![i(39)], r"'\''"),
            ("%q", vec![i(34)], "'\"'"),
        ];
        for (format, args, want) in cases {
            assert_eq!(
                sprintf(format, &args),
                want,
                "sprintf({format:?}, {args:?})"
            );
        }
    }
}
