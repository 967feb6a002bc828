//! The client against every server dialect the fake plays
//! (`mastostream_testkit::suite::dialects`), on tokio, on real loopback TCP.

mod common;

use mastostream_tokio::Tokio;

fn run(name: &str) {
    if let Err(e) = common::block_on(mastostream_testkit::suite::dialects::run(Tokio, name)) {
        panic!("{name}: {e}");
    }
}

mastostream_testkit::dialect_tests!(run);
