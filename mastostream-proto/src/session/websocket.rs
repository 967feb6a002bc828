//! The [`Session`]'s WebSocket side: connecting, (re)subscribing, reading messages, the
//! subscription bookkeeping and refusals.
//!
//! Mastodon's `/api/v1/streaming` WebSocket multiplexes streams. The WebSocket framing is
//! the driver's (a well-kept crate such as tungstenite); the session sees whole text
//! messages and decides everything else: what to subscribe, when the connection is dead,
//! what an upgrade refusal or a close frame means, and catch-up per subscription after a
//! reconnect.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::attribute::attribute;
use super::catchup::Origin;
use super::io::{Output, TransportId, WsRequest};
use super::machine::{Live, Reader, Session};
use super::transport::Transport;
use super::{Item, StreamTransport};
use crate::dialect::TokenPlace;
use crate::error::ErrorKind;
use crate::http::{ResponseHead, quoted, quoted_bytes, server_message};
use crate::ws::{self, WsMessage};
use crate::{Channel, Event};

/// How long a subscription waits for its first event before a server error can no longer
/// be attributed to it.
const SUBSCRIBE_WINDOW: Duration = Duration::from_secs(10);

impl Session {
    /// Opens the WebSocket transport: the token where the dialect reads it, the first
    /// stream in the query where the dialect needs it there.
    pub(super) fn connect_ws(&mut self) {
        let dialect = self.dialect().clone();
        let in_query = dialect
            .first_stream_in_query()
            .then(|| self.recovery.routes.first().map(|(c, _)| c.clone()))
            .flatten();
        let path = match &in_query {
            Some(c) => format!("/api/v1/streaming?{}", c.ws_query()),
            None => "/api/v1/streaming".to_owned(),
        };
        let (base, target) = self.stream_location(&path);
        let scheme = if base.is_tls() { "wss" } else { "ws" };
        let mut headers = vec![("User-Agent".to_owned(), self.cfg.user_agent.clone())];
        let token = self.token_for(&base);
        let token_query = match (&token, dialect.ws_token()) {
            (Some(t), TokenPlace::Query) => Some(t.clone()),
            _ => None,
        };
        if let (Some(t), TokenPlace::Header) = (&token, dialect.ws_token()) {
            headers.push(("Authorization".to_owned(), format!("Bearer {}", t.expose())));
        }
        let limits = self.cfg.limits;
        let request = WsRequest {
            url: format!("{scheme}://{}{target}", base.host_header()),
            headers,
            max_message: limits.max_event.saturating_mul(2),
            max_frame: limits.max_event.saturating_mul(2),
            max_error_body: limits.max_error_body,
            token_query,
        };
        let id = self.id();
        self.push(Output::ConnectWebSocket {
            transport: id,
            target: base.target(),
            request,
        });
        let transport = Transport::open_ws(id, base, target, self.cfg.timeouts, self.now);
        self.stream = Some(Live {
            transport,
            reader: Reader::Ws {
                pending: VecDeque::new(),
                in_query,
                muted: Vec::new(),
            },
        });
    }

    /// Subscribes the live WebSocket to every stream (after each connect). An SSE stream
    /// carries its one stream by its URL: nothing to subscribe, and nothing a WebSocket
    /// dialect refuses applies to it.
    pub(super) fn subscribe_all(&mut self) {
        if !matches!(
            self.stream,
            Some(Live {
                reader: Reader::Ws { .. },
                ..
            })
        ) {
            return;
        }
        let channels: Vec<Channel> = self
            .recovery
            .routes
            .iter()
            .map(|(c, _)| c.clone())
            .collect();
        for channel in channels {
            self.send_subscribe(channel);
        }
    }

    /// Sends a subscribe message, unless the stream was chosen in the query; refuses up
    /// front a stream the server cannot take (it would ignore it silently).
    fn send_subscribe(&mut self, channel: Channel) {
        let now = self.now;
        if let Some(Live {
            reader: Reader::Ws { in_query, .. },
            ..
        }) = &self.stream
            && in_query.as_ref() == Some(&channel)
        {
            return;
        }
        if let Some(why) = self.dialect().cannot_subscribe(&channel) {
            self.recovery.remove_route(&channel);
            self.status_changed();
            return self.emit(Item::StreamError {
                channel: Some(channel),
                status: None,
                error: why.to_owned(),
                dropped: true,
            });
        }
        if let Some(Live {
            transport,
            reader: Reader::Ws { pending, .. },
        }) = &mut self.stream
        {
            let out = Output::SendText {
                transport: transport.id,
                text: ws::subscribe(&channel),
            };
            pending.push_back((channel, now));
            self.push(out);
        }
    }

    /// Adds a stream to a WebSocket session: subscribed now when live, and after every
    /// reconnect; its new timelines are anchored for catch-up. Ignored for SSE sessions
    /// (one stream per connection) and for streams already subscribed.
    pub(super) fn subscribe(&mut self, channel: Channel) {
        let sse = self.cfg.transport != StreamTransport::WebSocket;
        if (sse && !self.cfg.choose_transport)
            || !self
                .recovery
                .add_route(channel.clone(), self.cfg.catch_up.enabled)
        {
            return;
        }
        self.status_changed();
        if sse {
            // Several streams: one WebSocket carries them all. What was delivered so far
            // anchors the catch-up on the new connection, so nothing is lost between them.
            let why = "several streams share one WebSocket".to_owned();
            self.switch_transport(StreamTransport::WebSocket, why);
            return self.reconnect_now();
        }
        if self.is_live() {
            self.send_subscribe(channel);
            if self.cfg.catch_up.anchor {
                self.anchor_new_timelines();
            }
        }
    }

    /// Removes a stream from a WebSocket session (unsubscribed now when live). Ignored for
    /// SSE sessions, like [`subscribe`](Session::subscribe): their one stream is what they
    /// connect to.
    pub(super) fn unsubscribe(&mut self, channel: &Channel) {
        if self.cfg.transport != StreamTransport::WebSocket || !self.recovery.remove_route(channel)
        {
            return;
        }
        self.status_changed();
        let live = self.is_live();
        let can = self.dialect().can_unsubscribe();
        if let Some(Live {
            transport,
            reader: Reader::Ws { pending, muted, .. },
        }) = &mut self.stream
        {
            pending.retain(|(c, _)| c != channel);
            if !can {
                // The server would ignore the message: drop the stream's events instead.
                muted.push(channel.clone());
            } else if live {
                let out = Output::SendText {
                    transport: transport.id,
                    text: ws::unsubscribe(channel),
                };
                self.push(out);
            }
        }
    }

    /// A text message arrived on the WebSocket transport.
    pub(super) fn on_ws_message(&mut self, id: TransportId, text: Bytes) {
        let now = self.now;
        let routes: Vec<Channel> = self
            .recovery
            .routes
            .iter()
            .map(|(c, _)| c.clone())
            .collect();
        let Some(Live {
            transport,
            reader: Reader::Ws { pending, muted, .. },
        }) = &mut self.stream
        else {
            return;
        };
        if transport.id != id {
            return;
        }
        transport.received(now);
        pending.retain(|(_, at)| now.saturating_duration_since(*at) < SUBSCRIBE_WINDOW);
        match ws::decode_with(&text, self.cfg.json) {
            Ok(WsMessage::Event {
                channel,
                event,
                data,
                ..
            }) => {
                let channel = attribute(channel, &routes);
                if let Some(c) = &channel {
                    if muted.contains(c) {
                        return;
                    }
                    pending.retain(|(p, _)| p != c);
                }
                self.live_event(event, data, Origin::Ws(channel));
            }
            Ok(WsMessage::Ack { .. }) => {
                // The oldest subscription is confirmed (Pleroma answers each in order).
                pending.pop_front();
            }
            Ok(WsMessage::Error { error, status }) => {
                let refuses = self.dialect().error_refuses(status);
                self.stream_error(quoted(&error), status, refuses);
            }
            Err(error) => {
                let event = Event::Malformed {
                    name: String::from("websocket"),
                    data: text.clone(),
                    error,
                };
                self.live_event(event, text, Origin::Ws(None));
            }
        }
    }

    /// A server error on the live WebSocket: reported, with the subscription it most likely
    /// answers; a refusal (`refuses`) drops that subscription, so that it is not sent again
    /// on every reconnect.
    fn stream_error(&mut self, error: String, status: Option<u16>, refuses: bool) {
        let Some(Live {
            reader: Reader::Ws { pending, .. },
            ..
        }) = &mut self.stream
        else {
            return;
        };
        let channel = blamed(pending, &error);
        let dropped = refuses && channel.is_some();
        if let (true, Some(c)) = (dropped, &channel) {
            self.recovery.remove_route(c);
            self.status_changed();
        }
        self.emit(Item::StreamError {
            channel,
            status,
            error,
            dropped,
        });
    }

    /// The server sent a close frame: the stream is over; the handshake is completed. A
    /// server that refuses subscriptions by closing (see [`Dialect::close_refuses`]) has
    /// the subscription in flight refused first.
    ///
    /// [`Dialect::close_refuses`]: crate::Dialect::close_refuses
    pub(super) fn on_ws_close(&mut self, id: TransportId, frame: Option<(u16, String)>) {
        if !self.stream_is(id) {
            return;
        }
        let (code, reason) = match frame {
            Some((code, reason)) => (Some(code), quoted(&reason)),
            None => (None, String::new()),
        };
        if let Some(why) = code.and_then(|c| self.dialect().close_refuses(c)) {
            self.stream_error(why.to_owned(), None, true);
        }
        self.stream_failed(ErrorKind::WebSocketClosed { code, reason }.into());
    }

    /// The server answered the WebSocket upgrade with an HTTP response other than `101`.
    /// Classified as the status says: a `401` stops the session, a `503` is retried, a
    /// `200` page or a redirect is an error naming what was expected.
    pub(super) fn on_ws_rejected(&mut self, id: TransportId, head: ResponseHead, body: Bytes) {
        if !self.stream_is(id) {
            return;
        }
        let body = &body[..body.len().min(self.cfg.limits.max_error_body)];
        let message = server_message(&head, body).or_else(|| {
            // A short non-JSON body (a proxy's page) says more than nothing.
            (!body.is_empty() && head.status() >= 400).then(|| quoted_bytes(body))
        });
        self.stream_failed(ErrorKind::UpgradeRefused { head, message }.into());
    }
}

/// The subscription an error most likely answers, taken out of `pending`. Mastodon's
/// messages name no stream, but some name a kind of stream (`Missing tag name parameter`,
/// `Not authorized to stream this list`): those go to the oldest unconfirmed subscription
/// of that kind (none if there is none); any other error to the oldest unconfirmed one.
fn blamed(pending: &mut VecDeque<(Channel, Instant)>, error: &str) -> Option<Channel> {
    let lower = error.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let names = |w: &[&str]| words.iter().any(|x| w.contains(x));
    let at = if names(&["list"]) {
        pending
            .iter()
            .position(|(c, _)| matches!(c, Channel::List { .. }))
    } else if names(&["tag", "hashtag"]) {
        pending
            .iter()
            .position(|(c, _)| matches!(c, Channel::Hashtag { .. }))
    } else {
        (!pending.is_empty()).then_some(0)
    };
    at.and_then(|i| pending.remove(i)).map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::Channel;
    use crate::session::{Command, Input, Instance, SessionConfig};
    use crate::testing::Sim;

    /// Found by `session_ops`: unsubscribing an SSE session's one stream removed it, and
    /// the next reconnect found nothing to connect to: no transport, no deadline, never
    /// finished. SSE sessions ignore it, as they ignore `Subscribe`.
    #[test]
    fn an_sse_session_keeps_its_stream_when_told_to_unsubscribe() {
        let instance = Instance::parse("https://m.example").unwrap();
        let mut cfg = SessionConfig::new(instance, Channel::Direct);
        cfg.catch_up.enabled = false;
        let mut sim = Sim::new(cfg);
        let path = "/api/v1/streaming/direct";
        let first = sim.go_live(path);
        sim.input(Input::Command(Command::Unsubscribe(Channel::Direct)));
        assert_eq!(
            sim.session.subscriptions().collect::<Vec<_>>(),
            [&Channel::Direct]
        );
        sim.eof(first);
        let again = sim.until_connect(path, Duration::from_secs(120));
        assert_ne!(again, first);
    }
}
