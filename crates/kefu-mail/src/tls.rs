//! TLS material of the mail paths, read and checked once at start-up: the listener's
//! certificate and key (for STARTTLS) and the extra trust anchors (a private CA) that the
//! outbound connections, IMAP and the SMTP relay, accept besides the public web PKI.
//!
//! rustls with the `ring` provider only, named explicitly so nothing depends on which
//! provider happens to be the process default.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto::CryptoProvider};

use crate::error::MailError;

/// The one crypto provider of kefu's mail TLS.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::ring::default_provider())
}

fn read(what: &str, path: &Path) -> Result<Vec<u8>, MailError> {
    std::fs::read(path).map_err(|err| MailError::Tls(format!("{what} {}: {err}", path.display())))
}

/// The listener's certificate chain and private key, ready to accept TLS connections.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: TlsAcceptor,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is in there: say only that TLS is configured.
        f.write_str("ServerTls { .. }")
    }
}

impl ServerTls {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1). Fails when either is missing, unreadable, or the key does not match the leaf.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerTls, MailError> {
        let cert_pem = read("certificate", cert)?;
        let key_pem = read("private key", key)?;
        Self::from_pem(&cert_pem, &key_pem).map_err(|err| match err {
            MailError::Tls(reason) => MailError::Tls(format!(
                "{reason} (certificate {}, key {})",
                cert.display(),
                key.display()
            )),
            other => other,
        })
    }

    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<ServerTls, MailError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| MailError::Tls(format!("certificate PEM: {err}")))?;
        if chain.is_empty() {
            return Err(MailError::Tls(
                "no CERTIFICATE block in the certificate file".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|err| MailError::Tls(format!("private key PEM: {err}")))?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|err| MailError::Tls(err.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|err| MailError::Tls(format!("certificate and key: {err}")))?;
        Ok(ServerTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// Trust anchors added to the public roots for outbound TLS, e.g. an enterprise's internal
/// CA. Empty by default; verification is never switched off, only widened by these.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExtraRoots {
    certs: Arc<Vec<CertificateDer<'static>>>,
}

impl fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtraRoots({} certificates)", self.certs.len())
    }
}

impl ExtraRoots {
    pub fn from_pem_file(path: &Path) -> Result<ExtraRoots, MailError> {
        let pem = read("CA file", path)?;
        Self::from_pem(&pem).map_err(|err| match err {
            MailError::Tls(reason) => MailError::Tls(format!("{reason} ({})", path.display())),
            other => other,
        })
    }

    /// Every CERTIFICATE block of `pem`; at least one, each usable as a trust anchor.
    pub fn from_pem(pem: &[u8]) -> Result<ExtraRoots, MailError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| MailError::Tls(format!("CA PEM: {err}")))?;
        if certs.is_empty() {
            return Err(MailError::Tls("no CERTIFICATE block in the CA file".into()));
        }
        // Checked here so a bad file stops the start, not the first delivery hours later.
        let mut store = RootCertStore::empty();
        for cert in &certs {
            store
                .add(cert.clone())
                .map_err(|err| MailError::Tls(format!("CA certificate: {err}")))?;
        }
        Ok(ExtraRoots {
            certs: Arc::new(certs),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub(crate) fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// The public web PKI roots plus these.
    pub(crate) fn root_store(&self) -> RootCertStore {
        let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // Each one was accepted by `from_pem`; a failure here cannot happen, and skipping
        // one would only make a connection fail verification, never accept more.
        let _ = roots.add_parsable_certificates(self.certs.iter().cloned());
        roots
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn bad_material_is_refused_with_a_reason() {
        let err = ExtraRoots::from_pem(b"not a pem").unwrap_err();
        assert_eq!(err.code(), "tls_config_invalid");
        assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
        let err = ServerTls::from_pem(b"", b"").unwrap_err();
        assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
        let err = ExtraRoots::from_pem_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        assert!(ExtraRoots::default().is_empty());
        assert_eq!(
            ExtraRoots::default().root_store().len(),
            webpki_roots::TLS_SERVER_ROOTS.len()
        );
    }
}
