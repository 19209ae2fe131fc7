//! IMAP polling end to end: a real Dovecot (Debian's dovecot-imapd) on a free port with its own
//! Maildir in a temp dir; messages appended over IMAP become tickets and comments, once each,
//! also across a restart, and a server that cannot be reached is reported on its mailbox.
use super::email::{TestCert, config, free_port, hex_bytes};
use super::{TestApp, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use uuid::Uuid;

const USER: &str = "kefu";
const PASSWORD: &str = "imap-pass-123";
/// Generous: the machine may be busy with other builds.
const DEADLINE: Duration = Duration::from_secs(90);

/// A Dovecot of the test's own, stopped and removed on drop.
struct Dovecot {
    child: Child,
    dir: PathBuf,
    /// Plain IMAP, where the harness appends and inspects messages.
    port: u16,
    /// IMAPS (TLS from the first byte), when started with a certificate.
    tls_port: Option<u16>,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn dovecot_binary() -> PathBuf {
    for candidate in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "the IMAP tests need a real IMAP server: install Debian's dovecot-imapd (apt-get install -y dovecot-imapd)"
    );
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Dovecot {
    async fn start() -> Dovecot {
        Dovecot::start_with(None).await
    }

    /// With a certificate: `ssl = required` and an IMAPS listener using it. The plain port
    /// stays for the harness, which Dovecot lets log in because it is a loopback connection
    /// from a trusted network.
    async fn start_with(cert: Option<&TestCert>) -> Dovecot {
        let binary = dovecot_binary();
        let port = free_port();
        let tls_port = cert.map(|_| free_port());
        let dir = std::env::temp_dir().join(format!("kefu-dovecot-{}", Uuid::new_v4().simple()));
        for sub in ["mail", "run", "state"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // Dovecot refuses to run its login processes as root: as root (CI) it uses the users
        // the package made and stores mail as nobody; otherwise everything runs as us.
        let (internal, login, uid, gid) = if id("-u") == "0" {
            (
                "dovecot".to_owned(),
                "dovenull".to_owned(),
                "65534".to_owned(),
                "65534".to_owned(),
            )
        } else {
            let me = id("-un");
            (me.clone(), me, id("-u"), id("-g"))
        };
        if uid == "65534" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            let chown = Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(dir.join("mail"))
                .status()
                .unwrap();
            assert!(chown.success());
        }
        std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let d = dir.display();
        let (ssl, imaps) = match (cert, tls_port) {
            (Some(cert), Some(tls_port)) => (
                format!(
                    "ssl = required\nssl_cert = <{}\nssl_key = <{}\nlogin_trusted_networks = 127.0.0.0/8\n",
                    cert.cert_path.display(),
                    cert.key_path.display()
                ),
                format!("address = 127.0.0.1\n    port = {tls_port}\n    ssl = yes"),
            ),
            _ => ("ssl = no\n".to_owned(), "port = 0".to_owned()),
        };
        let conf = format!(
            "protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = kefu-test-{port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let child = Command::new(binary)
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .arg("-F")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
            .spawn()
            .expect("starting dovecot");
        let dovecot = Dovecot {
            child,
            dir,
            port,
            tls_port,
        };
        let started = std::time::Instant::now();
        while started.elapsed() < DEADLINE {
            let imaps_up = match tls_port {
                Some(tls_port) => TcpStream::connect(("127.0.0.1", tls_port)).await.is_ok(),
                None => true,
            };
            if let Ok(mut session) = ImapClient::connect(port).await
                && session.command("LOGIN kefu imap-pass-123").await.is_ok()
                && imaps_up
            {
                return dovecot;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let log = std::fs::read_to_string(dovecot.dir.join("dovecot.log")).unwrap_or_default();
        let stderr = std::fs::read_to_string(dovecot.dir.join("stderr.log")).unwrap_or_default();
        panic!("dovecot did not start on port {port}: {log}{stderr}");
    }

    /// Puts a message in INBOX the way another mail server would deliver it (unseen).
    async fn append(&self, raw: &[u8]) {
        let mut session = ImapClient::connect(self.port).await.unwrap();
        session
            .command(&format!("LOGIN {USER} {PASSWORD}"))
            .await
            .unwrap();
        session.append("INBOX", raw).await;
        let _ = session.command("LOGOUT").await;
    }

    /// Clears \Seen on every message, as a user marking them unread would.
    async fn unsee_all(&self) {
        let mut session = ImapClient::connect(self.port).await.unwrap();
        session
            .command(&format!("LOGIN {USER} {PASSWORD}"))
            .await
            .unwrap();
        session.command("SELECT INBOX").await.unwrap();
        session
            .command("STORE 1:* -FLAGS.SILENT (\\Seen)")
            .await
            .unwrap();
        let _ = session.command("LOGOUT").await;
    }

    /// How many messages of INBOX carry \Seen, and how many there are.
    async fn seen(&self) -> (usize, usize) {
        let mut session = ImapClient::connect(self.port).await.unwrap();
        session
            .command(&format!("LOGIN {USER} {PASSWORD}"))
            .await
            .unwrap();
        session.command("SELECT INBOX").await.unwrap();
        let lines = session.command("FETCH 1:* (FLAGS)").await.unwrap();
        let fetched: Vec<&String> = lines.iter().filter(|l| l.contains("FETCH")).collect();
        let seen = fetched.iter().filter(|l| l.contains("\\Seen")).count();
        let _ = session.command("LOGOUT").await;
        (seen, fetched.len())
    }
}

/// Just enough IMAP to set a test up: tagged commands and one APPEND.
struct ImapClient {
    read: BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: tokio::net::tcp::OwnedWriteHalf,
    tag: u32,
}

impl ImapClient {
    async fn connect(port: u16) -> std::io::Result<ImapClient> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let (read, write) = stream.into_split();
        let mut client = ImapClient {
            read: BufReader::new(read),
            write,
            tag: 0,
        };
        let greeting = client.line().await?;
        if !greeting.starts_with("* OK") {
            return Err(std::io::Error::other(greeting));
        }
        Ok(client)
    }

    async fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        if self.read.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        Ok(line)
    }

    /// Runs a command; the untagged lines when it answers OK.
    async fn command(&mut self, command: &str) -> Result<Vec<String>, String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.write
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        self.until_tagged(&tag).await
    }

    async fn until_tagged(&mut self, tag: &str) -> Result<Vec<String>, String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await.map_err(|e| e.to_string())?;
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                return if rest.starts_with("OK") {
                    Ok(lines)
                } else {
                    Err(line)
                };
            }
            lines.push(line);
        }
    }

    async fn append(&mut self, folder: &str, raw: &[u8]) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.write
            .write_all(format!("{tag} APPEND {folder} {{{}}}\r\n", raw.len()).as_bytes())
            .await
            .unwrap();
        let go = self.line().await.unwrap();
        assert!(go.starts_with('+'), "APPEND refused: {go}");
        self.write.write_all(raw).await.unwrap();
        self.write.write_all(b"\r\n").await.unwrap();
        self.until_tagged(&tag).await.unwrap();
    }
}

/// The GBK mail of the SMTP test (subject 退货申请, a PDF attached), with its own Message-ID.
fn gbk_mail() -> Vec<u8> {
    let body_gbk =
        hex_bytes("c4fabac3a3acced2c2f2b5c4d0acd7d3b3dfc2ebb2bbb6d4a3accfebcdcbbbf5a1a3");
    let mut mail = b"From: =?GBK?B?1cXI/Q==?= <zhang@example.com>\r\nTo: help@acme.example\r\nSubject: =?GBK?B?zcu79cnqx+s=?=\r\nMessage-ID: <imap-gbk1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"gbk\"\r\n\r\n--gbk\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    mail.extend_from_slice(&body_gbk);
    mail.extend_from_slice(b"\r\n--gbk\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--gbk--\r\n");
    mail
}

async fn tickets(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/tickets", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

async fn comments(app: &TestApp, token: &str, ticket: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/api/v1/tickets/{ticket}/comments"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn mailbox_of(app: &TestApp, admin: &str, id: &str) -> Value {
    let (status, page) = app.get("/api/v1/mailboxes", admin).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .unwrap()
}

/// Polls `check` until it holds, or fails with `what`.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while started.elapsed() < DEADLINE {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn mail_polled_over_imap_becomes_tickets_and_comments_once() {
    let dovecot = Dovecot::start().await;
    let mut app = spawn_app_with(config(None)).await;
    let org = app.org("acme").await;
    dovecot.append(&gbk_mail()).await;
    dovecot
        .append(b"From: Li Si <lisi@example.com>\r\nTo: help@acme.example\r\nSubject: Where is my parcel?\r\nMessage-ID: <imap-plain1@example.com>\r\n\r\nOrder SO-9 has not arrived.\r\n")
        .await;

    // Bad settings are refused with the field named; the password is required at first.
    let (status, body) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "help@acme.example", "display_name": "Acme",
                   "imap": {"host": "127.0.0.1", "security": "ssl", "username": USER}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains("imap.security") && body.to_string().contains("imap.password"),
        "{body}"
    );
    let (status, created) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "help@acme.example", "display_name": "Acme 客服",
                   "imap": {"host": "127.0.0.1", "port": dovecot.port, "security": "none",
                            "username": USER, "password": PASSWORD, "poll_seconds": 1}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains(PASSWORD), "password shown");
    assert_eq!(created["imap"]["password_set"], true);
    assert_eq!(created["imap"]["folder"], "INBOX");
    let mailbox_id = created["id"].as_str().unwrap().to_owned();

    // A second mailbox whose server is down: its errors are recorded, the first one works.
    let (status, broken) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "down@acme.example", "display_name": "Down",
                   "imap": {"host": "127.0.0.1", "port": free_port(), "security": "none",
                            "username": USER, "password": "x", "poll_seconds": 1}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{broken}");
    let broken_id = broken["id"].as_str().unwrap().to_owned();

    eventually("both polled mails are tickets", || async {
        tickets(&app, &org.agent).await.len() == 2
    })
    .await;
    let list = tickets(&app, &org.agent).await;
    assert_eq!(list[0]["subject"], "退货申请");
    assert_eq!(list[0]["channel"], "email");
    assert_eq!(list[0]["description"], "您好，我买的鞋子尺码不对，想退货。");
    assert_eq!(list[1]["subject"], "Where is my parcel?");
    let first = list[0]["id"].as_str().unwrap().to_owned();
    let (status, mails) = app
        .get(&format!("/api/v1/tickets/{first}/mails"), &org.agent)
        .await;
    assert_eq!(status, StatusCode::OK, "{mails}");
    assert_eq!(mails["mails"][0]["message_id"], "imap-gbk1@example.com");
    assert_eq!(mails["mails"][0]["mailbox_id"], mailbox_id.as_str());
    assert_eq!(mails["files"][0]["name"], "invoice.pdf");
    let download = app
        .http
        .get(format!(
            "{}/api/v1/tickets/{first}/files/{}",
            app.url,
            mails["files"][0]["id"].as_str().unwrap()
        ))
        .bearer_auth(&org.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.4\n");

    // The customer answers the first ticket: it lands as a comment on it.
    dovecot
        .append(b"From: zhang@example.com\r\nTo: help@acme.example\r\nSubject: Re: [#1001] \xe9\x80\x80\xe8\xb4\xa7\r\nMessage-ID: <imap-reply1@example.com>\r\nIn-Reply-To: <imap-gbk1@example.com>\r\nReferences: <imap-gbk1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe5\xb7\xb2\xe5\xaf\x84\xe5\x9b\x9e\r\n")
        .await;
    eventually("the reply is a comment", || async {
        comments(&app, &org.agent, &first)
            .await
            .iter()
            .any(|c| c["body"] == "已寄回" && c["author_kind"] == "customer")
    })
    .await;
    assert_eq!(tickets(&app, &org.agent).await.len(), 2);
    eventually("all three are flagged \\Seen", || async {
        dovecot.seen().await == (3, 3)
    })
    .await;

    let status = mailbox_of(&app, &org.admin, &mailbox_id).await;
    assert!(status["imap"]["polled_at"].is_string(), "{status}");
    assert!(status["imap"]["last_error"].is_null(), "{status}");
    eventually(
        "the unreachable server's error is on its mailbox",
        || async {
            let broken = mailbox_of(&app, &org.admin, &broken_id).await;
            broken["imap"]["last_error"].is_string() && broken["imap"]["last_error_at"].is_string()
        },
    )
    .await;

    // Restarted on the same database, kefu polls again and takes nothing twice.
    let before = mailbox_of(&app, &org.admin, &mailbox_id).await["imap"]["polled_at"].clone();
    app.restart().await;
    eventually("a poll after the restart", || async {
        let now = mailbox_of(&app, &org.admin, &mailbox_id).await["imap"]["polled_at"].clone();
        now.is_string() && now != before
    })
    .await;
    // And even with the position lost and the messages unread again, the Message-IDs keep
    // the mails single.
    dovecot.unsee_all().await;
    app.store
        .imap_restart(org.tenant.id, mailbox_id.parse().unwrap(), 1)
        .await
        .unwrap();
    eventually("all three are read and flagged again", || async {
        dovecot.seen().await == (3, 3)
    })
    .await;
    assert_eq!(tickets(&app, &org.agent).await.len(), 2);
    assert_eq!(
        comments(&app, &org.agent, &first)
            .await
            .iter()
            .filter(|c| c["body"] == "已寄回")
            .count(),
        1
    );

    // Taking IMAP off stops the poller; the password never comes back in any answer.
    let (status, updated) = app
        .patch(
            &format!("/api/v1/mailboxes/{mailbox_id}"),
            &org.admin,
            json!({"imap": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert!(updated["imap"].is_null(), "{updated}");
    let (_, all) = app.get("/api/v1/mailboxes", &org.admin).await;
    assert!(!all.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn mail_is_polled_over_imaps_from_a_server_with_a_private_ca() {
    let cert = TestCert::new();
    let dovecot = Dovecot::start_with(Some(&cert)).await;
    let tls_port = dovecot.tls_port.unwrap();
    dovecot
        .append(b"From: Wang Wu <wangwu@example.com>\r\nTo: help@acme.example\r\nSubject: Invoice over TLS\r\nMessage-ID: <imaps-1@example.com>\r\n\r\nPlease send the invoice again.\r\n")
        .await;

    // The same server without the private CA: verification fails, nothing is read.
    let imap = |extra_roots| kefu_mail::ImapConfig {
        host: "127.0.0.1".into(),
        port: tls_port,
        security: kefu_mail::ImapSecurity::Tls,
        username: USER.into(),
        password: PASSWORD.into(),
        folder: "INBOX".into(),
        timeout: DEADLINE,
        extra_roots,
    };
    let Err(err) = kefu_mail::ImapSession::connect(&imap(Default::default())).await else {
        panic!("a certificate of an unknown CA was accepted");
    };
    assert!(err.to_string().contains("certificate"), "{err}");
    kefu_mail::ImapSession::connect(&imap(cert.as_extra_ca()))
        .await
        .unwrap()
        .logout()
        .await;

    let mut settings = config(None);
    settings.mail.extra_roots = cert.as_extra_ca();
    let app = spawn_app_with(settings).await;
    let org = app.org("acme").await;
    let (status, created) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "help@acme.example", "display_name": "Acme",
                   "imap": {"host": "127.0.0.1", "port": tls_port, "security": "tls",
                            "username": USER, "password": PASSWORD, "poll_seconds": 1}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mailbox_id = created["id"].as_str().unwrap().to_owned();
    eventually("the mail polled over IMAPS is a ticket", || async {
        tickets(&app, &org.agent).await.len() == 1
    })
    .await;
    assert_eq!(
        tickets(&app, &org.agent).await[0]["subject"],
        "Invoice over TLS"
    );
    eventually("it is flagged \\Seen", || async {
        dovecot.seen().await == (1, 1)
    })
    .await;
    let status = mailbox_of(&app, &org.admin, &mailbox_id).await;
    assert!(status["imap"]["last_error"].is_null(), "{status}");
}
