//! The one integration-test binary of kefu-wfm: property tests of the public API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases {
    pub mod erlang;
    pub mod forecast;
    pub mod plan;
    pub mod schedule;
}
