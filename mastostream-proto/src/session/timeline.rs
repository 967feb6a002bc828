//! The REST timelines behind each stream, for catch-up after a reconnect.

use std::fmt;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{Channel, Event, Id, JsonBackend, PublicScope, RawEvent};

/// A REST timeline that holds what a stream delivers, so that what was missed while
/// disconnected can be fetched.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timeline {
    /// `GET /api/v1/timelines/home` (the `user` stream's statuses).
    Home,
    /// `GET /api/v1/notifications` (`user` and `user:notification`).
    Notifications,
    /// `GET /api/v1/timelines/public` with the stream's local/remote/only_media flags.
    Public {
        /// All, local or remote statuses.
        scope: PublicScope,
        /// Only statuses with media.
        only_media: bool,
    },
    /// `GET /api/v1/timelines/tag/:tag` (with `local` for `hashtag:local`).
    Hashtag {
        /// The tag.
        tag: String,
        /// Only local statuses.
        local: bool,
    },
    /// `GET /api/v1/timelines/list/:id`.
    List {
        /// The list id.
        id: Id,
    },
    /// `GET /api/v1/conversations` (the `direct` stream), paginated by last status id.
    Conversations,
}

/// Path segment characters kept as they are: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Timeline {
    /// The timelines that hold what `channel` streams.
    pub fn for_channel(channel: &Channel) -> Vec<Timeline> {
        match channel {
            Channel::User => vec![Timeline::Home, Timeline::Notifications],
            Channel::UserNotification => vec![Timeline::Notifications],
            Channel::Public { scope, only_media } => vec![Timeline::Public {
                scope: *scope,
                only_media: *only_media,
            }],
            Channel::Hashtag { tag, local } => vec![Timeline::Hashtag {
                tag: tag.clone(),
                local: *local,
            }],
            Channel::List { id } => vec![Timeline::List { id: id.clone() }],
            Channel::Direct => vec![Timeline::Conversations],
            // A stream this version does not know has no timeline it knows of.
            _ => Vec::new(),
        }
    }

    /// Which of a stream's timelines a live event belongs to, with the id that orders it
    /// there (status id; notification id; a conversation's last status id).
    pub(crate) fn place<'a>(
        timelines: &'a [Timeline],
        event: &Event,
    ) -> Option<(&'a Timeline, Id)> {
        let (wanted, id) = match event {
            Event::Update(s) => (Kind::Statuses, s.id.clone()),
            Event::Notification(n) => (Kind::Notifications, n.id.clone()),
            Event::Conversation(c) => (Kind::Conversations, c.last_status.as_ref()?.id.clone()),
            _ => return None,
        };
        timelines
            .iter()
            .find(|t| t.kind() == wanted)
            .map(|t| (t, id))
    }

    fn kind(&self) -> Kind {
        match self {
            Timeline::Notifications => Kind::Notifications,
            Timeline::Conversations => Kind::Conversations,
            _ => Kind::Statuses,
        }
    }

    /// The event name a timeline's items arrive as on the stream.
    pub(crate) fn event_name(&self) -> &'static str {
        match self.kind() {
            Kind::Statuses => "update",
            Kind::Notifications => "notification",
            Kind::Conversations => "conversation",
        }
    }

    /// The REST request target for the page just above `min_id` (`None`: the newest page).
    pub fn page_target(&self, min_id: Option<&Id>, limit: u32) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        let path = match self {
            Timeline::Home => "/api/v1/timelines/home".to_owned(),
            Timeline::Notifications => "/api/v1/notifications".to_owned(),
            Timeline::Public { scope, only_media } => {
                match scope {
                    PublicScope::Local => params.push(("local", "true".into())),
                    PublicScope::Remote => params.push(("remote", "true".into())),
                    _ => {}
                }
                if *only_media {
                    params.push(("only_media", "true".into()));
                }
                "/api/v1/timelines/public".to_owned()
            }
            Timeline::Hashtag { tag, local } => {
                if *local {
                    params.push(("local", "true".into()));
                }
                format!(
                    "/api/v1/timelines/tag/{}",
                    utf8_percent_encode(tag, SEGMENT)
                )
            }
            Timeline::List { id } => {
                format!(
                    "/api/v1/timelines/list/{}",
                    utf8_percent_encode(id.as_str(), SEGMENT)
                )
            }
            Timeline::Conversations => "/api/v1/conversations".to_owned(),
        };
        if let Some(id) = min_id {
            params.push((
                "min_id",
                utf8_percent_encode(id.as_str(), SEGMENT).to_string(),
            ));
        }
        params.push(("limit", limit.to_string()));
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{path}?{}", query.join("&"))
    }

    /// The newest id in a page of this timeline (the answer to
    /// [`page_target(None, 1)`](Timeline::page_target)), as `dialect` orders ids:
    /// `Ok(None)` when the timeline is empty, so everything in it will be new. It is the
    /// position to [resume](super::SessionConfig::resume) from later. `Err` says why the
    /// page could not be read.
    pub fn newest_in_page(
        &self,
        body: &Bytes,
        json: JsonBackend,
        dialect: &crate::Dialect,
    ) -> Result<Option<Id>, String> {
        let events = self.decode_page(body, json)?;
        Ok(events
            .iter()
            .filter_map(|(e, _)| Timeline::place(std::slice::from_ref(self), e).map(|(_, id)| id))
            .max_by(|a, b| dialect.cmp_ids(a, b)))
    }

    /// Decodes a page (a JSON array, newest first) into events, exactly as the stream would
    /// have delivered them. Items that do not decode are `Event::Malformed`.
    pub(crate) fn decode_page(
        &self,
        body: &Bytes,
        json: JsonBackend,
    ) -> Result<Vec<(Event, Bytes)>, String> {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_slice(body).map_err(|e| format!("page is not a JSON array: {e}"))?;
        let base = body.as_ptr() as usize;
        Ok(items
            .iter()
            .map(|raw| {
                // Each item is a slice of the body: decode it without copying.
                let text = raw.get().as_bytes();
                let start = text.as_ptr() as usize - base;
                let data = body.slice(start..start + text.len());
                let event = RawEvent::new(
                    Bytes::from_static(self.event_name().as_bytes()),
                    data.clone(),
                )
                .decode_with(json);
                (event, data)
            })
            .collect())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Statuses,
    Notifications,
    Conversations,
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timeline::Home => f.write_str("home"),
            Timeline::Notifications => f.write_str("notifications"),
            Timeline::Public { scope, only_media } => {
                f.write_str(match scope {
                    PublicScope::Local => "public:local",
                    PublicScope::Remote => "public:remote",
                    _ => "public",
                })?;
                if *only_media {
                    f.write_str(":media")?;
                }
                Ok(())
            }
            Timeline::Hashtag { tag, local } => {
                write!(f, "hashtag{} #{tag}", if *local { ":local" } else { "" })
            }
            Timeline::List { id } => write!(f, "list {id}"),
            Timeline::Conversations => f.write_str("conversations"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_targets_for_every_timeline() {
        let id = Id::from("110988741790818968");
        let cases = [
            (
                Timeline::Home,
                "/api/v1/timelines/home?min_id=110988741790818968&limit=40",
            ),
            (
                Timeline::Notifications,
                "/api/v1/notifications?min_id=110988741790818968&limit=40",
            ),
            (
                Timeline::Public {
                    scope: PublicScope::Local,
                    only_media: true,
                },
                "/api/v1/timelines/public?local=true&only_media=true&min_id=110988741790818968&limit=40",
            ),
            (
                Timeline::Public {
                    scope: PublicScope::Remote,
                    only_media: false,
                },
                "/api/v1/timelines/public?remote=true&min_id=110988741790818968&limit=40",
            ),
            (
                Timeline::Hashtag {
                    tag: "café".into(),
                    local: true,
                },
                "/api/v1/timelines/tag/caf%C3%A9?local=true&min_id=110988741790818968&limit=40",
            ),
            (
                Timeline::List { id: Id::from("42") },
                "/api/v1/timelines/list/42?min_id=110988741790818968&limit=40",
            ),
            (
                Timeline::Conversations,
                "/api/v1/conversations?min_id=110988741790818968&limit=40",
            ),
        ];
        for (t, want) in cases {
            assert_eq!(t.page_target(Some(&id), 40), want, "{t}");
        }
        assert_eq!(
            Timeline::Home.page_target(None, 1),
            "/api/v1/timelines/home?limit=1"
        );
    }

    #[test]
    fn channels_map_to_their_timelines() {
        assert_eq!(
            Timeline::for_channel(&Channel::User),
            vec![Timeline::Home, Timeline::Notifications]
        );
        assert_eq!(
            Timeline::for_channel(&Channel::Direct),
            vec![Timeline::Conversations]
        );
        assert_eq!(
            Timeline::for_channel(&Channel::hashtag("#rust")),
            vec![Timeline::Hashtag {
                tag: "rust".into(),
                local: false
            }]
        );
    }
}
