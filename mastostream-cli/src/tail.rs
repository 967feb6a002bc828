//! `mastostream tail`: open the stream (the demo's without `--instance`), print every
//! item, and end with the documented exit code: 0 done, 1 fatal, 130 interrupted.

use std::time::{Duration, Instant};

use mastostream_tokio::{Client, Error, EventStream, StreamTransport};

use crate::cli::{Streams, TailArgs, status_timelines};
use crate::report::Printer;
use crate::signal::Interrupts;

/// How long a stream may take to end after it was asked to close (the session's own
/// close handshake is bounded by `close_grace`, 1 s): past it, `tail` exits anyway.
const CLOSE_BOUND: Duration = Duration::from_secs(5);

/// Exit code: done (`--limit`, the stream closed, the demo's end, stdout closed), or
/// healthy.
pub(crate) const OK: u8 = 0;
/// Exit code: a fatal error, or not healthy.
pub(crate) const FATAL: u8 = 1;
/// Exit code: bad arguments (clap's own).
pub(crate) const USAGE: u8 = 2;
/// Exit code: interrupted (Ctrl-C), as shells report a process ended by SIGINT.
pub(crate) const INTERRUPTED: u8 = 130;

/// Why `tail` is closing its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closing {
    /// `--limit` reached.
    Limit,
    /// stdout is closed.
    Stdout,
    /// Ctrl-C.
    Interrupt,
}

/// Runs `tail` to its exit code. `streams` is what [`TailArgs::streams`] made of `args`.
pub(crate) async fn run(args: &TailArgs, streams: Streams) -> u8 {
    let started = Instant::now();
    let mut interrupts = Interrupts::install();
    let mut out = Printer::new(args.json, args.ws);
    let demo = match start_demo(args, &mut out) {
        Ok(demo) => demo,
        Err(code) => return code,
    };
    let url = match (&args.instance, &demo) {
        (Some(url), _) => url.clone(),
        (None, Some(demo)) => demo_url(demo),
        // `start_demo` gives a demo, or an error, whenever `--instance` is missing.
        (None, None) => return USAGE,
    };
    let mut stream = match open(&url, args, &streams) {
        Ok(stream) => stream,
        Err(e) => {
            out.fatal(&e, json_error(&e.to_string()));
            out.summary(started.elapsed(), FATAL);
            return FATAL;
        }
    };
    let mut closing: Option<(Closing, Instant)> = None;
    let result = loop {
        let deadline = closing.map(|(_, at)| at + CLOSE_BOUND);
        let next = tokio::select! {
            next = stream.next() => next,
            () = interrupts.next() => {
                if closing.is_some_and(|(why, _)| why == Closing::Interrupt) {
                    // A second Ctrl-C: stop waiting for the close.
                    break Ok(());
                }
                out.simple("interrupted", "interrupted: closing the stream");
                stream.close();
                closing = Some((Closing::Interrupt, Instant::now()));
                continue;
            }
            () = sleep_until(deadline) => break Ok(()),
        };
        let item = match next {
            None => break Ok(()),
            Some(Err(e)) => break Err(Fail::Stream(e)),
            Some(Ok(item)) => item,
        };
        if closing.is_some() && item.event().is_some() {
            // Closing: what still arrives is not printed (`--limit` means N events).
            continue;
        }
        let written = out.item(&item);
        let why = match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Some(Closing::Stdout),
            Err(e) => break Err(Fail::Stdout(e)),
            Ok(()) if args.limit.is_some_and(|n| out.counts().events >= n) => Some(Closing::Limit),
            Ok(()) => None,
        };
        if let (Some(why), None) = (why, closing) {
            stream.close();
            closing = Some((why, Instant::now()));
        }
    };
    let code = exit_code(
        result,
        closing.map(|(why, _)| why),
        demo.is_some(),
        &mut out,
    );
    out.summary(started.elapsed(), code);
    // The demo server (if any) stops here, when `demo` goes.
    code
}

/// The exit code for how the stream ended, with the fatal error (or the demo's end) said.
fn exit_code(
    result: Result<(), Fail>,
    closing: Option<Closing>,
    demo: bool,
    out: &mut Printer,
) -> u8 {
    match (result, closing) {
        (_, Some(Closing::Interrupt)) => INTERRUPTED,
        (Ok(()), _) => OK,
        (Err(Fail::Stream(e)), _) if demo && is_demo_end(&e) => {
            out.simple("demo_ended", "the demo's stream has ended");
            OK
        }
        // Closing for --limit or a closed stdout: an error on the way out changes nothing.
        (Err(_), Some(_)) => OK,
        (Err(Fail::Stream(e)), None) => {
            out.fatal(&e, e.summary_json());
            FATAL
        }
        (Err(Fail::Stdout(e)), None) => {
            let words = format!("writing to stdout failed: {e}");
            out.fatal(&words, json_error(&words));
            FATAL
        }
    }
}

/// Why the loop stopped with an error.
#[derive(Debug)]
enum Fail {
    /// The stream's fatal error.
    Stream(Error),
    /// stdout failed, other than by being closed.
    Stdout(std::io::Error),
}

/// `{"kind":"error","status":null,"error":...}`.
fn json_error(words: &str) -> String {
    crate::json::Obj::kind("error")
        .raw("status", "null")
        .str("error", words)
        .end()
}

/// Opens the stream: the client for `url`, the session configuration for the transport
/// and streams, resume points for `--since-id`.
fn open(
    url: &str,
    args: &TailArgs,
    streams: &Streams,
) -> Result<EventStream, mastostream_tokio::ConfigError> {
    let client = Client::new(url)?.token_opt(args.auth.token());
    #[cfg(feature = "native-roots")]
    let client = client.native_roots(true)?;
    let transport = match streams {
        Streams::Sse(_) => StreamTransport::Sse,
        Streams::Ws(_) => StreamTransport::WebSocket,
    };
    let mut cfg = client.session_config(transport, streams.channels().iter().cloned());
    if let Some(id) = &args.since_id {
        for channel in streams.channels() {
            for timeline in status_timelines(channel) {
                cfg = cfg.resume_from(timeline, id.as_str());
            }
        }
    }
    Ok(client.open(cfg))
}

/// Sleeps until `deadline`; forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(feature = "demo")]
type Demo = mastostream_cli::demo::Demo;
/// A build without the demo never has one.
#[cfg(not(feature = "demo"))]
type Demo = std::convert::Infallible;

#[cfg(feature = "demo")]
fn demo_url(demo: &Demo) -> String {
    demo.url()
}

#[cfg(not(feature = "demo"))]
fn demo_url(demo: &Demo) -> String {
    match *demo {}
}

/// Without `--instance`, starts the demo server (and says so).
#[cfg(feature = "demo")]
fn start_demo(args: &TailArgs, out: &mut Printer) -> Result<Option<Demo>, u8> {
    use mastostream_cli::demo::DemoOptions;
    if args.instance.is_some() {
        return Ok(None);
    }
    let demo = Demo::start(DemoOptions::default());
    out.demo(&demo.url());
    Ok(Some(demo))
}

/// Without `--instance`, there is nothing to follow in a build without the demo.
#[cfg(not(feature = "demo"))]
fn start_demo(args: &TailArgs, _out: &mut Printer) -> Result<Option<Demo>, u8> {
    if args.instance.is_some() {
        return Ok(None);
    }
    eprintln!("error: --instance is required (this build has no offline demo)");
    Err(USAGE)
}

/// Whether a fatal error is the demo server saying its stream is over.
#[cfg(feature = "demo")]
fn is_demo_end(e: &Error) -> bool {
    use mastostream_cli::demo::{END_MESSAGE, END_STATUS};
    e.status() == Some(END_STATUS) && e.server_message() == Some(END_MESSAGE)
}

#[cfg(not(feature = "demo"))]
fn is_demo_end(_: &Error) -> bool {
    false
}
