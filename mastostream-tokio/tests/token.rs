//! Token hygiene (`mastostream_testkit::suite`'s token tests) on tokio: alone in this test
//! binary, so that tracing's per-callsite cache sees only these tests' subscribers.

fn run(name: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = rt.block_on(mastostream_testkit::suite::run(
        mastostream_tokio::Tokio,
        name,
    ));
    outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
}

mastostream_testkit::token_tests!(run);
