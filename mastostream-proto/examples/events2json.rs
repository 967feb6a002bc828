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

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

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
            "--chunk" => args.chunk = Some(common::chunk_size(it.next())?),
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
            let t = common::now();
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
    let (input, chunks) = match common::read_chunks(args.chunk) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("events2json: reading stdin: {e}");
            return ExitCode::from(1);
        }
    };
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
            let t = common::now();
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
    common::exit("events2json", result)
}
