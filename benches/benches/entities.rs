//! Owned `String` entity fields (the model) against zero-copy `Cow<str>` fields borrowing
//! from the payload, decoding the same status payloads; plus the cost of routing by
//! `RawEvent::kind()` and `RawEvent::id()` without decoding.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mastostream_benches::entities::{BorrowedStatus, STATUSES, borrowed_share};
use mastostream_proto::model::Status;
use mastostream_proto::{JsonBackend, RawEvent};

fn owned_vs_borrowed(c: &mut Criterion) {
    for (name, json) in STATUSES {
        let decoded: BorrowedStatus<'_> = serde_json::from_str(json).expect("valid");
        let (borrowed, total) = borrowed_share(&decoded);
        eprintln!(
            "status/{name}: {} bytes, {borrowed} of {total} string bytes borrowable",
            json.len()
        );
        let mut group = c.benchmark_group(format!("status/{name}"));
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_function("owned", |b| {
            b.iter(|| black_box(serde_json::from_str::<Status>(black_box(json)).expect("valid")))
        });
        group.bench_function("borrowed", |b| {
            b.iter(|| {
                black_box(
                    serde_json::from_str::<BorrowedStatus<'_>>(black_box(json)).expect("valid"),
                )
            })
        });
        // Through the crate's own path: UTF-8 check, then the backend.
        let raw = RawEvent::new(
            Bytes::from_static(b"update"),
            Bytes::from_static(json.as_bytes()),
        );
        group.bench_function("event_serde_json", |b| {
            b.iter(|| black_box(raw.decode_with(JsonBackend::SerdeJson)))
        });
        #[cfg(feature = "simd-json")]
        group.bench_function("event_simd_json", |b| {
            b.iter(|| black_box(raw.decode_with(JsonBackend::SimdJson)))
        });
        group.finish();
    }
}

fn routing(c: &mut Criterion) {
    let events: Vec<RawEvent> = STATUSES
        .iter()
        .map(|(_, json)| {
            RawEvent::new(
                Bytes::from_static(b"update"),
                Bytes::from_static(json.as_bytes()),
            )
        })
        .chain([RawEvent::new(
            Bytes::from_static(b"delete"),
            Bytes::from_static(b"110988741790818968"),
        )])
        .collect();
    let bytes: usize = events
        .iter()
        .map(|e| e.data().len() + e.name_bytes().len())
        .sum();
    let mut group = c.benchmark_group("routing");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("kind_and_id", |b| {
        b.iter(|| {
            for event in &events {
                black_box((event.kind(), event.id()));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, owned_vs_borrowed, routing);
criterion_main!(benches);
