//! Measures N concurrent idle streams on one (current-thread) runtime: resident memory per
//! stream and CPU, plaintext or TLS. Linux only (reads `/proc/self`).
//!
//! ```text
//! ulimit -n 20000
//! cargo run --release -p mastostream-tokio --example idle_streams -- --streams 10000 [--tls]
//!     [--hold 12] [--beat 5]
//! ```
//!
//! Measured on the 2-core workspace machine (heartbeats every 5 s, held 12 s):
//!
//! | streams | transport | RSS per stream | CPU while idle |
//! |---|---|---|---|
//! | 1,000 | plaintext | 14.5 KiB | ~0 % of a core |
//! | 10,000 | plaintext | 14.3 KiB | 0.6 % of a core |
//! | 1,000 | TLS | 25.4 KiB | 0.2 % of a core |
//! | 10,000 | TLS | 24.4 KiB | 0.7 % of a core |
//!
//! The server is this same program started as a child process (`--serve`), so that the
//! client's memory is measured alone: a minimal loopback streaming server that answers every
//! request with Mastodon's SSE head and `:)`, then sends `:thump` every `--beat` seconds.
//! The client opens N `public` streams (no discovery, no catch-up) and waits until all are
//! live; it reports resident memory before and after, and the CPU time used while holding
//! them for `--hold` seconds.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mastostream_fake::TestCa;
use mastostream_tokio::{Client, Item};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Args {
    streams: usize,
    tls: bool,
    hold: u64,
    beat: u64,
    serve: bool,
}

fn args() -> Args {
    let mut a = Args {
        streams: 1000,
        tls: false,
        hold: 12,
        beat: 5,
        serve: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse().ok()).expect("a number");
        match arg.as_str() {
            "--streams" => a.streams = num() as usize,
            "--hold" => a.hold = num(),
            "--beat" => a.beat = num(),
            "--tls" => a.tls = true,
            "--serve" => a.serve = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// Resident memory in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|x| x.1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 (1-based), 12 and 13 after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nCache-Control: private, no-store\r\n\r\n3\r\n:)\n\r\n";

/// The child: a minimal streaming server. Prints its port, then (with TLS) the CA's DER as
/// hex, on stdout.
async fn serve(a: &Args) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ca = a.tls.then(TestCa::new);
    let acceptor = ca
        .as_ref()
        .map(|ca| tokio_rustls::TlsAcceptor::from(ca.server_config()));
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr().unwrap().port()).unwrap();
    let hex: String = ca
        .as_ref()
        .map(|ca| ca.ca_der().iter().map(|b| format!("{b:02x}")).collect())
        .unwrap_or_default();
    writeln!(out, "{hex}").unwrap();
    out.flush().unwrap();
    let beat = Duration::from_secs(a.beat);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                Some(acc) => {
                    if let Ok(tls) = acc.accept(tcp).await {
                        stream(tls, beat).await;
                    }
                }
                None => stream(tcp, beat).await,
            }
        });
    }
}

async fn stream<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut io: S,
    beat: Duration,
) {
    let mut buf = [0u8; 2048];
    let mut seen = 0;
    while !buf[..seen].windows(4).any(|w| w == b"\r\n\r\n") && seen < buf.len() {
        match io.read(&mut buf[seen..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen += n,
        }
    }
    if io.write_all(HEAD).await.is_err() || io.flush().await.is_err() {
        return;
    }
    let mut tick = tokio::time::interval(beat);
    tick.tick().await;
    loop {
        tick.tick().await;
        if io.write_all(b"7\r\n:thump\n\r\n").await.is_err() || io.flush().await.is_err() {
            return;
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    if a.serve {
        serve(&a).await;
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", "--beat", &a.beat.to_string()])
        .args(a.tls.then_some("--tls"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = lines.next().unwrap().unwrap().trim().parse().unwrap();
    let hex = lines.next().unwrap().unwrap();
    let scheme = if a.tls { "https" } else { "http" };
    let mut client = Client::new(&format!("{scheme}://127.0.0.1:{port}"))
        .unwrap()
        .discover(false)
        .configure(|c| c.catch_up.enabled = false);
    if a.tls {
        let der: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        client = client.add_root_certificate(der.into()).unwrap();
    }

    let before = rss_kib();
    let live = Arc::new(AtomicUsize::new(0));
    let beats = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(a.streams);
    for _ in 0..a.streams {
        let mut s = client.stream_public();
        let (live, beats) = (live.clone(), beats.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(item) = s.next().await {
                match item {
                    Ok(Item::Connected { .. }) => {
                        live.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Item::Event(e)) if e.event.is_heartbeat() => {
                        beats.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Item::Disconnected { error }) => eprintln!("disconnected: {error}"),
                    _ => {}
                }
            }
        }));
    }
    while live.load(Ordering::Relaxed) < a.streams {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if started.elapsed() > Duration::from_secs(120) {
            eprintln!(
                "only {} of {} streams live",
                live.load(Ordering::Relaxed),
                a.streams
            );
            break;
        }
    }
    let connect_time = started.elapsed();
    let after = rss_kib();
    let cpu0 = cpu_time();
    let beats0 = beats.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(a.hold)).await;
    let cpu = cpu_time() - cpu0;
    let held_rss = rss_kib();
    let n = live.load(Ordering::Relaxed).max(1) as u64;
    println!(
        "{} streams ({}): live after {:.2} s; RSS {} KiB -> {} KiB ({} KiB after {} s) = {:.1} KiB per stream; \
         CPU while idle: {:.3} s over {} s ({:.2}% of one core), {} heartbeats handled",
        n,
        if a.tls { "TLS" } else { "plaintext" },
        connect_time.as_secs_f64(),
        before,
        after,
        held_rss,
        a.hold,
        (held_rss.max(after) - before) as f64 / n as f64,
        cpu.as_secs_f64(),
        a.hold,
        100.0 * cpu.as_secs_f64() / a.hold as f64,
        beats.load(Ordering::Relaxed) - beats0,
    );
    for t in &tasks {
        t.abort();
    }
    let _ = child.kill();
    let _ = child.wait();
}
