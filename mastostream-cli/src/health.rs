//! `mastostream health`: discovery and the health endpoint, printed; exit 0 when healthy.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use mastostream_tokio::{Client, HealthReport};

use crate::cli::HealthArgs;
use crate::json::Obj;
use crate::lines::source;
use crate::notes::{software, version};
use crate::tail::{FATAL, OK};

/// A field name.
const LABEL: Style = Style::new().bold();
const GOOD: Style = AnsiColor::Green.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();

/// Runs the check to its exit code: 0 healthy, 1 not (or no answer).
pub(crate) async fn run(args: &HealthArgs) -> u8 {
    let client = match Client::new(&args.instance) {
        Ok(c) => c.token_opt(args.auth.token()),
        Err(e) => return fail(args, &e.to_string(), None),
    };
    #[cfg(feature = "native-roots")]
    let client = match client.native_roots(true) {
        Ok(c) => c,
        Err(e) => return fail(args, &e.to_string(), None),
    };
    let report = match client.health().await {
        Ok(report) => report,
        Err(e) => return fail(args, &e.to_string(), Some(e.summary_json())),
    };
    let instance = client.instance().to_string();
    let mut out = anstream::stdout();
    let _ = if args.json {
        writeln!(out, "{}", json(&instance, &report))
    } else {
        write!(out, "{}", human(&instance, &report))
    };
    if report.healthy { OK } else { FATAL }
}

/// No answer: `error: ...` (or the JSON error) on stderr; exit 1.
fn fail(args: &HealthArgs, words: &str, json: Option<String>) -> u8 {
    let mut err = anstream::stderr();
    let _ = if args.json {
        let json = json.unwrap_or_else(|| {
            Obj::kind("error")
                .raw("status", "null")
                .str("error", words)
                .end()
        });
        writeln!(err, "{json}")
    } else {
        writeln!(err, "{BAD}error:{BAD:#} {words}")
    };
    FATAL
}

/// The `--json` object.
fn json(instance: &str, r: &HealthReport) -> String {
    let (code, reason, _) = source(&r.server.source);
    Obj::kind("health")
        .str("instance", instance)
        .str("streaming", &r.server.streaming.to_string())
        .str("source", code)
        .opt_str("reason", reason.as_deref())
        .str("software", &software(&r.server))
        .opt_str("version", version(&r.server).as_deref())
        .opt_raw("status", r.status)
        .raw("healthy", r.healthy)
        .end()
}

/// The human lines.
fn human(instance: &str, r: &HealthReport) -> String {
    let (_, _, how) = source(&r.server.source);
    let status = r.status.map_or("no status".to_owned(), |s| s.to_string());
    let verdict = if r.healthy {
        format!("{GOOD}healthy{GOOD:#}")
    } else {
        format!("{BAD}not healthy{BAD:#}")
    };
    let answer = if r.healthy { "OK" } else { "not OK" };
    let mut lines = format!("{LABEL}instance {LABEL:#}  {instance}\n");
    lines += &format!(
        "{LABEL}streaming{LABEL:#}  {} ({how})\n",
        r.server.streaming
    );
    lines += &format!("{LABEL}software {LABEL:#}  {}\n", software(&r.server));
    lines += &format!("{LABEL}health   {LABEL:#}  {status} {answer}: {verdict}\n");
    lines
}
