//! One-line JSON summaries of events and errors: the output contract of the `events2json`
//! driver and of `mastostream tail --json` (mastostream-cli). Keys come in the documented
//! order.

use std::fmt::Write;

use crate::{Error, Event};

/// A JSON object written key by key, in order.
struct Obj(String);

impl Obj {
    fn new() -> Self {
        Obj(String::from("{"))
    }

    fn key(mut self, key: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_str(key));
        self.0.push(':');
        self
    }

    fn str(self, key: &str, value: &str) -> Self {
        let mut o = self.key(key);
        o.0.push_str(&json_str(value));
        o
    }

    fn raw(self, key: &str, value: impl std::fmt::Display) -> Self {
        let mut o = self.key(key);
        let _ = write!(o.0, "{value}");
        o
    }

    fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

impl Event {
    /// A one-line JSON summary: the event's kind and the fields that identify it.
    ///
    /// | event | summary |
    /// |---|---|
    /// | `update`, `status.update` | `{"kind":K,"id":ID,"acct":ACCT}` |
    /// | `delete` | `{"kind":"delete","id":ID}` |
    /// | `notification` | `{"kind":"notification","id":ID,"type":TYPE,"acct":ACCT}` |
    /// | `conversation`, `announcement` | `{"kind":K,"id":ID}` |
    /// | `announcement.reaction` | `{"kind":"announcement.reaction","announcement_id":ID,"name":NAME}` |
    /// | `announcement.delete` | `{"kind":"announcement.delete","id":ID}` |
    /// | `filters_changed`, `notifications_merged`, `encrypted_message` | `{"kind":K}` |
    /// | a heartbeat comment | `{"kind":"heartbeat"}` |
    /// | any other name | `{"kind":"unknown","name":NAME}` |
    /// | a payload that did not decode | `{"kind":"malformed","name":NAME,"error":MSG}` |
    ///
    /// ```
    /// use mastostream_proto::{Event, Id};
    /// let line = Event::Delete(Id::from("110988741790818968")).summary_json();
    /// assert_eq!(line, r#"{"kind":"delete","id":"110988741790818968"}"#);
    /// ```
    pub fn summary_json(&self) -> String {
        let o = Obj::new().str("kind", self.kind().as_str());
        match self {
            Event::Update(s) | Event::StatusUpdate(s) => {
                o.str("id", s.id.as_str()).str("acct", &s.account.acct)
            }
            Event::Delete(id) | Event::AnnouncementDelete(id) => o.str("id", id.as_str()),
            Event::Notification(n) => o
                .str("id", n.id.as_str())
                .str("type", n.kind.as_str())
                .str("acct", &n.account.acct),
            Event::Conversation(c) => o.str("id", c.id.as_str()),
            Event::Announcement(a) => o.str("id", a.id.as_str()),
            Event::AnnouncementReaction(r) => o
                .str("announcement_id", r.announcement_id.as_str())
                .str("name", &r.name),
            Event::ChatUpdate(c) => o.str("id", c.id.as_str()),
            Event::FollowRelationshipsUpdate(f) => {
                o.str("state", &f.state).str("id", f.follower.id.as_str())
            }
            Event::Unknown { name, .. } => Obj::new().str("kind", "unknown").str("name", name),
            Event::Malformed { name, error, .. } => Obj::new()
                .str("kind", "malformed")
                .str("name", name)
                .str("error", &error.to_string()),
            _ => o,
        }
        .end()
    }
}

impl Error {
    /// A one-line JSON summary of a fatal error: `{"kind":"error","status":S,"error":MSG}`,
    /// where `S` is the HTTP status (or `null`) and `MSG` the server's message when it sent
    /// one, else the error's description.
    ///
    /// ```
    /// use mastostream_proto::{ErrorKind, Error};
    /// let e = Error::from(ErrorKind::Closed);
    /// assert_eq!(e.summary_json(), r#"{"kind":"error","status":null,"error":"server closed the stream"}"#);
    /// ```
    pub fn summary_json(&self) -> String {
        let message = self
            .server_message()
            .map_or_else(|| self.to_string(), str::to_owned);
        let status = self
            .status()
            .map_or_else(|| "null".to_owned(), |s| s.to_string());
        Obj::new()
            .str("kind", "error")
            .raw("status", status)
            .str("error", &message)
            .end()
    }
}
