//! `session_ops`: a [`Session`] (SSE or WebSocket; limits, backoff, caps and catch-up from
//! the input) driven through [`Machine`] by a sequence of inputs read from the fuzzer's
//! bytes, checking its contract after each one.
//!
//! The input is a [`Setup`] followed by [`Op`]s back to back, in the
//! [`wire`](crate::wire) format; [`Input::to_bytes`] writes it, for the seed corpus
//! (`cargo run --example session_seeds`). Server-controlled values reach their whole range
//! (see [`crate::values`]): generated response heads ([`Chunk::Response`], as stream and as
//! REST responses, and [`Op::WsRejected`]) carry `Retry-After` values of any size, length
//! and date, any `Content-Length`, `Transfer-Encoding`, `Location` (any scheme, relative,
//! long, the stream's own URL), rate-limit resets, hundreds of headers and long lines;
//! chunks have any size line; SSE `retry:` fields any value; close frames any code.
//!
//! What [`run`] checks, after every input and draining the outputs to `Wait`:
//! - no panic, no integer overflow (the smoke builds with debug assertions);
//! - the deadline is later than now; nothing but `Wait { deadline: None }` after
//!   `Finished`, which comes once, after every transport was closed (`Close::Now`);
//! - transport ids are never reused; `Transmit` once, to a connected plain transport;
//!   `SendText` only to a connected WebSocket; neither after its close was asked (now or
//!   with a handshake); a handshake only on a connected WebSocket, once, followed by
//!   `Close::Now` within the close grace (a deadline for it is always set, and after a
//!   timeout no handshake is older than the grace);
//! - input about a closed (or never opened) transport produces no output other than
//!   `Wait`; input about one in its close handshake only its `Close::Now` and `Finished`;
//! - after `Command::Close`, no transport is opened, and once the close grace is over (at
//!   a timeout) the session is finished;
//! - the token goes only to the instance and the streaming server it named, over TLS, and
//!   never in a URL; a stream request asks for `text/event-stream`, a REST one for JSON;
//! - `buffered()` bytes within the configured limits, held events ≤ `max_held`;
//! - items fit the configuration: no heartbeats when they are off, no recovered events,
//!   `CaughtUp` or `Gap` with catch-up off, `StreamError` only from a WebSocket, SSE
//!   events on the configured channel, `Connected` with the configured transport;
//! - every `Reconnecting` delay is at most `max(backoff max (or min, if larger),
//!   max_server_delay)`, at least the backoff floor and what the server asked for (up to
//!   the cap); `capped` is `Some(asked)` exactly when the server asked for more than
//!   `max_server_delay` (asked: the `Retry-After` of a retried status, read by an
//!   independent oracle, or the latest `retry:`, read by a mirror decoder, whichever is
//!   longer); the next stream connect never comes before the announced delay, and the
//!   session's deadline wakes it up for it.

mod check;
mod input;
mod server;

use std::time::Duration;

use mastostream_proto::session::{Command, Input as In, Machine, Session, TransportError};
use mastostream_proto::testing::{t0, wall0};

use check::Checker;
pub use check::Summary;
pub use input::{
    Body, CLOSE_CODES, Chunk, CloseCode, CloseFrame, Input, MAX_SERVER_DELAYS, Message, Op, Setup,
    TOKEN, channels,
};
pub use server::{BODIES, fragments, ws_messages};

/// Runs the input, panicking on the first broken property.
pub fn run(input: &Input) -> Summary {
    let setup = &input.setup;
    let cfg = setup.config();
    let limits = cfg.limits;
    let max_bytes =
        limits.max_head + limits.max_line.max(2) + limits.max_event + limits.max_error_body;
    let max_held = setup.max_held();
    let all = channels();
    let start = t0();
    let mut s = Session::new(cfg.clone(), start, wall0());
    let mut c = Checker::new(setup, cfg, start, wall0());
    let (_, mut deadline) = c.drain(&mut s, None);
    assert!(c.summary.transports > 0, "a new session connects at once");

    for op in &input.ops {
        if c.trace {
            eprintln!("{op:?}");
        }
        let mut timeout_at = None;
        let mut about = None;
        let mut transport = |p: u8| {
            let t = c.pick(p);
            about = t;
            t
        };
        let input = match op {
            Op::Connected { t } => transport(*t).map(In::Connected),
            Op::ConnectFailed { t } => transport(*t).map(|t| {
                let e = TransportError::new(std::io::ErrorKind::ConnectionRefused, "refused");
                In::ConnectFailed(t, e)
            }),
            Op::Data { t, chunk } => transport(*t).map(|t| In::Data(t, chunk.bytes(c.wall()))),
            Op::Eof { t } => transport(*t).map(In::Eof),
            Op::Failed { t } => transport(*t).map(|t| {
                let e = TransportError::new(std::io::ErrorKind::ConnectionReset, "reset");
                In::Failed(t, e)
            }),
            Op::WsMessage { t, message } => {
                transport(*t).map(|t| In::WsMessage(t, message.bytes()))
            }
            Op::WsFrame { t } => transport(*t).map(In::WsFrame),
            Op::WsClose { t, frame } => {
                transport(*t).map(|t| In::WsClose(t, frame.as_ref().map(CloseFrame::frame)))
            }
            Op::WsRejected { t, head, body } => transport(*t).map(|t| {
                In::WsRejected(
                    t,
                    head.response_head(body.0.len(), c.wall()),
                    bytes::Bytes::copy_from_slice(&body.0),
                )
            }),
            Op::Drained { t } => transport(*t).map(In::Drained),
            Op::Subscribe { c: i } => Some(In::Command(Command::Subscribe(
                all[usize::from(*i) % all.len()].clone(),
            ))),
            Op::Unsubscribe { c: i } => Some(In::Command(Command::Unsubscribe(
                all[usize::from(*i) % all.len()].clone(),
            ))),
            Op::Close => Some(In::Command(Command::Close)),
            Op::AdvanceMs { ms } => {
                timeout_at = Some(c.now + Duration::from_millis(u64::from(*ms)));
                Some(In::Timeout)
            }
            Op::AdvanceSecs { secs } => {
                timeout_at = Some(c.now + Duration::from_secs(u64::from(*secs)));
                Some(In::Timeout)
            }
            Op::ToDeadline => {
                timeout_at = Some(deadline.map_or(c.now, |d| d.max(c.now)));
                Some(In::Timeout)
            }
            Op::StaleTimeout { ms } => {
                let then = c.now.checked_sub(Duration::from_millis(u64::from(*ms)));
                timeout_at = Some(then.unwrap_or(c.now).max(start));
                Some(In::Timeout)
            }
        };
        let Some(input) = input else { continue };
        let at = timeout_at.unwrap_or(c.now);
        c.now = c.now.max(at);
        let ignored = about.filter(|&t| c.ignores(t));
        // What the session does with an input depends on the transport: the checker
        // keeps its own view in step.
        match &input {
            In::Command(Command::Close) => c.close_command(),
            In::Connected(t) => c.connected(*t),
            In::Data(t, data) => c.mirror(*t, Some(data)),
            In::Eof(t) => c.mirror(*t, None),
            _ => {}
        }
        let closing = about.filter(|&t| c.in_handshake(t));
        s.handle_input(input, at);
        let (others, d) = c.drain(&mut s, closing);
        deadline = d;
        if let Some(t) = ignored {
            assert_eq!(others, 0, "input about closed {t} was not ignored ({op:?})");
        }
        if let Some(t) = closing {
            assert_eq!(others, 0, "input about {t}, closing, did more ({op:?})");
        }
        c.after_input(deadline, timeout_at.is_some());
        let (bytes, held) = s.buffered();
        assert!(bytes <= max_bytes, "buffered {bytes} bytes > {max_bytes}");
        assert!(held <= max_held, "held {held} events > {max_held}");
        assert_eq!(s.is_finished(), c.finished, "is_finished()");
        if c.finished {
            assert_eq!(s.buffered(), (0, 0), "buffers kept after Finished");
        }
    }
    c.summary
}

#[cfg(test)]
mod tests;
