//! Connecting to every dialect: discovery names the software, the stream goes over the
//! transport the server offers with the token where the server reads it; several streams
//! share one WebSocket, and those the server cannot take are refused up front. Sharkey,
//! which has no Mastodon streaming, is a clear fatal error.

use mastostream_client::{Channel, Item, Runtime, ServerSource, StreamTransport};
use mastostream_proto::Dialect as Spoken;

use super::dialects::{Reader, Setup, refusals, software, updates};
use super::{Outcome, ensure};
use crate::fake::{Dialect, StatusBuilder};

/// The transport choices among `items`.
pub(super) fn chosen(items: &[Item]) -> Vec<(StreamTransport, String)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::TransportChosen { transport, reason } => Some((*transport, reason.clone())),
            _ => None,
        })
        .collect()
}

/// The connections among `items`: transport and URL.
pub(super) fn connects(items: &[Item]) -> Vec<(StreamTransport, String)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Connected { url, transport } => Some((*transport, url.clone())),
            _ => None,
        })
        .collect()
}

/// `user` on a server of each dialect: NodeInfo names the software and version, the
/// instance documents the streaming URL; the stream goes over SSE where the server has it
/// and over the WebSocket otherwise (saying why); a status arrives on `user`; the client
/// keeps what it learnt ([`Client::server`](mastostream_client::Client::server)).
pub(super) async fn connect<R: Runtime + Default>(rt: R, s: &Setup) -> Outcome {
    let d = s.dialect();
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.stream_user());
    r.wait("the stream to be live on the server", |items| {
        !connects(items).is_empty() && s.server.live_streams() == 1
    })
    .await?;
    let key = s
        .server
        .publish_status(&StatusBuilder::new().text("hello from the fake"));
    let id = s.status_id(key);
    r.wait(&format!("status {id}"), |items| {
        updates(items).iter().any(|u| u.0 == id)
    })
    .await?;

    let Some(Item::Discovered(found)) = r.items.first() else {
        return Err(format!("discovery must come first: {:?}", r.items.first()));
    };
    // NodeInfo's `software.version`, not the instance's `version` (`2.7.2 (compatible; …)`).
    let asked: Vec<String> = s.server.requests().iter().map(|q| q.path.clone()).collect();
    ensure(
        asked.first().map(String::as_str) == Some("/.well-known/nodeinfo"),
        || format!("asked {asked:?}: NodeInfo first"),
    )?;
    let want = Spoken::new(software(d), Some(d.software_version().to_owned()));
    ensure(found.dialect == want, || {
        format!("discovered {}, want {want}", found.dialect)
    })?;
    let source = if d.has_instance_v2() {
        ServerSource::InstanceV2
    } else {
        ServerSource::InstanceV1
    };
    ensure(found.source == source, || {
        format!("found through {:?}, want {source:?}", found.source)
    })?;
    let streaming = s.server.streaming_url().replacen("ws", "http", 1);
    ensure(found.streaming.to_string() == streaming, || {
        format!("streaming from {}, want {streaming}", found.streaming)
    })?;
    ensure(client.server().as_ref() == Some(found), || {
        format!("the client kept {:?}", client.server())
    })?;

    let (transport, reasons) = if d.has_sse() {
        (StreamTransport::Sse, Vec::new())
    } else {
        let why = format!("{} offers only the WebSocket transport", software(d));
        (
            StreamTransport::WebSocket,
            vec![(StreamTransport::WebSocket, why)],
        )
    };
    ensure(chosen(&r.items) == reasons, || {
        format!("transport chosen: {:?}, want {reasons:?}", chosen(&r.items))
    })?;
    let conns = connects(&r.items);
    ensure(conns.len() == 1 && conns[0].0 == transport, || {
        format!("connected {conns:?}, want one over {transport}")
    })?;
    let base = match transport {
        StreamTransport::WebSocket => s.server.streaming_url(),
        _ => streaming,
    };
    ensure(conns[0].1.starts_with(&base), || {
        format!("connected to {}, not under {base}", conns[0].1)
    })?;
    let got = updates(&r.items);
    ensure(got == [(id.clone(), Some(Channel::User), false)], || {
        format!("updates {got:?}, want {id} on user")
    })?;
    let streams = s.server.requests().iter().filter(|q| q.is_stream()).count();
    ensure(streams == 1, || {
        format!("{streams} stream requests, want 1")
    })?;
    s.check_token(&r.items, "")?;
    r.close().await
}

/// The streams the client must refuse up front on a dialect, among those
/// [`several_streams`] asks for: streams the server cannot take by a subscribe message
/// (and would ignore without a word).
fn refused_up_front(d: Dialect) -> Vec<Channel> {
    let tag = Channel::hashtag("rust");
    let local_tag = Channel::hashtag("rust").local_only();
    match d {
        Dialect::GoToSocial => vec![tag, local_tag],
        Dialect::Akkoma => vec![tag, local_tag, Channel::list("7")],
        Dialect::Pleroma => vec![local_tag],
        _ => Vec::new(),
    }
}

/// Five streams on one WebSocket: those the server cannot take are refused up front (a
/// [`StreamError`](Item::StreamError) each, dropped, never sent); the others are
/// subscribed (the first in the upgrade's query where the server reads it only there),
/// and a status published to each arrives once, tagged with its stream, however the
/// server names it (Akkoma's `user:<uid>`, GoToSocial's `list:7`, Iceshrimp's bare
/// `list`).
pub(super) async fn several_streams<R: Runtime + Default>(rt: R, s: &Setup) -> Outcome {
    let d = s.dialect();
    let asked = [
        Channel::User,
        Channel::public_local(),
        Channel::hashtag("rust"),
        Channel::hashtag("rust").local_only(),
        Channel::list("7"),
    ];
    let refused = refused_up_front(d);
    let accepted: Vec<Channel> = asked
        .iter()
        .filter(|c| !refused.contains(c))
        .cloned()
        .collect();
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.websocket(asked.clone()));
    r.wait(
        "every subscription the server can take, on the server",
        |items| {
            let subs = s
                .server
                .ws_connections()
                .last()
                .map(|c| c.subscriptions.len());
            refusals(items).len() == refused.len() && subs == Some(accepted.len())
        },
    )
    .await?;
    let got: Vec<_> = refusals(&r.items);
    let want: Vec<_> = refused
        .iter()
        .map(|c| (Some(c.clone()), None, true))
        .collect();
    let short: Vec<_> = got
        .iter()
        .map(|(c, st, _, dr)| (c.clone(), *st, *dr))
        .collect();
    ensure(short == want, || format!("refusals {got:?}, want {want:?}"))?;
    ensure(got.iter().all(|g| !g.2.is_empty()), || {
        format!("a refusal says why: {got:?}")
    })?;
    ensure(r.stream.subscriptions() == accepted, || {
        format!(
            "subscriptions {:?}, want {accepted:?}",
            r.stream.subscriptions()
        )
    })?;
    let ws = s.server.ws_connections();
    ensure(ws.len() == 1, || {
        format!("{} WebSockets, want one", ws.len())
    })?;
    let names: Vec<Vec<String>> = accepted.iter().map(Channel::stream_array).collect();
    ensure(ws[0].subscriptions == names, || {
        format!("the server has {:?}, want {names:?}", ws[0].subscriptions)
    })?;
    let in_query = matches!(d, Dialect::GoToSocial | Dialect::Akkoma | Dialect::Pleroma);
    let by_message = accepted.len() - usize::from(in_query);
    ensure(ws[0].messages.len() == by_message, || {
        format!(
            "sent {:?}, want {by_message} subscribe messages",
            ws[0].messages
        )
    })?;
    let mut want = Vec::new();
    for (channel, name) in accepted.iter().zip(&names) {
        let name: Vec<&str> = name.iter().map(String::as_str).collect();
        let id = s.status_id(s.server.publish_update_to(&name, "update"));
        want.push((id.clone(), Some(channel.clone()), false));
        r.wait(&format!("status {id} on {channel}"), |items| {
            updates(items).iter().any(|u| u.0 == id)
        })
        .await?;
    }
    let got = updates(&r.items);
    ensure(got == want, || format!("updates {got:?}, want {want:?}"))?;
    s.check_token(&r.items, "")?;
    r.close().await
}

/// Sharkey has no Mastodon streaming: after discovery, a fatal error that says so, for
/// SSE and WebSocket streams alike, and no stream request at all.
pub(super) async fn sharkey<R: Runtime + Default>(rt: R) -> Outcome {
    let s = Setup::start(Dialect::Sharkey, "servers::sharkey")?;
    let client = s.client::<R>()?;
    let mut shown = String::new();
    // The second stream knows the server already (the client kept it): no discovery.
    for (i, stream) in [client.stream_user(), client.websocket([Channel::User])]
        .into_iter()
        .enumerate()
    {
        let mut r = Reader::new(&rt, stream);
        let err = r
            .wait_end("the fatal error")
            .await?
            .ok_or("the stream must end with an error")?;
        let text = err.to_string();
        ensure(text == "Misskey has no Mastodon streaming API", || {
            format!("ended with {text}")
        })?;
        let want = Spoken::new(
            mastostream_proto::Software::Misskey,
            Some(Dialect::Sharkey.software_version().to_owned()),
        );
        let discovered = match r.items.as_slice() {
            [Item::Discovered(found)] => found.dialect == want,
            [] => i == 1,
            _ => false,
        };
        ensure(discovered, || format!("stream {i} said {:?}", r.items))?;
        shown.push_str(&format!("{err:?} {text}"));
        s.check_token(&r.items, &shown)?;
    }
    let streams = s.server.requests().iter().filter(|q| q.is_stream()).count();
    ensure(streams == 0 && s.server.ws_connections().is_empty(), || {
        format!("{streams} stream requests")
    })
}
