//! What each dialect refuses, and what it says that the client does not know: refused
//! streams (Mastodon's error messages, Pleroma's `pleroma:respond`, Iceshrimp.NET's close
//! codes, and the client's own refusal up front where the server would stay silent);
//! unknown and server-specific events (delivered, typed where they mean something, never
//! an error).

use mastostream_client::{Channel, Event, Item, Runtime};

use super::dialects::{Reader, Setup, brief, connected_now, refusals, updates};
use super::{Outcome, ensure};
use crate::fake::{Dialect, StatusBuilder};

/// A list the token's account may not stream.
const FORBIDDEN: &str = "42";

/// How a dialect answers [`refused_streams`]: the streams asked for besides
/// `public:local` (always first, and always taken), the refusals the client reports
/// (stream, status, message; `None`: any message), each dropped, and whether the server
/// refuses by closing the connection (so the client connects twice).
struct Refusing {
    others: Vec<Channel>,
    refused: Vec<(Channel, Option<u16>, Option<&'static str>)>,
    closes: bool,
}

fn refusing(d: Dialect) -> Refusing {
    let list = Channel::list(FORBIDDEN);
    let tag = Channel::hashtag("rust");
    let mine = |refused| Refusing {
        others: vec![list.clone()],
        refused,
        closes: d == Dialect::IceshrimpNet,
    };
    match d {
        Dialect::Mastodon4 => mine(vec![(
            list.clone(),
            Some(401),
            Some("Not authorized to stream this list"),
        )]),
        Dialect::Mastodon3 => mine(vec![(
            list.clone(),
            None,
            Some("Not authorized to stream this list"),
        )]),
        Dialect::Pleroma => mine(vec![(list.clone(), Some(400), Some("bad_topic"))]),
        // Closes the connection (1007): the list was the subscription in flight.
        Dialect::IceshrimpNet => mine(vec![(list.clone(), None, None)]),
        // Ignores it without a word: nothing to report, nothing lost.
        Dialect::Iceshrimp => mine(Vec::new()),
        Dialect::GoToSocial => {
            let notes = Channel::UserNotification;
            Refusing {
                others: vec![tag.clone(), notes.clone()],
                refused: vec![(tag, None, None), (notes, None, None)],
                closes: false,
            }
        }
        _ => Refusing {
            others: vec![tag.clone(), list.clone()],
            refused: vec![(tag, None, None), (list, None, None)],
            closes: false,
        },
    }
}

/// `public:local` and streams the server refuses (list 42, which the account may not
/// stream, or streams it cannot take by message): each refusal is reported once as the
/// server says it (or up front, where it would say nothing), and dropped: the other
/// stream goes on, and after a restart the refused ones are not asked for again.
pub(super) async fn refused_streams<R: Runtime + Default>(rt: R, s: &Setup) -> Outcome {
    let d = s.dialect();
    s.server.forbid_list(FORBIDDEN);
    let case = refusing(d);
    let local = Channel::public_local();
    let mut asked = vec![local.clone()];
    asked.extend(case.others.iter().cloned());
    let dropped: Vec<Channel> = case.refused.iter().map(|r| r.0.clone()).collect();
    let kept: Vec<Channel> = asked
        .iter()
        .filter(|c| !dropped.contains(c))
        .cloned()
        .collect();
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.websocket(asked.clone()));
    // Iceshrimp (JS) answers nothing: wait for its server to have read every message.
    let messages = if d == Dialect::Iceshrimp {
        asked.len()
    } else {
        0
    };
    // On the server, the client's `n`th connection has `public:local` only.
    let settled = |items: &[Item], n: usize| {
        let ws = s.server.ws_connections();
        connected_now(items) == Some(n)
            && ws.len() == n
            && ws.last().is_some_and(|c| {
                c.subscriptions == [local.stream_array()] && c.messages.len() >= messages
            })
    };
    let connections = 1 + usize::from(case.closes);
    r.wait("the refusals, and public:local on the server", |items| {
        settled(items, connections) && refusals(items).len() == case.refused.len()
    })
    .await?;
    let got = refusals(&r.items);
    let matches = got.len() == case.refused.len()
        && got.iter().zip(&case.refused).all(|(g, w)| {
            g.0.as_ref() == Some(&w.0)
                && g.1 == w.1
                && w.2.is_none_or(|m| g.2 == m)
                && !g.2.is_empty()
                && g.3
        });
    ensure(matches, || {
        format!("refusals {got:?}, want {:?} (dropped)", case.refused)
    })?;
    ensure(r.stream.subscriptions() == kept, || {
        format!(
            "subscriptions {:?}, want {kept:?}",
            r.stream.subscriptions()
        )
    })?;
    let id = s.status_id(s.server.publish_update_to(&["public:local"], "update"));
    r.wait(&format!("status {id} on public:local"), |items| {
        updates(items).iter().any(|u| u.0 == id)
    })
    .await
    .map_err(|e| format!("{e}; the server had {:?}", s.server.ws_connections()))?;

    // Restart: the refused streams are not asked for again.
    s.server.restart();
    r.wait("public:local again after the restart", |items| {
        settled(items, connections + 1)
    })
    .await?;
    let again = s.server.ws_connections().pop().unwrap_or_default();
    for c in &dropped {
        let named = again
            .messages
            .iter()
            .any(|m| m.contains(&format!("\"{}\"", c.name())));
        ensure(!named, || {
            format!("{c} was asked for again: {:?}", again.messages)
        })?;
    }
    let id = s.status_id(s.server.publish_update_to(&["public:local"], "update"));
    r.wait(&format!("status {id} after the restart"), |items| {
        updates(items).iter().any(|u| u.0 == id)
    })
    .await?;
    let got = refusals(&r.items);
    ensure(got.len() == case.refused.len(), || {
        format!("refused again after the restart: {got:?}")
    })?;
    s.check_token(&r.items, "")?;
    r.close().await
}

/// What an event says, for comparing: its name, its id or what it carries.
fn said(event: &Event) -> String {
    match event {
        Event::Unknown { name, data } => format!("{name} {}", String::from_utf8_lossy(data)),
        Event::Update(s) => format!("update {}", s.id),
        Event::StatusUpdate(s) => format!("status.update {} {}", s.id, s.edited_at.is_some()),
        Event::ChatUpdate(c) => format!("chat {} {}", c.id, c.unread),
        Event::FollowRelationshipsUpdate(f) => {
            format!("follow {} {} {}", f.state, f.follower.id, f.following.id)
        }
        other => other.kind().as_str().to_owned(),
    }
}

const CHAT: &str = r#"{"id":"9","unread":2,"updated_at":"2024-05-01T12:00:00.000Z"}"#;
const FOLLOW: &str = r#"{"state":"follow_accept","follower":{"id":"AbC1","follower_count":3,"following_count":4},"following":{"id":"AbC2","follower_count":5,"following_count":6}}"#;

/// Publishes what each server sends besides Mastodon 4's basics, on `user`; returns what
/// the client must make of it.
fn publish_extras(s: &Setup) -> Vec<String> {
    let server = &s.server;
    let mut want = Vec::new();
    let mut edit = || {
        let key = server.publish_status(&StatusBuilder::new().text("first"));
        server.publish_edit(key, &StatusBuilder::new().text("edited"));
        let id = s.status_id(key);
        want.push(format!("update {id}"));
        want.push(format!("status.update {id} true"));
    };
    match s.dialect() {
        Dialect::Mastodon4 => {
            edit();
            server.publish_to(&["user"], "notifications_merged", "1");
            want.push("notifications_merged".into());
        }
        Dialect::Mastodon3 | Dialect::GoToSocial => {
            if s.dialect() == Dialect::Mastodon3 {
                edit();
            }
            server.publish_filters_changed();
            want.push("filters_changed".into());
        }
        Dialect::Pleroma | Dialect::Akkoma => {
            if s.dialect() == Dialect::Pleroma {
                server.publish_to(&["user"], "pleroma:chat_update", CHAT);
                want.push("chat 9 2".into());
            }
            server.publish_to(&["user"], "pleroma:follow_relationships_update", FOLLOW);
            want.push("follow follow_accept AbC1 AbC2".into());
        }
        _ => edit(),
    }
    want
}

/// On `user`: an event no server defines arrives as [`Event::Unknown`] with its payload;
/// what each server adds arrives typed (edits, Mastodon 3's and GoToSocial's
/// `filters_changed`, Pleroma's chats and follow updates); nothing is an error, and the
/// stream goes on.
pub(super) async fn unknown_events<R: Runtime + Default>(rt: R, s: &Setup) -> Outcome {
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.stream_user());
    r.wait("the stream to be live on the server", |_| {
        s.server.live_streams() == 1
    })
    .await?;
    let unknown = r#"{"made":"up","n":[1,2]}"#;
    s.server.publish_to(&["user"], "made.up", unknown);
    let mut want = vec![format!("made.up {unknown}")];
    want.extend(publish_extras(s));
    let last = s.status_id(s.server.publish_update_to(&["user"], "update"));
    want.push(format!("update {last}"));
    r.wait(&format!("status {last} after the others"), |items| {
        updates(items).iter().any(|u| u.0 == last)
    })
    .await?;
    let got: Vec<String> = r
        .items
        .iter()
        .filter_map(|i| match i {
            // `:)`, the first bytes of an SSE stream.
            Item::Event(e) if matches!(e.event, Event::Heartbeat(_)) => None,
            Item::Event(e) if e.channel == Some(Channel::User) => Some(said(&e.event)),
            Item::Event(e) => Some(format!("{} on {:?}", said(&e.event), e.channel)),
            Item::Disconnected { error } => Some(format!("disconnected: {error}")),
            Item::StreamError { error, .. } => Some(format!("error: {error}")),
            _ => None,
        })
        .collect();
    ensure(got == want, || {
        format!("got {got:?}, want {want:?}; items {}", brief(&r.items))
    })?;
    s.check_token(&r.items, "")?;
    r.close().await
}
