//! The WebSocket endpoint, driven by a plain sync `tungstenite` client.

use std::time::Duration;

use tungstenite::Message;

use super::util::{connect, next_text, subscriptions};
use crate::*;

#[test]
fn multiplexes_mastodons_messages() {
    let server = FakeServer::start(ServerOptions {
        token: Some("tok".into()),
        ..ServerOptions::default()
    });
    server.forbid_list("7");
    let mut ws = connect(&server, "?stream=user", Some("tok")).unwrap();
    for text in [
        r#"{"type":"subscribe","stream":"hashtag","tag":"rust"}"#,
        r#"{"type":"subscribe","stream":"list","list":"7"}"#,
        r#"{"type":"subscribe","stream":"hashtag"}"#,
    ] {
        ws.send(Message::text(text)).unwrap();
    }
    let mut pings = 0;
    assert_eq!(
        next_text(&mut ws, &mut pings),
        r#"{"error":"Not authorized to stream this list","status":401}"#
    );
    assert_eq!(
        next_text(&mut ws, &mut pings),
        r#"{"error":"Missing tag name parameter","status":400}"#
    );
    assert!(subscriptions(&server, 2));
    assert_eq!(server.live_streams(), 1);
    let id = server.publish_update();
    let notification = server.publish_notification();
    server.publish_delete(id);
    server.heartbeat();
    server.publish_to(&["hashtag", "rust"], "notifications_merged", "1");
    let got: Vec<String> = (0..6).map(|_| next_text(&mut ws, &mut pings)).collect();
    let status = server.generator().status_json(id);
    let encoded = |s: &str| serde_json::to_string(s).unwrap();
    assert_eq!(
        got[0],
        format!(
            r#"{{"stream":["user"],"event":"update","payload":{}}}"#,
            encoded(&status)
        )
    );
    assert_eq!(
        got[1],
        format!(
            r#"{{"stream":["hashtag","rust"],"event":"update","payload":{}}}"#,
            encoded(&status)
        )
    );
    assert!(
        got[2].starts_with(r#"{"stream":["user"],"event":"notification","payload":"{\"id\":\""#)
    );
    assert!(got[2].contains(&notification.to_string()));
    assert_eq!(
        got[3],
        format!(r#"{{"stream":["user"],"event":"delete","payload":"{id}"}}"#)
    );
    assert_eq!(
        got[4],
        format!(r#"{{"stream":["hashtag","rust"],"event":"delete","payload":"{id}"}}"#)
    );
    assert_eq!(
        got[5],
        r#"{"stream":["hashtag","rust"],"event":"notifications_merged","payload":"1"}"#
    );
    assert_eq!(pings, 1);
    // Unsubscribing stops that stream.
    ws.send(Message::text(
        r#"{"type":"unsubscribe","stream":"hashtag","tag":"rust"}"#,
    ))
    .unwrap();
    assert!(subscriptions(&server, 1));
    server.publish_delete(id);
    assert_eq!(
        next_text(&mut ws, &mut pings),
        format!(r#"{{"stream":["user"],"event":"delete","payload":"{id}"}}"#)
    );
    let log = &server.ws_connections()[0];
    assert_eq!(log.messages.len(), 4);
    assert_eq!(log.subscriptions, [vec!["user".to_owned()]]);
    assert!(log.open);
    // A revoked token: the next upgrade is refused as Mastodon does.
    server.revoke_token();
    assert_eq!(
        connect(&server, "", Some("tok")).unwrap_err(),
        "401 Invalid access token"
    );
    assert_eq!(
        connect(&server, "", None).unwrap_err(),
        "401 Missing access token"
    );
    // A restart closes the WebSocket too.
    server.restart();
    assert!(ws.read().is_err());
    assert!(server.wait_until(Duration::from_secs(5), |_, live, _| live == 0));
}

#[test]
fn plans_cut_websockets() {
    let server = FakeServer::start(ServerOptions::default());
    server.plan([
        Plan::Reply(Reply::unavailable(Some(3))),
        Plan::Stream(StreamPlan {
            cut: Some((1, Cut::End)),
            ..StreamPlan::default()
        }),
    ]);
    assert_eq!(connect(&server, "", None).unwrap_err(), "503 ");
    let mut ws = connect(&server, "?stream=public", None).unwrap();
    assert!(subscriptions(&server, 1));
    server.publish_update();
    server.publish_update();
    let mut pings = 0;
    assert!(next_text(&mut ws, &mut pings).contains(r#""event":"update""#));
    // The second event ends the connection with a close frame.
    assert!(matches!(ws.read(), Ok(Message::Close(_))));
    assert_eq!(server.live_streams(), 0);
    assert_eq!(server.streams_opened(), 1);
}

#[test]
fn records_the_clients_close_frame() {
    use tungstenite::protocol::CloseFrame;
    use tungstenite::protocol::frame::coding::CloseCode;
    let server = FakeServer::start(ServerOptions::default());
    // A client that drops the socket sends no close frame.
    let dropped = connect(&server, "?stream=public", None).unwrap();
    assert!(subscriptions(&server, 1));
    drop(dropped);
    // One that closes cleanly does, and gets the server's close frame back.
    let mut ws = connect(&server, "?stream=user", None).unwrap();
    assert!(server.wait_ws(Duration::from_secs(5), |ws| ws.len() == 2
        && ws[1].subscriptions.len() == 1
        && !ws[0].open));
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }))
    .unwrap();
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("no clean close: {e}"),
        }
    }
    assert!(server.wait_ws(Duration::from_secs(5), |ws| !ws[1].open));
    let log = server.ws_connections();
    assert_eq!(log[0].client_close, None);
    assert_eq!(log[1].client_close, Some(Some(1000)));
}
