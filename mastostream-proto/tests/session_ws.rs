//! The Session over Mastodon's multiplexed WebSocket, in simulated time: subscriptions,
//! resubscription after a reconnect, liveness, errors tied to subscriptions, catch-up.

use std::time::Duration;

use bytes::Bytes;
use mastostream_proto::http::{Header, ResponseHead, Token};
use mastostream_proto::session::{
    Command, Input, Instance, Item, SessionConfig, StreamEvent, TransportId,
};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, Event, PublicScope};

fn public() -> Channel {
    Channel::Public {
        scope: PublicScope::All,
        only_media: false,
    }
}

fn config(more: Vec<Channel>) -> SessionConfig {
    let mut cfg = SessionConfig::websocket(
        Instance::parse("https://mastodon.example").unwrap(),
        std::iter::once(public()).chain(more),
    )
    .token(Token::new("ws-secret"))
    .seed(3);
    cfg.catch_up.enabled = false;
    cfg
}

/// Double-encodes a payload the way Mastodon's WebSocket does.
fn ws_event(stream: &[&str], event: &str, payload: &str) -> Bytes {
    let stream: Vec<String> = stream.iter().map(|s| format!("\"{s}\"")).collect();
    Bytes::from(format!(
        r#"{{"stream":[{}],"event":"{event}","payload":{}}}"#,
        stream.join(","),
        serde_json::to_string(payload).unwrap()
    ))
}

/// Opens the pending WebSocket (the upgrade succeeds).
fn open(sim: &mut Sim) -> TransportId {
    let (id, _, _) = *sim
        .connects
        .iter()
        .rev()
        .find(|(id, _, _)| sim.ws_requests.contains_key(id) && !sim.closed.contains(id))
        .expect("a WebSocket connect");
    sim.input(Input::Connected(id));
    id
}

fn message(sim: &mut Sim, id: TransportId, text: Bytes) {
    sim.ws_message(id, text);
}

fn caught_up(sim: &Sim, timeline: &str) -> bool {
    sim.items
        .iter()
        .filter(|i| matches!(i, Item::CaughtUp { timeline: t, .. } if t.to_string() == timeline))
        .count()
        == 1
}

fn sent_to(sim: &Sim, id: TransportId) -> Vec<&str> {
    sim.sent
        .iter()
        .filter(|(t, _)| *t == id)
        .map(|(_, m)| m.as_str())
        .collect()
}

#[test]
fn upgrade_request_carries_the_token_in_a_header_only() {
    let sim = Sim::new(config(vec![]));
    let (id, target, _) = &sim.connects[0];
    let req = &sim.ws_requests[id];
    assert_eq!(req.url, "wss://mastodon.example/api/v1/streaming");
    assert!(target.tls && target.port == 443);
    assert!(
        req.headers
            .contains(&("Authorization".into(), "Bearer ws-secret".into()))
    );
    assert!(!format!("{req:?}").contains("ws-secret"));
    assert_eq!(
        req.max_message,
        2 * mastostream_proto::Limits::default().max_event
    );
    assert!(!format!("{:?}", sim.session).contains("ws-secret"));
}

#[test]
fn subscribes_to_every_stream_and_tags_each_event_with_its_stream() {
    let mut sim = Sim::new(config(vec![Channel::hashtag("rust")]));
    let id = open(&mut sim);
    assert_eq!(
        sent_to(&sim, id),
        [
            r#"{"type":"subscribe","stream":"public"}"#,
            r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#
        ]
    );
    assert!(
        matches!(sim.items[0], Item::Connected { ref url, .. } if url == "wss://mastodon.example/api/v1/streaming")
    );
    let status = status_json(&sid(1));
    message(&mut sim, id, ws_event(&["public"], "update", &status));
    // The same status on the hashtag stream is a second, legitimate delivery.
    message(
        &mut sim,
        id,
        ws_event(&["hashtag", "rust"], "update", &status),
    );
    message(&mut sim, id, ws_event(&["public"], "delete", &sid(1)));
    let got: Vec<(Option<Channel>, &str)> = sim
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some((e.channel.clone(), e.event.kind().as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some(public()), "update"),
            (Some(Channel::hashtag("rust")), "update"),
            (Some(public()), "delete"),
        ]
    );
}

#[test]
fn a_dropped_connection_resubscribes_everything() {
    let mut sim = Sim::new(config(vec![Channel::list("42")]));
    let first = open(&mut sim);
    sim.input(Input::Command(Command::Subscribe(
        Channel::hashtag("café").local_only(),
    )));
    sim.input(Input::Command(Command::Unsubscribe(Channel::list("42"))));
    assert_eq!(
        sent_to(&sim, first),
        [
            r#"{"type":"subscribe","stream":"public"}"#,
            r#"{"type":"subscribe","stream":"list","list":"42"}"#,
            r#"{"type":"subscribe","stream":"hashtag:local","tag":"café"}"#,
            r#"{"type":"unsubscribe","stream":"list","list":"42"}"#,
        ]
    );
    sim.eof(first);
    assert!(
        sim.items
            .iter()
            .any(|i| matches!(i, Item::Disconnected { .. }))
    );
    sim.advance(Duration::from_secs(2));
    let second = open(&mut sim);
    assert_ne!(first, second);
    assert_eq!(
        sent_to(&sim, second),
        [
            r#"{"type":"subscribe","stream":"public"}"#,
            r#"{"type":"subscribe","stream":"hashtag:local","tag":"café"}"#,
        ]
    );
}

#[test]
fn pings_keep_it_alive_and_silence_kills_it() {
    let mut sim = Sim::new(config(vec![]));
    let id = open(&mut sim);
    for _ in 0..20 {
        sim.advance(Duration::from_secs(30));
        sim.ws_frame(id);
    }
    assert!(!sim.closed.contains(&id));
    sim.advance(Duration::from_secs(89));
    assert!(!sim.closed.contains(&id));
    sim.advance(Duration::from_secs(1));
    assert!(sim.closed.contains(&id), "dead after 90 s without a frame");
}

#[test]
fn errors_are_tied_to_the_refused_subscription_which_is_dropped() {
    let mut sim = Sim::new(config(vec![Channel::list("42")]));
    let id = open(&mut sim);
    // `public` is confirmed by an event; the list is refused.
    message(&mut sim, id, ws_event(&["public"], "delete", &sid(1)));
    message(
        &mut sim,
        id,
        Bytes::from_static(br#"{"error":"Not authorized to stream this list","status":401}"#),
    );
    let Some(Item::StreamError {
        channel,
        status,
        error,
        dropped,
    }) = sim
        .items
        .iter()
        .find(|i| matches!(i, Item::StreamError { .. }))
    else {
        panic!("no stream error: {:#?}", sim.items)
    };
    assert_eq!(channel.as_ref(), Some(&Channel::list("42")));
    assert_eq!(*status, Some(401));
    assert_eq!(error, "Not authorized to stream this list");
    assert!(*dropped);
    assert!(
        sim.finished.is_none(),
        "a refused subscription does not end the session"
    );
    assert_eq!(sim.session.subscriptions().collect::<Vec<_>>(), [&public()]);
    // A message that is not a Mastodon message costs itself only.
    message(&mut sim, id, Bytes::from_static(b"not json"));
    message(&mut sim, id, ws_event(&["public"], "delete", &sid(2)));
    let kinds: Vec<&str> = sim
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(if e.event.is_malformed() {
                "malformed"
            } else {
                e.event.kind().as_str()
            }),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["delete", "malformed", "delete"]);
}

#[test]
fn an_expired_token_at_upgrade_is_fatal_with_the_server_message() {
    let mut sim = Sim::new(config(vec![]));
    let (id, _, _) = sim.connects[0];
    let head = ResponseHead::new(
        401,
        "Unauthorized",
        vec![Header {
            name: "X-Error-Message".into(),
            value: Bytes::from_static(b"Invalid access token"),
        }],
    );
    sim.ws_rejected(id, head, Bytes::new());
    let Some(Err(e)) = &sim.finished else {
        panic!("not finished")
    };
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.server_message(), Some("Invalid access token"));
    sim.advance(Duration::from_secs(600));
    assert_eq!(sim.connects.len(), 1);
}

#[test]
fn unavailable_at_upgrade_is_retried() {
    let mut sim = Sim::new(config(vec![]));
    let (id, _, _) = sim.connects[0];
    let head = ResponseHead::new(
        503,
        "Service Unavailable",
        vec![Header {
            name: "Retry-After".into(),
            value: Bytes::from_static(b"20"),
        }],
    );
    sim.ws_rejected(id, head, Bytes::new());
    assert!(sim.reconnect_delays()[0] >= Duration::from_secs(20));
    sim.advance(Duration::from_secs(25));
    assert_eq!(sim.connects.len(), 2);
}

#[test]
fn catch_up_runs_per_subscription_after_a_reconnect() {
    let mut cfg = config(vec![Channel::hashtag("rust")]);
    cfg.catch_up.enabled = true;
    let mut sim = Sim::new(cfg);
    let mut public_tl = Timeline::new("/api/v1/timelines/public");
    let mut tag_tl = Timeline::new("/api/v1/timelines/tag/rust");
    let id = open(&mut sim);
    for tl in [&mut public_tl, &mut tag_tl] {
        let f = sim.until_connect(tl.path, Duration::from_secs(1));
        let t = sim.target(f);
        sim.data(f, tl.serve(&t));
    }
    public_tl.push(&sid(1), status_json(&sid(1)));
    message(
        &mut sim,
        id,
        ws_event(&["public"], "update", &status_json(&sid(1))),
    );
    tag_tl.push(&sid(2), status_json(&sid(2)));
    message(
        &mut sim,
        id,
        ws_event(&["hashtag", "rust"], "update", &status_json(&sid(2))),
    );
    sim.eof(id);
    public_tl.push(&sid(3), status_json(&sid(3)));
    tag_tl.push(&sid(4), status_json(&sid(4)));
    sim.advance(Duration::from_secs(2));
    let id = open(&mut sim);
    // Live while catching up: held back, tagged with its stream.
    message(
        &mut sim,
        id,
        ws_event(&["hashtag", "rust"], "update", &status_json(&sid(5))),
    );
    tag_tl.push(&sid(5), status_json(&sid(5)));
    for (tl, name) in [(&mut public_tl, "public"), (&mut tag_tl, "hashtag #rust")] {
        while !caught_up(&sim, name) {
            let f = sim.until_connect(tl.path, Duration::from_secs(1));
            let t = sim.target(f);
            sim.data(f, tl.serve(&t));
        }
    }
    assert!(!sim.session.is_catching_up());
    let got: Vec<String> = sim
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Event(StreamEvent {
                event: Event::Update(s),
                recovered,
                ..
            }) => Some(format!(
                "{} {}",
                if *recovered { "recovered" } else { "live" },
                s.id
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [
            format!("live {}", sid(1)),
            format!("live {}", sid(2)),
            format!("recovered {}", sid(3)),
            format!("recovered {}", sid(4)),
            format!("live {}", sid(5)),
        ]
    );
}

/// The error of the stream it names by kind (a list or tag error), not the oldest
/// unconfirmed subscription: Mastodon confirms no subscription, so a quiet `public`
/// subscribed first must not take the blame (and be dropped) for a refused list.
#[test]
fn errors_naming_a_list_or_tag_go_to_that_subscription_not_the_oldest() {
    let mut sim = Sim::new(config(vec![Channel::list("42"), Channel::hashtag("rust")]));
    let id = open(&mut sim);
    message(
        &mut sim,
        id,
        Bytes::from_static(br#"{"error":"Missing tag name parameter","status":400}"#),
    );
    message(
        &mut sim,
        id,
        Bytes::from_static(br#"{"error":"Not authorized to stream this list","status":401}"#),
    );
    // An error naming no kind of stream goes to the oldest one still unconfirmed.
    message(
        &mut sim,
        id,
        Bytes::from_static(br#"{"error":"Something went wrong","status":500}"#),
    );
    // A list error with no list left unconfirmed is tied to no subscription.
    message(
        &mut sim,
        id,
        Bytes::from_static(br#"{"error":"Not authorized to stream this list","status":401}"#),
    );
    let errors: Vec<(Option<Channel>, Option<u16>)> = sim
        .items
        .iter()
        .filter_map(|i| match i {
            Item::StreamError {
                channel, status, ..
            } => Some((channel.clone(), *status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        [
            (Some(Channel::hashtag("rust")), Some(400)),
            (Some(Channel::list("42")), Some(401)),
            (Some(public()), Some(500)),
            (None, Some(401)),
        ]
    );
    // The refused ones are dropped; `public` (a 500 is not a refusal) stays.
    assert_eq!(sim.session.subscriptions().collect::<Vec<_>>(), [&public()]);
    assert!(sim.finished.is_none());
}
