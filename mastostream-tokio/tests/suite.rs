//! The shared client suite (`mastostream_testkit::suite`) on tokio, on real loopback TCP and
//! TLS.

mod common;

use mastostream_tokio::Tokio;

fn run(name: &str) {
    if let Err(e) = common::block_on(mastostream_testkit::suite::run(Tokio, name)) {
        panic!("{name}: {e}");
    }
}

mastostream_testkit::suite_tests!(run);
