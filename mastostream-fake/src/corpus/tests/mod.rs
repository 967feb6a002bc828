//! Tests of the corpus as a whole: determinism and wire format here, payloads in `payloads`.

mod payloads;

use std::collections::BTreeSet;

use super::*;

pub(super) fn cfg(events: usize, seed: u64) -> CorpusConfig {
    CorpusConfig {
        events,
        seed,
        ..CorpusConfig::default()
    }
}

pub(super) fn all_kinds_mix() -> Mix {
    Mix::Weights(
        EventKind::ALL
            .iter()
            .map(|&k| (k, if k == EventKind::Update { 5.0 } else { 1.0 }))
            .collect(),
    )
}

pub(super) fn stream_events(c: &CorpusConfig) -> Vec<StreamEvent> {
    events(c)
        .filter_map(|e| match e {
            GeneratedEvent::Event(e) => Some(e),
            GeneratedEvent::Heartbeat { .. } => None,
        })
        .collect()
}

/// An obviously-correct SSE reader for whole LF bodies: (comments, events).
fn read_sse(body: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut comments = Vec::new();
    let mut events = Vec::new();
    let mut name = None;
    for line in body.split('\n') {
        if let Some(c) = line.strip_prefix(':') {
            comments.push(c.to_owned());
        } else if let Some(n) = line.strip_prefix("event: ") {
            assert!(name.is_none(), "event line without data");
            name = Some(n.to_owned());
        } else if let Some(d) = line.strip_prefix("data: ") {
            events.push((name.take().expect("data after event"), d.to_owned()));
        } else {
            assert!(line.is_empty(), "unexpected line {line:?}");
        }
    }
    (comments, events)
}

/// Decodes an HTTP/1.1 chunked body; returns the data and the chunk sizes (final 0 included).
fn dechunk(mut b: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").expect("size line");
        let hex = std::str::from_utf8(&b[..eol]).expect("ascii size");
        assert!(
            hex.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "{hex:?}"
        );
        let n = usize::from_str_radix(hex, 16).expect("hex size");
        sizes.push(n);
        b = &b[eol + 2..];
        out.extend_from_slice(&b[..n]);
        assert_eq!(&b[n..n + 2], b"\r\n", "chunk data must end with CRLF");
        b = &b[n + 2..];
        if n == 0 {
            assert!(b.is_empty(), "bytes after the last chunk");
            return (out, sizes);
        }
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = generate(&cfg(300, 5));
    assert_eq!(a, generate(&cfg(300, 5)));
    assert_ne!(a, generate(&cfg(300, 6)));
    // A prefix of a longer run is the shorter run.
    let long = generate(&cfg(400, 5));
    assert!(long.starts_with(&a));
    // Framing options do not change the events.
    let c = CorpusConfig {
        crlf: true,
        chunked: Some(ChunkMode::Writes),
        ..cfg(300, 5)
    };
    assert_eq!(stream_events(&c), stream_events(&cfg(300, 5)));
}

#[test]
fn output_is_pinned() {
    // FNV-1a of the default 200-event corpus. The generator must give the same bytes on every
    // platform and release; if you change the output on purpose, update these values.
    let bytes = generate(&cfg(200, 1));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in &bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    assert_eq!((bytes.len(), h), (689_555, 4_037_404_589_035_038_493));
}

#[test]
fn wire_format() {
    let c = CorpusConfig {
        mix: all_kinds_mix(),
        ..cfg(2000, 2)
    };
    let body = String::from_utf8(generate(&c)).expect("UTF-8");
    assert!(body.starts_with(":)\nevent: "));
    assert!(body.ends_with("\n\n"));
    assert!(!body.contains('\r'));
    let (comments, evs) = read_sse(&body);
    assert_eq!(comments[0], ")");
    assert!(comments[1..].iter().all(|c| c == "thump"));
    // One heartbeat per 15 s at about 0.3 s per event: about one per 50 events.
    let beats = comments.len() - 1;
    assert!((30..=50).contains(&beats), "{beats} heartbeats");
    let expected = stream_events(&c);
    assert_eq!(evs.len(), expected.len());
    for ((name, data), e) in evs.iter().zip(&expected) {
        assert_eq!(
            (name.as_str(), data.as_str()),
            (e.name(), e.payload.as_str())
        );
    }
    // Each item's own SSE text, concatenated, is the body.
    let items: String = events(&c).map(|e| e.to_sse(false)).collect();
    assert_eq!(format!("{}{items}", prologue(false)), body);
}

#[test]
fn heartbeats_follow_simulated_time() {
    let mut last_at = 0;
    let mut next_beat = START_MS + HEARTBEAT_INTERVAL_MS;
    for item in events(&cfg(3000, 4)) {
        let at = item.at_ms();
        assert!(at >= last_at, "time goes forward");
        match item {
            GeneratedEvent::Heartbeat { at_ms } => {
                assert_eq!(at_ms, next_beat);
                next_beat += HEARTBEAT_INTERVAL_MS;
            }
            GeneratedEvent::Event(e) => assert!(e.at_ms < next_beat),
        }
        last_at = at;
    }
    assert!(next_beat > START_MS + 50 * HEARTBEAT_INTERVAL_MS);
}

#[test]
fn chunked_round_trips() {
    let plain = generate(&cfg(400, 9));
    for (min, max) in [(1, 1), (1, 7), (1, 16_384), (100, 100), (50, 3000)] {
        let c = CorpusConfig {
            chunked: Some(ChunkMode::Random { min, max }),
            ..cfg(400, 9)
        };
        let (body, sizes) = dechunk(&generate(&c));
        assert_eq!(body, plain, "random {min}..{max}");
        let (last, rest) = sizes.split_last().expect("chunks");
        assert_eq!(*last, 0);
        let (tail, full) = rest.split_last().expect("data chunks");
        assert!(
            full.iter().all(|&n| (min..=max).contains(&n)),
            "{min}..{max}"
        );
        assert!((1..=max).contains(tail));
        if max > 2 * min {
            assert!(full.iter().collect::<BTreeSet<_>>().len() > 3, "sizes vary");
        }
    }
    // Random boundaries split UTF-8 sequences and CRLF pairs.
    let c = CorpusConfig {
        crlf: true,
        chunked: Some(ChunkMode::Random { min: 1, max: 64 }),
        ..cfg(100, 9)
    };
    let framed = generate(&c);
    let (mut pos, mut split_utf8, mut split_crlf) = (0, 0, 0);
    loop {
        let eol = framed[pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("size line");
        let hex = std::str::from_utf8(&framed[pos..pos + eol]).expect("hex");
        let n = usize::from_str_radix(hex, 16).expect("hex");
        let data = &framed[pos + eol + 2..pos + eol + 2 + n];
        split_utf8 += usize::from(std::str::from_utf8(data).is_err());
        split_crlf += usize::from(data.last() == Some(&b'\r'));
        pos += eol + 2 + n + 2;
        if n == 0 {
            break;
        }
    }
    assert!(
        split_utf8 > 10 && split_crlf > 2,
        "{split_utf8} {split_crlf}"
    );

    // One chunk per server write.
    let c = CorpusConfig {
        chunked: Some(ChunkMode::Writes),
        ..cfg(400, 9)
    };
    let (body, sizes) = dechunk(&generate(&c));
    assert_eq!(body, plain);
    let writes = 1 + 2 * 400 + plain.windows(7).filter(|w| w == b":thump\n").count();
    assert_eq!(sizes.len(), writes + 1);
    assert_eq!(sizes[0], 3); // ":)\n"
}

#[test]
fn crlf_has_no_bare_lf() {
    let lf = String::from_utf8(generate(&cfg(500, 10))).expect("utf-8");
    for chunked in [None, Some(ChunkMode::Random { min: 1, max: 100 })] {
        let c = CorpusConfig {
            crlf: true,
            with_http_head: true,
            chunked,
            ..cfg(500, 10)
        };
        let out = generate(&c);
        let body = match chunked {
            None => out,
            Some(_) => {
                let start = out.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
                dechunk(&out[start..]).0
            }
        };
        for (i, &b) in body.iter().enumerate() {
            if b == b'\n' {
                assert!(i > 0 && body[i - 1] == b'\r', "bare LF at {i}");
            }
            if b == b'\r' {
                assert_eq!(body.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
        }
        let text = String::from_utf8(body).expect("utf-8");
        assert!(text.ends_with(&lf.replace('\n', "\r\n")));
    }
}

#[test]
fn http_head_shape() {
    let chunked = CorpusConfig {
        with_http_head: true,
        chunked: Some(ChunkMode::Writes),
        ..cfg(10, 1)
    };
    let out = String::from_utf8(generate(&chunked)).expect("utf-8");
    let (head, body) = out.split_once("\r\n\r\n").expect("head");
    let lines: Vec<&str> = head.split("\r\n").collect();
    assert_eq!(lines[0], "HTTP/1.1 200 OK");
    for h in [
        "Content-Type: text/event-stream",
        "Cache-Control: private, no-store",
        "Transfer-Encoding: chunked",
        "Date: Mon, 02 Jun 2025 09:00:00 GMT",
    ] {
        assert!(lines.contains(&h), "{h}");
    }
    assert!(!lines.contains(&"Connection: close"));
    assert!(body.starts_with("3\r\n:)\n\r\n"));
    let plain = String::from_utf8(generate(&CorpusConfig {
        with_http_head: true,
        ..cfg(10, 1)
    }))
    .expect("utf-8");
    let (head, body) = plain.split_once("\r\n\r\n").expect("head");
    assert!(head.contains("\r\nConnection: close\r\n"));
    assert!(!head.contains("Transfer-Encoding"));
    assert!(body.starts_with(":)\n"));
}

#[test]
fn invalid_mix_is_an_error() {
    let c = CorpusConfig {
        mix: Mix::Weights(vec![(EventKind::Update, 0.0)]),
        ..cfg(10, 1)
    };
    let err = generate_to(&c, &mut Vec::new()).expect_err("invalid");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let c = CorpusConfig {
        mix: Mix::Weights(vec![(EventKind::Update, f64::NAN)]),
        ..cfg(10, 1)
    };
    assert!(generate_to(&c, &mut Vec::new()).is_err());
}

#[test]
fn endless_stream() {
    let c = CorpusConfig {
        events: usize::MAX,
        ..cfg(0, 15)
    };
    assert_eq!(
        events(&c)
            .filter(|e| matches!(e, GeneratedEvent::Event(_)))
            .take(150)
            .count(),
        150
    );
    assert_eq!(events(&cfg(0, 15)).count(), 0);
}

#[test]
fn ensure_file_writes_once() {
    let dir = std::env::temp_dir().join(format!("mastostream-corpus-test-{}", std::process::id()));
    let path = dir.join("sub").join("c.sse");
    let c = cfg(50, 16);
    ensure_file(&path, &c).expect("written");
    assert_eq!(std::fs::read(&path).expect("read"), generate(&c));
    // An existing file is left alone.
    std::fs::write(&path, b"x").expect("overwrite");
    ensure_file(&path, &c).expect("exists");
    assert_eq!(std::fs::read(&path).expect("read"), b"x");
    assert_eq!(
        std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .count(),
        1,
        "no temp file left"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
