#![no_main]
//! Fuzz target for `fluxdeck::policy`: the input is split on NUL bytes into a policy
//! selector, a pattern, an extract template, a semver range, an exclusion pattern and tags.
//! Nothing may panic, the regex translation must never produce an "internal error" (a
//! pattern the Rust crate refuses), and a selected tag must be one of the inputs.

use fluxdeck::golang::regexp::{ErrorCode, GoRegex};
use fluxdeck::policy::{FilterTags, Order, PolicyChoice, PolicyError, PolicySpec, exclude};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let selector = parts.next().unwrap_or("").bytes().next().unwrap_or(0);
    let pattern = parts.next().unwrap_or("");
    let extract = parts.next().unwrap_or("");
    let range = parts.next().unwrap_or("");
    let exclusion = parts.next().unwrap_or("");
    let tags: Vec<&str> = parts.collect();

    match GoRegex::new(pattern) {
        Ok(re) => {
            for tag in &tags {
                let caps = re.captures(tag);
                assert_eq!(caps.is_some(), re.is_match(tag));
            }
        }
        Err(e) => assert_ne!(e.code, ErrorCode::Internal, "{pattern:?}: {e}"),
    }

    let order = if selector & 1 == 0 {
        Order::Asc
    } else {
        Order::Desc
    };
    let choice = match (selector >> 1) % 3 {
        0 => PolicyChoice::Semver {
            range: range.to_owned(),
        },
        1 => PolicyChoice::Alphabetical { order },
        _ => PolicyChoice::Numerical { order },
    };
    let filter = (selector & 8 != 0).then(|| FilterTags {
        pattern: pattern.to_owned(),
        extract: extract.to_owned(),
    });
    let exclusions = if exclusion.is_empty() {
        vec![]
    } else {
        vec![exclusion.to_owned()]
    };
    let Ok(kept) = exclude(&tags, &exclusions) else {
        return;
    };
    let spec = PolicySpec { choice, filter };
    match spec.compile() {
        Ok(policy) => match policy.latest(&kept) {
            Ok(tag) => assert!(kept.contains(&tag)),
            Err(PolicyError::InvalidPattern { cause, .. }) => {
                assert_ne!(cause.code, ErrorCode::Internal)
            }
            Err(_) => {}
        },
        Err(PolicyError::InvalidPattern { cause, .. }) => {
            assert_ne!(cause.code, ErrorCode::Internal)
        }
        Err(_) => {}
    }
});
