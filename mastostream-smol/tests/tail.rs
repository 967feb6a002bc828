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
        contract::build_example(
            "mastostream-smol",
            "tail-smol",
            cfg!(feature = "native-roots"),
        )
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
