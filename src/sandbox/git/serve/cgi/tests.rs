use super::*;

#[test]
fn the_blank_line_ends_the_headers_with_either_line_ending() {
    assert_eq!(head_end(b"A: b\r\n\r\nbody"), Some((5, 8)));
    assert_eq!(head_end(b"A: b\n\nbody"), Some((4, 6)));
    assert_eq!(head_end(b"A: b\nC: d\n\n"), Some((9, 11)));
    assert_eq!(head_end(b"\r\nbody"), Some((0, 2)));
    assert_eq!(head_end(b"\nbody"), Some((0, 1)));
    assert_eq!(head_end(b"\n\nbody"), Some((0, 1)));
    assert_eq!(head_end(b"\r\n\r\nbody"), Some((0, 2)));
    assert_eq!(head_end(b"A: b\r\nC: d\r\n"), None);
    assert_eq!(head_end(b""), None);
    // The body may hold blank lines of its own: only the first one counts.
    assert_eq!(head_end(b"A: b\r\n\r\nx\n\ny"), Some((5, 8)));
}

#[test]
fn cgi_headers_become_the_response_status_and_headers() {
    let (status, headers) = parse_head(
        b"Status: 404 Not Found\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\n",
    )
    .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["cache-control"], "no-cache");

    let (status, headers) =
        parse_head(b"Content-Type: application/x-git-upload-pack-advertisement").unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/x-git-upload-pack-advertisement"
    );
    let (status, _) = parse_head(b"Location: /elsewhere").unwrap();
    assert_eq!(status, StatusCode::FOUND);
    let (status, _) = parse_head(b"status: 403").unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[test]
fn hop_by_hop_headers_from_the_program_are_dropped() {
    let (_, headers) = parse_head(
        b"Content-Length: 12\nTransfer-Encoding: chunked\nConnection: close\nX-Kept: yes",
    )
    .unwrap();
    assert_eq!(headers.len(), 1);
    assert_eq!(headers["x-kept"], "yes");
}

#[test]
fn output_that_is_not_cgi_is_an_error() {
    for bad in [
        &b"Status: abc"[..],
        b"Status: 99",
        b"no colon here",
        b"Bad Name: x",
        b"X: \x01",
        b"\xff\xfe: x",
    ] {
        assert!(
            parse_head(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}
