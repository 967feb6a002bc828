//! The fleet's test harness: the real NATS cluster (started by `.ci/nats-cluster`), worker
//! processes (the built binary), fake Mastodon instances, and readers of what JetStream
//! stored. Nothing here mocks NATS.

#![allow(dead_code, unreachable_pub)]

pub mod proxy;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures_util::StreamExt;
use mastostream_testkit::fake::{FakeServer, ServerOptions};
use serde_json::Value;

/// The scenario tests share one cluster and kill its nodes: one at a time.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The cluster's URLs; a loud failure when the cluster is not set up.
pub fn urls() -> String {
    std::env::var("MASTOSTREAM_NATS_URLS").unwrap_or_else(|_| {
        panic!(
            "MASTOSTREAM_NATS_URLS is not set: the fleet's tests need a real 3-node NATS cluster. \
             Start one with `bash .ci/nats-cluster start target/nats-cluster` and \
             `eval \"$(bash .ci/nats-cluster env target/nats-cluster)\"` (sets \
             MASTOSTREAM_NATS_URLS and MASTOSTREAM_NATS_DIR), then run the tests again."
        )
    })
}

/// The cluster's directory (for killing and restarting nodes).
pub fn cluster_dir() -> String {
    std::env::var("MASTOSTREAM_NATS_DIR").unwrap_or_else(|_| {
        panic!("MASTOSTREAM_NATS_DIR is not set: eval \"$(bash .ci/nats-cluster env DIR)\" sets it")
    })
}

/// Runs `.ci/nats-cluster ARGS...`.
pub fn cluster(args: &[&str]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/nats-cluster");
    let status = Command::new("bash")
        .arg(script)
        .args(args)
        .status()
        .expect("run .ci/nats-cluster");
    assert!(status.success(), ".ci/nats-cluster {args:?} failed");
}

/// A root unique to this test run.
pub fn root(test: &str) -> String {
    let n = std::process::id() % 100_000;
    format!("t{test}-{n}")
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mastostream-fleet")
}

fn log_dir(root: &str) -> PathBuf {
    let d = std::env::temp_dir()
        .join("mastostream-fleet-tests")
        .join(root);
    std::fs::create_dir_all(&d).expect("log dir");
    d
}

/// Runs the CLI; panics with its output unless it succeeds. Returns standard output.
pub fn cli(root: &str, args: &[&str]) -> String {
    let out = Command::new(bin())
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run mastostream-fleet");
    assert!(
        out.status.success(),
        "mastostream-fleet {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The timing options every test process uses: short leases, a short catch-up deadline.
pub const TIMING: &[&str] = &["--lease-ttl", "6s", "--duplicate-window", "3m"];

/// Registers a stream.
pub fn add(root: &str, nats: &str, instance: &str, stream: &str, tag: Option<&str>) {
    let mut args = vec![
        "add",
        "--nats",
        nats,
        "--instance",
        instance,
        "--stream",
        stream,
    ];
    if let Some(t) = tag {
        args.extend(["--tag", t]);
    }
    args.extend(TIMING);
    cli(root, &args);
}

/// A worker process and the ownership lines it printed.
pub struct Worker {
    pub name: String,
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    reader: Option<JoinHandle<()>>,
    pub log: PathBuf,
}

impl Worker {
    pub fn start(root: &str, name: &str, nats: &str, extra: &[&str]) -> Worker {
        let log = log_dir(root).join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).expect("worker log");
        let mut child = Command::new(bin())
            .args(["--root", root, "worker", "--nats", nats, "--name", name])
            .args(TIMING)
            .args(["--catch-up-deadline", "20s"])
            .args(extra)
            .env("RUST_LOG", "info,mastostream_tokio=warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start worker");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        Worker {
            name: name.to_owned(),
            child,
            lines,
            reader: Some(reader),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its ownership lines so far.
    pub fn events(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    /// Keys it claimed and has not given up (by its own lines).
    pub fn holding(&self) -> Vec<String> {
        let mut held: Vec<String> = Vec::new();
        for e in self.events() {
            let key = e["key"].as_str().unwrap_or_default().to_owned();
            match e["event"].as_str() {
                Some("claimed") => held.push(key),
                Some("released" | "lost" | "removed") => held.retain(|k| *k != key),
                _ => {}
            }
        }
        held
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the graceful hand-over.
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// Waits (at most `limit`) until `f` holds, polling; panics naming `what`.
pub fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A fake Mastodon instance with wall-clock heartbeats.
pub fn instance() -> Arc<FakeServer> {
    Arc::new(FakeServer::start(ServerOptions {
        heartbeat_every: Some(Duration::from_secs(2)),
        ..ServerOptions::default()
    }))
}

/// Publishes a status on every server every `every`, until stopped; records the ids by
/// server URL.
pub struct Publisher {
    stop: Arc<AtomicBool>,
    ids: Arc<Mutex<HashMap<String, Vec<u64>>>>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    pub fn start(servers: Vec<Arc<FakeServer>>, every: Duration) -> Publisher {
        let stop = Arc::new(AtomicBool::new(false));
        let ids: Arc<Mutex<HashMap<String, Vec<u64>>>> = Arc::default();
        let (s, i) = (stop.clone(), ids.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                for server in &servers {
                    let id = server.publish_update();
                    i.lock().unwrap().entry(server.url()).or_default().push(id);
                }
                std::thread::sleep(every);
            }
        });
        Publisher {
            stop,
            ids,
            thread: Some(thread),
        }
    }

    /// The ids published on `url` so far.
    pub fn ids(&self, url: &str) -> Vec<u64> {
        self.ids
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .unwrap_or_default()
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One stored message.
#[derive(Clone, Debug)]
pub struct Stored {
    pub seq: u64,
    pub subject: String,
    pub worker: String,
    pub lease: u64,
    pub body: Value,
}

impl Stored {
    /// The status id of an `update`.
    pub fn status_id(&self) -> Option<u64> {
        self.body["payload"]["id"].as_str()?.parse().ok()
    }

    pub fn recovered(&self) -> bool {
        self.body["recovered"] == Value::Bool(true)
    }
}

/// Every message under `<root>.>` in the fleet's stream, in sequence order. Retries while
/// JetStream elects leaders.
pub fn read_all(root: &str) -> Vec<Stored> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let addrs: Vec<String> = urls().split(',').map(str::to_owned).collect();
        let client = async_nats::connect(addrs).await.expect("connect to NATS");
        let js = jetstream::new(client);
        let name = root.to_ascii_uppercase().replace('-', "_");
        let mut delay = Duration::from_millis(250);
        for _ in 0..40 {
            match read_once(&js, &name, root).await {
                Ok(v) => return v,
                Err(e) => {
                    eprintln!("reading {name}: {e}; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
        panic!("could not read stream {name} from JetStream");
    })
}

async fn read_once(js: &jetstream::Context, name: &str, root: &str) -> Result<Vec<Stored>, String> {
    let stream = js.get_stream(name).await.map_err(|e| e.to_string())?;
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: format!("{root}.>"),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(3), messages.next()).await;
        let msg = match next {
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => break,
            // Nothing more within 3 s: an empty filter, or the end.
            Err(_) if out.is_empty() => break,
            Err(_) => return Err("stalled".into()),
        };
        let info = msg.info().map_err(|e| e.to_string())?;
        let (seq, pending) = (info.stream_sequence, info.pending);
        let header = |n: &str| {
            msg.headers
                .as_ref()
                .and_then(|h| h.get(n))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default()
        };
        out.push(Stored {
            seq,
            subject: msg.subject.to_string(),
            worker: header("Mastostream-Worker"),
            lease: header("Mastostream-Lease").parse().unwrap_or(0),
            body: serde_json::from_slice(&msg.payload).unwrap_or(Value::Null),
        });
        if pending == 0 {
            break;
        }
    }
    Ok(out)
}

/// Per status id, how many `update` messages on `subject_prefix` hold it.
pub fn counts(stored: &[Stored], subject_prefix: &str) -> HashMap<u64, usize> {
    let mut c = HashMap::new();
    for m in stored
        .iter()
        .filter(|m| m.subject.starts_with(subject_prefix) && m.subject.ends_with(".update"))
    {
        if let Some(id) = m.status_id() {
            *c.entry(id).or_default() += 1;
        }
    }
    c
}

/// Waits until every id is stored on `subject_prefix`, then checks each is there exactly
/// once and that nothing else is.
pub fn assert_exactly_once(
    root: &str,
    subject_prefix: &str,
    ids: &[u64],
    limit: Duration,
) -> Vec<Stored> {
    let mut last = Vec::new();
    wait_until(
        &format!("all {} statuses on {subject_prefix}", ids.len()),
        limit,
        || {
            last = read_all(root);
            let c = counts(&last, subject_prefix);
            ids.iter().all(|i| c.contains_key(i))
        },
    );
    let c = counts(&last, subject_prefix);
    let dups: Vec<_> = c.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        dups.is_empty(),
        "{subject_prefix}: stored more than once: {dups:?}"
    );
    let extra: Vec<_> = c.keys().filter(|i| !ids.contains(i)).collect();
    assert!(
        extra.is_empty(),
        "{subject_prefix}: statuses never published: {extra:?}"
    );
    last
}

/// The subject prefix of a stream key: `<root>.<key>.`.
pub fn prefix(root: &str, key: &str) -> String {
    format!("{root}.{key}.")
}

/// The key of a stream on a fake server.
pub fn key_of(server: &FakeServer, stream: &str, tag: Option<&str>) -> String {
    let addr = server.addr();
    mastostream_fleet::names::StreamKey::new(
        mastostream_fleet::names::instance_token(&addr.ip().to_string(), addr.port()),
        mastostream_fleet::names::stream_token(stream, tag),
    )
    .to_string()
}

/// Which workers hold `key` now (by their lines).
pub fn holders(workers: &[&Worker], key: &str) -> Vec<String> {
    workers
        .iter()
        .filter(|w| w.holding().iter().any(|k| k == key))
        .map(|w| w.name.clone())
        .collect()
}

/// Whether some worker printed `event` for `key`.
pub fn saw(workers: &[&Worker], event: &str, key: &str) -> bool {
    workers.iter().any(|w| {
        w.events()
            .iter()
            .any(|e| e["event"] == event && e["key"] == key)
    })
}

/// Starts workers w1, w2, w3 and waits until every key in `keys` is live.
pub fn three_workers_live(root: &str, nats: &str, keys: &[String], limit: Duration) -> Vec<Worker> {
    let workers: Vec<Worker> = ["w1", "w2", "w3"]
        .iter()
        .map(|n| Worker::start(root, n, nats, &[]))
        .collect();
    let all: Vec<&Worker> = workers.iter().collect();
    for k in keys {
        wait_until(&format!("{k} live"), limit, || saw(&all, "live", k));
    }
    workers
}
