//! Backpressure, measured: a server floods 1 GiB of `update` events at a consumer that
//! sleeps after every event; this prints how far the server got ahead of the consumer and
//! the client process's peak resident memory (`VmHWM` of `/proc/self/status`). Linux only.
//!
//! ```text
//! cargo run --release -p mastostream-tokio --example flood_rss -- [--ws] [--tls]
//!     [--sleep-us 100] [--events 0]
//! ```
//!
//! `--events 0` (the default) takes the whole flood; `--sleep-us` is the consumer's pause
//! per event (a blocking sleep, so that pauses under a millisecond are real).
//!
//! Measured on the 2-core workspace machine, the whole 1 GiB with a 100 µs pause per event
//! (about 400,000 events, 90–105 s):
//!
//! | transport | client peak RSS (VmHWM) | before the stream | server's largest lead |
//! |---|---|---|---|
//! | SSE | 5.6 MiB | 4.4 MiB | 4.0 MiB |
//! | WebSocket | 5.5 MiB | 4.3 MiB | 4.3 MiB |
//! | SSE over TLS | 6.6 MiB | 4.6 MiB | 4.0 MiB |
//! | WebSocket over TLS | 6.5 MiB | 4.3 MiB | 4.4 MiB |
//!
//! The lead (what the server wrote minus what the consumer took) is the kernel's socket
//! buffers plus the client's few queued reads: it does not grow with the flood.
//!
//! The server is the testkit's hostile server ([`Behaviour::Flood`], written by hand, no
//! WebSocket library), started as a child process of this same program (`--serve`) so that
//! the client's memory is measured alone. It writes events as fast as the socket takes
//! them, up to 1 GiB, and counts what it wrote and how often its writes stalled. The client
//! is `mastostream-tokio` with catch-up off (the server has no REST API).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use mastostream_testkit::hostile::{Behaviour, HostileOptions, HostileServer, Listener};
use mastostream_testkit::suite::FLOOD;
use mastostream_tokio::{CertificateDer, Channel, Client, Event, Item};

#[derive(Debug)]
struct Args {
    ws: bool,
    tls: bool,
    sleep: Duration,
    events: u64,
    serve: bool,
}

fn args() -> Args {
    let mut a = Args {
        ws: false,
        tls: false,
        sleep: Duration::from_micros(100),
        events: 0,
        serve: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        match arg.as_str() {
            "--ws" => a.ws = true,
            "--tls" => a.tls = true,
            "--serve" => a.serve = true,
            "--sleep-us" => a.sleep = Duration::from_micros(num()),
            "--events" => a.events = num(),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    a
}

/// `VmHWM` and `VmRSS` of this process, in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// The child: the flood server. Prints its URL and (with TLS) its CA in hex, then answers
/// each `report` line on stdin with `WRITTEN STALLS` for its first connection; exits when
/// stdin closes.
fn serve(tls: bool) {
    let server = HostileServer::start(HostileOptions {
        tls,
        default: Behaviour::Flood { max_bytes: FLOOD },
        ..HostileOptions::default()
    });
    let ca: String = server.ca().map_or_else(String::new, |ca| {
        ca.ca_der().iter().map(|b| format!("{b:02x}")).collect()
    });
    println!("{} {ca}", server.url_of(Listener::Main));
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
        let c = server.connection(0);
        let (written, stalls) = c.map_or((0, 0), |c| (c.bytes_written, c.write_stalls));
        println!("{written} {stalls}");
    }
}

/// The server child and its pipes.
struct Server {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Server {
    fn start(tls: bool) -> (Server, String, Option<CertificateDer<'static>>) {
        let exe = std::env::current_exe().expect("this program");
        let mut cmd = Command::new(exe);
        cmd.arg("--serve");
        if tls {
            cmd.arg("--tls");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server");
        let input = child.stdin.take().expect("its stdin");
        let mut output = BufReader::new(child.stdout.take().expect("its stdout"));
        let mut line = String::new();
        output.read_line(&mut line).expect("its URL");
        let mut parts = line.split_whitespace();
        let url = parts.next().expect("a URL").to_owned();
        let ca = parts.next().map(|hex| {
            let der: Vec<u8> = (0..hex.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                .collect();
            CertificateDer::from(der)
        });
        let server = Server {
            child,
            input,
            output,
        };
        (server, url, ca)
    }

    /// What the server wrote so far on the flood's connection, and its stalls.
    fn report(&mut self) -> (u64, u64) {
        let mut line = String::new();
        let asked = writeln!(self.input, "report").and_then(|()| self.input.flush());
        if asked.is_err() || self.output.read_line(&mut line).is_err() {
            return (0, 0);
        }
        let mut n = line.split_whitespace().map(|v| v.parse().unwrap_or(0));
        (n.next().unwrap_or(0), n.next().unwrap_or(0))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    if args.serve {
        serve(args.tls);
        return Ok(());
    }
    let (mut server, url, ca) = Server::start(args.tls);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut client = Client::new(&url)?
        .discover(false)
        .configure(|c| c.catch_up.enabled = false);
    if let Some(ca) = ca {
        client = client.add_root_certificate(ca)?;
    }
    let (base_hwm, _) = memory();
    let started = Instant::now();
    let (mut events, mut lead, mut checks) = (0u64, 0u64, Vec::new());
    let end = rt.block_on(async {
        let mut stream = if args.ws {
            client.websocket([Channel::public()])
        } else {
            client.stream_public()
        };
        let end = loop {
            match stream.next().await {
                Some(Ok(Item::Event(e))) if matches!(e.event, Event::Update(_)) => {
                    events += 1;
                    // The consumer is slow: a blocking pause per event.
                    std::thread::sleep(args.sleep);
                    if events % 2000 == 0 {
                        checks.push((events, server.report().0));
                    }
                    if events == args.events {
                        break "the events asked for".to_owned();
                    }
                }
                Some(Ok(Item::Disconnected { error })) => break format!("disconnected: {error}"),
                Some(Ok(Item::Reconnecting { error, .. })) => break format!("retry: {error}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("error: {e}"),
                None => break "the end".to_owned(),
            }
        };
        stream.close();
        end
    });
    let elapsed = started.elapsed();
    let (written, stalls) = server.report();
    // Every flooded event has the same size: the server's lead over the consumer at each
    // check is what it wrote minus what the consumer had taken.
    let per_event = written.checked_div(events).unwrap_or(0);
    for (taken, wrote) in &checks {
        lead = lead.max(wrote.saturating_sub(taken * per_event));
    }
    let (hwm, rss) = memory();
    let transport = match (args.ws, args.tls) {
        (true, true) => "WebSocket over TLS",
        (true, false) => "WebSocket",
        (false, true) => "SSE over TLS",
        (false, false) => "SSE",
    };
    println!(
        "transport: {transport}; consumer pause {:?} per event",
        args.sleep
    );
    println!(
        "events taken: {events} in {:.1} s, until {end}",
        elapsed.as_secs_f64()
    );
    println!(
        "server wrote {:.1} MiB of {:.0} MiB offered; its writes stalled {stalls} times",
        mib(written),
        mib(FLOOD)
    );
    println!(
        "largest lead of the server over the consumer: {:.1} MiB (kernel buffers + client)",
        mib(lead)
    );
    println!(
        "client peak RSS (VmHWM): {:.1} MiB (before the stream: {:.1} MiB); RSS now {:.1} MiB",
        hwm as f64 / 1024.0,
        base_hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    Ok(())
}
