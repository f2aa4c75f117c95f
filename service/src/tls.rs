//! TLS for HTTPS serving, and test certificates.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;

/// Builds the acceptor from PEM files: a certificate chain (leaf first) and its private key.
pub fn acceptor(files: &TlsFiles) -> io::Result<TlsAcceptor> {
    let pem_error = |what: &str, path: &Path, error: rustls_pki_types::pem::Error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot read the {what} from {}: {error}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(&files.cert_pem)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_error("certificates", &files.cert_pem, e))?;
    if certs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no certificate in {}", files.cert_pem.display()),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key_pem).map_err(|e| pem_error("private key", &files.key_pem, e))?;

    // The ring provider explicitly, so the build needs no process-wide default provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unusable TLS certificate or key: {e}"),
            )
        })?;
    // The connection loop speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Test helper: writes a self-signed CA and a leaf certificate for `localhost`, 127.0.0.1 and
/// ::1 signed by it into `dir` as `ca.pem`, `cert.pem` and `key.pem` (the leaf's key, mode
/// 0600). Returns the server's files and the CA path (for the client's trust store).
pub fn generate_test_certificates(dir: &Path) -> io::Result<(TlsFiles, PathBuf)> {
    let rcgen_error = |e: rcgen::Error| io::Error::other(format!("certificate generation failed: {e}"));

    let ca_key = KeyPair::generate().map_err(rcgen_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "vdk-control-service test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(rcgen_error)?;

    let leaf_key = KeyPair::generate().map_err(rcgen_error)?;
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()]).map_err(rcgen_error)?;
    leaf_params.subject_alt_names.extend([
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]);
    leaf_params.distinguished_name.push(DnType::CommonName, "localhost");
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(rcgen_error)?;

    fs::create_dir_all(dir)?;
    let ca_pem = ca_path(dir);
    let files = TlsFiles {
        cert_pem: dir.join("cert.pem"),
        key_pem: dir.join("key.pem"),
    };
    fs::write(&ca_pem, ca_cert.pem())?;
    fs::write(&files.cert_pem, leaf_cert.pem())?;
    write_private(&files.key_pem, leaf_key.serialize_pem().as_bytes())?;
    Ok((files, ca_pem))
}

/// Where [`generate_test_certificates`] writes the CA certificate.
pub(crate) fn ca_path(dir: &Path) -> PathBuf {
    dir.join("ca.pem")
}

/// Writes a file only its owner can read, also when it already existed with wider modes.
fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)
}
