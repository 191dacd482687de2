use super::*;

const USER_FILE: &str = "\
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: Q0E=
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
    namespace: payments
current-context: prod
preferences: {}
users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
";

fn entry() -> Entry {
    Entry {
        server: "https://127.0.0.1:41234".into(),
        ca_data: "Q0FfREFUQQ==".into(),
        token: "sandbox-token".into(),
    }
}

fn parse(path: &Path) -> Value {
    read(path).unwrap().unwrap()
}

fn names(config: &Value, list: &str) -> Vec<String> {
    config[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn merges_into_a_users_file_and_takes_out_exactly_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, USER_FILE).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let before = parse(&path);
    let merged = merge(&path, &entry(), false).unwrap();
    assert!(!merged.switched_context());
    let during = parse(&path);
    assert_eq!(names(&during, "clusters"), ["prod", CONTEXT]);
    assert_eq!(names(&during, "users"), ["admin", CONTEXT]);
    assert_eq!(names(&during, "contexts"), ["prod", CONTEXT]);
    assert_eq!(during["current-context"], "prod");
    assert_eq!(during["users"][0], before["users"][0]);
    assert_eq!(during["contexts"][0], before["contexts"][0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    merged.remove().unwrap();
    assert_eq!(parse(&path), before);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn a_file_without_current_context_gets_the_sandbox_and_then_none_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, USER_FILE.replace("current-context: prod", "")).unwrap();
    let merged = merge(&path, &entry(), false).unwrap();
    assert!(merged.switched_context());
    assert_eq!(parse(&path)["current-context"], CONTEXT);
    merged.remove().unwrap();
    let after = parse(&path);
    assert_eq!(after["current-context"], "");
    assert_eq!(names(&after, "contexts"), ["prod"]);
}

#[test]
fn switching_is_asked_for_and_undone_and_a_created_file_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, USER_FILE).unwrap();
    let merged = merge(&path, &entry(), true).unwrap();
    assert_eq!(parse(&path)["current-context"], CONTEXT);
    merged.remove().unwrap();
    assert_eq!(parse(&path)["current-context"], "prod");

    let fresh = dir.path().join("sub").join("kubeconfig");
    let merged = merge(&fresh, &entry(), false).unwrap();
    let config = parse(&fresh);
    assert_eq!(config["current-context"], CONTEXT);
    assert_eq!(config["users"][0]["user"]["token"], "sandbox-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    merged.remove().unwrap();
    assert!(!fresh.exists());
}

#[test]
fn a_stale_sandbox_entry_is_replaced_and_a_foreign_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, USER_FILE).unwrap();
    let stale = merge(&path, &entry(), false).unwrap();
    drop(stale); // a sandbox that was killed: its entries stay
    let again = merge(
        &path,
        &Entry {
            server: "https://127.0.0.1:5555".into(),
            ..entry()
        },
        false,
    )
    .unwrap();
    let config = parse(&path);
    assert_eq!(names(&config, "clusters"), ["prod", CONTEXT]);
    assert_eq!(
        config["clusters"][1]["cluster"]["server"],
        "https://127.0.0.1:5555"
    );
    again.remove().unwrap();

    let foreign = USER_FILE.replace(
        "name: prod\n  cluster:",
        "name: fluxdeck-sandbox\n  cluster:",
    );
    fs::write(&path, &foreign).unwrap();
    let err = merge(&path, &entry(), false).unwrap_err().to_string();
    assert!(
        err.contains("prod.example.com") && err.contains("delete-cluster"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        foreign,
        "left untouched"
    );
    fs::write(&path, "clusters: [").unwrap();
    let err = merge(&path, &entry(), false).unwrap_err().to_string();
    assert!(err.contains("left untouched"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_symlinked_kubeconfig_stays_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real-config");
    fs::write(&target, USER_FILE).unwrap();
    let link = dir.path().join("config");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let merged = merge(&link, &entry(), false).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(names(&parse(&target), "clusters"), ["prod", CONTEXT]);
    merged.remove().unwrap();
    assert_eq!(names(&parse(&link), "clusters"), ["prod"]);
}
