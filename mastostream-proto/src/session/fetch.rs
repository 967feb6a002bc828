//! [`OneShot`]: a single REST request as a machine — health checks and instance discovery.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::rest::{Collector, Response};
use super::transport::{Kind, Transport};
use super::{Instance, Machine, Output, Timeouts, TransportError, TransportId};
use crate::decoder::server_message;
use crate::error::{Error, ErrorKind};
use crate::http::{Request, Token};

/// One `GET` request, driven like any other machine. It finishes with `Ok` once a complete
/// response arrived (whatever its status: read it with [`OneShot::take_response`]), or with
/// the transport's error.
///
/// ```
/// use std::time::{Instant, SystemTime};
/// use bytes::Bytes;
/// use mastostream_proto::session::{Instance, Machine, OneShot, Output, Timeouts, parse_health};
///
/// # #[allow(clippy::disallowed_methods)] let now = Instant::now();
/// let instance = Instance::parse("https://mastodon.example").unwrap();
/// let mut check = OneShot::health_check(&instance, Timeouts::default(), now);
/// let Some(Output::Connect { transport, .. }) = check.poll() else { panic!() };
/// check.handle_connected(transport, now);
/// let Some(Output::Transmit { data, .. }) = check.poll() else { panic!() };
/// assert!(data.starts_with(b"GET /api/v1/streaming/health HTTP/1.1\r\n"));
/// check.handle_data(transport, Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"), now);
/// while let Some(out) = check.poll() {
///     if let Output::Finished(result) = out { assert!(result.is_ok()) }
/// }
/// assert!(parse_health(&check.take_response().unwrap()));
/// ```
#[derive(Debug)]
pub struct OneShot {
    transport: Option<Transport>,
    collector: Collector,
    out: VecDeque<Output>,
    response: Option<Response>,
    finished: bool,
    now: Instant,
}

const ONE_SHOT_MAX_BODY: usize = 1 << 20;

impl OneShot {
    /// A `GET` of `path_and_query` (below the instance's prefix), accepting `accept`.
    pub fn get(
        instance: &Instance,
        path_and_query: &str,
        accept: &str,
        token: Option<Token>,
        timeouts: Timeouts,
        now: Instant,
    ) -> OneShot {
        let target = instance.request_target(path_and_query);
        let request = Request::get(instance.host_header(), target)
            .accept(accept)
            .token_opt(token);
        let mut out = VecDeque::new();
        let transport = Transport::open(
            TransportId(0),
            instance.clone(),
            &request,
            timeouts,
            Kind::Rest,
            now,
            &mut out,
        );
        OneShot {
            transport: Some(transport),
            collector: Collector::new(16 * 1024, ONE_SHOT_MAX_BODY),
            out,
            response: None,
            finished: false,
            now,
        }
    }

    /// `GET /api/v1/streaming/health`: judge the answer with [`parse_health`].
    pub fn health_check(instance: &Instance, timeouts: Timeouts, now: Instant) -> OneShot {
        OneShot::get(
            instance,
            "/api/v1/streaming/health",
            "text/plain",
            None,
            timeouts,
            now,
        )
    }

    /// `GET /api/v2/instance`: find the streaming URL with [`parse_streaming_url`].
    pub fn instance_info(
        instance: &Instance,
        token: Option<Token>,
        timeouts: Timeouts,
        now: Instant,
    ) -> OneShot {
        OneShot::get(
            instance,
            "/api/v2/instance",
            "application/json",
            token,
            timeouts,
            now,
        )
    }

    /// The response, once the machine finished with `Ok`.
    pub fn take_response(&mut self) -> Option<Response> {
        self.response.take()
    }

    fn ours(&self, id: TransportId) -> bool {
        !self.finished && self.transport.as_ref().is_some_and(|t| t.id == id)
    }

    fn finish(&mut self, result: Result<Option<Response>, Error>) {
        if let Some(t) = self.transport.take() {
            self.out.push_back(Output::Close { transport: t.id });
        }
        self.finished = true;
        self.out.push_back(Output::Finished(result.map(|r| {
            self.response = r;
        })));
    }

    fn fail(&mut self, error: Error) {
        self.finish(Err(error));
    }
}

impl Machine for OneShot {
    fn handle_connected(&mut self, transport: TransportId, now: Instant) {
        self.now = self.now.max(now);
        if self.ours(transport)
            && let Some(t) = &mut self.transport
        {
            t.connected(self.now, &mut self.out);
        }
    }

    fn handle_data(&mut self, transport: TransportId, data: Bytes, now: Instant) {
        self.now = self.now.max(now);
        if !self.ours(transport) {
            return;
        }
        match self.collector.feed(data) {
            Ok(Some(response)) => self.finish(Ok(Some(response))),
            Ok(None) => {}
            Err(e) => self.fail(e),
        }
    }

    fn handle_eof(&mut self, transport: TransportId, now: Instant) {
        self.now = self.now.max(now);
        if !self.ours(transport) {
            return;
        }
        match self.collector.eof() {
            Ok(response) => self.finish(Ok(Some(response))),
            Err(e) => self.fail(e),
        }
    }

    fn handle_io_error(&mut self, transport: TransportId, error: TransportError, now: Instant) {
        self.now = self.now.max(now);
        if let (true, Some(t)) = (self.ours(transport), &self.transport) {
            let e = t.transport_error(error);
            self.fail(e);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let Some(t) = &self.transport
            && !self.finished
            && t.deadline() <= self.now
        {
            let e = t.timeout_error();
            self.fail(e);
        }
    }

    fn close(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if !self.finished {
            self.finish(Ok(None));
        }
    }

    fn poll(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match &self.transport {
            Some(t) if !self.finished => Some(t.deadline()),
            _ => None,
        }
    }

    fn is_finished(&self) -> bool {
        self.finished && self.out.is_empty()
    }
}

/// Whether a health-check response says the streaming server is up: `200` with the body
/// `OK`.
pub fn parse_health(response: &Response) -> bool {
    response.head.status() == 200 && response.body.trim_ascii() == b"OK"
}

/// The streaming base URL from a `/api/v2/instance` response
/// (`configuration.urls.streaming`, a `wss://` URL), or from a v1 response
/// (`urls.streaming_api`). `Ok(None)` when the server names none (use the instance itself).
pub fn parse_streaming_url(response: &Response) -> Result<Option<Instance>, Error> {
    if !(200..300).contains(&response.head.status()) {
        return Err(ErrorKind::Status {
            head: response.head.clone(),
            message: server_message(&response.head, &response.body),
        }
        .into());
    }
    let info: serde_json::Value = serde_json::from_slice(&response.body).map_err(|e| {
        Error::from(ErrorKind::UnexpectedResponse(format!(
            "instance information is not JSON: {e}"
        )))
    })?;
    let url = info
        .pointer("/configuration/urls/streaming")
        .or_else(|| info.pointer("/urls/streaming_api"))
        .and_then(serde_json::Value::as_str)
        .filter(|u| !u.is_empty());
    match url {
        None => Ok(None),
        Some(url) => Instance::parse(url).map(Some).map_err(Error::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ResponseHead;

    fn response(status: u16, body: &'static str) -> Response {
        Response {
            head: ResponseHead::new(status, "", Vec::new()),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn health_is_200_and_ok() {
        assert!(parse_health(&response(200, "OK")));
        assert!(parse_health(&response(200, "OK\n")));
        assert!(!parse_health(&response(200, "NOT OK")));
        assert!(!parse_health(&response(502, "OK")));
    }

    #[test]
    fn streaming_url_from_v2_and_v1() {
        let v2 = response(
            200,
            r#"{"domain":"m.example","configuration":{"urls":{"streaming":"wss://streaming.m.example"}}}"#,
        );
        let got = parse_streaming_url(&v2).unwrap().unwrap();
        assert_eq!(got.to_string(), "https://streaming.m.example");
        let v1 = response(200, r#"{"urls":{"streaming_api":"wss://m.example"}}"#);
        assert_eq!(
            parse_streaming_url(&v1).unwrap().unwrap().to_string(),
            "https://m.example"
        );
        assert!(parse_streaming_url(&response(200, "{}")).unwrap().is_none());
        assert!(parse_streaming_url(&response(200, "<html>")).is_err());
        let err = parse_streaming_url(&response(401, r#"{"error":"The access token is invalid"}"#))
            .unwrap_err();
        assert_eq!(err.server_message(), Some("The access token is invalid"));
    }
}
