//! The full pipeline from a whole chunked HTTP response (head, then a chunked body with
//! random chunk sizes), read in 16 KiB pieces, to:
//! - `frames`: `Decoder::http` frames;
//! - `typed/serde_json`, `typed/simd-json`: typed `Event`s with each JSON backend;
//! - `routing`: `RawEvent::kind()` and `id()` per event, no full decode;
//! - the peer `eventsource-stream` + `serde_json` into our entity types, given the body
//!   already de-chunked (its HTTP work is free, so the comparison favours it).
//!
//! Throughput is the HTTP response's size for every line, so the numbers compare directly.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mastostream_benches as b;
use mastostream_proto::JsonBackend;

fn pipeline(c: &mut Criterion) {
    let events = b::corpus_events();
    let response = b::http_corpus(events);
    let chunks = b::split(&response, 16 << 10);
    let body = b::dechunk(&chunks);

    // Equal work, checked once outside the timing: every pipeline sees every event, and
    // decodes every one of them.
    assert_eq!(b::mastostream_http(&chunks), events, "frames");
    let serde = b::mastostream_typed(&chunks, JsonBackend::SerdeJson);
    assert_eq!(serde.events, events, "typed events");
    assert_eq!(serde.malformed, 0, "the corpus decodes");
    assert_eq!(b::mastostream_typed(&chunks, JsonBackend::SimdJson), serde);
    assert_eq!(b::eventsource_typed(&body), serde, "peer pipeline");
    assert!(b::mastostream_routing(&chunks) > events / 2, "ids found");

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(response.len() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.bench_function("mastostream/frames", |bench| {
        bench.iter(|| b::mastostream_http(&chunks))
    });
    group.bench_function("mastostream/routing", |bench| {
        bench.iter(|| b::mastostream_routing(&chunks))
    });
    group.bench_function("mastostream/typed/serde_json", |bench| {
        bench.iter(|| b::mastostream_typed(&chunks, JsonBackend::SerdeJson))
    });
    group.bench_function("mastostream/typed/simd-json", |bench| {
        bench.iter(|| b::mastostream_typed(&chunks, JsonBackend::SimdJson))
    });
    group.bench_function("eventsource-stream+serde_json/typed", |bench| {
        bench.iter(|| b::eventsource_typed(&body))
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
