//! Helpers shared by the fuzz targets: turning fuzzer bytes into chunkings and limits.

#![forbid(unsafe_code)]

use bytes::Bytes;

/// Splits `data` into consecutive slices of one buffer, with sizes taken cyclically from
/// `seeds` (each seed byte `s` is a chunk of `s + 1` bytes, so 1 to 256). No seeds: one chunk.
pub fn chunks(data: &Bytes, seeds: &[u8]) -> Vec<Bytes> {
    if seeds.is_empty() {
        return vec![data.clone()];
    }
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let n = (usize::from(seeds[i % seeds.len()]) + 1).min(data.len() - at);
        out.push(data.slice(at..at + n));
        at += n;
        i += 1;
    }
    out
}

/// `data` split in two at `point` (taken modulo `len + 1`): both halves are slices.
pub fn split_at(data: &Bytes, point: usize) -> Vec<Bytes> {
    let p = point % (data.len() + 1);
    vec![data.slice(..p), data.slice(p..)]
}

/// A small limit chosen by a fuzzer byte, or `default` for 0, so that both the limit paths
/// and the normal paths are exercised.
pub fn limit(byte: u8, default: usize) -> usize {
    if byte == 0 {
        default
    } else {
        usize::from(byte)
    }
}

/// Whether `inner` lies inside `outer` (a zero-copy slice of it).
pub fn is_slice_of(inner: &[u8], outer: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}
