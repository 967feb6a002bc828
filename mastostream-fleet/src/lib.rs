//! Many workers stream many Mastodon instances into NATS JetStream, exactly once.
//!
//! Streams (an instance and one of its streams) are registered in a JetStream KV bucket.
//! Workers spread them by rendezvous hashing; each stream has one owner at a time through
//! a lease (KV create, then update at the held revision, expiring by per-key TTL), and the
//! lease revision fences what the owner publishes ([`fence`]). The owner keeps the
//! stream's cursor (the last status / notification id below which everything was
//! published); a new owner catches up over REST from it. Events go to the `MASTOSTREAM`
//! stream, on `mastostream.<instance>.<stream>.<event>`, with a `Nats-Msg-Id` derived from
//! the instance, stream, event and entity id, so the copies that failover and catch-up
//! produce are stored once.
//!
//! The names and the ownership rules are plain functions:
//!
//! ```
//! use mastostream_fleet::hashing::owner;
//! use mastostream_fleet::names::{msg_id, Names, StreamKey, instance_token, stream_token};
//!
//! let key = StreamKey::new(instance_token("mastodon.social", 443), stream_token("public:local", None));
//! let names = Names::default();
//! assert_eq!(names.event_subject(&key, "update"), "mastostream.mastodon_social_443.public-local.update");
//! // An event's identity: the same status, live or recovered, by any owner, is one message.
//! assert_eq!(msg_id(&key, "update", "110988741790818968"),
//!            "mastodon_social_443.public-local.update.110988741790818968");
//! // Which worker owns it: every worker computes the same answer.
//! let workers = ["w1", "w2", "w3"];
//! assert!(workers.contains(&owner(&key.to_string(), &workers).unwrap()));
//! ```
//!
//! The binary (`mastostream-fleet add | remove | worker | status`) is [`cli`]; the README
//! shows a local 3-node cluster, the subject scheme, the message body, the duplicate
//! window, and the guarantees with their limits.
//!
//! All use of the Mastodon client (`mastostream-tokio`) is in [`source`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod cursor;
pub mod error;
pub mod fence;
pub mod hashing;
pub mod lease;
pub mod message;
pub mod names;
pub mod nats;
pub mod polite;
pub mod registry;
pub mod source;
pub mod status;
pub mod worker;

pub use config::FleetConfig;
pub use error::FleetError;
