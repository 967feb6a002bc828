//! [`HealthCheck`]: is the streaming server up? Discovery (where it streams from), then
//! `GET /api/v1/streaming/health` there, as one machine.

use std::time::Instant;

use super::discover::{Server, ServerSource, parse_streaming_url};
use super::fetch::{OneShot, parse_health};
use super::io::{Input, Output, TransportId};
use super::{Machine, SessionConfig};
use crate::error::Error;
use crate::instance::Instance;

/// What a [`HealthCheck`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthReport {
    /// Where the stream is served from, and how that was learnt.
    pub server: Server,
    /// The health endpoint's status code (`None` for a discovery-only check).
    pub status: Option<u16>,
    /// Whether it answered `200` with `OK`.
    pub healthy: bool,
}

#[derive(Debug)]
enum Step {
    /// Asking `/api/v2/instance` (`v1: false`) or `/api/v1/instance`.
    Discover {
        v1: bool,
    },
    /// Asking the health endpoint on `server`.
    Health {
        server: Server,
    },
    Done,
}

/// Discovery (unless the configuration names the streaming URL, or does not discover),
/// then the health endpoint. Finishes with `Ok` once the health endpoint answered (read
/// [`HealthCheck::report`]), or with the error that kept it from answering.
///
/// The token goes to the instance information request only (`/api/v1/streaming/health`
/// needs none).
#[derive(Debug)]
pub struct HealthCheck {
    cfg: SessionConfig,
    step: Step,
    current: OneShot,
    next_id: u64,
    report: Option<HealthReport>,
    finished: Option<Result<(), Error>>,
    /// Whether to ask the health endpoint after discovery.
    ask_health: bool,
    /// `Finished` was handed out.
    over: bool,
    now: Instant,
}

impl HealthCheck {
    /// A check of the server `cfg` streams from (its instance, streaming URL, token,
    /// timeouts and `discover` flag are used).
    pub fn new(cfg: &SessionConfig, now: Instant) -> HealthCheck {
        HealthCheck::start(cfg, true, now)
    }

    /// Discovery alone (even when `cfg` does not discover): where the instance streams
    /// from. The report's `status` is `None`.
    pub fn discovery(cfg: &SessionConfig, now: Instant) -> HealthCheck {
        let mut cfg = cfg.clone();
        cfg.discover = true;
        cfg.streaming = None;
        HealthCheck::start(&cfg, false, now)
    }

    fn start(cfg: &SessionConfig, ask_health: bool, now: Instant) -> HealthCheck {
        let mut check = HealthCheck {
            cfg: cfg.clone(),
            step: Step::Done,
            current: OneShot::get(&cfg.instance, "/", "*/*", None, cfg.timeouts, now),
            next_id: 0,
            report: None,
            finished: None,
            ask_health,
            over: false,
            now,
        };
        match (&cfg.streaming, cfg.discover) {
            (Some(s), _) => check.health(server(s.clone(), ServerSource::Configured, None), now),
            (None, true) => check.discover(false, now),
            (None, false) => {
                let why = "discovery is off".to_owned();
                let s = server(cfg.instance.clone(), ServerSource::Fallback(why), None);
                check.health(s, now);
            }
        }
        check
    }

    /// The result, once finished with `Ok`.
    pub fn report(&self) -> Option<&HealthReport> {
        self.report.as_ref()
    }

    fn id(&mut self) -> TransportId {
        self.next_id += 1;
        TransportId(self.next_id)
    }

    fn discover(&mut self, v1: bool, now: Instant) {
        let path = if v1 {
            "/api/v1/instance"
        } else {
            "/api/v2/instance"
        };
        let id = self.id();
        let c = &self.cfg;
        self.current = OneShot::with_id(
            id,
            &c.instance,
            path,
            "application/json",
            c.token.clone(),
            c.timeouts,
            now,
        );
        self.step = Step::Discover { v1 };
    }

    fn health(&mut self, server: Server, now: Instant) {
        if !self.ask_health {
            self.report = Some(HealthReport {
                server,
                status: None,
                healthy: false,
            });
            self.finished = Some(Ok(()));
            return;
        }
        let id = self.id();
        let path = "/api/v1/streaming/health";
        let t = self.cfg.timeouts;
        self.current = OneShot::with_id(id, &server.streaming, path, "text/plain", None, t, now);
        self.step = Step::Health { server };
    }

    /// The current request finished with `result`.
    fn next(&mut self, result: Result<(), Error>, now: Instant) {
        let response = self.current.take_response();
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::Discover { v1 } => {
                let found = match (&result, &response) {
                    (Ok(()), Some(r)) => parse_streaming_url(r),
                    (Err(e), _) => Err(e.clone()),
                    (Ok(()), None) => Ok(None),
                };
                let source = if v1 {
                    ServerSource::InstanceV1
                } else {
                    ServerSource::InstanceV2
                };
                match found {
                    Ok(Some(url)) => self.health(server(url, source, None), now),
                    _ if !v1 => self.discover(true, now),
                    Ok(None) => {
                        let why = "the instance names no streaming URL".to_owned();
                        let s =
                            server(self.cfg.instance.clone(), ServerSource::Fallback(why), None);
                        self.health(s, now);
                    }
                    Err(e) => {
                        let s = server(
                            self.cfg.instance.clone(),
                            ServerSource::Fallback(e.to_string()),
                            None,
                        );
                        self.health(s, now);
                    }
                }
            }
            Step::Health { server } => {
                self.finished = Some(result.map(|()| {
                    let (status, healthy) = response
                        .map_or((None, false), |r| (Some(r.head.status()), parse_health(&r)));
                    self.report = Some(HealthReport {
                        server,
                        status,
                        healthy,
                    });
                }));
            }
            Step::Done => {}
        }
    }
}

fn server(streaming: Instance, source: ServerSource, version: Option<String>) -> Server {
    Server {
        streaming,
        source,
        version,
    }
}

impl Machine for HealthCheck {
    fn handle_input(&mut self, input: Input, now: Instant) {
        self.now = self.now.max(now);
        if !self.over && self.finished.is_none() {
            self.current.handle_input(input, self.now);
        }
    }

    fn poll_output(&mut self) -> Output {
        loop {
            if self.over {
                return Output::Wait { deadline: None };
            }
            match self.current.poll_output() {
                Output::Finished(result) => self.next(result, self.now),
                Output::Wait { .. } if self.finished.is_some() => {
                    self.over = true;
                    let result = self.finished.take().unwrap_or(Ok(()));
                    return Output::Finished(result);
                }
                other => return other,
            }
        }
    }

    fn is_finished(&self) -> bool {
        self.over
    }
}
