//! Prints one stream of an instance, one line per event: a whole program on this crate's
//! public API. (`mastostream tail`, from the `mastostream-cli` crate, is the full tool.)
//!
//! ```text
//! cargo run -p mastostream-tokio --example print_stream -- https://mastodon.social public
//! MASTODON_TOKEN=... cargo run -p mastostream-tokio --example print_stream -- \
//!     https://mastodon.social hashtag rust
//! ```
//!
//! The second argument is a stream name as Mastodon spells it (`user`, `public:local`,
//! `hashtag`, `list`, ...; default `public`), the third the tag or list id it needs.

use mastostream_tokio::{Channel, Client, Event, Item};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let instance = args
        .next()
        .ok_or("usage: print_stream INSTANCE [STREAM] [TAG or LIST ID]")?;
    let name = args.next().unwrap_or_else(|| "public".to_owned());
    let param = args.next();
    let channel = Channel::parse(&name, param.as_deref(), param.as_deref())?;
    let token = std::env::var("MASTODON_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());

    let client = Client::new(&instance)?.token_opt(token);
    let mut stream = client.stream(channel);
    while let Some(item) = stream.next().await {
        match item? {
            Item::Event(e) => {
                let mark = if e.recovered { " (recovered)" } else { "" };
                match &e.event {
                    Event::Update(s) => println!("@{}: {}{mark}", s.account.acct, s.content),
                    Event::Heartbeat(_) => {}
                    other => println!("{}{mark}", other.summary_json()),
                }
            }
            Item::Connected { url, .. } => eprintln!("-- connected to {url}"),
            Item::Reconnecting { delay, error, .. } => {
                eprintln!("-- {error}: reconnecting in {:.1} s", delay.as_secs_f64());
            }
            Item::Gap(gap) => eprintln!("-- items may be missing in {}", gap.timeline),
            _ => {}
        }
    }
    Ok(())
}
