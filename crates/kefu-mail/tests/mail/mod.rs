//! Test modules: fixtures (hand-written raw mails), parsing, and SMTP end to end.

mod fixtures;
mod parsing;
mod smtp;
