//! The one error type of kefu-mail: rejected input mail, bad reply tokens, outbound build
//! and relay failures, listener I/O; each with a stable machine code (`code()`).

use thiserror::Error;

/// Everything kefu-mail can fail with. Codes are stable; messages may be reworded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MailError {
    /// The raw message is larger than the caller's limit (SMTP answers 552 for this).
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// The bytes are not an RFC 5322 message (no header section could be read).
    #[error("not an RFC 5322 message: {0}")]
    Unparseable(&'static str),
    /// A reply-address token that is malformed or whose signature does not verify.
    #[error("reply token is invalid: {0}")]
    InvalidToken(&'static str),
    /// A reply-token secret shorter than `min` bytes.
    #[error("the reply-token secret must be at least {min} bytes")]
    WeakSecret { min: usize },
    /// An email address (or display name + address) that does not parse.
    #[error("{field}: {value:?} is not a valid email address")]
    InvalidAddress { field: &'static str, value: String },
    /// The outbound message could not be assembled (e.g. no recipient).
    #[error("cannot build the message: {0}")]
    Build(String),
    /// The relay configuration is unusable (e.g. TLS without a host name).
    #[error("smtp relay config: {0}")]
    RelayConfig(String),
    /// The SMTP relay refused the message or the connection failed.
    #[error("smtp relay: {message}")]
    Relay {
        /// `true` when retrying later may succeed (4xx, connection errors).
        transient: bool,
        message: String,
    },
    /// An IMAP server could not be reached, refused the login, or answered unexpectedly.
    /// Never carries the password.
    #[error("imap: {0}")]
    Imap(String),
    /// A certificate, key or CA file is missing, unreadable or unusable (checked at start-up).
    #[error("tls: {0}")]
    Tls(String),
    /// Listener socket I/O (bind, accept) failed for good.
    #[error("smtp listener i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl MailError {
    /// Stable machine code, e.g. `message_too_large`; safe to match on in clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "message_too_large",
            Self::Unparseable(_) => "message_unparseable",
            Self::InvalidToken(_) => "invalid_reply_token",
            Self::WeakSecret { .. } => "weak_token_secret",
            Self::InvalidAddress { .. } => "invalid_address",
            Self::Build(_) => "message_build_failed",
            Self::RelayConfig(_) => "relay_config_invalid",
            Self::Relay { .. } => "relay_failed",
            Self::Imap(_) => "imap_failed",
            Self::Tls(_) => "tls_config_invalid",
            Self::Io(_) => "listener_io",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let all = [
            MailError::TooLarge { size: 2, limit: 1 },
            MailError::Unparseable("x"),
            MailError::InvalidToken("x"),
            MailError::WeakSecret { min: 16 },
            MailError::InvalidAddress {
                field: "to",
                value: "x".into(),
            },
            MailError::Build("x".into()),
            MailError::RelayConfig("x".into()),
            MailError::Relay {
                transient: true,
                message: "x".into(),
            },
            MailError::Imap("x".into()),
            MailError::Tls("x".into()),
            MailError::Io(std::io::Error::other("x")),
        ];
        let mut codes: Vec<&str> = all.iter().map(MailError::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
