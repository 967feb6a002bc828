//! The WebSocket behaviours: a well-behaved Mastodon peer, and hostile ones, on the
//! hand-written framing of [`frame`](super::frame).

use super::behaviour::{BadPayload, CloseFrame, Good, Pace, WsBehaviour};
use super::frame::{
    CLOSE, CONT, FIN, PING, PONG, Parsed, TEXT, close_payload, frame, header_64, masked, parse,
    switching,
};
use super::http::{drip_bytes, encode};
use super::payload::{GOOD_ID, bad_ws_payload, status_json, ws_message};
use super::record::Request;
use super::state::Shared;
use super::wire::{Step, Stop, Wire};
use super::{Canned, ClientFrame};

/// The size of the blocks endless behaviours write.
const BLOCK: usize = 16 * 1024;

/// The 101 answer for this upgrade, or `None` (after answering `400`) when it has no
/// `Sec-WebSocket-Key`.
fn accept_bytes(wire: &mut Wire, req: &Request) -> Step<Option<Vec<u8>>> {
    if !req.is_upgrade() {
        let refusal = Canned::new(400, "Bad Request").with_body(b"expected a WebSocket upgrade");
        wire.send(&encode(&refusal))?;
        return Ok(None);
    }
    let Some(key) = req.header("sec-websocket-key") else {
        wire.send(&encode(
            &Canned::new(400, "Bad Request").with_body(b"no Sec-WebSocket-Key"),
        ))?;
        return Ok(None);
    };
    let protocol = req
        .header("sec-websocket-protocol")
        .and_then(|p| p.split(',').next())
        .map(str::trim);
    Ok(Some(switching(key, protocol)))
}

/// Answers the upgrade with `101`; `false` when it was refused instead.
pub(crate) fn accept(wire: &mut Wire, req: &Request) -> Step<bool> {
    match accept_bytes(wire, req)? {
        Some(bytes) => wire.send(&bytes).map(|()| true),
        None => Ok(false),
    }
}

/// The stream named on the upgrade URL (`?stream=hashtag&tag=rust` is `["hashtag","rust"]`).
fn url_stream(req: &Request) -> Option<Vec<String>> {
    let name = req.param("stream")?.to_owned();
    let extra = req.param("tag").or_else(|| req.param("list"));
    Some(
        std::iter::once(name)
            .chain(extra.map(str::to_owned))
            .collect(),
    )
}

/// The stream of a subscribe message `{"type":"subscribe","stream":...,"tag"|"list":...}`.
fn subscribed(text: &[u8]) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_slice(text).ok()?;
    if v["type"] != "subscribe" {
        return None;
    }
    let name = v["stream"].as_str()?.to_owned();
    let extra = v["tag"].as_str().or_else(|| v["list"].as_str());
    Some(
        std::iter::once(name)
            .chain(extra.map(str::to_owned))
            .collect(),
    )
}

/// The stream events are tagged with: from the URL, else from the client's first
/// subscribe message (read, recorded, and its pings answered, while waiting).
pub(crate) fn wait_stream(shared: &Shared, wire: &mut Wire, req: &Request) -> Step<Vec<String>> {
    if let Some(s) = url_stream(req) {
        return Ok(s);
    }
    loop {
        let f = read_frame(shared, wire)?;
        if answer(wire, &f, false)? {
            return Err(Stop::ClientClosed);
        }
        if let Some(s) = subscribed(&f.payload).filter(|_| f.opcode == TEXT) {
            return Ok(s);
        }
    }
}

/// The stream to tag events with when the server does not wait for a subscription.
fn stream_or_user(req: &Request) -> Vec<String> {
    url_stream(req).unwrap_or_else(|| vec!["user".to_owned()])
}

/// Takes the next whole frame from what was read, recording it.
fn take_frame(shared: &Shared, wire: &mut Wire) -> Step<Option<ClientFrame>> {
    match parse(&wire.inbound) {
        Parsed::Frame(f, used) => {
            wire.inbound.drain(..used);
            shared.client_frame(wire.index(), f.clone());
            Ok(Some(f))
        }
        Parsed::Incomplete => Ok(None),
        Parsed::Invalid => Err(Stop::Failed(std::io::ErrorKind::InvalidData)),
    }
}

/// Blocks until the client's next frame.
fn read_frame(shared: &Shared, wire: &mut Wire) -> Step<ClientFrame> {
    loop {
        if let Some(f) = take_frame(shared, wire)? {
            return Ok(f);
        }
        wire.fill()?;
    }
}

/// Answers a client frame: a ping with its pong, a close with the same close (unless the
/// server closed first). Returns whether it was a close.
fn answer(wire: &mut Wire, f: &ClientFrame, closed_first: bool) -> Step<bool> {
    match f.opcode {
        PING => wire.send(&frame(FIN | PONG, &f.payload)).map(|()| false),
        CLOSE => {
            if !closed_first {
                let code = f.payload.get(..2).unwrap_or_default();
                wire.send(&frame(FIN | CLOSE, code))?;
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Serves the client until it closes: pongs for pings, the close handshake.
fn until_close(shared: &Shared, wire: &mut Wire, closed_first: bool) -> Step {
    loop {
        let f = read_frame(shared, wire)?;
        if answer(wire, &f, closed_first)? {
            return Ok(());
        }
    }
}

/// Takes in the client's frames without blocking; between frames they are answered,
/// mid-frame only recorded. Returns whether the client sent a close.
pub(crate) fn poll_client(shared: &Shared, wire: &mut Wire, between_frames: bool) -> Step<bool> {
    wire.poll()?;
    while let Some(f) = take_frame(shared, wire)? {
        let closing = if between_frames {
            answer(wire, &f, false)?
        } else {
            f.opcode == CLOSE
        };
        if closing {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An `update` message frame for this stream and status JSON.
pub(crate) fn update_frame(first: u8, stream: &[String], json: &str) -> Vec<u8> {
    frame(first, ws_message(stream, "update", json).as_bytes())
}

/// The good peer's frames: each update, then a ping.
fn good_frames(stream: &[String], good: &Good) -> Vec<u8> {
    let mut out = Vec::new();
    for id in &good.ids {
        out.extend_from_slice(&update_frame(FIN | TEXT, stream, &status_json(*id)));
    }
    out.extend_from_slice(&frame(FIN | PING, b"hostile"));
    out
}

/// Closes with `1000` (when `end`) or serves until the client closes.
pub(crate) fn end_or_serve(shared: &Shared, wire: &mut Wire, end: bool) -> Step {
    if end {
        wire.send(&frame(FIN | CLOSE, &close_payload(1000, b"")))?;
    }
    until_close(shared, wire, end)
}

/// [`Behaviour::Good`](super::Behaviour::Good) over WebSocket.
pub(crate) fn good(shared: &Shared, wire: &mut Wire, req: &Request, good: &Good) -> Step {
    if !accept(wire, req)? {
        return Ok(());
    }
    let stream = wait_stream(shared, wire, req)?;
    wire.send(&good_frames(&stream, good))?;
    end_or_serve(shared, wire, good.end)
}

/// [`Behaviour::SlowDrip`](super::Behaviour::SlowDrip) over WebSocket: the `101`, then
/// (once the stream is known) the good frames, a byte at a time.
pub(crate) fn drip(shared: &Shared, wire: &mut Wire, req: &Request, pace: Pace) -> Step {
    let Some(head) = accept_bytes(wire, req)? else {
        return Ok(());
    };
    drip_bytes(shared, wire, pace, &head)?;
    let stream = wait_stream(shared, wire, req)?;
    drip_bytes(shared, wire, pace, &good_frames(&stream, &Good::default()))?;
    until_close(shared, wire, false)
}

/// [`Behaviour::BadPayload`](super::Behaviour::BadPayload) over WebSocket: the bad update,
/// then the good one.
pub(crate) fn bad_payload(
    shared: &Shared,
    wire: &mut Wire,
    req: &Request,
    bad: BadPayload,
) -> Step {
    if !accept(wire, req)? {
        return Ok(());
    }
    let stream = wait_stream(shared, wire, req)?;
    let mut out = update_frame(FIN | TEXT, &stream, &bad_ws_payload(bad));
    out.extend_from_slice(&update_frame(FIN | TEXT, &stream, &status_json(GOOD_ID)));
    wire.send(&out)?;
    until_close(shared, wire, false)
}

/// Writes `first`, then `block` over and over until the client closes or sends a close.
/// What the client sent before it hung up (its close frame) is recorded even when the
/// write fails first.
fn endless(
    shared: &Shared,
    wire: &mut Wire,
    first: &[u8],
    block: &[u8],
    between_frames: bool,
) -> Step {
    let mut sent = wire.send(first);
    loop {
        if let Err(stop) = sent {
            let _ = poll_client(shared, wire, false);
            return Err(stop);
        }
        if poll_client(shared, wire, between_frames)? {
            return Ok(());
        }
        sent = wire.send(block);
    }
}

/// [`Behaviour::Ws`](super::Behaviour::Ws).
pub(crate) fn hostile(shared: &Shared, wire: &mut Wire, req: &Request, w: &WsBehaviour) -> Step {
    if !accept(wire, req)? {
        return Ok(());
    }
    let good = || status_json(GOOD_ID);
    let bad = match w {
        WsBehaviour::FrameLength(len) => {
            return endless(
                shared,
                wire,
                &header_64(FIN | TEXT, *len),
                &[b'x'; BLOCK],
                false,
            );
        }
        WsBehaviour::EndlessFragments => {
            let part = [b'x'; 4096];
            return endless(shared, wire, &frame(TEXT, &part), &frame(CONT, &part), true);
        }
        WsBehaviour::PingFlood { pings, payload } => {
            let stream = wait_stream(shared, wire, req)?;
            let ping = frame(FIN | PING, &vec![b'p'; (*payload).min(125)]);
            for sent in 0..*pings {
                wire.send(&ping)?;
                if sent % 64 == 63 && poll_client(shared, wire, true)? {
                    return Ok(());
                }
            }
            wire.send(&update_frame(FIN | TEXT, &stream, &good()))?;
            return until_close(shared, wire, false);
        }
        WsBehaviour::InvalidUtf8Text => frame(FIN | TEXT, &[0xff, 0xfe]),
        WsBehaviour::ReservedOpcode(op) => frame(FIN | (op & 0x0F), b"hostile"),
        WsBehaviour::ReservedBits(rsv) => update_frame(
            FIN | ((rsv & 0x7) << 4) | TEXT,
            &stream_or_user(req),
            &good(),
        ),
        WsBehaviour::MaskedFrame => {
            let msg = ws_message(&stream_or_user(req), "update", &good());
            masked(FIN | TEXT, [0x12, 0x34, 0x56, 0x78], msg.as_bytes())
        }
        WsBehaviour::Close(c) => {
            let payload = match c {
                CloseFrame::Code(code, reason) => close_payload(*code, reason.as_bytes()),
                CloseFrame::OneByte => vec![0x03],
                CloseFrame::InvalidUtf8Reason(code) => close_payload(*code, &[0xff, 0xfe]),
            };
            wire.send(&frame(FIN | CLOSE, &payload))?;
            return until_close(shared, wire, true);
        }
    };
    wire.send(&bad)?;
    until_close(shared, wire, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_messages_name_streams() {
        assert_eq!(
            subscribed(br#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#),
            Some(vec!["hashtag".into(), "rust".into()])
        );
        assert_eq!(
            subscribed(br#"{"type":"subscribe","stream":"user"}"#),
            Some(vec!["user".into()])
        );
        assert_eq!(
            subscribed(br#"{"type":"unsubscribe","stream":"user"}"#),
            None
        );
        assert_eq!(subscribed(b"\xff"), None);
    }
}
