//! IMAP polling's wire side: connect (plain, STARTTLS or implicit TLS through rustls), log in,
//! select a folder, list and fetch messages by UID without marking them, and flag them \Seen.
//!
//! Nothing here decides what a message becomes: the server stores it first, then asks this
//! module to flag it, so a crash between the two re-reads a mail rather than losing it.

use crate::MailError;
use crate::tls::{ExtraRoots, provider};
use async_imap::{Client, Session};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

/// How the connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImapSecurity {
    /// Plain text: only for a server on a trusted network (or a test).
    None,
    /// Plain connection upgraded with STARTTLS before the login (usually port 143).
    Starttls,
    /// TLS from the first byte (usually port 993).
    Tls,
}

impl ImapSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            ImapSecurity::None => "none",
            ImapSecurity::Starttls => "starttls",
            ImapSecurity::Tls => "tls",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            ImapSecurity::None,
            ImapSecurity::Starttls,
            ImapSecurity::Tls,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Where and as whom to read a mailbox.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub username: String,
    pub password: String,
    pub folder: String,
    /// Limit for each step (connect, handshake, each command).
    pub timeout: Duration,
    /// Trusted besides the public roots, for a server with a certificate of a private CA.
    pub extra_roots: ExtraRoots,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("folder", &self.folder)
            .field("extra_roots", &self.extra_roots)
            .finish()
    }
}

/// The socket under the IMAP client: one type for plain and TLS connections.
#[derive(Debug)]
pub enum ImapStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

fn imap_error(step: &str, err: impl fmt::Display) -> MailError {
    MailError::Imap(format!("{step}: {err}"))
}

/// Runs one step under the configured time limit.
async fn timed<T, E: fmt::Display>(
    limit: Duration,
    step: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, MailError> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result.map_err(|err| imap_error(step, err)),
        Err(_) => Err(MailError::Imap(format!("{step}: timed out"))),
    }
}

/// A logged-in IMAP session.
pub struct ImapSession {
    session: Session<ImapStream>,
    timeout: Duration,
}

impl ImapSession {
    /// Connects, protects the connection as configured and logs in.
    pub async fn connect(config: &ImapConfig) -> Result<ImapSession, MailError> {
        let limit = config.timeout;
        let tcp = timed(
            limit,
            "connect",
            TcpStream::connect((config.host.as_str(), config.port)),
        )
        .await?;
        let mut client = match config.security {
            ImapSecurity::Tls => {
                let tls = tls_handshake(config, tcp).await?;
                Client::new(ImapStream::Tls(Box::new(tls)))
            }
            ImapSecurity::None | ImapSecurity::Starttls => Client::new(ImapStream::Plain(tcp)),
        };
        match timed(limit, "greeting", client.read_response()).await? {
            Some(_) => {}
            None => {
                return Err(MailError::Imap(
                    "connection closed before the greeting".into(),
                ));
            }
        }
        if config.security == ImapSecurity::Starttls {
            timed(
                limit,
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            let ImapStream::Plain(tcp) = client.into_inner() else {
                return Err(MailError::Imap("STARTTLS on a TLS connection".into()));
            };
            // No greeting after the upgrade (RFC 3501 6.2.1).
            client = Client::new(ImapStream::Tls(Box::new(tls_handshake(config, tcp).await?)));
        }
        let session =
            match tokio::time::timeout(limit, client.login(&config.username, &config.password))
                .await
            {
                Ok(Ok(session)) => session,
                Ok(Err((err, _))) => return Err(imap_error("login refused", err)),
                Err(_) => return Err(MailError::Imap("login: timed out".into())),
            };
        Ok(ImapSession {
            session,
            timeout: limit,
        })
    }

    /// Selects `folder` and answers its UIDVALIDITY (0 when the server names none).
    pub async fn select(&mut self, folder: &str) -> Result<u32, MailError> {
        let mailbox = timed(self.timeout, "SELECT", self.session.select(folder)).await?;
        Ok(mailbox.uid_validity.unwrap_or(0))
    }

    /// The UIDs above `after`, ascending; only the unseen ones when `unseen_only`.
    pub async fn uids_after(
        &mut self,
        after: u32,
        unseen_only: bool,
    ) -> Result<Vec<u32>, MailError> {
        let from = after.saturating_add(1);
        let query = if unseen_only {
            format!("UID {from}:* UNSEEN")
        } else {
            format!("UID {from}:*")
        };
        let found = timed(self.timeout, "UID SEARCH", self.session.uid_search(query)).await?;
        // `n:*` always matches the last message, even below n (RFC 3501 6.4.8).
        let mut uids: Vec<u32> = found.into_iter().filter(|uid| *uid > after).collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The raw message with this UID, without setting \Seen; `None` when it is gone.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, MailError> {
        let limit = self.timeout;
        let session = &mut self.session;
        let work = async move {
            let mut stream = session
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await?;
            let mut body = None;
            while let Some(fetch) = stream.next().await {
                let fetch = fetch?;
                if fetch.uid == Some(uid)
                    && let Some(bytes) = fetch.body()
                {
                    body = Some(bytes.to_vec());
                }
            }
            Ok::<_, async_imap::error::Error>(body)
        };
        timed(limit, "UID FETCH", work).await
    }

    /// Flags a message \Seen, once it is stored.
    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), MailError> {
        let limit = self.timeout;
        let session = &mut self.session;
        let work = async move {
            let mut stream = session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?;
            while let Some(item) = stream.next().await {
                item?;
            }
            Ok::<_, async_imap::error::Error>(())
        };
        timed(limit, "UID STORE", work).await
    }

    /// Says goodbye; a failure here changes nothing that was done.
    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

async fn tls_handshake(
    config: &ImapConfig,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, MailError> {
    let tls = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| imap_error("tls", err))?
        .with_root_certificates(config.extra_roots.root_store())
        .with_no_client_auth();
    let name = ServerName::try_from(config.host.clone())
        .map_err(|err| imap_error("tls server name", err))?;
    timed(
        config.timeout,
        "tls handshake",
        TlsConnector::from(Arc::new(tls)).connect(name, tcp),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_names_round_trip_and_passwords_stay_out_of_debug() {
        for s in [
            ImapSecurity::None,
            ImapSecurity::Starttls,
            ImapSecurity::Tls,
        ] {
            assert_eq!(ImapSecurity::parse(s.as_str()), Some(s));
        }
        assert_eq!(ImapSecurity::parse("ssl"), None);
        let config = ImapConfig {
            host: "imap.example.com".into(),
            port: 993,
            security: ImapSecurity::Tls,
            username: "support".into(),
            password: "hunter2-secret".into(),
            folder: "INBOX".into(),
            timeout: Duration::from_secs(5),
            extra_roots: ExtraRoots::default(),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
