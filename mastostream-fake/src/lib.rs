//! A fake Mastodon server on loopback: real TCP (and real TLS with a CA made at run time),
//! Mastodon's exact streaming bytes, the REST timelines for catch-up, and misbehaviour on
//! command.
//!
//! It uses only std threads and `std::net`, so tests of any async runtime can use it. Time
//! never passes inside it on its own: heartbeats are sent on command
//! ([`FakeServer::heartbeat`]) unless [`ServerOptions::heartbeat_every`] asks for a
//! wall-clock schedule (demos and measurements).
//!
//! What it serves:
//! - `GET /api/v1/streaming/{user, user/notification, public, public/local, public/remote,
//!   hashtag, hashtag/local, list, direct}`: `200 text/event-stream`, chunked, `:)` first,
//!   then every published event as two writes (`event: NAME\n`, `data: PAYLOAD\n\n`), as
//!   Mastodon does; unknown streams and missing parameters get Mastodon's `400`s.
//! - `GET /api/v1/streaming` with `Upgrade: websocket`: Mastodon's multiplexed WebSocket
//!   (subscribe and unsubscribe messages, events tagged with their stream and payloads
//!   encoded twice, refusals as `{"error":...,"status":...}`, pings as heartbeats; see
//!   [`WsConnection`] for what is recorded, [`FakeServer::forbid_list`] and
//!   [`FakeServer::revoke_token`] for refusals).
//! - `GET /api/v1/streaming/health`: `OK`.
//! - `GET /api/v2/instance`: the streaming URL in `configuration.urls.streaming`.
//! - `GET /api/v1/timelines/{home, public, tag/:tag, list/:id}`, `/api/v1/notifications`,
//!   `/api/v1/conversations`: the published items, newest first, honouring `min_id`,
//!   `since_id`, `max_id` and `limit`, with `Link` headers.
//!
//! Each stream request (a WebSocket upgrade too) takes the next queued [`Plan`] (a normal
//! stream when none is queued):
//! an error [`Reply`], silence, or a stream that writes one byte at a time, injects garbage
//! or an endless line, and drops, stalls or ends after some events. Every request is
//! recorded ([`FakeServer::requests`]).
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use mastostream_fake::{FakeServer, ServerOptions};
//!
//! let server = FakeServer::start(ServerOptions::default());
//! let mut tcp = TcpStream::connect(server.addr()).unwrap();
//! tcp.write_all(b"GET /api/v1/streaming/health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
//! let mut answer = String::new();
//! tcp.read_to_string(&mut answer).unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("\r\n\r\nOK"));
//! assert_eq!(server.requests()[0].path, "/api/v1/streaming/health");
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod conn;
pub mod corpus;
pub mod demo;
mod http;
mod store;
mod tls;
mod ws;

use std::collections::VecDeque;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use http::{RecordedRequest, Reply};
pub use store::Collection;
pub use tls::TestCa;
pub use ws::WsConnection;

use crate::corpus::{EventKind, Generator, START_MS, StreamEvent, snowflake};
use store::Store;

/// How a fake server behaves overall.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Serve TLS (with a [`TestCa`] made at start) instead of plain HTTP.
    pub tls: bool,
    /// The access token required on streams and timelines (`None`: none required).
    pub token: Option<String>,
    /// The seed of the payload [`Generator`].
    pub seed: u64,
    /// Send `:thump` to every live stream on this wall-clock schedule (`None`: only on
    /// command).
    pub heartbeat_every: Option<Duration>,
    /// Serve streams on a second port, named by `/api/v2/instance`; the main port then
    /// answers stream requests with `404`, like a REST-only host.
    pub separate_streaming: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            tls: false,
            token: None,
            seed: 1,
            heartbeat_every: None,
            separate_streaming: false,
        }
    }
}

/// What the server does with one stream request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// A live stream (see [`StreamPlan`]).
    Stream(StreamPlan),
    /// Answer with this reply and close.
    Reply(Reply),
    /// Read the request and never answer (the client's head timer must fire).
    Silent,
    /// Close the connection right after reading the request.
    Hangup,
}

impl Default for Plan {
    fn default() -> Self {
        Plan::Stream(StreamPlan::default())
    }
}

/// How a live stream behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamPlan {
    /// Write every byte (head included) in a write of its own.
    pub byte_at_a_time: bool,
    /// Written after `:)`, before any published event.
    pub prelude: Vec<Inject>,
    /// After this many published events, cut the stream this way.
    pub cut: Option<(usize, Cut)>,
}

/// Bytes a stream writes besides the published events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inject {
    /// SSE body bytes, sent as one chunk (properly framed). Over a WebSocket: one text
    /// message (binary when not UTF-8).
    Body(Vec<u8>),
    /// An `event: update` whose `data:` line is this many bytes long, sent in 64 KiB
    /// chunks, then ended (`\n\n`). Over a WebSocket: an `update` message with a payload
    /// this long.
    EndlessLine(usize),
    /// Bytes written as they are, outside the chunked framing (breaks it). Over a
    /// WebSocket: outside the WebSocket framing.
    Raw(Vec<u8>),
}

/// How a stream is cut after its planned number of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Close the connection before the next event.
    Drop,
    /// Write the next event's `event:` line and half its `data:` line, then close. Over a
    /// WebSocket: half the next message's frame.
    DropMidEvent,
    /// Stop writing (events and heartbeats; over a WebSocket, pings) but keep the
    /// connection open.
    Stall,
    /// End the body cleanly (`0\r\n\r\n`) and close. Over a WebSocket: a close frame.
    End,
}

/// A command to a live stream's thread.
#[derive(Debug)]
enum Cmd {
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
struct Wire {
    event: Vec<u8>,
    data: Vec<u8>,
    name: String,
    payload: String,
}

#[derive(Debug)]
struct Live {
    conn: u64,
    tx: mpsc::Sender<Cmd>,
}

#[derive(Debug, Default)]
struct State {
    store: Store,
    plans: VecDeque<Plan>,
    rest_plans: VecDeque<Reply>,
    live: Vec<Live>,
    sockets: Vec<(u64, TcpStream)>,
    requests: Vec<RecordedRequest>,
    ws: Vec<WsConnection>,
    forbidden_lists: Vec<String>,
    revoked: bool,
    streams_opened: usize,
    next_conn: u64,
    seq: u64,
}

#[derive(Debug)]
struct Shared {
    opts: ServerOptions,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    generator: Generator,
    main_addr: SocketAddr,
    streaming_addr: Option<SocketAddr>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn base_url(&self, addr: SocketAddr) -> String {
        let scheme = if self.opts.tls { "https" } else { "http" };
        format!("{scheme}://{addr}")
    }
}

/// A running fake Mastodon server. Dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct FakeServer {
    shared: Arc<Shared>,
    ca: Option<TestCa>,
    threads: Vec<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server on `127.0.0.1` (an ephemeral port). Panics if it cannot listen.
    pub fn start(opts: ServerOptions) -> FakeServer {
        let main = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let streaming = opts
            .separate_streaming
            .then(|| TcpListener::bind("127.0.0.1:0").expect("bind streaming port"));
        let ca = opts.tls.then(TestCa::new);
        let shared = Arc::new(Shared {
            tls: ca.as_ref().map(TestCa::server_config),
            generator: Generator::new(opts.seed),
            main_addr: main.local_addr().expect("local addr"),
            streaming_addr: streaming
                .as_ref()
                .map(|l| l.local_addr().expect("local addr")),
            opts,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let mut threads = Vec::new();
        for (listener, streaming_port) in [(Some(main), false), (streaming, true)] {
            let Some(listener) = listener else { continue };
            let shared = shared.clone();
            threads.push(thread::spawn(move || {
                conn::accept_loop(&shared, &listener, streaming_port);
            }));
        }
        if let Some(every) = shared.opts.heartbeat_every {
            let shared = shared.clone();
            threads.push(thread::spawn(move || heartbeat_loop(&shared, every)));
        }
        FakeServer {
            shared,
            ca,
            threads,
        }
    }

    /// The main address (REST, and streams unless they are on a separate port).
    pub fn addr(&self) -> SocketAddr {
        self.shared.main_addr
    }

    /// The instance URL: `http://127.0.0.1:PORT`, or `https://...` with TLS.
    pub fn url(&self) -> String {
        self.shared.base_url(self.shared.main_addr)
    }

    /// The streaming base URL as `/api/v2/instance` names it (`ws://` or `wss://`).
    pub fn streaming_url(&self) -> String {
        conn::streaming_url(&self.shared)
    }

    /// The test CA (with TLS).
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// Queues plans for the next stream requests, in order.
    pub fn plan(&self, plans: impl IntoIterator<Item = Plan>) {
        self.shared.lock().plans.extend(plans);
        self.shared.changed.notify_all();
    }

    /// Queues replies for the next REST timeline requests (instead of a page), in order.
    pub fn plan_rest(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().rest_plans.extend(replies);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many streams were answered `200` so far (a WebSocket connection counts from
    /// its first accepted subscription).
    pub fn streams_opened(&self) -> usize {
        self.shared.lock().streams_opened
    }

    /// How many streams are live now (WebSocket connections with a subscription).
    pub fn live_streams(&self) -> usize {
        self.shared.lock().live.len()
    }

    /// How many items of a collection are stored.
    pub fn stored(&self, collection: Collection) -> usize {
        self.shared.lock().store.len(collection)
    }

    /// Waits (at most `timeout`) until `pred` holds for the server's counters
    /// `(streams_opened, live_streams, requests)`. Returns whether it held.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(usize, usize, &[RecordedRequest]) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            if pred(st.streams_opened, st.live.len(), &st.requests) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits (at most `timeout`) until `pred` holds for the WebSocket connections so far
    /// (as [`ws_connections`](FakeServer::ws_connections) lists them). Returns whether it
    /// held.
    pub fn wait_ws(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&[WsConnection]) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            if pred(&st.ws) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The payload generator (the same seed as the server's own payloads).
    pub fn generator(&self) -> &Generator {
        &self.shared.generator
    }

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

    /// Sends `:thump` to every live SSE stream and a ping frame to every live WebSocket.
    pub fn heartbeat(&self) {
        broadcast(&self.shared, || Cmd::Heartbeat);
    }

    /// Refuses WebSocket subscriptions to this list from now on, as Mastodon refuses a list
    /// the token's account does not own: `{"error":"Not authorized to stream this
    /// list","status":401}`.
    pub fn forbid_list(&self, id: &str) {
        self.shared.lock().forbidden_lists.push(id.to_owned());
    }

    /// Revokes the server's token (as an expired or revoked token): from now on every
    /// request that needs it is refused with `401 Invalid access token` (a WebSocket upgrade
    /// with `X-Error-Message`). Connections already open stay open.
    pub fn revoke_token(&self) {
        self.shared.lock().revoked = true;
    }

    /// Every WebSocket connection so far, in accept order: what its client sent and what
    /// it is subscribed to.
    pub fn ws_connections(&self) -> Vec<WsConnection> {
        self.shared.lock().ws.clone()
    }

    /// Writes raw SSE body bytes (one chunk) to every live SSE stream, and sends them as one
    /// text message (binary when not UTF-8) to every live WebSocket.
    pub fn send_raw(&self, body: &[u8]) {
        broadcast(&self.shared, || Cmd::Raw(body.to_vec()));
    }

    /// Cuts every live stream now (see [`Cut`]; `DropMidEvent` here drops before the next
    /// event as `Drop` does).
    pub fn cut_streams(&self, cut: Cut) {
        broadcast(&self.shared, || Cmd::Cut(cut));
    }

    /// A restart: closes every connection (streams and REST) at once and goes on
    /// accepting. Plans still queued stay queued.
    pub fn restart(&self) {
        let mut st = self.shared.lock();
        st.live.clear();
        for (_, s) in st.sockets.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        drop(st);
        self.shared.changed.notify_all();
    }
}

fn broadcast(shared: &Shared, cmd: impl Fn() -> Cmd) {
    shared.lock().live.retain(|l| l.tx.send(cmd()).is_ok());
}

fn heartbeat_loop(shared: &Shared, every: Duration) {
    let mut next = Instant::now() + every;
    while !shared.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= next {
            broadcast(shared, || Cmd::Heartbeat);
            next += every;
        } else {
            thread::sleep((next - now).min(Duration::from_millis(20)));
        }
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

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.restart();
        // Wake the accept loops.
        let _ = TcpStream::connect(self.shared.main_addr);
        if let Some(a) = self.shared.streaming_addr {
            let _ = TcpStream::connect(a);
        }
        self.shared.changed.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod ws_tests;
