//! The protobuf subset kubectl sends: its typed clients (e.g. `kubectl auth can-i`) post
//! SelfSubjectAccessReview and SelfSubjectRulesReview as `application/vnd.kubernetes.protobuf`
//! and do not fall back to JSON. The envelope is the magic `k8s\0` and a `runtime.Unknown`
//! (1: TypeMeta {1: apiVersion, 2: kind}, 2: raw object); the review's fields are read by
//! the field numbers of the authorization/v1 API's protobuf messages. Responses are JSON (the
//! clients accept it).

use serde_json::{Value, json};

const MAGIC: &[u8] = b"k8s\0";

/// A protobuf wire field: its number and its bytes (length-delimited) or varint.
enum Field<'a> {
    Bytes(u64, &'a [u8]),
    /// Varints carry nothing the reviews need; they are parsed to be skipped.
    Varint,
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                varint(buf, &mut pos)?;
                out.push(Field::Varint);
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len)?;
                out.push(Field::Bytes(number, buf.get(pos..end)?));
                pos = end;
            }
            1 => pos = pos.checked_add(8)?,
            5 => pos = pos.checked_add(4)?,
            _ => return None,
        }
    }
    Some(out)
}

fn bytes_field<'a>(fs: &[Field<'a>], n: u64) -> Option<&'a [u8]> {
    fs.iter().find_map(|f| match f {
        Field::Bytes(k, b) if *k == n => Some(*b),
        _ => None,
    })
}

fn string_field(fs: &[Field<'_>], n: u64) -> String {
    bytes_field(fs, n)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or_default()
        .to_string()
}

/// Decodes a protobuf-encoded SelfSubjectAccessReview or SelfSubjectRulesReview into its
/// JSON form; `None` for anything else or malformed input.
pub fn decode_review(body: &[u8]) -> Option<Value> {
    let envelope = fields(body.strip_prefix(MAGIC)?)?;
    let type_meta = fields(bytes_field(&envelope, 1)?)?;
    let api_version = string_field(&type_meta, 1);
    let kind = string_field(&type_meta, 2);
    let raw = fields(bytes_field(&envelope, 2)?)?;
    let spec = fields(bytes_field(&raw, 2).unwrap_or_default())?;
    let spec_json = match kind.as_str() {
        "SelfSubjectAccessReview" => {
            let mut s = json!({});
            if let Some(ra) = bytes_field(&spec, 1).and_then(fields) {
                let keys = [
                    "namespace",
                    "verb",
                    "group",
                    "version",
                    "resource",
                    "subresource",
                    "name",
                ];
                let mut attrs = json!({});
                for (i, k) in keys.iter().enumerate() {
                    let v = string_field(&ra, i as u64 + 1);
                    if !v.is_empty() {
                        attrs[*k] = json!(v);
                    }
                }
                s["resourceAttributes"] = attrs;
            }
            if let Some(nra) = bytes_field(&spec, 2).and_then(fields) {
                s["nonResourceAttributes"] =
                    json!({"path": string_field(&nra, 1), "verb": string_field(&nra, 2)});
            }
            s
        }
        "SelfSubjectRulesReview" => json!({"namespace": string_field(&spec, 1)}),
        _ => return None,
    };
    Some(json!({"apiVersion": api_version, "kind": kind, "metadata": {}, "spec": spec_json}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, b: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, b.len() as u8];
        out.extend_from_slice(b);
        out
    }

    #[test]
    fn decodes_an_access_review_like_kubectl_sends() {
        let attrs = [
            field(1, b"sock-shop"),
            field(2, b"patch"),
            field(3, b"kustomize.toolkit.fluxcd.io"),
            field(5, b"kustomizations"),
        ]
        .concat();
        let spec = field(1, &attrs);
        let raw = [field(1, b""), field(2, &spec)].concat();
        let tm = [
            field(1, b"authorization.k8s.io/v1"),
            field(2, b"SelfSubjectAccessReview"),
        ]
        .concat();
        let body = [MAGIC.to_vec(), field(1, &tm), field(2, &raw)].concat();
        let v = decode_review(&body).unwrap();
        assert_eq!(v["kind"], "SelfSubjectAccessReview");
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "patch");
        assert_eq!(v["spec"]["resourceAttributes"]["namespace"], "sock-shop");
        assert_eq!(
            v["spec"]["resourceAttributes"]["resource"],
            "kustomizations"
        );
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        for b in [
            &b""[..],
            b"k8s\0",
            b"k8s\0\x0a\xff\xff\xff",
            b"\xff\xff",
            b"k8s\0\x0a\x05ab",
        ] {
            assert!(decode_review(b).is_none());
        }
    }
}
