//! The client against a WebSocket peer written independently of its `tungstenite`: the
//! hostile module's well-behaved Mastodon peer, framed by hand (RFC 6455, raw bytes on the
//! wire). A bug shared by both ends of a same-library test cannot hide here.

use mastostream_client::proto::RawEvent;
use mastostream_client::{Channel, Event, Item, Runtime};

use super::harness::{Hostile, SECRET};
use super::{Outcome, ensure};
use crate::hostile::{Behaviour, ClientFrame, GOOD_ID, Good, HostileOptions, status_json};

/// Subscribe, three double-encoded updates, the peer's ping answered with its payload, and
/// the close handshake with code 1000 seen by the peer; over plain TCP and over TLS.
pub async fn ws_independent_peer<R: Runtime + Default>(rt: R) -> Outcome {
    for opts in [HostileOptions::default(), HostileOptions::tls()] {
        let tls = opts.tls;
        peer_session(rt.clone(), opts)
            .await
            .map_err(|e| format!("tls {tls}: {e}"))?;
    }
    Ok(())
}

async fn peer_session<R: Runtime + Default>(rt: R, opts: HostileOptions) -> Outcome {
    let h = Hostile::start(rt, opts);
    let ids = vec![GOOD_ID, GOOD_ID + 1, GOOD_ID + 2];
    h.server.queue([Behaviour::Good(Good {
        ids: ids.clone(),
        end: false,
    })]);
    let client = h.client(|_| {})?;
    let tag = Channel::hashtag("rust");
    let mut w = h.watch(client.websocket([tag.clone()]));
    w.until("the third update", |i| {
        super::harness::update_id(i) == Some(GOOD_ID + 2)
    })
    .await?;
    // Each payload, encoded twice on the wire, decodes to the status the peer encoded.
    let got: Vec<(Option<Channel>, Event)> = w
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some((e.channel.clone(), e.event.clone())),
            _ => None,
        })
        .collect();
    let want: Vec<(Option<Channel>, Event)> = ids
        .iter()
        .map(|id| {
            let raw = RawEvent::new("update".into(), status_json(*id).into());
            (Some(tag.clone()), raw.decode())
        })
        .collect();
    ensure(got == want, || format!("events {got:?}"))?;
    ensure(w.connects() == 1 && w.retries().is_empty(), || w.log())?;

    let frames = || h.server.connection(0).map(|c| c.frames).unwrap_or_default();
    w.pump("the pong to the peer's ping", || {
        frames().iter().any(|f| f.opcode == 0xA)
    })
    .await?;
    w.close().await?;
    h.server_saw("the close handshake", |cs| cs[0].ending.is_some())?;
    let frames = frames();
    let pong = frames.iter().find(|f| f.opcode == 0xA);
    ensure(pong.is_some_and(|f| f.payload == b"hostile"), || {
        format!("the pong echoes the ping's payload: {pong:?}")
    })?;
    let close = frames
        .iter()
        .filter(|f| f.opcode == 0x8)
        .collect::<Vec<_>>();
    ensure(
        close.len() == 1 && close[0].close_code() == Some(1000) && close[0].fin,
        || format!("one close frame, 1000: {close:?}"),
    )?;
    ensure(frames.iter().all(|f| f.masked && f.rsv == 0), || {
        format!("every client frame masked, no RSV bit: {frames:?}")
    })?;
    ensure(frames.last().is_some_and(|f| f.opcode == 0x8), || {
        format!("nothing after the close: {frames:?}")
    })?;
    let texts: Vec<String> = frames
        .iter()
        .filter(|f| f.opcode == 0x1)
        .map(|f| String::from_utf8_lossy(&f.payload).into_owned())
        .collect();
    let subscribe: serde_json::Value = serde_json::json!(
        {"type": "subscribe", "stream": "hashtag", "tag": "rust"}
    );
    let parsed: Vec<serde_json::Value> = texts
        .iter()
        .filter_map(|t| serde_json::from_str(t).ok())
        .collect();
    ensure(parsed == [subscribe] && texts.len() == 1, || {
        format!("one subscribe message: {texts:?}")
    })?;
    let request = h.server.requests().pop().ok_or("no upgrade request")?;
    let auth = request.header("authorization");
    ensure(auth == Some(format!("Bearer {SECRET}").as_str()), || {
        format!("the token in the upgrade's header: {auth:?}")
    })?;
    ensure(
        request.target == "/api/v1/streaming" && request.is_upgrade(),
        || format!("{request:?}"),
    )
}

/// The peer ends the stream with close `1000` after its events: the client echoes `1000`,
/// reports the close as the reason, and reconnects to the next (good) stream.
pub async fn ws_independent_peer_closes<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::Good(Good {
        ids: vec![GOOD_ID - 7],
        end: true,
    })]);
    let mut w = h.ws(|_| {})?;
    // The backoff (past the close grace period) passes once the server has the answer.
    w.backoff = false;
    let retry = w
        .until("the retry", |i| matches!(i, Item::Reconnecting { .. }))
        .await?;
    w.pump("the answer to the close frame", || {
        h.server.connection(0).is_some_and(|c| c.ending.is_some())
    })
    .await?;
    if let Item::Reconnecting { delay, .. } = retry {
        h.clock.advance(delay);
    }
    w.backoff = true;
    w.good_event().await?;
    ensure(w.updates() == [GOOD_ID - 7, GOOD_ID], || w.log())?;
    let want = ["server closed the WebSocket (1000)"];
    super::hostile_http::reasons_are("the peer's close", &w.disconnects(), &want)?;
    super::hostile_http::reasons_are("the peer's close", &w.retry_reasons(), &want)?;
    h.server_saw("the first connection's end", |cs| cs[0].ending.is_some())?;
    let first: Vec<ClientFrame> = h.server.connection(0).map(|c| c.frames).unwrap_or_default();
    let codes: Vec<Option<u16>> = first
        .iter()
        .filter(|f| f.opcode == 0x8)
        .map(ClientFrame::close_code)
        .collect();
    ensure(codes == [Some(1000)], || {
        format!("the client's close frames: {codes:?}")
    })?;
    w.close().await
}
