//! The registry: which streams the fleet follows, one KV entry per stream (key
//! `<instance>.<stream>`), watched by every worker so that changes apply without a restart.
//! Tokens are never stored: a registration names the environment variable each worker
//! reads its token from.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::error::FleetError;
use crate::names::{StreamKey, instance_token, stream_token};
use crate::nats::{Buckets, Nats, retry};
use crate::source::{SourceSpec, check_instance, check_stream};

/// One registered stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The instance URL as registered (`https://mastodon.social`).
    pub instance: String,
    /// The stream name as Mastodon spells it (`public:local`, `hashtag`, `list`, ...).
    pub stream: String,
    /// The tag of a `hashtag` / `hashtag:local` stream (without `#`, lower-case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The list id of a `list` stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// The environment variable holding the access token, read by each worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// When it was registered (Unix ms).
    #[serde(default)]
    pub added_at_ms: u64,
}

/// The host and port of an instance URL (a bare host means `https://`).
fn host_port(instance: &str) -> Result<(String, u16), FleetError> {
    let text = instance.trim();
    let url = if text.contains("://") {
        url::Url::parse(text)
    } else {
        url::Url::parse(&format!("https://{text}"))
    }
    .map_err(|e| FleetError::Registration(format!("instance {instance:?}: {e}")))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| FleetError::Registration(format!("instance {instance:?} has no host")))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FleetError::Registration(format!("instance {instance:?}: no port")))?;
    if !matches!(url.path(), "" | "/") {
        return Err(FleetError::Registration(format!(
            "instance {instance:?}: give the instance's base URL, without a path"
        )));
    }
    Ok((
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port,
    ))
}

impl Registration {
    /// A registration, checked: the instance URL, the stream name, and the tag or list id
    /// the stream takes (and only those).
    pub fn new(
        instance: &str,
        stream: &str,
        tag: Option<&str>,
        list: Option<&str>,
        token_env: Option<&str>,
    ) -> Result<Registration, FleetError> {
        check_instance(instance)
            .map_err(|e| FleetError::Registration(format!("instance {instance:?}: {e}")))?;
        host_port(instance)?;
        let tag = tag.map(|t| t.trim_start_matches('#').to_lowercase());
        let takes_tag = stream.starts_with("hashtag");
        let takes_list = stream == "list";
        if tag.is_some() && !takes_tag || list.is_some() && !takes_list {
            return Err(FleetError::Registration(format!(
                "stream {stream:?} takes no {}",
                if tag.is_some() { "--tag" } else { "--list" }
            )));
        }
        let param = tag.as_deref().or(list);
        check_stream(stream, param).map_err(FleetError::Registration)?;
        if let Some(var) = token_env
            && (var.is_empty() || var.contains('='))
        {
            return Err(FleetError::Registration(format!(
                "{var:?} is not an environment variable name"
            )));
        }
        Ok(Registration {
            instance: instance.trim().to_owned(),
            stream: stream.to_owned(),
            tag,
            list: list.map(str::to_owned),
            token_env: token_env.map(str::to_owned),
            added_at_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        })
    }

    /// The tag or list id.
    pub fn param(&self) -> Option<&str> {
        self.tag.as_deref().or(self.list.as_deref())
    }

    /// The registry and lease key.
    pub fn key(&self) -> Result<StreamKey, FleetError> {
        let (host, port) = host_port(&self.instance)?;
        Ok(StreamKey::new(
            instance_token(&host, port),
            stream_token(&self.stream, self.param()),
        ))
    }

    /// The stream as Mastodon names it in messages: `["hashtag","rust"]`, `["user"]`.
    pub fn stream_array(&self) -> Vec<String> {
        let mut v = vec![self.stream.clone()];
        v.extend(self.param().map(str::to_owned));
        v
    }

    /// What the source needs, with the token read from this process's environment.
    pub fn source_spec(&self) -> SourceSpec {
        let token = self.token_env.as_ref().and_then(|var| match std::env::var(var) {
            Ok(t) => Some(t),
            Err(_) => {
                tracing::warn!(instance = %self.instance, variable = %var, "token variable not set; connecting without a token");
                None
            }
        });
        SourceSpec {
            instance: self.instance.clone(),
            stream: self.stream.clone(),
            param: self.param().map(str::to_owned),
            token,
        }
    }
}

fn js_err(what: &'static str) -> impl Fn(String) -> FleetError {
    move |message| FleetError::JetStream { what, message }
}

/// Registers a stream (again: a registration is replaced). Returns its key.
pub async fn add(buckets: &Buckets, reg: &Registration) -> Result<StreamKey, FleetError> {
    let key = reg.key()?;
    let value = Bytes::from(serde_json::to_vec(reg).unwrap_or_default());
    retry("register", || async {
        buckets
            .registry
            .put(key.to_string(), value.clone())
            .await
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(js_err("registering"))?;
    Ok(key)
}

/// Removes a stream: its registration, lease and cursor, and raises a fence that no
/// lease passes, so that nothing its owner publishes afterwards is stored. Returns whether
/// it was registered.
pub async fn remove(
    nats: &Nats,
    buckets: &Buckets,
    names: &crate::names::Names,
    key: &StreamKey,
) -> Result<bool, FleetError> {
    let was = retry("registry read", || async {
        buckets
            .registry
            .get(key.to_string())
            .await
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(js_err("reading the registry"))?
    .is_some();
    // First the registration (no worker claims it afterwards: a claim checks it after
    // raising its fence), then the fence (no lease raised before passes it).
    let k = key.to_string();
    retry("unregister", || async {
        buckets.registry.purge(&k).await.map_err(|e| e.to_string())
    })
    .await
    .map_err(js_err("removing the registration"))?;
    retry("fence", || crate::fence::close(&nats.js, names, key))
        .await
        .map_err(js_err("closing the fence"))?;
    for sub in ["lease", "cursor"] {
        let lk = format!("{sub}.{key}");
        retry("lease purge", || async {
            buckets.leases.purge(&lk).await.map_err(|e| e.to_string())
        })
        .await
        .map_err(js_err("removing the lease"))?;
    }
    Ok(was)
}

/// Every registered stream, by key. Entries that do not decode are skipped.
pub async fn list(buckets: &Buckets) -> Result<Vec<(StreamKey, Registration)>, FleetError> {
    let keys: Vec<String> = retry("registry keys", || async {
        match buckets.registry.keys().await {
            Ok(k) => k.try_collect().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
    .map_err(js_err("listing the registry"))?;
    let mut out = Vec::new();
    for k in keys {
        let Some(key) = StreamKey::parse(&k) else {
            continue;
        };
        let value = retry("registry get", || async {
            buckets
                .registry
                .get(k.clone())
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(js_err("reading the registry"))?;
        if let Some(reg) = value.and_then(|v| serde_json::from_slice::<Registration>(&v).ok()) {
            out.push((key, reg));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_are_checked_and_keyed() {
        let r = Registration::new(
            "https://Mastodon.Social",
            "hashtag",
            Some("#Rust"),
            None,
            Some("TOKEN"),
        )
        .unwrap();
        assert_eq!(
            r.key().unwrap().to_string(),
            "mastodon_social_443.hashtag_rust"
        );
        assert_eq!(r.stream_array(), ["hashtag", "rust"]);
        let r =
            Registration::new("http://127.0.0.1:4000", "public:local", None, None, None).unwrap();
        assert_eq!(r.key().unwrap().to_string(), "127_0_0_1_4000.public-local");
        assert_eq!(r.stream_array(), ["public:local"]);
        let r = Registration::new("mastodon.example", "list", None, Some("42"), None).unwrap();
        assert_eq!(r.key().unwrap().to_string(), "mastodon_example_443.list_42");
        for (instance, stream, tag, list) in [
            ("https://m.example", "hashtag", None, None),
            ("https://m.example", "list", None, None),
            ("https://m.example", "user", Some("x"), None),
            ("https://m.example", "public", None, Some("1")),
            ("https://m.example", "nonsense", None, None),
            ("ftp://m.example", "user", None, None),
            ("https://m.example/path", "user", None, None),
        ] {
            assert!(
                Registration::new(instance, stream, tag, list, None).is_err(),
                "{instance} {stream}"
            );
        }
        assert!(Registration::new("https://m.example", "user", None, None, Some("A=B")).is_err());
    }
}
