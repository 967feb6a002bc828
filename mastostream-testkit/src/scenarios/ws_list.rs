//! The WebSocket scenarios and their checks.

use std::time::Duration;

use mastostream_proto::session::Timeouts;
use mastostream_proto::{Channel, PublicScope};

use super::Pub;
use super::ws::{Payload, WsReport, WsScenario, WsStep};
use super::ws_checks::*;
use crate::fake::{self, Plan, Reply, StreamPlan};

pub(super) const TOKEN: &str = "ws-token-4d3c2b";
/// A `delete` id above 2^53: a float would change it.
pub(super) const BIG_ID: &str = "110988741790818968";

fn base(
    name: &'static str,
    channels: Vec<Channel>,
    steps: Vec<WsStep>,
    check: fn(&WsReport<'_>) -> Result<(), String>,
) -> WsScenario {
    WsScenario {
        name,
        channels,
        server_token: Some(TOKEN),
        client_token: Some(TOKEN),
        separate_streaming: false,
        forbidden_lists: Vec::new(),
        plans: Vec::new(),
        steps,
        check,
    }
}

pub(super) fn public() -> Channel {
    Channel::Public {
        scope: PublicScope::All,
        only_media: false,
    }
}

pub(super) fn rust() -> Channel {
    Channel::hashtag("rust")
}

/// Every WebSocket scenario, in a fixed order.
pub fn all() -> Vec<WsScenario> {
    use Pub::*;
    use WsStep::*;
    let minute = Duration::from_secs(60);
    vec![
        WsScenario {
            separate_streaming: true,
            ..base(
                "multiplexed streams, each event tagged with its stream",
                vec![Channel::User, public(), rust()],
                vec![
                    Connected(1),
                    Subscribed(3),
                    RestRequests(4),
                    Publish(vec![Updates(2), Notifications(1), Delete]),
                    Received(10),
                ],
                check_multiplexed,
            )
        },
        base(
            "payloads encoded twice, bare ids, \"1\", unknown and broken messages",
            vec![Channel::User, public()],
            vec![
                Connected(1),
                Subscribed(2),
                RestRequests(3),
                PublishTo(&["public"], "update", Payload::NewStatus),
                PublishTo(&["user"], "status.update", Payload::NewStatus),
                PublishTo(&["public"], "delete", Payload::Text(BIG_ID)),
                PublishTo(&["user"], "notifications_merged", Payload::Text("1")),
                PublishTo(&["user"], "announcement.delete", Payload::Text("4711")),
                PublishTo(&["user"], "made.up", Payload::Text("{\"x\":1}")),
                PublishTo(&["public"], "update", Payload::Text("{\"id\":")),
                Raw("not json"),
                PublishTo(&["public"], "delete", Payload::Text("1")),
                Events(9),
            ],
            check_payloads,
        ),
        WsScenario {
            forbidden_lists: vec!["42"],
            ..base(
                "refused subscriptions: errors tied to them, the connection stays up",
                vec![
                    public(),
                    Channel::list("42"),
                    Channel::Hashtag {
                        tag: String::new(),
                        local: false,
                    },
                ],
                vec![
                    Connected(1),
                    StreamErrors(2),
                    Subscribed(1),
                    RestRequests(1),
                    Publish(vec![Updates(1)]),
                    Received(1),
                    Cut(fake::Cut::Drop),
                    Disconnected(1),
                    Reconnect,
                    Connected(2),
                    Subscribed(1),
                    CaughtUp(1),
                    Publish(vec![Updates(1)]),
                    Received(2),
                ],
                check_refused,
            )
        },
        base(
            "pings keep it alive; 90 s of silence reconnects and resubscribes",
            vec![public()],
            vec![
                Connected(1),
                Subscribed(1),
                RestRequests(1),
                Advance(minute),
                Publish(vec![Heartbeat]),
                Ponged(1),
                Advance(minute),
                Publish(vec![Heartbeat]),
                Ponged(2),
                Advance(minute),
                Publish(vec![Heartbeat]),
                Ponged(3),
                Advance(Timeouts::default().ws_idle + Duration::from_secs(1)),
                Disconnected(1),
                Reconnect,
                Connected(2),
                Subscribed(1),
                CaughtUp(1),
                Publish(vec![Updates(1)]),
                Received(1),
            ],
            check_pings,
        ),
        base(
            "dropped connection: reconnect, resubscribe everything, catch up per subscription",
            vec![Channel::User, rust()],
            vec![
                Connected(1),
                Subscribed(2),
                RestRequests(3),
                Publish(vec![Updates(2), Notifications(1)]),
                Received(5),
                Cut(fake::Cut::Drop),
                Disconnected(1),
                Publish(vec![Updates(2), Notifications(1)]),
                Reconnect,
                Connected(2),
                Subscribed(2),
                CaughtUp(3),
                Received(10),
                Publish(vec![Updates(1)]),
                Received(12),
            ],
            check_drop,
        ),
        base(
            "subscribe and unsubscribe at run time",
            vec![public()],
            vec![
                Connected(1),
                Subscribed(1),
                RestRequests(1),
                Subscribe(rust()),
                Subscribed(2),
                RestRequests(2),
                Publish(vec![Updates(1)]),
                Received(2),
                Unsubscribe(public()),
                Subscribed(1),
                Publish(vec![Updates(1)]),
                Received(3),
                Cut(fake::Cut::Drop),
                Disconnected(1),
                Reconnect,
                Connected(2),
                Subscribed(1),
            ],
            check_runtime,
        ),
        base(
            "expired token: the reconnect's 401 is fatal with the server's message",
            vec![Channel::User],
            vec![
                Connected(1),
                Subscribed(1),
                RestRequests(2),
                RevokeToken,
                Cut(fake::Cut::Drop),
                Disconnected(1),
                Reconnect,
                End,
            ],
            check_expired,
        ),
        WsScenario {
            client_token: Some("wrong-token-1a2b3c"),
            ..base(
                "401 at the upgrade is fatal",
                vec![Channel::User],
                vec![End],
                check_unauthorized,
            )
        },
        WsScenario {
            plans: vec![Plan::Reply(Reply::unavailable(Some(3)))],
            ..base(
                "503 at the upgrade waits Retry-After and retries",
                vec![public()],
                vec![
                    Reconnect,
                    Connected(1),
                    Subscribed(1),
                    RestRequests(1),
                    Publish(vec![Updates(1)]),
                    Received(1),
                ],
                check_unavailable,
            )
        },
        WsScenario {
            plans: vec![Plan::Stream(StreamPlan {
                byte_at_a_time: true,
                ..StreamPlan::default()
            })],
            ..base(
                "frames one byte at a time",
                vec![Channel::User],
                vec![
                    Connected(1),
                    Subscribed(1),
                    RestRequests(2),
                    Publish(vec![Updates(2), Notifications(1), Delete, Heartbeat]),
                    Received(4),
                ],
                check_intact,
            )
        },
    ]
}
