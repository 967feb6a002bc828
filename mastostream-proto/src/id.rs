//! Mastodon entity ids.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The id of a Mastodon entity (status, account, notification, ...).
///
/// Ids are strings on the wire and stay strings here: Mastodon's snowflake ids exceed 2^53,
/// so parsing them as floating-point numbers (as JavaScript and many JSON libraries do)
/// silently corrupts them. A bare number is still accepted when decoding, for servers that
/// send one, and kept as its exact decimal text.
///
/// Ids order the way servers allocate them: shorter ids first, then byte-wise. That is
/// numeric order for Mastodon's decimal snowflakes (which never have leading zeros) and
/// time order for the fixed-length ULIDs that GoToSocial uses.
///
/// ```
/// use mastostream_proto::Id;
/// let older = Id::from("99999999999999999");
/// let newer = Id::from("110988741790818968");
/// assert!(older < newer);
/// assert_eq!(newer.as_str(), "110988741790818968");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Id(Box<str>);

impl Id {
    /// Creates an id from its text.
    pub fn new(text: impl Into<Box<str>>) -> Self {
        Id(text.into())
    }

    /// The id's text, exactly as the server wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the id is empty (servers never send one; kept for completeness).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for Id {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.as_bytes().cmp(other.0.as_bytes()))
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id(s.into())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Id(s.into_boxed_str())
    }
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        id.0.into_string()
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id (a string, or an integer)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::from(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id::from(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id::from(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                // JSON parsers disagree on whether `-0` is an integer (simd-json) or a
                // float (serde_json); read zero as zero either way. Other floats are not ids.
                if v == 0.0 {
                    Ok(Id::from("0"))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_snowflakes_numerically() {
        let mut ids: Vec<Id> = ["110988741790818968", "9", "10", "99999999999999999"]
            .into_iter()
            .map(Id::from)
            .collect();
        ids.sort();
        let text: Vec<&str> = ids.iter().map(Id::as_str).collect();
        assert_eq!(text, ["9", "10", "99999999999999999", "110988741790818968"]);
    }

    #[test]
    fn decodes_strings_and_big_integers_exactly() {
        let id: Id = serde_json::from_str("\"110988741790818968\"").unwrap();
        assert_eq!(id, "110988741790818968");
        let id: Id = serde_json::from_str("110988741790818969").unwrap();
        assert_eq!(id, "110988741790818969");
        assert!(serde_json::from_str::<Id>("1.5").is_err());
        assert!(serde_json::from_str::<Id>("1e3").is_err());
        let id: Id = serde_json::from_str("-0").unwrap();
        assert_eq!(id, "0");
    }
}
