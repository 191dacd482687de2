//! Text for cells: ages as kubectl prints them, stage durations, retry waits, and cutting
//! text to a column.

use jiff::{SignedDuration, Timestamp};

/// The age of `then` at `now`, as kubectl's `HumanDuration` prints it (`45s`, `7m`, `2h15m`,
/// `5d3h`, `2y30d`), with one deliberate difference: from 2 to 10 minutes kubectl prints
/// seconds too (`3m20s`), and here it is minutes only (`3m`). Seconds count while an age is
/// fresh (under 2 minutes, what a release watch looks at); after that a live age changes
/// once a minute, so an idle screen over SSH sends almost nothing (issue 6: ≤ 1 KB/min; ten
/// `3m20s` ages cost 130 bytes a second). Only when this string changes does a visible age
/// need a redraw.
pub fn age(then: Timestamp, now: Timestamp) -> String {
    let seconds = now.as_second() - then.as_second();
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    let seconds = seconds.max(0);
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if days < 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if days < 365 * 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            d => format!("{years}y{d}d"),
        };
    }
    format!("{years}y")
}

/// The age of an optional time, `-` when absent.
pub fn age_or_dash(then: Option<Timestamp>, now: Timestamp) -> String {
    then.map_or_else(|| "-".to_owned(), |t| age(t, now))
}

/// Cuts `text` to `width` characters, ending with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// The first line of a possibly multi-line message (Flux messages sometimes span lines).
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Breaks `text` into lines of at most `width` characters, at spaces where possible.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split(' ') {
            let mut word: Vec<char> = word.chars().collect();
            // A word longer than the line is cut into line-sized pieces.
            while word.len() > width {
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                }
                let rest = word.split_off(width);
                lines.push(word.into_iter().collect());
                word = rest;
            }
            let extra = if len == 0 { word.len() } else { word.len() + 1 };
            if len + extra > width {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.extend(word.iter());
            len += word.len();
        }
        lines.push(line);
    }
    lines
}

/// A stage's duration: `12s`, `2m5s`, `1h20m` (a negative one, from clocks that disagree,
/// as `0s`).
pub fn duration(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..120 => format!("{s}s"),
        120..3600 if s % 60 == 0 => format!("{}m", s / 60),
        120..3600 => format!("{}m{}s", s / 60, s % 60),
        _ if s % 3600 / 60 == 0 => format!("{}h", s / 3600),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

/// "retrying in N s" (whole seconds, rounded up, so a 300 ms wait says 1 s, never 0 s).
pub fn retrying_in(wait: std::time::Duration) -> String {
    format!("retrying in {} s", wait.as_millis().div_ceil(1000).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ago(seconds: i64) -> String {
        let now = Timestamp::from_second(2_000_000_000).unwrap();
        age(
            Timestamp::from_second(2_000_000_000 - seconds).unwrap(),
            now,
        )
    }

    #[test]
    fn ages_match_kubectl_but_minutes_from_two_minutes() {
        assert_eq!(ago(0), "0s");
        assert_eq!(ago(-1), "0s");
        assert_eq!(ago(-5), "<invalid>");
        assert_eq!(ago(119), "119s");
        assert_eq!(ago(120), "2m");
        // kubectl: "3m20s"; minutes only here (see `age`).
        assert_eq!(ago(200), "3m");
        assert_eq!(ago(599), "9m");
        assert_eq!(ago(600), "10m");
        assert_eq!(ago(179 * 60 + 59), "179m");
        assert_eq!(ago(3 * 3600), "3h");
        assert_eq!(ago(3 * 3600 + 60 * 15), "3h15m");
        assert_eq!(ago(8 * 3600), "8h");
        assert_eq!(ago(47 * 3600), "47h");
        assert_eq!(ago(48 * 3600), "2d");
        assert_eq!(ago(5 * 86400 + 3 * 3600), "5d3h");
        assert_eq!(ago(37 * 86400), "37d");
        assert_eq!(ago(2 * 365 * 86400 + 30 * 86400), "2y30d");
        assert_eq!(ago(9 * 365 * 86400), "9y");
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("sock-shop", 20), "sock-shop");
        assert_eq!(fit("sock-shop", 5), "sock…");
        assert_eq!(fit("sock-shop", 0), "");
        assert_eq!(first_line("a\nb"), "a");
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(
            wrap("kustomize build failed: missing", 12),
            ["kustomize", "build", "failed:", "missing"]
        );
        assert_eq!(wrap("a b c", 3), ["a b", "c"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("one\ntwo", 10), ["one", "two"]);
    }
}
