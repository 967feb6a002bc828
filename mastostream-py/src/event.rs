//! [`Event`]: one streaming event as a Python object, with its payload in Mastodon.py's
//! shape, built when first asked for.

use mastostream_proto::event::EventKind;
use mastostream_proto::session::StreamEvent;
use mastostream_proto::{Channel, Event as ProtoEvent};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

use crate::convert::{self, Shape};

/// One streaming event: a status, a notification, a deletion, a heartbeat, an event of a
/// kind this version does not know, or a malformed one.
///
/// `kind` says which (`"update"`, `"status.update"`, `"delete"`, `"notification"`,
/// `"conversation"`, `"announcement"`, `"announcement.reaction"`, `"announcement.delete"`,
/// `"notifications_merged"`, `"filters_changed"`, `"encrypted_message"`, `"heartbeat"`,
/// `"unknown"`, `"malformed"`); `payload` is what Mastodon.py's listener method for it
/// receives: an entity (a dict with attribute access: `Status`, `Notification`, ...), an id
/// (`str`), or `None`.
#[pyclass(module = "mastostream", frozen, name = "Event")]
pub(crate) struct Event {
    event: ProtoEvent,
    recovered: bool,
    stream: Option<Vec<String>>,
    payload: PyOnceLock<Py<PyAny>>,
}

impl Event {
    /// A live event from the decoder.
    pub(crate) fn decoded(event: ProtoEvent) -> Event {
        Event::new(event, false, None)
    }

    /// An event from a session (live or recovered, with its stream).
    pub(crate) fn from_stream(e: StreamEvent) -> Event {
        let stream = e.channel.as_ref().map(Channel::stream_array);
        Event::new(e.event, e.recovered, stream)
    }

    fn new(event: ProtoEvent, recovered: bool, stream: Option<Vec<String>>) -> Event {
        Event {
            event,
            recovered,
            stream,
            payload: PyOnceLock::new(),
        }
    }

    fn kind_str(&self) -> &str {
        if self.event.is_malformed() {
            "malformed"
        } else {
            self.event.kind().as_str()
        }
    }

    /// The payload in `shape`, marked `_recovered` when it was recovered.
    fn build_payload<'py>(&self, py: Python<'py>, shape: Shape) -> PyResult<Bound<'py, PyAny>> {
        let value = match &self.event {
            ProtoEvent::Update(s) | ProtoEvent::StatusUpdate(s) => {
                convert::to_python(py, s, shape)?
            }
            ProtoEvent::Notification(n) => convert::to_python(py, n, shape)?,
            ProtoEvent::Conversation(c) => convert::to_python(py, c, shape)?,
            ProtoEvent::Announcement(a) => convert::to_python(py, a, shape)?,
            ProtoEvent::AnnouncementReaction(r) => convert::to_python(py, r, shape)?,
            ProtoEvent::Delete(id) | ProtoEvent::AnnouncementDelete(id) => {
                PyString::new(py, id.as_str()).into_any()
            }
            ProtoEvent::NotificationsMerged
            | ProtoEvent::FiltersChanged
            | ProtoEvent::Malformed { .. } => py.None().into_bound(py),
            ProtoEvent::Heartbeat(text) => lossy(py, text),
            ProtoEvent::EncryptedMessage(data) | ProtoEvent::Unknown { data, .. } => {
                // Mastodon.py hands these over as parsed JSON; text that is not JSON stays
                // text.
                match serde_json::from_slice::<serde_json::Value>(data) {
                    Ok(value) => convert::to_python(py, &value, shape)?,
                    Err(_) => lossy(py, data),
                }
            }
            _ => py.None().into_bound(py),
        };
        if self.recovered
            && let Ok(dict) = value.cast::<PyDict>()
        {
            dict.set_item("_recovered", true)?;
        }
        Ok(value)
    }
}

fn lossy<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyAny> {
    PyString::new(py, &String::from_utf8_lossy(bytes)).into_any()
}

#[pymethods]
impl Event {
    /// What kind of event this is (see the class docs); `"malformed"` for an event whose
    /// payload did not decode, whatever its name.
    #[getter]
    fn kind(&self) -> &str {
        self.kind_str()
    }

    /// The event's name on the wire (`"update"`, `"status.update"`, or the unknown name);
    /// `None` for heartbeats, which are comments.
    #[getter]
    fn name(&self) -> Option<String> {
        match &self.event {
            ProtoEvent::Heartbeat(_) => None,
            ProtoEvent::Unknown { name, .. } | ProtoEvent::Malformed { name, .. } => {
                Some(name.clone())
            }
            other => Some(other.kind().as_str().to_owned()),
        }
    }

    /// What Mastodon.py's listener method receives: a `Status` for `update` and
    /// `status.update`, a `Notification`, `Conversation`, `Announcement` or
    /// `AnnouncementReaction`; the id (`str`) for `delete` and `announcement.delete`;
    /// `None` for `notifications_merged`, `filters_changed` and malformed events; the
    /// comment's text for heartbeats; the parsed JSON (or the text) for unknown and
    /// `encrypted_message` events. A recovered event's entity has `"_recovered": True`.
    /// Built on first access, then the same object every time.
    #[getter]
    fn payload(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.payload
            .get_or_try_init(py, || {
                self.build_payload(py, Shape::Entities).map(Bound::unbind)
            })
            .map(|p| p.clone_ref(py))
    }

    /// The id the event is about: the status, notification, conversation or announcement
    /// id; the deleted id; the announcement reacted to. `None` otherwise.
    #[getter]
    fn id(&self) -> Option<String> {
        let id = match &self.event {
            ProtoEvent::Update(s) | ProtoEvent::StatusUpdate(s) => &s.id,
            ProtoEvent::Notification(n) => &n.id,
            ProtoEvent::Conversation(c) => &c.id,
            ProtoEvent::Announcement(a) => &a.id,
            ProtoEvent::AnnouncementReaction(r) => &r.announcement_id,
            ProtoEvent::Delete(id) | ProtoEvent::AnnouncementDelete(id) => id,
            _ => return None,
        };
        Some(id.as_str().to_owned())
    }

    /// Whether it was fetched over REST after a reconnect: it happened while the stream was
    /// down. Recovered events arrive oldest first, before the live events that followed.
    #[getter]
    fn recovered(&self) -> bool {
        self.recovered
    }

    /// The stream it came from, as Mastodon names streams in WebSocket messages
    /// (`["user"]`, `["hashtag", "rust"]`); `None` from a bare decoder.
    #[getter]
    fn stream(&self) -> Option<Vec<String>> {
        self.stream.clone()
    }

    /// The raw payload text of unknown, malformed and `encrypted_message` events, and a
    /// heartbeat's text; `None` for the others (their payload is decoded).
    #[getter]
    fn data(&self) -> Option<String> {
        match &self.event {
            ProtoEvent::Unknown { data, .. }
            | ProtoEvent::Malformed { data, .. }
            | ProtoEvent::EncryptedMessage(data)
            | ProtoEvent::Heartbeat(data) => Some(String::from_utf8_lossy(data).into_owned()),
            _ => None,
        }
    }

    /// Why a malformed event did not decode; `None` for the others.
    #[getter]
    fn error(&self) -> Option<String> {
        match &self.event {
            ProtoEvent::Malformed { error, .. } => Some(error.to_string()),
            _ => None,
        }
    }

    /// The event as plain Python data, shaped like Mastodon's WebSocket messages:
    /// `{"event": name, "payload": ..., "stream": [...]}` with the payload in Mastodon.py's
    /// shape built from plain `dict`s (JSON keys, ids as `str`, timestamps as `datetime`).
    /// `"stream"` only when known; a malformed event adds `"error"` and `"data"`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        let name = self
            .name()
            .unwrap_or_else(|| EventKind::Heartbeat.as_str().to_owned());
        dict.set_item("event", name)?;
        dict.set_item("payload", self.build_payload(py, Shape::Plain)?)?;
        if let Some(stream) = &self.stream {
            dict.set_item("stream", stream.clone())?;
        }
        if self.event.is_malformed() {
            dict.set_item("error", self.error())?;
            dict.set_item("data", self.data())?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let mut s = format!("<Event {}", self.kind_str());
        if let Some(name) = self.name().filter(|n| n != self.kind_str()) {
            s.push_str(&format!(" {name:?}"));
        }
        if let Some(id) = self.id() {
            s.push_str(&format!(" id={id}"));
        }
        if self.recovered {
            s.push_str(" recovered");
        }
        s.push('>');
        s
    }
}
