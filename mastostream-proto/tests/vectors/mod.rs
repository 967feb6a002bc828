//! Runs protocol vectors stored as data files: `NAME.<ext>` is the input and `NAME.jsonl`
//! the expected items, one JSON object per line.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use serde_json::Value;

/// Checks every vector in `tests/vectors/<dir>/` (at least `min` of them) with `run` fed the
/// input whole, one byte at a time, and split in two at every point.
pub fn check_all(dir: &str, ext: &str, min: usize, run: impl Fn(&[&[u8]]) -> Vec<Value>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(dir);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    names.sort();
    assert!(names.len() >= min, "vectors missing from {}", dir.display());
    for path in names {
        let input = std::fs::read(&path).unwrap();
        let expected: Vec<Value> = std::fs::read_to_string(path.with_extension("jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let name = path.file_stem().unwrap().to_string_lossy();
        assert_eq!(run(&[&input]), expected, "{name}: whole");
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(&bytes), expected, "{name}: one byte at a time");
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            assert_eq!(run(&[a, b]), expected, "{name}: split at {i}");
        }
    }
}
