//! [`HealthCheck`]: is the streaming server up? Discovery (what the instance runs, where
//! it streams from), then `GET /api/v1/streaming/health` there, as one machine.

use std::time::Instant;

use super::discover::{Discoverer, Next, Server, ServerSource, Step};
use super::fetch::{OneShot, parse_health};
use super::io::{Input, Output, TransportId};
use super::{Machine, SessionConfig};
use crate::error::Error;

/// What a [`HealthCheck`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthReport {
    /// Where the stream is served from, what the server runs, and how that was learnt.
    pub server: Server,
    /// The health endpoint's status code (`None` for a discovery-only check).
    pub status: Option<u16>,
    /// Whether it answered `200` with `OK`.
    pub healthy: bool,
}

#[derive(Debug)]
enum Stage {
    /// A discovery request.
    Discover(Step),
    /// Asking the health endpoint on the server found.
    Health(Server),
    Done,
}

/// Discovery (unless the configuration turns it off), then the health endpoint. Finishes
/// with `Ok` once the health endpoint answered (read [`HealthCheck::report`]), or with the
/// error that kept it from answering.
///
/// The token goes to the instance's own endpoints only (`/api/v1/streaming/health` needs
/// none).
#[derive(Debug)]
pub struct HealthCheck {
    cfg: SessionConfig,
    steps: Discoverer,
    stage: Stage,
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
    /// A check of the server `cfg` streams from (its instance, streaming URL, dialect,
    /// token, timeouts and `discover` flag are used).
    pub fn new(cfg: &SessionConfig, now: Instant) -> HealthCheck {
        HealthCheck::start(cfg, true, now)
    }

    /// Discovery alone (even when `cfg` does not discover): what the instance runs and
    /// where it streams from. The report's `status` is `None`.
    pub fn discovery(cfg: &SessionConfig, now: Instant) -> HealthCheck {
        let mut cfg = cfg.clone();
        cfg.discover = true;
        cfg.streaming = None;
        cfg.dialect = None;
        HealthCheck::start(&cfg, false, now)
    }

    fn start(cfg: &SessionConfig, ask_health: bool, now: Instant) -> HealthCheck {
        let steps = Discoverer::new(cfg);
        let first = steps.first();
        let mut check = HealthCheck {
            cfg: cfg.clone(),
            steps,
            stage: Stage::Done,
            current: OneShot::get(&cfg.instance, "/", "*/*", None, cfg.timeouts, now),
            next_id: 0,
            report: None,
            finished: None,
            ask_health,
            over: false,
            now,
        };
        if cfg.discover {
            check.ask(first, now);
        } else {
            let streaming = cfg
                .streaming
                .clone()
                .unwrap_or_else(|| cfg.instance.clone());
            let server = Server {
                streaming,
                source: ServerSource::Configured,
                version: None,
                dialect: cfg.dialect.clone().unwrap_or_default(),
            };
            check.health(server, now);
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

    fn ask(&mut self, step: Step, now: Instant) {
        let id = self.id();
        let c = &self.cfg;
        let path = Discoverer::path(&step);
        let accept = "application/json";
        self.current = OneShot::with_id(
            id,
            &c.instance,
            &path,
            accept,
            c.token.clone(),
            c.timeouts,
            now,
        );
        self.stage = Stage::Discover(step);
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
        self.stage = Stage::Health(server);
    }

    /// The current request finished with `result`.
    fn next(&mut self, result: Result<(), Error>, now: Instant) {
        let response = self.current.take_response();
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Discover(step) => {
                let answer = result.and_then(|()| {
                    response.ok_or_else(|| {
                        crate::ErrorKind::UnexpectedResponse("no response".into()).into()
                    })
                });
                match self.steps.next(step, answer) {
                    Next::Ask(step) => self.ask(step, now),
                    Next::Found(server) => self.health(server, now),
                }
            }
            Stage::Health(server) => {
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
            Stage::Done => {}
        }
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
