//! `mastostream`: follow Mastodon's streaming API from a terminal. `mastostream --help`
//! and `mastostream tail --help` document the flags, the output and the exit codes.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cli;
mod health;
mod help;
mod json;
mod lines;
mod notes;
mod report;
mod signal;
mod tail;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command};

fn main() -> ExitCode {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cli = Cli::parse_from(&argv);
    if cli.command.is_none() {
        // No subcommand: `tail`, with its own defaults (and MASTODON_TOKEN) applied.
        argv.push("tail".into());
        cli = Cli::parse_from(&argv);
    }
    cli.color.apply();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(tail::FATAL);
        }
    };
    let code = match cli.command {
        Some(Command::Tail(args)) => match args.streams() {
            Ok(streams) => runtime.block_on(tail::run(&args, streams)),
            Err(message) => usage_error("tail", &message),
        },
        Some(Command::Health(args)) => runtime.block_on(health::run(&args)),
        None => usage_error("tail", "no command"),
    };
    ExitCode::from(code)
}

/// An argument error clap could not see: printed as clap prints its own (with the usage
/// line of `subcommand`), exit code 2.
fn usage_error(subcommand: &str, message: &str) -> u8 {
    let mut cmd = Cli::command();
    cmd.build();
    let error = match cmd.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(clap::error::ErrorKind::ArgumentConflict, message),
        None => cmd.error(clap::error::ErrorKind::ArgumentConflict, message),
    };
    let _ = error.print();
    tail::USAGE
}
