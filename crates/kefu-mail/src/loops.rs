//! Mail-loop protection: classifies an inbound mail as a person's mail, an auto-reply, a
//! bounce or list/bulk mail, with the header that decided, so the server never answers a robot.

use std::fmt;

use crate::parse::InboundMail;

/// What kind of sender produced the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// Written by a person: open or update a ticket, acknowledgements allowed.
    Normal,
    /// Vacation notice, out-of-office or other automatic answer: may be attached to the
    /// ticket, but never answered automatically.
    AutoReply,
    /// A delivery failure report: mark the recipient address as bouncing, never answer.
    Bounce,
    /// Mailing-list or bulk mail: never answer automatically.
    List,
}

/// The evidence behind a [`MailKind`] other than `Normal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopReason {
    /// `multipart/report` with a delivery or disposition report type.
    DeliveryReport(String),
    /// `Auto-Submitted` with a value other than `no` (RFC 3834).
    AutoSubmitted(String),
    /// An `X-Autoreply`/`X-Autorespond` header (common vacation responders).
    AutoreplyHeader(&'static str),
    /// `Precedence: auto_reply`, or `bulk`/`junk`/`list`.
    Precedence(String),
    /// `X-Auto-Response-Suppress: All` or `OOF` sent by Exchange on its own notices.
    AutoResponseSuppress(String),
    /// Sender is `mailer-daemon@…` or `postmaster@…`.
    DaemonSender(String),
    /// Empty reverse path (`MAIL FROM:<>` or `Return-Path: <>`), used only by bounces.
    NullReturnPath,
    /// A `List-Id` or `List-Unsubscribe` header.
    ListHeader(&'static str),
}

impl fmt::Display for LoopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DeliveryReport(t) => write!(f, "multipart/report; report-type={t}"),
            Self::AutoSubmitted(v) => write!(f, "Auto-Submitted: {v}"),
            Self::AutoreplyHeader(h) => write!(f, "{h} header present"),
            Self::Precedence(v) => write!(f, "Precedence: {v}"),
            Self::AutoResponseSuppress(v) => write!(f, "X-Auto-Response-Suppress: {v}"),
            Self::DaemonSender(a) => write!(f, "sender {a} is a mail system account"),
            Self::NullReturnPath => f.write_str("empty return path"),
            Self::ListHeader(h) => write!(f, "{h} header present"),
        }
    }
}

/// The verdict: a kind and, unless `Normal`, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub kind: MailKind,
    pub reason: Option<LoopReason>,
}

impl Classification {
    fn normal() -> Self {
        Self {
            kind: MailKind::Normal,
            reason: None,
        }
    }

    fn is(kind: MailKind, reason: LoopReason) -> Self {
        Self {
            kind,
            reason: Some(reason),
        }
    }

    /// Whether kefu may send an automatic message (acknowledgement, CSAT…) in answer.
    pub fn may_auto_answer(&self) -> bool {
        self.kind == MailKind::Normal
    }
}

/// Classifies a mail. `envelope_from` is the SMTP `MAIL FROM` (`Some("")` for `<>`) when
/// the mail came through the listener: a `Return-Path` header is only added at final
/// delivery, so at SMTP time the envelope is the reliable null-sender signal.
///
/// Checks run from the most specific evidence to the weakest: a delivery report is a bounce
/// even though it also has a null sender; an auto-reply is one even when it carries list
/// headers.
pub fn classify(mail: &InboundMail, envelope_from: Option<&str>) -> Classification {
    let h = &mail.loop_headers;
    if h.content_type == "multipart/report" {
        let report = h.report_type.clone().unwrap_or_default();
        if report.is_empty() || report.contains("delivery-status") || report.contains("disposition")
        {
            return Classification::is(MailKind::Bounce, LoopReason::DeliveryReport(report));
        }
    }
    if let Some(v) = &h.auto_submitted
        && !token(v).eq_ignore_ascii_case("no")
    {
        return Classification::is(MailKind::AutoReply, LoopReason::AutoSubmitted(v.clone()));
    }
    if h.x_autoreply.is_some() {
        return Classification::is(
            MailKind::AutoReply,
            LoopReason::AutoreplyHeader("X-Autoreply"),
        );
    }
    if h.x_autorespond.is_some() {
        return Classification::is(
            MailKind::AutoReply,
            LoopReason::AutoreplyHeader("X-Autorespond"),
        );
    }
    if let Some(v) = &h.x_auto_response_suppress {
        let all_or_oof = v
            .split(',')
            .map(str::trim)
            .any(|p| p.eq_ignore_ascii_case("all") || p.eq_ignore_ascii_case("oof"));
        if all_or_oof {
            return Classification::is(
                MailKind::AutoReply,
                LoopReason::AutoResponseSuppress(v.clone()),
            );
        }
    }
    let precedence = h
        .precedence
        .as_deref()
        .map(|v| token(v).to_ascii_lowercase());
    if precedence.as_deref() == Some("auto_reply") {
        return Classification::is(
            MailKind::AutoReply,
            LoopReason::Precedence("auto_reply".into()),
        );
    }
    if let Some(sender) = daemon_sender(mail, envelope_from) {
        return Classification::is(MailKind::Bounce, LoopReason::DaemonSender(sender));
    }
    if null_return_path(h.return_path.as_deref(), envelope_from) {
        return Classification::is(MailKind::Bounce, LoopReason::NullReturnPath);
    }
    if let Some(p) = precedence.filter(|p| matches!(p.as_str(), "bulk" | "junk" | "list")) {
        return Classification::is(MailKind::List, LoopReason::Precedence(p));
    }
    if h.list_id.is_some() {
        return Classification::is(MailKind::List, LoopReason::ListHeader("List-Id"));
    }
    if h.list_unsubscribe.is_some() {
        return Classification::is(MailKind::List, LoopReason::ListHeader("List-Unsubscribe"));
    }
    Classification::normal()
}

/// The leading token of a structured value: `auto-replied; owner-email=…` → `auto-replied`.
fn token(value: &str) -> &str {
    value
        .split([';', '(', ' ', '\t'])
        .next()
        .unwrap_or(value)
        .trim()
}

fn daemon_sender(mail: &InboundMail, envelope_from: Option<&str>) -> Option<String> {
    let from = mail.from.as_ref().map(|m| m.address.as_str());
    [envelope_from, from]
        .into_iter()
        .flatten()
        .find(|addr| {
            let local = addr
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            matches!(
                local.as_str(),
                "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon"
            )
        })
        .map(str::to_string)
}

fn null_return_path(return_path: Option<&str>, envelope_from: Option<&str>) -> bool {
    let header_null = return_path.is_some_and(|rp| rp.trim_matches(['<', '>', ' ']).is_empty());
    let envelope_null = envelope_from.is_some_and(|f| f.trim_matches(['<', '>', ' ']).is_empty());
    header_null || envelope_null
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::parse::parse;

    fn classify_raw(headers: &str, envelope: Option<&str>) -> Classification {
        let raw = format!("{headers}Subject: s\r\n\r\nbody\r\n");
        classify(&parse(raw.as_bytes(), 1 << 20).unwrap(), envelope)
    }

    #[test]
    fn person_and_auto_submitted_no_are_normal() {
        let c = classify_raw("From: a@example.com\r\n", Some("a@example.com"));
        assert_eq!(c, Classification::normal());
        assert!(c.may_auto_answer());
        let c = classify_raw("From: a@example.com\r\nAuto-Submitted: no\r\n", None);
        assert_eq!(c.kind, MailKind::Normal);
    }

    #[test]
    fn auto_replies() {
        let c = classify_raw(
            "From: a@example.com\r\nAuto-Submitted: auto-replied; owner=x\r\n",
            Some(""),
        );
        assert_eq!(c.kind, MailKind::AutoReply, "Auto-Submitted wins over <>");
        assert!(!c.may_auto_answer());
        for h in [
            "X-Autoreply: yes\r\n",
            "X-Autorespond: 1\r\n",
            "Precedence: auto_reply\r\n",
            "X-Auto-Response-Suppress: DR, OOF\r\n",
        ] {
            let c = classify_raw(&format!("From: a@example.com\r\n{h}"), None);
            assert_eq!(c.kind, MailKind::AutoReply, "{h}");
            assert!(!c.reason.unwrap().to_string().is_empty());
        }
    }

    #[test]
    fn bounces() {
        let c = classify_raw("From: MAILER-DAEMON@mx.example.com\r\n", None);
        assert_eq!(c.kind, MailKind::Bounce);
        let c = classify_raw("From: a@example.com\r\nReturn-Path: <>\r\n", None);
        assert_eq!(c.reason, Some(LoopReason::NullReturnPath));
        let c = classify_raw("From: a@example.com\r\n", Some(""));
        assert_eq!(c.reason, Some(LoopReason::NullReturnPath));
        let c = classify_raw("From: a@example.com\r\n", Some("postmaster@example.org"));
        assert_eq!(c.kind, MailKind::Bounce);
    }

    #[test]
    fn lists_and_bulk() {
        for h in [
            "Precedence: bulk\r\n",
            "Precedence: junk\r\n",
            "Precedence: list\r\n",
            "List-Id: <news.example.com>\r\n",
            "List-Unsubscribe: <mailto:u@example.com>\r\n",
        ] {
            let c = classify_raw(&format!("From: a@example.com\r\n{h}"), None);
            assert_eq!(c.kind, MailKind::List, "{h}");
        }
    }
}
