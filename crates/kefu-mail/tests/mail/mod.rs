//! Test modules: fixtures (hand-written raw mails), parsing, properties, SMTP end to end.

mod fixtures;
mod parsing;
mod props;
mod smtp;
