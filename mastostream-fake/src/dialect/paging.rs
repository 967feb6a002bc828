//! REST pagination as each server pages its timelines, notifications and conversations:
//! limits, how `min_id`, `since_id` and `max_id` combine, page order and `Link` headers.
//!
//! | dialect | limit (default / max) | `min_id` + `since_id` | `min_id` page order | `Link` |
//! |---|---|---|---|---|
//! | Mastodon 4 | 20/40, notifications 20/80 | `min_id` wins | newest first | both, other parameters kept (not `limit`) |
//! | Mastodon 3 | 20/40, notifications 15/30 | `min_id` wins | newest first | as 4 |
//! | GoToSocial | 20/40, notifications 20/80, conversations 40/80; `0` = default; not a number: `400` | `min_id` wins | newest first | both, `limit` always, keys sorted |
//! | Akkoma, Pleroma | 20/40 everywhere (notifications too); `0` lists nothing | both apply | newest first | both, every other parameter kept, keys sorted |
//! | Iceshrimp JS | 20/40, notifications 40/80 | `500` | newest first | `next` only after a full page; only `limit` and the id |
//! | Iceshrimp.NET | 20/40, notifications 40/80; below 1: `400` | `400` | **oldest first** | as Iceshrimp JS |
//! | Sharkey | as Mastodon 4 (its megalodon layer was not read) | | | |
//!
//! Sources: Mastodon `app/models/concerns/paginable.rb`, documentation
//! `methods/notifications.md` (15/30 before 4.1); GoToSocial `internal/paging/*.go`,
//! `internal/api/util/parsequery.go` (`ParseLimit`), the handlers' limits; Akkoma/Pleroma
//! `lib/pleroma/pagination.ex`, `controller_helper.ex` (`add_link_headers/3`); Iceshrimp
//! `mastodon/helpers/pagination.ts`, `middleware/pagination.ts`; Iceshrimp.NET
//! `QueryableExtensions.Paginate`, `LinkPaginationAttribute` (oldest-first `min_id` pages are
//! inferred from both: the query orders ascending and nothing reverses the page). Which
//! parameters GoToSocial and Akkoma keep in `Link` is inferred.
//!
//! Ids in parameters are compared as the server compares its ids ([`IdFormat::cmp`]):
//! numbers on Mastodon, strings elsewhere.

use std::cmp::Ordering;

use super::Dialect;
use super::ids::IdFormat;
use crate::http::{RecordedRequest, Reply};
use crate::route::Filter;
use crate::server::{Shared, State};
use crate::store::{Collection, NO_BOUND, Page, page_body};

/// The pagination parameters.
const CURSORS: [&str; 3] = ["min_id", "since_id", "max_id"];

/// A page of `collection` for `req`, as the dialect answers it (the body and its `Link`),
/// or the dialect's refusal of the parameters.
pub(crate) fn answer(
    shared: &Shared,
    st: &mut State,
    req: &RecordedRequest,
    collection: Collection,
    filter: &Filter,
) -> Result<Reply, Reply> {
    let d = shared.opts.dialect;
    let ids = match collection {
        Collection::Notifications => d.counter_ids(),
        _ => d.status_ids(),
    };
    let (default, max) = limits(d, collection);
    let limit = limit(d, req.param("limit"), default, max)?;
    let (min, since, max_id) = (
        req.param("min_id"),
        req.param("since_id"),
        req.param("max_id"),
    );
    if min.is_some() && since.is_some() {
        match d {
            Dialect::Iceshrimp => {
                let m = "Can't user both sinceId and minId params";
                return Err(Reply::error(500, "Internal Server Error", m));
            }
            Dialect::IceshrimpNet => {
                let m = "Can't use sinceId and minId params simultaneously";
                return Err(Reply::error(400, "Bad Request", m));
            }
            _ => {}
        }
    }
    let keys = match ids {
        IdFormat::Decimal => Vec::new(),
        _ => st.store.keys(collection),
    };
    let bound = |id: Option<&str>, above: bool| id.and_then(|id| key_bound(ids, &keys, id, above));
    let (min_key, since_key) = (bound(min, true), bound(since, true));
    let lower = match d {
        Dialect::Akkoma | Dialect::Pleroma => min_key.max(since_key),
        _ => min_key.or(since_key),
    };
    let page = Page {
        lower: lower.unwrap_or(0),
        upper: bound(max_id, false).unwrap_or(NO_BOUND),
        from_lower: min_key.is_some(),
        limit,
    };
    let State { store, lists, .. } = st;
    let mut items = store.page(collection, page, |facts| filter.keeps(facts, lists));
    if d == Dialect::IceshrimpNet && min_key.is_some() {
        items.reverse();
    }
    let mut reply = Reply::json(200, "OK", &page_body(&items));
    let newest = items.iter().map(|(k, _)| *k).max();
    let oldest = items.iter().map(|(k, _)| *k).min();
    if let (Some(newest), Some(oldest)) = (newest, oldest) {
        let base = format!("{}{}", shared.base_url(shared.main_addr), req.path);
        let ends = [ids.render(oldest), ids.render(newest)];
        let link = link(d, req, &base, &ends, items.len() >= limit, limit);
        reply = reply.with_header("Link", &link);
    }
    Ok(reply)
}

/// The `(default, max)` limits of a collection.
fn limits(d: Dialect, c: Collection) -> (usize, usize) {
    match (d, c) {
        (Dialect::Akkoma | Dialect::Pleroma, _) => (20, 40),
        (Dialect::Mastodon3, Collection::Notifications) => (15, 30),
        (Dialect::Iceshrimp | Dialect::IceshrimpNet, Collection::Notifications) => (40, 80),
        (Dialect::GoToSocial, Collection::Conversations) => (40, 80),
        (_, Collection::Notifications) => (20, 80),
        _ => (20, 40),
    }
}

/// The `limit` parameter as the dialect reads it.
fn limit(d: Dialect, raw: Option<&str>, default: usize, max: usize) -> Result<usize, Reply> {
    let n = raw.map(str::parse::<i64>);
    let max_n = max as i64;
    Ok(match (d, n) {
        (Dialect::GoToSocial, None | Some(Ok(0))) => default,
        (Dialect::GoToSocial, Some(Err(_))) => {
            let m = "Bad Request: bad integer limit value";
            return Err(Reply::error(400, "Bad Request", m));
        }
        (Dialect::GoToSocial, Some(Ok(n))) => n.clamp(1, max_n) as usize,
        (Dialect::IceshrimpNet, Some(Ok(n))) if n < 1 => {
            return Err(Reply::error(
                400,
                "Bad Request",
                "Limit cannot be less than 1",
            ));
        }
        (Dialect::Akkoma | Dialect::Pleroma, Some(Ok(n))) => n.clamp(0, max_n) as usize,
        (_, Some(Ok(n))) if n >= 0 => n.clamp(1, max_n) as usize,
        _ => default,
    })
}

/// The key bound an id parameter makes: with `above`, the lowest key whose id is above
/// `id` (an inclusive lower bound); else the lowest key whose id is not below it (an
/// exclusive upper bound). `None`: the parameter is ignored (not a number on Mastodon).
fn key_bound(ids: IdFormat, keys: &[u64], id: &str, above: bool) -> Option<u128> {
    if ids == IdFormat::Decimal {
        let n = u128::from(id.parse::<u64>().ok()?);
        return Some(if above { n + 1 } else { n });
    }
    let past = |k: &u64| match ids.cmp(&ids.render(*k), id) {
        Ordering::Less => true,
        Ordering::Equal => above,
        Ordering::Greater => false,
    };
    let i = keys.partition_point(past);
    Some(keys.get(i).map_or(NO_BOUND, |k| u128::from(*k)))
}

/// The `Link` header of a non-empty page whose oldest and newest ids are `ends`.
fn link(
    d: Dialect,
    req: &RecordedRequest,
    base: &str,
    ends: &[String; 2],
    full: bool,
    limit: usize,
) -> String {
    let mut keep: Vec<(String, String)> = match d {
        Dialect::Iceshrimp | Dialect::IceshrimpNet => vec![("limit".into(), limit.to_string())],
        _ => req
            .query
            .iter()
            .filter(|(k, _)| !CURSORS.contains(&k.as_str()))
            .filter(|(k, _)| k != "limit" || matches!(d, Dialect::Akkoma | Dialect::Pleroma))
            .cloned()
            .collect(),
    };
    if d == Dialect::GoToSocial {
        keep.push(("limit".into(), limit.to_string()));
    }
    let sorted = matches!(d, Dialect::GoToSocial | Dialect::Akkoma | Dialect::Pleroma);
    let url = |cursor: &str, id: &str| {
        let mut q: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        q.push((cursor, id));
        if sorted {
            q.sort_by_key(|(k, _)| *k);
        }
        let q: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("<{base}?{}>", q.join("&"))
    };
    let prev = format!("{}; rel=\"prev\"", url("min_id", &ends[1]));
    let next_only_when_full = matches!(d, Dialect::Iceshrimp | Dialect::IceshrimpNet);
    if next_only_when_full && !full {
        return prev;
    }
    format!("{}; rel=\"next\", {prev}", url("max_id", &ends[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(target: &str) -> RecordedRequest {
        crate::http::parse_request(&format!("GET {target} HTTP/1.1"), false, false).unwrap()
    }

    #[test]
    fn links_as_each_server_writes_them() {
        let ends = ["5".to_owned(), "9".to_owned()];
        let r = req("/api/v1/timelines/public?local=true&limit=3&min_id=1");
        let base = "http://h/api/v1/timelines/public";
        assert_eq!(
            link(Dialect::Mastodon4, &r, base, &ends, true, 3),
            "<http://h/api/v1/timelines/public?local=true&max_id=5>; rel=\"next\", \
             <http://h/api/v1/timelines/public?local=true&min_id=9>; rel=\"prev\""
        );
        assert_eq!(
            link(Dialect::GoToSocial, &r, base, &ends, true, 3),
            "<http://h/api/v1/timelines/public?limit=3&local=true&max_id=5>; rel=\"next\", \
             <http://h/api/v1/timelines/public?limit=3&local=true&min_id=9>; rel=\"prev\""
        );
        assert_eq!(
            link(Dialect::Akkoma, &r, base, &ends, true, 3),
            "<http://h/api/v1/timelines/public?limit=3&local=true&max_id=5>; rel=\"next\", \
             <http://h/api/v1/timelines/public?limit=3&local=true&min_id=9>; rel=\"prev\""
        );
        assert_eq!(
            link(Dialect::Iceshrimp, &r, base, &ends, false, 3),
            "<http://h/api/v1/timelines/public?limit=3&min_id=9>; rel=\"prev\""
        );
        assert_eq!(
            link(Dialect::IceshrimpNet, &r, base, &ends, true, 3),
            "<http://h/api/v1/timelines/public?limit=3&max_id=5>; rel=\"next\", \
             <http://h/api/v1/timelines/public?limit=3&min_id=9>; rel=\"prev\""
        );
    }

    #[test]
    fn limits_as_each_server_reads_them() {
        assert_eq!(limit(Dialect::Mastodon4, Some("x"), 20, 40).unwrap(), 20);
        assert_eq!(limit(Dialect::Mastodon4, Some("0"), 20, 40).unwrap(), 1);
        assert_eq!(limit(Dialect::Mastodon4, Some("99"), 20, 40).unwrap(), 40);
        assert_eq!(limit(Dialect::GoToSocial, Some("0"), 20, 40).unwrap(), 20);
        assert_eq!(
            limit(Dialect::GoToSocial, Some("x"), 20, 40)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            limit(Dialect::IceshrimpNet, Some("0"), 20, 40)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(limit(Dialect::Akkoma, Some("0"), 20, 40).unwrap(), 0);
        assert_eq!(limits(Dialect::Akkoma, Collection::Notifications), (20, 40));
        assert_eq!(
            limits(Dialect::Mastodon3, Collection::Notifications),
            (15, 30)
        );
    }

    #[test]
    fn ids_become_key_bounds_by_the_servers_order() {
        let keys = [10u64 << 16, 20 << 16, 30 << 16];
        let ulid = IdFormat::Ulid;
        let id = ulid.render(20 << 16);
        assert_eq!(key_bound(ulid, &keys, &id, true), Some(30 << 16));
        assert_eq!(key_bound(ulid, &keys, &id, false), Some(20 << 16));
        assert_eq!(key_bound(ulid, &keys, "", true), Some(10 << 16));
        assert_eq!(key_bound(ulid, &keys, "ZZZZ", true), Some(NO_BOUND));
        assert_eq!(key_bound(IdFormat::Decimal, &[], "7", true), Some(8));
        assert_eq!(key_bound(IdFormat::Decimal, &[], "x", true), None);
    }
}
