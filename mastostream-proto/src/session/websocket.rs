//! The [`Session`]'s WebSocket side: connecting, (re)subscribing, reading messages.
//!
//! Mastodon's `/api/v1/streaming` WebSocket multiplexes streams. The WebSocket framing is
//! the adapter's (a well-kept crate such as tungstenite); the session sees whole text
//! messages and decides everything else: what to subscribe, when the connection is dead,
//! what an upgrade refusal means, and catch-up per subscription after a reconnect.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::stream::{Origin, Reader, Session};
use super::transport::Transport;
use super::{Item, Output, StreamTransport, TransportId, WsRequest};
use crate::Channel;
use crate::decoder::server_message;
use crate::error::ErrorKind;
use crate::http::ResponseHead;
use crate::ws::{self, WsMessage};

/// How long a subscription waits for its first event before a server error can no longer
/// be attributed to it.
const SUBSCRIBE_WINDOW: Duration = Duration::from_secs(10);

impl Session {
    /// Opens the WebSocket transport.
    pub(super) fn connect_ws(&mut self) {
        let (base, target) = self.stream_location("/api/v1/streaming");
        let scheme = if base.is_tls() { "wss" } else { "ws" };
        let mut headers = vec![("User-Agent".to_owned(), self.cfg.user_agent.clone())];
        if let Some(token) = &self.cfg.token {
            headers.push((
                "Authorization".to_owned(),
                format!("Bearer {}", token.expose()),
            ));
        }
        let request = WsRequest {
            url: format!("{scheme}://{}{target}", base.host_header()),
            headers,
            max_message: self.cfg.limits.max_event.saturating_mul(2),
        };
        let id = self.id();
        let output = Output::ConnectWebSocket {
            transport: id,
            target: base.target(),
            request,
        };
        let t = Transport::open_ws(
            id,
            base,
            target,
            self.cfg.timeouts,
            self.now,
            output,
            &mut self.out,
        );
        self.stream = Some((
            t,
            Reader::Ws {
                pending: VecDeque::new(),
            },
        ));
    }

    /// Subscribes the live WebSocket to every stream (after each connect).
    pub(super) fn subscribe_all(&mut self) {
        let channels: Vec<Channel> = self.routes.iter().map(|(c, _)| c.clone()).collect();
        for channel in channels {
            self.send_subscribe(channel);
        }
    }

    fn send_subscribe(&mut self, channel: Channel) {
        let now = self.now;
        if let Some((t, Reader::Ws { pending })) = &mut self.stream {
            self.out.push_back(Output::SendText {
                transport: t.id,
                text: ws::subscribe(&channel),
            });
            pending.push_back((channel, now));
        }
    }

    /// Adds a stream to a WebSocket session: subscribed now when live, and after every
    /// reconnect. New timelines are anchored for catch-up. Ignored for SSE sessions (one
    /// stream per connection) and for streams already subscribed.
    pub fn subscribe(&mut self, channel: Channel, now: Instant) {
        self.now = self.now.max(now);
        if self.cfg.transport != StreamTransport::WebSocket || !self.add_route(channel.clone()) {
            return;
        }
        if self.is_live() {
            self.send_subscribe(channel);
            if self.cfg.catch_up.anchor {
                self.anchor_new_timelines();
            }
        }
    }

    /// Removes a stream from a WebSocket session (unsubscribed now when live).
    pub fn unsubscribe(&mut self, channel: &Channel, now: Instant) {
        self.now = self.now.max(now);
        if !self.remove_route(channel) {
            return;
        }
        let live = self.is_live();
        if let Some((t, Reader::Ws { pending })) = &mut self.stream {
            pending.retain(|(c, _)| c != channel);
            if live {
                self.out.push_back(Output::SendText {
                    transport: t.id,
                    text: ws::unsubscribe(channel),
                });
            }
        }
    }

    /// The streams a WebSocket session is subscribed to (for SSE: its one stream).
    pub fn subscriptions(&self) -> impl Iterator<Item = &Channel> {
        self.routes.iter().map(|(c, _)| c)
    }

    /// A text message arrived on the WebSocket transport.
    pub fn handle_ws_message(&mut self, transport: TransportId, text: Bytes, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        let Some((t, Reader::Ws { pending })) = &mut self.stream else {
            return;
        };
        if t.id != transport {
            return;
        }
        t.received(now);
        pending.retain(|(_, at)| now.saturating_duration_since(*at) < SUBSCRIBE_WINDOW);
        match ws::decode_with(&text, self.cfg.json) {
            Ok(WsMessage::Event {
                stream,
                channel,
                event,
            }) => {
                if let Some(c) = &channel {
                    pending.retain(|(p, _)| p != c);
                }
                self.live_event(event, Origin::Ws { stream, channel });
            }
            Ok(WsMessage::Error { error, status }) => {
                let channel = blamed(pending, &error);
                // A refused subscription is not retried on every reconnect.
                if let (Some(c), Some(400..=499)) = (&channel, status) {
                    self.remove_route(c);
                }
                self.emit(Item::StreamError {
                    channel,
                    status,
                    error,
                });
            }
            Err(error) => {
                let name = String::from("websocket");
                self.live_event(
                    crate::Event::Malformed {
                        name,
                        data: text,
                        error,
                    },
                    Origin::Ws {
                        stream: Vec::new(),
                        channel: None,
                    },
                );
            }
        }
    }

    /// A WebSocket frame other than text (ping, pong, binary) arrived: the connection is
    /// alive.
    pub fn handle_ws_frame(&mut self, transport: TransportId, now: Instant) {
        self.now = self.now.max(now);
        if let Some((t, Reader::Ws { .. })) = &mut self.stream
            && t.id == transport
        {
            t.received(self.now);
        }
    }

    /// The server answered the WebSocket upgrade with an HTTP error (for example `401` with
    /// `X-Error-Message`). Classified like an SSE response with that status: a `401` stops
    /// the session, a `503` is retried.
    pub fn handle_ws_rejected(
        &mut self,
        transport: TransportId,
        head: ResponseHead,
        body: Bytes,
        now: Instant,
    ) {
        self.now = self.now.max(now);
        if !self.stream_is(transport) {
            return;
        }
        let message = server_message(&head, &body);
        self.stream_failed(ErrorKind::Status { head, message }.into());
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
