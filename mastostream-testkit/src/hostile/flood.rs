//! [`Behaviour::Flood`](super::Behaviour::Flood): valid events as fast as the socket takes
//! them, to show that a client that stops reading stops the server's writes.

use super::frame::{FIN, TEXT};
use super::http::{LAST_CHUNK, SSE_HEAD, chunk};
use super::payload::{Template, sse_event};
use super::record::Request;
use super::state::Shared;
use super::wire::{Step, Wire};
use super::ws;

/// Events are written in blocks of about this many bytes.
const BLOCK: usize = 64 * 1024;

/// Builds blocks of whole events (`n` numbers them) until `max` bytes are written, each
/// block handed to `send`, which says whether to go on.
fn blocks(
    max: u64,
    mut written: u64,
    mut event: impl FnMut(u64) -> Vec<u8>,
    mut send: impl FnMut(&[u8]) -> Step<bool>,
) -> Step<bool> {
    let mut n = 0;
    while written < max {
        let mut block = Vec::with_capacity(BLOCK + 8 * 1024);
        while block.len() < BLOCK && written + (block.len() as u64) < max {
            n += 1;
            block.extend_from_slice(&event(n));
        }
        written += block.len() as u64;
        if !send(&block)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The flood over SSE: Mastodon's head and `:)`, then `update` events, then the last
/// chunk once `max_bytes` are written.
pub(crate) fn sse(wire: &mut Wire, max_bytes: u64) -> Step {
    let t = Template::new();
    let mut start = SSE_HEAD.to_vec();
    start.extend_from_slice(&chunk(b":)\n"));
    wire.send(&start)?;
    let event = |n| {
        let [e, d] = sse_event("update", t.status(n).as_bytes());
        let mut out = chunk(&e);
        out.extend_from_slice(&chunk(&d));
        out
    };
    let send = |block: &[u8]| {
        wire.send(block)?;
        wire.poll()?;
        wire.inbound.clear();
        Ok(true)
    };
    blocks(max_bytes, start.len() as u64, event, send)?;
    wire.send(LAST_CHUNK)
}

/// The flood over WebSocket: `101`, then (once the stream is known) `update` messages, then
/// close `1000` once `max_bytes` are written.
pub(crate) fn ws(shared: &Shared, wire: &mut Wire, req: &Request, max_bytes: u64) -> Step {
    if !ws::accept(wire, req)? {
        return Ok(());
    }
    let stream = ws::wait_stream(shared, wire, req)?;
    let t = Template::new();
    let event = |n| ws::update_frame(FIN | TEXT, &stream, &t.status(n));
    let send = |block: &[u8]| {
        wire.send(block)?;
        Ok(!ws::poll_client(shared, wire, true)?)
    };
    if blocks(max_bytes, 0, event, send)? {
        ws::end_or_serve(shared, wire, true)
    } else {
        Ok(())
    }
}
