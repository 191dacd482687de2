//! Tests of commit message rendering: Flux's reference templates and Go's template rules.

use super::*;
use crate::setters::rewrite::{Change, ObjectId};
use crate::setters::tree::FileChange;

fn change(
    file: &str,
    kind: &str,
    ns: &str,
    name: &str,
    old: &str,
    new: &str,
    setter: &str,
) -> FileChange {
    FileChange {
        file: file.into(),
        change: Change {
            object: ObjectId {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: name.into(),
                namespace: ns.into(),
            },
            setter: setter.into(),
            old_value: old.into(),
            new_value: new.into(),
            missing_metadata: false,
        },
    }
}

fn data() -> TemplateData {
    TemplateData {
        automation_namespace: "test-ns".into(),
        automation_name: "test-update".into(),
        changes: vec![change(
            "deploy.yaml",
            "Deployment",
            "",
            "test",
            "helloworld:1.0.0",
            "helloworld:1.0.1",
            "test-ns:policy",
        )],
        values: [
            ("cluster".to_owned(), "prod".to_owned()),
            ("testing".to_owned(), "value".to_owned()),
        ]
        .into_iter()
        .collect(),
    }
}

fn render(template: &str, data: &TemplateData) -> String {
    commit_message(Some(template), data).unwrap_or_else(|e| panic!("{template:?}: {e}"))
}

fn err(template: &str) -> String {
    commit_message(Some(template), &data())
        .unwrap_err()
        .to_string()
}

#[test]
fn no_template_is_the_default_message() {
    assert_eq!(commit_message(None, &data()).unwrap(), DEFAULT_MESSAGE);
    assert_eq!(
        commit_message(Some(""), &data()).unwrap(),
        "Update from image update automation"
    );
}

#[test]
fn reference_template_prints_each_new_value_on_its_own_line() {
    let template = "{{range .Changed.Changes}}{{println .NewValue}}{{end}}";
    let tag_in = |file| {
        change(
            file,
            "Kustomization",
            "",
            "",
            "latest",
            "main-1f49071-24",
            "sock-shop:p:tag",
        )
    };
    let mut d = data();
    d.changes = vec![
        change(
            "kustomization.yaml",
            "Kustomization",
            "",
            "",
            "a",
            "registry/front-end",
            "sock-shop:p:name",
        ),
        tag_in("kustomization.yaml"),
        // the same change in another file is listed once
        tag_in("other.yaml"),
    ];
    assert_eq!(
        render(template, &d),
        "registry/front-end\nmain-1f49071-24\n"
    );
}

#[test]
fn upstream_style_result_template() {
    let template = r#"Commit summary with ResultV2

Automation: {{ .AutomationObject }}

{{ range $filename, $objchange := .Changed.FileChanges -}}
- File: {{ $filename }}
{{- range $obj, $changes := $objchange }}
  - Object: {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}
    Changes:
{{- range $_ , $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
{{ end -}}
"#;
    assert_eq!(
        render(template, &data()),
        "Commit summary with ResultV2\n\nAutomation: test-ns/test-update\n\n- File: deploy.yaml\n  - Object: Deployment//test\n    Changes:\n    - helloworld:1.0.0 -> helloworld:1.0.1\n"
    );
}

#[test]
fn values_by_field_and_index() {
    let template = "Cluster: {{ index .Values \"cluster\" }}\nTesting: {{ .Values.testing }}\nMissing: {{ .Values.nope }}|{{ index .Values \"nope\" }}|";
    assert_eq!(
        render(template, &data()),
        "Cluster: prod\nTesting: value\nMissing: <no value>||"
    );
}

#[test]
fn objects_are_merged_across_files_and_sorted_like_go() {
    let mut d = data();
    d.changes = vec![
        change(
            "b.yaml",
            "Deployment",
            "default",
            "podinfo",
            "podinfo:v1.0.0",
            "podinfo:v1.0.1",
            "flux-system:podinfo",
        ),
        change(
            "a.yaml",
            "Deployment",
            "default",
            "podinfo",
            "1",
            "2",
            "flux-system:replicas",
        ),
        change(
            "a.yaml",
            "CronJob",
            "default",
            "zeta",
            "x",
            "y",
            "flux-system:z",
        ),
    ];
    let objects = "{{ range $o, $c := .Changed.Objects }}{{ $o.Kind }} {{ len $c }};{{ end }}";
    assert_eq!(render(objects, &d), "CronJob 1;Deployment 2;");
    let files = "{{ range $f, $_ := .Changed.FileChanges }}{{ $f }} {{ end }}";
    assert_eq!(render(files, &d), "a.yaml b.yaml ");
    let printed = "{{ range $o, $_ := .Changed.Objects }}{{ $o }}{{ end }}";
    assert_eq!(
        render(printed, &d),
        "{{{apps/v1 CronJob} {zeta default}}}{{{apps/v1 Deployment} {podinfo default}}}"
    );
    assert_eq!(render("{{ len .Changed.Changes }}", &d), "3");
    assert_eq!(
        render("{{ (index .Changed.Changes 0).Setter }}", &d),
        "flux-system:podinfo"
    );
}

#[test]
fn removed_fields_fail_with_flux_messages() {
    let updated =
        commit_message(Some("{{ range .Updated.Images }}{{.}}{{ end }}"), &data()).unwrap_err();
    assert_eq!(updated, TemplateError::RemovedUpdated);
    assert!(updated.is_removed_field());
    assert_eq!(
        updated.to_string(),
        "template uses removed '.Updated' field. Please use '.Changed' instead. See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template"
    );
    let image_result =
        commit_message(Some("{{ .Changed.ImageResult.Files }}"), &data()).unwrap_err();
    assert_eq!(image_result, TemplateError::RemovedImageResult);
    assert!(image_result.to_string().starts_with("template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or '.Changed.Objects' instead."));
}

#[test]
fn parse_and_run_errors_use_flux_wording() {
    let parse = err("{{ .Changed ");
    assert!(
        parse.starts_with(
            "unable to create commit message template from spec: template: commit message:1: "
        ),
        "{parse}"
    );
    assert!(err("{{ nosuchfunc . }}").contains("function \"nosuchfunc\" not defined"));
    assert!(err("{{ $x }}").contains("undefined variable \"$x\""));
    assert!(err("{{ if . }}").contains("unexpected EOF"));
    assert!(err("{{ end }}").contains("unexpected {{end}}"));
    assert!(err("{{ break }}").contains("outside {{range}}"));
    assert!(err("{{ template \"x\" }}").contains("not supported"));
    let run = err("line one\n{{ .Nope }}");
    assert_eq!(
        run,
        "failed to run template from spec: template: commit message:2:3: executing \"commit message\" at <.Nope>: can't evaluate field Nope in type source.TemplateData"
    );
    assert!(
        err("{{ index .Changed.Changes 5 }}")
            .contains("error calling index: index out of range: 5")
    );
    assert!(
        err("{{ range .AutomationObject.Name }}{{ end }}")
            .contains("range can't iterate over test-update")
    );
    assert!(err("{{ eq 1 \"a\" }}").contains("incompatible types for comparison"));
    assert!(err("{{ \"x\" 1 }}").contains("can't give argument to non-function"));
}

#[test]
fn control_structures_variables_and_trim_markers() {
    let d = data();
    assert_eq!(
        render(
            "{{ if eq .Values.cluster \"prod\" }}P{{ else if .Values.x }}X{{ else }}O{{ end }}",
            &d
        ),
        "P"
    );
    assert_eq!(
        render(
            "{{ if .Values.x }}X{{ else if .Values.testing }}T{{ end }}",
            &d
        ),
        "T"
    );
    assert_eq!(
        render(
            "{{ with .Values.cluster }}[{{ . }}]{{ else }}none{{ end }}",
            &d
        ),
        "[prod]"
    );
    assert_eq!(
        render(
            "{{ with .Values.none }}x{{ else with .Values.testing }}{{ . }}{{ end }}",
            &d
        ),
        "value"
    );
    assert_eq!(
        render(
            "{{ $n := len .Changed.Changes }}{{ $n }} {{ $n = 7 }}{{ $n }}",
            &d
        ),
        "1 7"
    );
    assert_eq!(render("a  {{- \" b \" -}}  c", &d), "a b c");
    assert_eq!(
        render(
            "{{ range $i, $v := list \"x\" \"y\" \"z\" }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ $v }}{{ end }}",
            &d
        ),
        "0x2z"
    );
    assert_eq!(
        render(
            "{{ range 5 }}{{ if gt . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}",
            &d
        ),
        "012"
    );
    assert_eq!(
        render("{{ range .Values.none }}x{{ else }}empty{{ end }}", &d),
        "empty"
    );
    assert_eq!(
        render(
            "{{ range $k, $v := .Values }}{{ $k }}={{ $v }};{{ end }}",
            &d
        ),
        "cluster=prod;testing=value;"
    );
    assert_eq!(
        render(
            "{{ $.AutomationObject.Name }}{{ with .Values }}{{ $.AutomationObject.Namespace }}{{ end }}",
            &d
        ),
        "test-updatetest-ns"
    );
    assert_eq!(render("{{/* a comment */}}ok", &d), "ok");
    assert_eq!(
        render(
            "{{ and 1 0 }} {{ or 0 \"\" \"z\" }} {{ not true }} {{ and .Values.none .Nope }}",
            &d
        ),
        "0 z false <no value>"
    );
}

#[test]
fn printf_pipelines_and_sprig_in_templates() {
    let d = data();
    assert_eq!(
        render(
            "{{ printf \"%s has %d change(s)\" .AutomationObject (len .Changed.Changes) }}",
            &d
        ),
        "test-ns/test-update has 1 change(s)"
    );
    assert_eq!(
        render("{{ .AutomationObject.Name | upper | printf \"%q\" }}", &d),
        "\"TEST-UPDATE\""
    );
    assert_eq!(
        render("{{ print 1 2 \"a\" }}|{{ println \"x\" 3 }}", &d),
        "1 2a|x 3\n"
    );
    assert_eq!(
        render(
            "{{ range .Changed.Changes }}{{ .NewValue | trimPrefix \"helloworld:\" }}{{ end }}",
            &d
        ),
        "1.0.1"
    );
    assert_eq!(
        render(
            "{{ default \"none\" .Values.nope }} {{ .Values.cluster | default \"x\" }}",
            &d
        ),
        "none prod"
    );
}

#[test]
fn garbage_templates_are_errors_never_panics() {
    for t in [
        "{{",
        "}}",
        "{{ ( }}",
        "{{ ) }}",
        "{{ | }}",
        "{{ .A | }}",
        "{{ $ := 1 }}",
        "{{ range $a, $b, $c := . }}{{ end }}",
        "{{ if }}{{ end }}",
        "{{ else }}",
        "{{ 1.2.3 }}",
        "{{ 'ab' }}",
        "{{ \"\\x\" }}",
        "{{ nil }}",
        "{{ . . }}",
        "{{ printf }}",
        "{{ index }}",
        "{{ slice \"abc\" 2 1 }}",
        "{{ len 3 }}",
        "{{ .Values.cluster.x.y }}",
        "{{ range 10000000000 }}{{ end }}",
        "{{ repeat 100000000 \"x\" }}",
        "{{ lt .Values .Values }}",
        "{{ $x := 1 }}{{ $x.Field }}",
        "{{ -}}",
        "{{- }}",
        "{{ .A.B.C }}x",
        "{{ (1).X }}",
    ] {
        let _ = commit_message(Some(t), &data());
    }
}
