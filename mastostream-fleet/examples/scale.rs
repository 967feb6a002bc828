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
//! The fake instances are the testkit's loopback servers, with many hashtag streams on
//! each (one SSE connection per stream, as the worker opens them): for the idle run in
//! child processes of this example (`scale serve N`), ~4,000 connections each, since the
//! fake spends two file descriptors per connection; for the publish run in this process.
//!
//! The idle run measures the lease traffic on the cluster itself, from nats-server's
//! monitoring endpoints (`/connz`: the worker's connection; `/routez`: replication between
//! the nodes) and the leases bucket's stream sequence. The endpoints are taken to be at
//! each client port + 4000, as `.ci/nats-cluster` sets them up; set
//! `MASTOSTREAM_NATS_MONITOR=host:port,...` otherwise.

use std::io::{BufRead, BufReader, Read, Write};
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

/// `GET path` on a monitoring endpoint, as JSON (`Null` when it does not answer).
fn monitor(addr: &str, path: &str) -> serde_json::Value {
    let get = || -> std::io::Result<Vec<u8>> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)?;
        Ok(out)
    };
    let raw = get().unwrap_or_default();
    let body = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&[][..], |i| &raw[i + 4..]);
    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null)
}

/// The monitoring endpoints of the cluster's nodes.
fn monitors(urls: &str) -> Vec<String> {
    if let Ok(m) = std::env::var("MASTOSTREAM_NATS_MONITOR") {
        return m.split(',').map(str::to_owned).collect();
    }
    urls.split(',')
        .filter_map(|u| {
            let hostport = u.trim().trim_start_matches("nats://");
            let (host, port) = hostport.rsplit_once(':')?;
            Some(format!("{host}:{}", port.parse::<u32>().ok()? + 4000))
        })
        .collect()
}

/// Traffic counters: the worker's connection (messages and bytes in and out, summed over
/// the nodes it may be on) and the routes between the nodes (bytes sent).
#[derive(Clone, Copy, Debug, Default)]
struct Traffic {
    in_msgs: u64,
    in_bytes: u64,
    out_msgs: u64,
    out_bytes: u64,
    route_bytes: u64,
}

fn traffic(monitors: &[String], conn_name: &str) -> Traffic {
    let mut t = Traffic::default();
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    for m in monitors {
        let connz = monitor(m, "/connz?subs=false&limit=4096");
        for c in connz["connections"].as_array().into_iter().flatten() {
            if c["name"].as_str() == Some(conn_name) {
                t.in_msgs += n(c, "in_msgs");
                t.in_bytes += n(c, "in_bytes");
                t.out_msgs += n(c, "out_msgs");
                t.out_bytes += n(c, "out_bytes");
            }
        }
        let routez = monitor(m, "/routez");
        for r in routez["routes"].as_array().into_iter().flatten() {
            t.route_bytes += n(r, "out_bytes");
        }
    }
    t
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

fn fake() -> Arc<FakeServer> {
    Arc::new(FakeServer::start(ServerOptions {
        heartbeat_every: Some(Duration::from_secs(15)),
        ..ServerOptions::default()
    }))
}

/// `scale serve N`: N fake instances, their URLs on standard output, served until
/// standard input closes (the parent exited).
fn serve(n: usize) {
    let servers: Vec<Arc<FakeServer>> = (0..n).map(|_| fake()).collect();
    let mut out = std::io::stdout();
    for s in &servers {
        let _ = writeln!(out, "{}", s.url());
    }
    let _ = out.flush();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// Starts `instances` fake instances in child processes of ~4,000 connections each.
fn serve_elsewhere(instances: usize, streams: usize) -> (Vec<std::process::Child>, Vec<String>) {
    let procs = streams.div_ceil(4000).clamp(1, instances.max(1));
    let mut children = Vec::new();
    let mut urls = Vec::new();
    for p in 0..procs {
        let n = instances / procs + usize::from(p < instances % procs);
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args(["serve", &n.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start a fake instance process");
        let stdout = child.stdout.take().expect("stdout");
        urls.extend(BufReader::new(stdout).lines().take(n).map_while(Result::ok));
        children.push(child);
    }
    assert_eq!(urls.len(), instances, "every fake instance started");
    (children, urls)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("idle");
    if mode == "serve" {
        return serve(args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1));
    }
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
    let streams = a;
    // Idle: the instances in child processes (each connection costs the fake two file
    // descriptors, and a process may hold 20,000 here); publish: in this process.
    let (servers, mut children, instance_urls) = if mode == "idle" {
        let (children, urls) = serve_elsewhere(b, streams);
        (Vec::new(), children, urls)
    } else {
        let servers: Vec<Arc<FakeServer>> = (0..a).map(|_| fake()).collect();
        let urls = servers.iter().map(|s| s.url()).collect();
        (servers, Vec::new(), urls)
    };
    let t0 = Instant::now();
    let mut first_key = String::new();
    for i in 0..streams {
        let url = &instance_urls[i % instance_urls.len()];
        let (stream, tag) = if mode == "idle" {
            ("hashtag", Some(format!("t{i}")))
        } else {
            ("public:local", None)
        };
        let reg = Registration::new(url, stream, tag.as_deref(), None, None).unwrap();
        let key = add(&buckets, &reg).await.expect("register");
        if first_key.is_empty() {
            first_key = key.to_string();
        }
    }
    eprintln!(
        "registered {streams} streams on {} instances in {:?}",
        instance_urls.len(),
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
        // Streams live at least once, by key.
        let mut keys = std::collections::HashSet::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if v["event"] == "live"
                && let Some(k) = v["key"].as_str()
            {
                keys.insert(k.to_owned());
                l.store(keys.len(), Ordering::Relaxed);
            }
        }
    });
    // Until every stream is live, or the count stopped growing for a minute.
    let t1 = Instant::now();
    let (mut seen, mut grew) = (0, Instant::now());
    while seen < streams && grew.elapsed() < Duration::from_secs(60) {
        assert!(
            t1.elapsed() < Duration::from_secs(900),
            "only {seen} of {streams} live"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = live.load(Ordering::Relaxed);
        if now > seen {
            (seen, grew) = (now, Instant::now());
        }
    }
    eprintln!("{seen} of {streams} streams live after {:?}", t1.elapsed());

    if mode == "idle" {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let leases = format!("KV_{root}-leases");
        let monitors = monitors(&urls);
        let conn = "mastostream-fleet worker bench";
        let (seq0, _) = stream_state(&nats.js, &leases).await;
        let (cpu0, _) = proc_stat(pid);
        let traffic0 = traffic(&monitors, conn);
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (seq1, _) = stream_state(&nats.js, &leases).await;
        let (cpu1, rss) = proc_stat(pid);
        let traffic1 = traffic(&monitors, conn);
        let secs = t.elapsed().as_secs_f64();
        let per_s = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
        let tick = 100.0; // USER_HZ
        let entry = buckets
            .leases
            .entry(format!("lease.{first_key}"))
            .await
            .ok()
            .flatten();
        let value = entry.map_or(0, |e| e.value.len());
        println!(
            "idle: {seen} of {streams} streams live on {} instances: RSS {:.1} MiB ({:.1} KiB/stream), CPU {:.1}% of one core, \
             lease writes {:.0}/s of {value} B values (+ ~120 B subject and headers each)",
            instance_urls.len(),
            rss as f64 / 1024.0,
            rss as f64 / seen.max(1) as f64,
            (cpu1 - cpu0) as f64 / tick / secs * 100.0,
            (seq1 - seq0) as f64 / secs
        );
        println!(
            "idle: worker connection: {:.0} msgs/s ({:.0} KiB/s) to NATS, {:.0} msgs/s ({:.0} KiB/s) from NATS; \
             routes between the nodes: {:.0} KiB/s (monitoring: {})",
            per_s(traffic0.in_msgs, traffic1.in_msgs),
            per_s(traffic0.in_bytes, traffic1.in_bytes) / 1024.0,
            per_s(traffic0.out_msgs, traffic1.out_msgs),
            per_s(traffic0.out_bytes, traffic1.out_bytes) / 1024.0,
            per_s(traffic0.route_bytes, traffic1.route_bytes) / 1024.0,
            monitors.join(",")
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
    for mut c in children.drain(..) {
        drop(c.stdin.take());
        let _ = c.wait();
    }
}
