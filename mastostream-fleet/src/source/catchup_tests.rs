use super::*;
use crate::source::Payload;

fn ev(id: &str, recovered: bool) -> SourceEvent {
    SourceEvent {
        event: "update".into(),
        entity: Some(id.into()),
        payload: Payload::Text(id.into()),
        recovered,
        uri: None,
    }
}

/// A page as the server sends it: newest first.
fn page(ids: &[&str]) -> PageItems {
    let mut ids = ids.to_vec();
    ids.sort_by_key(|i| std::cmp::Reverse(Id::from(*i)));
    ids.iter()
        .map(|i| (ev(i, true), Some(Id::from(*i))))
        .collect()
}

fn tracker(cursor: Option<&str>, max_pages: u32) -> Tracker {
    let mut c = Cursor::default();
    if let Some(id) = cursor {
        c.set("statuses", id);
    }
    let limits = Limits {
        max_pages,
        deadline: Duration::from_secs(60),
    };
    Tracker::new(vec![Timeline::Home], c, limits)
}

/// Drains the output as short strings: `E5` (event 5, live), `R5` (recovered), `C5`
/// (checkpoint to 5), `G(after,before)`, `+` connected, `L` live.
fn drain(t: &mut Tracker) -> Vec<String> {
    t.out
        .drain(..)
        .map(|item| match item {
            SourceItem::Event(e) => {
                format!(
                    "{}{}",
                    if e.recovered { "R" } else { "E" },
                    e.entity.unwrap_or_default()
                )
            }
            SourceItem::Checkpoint(c) => format!("C{}", c.get("statuses").unwrap_or("-")),
            SourceItem::Gap(g) => format!(
                "G({},{})",
                g.after.unwrap_or_default(),
                g.before.unwrap_or_default()
            ),
            SourceItem::Connected => "+".into(),
            SourceItem::Live => "L".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn live(t: &mut Tracker, id: &str) {
    t.live(ev(id, false), Some(("statuses", Id::from(id))));
}

#[test]
fn a_new_stream_anchors_then_goes_live() {
    let now = Instant::now();
    let mut t = tracker(None, 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    assert_eq!(want, Want::Anchor(0));
    t.fetched(&want, Ok(page(&["5"])));
    assert_eq!(drain(&mut t), ["+", "C5", "L"]);
    assert_eq!(t.next_want(now), None);
    live(&mut t, "6");
    assert_eq!(drain(&mut t), ["E6", "C6"]);
}

#[test]
fn an_empty_timeline_anchors_at_zero() {
    let now = Instant::now();
    let mut t = tracker(None, 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    t.fetched(&want, Ok(Vec::new()));
    assert_eq!(drain(&mut t), ["+", "C0", "L"]);
}

#[test]
fn a_stored_cursor_is_caught_up_page_by_page() {
    let now = Instant::now();
    let mut t = tracker(Some("5"), 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    assert_eq!(want, Want::Page(0, Id::from("5")));
    t.fetched(&want, Ok(page(&["6", "7", "8"])));
    assert_eq!(drain(&mut t), ["+", "R6", "R7", "R8", "C8"]);
    let want = t.next_want(now).unwrap();
    assert_eq!(want, Want::Page(0, Id::from("8")));
    t.fetched(&want, Ok(Vec::new()));
    assert_eq!(drain(&mut t), ["L"]);
}

#[test]
fn live_events_during_catch_up_pass_but_hold_the_cursor() {
    let now = Instant::now();
    let mut t = tracker(Some("5"), 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    live(&mut t, "9");
    // The cursor may not pass 5 yet: 6..8 are not published.
    assert_eq!(drain(&mut t), ["+", "E9"]);
    t.fetched(&want, Ok(page(&["6", "8", "9", "10"])));
    // 9 and 10 come live; the cursor moves to the newest live id once caught up.
    assert_eq!(drain(&mut t), ["R6", "R8", "C8", "C9", "L"]);
    live(&mut t, "10");
    assert_eq!(drain(&mut t), ["E10", "C10"]);
}

#[test]
fn past_the_page_cap_a_gap_and_the_newest_page() {
    let now = Instant::now();
    let mut t = tracker(Some("10"), 2);
    t.connected(now);
    for ids in [["11", "12"], ["13", "14"]] {
        let want = t.next_want(now).unwrap();
        t.fetched(&want, Ok(page(&ids)));
    }
    let want = t.next_want(now).unwrap();
    assert_eq!(want, Want::Newest(0));
    t.fetched(&want, Ok(page(&["40", "41"])));
    assert_eq!(
        drain(&mut t),
        [
            "+", "R11", "R12", "C12", "R13", "R14", "C14", "G(14,40)", "R40", "R41", "C41", "L"
        ]
    );
}

#[test]
fn the_deadline_ends_catch_up_like_the_page_cap() {
    let now = Instant::now();
    let mut t = tracker(Some("10"), 100);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    t.fetched(&want, Ok(page(&["11"])));
    let later = now + Duration::from_secs(61);
    assert_eq!(t.next_want(later), Some(Want::Newest(0)));
}

#[test]
fn a_failed_request_is_a_gap() {
    let now = Instant::now();
    let mut t = tracker(Some("5"), 10);
    t.connected(now);
    live(&mut t, "20");
    let want = t.next_want(now).unwrap();
    t.fetched(&want, Err("503".into()));
    assert_eq!(drain(&mut t), ["+", "E20", "G(5,20)", "C20", "L"]);
}

#[test]
fn a_disconnect_restarts_from_the_last_checkpoint() {
    let now = Instant::now();
    let mut t = tracker(Some("5"), 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    t.fetched(&want, Ok(page(&["6", "7"])));
    t.disconnected();
    // An answer for the old connection is ignored.
    t.fetched(&want, Ok(page(&["8"])));
    assert_eq!(t.next_want(now), None);
    t.connected(now);
    assert_eq!(t.next_want(now), Some(Want::Page(0, Id::from("7"))));
    assert_eq!(drain(&mut t), ["+", "R6", "R7", "C7", "+"]);
}

#[test]
fn a_page_without_progress_ends_catch_up() {
    let now = Instant::now();
    let mut t = tracker(Some("5"), 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    // A server ignoring min_id returns old items only.
    t.fetched(&want, Ok(page(&["3", "4"])));
    assert_eq!(drain(&mut t), ["+", "L"]);
    assert_eq!(t.next_want(now), None);
}

#[test]
fn two_timelines_are_caught_up_in_turn() {
    let now = Instant::now();
    let mut c = Cursor::default();
    c.set("statuses", "5");
    let limits = Limits {
        max_pages: 10,
        deadline: Duration::from_secs(60),
    };
    let mut t = Tracker::new(vec![Timeline::Home, Timeline::Notifications], c, limits);
    t.connected(now);
    let w = t.next_want(now).unwrap();
    assert_eq!(w, Want::Page(0, Id::from("5")));
    t.fetched(&w, Ok(Vec::new()));
    let w = t.next_want(now).unwrap();
    assert_eq!(w, Want::Anchor(1), "notifications have no cursor yet");
    t.fetched(&w, Ok(page(&["77"])));
    assert_eq!(t.next_want(now), None);
    let out = drain(&mut t);
    assert_eq!(out.last().map(String::as_str), Some("L"));
    assert_eq!(t.cursor.get("notifications"), Some("77"));
}

#[test]
fn live_ids_from_an_interrupted_catch_up_are_not_handed_out_again() {
    let now = Instant::now();
    let mut t = tracker(Some("5"), 10);
    t.connected(now);
    let want = t.next_want(now).unwrap();
    live(&mut t, "9");
    t.disconnected();
    t.fetched(&want, Ok(page(&["6"])));
    // Much later, a new connection: 9 was published live before; only 6..8 are new.
    t.connected(now);
    let want = t.next_want(now).unwrap();
    t.fetched(&want, Ok(page(&["6", "7", "9"])));
    let want = t.next_want(now).unwrap();
    assert_eq!(want, Want::Page(0, Id::from("9")));
    t.fetched(&want, Ok(Vec::new()));
    assert_eq!(drain(&mut t), ["+", "E9", "+", "R6", "R7", "C9", "L"]);
}
