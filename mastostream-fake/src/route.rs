//! Where a published event goes: which live streams carry it (SSE and WebSocket alike), and
//! which REST timelines list a stored item.
//!
//! A stream is named as Mastodon names it in WebSocket messages: `["user"]`,
//! `["public:local:media"]`, `["hashtag", "rust"]`, `["list", "42"]`. An SSE request gets
//! the same name from its path (`/api/v1/streaming/public/local?only_media=true` is
//! `["public:local:media"]`), and a REST timeline the name of the stream it mirrors
//! (`/api/v1/timelines/tag/rust?local=true` is `["hashtag:local", "rust"]`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::http::{RecordedRequest, percent_decode};
use crate::store::Collection;

/// Where a published event goes.
#[derive(Debug)]
pub(crate) enum Route {
    /// [`FakeServer::publish`](crate::FakeServer::publish): every SSE stream, and the
    /// WebSocket subscriptions whose stream carries the event's kind.
    Everywhere,
    /// Exactly this stream, on both transports.
    Exact(Vec<String>),
    /// The streams that carry the event's kind (see [`carries`]), on both transports.
    Kind,
    /// A status: the streams that would carry it (see [`Audience::on`]), with the lists
    /// its author was on when it was published.
    Status(Arc<Audience>, Vec<String>),
}

impl Route {
    /// Whether an event named `event` reaches `stream`; `sse` for an SSE stream.
    pub(crate) fn reaches(&self, stream: &[String], event: &str, sse: bool) -> bool {
        match self {
            Route::Everywhere => sse || carries(name(stream), event),
            Route::Exact(s) => same_stream(s, stream),
            Route::Kind => carries(name(stream), event),
            Route::Status(a, lists) => a.on(stream, |id| lists.iter().any(|l| l == id)),
        }
    }
}

fn name(stream: &[String]) -> &str {
    stream.first().map_or("", String::as_str)
}

fn param(stream: &[String]) -> &str {
    stream.get(1).map_or("", String::as_str)
}

/// Whether two names are the same stream (hashtags compare without regard to case).
pub(crate) fn same_stream(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && name(a) == name(b)
        && if name(a).starts_with("hashtag") {
            param(a).to_lowercase() == param(b).to_lowercase()
        } else {
            param(a) == param(b)
        }
}

/// Whether a stream (by name) carries an event (by name), as Mastodon routes them: statuses
/// and deletions to every status stream, notifications to `user` and `user:notification`,
/// conversations to `direct`, the rest to `user` (and Pleroma's chats to its
/// `user:pleroma_chat`).
pub(crate) fn carries(stream: &str, event: &str) -> bool {
    match event {
        "pleroma:chat_update" => matches!(stream, "user" | "user:pleroma_chat"),
        "update" | "status.update" | "delete" => !matches!(stream, "user:notification" | "direct"),
        "notification" | "notifications_merged" => matches!(stream, "user" | "user:notification"),
        "conversation" => stream == "direct",
        _ => stream == "user",
    }
}

/// What decides where a status built with [`StatusBuilder`](crate::StatusBuilder) goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Audience {
    /// The author's `acct`, lowercased (`alice`, `bob@example.org`).
    pub(crate) acct: String,
    /// The author is on this server.
    pub(crate) local: bool,
    /// `visibility` is `public`.
    pub(crate) public: bool,
    /// A reblog (Mastodon keeps reblogs off public and hashtag streams).
    pub(crate) reblog: bool,
    /// A reply to someone else (kept off public streams; a self-reply is a thread).
    pub(crate) reply_to_other: bool,
    /// Has media attachments.
    pub(crate) media: bool,
    /// Its hashtags, lowercased.
    pub(crate) tags: Vec<String>,
}

impl Audience {
    /// Whether `stream` (or the timeline named like it) carries this status, as Mastodon's
    /// fan-out does: `user` every status (the viewer follows everyone); the `public`
    /// family public statuses that are neither reblogs nor replies to others, `local` /
    /// `remote` by the author's server, `:media` only with media; `hashtag` public
    /// non-reblogs carrying the tag (`hashtag:local` from local authors); `list` the
    /// statuses of the list's accounts (`in_list(id)`); nothing else.
    pub(crate) fn on(&self, stream: &[String], in_list: impl Fn(&str) -> bool) -> bool {
        let name = name(stream);
        let broadcast = self.public && !self.reblog;
        let (base, media) = match name.strip_suffix(":media") {
            Some(base) => (base, true),
            None => (name, false),
        };
        match base {
            "user" => !media,
            "public" | "public:local" | "public:remote" => {
                broadcast
                    && !self.reply_to_other
                    && (!media || self.media)
                    && match base {
                        "public:local" => self.local,
                        "public:remote" => !self.local,
                        _ => true,
                    }
            }
            "hashtag" | "hashtag:local" => {
                let tag = param(stream).to_lowercase();
                broadcast && !media && self.tags.contains(&tag) && (base == "hashtag" || self.local)
            }
            "list" => !media && in_list(param(stream)),
            _ => false,
        }
    }
}

/// What a stored item is, for the timelines that filter.
#[derive(Clone, Debug)]
pub(crate) enum Facts {
    /// On every timeline of its collection (what [`FakeServer::publish`] and the generated
    /// publishers store).
    ///
    /// [`FakeServer::publish`]: crate::FakeServer::publish
    Any,
    /// A built status.
    Status(Arc<Audience>),
    /// A notification of this type.
    Notification(String),
}

/// Which items of a collection a REST request lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Every item.
    All,
    /// The statuses the stream of this name would carry.
    Stream(Vec<String>),
    /// Notifications by type: `types[]` (empty: any) and `exclude_types[]`.
    Types {
        only: Vec<String>,
        exclude: Vec<String>,
    },
}

impl Filter {
    /// Whether the item described by `facts` is listed; `lists` maps list ids to their
    /// accounts (lowercased).
    pub(crate) fn keeps(&self, facts: &Facts, lists: &BTreeMap<String, Vec<String>>) -> bool {
        match (self, facts) {
            (Filter::Stream(stream), Facts::Status(a)) => a.on(stream, |id| {
                lists
                    .get(id)
                    .is_some_and(|members| members.contains(&a.acct))
            }),
            (Filter::Types { only, exclude }, Facts::Notification(kind)) => {
                (only.is_empty() || only.contains(kind)) && !exclude.contains(kind)
            }
            _ => true,
        }
    }
}

/// The REST collection a request reads, and the filter.
pub(crate) fn timeline(req: &RecordedRequest) -> Option<(Collection, Filter)> {
    let rest = req.path.strip_prefix("/api/v1/")?;
    let on = |k: &str| req.param(k) == Some("true");
    let statuses = |stream: Vec<String>| Some((Collection::Statuses, Filter::Stream(stream)));
    match rest {
        "timelines/home" => statuses(vec!["user".to_owned()]),
        "timelines/public" => {
            let mut name = String::from("public");
            if on("local") {
                name.push_str(":local");
            } else if on("remote") {
                name.push_str(":remote");
            }
            if on("only_media") {
                name.push_str(":media");
            }
            statuses(vec![name])
        }
        "notifications" => {
            let all = |k: &str| -> Vec<String> {
                req.query
                    .iter()
                    .filter(|(n, _)| n == k || n.strip_suffix("[]") == Some(k))
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            let only = all("types");
            let exclude = all("exclude_types");
            Some((Collection::Notifications, Filter::Types { only, exclude }))
        }
        "conversations" => Some((Collection::Conversations, Filter::All)),
        _ => {
            let (kind, tail) = if let Some(tag) = rest.strip_prefix("timelines/tag/") {
                (
                    if on("local") {
                        "hashtag:local"
                    } else {
                        "hashtag"
                    },
                    tag,
                )
            } else {
                ("list", rest.strip_prefix("timelines/list/")?)
            };
            (!tail.is_empty() && !tail.contains('/'))
                .then(|| statuses(vec![kind.to_owned(), percent_decode(tail)]))
                .flatten()
        }
    }
}

/// The stream an SSE request names, or Mastodon's `400` message.
pub(crate) fn sse_stream(req: &RecordedRequest) -> Result<Vec<String>, &'static str> {
    let path = req
        .path
        .trim_start_matches("/api/v1/streaming")
        .trim_matches('/');
    let given = |p: &str| req.param(p).filter(|v| !v.is_empty()).map(str::to_owned);
    let media = if req.param("only_media") == Some("true") {
        ":media"
    } else {
        ""
    };
    match path {
        "user" | "direct" => Ok(vec![path.to_owned()]),
        "user/notification" => Ok(vec!["user:notification".to_owned()]),
        "public" | "public/local" | "public/remote" => {
            Ok(vec![format!("{}{media}", path.replace('/', ":"))])
        }
        "hashtag" | "hashtag/local" => match given("tag") {
            Some(tag) => Ok(vec![path.replace('/', ":"), tag]),
            None => Err("Missing tag name parameter"),
        },
        "list" => match given("list") {
            Some(list) => Ok(vec!["list".to_owned(), list]),
            None => Err("Missing list name parameter"),
        },
        _ => Err("Unknown channel requested"),
    }
}

/// The scopes Mastodon's streaming server wants for a stream: `read`, or the narrower scope
/// of what the stream carries.
pub(crate) fn stream_scope(stream: &[String]) -> &'static str {
    if name(stream) == "user:notification" {
        "read:notifications"
    } else {
        "read:statuses"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn statuses_reach_the_streams_mastodon_sends_them_to() {
        let local = Audience {
            acct: "alice".into(),
            local: true,
            public: true,
            tags: vec!["rust".into()],
            ..Audience::default()
        };
        let none = |_: &str| false;
        for on in [
            &["user"][..],
            &["public"],
            &["public:local"],
            &["hashtag", "Rust"],
            &["hashtag:local", "rust"],
        ] {
            assert!(local.on(&s(on), none), "{on:?}");
        }
        for off in [
            &["public:remote"][..],
            &["public:media"],
            &["hashtag", "go"],
            &["list", "1"],
            &["direct"],
            &["user:notification"],
        ] {
            assert!(!local.on(&s(off), none), "{off:?}");
        }
        assert!(local.on(&s(&["list", "1"]), |id| id == "1"));
        let reblog = Audience {
            reblog: true,
            ..local.clone()
        };
        assert!(reblog.on(&s(&["user"]), none) && !reblog.on(&s(&["public"]), none));
        assert!(!reblog.on(&s(&["hashtag", "rust"]), none));
        let reply = Audience {
            reply_to_other: true,
            ..local.clone()
        };
        assert!(!reply.on(&s(&["public"]), none) && reply.on(&s(&["hashtag", "rust"]), none));
        let unlisted = Audience {
            public: false,
            ..local.clone()
        };
        assert!(unlisted.on(&s(&["user"]), none) && !unlisted.on(&s(&["hashtag", "rust"]), none));
        let remote_media = Audience {
            local: false,
            media: true,
            ..local
        };
        assert!(remote_media.on(&s(&["public:remote:media"]), none));
        assert!(!remote_media.on(&s(&["public:local"]), none));
        assert!(!remote_media.on(&s(&["hashtag:local", "rust"]), none));
    }

    #[test]
    fn routes() {
        let stream = s(&["hashtag", "rust"]);
        assert!(Route::Everywhere.reaches(&s(&["direct"]), "update", true));
        assert!(!Route::Everywhere.reaches(&s(&["direct"]), "update", false));
        assert!(Route::Exact(s(&["hashtag", "RUST"])).reaches(&stream, "made.up", false));
        assert!(!Route::Exact(s(&["hashtag", "go"])).reaches(&stream, "update", true));
        assert!(!Route::Exact(s(&["list", "RUST"])).reaches(&s(&["list", "rust"]), "x", true));
        assert!(Route::Kind.reaches(&s(&["user:notification"]), "notification", true));
        assert!(!Route::Kind.reaches(&stream, "notification", true));
        assert!(carries("hashtag", "update") && !carries("direct", "update"));
        assert!(carries("direct", "conversation") && carries("user", "announcement"));
    }

    fn req(target: &str) -> RecordedRequest {
        crate::http::parse_request(&format!("GET {target} HTTP/1.1"), false, false).unwrap()
    }

    #[test]
    fn requests_name_streams_and_timelines() {
        let stream = |t: &str| sse_stream(&req(t));
        assert_eq!(
            stream("/api/v1/streaming/public/local?only_media=true"),
            Ok(s(&["public:local:media"]))
        );
        assert_eq!(
            stream("/api/v1/streaming/hashtag/local?tag=caf%C3%A9"),
            Ok(s(&["hashtag:local", "café"]))
        );
        assert_eq!(
            stream("/api/v1/streaming/user/notification"),
            Ok(s(&["user:notification"]))
        );
        assert_eq!(
            stream("/api/v1/streaming/list"),
            Err("Missing list name parameter")
        );
        assert_eq!(
            stream("/api/v1/streaming/nope"),
            Err("Unknown channel requested")
        );
        let filter = |t: &str| timeline(&req(t)).map(|(_, f)| f);
        assert_eq!(
            filter("/api/v1/timelines/tag/caf%C3%A9?local=true&limit=5"),
            Some(Filter::Stream(s(&["hashtag:local", "café"])))
        );
        assert_eq!(
            filter("/api/v1/timelines/public?remote=true&only_media=true"),
            Some(Filter::Stream(s(&["public:remote:media"])))
        );
        assert_eq!(
            filter("/api/v1/notifications?types[]=mention&exclude_types%5B%5D=follow"),
            Some(Filter::Types {
                only: s(&["mention"]),
                exclude: s(&["follow"])
            })
        );
        assert_eq!(filter("/api/v1/timelines/list/"), None);
        assert_eq!(filter("/api/v1/timelines/tag/a/b"), None);
        assert_eq!(filter("/api/v1/accounts"), None);
        assert_eq!(
            stream_scope(&s(&["user:notification"])),
            "read:notifications"
        );
    }
}
