//! proptest: encoding a generated event and decoding it again gives the same event, with
//! every backend. The generators cover every entity field, `None` and `Some`, unknown enum
//! values, arbitrary Unicode (quotes, backslashes, control characters, U+2028), nested
//! boosts, quotes and moved accounts.

mod common;
#[path = "roundtrip/entities.rs"]
mod entities;
#[path = "roundtrip/events.rs"]
mod events;

use common::backends;
use events::{notification, others, status};
use mastostream_proto::Event;
use proptest::prelude::*;

fn assert_round_trip(event: &Event) {
    let raw = event.encode().expect("encodable");
    assert_eq!(
        raw.name(),
        event.kind().as_str().replace("unknown", &raw.name())
    );
    for backend in backends() {
        assert_eq!(&raw.decode_with(backend), event, "{backend:?}");
    }
}

/// Runs a property on a thread with a large stack: the generators' value trees for a whole
/// status are big, and debug builds keep them on the stack.
fn check<S, F>(make: fn() -> S, test: F)
where
    S: Strategy + 'static,
    F: Fn(S::Value) + Send + 'static,
{
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let config = ProptestConfig {
                cases: 96,
                ..ProptestConfig::default()
            };
            let mut runner = proptest::test_runner::TestRunner::new(config);
            let result = runner.run(&make(), |value| {
                test(value);
                Ok(())
            });
            if let Err(e) = result {
                panic!("{e}");
            }
        })
        .expect("spawn")
        .join()
        .expect("property holds");
}

#[test]
fn statuses_round_trip() {
    check(
        || (status(2), any::<bool>()),
        |(status, edited)| {
            let status = Box::new(status);
            assert_round_trip(&if edited {
                Event::StatusUpdate(status)
            } else {
                Event::Update(status)
            });
        },
    );
}

#[test]
fn notifications_round_trip() {
    check(notification, |n| {
        assert_round_trip(&Event::Notification(Box::new(n)))
    });
}

#[test]
fn other_events_round_trip() {
    check(others, |event| assert_round_trip(&event));
}
