//! Real SMTP conversations: lettre (and swaks, when installed) deliver to the listener on
//! 127.0.0.1:0; a reply built by kefu-mail goes out through `Relay` to the same listener.

use std::net::SocketAddr;
use std::process::Command;

use kefu_mail::{
    Mailbox, OutboundReply, ReceivedMail, Relay, RelayConfig, RelayTls, SmtpConfig, SmtpServer,
    build_reply, parse, reply_address, thread_hints,
};
use lettre::address::Envelope;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::fixtures;

const MAX_SIZE: usize = 64 * 1024;
const SECRET: &[u8] = b"acme-tenant-secret-for-tests";

struct Listener {
    addr: SocketAddr,
    inbox: mpsc::Receiver<ReceivedMail>,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<Result<(), kefu_mail::MailError>>,
}

impl Listener {
    async fn start() -> Self {
        Self::start_with(None).await
    }

    async fn start_with(tls: Option<kefu_mail::ServerTls>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, inbox) = mpsc::channel(16);
        // The tenant's support address (plus-addressed variants too) and, so the same
        // listener can act as the outbound sink, the customer domain.
        let policy = |rcpt: &str| {
            let rcpt = rcpt.to_ascii_lowercase();
            let (local, domain) = rcpt.rsplit_once('@').unwrap_or(("", ""));
            let base = local.split('+').next().unwrap_or("");
            (domain == "acme.example" && base == "support") || domain == "customer.example"
        };
        let config = SmtpConfig {
            hostname: "mx.acme.example".into(),
            max_message_size: MAX_SIZE,
            tls,
            ..SmtpConfig::default()
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(SmtpServer::new(config, policy, tx).run(listener, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            inbox,
            stop,
            done,
        }
    }

    fn client(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.addr.port())
            .tls(Tls::None)
            .build()
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.done.await.unwrap().unwrap();
    }
}

fn envelope(from: &str, to: &[&str]) -> Envelope {
    Envelope::new(
        Some(from.parse().unwrap()),
        to.iter().map(|t| t.parse().unwrap()).collect(),
    )
    .unwrap()
}

/// What a client transmits for a stored message: lettre and swaks always end DATA with
/// CRLF "." CRLF, whose first CRLF (RFC 5321 4.1.1.4) terminates the message's last line.
/// Sending the fixture without its final CRLF therefore puts exactly the fixture on the wire.
fn as_transmitted(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r\n").unwrap_or(raw)
}

fn smtp_code(err: &lettre::transport::smtp::Error) -> String {
    err.status().map(|c| c.to_string()).unwrap_or_default()
}

#[tokio::test]
async fn lettre_delivers_gbk_mail_and_gets_550_and_552() {
    let mut listener = Listener::start().await;
    let client = listener.client();
    let raw = fixtures::gbk_with_attachment();

    let response = client
        .send_raw(
            &envelope("zhang.san@customer.example", &["support@acme.example"]),
            as_transmitted(&raw),
        )
        .await
        .unwrap();
    assert_eq!(response.code().to_string(), "250");
    let received = listener.inbox.recv().await.unwrap();
    assert_eq!(received.data, raw, "the sink gets the exact bytes");
    assert_eq!(received.envelope_from, "zhang.san@customer.example");
    assert_eq!(received.recipients, vec!["support@acme.example"]);
    let mail = parse(&received.data, MAX_SIZE).unwrap();
    assert_eq!(mail.subject, "退货申请：订单 1001");
    assert_eq!(mail.attachments[0].name, "发票.pdf");
    assert_eq!(mail.attachments[0].data, fixtures::PDF);

    let err = client
        .send_raw(
            &envelope("zhang.san@customer.example", &["sales@acme.example"]),
            &raw,
        )
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(smtp_code(&err), "550");

    let mut big = b"Subject: big\r\n\r\n".to_vec();
    for _ in 0..(MAX_SIZE / 64 + 10) {
        big.extend_from_slice(&[b'x'; 62]);
        big.extend_from_slice(b"\r\n");
    }
    let err = client
        .send_raw(
            &envelope("zhang.san@customer.example", &["support@acme.example"]),
            &big,
        )
        .await
        .unwrap_err();
    assert_eq!(smtp_code(&err), "552");
    assert!(
        listener.inbox.try_recv().is_err(),
        "nothing else was delivered"
    );
    listener.stop().await;
}

/// Runs swaks off the runtime (it blocks on its own socket) and returns its output.
async fn swaks(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || Command::new("swaks").args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn swaks_delivers_when_installed() {
    if Command::new("sh")
        .args(["-c", "command -v swaks"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        println!("note: swaks is not installed (apt-get install swaks); skipping the swaks part");
        return;
    }
    let mut listener = Listener::start().await;
    let dir = std::env::temp_dir().join(format!("kefu-mail-swaks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gbk.eml");
    let raw = fixtures::gbk_with_attachment();
    std::fs::write(&file, as_transmitted(&raw)).unwrap();
    let server = listener.addr.to_string();
    let out = swaks(vec![
        "--server".into(),
        server.clone(),
        "--from".into(),
        "zhang.san@customer.example".into(),
        "--to".into(),
        "support@acme.example".into(),
        "--helo".into(),
        "client.customer.example".into(),
        "--data".into(),
        file.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let received = listener.inbox.recv().await.unwrap();
    assert_eq!(received.helo, "client.customer.example");
    assert_eq!(received.data, raw, "the sink gets the exact bytes");
    let mail = parse(&received.data, MAX_SIZE).unwrap();
    assert_eq!(mail.subject, "退货申请：订单 1001");
    assert_eq!(mail.attachments[0].data, fixtures::PDF);

    let refused = swaks(vec![
        "--server".into(),
        server,
        "--from".into(),
        "a@customer.example".into(),
        "--to".into(),
        "nobody@acme.example".into(),
    ])
    .await;
    // swaks exits 24 when the server refuses every recipient; its transcript shows 550.
    assert_eq!(refused.status.code(), Some(24));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("<** 550"));
    std::fs::remove_dir_all(&dir).ok();
    listener.stop().await;
}

#[tokio::test]
async fn reply_through_relay_arrives_threaded() {
    let mut listener = Listener::start().await;
    // The customer's mail arrives first.
    listener
        .client()
        .send_raw(
            &envelope("zhang.san@customer.example", &["support@acme.example"]),
            &fixtures::gbk_with_attachment(),
        )
        .await
        .unwrap();
    let inbound = parse(&listener.inbox.recv().await.unwrap().data, MAX_SIZE).unwrap();

    // The agent answers on ticket 1001.
    let mut references = inbound.references.clone();
    references.extend(inbound.message_id.clone());
    let reply = OutboundReply {
        from: Mailbox {
            address: "support@acme.example".into(),
            name: Some("Acme 客服".into()),
        },
        reply_to: Some(reply_address("support@acme.example", SECRET, 1001).unwrap()),
        to: vec![inbound.reply_address().unwrap().clone()],
        cc: vec![],
        subject: inbound.subject.clone(),
        ticket: 1001,
        text: "您好，请把耳机寄回。".into(),
        html: Some("<p>您好，请把耳机寄回。</p>".into()),
        attachments: vec![],
        in_reply_to: inbound.message_id.clone(),
        references,
        automatic: false,
    };
    let built = build_reply(&reply).unwrap();
    let relay = Relay::new(&RelayConfig {
        host: "127.0.0.1".into(),
        port: listener.addr.port(),
        tls: RelayTls::None,
        username: None,
        password: None,
        timeout_secs: 10,
        extra_roots: Default::default(),
    })
    .unwrap();
    relay.send(&built.message).await.unwrap();

    let delivered = listener.inbox.recv().await.unwrap();
    assert_eq!(delivered.envelope_from, "support@acme.example");
    assert_eq!(delivered.recipients, vec!["zhang.san@customer.example"]);
    let out = parse(&delivered.data, MAX_SIZE).unwrap();
    assert_eq!(out.message_id.as_deref(), Some(built.message_id.as_str()));
    assert_eq!(out.in_reply_to, vec!["gbk-1@customer.example"]);
    assert_eq!(out.references, vec!["gbk-1@customer.example"]);
    assert_eq!(out.subject, "[#1001] 退货申请：订单 1001");
    assert_eq!(out.text, "您好，请把耳机寄回。");
    assert_eq!(out.loop_headers.auto_submitted, None);

    // And the customer's answer to that reply finds ticket 1001 by its Message-ID.
    let answer = fixtures::outlook_reply_zh(&built.message_id, "support@acme.example");
    let answer = parse(&answer, MAX_SIZE).unwrap();
    let hint =
        thread_hints(&answer, &[], SECRET).resolve(|id| (id == built.message_id).then_some(1001));
    assert_eq!(
        hint,
        kefu_mail::ThreadHint::Existing {
            ticket: 1001,
            by: kefu_mail::ThreadBy::MessageId(built.message_id.clone())
        }
    );
    listener.stop().await;
}

#[tokio::test]
async fn the_relay_verifies_a_private_ca_given_as_extra_roots() {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert, key) = (made.cert.pem(), made.signing_key.serialize_pem());
    let tls = kefu_mail::ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let mut listener = Listener::start_with(Some(tls)).await;
    let reply = OutboundReply {
        from: Mailbox {
            address: "support@acme.example".into(),
            name: None,
        },
        reply_to: None,
        to: vec![Mailbox {
            address: "zhang.san@customer.example".into(),
            name: None,
        }],
        cc: vec![],
        subject: "退货".into(),
        ticket: 1001,
        text: "已收到。".into(),
        html: None,
        attachments: vec![],
        in_reply_to: None,
        references: vec![],
        automatic: false,
    };
    let built = build_reply(&reply).unwrap();
    let relay = |extra_roots| {
        Relay::new(&RelayConfig {
            host: "127.0.0.1".into(),
            port: listener.addr.port(),
            tls: RelayTls::Starttls,
            username: None,
            password: None,
            timeout_secs: 10,
            extra_roots,
        })
        .unwrap()
    };
    let err = relay(Default::default())
        .send(&built.message)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "relay_failed");
    assert!(err.to_string().contains("certificate"), "{err}");
    relay(kefu_mail::ExtraRoots::from_pem(cert.as_bytes()).unwrap())
        .send(&built.message)
        .await
        .unwrap();
    let delivered = listener.inbox.recv().await.unwrap();
    assert_eq!(delivered.recipients, vec!["zhang.san@customer.example"]);
    assert!(listener.inbox.try_recv().is_err(), "one delivery only");
    listener.stop().await;
}
