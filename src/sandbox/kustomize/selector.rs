//! Patch targets: kustomize's `Selector` (anchored regular expressions over group, version,
//! kind, name and namespace) and Kubernetes label selectors (`app=x,tier!=db,env in (a,b)`).

use regex::{Regex, RegexBuilder};

use super::kustfile::Selector;
use super::resource::Res;

/// Compiled regexes are capped so a hostile pattern cannot take much memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `^(?:pattern)$` as kustomize's `anchorRegex` does (Go RE2 and Rust's `regex`
/// share the syntax kustomize users write).
pub(crate) fn anchored(pattern: &str) -> Result<Regex, String> {
    compile(&format!("^(?:{pattern})$"))
}

/// Compiles a regular expression with the size cap; errors read like Go's.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text.lines().last().unwrap_or("").trim();
            let last = last.strip_prefix("error: ").unwrap_or(last);
            format!("error parsing regexp: {last}: `{pattern}`")
        })
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Req {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed Kubernetes label selector; the empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LabelSelector(Vec<Req>);

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

/// Parses a label selector as `labels.Parse` does (the syntax, not the name rules).
pub(crate) fn parse_labels(s: &str) -> Result<LabelSelector, String> {
    let toks = lex(s);
    let mut reqs = Vec::new();
    let mut i = 0;
    let err = |what: &str| format!("unable to parse requirement: {what} in selector \"{s}\"");
    while i < toks.len() {
        let negated = toks[i] == Tok::Not;
        if negated {
            i += 1;
        }
        let Some(Tok::Id(key)) = toks.get(i).cloned() else {
            return Err(err("expected a key"));
        };
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
                        return Err(err("expected an integer value"));
                    };
                    let n: i64 = v.parse().map_err(|_| err("expected an integer value"))?;
                    i += 1;
                    reqs.push(if gt { Req::Gt(key, n) } else { Req::Lt(key, n) });
                }
                Some(Tok::Id(op)) if op == "in" || op == "notin" => {
                    i += 1;
                    if toks.get(i) != Some(&Tok::Open) {
                        return Err(err("expected '(' after 'in'/'notin'"));
                    }
                    i += 1;
                    let mut values = Vec::new();
                    loop {
                        match toks.get(i) {
                            Some(Tok::Id(v)) => values.push(v.clone()),
                            Some(Tok::Comma) => {}
                            Some(Tok::Close) => break,
                            _ => return Err(err("expected ')'")),
                        }
                        i += 1;
                    }
                    i += 1;
                    reqs.push(if op == "in" {
                        Req::In(key, values)
                    } else {
                        Req::NotIn(key, values)
                    });
                }
                Some(_) => return Err(err("expected an operator")),
            }
        }
        match toks.get(i) {
            None => {}
            Some(Tok::Comma) => i += 1,
            Some(_) => return Err(err("expected ','")),
        }
    }
    Ok(LabelSelector(reqs))
}

impl LabelSelector {
    /// Whether a label set satisfies every requirement.
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

/// A [`Selector`] ready to match objects.
pub(crate) struct Matcher {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: LabelSelector,
    annotations: LabelSelector,
}

fn opt(p: &str) -> Result<Option<Regex>, String> {
    if p.is_empty() {
        Ok(None)
    } else {
        anchored(p).map(Some)
    }
}

impl Matcher {
    /// Compiles a selector.
    pub fn new(s: &Selector) -> Result<Matcher, String> {
        Ok(Matcher {
            group: opt(&s.group)?,
            version: opt(&s.version)?,
            kind: opt(&s.kind)?,
            name: opt(&s.name)?,
            namespace: opt(&s.namespace)?,
            labels: parse_labels(&s.label_selector)?,
            annotations: parse_labels(&s.annotation_selector)?,
        })
    }

    /// kustomize's `resWrangler.Select` test for one object: namespace and name match the
    /// original or the current identity, the kind the current one, then the label and
    /// annotation selectors.
    pub fn matches(&self, r: &Res) -> bool {
        let (org, cur) = (r.org_id(), r.cur_id());
        let is = |re: &Option<Regex>, s: &str| re.as_ref().is_none_or(|re| re.is_match(s));
        (is(&self.namespace, org.effective_ns()) || is(&self.namespace, cur.effective_ns()))
            && (is(&self.name, &org.name) || is(&self.name, &cur.name))
            && is(&self.group, &cur.gvk.group)
            && is(&self.version, &cur.gvk.version)
            && is(&self.kind, &cur.gvk.kind)
            && self.labels.matches(&r.meta_strings("labels"))
            && self.annotations.matches(&r.meta_strings("annotations"))
    }
}

/// kustomize's `Selector.String()` (`<ResId>:a=<annotations>:l=<labels>`), as messages quote it.
pub(crate) fn selector_string(s: &Selector) -> String {
    let id = super::resource::Id {
        gvk: super::resource::Gvk {
            group: s.group.clone(),
            version: s.version.clone(),
            kind: s.kind.clone(),
        },
        name: s.name.clone(),
        namespace: s.namespace.clone(),
    };
    format!("{id}:a={}:l={}", s.annotation_selector, s.label_selector)
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
    fn label_selectors_match_as_kubernetes() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app in (db, web)", true),
            ("app notin (web)", false),
            ("!missing", true),
            ("!app", false),
            ("tier", true),
            ("n>4,n<6", true),
            ("n>5", false),
        ];
        for (sel, want) in cases {
            assert_eq!(parse_labels(sel).unwrap().matches(&l), want, "{sel}");
        }
        for bad in ["app in web", "=x", "app in (a", "n>x", "a b"] {
            assert!(parse_labels(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_anchored_regexes() {
        let re = anchored("front-.*").unwrap();
        assert!(re.is_match("front-end"));
        assert!(!re.is_match("my-front-end"));
        assert!(anchored("a|b").unwrap().is_match("b"));
        assert!(
            anchored("(")
                .unwrap_err()
                .starts_with("error parsing regexp:")
        );
    }
}
