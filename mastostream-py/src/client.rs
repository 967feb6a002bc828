//! [`NativeClient`]: the Rust client on smol's runtime, for the Python `Client`.
//!
//! Why smol: the session needs no runtime object to own, start or shut down. Transports
//! run as tasks on smol's global executor (its threads start on first use), and the
//! session itself is driven by whichever thread asks for the next item, with the GIL
//! released (`smol::block_on`), or by a smol task for asyncio. Nothing is left to stop
//! when the interpreter exits.

use mastostream_proto::session::StreamTransport;
use mastostream_proto::{Channel, PublicScope};
use mastostream_smol::Client;
use pyo3::prelude::*;

use crate::errors;
use crate::stream::Stream;

/// The native client behind `mastostream.Client`: an instance URL, a token, and the
/// streams. Use `mastostream.Client`, which adds Mastodon.py's listener API.
#[pyclass(module = "mastostream", name = "NativeClient", frozen)]
pub(crate) struct NativeClient {
    inner: Client,
}

#[pymethods]
impl NativeClient {
    /// A client for the instance at `api_base_url` (`https://mastodon.social`; a bare host
    /// means `https://`). `streaming_url` skips asking the instance where it streams from;
    /// `root_certificates` are extra trusted roots (DER `bytes`), besides the bundled
    /// webpki roots.
    #[new]
    #[pyo3(signature = (api_base_url, access_token = None, *, streaming_url = None, root_certificates = Vec::new()))]
    fn new(
        py: Python<'_>,
        api_base_url: &str,
        access_token: Option<String>,
        streaming_url: Option<&str>,
        root_certificates: Vec<Vec<u8>>,
    ) -> PyResult<NativeClient> {
        let bad = |e: mastostream_smol::ConfigError| errors::illegal_argument(py, e);
        let mut client = Client::new(api_base_url)
            .map_err(bad)?
            .token_opt(access_token);
        if let Some(url) = streaming_url {
            client = client.streaming_url(url).map_err(bad)?;
        }
        for der in root_certificates {
            client = client.add_root_certificate(der.into()).map_err(bad)?;
        }
        Ok(NativeClient { inner: client })
    }

    /// Opens the stream named `stream` (Mastodon's names: `user`, `user:notification`,
    /// `public`, `public:local`, `public:remote` (each with `:media`), `hashtag`,
    /// `hashtag:local`, `list`, `direct`), with its `tag` or `list` id. Nothing connects
    /// until the stream is iterated. `events_only=False` also yields notices;
    /// `heartbeats=True` also yields heartbeat events.
    #[pyo3(signature = (stream, *, tag = None, list = None, events_only = true, heartbeats = false))]
    fn open(
        &self,
        py: Python<'_>,
        stream: &str,
        tag: Option<&str>,
        list: Option<&str>,
        events_only: bool,
        heartbeats: bool,
    ) -> PyResult<Stream> {
        let channel =
            Channel::parse(stream, tag, list).map_err(|e| errors::illegal_argument(py, e))?;
        let mut cfg = self.inner.session_config(StreamTransport::Sse, [channel]);
        cfg.heartbeats = heartbeats;
        Ok(Stream::new(self.inner.open(cfg), events_only))
    }

    /// Whether the streaming server is up (`GET /api/v1/streaming/health` answers `OK`).
    /// Blocks (without the GIL) until it answers or times out; raises when it cannot be
    /// reached.
    fn stream_healthy(&self, py: Python<'_>) -> PyResult<bool> {
        let client = self.inner.clone();
        py.detach(move || smol::block_on(client.stream_healthy()))
            .map_err(|e| errors::to_pyerr(py, &e))
    }

    /// The instance URL.
    #[getter]
    fn api_base_url(&self) -> String {
        self.inner.instance().to_string()
    }
}

/// The stream name for Mastodon.py's `stream_public(local=..., remote=..., only_media=...)`.
#[pyfunction]
#[pyo3(signature = (local = false, remote = false, only_media = false))]
pub(crate) fn _public_stream_name(
    py: Python<'_>,
    local: bool,
    remote: bool,
    only_media: bool,
) -> PyResult<String> {
    let scope = match (local, remote) {
        (true, true) => {
            return Err(errors::illegal_argument(
                py,
                "Cannot pass both local and remote - use either one or the other.",
            ));
        }
        (true, false) => PublicScope::Local,
        (false, true) => PublicScope::Remote,
        (false, false) => PublicScope::All,
    };
    Ok(Channel::Public { scope, only_media }.name().to_owned())
}
