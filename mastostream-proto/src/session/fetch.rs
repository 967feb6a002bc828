//! [`OneShot`]: a single REST request as a machine (health checks, instance information).

use std::collections::VecDeque;
use std::time::Instant;

use super::io::{Close, Command, Input, Output, TransportId};
use super::rest::{Collector, Response};
use super::transport::{Kind, Transport};
use super::{Machine, Timeouts};
use crate::error::Error;
use crate::http::{Request, Token};
use crate::instance::Instance;

/// One `GET` request, driven like any other machine. It finishes with `Ok` once a complete
/// response arrived (whatever its status: read it with [`OneShot::take_response`]), or with
/// the transport's error.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use mastostream_proto::session::{Input, Instance, Machine, OneShot, Output, Timeouts, parse_health};
///
/// # #[allow(clippy::disallowed_methods)] let now = Instant::now();
/// let instance = Instance::parse("https://mastodon.example").unwrap();
/// let mut check = OneShot::health_check(&instance, Timeouts::default(), now);
/// let Output::Connect { transport, .. } = check.poll_output() else { panic!() };
/// check.handle_input(Input::Connected(transport), now);
/// let Output::Transmit { data, .. } = check.poll_output() else { panic!() };
/// assert!(data.starts_with(b"GET /api/v1/streaming/health HTTP/1.1\r\n"));
/// let answer = Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
/// check.handle_input(Input::Data(transport, answer), now);
/// loop {
///     match check.poll_output() {
///         Output::Finished(result) => assert!(result.is_ok()),
///         Output::Wait { .. } => break,
///         _ => {}
///     }
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
        OneShot::with_id(
            TransportId(0),
            instance,
            path_and_query,
            accept,
            token,
            timeouts,
            now,
        )
    }

    /// [`get`](OneShot::get), with the id its transport takes.
    pub fn with_id(
        id: TransportId,
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
        let (transport, output) =
            Transport::open(id, instance.clone(), &request, timeouts, Kind::Rest, now);
        OneShot {
            transport: Some(transport),
            collector: Collector::new(16 * 1024, ONE_SHOT_MAX_BODY),
            out: VecDeque::from([output]),
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

    /// `GET /api/v2/instance`: find the streaming URL with
    /// [`parse_streaming_url`](super::parse_streaming_url).
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
            self.out.push_back(Output::Close {
                transport: t.id,
                how: Close::Now,
            });
        }
        self.finished = true;
        self.out.push_back(Output::Finished(result.map(|r| {
            self.response = r;
        })));
    }
}

impl Machine for OneShot {
    fn handle_input(&mut self, input: Input, now: Instant) {
        self.now = self.now.max(now);
        match input {
            Input::Connected(id) if self.ours(id) => {
                if let Some(out) = self.transport.as_mut().and_then(|t| t.connected(self.now)) {
                    self.out.push_back(out);
                }
            }
            Input::Data(id, data) if self.ours(id) => match self.collector.feed(data) {
                Ok(Some(response)) => self.finish(Ok(Some(response))),
                Ok(None) => {}
                Err(e) => self.finish(Err(e)),
            },
            Input::Eof(id) if self.ours(id) => {
                let result = self.collector.eof().map(Some);
                self.finish(result);
            }
            Input::ConnectFailed(id, e) | Input::Failed(id, e) if self.ours(id) => {
                if let Some(t) = &self.transport {
                    let e = t.transport_error(e);
                    self.finish(Err(e));
                }
            }
            Input::Drained(id) if self.ours(id) => {
                if let Some(t) = &mut self.transport {
                    t.drained(self.now);
                }
            }
            Input::Timeout => {
                if let Some(t) = &self.transport
                    && !self.finished
                    && t.deadline() <= self.now
                {
                    let e = t.timeout_error();
                    self.finish(Err(e));
                }
            }
            Input::Command(Command::Close) if !self.finished => self.finish(Ok(None)),
            _ => {}
        }
    }

    fn poll_output(&mut self) -> Output {
        if let Some(out) = self.out.pop_front() {
            return out;
        }
        let deadline = match &self.transport {
            Some(t) if !self.finished => Some(t.deadline()),
            _ => None,
        };
        Output::Wait { deadline }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ResponseHead;
    use bytes::Bytes;

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
}
