//! Threading: which ticket an inbound mail belongs to, from (a) Message-IDs it answers,
//! (b) a signed ticket token in the reply address, (c) a "[#1001]" subject tag, in that order.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::MailError;
use crate::parse::InboundMail;

/// Plus-address detail prefix marking a reply token: `support+t-<token>@example.com`.
pub const TOKEN_PREFIX: &str = "t-";
/// Bytes of HMAC-SHA256 kept in a token: 80 bits, far beyond guessing by sending mail.
const MAC_LEN: usize = 10;
/// Shortest accepted secret; a short one would make tokens forgeable offline.
pub const MIN_SECRET_LEN: usize = 16;
/// Domain separation, so the same secret used elsewhere cannot yield a valid token.
const MAC_CONTEXT: &[u8] = b"kefu-mail/reply-token/v1\0";
/// Message-IDs handed to the lookup at most (a References header can be very long).
pub const MAX_LOOKUP_IDS: usize = 50;

/// How an existing ticket was found; the server should treat the weaker ones with care
/// (a subject tag can be typed by anyone: check the sender belongs to that ticket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadBy {
    /// The mail answers one of the ticket's messages (In-Reply-To or References).
    MessageId(String),
    /// The mail was sent to the ticket's signed reply address.
    ReplyToken,
    /// The subject carries the ticket's `[#number]` tag.
    SubjectTag,
}

/// The threading decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadHint {
    Existing {
        ticket: u64,
        by: ThreadBy,
    },
    /// Nothing links the mail to a ticket: open a new one for the sender.
    New,
}

/// Everything threading can read from a mail, before any lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadHints {
    /// In-Reply-To first, then References newest first; deduplicated, at most
    /// [`MAX_LOOKUP_IDS`].
    pub message_ids: Vec<String>,
    /// Ticket number from a verified reply-address token.
    pub token_ticket: Option<u64>,
    /// A reply token was present but did not verify (tampered, or another tenant's secret).
    pub token_rejected: bool,
    /// Ticket number from a `[#1001]` / `【#1001】` subject tag.
    pub subject_ticket: Option<u64>,
}

impl ThreadHints {
    /// Applies the priority order. `lookup` maps a Message-ID to the ticket that sent or
    /// received it (the server's index of the tenant's messages).
    pub fn resolve(&self, mut lookup: impl FnMut(&str) -> Option<u64>) -> ThreadHint {
        for id in &self.message_ids {
            if let Some(ticket) = lookup(id) {
                return ThreadHint::Existing {
                    ticket,
                    by: ThreadBy::MessageId(id.clone()),
                };
            }
        }
        if let Some(ticket) = self.token_ticket {
            return ThreadHint::Existing {
                ticket,
                by: ThreadBy::ReplyToken,
            };
        }
        if let Some(ticket) = self.subject_ticket {
            return ThreadHint::Existing {
                ticket,
                by: ThreadBy::SubjectTag,
            };
        }
        ThreadHint::New
    }
}

/// Reads the threading hints of a mail. `envelope_recipients` are the SMTP `RCPT TO`
/// addresses (they carry the reply address even when the customer's client rewrote To/Cc
/// or the mail was Bcc'd); To and Cc are searched too. `secret` is the tenant's token secret.
pub fn thread_hints(
    mail: &InboundMail,
    envelope_recipients: &[String],
    secret: &[u8],
) -> ThreadHints {
    let mut message_ids: Vec<String> = Vec::new();
    let newest_first = mail.in_reply_to.iter().chain(mail.references.iter().rev());
    for id in newest_first {
        if message_ids.len() == MAX_LOOKUP_IDS {
            break;
        }
        if !message_ids.contains(id) {
            message_ids.push(id.clone());
        }
    }

    let mut token_ticket = None;
    let mut token_rejected = false;
    let candidates = envelope_recipients
        .iter()
        .map(String::as_str)
        .chain(mail.to.iter().chain(&mail.cc).map(|m| m.address.as_str()));
    for token in candidates.filter_map(reply_token_of) {
        match verify_reply_token(secret, token) {
            Ok(ticket) => {
                token_ticket = Some(ticket);
                break;
            }
            Err(_) => token_rejected = true,
        }
    }

    ThreadHints {
        message_ids,
        token_ticket,
        token_rejected: token_rejected && token_ticket.is_none(),
        subject_ticket: subject_ticket(&mail.subject),
    }
}

/// Makes the token for a ticket: base32 (lowercase, unpadded) of the ticket number's
/// significant big-endian bytes followed by 10 bytes of HMAC-SHA256 over the number.
/// Ticket 1001 gives 20 characters, the largest u64 31.
pub fn make_reply_token(secret: &[u8], ticket: u64) -> Result<String, MailError> {
    let tag = token_mac(secret, ticket)?.finalize().into_bytes();
    let be = ticket.to_be_bytes();
    let skip = be.iter().take(7).take_while(|b| **b == 0).count();
    let mut payload = be[skip..].to_vec();
    payload.extend_from_slice(&tag[..MAC_LEN]);
    Ok(BASE32_NOPAD.encode(&payload).to_ascii_lowercase())
}

/// Checks a token and returns its ticket number. Case-insensitive, because some mail
/// systems change the case of local parts.
pub fn verify_reply_token(secret: &[u8], token: &str) -> Result<u64, MailError> {
    let payload = BASE32_NOPAD
        .decode(token.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| MailError::InvalidToken("not base32"))?;
    if payload.len() <= MAC_LEN || payload.len() > MAC_LEN + 8 {
        return Err(MailError::InvalidToken("wrong length"));
    }
    let (number, tag) = payload.split_at(payload.len() - MAC_LEN);
    if number.len() > 1 && number[0] == 0 {
        return Err(MailError::InvalidToken("non-canonical ticket number"));
    }
    let ticket = number.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
    token_mac(secret, ticket)?
        .verify_truncated_left(tag)
        .map_err(|_| MailError::InvalidToken("signature does not match"))?;
    Ok(ticket)
}

/// `support@example.com` + ticket → `support+t-<token>@example.com`.
pub fn reply_address(support: &str, secret: &[u8], ticket: u64) -> Result<String, MailError> {
    let invalid = || MailError::InvalidAddress {
        field: "support_address",
        value: support.to_string(),
    };
    let (local, domain) = support.rsplit_once('@').ok_or_else(invalid)?;
    if local.is_empty() || domain.is_empty() || local.contains('+') {
        return Err(invalid());
    }
    let token = make_reply_token(secret, ticket)?;
    Ok(format!("{local}+{TOKEN_PREFIX}{token}@{domain}"))
}

/// The token part of `local+t-<token>@domain`, if the address has one.
pub fn reply_token_of(address: &str) -> Option<&str> {
    let (local, _domain) = address.trim().trim_matches(['<', '>']).rsplit_once('@')?;
    let (_base, detail) = local.split_once('+')?;
    let token = detail
        .get(..TOKEN_PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(TOKEN_PREFIX))?;
    Some(&detail[token.len()..]).filter(|t| !t.is_empty())
}

/// The ticket number of the first `[#1001]` tag in a subject; full-width `【#1001】`,
/// `［＃１００１］` are read too (Chinese input methods produce them).
pub fn subject_ticket(subject: &str) -> Option<u64> {
    let chars: Vec<char> = subject.chars().collect();
    for start in 0..chars.len() {
        if !matches!(chars[start], '[' | '【' | '［') {
            continue;
        }
        if !matches!(chars.get(start + 1), Some('#' | '＃')) {
            continue;
        }
        let digits: String = chars[start + 2..]
            .iter()
            .map_while(|c| c.to_digit(10).or_else(|| full_width_digit(*c)))
            .map(|d| char::from(b'0' + d as u8))
            .collect();
        let close = chars.get(start + 2 + digits.chars().count());
        if !digits.is_empty()
            && digits.len() <= 19
            && matches!(close, Some(']' | '】' | '］'))
            && let Ok(n) = digits.parse::<u64>()
            && n > 0
        {
            return Some(n);
        }
    }
    None
}

fn full_width_digit(c: char) -> Option<u32> {
    ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32)
}

fn token_mac(secret: &[u8], ticket: u64) -> Result<Hmac<Sha256>, MailError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(MailError::WeakSecret {
            min: MIN_SECRET_LEN,
        });
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| MailError::WeakSecret {
        min: MIN_SECRET_LEN,
    })?;
    mac.update(MAC_CONTEXT);
    mac.update(&ticket.to_be_bytes());
    Ok(mac)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::parse::parse;

    const SECRET: &[u8] = b"tenant-42-secret-0123456789";

    #[test]
    fn token_round_trip_and_tamper() {
        for ticket in [0, 1, 1001, 65_536, u64::MAX] {
            let token = make_reply_token(SECRET, ticket).unwrap();
            assert!(
                token
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
            assert_eq!(verify_reply_token(SECRET, &token).unwrap(), ticket);
            assert_eq!(
                verify_reply_token(SECRET, &token.to_ascii_uppercase()).unwrap(),
                ticket
            );
        }
        let token = make_reply_token(SECRET, 1001).unwrap();
        assert_eq!(token.len(), 20);
        // Flip each character in turn: every change must be rejected.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert!(verify_reply_token(SECRET, &tampered).is_err(), "{tampered}");
        }
        let other = b"tenant-43-secret-0123456789";
        assert_eq!(
            verify_reply_token(other, &token).unwrap_err().code(),
            "invalid_reply_token"
        );
        assert!(verify_reply_token(SECRET, "").is_err());
        assert!(verify_reply_token(SECRET, "!!!").is_err());
        assert_eq!(
            make_reply_token(b"short", 1).unwrap_err().code(),
            "weak_token_secret"
        );
    }

    #[test]
    fn reply_addresses() {
        let addr = reply_address("support@acme.example", SECRET, 1001).unwrap();
        assert!(addr.starts_with("support+t-") && addr.ends_with("@acme.example"));
        let token = reply_token_of(&addr).unwrap();
        assert_eq!(verify_reply_token(SECRET, token).unwrap(), 1001);
        assert_eq!(reply_token_of("<SUPPORT+T-abc@x.example>"), Some("abc"));
        assert_eq!(reply_token_of("support+sales@x.example"), None);
        assert_eq!(reply_token_of("support@x.example"), None);
        assert!(reply_address("support+x@acme.example", SECRET, 1).is_err());
        assert!(reply_address("nobody", SECRET, 1).is_err());
    }

    #[test]
    fn subject_tags() {
        assert_eq!(subject_ticket("Re: [#1001] 退货"), Some(1001));
        assert_eq!(subject_ticket("回复：【#1002】退货"), Some(1002));
        assert_eq!(subject_ticket("［＃１００３］全角"), Some(1003));
        assert_eq!(subject_ticket("[#] [#x1] [1004] #1005"), None);
        assert_eq!(subject_ticket("[#0] then [#7]"), Some(7));
        assert_eq!(subject_ticket("[#99999999999999999999]"), None);
        assert_eq!(subject_ticket("[#12"), None);
    }

    fn mail(headers: &str) -> InboundMail {
        let raw = format!("From: c@example.com\r\n{headers}\r\nbody\r\n");
        parse(raw.as_bytes(), 1 << 20).unwrap()
    }

    #[test]
    fn priority_message_id_then_token_then_subject() {
        let to = reply_address("support@acme.example", SECRET, 2002).unwrap();
        let m = mail(&format!(
            "To: {to}\r\nSubject: Re: [#3003] x\r\nIn-Reply-To: <b@kefu>\r\nReferences: <a@kefu> <b@kefu>\r\n"
        ));
        let hints = thread_hints(&m, &[], SECRET);
        assert_eq!(hints.message_ids, vec!["b@kefu", "a@kefu"]);
        assert_eq!(hints.token_ticket, Some(2002));
        assert_eq!(hints.subject_ticket, Some(3003));
        let known = |id: &str| (id == "a@kefu").then_some(1001);
        assert_eq!(
            hints.resolve(known),
            ThreadHint::Existing {
                ticket: 1001,
                by: ThreadBy::MessageId("a@kefu".into())
            }
        );
        assert_eq!(
            hints.resolve(|_| None),
            ThreadHint::Existing {
                ticket: 2002,
                by: ThreadBy::ReplyToken
            }
        );
        let no_token = thread_hints(&m, &[], b"another-tenant-secret-xyz");
        assert!(no_token.token_rejected);
        assert_eq!(
            no_token.resolve(|_| None),
            ThreadHint::Existing {
                ticket: 3003,
                by: ThreadBy::SubjectTag
            }
        );
        let fresh = mail("To: support@acme.example\r\nSubject: 你好\r\n");
        assert_eq!(
            thread_hints(&fresh, &[], SECRET).resolve(|_| None),
            ThreadHint::New
        );
    }

    #[test]
    fn envelope_recipient_carries_the_token() {
        let rcpt = reply_address("support@acme.example", SECRET, 77).unwrap();
        let m = mail("To: support@acme.example\r\nSubject: hi\r\n");
        let hints = thread_hints(&m, &[rcpt], SECRET);
        assert_eq!(hints.token_ticket, Some(77));
        assert!(!hints.token_rejected);
    }
}
