//! Scale measurements for one worker process (figures in the crate README).
//!
//! ```sh
//! cargo build --release -p mastostream-fleet --example scale --bin mastostream-fleet
//! eval "$(bash .ci/nats-cluster env target/nats-cluster)"
//! # N idle streams (heartbeats only) on S fake instances: memory, CPU, lease traffic
//! target/release/examples/scale idle 10000 100
//! # events per second one worker publishes to the 3-node cluster (S instances, E each)
//! target/release/examples/scale publish 4 20000
//! ```
//!
//! The fake instances are the testkit's loopback servers, in this process, with many
//! hashtag streams on each (one SSE connection per stream, as the worker opens them).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mastostream_fleet::nats::{ConnectOptions, connect, setup};
use mastostream_fleet::registry::{Registration, add};
use mastostream_fleet::{FleetConfig, names::Names};
use mastostream_testkit::fake::{FakeServer, ServerOptions};

fn worker_bin() -> String {
    let exe = std::env::current_exe().expect("exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("mastostream-fleet").to_string_lossy().into_owned()
}

fn proc_stat(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let cpu = fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (cpu, rss)
}

async fn stream_state(js: &async_nats::jetstream::Context, name: &str) -> (u64, u64) {
    match js.get_stream(name).await {
        Ok(mut s) => match s.info().await {
            Ok(i) => (i.state.last_sequence, i.state.messages),
            Err(_) => (0, 0),
        },
        Err(_) => (0, 0),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("idle");
    let a: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1000);
    let b: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(10);
    let urls = std::env::var("MASTOSTREAM_NATS_URLS")
        .expect("MASTOSTREAM_NATS_URLS (see .ci/nats-cluster env)");
    let root = format!("scale{}", std::process::id() % 100_000);
    let cfg = FleetConfig {
        names: Names::new(&root).unwrap(),
        ..FleetConfig::default()
    };
    let nats = connect(&urls, &ConnectOptions::default())
        .await
        .expect("connect");
    let buckets = setup(&nats, &cfg).await.expect("setup");
    let (streams, instances) = if mode == "idle" { (a, b) } else { (a, 1) };
    let servers: Vec<Arc<FakeServer>> = (0..if mode == "idle" { instances } else { a })
        .map(|_| {
            Arc::new(FakeServer::start(ServerOptions {
                heartbeat_every: Some(Duration::from_secs(15)),
                ..ServerOptions::default()
            }))
        })
        .collect();
    let t0 = Instant::now();
    let mut first_key = String::new();
    for i in 0..streams {
        let server = &servers[i % servers.len()];
        let (stream, tag) = if mode == "idle" {
            ("hashtag", Some(format!("t{i}")))
        } else {
            ("public:local", None)
        };
        let reg = Registration::new(&server.url(), stream, tag.as_deref(), None, None).unwrap();
        let key = add(&buckets, &reg).await.expect("register");
        if first_key.is_empty() {
            first_key = key.to_string();
        }
    }
    eprintln!(
        "registered {streams} streams on {} instances in {:?}",
        servers.len(),
        t0.elapsed()
    );

    let mut child = Command::new(worker_bin())
        .args([
            "--root", &root, "worker", "--nats", &urls, "--name", "bench",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the worker (build it: cargo build --release -p mastostream-fleet)");
    let pid = child.id();
    let live = Arc::new(AtomicUsize::new(0));
    let l = live.clone();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("\"event\":\"live\"") {
                l.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let t1 = Instant::now();
    while live.load(Ordering::Relaxed) < streams {
        assert!(
            t1.elapsed() < Duration::from_secs(900),
            "only {} of {streams} live",
            live.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("all {streams} streams live after {:?}", t1.elapsed());

    if mode == "idle" {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let leases = format!("KV_{root}-leases");
        let (seq0, _) = stream_state(&nats.js, &leases).await;
        let (cpu0, _) = proc_stat(pid);
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (seq1, _) = stream_state(&nats.js, &leases).await;
        let (cpu1, rss) = proc_stat(pid);
        let secs = t.elapsed().as_secs_f64();
        let tick = 100.0; // USER_HZ
        let entry = buckets
            .leases
            .entry(format!("lease.{first_key}"))
            .await
            .ok()
            .flatten();
        let value = entry.map_or(0, |e| e.value.len());
        println!(
            "idle: {streams} streams on {} instances: RSS {:.1} MiB ({:.1} KiB/stream), CPU {:.1}% of one core, \
             lease writes {:.0}/s of {value} B values (+ ~120 B subject and headers each)",
            servers.len(),
            rss as f64 / 1024.0,
            rss as f64 / streams as f64,
            (cpu1 - cpu0) as f64 / tick / secs * 100.0,
            (seq1 - seq0) as f64 / secs
        );
    } else {
        let per = b;
        let name = cfg.names.stream_name();
        let (_, before) = stream_state(&nats.js, &name).await;
        let t = Instant::now();
        let threads: Vec<_> = servers
            .iter()
            .map(|s| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..per {
                        s.publish_update();
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        let published = t.elapsed();
        let want = before + (per * servers.len()) as u64;
        loop {
            let (_, n) = stream_state(&nats.js, &name).await;
            if n >= want {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(600),
                "{n} of {want} stored"
            );

            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let secs = t.elapsed().as_secs_f64();
        let (_, rss) = proc_stat(pid);
        println!(
            "publish: {} events over {} streams stored in {secs:.1} s: {:.0} events/s (fake servers wrote them in {published:?}); worker RSS {:.1} MiB",
            per * servers.len(),
            servers.len(),
            (per * servers.len()) as f64 / secs,
            rss as f64 / 1024.0
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
