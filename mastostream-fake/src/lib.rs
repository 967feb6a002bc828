//! A fake Mastodon server on loopback, to test bots and streaming clients against: what
//! wiremock is for HTTP clients, speaking Mastodon. Real TCP (and real TLS, with a CA made
//! at run time), Mastodon's exact streaming bytes over SSE and WebSocket, the REST
//! timelines a client catches up from, and misbehaviour on command.
//!
//! It runs on std threads and `std::net` (rustls for TLS, tungstenite for WebSocket
//! framing), so tests on tokio, smol, any other runtime or none can use it, and it depends
//! on no mastostream crate: any Mastodon client can be tested with it. Add it to your
//! `[dev-dependencies]`.
//!
//! ```
//! use std::io::{BufRead, BufReader, Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//!
//! use mastostream_fake::{FakeServer, ServerOptions, StatusBuilder};
//!
//! fn main() -> std::io::Result<()> {
//!     let server = FakeServer::start(ServerOptions {
//!         token: Some("s3cr3t".into()),
//!         ..ServerOptions::default()
//!     });
//!
//!     // The client under test. Yours connects to `server.url()`; this one speaks raw
//!     // HTTP/1.1 and reads the #rust stream line by line.
//!     let mut tcp = TcpStream::connect(server.addr())?;
//!     tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
//!     tcp.write_all(
//!         b"GET /api/v1/streaming/hashtag?tag=rust HTTP/1.1\r\nHost: localhost\r\n\
//!           Authorization: Bearer s3cr3t\r\n\r\n",
//!     )?;
//!     assert!(server.wait_until(Duration::from_secs(10), |_, live, _| live == 1));
//!
//!     // The test decides what happens: a #go status (not for this stream), then a #rust one.
//!     server.publish_status(&StatusBuilder::new().tag("go"));
//!     let id = server.publish_status(
//!         &StatusBuilder::new().account("bob@example.org").text("Ferris says hi").tag("rust"),
//!     );
//!
//!     let mut lines = BufReader::new(tcp).lines();
//!     let data = loop {
//!         let line = lines.next().expect("the stream ended early")?;
//!         if let Some(data) = line.strip_prefix("data: ") {
//!             break data.to_owned();
//!         }
//!     };
//!     assert!(data.starts_with(&format!(r#"{{"id":"{id}","#)));
//!     assert!(data.contains("Ferris says hi"));
//!
//!     // The same status is on the REST timeline a client catches up from.
//!     let mut rest = TcpStream::connect(server.addr())?;
//!     rest.write_all(
//!         b"GET /api/v1/timelines/tag/rust HTTP/1.1\r\nHost: localhost\r\n\
//!           Authorization: Bearer s3cr3t\r\n\r\n",
//!     )?;
//!     let mut page = String::new();
//!     rest.read_to_string(&mut page)?;
//!     assert!(page.starts_with("HTTP/1.1 200 OK\r\n"));
//!     assert!(page.contains(&format!(r#"[{{"id":"{id}","#)));
//!     Ok(())
//! }
//! ```
//!
//! # What it serves
//!
//! - `GET /api/v1/streaming/{user, user/notification, public, public/local, public/remote,
//!   hashtag, hashtag/local, list, direct}` (`only_media=true` on the public ones, `tag=`,
//!   `list=`): `200 text/event-stream`, chunked, `:)` first, then each event as two writes
//!   (`event: NAME\n`, `data: PAYLOAD\n\n`), as Mastodon does; unknown streams and missing
//!   parameters get Mastodon's `400`s.
//! - `GET /api/v1/streaming` with `Upgrade: websocket`: Mastodon's multiplexed WebSocket
//!   (`?stream=` on the URL, `subscribe` and `unsubscribe` messages, events tagged with
//!   their stream and payloads encoded twice, refusals as `{"error":...,"status":...}`,
//!   pings as heartbeats; see [`WsConnection`] for what is recorded).
//! - `GET /api/v1/streaming/health`: `OK`.
//! - `GET /api/v2/instance`: the streaming URL in `configuration.urls.streaming`;
//!   `GET /api/v1/instance`: in `urls.streaming_api`.
//! - `GET /.well-known/nodeinfo` and the NodeInfo 2.0 document it links: `software.name`
//!   `mastodon`, `software.version` `4.3.0`.
//! - `GET /api/v1/timelines/{home, public, tag/:tag, list/:id}` (`local`, `remote`,
//!   `only_media`), `/api/v1/notifications` (`types[]`, `exclude_types[]`),
//!   `/api/v1/conversations`: what was published, newest first, honouring `min_id`,
//!   `since_id`, `max_id` and `limit` as Mastodon does, with `Link` headers.
//!
//! Anything else is `404`. That is Mastodon 4, the default [`Dialect`]; the others are
//! [below](#dialects).
//!
//! # Pointing a client at it
//!
//! [`FakeServer::url`] is the instance URL (`http://127.0.0.1:PORT`) and
//! [`FakeServer::streaming_url`] the streaming one (`ws://…`). With
//! [`ServerOptions::separate_streaming`], streams are on a second port that only
//! `/api/v2/instance` names, as on instances whose streaming host differs.
//!
//! With [`ServerOptions::tls`] the URLs are `https://` and `wss://`, and the server
//! presents a certificate for `localhost` and `127.0.0.1` signed by a CA made at start:
//! trust [`TestCa::ca_der`] (or [`TestCa::ca_pem`]) in the client, e.g. with rustls:
//!
//! ```
//! use mastostream_fake::{FakeServer, ServerOptions};
//!
//! let server = FakeServer::start(ServerOptions { tls: true, ..ServerOptions::default() });
//! let mut roots = rustls::RootCertStore::empty();
//! roots.add(server.ca().unwrap().ca_der().clone()).unwrap();
//! assert!(server.url().starts_with("https://127.0.0.1:"));
//! ```
//!
//! Tokens: [`ServerOptions::token`], [`FakeServer::accept_token`] and
//! [`FakeServer::accept_token_with_scopes`]. A server that knows no token lets every
//! request through; once it knows one, streams and timelines require a token it accepts
//! (`Authorization: Bearer`, `access_token=`, or a WebSocket's `Sec-WebSocket-Protocol`).
//!
//! # Scripting a test
//!
//! Time never passes inside the server on its own: it does what the test says, when the
//! test says it. Heartbeats are sent on command ([`FakeServer::heartbeat`]) unless
//! [`ServerOptions::heartbeat_every`] asks for a wall-clock schedule. To act once the
//! client is connected, wait for it: [`FakeServer::wait_until`] (streams opened, streams
//! live, requests) and [`FakeServer::wait_ws`] (WebSocket subscriptions).
//!
//! **Publish.** Everything published gets the next id of one increasing sequence, and
//! goes to the streams live at that moment:
//! - [`publish_status`](FakeServer::publish_status) a [`StatusBuilder`] (text, hashtags,
//!   mentions, visibility, language, content warning, author, reblog, reply, media): to the
//!   streams and timelines that carry it (below); [`publish_edit`](FakeServer::publish_edit)
//!   its `status.update`.
//! - [`notify`](FakeServer::notify) a [`NotificationBuilder`] of any type, shaped as
//!   Mastodon shapes that type: to `user` and `user:notification`, and
//!   `/api/v1/notifications`.
//! - [`publish_to`](FakeServer::publish_to) / [`publish_to_stream`](FakeServer::publish_to_stream)
//!   any event name and payload to exactly one stream, SSE and WebSocket alike (live only).
//! - Generated, realistic entities from the [`corpus`] generator:
//!   [`publish_update`](FakeServer::publish_update),
//!   [`publish_notification`](FakeServer::publish_notification),
//!   [`publish_conversation`](FakeServer::publish_conversation),
//!   [`publish_event`](FakeServer::publish_event), and [`publish`](FakeServer::publish) for
//!   any event: to every SSE stream and to the WebSocket subscriptions that carry that kind
//!   of event, and (with a collection) to every timeline of the collection.
//!   [`publish_delete`](FakeServer::publish_delete) and [`send_raw`](FakeServer::send_raw)
//!   reach every stream.
//!
//! **Drop and misbehave.** [`cut_streams`](FakeServer::cut_streams) drops, stalls or ends
//! every live stream now ([`Cut`]); [`restart`](FakeServer::restart) closes every
//! connection at once. Each stream request (a WebSocket upgrade too) takes the next queued
//! [`Plan`] ([`FakeServer::plan`]), a normal stream when none is queued: an error
//! [`Reply`], silence, a hang-up, or a stream that writes one byte at a time, starts with
//! injected bytes ([`Inject`]: garbage, broken framing, an endless line) and is cut after
//! some events.
//!
//! **Refuse.** [`revoke_token`](FakeServer::revoke_token) /
//! [`revoke_one`](FakeServer::revoke_one) (`401 Invalid access token`), tokens without the
//! stream's scope, [`forbid_list`](FakeServer::forbid_list) (a WebSocket list subscription
//! refused), [`refuse_streams`](FakeServer::refuse_streams) (the next stream requests
//! answered `429` / `503` with `Retry-After`), [`plan_rest`](FakeServer::plan_rest) (any
//! reply to the next REST requests), a REST rate limit ([`RateLimit`]:
//! `X-RateLimit-*` headers, then `429` with `Retry-After`), and
//! [`ServerOptions::refuse_upgrades`] (every WebSocket upgrade answered with a reply, as
//! by a proxy that passes none on).
//!
//! **Catch-up.** Publish while the client is away (after a cut, with the next stream
//! request planned to fail or stall): what was published stays on the REST timelines, so a
//! client that resumes from the last id it saw (`min_id`, walking `rel="prev"`) gets it
//! all, in order. Deletions and edits have no REST history, as on Mastodon.
//!
//! **Check.** [`requests`](FakeServer::requests) lists every request received (method,
//! target, headers, TLS), [`ws_connections`](FakeServer::ws_connections) every WebSocket
//! connection (what the client sent, its subscriptions, its close frame), and
//! [`streams_opened`](FakeServer::streams_opened), [`live_streams`](FakeServer::live_streams)
//! and [`stored`](FakeServer::stored) count.
//!
//! # Which streams and timelines carry a status
//!
//! A status published with [`FakeServer::publish_status`] goes where Mastodon's fan-out
//! would send it, over SSE and WebSocket alike, and the REST timeline of the same name
//! lists the same statuses:
//!
//! | stream (timeline) | carries |
//! |---|---|
//! | `user` (`home`) | every status: the viewer, [`VIEWER`], follows everyone |
//! | `public` (`public`) | public statuses, not reblogs, not replies to someone else |
//! | `public:local`, `public:remote` (`local=true`, `remote=true`) | those, by local (no `@domain`) or remote authors |
//! | `…:media` (`only_media=true`) | those, with media attachments |
//! | `hashtag` (`tag/:tag`) | public statuses, not reblogs, carrying the tag (any case) |
//! | `hashtag:local` (`tag/:tag?local=true`) | those, by local authors |
//! | `list` (`list/:id`) | statuses by the accounts of the list ([`FakeServer::set_list`]) |
//! | `user:notification`, `direct` | no status |
//!
//! Generated statuses ([`FakeServer::publish_update`], [`FakeServer::publish`]) predate
//! this: they go to every stream and every status timeline, whatever its tag or list.
//!
//! # Dialects
//!
//! [`ServerOptions::dialect`] makes the server play another Mastodon-API server. The
//! same statuses, notifications and timelines are published and stored; the server says
//! them in its own way, byte for byte as its source code writes them: transports, where
//! the upgrade's token is read, subscribe messages and their replies, message bytes, ids,
//! pagination and discovery documents.
//!
//! | [`Dialect`] | plays | streaming | token on the upgrade | `stream` in messages | ids |
//! |---|---|---|---|---|---|
//! | `Mastodon4` | Mastodon 4.3 | SSE + WebSocket | `Authorization`, `access_token`, protocol | `["hashtag","rust"]` | decimal snowflakes |
//! | `Mastodon3` | Mastodon 3.5 | SSE + WebSocket | as 4; none needed for public streams | as 4 | as 4 |
//! | `GoToSocial` | GoToSocial 0.20 | WebSocket | `access_token`, else any protocol (echoed), else `Authorization` | `["list:<id>"]`, one name | ULIDs |
//! | `Akkoma` | Akkoma 3.16 | WebSocket | `access_token`, else protocol (echoed); never `Authorization` | internal topic: `["user:<uid>"]`, `["hashtag:rust"]`; none on `delete` | FlakeIds; integer notifications |
//! | `Pleroma` | Pleroma 2.7 | WebSocket | `access_token` only (or `pleroma:authenticate`) | Mastodon's; none on `delete` | as Akkoma |
//! | `Iceshrimp` | Iceshrimp JS (and Firefish ≥ v20240326) | WebSocket | `i`, `access_token`, protocol (first echoed) | `["list"]`, `["hashtag"]`: no id or tag | 8 time chars + 8–16 more, 16–24 long |
//! | `IceshrimpNet` | Iceshrimp.NET 2024.1 | WebSocket | `access_token`, else first protocol (not echoed) | Mastodon's | 16 chars |
//! | `Sharkey` | Sharkey 2023.12 | none (Misskey's socket only) | `Authorization`, `i` | never sends one | Misskey `aidx` |
//!
//! The main other differences:
//! - **Mastodon 3**: no `/api/v2/instance`; WebSocket errors `{"error":"..."}` without
//!   `status` (`Unknown stream type`, `Error: Access token does not cover required
//!   scopes`); a bad token gets ws's `401` page; `filters_changed` without payload
//!   ([`FakeServer::publish_filters_changed`]); no `notifications_merged` (edits'
//!   `status.update` is sent: it came in 3.5.0); notifications paged 15 / 30 at most.
//! - **GoToSocial**: SSE paths answer `404 {"error":"Not Found"}`; subscribe messages only
//!   for `public:local`, `public`, `user`, `direct`, `list` (no `tag`), never answered;
//!   `?stream=` takes any name (hashtags, unknown names: accepted, never posted to); a
//!   message that is not JSON drops the TCP connection without a close frame; messages
//!   end with `\n` and are Go-escaped (`\u003c`); `filters_changed` has `"payload":""`;
//!   pings carry `ping!`; a notification or deletion is one message a connection.
//! - **Akkoma**: SSE paths and `/api/v2/instance` answer `404 {"error":"Not
//!   implemented"}`; a private stream without a token it reads is refused `401` (empty)
//!   before the upgrade, an unknown one `404`; subscribe messages read no `tag` or `list`,
//!   are never answered, and cannot be undone; a text `ping` gets `pong`; extra event
//!   `pleroma:follow_relationships_update`; every page holds 40 at most, notifications too.
//! - **Pleroma**: `pleroma:respond` answers (un)subscribe messages
//!   (`{"result":"error","error":"bad_topic",…}`); refusals say `Unauthorized` /
//!   `Not Found`; `pleroma:chat_update` on `user:pleroma_chat`; a v2 instance document.
//! - **Iceshrimp**: SSE paths get Koa's `404 Not Found` text; unknown streams are ignored,
//!   a stream the token's scopes lack closes the socket; a text `ping` gets `pong`; ids of
//!   varying length, ordered by bytes (never length first); `Link` `next` only after a
//!   full page; `since_id` with `min_id` is a `500`.
//! - **Iceshrimp.NET**: SSE paths answer `501`; `"` inside messages is `\u0022`; a bad
//!   message closes with 1007, missing scopes with 1008; deletions reach lists as
//!   `status.update`; heartbeats are unsolicited pongs; `min_id` pages come **oldest
//!   first**; v2 has `configuration.urls.streaming_api`.
//! - **Sharkey**: the socket accepts any upgrade and never sends a Mastodon message.
//!
//! Every dialect serves `/.well-known/nodeinfo` (with the server's `software.name` and
//! `version`; [`ServerOptions::software_name`] names software a client does not know), `/api/v1/instance` (its `version`, e.g. `2.7.2 (compatible; Akkoma
//! 3.16.0)`) and, where the server has one, `/api/v2/instance`. Ids are written in the
//! server's format everywhere ([`FakeServer::wire_id`]); `min_id` and `max_id` compare as
//! the server compares them. [`WsConnection::token_place`] says where the server read the
//! token and [`RecordedRequest::token_places`] where the client put one, so a test checks
//! that a client puts its token where the server reads it and nowhere else. Real servers
//! name `wss://` URLs; the fake names `ws://` when it runs without TLS.
//!
//! The facts come from each server's source code: Mastodon `streaming/index.js` and
//! `streaming/errors.js` (3.x: a 3.4.1-based fork's `streaming/index.js`), and
//! `app/models/concerns/paginable.rb`; GoToSocial `internal/api/client/streaming/stream.go`,
//! `internal/stream/stream.go`, `internal/processing/stream/`, `internal/paging/`;
//! Akkoma and Pleroma `lib/pleroma/web/mastodon_api/websocket_handler.ex`,
//! `lib/pleroma/web/streamer.ex`, `lib/pleroma/web/views/streamer_view.ex`,
//! `lib/pleroma/pagination.ex`; Iceshrimp `packages/backend/src/server/api/streaming.ts`,
//! `…/api/mastodon/streaming/index.ts`, `…/mastodon/helpers/pagination.ts`; Iceshrimp.NET
//! `Controllers/Mastodon/WebSocketController.cs`, `…/Streaming/WebSocketConnection.cs`,
//! `Core/Extensions/QueryableExtensions.cs`; Sharkey
//! `packages/backend/src/server/api/StreamingApiServerService.ts`. Where a fact depends on
//! a library or framework rather than the server's own code (Go's and .NET's escapes,
//! cowboy's headers, Erlang's map order) it is inferred, and the code says so. Akkoma
//! and Pleroma write their keys in Erlang map order, which changed with OTP 26: compare
//! their messages as JSON.
//!
//! # Realistic payloads
//!
//! The [`corpus`] module generates Mastodon streaming captures of any size, deterministic
//! from a seed (statuses in 20 languages, reblogs, quotes, polls, media, every event
//! type), and single entities ([`corpus::Generator`]) that agree with what the server
//! streamed. The [`demo`] module is a scripted offline demo server built on them: what the
//! `mastostream` command-line tool streams when it is given no instance.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod build;
mod conn;
pub mod corpus;
pub mod demo;
mod dialect;
mod http;
mod limit;
mod plan;
mod publish;
mod route;
mod server;
mod store;
mod tls;
mod ws;

pub use auth::TokenPlace;
pub use build::{NOTIFICATION_TYPES, NotificationBuilder, StatusBuilder, VIEWER, Visibility};
pub use dialect::Dialect;
pub use http::{RecordedRequest, Reply};
pub use limit::RateLimit;
pub use plan::{Cut, Inject, Plan, StreamPlan};
pub use server::{FakeServer, ServerOptions};
pub use store::Collection;
pub use tls::{Certificate, TestCa};
pub use ws::WsConnection;

#[cfg(test)]
mod tests;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
