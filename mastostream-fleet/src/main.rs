//! The `mastostream-fleet` binary: see `mastostream-fleet --help` and the crate's README.

fn main() -> std::process::ExitCode {
    mastostream_fleet::cli::main()
}
