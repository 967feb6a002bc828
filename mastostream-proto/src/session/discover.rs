//! Discovery: before its first connection, a session asks the instance what it runs
//! (NodeInfo: `/.well-known/nodeinfo`, then the 2.1 or 2.0 document it links to, on the
//! same origin) and where it streams from (`GET /api/v2/instance`, then `/api/v1/instance`
//! for older servers), falling back to the instance URL itself when neither names a
//! streaming URL. What it learns decides the dialect ([`crate::dialect`]): the transport,
//! where the token goes, how streams are chosen. A plain-text streaming URL named by a TLS
//! instance is refused (the token would travel in clear text).

use super::machine::{Session, State};

use super::recover::Purpose;
use super::rest::Response;
use super::{Item, StreamTransport};
use crate::dialect::{Dialect, Software};
use crate::error::{Error, ErrorKind};
use crate::http::quoted;
use crate::instance::{Instance, UrlError};

/// Where a session streams from, what it talks to, and how it learnt that.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Server {
    /// The streaming base URL (`https://streaming.mastodon.social`).
    pub streaming: Instance,
    /// How it was found.
    pub source: ServerSource,
    /// The `version` the instance reported, if it was asked (`4.3.2`; other software
    /// writes its own, such as `2.7.2 (compatible; Pleroma 2.5.0)`).
    pub version: Option<String>,
    /// The software and its dialect (from NodeInfo, else the instance's `version`, else
    /// taken as Mastodon).
    pub dialect: Dialect,
}

/// How a session found its streaming URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerSource {
    /// Given in the configuration.
    Configured,
    /// `configuration.urls.streaming` in `GET /api/v2/instance`.
    InstanceV2,
    /// `urls.streaming_api` in `GET /api/v1/instance` (servers before Mastodon 4.0).
    InstanceV1,
    /// Neither named one (or could not be asked): the instance URL itself, with the reason.
    Fallback(String),
}

/// Which request a discovery step makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// `/.well-known/nodeinfo`.
    NodeInfo,
    /// The NodeInfo document it links to (a request target on the instance's origin).
    NodeInfoDocument(String),
    V2,
    V1,
}

/// The discovery steps as a small state machine of their own, shared by [`Session`] and
/// [`HealthCheck`](super::HealthCheck): which request comes next, and what the answers
/// add up to.
#[derive(Debug, Clone)]
pub(super) struct Discoverer {
    instance: Instance,
    /// A streaming URL given in the configuration.
    streaming: Option<Instance>,
    /// The software NodeInfo named (or the configuration gave), with its version.
    nodeinfo: Option<(Software, Option<String>)>,
}

/// What a discovery step leads to.
#[derive(Debug)]
pub(super) enum Next {
    /// Another request.
    Ask(Step),
    /// Discovery is over.
    Found(Server),
}

impl Discoverer {
    /// Discovery for `cfg`: NodeInfo unless its dialect is given, the instance endpoints
    /// unless its streaming URL is given.
    pub(super) fn new(cfg: &super::SessionConfig) -> Discoverer {
        Discoverer {
            instance: cfg.instance.clone(),
            streaming: cfg.streaming.clone(),
            nodeinfo: cfg.dialect.clone().map(|d| (d.software, d.version)),
        }
    }

    /// The first request.
    pub(super) fn first(&self) -> Step {
        if self.nodeinfo.is_some() {
            Step::V2
        } else {
            Step::NodeInfo
        }
    }

    /// The request target of a step, on the instance.
    pub(super) fn path(step: &Step) -> String {
        match step {
            Step::NodeInfo => "/.well-known/nodeinfo".to_owned(),
            Step::NodeInfoDocument(target) => target.clone(),
            Step::V2 => "/api/v2/instance".to_owned(),
            Step::V1 => "/api/v1/instance".to_owned(),
        }
    }

    /// A step's answer (or failure): the next step, or what was found.
    pub(super) fn next(&mut self, step: Step, result: Result<Response, Error>) -> Next {
        match step {
            Step::NodeInfo => {
                let link = result.ok().and_then(|r| nodeinfo_link(&r, &self.instance));
                return match link {
                    Some(target) => Next::Ask(Step::NodeInfoDocument(target)),
                    None => self.after_nodeinfo(),
                };
            }
            Step::NodeInfoDocument(_) => {
                self.nodeinfo = result.ok().and_then(|r| nodeinfo_software(&r));
                return self.after_nodeinfo();
            }
            _ => {}
        }
        let tls = self.instance.is_tls();
        let found = result.and_then(|r| {
            let version = instance_version(&r);
            let url = parse_streaming_url(&r)?;
            // The token goes to the streaming server: never in clear text when the instance
            // itself is reached over TLS.
            if url.as_ref().is_some_and(|u| tls && !u.is_tls()) {
                return Err(ErrorKind::Url(UrlError::Downgrade).into());
            }
            Ok((url, version))
        });
        let (streaming, source, version) = match (&step, found) {
            (Step::V2, Ok((Some(url), v))) => (url, ServerSource::InstanceV2, v),
            (_, Ok((Some(url), v))) => (url, ServerSource::InstanceV1, v),
            (Step::V2, _) => return Next::Ask(Step::V1),
            (_, Ok((None, v))) => {
                let why = "the instance names no streaming URL".to_owned();
                (self.instance.clone(), ServerSource::Fallback(why), v)
            }
            (_, Err(e)) => (
                self.instance.clone(),
                ServerSource::Fallback(e.to_string()),
                None,
            ),
        };
        Next::Found(self.server(streaming, source, version))
    }

    /// NodeInfo is done: the instance endpoints, unless the streaming URL is given.
    fn after_nodeinfo(&mut self) -> Next {
        match self.streaming.clone() {
            Some(s) => Next::Found(self.server(s, ServerSource::Configured, None)),
            None => Next::Ask(Step::V2),
        }
    }

    /// What was found: the dialect from NodeInfo, else the instance's version, else
    /// Mastodon.
    fn server(
        &mut self,
        streaming: Instance,
        source: ServerSource,
        version: Option<String>,
    ) -> Server {
        let dialect = match self.nodeinfo.take() {
            Some((software, v)) => Dialect::new(software, v.or_else(|| version.clone())),
            None => {
                let software = version
                    .as_deref()
                    .map_or(Software::Mastodon, Software::from_instance_version);
                Dialect::new(software, version.clone())
            }
        };
        Server {
            streaming,
            source,
            version,
            dialect,
        }
    }
}

/// What discovery found, and how the transport was chosen since.
#[derive(Debug, Default)]
pub(super) struct Discovery {
    pub(super) server: Option<Server>,
    pub(super) steps: Option<Discoverer>,
    /// The dialect in force.
    pub(super) dialect: Dialect,
    /// The transports the session fell back from after a refusal (it falls back once).
    pub(super) fell_back: Vec<StreamTransport>,
}

impl Session {
    pub(super) fn start_discovery(&mut self) {
        self.set_state(State::Discovering);
        let d = Discoverer::new(&self.cfg);
        let first = d.first();
        self.discovery.steps = Some(d);
        self.open_fetch(Purpose::Discover(first.clone()), &Discoverer::path(&first));
    }

    /// A discovery request finished.
    pub(super) fn discovered(&mut self, step: Step, result: Result<Response, Error>) {
        let Some(d) = &mut self.discovery.steps else {
            return;
        };
        match d.next(step, result) {
            Next::Ask(step) => {
                let path = Discoverer::path(&step);
                self.open_fetch(Purpose::Discover(step), &path);
            }
            Next::Found(server) => {
                self.discovery.steps = None;
                if matches!(
                    server.source,
                    ServerSource::InstanceV2 | ServerSource::InstanceV1
                ) {
                    self.cfg.streaming = Some(server.streaming.clone());
                }
                self.discovery.dialect = server.dialect.clone();
                self.discovery.server = Some(server.clone());
                self.emit(Item::Discovered(server));
                self.begin();
            }
        }
    }

    /// Discovery is over (or was not wanted): choose the transport the dialect calls for,
    /// and connect.
    pub(super) fn begin(&mut self) {
        let dialect = self.discovery.dialect.clone();
        if !dialect.has_mastodon_streaming() {
            let e = ErrorKind::Unsupported(format!(
                "{} has no Mastodon streaming API",
                dialect.software
            ));
            return self.finish(Err(e.into()));
        }
        if self.cfg.choose_transport
            && self.cfg.transport == StreamTransport::Sse
            && !dialect.has_sse()
        {
            let why = format!("{} offers only the WebSocket transport", dialect.software);
            self.switch_transport(StreamTransport::WebSocket, why);
        }
        self.connect();
    }

    /// Moves the session to `transport` (before its next connection), saying why.
    pub(super) fn switch_transport(&mut self, transport: StreamTransport, reason: String) {
        if self.cfg.transport == transport {
            return;
        }
        self.cfg.transport = transport;
        self.emit(Item::TransportChosen { transport, reason });
    }
}

/// The same-origin request target of the newest NodeInfo document a
/// `/.well-known/nodeinfo` response links to (2.1, else 2.0).
fn nodeinfo_link(r: &Response, instance: &Instance) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Links {
        links: Vec<Link>,
    }
    #[derive(serde::Deserialize)]
    struct Link {
        rel: String,
        href: String,
    }
    if r.head.status() != 200 {
        return None;
    }
    let links: Links = serde_json::from_slice(&r.body).ok()?;
    let href = ["2.1", "2.0"].iter().find_map(|v| {
        let rel = format!("http://nodeinfo.diaspora.software/ns/schema/{v}");
        links.links.iter().find(|l| l.rel == rel).map(|l| &l.href)
    })?;
    let (next, target) = instance.resolve("/.well-known/nodeinfo", href).ok()?;
    next.same_origin(instance).then_some(target)
}

/// `software.name` and `software.version` of a NodeInfo document.
fn nodeinfo_software(r: &Response) -> Option<(Software, Option<String>)> {
    #[derive(serde::Deserialize)]
    struct Doc {
        software: Sw,
    }
    #[derive(serde::Deserialize)]
    struct Sw {
        name: String,
        #[serde(default)]
        version: Option<String>,
    }
    if r.head.status() != 200 {
        return None;
    }
    let doc: Doc = serde_json::from_slice(&r.body).ok()?;
    Some((
        Software::from_nodeinfo(&doc.software.name),
        doc.software.version.map(|v| quoted(&v)),
    ))
}

/// The `version` member of an instance response (bounded, escaped).
fn instance_version(response: &Response) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Info {
        version: Option<String>,
    }
    let info: Info = serde_json::from_slice(&response.body).ok()?;
    info.version.map(|v| quoted(&v))
}

/// The streaming base URL from a `/api/v2/instance` response
/// (`configuration.urls.streaming`, a `wss://` URL), or from a v1 response
/// (`urls.streaming_api`). `Ok(None)` when the server names none (use the instance itself).
pub fn parse_streaming_url(response: &Response) -> Result<Option<Instance>, Error> {
    if !(200..300).contains(&response.head.status()) {
        return Err(ErrorKind::Status {
            head: response.head.clone(),
            message: crate::http::server_message(&response.head, &response.body),
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
        .or_else(|| info.pointer("/configuration/urls/streaming_api"))
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
    use crate::http::{ResponseHead, Token};
    use crate::session::SessionConfig;
    use crate::testing::Sim;
    use bytes::Bytes;
    use std::time::Duration;

    /// Found by `session_ops`: an `https` instance naming a `ws://` streaming server made
    /// the session send the token there in clear text. Such an answer is refused like an
    /// unreadable one: v1 is asked, then the instance itself is used.
    #[test]
    fn a_plain_text_streaming_server_for_a_tls_instance_is_refused() {
        let instance = Instance::parse("https://m.example").unwrap();
        let mut cfg = SessionConfig::new(instance, crate::Channel::User).token(Token::new("t"));
        cfg.discover = true;
        cfg.dialect = Some(Dialect::default()); // no NodeInfo request
        cfg.catch_up.enabled = false;
        let mut sim = Sim::new(cfg);
        for (path, body) in [
            (
                "/api/v2/instance",
                r#"{"configuration":{"urls":{"streaming":"ws://m.example"}}}"#,
            ),
            (
                "/api/v1/instance",
                r#"{"urls":{"streaming_api":"ws://m.example:4000"}}"#,
            ),
        ] {
            let id = sim.until_connect(path, Duration::ZERO);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            sim.data(id, response);
        }
        let Some(Item::Discovered(server)) = sim.items.first() else {
            panic!("{:?}", sim.items)
        };
        assert!(matches!(&server.source, ServerSource::Fallback(why) if why.contains("downgrade")));
        assert_eq!(server.streaming.to_string(), "https://m.example");
        sim.until_connect("/api/v1/streaming/user", Duration::ZERO);
        assert!(sim.connects.iter().all(|(_, t, _)| t.tls && t.port == 443));
    }

    fn response(status: u16, body: &'static str) -> Response {
        Response {
            head: ResponseHead::new(status, "", Vec::new()),
            body: Bytes::from_static(body.as_bytes()),
        }
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
        let v = response(200, r#"{"version":"2.7.2 (compatible; Pleroma 2.5.0)"}"#);
        assert_eq!(
            instance_version(&v).as_deref(),
            Some("2.7.2 (compatible; Pleroma 2.5.0)")
        );
    }
}
