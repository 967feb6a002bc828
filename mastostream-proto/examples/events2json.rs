//! `events2json`: the typed-event decoder's conformance driver (a stable contract).
//!
//! ```text
//! cargo run --release -p mastostream-proto --example events2json -- [--http] [--chunk N] [--simd] [--summary] < input
//! ```
//!
//! Reads a raw SSE body from stdin — or with `--http` a whole HTTP/1.1 response (head, then a
//! chunked, length-delimited or close-delimited body) — feeds it to the decoder in chunks of
//! `N` bytes (default: one chunk), then signals the end of input. Prints one JSON object per
//! line, in stream order, as [`Event::summary_json`] writes them (`{"kind":"update","id":ID,
//! "acct":ACCT}`, `{"kind":"heartbeat"}` for each comment line, `{"kind":"malformed",...}`,
//! ...), and for a fatal error `{"kind":"error","status":S,"error":MSG}` (S is the HTTP
//! status or null).
//!
//! `--summary` prints only `{"bytes":B,"events":N,"by_kind":{...},"malformed":M,"parse_ns":T}`
//! at the end: `events` counts every event except heartbeats (malformed and unknown ones
//! included), `by_kind` counts every item by its `kind` (heartbeats included), and T is the
//! time spent inside the decoder (framing and JSON decoding). `--simd` decodes with
//! simd-json (build with `--features simd-json`). Exits 0 on any input, 2 on bad arguments.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use mastostream_proto::{Decoder, Event, JsonBackend, Limits};

struct Args {
    http: bool,
    chunk: Option<usize>,
    json: JsonBackend,
    summary: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        http: false,
        chunk: None,
        json: JsonBackend::SerdeJson,
        summary: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--http" => args.http = true,
            "--chunk" => {
                let n = it.next().ok_or("--chunk needs a value")?;
                let n: usize = n
                    .parse()
                    .map_err(|_| format!("--chunk: not a number: {n}"))?;
                if n == 0 {
                    return Err("--chunk must be at least 1".into());
                }
                args.chunk = Some(n);
            }
            "--simd" => args.json = simd_backend()?,
            "--summary" => args.summary = true,
            "-h" | "--help" => {
                return Err(
                    "usage: events2json [--http] [--chunk N] [--simd] [--summary] < input".into(),
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[cfg(feature = "simd-json")]
fn simd_backend() -> Result<JsonBackend, String> {
    Ok(JsonBackend::SimdJson)
}

#[cfg(not(feature = "simd-json"))]
fn simd_backend() -> Result<JsonBackend, String> {
    Err("--simd needs a build with `--features simd-json`".into())
}

#[allow(clippy::disallowed_methods)] // a driver, not proto: it times the decoder
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

struct Driver {
    decoder: Decoder,
    json: JsonBackend,
    summary: bool,
    events: u64,
    malformed: u64,
    by_kind: BTreeMap<&'static str, u64>,
    time: Duration,
}

impl Driver {
    /// Hands out every item the decoder has, timing only the decoder.
    fn drain(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        loop {
            let t = now();
            let item = self
                .decoder
                .poll()
                .map(|r| r.map(|frame| frame.into_event(self.json)));
            self.time += t.elapsed();
            let line = match item {
                None => return Ok(()),
                Some(Ok(None)) => continue,
                Some(Ok(Some(event))) => {
                    self.count(&event);
                    event.summary_json()
                }
                Some(Err(e)) => {
                    *self.by_kind.entry("error").or_default() += 1;
                    e.summary_json()
                }
            };
            if !self.summary {
                writeln!(out, "{line}")?;
            }
        }
    }

    fn count(&mut self, event: &Event) {
        let kind = match event {
            Event::Malformed { .. } => "malformed",
            e => e.kind().as_str(),
        };
        *self.by_kind.entry(kind).or_default() += 1;
        if !event.is_heartbeat() {
            self.events += 1;
        }
        if event.is_malformed() {
            self.malformed += 1;
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("events2json: {e}");
            return ExitCode::from(2);
        }
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("events2json: reading stdin: {e}");
        return ExitCode::from(1);
    }
    let input = Bytes::from(input);
    let chunk = args.chunk.unwrap_or(input.len().max(1));
    let chunks: Vec<Bytes> = (0..input.len())
        .step_by(chunk)
        .map(|i| input.slice(i..(i + chunk).min(input.len())))
        .collect();
    let limits = Limits::default();
    let mut driver = Driver {
        decoder: if args.http {
            Decoder::http(limits)
        } else {
            Decoder::body(limits)
        },
        json: args.json,
        summary: args.summary,
        events: 0,
        malformed: 0,
        by_kind: BTreeMap::new(),
        time: Duration::ZERO,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = (|| -> std::io::Result<()> {
        for c in chunks {
            let t = now();
            driver.decoder.feed(c);
            driver.time += t.elapsed();
            driver.drain(&mut out)?;
        }
        driver.decoder.feed_eof();
        driver.drain(&mut out)?;
        if driver.summary {
            let by_kind: Vec<String> = driver
                .by_kind
                .iter()
                .map(|(k, n)| format!("\"{k}\":{n}"))
                .collect();
            writeln!(
                out,
                "{{\"bytes\":{},\"events\":{},\"by_kind\":{{{}}},\"malformed\":{},\"parse_ns\":{}}}",
                input.len(),
                driver.events,
                by_kind.join(","),
                driver.malformed,
                driver.time.as_nanos()
            )?;
        }
        out.flush()
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("events2json: writing stdout: {e}");
            ExitCode::from(1)
        }
    }
}
