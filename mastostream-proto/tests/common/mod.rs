//! Shared helpers for the integration tests: fixture loading and backend lists.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use mastostream_proto::{DecodeError, Event, JsonBackend};

/// One fixture file: the event name it is filed under, its file name, and its bytes.
pub struct Fixture {
    pub event: String,
    pub file: String,
    pub data: Bytes,
}

impl Fixture {
    /// `event/file`, for assertion messages.
    pub fn label(&self) -> String {
        format!("{}/{}", self.event, self.file)
    }
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every file under `tests/fixtures/<group>/<event name>/`, sorted.
pub fn fixtures(group: &str) -> Vec<Fixture> {
    let mut out = Vec::new();
    for dir in sorted_entries(&fixture_dir().join(group)) {
        let event = file_name(&dir);
        for file in sorted_entries(&dir) {
            let data = std::fs::read(&file).expect("readable fixture");
            out.push(Fixture {
                event: event.clone(),
                file: file_name(&file),
                data: Bytes::from(data),
            });
        }
    }
    assert!(!out.is_empty(), "no fixtures under {group}");
    out
}

/// One fixture by path relative to `tests/fixtures`.
pub fn fixture(path: &str) -> Bytes {
    Bytes::from(std::fs::read(fixture_dir().join(path)).expect("readable fixture"))
}

/// Every file directly under `tests/fixtures/<group>/`, sorted, as (file name, bytes).
pub fn flat_fixtures(group: &str) -> Vec<(String, Bytes)> {
    sorted_entries(&fixture_dir().join(group))
        .into_iter()
        .map(|p| {
            (
                file_name(&p),
                Bytes::from(std::fs::read(&p).expect("readable fixture")),
            )
        })
        .collect()
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// The backends compiled in.
pub fn backends() -> Vec<JsonBackend> {
    vec![
        JsonBackend::SerdeJson,
        #[cfg(feature = "simd-json")]
        JsonBackend::SimdJson,
    ]
}

/// An event with the text of JSON error messages removed (the two backends word them
/// differently; everything else must be identical).
pub fn comparable(event: Event) -> Event {
    match event {
        Event::Malformed {
            name,
            data,
            error: DecodeError::Json { .. },
        } => Event::Malformed {
            name,
            data,
            error: DecodeError::Json {
                message: String::new(),
            },
        },
        other => other,
    }
}
