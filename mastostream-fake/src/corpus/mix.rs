//! Event kinds and event mixes.

use std::fmt;
use std::str::FromStr;

/// The Mastodon streaming events the generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `update`: a new Status.
    Update,
    /// `delete`: a bare status id.
    Delete,
    /// `notification`: a Notification.
    Notification,
    /// `status.update`: an edited Status.
    StatusUpdate,
    /// `conversation`: a Conversation (direct messages).
    Conversation,
    /// `announcement`: an Announcement.
    Announcement,
    /// `announcement.reaction`: `{"name","count","announcement_id"}`.
    AnnouncementReaction,
    /// `announcement.delete`: a bare announcement id.
    AnnouncementDelete,
    /// `filters_changed`: the literal `undefined`.
    FiltersChanged,
    /// `notifications_merged`: the literal `1`.
    NotificationsMerged,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 10] = [
        EventKind::Update,
        EventKind::Delete,
        EventKind::Notification,
        EventKind::StatusUpdate,
        EventKind::Conversation,
        EventKind::Announcement,
        EventKind::AnnouncementReaction,
        EventKind::AnnouncementDelete,
        EventKind::FiltersChanged,
        EventKind::NotificationsMerged,
    ];

    /// The SSE event name, as in `event: status.update`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Update => "update",
            EventKind::Delete => "delete",
            EventKind::Notification => "notification",
            EventKind::StatusUpdate => "status.update",
            EventKind::Conversation => "conversation",
            EventKind::Announcement => "announcement",
            EventKind::AnnouncementReaction => "announcement.reaction",
            EventKind::AnnouncementDelete => "announcement.delete",
            EventKind::FiltersChanged => "filters_changed",
            EventKind::NotificationsMerged => "notifications_merged",
        }
    }

    /// Whether the payload is JSON (all but the bare ids of `delete` and
    /// `announcement.delete`, `undefined` and `1`).
    pub fn has_json_payload(self) -> bool {
        !matches!(
            self,
            EventKind::Delete
                | EventKind::AnnouncementDelete
                | EventKind::FiltersChanged
                | EventKind::NotificationsMerged
        )
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error parsing an [`EventKind`], a [`Mix`] or a command-line value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

impl FromStr for EventKind {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| ParseError(format!("unknown event name {s:?}")))
    }
}

/// Which events a stream carries, with relative weights.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Mix {
    /// `/api/v1/streaming/user`: home timeline and notifications (the default): update 80,
    /// delete 8, notification 5, status.update 3, conversation 2, announcement 0.3,
    /// announcement.reaction 0.5, announcement.delete 0.2, filters_changed 0.3.
    #[default]
    User,
    /// `/api/v1/streaming/public`: update 88, delete 10, status.update 2; statuses carry no
    /// viewer fields.
    Public,
    /// Only `update` events, without viewer fields.
    Updates,
    /// Explicit weights, as parsed from `update=9,delete=1`. Statuses carry viewer fields when
    /// the mix has `notification` or `conversation` events (it looks like a user stream).
    Weights(Vec<(EventKind, f64)>),
}

impl Mix {
    /// The (kind, weight) pairs.
    pub fn weights(&self) -> Vec<(EventKind, f64)> {
        use EventKind::*;
        match self {
            Mix::User => vec![
                (Update, 80.0),
                (Delete, 8.0),
                (Notification, 5.0),
                (StatusUpdate, 3.0),
                (Conversation, 2.0),
                (Announcement, 0.3),
                (AnnouncementReaction, 0.5),
                (AnnouncementDelete, 0.2),
                (FiltersChanged, 0.3),
            ],
            Mix::Public => vec![(Update, 88.0), (Delete, 10.0), (StatusUpdate, 2.0)],
            Mix::Updates => vec![(Update, 1.0)],
            Mix::Weights(w) => w.clone(),
        }
    }

    /// Whether this looks like a user stream (statuses then carry viewer fields).
    pub fn is_user_stream(&self) -> bool {
        self.weights().iter().any(|&(k, w)| {
            w > 0.0 && matches!(k, EventKind::Notification | EventKind::Conversation)
        })
    }

    /// Checks that weights are finite, non-negative and not all zero.
    pub fn validate(&self) -> Result<(), ParseError> {
        let w = self.weights();
        if let Some((k, x)) = w.iter().find(|(_, x)| !x.is_finite() || *x < 0.0) {
            return Err(ParseError(format!("invalid weight {x} for {k}")));
        }
        if w.iter().map(|(_, x)| x).sum::<f64>() <= 0.0 {
            return Err(ParseError(
                "the mix has no event with a positive weight".into(),
            ));
        }
        Ok(())
    }
}

impl FromStr for Mix {
    type Err = ParseError;

    /// `user`, `public`, `updates`, or `name=weight,...` (a bare `name` weighs 1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => return Ok(Mix::User),
            "public" => return Ok(Mix::Public),
            "updates" => return Ok(Mix::Updates),
            _ => {}
        }
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = match part.split_once('=') {
                Some((n, w)) => {
                    let w: f64 = w
                        .trim()
                        .parse()
                        .map_err(|_| ParseError(format!("invalid weight in {part:?}")))?;
                    (n.trim(), w)
                }
                None => (part, 1.0),
            };
            out.push((name.parse::<EventKind>()?, weight));
        }
        let mix = Mix::Weights(out);
        mix.validate()?;
        Ok(mix)
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mix::User => f.write_str("user"),
            Mix::Public => f.write_str("public"),
            Mix::Updates => f.write_str("updates"),
            Mix::Weights(w) => {
                for (i, (k, x)) in w.iter().enumerate() {
                    write!(f, "{}{k}={x}", if i > 0 { "," } else { "" })?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_mixes() {
        assert_eq!("user".parse::<Mix>(), Ok(Mix::User));
        let m: Mix = "update=9, delete=1,status.update".parse().expect("valid");
        assert_eq!(
            m,
            Mix::Weights(vec![
                (EventKind::Update, 9.0),
                (EventKind::Delete, 1.0),
                (EventKind::StatusUpdate, 1.0)
            ])
        );
        assert_eq!(m.to_string(), "update=9,delete=1,status.update=1");
        assert!(!m.is_user_stream());
        assert!(
            "update=9,notification=1"
                .parse::<Mix>()
                .expect("valid")
                .is_user_stream()
        );
        assert!("update=x".parse::<Mix>().is_err());
        assert!("bogus=1".parse::<Mix>().is_err());
        assert!("update=0".parse::<Mix>().is_err());
        assert!("update=-1,delete=3".parse::<Mix>().is_err());
        assert!("".parse::<Mix>().is_err());
        assert!(Mix::User.is_user_stream() && !Mix::Public.is_user_stream());
        for k in EventKind::ALL {
            assert_eq!(k.name().parse::<EventKind>(), Ok(k));
        }
    }
}
