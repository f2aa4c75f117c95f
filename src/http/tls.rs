//! The rustls client configuration and where its trust comes from.
//!
//! Roots, first match wins (README, "Trust store"):
//! 1. `SSL_CERT_FILE` / `SSL_CERT_DIR`, when either is set (as OpenSSL, curl and Go read them);
//! 2. `REQUESTS_CA_BUNDLE`, when set (as upstream VDK's Python client, through requests);
//! 3. the system's trust store (rustls-native-certs: the distribution's CA bundle);
//! 4. the Mozilla roots compiled in (webpki-roots), with an info log line.
//!
//! `control_http_ca_bundle` adds to whichever applies. `control_http_verify_ssl=false` accepts
//! any certificate (development only) and says so on stderr.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::Config;
use crate::error::{Error, Result};

/// Which of the sources above supplied the roots; named in logs and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootSource {
    SslCertVariables,
    RequestsCaBundle(PathBuf),
    System,
    Bundled,
    /// No request of this client uses TLS: no roots were loaded.
    NotNeeded,
}

/// `needs_roots`: whether any request of this client will verify a certificate (an https
/// endpoint or an https proxy); loading the system's roots costs a millisecond we do not spend
/// for plain-HTTP clients.
pub(crate) fn client_config(config: &Config, needs_roots: bool) -> Result<(Arc<ClientConfig>, RootSource)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::configuration(format!("cannot set up TLS: {e}")))?;
    let (mut tls, source) = if !config.verify_ssl {
        let tls = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth();
        (tls, RootSource::NotNeeded)
    } else {
        let (mut roots, source) = if needs_roots {
            base_roots()?
        } else {
            (RootCertStore::empty(), RootSource::NotNeeded)
        };
        if let Some(path) = &config.ca_bundle {
            add_pem_file(&mut roots, path, "control_http_ca_bundle")?;
        }
        (builder.with_root_certificates(roots).with_no_client_auth(), source)
    };
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(tls), source))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn base_roots() -> Result<(RootCertStore, RootSource)> {
    let mut roots = RootCertStore::empty();
    if env_path("SSL_CERT_FILE").is_some() || env_path("SSL_CERT_DIR").is_some() {
        // rustls-native-certs reads exactly these two, as OpenSSL does, when either is set.
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            let why = found.errors.first().map(|e| format!(": {e}")).unwrap_or_default();
            return Err(Error::configuration(format!(
                "SSL_CERT_FILE / SSL_CERT_DIR name no usable CA certificate{why}"
            ))
            .with_countermeasures(
                "Point SSL_CERT_FILE at a PEM bundle (or SSL_CERT_DIR at a folder of PEM files) of CA certificates, or unset both to use the system's trust store.",
            ));
        }
        return Ok((roots, RootSource::SslCertVariables));
    }
    if let Some(path) = env_path("REQUESTS_CA_BUNDLE") {
        add_pem_file(&mut roots, &path, "REQUESTS_CA_BUNDLE")?;
        return Ok((roots, RootSource::RequestsCaBundle(path)));
    }
    let system = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(system.certs);
    if added > 0 {
        return Ok((roots, RootSource::System));
    }
    log::info!("no system trust store found; trusting the Mozilla roots built into vdk-secrets");
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok((roots, RootSource::Bundled))
}

fn add_pem_file(roots: &mut RootCertStore, path: &Path, source: &str) -> Result<()> {
    for cert in load_pem_certificates(path, source)? {
        roots.add(cert).map_err(|e| {
            Error::configuration(format!(
                "{source} ({}) holds an unusable certificate: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
}

fn load_pem_certificates(path: &Path, source: &str) -> Result<Vec<CertificateDer<'static>>> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        Error::configuration(format!("cannot read the CA bundle {shown} ({source}): {e}"))
            .with_countermeasures(format!("Point {source} at a readable PEM file of CA certificates."))
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::configuration(format!("the CA bundle {shown} ({source}) is not valid PEM")))?;
    if certs.is_empty() {
        return Err(Error::configuration(format!(
            "the CA bundle {shown} ({source}) holds no certificate"
        )));
    }
    Ok(certs)
}

/// `control_http_verify_ssl=false`: any certificate is accepted, but handshake signatures are
/// still checked, so the session is at least bound to the certificate presented.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
