//! Configuration: defaults, overlaid by `kefu.toml`, overlaid by `KEFU_*` environment
//! variables, overlaid by command-line flags. Unknown keys are errors; secrets never print.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A value that must not reach logs: its Debug and Display show only that it is set.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Where the embedded SQLite database lives when no database_url is given.
    pub data_dir: PathBuf,
    /// `postgres://…` switches to PostgreSQL; `sqlite://…` picks another SQLite file.
    pub database_url: Option<Secret>,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `kefu_server=debug,info`.
    pub log_level: String,
    pub session_ttl_hours: u32,
    pub max_body_bytes: usize,
    pub secure_cookies: bool,
    pub trust_forwarded_for: bool,
    /// Seconds an agent has to accept an offer before it goes to the next agent.
    pub offer_timeout_secs: u32,
    /// Offers missed in a row after which an agent is set away; 0 never does.
    pub max_missed_offers: u32,
    /// Seconds an agent may be without an open workspace before being set offline.
    pub disconnect_grace_secs: u32,
    /// Live WebSockets the server keeps open at once.
    pub max_sockets: u32,
    /// Live WebSockets per user or visitor (their tabs).
    pub max_sockets_per_client: u32,
    /// Let webhooks call receivers on loopback and private networks (an intranet CRM).
    pub webhook_allow_private_targets: bool,
    /// Days after which a solved ticket is closed; 0 never closes them.
    pub ticket_auto_close_days: u32,
    /// Seconds a customer who wrote while nobody could answer stays quiet before the message
    /// becomes a ticket; 0 leaves it waiting in the queue.
    pub left_message_ticket_secs: u32,
    /// Address of the built-in SMTP listener for inbound mail, e.g. `0.0.0.0:25`; off when unset.
    pub smtp_listen: Option<SocketAddr>,
    /// Largest inbound message in bytes; bigger ones are refused with 552.
    pub smtp_max_bytes: usize,
    /// PEM certificate chain (leaf first) for STARTTLS on the SMTP listener; set together with
    /// `smtp_tls_key`. Unset: STARTTLS is not offered.
    pub smtp_tls_cert: Option<PathBuf>,
    /// PEM private key of `smtp_tls_cert`.
    pub smtp_tls_key: Option<PathBuf>,
    /// Refuse mail (530) from clients that have not switched to TLS with STARTTLS.
    pub smtp_require_tls: bool,
    /// PEM file of extra CA certificates that IMAP polling and the SMTP relay trust besides
    /// the public roots, for servers with certificates of a private CA.
    pub tls_extra_ca: Option<PathBuf>,
    /// Signs each ticket's reply address (`support+t-<token>@…`); at least 16 characters.
    pub mail_token_secret: Option<Secret>,
    /// SMTP relay for outbound replies; replies stay queued while it is unset.
    pub relay_host: Option<String>,
    pub relay_port: u16,
    /// `none`, `starttls` (usually port 587) or `tls` (implicit, usually port 465).
    pub relay_tls: RelayTls,
    pub relay_user: Option<String>,
    pub relay_password: Option<Secret>,
    /// Where customers reach kefu, e.g. `https://support.example.com`: mailed replies carry the
    /// ticket's status link under it. Unset: no link is mailed.
    pub public_url: Option<String>,
}

/// How kefu reaches the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayTls {
    None,
    Starttls,
    Tls,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./kefu-data"),
            database_url: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            session_ttl_hours: 12,
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
            trust_forwarded_for: false,
            offer_timeout_secs: 20,
            max_missed_offers: 3,
            disconnect_grace_secs: 60,
            max_sockets: 50_000,
            max_sockets_per_client: 20,
            webhook_allow_private_targets: false,
            ticket_auto_close_days: 4,
            left_message_ticket_secs: 300,
            smtp_listen: None,
            smtp_max_bytes: 25 * 1024 * 1024,
            smtp_tls_cert: None,
            smtp_tls_key: None,
            smtp_require_tls: false,
            tls_extra_ca: None,
            mail_token_secret: None,
            relay_host: None,
            relay_port: 587,
            relay_tls: RelayTls::Starttls,
            relay_user: None,
            relay_password: None,
            public_url: None,
        }
    }
}

/// The keys `KEFU_*` variables may set. Other `KEFU_` variables (e.g. the test suite's
/// `KEFU_TEST_DATABASE_URL`) belong to other tools and are not read as configuration.
pub const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "log_format",
    "log_level",
    "session_ttl_hours",
    "max_body_bytes",
    "secure_cookies",
    "trust_forwarded_for",
    "offer_timeout_secs",
    "max_missed_offers",
    "disconnect_grace_secs",
    "max_sockets",
    "max_sockets_per_client",
    "webhook_allow_private_targets",
    "ticket_auto_close_days",
    "left_message_ticket_secs",
    "smtp_listen",
    "smtp_max_bytes",
    "smtp_tls_cert",
    "smtp_tls_key",
    "smtp_require_tls",
    "tls_extra_ca",
    "mail_token_secret",
    "relay_host",
    "relay_port",
    "relay_tls",
    "relay_user",
    "relay_password",
    "public_url",
];

/// Flags given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Loads the layers. `file` is read if given (and must exist) or if `kefu.toml` exists.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("kefu.toml").exists() => {
                figment = figment.merge(Toml::file_exact("kefu.toml"))
            }
            None => {}
        }
        figment
            .merge(Env::prefixed("KEFU_").only(ENV_KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    /// `public_url` checked: an http(s) address without a query or fragment, kept without its
    /// trailing `/` so links can be appended.
    pub fn public_url(&self) -> anyhow::Result<Option<String>> {
        let Some(url) = self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .filter(|rest| !rest.is_empty() && !rest.contains(['?', '#', ' ']));
        match rest {
            Some(_) => Ok(Some(url.trim_end_matches('/').to_owned())),
            None => anyhow::bail!(
                "public_url must be an http:// or https:// address without a query, e.g. https://support.example.com (got {url:?})"
            ),
        }
    }

    /// The email channel's settings, checked: a reply-token secret long enough to be
    /// unguessable, relay credentials given together, and the TLS files readable and usable
    /// (a bad certificate stops the start rather than the first STARTTLS).
    pub fn mail(&self) -> Result<kefu_server::mail::MailSettings, String> {
        let smtp_tls = match (&self.smtp_tls_cert, &self.smtp_tls_key) {
            (Some(cert), Some(key)) => Some(
                kefu_mail::ServerTls::from_pem_files(cert, key)
                    .map_err(|err| format!("smtp_tls_cert / smtp_tls_key: {err}"))?,
            ),
            (None, None) => None,
            _ => return Err("smtp_tls_cert and smtp_tls_key go together".into()),
        };
        if self.smtp_require_tls && smtp_tls.is_none() {
            return Err("smtp_require_tls needs smtp_tls_cert and smtp_tls_key".into());
        }
        let extra_roots = match &self.tls_extra_ca {
            Some(path) => kefu_mail::ExtraRoots::from_pem_file(path)
                .map_err(|err| format!("tls_extra_ca: {err}"))?,
            None => kefu_mail::ExtraRoots::default(),
        };
        let token_secret = match &self.mail_token_secret {
            Some(secret) if secret.expose().len() < kefu_mail::thread::MIN_SECRET_LEN => {
                return Err(format!(
                    "mail_token_secret must be at least {} bytes",
                    kefu_mail::thread::MIN_SECRET_LEN
                ));
            }
            Some(secret) => Some(kefu_server::mail::MailSecret(secret.expose().to_owned())),
            None => None,
        };
        let relay = match &self.relay_host {
            Some(host) => {
                if self.relay_user.is_some() != self.relay_password.is_some() {
                    return Err("relay_user and relay_password go together".into());
                }
                Some(kefu_server::mail::RelayConfig {
                    host: host.clone(),
                    port: self.relay_port,
                    tls: match self.relay_tls {
                        RelayTls::None => kefu_server::mail::RelayTls::None,
                        RelayTls::Starttls => kefu_server::mail::RelayTls::Starttls,
                        RelayTls::Tls => kefu_server::mail::RelayTls::Tls,
                    },
                    username: self.relay_user.clone(),
                    password: self.relay_password.as_ref().map(|p| p.expose().to_owned()),
                    timeout_secs: 60,
                    // The server adds `tls_extra_ca` (MailSettings::extra_roots) to every
                    // outbound connection, the relay's included.
                    extra_roots: kefu_mail::ExtraRoots::default(),
                })
            }
            None => None,
        };
        if relay.is_some() && token_secret.is_none() {
            return Err(
                "relay_host needs mail_token_secret (replies carry a signed reply address)".into(),
            );
        }
        Ok(kefu_server::mail::MailSettings {
            smtp_listen: self.smtp_listen,
            smtp_max_bytes: self.smtp_max_bytes,
            smtp_tls,
            smtp_require_tls: self.smtp_require_tls,
            extra_roots,
            token_secret,
            relay,
            ..Default::default()
        })
    }

    /// The database to open: the configured URL, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("kefu.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    // figment's Jail fixes the closure's error type; its size is not ours to choose.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]
    use super::*;

    #[test]
    fn env_keys_are_exactly_the_config_fields() {
        let value = serde_json::to_value(Config::default()).unwrap();
        let mut fields: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        let mut keys: Vec<_> = ENV_KEYS.iter().map(|k| k.to_string()).collect();
        keys.sort();
        assert_eq!(fields, keys);
    }

    #[test]
    fn layers_override_in_order_and_unknown_keys_fail() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("kefu.toml", "listen = \"127.0.0.1:9000\"\nlog_level = \"debug\"\ndatabase_url = \"postgres://u:hunter2@db/kefu\"\n")?;
            jail.set_env("KEFU_LOG_LEVEL", "warn");
            jail.set_env("KEFU_TEST_DATABASE_URL", "ignored");
            let config = Config::load(
                None,
                &Overrides {
                    listen: Some("127.0.0.1:9100".parse().unwrap()),
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(config.listen.port(), 9100, "flag beats file");
            assert_eq!(config.log_level, "warn", "env beats file");
            assert!(
                !format!("{config:?}").contains("hunter2"),
                "secrets are redacted"
            );
            assert_eq!(config.database_url(), "postgres://u:hunter2@db/kefu");

            jail.create_file("bad.toml", "listne = \"127.0.0.1:1\"\n")?;
            let err = Config::load(Some(Path::new("bad.toml")), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("listne"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn public_url_is_an_http_address_kept_without_its_slash() {
        let with = |url: &str| Config {
            public_url: Some(url.to_owned()),
            ..Config::default()
        };
        assert_eq!(Config::default().public_url().unwrap(), None);
        assert_eq!(
            with("https://support.example.com/")
                .public_url()
                .unwrap()
                .as_deref(),
            Some("https://support.example.com")
        );
        assert_eq!(
            with("http://127.0.0.1:8080/kefu")
                .public_url()
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:8080/kefu")
        );
        for bad in [
            "support.example.com",
            "ftp://x",
            "https://",
            "https://x/?a=1",
        ] {
            let err = with(bad).public_url().unwrap_err().to_string();
            assert!(err.contains("public_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn mail_keys_come_from_env_and_are_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KEFU_SMTP_LISTEN", "127.0.0.1:2525");
            jail.set_env("KEFU_RELAY_HOST", "smtp.example.com");
            jail.set_env("KEFU_RELAY_TLS", "tls");
            jail.set_env("KEFU_RELAY_USER", "kefu");
            jail.set_env("KEFU_RELAY_PASSWORD", "hunter2-relay");
            jail.set_env("KEFU_MAIL_TOKEN_SECRET", "short");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert!(!format!("{config:?}").contains("hunter2-relay"));
            assert!(config.mail().unwrap_err().contains("mail_token_secret"));
            jail.set_env("KEFU_MAIL_TOKEN_SECRET", "a-long-enough-secret-0123");
            let config = Config::load(None, &Overrides::default()).unwrap();
            let mail = config.mail().unwrap();
            assert_eq!(mail.smtp_listen, Some("127.0.0.1:2525".parse().unwrap()));
            let relay = mail.relay.unwrap();
            assert_eq!(
                (relay.host.as_str(), relay.port, relay.tls),
                ("smtp.example.com", 587, kefu_server::mail::RelayTls::Tls)
            );
            assert!(!format!("{relay:?}").contains("hunter2-relay"));
            Ok(())
        });
        assert_eq!(
            Config::default().mail().unwrap().smtp_listen,
            None,
            "off by default"
        );
    }

    #[test]
    fn tls_files_come_in_pairs_and_are_read_at_start() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KEFU_SMTP_TLS_CERT", "/nonexistent/kefu-cert.pem");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(
                config.mail().unwrap_err(),
                "smtp_tls_cert and smtp_tls_key go together"
            );
            jail.set_env("KEFU_SMTP_TLS_KEY", "/nonexistent/kefu-key.pem");
            let err = Config::load(None, &Overrides::default())
                .unwrap()
                .mail()
                .unwrap_err();
            assert!(err.contains("/nonexistent/kefu-cert.pem"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("KEFU_SMTP_REQUIRE_TLS", "true");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert!(config.mail().unwrap_err().contains("smtp_require_tls"));
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.create_file("ca.pem", "not a certificate\n")?;
            jail.set_env("KEFU_TLS_EXTRA_CA", "ca.pem");
            let config = Config::load(None, &Overrides::default()).unwrap();
            let err = config.mail().unwrap_err();
            assert!(
                err.starts_with("tls_extra_ca:") && err.contains("ca.pem"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn default_is_sqlite_in_the_data_dir() {
        assert_eq!(
            Config::default().database_url(),
            "sqlite://./kefu-data/kefu.db"
        );
    }
}
