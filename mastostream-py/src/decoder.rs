//! [`Decoder`]: the sans-IO parser for any Python client, and [`Frame`], what it sees below
//! events.

use bytes::Bytes;
use mastostream_proto::decoder::{Decoder as ProtoDecoder, Frame as ProtoFrame};
use mastostream_proto::{JsonBackend, Limits};
use pyo3::PyTypeInfo;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};

use crate::errors;
use crate::event::Event;

/// Mastodon's streaming bytes in, events out; no I/O, no clock, no thread.
///
/// Feed it what your HTTP client reads (`feed(chunk)`, in any pieces), then iterate it for
/// the events decoded so far; iteration stops when more input is needed, and goes on after
/// the next `feed`. `feed_eof()` says the connection closed.
///
/// `Decoder.body()` reads an SSE body (what `requests`' `iter_content` gives);
/// `Decoder.http()` reads a whole HTTP/1.1 response, head and chunked body (what a raw
/// socket gives), and raises the server's error (`MastodonUnauthorizedError`, ...) for a
/// non-2xx status. A malformed event is an `Event` of kind `"malformed"`; a broken stream
/// (bad chunked framing, a head over 16 KiB, a cut-short body) raises
/// `MastodonNetworkError` once, after every complete event before it.
#[pyclass(module = "mastostream", name = "Decoder")]
pub(crate) struct Decoder {
    inner: ProtoDecoder,
    heartbeats: bool,
    status: Option<u16>,
    headers: Option<Vec<(String, String)>>,
}

fn limits(max_line: Option<usize>, max_event: Option<usize>) -> Limits {
    let mut limits = Limits::default();
    if let Some(n) = max_line {
        limits.max_line = n;
    }
    if let Some(n) = max_event {
        limits.max_event = n;
    }
    limits
}

/// Copies a `bytes`, `bytearray` or `memoryview` (anything `bytes()` takes) into `Bytes`.
fn to_bytes(data: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(b) = data.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    let bytes = PyBytes::type_object(data.py()).call1((data,))?;
    Ok(Bytes::copy_from_slice(bytes.cast::<PyBytes>()?.as_bytes()))
}

impl Decoder {
    fn new(inner: ProtoDecoder, heartbeats: bool) -> Decoder {
        Decoder {
            inner,
            heartbeats,
            status: None,
            headers: None,
        }
    }

    /// The next frame, with the head remembered; `Ok(None)` when more input is needed.
    fn next_frame(&mut self, py: Python<'_>) -> PyResult<Option<ProtoFrame>> {
        match self.inner.poll() {
            None => Ok(None),
            Some(Err(e)) => Err(errors::to_pyerr(py, &e)),
            Some(Ok(frame)) => {
                if let ProtoFrame::Head(head) = &frame {
                    self.status = Some(head.status());
                    self.headers = Some(
                        head.headers()
                            .iter()
                            .map(|h| (h.name.clone(), String::from_utf8_lossy(&h.value).into()))
                            .collect(),
                    );
                }
                Ok(Some(frame))
            }
        }
    }
}

#[pymethods]
impl Decoder {
    /// A decoder for a bare SSE body. `max_line` and `max_event` bound what it buffers
    /// (default 1 MiB each): a longer event is skipped, as one malformed event.
    /// `heartbeats=False` leaves heartbeat comments out of the events.
    #[staticmethod]
    #[pyo3(signature = (*, heartbeats = true, max_line = None, max_event = None))]
    fn body(heartbeats: bool, max_line: Option<usize>, max_event: Option<usize>) -> Decoder {
        Decoder::new(ProtoDecoder::body(limits(max_line, max_event)), heartbeats)
    }

    /// A decoder for a whole HTTP/1.1 response: head, then body (chunked, sized or
    /// close-delimited).
    #[staticmethod]
    #[pyo3(signature = (*, heartbeats = true, max_line = None, max_event = None))]
    fn http(heartbeats: bool, max_line: Option<usize>, max_event: Option<usize>) -> Decoder {
        Decoder::new(ProtoDecoder::http(limits(max_line, max_event)), heartbeats)
    }

    /// Queues bytes read from the connection (`bytes`, `bytearray` or `memoryview`).
    fn feed(&mut self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = to_bytes(data)?;
        self.inner.feed(bytes);
        Ok(())
    }

    /// The connection closed.
    fn feed_eof(&mut self) {
        self.inner.feed_eof();
    }

    /// The response's status code, once `Decoder.http()` has read the head.
    #[getter]
    fn status(&self) -> Option<u16> {
        self.status
    }

    /// The response's headers as `(name, value)` pairs, once `Decoder.http()` has read the
    /// head.
    #[getter]
    fn headers(&self) -> Option<Vec<(String, String)>> {
        self.headers.clone()
    }

    /// Whether the decoder is over: the body ended, or an error was raised.
    #[getter]
    fn is_over(&self) -> bool {
        self.inner.is_over()
    }

    /// Bytes held in the decoder's buffers (a partial line or event); bounded by the limits.
    #[getter]
    fn buffered(&self) -> usize {
        self.inner.buffered()
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next event decoded so far; stops when more input is needed.
    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Event>> {
        while let Some(frame) = self.next_frame(py)? {
            if let Some(event) = frame.into_event(JsonBackend::default()) {
                if event.is_heartbeat() && !self.heartbeats {
                    continue;
                }
                return Ok(Some(Event::decoded(event)));
            }
        }
        Ok(None)
    }

    /// The frames decoded so far, below events: the response head, each SSE event with its
    /// raw name and data, comments, `retry` fields, events skipped for a limit, and the
    /// end. Shares the decoder's input with iteration over events: use one or the other.
    fn frames(slf: Bound<'_, Self>) -> Frames {
        Frames {
            decoder: slf.unbind(),
        }
    }
}

/// An iterator over a decoder's frames (see `Decoder.frames()`).
#[pyclass(module = "mastostream", name = "Frames")]
pub(crate) struct Frames {
    decoder: Py<Decoder>,
}

#[pymethods]
impl Frames {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Frame>> {
        let mut decoder = self.decoder.borrow_mut(py);
        Ok(decoder.next_frame(py)?.map(Frame::from))
    }
}

/// One frame: `type` is `"head"` (with `status`), `"event"` (`event`, `data`, `id`: the
/// SSE fields, raw), `"comment"` (`text`), `"retry"` (`ms`), `"skipped"` (an event over a
/// limit: `event`, `error`) or `"end"`.
#[pyclass(module = "mastostream", frozen, name = "Frame", get_all)]
pub(crate) struct Frame {
    /// `"head"`, `"event"`, `"comment"`, `"retry"`, `"skipped"` or `"end"`.
    r#type: &'static str,
    /// The SSE event type (`"message"` when the event named none).
    event: Option<String>,
    /// The SSE data.
    data: Option<String>,
    /// The SSE last event id.
    id: Option<String>,
    /// A comment's text (after the colon).
    text: Option<String>,
    /// The response status.
    status: Option<u16>,
    /// A `retry` field's milliseconds.
    ms: Option<u64>,
    /// Why an event was skipped.
    error: Option<String>,
}

impl Frame {
    fn of(kind: &'static str) -> Frame {
        Frame {
            r#type: kind,
            event: None,
            data: None,
            id: None,
            text: None,
            status: None,
            ms: None,
            error: None,
        }
    }
}

impl From<ProtoFrame> for Frame {
    fn from(frame: ProtoFrame) -> Frame {
        match frame {
            ProtoFrame::Head(head) => Frame {
                status: Some(head.status()),
                ..Frame::of("head")
            },
            ProtoFrame::Event(e) => Frame {
                event: Some(e.event_type_str().into_owned()),
                data: Some(e.data_str().into_owned()),
                id: Some(e.last_event_id_str().into_owned()),
                ..Frame::of("event")
            },
            ProtoFrame::Comment(text) => Frame {
                text: Some(String::from_utf8_lossy(&text).into_owned()),
                ..Frame::of("comment")
            },
            ProtoFrame::Retry(ms) => Frame {
                ms: Some(ms),
                ..Frame::of("retry")
            },
            ProtoFrame::Skipped { event_type, error } => Frame {
                event: Some(String::from_utf8_lossy(&event_type).into_owned()),
                error: Some(error.to_string()),
                ..Frame::of("skipped")
            },
            _ => Frame::of("end"),
        }
    }
}

/// Sets `key` when there is a value.
fn put<'py, T: IntoPyObject<'py>>(
    dict: &Bound<'py, PyDict>,
    key: &str,
    value: Option<T>,
) -> PyResult<()> {
    match value {
        Some(v) => dict.set_item(key, v),
        None => Ok(()),
    }
}

#[pymethods]
impl Frame {
    /// The frame as a dict of its fields that are set (`{"type": "event", "event": ...,
    /// "data": ..., "id": ...}`), the shape of the crate's conformance vectors.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("type", self.r#type)?;
        put(&dict, "event", self.event.as_deref())?;
        put(&dict, "data", self.data.as_deref())?;
        put(&dict, "id", self.id.as_deref())?;
        put(&dict, "text", self.text.as_deref())?;
        put(&dict, "status", self.status)?;
        put(&dict, "ms", self.ms)?;
        put(&dict, "error", self.error.as_deref())?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!("<Frame {}>", self.r#type)
    }
}
