//! SSE framing throughput: our `SseParser` against the peers `eventsource-stream` and
//! `sse-stream`, on the same corpus cut into the same chunks (1 KiB, 16 KiB, 64 KiB slices
//! of one buffer), every item drained. Also one 1 MiB and one 8 MiB event fed in 1 KiB
//! chunks, which must stay linear.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mastostream_benches as b;
use mastostream_proto::sse::{SseLimits, SseParser};

fn framing(c: &mut Criterion) {
    let corpus = b::sse_corpus(b::corpus_events());
    let mut group = c.benchmark_group("sse_framing");
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for size in b::CHUNK_SIZES {
        let chunks = b::split(&corpus, size);
        let label = format!("{}KiB", size >> 10);
        // Equal work: every parser must find the same events (checked once, not timed).
        let events = b::mastostream_sse(&chunks);
        assert_eq!(b::sse_stream(&chunks), events, "sse-stream event count");
        assert_eq!(
            b::eventsource_stream(&chunks),
            events,
            "eventsource-stream event count"
        );
        group.bench_with_input(
            BenchmarkId::new("mastostream", &label),
            &chunks,
            |bench, c| bench.iter(|| b::mastostream_sse(c)),
        );
        group.bench_with_input(
            BenchmarkId::new("sse-stream", &label),
            &chunks,
            |bench, c| bench.iter(|| b::sse_stream(c)),
        );
        group.bench_with_input(
            BenchmarkId::new("eventsource-stream", &label),
            &chunks,
            |bench, c| bench.iter(|| b::eventsource_stream(c)),
        );
    }
    group.finish();
}

fn large_event(c: &mut Criterion) {
    let limits = SseLimits {
        max_line: 16 << 20,
        max_event: 16 << 20,
    };
    let mut group = c.benchmark_group("large_event");
    group.sample_size(10);
    for size in [1 << 20, 8 << 20] {
        let wire = b::large_event(size);
        let chunks = b::split(&wire, 1 << 10);
        let label = format!("{}MiB_in_1KiB", size >> 20);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        let ours = b::mastostream_sse_with(&chunks, &mut SseParser::new(limits));
        assert_eq!(ours, size);
        assert_eq!(b::sse_stream(&chunks), 1);
        group.bench_with_input(
            BenchmarkId::new("mastostream", &label),
            &chunks,
            |bench, c| bench.iter(|| b::mastostream_sse_with(c, &mut SseParser::new(limits))),
        );
        group.bench_with_input(
            BenchmarkId::new("sse-stream", &label),
            &chunks,
            |bench, c| bench.iter(|| b::sse_stream(c)),
        );
        // eventsource-stream rescans its whole buffer on every chunk: quadratic, about 0.4 s
        // for 1 MiB and some 20 s for 8 MiB on the reference machine, so 1 MiB only.
        if size == 1 << 20 {
            assert_eq!(b::eventsource_stream(&chunks), 1);
            group.bench_with_input(
                BenchmarkId::new("eventsource-stream", &label),
                &chunks,
                |bench, c| bench.iter(|| b::eventsource_stream(c)),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, framing, large_event);
criterion_main!(benches);
