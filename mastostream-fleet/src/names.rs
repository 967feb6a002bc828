//! Every name the fleet gives things in NATS: subject tokens for instances, streams and
//! events; registry and lease keys; subjects; `Nats-Msg-Id`s.
//!
//! One escaping rule makes any text a single NATS subject token that is also valid in a
//! KV key (`[-/_=.a-zA-Z0-9]`): letters, digits and `-` stay; `.` becomes `_`; every other
//! byte (UTF-8 included) becomes `=XX` (upper-case hex). The result never contains `.`,
//! `*`, `>` or white space, and two different texts never give the same token.
//!
//! | thing | token | example |
//! |---|---|---|
//! | instance | escaped lower-case host, `_`, port (always written) | `mastodon_social_443`, `127_0_0_1_8080` |
//! | stream | name with `:` as `-`; then `_` and the escaped tag or list id, if any | `public-local`, `hashtag_rust`, `list_42` |
//! | event | escaped event name | `update`, `status_update`, `delete` |
//!
//! The key of a registered stream is `<instance>.<stream>`; its events go to
//! `<root>.<instance>.<stream>.<event>` (root `mastostream` by default).

use std::fmt;

use crate::hashing::fnv1a64;

/// The longest event name kept as it is in a subject; longer (server-controlled) names are
/// cut and marked with a hash so that they stay distinct.
const MAX_EVENT_TOKEN: usize = 64;
/// The longest entity part of a message id kept as it is; longer ones are hashed.
const MAX_ENTITY_TOKEN: usize = 128;

/// Escapes `text` into one subject token, keeping the bytes `keep` accepts (and always
/// `-`, letters and digits that `keep` accepts), `.` as `_`, anything else as `=XX`.
fn escape(text: &str, keep: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if keep(b) {
            out.push(b as char);
        } else if b == b'.' {
            out.push('_');
        } else {
            out.push('=');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn host_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

fn text_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The subject token of an instance: the host (lower-cased) and the port.
pub fn instance_token(host: &str, port: u16) -> String {
    let mut t = escape(&host.to_ascii_lowercase(), host_byte);
    t.push('_');
    t.push_str(&port.to_string());
    t
}

/// The subject token of a stream: its Mastodon name (`public:local` as `public-local`), then
/// `_` and its parameter (tag or list id) when it has one.
pub fn stream_token(name: &str, param: Option<&str>) -> String {
    let mut t = escape(&name.replace(':', "-"), text_byte);
    if let Some(p) = param {
        t.push('_');
        t.push_str(&escape(p, text_byte));
    }
    t
}

/// The subject token of an event name (server-controlled: bounded, and never empty).
pub fn event_token(name: &str) -> String {
    let t = escape(name, text_byte);
    if t.is_empty() {
        return "=".to_owned();
    }
    bounded(t, MAX_EVENT_TOKEN)
}

/// `token` when it is at most `max` bytes long; otherwise its first part and `=H` with a
/// hash of the whole (never an escape: those are `=` and two upper-case hex digits), `max`
/// bytes in all.
fn bounded(token: String, max: usize) -> String {
    if token.len() <= max {
        return token;
    }
    let hash = format!("=H{:016x}", fnv1a64(token.as_bytes()));
    // Escaped tokens are ASCII: any byte index is a char boundary.
    let keep = max - hash.len();
    format!("{}{hash}", &token[..keep])
}

/// The identity of a registered stream: its instance token and stream token. Its text form
/// `<instance>.<stream>` is the registry and lease key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    instance: String,
    stream: String,
}

impl StreamKey {
    /// The key of `stream` (token) on `instance` (token).
    pub fn new(instance: String, stream: String) -> StreamKey {
        StreamKey { instance, stream }
    }

    /// Parses `<instance>.<stream>` as [`fmt::Display`] writes it.
    pub fn parse(text: &str) -> Option<StreamKey> {
        let (instance, stream) = text.split_once('.')?;
        let ok =
            |t: &str| !t.is_empty() && t.bytes().all(|b| text_byte(b) || b == b'_' || b == b'=');
        (ok(instance) && ok(stream) && !stream.contains('.'))
            .then(|| StreamKey::new(instance.to_owned(), stream.to_owned()))
    }

    /// The instance token.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The stream token.
    pub fn stream(&self) -> &str {
        &self.stream
    }
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.instance, self.stream)
    }
}

/// Why a name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The root must be 1 to 32 characters of `a-z`, `0-9` and `-`, starting with a letter.
    #[error("invalid root {0:?}: use 1 to 32 characters of a-z, 0-9 and -, starting with a letter")]
    Root(String),
}

/// The names of one fleet's NATS resources, all derived from its root (`mastostream` by
/// default; another root runs a separate fleet on the same NATS).
///
/// ```
/// use mastostream_fleet::names::{Names, StreamKey, instance_token, stream_token};
///
/// let names = Names::default();
/// let key = StreamKey::new(instance_token("mastodon.social", 443), stream_token("hashtag", Some("rust")));
/// assert_eq!(key.to_string(), "mastodon_social_443.hashtag_rust");
/// assert_eq!(names.event_subject(&key, "status.update"), "mastostream.mastodon_social_443.hashtag_rust.status_update");
/// assert_eq!(names.stream_name(), "MASTOSTREAM");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    root: String,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            root: "mastostream".to_owned(),
        }
    }
}

impl Names {
    /// The names under `root`.
    pub fn new(root: &str) -> Result<Names, NameError> {
        let ok = (1..=32).contains(&root.len())
            && root.as_bytes()[0].is_ascii_lowercase()
            && root.bytes().all(host_byte);
        if !ok {
            return Err(NameError::Root(root.to_owned()));
        }
        Ok(Names {
            root: root.to_owned(),
        })
    }

    /// The root (`mastostream`).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The JetStream stream holding every event: the root in upper case (`MASTOSTREAM`).
    pub fn stream_name(&self) -> String {
        self.root.to_ascii_uppercase().replace('-', "_")
    }

    /// The subjects of that stream: events, fences and the optional `uri` de-duplication.
    pub fn stream_subjects(&self) -> Vec<String> {
        vec![
            format!("{}.>", self.root),
            format!("{}-fence.>", self.root),
            format!("{}-uri.>", self.root),
        ]
    }

    /// The KV bucket of registered streams.
    pub fn registry_bucket(&self) -> String {
        format!("{}-registry", self.root)
    }

    /// The KV bucket of leases (`lease.<key>`, with a TTL) and cursors (`cursor.<key>`).
    pub fn leases_bucket(&self) -> String {
        format!("{}-leases", self.root)
    }

    /// The KV bucket of live workers (`<worker>`, with a TTL).
    pub fn workers_bucket(&self) -> String {
        format!("{}-workers", self.root)
    }

    /// Where the events of `key` named `event` go: `<root>.<instance>.<stream>.<event>`.
    pub fn event_subject(&self, key: &StreamKey, event: &str) -> String {
        format!("{}.{key}.{}", self.root, event_token(event))
    }

    /// Every event subject of `key`: `<root>.<instance>.<stream>.*`.
    pub fn key_filter(&self, key: &StreamKey) -> String {
        format!("{}.{key}.*", self.root)
    }

    /// The fence of `key`: its last message names the lease allowed to publish.
    pub fn fence_subject(&self, key: &StreamKey) -> String {
        format!("{}-fence.{key}", self.root)
    }

    /// Where statuses go once per `uri` (the optional cross-instance de-duplication).
    pub fn uri_subject(&self, event: &str) -> String {
        format!("{}-uri.{}", self.root, event_token(event))
    }
}

/// The `Nats-Msg-Id` of an event of `key`: `<instance>.<stream>.<event>.<entity>`, where
/// `entity` identifies the entity (and its version, for edits) as the source says. The same
/// event seen by two owners, or live and recovered, gets the same id.
pub fn msg_id(key: &StreamKey, event: &str, entity: &str) -> String {
    let entity = bounded(escape(entity, text_byte), MAX_ENTITY_TOKEN);
    format!("{key}.{}.{entity}", event_token(event))
}

/// The `Nats-Msg-Id` of a status on the `uri` subject: `uri.` and the escaped URI (hashed
/// past 128 bytes).
pub fn uri_msg_id(uri: &str) -> String {
    format!("uri.{}", bounded(escape(uri, text_byte), MAX_ENTITY_TOKEN))
}

/// A KV key from a worker name (escaped; the name stays readable when it is plain).
pub fn worker_key(name: &str) -> String {
    bounded(escape(name, text_byte), MAX_ENTITY_TOKEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_token(t: &str) -> bool {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b))
    }

    #[test]
    fn instance_tokens_keep_host_and_port() {
        assert_eq!(
            instance_token("mastodon.social", 443),
            "mastodon_social_443"
        );
        assert_eq!(
            instance_token("Mastodon.Social", 443),
            "mastodon_social_443"
        );
        assert_eq!(instance_token("127.0.0.1", 8080), "127_0_0_1_8080");
        assert_eq!(instance_token("::1", 80), "=3A=3A1_80");
        assert_eq!(instance_token("a_b.c", 1), "a=5Fb_c_1");
        assert_ne!(instance_token("a_b.c", 1), instance_token("a.b_c", 1));
    }

    #[test]
    fn stream_tokens() {
        assert_eq!(
            stream_token("public:local:media", None),
            "public-local-media"
        );
        assert_eq!(stream_token("hashtag", Some("rust")), "hashtag_rust");
        assert_eq!(
            stream_token("hashtag:local", Some("café")),
            "hashtag-local_caf=C3=A9"
        );
        assert_eq!(stream_token("hashtag", Some("a.b")), "hashtag_a_b");
        assert_eq!(stream_token("hashtag", Some("a_b")), "hashtag_a=5Fb");
        assert_eq!(stream_token("list", Some("42")), "list_42");
        assert_eq!(stream_token("user:notification", None), "user-notification");
    }

    #[test]
    fn escaping_is_injective_on_tricky_inputs() {
        let inputs = [
            "a.b", "a_b", "a=2Eb", "a=b", "a b", "a*b", "a>b", "", ".", "_", "=", "=H",
        ];
        let mut seen = std::collections::HashSet::new();
        for i in inputs {
            let t = escape(i, text_byte);
            assert!(seen.insert(t.clone()), "{i:?} collides as {t:?}");
            assert!(!t.contains(['.', '*', '>', ' ']), "{t:?}");
        }
    }

    #[test]
    fn event_tokens_are_bounded_and_distinct() {
        assert_eq!(event_token("status.update"), "status_update");
        assert_eq!(
            event_token("announcement.reaction"),
            "announcement_reaction"
        );
        assert_eq!(event_token(""), "=");
        let long_a = "x".repeat(500) + "a";
        let long_b = "x".repeat(500) + "b";
        let (a, b) = (event_token(&long_a), event_token(&long_b));
        assert_eq!(a.len(), MAX_EVENT_TOKEN);
        assert_ne!(a, b);
        assert!(is_token(&a), "{a}");
        assert_eq!(event_token("ü.*> \r\n"), "=C3=BC_=2A=3E=20=0D=0A");
    }

    #[test]
    fn subjects_and_keys() {
        let n = Names::new("mst-test1").unwrap();
        let key = StreamKey::new(
            instance_token("127.0.0.1", 4000),
            stream_token("public:local", None),
        );
        assert_eq!(key.to_string(), "127_0_0_1_4000.public-local");
        assert_eq!(StreamKey::parse(&key.to_string()), Some(key.clone()));
        assert_eq!(StreamKey::parse("a"), None);
        assert_eq!(StreamKey::parse("a.b.c"), None);
        assert_eq!(
            n.event_subject(&key, "update"),
            "mst-test1.127_0_0_1_4000.public-local.update"
        );
        assert_eq!(
            n.fence_subject(&key),
            "mst-test1-fence.127_0_0_1_4000.public-local"
        );
        assert_eq!(
            n.key_filter(&key),
            "mst-test1.127_0_0_1_4000.public-local.*"
        );
        assert_eq!(n.uri_subject("update"), "mst-test1-uri.update");
        assert_eq!(n.stream_name(), "MST_TEST1");
        assert_eq!(n.leases_bucket(), "mst-test1-leases");
        assert!(Names::new("").is_err());
        assert!(Names::new("Upper").is_err());
        assert!(Names::new("a.b").is_err());
        assert!(Names::new("1abc").is_err());
        assert!(Names::new(&"a".repeat(33)).is_err());
    }

    #[test]
    fn msg_ids_depend_on_instance_stream_event_and_entity() {
        let k1 = StreamKey::new("a_443".into(), "public".into());
        let k2 = StreamKey::new("b_443".into(), "public".into());
        let k3 = StreamKey::new("a_443".into(), "public-local".into());
        assert_eq!(
            msg_id(&k1, "update", "110988741790818968"),
            "a_443.public.update.110988741790818968"
        );
        let ids = [
            msg_id(&k1, "update", "1"),
            msg_id(&k2, "update", "1"),
            msg_id(&k3, "update", "1"),
            msg_id(&k1, "delete", "1"),
            msg_id(&k1, "update", "2"),
            msg_id(&k1, "status.update", "1@2024-01-01T00:00:00Z"),
            msg_id(&k1, "status.update", "1@2024-01-02T00:00:00Z"),
        ];
        let set: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(set.len(), ids.len(), "{ids:?}");
        // Same inputs, same id: what makes old and new owners' copies one message.
        assert_eq!(
            msg_id(&k1, "update", "1"),
            msg_id(&k1.clone(), "update", "1")
        );
        let long = msg_id(&k1, "update", &"9".repeat(1000));
        assert!(long.len() < 200, "{long}");
        assert!(
            uri_msg_id("https://m.example/users/a/statuses/1")
                .starts_with("uri.https=3A=2F=2Fm_example")
        );
        assert_eq!(worker_key("w1"), "w1");
        assert_eq!(worker_key("host.example-123"), "host_example-123");
    }
}
