//! kefu-mail integration tests, one binary (each extra file in tests/ is another link step):
//! MIME fixtures, threading of real replies, and real SMTP conversations over TCP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mail;
