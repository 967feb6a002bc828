//! `mastostream._testing.FakeServer` (feature `testing`): the loopback fake Mastodon server
//! of `mastostream-fake`, driven from Python tests.

use std::time::Duration;

use mastostream_fake::{Cut, FakeServer as Fake, Plan, Reply, ServerOptions, StatusBuilder};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A fake Mastodon server on `127.0.0.1` (real TCP, optionally real TLS): streams what the
/// test publishes, keeps statuses, notifications and conversations on its REST timelines
/// for catch-up, and misbehaves on command. Stopped when garbage-collected.
#[pyclass(module = "mastostream._testing", name = "FakeServer", frozen)]
pub(crate) struct FakeServer {
    inner: Fake,
}

fn cut(kind: &str) -> PyResult<Cut> {
    Ok(match kind {
        "drop" => Cut::Drop,
        "drop_mid_event" => Cut::DropMidEvent,
        "stall" => Cut::Stall,
        "end" => Cut::End,
        other => return Err(PyValueError::new_err(format!("unknown cut {other:?}"))),
    })
}

#[pymethods]
impl FakeServer {
    /// Starts a server. With `token`, streams and timelines require it; with `tls`, it
    /// serves https with a certificate for `127.0.0.1` signed by `ca_der`.
    #[new]
    #[pyo3(signature = (*, token = None, tls = false, seed = 1))]
    fn new(token: Option<String>, tls: bool, seed: u64) -> FakeServer {
        FakeServer {
            inner: Fake::start(ServerOptions {
                token,
                tls,
                seed,
                ..ServerOptions::default()
            }),
        }
    }

    /// The instance URL (`http://127.0.0.1:PORT`).
    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }

    /// The test CA's certificate (DER), when serving TLS.
    #[getter]
    fn ca_der<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.inner
            .ca()
            .map(|ca| PyBytes::new(py, ca.ca_der().as_ref()))
    }

    /// Streams opened so far.
    #[getter]
    fn streams_opened(&self) -> usize {
        self.inner.streams_opened()
    }

    /// Streams live now.
    #[getter]
    fn live_streams(&self) -> usize {
        self.inner.live_streams()
    }

    /// Waits (without the GIL) at most `timeout` seconds until `opened` streams were opened
    /// and `live` are live; whether that happened.
    #[pyo3(signature = (*, opened = 0, live = 0, timeout = 10.0))]
    fn wait_streams(&self, py: Python<'_>, opened: usize, live: usize, timeout: f64) -> bool {
        let timeout = Duration::from_secs_f64(timeout.clamp(0.0, 600.0));
        py.detach(|| {
            self.inner
                .wait_until(timeout, |o, l, _| o >= opened && l >= live)
        })
    }

    /// Publishes a generated status (`update`) to every live stream and every status
    /// timeline; returns its id.
    fn publish_update(&self) -> String {
        self.inner.publish_update().to_string()
    }

    /// Publishes a status with this text (and hashtags) to the streams and timelines that
    /// carry it; returns its id.
    #[pyo3(signature = (text, *, tags = Vec::new(), account = None))]
    fn publish_status(&self, text: &str, tags: Vec<String>, account: Option<&str>) -> String {
        let mut status = StatusBuilder::new().text(text);
        for tag in &tags {
            status = status.tag(tag);
        }
        if let Some(acct) = account {
            status = status.account(acct);
        }
        self.inner.publish_status(&status).to_string()
    }

    /// Publishes a generated notification; returns its id.
    fn publish_notification(&self) -> String {
        self.inner.publish_notification().to_string()
    }

    /// Publishes a conversation update; returns its last status id.
    fn publish_conversation(&self) -> String {
        self.inner.publish_conversation().to_string()
    }

    /// Publishes a `delete` of `id` (live only).
    fn publish_delete(&self, id: u64) {
        self.inner.publish_delete(id);
    }

    /// Publishes any event name and payload (one line) to every live stream (live only).
    fn publish(&self, name: &str, data: &str) {
        self.inner.publish(name, data, None);
    }

    /// Sends `:thump` to every live stream.
    fn heartbeat(&self) {
        self.inner.heartbeat();
    }

    /// Writes raw SSE body bytes to every live stream.
    fn send_raw(&self, body: &[u8]) {
        self.inner.send_raw(body);
    }

    /// Cuts every live stream now: `"drop"`, `"drop_mid_event"`, `"stall"` or `"end"`.
    fn cut_streams(&self, kind: &str) -> PyResult<()> {
        self.inner.cut_streams(cut(kind)?);
        Ok(())
    }

    /// Answers the next `n` stream requests with `status` and `Retry-After: retry_after`
    /// (seconds).
    #[pyo3(signature = (n, status = 503, retry_after = 0))]
    fn refuse_streams(&self, n: usize, status: u16, retry_after: u64) {
        self.inner.refuse_streams(n, status, retry_after);
    }

    /// Answers the next stream request with `status` and Mastodon's JSON error `message`.
    fn plan_error(&self, status: u16, message: &str) {
        self.inner
            .plan([Plan::Reply(Reply::error(status, "Error", message))]);
    }

    /// Waits (without the GIL) at most `timeout` seconds until `n` requests whose path
    /// starts with `prefix` were received; whether that happened.
    #[pyo3(signature = (n, *, prefix = "/api/v1/streaming/", timeout = 10.0))]
    fn wait_requests(&self, py: Python<'_>, n: usize, prefix: &str, timeout: f64) -> bool {
        let timeout = Duration::from_secs_f64(timeout.clamp(0.0, 600.0));
        py.detach(|| {
            self.inner.wait_until(timeout, |_, _, requests| {
                requests
                    .iter()
                    .filter(|r| r.path.starts_with(prefix))
                    .count()
                    >= n
            })
        })
    }

    /// Revokes every token: requests get `401 Invalid access token`.
    fn revoke_token(&self) {
        self.inner.revoke_token();
    }
}

/// The `_testing` submodule.
pub(crate) fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new(py, "_testing")?;
    m.add_class::<FakeServer>()?;
    Ok(m)
}
