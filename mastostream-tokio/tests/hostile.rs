//! The hostile-server suite (`mastostream_testkit::suite`, servers from
//! `mastostream_testkit::hostile`) on tokio, on real loopback TCP and TLS.

mod common;

use std::future::Future;

use mastostream_testkit::suite::{self, Outcome};
use mastostream_tokio::Tokio;

fn run<F: Future<Output = Outcome>>(name: &str, test: impl FnOnce(Tokio) -> F) {
    suite::verdict(name, common::block_on(suite::checked(test(Tokio))));
}

mastostream_testkit::hostile_tests!(run);
