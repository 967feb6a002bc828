//! Test support shared by proto's tests, the fuzz targets and the drivers' tests (feature
//! `testing`): what a Mastodon server writes ([`wire`]) and a simulated clock and server
//! that drive a [`Session`](crate::session::Session) with no sockets and no sleeping
//! ([`Sim`]).

mod sim;
pub mod wire;

pub use sim::{Sim, Timeline, t0, wall0};
pub use wire::*;
