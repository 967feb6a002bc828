//! Where a server is: parsing instance URLs, building targets, resolving redirects.

use std::fmt;

use url::Url;

/// A network endpoint to connect to: what an adapter needs to open a transport.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Host name or IP address to connect to (IPv6 without brackets). Also the TLS server
    /// name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to speak TLS (`https`/`wss`).
    pub tls: bool,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Why an instance URL was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not a URL at all.
    #[error("not a valid URL: {0}")]
    Invalid(String),
    /// A scheme other than `https`, `http`, `wss` or `ws`.
    #[error("unsupported URL scheme {0:?} (use https:// or http://)")]
    Scheme(String),
    /// The URL has no host.
    #[error("URL has no host")]
    NoHost,
    /// User names and passwords in URLs would leak into logs; use a token.
    #[error("URL must not contain a user name or password")]
    Credentials,
    /// A redirect from `https` to plain `http` would expose the token and the stream.
    #[error("a downgrade from https to http")]
    Downgrade,
}

/// A Mastodon server's base URL: TLS or not (from the scheme), host, port, and an optional
/// path prefix for servers mounted below `/`.
///
/// `wss://` and `ws://` (as `/api/v2/instance` reports streaming URLs) are accepted and mean
/// TLS or not, as `https://` and `http://` do.
///
/// ```
/// use mastostream_proto::session::Instance;
/// let i = Instance::parse("https://mastodon.social").unwrap();
/// assert_eq!(i.host_header(), "mastodon.social");
/// assert_eq!(i.target().port, 443);
/// assert_eq!(i.request_target("/api/v1/streaming/user"), "/api/v1/streaming/user");
///
/// let local = Instance::parse("http://127.0.0.1:4000/masto/").unwrap();
/// assert_eq!(local.host_header(), "127.0.0.1:4000");
/// assert!(!local.target().tls);
/// assert_eq!(local.request_target("/api/v1/streaming/user"), "/masto/api/v1/streaming/user");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    tls: bool,
    /// As in the `Host` header: IPv6 in brackets, IDNs in punycode.
    host: String,
    port: u16,
    /// The path prefix, without a trailing slash (empty for `/`).
    prefix: String,
}

impl Instance {
    /// Parses a base URL such as `https://mastodon.social` or `http://127.0.0.1:4000`. A
    /// URL without a scheme is taken as `https://`.
    pub fn parse(url: &str) -> Result<Instance, UrlError> {
        let url = url.trim();
        let parsed = if url.contains("://") {
            Url::parse(url)
        } else {
            Url::parse(&format!("https://{url}"))
        }
        .map_err(|e| UrlError::Invalid(e.to_string()))?;
        Instance::from_url(&parsed)
    }

    fn from_url(url: &Url) -> Result<Instance, UrlError> {
        let tls = match url.scheme() {
            "https" | "wss" => true,
            "http" | "ws" => false,
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(UrlError::NoHost)?;
        let port = url.port().unwrap_or(if tls { 443 } else { 80 });
        Ok(Instance {
            tls,
            host: host.to_owned(),
            port,
            prefix: url.path().trim_end_matches('/').to_owned(),
        })
    }

    /// Where to connect.
    pub fn target(&self) -> Target {
        Target {
            host: self
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: self.port,
            tls: self.tls,
        }
    }

    /// Whether the scheme is `https`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The `Host` header: the host, with the port when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The request target for an API path (`/api/...`), below the instance's prefix.
    pub fn request_target(&self, path_and_query: &str) -> String {
        format!("{}{}", self.prefix, path_and_query)
    }

    /// The absolute URL of an API path, for display (never carries a token).
    pub fn url_for(&self, path_and_query: &str) -> String {
        format!("{self}{path_and_query}")
    }

    /// Resolves a `Location` (or `Link`) URL against the request target it answered:
    /// returns the instance to connect to and the new request target. Refuses a downgrade
    /// from TLS to plain text.
    pub fn resolve(
        &self,
        base_target: &str,
        location: &str,
    ) -> Result<(Instance, String), UrlError> {
        let base = Url::parse(&self.absolute(base_target))
            .map_err(|e| UrlError::Invalid(e.to_string()))?;
        let url = base
            .join(location.trim())
            .map_err(|e| UrlError::Invalid(e.to_string()))?;
        let mut next = Instance::from_url(&url)?;
        if self.tls && !next.tls {
            return Err(UrlError::Downgrade);
        }
        next.prefix.clear();
        let mut target = url.path().to_owned();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        Ok((next, target))
    }

    /// The absolute URL of a request target (already below the prefix), for display.
    pub(crate) fn absolute(&self, target: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{target}", self.host_header())
    }

    /// Whether `other` is the same origin (scheme, host, port).
    pub fn same_origin(&self, other: &Instance) -> bool {
        self.tls == other.tls
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.host_header(), self.prefix)
    }
}

impl std::str::FromStr for Instance {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Instance::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let i = Instance::parse("mastodon.social").unwrap();
        assert_eq!(i.to_string(), "https://mastodon.social");
        let i = Instance::parse("https://example.org:8443/").unwrap();
        assert_eq!(i.host_header(), "example.org:8443");
        assert_eq!(
            i.target(),
            Target {
                host: "example.org".into(),
                port: 8443,
                tls: true
            }
        );
        let i = Instance::parse("wss://streaming.example.org").unwrap();
        assert!(i.is_tls());
        let i = Instance::parse("http://[::1]:4000").unwrap();
        assert_eq!(i.target().host, "::1");
        assert_eq!(i.host_header(), "[::1]:4000");
        let i = Instance::parse("https://mastodon.café").unwrap();
        assert_eq!(i.host_header(), "mastodon.xn--caf-dma");
        let i = Instance::parse("http://localhost:80/social").unwrap();
        assert_eq!(i.host_header(), "localhost");
        assert_eq!(
            i.request_target("/api/v1/streaming/user"),
            "/social/api/v1/streaming/user"
        );
    }

    #[test]
    fn refuses_bad_urls() {
        assert!(matches!(
            Instance::parse("ftp://x.org"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(
            Instance::parse("https://u:p@x.org"),
            Err(UrlError::Credentials)
        ));
        assert!(matches!(
            Instance::parse("https://"),
            Err(UrlError::Invalid(_))
        ));
        assert!(matches!(
            Instance::parse("http://[::1"),
            Err(UrlError::Invalid(_))
        ));
    }

    #[test]
    fn resolves_redirects() {
        let i = Instance::parse("https://mastodon.example").unwrap();
        let (next, target) = i
            .resolve(
                "/api/v1/streaming/user",
                "https://streaming.mastodon.example/api/v1/streaming/user?x=1",
            )
            .unwrap();
        assert_eq!(next.host_header(), "streaming.mastodon.example");
        assert_eq!(target, "/api/v1/streaming/user?x=1");
        let (next, target) = i.resolve("/api/v1/streaming/user", "/other").unwrap();
        assert!(next.same_origin(&i));
        assert_eq!(target, "/other");
        assert_eq!(
            i.resolve("/api/v1/streaming/user", "http://mastodon.example/x"),
            Err(UrlError::Downgrade)
        );
    }
}
