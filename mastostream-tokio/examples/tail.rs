//! `tail`: print a Mastodon stream, one line per event (a stable command-line contract).
//!
//! ```text
//! cargo run --release -p mastostream-tokio --example tail -- [--instance URL] [--stream NAME]...
//!     [--tag T]... [--list ID]... [--token T] [--json] [--limit N] [--ws]
//! ```
//!
//! - Without `--instance`, an embedded demo server starts on loopback (the testkit's fake
//!   Mastodon server, in this process) and serves a realistic generated stream over real
//!   HTTP/1.1 chunked SSE with heartbeats (or over its WebSocket, with `--ws`); the client
//!   connects to it exactly as to a real instance. Halfway the demo drops the connection
//!   mid-event, so reconnect and catch-up show; when its stream is over it answers the
//!   reconnect with `410` and the message "The demo stream has ended", which `tail`
//!   recognises: it exits 0.
//! - `--stream`: Mastodon's names: `user`, `user:notification`, `public`, `public:local`,
//!   `public:remote`, `public:media`, `public:local:media`, `public:remote:media`,
//!   `hashtag` (with `--tag`), `hashtag:local`, `list` (with `--list`), `direct`. Default:
//!   `user`, or `public` when no token is given for a real instance.
//! - `--token`, or the `MASTODON_TOKEN` environment variable.
//! - Output: one line per event (kind, account, text without HTML, shortened), and lines
//!   starting with `--` for connects, disconnects, reconnects, catch-up and gaps. With
//!   `--json`, stdout carries exactly one `Event::summary_json()` object per event (and
//!   `{"kind":"heartbeat"}` per heartbeat, as `events2json` prints them), and the `--`
//!   lines go to stderr.
//! - `--ws`: Mastodon's multiplexed WebSocket (`wss://HOST/api/v1/streaming`) instead of
//!   SSE, with every `--stream` on one connection: `--stream` may then be repeated, e.g.
//!   `--ws --stream public --stream hashtag --tag rust --stream list --list 42`. Each
//!   `hashtag` or `hashtag:local` stream takes the next `--tag` in the order given, each
//!   `list` stream the next `--list`; a missing or unused `--tag`/`--list` is an argument
//!   error. (Without `--ws`, one `--stream` only.) Human lines start with the stream the
//!   server named, in brackets (`[hashtag rust]`); a subscription the server refuses shows
//!   as a `-- stream error` line and the rest goes on. With `--json`, each line is the same
//!   `Event::summary_json()` object with one more member at the end, `"stream"`: the
//!   server's stream array (`["hashtag","rust"]`), or `null` for an event recovered over
//!   REST after a reconnect (it came from no stream).
//! - `--limit N`: exit 0 after N events (heartbeats not counted). Ctrl-C closes the stream
//!   (over the WebSocket, with a close frame) and exits 0.
//! - A fatal error (such as the server's `401`) exits 1 with one line on stderr; bad
//!   arguments exit 2.
//!
//! The arguments, lines and exit codes live in `mastostream_testkit::tail`, shared with
//! the smol example; this file is tokio's loop.

use std::ops::ControlFlow;
use std::process::ExitCode;

use mastostream_testkit::tail::{self, Start, Streams};
use mastostream_tokio::{Client, Error, EventStream, Item, WsStream};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Start {
        mut tail,
        url,
        token,
        streams,
    } = match tail::start(std::env::args().skip(1)) {
        Ok(start) => start,
        Err(code) => return code,
    };
    let client = match Client::new(&url) {
        Ok(c) => c.token_opt(token),
        Err(e) => return tail::bad_arguments(e),
    };
    let mut stream = match streams {
        Streams::Sse(channel) => Tail::Sse(client.stream(channel)),
        Streams::Ws(channels) => Tail::Ws(client.websocket(channels)),
    };
    // Ctrl-C closes the stream, which then ends cleanly (where no handler can be installed,
    // Ctrl-C keeps its default action). The signal future is polled until it fires, never
    // after: a finished `async fn` panics when polled again.
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    let result = loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                stream.close();
                continue;
            }
        };
        match next {
            None => break Ok(()),
            Some(Err(e)) => break Err(e),
            Some(Ok(item)) => {
                if let ControlFlow::Break(code) = tail.item(&item) {
                    return code;
                }
            }
        }
    };
    tail.end(result)
}

/// What `tail` reads: one SSE stream, or the WebSocket.
enum Tail {
    Sse(EventStream),
    Ws(WsStream),
}

impl Tail {
    async fn next(&mut self) -> Option<Result<Item, Error>> {
        match self {
            Tail::Sse(s) => s.next().await,
            Tail::Ws(s) => s.next().await,
        }
    }

    fn close(&self) {
        match self {
            Tail::Sse(s) => s.close(),
            Tail::Ws(s) => s.close(),
        }
    }
}
