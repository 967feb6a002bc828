//! The tokio adapter for mastostream.
//!
//! This crate connects a socket to the sans-IO state machine in [`mastostream_proto`],
//! pumps bytes between them and sleeps until the machine's next deadline. It holds no
//! protocol logic of its own.
//!
//! **Status:** not yet implemented. Until the adapter lands this crate only re-exports
//! [`mastostream_proto`], so code written against the protocol types keeps compiling when
//! the client API arrives.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use mastostream_proto as proto;
