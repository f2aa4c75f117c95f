//! The rustls client configuration: Mozilla's roots plus the configured CA bundle, or no
//! verification at all when `control_http_verify_ssl` is false (development only).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::Config;
use crate::error::{Error, Result};

pub(crate) fn client_config(config: &Config) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::configuration(format!("cannot set up TLS: {e}")))?;
    let mut tls = if config.verify_ssl {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &config.ca_bundle {
            for cert in load_ca_bundle(path)? {
                roots.add(cert).map_err(|e| {
                    Error::configuration(format!(
                        "the CA bundle {} holds an unusable certificate: {e}",
                        path.display()
                    ))
                })?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    };
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(tls))
}

fn load_ca_bundle(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        Error::configuration(format!("cannot read the CA bundle {shown}: {e}"))
            .with_countermeasures("Point control_http_ca_bundle at a readable PEM file of CA certificates.")
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::configuration(format!("the CA bundle {shown} is not valid PEM")))?;
    if certs.is_empty() {
        return Err(Error::configuration(format!(
            "the CA bundle {shown} holds no certificate"
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
