//! Publishing: what a test has the server send to its live streams and keep for the REST
//! timelines.

use std::sync::Arc;

use crate::build::{Account, NotificationBuilder, StatusBuilder};
use crate::corpus::{EventKind, START_MS, StreamEvent, snowflake};
use crate::dialect::{Dialect, Entity};
use crate::plan::Cut;
use crate::route::{Facts, Route};
use crate::server::{FakeServer, Shared};
use crate::store::{Collection, Item};

/// A command to a live stream's thread.
#[derive(Debug)]
pub(crate) enum Cmd {
    Event(Arc<Wire>),
    Heartbeat,
    Raw(Vec<u8>),
    Cut(Cut),
}

/// An event as the two writes Mastodon makes over SSE, its name and payload for WebSocket
/// messages, and where it goes.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) event: Vec<u8>,
    pub(crate) data: Vec<u8>,
    pub(crate) name: String,
    pub(crate) payload: String,
    pub(crate) route: Route,
}

impl FakeServer {
    /// The next number of the sequence everything published is numbered by, and its time on
    /// the server's own clock (one second a publish).
    fn next_seq(&self) -> (u64, u64) {
        let mut st = self.shared.lock();
        st.seq += 1;
        (st.seq, START_MS + st.seq * 1000)
    }

    /// The next status id (a snowflake of the sequence's time).
    fn next_status_id(&self) -> u64 {
        let (n, at) = self.next_seq();
        snowflake(at, n)
    }

    /// Publishes a new generated status (an `update`): stored for every status timeline,
    /// sent to every live SSE stream and to every WebSocket subscription that carries
    /// statuses (hashtag and list streams included, whatever their tag or list). Returns
    /// its id; ids strictly increase. For a status that goes only where Mastodon would
    /// send it, see [`publish_status`](FakeServer::publish_status).
    pub fn publish_update(&self) -> u64 {
        let id = self.next_status_id();
        let json = self.shared.generator.status_json(id);
        self.publish("update", &json, Some((Collection::Statuses, id)));
        id
    }

    /// The dialect the server speaks.
    pub fn dialect(&self) -> Dialect {
        self.shared.opts.dialect
    }

    /// How the server writes the id of the item stored under `key` in `collection` (what
    /// the publishing methods return): in events, in REST pages and in `min_id` /
    /// `max_id`. Mastodon writes the number; GoToSocial a ULID, Akkoma and Pleroma a
    /// FlakeId (notifications: the number), the Iceshrimps and Sharkey their time-prefixed
    /// ids. A conversation is paged by its last status id.
    pub fn wire_id(&self, collection: Collection, key: u64) -> String {
        let d = self.dialect();
        match collection {
            Collection::Notifications => d.counter_ids(),
            _ => d.status_ids(),
        }
        .render(key)
    }

    /// Publishes a `filters_changed` to the `user` streams, as the server sends one when
    /// the user's filters change: Mastodon 3 without payload (`data: undefined` over
    /// SSE), GoToSocial with `"payload":""`. Mastodon 4 never forwards it (its streaming
    /// server only reloads its filter cache), nor do the other servers: there, nothing is
    /// sent.
    pub fn publish_filters_changed(&self) {
        let payload = match self.dialect() {
            Dialect::Mastodon3 => "undefined",
            Dialect::GoToSocial => "",
            _ => return,
        };
        let wire = Wire::new("filters_changed", payload, Route::Kind);
        self.shared.send_wire(wire, None);
    }

    /// Publishes a new generated notification (of a random common type), as
    /// [`publish`](FakeServer::publish) does; returns its id. For a chosen type, see
    /// [`notify`](FakeServer::notify).
    pub fn publish_notification(&self) -> u64 {
        let (n, at) = self.next_seq();
        let id = 318_000_000 + n;
        let json = self.shared.generator.notification_json(id, at);
        self.publish("notification", &json, Some((Collection::Notifications, id)));
        id
    }

    /// Publishes a conversation update; returns its last status id (its position in
    /// `/api/v1/conversations`).
    pub fn publish_conversation(&self) -> u64 {
        let (n, at) = self.next_seq();
        let json = self.shared.generator.conversation_json(41_800_000 + n, at);
        let key = last_status_id(&json).unwrap_or(n);
        self.publish(
            "conversation",
            &json,
            Some((Collection::Conversations, key)),
        );
        key
    }

    /// Publishes a `delete` of `id` (live only: deletions have no REST history), the id
    /// written as the dialect writes ids.
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

    /// Publishes an event with any name and payload (one line) to every live SSE stream,
    /// and to every WebSocket subscription whose stream carries events of that name
    /// (statuses and deletions to the status streams, notifications to `user` and
    /// `user:notification`, conversations to `direct`, anything else to `user`); with
    /// `store`, also keeps the payload in a REST collection under that key, listed by every
    /// timeline of that collection.
    ///
    /// The payload is taken as Mastodon writes it: on another dialect the ids of `update`,
    /// `status.update`, `notification` and `conversation` entities and of `delete` are
    /// rewritten in the dialect's format, and the entity re-encoded by its JSON encoder.
    /// Events the dialect's server never sends (see [`Dialect`]) are not sent.
    pub fn publish(&self, name: &str, data: &str, store: Option<(Collection, u64)>) {
        let data = self.dialect().localize_event(name, data);
        let store = store.map(|(c, key)| (c, key, Facts::Any));
        self.send(name, &data, Route::Everywhere, store);
    }

    /// Publishes an event with any name and payload to exactly this stream, as the server
    /// names it (`["public:local"]`, `["hashtag", "rust"]`, `["list", "42"]`): the SSE
    /// streams of that name and the WebSocket subscriptions to it (where `data` is sent as
    /// a JSON string, as Mastodon does). Hashtags match without regard to case. Live only:
    /// nothing is stored. `data` is sent as given, on every dialect (only events the
    /// dialect's server never sends are dropped).
    pub fn publish_to(&self, stream: &[&str], name: &str, data: &str) {
        let stream = stream.iter().map(|s| (*s).to_owned()).collect();
        self.send(name, data, Route::Exact(stream), None);
    }

    /// [`publish_to`](FakeServer::publish_to) with the stream given as a name and its
    /// parameter: `publish_to_stream("hashtag", Some("rust"), "update", json)`. The name
    /// may be written as in WebSocket messages (`public:local`) or as in SSE paths
    /// (`public/local`).
    pub fn publish_to_stream(&self, stream: &str, param: Option<&str>, event: &str, payload: &str) {
        let name = stream.trim_matches('/').replace('/', ":");
        let mut key = vec![name.as_str()];
        key.extend(param);
        self.publish_to(&key, event, payload);
    }

    /// Publishes a new generated status as event `name` (`update`, `status.update`) to
    /// exactly this stream (live only, as [`publish_to`](FakeServer::publish_to)). Returns
    /// its id.
    pub fn publish_update_to(&self, stream: &[&str], name: &str) -> u64 {
        let id = self.next_status_id();
        let json = self
            .dialect()
            .localize(Entity::Status, &self.shared.generator.status_json(id));
        self.publish_to(stream, name, &json);
        id
    }

    /// Publishes a status built with chosen fields (an `update`): stored for the REST
    /// timelines that list it (home always; public, tag and list timelines as Mastodon
    /// would), and sent only to the live streams that would carry it, over SSE and
    /// WebSocket alike (see the [crate docs](crate#which-streams-and-timelines-carry-a-status)).
    /// Returns its id; ids strictly increase.
    pub fn publish_status(&self, status: &StatusBuilder) -> u64 {
        let id = self.next_status_id();
        self.send_status("update", status, id, None);
        id
    }

    /// Publishes an edit of status `id` (a `status.update` with `edited_at` set) to the
    /// streams that would carry `status`, and replaces the stored status with it.
    pub fn publish_edit(&self, id: u64, status: &StatusBuilder) {
        let (_, now) = self.next_seq();
        self.send_status("status.update", status, id, Some(now));
    }

    fn send_status(&self, name: &str, status: &StatusBuilder, id: u64, edited: Option<u64>) {
        let audience = status.audience();
        let lists = self.shared.lock().lists_of(&audience.acct);
        let json = self
            .dialect()
            .localize(Entity::Status, &status.render(id, edited));
        let facts = Facts::Status(audience.clone());
        let route = Route::Status(audience, lists);
        self.send(name, &json, route, Some((Collection::Statuses, id, facts)));
    }

    /// Publishes a notification of any type (a `notification` event) to the `user` and
    /// `user:notification` streams, and stores it for `/api/v1/notifications`. Returns its
    /// id; ids strictly increase.
    pub fn notify(&self, notification: &NotificationBuilder) -> u64 {
        let (n, at) = self.next_seq();
        let id = 318_000_000 + n;
        let json = self
            .dialect()
            .localize(Entity::Counted, &notification.json(id, at));
        let facts = Facts::Notification(notification.kind().to_owned());
        let store = Some((Collection::Notifications, id, facts));
        self.send("notification", &json, Route::Kind, store);
        id
    }

    /// Makes list `id` hold exactly these accounts (by `acct`, as in
    /// [`StatusBuilder::account`]). Their statuses published with
    /// [`publish_status`](FakeServer::publish_status) from now on reach the `list` stream
    /// of that id; `/api/v1/timelines/list/:id` lists all their statuses (membership as it
    /// is when the timeline is asked for).
    pub fn set_list(&self, id: &str, accounts: &[&str]) {
        let members = accounts.iter().map(|a| Account::new(a).acct).collect();
        self.shared.lock().lists.insert(id.to_owned(), members);
    }

    /// Sends an event along `route` and stores it.
    fn send(&self, name: &str, data: &str, route: Route, store: Option<(Collection, u64, Facts)>) {
        self.shared.send_wire(Wire::new(name, data, route), store);
    }
}

impl Wire {
    pub(crate) fn new(name: &str, data: &str, route: Route) -> Wire {
        Wire {
            event: format!("event: {name}\n").into_bytes(),
            data: format!("data: {data}\n\n").into_bytes(),
            name: name.to_owned(),
            payload: data.to_owned(),
            route,
        }
    }
}

impl Shared {
    /// Stores an item, and sends the event to the live streams (unless the dialect's
    /// server never sends it).
    pub(crate) fn send_wire(&self, wire: Wire, store: Option<(Collection, u64, Facts)>) {
        let mut st = self.lock();
        if let Some((c, key, facts)) = store {
            let json = Arc::from(wire.payload.as_str());
            st.store.insert(c, key, Item { json, facts });
        }
        if !self.opts.dialect.sends(&wire.name) {
            return;
        }
        let wire = Arc::new(wire);
        st.live
            .retain(|l| l.tx.send(Cmd::Event(wire.clone())).is_ok());
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
