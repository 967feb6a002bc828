//! A simulated clock and server for driving a `Session` in tests: no sockets, no sleeping.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mastostream_proto::session::{
    Item, Machine, Output, Session, SessionConfig, Target, TransportError, TransportId, WsRequest,
};
use mastostream_proto::{Error, Event, Id};

#[allow(clippy::disallowed_methods)] // tests need one real instant to count from
pub fn t0() -> Instant {
    Instant::now()
}

/// The wall clock the simulation starts at: 2026-11-23 08:00:00 UTC.
pub fn wall0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800)
}

pub struct Sim {
    pub session: Session,
    pub t0: Instant,
    pub now: Instant,
    pub items: Vec<Item>,
    pub finished: Option<Result<(), Error>>,
    /// Every Connect asked for: (transport, target, when).
    pub connects: Vec<(TransportId, Target, Instant)>,
    /// The request each transport sent (the request head, as text).
    pub requests: HashMap<TransportId, String>,
    pub closed: HashSet<TransportId>,
    /// Outputs seen after `Finished` (must stay 0).
    pub after_finish: usize,
    /// WebSocket upgrade requests, per transport.
    pub ws_requests: HashMap<TransportId, WsRequest>,
    /// Text messages sent on WebSocket transports, in order.
    pub sent: Vec<(TransportId, String)>,
}

impl Sim {
    pub fn new(cfg: SessionConfig) -> Sim {
        let t0 = t0();
        let session = Session::new(cfg, t0, wall0());
        let mut sim = Sim {
            session,
            t0,
            now: t0,
            items: Vec::new(),
            finished: None,
            connects: Vec::new(),
            requests: HashMap::new(),
            closed: HashSet::new(),
            after_finish: 0,
            ws_requests: HashMap::new(),
            sent: Vec::new(),
        };
        sim.pump();
        sim
    }

    /// Drains the session's outputs.
    pub fn pump(&mut self) {
        while let Some(out) = self.session.poll() {
            if self.finished.is_some() {
                self.after_finish += 1;
            }
            match out {
                Output::Connect { transport, target } => {
                    self.connects.push((transport, target, self.now))
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
                Output::Close { transport } => {
                    self.closed.insert(transport);
                }
                Output::Item(item) => self.items.push(item),
                Output::Finished(result) => self.finished = Some(result),
            }
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// Moves time forward by `d`, firing every timer that falls due on the way, in order.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.session.poll_timeout() {
            if t > end {
                break;
            }
            assert!(
                t >= self.now,
                "deadline {t:?} is in the past (now {:?})",
                self.now
            );
            self.now = t;
            self.session.handle_timeout(t);
            self.pump();
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
            let Some(t) = self.session.poll_timeout() else {
                panic!(
                    "no timer and no connect to {path}; items: {:#?}",
                    self.items
                )
            };
            assert!(t <= end, "no connect to {path} within {limit:?}");
            self.now = self.now.max(t);
            self.session.handle_timeout(self.now);
            self.pump();
        }
    }

    /// A Connect not yet answered whose target path we learn once connected: the newest
    /// unanswered connect, if any. Connects the transport to learn its request.
    fn open_connect(&mut self, path: &str) -> Option<TransportId> {
        let pending: Vec<TransportId> = self
            .connects
            .iter()
            .map(|c| c.0)
            .filter(|id| !self.requests.contains_key(id) && !self.closed.contains(id))
            .collect();
        for id in pending {
            self.session.handle_connected(id, self.now);
            self.pump();
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

    pub fn data(&mut self, id: TransportId, bytes: impl Into<Bytes>) {
        self.session.handle_data(id, bytes.into(), self.now);
        self.pump();
    }

    pub fn eof(&mut self, id: TransportId) {
        self.session.handle_eof(id, self.now);
        self.pump();
    }

    pub fn refuse(&mut self, id: TransportId) {
        self.session.handle_connect_failed(
            id,
            TransportError::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
            self.now,
        );
        self.pump();
    }

    pub fn close(&mut self) {
        self.session.close(self.now);
        self.pump();
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
                Item::Event(e) if !e.is_heartbeat() => Some((false, e)),
                Item::Recovered(e) => Some((true, e)),
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

pub const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nCache-Control: private, no-store\r\n\r\n";

/// One HTTP chunk.
pub fn chunk(data: &[u8]) -> Bytes {
    let mut b = format!("{:x}\r\n", data.len()).into_bytes();
    b.extend_from_slice(data);
    b.extend_from_slice(b"\r\n");
    Bytes::from(b)
}

/// An SSE event as Mastodon writes it, in one chunk.
pub fn event(name: &str, data: &str) -> Bytes {
    chunk(format!("event: {name}\ndata: {data}\n\n").as_bytes())
}

pub fn account_json(n: u64) -> String {
    format!(
        r#"{{"id":"{n}","username":"user{n}","acct":"user{n}@example.org","display_name":"User {n}","url":"https://example.org/@user{n}","created_at":"2024-01-01T00:00:00.000Z"}}"#
    )
}

pub fn status_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2026-11-23T08:00:00.000Z","visibility":"public","uri":"https://example.org/s/{id}","content":"<p>status {id}</p>","account":{}}}"#,
        account_json(7)
    )
}

pub fn notification_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"mention","created_at":"2026-11-23T08:00:00.000Z","account":{},"status":{}}}"#,
        account_json(8),
        status_json(&format!("9{id}"))
    )
}

pub fn conversation_json(id: &str, last: &str) -> String {
    format!(
        r#"{{"id":"{id}","unread":true,"accounts":[{}],"last_status":{}}}"#,
        account_json(9),
        status_json(last)
    )
}

/// A snowflake-like id: `n` scaled into Mastodon's range (> 2^53).
pub fn sid(n: u64) -> String {
    (110_000_000_000_000_000 + n).to_string()
}

/// An HTTP response with a JSON body.
pub fn json_response(status: &str, body: &str, headers: &str) -> Bytes {
    Bytes::from(format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

/// A REST timeline with Mastodon's `min_id` / `limit` semantics: the page immediately above
/// `min_id`, newest first, with a `Link` header.
pub struct Timeline {
    /// (id, JSON) in ascending id order.
    pub items: Vec<(Id, String)>,
    pub path: &'static str,
    /// Requests served (their targets).
    pub served: Vec<String>,
}

impl Timeline {
    pub fn new(path: &'static str) -> Self {
        Timeline {
            items: Vec::new(),
            path,
            served: Vec::new(),
        }
    }

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
            None => self
                .items
                .iter()
                .rev()
                .take(limit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
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
