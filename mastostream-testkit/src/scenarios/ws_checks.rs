//! The WebSocket scenarios' checks, over everything a run observed.

use std::time::Duration;

use mastostream_proto::error::Timeout;
use mastostream_proto::session::{Item, Timeline, Timeouts};
use mastostream_proto::{Channel, Error, ErrorKind, Event};

use super::What;
use super::is_timeline;
use super::ws::WsReport;
use super::ws_list::{BIG_ID, TOKEN, public, rust};

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why()) }
}

/// A short label for an event: `update ID`, `delete ID`, `notification ID`, `malformed
/// NAME`, `unknown NAME`, or its kind.
fn label(e: &Event) -> String {
    match e {
        Event::Update(s) => format!("update {}", s.id),
        Event::StatusUpdate(s) => format!("status.update {}", s.id),
        Event::Delete(id) => format!("delete {id}"),
        Event::AnnouncementDelete(id) => format!("announcement.delete {id}"),
        Event::Notification(n) => format!("notification {}", n.id),
        Event::Malformed { name, .. } => format!("malformed {name}"),
        Event::Unknown { name, .. } => format!("unknown {name}"),
        e => e.kind().as_str().to_owned(),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl WsReport<'_> {
    fn items(&self) -> impl Iterator<Item = (Duration, &Item)> {
        self.seen.iter().filter_map(|s| match &s.what {
            What::Item(i) => Some((s.at, i)),
            _ => None,
        })
    }

    fn count(&self, f: impl Fn(&Item) -> bool) -> usize {
        self.items().filter(|(_, i)| f(i)).count()
    }

    /// The live events of one stream, as labels; checks every event's channel matches its
    /// stream.
    fn on(&self, stream: &[&str]) -> Result<Vec<String>, String> {
        let stream = strings(stream);
        let mut out = Vec::new();
        for (_, i) in self.items() {
            if let Item::Event(e) = i
                && !e.recovered
                && e.channel.as_ref().map(Channel::stream_array) == Some(stream.clone())
            {
                ensure(e.channel == Channel::from_stream(&stream), || {
                    format!("{stream:?} tagged as {:?}", e.channel)
                })?;
                out.push(label(&e.event));
            }
        }
        Ok(out)
    }

    /// `(id, recovered)` of the entities of one timeline, in delivery order: live ones from
    /// `stream` of `kind` (`update`, `notification`), recovered ones attributed to a timeline
    /// by the `CaughtUp` that follows them.
    fn timeline(&self, stream: &[&str], timeline: &Timeline, kind: &str) -> Vec<(u64, bool)> {
        let stream = strings(stream);
        let items: Vec<&Item> = self.items().map(|(_, i)| i).collect();
        let mut owner = vec![None; items.len()];
        let mut pending = Vec::new();
        for (n, i) in items.iter().enumerate() {
            match i {
                Item::Event(e) if e.recovered => pending.push(n),
                Item::CaughtUp { timeline: t, .. } => {
                    for p in pending.drain(..) {
                        owner[p] = Some(t.clone());
                    }
                }
                _ => {}
            }
        }
        let id = |e: &Event| {
            let l = label(e);
            let (k, id) = l.split_once(' ')?;
            (k == kind).then(|| id.parse::<u64>().ok()).flatten()
        };
        let mut out = Vec::new();
        for (n, i) in items.iter().enumerate() {
            let (event, recovered) = match i {
                Item::Event(e)
                    if !e.recovered
                        && e.channel.as_ref().map(Channel::stream_array)
                            == Some(stream.clone()) =>
                {
                    (&e.event, false)
                }
                Item::Event(e) if e.recovered && owner[n].as_ref() == Some(timeline) => {
                    (&e.event, true)
                }
                _ => continue,
            };
            if let Some(id) = id(event) {
                out.push((id, recovered));
            }
        }
        out
    }

    fn end(&self) -> Option<&Result<(), Error>> {
        self.seen.iter().rev().find_map(|s| match &s.what {
            What::End(r) => Some(r),
            _ => None,
        })
    }

    fn clean_end(&self) -> Result<(), String> {
        ensure(matches!(self.end(), Some(Ok(()))), || {
            format!("expected a clean close, got {:?}", self.end())
        })
    }

    fn upgrades(&self) -> usize {
        self.requests.iter().filter(|r| r.is_stream()).count()
    }

    fn disconnects(&self) -> Vec<(Duration, &Error)> {
        self.items()
            .filter_map(|(at, i)| match i {
                Item::Disconnected { error } => Some((at, error)),
                _ => None,
            })
            .collect()
    }

    fn reconnects(&self) -> Vec<(Duration, Duration, &Error)> {
        self.items()
            .filter_map(|(at, i)| match i {
                Item::Reconnecting { delay, error, .. } => Some((at, *delay, error)),
                _ => None,
            })
            .collect()
    }

    fn connected_at(&self) -> Vec<Duration> {
        self.items()
            .filter(|(_, i)| matches!(i, Item::Connected { .. }))
            .map(|(at, _)| at)
            .collect()
    }

    /// The subscribe and unsubscribe messages connection `n` (0-based) received.
    fn sent(&self, n: usize) -> Vec<&str> {
        self.connections
            .get(n)
            .map(|c| c.messages.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The token went in `Authorization` on every upgrade and REST request, never in a URL.
    fn token_safe(&self) -> Result<(), String> {
        for r in &self.requests {
            ensure(
                !r.target.contains(TOKEN) && r.param("access_token").is_none(),
                || format!("token in the URL: {}", r.target),
            )?;
            if r.is_stream() || is_timeline(&r.path) {
                let want = format!("Bearer {TOKEN}");
                ensure(r.header("authorization") == Some(want.as_str()), || {
                    format!("no bearer token on {}", r.target)
                })?;
            }
        }
        Ok(())
    }

    fn no_recovery_and_one_connection(&self) -> Result<(), String> {
        ensure(self.count(Item::is_recovered) == 0, || {
            "nothing should be recovered".into()
        })?;
        ensure(
            self.connected_at().len() == 1 && self.disconnects().is_empty(),
            || "one connection, no disconnect".into(),
        )
    }
}

fn sub(channel: &Channel) -> String {
    mastostream_proto::ws::subscribe(channel)
}

pub(super) fn check_multiplexed(r: &WsReport<'_>) -> Result<(), String> {
    let [u1, u2] = r.updates else {
        return Err("two updates".into());
    };
    let n1 = r.notifications[0];
    let statuses = vec![
        format!("update {u1}"),
        format!("update {u2}"),
        format!("delete {u2}"),
    ];
    let mut user = statuses.clone();
    user.insert(2, format!("notification {n1}"));
    for (stream, want) in [
        (&["user"][..], user),
        (&["public"][..], statuses.clone()),
        (&["hashtag", "rust"][..], statuses),
    ] {
        let got = r.on(stream)?;
        ensure(got == want, || {
            format!("{stream:?}: {got:?}, want {want:?}")
        })?;
    }
    r.no_recovery_and_one_connection()?;
    let sent = r.sent(0);
    ensure(
        sent == [sub(&Channel::User), sub(&public()), sub(&rust())],
        || format!("subscriptions sent {sent:?}"),
    )?;
    ensure(
        r.requests.iter().all(|q| q.streaming_port == q.is_stream()),
        || "the WebSocket goes to the streaming host, REST to the instance".into(),
    )?;
    r.token_safe()?;
    r.clean_end()
}

pub(super) fn check_payloads(r: &WsReport<'_>) -> Result<(), String> {
    let [s1, s2] = r.targeted else {
        return Err("two targeted statuses".into());
    };
    let public = r.on(&["public"])?;
    let want = [
        format!("update {s1}"),
        format!("delete {BIG_ID}"),
        "malformed update".into(),
        "delete 1".into(),
    ];
    ensure(public == want, || {
        format!("public: {public:?}, want {want:?}")
    })?;
    let user = r.on(&["user"])?;
    let want = [
        format!("status.update {s2}"),
        "notifications_merged".into(),
        "announcement.delete 4711".into(),
        "unknown made.up".into(),
    ];
    ensure(user == want, || format!("user: {user:?}, want {want:?}"))?;
    // "not json" is no Mastodon message: malformed, with no stream, and costs only itself.
    let orphan = r.items().any(|(_, i)| {
        matches!(i, Item::Event(e) if e.channel.is_none() && matches!(e.event, Event::Malformed { .. }))
    });
    ensure(orphan, || "the raw message must be malformed".into())?;
    r.no_recovery_and_one_connection()?;
    r.clean_end()
}

pub(super) fn check_refused(r: &WsReport<'_>) -> Result<(), String> {
    let errors: Vec<(Option<&Channel>, Option<u16>, &str)> = r
        .items()
        .filter_map(|(_, i)| match i {
            Item::StreamError {
                channel,
                status,
                error,
                ..
            } => Some((channel.as_ref(), *status, error.as_str())),
            _ => None,
        })
        .collect();
    let empty_tag = Channel::Hashtag {
        tag: String::new(),
        local: false,
    };
    let list = Channel::list("42");
    let want = [
        (Some(&list), Some(401), "Not authorized to stream this list"),
        (Some(&empty_tag), Some(400), "Missing tag name parameter"),
    ];
    ensure(errors == want, || {
        format!("errors {errors:?}, want {want:?}")
    })?;
    let d = r.disconnects();
    ensure(d.len() == 1, || format!("only the planned drop: {d:?}"))?;
    // The refused streams are not asked for again after the reconnect.
    let second = r.sent(1);
    ensure(second == [sub(&public())], || {
        format!("resubscribed {second:?}")
    })?;
    let got = r.timeline(&["public"], &Timeline::for_channel(&public())[0], "update");
    let want: Vec<(u64, bool)> = r.updates.iter().map(|u| (*u, false)).collect();
    ensure(got == want, || format!("public {got:?}, want {want:?}"))?;
    r.clean_end()
}

pub(super) fn check_pings(r: &WsReport<'_>) -> Result<(), String> {
    let d = r.disconnects();
    let Some((at, e)) = d.first() else {
        return Err("no disconnect".into());
    };
    ensure(
        matches!(e.kind(), ErrorKind::Timeout(Timeout::Idle(_))),
        || format!("expected an idle timeout, got {e}"),
    )?;
    // Pings after 60, 120 and 180 s each kept it alive for 90 s more.
    let idle = Timeouts::default().ws_idle;
    let pings = r.pings;
    ensure(
        pings.len() == 3 && pings[2] >= Duration::from_secs(180),
        || format!("pings at {pings:?}"),
    )?;
    let last_ping = pings[2];
    ensure(
        *at >= last_ping + idle && *at < last_ping + idle + Duration::from_secs(2),
        || format!("disconnected at {at:?}, want 90 s after the last ping at {last_ping:?}"),
    )?;
    ensure(r.sent(1) == [sub(&public())], || {
        format!("resubscribed {:?}", r.sent(1))
    })?;
    let got = r.on(&["public"])?;
    ensure(got == [format!("update {}", r.updates[0])], || {
        format!("after the reconnect: {got:?}")
    })?;
    r.clean_end()
}

pub(super) fn check_drop(r: &WsReport<'_>) -> Result<(), String> {
    let flags = [false, false, true, true, false];
    let updates: Vec<(u64, bool)> = r.updates.iter().copied().zip(flags).collect();
    let notifications: Vec<(u64, bool)> =
        r.notifications.iter().copied().zip([false, true]).collect();
    let tag = Timeline::for_channel(&rust()).remove(0);
    for (stream, timeline, kind, want) in [
        (&["user"][..], Timeline::Home, "update", &updates),
        (
            &["user"][..],
            Timeline::Notifications,
            "notification",
            &notifications,
        ),
        (&["hashtag", "rust"][..], tag.clone(), "update", &updates),
    ] {
        let got = r.timeline(stream, &timeline, kind);
        ensure(got == *want, || {
            format!("{timeline}: (id, recovered) {got:?}, want {want:?}")
        })?;
    }
    let caught: Vec<(String, usize)> = r
        .items()
        .filter_map(|(_, i)| match i {
            Item::CaughtUp {
                timeline,
                recovered,
            } => Some((timeline.to_string(), *recovered)),
            _ => None,
        })
        .collect();
    let want = [
        (Timeline::Home.to_string(), 2),
        (Timeline::Notifications.to_string(), 1),
        (tag.to_string(), 2),
    ];
    ensure(caught == want, || format!("caught up {caught:?}"))?;
    ensure(r.count(|i| matches!(i, Item::Gap(_))) == 0, || {
        "no gap".into()
    })?;
    let (first, second) = (r.sent(0), r.sent(1));
    ensure(
        first == [sub(&Channel::User), sub(&rust())] && second == first,
        || format!("subscribed {first:?}, then {second:?}"),
    )?;
    // Each timeline pages up from the last id it saw.
    let last = r.updates[1].to_string();
    for path in ["/api/v1/timelines/home", "/api/v1/timelines/tag/rust"] {
        let from = r
            .requests
            .iter()
            .find(|q| q.path == path && q.param("min_id").is_some())
            .and_then(|q| q.param("min_id"));
        ensure(from == Some(last.as_str()), || {
            format!("{path} caught up from {from:?}, want {last}")
        })?;
    }
    r.token_safe()?;
    r.clean_end()
}

pub(super) fn check_runtime(r: &WsReport<'_>) -> Result<(), String> {
    let [u1, u2] = r.updates else {
        return Err("two updates".into());
    };
    let public_got = r.on(&["public"])?;
    ensure(public_got == [format!("update {u1}")], || {
        format!("public (unsubscribed before the second update): {public_got:?}")
    })?;
    let tag = r.on(&["hashtag", "rust"])?;
    ensure(
        tag == [format!("update {u1}"), format!("update {u2}")],
        || format!("hashtag: {tag:?}"),
    )?;
    let first = r.sent(0);
    let want = [
        sub(&public()),
        sub(&rust()),
        mastostream_proto::ws::unsubscribe(&public()),
    ];
    ensure(first == want, || format!("sent {first:?}, want {want:?}"))?;
    ensure(r.sent(1) == [sub(&rust())], || {
        format!("resubscribed {:?}", r.sent(1))
    })?;
    // The new subscription's timeline was anchored for catch-up.
    ensure(
        r.requests
            .iter()
            .any(|q| q.path == "/api/v1/timelines/tag/rust"),
        || "anchor the new subscription's timeline".into(),
    )?;
    r.clean_end()
}

fn fatal_401(r: &WsReport<'_>) -> Result<(), String> {
    let Some(Err(e)) = r.end() else {
        return Err(format!("expected a fatal error, got {:?}", r.end()));
    };
    ensure(e.status() == Some(401), || {
        format!("status {:?}", e.status())
    })?;
    ensure(e.server_message() == Some("Invalid access token"), || {
        format!("message {:?}", e.server_message())
    })?;
    let shown = format!("{e} {e:?}");
    ensure(
        !shown.contains(TOKEN) && !shown.contains("wrong-token"),
        || format!("token leaked: {shown}"),
    )
}

pub(super) fn check_expired(r: &WsReport<'_>) -> Result<(), String> {
    fatal_401(r)?;
    ensure(r.upgrades() == 2, || {
        format!("{} upgrades: a 401 must not be retried", r.upgrades())
    })?;
    ensure(r.reconnects().len() == 1, || "one reconnect".into())?;
    r.token_safe()
}

pub(super) fn check_unauthorized(r: &WsReport<'_>) -> Result<(), String> {
    fatal_401(r)?;
    ensure(
        r.upgrades() == 1 && r.connected_at().is_empty() && r.reconnects().is_empty(),
        || "no connection, no retry".into(),
    )
}

pub(super) fn check_unavailable(r: &WsReport<'_>) -> Result<(), String> {
    let retries = r.reconnects();
    let Some(&(at, delay, e)) = retries.first() else {
        return Err("no reconnect".into());
    };
    ensure(
        e.status() == Some(503) && delay >= Duration::from_secs(3),
        || format!("{e}, delay {delay:?}: Retry-After 3 s must be honoured"),
    )?;
    let connected = r.connected_at();
    ensure(
        connected.len() == 1 && connected[0] >= at + Duration::from_secs(3),
        || format!("connected at {connected:?}, asked to wait at {at:?}"),
    )?;
    ensure(
        r.on(&["public"])? == [format!("update {}", r.updates[0])],
        || "the update arrives".into(),
    )?;
    r.clean_end()
}

pub(super) fn check_intact(r: &WsReport<'_>) -> Result<(), String> {
    let [u1, u2] = r.updates else {
        return Err("two updates".into());
    };
    let got = r.on(&["user"])?;
    let want = [
        format!("update {u1}"),
        format!("update {u2}"),
        format!("notification {}", r.notifications[0]),
        format!("delete {u2}"),
    ];
    ensure(got == want, || format!("user: {got:?}, want {want:?}"))?;
    r.no_recovery_and_one_connection()?;
    r.clean_end()
}
