//! The shared client suite (`mastostream_testkit::suite`) on smol, on real loopback TCP and
//! TLS.

use mastostream_smol::Smol;

fn run(name: &str) {
    if let Err(e) = smol::block_on(mastostream_testkit::suite::run(Smol, name)) {
        panic!("{name}: {e}");
    }
}

mastostream_testkit::suite_tests!(run);
