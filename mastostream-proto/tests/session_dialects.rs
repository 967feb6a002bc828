//! Beyond Mastodon: discovery learns the software (NodeInfo, else the instance's version),
//! and the session streams in its dialect: the transport it offers, the token where it
//! reads it, streams it can take, ids in its order, pages in any order. Falls back between
//! transports when one is refused. Simulated time and server.

use std::time::Duration;

use bytes::Bytes;
use mastostream_proto::http::{Header, ResponseHead, Token};
use mastostream_proto::session::{
    Command, Input, Instance, Item, SessionConfig, StreamTransport, TransportId,
};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, Dialect, Software};

const HOST: &str = "https://social.example";

fn config(channels: &[Channel]) -> SessionConfig {
    let mut cfg = SessionConfig::new(Instance::parse(HOST).unwrap(), channels[0].clone())
        .token(Token::new("tok-123"))
        .seed(5);
    cfg.channels = channels.to_vec();
    cfg.discover = true;
    cfg.choose_transport = true;
    cfg.catch_up.enabled = false;
    cfg
}

/// Answers the discovery requests: NodeInfo naming `software` at `version` (or a 404 when
/// `None`), and the instance document naming the streaming URL.
fn discover(sim: &mut Sim, software: Option<(&str, &str)>) {
    let id = sim.until_connect("/.well-known/nodeinfo", Duration::ZERO);
    let Some((name, version)) = software else {
        sim.data(
            id,
            json_response("404 Not Found", r#"{"error":"Not Found"}"#, ""),
        );
        let id = sim.until_connect("/api/v2/instance", Duration::ZERO);
        sim.data(id, json_response("404 Not Found", "{}", ""));
        let id = sim.until_connect("/api/v1/instance", Duration::ZERO);
        sim.data(id, json_response("200 OK", r#"{"version":"4.3.2"}"#, ""));
        return;
    };
    let links = format!(
        r#"{{"links":[{{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"{HOST}/nodeinfo/2.0"}}]}}"#
    );
    sim.data(id, json_response("200 OK", &links, ""));
    let id = sim.until_connect("/nodeinfo/2.0", Duration::ZERO);
    let doc =
        format!(r#"{{"version":"2.0","software":{{"name":"{name}","version":"{version}"}}}}"#);
    sim.data(id, json_response("200 OK", &doc, ""));
    let id = sim.until_connect("/api/v2/instance", Duration::ZERO);
    let v2 = r#"{"configuration":{"urls":{"streaming":"wss://social.example"}}}"#;
    sim.data(id, json_response("200 OK", v2, ""));
}

/// The newest WebSocket connect, with its upgrade request.
fn ws_connect(sim: &Sim) -> (TransportId, mastostream_proto::session::WsRequest) {
    let (id, _, _) = *sim
        .connects
        .iter()
        .rev()
        .find(|(id, _, _)| sim.ws_requests.contains_key(id))
        .expect("a WebSocket connect");
    (id, sim.ws_requests[&id].clone())
}

fn chosen(sim: &Sim) -> Vec<(StreamTransport, String)> {
    sim.items
        .iter()
        .filter_map(|i| match i {
            Item::TransportChosen { transport, reason } => Some((*transport, reason.clone())),
            _ => None,
        })
        .collect()
}

fn refusals(sim: &Sim) -> Vec<(Option<Channel>, String)> {
    sim.items
        .iter()
        .filter_map(|i| match i {
            Item::StreamError {
                channel,
                error,
                dropped: true,
                ..
            } => Some((channel.clone(), error.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn gotosocial_streams_over_a_websocket_with_the_token_in_the_header() {
    let mut sim = Sim::new(config(&[Channel::User]));
    discover(&mut sim, Some(("gotosocial", "0.20.0+git-57cb4fe")));
    let Some(Item::Discovered(server)) = sim.items.first() else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(
        server.dialect,
        Dialect::new(Software::GoToSocial, Some("0.20.0+git-57cb4fe".into()))
    );
    assert_eq!(
        chosen(&sim),
        [(
            StreamTransport::WebSocket,
            "GoToSocial offers only the WebSocket transport".into()
        )]
    );
    let (id, req) = ws_connect(&sim);
    assert_eq!(req.url, "wss://social.example/api/v1/streaming?stream=user");
    assert_eq!(req.url_with_token(), req.url, "GoToSocial reads the header");
    assert!(
        req.headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v == "Bearer tok-123")
    );
    sim.input(Input::Connected(id));
    sim.input(Input::Command(Command::Subscribe(Channel::hashtag("rust"))));
    // `user` went in the query; the hashtag stream, which GoToSocial lacks, is refused at
    // once (GoToSocial would ignore it silently).
    assert!(sim.sent.is_empty(), "{:?}", sim.sent);
    assert_eq!(
        refusals(&sim),
        [(
            Some(Channel::hashtag("rust")),
            "GoToSocial has no hashtag streams".into()
        )]
    );
    // GoToSocial names list streams `list:<id>`: the event still goes to the subscription.
    sim.input(Input::Command(Command::Subscribe(Channel::list("01HX"))));
    let msg = r#"{"stream":["list:01HX"],"event":"delete","payload":"01HXABC"}"#;
    sim.ws_message(id, Bytes::from(format!("{msg}\n")));
    let Some(Item::Event(e)) = sim.items.last() else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(e.channel, Some(Channel::list("01HX")));
}

#[test]
fn akkoma_takes_the_token_and_the_first_stream_in_the_query() {
    let mut sim = Sim::new(config(&[
        Channel::hashtag("rust"),
        Channel::User,
        Channel::list("7"),
    ]));
    discover(&mut sim, Some(("akkoma", "3.13.2")));
    let (id, req) = ws_connect(&sim);
    assert_eq!(
        req.url,
        "wss://social.example/api/v1/streaming?stream=hashtag&tag=rust"
    );
    assert_eq!(
        req.url_with_token(),
        "wss://social.example/api/v1/streaming?stream=hashtag&tag=rust&access_token=tok-123"
    );
    assert!(
        req.headers.iter().all(|(n, _)| n != "Authorization"),
        "Akkoma ignores the header"
    );
    assert!(!format!("{req:?}").contains("tok-123"));
    sim.input(Input::Connected(id));
    let sent: Vec<&str> = sim.sent.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        sent,
        [r#"{"type":"subscribe","stream":"user"}"#],
        "the hashtag went in the query"
    );
    let refused = refusals(&sim);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, Some(Channel::list("7")));
    // Akkoma's internal topics still reach the right subscription.
    sim.ws_message(
        id,
        Bytes::from_static(br#"{"event":"delete","payload":"1","stream":["hashtag:rust"]}"#),
    );
    let Some(Item::Event(e)) = sim.items.last() else {
        panic!()
    };
    assert_eq!(e.channel, Some(Channel::hashtag("rust")));
    // Akkoma cannot unsubscribe: no message goes out, and the stream's events stop.
    sim.input(Input::Command(Command::Unsubscribe(Channel::hashtag(
        "rust",
    ))));
    assert_eq!(sim.sent.len(), 1);
    let before = sim.items.len();
    sim.ws_message(
        id,
        Bytes::from_static(br#"{"event":"delete","payload":"2","stream":["hashtag:rust"]}"#),
    );
    assert_eq!(
        sim.items.len(),
        before,
        "a muted stream's events are dropped"
    );
}

#[test]
fn old_pleroma_takes_one_stream_and_newer_pleroma_answers_subscriptions() {
    let mut sim = Sim::new(config(&[Channel::User, Channel::Direct]));
    discover(&mut sim, Some(("pleroma", "2.5.5")));
    let (id, req) = ws_connect(&sim);
    assert!(
        req.url.ends_with("/api/v1/streaming?stream=user"),
        "{}",
        req.url
    );
    sim.input(Input::Connected(id));
    assert!(sim.sent.is_empty());
    assert_eq!(refusals(&sim)[0].0, Some(Channel::Direct));

    let mut sim = Sim::new(config(&[Channel::User, Channel::list("9")]));
    discover(&mut sim, Some(("pleroma", "2.7.0")));
    let (id, _) = ws_connect(&sim);
    sim.input(Input::Connected(id));
    assert_eq!(sim.sent.len(), 1, "the list by message");
    let bad = r#"{"event":"pleroma:respond","payload":"{\"error\":\"bad_topic\",\"result\":\"error\",\"type\":\"subscribe\"}"}"#;
    sim.ws_message(id, Bytes::from_static(bad.as_bytes()));
    let Some(Item::StreamError {
        channel,
        status,
        error,
        dropped,
    }) = sim.items.last()
    else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(
        (channel, *status, error.as_str(), *dropped),
        (&Some(Channel::list("9")), Some(400), "bad_topic", true)
    );
}

#[test]
fn a_server_without_mastodon_streaming_is_a_clear_fatal_error() {
    let mut sim = Sim::new(config(&[Channel::User]));
    discover(&mut sim, Some(("sharkey", "2024.9.1")));
    let Some(Err(e)) = &sim.finished else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(e.to_string(), "Misskey has no Mastodon streaming API");
    assert!(sim.ws_requests.is_empty());
}

#[test]
fn unknown_software_falls_back_from_refused_sse_to_the_websocket_once() {
    let mut sim = Sim::new(config(&[Channel::User]));
    discover(&mut sim, Some(("bonfire", "0.9")));
    let id = sim.until_connect("/api/v1/streaming/user", Duration::ZERO);
    sim.data(
        id,
        json_response("404 Not Found", r#"{"error":"Not Found"}"#, ""),
    );
    let reasons = chosen(&sim);
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0].0, StreamTransport::WebSocket);
    assert_eq!(
        reasons[0].1,
        "the server refused SSE: 404 Not Found: Not Found"
    );
    let (ws, _) = ws_connect(&sim);
    // The WebSocket is refused too: no ping-pong back to SSE; a 404 stops.
    let head = ResponseHead::new(404, "Not Found", Vec::new());
    sim.ws_rejected(ws, head, Bytes::new());
    assert!(matches!(sim.finished, Some(Err(_))), "{:#?}", sim.items);
    assert_eq!(chosen(&sim).len(), 1);
}

#[test]
fn a_refused_upgrade_falls_back_to_sse_on_mastodon() {
    let mut cfg = config(&[Channel::User]);
    cfg.transport = StreamTransport::WebSocket;
    let mut sim = Sim::new(cfg);
    discover(&mut sim, Some(("mastodon", "4.3.2")));
    let (ws, _) = ws_connect(&sim);
    let head = ResponseHead::new(
        200,
        "OK",
        vec![Header {
            name: "Content-Type".into(),
            value: Bytes::from_static(b"text/html"),
        }],
    );
    sim.ws_rejected(ws, head, Bytes::from_static(b"<html>proxy</html>"));
    assert_eq!(chosen(&sim)[0].0, StreamTransport::Sse);
    let id = sim.go_live("/api/v1/streaming/user");
    assert!(sim.requests[&id].contains("Authorization: Bearer tok-123"));
}

#[test]
fn a_second_stream_moves_an_sse_session_to_one_websocket() {
    let mut cfg = config(&[Channel::User]);
    cfg.discover = false;
    let mut sim = Sim::new(cfg);
    let sse = sim.go_live("/api/v1/streaming/user");
    sim.input(Input::Command(Command::Subscribe(Channel::Direct)));
    assert!(sim.closed.contains(&sse));
    assert_eq!(chosen(&sim)[0].1, "several streams share one WebSocket");
    let (ws, _) = ws_connect(&sim);
    sim.input(Input::Connected(ws));
    let sent: Vec<&str> = sim.sent.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        sent,
        [
            r#"{"type":"subscribe","stream":"user"}"#,
            r#"{"type":"subscribe","stream":"direct"}"#
        ]
    );
    assert!(
        !sim.items
            .iter()
            .any(|i| matches!(i, Item::Disconnected { .. }))
    );
}

#[test]
fn nodeinfo_on_another_origin_is_not_followed_and_the_version_decides() {
    let mut sim = Sim::new(config(&[Channel::User]));
    let id = sim.until_connect("/.well-known/nodeinfo", Duration::ZERO);
    let links = r#"{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"https://elsewhere.example/nodeinfo/2.1"}]}"#;
    sim.data(id, json_response("200 OK", links, ""));
    let id = sim.until_connect("/api/v2/instance", Duration::ZERO);
    let v2 = r#"{"version":"2.7.2 (compatible; Pleroma 2.7.0)","configuration":{"urls":{"streaming":"wss://social.example"}}}"#;
    sim.data(id, json_response("200 OK", v2, ""));
    assert!(
        sim.connects
            .iter()
            .all(|(_, t, _)| t.host == "social.example")
    );
    assert_eq!(sim.session.dialect().software, Software::Pleroma);
    assert!(
        !sim.ws_requests.is_empty(),
        "Pleroma streams over the WebSocket"
    );
}

/// Iceshrimp.NET answers `min_id` pages oldest first; Iceshrimp (JS) ids vary in length
/// with a time prefix. Catch-up reads both right: in id order, nothing twice.
#[test]
fn catch_up_reads_pages_in_any_order_and_ids_in_the_server_order() {
    for (software, ids) in [
        (
            "Iceshrimp.NET",
            ["9nxpxc00abcdefgh", "9nxpxc01abcdefgh", "9nxpxc02abcdefgh"],
        ),
        (
            "iceshrimp",
            [
                "9nxpxc00abcdefghijklmnop",
                "9nxpxc01abcd5678",
                "9nxpxc02abcdefghij",
            ],
        ),
    ] {
        let mut cfg = config(&[Channel::public_local()]);
        cfg.catch_up.enabled = true;
        cfg.catch_up.anchor = false;
        cfg.dialect = Some(Dialect::new(Software::from_nodeinfo(software), None));
        cfg.streaming = Some(Instance::parse(HOST).unwrap());
        cfg.discover = false;
        let cfg = cfg.resume_from(
            mastostream_proto::session::Timeline::Public {
                scope: mastostream_proto::PublicScope::Local,
                only_media: false,
            },
            "9nxpxb99zzzzzzzz",
        );
        let mut sim = Sim::new(cfg);
        let (ws, _) = ws_connect(&sim);
        sim.input(Input::Connected(ws));
        let page = sim.until_connect("/api/v1/timelines/public", Duration::ZERO);
        let target = sim.target(page);
        assert!(target.contains("min_id=9nxpxb99zzzzzzzz"), "{target}");
        // Oldest first, as Iceshrimp.NET sends it (and shuffled for the other).
        let body: Vec<String> = [ids[0], ids[2], ids[1]]
            .iter()
            .map(|i| status_json(i))
            .collect();
        sim.data(
            page,
            json_response("200 OK", &format!("[{}]", body.join(",")), ""),
        );
        let page = sim.until_connect("/api/v1/timelines/public", Duration::ZERO);
        assert!(
            sim.target(page).contains(&format!("min_id={}", ids[2])),
            "{software}: {}",
            sim.target(page)
        );
        sim.data(page, json_response("200 OK", "[]", ""));
        let got: Vec<String> = sim
            .status_ids()
            .into_iter()
            .map(|(r, id)| {
                assert!(r);
                id
            })
            .collect();
        assert_eq!(got, ids, "{software}");
    }
}

/// A WebSocket connect after `at` connects, live.
fn ws_live(sim: &mut Sim, after: usize) -> TransportId {
    for _ in 0..50 {
        if sim.connects.len() > after {
            break;
        }
        let deadline = sim.deadline.expect("the session waits for a reconnect");
        sim.advance(deadline.saturating_duration_since(sim.now));
    }
    let (id, _) = ws_connect(sim);
    sim.input(Input::Connected(id));
    id
}

/// The subscribe messages sent on `id`.
fn subscribes(sim: &Sim, id: TransportId) -> Vec<&str> {
    sim.sent
        .iter()
        .filter(|(t, _)| *t == id)
        .map(|(_, text)| text.as_str())
        .collect()
}

/// A WebSocket session of `public:local` and list 42 on `software` at `version`, live,
/// with both subscriptions sent.
fn list_42_on(software: &str, version: &str) -> (Sim, TransportId) {
    let mut cfg = config(&[Channel::public_local(), Channel::list("42")]);
    cfg.transport = StreamTransport::WebSocket;
    let mut sim = Sim::new(cfg);
    discover(&mut sim, Some((software, version)));
    let ws = ws_live(&mut sim, 0);
    assert_eq!(subscribes(&sim, ws).len(), 2);
    (sim, ws)
}

/// Mastodon 3.x answers a refused subscription with `{"error": ...}` and no status:
/// still a refusal, dropped, and not asked for again after a reconnect.
#[test]
fn mastodon_3_refusals_without_a_status_are_dropped() {
    let (mut sim, ws) = list_42_on("mastodon", "3.5.3");
    sim.ws_message(
        ws,
        Bytes::from_static(br#"{"error":"Not authorized to stream this list"}"#),
    );
    let Some(Item::StreamError {
        channel,
        status: None,
        dropped: true,
        ..
    }) = sim.items.last()
    else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(channel, &Some(Channel::list("42")));
    let before = sim.connects.len();
    sim.eof(ws);
    let again = ws_live(&mut sim, before);
    assert_eq!(
        subscribes(&sim, again),
        [r#"{"type":"subscribe","stream":"public:local"}"#]
    );
}

/// Iceshrimp.NET refuses a list it cannot stream by closing the socket (1007): the list in
/// flight is refused and dropped, and the reconnect asks only for the rest (no loop).
#[test]
fn iceshrimp_net_closing_on_a_list_refuses_that_list() {
    let (mut sim, ws) = list_42_on("Iceshrimp.NET", "2024.1-beta4");
    let before = sim.connects.len();
    sim.input(Input::WsClose(ws, Some((1007, String::new()))));
    let refused = refusals(&sim);
    assert_eq!(refused.len(), 1, "{:#?}", sim.items);
    assert_eq!(refused[0].0, Some(Channel::list("42")));
    assert!(refused[0].1.contains("1007"), "{}", refused[0].1);
    let again = ws_live(&mut sim, before);
    assert_eq!(
        subscribes(&sim, again),
        [r#"{"type":"subscribe","stream":"public:local"}"#]
    );
    // Another close code refuses nothing.
    sim.input(Input::WsClose(again, Some((1011, String::new()))));
    assert_eq!(refusals(&sim).len(), 1);
}

#[test]
fn an_sse_stream_is_never_refused_by_websocket_subscription_rules() {
    // Found by `session_ops`: an SSE session (the transport forced) on a stream that the
    // server's WebSocket could not take by a subscribe message (Pleroma: no hashtag:local)
    // reported the stream refused and dropped it, while its SSE connection carried it.
    let mut cfg = config(&[Channel::hashtag("rust").local_only()]);
    cfg.choose_transport = false;
    let mut sim = Sim::new(cfg);
    discover(&mut sim, Some(("pleroma", "2.5.0")));
    let id = sim.go_live("/api/v1/streaming/hashtag/local?tag=rust");
    assert!(refusals(&sim).is_empty(), "{:#?}", sim.items);
    sim.data(id, event("update", &status_json(&sid(5))));
    let updates = sim
        .items
        .iter()
        .filter(|i| matches!(i, Item::Event(e) if matches!(e.event, mastostream_proto::Event::Update(_))))
        .count();
    assert_eq!(updates, 1, "{:#?}", sim.items);
}
