//! The one integration-test binary of kefu-metrics: the GLOSSARY worked example, buckets and
//! time zones, FCR windows, each metric's arithmetic, and property tests of the invariants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases {
    pub mod buckets;
    pub mod fcr;
    pub mod glossary;
    pub mod invariants;
    pub mod metrics;
    pub mod support;
}
