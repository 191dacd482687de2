#![no_main]
//! Fuzz target for `fluxdeck::setters`: the rewriter over arbitrary text (with its safety
//! properties checked) and the commit message template engine over arbitrary templates.

use fluxdeck::setters::{
    Change, FileChange, ImageRef, ObjectId, PolicyRef, TemplateData, commit_message, rewrite,
};
use libfuzzer_sys::fuzz_target;

fn policies() -> Vec<PolicyRef> {
    [
        ("ns", "p", "index.repo.fake/updated:v1.0.1"),
        ("ns", "q", "img:1.10@sha256:abc"),
        ("ns", "r", "host:5000/a:yes"),
    ]
    .into_iter()
    .filter_map(|(ns, name, image)| {
        Some(PolicyRef {
            namespace: ns.into(),
            name: name.into(),
            latest: ImageRef::parse(image).ok()?,
        })
    })
    .collect()
}

fn data() -> TemplateData {
    let change = |file: &str, kind: &str, new: &str| FileChange {
        file: file.into(),
        change: Change {
            object: ObjectId {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: "app".into(),
                namespace: "default".into(),
            },
            setter: "ns:p:tag".into(),
            old_value: "v1".into(),
            new_value: new.into(),
            missing_metadata: false,
        },
    };
    TemplateData {
        automation_namespace: "flux-system".into(),
        automation_name: "auto".into(),
        changes: vec![change("a.yaml", "Deployment", "v2"), change("b.yaml", "CronJob", "v3")],
        values: [("k".to_owned(), "v".to_owned())].into_iter().collect(),
    }
}

fuzz_target!(|data_in: &[u8]| {
    let Some((&selector, rest)) = data_in.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if selector % 2 == 0 {
        let policies = policies();
        if let Ok(result) = rewrite(text, &policies)
            && let Some(new_text) = result.new_text
        {
            assert!(!result.changes.is_empty(), "a rewritten file must record its changes");
            let again = rewrite(&new_text, &policies).expect("a rewritten file must parse again");
            assert!(again.new_text.is_none(), "rewriting twice must equal rewriting once");
        }
    } else {
        let _ = commit_message(Some(text), &data());
    }
});
