//! Parsing, loop detection, quote stripping and threading on the fixtures.

use kefu_mail::{
    MailKind, ThreadBy, ThreadHint, classify, parse, reply_address, strip_quoted, thread_hints,
};

use super::fixtures;

const MAX: usize = 1 << 20;
const SECRET: &[u8] = b"acme-tenant-secret-for-tests";

#[test]
fn gbk_mail_with_attachment_decodes() {
    let raw = fixtures::gbk_with_attachment();
    assert!(std::str::from_utf8(&raw).is_err(), "fixture really is GBK");
    let mail = parse(&raw, MAX).unwrap();
    assert_eq!(mail.subject, "退货申请：订单 1001");
    let from = mail.from.as_ref().unwrap();
    assert_eq!(from.address, "zhang.san@customer.example");
    assert_eq!(from.name.as_deref(), Some("张三"));
    assert_eq!(
        mail.text,
        "您好，\n我买的耳机有杂音，想退货。发票见附件。\n张三"
    );
    assert_eq!(mail.html, None);
    assert_eq!(mail.message_id.as_deref(), Some("gbk-1@customer.example"));
    assert_eq!(mail.date.unwrap().to_rfc3339(), "2024-03-04T02:15:00+00:00");
    assert_eq!(mail.attachments.len(), 1);
    let pdf = &mail.attachments[0];
    assert_eq!(pdf.name, "发票.pdf");
    assert_eq!(pdf.content_type, "application/pdf");
    assert_eq!(pdf.data, fixtures::PDF);
    assert!(!pdf.inline);
    assert_eq!(
        classify(&mail, Some("zhang.san@customer.example")).kind,
        MailKind::Normal
    );
}

#[test]
fn utf8_html_with_inline_image() {
    let mail = parse(&fixtures::utf8_html_inline_image(), MAX).unwrap();
    assert_eq!(mail.subject, "屏幕 broken");
    assert_eq!(mail.text, "屏幕裂了 & flickers");
    let html = mail.html.as_deref().unwrap();
    assert!(html.contains("<img src=\"cid:shot@customer\">"), "{html}");
    assert_eq!(mail.to.len(), 2);
    assert_eq!(mail.to[0].name.as_deref(), Some("Acme 客服"));
    assert_eq!(mail.cc[0].name.as_deref(), Some("王五"));
    assert_eq!(mail.attachments.len(), 1);
    let img = &mail.attachments[0];
    assert_eq!(img.content_id.as_deref(), Some("shot@customer"));
    assert!(img.inline);
    assert_eq!(img.name, "shot.png");
    assert_eq!(img.content_type, "image/png");
    assert_eq!(img.data, fixtures::PNG);
}

#[test]
fn bounce_is_a_bounce() {
    let mail = parse(&fixtures::bounce(), MAX).unwrap();
    let verdict = classify(&mail, Some(""));
    assert_eq!(verdict.kind, MailKind::Bounce);
    assert!(!verdict.may_auto_answer());
    assert_eq!(
        verdict.reason.unwrap().to_string(),
        "multipart/report; report-type=delivery-status"
    );
}

#[test]
fn auto_reply_is_an_auto_reply_but_still_threads() {
    let mail = parse(&fixtures::auto_reply(), MAX).unwrap();
    assert_eq!(mail.subject, "自动回复: [#1001] 退货");
    let verdict = classify(&mail, Some("zhao@customer.example"));
    assert_eq!(verdict.kind, MailKind::AutoReply);
    assert_eq!(
        verdict.reason.unwrap().to_string(),
        "Auto-Submitted: auto-replied"
    );
    // The server may still file it on the ticket (without answering it).
    let hint =
        thread_hints(&mail, &[], SECRET).resolve(|id| (id == "k1@acme.example").then_some(1001));
    assert_eq!(
        hint,
        ThreadHint::Existing {
            ticket: 1001,
            by: ThreadBy::MessageId("k1@acme.example".into())
        }
    );
}

#[test]
fn outlook_reply_in_chinese_keeps_only_new_text_and_threads() {
    let to = reply_address("support@acme.example", SECRET, 1001).unwrap();
    let mail = parse(&fixtures::outlook_reply_zh("k2@acme.example", &to), MAX).unwrap();
    assert_eq!(strip_quoted(&mail.text), "收到，快递单号是 SF123456。");
    let hints = thread_hints(&mail, std::slice::from_ref(&to), SECRET);
    assert_eq!(
        hints.message_ids,
        vec!["k2@acme.example", "gbk-1@customer.example"]
    );
    assert_eq!(hints.token_ticket, Some(1001));
    assert_eq!(hints.subject_ticket, Some(1001));
    // Unknown ids: the signed token decides before the subject tag.
    assert_eq!(
        hints.resolve(|_| None),
        ThreadHint::Existing {
            ticket: 1001,
            by: ThreadBy::ReplyToken
        }
    );
}
