//! Test support for mastostream (not published).

#![forbid(unsafe_code)]
#![warn(missing_docs)]
