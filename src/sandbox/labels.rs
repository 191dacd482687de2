//! Kubernetes label selectors (`app=x,tier!=db,env in (a,b),!canary,replicas>2`), parsed as
//! apimachinery's `labels.Parse` reads them: the list API's `labelSelector` parameter and
//! kustomize's patch targets take the same syntax. Requirements are ANDed; the empty
//! selector matches everything. Also here: reading the string maps objects hold (labels,
//! `matchLabels`).

use serde_json::Value;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Req {
    Exists(String),
    NotExists(String),
    /// `k=v`, `k==v` (one value) and `k in (a,b)`.
    In(String, Vec<String>),
    /// `k!=v` (one value) and `k notin (a,b)`: also true when the label is absent.
    NotIn(String, Vec<String>),
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed label selector.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector(Vec<Req>);

/// A selector that does not parse; the message says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Id(String),
    Not,
    Eq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

fn lex(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let next = cs.get(i + 1).copied();
        let (tok, len) = match cs[i] {
            ' ' | '\t' | '\n' | '\r' => (None, 1),
            '(' => (Some(Tok::Open), 1),
            ')' => (Some(Tok::Close), 1),
            ',' => (Some(Tok::Comma), 1),
            '>' => (Some(Tok::Gt), 1),
            '<' => (Some(Tok::Lt), 1),
            '!' if next == Some('=') => (Some(Tok::NotEq), 2),
            '!' => (Some(Tok::Not), 1),
            '=' if next == Some('=') => (Some(Tok::Eq), 2),
            '=' => (Some(Tok::Eq), 1),
            _ => {
                let len = cs[i..]
                    .iter()
                    .take_while(|c| !" \t\n\r(),><!=".contains(**c))
                    .count();
                (Some(Tok::Id(cs[i..i + len].iter().collect())), len)
            }
        };
        out.extend(tok);
        i += len;
    }
    out
}

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of alphanumerics, `-`,
/// `_` and `.`.
fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// A label value: at most 63 alphanumerics, `-`, `_` or `.` (empty allowed).
fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl LabelSelector {
    /// Parses a selector; the error names what is wrong and where.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let toks = lex(s);
        let mut reqs = Vec::new();
        let mut i = 0;
        let err = |what: String| {
            SelectorError(format!(
                "unable to parse requirement: {what} in selector \"{s}\""
            ))
        };
        let key_ok = |key: &str| {
            if valid_key(key) {
                Ok(())
            } else {
                Err(err(format!(
                    "invalid label key \"{key}\" (a key is alphanumerics, '-', '_', '.', with an optional prefix and '/')"
                )))
            }
        };
        let value_ok = |v: &str| {
            if valid_value(v) {
                Ok(())
            } else {
                Err(err(format!(
                    "invalid label value \"{v}\" (at most 63 alphanumerics, '-', '_' or '.')"
                )))
            }
        };
        while i < toks.len() {
            let negated = toks[i] == Tok::Not;
            if negated {
                i += 1;
            }
            let Some(Tok::Id(key)) = toks.get(i).cloned() else {
                return Err(err("expected a key".into()));
            };
            key_ok(&key)?;
            i += 1;
            if negated {
                reqs.push(Req::NotExists(key));
            } else {
                match toks.get(i).cloned() {
                    None | Some(Tok::Comma) => reqs.push(Req::Exists(key)),
                    Some(Tok::Eq | Tok::NotEq) => {
                        let eq = toks[i] == Tok::Eq;
                        i += 1;
                        let value = match toks.get(i) {
                            Some(Tok::Id(v)) => {
                                i += 1;
                                v.clone()
                            }
                            _ => String::new(),
                        };
                        value_ok(&value)?;
                        reqs.push(if eq {
                            Req::In(key, vec![value])
                        } else {
                            Req::NotIn(key, vec![value])
                        });
                    }
                    Some(Tok::Gt | Tok::Lt) => {
                        let gt = toks[i] == Tok::Gt;
                        i += 1;
                        let Some(Tok::Id(v)) = toks.get(i) else {
                            return Err(err("expected an integer value".into()));
                        };
                        let n: i64 = v
                            .parse()
                            .map_err(|_| err("expected an integer value".into()))?;
                        i += 1;
                        reqs.push(if gt { Req::Gt(key, n) } else { Req::Lt(key, n) });
                    }
                    Some(Tok::Id(op)) if op == "in" || op == "notin" => {
                        i += 1;
                        if toks.get(i) != Some(&Tok::Open) {
                            return Err(err(format!("expected '(' after '{op}'")));
                        }
                        i += 1;
                        let mut values = Vec::new();
                        loop {
                            match toks.get(i) {
                                Some(Tok::Id(v)) => {
                                    value_ok(v)?;
                                    values.push(v.clone());
                                }
                                Some(Tok::Comma) => {}
                                Some(Tok::Close) => break,
                                _ => return Err(err("expected ')'".into())),
                            }
                            i += 1;
                        }
                        i += 1;
                        if values.is_empty() {
                            return Err(err(format!("the set of values after '{op}' is empty")));
                        }
                        reqs.push(if op == "in" {
                            Req::In(key, values)
                        } else {
                            Req::NotIn(key, values)
                        });
                    }
                    Some(_) => return Err(err("expected an operator".into())),
                }
            }
            match toks.get(i) {
                None => {}
                Some(Tok::Comma) => {
                    i += 1;
                    if i == toks.len() {
                        return Err(err("expected a requirement after ','".into()));
                    }
                }
                Some(_) => return Err(err("expected ','".into())),
            }
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether the selector is empty (matches everything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether labels (`key → value`) satisfy every requirement.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| {
            labels
                .iter()
                .find(|(lk, _)| lk == k)
                .map(|(_, v)| v.as_str())
        };
        self.0.iter().all(|r| match r {
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
            Req::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Req::NotIn(k, vs) => get(k).is_none_or(|v| vs.iter().all(|x| x != v)),
            Req::Gt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Req::Lt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }
}

/// A string map as Kubernetes objects hold them (labels, `matchLabels`,
/// `messageTemplateValues`): its members in key order, a value that is not a string read as
/// empty; not an object: none.
pub fn string_map<C: FromIterator<(String, String)>>(map: &Value) -> C {
    map.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// A `LabelSelector` object's `matchLabels` as `key=value` requirements, in key order.
pub fn match_labels(selector: &Value) -> Vec<String> {
    string_map::<Vec<_>>(&selector["matchLabels"])
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selectors_match_as_kubernetes() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        for (sel, want) in [
            ("", true),
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app in (db, web)", true),
            ("app in (db,web)", true),
            ("app notin (web)", false),
            ("app notin (db)", true),
            ("!missing", true),
            ("!app", false),
            ("tier", true),
            ("app=web,tier=db", false),
            ("n>4,n<6", true),
            ("n>5", false),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn bad_selectors_are_errors_that_say_why() {
        for bad in [
            "app in web",
            "app in front-end",
            "=x",
            "app in (a",
            "app in ()",
            "n>x",
            "a b",
            "a b=c",
            ",",
            "app=x,",
            "app=x y",
            "app=a:b",
        ] {
            let e = LabelSelector::parse(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("unable to parse requirement: ") && e.contains(bad),
                "{bad}: {e}"
            );
        }
    }
}
