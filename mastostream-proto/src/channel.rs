//! Stream kinds ("channels" in Mastodon's streaming server): their wire names, SSE paths,
//! and parameters.
//!
//! ```
//! use mastostream_proto::{Channel, PublicScope};
//!
//! let channel = Channel::parse("hashtag:local", Some("#Rust"), None).unwrap();
//! assert_eq!(channel, Channel::Hashtag { tag: "Rust".into(), local: true });
//! assert_eq!(channel.name(), "hashtag:local");
//! assert_eq!(channel.sse_target(), "/api/v1/streaming/hashtag/local?tag=Rust");
//!
//! let public = Channel::Public { scope: PublicScope::Remote, only_media: true };
//! assert_eq!(public.name(), "public:remote:media");
//! assert_eq!(public.sse_target(), "/api/v1/streaming/public/remote?only_media=true");
//! ```

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Id;

/// One of Mastodon's streams.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `user`: your home timeline and notifications (and other per-user events).
    User,
    /// `user:notification`: your notifications only.
    UserNotification,
    /// `public…`: the federated or local timeline.
    Public {
        /// Which statuses: all, this server's, or other servers'.
        scope: PublicScope,
        /// Only statuses with media attachments.
        only_media: bool,
    },
    /// `hashtag` / `hashtag:local`: statuses with a hashtag.
    Hashtag {
        /// The tag, without `#`.
        tag: String,
        /// Only this server's statuses.
        local: bool,
    },
    /// `list`: one of your lists.
    List {
        /// The list id.
        id: Id,
    },
    /// `direct`: your direct conversations.
    Direct,
    /// A stream this version does not know, as a server named it in a WebSocket message
    /// (`["public:bubble"]`, `["pleroma:chat"]`): its name, then its parameters. It can be
    /// subscribed to over a WebSocket like any other (the first parameter is sent as
    /// `tag`); it has no REST timeline, so nothing of it is caught up.
    Other {
        /// The name and parameters, as the server wrote them.
        stream: Vec<String>,
    },
}

/// Which part of the public timeline a [`Channel::Public`] carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PublicScope {
    /// Every known public status (the federated timeline).
    #[default]
    All,
    /// Statuses from this server.
    Local,
    /// Statuses from other servers.
    Remote,
}

/// Why a stream name and its parameters do not make a [`Channel`]. The messages are
/// Mastodon's own.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The name is not one of Mastodon's streams.
    #[error("Unknown channel requested: {0:?}")]
    UnknownChannel(String),
    /// `hashtag` or `hashtag:local` without a (non-empty) tag.
    #[error("Missing tag name parameter")]
    MissingTag,
    /// `list` without a (non-empty) list id.
    #[error("Missing list name parameter")]
    MissingList,
}

/// Characters kept as they are in a query value: RFC 3986 unreserved.
pub(crate) const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Channel {
    /// `public`: the federated timeline.
    pub fn public() -> Channel {
        Channel::Public {
            scope: PublicScope::All,
            only_media: false,
        }
    }

    /// `public:local`: this server's public statuses.
    pub fn public_local() -> Channel {
        Channel::Public {
            scope: PublicScope::Local,
            only_media: false,
        }
    }

    /// `public:remote`: other servers' public statuses.
    pub fn public_remote() -> Channel {
        Channel::Public {
            scope: PublicScope::Remote,
            only_media: false,
        }
    }

    /// A `hashtag` stream (every server's statuses with the tag); one leading `#` is
    /// removed from `tag`. [`local_only`](Channel::local_only) makes it `hashtag:local`.
    pub fn hashtag(tag: &str) -> Channel {
        Channel::Hashtag {
            tag: strip_hash(tag).to_owned(),
            local: false,
        }
    }

    /// This stream, restricted to this server's statuses: `hashtag` → `hashtag:local`,
    /// `public` → `public:local`. Other streams are returned unchanged.
    ///
    /// ```
    /// use mastostream_proto::Channel;
    /// assert_eq!(Channel::hashtag("rust").local_only().name(), "hashtag:local");
    /// assert_eq!(Channel::public().local_only().media_only().name(), "public:local:media");
    /// ```
    #[must_use]
    pub fn local_only(self) -> Channel {
        match self {
            Channel::Hashtag { tag, .. } => Channel::Hashtag { tag, local: true },
            Channel::Public { only_media, .. } => Channel::Public {
                scope: PublicScope::Local,
                only_media,
            },
            other => other,
        }
    }

    /// This public stream, restricted to statuses with media (`public…:media`). Other
    /// streams are returned unchanged.
    #[must_use]
    pub fn media_only(self) -> Channel {
        match self {
            Channel::Public { scope, .. } => Channel::Public {
                scope,
                only_media: true,
            },
            other => other,
        }
    }

    /// A list stream.
    pub fn list(id: impl Into<Id>) -> Channel {
        Channel::List { id: id.into() }
    }

    /// The stream for a name as Mastodon spells it (`user`, `public:local:media`,
    /// `hashtag`, ...), with the `tag` parameter for hashtag streams (one leading `#`
    /// removed) and the `list` parameter for list streams. Parameters a stream does not
    /// take are ignored.
    pub fn parse(
        name: &str,
        tag: Option<&str>,
        list: Option<&str>,
    ) -> Result<Channel, ChannelError> {
        let public = |scope, only_media| Ok(Channel::Public { scope, only_media });
        let tag = || match tag.map(strip_hash) {
            Some(tag) if !tag.is_empty() => Ok(tag.to_owned()),
            _ => Err(ChannelError::MissingTag),
        };
        match name {
            "user" => Ok(Channel::User),
            "user:notification" => Ok(Channel::UserNotification),
            "public" => public(PublicScope::All, false),
            "public:media" => public(PublicScope::All, true),
            "public:local" => public(PublicScope::Local, false),
            "public:local:media" => public(PublicScope::Local, true),
            "public:remote" => public(PublicScope::Remote, false),
            "public:remote:media" => public(PublicScope::Remote, true),
            "hashtag" => Ok(Channel::Hashtag {
                tag: tag()?,
                local: false,
            }),
            "hashtag:local" => Ok(Channel::Hashtag {
                tag: tag()?,
                local: true,
            }),
            "list" => match list {
                Some(id) if !id.is_empty() => Ok(Channel::List { id: Id::from(id) }),
                _ => Err(ChannelError::MissingList),
            },
            "direct" => Ok(Channel::Direct),
            other => Err(ChannelError::UnknownChannel(other.to_owned())),
        }
    }

    /// Mastodon's name for the stream, as used in WebSocket messages.
    pub fn name(&self) -> &str {
        match self {
            Channel::User => "user",
            Channel::UserNotification => "user:notification",
            Channel::Public { scope, only_media } => match (scope, only_media) {
                (PublicScope::All, false) => "public",
                (PublicScope::All, true) => "public:media",
                (PublicScope::Local, false) => "public:local",
                (PublicScope::Local, true) => "public:local:media",
                (PublicScope::Remote, false) => "public:remote",
                (PublicScope::Remote, true) => "public:remote:media",
            },
            Channel::Hashtag { local: false, .. } => "hashtag",
            Channel::Hashtag { local: true, .. } => "hashtag:local",
            Channel::List { .. } => "list",
            Channel::Direct => "direct",
            Channel::Other { stream } => stream.first().map_or("", String::as_str),
        }
    }

    /// The stream's parameter, if it takes one: `("tag", tag)` or `("list", id)`.
    pub fn param(&self) -> Option<(&'static str, &str)> {
        match self {
            Channel::Hashtag { tag, .. } => Some(("tag", strip_hash(tag))),
            Channel::List { id } => Some(("list", id.as_str())),
            Channel::Other { stream } => stream.get(1).map(|p| ("tag", p.as_str())),
            _ => None,
        }
    }

    /// The stream as a WebSocket server names it in its messages: the name, then the
    /// parameter (`["hashtag", "rust"]`, `["user"]`).
    pub fn stream_array(&self) -> Vec<String> {
        if let Channel::Other { stream } = self {
            return stream.clone();
        }
        let mut v = vec![self.name().to_owned()];
        if let Some((_, p)) = self.param() {
            v.push(p.to_owned());
        }
        v
    }

    /// The request target (path and query) of the stream's SSE endpoint, such as
    /// `/api/v1/streaming/hashtag?tag=caf%C3%A9`. Parameters are percent-encoded (UTF-8).
    pub fn sse_target(&self) -> String {
        let path = match self {
            Channel::User => "user",
            Channel::UserNotification => "user/notification",
            Channel::Public {
                scope: PublicScope::All,
                ..
            } => "public",
            Channel::Public {
                scope: PublicScope::Local,
                ..
            } => "public/local",
            Channel::Public {
                scope: PublicScope::Remote,
                ..
            } => "public/remote",
            Channel::Hashtag { local: false, .. } => "hashtag",
            Channel::Hashtag { local: true, .. } => "hashtag/local",
            Channel::List { .. } => "list",
            Channel::Direct => "direct",
            Channel::Other { .. } => {
                return format!("/api/v1/streaming/{}", self.name().replace(':', "/"));
            }
        };
        let mut target = format!("/api/v1/streaming/{path}");
        if let Channel::Public {
            only_media: true, ..
        } = self
        {
            target.push_str("?only_media=true");
        }
        if let Some((key, value)) = self.param() {
            target.push('?');
            target.push_str(key);
            target.push('=');
            target.extend(utf8_percent_encode(value, QUERY_VALUE));
        }
        target
    }

    /// The query string that selects the stream on the WebSocket endpoint
    /// (`/api/v1/streaming?…`), such as `stream=hashtag&tag=rust`.
    pub fn ws_query(&self) -> String {
        let mut query = format!("stream={}", self.name());
        if let Some((key, value)) = self.param() {
            query.push('&');
            query.push_str(key);
            query.push('=');
            query.extend(utf8_percent_encode(value, QUERY_VALUE));
        }
        query
    }

    /// The stream a WebSocket server message names in its `stream` member: the stream name
    /// followed by its parameter, such as `["hashtag", "rust"]`, `["list", "42"]` or
    /// `["public:local"]`; [`Channel::Other`] for a name this version does not know (or a
    /// known one missing its parameter). `None` for an empty array.
    pub fn from_stream<S: AsRef<str>>(stream: &[S]) -> Option<Channel> {
        let (name, rest) = stream.split_first()?;
        let param = rest.first().map(AsRef::as_ref);
        Some(
            Channel::parse(name.as_ref(), param, param).unwrap_or_else(|_| Channel::Other {
                stream: stream.iter().map(|s| s.as_ref().to_owned()).collect(),
            }),
        )
    }
}

impl fmt::Display for Channel {
    /// The name, then the parameter: `user`, `public:local:media`, `hashtag #rust`,
    /// `list 42`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Channel::Hashtag { tag, .. } => write!(f, " #{}", strip_hash(tag)),
            Channel::List { id } => write!(f, " {id}"),
            Channel::Other { stream } => stream.iter().skip(1).try_for_each(|p| write!(f, " {p}")),
            _ => Ok(()),
        }
    }
}

fn strip_hash(tag: &str) -> &str {
    tag.strip_prefix('#').unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<(Channel, &'static str, &'static str, &'static str)> {
        use PublicScope::*;
        let p = |scope, only_media| Channel::Public { scope, only_media };
        vec![
            (Channel::User, "user", "/api/v1/streaming/user", "user"),
            (
                Channel::UserNotification,
                "user:notification",
                "/api/v1/streaming/user/notification",
                "user:notification",
            ),
            (
                p(All, false),
                "public",
                "/api/v1/streaming/public",
                "public",
            ),
            (
                p(All, true),
                "public:media",
                "/api/v1/streaming/public?only_media=true",
                "public:media",
            ),
            (
                p(Local, false),
                "public:local",
                "/api/v1/streaming/public/local",
                "public:local",
            ),
            (
                p(Local, true),
                "public:local:media",
                "/api/v1/streaming/public/local?only_media=true",
                "public:local:media",
            ),
            (
                p(Remote, false),
                "public:remote",
                "/api/v1/streaming/public/remote",
                "public:remote",
            ),
            (
                p(Remote, true),
                "public:remote:media",
                "/api/v1/streaming/public/remote?only_media=true",
                "public:remote:media",
            ),
            (
                Channel::hashtag("rust"),
                "hashtag",
                "/api/v1/streaming/hashtag?tag=rust",
                "hashtag #rust",
            ),
            (
                Channel::hashtag("#rust").local_only(),
                "hashtag:local",
                "/api/v1/streaming/hashtag/local?tag=rust",
                "hashtag:local #rust",
            ),
            (
                Channel::list("42"),
                "list",
                "/api/v1/streaming/list?list=42",
                "list 42",
            ),
            (
                Channel::Direct,
                "direct",
                "/api/v1/streaming/direct",
                "direct",
            ),
        ]
    }

    #[test]
    fn names_targets_and_display_for_every_kind() {
        for (channel, name, target, display) in all() {
            assert_eq!(channel.name(), name);
            assert_eq!(channel.sse_target(), target);
            assert_eq!(channel.to_string(), display);
            let (tag, list) = match &channel {
                Channel::Hashtag { tag, .. } => (Some(tag.as_str()), None),
                Channel::List { id } => (None, Some(id.as_str())),
                _ => (None, None),
            };
            assert_eq!(Channel::parse(name, tag, list).unwrap(), channel);
        }
    }

    #[test]
    fn tags_are_percent_encoded_as_utf8() {
        let c = Channel::hashtag("café");
        assert_eq!(c.sse_target(), "/api/v1/streaming/hashtag?tag=caf%C3%A9");
        let c = Channel::hashtag("日本語").local_only();
        assert_eq!(
            c.sse_target(),
            "/api/v1/streaming/hashtag/local?tag=%E6%97%A5%E6%9C%AC%E8%AA%9E"
        );
        let c = Channel::hashtag("a b&c=d#e/f?");
        assert_eq!(
            c.sse_target(),
            "/api/v1/streaming/hashtag?tag=a%20b%26c%3Dd%23e%2Ff%3F"
        );
        assert_eq!(c.ws_query(), "stream=hashtag&tag=a%20b%26c%3Dd%23e%2Ff%3F");
        // Only one leading '#' is stripped, also from a tag built by hand.
        let c = Channel::Hashtag {
            tag: "##x".into(),
            local: false,
        };
        assert_eq!(c.sse_target(), "/api/v1/streaming/hashtag?tag=%23x");
        assert_eq!(c.to_string(), "hashtag ##x");
    }

    #[test]
    fn ws_queries() {
        assert_eq!(Channel::User.ws_query(), "stream=user");
        assert_eq!(Channel::list("42").ws_query(), "stream=list&list=42");
        let c = Channel::Public {
            scope: PublicScope::Local,
            only_media: true,
        };
        assert_eq!(c.ws_query(), "stream=public:local:media");
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            Channel::parse("hashtag", None, None),
            Err(ChannelError::MissingTag)
        );
        assert_eq!(
            Channel::parse("hashtag:local", Some(""), None),
            Err(ChannelError::MissingTag)
        );
        assert_eq!(
            Channel::parse("hashtag", Some("#"), None),
            Err(ChannelError::MissingTag)
        );
        assert_eq!(
            Channel::parse("list", None, None),
            Err(ChannelError::MissingList)
        );
        assert_eq!(
            Channel::parse("list", Some("1"), Some("")),
            Err(ChannelError::MissingList)
        );
        let err = Channel::parse("public:bubble", None, None).unwrap_err();
        assert_eq!(err, ChannelError::UnknownChannel("public:bubble".into()));
        assert_eq!(
            err.to_string(),
            "Unknown channel requested: \"public:bubble\""
        );
        assert_eq!(
            ChannelError::MissingTag.to_string(),
            "Missing tag name parameter"
        );
        assert!(Channel::parse("User", None, None).is_err());
        // Parameters a stream does not take are ignored.
        assert_eq!(
            Channel::parse("user", Some("x"), Some("1")),
            Ok(Channel::User)
        );
    }

    #[test]
    fn from_ws_stream_arrays() {
        assert_eq!(
            Channel::from_stream(&["hashtag", "rust"]),
            Some(Channel::hashtag("rust"))
        );
        assert_eq!(
            Channel::from_stream(&["hashtag:local", "rust"]),
            Some(Channel::hashtag("rust").local_only())
        );
        assert_eq!(
            Channel::from_stream(&["list", "42"]),
            Some(Channel::list("42"))
        );
        assert_eq!(
            Channel::from_stream(&["public:local"]),
            Some(Channel::Public {
                scope: PublicScope::Local,
                only_media: false
            })
        );
        assert_eq!(Channel::from_stream(&["user"]), Some(Channel::User));
        assert_eq!(
            Channel::from_stream(&["user:notification"]),
            Some(Channel::UserNotification)
        );
        assert_eq!(Channel::from_stream(&["direct"]), Some(Channel::Direct));
        let other = |s: &[&str]| {
            Some(Channel::Other {
                stream: s.iter().map(|x| (*x).to_owned()).collect(),
            })
        };
        assert_eq!(Channel::from_stream(&["hashtag"]), other(&["hashtag"]));
        assert_eq!(Channel::from_stream(&["list"]), other(&["list"]));
        assert_eq!(Channel::from_stream::<&str>(&[]), None);
        let bubble = Channel::from_stream(&["public:bubble"]);
        assert_eq!(bubble, other(&["public:bubble"]));
        let chat = Channel::from_stream(&["pleroma:chat", "7"]).unwrap();
        assert_eq!(
            (chat.name(), chat.param()),
            ("pleroma:chat", Some(("tag", "7")))
        );
        assert_eq!(chat.to_string(), "pleroma:chat 7");
        assert_eq!(chat.stream_array(), ["pleroma:chat", "7"]);
        assert_eq!(Channel::hashtag("rust").stream_array(), ["hashtag", "rust"]);
    }
}
