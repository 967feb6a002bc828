//! A `Session` (SSE or WebSocket, small limits) driven by arbitrary sequences of adapter
//! inputs: connected, connect failed, data (fragments of stream and REST responses, or
//! arbitrary bytes), EOF, I/O errors, WebSocket messages, frames and refused upgrades,
//! subscribe / unsubscribe, time jumps (also backwards), close. The properties checked after
//! every input are listed in `mastostream_fuzz::session`.
//!
//! Input: a `Setup` then `Op`s, read with `arbitrary` (see `mastostream_fuzz::session`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::session::{Input, run};

fuzz_target!(|data: &[u8]| {
    if let Some(input) = Input::parse(data) {
        run(&input);
    }
});
