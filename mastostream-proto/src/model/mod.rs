//! Mastodon's REST entities as they arrive in streaming payloads.
//!
//! Every type derives `Serialize` and `Deserialize` and follows the same rules, so that a
//! payload from any Mastodon version (and from servers that imitate it) decodes:
//!
//! - Unknown fields are ignored, so newer servers never break an older client.
//! - Fields added after the basics, and fields that only some streams carry (the viewer
//!   fields `favourited`, `reblogged`, `muted`, `bookmarked` and `pinned` are absent from
//!   public streams), are `Option` or fall back to a default. A `null` where a list, count or
//!   flag is expected reads as its default.
//! - Enumerations keep values this version does not know as `Other(String)` instead of
//!   failing (a new notification type, a new media type, ...).
//! - Ids are [`Id`](crate::Id) (strings, never numbers); timestamps stay the ISO 8601 text
//!   the server sent.
//!
//! Serializing writes the same shape back: fields that a server may leave out are left out
//! when they are `None`, fields that a server always sends (possibly as `null`) are always
//! written.
//!
//! ```
//! use mastostream_proto::model::{Status, Visibility};
//!
//! let json = r#"{"id":"1","uri":"https://example.social/s/1","created_at":"2025-01-01T00:00:00.000Z",
//!   "visibility":"public","content":"<p>hi</p>","future_field":{"x":1},
//!   "account":{"id":"7","username":"ada","acct":"ada","created_at":"2022-01-01T00:00:00.000Z"}}"#;
//! let status: Status = serde_json::from_str(json).unwrap();
//! assert_eq!(status.visibility, Visibility::Public);
//! assert_eq!(status.account.acct, "ada");
//! assert_eq!(status.favourited, None); // a public-stream status has no viewer fields
//! ```

#[macro_use]
mod string_enum;

mod account;
mod announcement;
mod enums;
mod media;
mod notification;
mod pleroma;
mod status;

pub use account::{Account, AccountRole, CustomEmoji, Field};
pub use announcement::{
    Announcement, AnnouncementAccount, AnnouncementReaction, AnnouncementStatus, Conversation,
    Reaction,
};
pub use enums::{
    AccountWarningAction, AppealState, CardType, FilterAction, FilterContext, MediaType,
    NotificationType, QuoteAudience, QuoteState, QuoteUserPolicy, ReportCategory, SeveranceType,
    Visibility,
};
pub use media::{
    Focus, MediaAttachment, MediaColors, MediaMeta, MediaMetaInfo, PreviewCard, PreviewCardAuthor,
};
pub use notification::{
    AccountWarning, AnnualReportEvent, Appeal, Notification, RelationshipSeveranceEvent, Report,
};
pub use pleroma::{Chat, ChatMessage, FollowCounts, FollowRelationships};
pub use status::{
    Application, Filter, FilterKeyword, FilterResult, FilterStatus, Mention, Poll, PollOption,
    Quote, QuoteApproval, Status, Tag, TagHistory,
};

/// How deep the recursive fields `reblog`, `quoted_status` and `moved` may nest inside each
/// other (counting the innermost one, even when it is `null`). Mastodon nests at most three
/// (a boost of a quote of a shallow quote); the limit keeps a hostile payload from exhausting
/// the stack, each level costing several stack frames. Deeper payloads are malformed.
pub const MAX_NESTING: u32 = 16;

/// Serde helpers shared by the entity types.
mod util {
    use std::cell::Cell;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, Visitor};

    /// Reads `null` as the type's default (used together with `#[serde(default)]`, which
    /// covers a missing field).
    pub(super) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Default + Deserialize<'de>,
    {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
    }

    thread_local! {
        static NESTING: Cell<u32> = const { Cell::new(0) };
    }

    /// Decodes a recursive field (`reblog`, `quoted_status`, `moved`), failing past
    /// [`MAX_NESTING`](super::MAX_NESTING) levels instead of overflowing the stack.
    pub(super) fn nested<'de, D, T>(deserializer: D) -> Result<Option<Box<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        struct Level;
        impl Drop for Level {
            fn drop(&mut self) {
                NESTING.with(|n| n.set(n.get().saturating_sub(1)));
            }
        }
        let depth = NESTING.with(|n| {
            n.set(n.get().saturating_add(1));
            n.get()
        });
        let _level = Level;
        if depth > super::MAX_NESTING {
            return Err(de::Error::custom(format_args!(
                "statuses or accounts nested more than {} deep",
                super::MAX_NESTING
            )));
        }
        Option::<Box<T>>::deserialize(deserializer)
    }

    /// Reads an integer: an integer, or a float with no fraction (`-0`, `1e3`, `5.0`), which
    /// some writers produce and which JSON parsers classify differently; `None` for `null`.
    struct IntVisitor;

    impl<'de> Visitor<'de> for IntVisitor {
        type Value = Option<i128>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.into()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.into()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // Integral and within ±2^64: exact as an i128.
            if v.fract() == 0.0 && v.abs() < 18_446_744_073_709_551_616.0 {
                Ok(Some(v as i128))
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    fn int<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        match deserializer.deserialize_any(IntVisitor)? {
            None => Ok(None),
            Some(v) => T::try_from(v).map(Some).map_err(|_| {
                de::Error::invalid_value(
                    de::Unexpected::Other("an out-of-range integer"),
                    &"an integer in range",
                )
            }),
        }
    }

    /// An integer field that reads `null` as 0 (see [`IntVisitor`] for what is accepted).
    pub(super) fn int_or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128> + Default,
    {
        Ok(int(deserializer)?.unwrap_or_default())
    }

    /// An optional integer field (see [`IntVisitor`] for what is accepted).
    pub(super) fn opt_int<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128>,
    {
        int(deserializer)
    }

    /// Reads a string, or a number as its decimal text (servers disagree on some fields).
    pub(super) fn text_or_number<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<String, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }

    /// Reads an optional unsigned integer leniently: an integer, a float (truncated), or a
    /// numeric string; negative, out-of-range or non-numeric values read as `None`.
    pub(super) fn lenient_uint<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<u64>,
    {
        struct UintVisitor;
        impl<'de> Visitor<'de> for UintVisitor {
            type Value = Option<u64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(u64::try_from(v).ok())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // `as` saturates; exclude what does not fit instead.
                Ok((v.is_finite() && v >= 0.0 && v < u64::MAX as f64).then_some(v as u64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(v.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| self.visit_f64::<E>(f).ok().flatten()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(self)
            }
        }
        let value = deserializer.deserialize_any(UintVisitor)?;
        Ok(value.and_then(|v| T::try_from(v).ok()))
    }
}
