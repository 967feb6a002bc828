//! Token hygiene (`mastostream_testkit::suite`'s token tests) on smol: alone in this test
//! binary, so that tracing's per-callsite cache sees only these tests' subscribers.

fn run(name: &str) {
    let outcome = smol::block_on(mastostream_testkit::suite::run(
        mastostream_smol::Smol,
        name,
    ));
    outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
}

mastostream_testkit::token_tests!(run);
