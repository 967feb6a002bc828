//! The shared scenarios (`mastostream_testkit::scenarios`: SSE and WebSocket) on smol, on
//! real loopback TCP and real TLS with a CA made at test time. The client's clock is
//! paused (the testkit's driver lets time pass), so no check depends on the machine being
//! idle.

use mastostream_smol::Smol;
use mastostream_testkit::scenarios::drive;

fn run(kind: &str, index: usize, tls: bool) {
    let result = smol::block_on(async {
        match kind {
            "sse" => drive::sse(Smol, index, tls).await,
            _ => drive::websocket(Smol, index, tls).await,
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

mastostream_testkit::scenario_tests!(run);
