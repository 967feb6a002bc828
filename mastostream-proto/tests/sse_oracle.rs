//! Property tests for the SSE framer: on random documents in random chunkings, the streaming
//! parser agrees with a tiny, obviously-correct parser that sees the whole input at once.

use bytes::Bytes;
use mastostream_proto::DecodeError;
use mastostream_proto::sse::{SseItem, SseLimits, SseParser};
use mastostream_proto::testing::{OracleItem, sse_oracle};
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Event {
        event: String,
        data: String,
        id: String,
    },
    Comment(String),
    Retry(u64),
    Skipped(String, DecodeError),
}

/// The WHATWG "event stream interpretation" over the whole input
/// ([`mastostream_proto::testing::sse_oracle`]), in this file's item type.
fn oracle(input: &[u8]) -> Vec<Item> {
    sse_oracle(input)
        .into_iter()
        .map(|item| match item {
            OracleItem::Event(event, data, id) => Item::Event { event, data, id },
            OracleItem::Comment(text) => Item::Comment(text),
            OracleItem::Retry(ms) => Item::Retry(ms),
        })
        .collect()
}

fn streaming(chunks: &[Bytes], limits: SseLimits) -> Vec<Item> {
    let mut p = SseParser::new(limits);
    let mut out = Vec::new();
    let mut drain = |p: &mut SseParser| {
        while let Some(item) = p.poll() {
            out.push(match item {
                SseItem::Event(e) => Item::Event {
                    event: e.event_type_str().into_owned(),
                    data: e.data_str().into_owned(),
                    id: e.last_event_id_str().into_owned(),
                },
                SseItem::Comment(c) => Item::Comment(String::from_utf8_lossy(&c).into_owned()),
                SseItem::Retry(ms) => Item::Retry(ms),
                SseItem::Skipped { event_type, error } => {
                    Item::Skipped(String::from_utf8_lossy(&event_type).into_owned(), error)
                }
            });
        }
    };
    for c in chunks {
        p.feed(c.clone());
        drain(&mut p);
    }
    p.finish();
    drain(&mut p);
    out
}

/// Splits `input` at the given cut points (taken modulo the length).
fn chunk(input: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let input = Bytes::copy_from_slice(input);
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    at.push(0);
    at.push(input.len());
    at.sort_unstable();
    at.windows(2).map(|w| input.slice(w[0]..w[1])).collect()
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(b"abc xyz{}\":,0123456789".to_vec()).prop_map(|b| vec![b]),
            1 => Just(b":".to_vec()),
            1 => Just(b" ".to_vec()),
            1 => Just(vec![0]),
            1 => Just("é猫👩‍👩‍👧\u{2028}".as_bytes().to_vec()),
            1 => Just(vec![0xff]),
            1 => Just(vec![0xe2, 0x82]),
            1 => Just(b"\xef\xbb\xbf".to_vec()),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(vec![
        &b"data"[..],
        b"data",
        b"data",
        b"event",
        b"id",
        b"retry",
        b"Data",
        b"foo",
        b"",
        b" data",
    ]);
    prop_oneof![
        4 => (field.clone(), prop::sample::select(vec![&b": "[..], b":", b":  "]), value())
            .prop_map(|(f, sep, v)| [f, sep, &v].concat()),
        1 => field.prop_map(|f| f.to_vec()),
        1 => prop::collection::vec(prop::sample::select(b"0123456789".to_vec()), 1..25)
            .prop_map(|d| [&b"retry: "[..], &d].concat()),
        1 => value().prop_map(|v| [&b":"[..], &v].concat()),
        2 => Just(Vec::new()),
    ]
}

fn document() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        prop::collection::vec(
            (
                line(),
                prop::sample::select(vec![&b"\n"[..], b"\r\n", b"\r"]),
            ),
            0..40,
        ),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, cut_tail)| {
            let mut doc = if bom {
                b"\xef\xbb\xbf".to_vec()
            } else {
                Vec::new()
            };
            for (l, end) in lines {
                doc.extend_from_slice(&l);
                doc.extend_from_slice(end);
            }
            if cut_tail && !doc.is_empty() {
                doc.pop();
            }
            doc
        })
}

const UNLIMITED: SseLimits = SseLimits {
    max_line: usize::MAX,
    max_event: usize::MAX,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn streaming_parser_agrees_with_oracle(doc in document(), cuts in prop::collection::vec(any::<usize>(), 0..20)) {
        let want = oracle(&doc);
        prop_assert_eq!(streaming(&chunk(&doc, &[]), UNLIMITED), want.clone());
        prop_assert_eq!(streaming(&chunk(&doc, &cuts), UNLIMITED), want);
    }

    #[test]
    fn any_chunking_gives_the_same_items_under_tight_limits(
        doc in document(),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        max_line in 1usize..40,
        max_event in 1usize..60,
    ) {
        let limits = SseLimits { max_line, max_event };
        let whole = streaming(&chunk(&doc, &[]), limits);
        prop_assert_eq!(streaming(&chunk(&doc, &cuts), limits), whole.clone());
        let bytes: Vec<usize> = (0..doc.len()).collect();
        prop_assert_eq!(streaming(&chunk(&doc, &bytes), limits), whole);
    }
}

#[test]
fn oracle_sanity() {
    assert_eq!(
        oracle(b"\xef\xbb\xbfdata: a\r\ndata:b\r\n\r\n:x\nretry: 12\n"),
        vec![
            Item::Event {
                event: "message".into(),
                data: "a\nb".into(),
                id: String::new()
            },
            Item::Comment("x".into()),
            Item::Retry(12),
        ]
    );
}
