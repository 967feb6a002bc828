//! The client against every server dialect the fake plays
//! (`mastostream_testkit::suite::dialects`), on smol, on real loopback TCP.

use mastostream_smol::Smol;

fn run(name: &str) {
    if let Err(e) = smol::block_on(mastostream_testkit::suite::dialects::run(Smol, name)) {
        panic!("{name}: {e}");
    }
}

mastostream_testkit::dialect_tests!(run);
