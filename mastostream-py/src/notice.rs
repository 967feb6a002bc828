//! [`Notice`]: what a stream says about itself (connected, reconnecting, caught up, a gap),
//! and [`to_python`], one session item as the Python object a stream hands out.

use mastostream_proto::session::Item;
use pyo3::prelude::*;

use crate::event::Event;

/// What a stream says about itself, between events. Listeners receive these through
/// `on_connect`, `on_disconnect`, `on_reconnecting`, `on_caught_up`, `on_gap` and
/// `on_stream_error`; iterating a stream yields only events.
///
/// `kind` is `"discovered"` (`url`: where the instance streams from), `"connected"`
/// (`url`), `"disconnected"` (`error`), `"reconnecting"` (`attempt`, `delay` in seconds,
/// `error`), `"caught_up"` (`timeline`, `count` recovered), `"gap"` (`timeline`, `error`:
/// why items may be missing) or `"stream_error"` (`status`, `error`, `stream`).
#[pyclass(module = "mastostream", frozen, name = "Notice", get_all)]
pub(crate) struct Notice {
    /// Which notice (see the class docs).
    kind: &'static str,
    /// The stream's or the streaming server's URL (never with the token).
    url: Option<String>,
    /// Why: the error's text, or a gap's reason.
    error: Option<String>,
    /// Consecutive failed connection attempts.
    attempt: Option<u32>,
    /// The wait before the next attempt, in seconds.
    delay: Option<f64>,
    /// The timeline caught up, or with a gap (`home`, `notifications`, `tag:rust`, ...).
    timeline: Option<String>,
    /// How many items catch-up recovered.
    count: Option<usize>,
    /// The status a WebSocket error gave.
    status: Option<u16>,
    /// The stream a WebSocket error is most likely about.
    stream: Option<Vec<String>>,
}

impl Notice {
    fn of(kind: &'static str) -> Notice {
        Notice {
            kind,
            url: None,
            error: None,
            attempt: None,
            delay: None,
            timeline: None,
            count: None,
            status: None,
            stream: None,
        }
    }
}

#[pymethods]
impl Notice {
    fn __repr__(&self) -> String {
        let mut s = format!("<Notice {}", self.kind);
        for text in [&self.url, &self.timeline, &self.error]
            .into_iter()
            .flatten()
        {
            s.push_str(&format!(" {text:?}"));
        }
        s.push('>');
        s
    }
}

/// One session item as a Python object: an [`Event`] or a [`Notice`].
pub(crate) fn to_python(py: Python<'_>, item: Item) -> PyResult<Py<PyAny>> {
    let notice = match item {
        Item::Event(e) => return Ok(Py::new(py, Event::from_stream(e))?.into_any()),
        Item::Discovered(server) => Notice {
            url: Some(server.streaming.to_string()),
            ..Notice::of("discovered")
        },
        Item::Connected { url, .. } => Notice {
            url: Some(url),
            ..Notice::of("connected")
        },
        Item::Disconnected { error } => Notice {
            error: Some(error.to_string()),
            ..Notice::of("disconnected")
        },
        Item::Reconnecting {
            attempt,
            delay,
            error,
            ..
        } => Notice {
            attempt: Some(attempt),
            delay: Some(delay.as_secs_f64()),
            error: Some(error.to_string()),
            ..Notice::of("reconnecting")
        },
        Item::CaughtUp {
            timeline,
            recovered,
        } => Notice {
            timeline: Some(timeline.to_string()),
            count: Some(recovered),
            ..Notice::of("caught_up")
        },
        Item::Gap(gap) => Notice {
            timeline: Some(gap.timeline.to_string()),
            error: Some(gap.reason.to_string()),
            ..Notice::of("gap")
        },
        Item::StreamError {
            channel,
            status,
            error,
            ..
        } => Notice {
            status,
            error: Some(error),
            stream: channel.map(|c| c.stream_array()),
            ..Notice::of("stream_error")
        },
        _ => Notice::of("other"),
    };
    Ok(Py::new(py, notice)?.into_any())
}
