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

mod auth;
mod build;
mod conn;
pub mod corpus;
pub mod demo;
mod http;
mod limit;
mod plan;
mod publish;
mod route;
mod server;
mod store;
mod tls;
mod ws;

pub use build::{NotificationBuilder, StatusBuilder, VIEWER, Visibility};
pub use http::{RecordedRequest, Reply};
pub use limit::RateLimit;
pub use plan::{Cut, Inject, Plan, StreamPlan};
pub use server::{FakeServer, ServerOptions};
pub use store::Collection;
pub use tls::TestCa;
pub use ws::WsConnection;

#[cfg(test)]
mod tests;
