//! The inbound SMTP listener: mailin's protocol state machine driven over tokio sockets, with
//! the mini-redis lifecycle (connection-limit semaphore, shutdown broadcast, drain on exit),
//! and STARTTLS (RFC 3207) when a certificate is configured.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio::time::timeout;

use crate::error::MailError;
use crate::tls::ServerTls;

/// Longest command line accepted (RFC 5321 allows 512; extensions add a little).
const MAX_COMMAND_LINE: usize = 4096;

/// Decides, per `RCPT TO`, whether kefu takes mail for an address (a tenant's support
/// address, with or without a `+t-token`). Called on the I/O task: keep it an in-memory
/// lookup, not a database query.
pub trait RecipientPolicy: Send + Sync + 'static {
    fn accepts(&self, address: &str) -> bool;
}

impl<F> RecipientPolicy for F
where
    F: Fn(&str) -> bool + Send + Sync + 'static,
{
    fn accepts(&self, address: &str) -> bool {
        self(address)
    }
}

/// One accepted message with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub peer: SocketAddr,
    /// The name the client gave in HELO/EHLO.
    pub helo: String,
    /// `MAIL FROM` path without brackets; empty for the null sender `<>` (bounces).
    pub envelope_from: String,
    /// The accepted `RCPT TO` addresses only.
    pub recipients: Vec<String>,
    /// The message exactly as transmitted, after SMTP dot-unstuffing.
    pub data: Vec<u8>,
}

/// Why a sink did not take a message; the client sees 451 or 554.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkRefusal {
    /// Try again later (queue full, database down): 451.
    Temporary(String),
    /// Never (e.g. a tenant disabled): 554.
    Permanent(String),
}

/// Where accepted mail goes. The listener answers 250 only after `deliver` returns `Ok`,
/// so a sink that persists before returning never loses acknowledged mail.
pub trait MailSink: Send + Sync + 'static {
    fn deliver(&self, mail: ReceivedMail) -> impl Future<Output = Result<(), SinkRefusal>> + Send;
}

/// A channel as a sink: "taken" means queued for the consumer.
impl MailSink for mpsc::Sender<ReceivedMail> {
    async fn deliver(&self, mail: ReceivedMail) -> Result<(), SinkRefusal> {
        self.send(mail)
            .await
            .map_err(|_| SinkRefusal::Temporary("mail queue is closed".into()))
    }
}

/// Listener settings.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Name in the greeting and EHLO answer, e.g. `mx.kefu.example`.
    pub hostname: String,
    /// Largest message in bytes (after dot-unstuffing); bigger ones get 552.
    pub max_message_size: usize,
    /// Concurrent connections; further clients wait in the accept backlog.
    pub max_connections: usize,
    /// Accepted recipients per message (RFC 5321 requires at least 100).
    pub max_recipients: usize,
    /// How long to wait for the next line before closing (RFC 5321 suggests 5 minutes).
    pub idle_timeout: Duration,
    /// Certificate and key for STARTTLS; without them STARTTLS is neither offered nor taken.
    pub tls: Option<ServerTls>,
    /// Refuse `MAIL FROM` (530) until the client has switched to TLS.
    pub require_tls: bool,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            max_message_size: 25 * 1024 * 1024,
            max_connections: 256,
            max_recipients: 100,
            idle_timeout: Duration::from_secs(300),
            tls: None,
            require_tls: false,
        }
    }
}

/// The SMTP server: configuration, recipient policy and sink.
///
/// No AUTH: it is meant to be an MX (or to receive from the site's MX). With a certificate in
/// [`SmtpConfig::tls`] it offers STARTTLS, and with [`SmtpConfig::require_tls`] it takes mail
/// over TLS only. Recipients are checked at `RCPT TO` (550 when the policy refuses), size at
/// `MAIL FROM SIZE=` and at end of data (552); accepted mail goes to the [`MailSink`] byte
/// for byte, and 250 is only answered once the sink has taken it.
pub struct SmtpServer<S> {
    config: SmtpConfig,
    policy: Arc<dyn RecipientPolicy>,
    sink: Arc<S>,
}

impl<S: MailSink> SmtpServer<S> {
    pub fn new(config: SmtpConfig, policy: impl RecipientPolicy, sink: S) -> Self {
        Self {
            config,
            policy: Arc::new(policy),
            sink: Arc::new(sink),
        }
    }

    /// Serves `listener` until `shutdown` completes, then tells every connection to finish
    /// (a session waiting for a command gets 421; a message being received is completed)
    /// and waits for them all. Returns an error only if accepting connections keeps failing.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), MailError> {
        let (notify_shutdown, _) = broadcast::channel(1);
        let (shutdown_complete_tx, mut shutdown_complete_rx) = mpsc::channel::<()>(1);
        let mut server = Listener {
            listener,
            limit_connections: Arc::new(Semaphore::new(self.config.max_connections.max(1))),
            notify_shutdown,
            shutdown_complete_tx,
            shared: Arc::new(Shared {
                config: self.config,
                policy: self.policy,
                sink: self.sink,
            }),
        };
        let result = tokio::select! {
            res = server.accept_loop() => res,
            _ = shutdown => Ok(()),
        };
        let Listener {
            notify_shutdown,
            shutdown_complete_tx,
            ..
        } = server;
        // Dropping the sender closes every connection's receiver: that is the signal. Each
        // connection holds a clone of `shutdown_complete_tx`; `recv` returns `None` once the
        // last one is dropped, i.e. all connections are done.
        drop(notify_shutdown);
        drop(shutdown_complete_tx);
        let _ = shutdown_complete_rx.recv().await;
        result
    }
}

struct Shared<S> {
    config: SmtpConfig,
    policy: Arc<dyn RecipientPolicy>,
    sink: Arc<S>,
}

struct Listener<S> {
    listener: TcpListener,
    limit_connections: Arc<Semaphore>,
    notify_shutdown: broadcast::Sender<()>,
    shutdown_complete_tx: mpsc::Sender<()>,
    shared: Arc<Shared<S>>,
}

impl<S: MailSink> Listener<S> {
    async fn accept_loop(&mut self) -> Result<(), MailError> {
        loop {
            let permit = Arc::clone(&self.limit_connections)
                .acquire_owned()
                .await
                .map_err(|_| MailError::Io(std::io::Error::other("connection limit closed")))?;
            let (socket, peer) = self.accept().await?;
            let connection = Connection {
                shared: Arc::clone(&self.shared),
                peer,
                shutdown: self.notify_shutdown.subscribe(),
                _shutdown_complete: self.shutdown_complete_tx.clone(),
            };
            tokio::spawn(async move {
                if let Err(e) = connection.run(socket).await {
                    tracing::debug!(%peer, error = %e, "smtp connection ended with an error");
                }
                drop(permit);
            });
        }
    }

    /// Accepts with exponential backoff on errors (e.g. out of file descriptors), giving up
    /// after the 64 s wait fails too, as mini-redis does.
    async fn accept(&mut self) -> Result<(TcpStream, SocketAddr), MailError> {
        let mut backoff = 1;
        loop {
            match self.listener.accept().await {
                Ok(accepted) => return Ok(accepted),
                Err(e) => {
                    if backoff > 64 {
                        return Err(e.into());
                    }
                    tracing::warn!(error = %e, backoff, "smtp accept failed; retrying");
                }
            }
            tokio::time::sleep(Duration::from_secs(backoff)).await;
            backoff *= 2;
        }
    }
}

/// The envelope of the transaction in progress, shared between mailin's callbacks and the
/// connection task (mailin owns its handler and offers no way to reach it again).
#[derive(Default)]
struct Envelope {
    helo: String,
    from: String,
    recipients: Vec<String>,
}

struct SessionHandler {
    policy: Arc<dyn RecipientPolicy>,
    max_recipients: usize,
    envelope: Arc<Mutex<Envelope>>,
}

impl SessionHandler {
    fn envelope(&self) -> std::sync::MutexGuard<'_, Envelope> {
        // Never held across an await or a panic point, so poisoning cannot leave it torn.
        self.envelope.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Handler for SessionHandler {
    fn helo(&mut self, _ip: std::net::IpAddr, domain: &str) -> Response {
        self.envelope().helo = domain.to_string();
        mailin::response::OK
    }

    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        // Every transaction starts with MAIL, so this also forgets an RSET transaction.
        let mut envelope = self.envelope();
        envelope.from = from.to_string();
        envelope.recipients.clear();
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let mut envelope = self.envelope();
        if envelope.recipients.len() >= self.max_recipients {
            return Response::custom(452, "4.5.3 Too many recipients".into());
        }
        if self.policy.accepts(to) {
            envelope.recipients.push(to.to_string());
            mailin::response::OK
        } else {
            Response::custom(550, "5.1.1 No such recipient here".into())
        }
    }
}

struct Connection<S> {
    shared: Arc<Shared<S>>,
    peer: SocketAddr,
    shutdown: broadcast::Receiver<()>,
    /// Dropped when the connection ends; the listener's drain waits for all of these.
    _shutdown_complete: mpsc::Sender<()>,
}

/// What reading one line produced.
enum Line {
    Complete,
    TooLong,
    Eof,
}

/// How a DATA transfer ended.
enum Data {
    Message(Vec<u8>),
    TooLarge,
}

/// Where a connection stands with TLS; decides what STARTTLS and MAIL FROM get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsState {
    /// No certificate configured: STARTTLS is not offered.
    Unavailable,
    /// Offered in EHLO, not started yet.
    Offered,
    /// The session runs inside TLS.
    Active,
}

/// Answers the listener gives itself, before mailin sees the command: STARTTLS when it cannot
/// be taken (mailin would say 503 to all of them) and MAIL FROM in the clear when TLS is
/// required. `None` hands the command to mailin.
fn tls_gate(line: &[u8], tls: TlsState, require_tls: bool) -> Option<&'static str> {
    if is_starttls(line) {
        return match tls {
            TlsState::Unavailable => Some("454 4.7.0 TLS not available\r\n"),
            TlsState::Active => Some("503 5.5.1 TLS already active\r\n"),
            TlsState::Offered => None,
        };
    }
    if require_tls && tls != TlsState::Active && is_mail_from(line) {
        return Some("530 5.7.0 Must issue a STARTTLS command first\r\n");
    }
    None
}

/// How serving one leg of a connection (before or after STARTTLS) ended.
enum Leg {
    Closed,
    /// 220 was sent for STARTTLS: the TLS handshake comes next.
    StartTls,
}

impl<S: MailSink> Connection<S> {
    async fn run(mut self, socket: TcpStream) -> std::io::Result<()> {
        let config = &self.shared.config;
        let tls = if config.tls.is_some() {
            TlsState::Offered
        } else {
            TlsState::Unavailable
        };
        let mut plain = BufReader::new(socket);
        let greeting = format!("220 {} ESMTP\r\n", config.hostname);
        send(&mut plain, greeting.as_bytes()).await?;
        match self.serve(&mut plain, tls).await? {
            Leg::Closed => return Ok(()),
            Leg::StartTls => {}
        }
        let Some(server_tls) = self.shared.config.tls.clone() else {
            return Ok(());
        };
        // Whatever the client sent after STARTTLS without waiting for the 220 came in the
        // clear: taking the socket out of its buffer drops it, so it can never pass for
        // commands given inside TLS (the STARTTLS injection of CVE-2011-0411).
        let socket = plain.into_inner();
        let handshake = timeout(
            self.shared.config.idle_timeout,
            server_tls.acceptor().accept(socket),
        );
        let secured = tokio::select! {
            secured = handshake => secured,
            _ = self.shutdown.recv() => return Ok(()),
        };
        let stream = match secured {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                tracing::debug!(peer = %self.peer, error = %err, "smtp tls handshake failed");
                return Ok(());
            }
            Err(_) => return Ok(()),
        };
        // No greeting after the handshake: the client starts again with EHLO (RFC 3207 4.2).
        let mut secure = BufReader::new(stream);
        self.serve(&mut secure, TlsState::Active).await?;
        Ok(())
    }

    /// One SMTP session on `stream`, with a fresh mailin session and envelope: after
    /// STARTTLS nothing said before it counts (RFC 3207 4.2).
    async fn serve<T: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut BufReader<T>,
        tls: TlsState,
    ) -> std::io::Result<Leg> {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let envelope = Arc::new(Mutex::new(Envelope::default()));
        let mut builder = SessionBuilder::new(config.hostname.clone());
        if tls == TlsState::Offered {
            builder.enable_start_tls();
        }
        let mut session = builder.build(
            self.peer.ip(),
            SessionHandler {
                policy: Arc::clone(&shared.policy),
                max_recipients: config.max_recipients,
                envelope: Arc::clone(&envelope),
            },
        );
        if tls == TlsState::Active {
            session.tls_active();
        }
        let mut line = Vec::with_capacity(512);
        loop {
            let read = tokio::select! {
                read = timeout(config.idle_timeout, read_line(stream, &mut line, MAX_COMMAND_LINE)) => Some(read),
                _ = self.shutdown.recv() => None,
            };
            let Some(read) = read else {
                send(stream, b"421 4.3.2 Service shutting down\r\n").await?;
                return Ok(Leg::Closed);
            };
            let Ok(read) = read else {
                send(stream, b"421 4.4.2 Idle timeout\r\n").await?;
                return Ok(Leg::Closed);
            };
            match read? {
                Line::Eof => return Ok(Leg::Closed),
                Line::TooLong => {
                    send(stream, b"500 5.5.2 Line too long\r\n").await?;
                    continue;
                }
                Line::Complete => {}
            }
            crlf(&mut line);
            if let Some(reply) = tls_gate(&line, tls, config.require_tls) {
                send(stream, reply.as_bytes()).await?;
                continue;
            }
            let mail_from = parse_mail_from(&line);
            if let Some(from) = &mail_from {
                if from.size.is_some_and(|size| size > config.max_message_size) {
                    send(stream, SIZE_REFUSED.as_bytes()).await?;
                    continue;
                }
                line = from.for_mailin();
            }
            let response = session.process(&line);
            if let Some(from) = mail_from
                && response.code == 250
            {
                envelope.lock().unwrap_or_else(PoisonError::into_inner).from = from.path;
            }
            if response.action != Action::NoReply {
                let mut bytes = response.buffer()?;
                if is_ehlo(&line) && response.code == 250 {
                    bytes = advertise_size(&bytes, config.max_message_size);
                }
                send(stream, &bytes).await?;
            }
            match response.action {
                Action::Close => return Ok(Leg::Closed),
                Action::UpgradeTls => return Ok(Leg::StartTls),
                _ => {}
            }
            if response.code != 354 {
                continue;
            }
            // DATA is read here rather than line by line through mailin: mailin stays in its
            // DATA state when end-of-data is refused, so a 552 from its handler would make it
            // swallow the client's next command as message text.
            let data = read_data(stream, config.max_message_size, config.idle_timeout).await?;
            let _ = session.process(b".\r\n");
            let reply = match data {
                None => return Ok(Leg::Closed),
                Some(Data::TooLarge) => format!(
                    "552 5.3.4 Message exceeds the maximum size of {} bytes\r\n",
                    config.max_message_size
                ),
                Some(Data::Message(data)) => {
                    let mail = {
                        let mut env = envelope.lock().unwrap_or_else(PoisonError::into_inner);
                        ReceivedMail {
                            peer: self.peer,
                            helo: env.helo.clone(),
                            envelope_from: std::mem::take(&mut env.from),
                            recipients: std::mem::take(&mut env.recipients),
                            data,
                        }
                    };
                    match shared.sink.deliver(mail).await {
                        Ok(()) => "250 2.0.0 Message accepted\r\n".to_string(),
                        Err(SinkRefusal::Temporary(reason)) => {
                            tracing::warn!(peer = %self.peer, %reason, "inbound mail deferred");
                            "451 4.3.0 Temporary failure, try again later\r\n".to_string()
                        }
                        Err(SinkRefusal::Permanent(reason)) => {
                            tracing::info!(peer = %self.peer, %reason, "inbound mail refused");
                            "554 5.7.1 Message refused\r\n".to_string()
                        }
                    }
                }
            };
            send(stream, reply.as_bytes()).await?;
        }
    }
}

/// Writes a reply and flushes it: a TLS stream holds written bytes until flushed.
async fn send<W: AsyncWrite + Unpin>(stream: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Reads the message after 354 up to the lone-dot line, undoing dot-stuffing. Past the
/// limit it keeps reading (so it can answer 552 in sync) but stores nothing. `None` when the
/// client went away or stalled mid-message.
async fn read_data<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    idle: Duration,
) -> std::io::Result<Option<Data>> {
    let mut data = Vec::new();
    let mut too_large = false;
    let mut line = Vec::with_capacity(1024);
    loop {
        let Ok(read) = timeout(idle, read_line(reader, &mut line, max.saturating_add(3))).await
        else {
            return Ok(None);
        };
        match read? {
            Line::Eof => return Ok(None),
            Line::TooLong => too_large = true,
            Line::Complete => {
                if line == b".\r\n" || line == b".\n" {
                    return Ok(Some(if too_large {
                        Data::TooLarge
                    } else {
                        Data::Message(data)
                    }));
                }
                if too_large {
                    continue;
                }
                let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
                if data.len() + unstuffed.len() > max {
                    too_large = true;
                    data = Vec::new();
                } else {
                    data.extend_from_slice(unstuffed);
                }
            }
        }
    }
}

/// Reads one `\n`-terminated line into `out` (cleared first), never holding more than
/// `limit` bytes: a longer line is consumed and reported as `TooLong`.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    out: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Line> {
    out.clear();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(Line::Eof);
        }
        let (chunk_len, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !too_long {
            if out.len() + chunk_len > limit {
                too_long = true;
                out.clear();
            } else {
                out.extend_from_slice(&buf[..chunk_len]);
            }
        }
        reader.consume(chunk_len);
        if done {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

const SIZE_REFUSED: &str = "552 5.3.4 Message size exceeds fixed maximum message size\r\n";

/// A `MAIL FROM` command, read here because mailin 0.6 rejects the null path `<>` (which
/// every bounce uses) and any parameter but `BODY=`, such as the `SIZE=` we advertise.
struct MailFrom {
    /// Reverse path without brackets; empty for `<>`.
    path: String,
    size: Option<usize>,
    eight_bit: bool,
}

impl MailFrom {
    /// The same command in the subset mailin parses; the real path is restored after.
    fn for_mailin(&self) -> Vec<u8> {
        let path = if self.path.is_empty() {
            "null-sender@invalid"
        } else {
            &self.path
        };
        let body = if self.eight_bit { " BODY=8BITMIME" } else { "" };
        format!("MAIL FROM:<{path}>{body}\r\n").into_bytes()
    }
}

fn parse_mail_from(line: &[u8]) -> Option<MailFrom> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let head = text.get(..10)?;
    if !head.eq_ignore_ascii_case("mail from:") {
        return None;
    }
    let rest = text[10..].trim_start().strip_prefix('<')?;
    let (path, params) = rest.split_once('>')?;
    if path.contains([' ', '\t', '<']) {
        return None;
    }
    let mut from = MailFrom {
        path: path.to_string(),
        size: None,
        eight_bit: false,
    };
    for param in params.split_whitespace() {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        if key.eq_ignore_ascii_case("size") {
            from.size = value.parse().ok();
        } else if key.eq_ignore_ascii_case("body") {
            from.eight_bit = value.eq_ignore_ascii_case("8bitmime");
        }
    }
    Some(from)
}

fn is_starttls(line: &[u8]) -> bool {
    line.trim_ascii_end().eq_ignore_ascii_case(b"starttls")
}

fn is_mail_from(line: &[u8]) -> bool {
    line.get(..5)
        .is_some_and(|c| c.eq_ignore_ascii_case(b"mail "))
}

fn is_ehlo(line: &[u8]) -> bool {
    line.get(..4)
        .is_some_and(|c| c.eq_ignore_ascii_case(b"ehlo"))
}

/// Adds `SIZE <max>` (RFC 1870) to mailin's EHLO answer so clients can refuse early.
fn advertise_size(reply: &[u8], max: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(reply);
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.replacen("250 ", "250-", 1))
        .collect();
    lines.push(format!("250 SIZE {max}"));
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n");
    out
}

/// mailin's parser wants CRLF; some clients end commands with a bare LF.
fn crlf(line: &mut Vec<u8>) {
    if line.ends_with(b"\n") && !line.ends_with(b"\r\n") {
        line.pop();
        line.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::sync::oneshot;

    struct Server {
        addr: SocketAddr,
        rx: mpsc::Receiver<ReceivedMail>,
        stop: oneshot::Sender<()>,
        done: tokio::task::JoinHandle<Result<(), MailError>>,
    }

    async fn start(max_message_size: usize) -> Server {
        start_with(SmtpConfig {
            hostname: "mx.test".into(),
            max_message_size,
            max_recipients: 2,
            ..SmtpConfig::default()
        })
        .await
    }

    async fn start_with(config: SmtpConfig) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel(8);
        let (stop, stopped) = oneshot::channel::<()>();
        let policy = |a: &str| a.to_ascii_lowercase().starts_with("support");
        let server = SmtpServer::new(config, policy, tx);
        let done = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            rx,
            stop,
            done,
        }
    }

    struct Client {
        reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
        writer: tokio::net::tcp::OwnedWriteHalf,
    }

    impl Client {
        async fn connect(addr: SocketAddr) -> Self {
            let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
            let mut c = Self {
                reader: BufReader::new(r),
                writer: w,
            };
            assert_eq!(c.reply().await, 220);
            c
        }

        /// Reads a (possibly multi-line) reply and returns its code.
        async fn reply(&mut self) -> u16 {
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).await.unwrap();
                assert!(line.len() >= 4, "short reply {line:?}");
                if line.as_bytes()[3] == b' ' {
                    return line[..3].parse().unwrap();
                }
            }
        }

        async fn cmd(&mut self, line: &str) -> u16 {
            self.writer.write_all(line.as_bytes()).await.unwrap();
            self.reply().await
        }
    }

    #[tokio::test]
    async fn conversation_codes_and_exact_bytes() {
        let mut server = start(200).await;
        let mut c = Client::connect(server.addr).await;
        c.writer.write_all(b"EHLO client.test\r\n").await.unwrap();
        let mut ehlo = String::new();
        loop {
            let mut l = String::new();
            c.reader.read_line(&mut l).await.unwrap();
            ehlo.push_str(&l);
            if l.as_bytes()[3] == b' ' {
                break;
            }
        }
        assert!(
            ehlo.starts_with("250-") && ehlo.ends_with("250 SIZE 200\r\n"),
            "{ehlo}"
        );
        assert!(ehlo.contains("250-8BITMIME\r\n"), "{ehlo}");
        assert_eq!(c.cmd("DATA\r\n").await, 503);
        assert_eq!(c.cmd("MAIL FROM:<>\r\n").await, 250);
        assert_eq!(c.cmd("RCPT TO:<nobody@acme.example>\r\n").await, 550);
        assert_eq!(c.cmd("RCPT TO:<support@acme.example>\r\n").await, 250);
        assert_eq!(c.cmd("RCPT TO:<support+t-x@acme.example>\r\n").await, 250);
        assert_eq!(c.cmd("RCPT TO:<support2@acme.example>\r\n").await, 452);
        assert_eq!(c.cmd("DATA\r\n").await, 354);
        let body = "Subject: hi\r\n\r\n..leading dot\r\nline\n.\r\n";
        assert_eq!(c.cmd(body).await, 250);
        let mail = server.rx.recv().await.unwrap();
        assert_eq!(mail.envelope_from, "");
        assert_eq!(mail.helo, "client.test");
        assert_eq!(
            mail.recipients,
            vec!["support@acme.example", "support+t-x@acme.example"]
        );
        assert_eq!(mail.data, b"Subject: hi\r\n\r\n.leading dot\r\nline\n");

        // Oversize: 552, and the session is usable afterwards (bare LF commands too).
        assert_eq!(c.cmd("MAIL FROM:<c@example.com> SIZE=201\r\n").await, 552);
        assert_eq!(c.cmd("MAIL FROM:<c@example.com> SIZE=100\n").await, 250);
        assert_eq!(c.cmd("RCPT TO:<support@acme.example>\r\n").await, 250);
        assert_eq!(c.cmd("DATA\r\n").await, 354);
        let big = format!("Subject: big\r\n\r\n{}\r\n.\r\n", "x".repeat(300));
        assert_eq!(c.cmd(&big).await, 552);
        assert_eq!(c.cmd("RSET\r\n").await, 250);
        let long = format!("NOOP {}\r\n", "y".repeat(MAX_COMMAND_LINE));
        assert_eq!(c.cmd(&long).await, 500);
        assert_eq!(c.cmd("QUIT\r\n").await, 221);
        assert!(server.rx.try_recv().is_err());

        server.stop.send(()).unwrap();
        server.done.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn shutdown_says_421_and_drains() {
        let server = start(1000).await;
        let mut c = Client::connect(server.addr).await;
        assert_eq!(c.cmd("HELO client.test\r\n").await, 250);
        server.stop.send(()).unwrap();
        assert_eq!(c.reply().await, 421);
        let mut rest = Vec::new();
        c.reader.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        server.done.await.unwrap().unwrap();
        assert!(TcpStream::connect(server.addr).await.is_err());
    }

    #[tokio::test]
    async fn refusing_sink_answers_451() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = SmtpServer::new(SmtpConfig::default(), |_: &str| true, tx);
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));
        let mut c = Client::connect(addr).await;
        assert_eq!(c.cmd("HELO c\r\n").await, 250);
        assert_eq!(c.cmd("MAIL FROM:<a@b.c>\r\n").await, 250);
        assert_eq!(c.cmd("RCPT TO:<x@y.z>\r\n").await, 250);
        assert_eq!(c.cmd("DATA\r\n").await, 354);
        assert_eq!(c.cmd("Subject: s\r\n\r\nb\r\n.\r\n").await, 451);
        stop.send(()).unwrap();
        done.await.unwrap().unwrap();
    }

    #[test]
    fn the_tls_gate_answers_starttls_and_plain_mail_from() {
        use TlsState::*;
        let gate = |line: &str, tls, require| tls_gate(line.as_bytes(), tls, require);
        assert_eq!(
            gate("STARTTLS\r\n", Unavailable, false),
            Some("454 4.7.0 TLS not available\r\n")
        );
        assert_eq!(
            gate("starttls\r\n", Offered, false),
            None,
            "mailin answers 220 or 503"
        );
        assert_eq!(
            gate("StartTLS\r\n", Active, false),
            Some("503 5.5.1 TLS already active\r\n")
        );
        let refused = Some("530 5.7.0 Must issue a STARTTLS command first\r\n");
        assert_eq!(gate("MAIL FROM:<a@b.c>\r\n", Offered, true), refused);
        assert_eq!(gate("mail from:<>\r\n", Offered, true), refused);
        assert_eq!(gate("MAIL FROM:<a@b.c>\r\n", Active, true), None);
        assert_eq!(gate("MAIL FROM:<a@b.c>\r\n", Offered, false), None);
        assert_eq!(
            gate("EHLO c\r\n", Offered, true),
            None,
            "EHLO is how STARTTLS is found"
        );
        assert_eq!(gate("STARTTLSX\r\n", Unavailable, false), None);
    }

    /// A self-signed certificate for 127.0.0.1 and the listener's TLS made from it.
    fn test_tls() -> (ServerTls, tokio_rustls::TlsConnector) {
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let server = ServerTls::from_pem(
            made.cert.pem().as_bytes(),
            made.signing_key.serialize_pem().as_bytes(),
        )
        .unwrap();
        let roots = crate::tls::ExtraRoots::from_pem(made.cert.pem().as_bytes()).unwrap();
        let client =
            tokio_rustls::rustls::ClientConfig::builder_with_provider(crate::tls::provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots.root_store())
                .with_no_client_auth();
        (server, tokio_rustls::TlsConnector::from(Arc::new(client)))
    }

    async fn reply_of<R: AsyncBufRead + Unpin>(reader: &mut R) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            assert!(line.len() >= 4, "short reply {line:?}");
            all.push_str(&line);
            if line.as_bytes()[3] == b' ' {
                return all;
            }
        }
    }

    #[tokio::test]
    async fn starttls_upgrades_forgets_the_plain_session_and_is_taken_once() {
        let (tls, connector) = test_tls();
        let mut server = start_with(SmtpConfig {
            hostname: "mx.test".into(),
            tls: Some(tls),
            require_tls: true,
            ..SmtpConfig::default()
        })
        .await;
        let mut c = Client::connect(server.addr).await;
        c.writer.write_all(b"EHLO client.test\r\n").await.unwrap();
        assert!(reply_of(&mut c.reader).await.contains("250-STARTTLS\r\n"));
        assert_eq!(c.cmd("MAIL FROM:<a@b.c>\r\n").await, 530);
        // A command pipelined behind STARTTLS came in the clear: it must not count inside TLS.
        c.writer
            .write_all(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
            .await
            .unwrap();
        assert_eq!(c.reply().await, 220);
        let socket = c.reader.into_inner().reunite(c.writer).unwrap();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let secure = connector.connect(name, socket).await.unwrap();
        let (read, mut write) = tokio::io::split(secure);
        let mut read = BufReader::new(read);
        let mut cmd = async |line: &str| {
            write.write_all(line.as_bytes()).await.unwrap();
            write.flush().await.unwrap();
            reply_of(&mut read).await
        };
        assert!(
            cmd("RCPT TO:<support@acme.example>\r\n")
                .await
                .starts_with("503"),
            "no MAIL survived the upgrade"
        );
        assert!(
            cmd("MAIL FROM:<a@b.c>\r\n").await.starts_with("503"),
            "EHLO is needed again"
        );
        let ehlo = cmd("EHLO client.test\r\n").await;
        assert!(
            ehlo.starts_with("250-") && !ehlo.contains("STARTTLS"),
            "{ehlo}"
        );
        assert!(cmd("STARTTLS\r\n").await.starts_with("503 5.5.1"));
        assert!(cmd("MAIL FROM:<a@b.c>\r\n").await.starts_with("250"));
        assert!(
            cmd("RCPT TO:<support@acme.example>\r\n")
                .await
                .starts_with("250")
        );
        assert!(cmd("DATA\r\n").await.starts_with("354"));
        assert!(
            cmd("Subject: over tls\r\n\r\nhi\r\n.\r\n")
                .await
                .starts_with("250")
        );
        assert!(cmd("QUIT\r\n").await.starts_with("221"));
        let mail = server.rx.recv().await.unwrap();
        assert_eq!(
            (mail.envelope_from.as_str(), mail.helo.as_str()),
            ("a@b.c", "client.test")
        );
        assert_eq!(mail.data, b"Subject: over tls\r\n\r\nhi\r\n");
        server.stop.send(()).unwrap();
        server.done.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn starttls_without_a_certificate_is_454_and_not_offered() {
        let server = start(1000).await;
        let mut c = Client::connect(server.addr).await;
        c.writer.write_all(b"EHLO client.test\r\n").await.unwrap();
        assert!(!reply_of(&mut c.reader).await.contains("STARTTLS"));
        assert_eq!(c.cmd("STARTTLS\r\n").await, 454);
        assert_eq!(
            c.cmd("MAIL FROM:<a@b.c>\r\n").await,
            250,
            "the session goes on in the clear"
        );
        server.stop.send(()).unwrap();
        server.done.await.unwrap().unwrap();
    }
}
