//! The `tail` example's command-line contract, on the real example binary: the same
//! checks (`mastostream_testkit::tail::contract`) as the other adapter's example, so both
//! answer the same arguments with the same output and exit codes.

use std::path::PathBuf;
use std::sync::OnceLock;

use mastostream_testkit::tail::contract;

/// This package's example, built once (with the features this test was built with, so
/// nothing rebuilds).
fn exe() -> &'static PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        contract::build_example("mastostream-tokio", "tail", cfg!(feature = "native-roots"))
    })
}

#[test]
fn demo_json_delivers_every_status_once_and_exits_0() {
    contract::demo_json(exe());
}

#[test]
fn limit_exits_0_after_n_events() {
    contract::limit(exe());
}

#[test]
fn bad_arguments_exit_2() {
    contract::bad_arguments(exe());
}

#[test]
fn a_401_exits_1_with_the_servers_message() {
    contract::fatal_error(exe());
}

#[cfg(unix)]
#[test]
fn ctrl_c_closes_cleanly_and_exits_0() {
    contract::interrupt(exe());
}

#[test]
fn ws_demo_json_tags_every_line_with_its_stream() {
    contract::ws_demo_json(exe());
}

#[test]
fn ws_pairs_tags_and_lists_with_their_streams() {
    contract::ws_arguments(exe());
}

#[test]
fn ws_refused_subscription_is_a_line_and_the_rest_goes_on() {
    contract::ws_refused_subscription(exe());
}

#[test]
fn ws_refused_upgrade_exits_1() {
    contract::ws_fatal_error(exe());
}

#[cfg(unix)]
#[test]
fn ws_ctrl_c_sends_a_close_frame_and_exits_0() {
    contract::ws_interrupt(exe());
}
