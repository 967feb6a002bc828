//! Discovery documents: NodeInfo (`/.well-known/nodeinfo` and the 2.0 / 2.1 documents it
//! links) and `/api/v1/instance`, `/api/v2/instance`, with the software, version and
//! streaming URL as each server reports them.
//!
//! | dialect | NodeInfo documents | `software` | v1 `urls.streaming_api` | v2 |
//! |---|---|---|---|---|
//! | Mastodon 4 | `/nodeinfo/2.0` | `mastodon` `4.3.0` | yes | `configuration.urls.streaming` |
//! | Mastodon 3 | `/nodeinfo/2.0` | `mastodon` `3.5.3` | yes | none (`404`) |
//! | GoToSocial | `/nodeinfo/2.0`, `/nodeinfo/2.1` | `gotosocial` `0.20.0+git-57cb4fe` | yes | `configuration.urls.streaming` |
//! | Akkoma | `/nodeinfo/2.0.json`, `/nodeinfo/2.1.json` | `akkoma` `3.16.0` | yes | none (`404 Not implemented`) |
//! | Pleroma | `/nodeinfo/2.0.json`, `/nodeinfo/2.1.json` | `pleroma` `2.7.0` | yes | `configuration.urls.streaming` |
//! | Iceshrimp | `/nodeinfo/2.1`, `/nodeinfo/2.0` | `iceshrimp` `2026.5.1` | yes | none (`404`) |
//! | Iceshrimp.NET | `/nodeinfo/2.1`, `/nodeinfo/2.0` | `Iceshrimp.NET` `2024.1-beta4` | yes | `configuration.urls.streaming_api` |
//! | Sharkey | `/nodeinfo/2.1`, `/nodeinfo/2.0` | `sharkey` `2023.12.0.beta1` | yes | none (not read) |
//!
//! Sources: Mastodon `app/serializers/node_info/*.rb`, `rest/instance_serializer.rb`;
//! GoToSocial `internal/processing/fedi/wellknown.go`, `internal/typeutils/
//! internaltofrontend.go`; Akkoma/Pleroma `nodeinfo_controller.ex`, `instance_view.ex`,
//! `router.ex`; Iceshrimp `server/nodeinfo.ts`, `mastodon/endpoints/misc.ts`;
//! Iceshrimp.NET `NodeInfoController.cs`, `InstanceInfoV1Response.cs`,
//! `InstanceInfoV2Response.cs`; Sharkey `NodeinfoServerService.ts`, `endpoints/meta.ts`.
//! The documents hold the fields a client reads; the rest of each server's document is
//! left out.

use serde_json::{Value, json};

use super::Dialect;
use crate::conn::streaming_url;
use crate::http::{RecordedRequest, Reply, json_string};
use crate::server::Shared;

/// The NodeInfo schema URI of a version.
fn schema(version: &str) -> String {
    format!("http://nodeinfo.diaspora.software/ns/schema/{version}")
}

/// The NodeInfo document paths, in the order the discovery document lists them.
fn nodeinfo_paths(d: Dialect) -> &'static [(&'static str, &'static str)] {
    match d {
        Dialect::Mastodon4 | Dialect::Mastodon3 => &[("2.0", "/nodeinfo/2.0")],
        Dialect::GoToSocial => &[("2.0", "/nodeinfo/2.0"), ("2.1", "/nodeinfo/2.1")],
        Dialect::Akkoma | Dialect::Pleroma => {
            &[("2.0", "/nodeinfo/2.0.json"), ("2.1", "/nodeinfo/2.1.json")]
        }
        Dialect::Iceshrimp | Dialect::IceshrimpNet | Dialect::Sharkey => {
            &[("2.1", "/nodeinfo/2.1"), ("2.0", "/nodeinfo/2.0")]
        }
    }
}

/// The answer to a discovery request, if `req` is one.
pub(crate) fn answer(shared: &Shared, req: &RecordedRequest) -> Option<Vec<u8>> {
    let d = shared.opts.dialect;
    let base = shared.base_url(shared.main_addr);
    let doc = |v: Value| Some(Reply::json(200, "OK", &v.to_string()).encode());
    match req.path.as_str() {
        "/.well-known/nodeinfo" => {
            let links: Vec<Value> = nodeinfo_paths(d)
                .iter()
                .map(|(v, path)| json!({"rel": schema(v), "href": format!("{base}{path}")}))
                .collect();
            doc(json!({ "links": links }))
        }
        "/api/v1/instance" => doc(instance_v1(shared, d)),
        "/api/v2/instance" if !d.has_instance_v2() => Some(d.speaks().unknown_api(shared, req)),
        "/api/v2/instance" if d == Dialect::Mastodon4 => {
            // Today's document, kept as it was.
            let body = format!(
                "{{\"domain\":\"127.0.0.1\",\"title\":\"mastostream fake server\",\"version\":\"4.3.0\",\
                 \"description\":\"A fake Mastodon server for tests\",\"configuration\":{{\"urls\":{{\"streaming\":{}}}}}}}",
                json_string(&streaming_url(shared))
            );
            Some(Reply::json(200, "OK", &body).encode())
        }
        "/api/v2/instance" => {
            let key = if d == Dialect::IceshrimpNet {
                "streaming_api"
            } else {
                "streaming"
            };
            doc(json!({
                "domain": shared.main_addr.to_string(),
                "title": TITLE,
                "version": d.instance_version(),
                "description": DESCRIPTION,
                "configuration": { "urls": { key: streaming_url(shared) } },
            }))
        }
        path => {
            let (version, _) = nodeinfo_paths(d).iter().find(|(_, p)| *p == path)?;
            doc(nodeinfo(shared, d, version))
        }
    }
}

const TITLE: &str = "mastostream fake server";
const DESCRIPTION: &str = "A fake Mastodon server for tests";

/// A NodeInfo 2.0 or 2.1 document.
fn nodeinfo(shared: &Shared, d: Dialect, version: &str) -> Value {
    let name = shared.opts.software_name.as_deref();
    let name = name.unwrap_or(d.software_name());
    let mut software = json!({"name": name, "version": d.software_version()});
    if version == "2.1" {
        software["repository"] = json!(repository(d));
    }
    let posts = shared.lock().store.len(crate::store::Collection::Statuses);
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
            "localPosts": posts,
        },
        "openRegistrations": false,
        "metadata": {"nodeName": TITLE},
    })
}

/// The software's repository (NodeInfo 2.1).
fn repository(d: Dialect) -> &'static str {
    match d {
        Dialect::Mastodon4 | Dialect::Mastodon3 => "https://github.com/mastodon/mastodon",
        Dialect::GoToSocial => "https://codeberg.org/superseriousbusiness/gotosocial",
        Dialect::Akkoma => "https://akkoma.dev/AkkomaGang/akkoma",
        Dialect::Pleroma => "https://git.pleroma.social/pleroma/pleroma",
        Dialect::Iceshrimp => "https://iceshrimp.dev/iceshrimp/iceshrimp",
        Dialect::IceshrimpNet => "https://iceshrimp.dev/iceshrimp/Iceshrimp.NET",
        Dialect::Sharkey => "https://activitypub.software/TransFem-org/Sharkey",
    }
}

/// `/api/v1/instance`: the version and `urls.streaming_api` (Akkoma and Pleroma also list
/// `mastodon_api_streaming` among their features).
fn instance_v1(shared: &Shared, d: Dialect) -> Value {
    let mut v = json!({
        "uri": shared.main_addr.to_string(),
        "title": TITLE,
        "short_description": DESCRIPTION,
        "description": DESCRIPTION,
        "email": "",
        "version": d.instance_version(),
        "urls": {"streaming_api": streaming_url(shared)},
        "languages": ["en"],
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
    });
    if matches!(d, Dialect::Akkoma | Dialect::Pleroma) {
        v["pleroma"] = json!({
            "metadata": {"features": ["mastodon_api", "mastodon_api_streaming", "polls"]}
        });
    }
    v
}
