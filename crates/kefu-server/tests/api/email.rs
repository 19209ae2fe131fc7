//! The email channel end to end over real SMTP: mail sent to kefu's listener (lettre, and a
//! raw client for exact reply codes), replies relayed to a real independent SMTP server
//! (Debian's python3-aiosmtpd writing a Maildir), and the customer's answer threading back.
use super::{TestApp, spawn_app_with};
use kefu_server::ServerConfig;
use kefu_server::mail::{MailSecret, MailSettings, RelayConfig, RelayTls};
use lettre::message::header::ContentType;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

const MAX_BYTES: usize = 64 * 1024;

pub(super) fn config(relay_port: Option<u16>) -> ServerConfig {
    ServerConfig {
        max_body_bytes: 64 * 1024,
        mail: MailSettings {
            smtp_listen: Some("127.0.0.1:0".parse().unwrap()),
            smtp_max_bytes: MAX_BYTES,
            smtp_hostname: "mx.kefu.test".into(),
            smtp_tls: None,
            smtp_require_tls: false,
            extra_roots: Default::default(),
            token_secret: Some(MailSecret("test-token-secret-0123456789".into())),
            relay: relay_port.map(|port| RelayConfig {
                host: "127.0.0.1".into(),
                port,
                tls: RelayTls::None,
                username: None,
                password: None,
                timeout_secs: 5,
                extra_roots: Default::default(),
            }),
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(400),
            max_attempts: 1000,
            poll_interval: Duration::from_millis(100),
        },
        ..ServerConfig::default()
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made for one test, with its PEM
/// files on disk (for Dovecot and `tls_extra_ca`); the files go with it.
pub(super) struct TestCert {
    pub(super) cert_pem: String,
    pub(super) key_pem: String,
    pub(super) cert_path: PathBuf,
    pub(super) key_path: PathBuf,
    dir: PathBuf,
}

impl TestCert {
    pub(super) fn new() -> TestCert {
        let made = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .unwrap();
        let dir = std::env::temp_dir().join(format!("kefu-cert-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = TestCert {
            cert_pem: made.cert.pem(),
            key_pem: made.signing_key.serialize_pem(),
            cert_path: dir.join("cert.pem"),
            key_path: dir.join("key.pem"),
            dir,
        };
        std::fs::write(&cert.cert_path, &cert.cert_pem).unwrap();
        std::fs::write(&cert.key_path, &cert.key_pem).unwrap();
        cert
    }

    pub(super) fn server_tls(&self) -> kefu_mail::ServerTls {
        kefu_mail::ServerTls::from_pem_files(&self.cert_path, &self.key_path).unwrap()
    }

    /// What `tls_extra_ca` pointing at this certificate gives the server.
    pub(super) fn as_extra_ca(&self) -> kefu_mail::ExtraRoots {
        kefu_mail::ExtraRoots::from_pem_file(&self.cert_path).unwrap()
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A real SMTP server (aiosmtpd) storing what it receives in a Maildir.
pub(super) struct Sink {
    child: Child,
    dir: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The Python that has aiosmtpd; missing it fails the test, it never skips it.
fn python_with_aiosmtpd() -> &'static str {
    for python in ["/usr/bin/python3", "python3"] {
        let found = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return python;
        }
    }
    panic!(
        "the email tests need a real SMTP peer: install Debian's python3-aiosmtpd (apt-get install -y python3-aiosmtpd)"
    );
}

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sink {
    pub(super) async fn start(port: u16) -> Sink {
        let python = python_with_aiosmtpd();
        let dir = std::env::temp_dir().join(format!("kefu-sink-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = std::fs::File::create(dir.join("aiosmtpd.log")).unwrap();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.join("maildir"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting aiosmtpd");
        let sink = Sink { child, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(sink.dir.join("aiosmtpd.log")).unwrap_or_default();
        panic!("aiosmtpd did not start on port {port}: {log}");
    }

    pub(super) fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("maildir").join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).ok();
                (modified, e.path())
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| std::fs::read(path).unwrap())
            .collect()
    }

    pub(super) async fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        for _ in 0..200 {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the relay received {} of {count} mails",
            self.messages().len()
        );
    }
}

/// Sends through lettre, the way a customer's mail server delivers.
pub(super) async fn send(
    smtp: SocketAddr,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    headers: &[(&str, &str)],
) {
    let mut builder = Message::builder()
        .from(from.parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    let mut copied = false;
    for (name, value) in headers {
        builder = match *name {
            "Message-ID" => builder.message_id(Some((*value).to_owned())),
            "In-Reply-To" => builder.in_reply_to((*value).to_owned()),
            "References" => builder.references((*value).to_owned()),
            "Cc" => {
                copied = true;
                builder.cc(value.parse().unwrap())
            }
            other => panic!("unsupported header {other}"),
        };
    }
    // The copies go to their own servers: the listener is handed the support address only.
    if copied {
        let from: lettre::message::Mailbox = from.parse().unwrap();
        let to: lettre::message::Mailbox = to.parse().unwrap();
        builder = builder
            .envelope(lettre::address::Envelope::new(Some(from.email), vec![to.email]).unwrap());
    }
    let message = builder.body(body.to_owned()).unwrap();
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .build()
        .send(message)
        .await
        .unwrap();
}

/// A raw SMTP session: the reply code of every step (greeting, EHLO, MAIL, each RCPT and,
/// when a recipient was taken, DATA and the end of data).
async fn raw_session(smtp: SocketAddr, from: &str, rcpts: &[&str], data: &[u8]) -> Vec<u16> {
    let stream = tokio::net::TcpStream::connect(smtp).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    async fn reply(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> u16 {
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.unwrap();
            assert!(line.len() >= 4, "short SMTP reply {line:?}");
            if line.as_bytes()[3] == b' ' {
                return line[..3].parse().unwrap();
            }
        }
    }
    let mut codes = vec![reply(&mut read).await];
    for line in [
        "EHLO client.example\r\n".to_owned(),
        format!("MAIL FROM:<{from}>\r\n"),
    ] {
        write.write_all(line.as_bytes()).await.unwrap();
        codes.push(reply(&mut read).await);
    }
    let mut accepted = false;
    for rcpt in rcpts {
        write
            .write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())
            .await
            .unwrap();
        let code = reply(&mut read).await;
        accepted |= code == 250;
        codes.push(code);
    }
    if accepted {
        write.write_all(b"DATA\r\n").await.unwrap();
        codes.push(reply(&mut read).await);
        let mut stuffed = Vec::new();
        for line in data.split_inclusive(|b| *b == b'\n') {
            if line.starts_with(b".") {
                stuffed.push(b'.');
            }
            stuffed.extend_from_slice(line);
        }
        if !stuffed.ends_with(b"\r\n") {
            stuffed.extend_from_slice(b"\r\n");
        }
        stuffed.extend_from_slice(b".\r\n");
        write.write_all(&stuffed).await.unwrap();
        codes.push(reply(&mut read).await);
    }
    write.write_all(b"QUIT\r\n").await.unwrap();
    codes
}

async fn tickets(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/tickets", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

async fn comments(app: &TestApp, token: &str, ticket: &Value) -> Vec<Value> {
    let path = format!(
        "/api/v1/tickets/{}/comments",
        ticket["id"].as_str().unwrap()
    );
    let (status, page) = app.get(&path, token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn mailbox(app: &TestApp, admin: &str, address: &str) -> Value {
    let (status, mailbox) = app
        .post(
            "/api/v1/mailboxes",
            admin,
            json!({"address": address, "display_name": "Acme 客服"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mailbox}");
    mailbox
}

#[tokio::test]
async fn mailboxes_are_managed_by_admins_and_unique_across_tenants() {
    let app = spawn_app_with(config(None)).await;
    let acme = app.org("acme").await;
    let globex = app.org("globex").await;
    let (status, _) = app
        .post(
            "/api/v1/mailboxes",
            &acme.agent,
            json!({"address": "support@acme.example", "display_name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let created = mailbox(&app, &acme.admin, " Support@ACME.example ").await;
    assert_eq!(created["address"], "support@acme.example");
    assert_eq!(created["enabled"], true);
    for (body, code) in [
        (
            json!({"address": "support+sales@acme.example", "display_name": "x"}),
            "invalid",
        ),
        (json!({"address": "nobody", "display_name": "x"}), "invalid"),
        (
            json!({"address": "a@acme.example", "display_name": ""}),
            "required",
        ),
    ] {
        let (status, error) = app.post("/api/v1/mailboxes", &acme.admin, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["code"], code, "{error}");
    }
    let (status, error) = app
        .post(
            "/api/v1/mailboxes",
            &globex.admin,
            json!({"address": "support@acme.example", "display_name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "address_taken");
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());
    let (status, updated) = app
        .patch(
            &path,
            &acme.admin,
            json!({"enabled": false, "display_name": "售后"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (
            updated["enabled"].as_bool(),
            updated["display_name"].as_str()
        ),
        (Some(false), Some("售后"))
    );
    let (_, listed) = app.get("/api/v1/mailboxes", &acme.admin).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let (_, listed) = app.get("/api/v1/mailboxes", &globex.admin).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let (status, _) = app
        .call(reqwest::Method::DELETE, &path, Some(&acme.admin), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_mail_becomes_a_ticket_the_reply_is_relayed_threaded_and_answers_thread_back() {
    let relay_port = free_port();
    let mut app = spawn_app_with(config(Some(relay_port))).await;
    let org = app.org("acme").await;
    mailbox(&app, &org.admin, "support@acme.example").await;

    send(
        app.smtp.unwrap(),
        "张三 <zhang@example.com>",
        "support@acme.example",
        "退货申请",
        "您好，鞋子尺码不对，想退货。订单 SO-1",
        &[("Message-ID", "<c1@example.com>")],
    )
    .await;
    let list = tickets(&app, &org.agent).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let ticket = list[0].clone();
    assert_eq!(ticket["number"], 1001);
    assert_eq!(ticket["subject"], "退货申请");
    assert_eq!(ticket["channel"], "email");
    assert!(ticket["description"].as_str().unwrap().contains("尺码不对"));
    let (_, requester) = app
        .get(
            &format!(
                "/api/v1/customers/{}",
                ticket["requester_id"].as_str().unwrap()
            ),
            &org.agent,
        )
        .await;
    assert_eq!(requester["name"], "张三");
    assert_eq!(requester["identities"][0]["value"], "zhang@example.com");

    // The agent answers while the relay is down; an internal note is never mailed.
    let path = format!(
        "/api/v1/tickets/{}/comments",
        ticket["id"].as_str().unwrap()
    );
    let (status, _) = app
        .post(
            &path,
            &org.agent,
            json!({"body": "内部：先查库存", "public": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post(
            &path,
            &org.agent,
            json!({"body": "您好，已为您办理退货。", "public": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let tenant = org.tenant.id;
    let ticket_id: Uuid = ticket["id"].as_str().unwrap().parse().unwrap();
    let mut failed_once = false;
    for _ in 0..100 {
        let outbox = app.store.ticket_outbox(tenant, ticket_id).await.unwrap();
        if outbox.len() == 1 && outbox[0].attempts >= 1 && outbox[0].last_error.is_some() {
            failed_once = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(failed_once, "the first attempt fails against a closed port");

    // A restart loses nothing: the queued reply goes out once the relay is up.
    app.restart().await;
    let sink = Sink::start(relay_port).await;
    let sent = sink.wait_for(1).await;
    let out = kefu_mail::parse(&sent[0], 1 << 20).unwrap();
    let from = out.from.clone().unwrap();
    assert_eq!(
        (from.address.as_str(), from.name.as_deref()),
        ("support@acme.example", Some("Acme 客服"))
    );
    assert_eq!(out.to[0].address, "zhang@example.com");
    assert_eq!(out.subject, "[#1001] 退货申请");
    assert_eq!(out.in_reply_to, vec!["c1@example.com"]);
    assert_eq!(out.references, vec!["c1@example.com"]);
    let reply_to = out.reply_to.clone().unwrap().address;
    assert!(
        reply_to.starts_with("support+t-") && reply_to.ends_with("@acme.example"),
        "{reply_to}"
    );
    assert!(out.text.contains("已为您办理退货"), "{}", out.text);
    assert!(
        !String::from_utf8_lossy(&sent[0]).contains("内部"),
        "a note leaked"
    );
    let message_id = out.message_id.clone().unwrap();
    assert!(message_id.ends_with("@acme.example"), "{message_id}");
    // The relay stores the mail before it answers 250, and kefu records the send after
    // that answer: wait for the record rather than race it.
    let mut outbox = Vec::new();
    for _ in 0..100 {
        outbox = app.store.ticket_outbox(tenant, ticket_id).await.unwrap();
        if outbox[0].sent_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(outbox[0].sent_at.is_some(), "{outbox:?}");
    assert_eq!(outbox[0].message_id.as_deref(), Some(message_id.as_str()));

    // The customer answers from their client: quoted history, threading headers.
    let smtp = app.smtp.unwrap();
    send(
        smtp,
        "张三 <zhang@example.com>",
        &reply_to,
        "Re: [#1001] 退货申请",
        "好的，谢谢！\n\n在 2026年11月25日 10:00，Acme 客服 写道：\n> 您好，已为您办理退货。\n",
        &[
            ("Message-ID", "<c2@example.com>"),
            ("In-Reply-To", &format!("<{message_id}>")),
            ("References", &format!("<c1@example.com> <{message_id}>")),
        ],
    )
    .await;
    let all = comments(&app, &org.agent, &ticket).await;
    let last = all.last().unwrap();
    assert_eq!(last["author_kind"], "customer");
    assert_eq!(last["body"], "好的，谢谢！", "quote stripped");

    // A colleague writes to the reply address alone (no headers, no tag): the token threads it.
    send(
        smtp,
        "李四 <lisi@example.com>",
        &reply_to,
        "补充",
        "发票抬头：某某公司",
        &[],
    )
    .await;
    let all = comments(&app, &org.agent, &ticket).await;
    assert_eq!(all.last().unwrap()["body"], "发票抬头：某某公司");
    // The requester uses only the subject tag: threads. A stranger typing it does not.
    send(
        smtp,
        "zhang@example.com",
        "support@acme.example",
        "[#1001] 还有问题",
        "鞋盒破了",
        &[],
    )
    .await;
    let all = comments(&app, &org.agent, &ticket).await;
    assert_eq!(all.last().unwrap()["body"], "鞋盒破了");
    send(
        smtp,
        "wang@example.com",
        "support@acme.example",
        "[#1001] 我的订单",
        "别人的工单号",
        &[],
    )
    .await;
    let list = tickets(&app, &org.agent).await;
    assert_eq!(
        list.len(),
        2,
        "a stranger's tagged mail opens its own ticket"
    );
    assert_eq!(list[1]["subject"], "[#1001] 我的订单");
    // Customer mail is never relayed: only the agent's one reply went out.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn unknown_recipients_oversize_bounces_and_auto_replies_open_nothing() {
    let app = spawn_app_with(config(None)).await;
    let org = app.org("acme").await;
    mailbox(&app, &org.admin, "support@acme.example").await;
    let off = mailbox(&app, &org.admin, "off@acme.example").await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/mailboxes/{}", off["id"].as_str().unwrap()),
            &org.admin,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let smtp = app.smtp.unwrap();
    let mail = b"From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n";
    for rcpt in [
        "nobody@acme.example",
        "off@acme.example",
        "support+sales@acme.example",
        "support@globex.example",
    ] {
        let codes = raw_session(smtp, "a@example.com", &[rcpt], mail).await;
        assert_eq!(codes, vec![220, 250, 250, 550], "{rcpt}");
    }
    let big = format!(
        "From: a@example.com\r\nSubject: big\r\n\r\n{}\r\n",
        "x".repeat(MAX_BYTES + 10)
    );
    let codes = raw_session(
        smtp,
        "a@example.com",
        &["support@acme.example"],
        big.as_bytes(),
    )
    .await;
    assert_eq!(codes, vec![220, 250, 250, 250, 354, 552]);

    let bounce = b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: support@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; zhang@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n";
    let codes = raw_session(smtp, "", &["support@acme.example"], bounce).await;
    assert_eq!(codes.last(), Some(&250));
    let vacation = b"From: zhao@example.com\r\nTo: support@acme.example\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <oof1@example.com>\r\n\r\nI am away until Monday.\r\n";
    let codes = raw_session(
        smtp,
        "zhao@example.com",
        &["support@acme.example"],
        vacation,
    )
    .await;
    assert_eq!(codes.last(), Some(&250));
    // Our own address as the sender (a forward rule sending our mail back): no ticket.
    let echo = b"From: Acme <support@acme.example>\r\nTo: support@acme.example\r\nSubject: [#1001] echo\r\n\r\nlooping\r\n";
    let codes = raw_session(
        smtp,
        "support@acme.example",
        &["support@acme.example"],
        echo,
    )
    .await;
    assert_eq!(codes.last(), Some(&250));
    // Not a message at all (no header section): kept raw with the parse error, not dropped.
    let junk = b"\r\nno headers here, just text\r\n";
    let codes = raw_session(smtp, "x@example.com", &["support@acme.example"], junk).await;
    assert_eq!(codes.last(), Some(&250));
    assert!(
        tickets(&app, &org.agent).await.is_empty(),
        "robots open no tickets"
    );
    let kept = app.store.unthreaded_mails(org.tenant.id, 10).await.unwrap();
    let mut kinds: Vec<&str> = kept.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["auto_reply", "bounce", "loop", "unparseable"],
        "all recorded"
    );
    let junk_record = kept.iter().find(|m| m.kind == "unparseable").unwrap();
    assert!(
        junk_record
            .parse_error
            .as_deref()
            .is_some_and(|e| e.starts_with("message_unparseable")),
        "{junk_record:?}"
    );
    // Agents see them over the API, and can download the raw mail.
    let (status, listed) = app.get("/api/v1/mails", &org.agent).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);
    let raw = app
        .http
        .get(format!("{}/api/v1/mails/{}/raw", app.url, junk_record.id))
        .bearer_auth(&org.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        raw.bytes().await.unwrap().as_ref(),
        b"\r\nno headers here, just text\r\n"
    );
}

#[tokio::test]
async fn a_gbk_mail_with_an_attachment_is_decoded() {
    let app = spawn_app_with(config(None)).await;
    let org = app.org("acme").await;
    mailbox(&app, &org.admin, "support@acme.example").await;
    // "退货申请" and the body in GBK, as Chinese mail clients send them.
    let body_gbk =
        hex_bytes("c4fabac3a3acced2c2f2b5c4d0acd7d3b3dfc2ebb2bbb6d4a3accfebcdcbbbf5a1a3");
    let mut mail = b"From: =?GBK?B?1cXI/Q==?= <zhang@example.com>\r\nTo: support@acme.example\r\nSubject: =?GBK?B?zcu79cnqx+s=?=\r\nMessage-ID: <gbk1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"gbk\"\r\n\r\n--gbk\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    mail.extend_from_slice(&body_gbk);
    mail.extend_from_slice(b"\r\n--gbk\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--gbk--\r\n");
    let codes = raw_session(
        app.smtp.unwrap(),
        "zhang@example.com",
        &["support@acme.example"],
        &mail,
    )
    .await;
    assert_eq!(codes.last(), Some(&250));
    let list = tickets(&app, &org.agent).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["subject"], "退货申请");
    assert_eq!(list[0]["description"], "您好，我买的鞋子尺码不对，想退货。");
    let (_, requester) = app
        .get(
            &format!(
                "/api/v1/customers/{}",
                list[0]["requester_id"].as_str().unwrap()
            ),
            &org.agent,
        )
        .await;
    assert_eq!(requester["name"], "张三");
    let ticket_id: Uuid = list[0]["id"].as_str().unwrap().parse().unwrap();
    let (status, mails) = app
        .get(&format!("/api/v1/tickets/{ticket_id}/mails"), &org.agent)
        .await;
    assert_eq!(status, StatusCode::OK, "{mails}");
    assert_eq!(mails["mails"][0]["message_id"], "gbk1@example.com");
    assert_eq!(mails["mails"][0]["direction"], "inbound");
    assert_eq!(mails["files"][0]["name"], "invoice.pdf");
    let download = app
        .http
        .get(format!(
            "{}/api/v1/tickets/{ticket_id}/files/{}",
            app.url,
            mails["files"][0]["id"].as_str().unwrap()
        ))
        .bearer_auth(&org.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.4\n");
    let files = app
        .store
        .ticket_files(org.tenant.id, ticket_id)
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].name.as_str(), files[0].content_type.as_str()),
        ("invoice.pdf", "application/pdf")
    );
    assert_eq!(
        app.store
            .ticket_file_content(org.tenant.id, files[0].id)
            .await
            .unwrap(),
        b"%PDF-1.4\n"
    );
}

#[tokio::test]
async fn mail_to_one_tenant_never_touches_another() {
    let app = spawn_app_with(config(None)).await;
    let acme = app.org("acme").await;
    let globex = app.org("globex").await;
    mailbox(&app, &acme.admin, "support@acme.example").await;
    mailbox(&app, &globex.admin, "help@globex.example").await;
    let (_, customer) = app
        .post(
            "/api/v1/customers",
            &globex.agent,
            json!({"name": "Globex 客户"}),
        )
        .await;
    let (status, _) = app
        .post(
            "/api/v1/tickets",
            &globex.agent,
            json!({"subject": "Globex 的工单", "requester_id": customer["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let smtp = app.smtp.unwrap();
    send(
        smtp,
        "zhang@example.com",
        "support@acme.example",
        "Acme 的问题",
        "只给 Acme",
        &[("Message-ID", "<iso1@example.com>")],
    )
    .await;
    assert_eq!(tickets(&app, &acme.agent).await.len(), 1);
    let globex_tickets = tickets(&app, &globex.agent).await;
    assert_eq!(globex_tickets.len(), 1, "nothing of Acme's mail in Globex");
    let (status, lookup) = app
        .get(
            "/api/v1/customers/lookup?kind=email&value=zhang@example.com",
            &globex.agent,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{lookup}");

    // Acme's Message-ID and Globex's ticket number mean nothing across tenants: the sender
    // is not Globex #1001's requester, and the thread is Acme's.
    send(
        smtp,
        "zhang@example.com",
        "help@globex.example",
        "Re: [#1001] Acme 的问题",
        "试试串到别家",
        &[
            ("Message-ID", "<iso2@example.com>"),
            ("In-Reply-To", "<iso1@example.com>"),
        ],
    )
    .await;
    let globex_tickets = tickets(&app, &globex.agent).await;
    assert_eq!(globex_tickets.len(), 2, "a new Globex ticket");
    assert!(
        comments(&app, &globex.agent, &globex_tickets[0])
            .await
            .is_empty()
    );
    let acme_tickets = tickets(&app, &acme.agent).await;
    assert_eq!(acme_tickets.len(), 1);
    assert!(
        comments(&app, &acme.agent, &acme_tickets[0])
            .await
            .is_empty()
    );
}

pub(super) fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A small PDF with every byte value in it, so any re-encoding on the way shows.
fn pdf_bytes() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n".to_vec();
    pdf.extend(0..=255u8);
    pdf.extend_from_slice(b"\n%%EOF\n");
    pdf
}

async fn upload_ticket_file(
    app: &TestApp,
    token: &str,
    ticket: &str,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/tickets/{ticket}/files", app.url))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_agents_reply_is_mailed_with_its_attachment_byte_for_byte() {
    let relay_port = free_port();
    let sink = Sink::start(relay_port).await;
    let app = spawn_app_with(config(Some(relay_port))).await;
    let org = app.org("acme").await;
    let globex = app.org("globex").await;
    mailbox(&app, &org.admin, "support@acme.example").await;
    send(
        app.smtp.unwrap(),
        "张三 <zhang@example.com>",
        "support@acme.example",
        "要报价单",
        "请发一份报价单",
        &[("Message-ID", "<q1@example.com>")],
    )
    .await;
    let ticket = tickets(&app, &org.agent).await[0].clone();
    let ticket_id = ticket["id"].as_str().unwrap();

    // Refused uploads: a type not accepted, another tenant's ticket.
    let (status, body) = upload_ticket_file(
        &app,
        &org.agent,
        ticket_id,
        "x.html",
        "text/html",
        b"<b>".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(body["code"], "unsupported_type");
    let (status, _) = upload_ticket_file(
        &app,
        &globex.agent,
        ticket_id,
        "x.pdf",
        "application/pdf",
        pdf_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, file) = upload_ticket_file(
        &app,
        &org.agent,
        ticket_id,
        "报价单.pdf",
        "application/pdf",
        pdf_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["name"], "报价单.pdf");
    let file_id = file["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{ticket_id}/comments");
    let (status, comment) = app
        .post(
            &path,
            &org.agent,
            json!({"body": "您好，报价单见附件。", "public": true, "attachment_ids": [file_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    assert_eq!(comment["attachments"][0]["id"], file_id.as_str());
    // A file goes with one comment only; another tenant cannot use or read it.
    let (status, body) = app
        .post(
            &path,
            &org.agent,
            json!({"body": "again", "public": false, "attachment_ids": [file_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .post(
            &path,
            &globex.agent,
            json!({"body": "x", "public": false, "attachment_ids": [file_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let download = |token: &str| {
        app.http
            .get(format!(
                "{}/api/v1/tickets/{ticket_id}/files/{file_id}",
                app.url
            ))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(
        download(&globex.agent).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let own = download(&org.agent).await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.bytes().await.unwrap().as_ref(), pdf_bytes().as_slice());
    let listed = comments(&app, &org.agent, &ticket).await;
    let reply = listed.iter().find(|c| c["public"] == true).unwrap();
    assert_eq!(reply["attachments"][0]["name"], "报价单.pdf");
    assert_eq!(reply["attachments"][0]["content_type"], "application/pdf");

    // The relay gets a multipart mail carrying the file unchanged.
    let sent = sink.wait_for(1).await;
    let out = kefu_mail::parse(&sent[0], 1 << 20).unwrap();
    assert!(out.text.contains("报价单见附件"), "{}", out.text);
    assert_eq!(out.attachments.len(), 1, "{:?}", out.attachments);
    assert_eq!(out.attachments[0].name, "报价单.pdf");
    assert_eq!(out.attachments[0].content_type, "application/pdf");
    assert_eq!(out.attachments[0].data, pdf_bytes());
    assert!(
        String::from_utf8_lossy(&sent[0]).contains("multipart/mixed"),
        "not multipart"
    );
}

#[tokio::test]
async fn mail_over_starttls_becomes_a_ticket_and_plain_mail_is_refused_when_tls_is_required() {
    let cert = TestCert::new();
    let mut settings = config(None);
    settings.mail.smtp_tls = Some(cert.server_tls());
    settings.mail.smtp_require_tls = true;
    let app = spawn_app_with(settings).await;
    let org = app.org("acme").await;
    mailbox(&app, &org.admin, "support@acme.example").await;
    let smtp = app.smtp.unwrap();

    // In the clear: STARTTLS is offered, MAIL FROM is refused until it is used.
    let codes = raw_session(smtp, "zhang@example.com", &[], b"").await;
    assert_eq!(codes, vec![220, 250, 530]);
    let message = || {
        Message::builder()
            .from("张三 <zhang@example.com>".parse().unwrap())
            .to("support@acme.example".parse().unwrap())
            .subject("Sent over TLS")
            .header(ContentType::TEXT_PLAIN)
            .body("加密传输的邮件".to_owned())
            .unwrap()
    };
    let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .build();
    let err = plain.send(message()).await.unwrap_err();
    assert!(err.to_string().contains("530"), "{err}");

    // Verification stays on: without the test certificate as a root the handshake fails.
    let untrusted = TlsParameters::new("127.0.0.1".into()).unwrap();
    let err = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .tls(Tls::Required(untrusted))
        .build()
        .send(message())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
    assert!(tickets(&app, &org.agent).await.is_empty());

    // With it, lettre upgrades with STARTTLS and the mail is taken.
    let trusted = TlsParameters::builder("127.0.0.1".into())
        .add_root_certificate(Certificate::from_pem(cert.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .tls(Tls::Required(trusted))
        .build()
        .send(message())
        .await
        .unwrap();
    let list = tickets(&app, &org.agent).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["subject"], "Sent over TLS");
    assert_eq!(list[0]["description"], "加密传输的邮件");
}

#[tokio::test]
async fn a_mail_copied_to_others_keeps_them_copied_on_the_threaded_reply() {
    let relay_port = free_port();
    let sink = Sink::start(relay_port).await;
    let app = spawn_app_with(config(Some(relay_port))).await;
    let org = app.org("acme").await;
    mailbox(&app, &org.admin, "support@acme.example").await;
    send(
        app.smtp.unwrap(),
        "张三 <zhang@example.com>",
        "support@acme.example",
        "发票抬头错误",
        "抬头应为上海某某公司",
        &[("Message-ID", "<cc1@example.com>"), ("Cc", "a@x.test")],
    )
    .await;
    let ticket = tickets(&app, &org.agent).await[0].clone();
    let ticket_id = ticket["id"].as_str().unwrap();
    let (_, cc) = app
        .get(&format!("/api/v1/tickets/{ticket_id}/cc"), &org.agent)
        .await;
    assert_eq!(
        cc["emails"],
        json!(["a@x.test"]),
        "taken from the Cc header"
    );

    let (status, _) = app
        .post(
            &format!("/api/v1/tickets/{ticket_id}/comments"),
            &org.agent,
            json!({"body": "已为您重开发票", "public": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let sent = sink.wait_for(1).await;
    let out = kefu_mail::parse(&sent[0], 1 << 20).unwrap();
    assert_eq!(out.to[0].address, "zhang@example.com");
    let copied: Vec<&str> = out.cc.iter().map(|m| m.address.as_str()).collect();
    assert_eq!(copied, ["a@x.test"]);
    assert!(
        String::from_utf8_lossy(&sent[0])
            .lines()
            .any(|line| line.trim_end() == "Cc: a@x.test"),
        "{}",
        String::from_utf8_lossy(&sent[0])
    );
    assert_eq!(out.in_reply_to, vec!["cc1@example.com"]);
    assert_eq!(out.references, vec!["cc1@example.com"]);
    assert_eq!(out.subject, "[#1001] 发票抬头错误");

    // A reply-all that copies kefu's own address and someone new adds only the new one.
    send(
        app.smtp.unwrap(),
        "张三 <zhang@example.com>",
        "support@acme.example",
        "Re: [#1001] 发票抬头错误",
        "谢谢",
        &[
            ("Message-ID", "<cc2@example.com>"),
            ("In-Reply-To", "<cc1@example.com>"),
            ("Cc", "support@acme.example"),
            ("Cc", "b@x.test"),
        ],
    )
    .await;
    let (_, cc) = app
        .get(&format!("/api/v1/tickets/{ticket_id}/cc"), &org.agent)
        .await;
    assert_eq!(cc["emails"], json!(["a@x.test", "b@x.test"]));
    assert_eq!(tickets(&app, &org.agent).await.len(), 1, "it threaded");
}
