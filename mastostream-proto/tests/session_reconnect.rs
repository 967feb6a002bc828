//! Session timers, backoff, classification and redirects, in simulated time.

use std::time::Duration;

use mastostream_proto::session::{Backoff, Instance, Item, Machine, Rng, SessionConfig};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, ErrorKind, Event, http::Token};

const STREAM: &str = "/api/v1/streaming/user";

fn config() -> SessionConfig {
    let mut cfg = SessionConfig::new(
        Instance::parse("https://mastodon.example").unwrap(),
        Channel::User,
    )
    .token(Token::new("secret-token-123"))
    .seed(42);
    cfg.catch_up.enabled = false;
    cfg
}

#[test]
fn request_carries_the_token_in_the_header_only() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    let req = &sim.requests[&id];
    assert!(req.starts_with("GET /api/v1/streaming/user HTTP/1.1\r\nHost: mastodon.example\r\n"));
    assert!(req.contains("\r\nAuthorization: Bearer secret-token-123\r\n"));
    assert!(req.contains("\r\nAccept: text/event-stream\r\n"));
    assert_eq!(req.matches("secret-token-123").count(), 1);
    assert!(!sim.target(id).contains("token"));
    assert!(!format!("{:?}", sim.session).contains("secret-token-123"));
    assert_eq!(sim.connects[0].1.port, 443);
    assert!(sim.connects[0].1.tls);
}

#[test]
fn backoff_schedule_is_exactly_the_seeded_one() {
    let mut sim = Sim::new(config());
    let mut connect_times = Vec::new();
    for _ in 0..12 {
        let id = sim.until_connect(STREAM, Duration::from_secs(120));
        connect_times.push(sim.now);
        sim.refuse(id);
    }
    // The schedule for seed 42 under the default backoff (floor 0.5 s, first cap 1 s, doubling,
    // at most 60 s), in nanoseconds, computed outside this crate: SplitMix64 from its seed,
    // Lemire's bounded integer in [0, cap - floor], plus the floor. The Python program that
    // derives them is in tests/vectors/README.md.
    let want: Vec<Duration> = [
        870_782_440u64,
        739_865_589,
        1_475_103_956,
        3_081_430_374,
        1_089_467_612,
        27_849_184_412,
        13_495_109_026,
        48_137_596_665,
        20_725_896_815,
        37_299_682_948,
        12_691_658_992,
        29_832_856_555,
    ]
    .map(Duration::from_nanos)
    .to_vec();
    assert_eq!(sim.reconnect_delays(), want);
    // The public Backoff gives the same schedule from the same seed.
    let backoff = Backoff::default();
    let mut rng = Rng::new(42);
    let public: Vec<Duration> = (0..12).map(|n| backoff.delay(n, &mut rng)).collect();
    assert_eq!(public, want);
    // Each reconnect happens exactly when due.
    for (i, w) in connect_times.windows(2).enumerate() {
        assert_eq!(w[1] - w[0], want[i], "attempt {i}");
    }
    // Another seed, another schedule.
    let mut other = Sim::new(config().seed(43));
    for _ in 0..5 {
        let id = other.until_connect(STREAM, Duration::from_secs(120));
        other.refuse(id);
    }
    assert_ne!(other.reconnect_delays(), want[..5]);
}

#[test]
fn idle_timeout_fires_at_45s_without_heartbeats_and_never_while_they_flow() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    // Heartbeats every 15 s for ten minutes: no reconnect.
    for _ in 0..40 {
        sim.advance(Duration::from_secs(15));
        sim.data(id, chunk(b":thump\n"));
    }
    assert!(sim.reconnect_delays().is_empty());
    assert_eq!(sim.connects.len(), 1);
    // Silence: dead at exactly 45 s after the last byte.
    let last = sim.now;
    sim.advance(Duration::from_secs(44));
    assert!(!sim.closed.contains(&id));
    sim.advance(Duration::from_secs(1));
    assert!(sim.closed.contains(&id));
    assert_eq!(sim.now - last, Duration::from_secs(45));
    let Some(Item::Disconnected { error }) = sim
        .items
        .iter()
        .find(|i| matches!(i, Item::Disconnected { .. }))
    else {
        panic!("no disconnect item")
    };
    assert!(matches!(
        error.kind(),
        ErrorKind::Timeout(mastostream_proto::error::Timeout::Idle(_))
    ));
    sim.until_connect(STREAM, Duration::from_secs(2));
}

#[test]
fn any_byte_resets_the_idle_timer() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    for _ in 0..10 {
        sim.advance(Duration::from_secs(40));
        // One byte of an event, not even a whole line.
        sim.data(id, chunk(b"e"));
    }
    assert!(!sim.closed.contains(&id));
}

#[test]
fn unauthorized_stops_with_the_server_message_and_never_retries() {
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
        panic!("not finished: {:?}", sim.items)
    };
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.server_message(), Some("Invalid access token"));
    assert!(!e.to_string().contains("secret-token"));
    sim.advance(Duration::from_secs(3600));
    assert_eq!(sim.connects.len(), 1);
    assert_eq!(sim.after_finish, 0);
    assert!(sim.deadline.is_none());
    assert!(sim.session.is_finished());
}

#[test]
fn client_errors_stop() {
    for (status, body) in [
        (
            "400 Bad Request",
            r#"{"error":"Unknown channel requested"}"#,
        ),
        ("403 Forbidden", r#"{"error":"Forbidden"}"#),
        ("404 Not Found", r#"{"error":"Not found"}"#),
        ("410 Gone", r#"{"error":"Gone"}"#),
    ] {
        let mut sim = Sim::new(config());
        let id = sim.until_connect(STREAM, Duration::ZERO);
        sim.data(id, json_response(status, body, ""));
        let Some(Err(e)) = &sim.finished else {
            panic!("{status}: not finished")
        };
        assert_eq!(e.status(), status[..3].parse().ok(), "{status}");
        // And never later: a day passes without another attempt.
        sim.advance(Duration::from_secs(86_400));
        assert_eq!(sim.connects.len(), 1, "{status}");
        assert!(sim.deadline.is_none(), "{status}");
    }
}

#[test]
fn too_many_requests_waits_at_least_retry_after() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(
        id,
        json_response(
            "429 Too Many Requests",
            r#"{"error":"Too many requests"}"#,
            "Retry-After: 30\r\n",
        ),
    );
    let delays = sim.reconnect_delays();
    assert_eq!(delays.len(), 1);
    assert!(delays[0] >= Duration::from_secs(30), "{delays:?}");
    let before = sim.now;
    sim.until_connect(STREAM, Duration::from_secs(120));
    assert!(sim.now - before >= Duration::from_secs(30));
}

#[test]
fn unavailable_with_an_http_date_waits_until_then() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    let at = httpdate::fmt_http_date(wall0() + Duration::from_secs(120));
    sim.data(
        id,
        json_response(
            "503 Service Unavailable",
            "{}",
            &format!("Retry-After: {at}\r\n"),
        ),
    );
    assert_eq!(sim.reconnect_delays().len(), 1);
    assert!(sim.reconnect_delays()[0] >= Duration::from_secs(120));
}

#[test]
fn server_errors_and_clean_ends_reconnect() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(id, json_response("500 Internal Server Error", "{}", ""));
    let id = sim.until_connect(STREAM, Duration::from_secs(5));
    sim.data(id, bytes::Bytes::from_static(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>"));
    let id = sim.until_connect(STREAM, Duration::from_secs(10));
    sim.data(id, SSE_HEAD);
    sim.data(id, bytes::Bytes::from_static(b"0\r\n\r\n"));
    sim.until_connect(STREAM, Duration::from_secs(10));
    assert_eq!(sim.reconnect_delays().len(), 3);
    assert!(sim.finished.is_none());
}

#[test]
fn redirects_are_followed_and_a_permanent_one_is_remembered() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(
        id,
        json_response(
            "301 Moved Permanently",
            "",
            "Location: https://streaming.mastodon.example/api/v1/streaming/user\r\n",
        ),
    );
    let id = sim.until_connect(STREAM, Duration::ZERO);
    assert_eq!(
        sim.connects.last().unwrap().1.host,
        "streaming.mastodon.example"
    );
    assert!(sim.requests[&id].contains("Host: streaming.mastodon.example\r\n"));
    // Another origin never gets the token (as curl, browsers and reqwest do).
    assert!(
        !sim.requests[&id].contains("Authorization"),
        "{}",
        sim.requests[&id]
    );
    sim.data(id, SSE_HEAD);
    sim.eof(id);
    sim.until_connect(STREAM, Duration::from_secs(5));
    assert_eq!(
        sim.connects.last().unwrap().1.host,
        "streaming.mastodon.example"
    );
}

#[test]
fn a_same_origin_redirect_keeps_the_token() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(
        id,
        json_response(
            "307 Temporary Redirect",
            "",
            "Location: /api/v1/streaming/user?moved=1\r\n",
        ),
    );
    let id = sim.until_connect(STREAM, Duration::ZERO);
    assert_eq!(sim.target(id), "/api/v1/streaming/user?moved=1");
    assert!(sim.requests[&id].contains("Authorization: Bearer secret-token-123"));
}

#[test]
fn redirect_loops_are_named_and_chains_are_bounded() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(
        id,
        json_response("302 Found", "", "Location: /api/v1/streaming/other\r\n"),
    );
    let id = sim.until_connect("/api/v1/streaming/other", Duration::ZERO);
    sim.data(
        id,
        json_response("302 Found", "", "Location: /api/v1/streaming/user\r\n"),
    );
    let Some(Err(e)) = &sim.finished else {
        panic!("redirect loop not stopped")
    };
    assert!(matches!(e.kind(), ErrorKind::RedirectLoop { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "redirect loop: https://mastodon.example/api/v1/streaming/user was already visited"
    );
    assert_eq!(sim.connects.len(), 2);

    let mut sim = Sim::new(config());
    for n in 0..6 {
        let id = sim.until_connect("/api/v1/streaming/", Duration::ZERO);
        let location = format!("Location: /api/v1/streaming/hop{n}\r\n");
        sim.data(id, json_response("302 Found", "", &location));
    }
    let Some(Err(e)) = &sim.finished else {
        panic!("redirect chain not stopped")
    };
    assert!(
        matches!(e.kind(), ErrorKind::TooManyRedirects { limit: 5 }),
        "{e}"
    );
    assert_eq!(sim.connects.len(), 6);
    sim.advance(Duration::from_secs(3600));
    assert_eq!(
        sim.connects.len(),
        6,
        "no retry after a fatal redirect error"
    );
}

#[test]
fn redirect_to_plain_http_is_refused() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.data(
        id,
        json_response(
            "302 Found",
            "",
            "Location: http://mastodon.example/api/v1/streaming/user\r\n",
        ),
    );
    let Some(Err(e)) = &sim.finished else {
        panic!()
    };
    assert!(matches!(e.kind(), ErrorKind::BadRedirect { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "redirect to \"http://mastodon.example/api/v1/streaming/user\" refused: a downgrade from https to http"
    );
}

#[test]
fn retry_zero_does_not_spin() {
    let mut sim = Sim::new(config());
    let start = sim.now;
    // The server says `retry: 0` and hangs up, over and over, for ten simulated minutes.
    while sim.now - start < Duration::from_secs(600) {
        let id = sim.until_connect(STREAM, Duration::from_secs(120));
        sim.data(id, SSE_HEAD);
        sim.data(id, chunk(b"retry: 0\n:)\n"));
        sim.eof(id);
    }
    assert!(
        sim.reconnect_delays()
            .iter()
            .all(|d| *d >= Backoff::default().min)
    );
    // Backoff grows to its 60 s cap: ten minutes hold few attempts.
    // (A spinning client would connect over a thousand times.)
    assert!(sim.connects.len() < 60, "{} connects", sim.connects.len());
}

#[test]
fn retry_field_is_a_floor() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    sim.data(id, chunk(b"retry: 20000\n"));
    sim.eof(id);
    assert!(sim.reconnect_delays()[0] >= Duration::from_secs(20));
}

#[test]
fn a_healthy_stream_resets_the_backoff() {
    let mut sim = Sim::new(config());
    for _ in 0..6 {
        let id = sim.until_connect(STREAM, Duration::from_secs(120));
        sim.refuse(id);
    }
    let id = sim.go_live(STREAM);
    for _ in 0..5 {
        sim.advance(Duration::from_secs(15));
        sim.data(id, chunk(b":thump\n"));
    }
    sim.eof(id);
    let Some(Item::Reconnecting { attempt, delay, .. }) = sim.items.last() else {
        panic!()
    };
    assert_eq!(*attempt, 1);
    assert!(*delay <= Backoff::default().initial);
}

#[test]
fn connect_and_head_timeouts() {
    let mut sim = Sim::new(config());
    let first = sim.connects[0].0;
    sim.advance(Duration::from_secs(10));
    assert!(sim.closed.contains(&first), "connect timeout at 10 s");
    let id = sim.until_connect(STREAM, Duration::from_secs(5));
    sim.advance(Duration::from_secs(15));
    assert!(sim.closed.contains(&id), "head timeout at 15 s");
    let kinds: Vec<String> = sim
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Reconnecting { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "could not connect within 10 s",
            "no response head after 15 s"
        ]
    );
}

#[test]
fn max_attempts_gives_up() {
    let mut cfg = config();
    cfg.backoff.max_attempts = Some(3);
    let mut sim = Sim::new(cfg);
    for _ in 0..3 {
        let id = sim.until_connect(STREAM, Duration::from_secs(120));
        sim.refuse(id);
    }
    let Some(Err(e)) = &sim.finished else {
        panic!()
    };
    assert!(
        matches!(e.kind(), ErrorKind::GaveUp { attempts: 3, .. }),
        "{e}"
    );
}

#[test]
fn close_while_backing_off_finishes_cleanly() {
    let mut sim = Sim::new(config());
    let id = sim.until_connect(STREAM, Duration::ZERO);
    sim.refuse(id);
    assert!(sim.deadline.is_some());
    sim.close();
    assert!(matches!(sim.finished, Some(Ok(()))));
    assert!(sim.deadline.is_none());
    sim.advance(Duration::from_secs(3600));
    assert_eq!(sim.connects.len(), 1);
    assert_eq!(sim.after_finish, 0);
}

#[test]
fn close_while_live_closes_the_transport() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    sim.close();
    assert!(sim.closed.contains(&id));
    assert!(matches!(sim.finished, Some(Ok(()))));
    // Input for a closed transport is ignored.
    sim.data(id, event("delete", "1"));
    assert_eq!(sim.after_finish, 0);
}

#[test]
fn one_malformed_event_costs_only_itself() {
    let mut sim = Sim::new(config());
    let id = sim.go_live(STREAM);
    sim.data(id, event("update", &status_json(&sid(1))));
    sim.data(id, event("update", "{\"id\":"));
    sim.data(id, chunk(b"event: delete\ndata: \xff\xfe\n\n"));
    sim.data(id, event("update", &status_json(&sid(2))));
    let kinds: Vec<&str> = sim
        .events()
        .iter()
        .map(|(_, e)| {
            if e.is_malformed() {
                "malformed"
            } else {
                e.kind().as_str()
            }
        })
        .collect();
    assert_eq!(kinds, ["update", "malformed", "malformed", "update"]);
    assert!(matches!(sim.items[1].event(), Some(Event::Heartbeat(_))));
}
