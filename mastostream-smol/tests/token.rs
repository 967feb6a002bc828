//! Token hygiene (`mastostream_testkit::suite`'s token tests) on smol: alone in this test
//! binary, so that tracing's per-callsite cache sees only these tests' subscribers.

use mastostream_smol::Smol;
use std::future::Future;

use mastostream_testkit::suite;

fn run<F: Future<Output = suite::Outcome>>(test: impl FnOnce(Smol) -> F) {
    if let Err(e) = smol::block_on(test(Smol)) {
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
