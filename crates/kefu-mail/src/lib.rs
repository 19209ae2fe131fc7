//! kefu-mail: the email channel's protocol logic for tickets, with no database. Parsing,
//! loop detection, threading, reply building and an SMTP listener; the server wires them up.

pub mod error;
pub mod html;
pub mod loops;
pub mod outbound;
pub mod parse;
pub mod quote;
pub mod smtp;
pub mod thread;

pub use error::MailError;
pub use html::html_to_text;
pub use loops::{Classification, LoopReason, MailKind, classify};
pub use outbound::{
    BuiltReply, OutboundReply, Relay, RelayConfig, RelayTls, build_reply, tagged_subject,
};
pub use parse::{Attachment, InboundMail, LoopHeaders, Mailbox, parse};
pub use quote::strip_quoted;
pub use smtp::{MailSink, ReceivedMail, RecipientPolicy, SinkRefusal, SmtpConfig, SmtpServer};
pub use thread::{
    ThreadBy, ThreadHint, ThreadHints, make_reply_token, reply_address, reply_token_of,
    subject_ticket, thread_hints, verify_reply_token,
};
