//! kefu-mail: the email channel's protocol logic for tickets, with no database. Parsing,
//! loop detection, threading, reply building and an SMTP listener; the server wires them up.
//!
//! # Inbound, in the server
//! ```text
//! SmtpServer::new(config, |rcpt| tenant_addresses.contains(base(rcpt)), sink).run(listener, shutdown)
//! for each ReceivedMail { envelope_from, recipients, data, .. } taken by the sink:
//!     mail    = parse(&data, max_size)?                      // InboundMail, Chinese charsets decoded
//!     verdict = classify(&mail, Some(&envelope_from))        // Normal | AutoReply | Bounce | List
//!     hint    = thread_hints(&mail, &recipients, tenant_secret)
//!                 .resolve(|message_id| store.ticket_of(message_id))   // Existing { ticket, by } | New
//!     comment = strip_quoted(&mail.text)                     // only the new text of a reply
//!     never send an automatic answer unless verdict.may_auto_answer()
//! ```
//!
//! # Outbound
//! ```text
//! built = build_reply(&OutboundReply { from, reply_to: Some(reply_address(support, secret, ticket)?),
//!                                      in_reply_to, references, automatic, .. })?
//! store.remember(built.message_id, ticket);  relay.send(&built.message).await?
//! ```
//! Every failure is a [`MailError`] with a stable `code()`.

pub mod error;
pub mod html;
pub mod imap;
pub mod loops;
pub mod outbound;
pub mod parse;
pub mod quote;
pub mod smtp;
pub mod thread;
pub mod tls;

pub use error::MailError;
pub use html::html_to_text;
pub use imap::{ImapConfig, ImapSecurity, ImapSession};
pub use loops::{Classification, LoopReason, MailKind, classify};
pub use outbound::{
    BuiltReply, Notice, OutboundReply, Relay, RelayConfig, RelayTls, build_notice, build_reply,
    tagged_subject,
};
pub use parse::{Attachment, InboundMail, LoopHeaders, Mailbox, parse};
pub use quote::strip_quoted;
pub use smtp::{MailSink, ReceivedMail, RecipientPolicy, SinkRefusal, SmtpConfig, SmtpServer};
pub use thread::{
    ThreadBy, ThreadHint, ThreadHints, make_reply_token, reply_address, reply_token_of,
    subject_ticket, thread_hints, verify_reply_token,
};
pub use tls::{ExtraRoots, ServerTls};
