//! Gap-free resume: after a reconnect, what was missed is fetched over REST and delivered
//! once, oldest first, before the live events held meanwhile. Simulated time and server.

use std::time::Duration;

use mastostream_proto::session::{Gap, GapReason, Instance, Item, SessionConfig, Timeline as Tl};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, Event, Id, PublicScope, http::Token};

const STREAM: &str = "/api/v1/streaming/user";
const HOME: &str = "/api/v1/timelines/home";
const NOTIFS: &str = "/api/v1/notifications";

fn config(channel: Channel) -> SessionConfig {
    SessionConfig::new(
        Instance::parse("https://mastodon.example").unwrap(),
        channel,
    )
    .token(Token::new("tok"))
    .seed(7)
}

/// A user stream with its home and notifications timelines.
struct World {
    sim: Sim,
    home: Timeline,
    notifs: Timeline,
    stream: Option<mastostream_proto::session::TransportId>,
}

impl World {
    fn new(cfg: SessionConfig) -> World {
        World {
            sim: Sim::new(cfg),
            home: Timeline::new(HOME),
            notifs: Timeline::new(NOTIFS),
            stream: None,
        }
    }

    /// A status is posted: it goes into the home timeline, and onto the stream when live.
    fn post(&mut self, n: u64, live: bool) {
        let json = status_json(&sid(n));
        self.home.push(&sid(n), json.clone());
        if live && let Some(id) = self.stream {
            self.sim.data(id, event("update", &json));
        }
    }

    fn serve(&mut self, path: &str) {
        let id = self.sim.until_connect(path, Duration::from_secs(60));
        let target = self.sim.target(id);
        let page = if path == HOME {
            self.home.serve(&target)
        } else {
            self.notifs.serve(&target)
        };
        self.sim.data(id, page);
    }

    fn go_live(&mut self) {
        self.stream = Some(self.sim.go_live(STREAM));
    }

    fn drop_mid_event(&mut self) {
        let id = self.stream.take().unwrap();
        self.sim
            .data(id, chunk(b"event: update\ndata: {\"id\":\"1100"));
        self.sim.eof(id);
    }

    fn caught_up(&self) -> Vec<(String, usize)> {
        self.sim
            .items
            .iter()
            .filter_map(|i| match i {
                Item::CaughtUp {
                    timeline,
                    recovered,
                } => Some((timeline.to_string(), *recovered)),
                _ => None,
            })
            .collect()
    }

    fn gaps(&self) -> Vec<Gap> {
        self.sim
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Gap(g) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }
}

fn ids(range: std::ops::RangeInclusive<u64>, recovered: bool) -> Vec<(bool, String)> {
    range.map(|n| (recovered, sid(n))).collect()
}

#[test]
fn drop_mid_event_then_catch_up_delivers_each_missed_status_once_in_order() {
    let mut w = World::new(config(Channel::User));
    for n in 1..=3 {
        w.post(n, false);
    }
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(4, true);
    w.post(5, true);
    w.drop_mid_event();
    // While the stream is down, 15 statuses are posted.
    for n in 6..=20 {
        w.post(n, false);
    }
    w.go_live();
    // Two more arrive live before the catch-up page is served: they are held back.
    w.post(21, true);
    w.post(22, true);
    assert!(w.sim.session.is_catching_up());
    w.serve(HOME);
    w.serve(NOTIFS);
    assert!(!w.sim.session.is_catching_up());
    w.post(23, true);

    let mut want = ids(4..=5, false);
    want.extend(ids(6..=20, true));
    want.extend(ids(21..=23, false));
    assert_eq!(w.sim.status_ids(), want);
    assert_eq!(
        w.caught_up(),
        [("home".to_owned(), 15), ("notifications".to_owned(), 0)]
    );
    assert!(w.gaps().is_empty());
    // The catch-up started right above the last status delivered before the drop.
    assert!(
        w.home
            .served
            .iter()
            .any(|t| t.contains(&format!("min_id={}", sid(5))))
    );
}

#[test]
fn overlap_between_recovered_and_live_is_removed() {
    let mut w = World::new(config(Channel::User));
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    for n in 2..=6 {
        w.post(n, false);
    }
    w.go_live();
    // The page is served before anything arrives live: it holds 2..=6.
    w.serve(HOME);
    w.serve(NOTIFS);
    // The stream then replays 5 and 6 (delivered during the reconnect race) and goes on.
    w.post(5, true);
    w.post(6, true);
    w.post(7, true);
    let mut want = ids(1..=1, false);
    want.extend(ids(2..=6, true));
    want.extend(ids(7..=7, false));
    assert_eq!(w.sim.status_ids(), want);
}

#[test]
fn pagination_walks_up_page_by_page() {
    let mut w = World::new(config(Channel::User));
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    for n in 2..=101 {
        w.post(n, false);
    }
    w.go_live();
    w.serve(HOME);
    w.serve(HOME);
    w.serve(HOME);
    w.serve(HOME);
    w.serve(NOTIFS);
    let mut want = ids(1..=1, false);
    want.extend(ids(2..=101, true));
    assert_eq!(w.sim.status_ids(), want);
    let pages: Vec<&String> = w
        .home
        .served
        .iter()
        .filter(|t| t.contains("limit=40"))
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages[1].contains(&format!("min_id={}", sid(41))));
    assert!(pages[3].contains(&format!("min_id={}", sid(101))));
    assert_eq!(w.caught_up()[0], ("home".to_owned(), 100));
}

/// Paging and de-duplication together: 150 statuses missed (four pages), live statuses
/// racing the catch-up between every page (they land in the home timeline too, so later
/// pages hold some of them), and the stream replaying one already recovered. Each status
/// arrives exactly once, in order.
#[test]
fn many_pages_with_live_events_racing_arrive_once_in_order() {
    let mut w = World::new(config(Channel::User));
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    for n in 2..=151 {
        w.post(n, false);
    }
    w.go_live();
    let mut live = 152;
    while w.sim.session.is_catching_up() {
        // The stream replays the newest missed status once, as servers do around a
        // reconnect, then carries on live.
        if live == 152 {
            w.post(151, true);
        }
        w.post(live, true);
        live += 1;
        let home_pending = w
            .sim
            .connects
            .iter()
            .any(|(id, _, _)| !w.sim.requests.contains_key(id) && !w.sim.closed.contains(id));
        if !home_pending {
            break;
        }
        let next = if w.home.served.len() < 5 {
            HOME
        } else {
            NOTIFS
        };
        w.serve(next);
    }
    assert!(!w.sim.session.is_catching_up());
    w.post(live, true);
    // 151 came live first (the replay), so catch-up stops below it; the live copy of it is
    // the only one.
    let mut want = ids(1..=1, false);
    want.extend(ids(2..=150, true));
    want.extend(ids(151..=live, false));
    assert_eq!(w.sim.status_ids(), want);
    assert!(w.gaps().is_empty(), "{:?}", w.gaps());
    let home_pages = w
        .home
        .served
        .iter()
        .filter(|t| t.contains("min_id="))
        .count();
    assert!(home_pages >= 4, "{home_pages} pages");
}

#[test]
fn page_cap_reports_a_gap() {
    let mut cfg = config(Channel::User);
    cfg.catch_up.max_pages = 2;
    let mut w = World::new(cfg);
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    for n in 2..=200 {
        w.post(n, false);
    }
    w.go_live();
    w.post(201, true);
    w.serve(HOME);
    w.serve(HOME);
    w.serve(NOTIFS);
    let gaps = w.gaps();
    assert_eq!(
        gaps,
        [Gap {
            timeline: Tl::Home,
            after: Some(Id::from(sid(81))),
            before: Some(Id::from(sid(201))),
            reason: GapReason::PageCap,
        }]
    );
    let mut want = ids(1..=1, false);
    want.extend(ids(2..=81, true));
    want.extend(ids(201..=201, false));
    assert_eq!(w.sim.status_ids(), want);
}

#[test]
fn failed_fetch_reports_a_gap_and_streaming_continues() {
    let mut w = World::new(config(Channel::User));
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    w.post(2, false);
    w.go_live();
    w.post(3, true);
    let id = w.sim.until_connect(HOME, Duration::from_secs(5));
    w.sim.data(
        id,
        json_response("500 Internal Server Error", r#"{"error":"boom"}"#, ""),
    );
    w.serve(NOTIFS);
    w.post(4, true);
    let gaps = w.gaps();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].timeline, Tl::Home);
    assert_eq!(gaps[0].after, Some(Id::from(sid(1))));
    assert_eq!(gaps[0].before, Some(Id::from(sid(3))));
    assert!(
        matches!(&gaps[0].reason, GapReason::FetchFailed(e) if e.contains("500") && e.contains("boom"))
    );
    assert_eq!(
        w.sim.status_ids(),
        [(false, sid(1)), (false, sid(3)), (false, sid(4))]
    );
    assert!(w.sim.finished.is_none());
}

#[test]
fn a_fetch_that_times_out_is_a_gap_too() {
    let mut w = World::new(config(Channel::User));
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    w.go_live();
    let id = w.sim.until_connect(HOME, Duration::from_secs(5));
    let stream = w.stream.unwrap();
    // The REST server stalls; the stream keeps its heartbeats.
    for _ in 0..3 {
        w.sim.advance(Duration::from_secs(10));
        w.sim.data(stream, chunk(b":thump\n"));
    }
    assert!(w.sim.closed.contains(&id));
    assert!(
        matches!(&w.gaps()[0].reason, GapReason::FetchFailed(e) if e == "request not answered within 30 s")
    );
}

#[test]
fn anchor_lets_a_disconnect_before_any_event_be_caught_up() {
    let mut w = World::new(config(Channel::User));
    for n in 1..=3 {
        w.post(n, false);
    }
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.drop_mid_event();
    for n in 4..=6 {
        w.post(n, false);
    }
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    assert_eq!(w.sim.status_ids(), ids(4..=6, true));
    assert!(
        w.home.served[0].ends_with("?limit=1"),
        "{:?}",
        w.home.served
    );
}

#[test]
fn without_an_anchor_the_gap_is_reported() {
    let mut cfg = config(Channel::User);
    cfg.catch_up.anchor = false;
    let mut w = World::new(cfg);
    w.go_live();
    w.drop_mid_event();
    w.go_live();
    let gaps = w.gaps();
    assert_eq!(gaps.len(), 2);
    assert!(
        gaps.iter()
            .all(|g| g.reason == GapReason::NoAnchor && g.after.is_none())
    );
    assert!(!w.sim.session.is_catching_up());
}

#[test]
fn live_stream_outrunning_catch_up_releases_held_events_with_a_gap() {
    let mut cfg = config(Channel::User);
    cfg.catch_up.max_held = 3;
    let mut w = World::new(cfg);
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    w.go_live();
    for n in 2..=5 {
        w.post(n, true);
    }
    let gaps = w.gaps();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!(gaps.iter().all(|g| g.reason == GapReason::HeldOverflow));
    assert_eq!(gaps[0].before, Some(Id::from(sid(2))));
    assert_eq!(w.sim.status_ids(), ids(1..=5, false));
    let (_, held) = w.sim.session.buffered();
    assert_eq!(held, 0);
}

#[test]
fn a_drop_during_catch_up_loses_nothing() {
    let mut w = World::new(config(Channel::User));
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    w.post(1, true);
    w.drop_mid_event();
    w.post(2, false);
    w.go_live();
    w.post(3, true);
    let stream = w.stream.unwrap();
    w.sim.data(stream, event("delete", &sid(1)));
    // The stream drops again before the catch-up page is served.
    w.drop_mid_event();
    w.post(4, false);
    w.go_live();
    w.serve(HOME);
    w.serve(NOTIFS);
    let mut want = ids(1..=1, false);
    want.extend(ids(2..=4, true));
    assert_eq!(w.sim.status_ids(), want);
    // The delete could not be refetched, so it was delivered when the catch-up broke off.
    assert!(
        w.sim
            .events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Delete(id) if id.as_str() == sid(1)))
    );
}

#[test]
fn notifications_are_caught_up_for_the_notification_stream() {
    let mut sim = Sim::new(config(Channel::UserNotification));
    let mut notifs = Timeline::new(NOTIFS);
    let stream = sim.go_live("/api/v1/streaming/user/notification");
    let id = sim.until_connect(NOTIFS, Duration::from_secs(1));
    let t = sim.target(id);
    sim.data(id, notifs.serve(&t));
    let n1 = notification_json(&sid(1));
    notifs.push(&sid(1), n1.clone());
    sim.data(stream, event("notification", &n1));
    sim.eof(stream);
    for n in 2..=4 {
        notifs.push(&sid(n), notification_json(&sid(n)));
    }
    sim.go_live("/api/v1/streaming/user/notification");
    let id = sim.until_connect(NOTIFS, Duration::from_secs(1));
    let t = sim.target(id);
    assert!(t.contains(&format!("min_id={}", sid(1))), "{t}");
    sim.data(id, notifs.serve(&t));
    let id = sim.until_connect(NOTIFS, Duration::from_secs(1));
    let t = sim.target(id);
    sim.data(id, notifs.serve(&t));
    let got: Vec<(bool, String)> = sim
        .events()
        .iter()
        .filter_map(|(r, e)| match e {
            Event::Notification(n) => Some((*r, n.id.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [
            (false, sid(1)),
            (true, sid(2)),
            (true, sid(3)),
            (true, sid(4))
        ]
    );
}

#[test]
fn direct_stream_catches_up_conversations_by_last_status() {
    let mut sim = Sim::new(config(Channel::Direct));
    let mut convs = Timeline::new("/api/v1/conversations");
    let stream = sim.go_live("/api/v1/streaming/direct");
    let id = sim.until_connect("/api/v1/conversations", Duration::from_secs(1));
    let t = sim.target(id);
    sim.data(id, convs.serve(&t));
    let c = conversation_json("5", &sid(10));
    convs.push(&sid(10), c.clone());
    sim.data(stream, event("conversation", &c));
    sim.eof(stream);
    convs.push(&sid(11), conversation_json("6", &sid(11)));
    sim.go_live("/api/v1/streaming/direct");
    let id = sim.until_connect("/api/v1/conversations", Duration::from_secs(1));
    let t = sim.target(id);
    assert!(t.contains(&format!("min_id={}", sid(10))), "{t}");
    sim.data(id, convs.serve(&t));
    let recovered: Vec<String> = sim
        .events()
        .iter()
        .filter_map(|(r, e)| match e {
            Event::Conversation(c) if *r => Some(c.id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(recovered, ["6"]);
}

#[test]
fn public_and_hashtag_streams_use_their_timelines() {
    let cases = [
        (
            Channel::Public {
                scope: PublicScope::Local,
                only_media: true,
            },
            "/api/v1/streaming/public/local?only_media=true",
            "/api/v1/timelines/public?local=true&only_media=true&limit=1",
        ),
        (
            Channel::hashtag("Café"),
            "/api/v1/streaming/hashtag?tag=Caf%C3%A9",
            "/api/v1/timelines/tag/Caf%C3%A9?limit=1",
        ),
        (
            Channel::list("42"),
            "/api/v1/streaming/list?list=42",
            "/api/v1/timelines/list/42?limit=1",
        ),
    ];
    for (channel, stream_target, anchor_target) in cases {
        let mut sim = Sim::new(config(channel));
        let stream = sim.go_live(stream_target);
        assert_eq!(sim.target(stream), stream_target);
        let id = sim.until_connect("/api/v1/timelines/", Duration::from_secs(1));
        assert_eq!(sim.target(id), anchor_target);
    }
}

#[test]
fn catch_up_can_be_turned_off() {
    let mut cfg = config(Channel::User);
    cfg.catch_up.enabled = false;
    let mut sim = Sim::new(cfg);
    let stream = sim.go_live(STREAM);
    sim.eof(stream);
    sim.go_live(STREAM);
    sim.advance(Duration::from_secs(30));
    // Only the two stream connections: no anchor, no catch-up request.
    assert_eq!(sim.connects.len(), 2, "{:?}", sim.connects);
    assert_eq!(
        sim.requests
            .values()
            .filter(|r| r.contains("/timelines/"))
            .count(),
        0
    );
    assert!(
        sim.items
            .iter()
            .all(|i| !matches!(i, Item::Gap(_) | Item::CaughtUp { .. }))
    );
}
