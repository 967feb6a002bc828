//! Sources against the testkit's fake instances on loopback TCP: resuming from a stored
//! cursor, the page cap, anchors, the catch-up deadline, one discovery per instance.

use std::time::Duration;

use mastostream_testkit::fake::{FakeServer, ServerOptions};

use super::*;
use crate::polite::{PoliteConfig, Politeness};

/// The longest any wait here may take.
const LIMIT: Duration = Duration::from_secs(60);

fn spec(server: &FakeServer) -> SourceSpec {
    SourceSpec {
        instance: server.url(),
        stream: "public:local".into(),
        param: None,
        token: None,
    }
}

fn gate() -> Arc<InstanceGate> {
    Politeness::new(PoliteConfig::default()).gate("fake")
}

fn cursor_at(id: u64) -> Cursor {
    let mut c = Cursor::default();
    c.set("statuses", &id.to_string());
    c
}

async fn open(server: &FakeServer, cursor: Cursor, opts: SourceOptions) -> Source {
    let spec = spec(server);
    tokio::time::timeout(LIMIT, Source::open(&spec, cursor, opts, gate()))
        .await
        .expect("the source opened in time")
        .expect("the source opened")
}

/// Items until one satisfies `done` (included); panics naming `what` after [`LIMIT`].
async fn until(
    source: &mut Source,
    what: &str,
    mut done: impl FnMut(&SourceItem) -> bool,
) -> Vec<SourceItem> {
    let mut items = Vec::new();
    let collect = async {
        while let Some(item) = source.next().await {
            let stop = done(&item);
            items.push(item);
            if stop {
                return;
            }
        }
        panic!("the source ended before {what}: {items:?}");
    };
    if tokio::time::timeout(LIMIT, collect).await.is_err() {
        panic!("gave up after {LIMIT:?} waiting for {what}");
    }
    items
}

fn is_live(item: &SourceItem) -> bool {
    matches!(item, SourceItem::Live)
}

/// The status ids of the events among `items`, with whether each was recovered, checking
/// that each payload is the status JSON with that id.
fn statuses(items: &[SourceItem]) -> Vec<(u64, bool)> {
    items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Event(e) if e.event == "update" => {
                let Payload::Json(raw) = &e.payload else {
                    panic!("a status payload that is not JSON: {e:?}")
                };
                let v: serde_json::Value = serde_json::from_slice(raw).expect("JSON payload");
                let id = v["id"].as_str().expect("an id").to_owned();
                assert_eq!(e.entity.as_deref(), Some(id.as_str()));
                Some((id.parse().expect("a numeric id"), e.recovered))
            }
            _ => None,
        })
        .collect()
}

fn first_gap(items: &[SourceItem]) -> SourceGap {
    items
        .iter()
        .find_map(|i| match i {
            SourceItem::Gap(g) => Some(g.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no gap: {items:?}"))
}

fn last_checkpoint(items: &[SourceItem]) -> Option<String> {
    items.iter().rev().find_map(|i| match i {
        SourceItem::Checkpoint(c) => c.get("statuses").map(str::to_owned),
        _ => None,
    })
}

#[tokio::test(flavor = "current_thread")]
async fn a_stored_cursor_is_caught_up_then_the_stream_is_live() {
    let server = FakeServer::start(ServerOptions::default());
    let ids: Vec<u64> = (0..5).map(|_| server.publish_update()).collect();
    let mut source = open(&server, cursor_at(ids[1]), SourceOptions::default()).await;
    let items = until(&mut source, "live", is_live).await;
    let want: Vec<(u64, bool)> = ids[2..].iter().map(|i| (*i, true)).collect();
    assert_eq!(statuses(&items), want, "{items:?}");
    assert_eq!(last_checkpoint(&items), Some(ids[4].to_string()));
    let next = server.publish_update();
    let items = until(&mut source, "the live status's checkpoint", |i| {
        matches!(i, SourceItem::Checkpoint(_))
    })
    .await;
    assert_eq!(statuses(&items), [(next, false)]);
    assert_eq!(last_checkpoint(&items), Some(next.to_string()));
}

#[tokio::test(flavor = "current_thread")]
async fn past_the_page_cap_a_gap_is_handed_out() {
    let server = FakeServer::start(ServerOptions::default());
    let ids: Vec<u64> = (0..30).map(|_| server.publish_update()).collect();
    let opts = SourceOptions {
        page_size: 5,
        max_pages: 2,
        ..SourceOptions::default()
    };
    let mut source = open(&server, cursor_at(ids[0]), opts).await;
    let items = until(&mut source, "live", is_live).await;
    let want: Vec<(u64, bool)> = ids[1..11].iter().map(|i| (*i, true)).collect();
    assert_eq!(statuses(&items), want, "two pages of five: {items:?}");
    let gap = first_gap(&items);
    assert_eq!(gap.after, Some(ids[10].to_string()), "{gap:?}");
    assert!(gap.reason.contains("page cap"), "{gap:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_without_a_cursor_is_anchored_before_it_connects() {
    let server = FakeServer::start(ServerOptions::default());
    let ids: Vec<u64> = (0..3).map(|_| server.publish_update()).collect();
    let mut source = open(&server, Cursor::default(), SourceOptions::default()).await;
    let items = until(&mut source, "live", is_live).await;
    assert!(
        matches!(&items[0], SourceItem::Checkpoint(c) if c.get("statuses") == Some(ids[2].to_string().as_str())),
        "the newest id is the cursor from the start: {items:?}"
    );
    assert!(statuses(&items).is_empty(), "no backfill: {items:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn past_the_deadline_unfinished_timelines_are_gaps_and_start_live() {
    let server = FakeServer::start(ServerOptions::default());
    let ids: Vec<u64> = (0..60).map(|_| server.publish_update()).collect();
    let opts = SourceOptions {
        page_size: 1,
        max_pages: 1000,
        catch_up_deadline: Duration::ZERO,
        ..SourceOptions::default()
    };
    let mut source = open(&server, cursor_at(ids[0]), opts).await;
    let items = until(&mut source, "live", is_live).await;
    let gap = first_gap(&items);
    assert!(gap.reason.contains("longer than"), "{gap:?}");
    assert_eq!(gap.before, None, "up to the live stream");
    let next = server.publish_update();
    let items = until(
        &mut source,
        "a live status",
        |i| matches!(i, SourceItem::Event(e) if !e.recovered),
    )
    .await;
    assert_eq!(statuses(&items).last(), Some(&(next, false)));
}

#[tokio::test(flavor = "current_thread")]
async fn streams_of_one_instance_discover_it_once() {
    let server = FakeServer::start(ServerOptions::default());
    let gate = gate();
    let mut sources = Vec::new();
    for tag in ["a", "b", "c"] {
        let spec = SourceSpec {
            stream: "hashtag".into(),
            param: Some(tag.into()),
            ..spec(&server)
        };
        let open = Source::open(&spec, cursor_at(1), SourceOptions::default(), gate.clone());
        let mut source = tokio::time::timeout(LIMIT, open)
            .await
            .expect("opened in time")
            .expect("opened");
        until(&mut source, "live", is_live).await;
        sources.push(source);
    }
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v2/instance")
        .count();
    assert_eq!(asked, 1, "one discovery for three streams");
}
