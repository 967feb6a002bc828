//! The `tail` examples' command-line contract, checked on the real example binary: each
//! adapter's `tests/tail.rs` builds its own example and runs these same checks, so both
//! examples answer the same arguments with the same output and exit codes.
//!
//! ```text
//! let exe = contract::build_example("mastostream-smol", "tail-smol", cfg!(feature = "native-roots"));
//! contract::demo_json(&exe);
//! ```
//!
//! The `--ws` checks are in the same list: [`ws_demo_json`], [`ws_arguments`],
//! [`ws_refused_subscription`], [`ws_fatal_error`] and (on Unix) [`ws_interrupt`].

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::corpus::{self, EventKind, GeneratedEvent};
use crate::fake::demo::{self, DemoOptions};
use crate::fake::{FakeServer, ServerOptions};

/// Builds `package`'s `example` (its `tail` example) with `cargo build` (the features `cargo test` was
/// given, so that nothing rebuilds) and returns the executable's path.
///
/// # Panics
/// If the build fails.
pub fn build_example(package: &str, example: &str, native_roots: bool) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // Not the variables cargo set for this test: build scripts that track them (ring's
    // tracks `CARGO_MANIFEST_DIR`) would see a change and rebuild.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        {
            cmd.env_remove(&*name);
        }
    }
    cmd.args([
        "build",
        "--quiet",
        "--message-format=json",
        "--example",
        example,
        "-p",
        package,
    ]);
    if native_roots {
        cmd.args(["--features", "native-roots"]);
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo build of {package}'s {example} failed"
    );
    // The artifact message of the example: `"executable":"..."` (a JSON string).
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains(&format!("\"name\":\"{example}\"")) && l.contains("\"executable\":\""))
        .expect("the example's artifact");
    let start = line.find("\"executable\":\"").unwrap() + "\"executable\":\"".len();
    let end = start + line[start..].find('"').unwrap();
    PathBuf::from(line[start..end].replace("\\\\", "\\"))
}

/// How long one run of the example may take before it is killed (and the check fails).
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn run(exe: &Path, args: &[&str]) -> Output {
    let child = Command::new(exe)
        .args(args)
        .env_remove("MASTODON_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(out) => out.expect("the example's output"),
        Err(_) => {
            kill(pid, "-KILL");
            panic!("{} {args:?} ran for more than {RUN_LIMIT:?}", exe.display());
        }
    }
}

/// Sends a signal (`-INT`, `-KILL`) to a process.
fn kill(pid: u32, signal: &str) {
    let killed = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "kill {signal} {pid}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The demo with `--json`: exit 0; stdout carries one JSON object per event; every status
/// of the demo's corpus arrives exactly once, in order (the drop is caught up); stderr
/// carries the `--` lines and ends with the demo's end.
pub fn demo_json(exe: &Path) {
    let out = run(exe, &["--json"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "exit code; stderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("{\"kind\":\"") && l.ends_with('}')),
        "only JSON objects on stdout"
    );
    let updates: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("{\"kind\":\"update\",\"id\":\""))
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    let want: Vec<u64> = corpus::events(&demo::corpus_config(&DemoOptions::default()))
        .filter_map(|e| match e {
            GeneratedEvent::Event(e) if e.kind == EventKind::Update => e.id,
            _ => None,
        })
        .collect();
    assert_eq!(updates, want, "every status exactly once, in order");
    let events = lines
        .iter()
        .filter(|l| **l != "{\"kind\":\"heartbeat\"}")
        .count();
    assert!(stderr.lines().all(|l| l.starts_with("-- ")), "{stderr}");
    assert!(stderr.contains("-- caught up on home: "), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some(format!("-- demo stream ended after {events} events").as_str())
    );
}

/// `--limit N` exits 0 after N events (heartbeats not counted).
pub fn limit(exe: &Path) {
    let out = run(exe, &["--json", "--limit", "5"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let events = stdout
        .lines()
        .filter(|l| *l != "{\"kind\":\"heartbeat\"}")
        .count();
    assert_eq!(events, 5, "{stdout}");
}

/// Bad arguments exit 2 with one line (and the usage) on stderr, before any connection.
pub fn bad_arguments(exe: &Path) {
    for (args, message) in [
        (&["--bogus"][..], "tail: unknown argument \"--bogus\""),
        (&["--limit", "x"][..], "tail: --limit: not a number: x"),
        (&["--stream", "hashtag"][..], "tail: "),
        (&["--stream", "nonsense"][..], "tail: "),
        (&["--instance", "ftp://x"][..], "tail: "),
    ] {
        let out = run(exe, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

/// A fatal error (the server's `401`) exits 1 with the server's message in one line on
/// stderr; the token is sent and never printed.
pub fn fatal_error(exe: &Path) {
    let server = FakeServer::start(ServerOptions {
        token: Some("right-token".into()),
        ..ServerOptions::default()
    });
    let out = run(
        exe,
        &["--instance", &server.url(), "--token", "wrong-token-7b"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("tail: ") && stderr.contains("Invalid access token"));
    let all = format!("{stderr}{}", text(&out.stdout));
    assert!(!all.contains("wrong-token-7b"), "token printed: {all}");
    let streams: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_stream())
        .collect();
    assert_eq!(streams.len(), 1, "a 401 is not retried");
    assert_eq!(
        streams[0].header("authorization"),
        Some("Bearer wrong-token-7b")
    );
}

/// Ctrl-C (`SIGINT`) while streaming the demo closes the stream: exit 0, no panic (three
/// times: a race between the signal and the stream's end must not matter). Human output
/// meanwhile: `--` lines and one line per event, kind first.
#[cfg(unix)]
pub fn interrupt(exe: &Path) {
    for _ in 0..3 {
        interrupt_once(exe);
    }
}

#[cfg(unix)]
fn interrupt_once(exe: &Path) {
    let mut child = Command::new(exe)
        .env_remove("MASTODON_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    let start = Instant::now();
    // Interrupt after a few events, mid-stream.
    while seen
        .iter()
        .filter(|l: &&String| l.starts_with("update "))
        .count()
        < 3
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no events: {seen:?}"
        );
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("stdout ended early: {seen:?}");
        }
        seen.push(line.trim_end().to_owned());
    }
    kill(child.id(), "-INT");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "Ctrl-C must close cleanly: {stderr}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    assert!(seen[0].starts_with("-- demo server on http://127.0.0.1:"));
    assert!(seen[1].starts_with("-- connected to http://127.0.0.1:"));
    // `{kind:<14} {rest}`: an update's kind is padded to 14 columns, then the account.
    let updates: Vec<&String> = seen.iter().filter(|l| l.starts_with("update")).collect();
    assert!(
        updates.iter().all(|l| l.starts_with("update         @")),
        "{updates:?}"
    );
    assert!(
        !rest.contains("demo stream ended"),
        "interrupted before the end"
    );
}

mod ws;

#[cfg(unix)]
pub use ws::ws_interrupt;
pub use ws::{ws_arguments, ws_demo_json, ws_fatal_error, ws_refused_subscription};
