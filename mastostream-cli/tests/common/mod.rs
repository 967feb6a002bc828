//! Running the `mastostream` binary as a child process, with every wait bounded.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one run may take before it is killed and the test fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(90);

/// The binary, with a clean environment for what it reads (no token, no colour settings).
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mastostream"));
    cmd.args(args)
        .env_remove("MASTODON_TOKEN")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `mastostream args...` to its end; kills it (and fails) after [`RUN_LIMIT`].
pub fn run(args: &[&str]) -> Output {
    run_command(command(args), args)
}

/// Runs a prepared command to its end, bounded like [`run`].
pub fn run_command(mut cmd: Command, what: &[&str]) -> Output {
    let child = cmd.spawn().expect("mastostream runs");
    wait(child, what)
}

/// Waits for a child's end and output; kills it (and fails) after [`RUN_LIMIT`].
pub fn wait(child: Child, what: &[&str]) -> Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(out) => out.expect("mastostream's output"),
        Err(_) => {
            signal(pid, "-KILL");
            panic!("mastostream {what:?} ran for more than {RUN_LIMIT:?}");
        }
    }
}

/// Sends a signal (`-INT`, `-KILL`) to a process.
pub fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill {signal} {pid}");
}

/// Lossy text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every line of `text` as a JSON object (fails on any other line).
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v.is_object(), "not an object: {l}");
            assert!(l.starts_with("{\"kind\":\""), "kind first: {l}");
            v
        })
        .collect()
}

/// Reads lines from a child's stdout (or stderr) on a thread, so that a test can wait for
/// a line with a bound.
pub struct Lines {
    rx: mpsc::Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Lines {
    /// Starts reading `stdout` (or any pipe).
    pub fn new(stdout: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 30 s) until `n` lines satisfy `pred`; fails naming `what`.
    pub fn wait_for(&mut self, what: &str, n: usize, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.seen.iter().filter(|l| pred(l)).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("waited 30 s for {what}; stdout so far: {:?}", self.seen),
            }
        }
    }

    /// Every line until stdout ends (at most 30 s).
    pub fn rest(&mut self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut rest = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => rest.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return rest,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("stdout did not end in 30 s"),
            }
        }
    }
}

/// Reads a child's stderr to its end on a thread.
pub fn read_all(mut r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    rx
}

/// The summary line (`--json`): the last line of stderr.
pub fn summary(stderr: &str) -> serde_json::Value {
    let last = stderr.lines().last().expect("a summary line");
    let v: serde_json::Value = serde_json::from_str(last).expect("the summary is JSON");
    assert_eq!(v["kind"], "summary", "{last}");
    v
}
