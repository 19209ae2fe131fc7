//! Outbound replies: a threaded `lettre::Message` (tagged subject, fresh Message-ID,
//! In-Reply-To/References, loop-safe headers) and a thin async relay over lettre's SMTP.

use std::fmt;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{
    Attachment as LettreAttachment, Mailbox as LettreMailbox, MultiPart, SinglePart,
};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

use crate::error::MailError;
use crate::parse::{Attachment, Mailbox};
use crate::tls::ExtraRoots;

/// References kept at most: the thread's first id plus the newest ones. Long threads
/// otherwise grow the header without bound, and some servers reject huge headers.
pub const MAX_REFERENCES: usize = 20;

/// Reply prefixes stripped before the tag is added, so "Re: Re: 回复：" does not pile up.
const REPLY_PREFIXES: &[&str] = &[
    "re:",
    "re：",
    "aw:",
    "sv:",
    "fw:",
    "fwd:",
    "回复:",
    "回复：",
    "答复:",
    "答复：",
    "回覆:",
    "回覆：",
    "转发:",
    "转发：",
];

/// One reply to send on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundReply {
    /// The tenant's support address and display name ("Acme 客服").
    pub from: Mailbox,
    /// The ticket's signed reply address (see `thread::reply_address`), so the customer's
    /// answer finds the ticket even if their client drops the threading headers.
    pub reply_to: Option<String>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// The ticket's subject; `[#ticket]` is added once, reply prefixes collapse to one "Re:".
    pub subject: String,
    pub ticket: u64,
    pub text: String,
    pub html: Option<String>,
    /// Inline ones (with a `content_id`) go in a multipart/related beside the HTML.
    pub attachments: Vec<Attachment>,
    /// Message-ID being answered (without angle brackets), usually the customer's last mail.
    pub in_reply_to: Option<String>,
    /// The thread's earlier ids, oldest first (the answered mail's References).
    pub references: Vec<String>,
    /// An automatic notice (acknowledgement, survey) rather than an agent's answer: marked
    /// `Auto-Submitted: auto-replied` so well-behaved robots do not answer it (RFC 3834).
    pub automatic: bool,
}

/// A built reply: the message to send and its Message-ID (without angle brackets), which
/// the server stores so answers to it thread back.
#[derive(Debug, Clone)]
pub struct BuiltReply {
    pub message: Message,
    pub message_id: String,
}

impl BuiltReply {
    /// The RFC 5322 bytes, e.g. to keep a copy or hand to another transport.
    pub fn formatted(&self) -> Vec<u8> {
        self.message.formatted()
    }
}

/// Builds the reply. The Message-ID is `<uuid@from-domain>`.
pub fn build_reply(reply: &OutboundReply) -> Result<BuiltReply, MailError> {
    let from = mailbox("from", &reply.from)?;
    let domain = reply
        .from
        .address
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .ok_or_else(|| invalid("from", &reply.from.address))?;
    let message_id = format!("{}@{}", uuid::Uuid::new_v4().simple(), domain);
    let mut builder = Message::builder()
        .from(from)
        .subject(tagged_subject(&reply.subject, reply.ticket))
        .message_id(Some(format!("<{message_id}>")))
        .date_now();
    if reply.to.is_empty() {
        return Err(MailError::Build("no recipient".into()));
    }
    for to in &reply.to {
        builder = builder.to(mailbox("to", to)?);
    }
    for cc in &reply.cc {
        builder = builder.cc(mailbox("cc", cc)?);
    }
    if let Some(reply_to) = &reply.reply_to {
        let parsed = reply_to
            .parse::<LettreMailbox>()
            .map_err(|_| invalid("reply_to", reply_to))?;
        builder = builder.reply_to(parsed);
    }
    let (in_reply_to, references) = thread_ids(reply.in_reply_to.as_deref(), &reply.references);
    if let Some(parent) = in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !references.is_empty() {
        let joined: Vec<String> = references.iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(joined.join(" "));
    }
    if reply.automatic {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-replied".into(),
            ))
            // Asks Exchange not to send out-of-office or delivery notices back to it.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
                "All".into(),
            ));
    }
    let message = builder
        .multipart(body(reply)?)
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(BuiltReply {
        message,
        message_id,
    })
}

/// A mail that answers no ticket (a scheduled report): no ticket tag, no threading, always
/// marked automatic so autoresponders keep quiet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

/// Builds a notice. The Message-ID is `<uuid@from-domain>`, as for replies.
pub fn build_notice(notice: &Notice) -> Result<BuiltReply, MailError> {
    let from = mailbox("from", &notice.from)?;
    let domain = notice
        .from
        .address
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .ok_or_else(|| invalid("from", &notice.from.address))?;
    let message_id = format!("{}@{}", uuid::Uuid::new_v4().simple(), domain);
    if notice.to.is_empty() {
        return Err(MailError::Build("no recipient".into()));
    }
    let mut builder = Message::builder()
        .from(from)
        .subject(notice.subject.clone())
        .message_id(Some(format!("<{message_id}>")))
        .date_now()
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
    for to in &notice.to {
        builder = builder.to(mailbox("to", to)?);
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(notice.text.clone()));
    for a in &notice.attachments {
        parts = parts.singlepart(attachment_part(a)?);
    }
    let message = builder
        .multipart(parts)
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(BuiltReply {
        message,
        message_id,
    })
}

/// `"Re: 回复：[#1001] 退货"` → `"Re: [#1001] 退货"`; `"退货"` → `"[#1001] 退货"`.
pub fn tagged_subject(subject: &str, ticket: u64) -> String {
    let tag = format!("[#{ticket}]");
    let tags = [tag.clone(), format!("【#{ticket}】")];
    let mut rest = subject.trim();
    let mut was_reply = false;
    loop {
        let lower = rest.to_lowercase();
        if let Some(p) = REPLY_PREFIXES.iter().find(|p| lower.starts_with(*p)) {
            // Prefixes are ASCII or CJK whose lowercase has the same byte length.
            rest = rest.get(p.len()..).unwrap_or("").trim_start();
            was_reply = true;
        } else if let Some(t) = tags.iter().find(|t| rest.starts_with(t.as_str())) {
            rest = rest[t.len()..].trim_start();
        } else {
            break;
        }
    }
    let prefix = if was_reply { "Re: " } else { "" };
    if rest.is_empty() {
        format!("{prefix}{tag}")
    } else {
        format!("{prefix}{tag} {rest}")
    }
}

/// In-Reply-To and the capped References: the answered mail's References plus its own id,
/// keeping the root and the newest. Ids with spaces, brackets or non-ASCII are dropped
/// (they would break or inject into the header).
fn thread_ids(in_reply_to: Option<&str>, references: &[String]) -> (Option<String>, Vec<String>) {
    let clean = |id: &str| {
        let id = id.trim().trim_matches(['<', '>']);
        let ok = !id.is_empty()
            && id.len() <= 250
            && id
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>'));
        ok.then(|| id.to_string())
    };
    let parent = in_reply_to.and_then(clean);
    let mut all: Vec<String> = Vec::new();
    for id in references
        .iter()
        .filter_map(|r| clean(r))
        .chain(parent.clone())
    {
        if !all.contains(&id) {
            all.push(id);
        }
    }
    if all.len() > MAX_REFERENCES {
        let tail = all.split_off(all.len() - (MAX_REFERENCES - 1));
        all.truncate(1);
        all.extend(tail);
    }
    (parent, all)
}

fn body(reply: &OutboundReply) -> Result<MultiPart, MailError> {
    let (inline, files): (Vec<&Attachment>, Vec<&Attachment>) = reply
        .attachments
        .iter()
        .partition(|a| a.inline && a.content_id.is_some() && reply.html.is_some());
    let text = SinglePart::plain(reply.text.clone());
    let content = match &reply.html {
        None => MultiPart::mixed().singlepart(text),
        Some(html) if inline.is_empty() => {
            MultiPart::alternative_plain_html(reply.text.clone(), html.clone())
        }
        Some(html) => {
            let mut related = MultiPart::related().singlepart(SinglePart::html(html.clone()));
            for a in &inline {
                related = related.singlepart(attachment_part(a)?);
            }
            MultiPart::alternative().singlepart(text).multipart(related)
        }
    };
    if files.is_empty() {
        return Ok(content);
    }
    let mut mixed = MultiPart::mixed().multipart(content);
    for a in files {
        mixed = mixed.singlepart(attachment_part(a)?);
    }
    Ok(mixed)
}

fn attachment_part(a: &Attachment) -> Result<SinglePart, MailError> {
    let content_type = ContentType::parse(&a.content_type)
        .or_else(|_| ContentType::parse("application/octet-stream"))
        .map_err(|e| MailError::Build(e.to_string()))?;
    let name: String = a
        .name
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect();
    let part = match (&a.content_id, a.inline) {
        (Some(cid), true) => LettreAttachment::new_inline_with_name(cid.clone(), name),
        _ => LettreAttachment::new(name),
    };
    Ok(part.body(a.data.clone(), content_type))
}

fn mailbox(field: &'static str, m: &Mailbox) -> Result<LettreMailbox, MailError> {
    let address = m.address.parse().map_err(|_| invalid(field, &m.address))?;
    Ok(LettreMailbox::new(m.name.clone(), address))
}

fn invalid(field: &'static str, value: &str) -> MailError {
    MailError::InvalidAddress {
        field,
        value: value.to_string(),
    }
}

/// How to reach the relay: `none` (plain, for a local relay or tests), `starttls`
/// (upgrade required, usually port 587) or `tls` (implicit TLS, usually port 465).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayTls {
    None,
    Starttls,
    Tls,
}

/// Outbound SMTP relay settings (one per tenant or one for the installation).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    pub host: String,
    pub port: u16,
    pub tls: RelayTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Per-command timeout in seconds (lettre's default is 60).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Trusted besides the public roots when the relay's certificate comes from a private
    /// CA. Loaded from the deployment's `tls_extra_ca`, never from a tenant's input.
    #[serde(skip)]
    pub extra_roots: ExtraRoots,
}

fn default_timeout() -> u64 {
    60
}

impl fmt::Debug for RelayConfig {
    // Hand-written so the password never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout_secs", &self.timeout_secs)
            .field("extra_roots", &self.extra_roots)
            .finish()
    }
}

/// A pooled async connection to the relay. Cheap to clone; build it inside a tokio runtime.
#[derive(Clone)]
pub struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Relay {
    pub fn new(config: &RelayConfig) -> Result<Self, MailError> {
        if config.host.trim().is_empty() {
            return Err(MailError::RelayConfig("host is empty".into()));
        }
        let tls = match config.tls {
            RelayTls::None => Tls::None,
            RelayTls::Starttls | RelayTls::Tls => {
                let mut params = TlsParameters::builder(config.host.clone());
                for der in config.extra_roots.certificates() {
                    let root = Certificate::from_der(der.to_vec())
                        .map_err(|e| MailError::RelayConfig(e.to_string()))?;
                    params = params.add_root_certificate(root);
                }
                let params = params
                    .build()
                    .map_err(|e| MailError::RelayConfig(e.to_string()))?;
                if config.tls == RelayTls::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => {
                return Err(MailError::RelayConfig(
                    "username and password go together".into(),
                ));
            }
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Sends a message; envelope sender and recipients come from its From/To/Cc.
    pub async fn send(&self, message: &Message) -> Result<(), MailError> {
        self.transport
            .send(message.clone())
            .await
            .map(|_| ())
            .map_err(|e| MailError::Relay {
                transient: !e.is_permanent(),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::parse::parse;

    fn reply() -> OutboundReply {
        OutboundReply {
            from: Mailbox {
                address: "support@acme.example".into(),
                name: Some("Acme 客服".into()),
            },
            reply_to: Some("support+t-abc@acme.example".into()),
            to: vec![Mailbox {
                address: "zhang@example.com".into(),
                name: Some("张三".into()),
            }],
            cc: vec![],
            subject: "Re: 回复：[#1001] 退货".into(),
            ticket: 1001,
            text: "您好，已为您办理退货。".into(),
            html: None,
            attachments: vec![],
            in_reply_to: Some("c2@example.com".into()),
            references: vec!["k1@acme.example".into(), "c2@example.com".into()],
            automatic: false,
        }
    }

    #[test]
    fn subjects_are_tagged_once() {
        assert_eq!(tagged_subject("退货", 1001), "[#1001] 退货");
        assert_eq!(
            tagged_subject("Re: Re: [#1001] 退货", 1001),
            "Re: [#1001] 退货"
        );
        assert_eq!(
            tagged_subject("回复：【#1001】退货", 1001),
            "Re: [#1001] 退货"
        );
        assert_eq!(tagged_subject("RE: FW: [#1001]", 1001), "Re: [#1001]");
        assert_eq!(tagged_subject("[#1001] [#1001] x", 1001), "[#1001] x");
        assert_eq!(tagged_subject("[#7] other", 1001), "[#1001] [#7] other");
    }

    #[test]
    fn references_are_capped_keeping_root_and_newest() {
        let refs: Vec<String> = (0..30).map(|i| format!("m{i}@x")).collect();
        let (parent, all) = thread_ids(Some("m29@x"), &refs);
        assert_eq!(parent.as_deref(), Some("m29@x"));
        assert_eq!(all.len(), MAX_REFERENCES);
        assert_eq!(all[0], "m0@x");
        assert_eq!(all[1], "m11@x");
        assert_eq!(all.last().map(String::as_str), Some("m29@x"));
        let (parent, all) = thread_ids(Some("bad id\r\nX-Evil: 1"), &["<ok@x>".into()]);
        assert_eq!(parent, None);
        assert_eq!(all, vec!["ok@x"]);
    }

    #[test]
    fn built_reply_parses_back() {
        let built = build_reply(&reply()).unwrap();
        let raw = built.formatted();
        let mail = parse(&raw, 1 << 20).unwrap();
        assert_eq!(mail.message_id.as_deref(), Some(built.message_id.as_str()));
        assert!(built.message_id.ends_with("@acme.example"));
        assert_eq!(mail.subject, "Re: [#1001] 退货");
        assert_eq!(mail.in_reply_to, vec!["c2@example.com"]);
        assert_eq!(mail.references, vec!["k1@acme.example", "c2@example.com"]);
        assert_eq!(
            mail.from.as_ref().unwrap().name.as_deref(),
            Some("Acme 客服")
        );
        assert_eq!(mail.to[0].name.as_deref(), Some("张三"));
        assert_eq!(
            mail.reply_to.as_ref().unwrap().address,
            "support+t-abc@acme.example"
        );
        assert_eq!(mail.text, "您好，已为您办理退货。");
        assert_eq!(mail.loop_headers.auto_submitted, None);
    }

    #[test]
    fn automatic_notice_with_html_inline_image_and_file() {
        let mut r = reply();
        r.automatic = true;
        r.html = Some("<p>您好</p><img src=\"cid:logo@acme\">".into());
        r.attachments = vec![
            Attachment {
                name: "logo.png".into(),
                content_type: "image/png".into(),
                data: vec![0x89, b'P', b'N', b'G', 0, 1, 2],
                content_id: Some("logo@acme".into()),
                inline: true,
            },
            Attachment {
                name: "发票.pdf".into(),
                content_type: "application/pdf".into(),
                data: b"%PDF-1.4 test".to_vec(),
                content_id: None,
                inline: false,
            },
        ];
        let raw = build_reply(&r).unwrap().formatted();
        let mail = parse(&raw, 1 << 20).unwrap();
        assert_eq!(
            mail.loop_headers.auto_submitted.as_deref(),
            Some("auto-replied")
        );
        assert_eq!(
            crate::loops::classify(&mail, None).kind,
            crate::loops::MailKind::AutoReply
        );
        assert_eq!(mail.html.as_deref(), r.html.as_deref());
        assert_eq!(mail.text, "您好，已为您办理退货。");
        assert_eq!(mail.attachments.len(), 2);
        let logo = mail.attachments.iter().find(|a| a.inline).unwrap();
        assert_eq!(logo.content_id.as_deref(), Some("logo@acme"));
        assert_eq!(logo.data, r.attachments[0].data);
        let pdf = mail.attachments.iter().find(|a| !a.inline).unwrap();
        assert_eq!(pdf.name, "发票.pdf");
        assert_eq!(pdf.content_type, "application/pdf");
        assert_eq!(pdf.data, b"%PDF-1.4 test");
    }

    #[test]
    fn a_notice_carries_its_file_untagged_and_marked_automatic() {
        let notice = Notice {
            from: reply().from,
            to: vec![
                Mailbox {
                    address: "boss@acme.example".into(),
                    name: None,
                },
                Mailbox {
                    address: "lead@acme.example".into(),
                    name: None,
                },
            ],
            subject: "[kefu 报表] 每日绩效 2026-03-02".into(),
            text: "附件为报表文件。".into(),
            attachments: vec![Attachment {
                name: "kefu-scorecards-20260301-20260302.xlsx".into(),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                data: b"PK\x03\x04 xlsx".to_vec(),
                content_id: None,
                inline: false,
            }],
        };
        let built = build_notice(&notice).unwrap();
        assert!(built.message_id.ends_with("@acme.example"));
        let mail = parse(&built.formatted(), 1 << 20).unwrap();
        assert_eq!(mail.subject, notice.subject, "no ticket tag");
        assert_eq!(
            mail.loop_headers.auto_submitted.as_deref(),
            Some("auto-generated")
        );
        assert_eq!(mail.to.len(), 2);
        assert_eq!(mail.attachments.len(), 1);
        assert_eq!(mail.attachments[0].name, notice.attachments[0].name);
        assert_eq!(mail.attachments[0].data, notice.attachments[0].data);
        let mut nobody = notice;
        nobody.to.clear();
        assert_eq!(
            build_notice(&nobody).unwrap_err().code(),
            "message_build_failed"
        );
    }

    #[test]
    fn bad_input_is_rejected_with_codes() {
        let mut r = reply();
        r.to.clear();
        assert_eq!(build_reply(&r).unwrap_err().code(), "message_build_failed");
        let mut r = reply();
        r.to[0].address = "not an address".into();
        assert_eq!(build_reply(&r).unwrap_err().code(), "invalid_address");
        let config = RelayConfig {
            host: "smtp.example.com".into(),
            port: 587,
            tls: RelayTls::Starttls,
            username: Some("u".into()),
            password: Some("hunter2".into()),
            timeout_secs: 10,
            extra_roots: ExtraRoots::default(),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let half = RelayConfig {
            password: None,
            ..config
        };
        assert_eq!(
            Relay::new(&half).err().unwrap().code(),
            "relay_config_invalid"
        );
    }
}
