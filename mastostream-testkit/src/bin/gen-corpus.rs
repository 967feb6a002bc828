//! `gen-corpus`: writes a deterministic, realistic Mastodon streaming-API (SSE) capture.
//!
//! The options are those of the reference generator (`gen_corpus.py`):
//!
//! ```text
//! gen-corpus --events 50000 --seed 1 --out corpus-50k.sse --stats
//! gen-corpus --events 2000 --with-http-head --chunked --crlf --out x.http
//! ```

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;

use mastostream_testkit::corpus::{ChunkMode, CorpusConfig, Mix, generate_to};

const USAGE: &str = "\
usage: gen-corpus [options]

Writes a deterministic, realistic capture of Mastodon's streaming API (SSE).
The same --seed and options always give byte-identical output.

options:
  --events N            number of events; heartbeats are extra (default 1000)
  --out FILE            output file, '-' for stdout (default -)
  --seed S              RNG seed (default 1)
  --mix M               user (default), public, updates, or weights like 'update=9,delete=1'
  --chunked             wrap the body in HTTP/1.1 chunked transfer encoding
  --chunk-mode MODE     random (default): log-uniform sizes in [--chunk-min, --chunk-max];
                        writes: one chunk per server write
  --chunk-min N         smallest random chunk (default 1)
  --chunk-max N         largest random chunk (default 16384)
  --crlf                CRLF line endings in the SSE body
  --with-http-head      prefix an HTTP/1.1 200 OK response head
  --escape-ratio F      fraction of JSON payloads written ASCII-only with \\uXXXX escapes
                        (default 0.05; 0 for a pure-Mastodon capture)
  --stats               print per-event-type payload sizes to stderr
  -h, --help            show this help
";

struct Args {
    cfg: CorpusConfig,
    out: String,
    stats: bool,
}

fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut cfg = CorpusConfig::default();
    let mut out = "-".to_owned();
    let mut stats = false;
    let mut chunked = false;
    let mut mode = "random".to_owned();
    let (mut min, mut max) = (1usize, 16_384usize);
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("invalid value for {name}: {v:?}"))
        }
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--events" => cfg.events = num(&name, &value("a number")?)?,
            "--out" => out = value("a file name")?,
            "--seed" => cfg.seed = num(&name, &value("a number")?)?,
            "--mix" => {
                let v = value("a mix")?;
                cfg.mix = v.parse::<Mix>().map_err(|e| format!("--mix: {e}"))?;
            }
            "--chunked" => chunked = true,
            "--chunk-mode" => {
                mode = value("random or writes")?;
                if mode != "random" && mode != "writes" {
                    return Err(format!(
                        "--chunk-mode must be random or writes, not {mode:?}"
                    ));
                }
            }
            "--chunk-min" => min = num(&name, &value("a number")?)?,
            "--chunk-max" => max = num(&name, &value("a number")?)?,
            "--crlf" => cfg.crlf = true,
            "--with-http-head" => cfg.with_http_head = true,
            "--escape-ratio" => {
                let v: f64 = num(&name, &value("a number")?)?;
                if !(0.0..=1.0).contains(&v) {
                    return Err(format!("--escape-ratio must be in [0, 1], not {v}"));
                }
                cfg.escape_ratio = v;
            }
            "--stats" => stats = true,
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if chunked {
        cfg.chunked = Some(if mode == "writes" {
            ChunkMode::Writes
        } else {
            ChunkMode::Random { min, max }
        });
    }
    Ok(Some(Args { cfg, out, stats }))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gen-corpus: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if args.out == "-" {
        let stdout = io::stdout();
        let mut lock = stdout.lock();
        generate_to(&args.cfg, &mut lock).and_then(|s| lock.flush().map(|()| s))
    } else {
        File::create(&args.out).and_then(|mut f| generate_to(&args.cfg, &mut f))
    };
    match result {
        Ok(stats) => {
            if args.stats {
                eprintln!("{stats}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-corpus: {}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn options() {
        let a = parse(&[
            "--events",
            "5",
            "--seed=9",
            "--mix",
            "public",
            "--chunked",
            "--chunk-min",
            "3",
            "--chunk-max=7",
            "--crlf",
            "--with-http-head",
            "--escape-ratio",
            "0",
            "--stats",
            "--out",
            "x.sse",
        ])
        .expect("valid")
        .expect("not help");
        assert_eq!(a.cfg.events, 5);
        assert_eq!(a.cfg.seed, 9);
        assert_eq!(a.cfg.mix, Mix::Public);
        assert_eq!(a.cfg.chunked, Some(ChunkMode::Random { min: 3, max: 7 }));
        assert!(a.cfg.crlf && a.cfg.with_http_head && a.stats);
        assert_eq!(a.cfg.escape_ratio, 0.0);
        assert_eq!(a.out, "x.sse");
        let w = parse(&["--chunk-mode", "writes", "--chunked"])
            .expect("valid")
            .expect("not help");
        assert_eq!(w.cfg.chunked, Some(ChunkMode::Writes));
        assert!(
            parse(&["--chunk-mode", "writes"])
                .expect("valid")
                .expect("x")
                .cfg
                .chunked
                .is_none()
        );
        assert!(parse(&["--help"]).expect("valid").is_none());
        assert!(parse(&["--events"]).is_err());
        assert!(parse(&["--events", "x"]).is_err());
        assert!(parse(&["--mix", "nope=1"]).is_err());
        assert!(parse(&["--chunk-mode", "lines"]).is_err());
        assert!(parse(&["--escape-ratio", "2"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
