//! The `kefu` binary's one integration test binary: runs the built executable as a user would
//! (the offline `wfm` and `sim` commands, and `serve --demo` on port 0 with a fresh data dir).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
