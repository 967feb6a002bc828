//! The `mastostream-fleet` command line: `add`, `remove`, `worker`, `status`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{FleetConfig, parse_duration};
use crate::error::FleetError;
use crate::names::Names;
use crate::nats::{ConnectOptions, connect, open, setup};
use crate::registry::{self, Registration};

/// Streams many Mastodon instances into NATS JetStream, exactly once, over many workers.
#[derive(Debug, Parser)]
#[command(name = "mastostream-fleet", version, about)]
pub struct Cli {
    /// The fleet's root name: stream `<ROOT>` (upper case), subjects `<root>.…`, buckets
    /// `<root>-registry`, `<root>-leases`, `<root>-workers`. Several fleets can share NATS.
    #[arg(
        long,
        global = true,
        default_value = "mastostream",
        env = "MASTOSTREAM_FLEET_ROOT"
    )]
    pub root: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Registers a stream (creating the JetStream stream and buckets if missing).
    Add(AddArgs),
    /// Unregisters a stream: its owner stops within the lease time, and nothing it
    /// publishes afterwards is stored.
    Remove(RemoveArgs),
    /// Runs a worker until SIGINT or SIGTERM, then hands its streams over.
    Worker(WorkerArgs),
    /// Shows every registered stream: owner, lease, cursor, events, lag.
    Status(StatusArgs),
}

/// Where NATS is.
#[derive(Debug, Args)]
pub struct NatsArgs {
    /// Comma-separated `nats://` URLs.
    #[arg(long, value_name = "URLS", env = "MASTOSTREAM_NATS_URLS")]
    pub nats: String,
}

/// Which stream.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// The instance URL (`https://mastodon.social`).
    #[arg(long, value_name = "URL")]
    pub instance: String,
    /// The stream: user, user:notification, public, public:local, public:remote,
    /// public:media, public:local:media, public:remote:media, hashtag, hashtag:local, list,
    /// direct.
    #[arg(long, value_name = "NAME")]
    pub stream: String,
    /// The tag of a hashtag stream.
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
    /// The list id of a list stream.
    #[arg(long, value_name = "ID")]
    pub list: Option<String>,
}

/// How the JetStream stream and buckets are created when missing.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Replicas of the stream and buckets.
    #[arg(long, default_value_t = 3)]
    pub replicas: usize,
    /// The stream's de-duplication window; it must cover the catch-up overlap (lease TTL
    /// + renewal interval + claim scan + twice the catch-up deadline + 30 s).
    #[arg(long, value_parser = parse_duration, default_value = "5m")]
    pub duplicate_window: Duration,
    /// The stream's maximum message age (0: keep).
    #[arg(long, value_parser = parse_duration, default_value = "0")]
    pub max_age: Duration,
    /// The lease TTL (whole seconds; workers stop a fifth of it early).
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub lease_ttl: Duration,
}

/// `add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    nats: NatsArgs,
    #[command(flatten)]
    stream: StreamArgs,
    /// The environment variable each worker reads the access token from (the token itself
    /// is never stored in NATS).
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    #[command(flatten)]
    create: CreateArgs,
}

/// `remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    nats: NatsArgs,
    #[command(flatten)]
    stream: StreamArgs,
}

/// `worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    nats: NatsArgs,
    /// The worker's name, unique in the fleet (default: host name and process id).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    create: CreateArgs,
    /// Catch-up pages per timeline before a gap is published.
    #[arg(long, default_value_t = 10)]
    max_pages: u32,
    /// The longest a new owner's first catch-up may take (and a stream may wait for one of
    /// its instance's start permits) before what is left is published as a gap.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    catch_up_deadline: Duration,
    /// Also publish each status once per `uri` on `<root>-uri.update` (de-duplicates a
    /// status seen through several instances, within the duplicate window).
    #[arg(long)]
    uri_dedup: bool,
    /// Use only the given NATS URLs, never the servers they advertise (NATS behind a
    /// proxy or NAT).
    #[arg(long)]
    ignore_discovered_servers: bool,
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    nats: NatsArgs,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

fn config(root: &str, create: &CreateArgs) -> Result<FleetConfig, FleetError> {
    let names = Names::new(root).map_err(|e| FleetError::Registration(e.to_string()))?;
    let cfg = FleetConfig {
        names,
        replicas: create.replicas,
        duplicate_window: create.duplicate_window,
        max_age: create.max_age,
        lease_ttl: create.lease_ttl,
        ..FleetConfig::default()
    };
    cfg.validate()?;
    Ok(cfg)
}

fn default_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

fn plain(rows: &[crate::status::StatusRow]) {
    println!(
        "{:<40} {:<24} {:<20} {:>10} {:>8} {:>8}  last_id",
        "instance", "stream", "owner", "lease", "events", "lag_s"
    );
    for r in rows {
        let stream = match r.tag.as_deref().or(r.list.as_deref()) {
            Some(p) => format!("{} {p}", r.stream),
            None => r.stream.clone(),
        };
        println!(
            "{:<40} {:<24} {:<20} {:>10} {:>8} {:>8}  {}",
            r.instance,
            stream,
            r.owner.as_deref().unwrap_or("-"),
            r.lease_revision.map_or("-".into(), |v| v.to_string()),
            r.events,
            r.lag_s.map_or("-".into(), |v| format!("{v:.1}")),
            r.last_id.as_deref().unwrap_or("-"),
        );
    }
}

async fn run(cli: Cli) -> Result<(), FleetError> {
    let plain_opts = |name: &str| ConnectOptions {
        name: name.to_owned(),
        ..ConnectOptions::default()
    };
    match cli.command {
        Command::Add(a) => {
            let cfg = config(&cli.root, &a.create)?;
            let s = &a.stream;
            let reg = Registration::new(
                &s.instance,
                &s.stream,
                s.tag.as_deref(),
                s.list.as_deref(),
                a.token_env.as_deref(),
            )?;
            let nats = connect(&a.nats.nats, &plain_opts("mastostream-fleet add")).await?;
            let buckets = setup(&nats, &cfg).await?;
            let key = registry::add(&buckets, &reg).await?;
            println!("added {key}");
        }
        Command::Remove(r) => {
            let names =
                Names::new(&cli.root).map_err(|e| FleetError::Registration(e.to_string()))?;
            let cfg = FleetConfig {
                names: names.clone(),
                ..FleetConfig::default()
            };
            let s = &r.stream;
            let key = Registration::new(
                &s.instance,
                &s.stream,
                s.tag.as_deref(),
                s.list.as_deref(),
                None,
            )?
            .key()?;
            let nats = connect(&r.nats.nats, &plain_opts("mastostream-fleet remove")).await?;
            let buckets = open(&nats, &cfg).await?;
            let was = registry::remove(&nats, &buckets, &names, &key).await?;
            println!(
                "{} {key}",
                if was {
                    "removed"
                } else {
                    "was not registered:"
                }
            );
        }
        Command::Worker(w) => {
            let mut cfg = config(&cli.root, &w.create)?;
            cfg.source.max_pages = w.max_pages.max(1);
            cfg.source.catch_up_deadline = w.catch_up_deadline;
            cfg.uri_dedup = w.uri_dedup;
            cfg.validate()?;
            let name = w.name.unwrap_or_else(default_name);
            let opts = ConnectOptions {
                name: format!("mastostream-fleet worker {name}"),
                ignore_discovered: w.ignore_discovered_servers,
                wait: true,
            };
            let nats = connect(&w.nats.nats, &opts).await?;
            crate::worker::run(nats, &name, cfg, shutdown_signal()).await?;
        }
        Command::Status(s) => {
            let names =
                Names::new(&cli.root).map_err(|e| FleetError::Registration(e.to_string()))?;
            let cfg = FleetConfig {
                names,
                ..FleetConfig::default()
            };
            let nats = connect(&s.nats.nats, &plain_opts("mastostream-fleet status")).await?;
            let rows = crate::status::status(&nats, &cfg).await?;
            if s.json {
                for r in &rows {
                    println!("{}", serde_json::to_string(r).unwrap_or_default());
                }
            } else {
                plain(&rows);
            }
        }
    }
    Ok(())
}

/// Runs the command line: parses the arguments, sets up logging (standard error,
/// `RUST_LOG`), runs the command, and maps errors to a message and exit status 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default = if matches!(cli.command, Command::Worker(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mastostream-fleet: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mastostream-fleet: {e}");
            ExitCode::FAILURE
        }
    }
}
