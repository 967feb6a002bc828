//! The session's newer decisions, in simulated time: backpressure does not fake silence,
//! the WebSocket close handshake is bounded, server-set delays are capped and said so,
//! the server's rate limit paces catch-up, a resume point is caught up from at once.

use std::time::Duration;

use bytes::Bytes;
use mastostream_proto::http::Token;
use mastostream_proto::session::{
    Command, Input, Instance, Item, Machine, Output, SessionConfig, Timeline as Tl, TransportId,
};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, ErrorKind};

const STREAM: &str = "/api/v1/streaming/user";

fn config() -> SessionConfig {
    let mut cfg = SessionConfig::new(
        Instance::parse("https://mastodon.example").unwrap(),
        Channel::User,
    )
    .token(Token::new("tok"))
    .seed(11);
    cfg.catch_up.enabled = false;
    cfg
}

fn ws_config() -> SessionConfig {
    let mut cfg = SessionConfig::websocket(
        Instance::parse("https://mastodon.example").unwrap(),
        [Channel::User],
    );
    cfg.catch_up.enabled = false;
    cfg
}

fn ws_open(sim: &mut Sim) -> TransportId {
    let (id, _, _) = *sim.connects.last().expect("a connect");
    sim.input(Input::Connected(id));
    id
}

#[test]
fn a_transport_held_back_by_a_slow_application_is_not_silent() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    // Data read at 40 s is handed in late (at 50 s, stamped 40 s): no idle timeout at 45 s.
    sim.advance(Duration::from_secs(40));
    let read_at = sim.now;
    sim.now += Duration::from_secs(10);
    sim.session
        .handle_input(Input::Data(id, chunk(b":thump\n")), read_at);
    sim.pump();
    assert!(
        !sim.closed.contains(&id),
        "data that had arrived counts at its arrival"
    );
    // Then the driver stopped reading for 100 s (the application was busy) and caught up:
    // `Drained` restarts the idle timer from there.
    sim.now += Duration::from_secs(100);
    sim.input(Input::Drained(id));
    assert!(!sim.closed.contains(&id));
    sim.advance(Duration::from_secs(44));
    assert!(!sim.closed.contains(&id));
    sim.advance(Duration::from_secs(2));
    assert!(sim.closed.contains(&id), "real silence still ends it");
}

#[test]
fn closing_a_websocket_runs_its_handshake_then_finishes() {
    let mut sim = Sim::new(ws_config());
    let id = ws_open(&mut sim);
    sim.close();
    assert_eq!(sim.handshakes, [(id, 1000)]);
    assert!(sim.finished.is_none(), "Finished waits for the handshake");
    sim.eof(id);
    assert!(sim.closed.contains(&id));
    assert!(matches!(sim.finished, Some(Ok(()))));

    // A peer that never answers: the grace period ends it.
    let mut sim = Sim::new(ws_config());
    let id = ws_open(&mut sim);
    sim.close();
    sim.advance(Duration::from_millis(999));
    assert!(sim.finished.is_none());
    sim.advance(Duration::from_millis(1));
    assert!(sim.closed.contains(&id) && matches!(sim.finished, Some(Ok(()))));
    assert_eq!(sim.after_finish, 0);
}

#[test]
fn the_servers_close_frame_is_answered_and_named() {
    let mut sim = Sim::new(ws_config());
    let id = ws_open(&mut sim);
    sim.input(Input::WsClose(id, Some((1011, "overloaded".into()))));
    assert_eq!(sim.handshakes, [(id, 1000)], "the handshake is completed");
    let Some(Item::Reconnecting { error, .. }) = sim.items.last() else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(
        error.to_string(),
        "server closed the WebSocket (1011: overloaded)"
    );
    sim.eof(id);
    assert!(sim.closed.contains(&id));
}

#[test]
fn server_delays_are_capped_and_the_item_says_so() {
    let mut cfg = config();
    cfg.max_server_delay = Duration::from_secs(900);
    let mut sim = Sim::new(cfg);
    let id = sim.until_connect(STREAM, Duration::ZERO);
    let far = "Retry-After: 99999999999999999999999999\r\n";
    sim.data(id, json_response("503 Service Unavailable", "{}", far));
    let Some(Item::Reconnecting {
        delay,
        capped,
        error,
        ..
    }) = sim.items.last()
    else {
        panic!()
    };
    assert_eq!(*delay, Duration::from_secs(900));
    assert_eq!(*capped, Some(Duration::from_secs(u64::MAX)));
    assert_eq!(
        error.to_string(),
        "503 Service Unavailable (Retry-After 99999999999999999999999999 s)"
    );
    // And the next attempt waits exactly that long.
    sim.advance(Duration::from_secs(899));
    assert_eq!(sim.connects.len(), 1);
    sim.advance(Duration::from_secs(1));
    assert_eq!(sim.connects.len(), 2);
}

#[test]
fn an_sse_retry_field_is_capped_too() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    sim.data(id, chunk(b"retry: 99999999999999999999\n"));
    sim.eof(id);
    let Some(Item::Reconnecting { delay, capped, .. }) = sim.items.last() else {
        panic!("{:#?}", sim.items)
    };
    assert_eq!(*delay, Duration::from_secs(15 * 60));
    assert!(capped.is_some());
}

#[test]
fn a_page_is_asked_again_after_a_429_and_the_rate_limit_paces_catch_up() {
    let mut cfg = config();
    cfg.catch_up.enabled = true;
    cfg.catch_up.anchor = false;
    // No heartbeats in this test: the stream may stay silent for its whole length.
    cfg.timeouts.idle = Duration::from_secs(3600);
    let cfg = cfg
        .resume_from(Tl::Home, sid(1))
        .resume_from(Tl::Notifications, sid(1));
    let mut sim = Sim::new(cfg);
    let stream = sim.go_live(STREAM);
    // A resume point means a catch-up on the very first connection.
    let page = sim.until_connect("/api/v1/timelines/home", Duration::ZERO);
    assert!(sim.target(page).contains(&format!("min_id={}", sid(1))));
    sim.data(
        page,
        json_response("429 Too Many Requests", "{}", "Retry-After: 30\r\n"),
    );
    sim.advance(Duration::from_secs(29));
    assert_eq!(sim.connects.len(), 2, "no request before Retry-After");
    let page = sim.until_connect("/api/v1/timelines/home", Duration::from_secs(2));
    // The server's budget is spent until 2026-11-23 08:01:00 (a minute after the start).
    let limit = "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 2026-11-23T08:01:00.000Z\r\n";
    let body = format!("[{}]", status_json(&sid(2)));
    sim.data(page, json_response("200 OK", &body, limit));
    let before = sim.connects.len();
    sim.advance(Duration::from_secs(29));
    assert_eq!(
        sim.connects.len(),
        before,
        "no request while the budget is spent"
    );
    sim.advance(Duration::from_secs(2));
    assert_eq!(sim.connects.len(), before + 1);
    let ids = sim.status_ids();
    assert_eq!(ids, [(true, sid(2))]);
    assert!(!sim.closed.contains(&stream));
}

#[test]
fn reasons_name_exactly_what_went_wrong() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
            "not an event stream (Content-Type text/html)",
        ),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
            "not a valid HTTP response (not HTTP: it starts with \"SSH-2.0-OpenSSH_9.6\")",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "not a valid HTTP response (malformed Content-Length)",
        ),
        (
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\nContent-Length: 0\r\n\r\n",
            "429 Too Many Requests (Retry-After Fri, 31 Dec 9999 23:59:59 GMT)",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n",
            "invalid chunked body: chunk size overflows 64 bits",
        ),
    ];
    for (wire, want) in cases {
        let mut sim = Sim::new(config());
        let id = sim.until_connect(STREAM, Duration::ZERO);
        sim.data(id, Bytes::from_static(wire));
        let errors: Vec<String> = sim
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Reconnecting { error, .. } => Some(error.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(errors, [want], "{}", String::from_utf8_lossy(wire));
    }
    let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 20_000));
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(id, big);
    assert!(matches!(
        sim.items.last(),
        Some(Item::Reconnecting { error, .. }) if error.to_string() == "response head over 16 KiB"
    ));
}

#[test]
fn a_finished_session_only_waits() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(
        id,
        json_response(
            "401 Unauthorized",
            r#"{"error":"Invalid access token"}"#,
            "",
        ),
    );
    let Some(Err(e)) = &sim.finished else {
        panic!()
    };
    assert!(matches!(e.kind(), ErrorKind::Status { .. }));
    assert_eq!(e.to_string(), "401 Unauthorized: Invalid access token");
    for _ in 0..3 {
        assert!(matches!(
            sim.session.poll_output(),
            Output::Wait { deadline: None }
        ));
    }
    sim.input(Input::Command(Command::Close));
    sim.input(Input::Timeout);
    assert_eq!(sim.after_finish, 0);
    assert!(sim.session.is_finished());
}

#[test]
fn events_carry_their_payload_as_sent_and_the_position_they_reach() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    // A field this version does not model stays in the payload as the server wrote it.
    let json = status_json(&sid(7)).replacen('{', r#"{"x_unmodelled":[1,2],"#, 1);
    sim.data(id, event("update", &json));
    let Some(Item::Event(e)) = sim.items.last() else {
        panic!()
    };
    assert_eq!(&e.data[..], json.as_bytes());
    assert_eq!(e.cursor, Some((Tl::Home, sid(7).into())));
    sim.data(id, event("delete", &sid(7)));
    let Some(Item::Event(e)) = sim.items.last() else {
        panic!()
    };
    assert_eq!((&e.data[..], &e.cursor), (sid(7).as_bytes(), &None));
}
