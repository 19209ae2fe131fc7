//! The storage suite: every test gets a fresh database of the backend chosen by
//! KEFU_TEST_DATABASE_URL (SQLite when unset), so CI runs the same suite on both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod store;
