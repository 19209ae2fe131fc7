//! Inbound mail: raw RFC 5322 bytes to an [`InboundMail`] (addresses, ids, subject, text and
//! HTML bodies, attachments, loop-detection headers), with Chinese charsets decoded.

use chrono::{DateTime, Utc};
use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};

use crate::error::MailError;
use crate::html::html_to_text;

/// One address with its display name, as written in From/To/Cc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// `user@domain`, as written (not lowercased: local parts may be case-sensitive).
    pub address: String,
    /// Decoded display name (RFC 2047 words resolved), if any.
    pub name: Option<String>,
}

/// A file carried by the mail: a real attachment or an inline part (e.g. an image that the
/// HTML body shows through `cid:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// A file name safe to store: decoded, no directories, no control characters; a
    /// made-up `attachment-N.ext` when the mail gives none.
    pub name: String,
    /// `type/subtype`, lowercase, without parameters.
    pub content_type: String,
    /// Decoded content. Text parts come back converted to UTF-8 by the MIME parser.
    pub data: Vec<u8>,
    /// Content-ID without angle brackets, for `cid:` references from the HTML body.
    pub content_id: Option<String>,
    /// Shown in the body (disposition inline, or a related part) rather than listed.
    pub inline: bool,
}

/// The raw header values loop detection looks at (see `loops`), each trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoopHeaders {
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub x_autoreply: Option<String>,
    pub x_autorespond: Option<String>,
    pub x_auto_response_suppress: Option<String>,
    pub list_id: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub return_path: Option<String>,
    /// `type/subtype` of the whole message, e.g. `multipart/report`.
    pub content_type: String,
    /// The `report-type` parameter of a `multipart/report` (`delivery-status`, …).
    pub report_type: Option<String>,
}

/// A parsed inbound mail, owning all its data (nothing borrows the raw bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids without angle brackets, oldest first as written.
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    /// Where the sender wants answers to go; prefer it over `from` when replying.
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Decoded subject; empty when the mail has none.
    pub subject: String,
    /// Plain text: the text/plain parts, or the HTML converted to text when there is none.
    pub text: String,
    /// The HTML body as sent, if any. Never render it unsanitised.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub date: Option<DateTime<Utc>>,
    pub loop_headers: LoopHeaders,
    /// Size of the raw message in bytes.
    pub size: usize,
}

impl InboundMail {
    /// The address a reply should go to: Reply-To, else From.
    pub fn reply_address(&self) -> Option<&Mailbox> {
        self.reply_to.as_ref().or(self.from.as_ref())
    }
}

/// Parses a raw message of at most `max_size` bytes.
///
/// mail-parser is built with `full_encoding`, which decodes GBK/GB2312/GB18030 (and Big5,
/// Shift-JIS…) bodies and RFC 2047 words through encoding_rs; without that feature it would
/// silently read them as lossy UTF-8. Headers sent as raw 8-bit GBK (no RFC 2047, as some
/// Chinese clients do) are re-decoded with the body's charset.
pub fn parse(raw: &[u8], max_size: usize) -> Result<InboundMail, MailError> {
    if raw.len() > max_size {
        return Err(MailError::TooLarge {
            size: raw.len(),
            limit: max_size,
        });
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(MailError::Unparseable("no header section found"))?;
    if message.headers().is_empty() {
        return Err(MailError::Unparseable("no header section found"));
    }
    let charset = body_charset(&message);
    let subject = raw_8bit_header(&message, raw, HeaderName::Subject, charset)
        .or_else(|| message.subject().map(str::to_string))
        .unwrap_or_default();
    Ok(InboundMail {
        message_id: message.message_id().map(str::to_string),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from: first_mailbox(message.from()),
        reply_to: first_mailbox(message.reply_to()),
        to: mailboxes(message.to()),
        cc: mailboxes(message.cc()),
        subject: subject.trim().to_string(),
        text: text_body(&message),
        html: html_body(&message),
        attachments: attachments(&message),
        date: message
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        loop_headers: loop_headers(&message),
        size: raw.len(),
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    };
    ids.into_iter()
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            let email = addr.address.as_deref()?.trim();
            (!email.is_empty()).then(|| Mailbox {
                address: email.to_string(),
                name: addr
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
            })
        })
        .collect()
}

fn first_mailbox(address: Option<&Address<'_>>) -> Option<Mailbox> {
    mailboxes(address).into_iter().next()
}

/// All text/plain parts joined, or the HTML converted when a part is HTML only.
fn text_body(message: &Message<'_>) -> String {
    let parts: Vec<String> = message
        .text_bodies()
        .filter_map(|part| match &part.body {
            PartType::Text(text) => Some(text.to_string()),
            PartType::Html(html) => Some(html_to_text(html)),
            _ => None,
        })
        .map(|text| text.replace("\r\n", "\n").trim_end().to_string())
        .filter(|text| !text.is_empty())
        .collect();
    parts.join("\n\n")
}

fn html_body(message: &Message<'_>) -> Option<String> {
    let parts: Vec<&str> = message
        .html_bodies()
        .filter_map(|part| match &part.body {
            PartType::Html(html) => Some(html.as_ref()),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn attachments(message: &Message<'_>) -> Vec<Attachment> {
    message
        .attachments()
        .enumerate()
        .map(|(index, part)| {
            let content_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase();
            let content_id = part
                .content_id()
                .map(|id| id.trim().trim_matches(['<', '>']).to_string())
                .filter(|id| !id.is_empty());
            let disposition_inline = part.content_disposition().map(|cd| cd.is_inline());
            let inline = match disposition_inline {
                Some(inline) => inline,
                // No disposition: a part with a Content-ID is there to be referenced inline.
                None => content_id.is_some() || matches!(part.body, PartType::InlineBinary(_)),
            };
            let name = part
                .attachment_name()
                .map(safe_file_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("attachment-{}{}", index + 1, extension(&content_type)));
            Attachment {
                name,
                content_type,
                data: part.contents().to_vec(),
                content_id,
                inline,
            }
        })
        .collect()
}

/// Keeps the last path component and drops control characters, so a name like
/// `..\..\boot.ini` or one with a newline cannot escape a directory or forge a header.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    cleaned.chars().take(200).collect()
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "message/rfc822" => ".eml",
        _ => ".bin",
    }
}

fn loop_headers(message: &Message<'_>) -> LoopHeaders {
    let raw = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let root = message.root_part().content_type();
    let content_type = root
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".into())
        .to_ascii_lowercase();
    LoopHeaders {
        auto_submitted: raw("Auto-Submitted"),
        precedence: raw("Precedence"),
        x_autoreply: raw("X-Autoreply"),
        x_autorespond: raw("X-Autorespond"),
        x_auto_response_suppress: raw("X-Auto-Response-Suppress"),
        list_id: raw("List-Id"),
        list_unsubscribe: raw("List-Unsubscribe"),
        return_path: raw("Return-Path"),
        report_type: root
            .and_then(|ct| ct.attribute("report-type"))
            .map(|v| v.trim().to_ascii_lowercase()),
        content_type,
    }
}

/// The charset of the first text part, as an encoding_rs encoding.
fn body_charset(message: &Message<'_>) -> Option<&'static encoding_rs::Encoding> {
    message
        .parts
        .iter()
        .filter_map(|part| part.content_type())
        .filter(|ct| ct.ctype().eq_ignore_ascii_case("text"))
        .find_map(|ct| ct.attribute("charset"))
        .and_then(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()))
}

/// Re-decodes a header written as raw 8-bit bytes that are not UTF-8 (mail-parser would
/// read them as lossy UTF-8) with the body's charset. `None` when the header is fine.
fn raw_8bit_header(
    message: &Message<'_>,
    raw: &[u8],
    name: HeaderName<'_>,
    charset: Option<&'static encoding_rs::Encoding>,
) -> Option<String> {
    let header = message.headers().iter().rev().find(|h| h.name == name)?;
    let bytes = raw.get(header.offset_start() as usize..header.offset_end() as usize)?;
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let (decoded, _, _) = charset?.decode(bytes);
    // Unfold: a folded header continues on lines starting with white space.
    let unfolded: String = decoded
        .split("\r\n")
        .flat_map(|line| line.split('\n'))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    Some(unfolded.trim().to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn too_large_and_garbage_are_typed_errors() {
        let raw = b"Subject: x\r\n\r\nbody";
        assert!(matches!(
            parse(raw, 5),
            Err(MailError::TooLarge { size: 18, limit: 5 })
        ));
        assert!(matches!(parse(b"", 100), Err(MailError::Unparseable(_))));
    }

    #[test]
    fn safe_file_names() {
        assert_eq!(safe_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_file_name("/etc/passwd"), "passwd");
        assert_eq!(safe_file_name("报价单\r\n.pdf"), "报价单.pdf");
        assert_eq!(safe_file_name(".."), "");
    }

    #[test]
    fn raw_gbk_subject_is_redecoded_with_body_charset() {
        let (subject, _, _) = encoding_rs::GBK.encode("退货申请");
        let mut raw = b"From: a@example.com\r\nSubject: ".to_vec();
        raw.extend_from_slice(&subject);
        raw.extend_from_slice(b"\r\nContent-Type: text/plain; charset=gbk\r\n\r\nhi\r\n");
        let mail = parse(&raw, 1 << 20).unwrap();
        assert_eq!(mail.subject, "退货申请");
    }
}
