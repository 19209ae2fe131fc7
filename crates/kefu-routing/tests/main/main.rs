//! The crate's one integration-test binary: routing semantics, bad input,
//! property tests and the simulator's validation against Erlang C.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod erlang;
mod errors;
mod properties;
mod semantics;
