//! The hostile-server suite (`mastostream_testkit::suite`, servers from
//! `mastostream_testkit::hostile`) on tokio, on real loopback TCP and TLS.

use std::future::Future;

use mastostream_testkit::suite::{self, Outcome};
use mastostream_tokio::Tokio;

fn run<F: Future<Output = Outcome>>(name: &str, test: impl FnOnce(Tokio) -> F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    suite::verdict(name, rt.block_on(suite::checked(test(Tokio))));
}

mastostream_testkit::hostile_tests!(run);
