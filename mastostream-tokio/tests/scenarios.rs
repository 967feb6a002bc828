//! The shared scenarios (`mastostream_testkit::scenarios`: SSE and WebSocket) on tokio, on
//! real loopback TCP and real TLS with a CA made at test time. The client's clock is
//! paused (the testkit's driver lets time pass), so no check depends on the machine being
//! idle.

mod common;

use mastostream_testkit::scenarios::drive;
use mastostream_tokio::Tokio;

fn run(kind: &str, index: usize, tls: bool) {
    let result = common::block_on(async {
        match kind {
            "sse" => drive::sse(Tokio, index, tls).await,
            _ => drive::websocket(Tokio, index, tls).await,
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

mastostream_testkit::scenario_tests!(run);
