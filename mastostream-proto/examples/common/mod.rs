//! What the conformance drivers share: reading stdin into chunks, timing, exit codes.

use std::io::Read;
use std::process::ExitCode;

use bytes::Bytes;

/// The monotonic clock, for timing the parser (the drivers are not proto: they may read it).
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// Parses `--chunk N`'s value.
pub(crate) fn chunk_size(value: Option<String>) -> Result<usize, String> {
    let n = value.ok_or("--chunk needs a value")?;
    match n.parse::<usize>() {
        Ok(0) => Err("--chunk must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("--chunk: not a number: {n}")),
    }
}

/// Reads all of stdin and splits it into chunks of `chunk` bytes (default: one chunk), as
/// slices of one buffer.
pub(crate) fn read_chunks(chunk: Option<usize>) -> std::io::Result<(Bytes, Vec<Bytes>)> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    let input = Bytes::from(input);
    let chunk = chunk.unwrap_or(input.len().max(1));
    let chunks = (0..input.len())
        .step_by(chunk)
        .map(|i| input.slice(i..(i + chunk).min(input.len())))
        .collect();
    Ok((input, chunks))
}

/// The exit code for the driver's output result: a closed pipe (`| head`) is success.
pub(crate) fn exit(driver: &str, result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{driver}: writing stdout: {e}");
            ExitCode::from(1)
        }
    }
}
