//! Raw mails written byte for byte, the way real clients send them (GBK bytes made with
//! encoding_rs, so the test does not depend on the source file's encoding).

use data_encoding::BASE64_MIME;

pub fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "{text} is not GBK");
    bytes.into_owned()
}

/// RFC 2047 B-encoded word in the given charset label.
pub fn b_word(charset: &str, bytes: &[u8]) -> String {
    format!("=?{charset}?B?{}?=", data_encoding::BASE64.encode(bytes))
}

/// RFC 2047 Q-encoded word: every byte as =XX (valid Q-encoding, if verbose).
pub fn q_word(charset: &str, bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("={b:02X}")).collect();
    format!("=?{charset}?Q?{hex}?=")
}

pub const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";

/// Foxmail/Outlook-CN style: GBK 8-bit text body, GBK RFC 2047 subject (B) and display name
/// (gb2312, Q), a PDF whose name is a GBK encoded word.
pub fn gbk_with_attachment() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(
        format!(
            "From: {} <zhang.san@customer.example>\r\n\
             To: support@acme.example\r\n\
             Subject: {}\r\n\
             Date: Mon, 04 Mar 2024 10:15:00 +0800\r\n\
             Message-ID: <gbk-1@customer.example>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"=====gbk=====\"\r\n\
             \r\n\
             --=====gbk=====\r\n\
             Content-Type: text/plain; charset=\"GBK\"\r\n\
             Content-Transfer-Encoding: 8bit\r\n\
             \r\n",
            q_word("gb2312", &gbk("张三")),
            b_word("GBK", &gbk("退货申请：订单 1001")),
        )
        .as_bytes(),
    );
    m.extend_from_slice(&gbk(
        "您好，\r\n我买的耳机有杂音，想退货。发票见附件。\r\n张三\r\n",
    ));
    m.extend_from_slice(
        format!(
            "--=====gbk=====\r\n\
             Content-Type: application/pdf; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             {body}\
             --=====gbk=====--\r\n",
            name = b_word("GBK", &gbk("发票.pdf")),
            body = BASE64_MIME.encode(PDF),
        )
        .as_bytes(),
    );
    m
}

/// UTF-8 HTML mail with an inline image referenced by cid:.
pub fn utf8_html_inline_image() -> Vec<u8> {
    format!(
        "From: \"Li Lei\" <li@customer.example>\r\n\
         To: \"Acme 客服\" <support@acme.example>, other@customer.example\r\n\
         Cc: =?UTF-8?B?{cc}?= <wang@customer.example>\r\n\
         Subject: =?UTF-8?Q?=E5=B1=8F=E5=B9=95?= broken\r\n\
         Message-ID: <html-1@customer.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=\"rel\"\r\n\
         \r\n\
         --rel\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         <html><head><style>p {{ color: red }}</style></head><body><p>=E5=B1=8F=E5=B9=95=\r\n\
         =E8=A3=82=E4=BA=86 &amp; flickers</p><p><img src=3D\"cid:shot@customer\"></p>\r\n\
         <script>alert(1)</script></body></html>\r\n\
         --rel\r\n\
         Content-Type: image/png\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-ID: <shot@customer>\r\n\
         Content-Disposition: inline; filename=\"shot.png\"\r\n\
         \r\n\
         {png}\
         --rel--\r\n",
        cc = data_encoding::BASE64.encode("王五".as_bytes()),
        png = BASE64_MIME.encode(PNG),
    )
    .into_bytes()
}

/// A delivery status notification, as Postfix sends it.
pub fn bounce() -> Vec<u8> {
    b"From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n\
To: support@acme.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\
\r\n\
--B\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
This is the mail system at host mx.customer.example.\r\n\
<gone@customer.example>: host said: 550 5.1.1 User unknown\r\n\
--B\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.customer.example\r\n\
\r\n\
Final-Recipient: rfc822; gone@customer.example\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
--B\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: support@acme.example\r\n\
To: gone@customer.example\r\n\
Subject: [#1001] hello\r\n\
Message-ID: <k1@acme.example>\r\n\
\r\n\
hello\r\n\
--B--\r\n"
        .to_vec()
}

/// A QQ-mail style vacation reply.
pub fn auto_reply() -> Vec<u8> {
    "From: 赵六 <zhao@customer.example>\r\n\
To: support@acme.example\r\n\
Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSNOiBbIzEwMDFdIOmAgOi0pw==?=\r\n\
Auto-Submitted: auto-replied\r\n\
X-Autoreply: yes\r\n\
In-Reply-To: <k1@acme.example>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
我正在休假，1月10日回来。\r\n"
        .as_bytes()
        .to_vec()
}

/// An Outlook (Chinese UI) reply: new text on top, the old mail below a 发件人 block.
pub fn outlook_reply_zh(in_reply_to: &str, reply_to_address: &str) -> Vec<u8> {
    format!(
        "From: 张三 <zhang.san@customer.example>\r\n\
To: {reply_to_address}\r\n\
Subject: =?UTF-8?B?{subject}?=\r\n\
Message-ID: <outlook-2@customer.example>\r\n\
In-Reply-To: <{in_reply_to}>\r\n\
References: <gbk-1@customer.example> <{in_reply_to}>\r\n\
Thread-Topic: =?UTF-8?B?6YCA6LSn?=\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
收到，快递单号是 SF123456。\r\n\
\r\n\
________________________________\r\n\
发件人: Acme 客服 <support@acme.example>\r\n\
发送时间: 2024年3月4日 11:00\r\n\
收件人: 张三 <zhang.san@customer.example>\r\n\
主题: [#1001] 退货申请：订单 1001\r\n\
\r\n\
您好，请把耳机寄回，并告诉我们快递单号。\r\n",
        subject = data_encoding::BASE64.encode("答复: [#1001] 退货申请：订单 1001".as_bytes()),
    )
    .into_bytes()
}
