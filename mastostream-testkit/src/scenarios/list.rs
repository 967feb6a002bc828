//! The scenarios and their checks.

use std::time::Duration;

use mastostream_proto::error::Timeout;
use mastostream_proto::session::{Item, StreamEvent, Timeline, Timeouts};
use mastostream_proto::{Channel, DecodeError, Error, ErrorKind, Event};

use super::{Op, Pub, Report, Scenario, Step, What, is_timeline};
use crate::fake::{Cut, Inject, Plan, Reply, StreamPlan};

const TOKEN: &str = "test-token-9f8e7d";

fn base(
    name: &'static str,
    steps: Vec<Step>,
    check: fn(&Report<'_>) -> Result<(), String>,
) -> Scenario {
    Scenario {
        name,
        op: Op::Stream,
        channel: Channel::User,
        server_token: Some(TOKEN),
        client_token: Some(TOKEN),
        separate_streaming: false,
        plans: Vec::new(),
        steps,
        check,
    }
}

fn stream(plan: StreamPlan) -> Vec<Plan> {
    vec![Plan::Stream(plan)]
}

/// Every scenario, in a fixed order.
pub fn all() -> Vec<Scenario> {
    use Pub::*;
    use Step::*;
    let idle = Timeouts::default().idle + Duration::from_secs(1);
    let head = Timeouts::default().head + Duration::from_secs(1);
    vec![
        base(
            "normal stream",
            vec![
                Connected(1),
                Publish(vec![
                    Updates(3),
                    Notifications(2),
                    Heartbeat,
                    Delete,
                    Updates(2),
                ]),
                Received(8),
            ],
            check_normal,
        ),
        Scenario {
            plans: stream(StreamPlan {
                cut: Some((3, Cut::DropMidEvent)),
                ..StreamPlan::default()
            }),
            ..base(
                "drop mid-event, then catch-up",
                vec![
                    Connected(1),
                    RestRequests(2),
                    Publish(vec![Updates(5)]),
                    Received(3),
                    Disconnected(1),
                    Publish(vec![Updates(2), Notifications(1)]),
                    Reconnect,
                    Connected(2),
                    Received(8),
                    CaughtUp(2),
                    Publish(vec![Updates(2)]),
                    Received(10),
                ],
                check_drop,
            )
        },
        Scenario {
            plans: stream(StreamPlan {
                cut: Some((2, Cut::Stall)),
                ..StreamPlan::default()
            }),
            ..base(
                "stall past the idle timeout",
                vec![
                    Connected(1),
                    RestRequests(2),
                    Publish(vec![Updates(3)]),
                    Received(2),
                    Advance(idle),
                    Disconnected(1),
                    Reconnect,
                    Connected(2),
                    Received(3),
                    CaughtUp(2),
                    Publish(vec![Updates(1)]),
                    Received(4),
                ],
                check_stall,
            )
        },
        Scenario {
            client_token: Some("wrong-token-1a2b3c"),
            ..base(
                "401 is fatal with the server's message",
                vec![End],
                check_unauthorized,
            )
        },
        Scenario {
            channel: Channel::Hashtag {
                tag: String::new(),
                local: false,
            },
            ..base(
                "400 unknown stream parameters are fatal",
                vec![End],
                check_bad_request,
            )
        },
        Scenario {
            plans: vec![Plan::Reply(Reply::too_many_requests(7))],
            ..base(
                "429 with Retry-After is honoured",
                vec![
                    Reconnect,
                    Connected(1),
                    Publish(vec![Updates(1)]),
                    Received(1),
                ],
                check_rate_limited,
            )
        },
        Scenario {
            plans: vec![
                Plan::Reply(Reply::unavailable(Some(2))),
                Plan::Reply(Reply::internal_error()),
                Plan::Reply(Reply::bad_gateway_html()),
            ],
            ..base(
                "503, 500 and nginx's 502 reconnect",
                vec![
                    Reconnect,
                    Reconnect,
                    Reconnect,
                    Connected(1),
                    Publish(vec![Updates(1)]),
                    Received(1),
                ],
                check_server_errors,
            )
        },
        Scenario {
            plans: vec![Plan::Silent],
            ..base(
                "no response head: head timeout, reconnect",
                vec![
                    StreamRequests(1),
                    Advance(head),
                    Reconnect,
                    Connected(1),
                    Publish(vec![Updates(1)]),
                    Received(1),
                ],
                check_head_timeout,
            )
        },
        Scenario {
            plans: stream(StreamPlan {
                byte_at_a_time: true,
                ..StreamPlan::default()
            }),
            ..base(
                "one byte at a time",
                vec![
                    Connected(1),
                    Publish(vec![Updates(2), Notifications(1), Delete, Heartbeat]),
                    Received(4),
                ],
                check_intact,
            )
        },
        Scenario {
            plans: stream(StreamPlan {
                prelude: vec![Inject::Body(GARBAGE.to_vec())],
                ..StreamPlan::default()
            }),
            ..base(
                "garbage events cost only themselves",
                vec![
                    Connected(1),
                    Malformed(3),
                    Publish(vec![Updates(2)]),
                    Received(2),
                ],
                check_garbage,
            )
        },
        Scenario {
            plans: stream(StreamPlan {
                prelude: vec![Inject::Raw(b"zz\r\nnot a chunk\r\n".to_vec())],
                ..StreamPlan::default()
            }),
            ..base(
                "broken chunked framing reconnects",
                vec![
                    Connected(1),
                    Reconnect,
                    Connected(2),
                    Publish(vec![Updates(1)]),
                    Received(1),
                ],
                check_broken_framing,
            )
        },
        Scenario {
            plans: stream(StreamPlan {
                prelude: vec![Inject::EndlessLine(3 << 20)],
                ..StreamPlan::default()
            }),
            ..base(
                "endless line: skipped, stream goes on",
                vec![
                    Connected(1),
                    Malformed(1),
                    Publish(vec![Updates(2)]),
                    Received(2),
                ],
                check_endless_line,
            )
        },
        base(
            "server restart: reconnect and catch up",
            vec![
                Connected(1),
                RestRequests(2),
                Publish(vec![Updates(2)]),
                Received(2),
                Restart,
                Disconnected(1),
                Publish(vec![Updates(2)]),
                Reconnect,
                Connected(2),
                Received(4),
                CaughtUp(2),
                Publish(vec![Updates(1)]),
                Received(5),
            ],
            check_restart,
        ),
        Scenario {
            plans: stream(StreamPlan {
                cut: Some((1, Cut::End)),
                ..StreamPlan::default()
            }),
            ..base(
                "clean end of body: reconnect and catch up",
                vec![
                    Connected(1),
                    RestRequests(2),
                    Publish(vec![Updates(2)]),
                    Received(1),
                    Reconnect,
                    Connected(2),
                    Received(2),
                ],
                check_clean_end,
            )
        },
        Scenario {
            op: Op::Health,
            ..base("health check", vec![End], check_health)
        },
        Scenario {
            op: Op::Discover,
            separate_streaming: true,
            ..base(
                "instance streaming-URL discovery",
                vec![End],
                check_discover,
            )
        },
        Scenario {
            separate_streaming: true,
            ..base(
                "stream on the discovered streaming host",
                vec![Connected(1), Publish(vec![Updates(1)]), Received(1)],
                check_discovered_stream,
            )
        },
    ]
}

/// SSE-level garbage: junk lines, a comment with invalid UTF-8, and three events whose
/// payloads do not decode (bad JSON, a bad id, invalid UTF-8).
const GARBAGE: &[u8] = b"\xff\xfe\x00junk without a colon\n:comment \xff\n\n\
event: update\ndata: {\"id\":\n\n\
event: delete\ndata: 12ab-!\n\n\
event: update\ndata: \xc3\x28\n\n";

// ---- checks -------------------------------------------------------------------------

/// `(id, recovered)` pairs in delivery order.
type Delivered = Vec<(u64, bool)>;

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why()) }
}

impl Report<'_> {
    fn items(&self) -> impl Iterator<Item = (Duration, &Item)> {
        self.seen.iter().filter_map(|s| match &s.what {
            What::Item(i) => Some((s.at, i)),
            _ => None,
        })
    }

    fn count(&self, f: impl Fn(&Item) -> bool) -> usize {
        self.items().filter(|(_, i)| f(i)).count()
    }

    /// `(id, recovered)` of every `update` and `notification` delivered, in order.
    fn delivered(&self) -> (Delivered, Delivered) {
        let (mut statuses, mut notifications) = (Vec::new(), Vec::new());
        for (_, item) in self.items() {
            let (event, recovered) = match item {
                Item::Event(e) => (&e.event, e.recovered),
                _ => continue,
            };
            match event {
                Event::Update(s) => statuses.push((s.id.as_str().parse().unwrap_or(0), recovered)),
                Event::Notification(n) => {
                    notifications.push((n.id.as_str().parse().unwrap_or(0), recovered));
                }
                _ => {}
            }
        }
        (statuses, notifications)
    }

    /// Every published status and notification arrived exactly once, in order; returns
    /// which were recovered.
    fn exactly_once(&self) -> Result<(Vec<bool>, Vec<bool>), String> {
        let (s, n) = self.delivered();
        let ids = |v: &[(u64, bool)]| v.iter().map(|x| x.0).collect::<Vec<_>>();
        ensure(ids(&s) == self.updates, || {
            format!(
                "statuses delivered {:?}, published {:?}",
                ids(&s),
                self.updates
            )
        })?;
        ensure(ids(&n) == self.notifications, || {
            format!(
                "notifications delivered {:?}, published {:?}",
                ids(&n),
                self.notifications
            )
        })?;
        Ok((
            s.iter().map(|x| x.1).collect(),
            n.iter().map(|x| x.1).collect(),
        ))
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

    fn stream_requests(&self) -> usize {
        self.requests.iter().filter(|r| r.is_stream()).count()
    }

    /// The token is in `Authorization` on every stream and REST request, never in a URL.
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

    fn reconnect_errors(&self) -> Vec<(Duration, Duration, &Error)> {
        self.items()
            .filter_map(|(at, i)| match i {
                Item::Reconnecting { delay, error, .. } => Some((at, *delay, error)),
                _ => None,
            })
            .collect()
    }

    fn disconnect_errors(&self) -> Vec<&Error> {
        self.items()
            .filter_map(|(_, i)| match i {
                Item::Disconnected { error } => Some(error),
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

    fn gaps(&self) -> usize {
        self.count(|i| matches!(i, Item::Gap(_)))
    }

    fn caught_up(&self, timeline: &Timeline) -> Option<usize> {
        self.items().find_map(|(_, i)| match i {
            Item::CaughtUp {
                timeline: t,
                recovered,
            } if t == timeline => Some(*recovered),
            _ => None,
        })
    }
}

fn all_live(flags: &[bool]) -> bool {
    flags.iter().all(|r| !r)
}

fn check_normal(r: &Report<'_>) -> Result<(), String> {
    let (s, n) = r.exactly_once()?;
    ensure(all_live(&s) && all_live(&n), || {
        "nothing should be recovered".into()
    })?;
    let deleted = r.items().find_map(|(_, i)| match i {
        Item::Event(e) => match &e.event {
            Event::Delete(id) => Some(id.as_str().to_owned()),
            _ => None,
        },
        _ => None,
    });
    ensure(deleted == Some(r.updates[2].to_string()), || {
        format!("delete of {deleted:?}")
    })?;
    let beats = r.count(|i| matches!(i.event(), Some(Event::Heartbeat(_))));
    ensure(beats >= 2, || {
        format!("{beats} heartbeats (`:)` and `:thump` expected)")
    })?;
    ensure(
        r.connected_at().len() == 1 && r.disconnect_errors().is_empty(),
        || "one connection, no disconnect".into(),
    )?;
    r.token_safe()?;
    r.clean_end()
}

fn check_drop(r: &Report<'_>) -> Result<(), String> {
    let (s, n) = r.exactly_once()?;
    let want = [false, false, false, true, true, true, true, false, false];
    ensure(s == want, || {
        format!("recovered flags {s:?}, want {want:?}")
    })?;
    ensure(n == [true], || {
        format!("notification recovered flags {n:?}")
    })?;
    ensure(r.caught_up(&Timeline::Home) == Some(4), || {
        "home caught up with 4".into()
    })?;
    ensure(r.caught_up(&Timeline::Notifications) == Some(1), || {
        "notifications caught up with 1".into()
    })?;
    ensure(r.gaps() == 0, || "no gap".into())?;
    let catch_up = r
        .requests
        .iter()
        .find(|q| q.path == "/api/v1/timelines/home" && q.param("min_id").is_some());
    ensure(
        catch_up.and_then(|q| q.param("min_id")) == Some(r.updates[2].to_string().as_str()),
        || format!("catch-up must page up from the last id seen: {catch_up:?}"),
    )?;
    r.token_safe()?;
    r.clean_end()
}

fn check_stall(r: &Report<'_>) -> Result<(), String> {
    let (s, _) = r.exactly_once()?;
    ensure(s == [false, false, true, false], || {
        format!("recovered flags {s:?}")
    })?;
    let d = r.disconnect_errors();
    ensure(
        matches!(
            d.first().map(|e| e.kind()),
            Some(ErrorKind::Timeout(Timeout::Idle(_)))
        ),
        || format!("expected an idle timeout, got {d:?}"),
    )?;
    let last_live = r
        .items()
        .filter(|(_, i)| !i.is_recovered() && matches!(i.event(), Some(Event::Update(_))))
        .map(|(at, _)| at)
        .nth(1)
        .unwrap_or_default();
    let dropped = r
        .items()
        .find(|(_, i)| matches!(i, Item::Disconnected { .. }))
        .map(|(at, _)| at)
        .unwrap_or_default();
    ensure(dropped >= last_live + Timeouts::default().idle, || {
        format!(
            "disconnected at {dropped:?}, only {:?} after the last data",
            dropped - last_live
        )
    })?;
    r.clean_end()
}

fn check_unauthorized(r: &Report<'_>) -> Result<(), String> {
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
    ensure(!shown.contains("wrong-token"), || {
        format!("token leaked: {shown}")
    })?;
    ensure(r.stream_requests() == 1, || {
        "a 401 must not be retried".into()
    })?;
    ensure(
        r.connected_at().is_empty() && r.reconnect_errors().is_empty(),
        || "no connection, no retry".into(),
    )
}

fn check_bad_request(r: &Report<'_>) -> Result<(), String> {
    let Some(Err(e)) = r.end() else {
        return Err(format!("expected a fatal error, got {:?}", r.end()));
    };
    ensure(
        e.status() == Some(400) && e.server_message() == Some("Missing tag name parameter"),
        || format!("got {e}"),
    )?;
    ensure(r.stream_requests() == 1, || {
        "a 400 must not be retried".into()
    })
}

fn check_rate_limited(r: &Report<'_>) -> Result<(), String> {
    let retries = r.reconnect_errors();
    let Some(&(at, delay, e)) = retries.first() else {
        return Err("no reconnect".into());
    };
    ensure(
        e.status() == Some(429) && delay >= Duration::from_secs(7),
        || format!("{e}, delay {delay:?}: Retry-After 7 s must be honoured"),
    )?;
    let connected = r.connected_at();
    ensure(
        connected
            .first()
            .is_some_and(|c| *c >= at + Duration::from_secs(7)),
        || format!("reconnected at {connected:?}, asked at {at:?}"),
    )?;
    r.exactly_once()?;
    ensure(r.stream_requests() == 2, || "one retry".into())?;
    r.clean_end()
}

fn check_server_errors(r: &Report<'_>) -> Result<(), String> {
    let retries = r.reconnect_errors();
    let statuses: Vec<_> = retries.iter().map(|(_, _, e)| e.status()).collect();
    ensure(statuses == [Some(503), Some(500), Some(502)], || {
        format!("{statuses:?}")
    })?;
    ensure(retries[0].1 >= Duration::from_secs(2), || {
        "503 Retry-After 2 s honoured".into()
    })?;
    ensure(r.connected_at().len() == 1, || "connected once".into())?;
    r.exactly_once()?;
    r.clean_end()
}

fn check_head_timeout(r: &Report<'_>) -> Result<(), String> {
    let retries = r.reconnect_errors();
    ensure(
        matches!(
            retries.first().map(|x| x.2.kind()),
            Some(ErrorKind::Timeout(Timeout::Head(_)))
        ),
        || format!("expected a head timeout, got {retries:?}"),
    )?;
    r.exactly_once()?;
    ensure(r.stream_requests() == 2, || "one retry".into())?;
    r.clean_end()
}

fn check_intact(r: &Report<'_>) -> Result<(), String> {
    let (s, n) = r.exactly_once()?;
    ensure(all_live(&s) && all_live(&n), || "nothing recovered".into())?;
    ensure(
        r.count(|i| i.event().is_some_and(Event::is_malformed)) == 0,
        || "no malformed event".into(),
    )?;
    ensure(r.disconnect_errors().is_empty(), || "no disconnect".into())?;
    r.clean_end()
}

fn check_garbage(r: &Report<'_>) -> Result<(), String> {
    let malformed: Vec<String> = r
        .items()
        .filter_map(|(_, i)| match i {
            Item::Event(e) => match &e.event {
                Event::Malformed { name, .. } => Some(name.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    ensure(malformed == ["update", "delete", "update"], || {
        format!("malformed {malformed:?}")
    })?;
    ensure(r.disconnect_errors().is_empty(), || {
        "garbage events must not drop the stream".into()
    })?;
    r.exactly_once()?;
    r.clean_end()
}

fn check_broken_framing(r: &Report<'_>) -> Result<(), String> {
    let d = r.disconnect_errors();
    ensure(
        matches!(d.first().map(|e| e.kind()), Some(ErrorKind::Chunked(_))),
        || format!("expected a chunked framing error, got {d:?}"),
    )?;
    r.exactly_once()?;
    r.clean_end()
}

fn check_endless_line(r: &Report<'_>) -> Result<(), String> {
    let skipped = r.items().any(|(_, i)| {
        matches!(
            i,
            Item::Event(StreamEvent {
                event: Event::Malformed {
                    error: DecodeError::LineTooLong { .. } | DecodeError::EventTooLarge { .. },
                    ..
                },
                ..
            })
        )
    });
    ensure(skipped, || {
        "the endless line must be skipped as too long".into()
    })?;
    ensure(r.disconnect_errors().is_empty(), || {
        "the stream goes on".into()
    })?;
    r.exactly_once()?;
    r.clean_end()
}

fn check_restart(r: &Report<'_>) -> Result<(), String> {
    let (s, _) = r.exactly_once()?;
    ensure(s == [false, false, true, true, false], || {
        format!("recovered flags {s:?}")
    })?;
    ensure(r.connected_at().len() == 2, || "reconnected once".into())?;
    r.token_safe()?;
    r.clean_end()
}

fn check_clean_end(r: &Report<'_>) -> Result<(), String> {
    let d = r.disconnect_errors();
    ensure(
        matches!(d.first().map(|e| e.kind()), Some(ErrorKind::Closed)),
        || format!("expected a clean end, got {d:?}"),
    )?;
    let (s, _) = r.exactly_once()?;
    ensure(s == [false, true], || format!("recovered flags {s:?}"))?;
    r.clean_end()
}

fn check_health(r: &Report<'_>) -> Result<(), String> {
    let health = r.seen.iter().find_map(|s| match &s.what {
        What::Health(h) => Some(h),
        _ => None,
    });
    ensure(matches!(health, Some(Ok(true))), || {
        format!("health {health:?}")
    })?;
    ensure(
        r.requests
            .iter()
            .any(|q| q.path == "/api/v1/streaming/health"),
        || "GET /api/v1/streaming/health".into(),
    )
}

fn check_discover(r: &Report<'_>) -> Result<(), String> {
    let found = r.seen.iter().find_map(|s| match &s.what {
        What::Discovered(d) => Some(d),
        _ => None,
    });
    let want = r.streaming_url.replacen("ws", "http", 1);
    ensure(
        matches!(found, Some(Ok(Some(url))) if url.trim_end_matches('/') == want),
        || format!("discovered {found:?}, want {want}"),
    )
}

fn check_discovered_stream(r: &Report<'_>) -> Result<(), String> {
    let first_stream = r.requests.iter().position(|q| q.is_stream());
    let v2 = r.requests.iter().position(|q| q.path == "/api/v2/instance");
    ensure(
        r.requests
            .first()
            .is_some_and(|q| q.path == "/.well-known/nodeinfo")
            && v2.is_some()
            && v2 < first_stream,
        || "discovery (NodeInfo, then the instance) comes first".into(),
    )?;
    ensure(
        r.requests
            .iter()
            .filter(|q| q.is_stream())
            .all(|q| q.streaming_port),
        || "streams go to the streaming host".into(),
    )?;
    ensure(
        r.requests
            .iter()
            .filter(|q| is_timeline(&q.path))
            .all(|q| !q.streaming_port),
        || "REST stays on the instance".into(),
    )?;
    r.exactly_once()?;
    r.token_safe()?;
    r.clean_end()
}
