//! The shared client suite (`mastostream_testkit::suite`) on tokio, on real loopback TCP and
//! TLS.

use mastostream_tokio::Tokio;

fn run(name: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(mastostream_testkit::suite::run(Tokio, name)) {
        panic!("{name}: {e}");
    }
}

mastostream_testkit::suite_tests!(run);
