use super::glob::glob;
use super::*;

const CODECOMMIT: &str = "git-codecommit.us-east-1.amazonaws.com";

fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/config"), config).unwrap();
    home
}

#[test]
fn codecommit_user_comes_from_the_config() {
    let home = home_with(
        "# CodeCommit over SSH\n\
             Host git-codecommit.*.amazonaws.com\n\
             \x20 User APKAEIBAERJR2EXAMPLE\n\
             \x20 IdentityFile ~/.ssh/codecommit_rsa\n",
    );
    let config = SshConfig::load(home.path());
    let h = config.resolve(CODECOMMIT, None, None, home.path(), &[]);
    assert_eq!(h.user.as_deref(), Some("APKAEIBAERJR2EXAMPLE"));
    assert_eq!(h.hostname, CODECOMMIT);
    assert_eq!(h.port, 22);
    assert_eq!(
        h.identity_files,
        vec![home.path().join(".ssh/codecommit_rsa")]
    );
    assert_eq!(
        h.known_hosts_files,
        vec![
            home.path().join(".ssh/known_hosts"),
            home.path().join(".ssh/known_hosts2")
        ]
    );
    // The URL's own user wins, as `ssh user@host` beats `User`.
    let h = config.resolve(CODECOMMIT, Some("APKAOTHER"), None, home.path(), &[]);
    assert_eq!(h.user.as_deref(), Some("APKAOTHER"));
    // Another host gets nothing from that block.
    let h = config.resolve("github.com", None, None, home.path(), &[]);
    assert_eq!(h.user, None);
    assert!(h.identity_files.is_empty());
}

#[test]
fn first_value_wins_identity_files_add_up_and_tokens_expand() {
    let home = home_with(
        "Host gitbox\n\
             \tHostName=%h.internal.example\n\
             \tPort 2222\n\
             \tIdentityFile \"~/.ssh/id gitbox\"\n\
             \tIdentitiesOnly yes\n\
             Host git*\n\
             \tPort 2200\n\
             \tUser deploy\n\
             \tIdentityFile %d/.ssh/%r@%h_%p\n\
             Host *\n\
             \tUser nobody\n\
             \tUserKnownHostsFile ~/.ssh/kh_%n /etc/fluxdeck_kh\n",
    );
    let config = SshConfig::load(home.path());
    let h = config.resolve("gitbox", None, None, home.path(), &[]);
    assert_eq!(h.hostname, "gitbox.internal.example");
    assert_eq!(h.port, 2222, "the first Port found wins");
    assert_eq!(
        h.user.as_deref(),
        Some("deploy"),
        "the first User found wins"
    );
    assert!(h.identities_only);
    assert_eq!(
        h.identity_files,
        vec![
            home.path().join(".ssh/id gitbox"),
            home.path().join(".ssh/deploy@gitbox.internal.example_2222"),
        ]
    );
    assert_eq!(
        h.known_hosts_files,
        vec![
            home.path().join(".ssh/kh_gitbox"),
            PathBuf::from("/etc/fluxdeck_kh")
        ]
    );
    // The URL's port beats the config, as `ssh -p`.
    assert_eq!(
        config
            .resolve("gitbox", None, Some(29418), home.path(), &[])
            .port,
        29418
    );
    let other = config.resolve("example.org", None, None, home.path(), &[]);
    assert_eq!(other.user.as_deref(), Some("nobody"));
    assert_eq!(other.port, 22);
    assert!(!other.identities_only);
}

#[test]
fn patterns_negation_case_and_several_per_line() {
    let home = home_with(
        "Host *.corp.example !bastion.corp.example other?\n  User corp\n\
             Host BASTION.corp.example\n  User jump\n",
    );
    let config = SshConfig::load(home.path());
    let user = |host: &str| config.resolve(host, None, None, home.path(), &[]).user;
    assert_eq!(user("git.corp.example").as_deref(), Some("corp"));
    assert_eq!(user("Git.Corp.Example").as_deref(), Some("corp"));
    assert_eq!(user("bastion.corp.example").as_deref(), Some("jump"));
    assert_eq!(user("other1").as_deref(), Some("corp"));
    assert_eq!(user("other12"), None);
    assert_eq!(user("corp.example"), None);
}

#[test]
fn includes_match_all_and_unsupported_match() {
    let home = home_with(
        "Include config.d/*.conf\n\
             Match exec \"true\"\n  User from-match-exec\n\
             Match all\n  Port 2022\n",
    );
    let dir = home.path().join(".ssh/config.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("10-git.conf"),
        "Host gitbox\n  User from-include\n",
    )
    .unwrap();
    std::fs::write(dir.join("20-all.conf"), "Host *\n  HostName 127.0.0.1\n").unwrap();
    std::fs::write(dir.join("ignored.txt"), "Host *\n  User wrong\n").unwrap();
    let config = SshConfig::load(home.path());
    let h = config.resolve("gitbox", None, None, home.path(), &[]);
    assert_eq!(h.user.as_deref(), Some("from-include"));
    assert_eq!(h.hostname, "127.0.0.1");
    assert_eq!(h.port, 2022);
    let other = config.resolve("elsewhere", None, None, home.path(), &[]);
    assert_eq!(other.user, None, "a Match exec block is skipped");
}

#[test]
fn a_missing_config_is_empty() {
    let home = tempfile::tempdir().unwrap();
    let h = SshConfig::load(home.path()).resolve("h", None, None, home.path(), &[]);
    assert_eq!(h.hostname, "h");
    assert_eq!(h.port, 22);
    assert_eq!(h.user, None);
}

#[test]
fn ssh_urls_split_and_resolve() {
    let u = SshUrl::parse("ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/config").unwrap();
    assert_eq!(u.user, None);
    assert_eq!(u.host, CODECOMMIT);
    assert_eq!(u.path, "/v1/repos/config");
    let u2 = SshUrl::parse("git@github.com:org/repo.git").unwrap();
    assert_eq!(u2.user.as_deref(), Some("git"));
    assert_eq!(u2.host, "github.com");
    assert_eq!(u2.path, "org/repo.git");
    let u3 = SshUrl::parse("ssh://me@[::1]:2222/srv/r.git").unwrap();
    assert_eq!((u3.host.as_str(), u3.port), ("::1", Some(2222)));
    assert!(SshUrl::parse("https://example.org/r.git").is_none());
    assert!(SshUrl::parse("/srv/repo.git").is_none());
    assert!(SshUrl::parse("./a:b").is_none());

    let target = SshHost {
        alias: "gitbox".into(),
        hostname: "127.0.0.1".into(),
        user: Some("APKA EXAMPLE".into()),
        port: 2222,
        identity_files: Vec::new(),
        identities_only: false,
        known_hosts_files: Vec::new(),
    };
    assert_eq!(
        u.resolved(&target),
        "ssh://APKA%20EXAMPLE@127.0.0.1:2222/v1/repos/config"
    );
    assert_eq!(
        u2.resolved(&target),
        "ssh://APKA%20EXAMPLE@127.0.0.1:2222/~/org/repo.git"
    );
}

#[test]
fn glob_matches_like_ssh() {
    assert!(glob(b"*", b""));
    assert!(glob(
        b"git-codecommit.*.amazonaws.com",
        b"git-codecommit.eu-west-1.amazonaws.com"
    ));
    assert!(!glob(
        b"git-codecommit.*.amazonaws.com",
        b"git-codecommit.amazonaws.com.evil"
    ));
    assert!(glob(b"a?c*", b"abcdef"));
    assert!(!glob(b"a?c", b"ac"));
}
