//! Rust errors as Python exceptions with Mastodon.py's names.
//!
//! The exception classes are Python classes (`mastostream/_errors.py`: they need Mastodon.py's
//! multiple inheritance, `MastodonNetworkError` is an `OSError` too). Which class an error
//! becomes is decided here, in pure Rust ([`class_of`]); the exception carries the error's
//! log-line text (with the server's own message), and `status`, `server_message`, `kind`
//! and `transient` attributes.

use mastostream_proto::error::Timeout;
use mastostream_proto::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

/// The Python exception class an error becomes (the names in `mastostream._errors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A bad argument: URL, stream name, configuration.
    IllegalArgument,
    /// The network failed, or the server broke the protocol.
    Network,
    /// A timer ran out (connect, response head, idle stream).
    ReadTimeout,
    /// The server answered with an error.
    Api,
    /// `401`: the token is missing, invalid or lacks the scope.
    Unauthorized,
    /// `404`.
    NotFound,
    /// A `5xx`.
    Server,
}

impl Class {
    /// The class's name in `mastostream._errors`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::IllegalArgument => "MastodonIllegalArgumentError",
            Class::Network => "MastodonNetworkError",
            Class::ReadTimeout => "MastodonReadTimeout",
            Class::Api => "MastodonAPIError",
            Class::Unauthorized => "MastodonUnauthorizedError",
            Class::NotFound => "MastodonNotFoundError",
            Class::Server => "MastodonServerError",
        }
    }
}

fn class_of_status(status: u16) -> Class {
    match status {
        401 => Class::Unauthorized,
        404 => Class::NotFound,
        500..=599 => Class::Server,
        _ => Class::Api,
    }
}

/// Which exception class `error` becomes.
pub(crate) fn class_of(error: &Error) -> Class {
    match error.kind() {
        ErrorKind::Status { head, .. } | ErrorKind::UpgradeRefused { head, .. } => {
            class_of_status(head.status())
        }
        ErrorKind::NotEventStream { .. } | ErrorKind::UnexpectedResponse(_) => Class::Api,
        ErrorKind::Timeout(_) => Class::ReadTimeout,
        ErrorKind::Url(_) | ErrorKind::Config(_) => Class::IllegalArgument,
        ErrorKind::GaveUp { last, .. } => match class_of(last) {
            Class::IllegalArgument => Class::Network,
            other => other,
        },
        _ => Class::Network,
    }
}

/// A short, stable name for the kind of `error` (`status`, `chunked`, `timeout`, ...).
pub(crate) fn kind_name(error: &Error) -> &'static str {
    match error.kind() {
        ErrorKind::HeadTooLarge { .. } => "head_too_large",
        ErrorKind::InvalidHead { .. } => "invalid_head",
        ErrorKind::Chunked(_) => "chunked",
        ErrorKind::UnexpectedEof(_) => "unexpected_eof",
        ErrorKind::BodyTooLarge { .. } => "body_too_large",
        ErrorKind::Status { .. } => "status",
        ErrorKind::UpgradeRefused { .. } => "upgrade_refused",
        ErrorKind::WebSocketClosed { .. } => "websocket_closed",
        ErrorKind::Timeout(Timeout::Idle(_)) => "idle_timeout",
        ErrorKind::Timeout(_) => "timeout",
        ErrorKind::Transport { .. } => "transport",
        ErrorKind::Closed => "closed",
        ErrorKind::TooManyRedirects { .. } => "too_many_redirects",
        ErrorKind::RedirectLoop { .. } => "redirect_loop",
        ErrorKind::BadRedirect { .. } => "bad_redirect",
        ErrorKind::Url(_) => "url",
        ErrorKind::Config(_) => "config",
        ErrorKind::GaveUp { .. } => "gave_up",
        ErrorKind::UnexpectedResponse(_) => "unexpected_response",
        ErrorKind::NotEventStream { .. } => "not_event_stream",
        _ => "other",
    }
}

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `mastostream._errors`, imported once.
fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS
        .get_or_try_init(py, || py.import("mastostream._errors").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// A new exception of the class `name` of `mastostream._errors` with `message` (a
/// `RuntimeError` when the package is not importable, as when the native module is used
/// on its own).
pub(crate) fn exception<'py>(
    py: Python<'py>,
    name: &str,
    message: String,
) -> PyResult<Bound<'py, PyAny>> {
    match errors_module(py) {
        Ok(module) => module.getattr(name)?.call1((message,)),
        Err(_) => Ok(PyRuntimeError::new_err(message)
            .into_value(py)
            .into_bound(py)
            .into_any()),
    }
}

/// `error` as the Python exception [`class_of`] names, with its attributes set.
pub(crate) fn to_pyerr(py: Python<'_>, error: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = exception(py, class_of(error).name(), error.to_string())?;
        exc.setattr("status", error.status())?;
        exc.setattr("server_message", error.server_message())?;
        exc.setattr("kind", kind_name(error))?;
        exc.setattr("transient", error.is_transient())?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// A `MastodonIllegalArgumentError` with `message`.
pub(crate) fn illegal_argument(py: Python<'_>, message: impl std::fmt::Display) -> PyErr {
    match exception(py, Class::IllegalArgument.name(), message.to_string()) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use mastostream_proto::{Decoder, Limits};

    use super::*;

    /// The error a decoder gives for this response.
    fn decode_error(wire: &'static [u8]) -> Error {
        let mut decoder = Decoder::http(Limits::default());
        decoder.feed(Bytes::from_static(wire));
        decoder.feed_eof();
        loop {
            match decoder.poll() {
                Some(Err(e)) => return e,
                Some(Ok(_)) => {}
                None => panic!("no error"),
            }
        }
    }

    #[test]
    fn statuses_pick_mastodon_py_classes() {
        let e = decode_error(
            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 32\r\n\r\n{\"error\":\"Invalid access token\"}",
        );
        assert_eq!(class_of(&e), Class::Unauthorized);
        assert_eq!(e.server_message(), Some("Invalid access token"));
        assert!(e.to_string().contains("Invalid access token"));
        assert_eq!(kind_name(&e), "status");
        let e = decode_error(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(class_of(&e), Class::Server);
        let e = decode_error(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(class_of(&e), Class::NotFound);
        let e = decode_error(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(class_of(&e), Class::Api);
    }

    #[test]
    fn broken_framing_is_a_network_error() {
        let e = decode_error(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        );
        assert_eq!(class_of(&e), Class::Network);
        assert_eq!(kind_name(&e), "chunked");
        let e = decode_error(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
        assert_eq!(class_of(&e), Class::Api);
        assert_eq!(kind_name(&e), "not_event_stream");
    }

    #[test]
    fn timeouts_and_arguments() {
        let idle: Error =
            ErrorKind::Timeout(Timeout::Idle(std::time::Duration::from_secs(45))).into();
        assert_eq!(class_of(&idle), Class::ReadTimeout);
        assert_eq!(kind_name(&idle), "idle_timeout");
        let config: Error = ErrorKind::Config("bad".into()).into();
        assert_eq!(class_of(&config), Class::IllegalArgument);
        let gave_up: Error = ErrorKind::GaveUp {
            attempts: 3,
            last: Box::new(idle),
        }
        .into();
        assert_eq!(class_of(&gave_up), Class::ReadTimeout);
        assert_eq!(Class::Network.name(), "MastodonNetworkError");
    }
}
