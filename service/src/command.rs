//! The command line of a local Control Service process, shared by the `vdk-control-service`
//! binary and `vdk-secrets serve`: the flags ([`ServeArgs`]), how they become a
//! [`ServiceConfig`] (loopback check, API token, TLS), and the run until SIGTERM or SIGINT
//! ([`run_until_signal`]). Each binary reports a [`StartError`] in its own style.
//!
//! A binary that wants other defaults or help texts adjusts the flattened arguments with
//! `mut_arg` (`vdk-secrets serve` listens on 127.0.0.1:8092 by default).

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::signal::unix::{signal, SignalKind};

use crate::config::{DEFAULT_MAX_SECRETS_BYTES, DEFAULT_TOKEN_LIFETIME_SECS};
use crate::{generate_test_certificates, ServiceConfig, TlsFiles};

/// Environment variable holding the API (refresh) token when no --api-token-file is given.
pub const TOKEN_ENV: &str = "VDK_API_TOKEN";

/// The flags of a local Control Service process.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Allow listening on a non-loopback address (this is a development server).
    #[arg(long)]
    pub allow_non_loopback: bool,

    /// Keep secrets encrypted in this directory (created 0700); without it, in memory only.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keep the store key (32 bytes, created 0600 if absent) in FILE instead of DIR/store.key.
    /// A key beside the data it protects is for development only.
    #[arg(long, value_name = "FILE", requires = "data_dir")]
    pub key_file: Option<PathBuf>,

    /// File holding the API token (the refresh token the token endpoint accepts); enables
    /// authentication. Without it, the VDK_API_TOKEN environment variable is used if set.
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TOKEN_LIFETIME_SECS)]
    pub token_lifetime_secs: u64,

    /// Largest accepted secrets map, in bytes of compact UTF-8 JSON.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SECRETS_BYTES)]
    pub max_secrets_bytes: usize,

    /// Enable fault injection by job name and the /__admin endpoints (tests only).
    #[arg(long)]
    pub enable_faults: bool,

    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key", conflicts_with = "tls_self_signed")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Generate a test CA (ca.pem) and a localhost certificate (cert.pem, key.pem) into DIR and
    /// serve HTTPS with them.
    #[arg(long, value_name = "DIR")]
    pub tls_self_signed: Option<PathBuf>,
}

impl ServeArgs {
    /// Where [`ServeArgs::into_config`] writes the test CA certificate when --tls-self-signed is
    /// used (what clients must trust), without writing anything.
    pub fn self_signed_ca(&self) -> Option<PathBuf> {
        match (&self.tls_cert, &self.tls_key, &self.tls_self_signed) {
            (Some(_), Some(_), _) => None,
            (_, _, dir) => dir.as_deref().map(crate::tls::ca_path),
        }
    }

    /// Checks the address, reads the API token (from --api-token-file, else from
    /// `VDK_API_TOKEN`) and, with --tls-self-signed, writes the test certificates.
    pub fn into_config(self) -> Result<ServiceConfig, StartError> {
        if !self.listen.ip().is_loopback() && !self.allow_non_loopback {
            return Err(StartError::unusable(
                format!(
                    "refusing to listen on non-loopback address {}: this is a development server",
                    self.listen
                ),
                "Listen on 127.0.0.1 or [::1], or pass --allow-non-loopback if you really mean it.",
            )
            .with_terse_hint("pass --allow-non-loopback to do it anyway"));
        }
        let api_token = match &self.api_token_file {
            Some(path) => Some(read_token_file(path)?),
            None => std::env::var(TOKEN_ENV).ok().filter(|token| !token.is_empty()),
        };
        let tls = match (self.tls_cert, self.tls_key, &self.tls_self_signed) {
            (Some(cert_pem), Some(key_pem), _) => Some(TlsFiles { cert_pem, key_pem }),
            (_, _, Some(dir)) => {
                let (files, _ca) = generate_test_certificates(dir).map_err(|e| {
                    StartError::unusable(e.to_string(), "Give a writable directory to --tls-self-signed.")
                        .with_context(format!("cannot generate test certificates in {}", dir.display()))
                })?;
                Some(files)
            }
            _ => None,
        };
        Ok(ServiceConfig {
            addr: self.listen,
            data_dir: self.data_dir,
            key_file: self.key_file,
            api_token,
            token_lifetime_secs: self.token_lifetime_secs,
            max_secrets_bytes: self.max_secrets_bytes,
            enable_faults: self.enable_faults,
            tls,
        })
    }
}

/// The token is the file's content without surrounding whitespace (files usually end in a
/// newline). The error never quotes the content.
fn read_token_file(path: &Path) -> Result<String, StartError> {
    let content = std::fs::read_to_string(path).map_err(|e| {
        StartError::unusable(
            format!("cannot read the API token file {}: {e}", path.display()),
            "Check the file name and its permissions.",
        )
    })?;
    let token = content.trim();
    if token.is_empty() {
        return Err(StartError::unusable(
            format!("the API token file {} is empty", path.display()),
            "Put the API token alone in the file.",
        ));
    }
    Ok(token.to_owned())
}

/// Starts the service on a runtime of its own, prints `listening on <base url>` on stdout
/// (flushed, the only line ever printed there), waits for SIGTERM or SIGINT and shuts down.
/// `Ok` after a signal; an error when it cannot start or announce itself.
pub fn run_until_signal(config: ServiceConfig) -> Result<(), StartError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| StartError::internal(e, "cannot start the async runtime"))?;
    runtime.block_on(serve(config))
}

async fn serve(config: ServiceConfig) -> Result<(), StartError> {
    let signal_error = |e| StartError::internal(e, "cannot watch signals");
    // Installed before announcing, so a signal sent right after the line is seen.
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let addr = config.addr;
    let service = crate::start(config).await.map_err(|e| {
        let countermeasures = if e.kind() == io::ErrorKind::AddrInUse {
            "Choose another address with --listen (port 0 picks a free one), or stop what uses it."
        } else {
            "Check --listen, --data-dir (a directory of this service, with a store.key readable by \
             you only) and the TLS files."
        };
        StartError::unusable(e.to_string(), countermeasures)
            .with_context(format!("cannot start the Control Service on {addr}"))
    })?;

    let announced = {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "listening on {}", service.base_url()).and_then(|()| stdout.flush())
    };
    if let Err(e) = announced {
        service.shutdown().await;
        return Err(StartError::internal(e, "cannot write to standard output"));
    }

    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    service.shutdown().await;
    Ok(())
}

/// Whose side a [`StartError`] is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartErrorKind {
    /// The flags, the files they name or the address cannot be used; the user can change that.
    Unusable,
    /// The process itself failed: no async runtime, no signal handlers, no standard output.
    Internal,
}

/// Why the service could not start (or announce itself). Its texts never quote a token.
#[derive(Debug)]
pub struct StartError {
    kind: StartErrorKind,
    /// What was being done, e.g. `cannot start the Control Service on 127.0.0.1:8092`.
    context: Option<String>,
    /// What went wrong, e.g. `Address already in use (os error 98)`.
    cause: String,
    countermeasures: String,
    /// A short hint for [`StartError::terse`], which has no countermeasures line.
    terse_hint: Option<&'static str>,
}

impl StartError {
    fn unusable(cause: String, countermeasures: &str) -> Self {
        StartError {
            kind: StartErrorKind::Unusable,
            context: None,
            cause,
            countermeasures: countermeasures.to_owned(),
            terse_hint: None,
        }
    }

    fn internal(cause: io::Error, context: &str) -> Self {
        StartError {
            kind: StartErrorKind::Internal,
            context: Some(context.to_owned()),
            cause: cause.to_string(),
            countermeasures: String::new(),
            terse_hint: None,
        }
    }

    fn with_context(mut self, context: String) -> Self {
        self.context = Some(context);
        self
    }

    fn with_terse_hint(mut self, hint: &'static str) -> Self {
        self.terse_hint = Some(hint);
        self
    }

    pub fn kind(&self) -> StartErrorKind {
        self.kind
    }

    /// The whole message: what was being done and what went wrong.
    pub fn message(&self) -> String {
        match &self.context {
            Some(context) => format!("{context}: {}", self.cause),
            None => self.cause.clone(),
        }
    }

    /// What to do about it; empty for [`StartErrorKind::Internal`].
    pub fn countermeasures(&self) -> &str {
        &self.countermeasures
    }

    /// One line without context or countermeasures, as `vdk-control-service` prints it: what
    /// went wrong, with a short hint in parentheses where there is one.
    pub fn terse(&self) -> String {
        match self.terse_hint {
            Some(hint) => format!("{} ({hint})", self.cause),
            None => self.cause.clone(),
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for StartError {}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> ServeArgs {
        Args::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
            .unwrap()
            .serve
    }

    #[test]
    fn defaults_make_a_loopback_config() {
        use clap::CommandFactory;
        Args::command().debug_assert();
        let config = parse(&[]).into_config().unwrap();
        assert_eq!(config.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.token_lifetime_secs, DEFAULT_TOKEN_LIFETIME_SECS);
        assert_eq!(config.max_secrets_bytes, DEFAULT_MAX_SECRETS_BYTES);
        assert!(config.tls.is_none() && config.data_dir.is_none() && !config.enable_faults);
    }

    #[test]
    fn a_non_loopback_address_is_refused_in_both_forms() {
        let error = parse(&["--listen", "0.0.0.0:0"]).into_config().unwrap_err();
        assert_eq!(error.kind(), StartErrorKind::Unusable);
        assert_eq!(
            error.message(),
            "refusing to listen on non-loopback address 0.0.0.0:0: this is a development server"
        );
        assert_eq!(
            error.terse(),
            "refusing to listen on non-loopback address 0.0.0.0:0: this is a development server \
             (pass --allow-non-loopback to do it anyway)"
        );
        assert!(error.countermeasures().contains("--allow-non-loopback"));
        let config = parse(&["--listen", "0.0.0.0:0", "--allow-non-loopback"]).into_config();
        assert!(config.is_ok());
    }

    #[test]
    fn context_is_in_the_message_only() {
        let error = StartError::unusable("Address already in use".into(), "Choose another address.")
            .with_context("cannot start the Control Service on 127.0.0.1:1".into());
        assert_eq!(
            error.message(),
            "cannot start the Control Service on 127.0.0.1:1: Address already in use"
        );
        assert_eq!(error.terse(), "Address already in use");
        let error = StartError::internal(io::Error::other("closed"), "cannot write to standard output");
        assert_eq!(error.kind(), StartErrorKind::Internal);
        assert_eq!(error.message(), "cannot write to standard output: closed");
        assert_eq!(error.countermeasures(), "");
    }

    #[test]
    fn self_signed_ca_names_the_file_into_config_writes() {
        assert_eq!(parse(&[]).self_signed_ca(), None);
        let dir = std::env::temp_dir().join(format!("vdk-command-test-{}", std::process::id()));
        let args = parse(&["--tls-self-signed", dir.to_str().unwrap()]);
        let ca = args.self_signed_ca().unwrap();
        assert_eq!(ca, dir.join("ca.pem"));
        assert!(args.into_config().unwrap().tls.is_some());
        assert!(ca.is_file());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
