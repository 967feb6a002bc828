//! [`Listener`]: callbacks per event kind, and [`dispatch`], the pure function that routes a
//! session [`Item`] to them. Both adapters' run loops call [`dispatch`]; nothing here does
//! I/O.
//!
//! The method names follow Mastodon.py's `StreamListener` (`on_update`, `on_delete`,
//! `on_notification`, ...). Every method has a no-op default, so a listener implements only
//! what it needs. [`Callbacks`] is a ready-made listener built from closures, like
//! Mastodon.py's `CallbackStreamListener`.
//!
//! ```
//! use mastostream_proto::listener::{Listener, dispatch};
//! use mastostream_proto::session::{Item, StreamEvent};
//! use mastostream_proto::{Channel, Event, Id};
//!
//! #[derive(Default)]
//! struct Deletions(Vec<Id>);
//!
//! impl Listener for Deletions {
//!     fn on_delete(&mut self, id: Id) {
//!         self.0.push(id);
//!     }
//! }
//!
//! let mut listener = Deletions::default();
//! let live = |e| Item::Event(StreamEvent::live(e, Some(Channel::User)));
//! dispatch(&mut listener, live(Event::Delete(Id::from("110988741790818968"))));
//! // Recovered items go to the same callbacks unless `on_recovered` is overridden.
//! let recovered = StreamEvent::recovered(Event::Delete(Id::from("7")), Some(Channel::User));
//! dispatch(&mut listener, Item::Event(recovered));
//! dispatch(&mut listener, live(Event::NotificationsMerged)); // ignored by default
//! assert_eq!(listener.0, ["110988741790818968", "7"]);
//! ```

use std::time::Duration;

use bytes::Bytes;

use crate::model::{
    Announcement, AnnouncementReaction, Chat, Conversation, FollowRelationships, Notification,
    Status,
};
use crate::session::{Gap, Item, Server, StreamEvent, StreamTransport, Timeline};
use crate::{Channel, DecodeError, Error, Event, Id};

/// Callbacks for everything a stream delivers. Every method defaults to doing nothing
/// (except [`on_recovered`](Listener::on_recovered), which forwards to the event's own
/// callback).
///
/// Every event, live or recovered, first goes to [`on_any_event`](Listener::on_any_event)
/// with the stream it came from, then to its own callback (`on_update`, `on_delete`, ...;
/// a recovered one through [`on_recovered`](Listener::on_recovered)). A stream that stops
/// for good calls [`on_abort`](Listener::on_abort) last, even when nobody waits for its
/// result.
#[allow(clippy::boxed_local)] // defaults ignore their argument; implementations keep the box
pub trait Listener {
    /// `update`: a new status.
    fn on_update(&mut self, status: Box<Status>) {
        let _ = status;
    }
    /// `status.update`: a status was edited.
    fn on_status_update(&mut self, status: Box<Status>) {
        let _ = status;
    }
    /// `delete`: the status with this id was deleted.
    fn on_delete(&mut self, id: Id) {
        let _ = id;
    }
    /// `notification`: a new notification.
    fn on_notification(&mut self, notification: Box<Notification>) {
        let _ = notification;
    }
    /// `conversation`: a direct conversation changed.
    fn on_conversation(&mut self, conversation: Box<Conversation>) {
        let _ = conversation;
    }
    /// `announcement`: an announcement was published or changed.
    fn on_announcement(&mut self, announcement: Box<Announcement>) {
        let _ = announcement;
    }
    /// `announcement.reaction`: a reaction count changed.
    fn on_announcement_reaction(&mut self, reaction: AnnouncementReaction) {
        let _ = reaction;
    }
    /// `announcement.delete`: the announcement with this id was removed.
    fn on_announcement_delete(&mut self, id: Id) {
        let _ = id;
    }
    /// `notifications_merged`: filtered notifications were merged; refetch notifications.
    fn on_notifications_merged(&mut self) {}
    /// `filters_changed`: your filters changed; refetch them (older servers only).
    fn on_filters_changed(&mut self) {}
    /// `encrypted_message`: the retired encryption feature's payload, raw.
    fn on_encrypted_message(&mut self, data: Bytes) {
        let _ = data;
    }
    /// `pleroma:chat_update`: a Pleroma chat changed.
    fn on_chat_update(&mut self, chat: Box<Chat>) {
        let _ = chat;
    }
    /// `pleroma:follow_relationships_update`: a follow changed state (Pleroma, Akkoma).
    fn on_follow_relationships_update(&mut self, update: Box<FollowRelationships>) {
        let _ = update;
    }
    /// A heartbeat comment (`:)` on connect, `:thump` every 15 s), with its text.
    fn on_heartbeat(&mut self, text: Bytes) {
        let _ = text;
    }
    /// An event name this version does not know, with its raw payload.
    fn on_unknown_event(&mut self, name: String, data: Bytes) {
        let _ = (name, data);
    }
    /// A known event whose payload did not decode. The stream goes on.
    fn on_malformed(&mut self, name: String, data: Bytes, error: DecodeError) {
        let _ = (name, data, error);
    }
    /// The stream is live (also after each reconnect).
    fn on_connect(&mut self, url: String) {
        let _ = url;
    }
    /// A live stream was lost; a reconnect follows unless the error is fatal.
    fn on_disconnect(&mut self, error: Error) {
        let _ = error;
    }
    /// Waiting `delay` before connection attempt number `attempt + 1`.
    fn on_reconnecting(&mut self, attempt: u32, delay: Duration, error: Error) {
        let _ = (attempt, delay, error);
    }
    /// An event fetched over REST after a reconnect (it happened while disconnected).
    /// By default it goes to the event's own callback, as if it had arrived live.
    fn on_recovered(&mut self, event: Event) {
        dispatch_event(self, event);
    }
    /// Catch-up for `timeline` finished, having recovered `recovered` items.
    fn on_caught_up(&mut self, timeline: Timeline, recovered: usize) {
        let _ = (timeline, recovered);
    }
    /// Items may be missing in this range (catch-up could not cover it).
    fn on_gap(&mut self, gap: Gap) {
        let _ = gap;
    }
    /// Every event, live or recovered, with the stream it came from; called before the
    /// event's own callback.
    fn on_any_event(&mut self, event: &StreamEvent) {
        let _ = event;
    }
    /// The WebSocket server reported an error, most likely about `channel`'s subscription.
    fn on_stream_error(&mut self, channel: Option<Channel>, status: Option<u16>, error: String) {
        let _ = (channel, status, error);
    }
    /// Where the stream is served from (discovery, before the first connection).
    fn on_discovered(&mut self, server: Server) {
        let _ = server;
    }
    /// The session chose a transport, or moved to the other one, and why.
    fn on_transport_chosen(&mut self, transport: StreamTransport, reason: String) {
        let _ = (transport, reason);
    }
    /// The stream stopped for good: retrying cannot help (a `401`, an unknown stream, too
    /// many redirects, ...). Called once, after every item; the stream's run or join
    /// returns the same error.
    fn on_abort(&mut self, error: &Error) {
        let _ = error;
    }
}

/// Routes one session item to the listener's callback for it.
pub fn dispatch<L: Listener + ?Sized>(listener: &mut L, item: Item) {
    match item {
        Item::Event(e) => {
            listener.on_any_event(&e);
            if e.recovered {
                listener.on_recovered(e.event);
            } else {
                dispatch_event(listener, e.event);
            }
        }
        Item::Connected { url, .. } => listener.on_connect(url),
        Item::Discovered(server) => listener.on_discovered(server),
        Item::TransportChosen { transport, reason } => {
            listener.on_transport_chosen(transport, reason);
        }
        Item::Disconnected { error } => listener.on_disconnect(error),
        Item::Reconnecting {
            attempt,
            delay,
            error,
            ..
        } => listener.on_reconnecting(attempt, delay, error),
        Item::CaughtUp {
            timeline,
            recovered,
        } => listener.on_caught_up(timeline, recovered),
        Item::Gap(gap) => listener.on_gap(gap),
        Item::StreamError {
            channel,
            status,
            error,
            ..
        } => listener.on_stream_error(channel, status, error),
    }
}

/// Routes one event to the listener's callback for its kind.
pub fn dispatch_event<L: Listener + ?Sized>(listener: &mut L, event: Event) {
    match event {
        Event::Update(s) => listener.on_update(s),
        Event::StatusUpdate(s) => listener.on_status_update(s),
        Event::Delete(id) => listener.on_delete(id),
        Event::Notification(n) => listener.on_notification(n),
        Event::Conversation(c) => listener.on_conversation(c),
        Event::Announcement(a) => listener.on_announcement(a),
        Event::AnnouncementReaction(r) => listener.on_announcement_reaction(r),
        Event::AnnouncementDelete(id) => listener.on_announcement_delete(id),
        Event::NotificationsMerged => listener.on_notifications_merged(),
        Event::FiltersChanged => listener.on_filters_changed(),
        Event::EncryptedMessage(data) => listener.on_encrypted_message(data),
        Event::ChatUpdate(c) => listener.on_chat_update(c),
        Event::FollowRelationshipsUpdate(f) => listener.on_follow_relationships_update(f),
        Event::Heartbeat(text) => listener.on_heartbeat(text),
        Event::Unknown { name, data } => listener.on_unknown_event(name, data),
        Event::Malformed { name, data, error } => listener.on_malformed(name, data, error),
    }
}

type Cb<'a, T> = Option<Box<dyn FnMut(T) + Send + 'a>>;

macro_rules! callbacks {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ) ;)*) => {
        /// A [`Listener`] made of closures, like Mastodon.py's `CallbackStreamListener`. Set
        /// only the callbacks you need; the others do nothing (recovered events go to the
        /// event's own callback unless [`on_recovered`](Callbacks::on_recovered) is set).
        ///
        /// ```
        /// use std::sync::{Arc, Mutex};
        /// use mastostream_proto::listener::{Callbacks, dispatch};
        /// use mastostream_proto::session::{Item, StreamEvent};
        /// use mastostream_proto::{Event, Id};
        ///
        /// let seen = Arc::new(Mutex::new(Vec::new()));
        /// let log = seen.clone();
        /// let mut callbacks = Callbacks::new().on_delete(move |id: Id| log.lock().unwrap().push(id));
        /// dispatch(&mut callbacks, Item::Event(StreamEvent::live(Event::Delete(Id::from("1")), None)));
        /// assert_eq!(*seen.lock().unwrap(), ["1"]);
        /// ```
        #[derive(Default)]
        #[allow(clippy::type_complexity)]
        pub struct Callbacks<'a> {
            $( $name: Cb<'a, ($($ty,)*)>, )*
            on_recovered: Cb<'a, Event>,
            on_any_event: Option<Box<dyn FnMut(&StreamEvent) + Send + 'a>>,
            on_abort: Option<Box<dyn FnMut(&Error) + Send + 'a>>,
        }

        impl<'a> Callbacks<'a> {
            /// A listener with no callbacks set.
            pub fn new() -> Self {
                Self::default()
            }

            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, mut f: impl FnMut($($ty),*) + Send + 'a) -> Self {
                    self.$name = Some(Box::new(move |($($arg,)*)| f($($arg),*)));
                    self
                }
            )*

            /// Sets the callback for events recovered over REST after a reconnect (by
            /// default they go to the event's own callback).
            #[must_use]
            pub fn on_recovered(mut self, f: impl FnMut(Event) + Send + 'a) -> Self {
                self.on_recovered = Some(Box::new(f));
                self
            }

            /// Sets the callback every event goes to first, live or recovered, with the
            /// stream it came from.
            #[must_use]
            pub fn on_any_event(mut self, f: impl FnMut(&StreamEvent) + Send + 'a) -> Self {
                self.on_any_event = Some(Box::new(f));
                self
            }

            /// Sets the callback for a stream that stopped for good.
            #[must_use]
            pub fn on_abort(mut self, f: impl FnMut(&Error) + Send + 'a) -> Self {
                self.on_abort = Some(Box::new(f));
                self
            }
        }

        impl Listener for Callbacks<'_> {
            $(
                fn $name(&mut self, $($arg: $ty),*) {
                    if let Some(f) = &mut self.$name {
                        f(($($arg,)*));
                    }
                }
            )*

            fn on_recovered(&mut self, event: Event) {
                match &mut self.on_recovered {
                    Some(f) => f(event),
                    None => dispatch_event(self, event),
                }
            }

            fn on_any_event(&mut self, event: &StreamEvent) {
                if let Some(f) = &mut self.on_any_event {
                    f(event);
                }
            }

            fn on_abort(&mut self, error: &Error) {
                if let Some(f) = &mut self.on_abort {
                    f(error);
                }
            }
        }
    };
}

callbacks! {
    /// Sets the `update` callback.
    on_update(status: Box<Status>);
    /// Sets the `status.update` callback.
    on_status_update(status: Box<Status>);
    /// Sets the `delete` callback.
    on_delete(id: Id);
    /// Sets the `notification` callback.
    on_notification(notification: Box<Notification>);
    /// Sets the `conversation` callback.
    on_conversation(conversation: Box<Conversation>);
    /// Sets the `announcement` callback.
    on_announcement(announcement: Box<Announcement>);
    /// Sets the `announcement.reaction` callback.
    on_announcement_reaction(reaction: AnnouncementReaction);
    /// Sets the `announcement.delete` callback.
    on_announcement_delete(id: Id);
    /// Sets the `notifications_merged` callback.
    on_notifications_merged();
    /// Sets the `filters_changed` callback.
    on_filters_changed();
    /// Sets the `encrypted_message` callback.
    on_encrypted_message(data: Bytes);
    /// Sets the `pleroma:chat_update` callback.
    on_chat_update(chat: Box<Chat>);
    /// Sets the `pleroma:follow_relationships_update` callback.
    on_follow_relationships_update(update: Box<FollowRelationships>);
    /// Sets the heartbeat callback.
    on_heartbeat(text: Bytes);
    /// Sets the callback for unknown event names.
    on_unknown_event(name: String, data: Bytes);
    /// Sets the callback for events whose payload did not decode.
    on_malformed(name: String, data: Bytes, error: DecodeError);
    /// Sets the callback for each (re)connection.
    on_connect(url: String);
    /// Sets the callback for lost connections.
    on_disconnect(error: Error);
    /// Sets the callback for reconnect waits.
    on_reconnecting(attempt: u32, delay: Duration, error: Error);
    /// Sets the callback for finished catch-ups.
    on_caught_up(timeline: Timeline, recovered: usize);
    /// Sets the callback for gaps.
    on_gap(gap: Gap);
    /// Sets the callback for WebSocket server errors.
    on_stream_error(channel: Option<Channel>, status: Option<u16>, error: String);
    /// Sets the callback for discovery's result.
    on_discovered(server: Server);
    /// Sets the callback for transport choices.
    on_transport_chosen(transport: StreamTransport, reason: String);
}

impl std::fmt::Debug for Callbacks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Log(Vec<String>);

    fn live(event: Event) -> Item {
        Item::Event(StreamEvent::live(event, Some(Channel::User)))
    }

    impl Listener for Log {
        fn on_delete(&mut self, id: Id) {
            self.0.push(format!("delete {id}"));
        }
        fn on_heartbeat(&mut self, text: Bytes) {
            self.0
                .push(format!("heartbeat {}", String::from_utf8_lossy(&text)));
        }
        fn on_unknown_event(&mut self, name: String, _: Bytes) {
            self.0.push(format!("unknown {name}"));
        }
        fn on_malformed(&mut self, name: String, _: Bytes, _: DecodeError) {
            self.0.push(format!("malformed {name}"));
        }
        fn on_connect(&mut self, url: String) {
            self.0.push(format!("connect {url}"));
        }
        fn on_disconnect(&mut self, error: Error) {
            self.0.push(format!("disconnect {error}"));
        }
        fn on_gap(&mut self, gap: Gap) {
            self.0.push(format!("gap {}", gap.timeline));
        }
        fn on_notifications_merged(&mut self) {
            self.0.push("merged".into());
        }
    }

    #[test]
    fn dispatch_routes_every_item_kind() {
        let mut log = Log::default();
        let items = [
            Item::Connected {
                url: "u".into(),
                transport: StreamTransport::Sse,
            },
            live(Event::Heartbeat(Bytes::from_static(b"thump"))),
            live(Event::Delete(Id::from("5"))),
            Item::Event(StreamEvent::recovered(Event::Delete(Id::from("4")), None)),
            live(Event::NotificationsMerged),
            live(Event::Unknown {
                name: "x.y".into(),
                data: Bytes::new(),
            }),
            live(Event::Malformed {
                name: "update".into(),
                data: Bytes::new(),
                error: DecodeError::InvalidUtf8 { offset: 0 },
            }),
            live(Event::FiltersChanged), // no callback: ignored
            Item::Disconnected {
                error: ErrorKind::Closed.into(),
            },
            Item::Gap(Gap {
                timeline: Timeline::Home,
                after: None,
                before: None,
                reason: crate::session::GapReason::NoAnchor,
            }),
        ];
        for item in items {
            dispatch(&mut log, item);
        }
        assert_eq!(
            log.0,
            [
                "connect u",
                "heartbeat thump",
                "delete 5",
                "delete 4",
                "merged",
                "unknown x.y",
                "malformed update",
                "disconnect server closed the stream",
                "gap home",
            ]
        );
    }

    #[test]
    fn any_event_sees_every_event_with_its_stream_then_its_callback_runs() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
        let mut cb = Callbacks::new()
            .on_any_event(move |e| {
                let stream = e.channel.as_ref().map_or("-".into(), ToString::to_string);
                a.lock()
                    .unwrap()
                    .push(format!("any {} {stream} {}", e.event.kind(), e.recovered));
            })
            .on_delete(move |id| b.lock().unwrap().push(format!("delete {id}")))
            .on_abort(move |e| c.lock().unwrap().push(format!("abort {e}")));
        let tag = Channel::hashtag("rust");
        dispatch(
            &mut cb,
            Item::Event(StreamEvent::live(
                Event::Delete(Id::from("1")),
                Some(tag.clone()),
            )),
        );
        dispatch(
            &mut cb,
            Item::Event(StreamEvent::recovered(
                Event::Delete(Id::from("2")),
                Some(tag),
            )),
        );
        Listener::on_abort(&mut cb, &Error::from(ErrorKind::Closed));
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "any delete hashtag #rust false",
                "delete 1",
                "any delete hashtag #rust true",
                "delete 2",
                "abort server closed the stream",
            ]
        );
    }

    #[test]
    fn callbacks_call_only_what_is_set_and_route_recovered() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
        let mut cb = Callbacks::new()
            .on_delete(move |id| a.lock().unwrap().push(format!("delete {id}")))
            .on_reconnecting(move |attempt, delay, _| {
                b.lock()
                    .unwrap()
                    .push(format!("retry {attempt} {}", delay.as_millis()))
            })
            .on_caught_up(move |t, n| c.lock().unwrap().push(format!("caught up {t} {n}")));
        dispatch(&mut cb, live(Event::Delete(Id::from("1"))));
        dispatch(
            &mut cb,
            Item::Event(StreamEvent::recovered(Event::Delete(Id::from("2")), None)),
        );
        dispatch(&mut cb, live(Event::FiltersChanged));
        dispatch(
            &mut cb,
            Item::Reconnecting {
                attempt: 3,
                delay: Duration::from_millis(1500),
                error: ErrorKind::Closed.into(),
                capped: None,
            },
        );
        dispatch(
            &mut cb,
            Item::CaughtUp {
                timeline: Timeline::Notifications,
                recovered: 7,
            },
        );
        let recovered = Arc::new(Mutex::new(0));
        let r = recovered.clone();
        let mut only_recovered = Callbacks::new().on_recovered(move |_| *r.lock().unwrap() += 1);
        dispatch(
            &mut only_recovered,
            Item::Event(StreamEvent::recovered(Event::FiltersChanged, None)),
        );
        assert_eq!(*recovered.lock().unwrap(), 1);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "delete 1",
                "delete 2",
                "retry 3 1500",
                "caught up notifications 7"
            ]
        );
    }
}
