//! A simulated clock and server for driving a [`Session`] in tests: no sockets, no
//! sleeping. Time moves only when a test moves it, and every timer that falls due on the
//! way fires in order.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::wire::{SSE_HEAD, chunk, json_response};
use crate::http::ResponseHead;
use crate::session::{
    Close, Command, Input, Item, Machine, Output, Session, SessionConfig, Target, TransportError,
    TransportId, WsRequest,
};
use crate::{Error, Event, Id};

/// One real instant to count simulated time from.
#[allow(clippy::disallowed_methods)] // the simulation needs one real instant as its origin
pub fn t0() -> Instant {
    Instant::now()
}

/// The wall clock a simulation starts at: 2026-11-23 08:00:00 UTC.
pub fn wall0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800)
}

/// A session, the simulated time it lives in, and everything it asked for and handed out.
#[derive(Debug)]
pub struct Sim {
    /// The session under test.
    pub session: Session,
    /// When the simulation started.
    pub t0: Instant,
    /// The simulated now.
    pub now: Instant,
    /// The deadline of the session's last [`Output::Wait`].
    pub deadline: Option<Instant>,
    /// Every item handed out, in order.
    pub items: Vec<Item>,
    /// The session's result, once finished.
    pub finished: Option<Result<(), Error>>,
    /// Every connect asked for: (transport, target, when).
    pub connects: Vec<(TransportId, Target, Instant)>,
    /// The request each plain transport sent (the request head, as text).
    pub requests: HashMap<TransportId, String>,
    /// Transports closed (at once, or after their handshake).
    pub closed: HashSet<TransportId>,
    /// WebSocket transports asked to run a close handshake, with the code.
    pub handshakes: Vec<(TransportId, u16)>,
    /// Outputs seen after `Finished` (must stay 0).
    pub after_finish: usize,
    /// WebSocket upgrade requests, per transport.
    pub ws_requests: HashMap<TransportId, WsRequest>,
    /// Text messages sent on WebSocket transports, in order.
    pub sent: Vec<(TransportId, String)>,
}

impl Sim {
    /// Starts a session with `cfg` at [`t0`], [`wall0`].
    pub fn new(cfg: SessionConfig) -> Sim {
        let t0 = t0();
        let session = Session::new(cfg, t0, wall0());
        let mut sim = Sim {
            session,
            t0,
            now: t0,
            deadline: None,
            items: Vec::new(),
            finished: None,
            connects: Vec::new(),
            requests: HashMap::new(),
            closed: HashSet::new(),
            handshakes: Vec::new(),
            after_finish: 0,
            ws_requests: HashMap::new(),
            sent: Vec::new(),
        };
        sim.pump();
        sim
    }

    /// Drains the session's outputs, up to its next wait.
    pub fn pump(&mut self) {
        loop {
            let out = self.session.poll_output();
            if self.finished.is_some() && !matches!(out, Output::Wait { .. }) {
                self.after_finish += 1;
            }
            match out {
                Output::Connect { transport, target } => {
                    self.connects.push((transport, target, self.now));
                }
                Output::ConnectWebSocket {
                    transport,
                    target,
                    request,
                } => {
                    self.connects.push((transport, target, self.now));
                    self.ws_requests.insert(transport, request);
                }
                Output::SendText { transport, text } => self.sent.push((transport, text)),
                Output::Transmit { transport, data } => {
                    self.requests
                        .insert(transport, String::from_utf8_lossy(&data).into_owned());
                }
                Output::Close { transport, how } => match how {
                    Close::Handshake { code } => self.handshakes.push((transport, code)),
                    _ => {
                        self.closed.insert(transport);
                    }
                },
                Output::Item(item) => self.items.push(item),
                Output::Finished(result) => self.finished = Some(result),
                Output::Wait { deadline } => {
                    self.deadline = deadline;
                    return;
                }
            }
        }
    }

    /// Hands the session an input at the simulated now, then drains its outputs.
    pub fn input(&mut self, input: Input) {
        self.session.handle_input(input, self.now);
        self.pump();
    }

    /// Simulated time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// Moves time forward by `d`, firing every timer that falls due on the way, in order.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.deadline {
            if t > end {
                break;
            }
            assert!(
                t >= self.now,
                "deadline {t:?} is in the past (now {:?})",
                self.now
            );
            self.now = t;
            self.input(Input::Timeout);
        }
        self.now = end;
    }

    /// Runs time forward until the session asks for a new transport whose request target
    /// starts with `path` (at most `limit`); returns it.
    pub fn until_connect(&mut self, path: &str, limit: Duration) -> TransportId {
        let end = self.now + limit;
        loop {
            if let Some(id) = self.open_connect(path) {
                return id;
            }
            let Some(t) = self.deadline else {
                panic!(
                    "no timer and no connect to {path}; items: {:#?}",
                    self.items
                )
            };
            assert!(t <= end, "no connect to {path} within {limit:?}");
            self.now = self.now.max(t);
            self.input(Input::Timeout);
        }
    }

    /// The newest unanswered connects, connected to learn their requests; the first whose
    /// target starts with `path`.
    fn open_connect(&mut self, path: &str) -> Option<TransportId> {
        let pending: Vec<TransportId> = self
            .connects
            .iter()
            .map(|c| c.0)
            .filter(|id| {
                !self.requests.contains_key(id)
                    && !self.closed.contains(id)
                    && !self.ws_requests.contains_key(id)
            })
            .collect();
        for id in pending {
            self.input(Input::Connected(id));
            if self.target(id).starts_with(path) {
                return Some(id);
            }
        }
        None
    }

    /// The request target (path and query) of a transport's request.
    pub fn target(&self, id: TransportId) -> String {
        self.requests
            .get(&id)
            .and_then(|r| r.split(' ').nth(1))
            .unwrap_or_default()
            .to_owned()
    }

    /// Bytes read from a transport.
    pub fn data(&mut self, id: TransportId, bytes: impl Into<Bytes>) {
        self.input(Input::Data(id, bytes.into()));
    }

    /// The peer closed a transport.
    pub fn eof(&mut self, id: TransportId) {
        self.input(Input::Eof(id));
    }

    /// A transport's connection was refused.
    pub fn refuse(&mut self, id: TransportId) {
        let e = TransportError::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        self.input(Input::ConnectFailed(id, e));
    }

    /// The application closes the session.
    pub fn close(&mut self) {
        self.input(Input::Command(Command::Close));
    }

    /// A WebSocket text message.
    pub fn ws_message(&mut self, id: TransportId, text: impl Into<Bytes>) {
        self.input(Input::WsMessage(id, text.into()));
    }

    /// A WebSocket ping (or other non-text frame).
    pub fn ws_frame(&mut self, id: TransportId) {
        self.input(Input::WsFrame(id));
    }

    /// The server answered a WebSocket upgrade with `head` and `body`.
    pub fn ws_rejected(&mut self, id: TransportId, head: ResponseHead, body: Bytes) {
        self.input(Input::WsRejected(id, head, body));
    }

    /// Connects the newest pending stream transport and makes it live.
    pub fn go_live(&mut self, path: &str) -> TransportId {
        let id = self.until_connect(path, Duration::from_secs(3600));
        self.data(id, SSE_HEAD);
        self.data(id, chunk(b":)\n"));
        id
    }

    /// Events delivered (live and recovered) other than heartbeats, as (recovered, event).
    pub fn events(&self) -> Vec<(bool, &Event)> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Event(e) if !e.event.is_heartbeat() => Some((e.recovered, &e.event)),
                _ => None,
            })
            .collect()
    }

    /// Status ids delivered, in order, with whether each was recovered.
    pub fn status_ids(&self) -> Vec<(bool, String)> {
        self.events()
            .into_iter()
            .filter_map(|(r, e)| e.status().map(|s| (r, s.id.to_string())))
            .collect()
    }

    /// The delays of every reconnect, in order.
    pub fn reconnect_delays(&self) -> Vec<Duration> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Reconnecting { delay, .. } => Some(*delay),
                _ => None,
            })
            .collect()
    }
}

/// A REST timeline with Mastodon's `min_id` / `limit` semantics: the page immediately above
/// `min_id`, newest first, with a `Link` header.
#[derive(Debug)]
pub struct Timeline {
    /// (id, JSON) in ascending id order.
    pub items: Vec<(Id, String)>,
    /// The endpoint's path.
    pub path: &'static str,
    /// Requests served (their targets).
    pub served: Vec<String>,
}

impl Timeline {
    /// An empty timeline at `path`.
    pub fn new(path: &'static str) -> Self {
        Timeline {
            items: Vec::new(),
            path,
            served: Vec::new(),
        }
    }

    /// Adds an item.
    pub fn push(&mut self, id: &str, json: String) {
        self.items.push((Id::from(id), json));
        self.items.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// Answers a request target.
    pub fn serve(&mut self, target: &str) -> Bytes {
        self.served.push(target.to_owned());
        let query = target.split_once('?').map_or("", |q| q.1);
        let param = |k: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .map(str::to_owned)
        };
        let limit: usize = param("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(20)
            .min(40);
        let page: Vec<&(Id, String)> = match param("min_id") {
            Some(min) => {
                let min = Id::from(min);
                self.items
                    .iter()
                    .filter(|(id, _)| *id > min)
                    .take(limit)
                    .collect()
            }
            None => {
                let skip = self.items.len().saturating_sub(limit);
                self.items.iter().skip(skip).collect()
            }
        };
        let body: Vec<&str> = page.iter().rev().map(|(_, j)| j.as_str()).collect();
        let body = format!("[{}]", body.join(","));
        let link = match (page.first(), page.last()) {
            (Some(oldest), Some(newest)) => format!(
                "Link: <https://example.org{}?max_id={}>; rel=\"next\", <https://example.org{}?min_id={}>; rel=\"prev\"\r\n",
                self.path, oldest.0, self.path, newest.0
            ),
            _ => String::new(),
        };
        json_response("200 OK", &body, &link)
    }
}
