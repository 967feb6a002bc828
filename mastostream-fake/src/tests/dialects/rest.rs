//! Every dialect's discovery documents and REST pagination; Sharkey's silent socket.

use serde_json::Value;

use super::{PONG, RawWs, json, server};
use crate::tests::util::{body, get};
use crate::*;

const TOKEN: &str = "Authorization: Bearer tok\r\n";

/// A JSON document the server answers `200` with.
fn document(server: &FakeServer, path: &str) -> Value {
    let answer = get(server, path, "");
    assert!(
        answer.starts_with("HTTP/1.1 200 OK\r\n"),
        "{path}: {answer}"
    );
    json(body(&answer))
}

#[test]
fn nodeinfo_and_instance_documents_name_the_software_and_the_streaming_url() {
    for dialect in Dialect::ALL {
        let server = server(dialect);
        let links = document(&server, "/.well-known/nodeinfo");
        let links = links["links"].as_array().unwrap();
        assert!(!links.is_empty(), "{dialect:?}");
        for link in links {
            let href = link["href"].as_str().unwrap();
            let path = href.strip_prefix(&server.url()).unwrap();
            let info = document(&server, path);
            assert_eq!(
                info["software"]["name"],
                dialect.software_name(),
                "{dialect:?}"
            );
            assert_eq!(info["software"]["version"], dialect.software_version());
            let version = link["rel"].as_str().unwrap().rsplit('/').next().unwrap();
            assert_eq!(info["version"], version, "{href}");
        }
        let v1 = document(&server, "/api/v1/instance");
        assert_eq!(v1["version"], dialect.instance_version().as_str());
        assert_eq!(v1["urls"]["streaming_api"], server.streaming_url().as_str());
        let v2 = get(&server, "/api/v2/instance", "");
        assert_eq!(
            v2.starts_with("HTTP/1.1 200 "),
            dialect.has_instance_v2(),
            "{dialect:?}: {v2}"
        );
        if dialect.has_instance_v2() {
            let urls = &json(body(&v2))["configuration"]["urls"];
            let key = if dialect == Dialect::IceshrimpNet {
                "streaming_api"
            } else {
                "streaming"
            };
            assert_eq!(urls[key], server.streaming_url().as_str(), "{dialect:?}");
        }
    }
    let akkoma = server(Dialect::Akkoma);
    let links = document(&akkoma, "/.well-known/nodeinfo");
    assert!(
        links["links"][1]["href"]
            .as_str()
            .unwrap()
            .ends_with("/nodeinfo/2.1.json")
    );
    let v1 = document(&akkoma, "/api/v1/instance");
    assert_eq!(v1["version"], "2.7.2 (compatible; Akkoma 3.16.0)");
    assert!(
        v1["pleroma"]["metadata"]["features"]
            .as_array()
            .unwrap()
            .contains(&"mastodon_api_streaming".into())
    );
    assert_eq!(
        document(&server(Dialect::IceshrimpNet), "/nodeinfo/2.1")["software"]["name"],
        "Iceshrimp.NET"
    );
}

/// The ids of a page, its `Link` header and its status.
fn page(server: &FakeServer, target: &str) -> (u16, Vec<String>, Option<String>) {
    let answer = get(server, target, TOKEN);
    let status = answer[9..12].parse().unwrap();
    let link = answer
        .split("\r\n")
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Link: "))
        .map(str::to_owned);
    let ids = match json(body(&answer)) {
        Value::Array(items) => items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect(),
        _ => Vec::new(),
    };
    (status, ids, link)
}

/// Publishes `n` statuses; their ids as the server writes them.
fn statuses(server: &FakeServer, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| server.publish_status(&StatusBuilder::new()))
        .map(|k| server.wire_id(Collection::Statuses, k))
        .collect()
}

#[test]
fn min_id_pages_are_adjacent_in_every_dialect_and_oldest_first_on_iceshrimp_net() {
    for dialect in Dialect::ALL {
        let server = server(dialect);
        let ids = statuses(&server, 7);
        // Ordered as the server orders them.
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| dialect.status_ids().cmp(a, b));
        assert_eq!(sorted, ids, "{dialect:?}");
        let (status, got, link) = page(
            &server,
            &format!("/api/v1/timelines/home?limit=2&min_id={}", ids[1]),
        );
        assert_eq!(status, 200, "{dialect:?}");
        let mut want = vec![ids[3].clone(), ids[2].clone()];
        if dialect == Dialect::IceshrimpNet {
            want.reverse();
        }
        assert_eq!(got, want, "{dialect:?}");
        let link = link.unwrap();
        assert!(
            link.contains(&format!("min_id={}>; rel=\"prev\"", ids[3])),
            "{dialect:?}: {link}"
        );
        assert!(
            link.contains(&format!("max_id={}", ids[2])),
            "{dialect:?}: {link}"
        );
        // Walking up with `min_id` reaches the newest, then an empty page without Link.
        let (_, top, _) = page(
            &server,
            &format!("/api/v1/timelines/home?limit=40&min_id={}", ids[4]),
        );
        assert_eq!(top.len(), 2, "{dialect:?}");
        let (_, empty, none) = page(
            &server,
            &format!("/api/v1/timelines/home?min_id={}", ids[6]),
        );
        assert!(empty.is_empty() && none.is_none(), "{dialect:?}");
        // `max_id` bounds from above, newest first.
        let (_, below, _) = page(
            &server,
            &format!("/api/v1/timelines/home?max_id={}&limit=2", ids[3]),
        );
        assert_eq!(below, [ids[2].clone(), ids[1].clone()], "{dialect:?}");
    }
}

#[test]
fn each_server_refuses_its_own_parameters() {
    let both = "/api/v1/timelines/home?min_id=1&since_id=1";
    let cases = [
        (
            Dialect::Iceshrimp,
            both,
            500,
            r#"{"error":"Can't user both sinceId and minId params"}"#,
        ),
        (
            Dialect::IceshrimpNet,
            both,
            400,
            r#"{"error":"Can't use sinceId and minId params simultaneously"}"#,
        ),
        (
            Dialect::IceshrimpNet,
            "/api/v1/notifications?limit=0",
            400,
            r#"{"error":"Limit cannot be less than 1"}"#,
        ),
        (
            Dialect::GoToSocial,
            "/api/v1/timelines/home?limit=x",
            400,
            r#"{"error":"Bad Request: bad integer limit value"}"#,
        ),
    ];
    for (dialect, target, status, error) in cases {
        let answer = get(&server(dialect), target, TOKEN);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{dialect:?}: {answer}"
        );
        assert_eq!(body(&answer), error);
    }
}

#[test]
fn notification_limits_differ() {
    for (dialect, max) in [
        (Dialect::Akkoma, 40),
        (Dialect::Mastodon4, 80),
        (Dialect::Mastodon3, 30),
        (Dialect::GoToSocial, 80),
    ] {
        let server = server(dialect);
        for _ in 0..85 {
            server.notify(&NotificationBuilder::new("follow"));
        }
        let (_, ids, link) = page(&server, "/api/v1/notifications?limit=100");
        assert_eq!(ids.len(), max, "{dialect:?}");
        let newest = ids[0].clone();
        assert!(link.unwrap().contains(&format!("min_id={newest}")));
    }
    // Akkoma's notification ids are integers; GoToSocial's ULIDs.
    let akkoma = server(Dialect::Akkoma);
    let n = akkoma.notify(&NotificationBuilder::new("follow"));
    assert_eq!(page(&akkoma, "/api/v1/notifications").1, [n.to_string()]);
}

#[test]
fn iceshrimp_ids_order_by_bytes_not_length() {
    let server = server(Dialect::Iceshrimp);
    let ids = statuses(&server, 40);
    let shorter_later = ids
        .windows(2)
        .position(|w| w[1].len() < w[0].len())
        .expect("a later, shorter id");
    let (_, got, _) = page(
        &server,
        &format!(
            "/api/v1/timelines/home?limit=1&min_id={}",
            ids[shorter_later]
        ),
    );
    assert_eq!(got, [ids[shorter_later + 1].clone()]);
}

#[test]
fn sharkey_accepts_and_never_speaks_mastodon() {
    let server = server(Dialect::Sharkey);
    // `access_token` is not read: an anonymous socket.
    let mut ws = RawWs::open(
        &server,
        "/api/v1/streaming?access_token=tok&stream=user",
        "",
    )
    .unwrap();
    ws.text(r#"{"type":"subscribe","stream":"public"}"#);
    server.publish_status(&StatusBuilder::new());
    ws.send(super::PING, b"barrier");
    let pong = ws.next();
    assert_eq!(
        (pong.opcode, pong.payload.as_slice()),
        (PONG, &b"barrier"[..])
    );
    let log = &server.ws_connections()[0];
    assert_eq!((log.token_place, log.subscriptions.len()), (None, 0));
    assert_eq!(log.messages.len(), 1);
    // A bad bearer token: Misskey's raw 401.
    assert_eq!(
        RawWs::open(
            &server,
            "/api/v1/streaming",
            "Authorization: Bearer bad\r\n"
        )
        .err()
        .unwrap(),
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"Misskey\", error=\"invalid_token\", \
         error_description=\"Failed to authenticate\"\r\n\r\n"
    );
    let ok = RawWs::open(&server, "/api/v1/streaming?i=tok", "").unwrap();
    drop(ok);
    assert_eq!(server.ws_connections()[1].token_place, Some(TokenPlace::I));
}
