//! `sse2json`: the SSE framer's conformance driver (a stable contract).
//!
//! ```text
//! cargo run --release -p mastostream-proto --example sse2json -- [--chunk N] [--summary] < body.sse
//! ```
//!
//! Reads a raw SSE body (no HTTP head) from stdin, feeds it to the parser in chunks of `N`
//! bytes (default: one chunk), then signals the end of input. Prints one JSON object per
//! line, in stream order:
//!
//! - `{"type":"event","event":E,"data":D,"id":I}` for each dispatched event;
//! - `{"type":"retry","ms":N}` for each accepted `retry` field;
//! - `{"type":"comment","text":T}` for each comment (T is everything after the colon).
//!
//! With `--summary`, prints only `{"bytes":B,"events":N,"comments":C,"parse_ns":T}`, where T
//! is the time spent inside the parser. Exits 0 on any input, 2 on bad arguments.

mod common;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use mastostream_proto::{Decoder, Frame, Limits};

struct Args {
    chunk: Option<usize>,
    summary: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        chunk: None,
        summary: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--chunk" => args.chunk = Some(common::chunk_size(it.next())?),
            "--summary" => args.summary = true,
            "-h" | "--help" => {
                return Err("usage: sse2json [--chunk N] [--summary] < body.sse".into());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sse2json: {e}");
            return ExitCode::from(2);
        }
    };
    let (input, chunks) = match common::read_chunks(args.chunk) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("sse2json: reading stdin: {e}");
            return ExitCode::from(1);
        }
    };

    // Generous limits: the driver reports what the stream says, not what a client keeps.
    let limits = Limits {
        max_line: usize::MAX,
        max_event: usize::MAX,
        ..Limits::default()
    };
    let mut driver = Driver {
        decoder: Decoder::body(limits),
        summary: args.summary,
        events: 0,
        comments: 0,
        parse: Duration::ZERO,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = (|| -> std::io::Result<()> {
        for c in chunks {
            let t = common::now();
            driver.decoder.feed(c);
            driver.parse += t.elapsed();
            driver.drain(&mut out)?;
        }
        driver.decoder.feed_eof();
        driver.drain(&mut out)?;
        if driver.summary {
            writeln!(
                out,
                "{{\"bytes\":{},\"events\":{},\"comments\":{},\"parse_ns\":{}}}",
                input.len(),
                driver.events,
                driver.comments,
                driver.parse.as_nanos()
            )?;
        }
        out.flush()
    })();
    common::exit("sse2json", result)
}

struct Driver {
    decoder: Decoder,
    summary: bool,
    events: u64,
    comments: u64,
    parse: Duration,
}

impl Driver {
    /// Hands out every frame the decoder has, timing only the decoder.
    fn drain(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        loop {
            let t = common::now();
            let frame = self.decoder.poll();
            self.parse += t.elapsed();
            let Some(frame) = frame else { return Ok(()) };
            match frame {
                Ok(Frame::Event(e)) => {
                    self.events += 1;
                    if !self.summary {
                        writeln!(
                            out,
                            "{{\"type\":\"event\",\"event\":{},\"data\":{},\"id\":{}}}",
                            json(&e.event_type_str()),
                            json(&e.data_str()),
                            json(&e.last_event_id_str())
                        )?;
                    }
                }
                Ok(Frame::Comment(text)) => {
                    self.comments += 1;
                    if !self.summary {
                        let text = String::from_utf8_lossy(&text);
                        writeln!(out, "{{\"type\":\"comment\",\"text\":{}}}", json(&text))?;
                    }
                }
                Ok(Frame::Retry(ms)) if !self.summary => {
                    writeln!(out, "{{\"type\":\"retry\",\"ms\":{ms}}}")?;
                }
                // A bare body has no head and the limits are off: only the end remains.
                Ok(_) | Err(_) => {}
            }
        }
    }
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}
