//! A bot without an async runtime: the blocking client drives a [`Listener`] (Mastodon.py's
//! `StreamListener` method names) on this thread until a fatal error. A whole program on
//! this crate's public API; `mastostream tail`, from the `mastostream-cli` crate, is the full
//! tool, and `mastostream-tokio`'s `print_stream` example is the async counterpart.
//!
//! ```text
//! cargo run -p mastostream-smol --example blocking_listener -- https://mastodon.social
//! cargo run -p mastostream-smol --example blocking_listener -- https://mastodon.social rust
//! ```
//!
//! With a second argument it follows that hashtag, else the public timeline; a token in
//! `MASTODON_TOKEN` is sent if set (some instances require one for public streams).

use std::time::Duration;

use mastostream_smol::blocking::Client;
use mastostream_smol::model::{Notification, Status};
use mastostream_smol::{Error, Gap, Id, Listener, Timeline};

/// Counts what it sees and prints one line per status, deletion and notification.
#[derive(Default)]
struct Printer {
    statuses: u64,
    recovered: u64,
}

impl Listener for Printer {
    fn on_update(&mut self, status: Box<Status>) {
        self.statuses += 1;
        println!(
            "#{} @{}: {}",
            self.statuses, status.account.acct, status.content
        );
    }

    fn on_delete(&mut self, id: Id) {
        println!("deleted {id}");
    }

    fn on_notification(&mut self, n: Box<Notification>) {
        println!("{:?} from @{}", n.kind, n.account.acct);
    }

    fn on_connect(&mut self, url: String) {
        eprintln!("-- connected to {url}");
    }

    fn on_reconnecting(&mut self, attempt: u32, delay: Duration, error: Error) {
        let secs = delay.as_secs_f64();
        eprintln!("-- {error}: reconnecting in {secs:.1} s (attempt {attempt})");
    }

    fn on_caught_up(&mut self, timeline: Timeline, recovered: usize) {
        self.recovered += recovered as u64;
        eprintln!("-- caught up on {timeline}: {recovered} recovered");
    }

    fn on_gap(&mut self, gap: Gap) {
        eprintln!(
            "-- items may be missing in {}: {}",
            gap.timeline, gap.reason
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let instance = args
        .next()
        .ok_or("usage: blocking_listener INSTANCE [HASHTAG]")?;
    let token = std::env::var("MASTODON_TOKEN").ok();
    let client = Client::new(&instance)?.token_opt(token.filter(|t| !t.is_empty()));
    let stream = match args.next() {
        Some(tag) => client.stream_hashtag(tag.trim_start_matches('#')),
        None => client.stream_public(),
    };
    let mut printer = Printer::default();
    // Returns only on a fatal error (a revoked token, say); reconnects are the listener's.
    let result = stream.run(&mut printer);
    eprintln!(
        "-- {} statuses, {} recovered after reconnects",
        printer.statuses, printer.recovered
    );
    Ok(result?)
}
