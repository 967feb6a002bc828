//! Publishing: what a test has the server send to its live streams and keep for the REST
//! timelines.

use std::sync::Arc;

use crate::corpus::{EventKind, START_MS, StreamEvent, snowflake};
use crate::plan::Cut;
use crate::server::{FakeServer, broadcast};
use crate::store::Collection;
use crate::ws;

/// A command to a live stream's thread.
#[derive(Debug)]
pub(crate) enum Cmd {
    Event(Arc<Wire>),
    /// For one WebSocket stream only (SSE streams ignore it).
    Targeted(Arc<ws::Targeted>),
    Heartbeat,
    Raw(Vec<u8>),
    Cut(Cut),
}

/// An event as the two writes Mastodon makes over SSE, and its name and payload for
/// WebSocket messages.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) event: Vec<u8>,
    pub(crate) data: Vec<u8>,
    pub(crate) name: String,
    pub(crate) payload: String,
}

impl FakeServer {
    fn next_seq(&self) -> u64 {
        let mut st = self.shared.lock();
        st.seq += 1;
        st.seq
    }

    /// Publishes a new status (an `update`): stored for the timelines, sent to every live
    /// stream. Returns its id; ids strictly increase.
    pub fn publish_update(&self) -> u64 {
        let n = self.next_seq();
        let id = snowflake(START_MS + n * 1000, n);
        let json = self.shared.generator.status_json(id);
        self.publish("update", &json, Some((Collection::Statuses, id)));
        id
    }

    /// Publishes a new notification; returns its id.
    pub fn publish_notification(&self) -> u64 {
        let n = self.next_seq();
        let id = 318_000_000 + n;
        let json = self
            .shared
            .generator
            .notification_json(id, START_MS + n * 1000);
        self.publish("notification", &json, Some((Collection::Notifications, id)));
        id
    }

    /// Publishes a conversation update; returns its last status id (its position in
    /// `/api/v1/conversations`).
    pub fn publish_conversation(&self) -> u64 {
        let n = self.next_seq();
        let json = self
            .shared
            .generator
            .conversation_json(41_800_000 + n, START_MS + n * 1000);
        let key = last_status_id(&json).unwrap_or(n);
        self.publish(
            "conversation",
            &json,
            Some((Collection::Conversations, key)),
        );
        key
    }

    /// Publishes a `delete` of `id` (live only: deletions have no REST history).
    pub fn publish_delete(&self, id: u64) {
        self.publish("delete", &id.to_string(), None);
    }

    /// Publishes a generated corpus event: updates, notifications and conversations are
    /// also stored for catch-up.
    pub fn publish_event(&self, event: &StreamEvent) {
        let store = match (event.kind, event.id) {
            (EventKind::Update, Some(id)) => Some((Collection::Statuses, id)),
            (EventKind::Notification, Some(id)) => Some((Collection::Notifications, id)),
            (EventKind::Conversation, _) => {
                last_status_id(&event.payload).map(|k| (Collection::Conversations, k))
            }
            _ => None,
        };
        self.publish(event.name(), &event.payload, store);
    }

    /// Publishes an event with any name and payload (one line); with `store`, also keeps
    /// the payload in a REST collection under that key.
    pub fn publish(&self, name: &str, data: &str, store: Option<(Collection, u64)>) {
        let wire = Arc::new(Wire {
            event: format!("event: {name}\n").into_bytes(),
            data: format!("data: {data}\n\n").into_bytes(),
            name: name.to_owned(),
            payload: data.to_owned(),
        });
        let mut st = self.shared.lock();
        if let Some((c, key)) = store {
            st.store.insert(c, key, Arc::from(data));
        }
        st.live
            .retain(|l| l.tx.send(Cmd::Event(wire.clone())).is_ok());
    }

    /// Publishes an event to the WebSocket subscriptions of exactly this stream (as the
    /// server names it: `["hashtag", "rust"]`), with `data` as its payload (sent as a JSON
    /// string, as Mastodon does). Live only: nothing is stored, and SSE streams ignore it.
    pub fn publish_to(&self, stream: &[&str], name: &str, data: &str) {
        let t = Arc::new(ws::Targeted {
            stream: stream.iter().map(|s| (*s).to_owned()).collect(),
            name: name.to_owned(),
            data: data.to_owned(),
        });
        broadcast(&self.shared, || Cmd::Targeted(t.clone()));
    }

    /// Publishes a new generated status as event `name` (`update`, `status.update`) to the
    /// WebSocket subscriptions of exactly this stream (live only, as
    /// [`publish_to`](FakeServer::publish_to)). Returns its id.
    pub fn publish_update_to(&self, stream: &[&str], name: &str) -> u64 {
        let n = self.next_seq();
        let id = snowflake(START_MS + n * 1000, n);
        let json = self.shared.generator.status_json(id);
        self.publish_to(stream, name, &json);
        id
    }
}

/// The `id` of a conversation's `last_status`.
fn last_status_id(json: &str) -> Option<u64> {
    let at = json.find("\"last_status\":{\"id\":\"")? + "\"last_status\":{\"id\":\"".len();
    let digits: String = json[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
