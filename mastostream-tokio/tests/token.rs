//! Token hygiene (`mastostream_testkit::suite`'s token tests) on tokio: alone in this test
//! binary, so that tracing's per-callsite cache sees only these tests' subscribers.

use std::future::Future;

use mastostream_testkit::suite;
use mastostream_tokio::Tokio;

fn run<F: Future<Output = suite::Outcome>>(test: impl FnOnce(Tokio) -> F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(test(Tokio)) {
        panic!("{e}");
    }
}

#[test]
fn the_token_never_leaks_over_sse() {
    run(suite::token_never_leaks_sse);
}

#[test]
fn the_token_never_leaks_over_a_websocket() {
    run(suite::token_never_leaks_websocket);
}
