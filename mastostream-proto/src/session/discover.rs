//! Discovery: before its first connection, a session asks the instance where it streams
//! from (`GET /api/v2/instance`, then `/api/v1/instance` for older servers), and falls back
//! to the instance URL itself when neither names a streaming URL (or names a plain-text one
//! for a TLS instance: the token would travel in clear text).

use super::Item;
use super::machine::{Session, State};
use super::recover::Purpose;
use super::rest::Response;
use crate::error::{Error, ErrorKind};
use crate::http::quoted;
use crate::instance::{Instance, UrlError};

/// Where a session streams from, and how it learnt that.
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

/// Which instance endpoint a discovery request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    V2,
    V1,
}

/// What discovery found, once it is over.
#[derive(Debug, Default)]
pub(super) struct Discovery {
    pub(super) server: Option<Server>,
}

impl Session {
    pub(super) fn start_discovery(&mut self) {
        self.set_state(State::Discovering);
        self.open_fetch(Purpose::Discover(Step::V2), "/api/v2/instance");
    }

    /// A discovery request finished.
    pub(super) fn discovered(&mut self, step: Step, result: Result<Response, Error>) {
        let tls = self.cfg.instance.is_tls();
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
        let server = match (step, found) {
            (Step::V2, Ok((Some(url), version))) => server(url, ServerSource::InstanceV2, version),
            (Step::V1, Ok((Some(url), version))) => server(url, ServerSource::InstanceV1, version),
            (Step::V2, _) => {
                return self.open_fetch(Purpose::Discover(Step::V1), "/api/v1/instance");
            }
            (Step::V1, Ok((None, version))) => {
                let why = "the instance names no streaming URL".to_owned();
                server(
                    self.cfg.instance.clone(),
                    ServerSource::Fallback(why),
                    version,
                )
            }
            (Step::V1, Err(e)) => server(
                self.cfg.instance.clone(),
                ServerSource::Fallback(e.to_string()),
                None,
            ),
        };
        if matches!(
            server.source,
            ServerSource::InstanceV2 | ServerSource::InstanceV1
        ) {
            self.cfg.streaming = Some(server.streaming.clone());
        }
        self.discovery.server = Some(server.clone());
        self.emit(Item::Discovered(server));
        self.connect();
    }
}

fn server(streaming: Instance, source: ServerSource, version: Option<String>) -> Server {
    Server {
        streaming,
        source,
        version,
    }
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
