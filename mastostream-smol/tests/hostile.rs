//! The hostile-server suite (`mastostream_testkit::suite`, servers from
//! `mastostream_testkit::hostile`) on smol, on real loopback TCP and TLS.

use std::future::Future;

use mastostream_smol::Smol;
use mastostream_testkit::suite::{self, Outcome};

fn run<F: Future<Output = Outcome>>(name: &str, test: impl FnOnce(Smol) -> F) {
    suite::verdict(name, smol::block_on(suite::checked(test(Smol))));
}

mastostream_testkit::hostile_tests!(run);
