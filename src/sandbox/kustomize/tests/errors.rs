//! Each failure: Flux's message and reason.

use super::*;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
const R: &str = "/tmp/kustomization-sandbox";

fn fail(entries: &[(&str, &str)], path: &str) -> BuildError {
    match build(&files(entries), path, &Overrides::default()) {
        Ok(objs) => panic!("expected a failure, built {:?}", ids(&objs)),
        Err(e) => e,
    }
}

#[test]
fn messages_mirror_flux_and_kustomize() {
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, String);
    let cases: Vec<Case> = vec![
        (vec![("a/x.yaml", CM)], "./nope/dir",
         format!("kustomization path not found: stat {R}/nope/dir: no such file or directory")),
        (vec![("a/kustomization.yaml", "resources: [missing.yaml]\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'missing.yaml': open {R}/a/missing.yaml: no such file or directory': must build at directory: not a valid directory: evalsymlink failure on '{R}/a/missing.yaml' : lstat {R}/a/missing.yaml: no such file or directory")),
        (vec![("a/kustomization.yaml", "resources: [sub]\n"), ("a/sub/x.yaml", CM)], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'sub': read {R}/a/sub: is a directory': couldn't make target for path '{R}/a/sub': unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{R}/a/sub'")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\n"), ("a/x.yaml", "a: b: c\n")], "a",
         "kustomize build failed: accumulating resources: accumulating resources from 'x.yaml': MalformedYAMLError: yaml: line 1: mapping values are not allowed in this context in File: x.yaml".to_string()),
        (vec![("a/kustomization.yaml", "resources: [x.yaml, y.yaml]\n"), ("a/x.yaml", CM), ("a/y.yaml", CM)], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='merging resources from 'y.yaml': may not add resource with an already registered id: ConfigMap.v1.[noGrp]/a.[noNs]': must build at directory: '{R}/a/y.yaml': file is not directory")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\n"), ("a/x.yaml", "apiVersion: v1\nmetadata:\n  name: n\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'x.yaml': missing kind in object {{{{v1 }} {{{{n }} map[] map[]}}}}': must build at directory: '{R}/a/x.yaml': file is not directory")),
        (vec![("a/kustomization.yaml", "resources: [../b]\n"), ("b/kustomization.yaml", "resources: [../a]\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from '../b': read {R}/b: is a directory': recursed accumulation of path '{R}/b': accumulating resources: accumulation err='accumulating resources from '../a': read {R}/a: is a directory': cycle detected: candidate root '{R}/a' contains visited root '{R}/a'")),
        (vec![("a/kustomization.yaml", "resources: [../../outside.yaml]\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from '../../outside.yaml': fs-security-constraint read /tmp/outside.yaml: path '/tmp/outside.yaml' is not in or below '{R}'': must build at directory: not a valid directory: fs-security-constraint abs /tmp/outside.yaml: path '/tmp/outside.yaml' is not in or below '{R}'")),
        (vec![("a/b/kustomization.yaml", "resources: [..]\n"), ("a/c.yaml", CM)], "a/b",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from '..': read {R}/a: is a directory': cycle detected: candidate root '{R}/a' contains visited root '{R}/a/b'")),
        (vec![("a/kustomization.yaml", "resources: [sub]\n"), ("a/sub/kustomization.yaml", "resources: [x.yaml]\nfoo: 1\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'sub': read {R}/a/sub: is a directory': couldn't make target for path '{R}/a/sub': invalid Kustomization: json: unknown field \"foo\"")),
        (vec![("a/kustomization.yaml", "resources: [sub]\n"), ("a/sub/kustomization.yaml", "images:\n- name: x\n  newTag: 1.10\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'sub': read {R}/a/sub: is a directory': couldn't make target for path '{R}/a/sub': invalid Kustomization: json: cannot unmarshal number into Go struct field Image.images.newTag of type string")),
        (vec![("a/kustomization.yaml", "resources: [sub]\n"), ("a/sub/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")], "a",
         format!("kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'sub': read {R}/a/sub: is a directory': couldn't make target for path '{R}/a/sub': kustomization.yaml is empty")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: other\n    data: {a: b}\n"), ("a/x.yaml", CM)], "a",
         "kustomize build failed: no resource matches strategic merge patch \"ConfigMap.v1.[noGrp]/other.[noNs]\": no matches for Id ConfigMap.v1.[noGrp]/other.[noNs]; failed to find unique target for patch ConfigMap.v1.[noGrp]/other.[noNs]".to_string()),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\npatches:\n- patch: |-\n    - op: add\n      path: /data/a\n      value: b\n"), ("a/x.yaml", CM)], "a",
         "kustomize build failed: must specify a target for JSON patch [patch: \"- op: add\\n  path: /data/a\\n  value: b\"]".to_string()),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: replace\n      path: /data/a/b\n      value: c\n"), ("a/x.yaml", CM)], "a",
         "kustomize build failed: replace operation does not apply: doc is missing path: /data/a/b: missing value".to_string()),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\npatches:\n- patch: 'just text'\n"), ("a/x.yaml", CM)], "a",
         "kustomize build failed: trouble configuring builtin PatchTransformer with config: `\npatch: just text\n`: unable to parse SM or JSON patch from [patch: \"just text\"]".to_string()),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\npatches:\n- path: nope.yaml\n"), ("a/x.yaml", CM)], "a",
         format!("kustomize build failed: trouble configuring builtin PatchTransformer with config: `\npath: nope.yaml\n`: failed to get the patch file from path(nope.yaml): open {R}/a/nope.yaml: no such file or directory")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\nconfigMapGenerator:\n- name: c\n"), ("a/x.yaml", CM)], "a",
         format!("kustomize build failed: the fluxdeck sandbox does not implement kustomize's 'configMapGenerator' (in {R}/a/kustomization.yaml)")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\n"), ("a/Kustomization", "resources: [x.yaml]\n"), ("a/x.yaml", CM)], "a",
         format!("kustomize build failed: Found multiple kustomization files under: {R}/a\n")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\nkind: Pod\n"), ("a/x.yaml", CM)], "a",
         format!("kustomize build failed: Failed to read kustomization file under {R}/a:\nkind should be Kustomization or Component")),
        (vec![("a/kustomization.yaml", "resources: [x.yaml]\nreplicas:\n- name: nope\n  count: 2\n"), ("a/x.yaml", CM)], "a",
         "kustomize build failed: resource with name nope does not match a config with the following GVK [Deployment.[noVer].[noGrp] ReplicationController.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] StatefulSet.[noVer].[noGrp]]".to_string()),
        (vec![("a/kustomization.yaml", "resources: 5\n")], "a",
         "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field Kustomization.resources of type []string".to_string()),
        (vec![("a/kustomization.yaml", "resources: [https://github.com/x/y]\n")], "a",
         "kustomize build failed: accumulating resources: accumulating resources from 'https://github.com/x/y': remote resources are not supported by the fluxdeck sandbox (it has no network)".to_string()),
        (vec![("a/x.yaml", CM)], "a/x.yaml",
         format!("open {R}/a/x.yaml/kustomization.yaml: not a directory remove {R}/a/x.yaml/kustomization.yaml: not a directory")),
    ];
    for (entries, path, want) in cases {
        let e = fail(&entries, path);
        assert_eq!(e.to_string(), want, "{entries:?}");
        let reason = if want.starts_with("kustomization path not found") {
            "ArtifactFailed"
        } else {
            "BuildFailed"
        };
        assert_eq!(e.reason(), reason);
        assert!(!e.hint().is_empty());
    }
}

#[test]
fn objects_without_api_version_fail_in_flux_not_in_kustomize() {
    let e = fail(
        &[
            ("a/kustomization.yaml", "resources: [x.yaml]\n"),
            ("a/x.yaml", "kind: ConfigMap\nmetadata:\n  name: a\n"),
        ],
        "a",
    );
    assert_eq!(
        e.to_string(),
        "failed to decode Kubernetes apiVersion, kind and name from: kind: ConfigMap\nmetadata:\n  name: a\n"
    );
    assert_eq!(e.reason(), "BuildFailed");
}

#[test]
fn a_targeted_patch_that_selects_nothing_is_fine() {
    let objs = ok(
        &files(&[
            (
                "a/kustomization.yaml",
                "resources: [x.yaml]\npatches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: add\n      path: /x\n      value: 1\n- target: {kind: Secret}\n  patch: |\n    apiVersion: v1\n    kind: Secret\n    metadata:\n      name: any\n    data: {}\n",
            ),
            ("a/x.yaml", CM),
        ]),
        "a",
    );
    assert_eq!(ids(&objs), ["ConfigMap//a"]);
}

#[test]
fn limits_stop_hostile_builds() {
    let tree = files(&[
        ("a/kustomization.yaml", "resources: [x.yaml]\n"),
        ("a/x.yaml", CM),
    ]);
    let tiny = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    let e = build_with_limits(&tree, "a", &Overrides::default(), &tiny).unwrap_err();
    assert!(
        e.to_string()
            .contains("the fluxdeck sandbox stopped this build"),
        "{e}"
    );
    let mut deep = vec![];
    let texts: Vec<String> = (0..10)
        .map(|i| format!("resources: [d{}]\n", i + 1))
        .collect();
    let paths: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "{}kustomization.yaml",
                (1..=i).map(|j| format!("d{j}/")).collect::<String>()
            )
        })
        .collect();
    for (p, t) in paths.iter().zip(&texts) {
        deep.push((p.as_str(), t.as_str()));
    }
    let shallow = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let e = build_with_limits(&files(&deep), "", &Overrides::default(), &shallow).unwrap_err();
    assert!(
        e.to_string()
            .contains("nested kustomization directories (limit 5)"),
        "{e}"
    );

    // A diamond of directories visited 2^30 times stops at the byte budget, quickly.
    let mut texts = Vec::new();
    for i in 0..30 {
        texts.push((
            format!("d{i}/kustomization.yaml"),
            format!("resources: [../a{i}, ../b{i}]\n"),
        ));
        texts.push((
            format!("a{i}/kustomization.yaml"),
            format!("resources: [../d{}]\n", i + 1),
        ));
        texts.push((
            format!("b{i}/kustomization.yaml"),
            format!("resources: [../d{}]\n", i + 1),
        ));
    }
    texts.push(("d30/kustomization.yaml".into(), "resources: []\n".into()));
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let e = build(&files(&refs), "d0", &Overrides::default()).unwrap_err();
    assert!(e.to_string().contains("stopped this build after"), "{e}");
}
