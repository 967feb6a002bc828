//! Arguments: errors exit 2 with a message that says what is wrong (and nothing is
//! connected); `--help` documents the flags, every `--json` field and the exit codes.

mod common;

use common::{command, run, run_command, text};
use mastostream_fake::{FakeServer, ServerOptions};

#[test]
fn bad_arguments_exit_2_with_a_helpful_message_before_any_connection() {
    let server = FakeServer::start(ServerOptions::default());
    let url = server.url();
    let cases: &[(&[&str], &str)] = &[
        (&["tail", "--bogus"], "unexpected argument '--bogus'"),
        (&["bogus"], "unrecognized subcommand 'bogus'"),
        (
            &["tail", "--limit", "x"],
            "invalid value 'x' for '--limit <N>'",
        ),
        (
            &["tail", "--limit", "0"],
            "invalid value '0' for '--limit <N>'",
        ),
        (
            &["tail", "--token"],
            "a value is required for '--token <TOKEN>'",
        ),
        (
            &["tail", "--stream", "nonsense"],
            "[possible values: user, user:notification, public",
        ),
        (
            &["tail", "--instance", "ftp://x"],
            "invalid value 'ftp://x' for '--instance <URL>'",
        ),
        (
            &["tail", "--since-id", "12 34"],
            "a status id is 1 to 64 letters and digits",
        ),
        (
            &["health"],
            "the following required arguments were not provided",
        ),
        (
            &["tail", "--instance", &url, "--stream", "hashtag"],
            "--stream hashtag: Missing tag name parameter (give it a --tag)",
        ),
        (
            &["tail", "--instance", &url, "--stream", "list"],
            "--stream list: Missing list name parameter (give it a --list)",
        ),
        (
            &[
                "tail",
                "--instance",
                &url,
                "--stream",
                "public",
                "--stream",
                "user",
            ],
            "several --stream, --tag or --list need --ws",
        ),
        (
            &[
                "tail",
                "--instance",
                &url,
                "--ws",
                "--stream",
                "public",
                "--tag",
                "rust",
            ],
            "--tag rust: no hashtag stream left to take it",
        ),
        (
            &[
                "tail",
                "--instance",
                &url,
                "--ws",
                "--stream",
                "list",
                "--list",
                "1",
                "--list",
                "2",
            ],
            "--list 2: no list stream left to take it",
        ),
        (
            &[
                "tail",
                "--instance",
                &url,
                "--stream",
                "user:notification",
                "--since-id",
                "5",
            ],
            "--since-id: no status timeline in user:notification",
        ),
    ];
    for (args, message) in cases {
        let out = run(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains(message),
            "{args:?}: want {message:?} in {stderr}"
        );
        assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    assert!(
        server.requests().is_empty(),
        "bad arguments connect nowhere"
    );
}

#[test]
fn help_documents_every_flag_json_field_and_exit_code() {
    let out = run(&["tail", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for flag in [
        "--instance <URL>",
        "--stream <NAME>",
        "--tag <TAG>",
        "--list <ID>",
        "--token <TOKEN>",
        "[env: MASTODON_TOKEN]",
        "--json",
        "--limit <N>",
        "--ws",
        "--since-id <ID>",
        "--color <WHEN>",
        "[possible values: user, user:notification, public, public:local, public:remote, \
         public:media, public:local:media, public:remote:media, hashtag, hashtag:local, list, \
         direct]",
    ] {
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(flag), "{flag} in tail --help:\n{help}");
    }
    // Every event field, with the kinds that carry it.
    for field in [
        "kind ",
        "id ",
        "acct ",
        "type ",
        "state ",
        "announcement_id ",
        "name ",
        "error ",
        "stream ",
        "recovered ",
    ] {
        assert!(
            help.contains(&format!("\n  {field}")),
            "field {field} in tail --help"
        );
    }
    // Every diagnostic object.
    for kind in [
        "demo",
        "discovered",
        "transport",
        "connected",
        "disconnected",
        "reconnecting",
        "caught_up",
        "gap",
        "stream_error",
        "interrupted",
        "demo_ended",
        "error",
        "summary",
    ] {
        let obj = format!("{{\"kind\":\"{kind}\"");
        assert!(help.contains(&obj), "{obj} in tail --help");
    }
    for code in ["  0  ", "  1  ", "  2  ", "  130  "] {
        assert!(help.contains(code), "exit code {code:?} in tail --help");
    }

    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for part in ["tail", "health", "Exit codes:", "  130  "] {
        assert!(help.contains(part), "{part} in --help:\n{help}");
    }
    let out = run(&["health", "--help"]);
    let help = text(&out.stdout);
    for part in [
        "--instance <URL>",
        "{\"kind\":\"health\"",
        "\"healthy\":BOOL",
    ] {
        assert!(help.contains(part), "{part} in health --help:\n{help}");
    }
    let out = run(&["--version"]);
    assert_eq!(
        text(&out.stdout).trim(),
        format!("mastostream {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_never_shows_the_token() {
    let mut cmd = command(&["tail", "--help"]);
    cmd.env("MASTODON_TOKEN", "secret-token-4711");
    let out = run_command(cmd, &["tail", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out.stdout).contains("secret-token-4711"));
}
