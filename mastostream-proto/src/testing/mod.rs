//! Test support shared by proto's tests, the fuzz targets and the drivers' tests (feature
//! `testing`): what a Mastodon server writes ([`wire`]) and a simulated clock and server
//! that drive a [`Session`](crate::session::Session) with no sockets and no sleeping
//! ([`Sim`]), and the SSE standard as an oracle ([`sse_oracle`]).

mod fragments;
mod sim;
mod sse_oracle;
pub mod wire;

pub use fragments::{INSTANCE_V1, INSTANCE_V2, INSTANCE_V2_OTHER, INSTANCE_V2_PLAIN, fragments};
pub use sim::{Sim, Timeline, t0, wall0};
pub use sse_oracle::{OracleItem, sse_oracle};
pub use wire::*;
