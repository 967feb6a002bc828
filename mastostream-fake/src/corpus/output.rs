//! Writing a corpus: optional HTTP head, optional chunked framing, and size statistics.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::json::http_date;
use super::mix::EventKind;
use super::rng::{Rng, exp, ln};
use super::stream::{GeneratedEvent, heartbeat, prologue};
use super::{ChunkMode, CorpusConfig, START_MS, events};

const TAG_CHUNKS: u64 = 0x6368_756e_6b73;
const TAG_HEAD: u64 = 0x6865_6164;

/// An `HTTP/1.1 200 OK` head as nginx in front of Mastodon's streaming server sends it, with
/// `Transfer-Encoding: chunked` when `chunked`, `Connection: close` otherwise. The
/// `X-Request-Id` comes from `seed`.
pub fn http_head(seed: u64, chunked: bool) -> String {
    let mut rng = Rng::derive(seed, TAG_HEAD, 0);
    let u = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    let mut lines = vec![
        "HTTP/1.1 200 OK".to_owned(),
        "Server: nginx".to_owned(),
        format!("Date: {}", http_date(START_MS)),
        "Content-Type: text/event-stream".to_owned(),
    ];
    if chunked {
        lines.push("Transfer-Encoding: chunked".to_owned());
        lines.push("Connection: keep-alive".to_owned());
    } else {
        lines.push("Connection: close".to_owned());
    }
    lines.push("Cache-Control: private, no-store".to_owned());
    lines.push(format!(
        "X-Request-Id: {}-{}-{}-{}-{}",
        &u[..8],
        &u[8..12],
        &u[12..16],
        &u[16..20],
        &u[20..]
    ));
    lines.push("Access-Control-Allow-Origin: *".to_owned());
    lines.push("Access-Control-Allow-Headers: Authorization, Accept, Cache-Control".to_owned());
    lines.push("Access-Control-Allow-Methods: GET, OPTIONS".to_owned());
    lines.push("Strict-Transport-Security: max-age=63072000; includeSubDomains".to_owned());
    let mut head = lines.join("\r\n");
    head.push_str("\r\n\r\n");
    head
}

/// Where body bytes go: straight through, or wrapped in chunks.
struct Body<'w, W: Write> {
    out: &'w mut W,
    mode: Option<ChunkMode>,
    /// Random mode: bytes not yet framed, the framed prefix, and the next chunk's size.
    buf: Vec<u8>,
    rng: Rng,
    lo: f64,
    hi: f64,
    min: usize,
    max: usize,
    next: usize,
    written: u64,
}

impl<'w, W: Write> Body<'w, W> {
    fn new(out: &'w mut W, mode: Option<ChunkMode>, seed: u64) -> Self {
        let (min, max) = match mode {
            Some(ChunkMode::Random { min, max }) => (min.max(1), max.max(min.max(1))),
            _ => (1, 1),
        };
        let mut b = Body {
            out,
            mode,
            buf: Vec::new(),
            rng: Rng::derive(seed, TAG_CHUNKS, 0),
            lo: ln(min as f64),
            hi: ln(max as f64),
            min,
            max,
            next: 0,
            written: 0,
        };
        b.next = b.chunk_size();
        b
    }

    /// Log-uniform in `[min, max]`.
    fn chunk_size(&mut self) -> usize {
        let x = exp(self.rng.uniform(self.lo, self.hi)) as usize;
        x.clamp(self.min, self.max)
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    fn chunk(&mut self, piece: &[u8]) -> io::Result<()> {
        let size = format!("{:x}\r\n", piece.len());
        self.raw(size.as_bytes())?;
        self.raw(piece)?;
        self.raw(b"\r\n")
    }

    /// One server write.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.mode {
            None => self.raw(bytes),
            Some(ChunkMode::Writes) => self.chunk(bytes),
            Some(ChunkMode::Random { .. }) => {
                self.buf.extend_from_slice(bytes);
                let mut pos = 0;
                while self.buf.len() - pos >= self.next {
                    let end = pos + self.next;
                    let piece = std::mem::take(&mut self.buf);
                    self.chunk(&piece[pos..end])?;
                    self.buf = piece;
                    pos = end;
                    self.next = self.chunk_size();
                }
                self.buf.drain(..pos);
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.mode.is_none() {
            return Ok(());
        }
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.chunk(&rest)?;
        }
        self.raw(b"0\r\n\r\n")
    }
}

/// Writes the corpus `cfg` describes to `w` and returns its statistics.
///
/// `w` is buffered internally. Fails with [`io::ErrorKind::InvalidInput`] if the mix is invalid.
pub fn generate_to(cfg: &CorpusConfig, w: &mut impl Write) -> io::Result<Stats> {
    cfg.mix
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut out = io::BufWriter::with_capacity(1 << 16, w);
    let mut stats = StatsBuilder::default();
    let mut head_len = 0;
    if cfg.with_http_head {
        let head = http_head(cfg.seed, cfg.chunked.is_some());
        out.write_all(head.as_bytes())?;
        head_len = head.len() as u64;
    }
    let mut body = Body::new(&mut out, cfg.chunked, cfg.seed);
    let mut body_len = 0u64;
    let p = prologue(cfg.crlf);
    body.write(p.as_bytes())?;
    body_len += p.len() as u64;
    for item in events(cfg) {
        match item {
            GeneratedEvent::Heartbeat { .. } => {
                let h = heartbeat(cfg.crlf);
                body.write(h.as_bytes())?;
                body_len += h.len() as u64;
                stats.heartbeats += 1;
            }
            GeneratedEvent::Event(e) => {
                for part in e.sse_writes(cfg.crlf) {
                    body.write(part.as_bytes())?;
                    body_len += part.len() as u64;
                }
                stats.add(e.kind, e.payload.len());
            }
        }
    }
    body.finish()?;
    let framed = body.written;
    out.flush()?;
    Ok(stats.finish(body_len, head_len + framed))
}

/// The whole corpus `cfg` describes, in memory. Panics if the mix is invalid.
pub fn generate(cfg: &CorpusConfig) -> Vec<u8> {
    let mut v = Vec::new();
    if let Err(e) = generate_to(cfg, &mut v) {
        panic!("cannot generate corpus: {e}");
    }
    v
}

/// Makes sure the corpus `cfg` describes is at `path`: does nothing if the file exists,
/// otherwise generates it next to `path` and renames it into place, so that a reader never
/// sees a half-written file (benchmarks call this to create their corpus on first use).
/// Creates missing parent directories.
pub fn ensure_file(path: &Path, cfg: &CorpusConfig) -> io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = fs::File::create(&tmp)
        .and_then(|mut f| generate_to(cfg, &mut f).and_then(|_| f.sync_all()))
        // Another process may have won the race (rename cannot replace a file everywhere).
        .and_then(|()| {
            fs::rename(&tmp, path).or_else(|e| if path.exists() { Ok(()) } else { Err(e) })
        });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The size distribution of one event type's payloads, in bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct KindStats {
    /// The event type.
    pub kind: EventKind,
    /// Number of events.
    pub count: usize,
    /// Mean payload size.
    pub mean: f64,
    /// Median payload size.
    pub p50: usize,
    /// 90th percentile.
    pub p90: usize,
    /// 99th percentile.
    pub p99: usize,
    /// Largest payload.
    pub max: usize,
}

/// What [`generate_to`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Number of events (heartbeats not counted).
    pub events: usize,
    /// Number of `:thump` heartbeats.
    pub heartbeats: usize,
    /// Bytes of SSE body (before any chunked framing).
    pub body_bytes: u64,
    /// Bytes written in all: head, body and chunk framing.
    pub total_bytes: u64,
    /// Per event type, most frequent first.
    pub kinds: Vec<KindStats>,
}

impl Stats {
    /// The statistics of one event type, if any such event was written.
    pub fn kind(&self, kind: EventKind) -> Option<&KindStats> {
        self.kinds.iter().find(|k| k.kind == kind)
    }

    /// The share of events of this type (0 to 1).
    pub fn share(&self, kind: EventKind) -> f64 {
        self.kind(kind)
            .map_or(0.0, |k| k.count as f64 / self.events.max(1) as f64)
    }
}

impl fmt::Display for Stats {
    /// The reference generator's `--stats` table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "events: {}", self.events)?;
        for k in &self.kinds {
            writeln!(
                f,
                "  {:<22} n={:>6} ({:>5.1}%) mean={:>7.0} p50={:>6} p90={:>6} p99={:>6} max={:>6}",
                k.kind.name(),
                k.count,
                100.0 * k.count as f64 / self.events.max(1) as f64,
                k.mean,
                k.p50,
                k.p90,
                k.p99,
                k.max
            )?;
        }
        write!(
            f,
            "heartbeats: {}, body: {} bytes, written: {} bytes",
            self.heartbeats, self.body_bytes, self.total_bytes
        )
    }
}

#[derive(Default)]
struct StatsBuilder {
    sizes: Vec<(EventKind, Vec<usize>)>,
    heartbeats: usize,
}

impl StatsBuilder {
    fn add(&mut self, kind: EventKind, size: usize) {
        match self.sizes.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, v)) => v.push(size),
            None => self.sizes.push((kind, vec![size])),
        }
    }

    fn finish(self, body_bytes: u64, total_bytes: u64) -> Stats {
        let mut kinds: Vec<KindStats> = self
            .sizes
            .into_iter()
            .map(|(kind, mut v)| {
                v.sort_unstable();
                let n = v.len();
                let q = |p: f64| v[((p * n as f64) as usize).min(n - 1)];
                KindStats {
                    kind,
                    count: n,
                    mean: v.iter().sum::<usize>() as f64 / n as f64,
                    p50: q(0.5),
                    p90: q(0.9),
                    p99: q(0.99),
                    max: v[n - 1],
                }
            })
            .collect();
        kinds.sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)));
        Stats {
            events: kinds.iter().map(|k| k.count).sum(),
            heartbeats: self.heartbeats,
            body_bytes,
            total_bytes,
            kinds,
        }
    }
}
