//! The CGI response head: where it ends, and the status and headers it names (hop-by-hop
//! headers dropped, since hyper writes its own).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// Where the headers end: (length of the header lines, start of the body). CGI programs may
/// end lines with `\n` or `\r\n` (git's backend uses `\r\n`).
pub(super) fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    // Output that starts with the blank line: no headers at all.
    match buf {
        [b'\n', ..] => return Some((0, 1)),
        [b'\r', b'\n', ..] => return Some((0, 2)),
        _ => {}
    }
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match &buf[nl + 1..] {
            [b'\n', ..] => return Some((nl, nl + 2)),
            [b'\r', b'\n', ..] => return Some((nl, nl + 3)),
            _ => i = nl + 1,
        }
    }
    None
}

/// Headers that describe one HTTP hop; hyper writes its own.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "te",
    "trailer",
    "upgrade",
];

/// The CGI header lines as an HTTP status and headers: `Status: 404 Not Found` sets the
/// status (200 without it, 302 with only a `Location`); hop-by-hop headers are dropped
/// because the body is streamed with hyper's own framing.
pub(super) fn parse_head(head: &[u8]) -> Result<(StatusCode, HeaderMap), String> {
    let text = std::str::from_utf8(head).map_err(|_| "CGI headers are not UTF-8".to_string())?;
    let mut status = None;
    let mut headers = HeaderMap::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed CGI header line `{line}`"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or_default();
            let code = code
                .parse::<u16>()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| format!("bad CGI status `{value}`"))?;
            status = Some(code);
            continue;
        }
        if HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad CGI header name `{name}`"))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("bad CGI header value for {name}"))?;
        headers.append(name, value);
    }
    let status = status.unwrap_or(if headers.contains_key("location") {
        StatusCode::FOUND
    } else {
        StatusCode::OK
    });
    Ok((status, headers))
}

pub(super) fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}
