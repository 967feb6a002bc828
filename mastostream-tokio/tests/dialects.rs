//! The client against every server dialect the fake plays
//! (`mastostream_testkit::suite::dialects`), on tokio, on real loopback TCP.

use mastostream_tokio::Tokio;

fn run(name: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(mastostream_testkit::suite::dialects::run(Tokio, name)) {
        panic!("{name}: {e}");
    }
}

mastostream_testkit::dialect_tests!(run);
