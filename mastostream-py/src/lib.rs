//! The native half of the Python package `mastostream` (on PyPI; built by maturin): the
//! Rust core of mastostream for Python programs, in Mastodon.py's words.
//!
//! Python users read `README.md` beside this file; this crate is the extension module
//! `mastostream._mastostream`, wrapped by the pure-Python package in `python/mastostream/`
//! (the `Client` with Mastodon.py's `stream_*` signatures, `StreamListener`,
//! `CallbackStreamListener`, the entity classes and the exceptions). Here, embedded in a
//! Rust program, the sans-IO decoder turns a captured stream into events:
//!
//! ```
//! use _mastostream::_mastostream;
//! use pyo3::prelude::*;
//!
//! pyo3::append_to_inittab!(_mastostream);
//! Python::initialize();
//! Python::attach(|py| {
//!     py.run(
//!         cr#"
//! from _mastostream import Decoder
//! decoder = Decoder.body()
//! for chunk in (b":)\nevent: delete\ndata: 1109887417", b"90818968\n\n"):
//!     decoder.feed(chunk)
//!     events = list(decoder)
//! assert [e.kind for e in events] == ["delete"], events
//! assert events[0].payload == "110988741790818968"  # ids stay str
//! "#,
//!         None,
//!         None,
//!     )
//! })?;
//! # Ok::<(), PyErr>(())
//! ```
//!
//! Modules: `decoder` and `event` (the parser and its events), `convert`
//! and `time` (entities to Mastodon.py's dicts and `datetime`s), `client`, `stream` and
//! `notice` (the reconnecting client on smol), `errors` (Mastodon.py's exception classes),
//! and, with the `testing` feature, `testing` (the fake server for the pytest suite).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod convert;
mod decoder;
mod errors;
mod event;
mod notice;
mod stream;
#[cfg(feature = "testing")]
mod testing;
mod time;

use pyo3::prelude::*;

/// The extension module `mastostream._mastostream`.
#[pymodule]
pub fn _mastostream(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<decoder::Decoder>()?;
    m.add_class::<decoder::Frame>()?;
    m.add_class::<decoder::Frames>()?;
    m.add_class::<event::Event>()?;
    m.add_class::<notice::Notice>()?;
    m.add_class::<stream::Stream>()?;
    m.add_class::<client::NativeClient>()?;
    m.add_function(wrap_pyfunction!(convert::_register_entities, m)?)?;
    m.add_function(wrap_pyfunction!(client::_public_stream_name, m)?)?;
    #[cfg(feature = "testing")]
    m.add_submodule(&testing::module(m.py())?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
