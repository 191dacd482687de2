//! Go's `time.Duration.String`: how Flux and Kubernetes print durations (`1m0s`, `2.5s`,
//! `850ms`).

use std::fmt::Write as _;
use std::time::Duration;

/// Go's `Duration.String`: `0s`; below a second one unit of `ns`, `µs` or `ms` with a
/// fraction; from a second on hours and minutes when present, then seconds with a fraction
/// (`1h0m0s`, `1m30s`, `1.5s`), trailing zeros of fractions dropped.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    if ns < 1_000_000_000 {
        let (unit, per, digits) = match ns {
            0..1_000 => ("ns", 1, 0),
            1_000..1_000_000 => ("µs", 1_000, 3),
            _ => ("ms", 1_000_000, 6),
        };
        let _ = write!(out, "{}", ns / per);
        push_fraction(&mut out, ns % per, digits);
        out.push_str(unit);
        return out;
    }
    let secs = ns / 1_000_000_000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if h > 0 || m > 0 {
        let _ = write!(out, "{m}m");
    }
    let _ = write!(out, "{s}");
    push_fraction(&mut out, ns % 1_000_000_000, 9);
    out.push('s');
    out
}

/// `.` and `value` as `digits` decimal digits without trailing zeros; nothing for zero.
fn push_fraction(out: &mut String, value: u128, digits: usize) {
    if value == 0 {
        return;
    }
    let text = format!("{value:0digits$}");
    out.push('.');
    out.push_str(text.trim_end_matches('0'));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        for (ms, want) in [
            (0, "0s"),
            (300, "300ms"),
            (850, "850ms"),
            (1000, "1s"),
            (1234, "1.234s"),
            (2500, "2.5s"),
            (60_000, "1m0s"),
            (300_000, "5m0s"),
            (3_600_000, "1h0m0s"),
            (3_723_000, "1h2m3s"),
            (3_723_040, "1h2m3.04s"),
        ] {
            assert_eq!(format_duration(Duration::from_millis(ms)), want, "{ms}");
        }
        assert_eq!(format_duration(Duration::from_nanos(1)), "1ns");
        assert_eq!(format_duration(Duration::from_nanos(1_500)), "1.5µs");
        assert_eq!(
            format_duration(Duration::from_nanos(1_234_567)),
            "1.234567ms"
        );
        assert_eq!(
            format_duration(Duration::from_nanos(1_000_000_001)),
            "1.000000001s"
        );
    }
}
