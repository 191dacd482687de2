//! Deterministic identifiers from the scenario seed: uids, commit SHAs, digests, the random
//! suffixes Kubernetes gives ReplicaSets and pods, IP addresses, and timestamps as the API
//! server writes them.
//!
//! Each object draws from its own generator, keyed by the seed and a stable string (its
//! namespace and name), so adding an object to a scenario does not change every other name.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::golang::time::format_duration;

/// Kubernetes' `SafeEncodeString` alphabet (no vowels, no 0/1/3, so no words and no look-alikes).
const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// Hands out per-key random generators derived from the scenario seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ids {
    seed: u64,
}

impl Ids {
    /// Generators for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// The generator for one object (or one story beat), keyed by a stable string.
    pub(crate) fn rng(&self, key: &str) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ fnv1a64(key.as_bytes()))
    }

    /// A `pod-template-hash` for a pod template, as the Deployment controller derives one
    /// from the template: the same template (and seed) always gives the same hash.
    pub(crate) fn template_hash(&self, template: &serde_json::Value) -> String {
        let text = template.to_string();
        let mut rng = StdRng::seed_from_u64(self.seed ^ fnv1a64(text.as_bytes()));
        template_hash(&mut rng)
    }
}

/// 64-bit FNV-1a: a tiny, stable hash to turn keys into seeds (not for security).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `n` lower-case hex digits.
pub(crate) fn hex(rng: &mut StdRng, n: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Every index below is drawn from the array's own range, so indexing cannot panic.
    (0..n)
        .map(|_| char::from(DIGITS[rng.random_range(0..16)]))
        .collect()
}

/// A random (version 4) UUID, as the API server assigns to `metadata.uid`.
pub(crate) fn uid(rng: &mut StdRng) -> String {
    let h = hex(rng, 32);
    // In bounds: the index is drawn from 0..4 for a 4-element array.
    let variant = ["8", "9", "a", "b"][rng.random_range(0..4)];
    // `h` is 32 ASCII hex digits, so every byte range below is in bounds and on a char boundary.
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

/// A 40-digit git commit SHA-1.
pub(super) fn commit_sha(rng: &mut StdRng) -> String {
    hex(rng, 40)
}

/// A `sha256:<64 hex>` content digest.
pub(super) fn sha256_digest(rng: &mut StdRng) -> String {
    format!("sha256:{}", hex(rng, 64))
}

/// Kubernetes' `SafeEncodeString`: each byte picks a letter of the safe alphabet.
fn safe_encode(text: &str) -> String {
    text.bytes()
        // In bounds: the index is reduced modulo the alphabet's length.
        .map(|b| char::from(SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()]))
        .collect()
}

/// A `pod-template-hash`: the Deployment controller safe-encodes the decimal form of a 32-bit
/// hash, which is why real hashes (`5c89db9f57`) only use ten of the 27 letters. Values below
/// 10^7 are skipped so the hash has 8 to 10 characters, as nearly all real ones do.
pub(super) fn template_hash(rng: &mut StdRng) -> String {
    let hash: u32 = rng.random_range(10_000_000..=u32::MAX);
    safe_encode(&hash.to_string())
}

/// The 5-character random suffix of a pod name (`utilrand.String(5)`).
pub(super) fn pod_suffix(rng: &mut StdRng) -> String {
    (0..5)
        // In bounds: the index is drawn from the alphabet's own range.
        .map(|_| char::from(SAFE_ALPHABET[rng.random_range(0..SAFE_ALPHABET.len())]))
        .collect()
}

/// A timestamp in seconds since the epoch as the API server writes it (`2026-01-02T03:04:05Z`).
pub(crate) fn rfc3339(seconds: i64) -> String {
    // Out-of-range seconds cannot come from a valid `jiff::Timestamp` minus scenario offsets
    // of a few months; clamping keeps this total anyway.
    let t = jiff::Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A timestamp with nanoseconds, as `flux reconcile` writes `reconcile.fluxcd.io/requestedAt`
/// (Go's `RFC3339Nano`: trailing zeros of the fraction trimmed).
pub(super) fn rfc3339_nano(seconds: i64, nanos: u32) -> String {
    let base = rfc3339(seconds);
    let fraction = format!("{nanos:09}");
    let fraction = fraction.trim_end_matches('0');
    match base.strip_suffix('Z') {
        Some(stem) if !fraction.is_empty() => format!("{stem}.{fraction}Z"),
        _ => base,
    }
}

/// Milliseconds as Kubernetes prints a `metav1.Duration` (`1m0s`, `2.5s`, `850ms`).
pub(crate) fn go_duration(millis: u64) -> String {
    format_duration(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_and_seed_give_the_same_draws_and_others_differ() {
        let ids = Ids::new(7);
        assert_eq!(uid(&mut ids.rng("a")), uid(&mut ids.rng("a")));
        assert_ne!(uid(&mut ids.rng("a")), uid(&mut ids.rng("b")));
        assert_ne!(uid(&mut ids.rng("a")), uid(&mut Ids::new(8).rng("a")));
    }

    #[test]
    fn uids_have_the_uuid_v4_shape() {
        let re = regex::Regex::new(
            "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        )
        .unwrap();
        let mut rng = Ids::new(1).rng("x");
        for _ in 0..100 {
            let u = uid(&mut rng);
            assert!(re.is_match(&u), "{u}");
        }
    }

    #[test]
    fn template_hashes_and_pod_suffixes_use_kubernetes_alphabet_and_lengths() {
        let hash = regex::Regex::new("^[bcdfghjklmnpqrstvwxz2456789]{8,10}$").unwrap();
        let suffix = regex::Regex::new("^[bcdfghjklmnpqrstvwxz2456789]{5}$").unwrap();
        let mut rng = Ids::new(3).rng("pods");
        for _ in 0..500 {
            let h = template_hash(&mut rng);
            assert!(hash.is_match(&h), "{h}");
            // Safe-encoded decimal digits map onto ten letters only.
            assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
            let s = pod_suffix(&mut rng);
            assert!(suffix.is_match(&s), "{s}");
        }
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }

    #[test]
    fn template_hash_depends_on_the_template() {
        let ids = Ids::new(1);
        let a = serde_json::json!({"image": "a:1"});
        let b = serde_json::json!({"image": "a:2"});
        assert_eq!(ids.template_hash(&a), ids.template_hash(&a));
        assert_ne!(ids.template_hash(&a), ids.template_hash(&b));
    }

    #[test]
    fn timestamps_print_as_the_api_server_does() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_786_000_000), "2026-08-06T07:06:40Z");
        assert_eq!(rfc3339_nano(0, 120_000_000), "1970-01-01T00:00:00.12Z");
        assert_eq!(rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), rfc3339(i64::MAX - 1));
    }
}
