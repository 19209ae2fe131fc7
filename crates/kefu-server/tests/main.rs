//! The server suite: each test starts the real server on port 0 with its own fresh database
//! (SQLite, or PostgreSQL when KEFU_TEST_DATABASE_URL says so) and talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
