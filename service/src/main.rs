//! `vdk-control-service`: runs the local Control Service until SIGTERM or SIGINT.
//!
//! Prints exactly one line to stdout once listening: `listening on <base url>`. Everything
//! else (errors only) goes to stderr, and nothing printed contains a token or a secret.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};
use vdk_control_service::config::{DEFAULT_MAX_SECRETS_BYTES, DEFAULT_TOKEN_LIFETIME_SECS};
use vdk_control_service::{generate_test_certificates, ServiceConfig, TlsFiles};

/// Environment variable holding the API (refresh) token when no --api-token-file is given.
const TOKEN_ENV: &str = "VDK_API_TOKEN";

/// Local VDK Control Service (secrets and token endpoints) for development and tests.
/// Not a production server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// Allow listening on a non-loopback address (this is a development server).
    #[arg(long)]
    allow_non_loopback: bool,

    /// Keep secrets encrypted in this directory (created 0700); without it, in memory only.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// File holding the API token (the refresh token the token endpoint accepts); enables
    /// authentication. Without it, the VDK_API_TOKEN environment variable is used if set.
    #[arg(long, value_name = "FILE")]
    api_token_file: Option<PathBuf>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TOKEN_LIFETIME_SECS)]
    token_lifetime_secs: u64,

    /// Largest accepted secrets map, in bytes of compact UTF-8 JSON.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SECRETS_BYTES)]
    max_secrets_bytes: usize,

    /// Enable fault injection by job name and the /__admin endpoints (tests only).
    #[arg(long)]
    enable_faults: bool,

    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Generate a test CA (ca.pem) and a localhost certificate (cert.pem, key.pem) into DIR and
    /// serve HTTPS with them.
    #[arg(long, value_name = "DIR")]
    tls_self_signed: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vdk-control-service: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> io::Result<()> {
    let config = config_from(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(config))
}

fn config_from(args: Args) -> io::Result<ServiceConfig> {
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "refusing to listen on non-loopback address {}: this is a development server \
                 (pass --allow-non-loopback to do it anyway)",
                args.listen
            ),
        ));
    }
    let api_token = match &args.api_token_file {
        Some(path) => Some(read_token_file(path)?),
        None => std::env::var(TOKEN_ENV).ok().filter(|token| !token.is_empty()),
    };
    let tls = match (args.tls_cert, args.tls_key, &args.tls_self_signed) {
        (Some(cert_pem), Some(key_pem), _) => Some(TlsFiles { cert_pem, key_pem }),
        (_, _, Some(dir)) => Some(generate_test_certificates(dir)?.0),
        _ => None,
    };
    Ok(ServiceConfig {
        addr: args.listen,
        data_dir: args.data_dir,
        api_token,
        token_lifetime_secs: args.token_lifetime_secs,
        max_secrets_bytes: args.max_secrets_bytes,
        enable_faults: args.enable_faults,
        tls,
    })
}

/// The token is the file's content without surrounding whitespace (files usually end in a
/// newline). The error never quotes the content.
fn read_token_file(path: &std::path::Path) -> io::Result<String> {
    let content = std::fs::read_to_string(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot read the API token file {}: {e}", path.display()),
        )
    })?;
    let token = content.trim();
    if token.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the API token file {} is empty", path.display()),
        ));
    }
    Ok(token.to_owned())
}

async fn serve(config: ServiceConfig) -> io::Result<()> {
    // Install the handlers before announcing, so a signal sent right after the line is seen.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let service = vdk_control_service::start(config).await?;

    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {}", service.base_url())?;
    stdout.flush()?;
    drop(stdout);

    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    service.shutdown().await;
    Ok(())
}
