//! `vdk-secrets serve`: the local Control Service until SIGTERM or SIGINT.
//!
//! Behaves as the standalone `vdk-control-service` binary: exactly one stdout line,
//! `listening on <base url>`, flushed once the socket listens; clean exit 0 on a signal;
//! refuses non-loopback addresses unless told otherwise. Nothing printed holds a token.

use std::io::{self, Write};
use std::path::Path;

use tokio::signal::unix::{signal, SignalKind};
use vdk_control_service::{generate_test_certificates, ServiceConfig, TlsFiles};

use crate::args::ServeArgs;
use crate::error::{CliError, INTERNAL, INVALID};

/// Environment variable holding the API (refresh) token when no --api-token-file is given.
const TOKEN_ENV: &str = "VDK_API_TOKEN";

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let config = service_config(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("vdk-secrets-serve")
        .enable_all()
        .build()
        .map_err(|e| CliError::new(INTERNAL, format!("cannot start the async runtime: {e}"), ""))?;
    runtime.block_on(serve(config))
}

fn cannot_start(message: String, countermeasures: &str) -> CliError {
    CliError::new(INVALID, message, countermeasures)
}

fn service_config(args: ServeArgs) -> Result<ServiceConfig, CliError> {
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        return Err(cannot_start(
            format!(
                "refusing to listen on non-loopback address {}: this is a development server",
                args.listen
            ),
            "Listen on 127.0.0.1 or [::1], or pass --allow-non-loopback if you really mean it.",
        ));
    }
    let api_token = match &args.api_token_file {
        Some(path) => Some(read_token_file(path)?),
        None => std::env::var(TOKEN_ENV).ok().filter(|token| !token.is_empty()),
    };
    let tls = match (args.tls_cert, args.tls_key, &args.tls_self_signed) {
        (Some(cert_pem), Some(key_pem), _) => Some(TlsFiles { cert_pem, key_pem }),
        (_, _, Some(dir)) => {
            let (files, ca) = generate_test_certificates(dir).map_err(|e| {
                cannot_start(
                    format!("cannot generate test certificates in {}: {e}", dir.display()),
                    "Give a writable directory to --tls-self-signed.",
                )
            })?;
            let _ = writeln!(
                io::stderr().lock(),
                "serving HTTPS with a test certificate; clients trust it with VDK_CONTROL_HTTP_CA_BUNDLE={}",
                ca.display()
            );
            Some(files)
        }
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

/// The token is the file's content without surrounding whitespace; errors never quote it.
fn read_token_file(path: &Path) -> Result<String, CliError> {
    let content = std::fs::read_to_string(path).map_err(|e| {
        cannot_start(
            format!("cannot read the API token file {}: {e}", path.display()),
            "Check the file name and its permissions.",
        )
    })?;
    let token = content.trim();
    if token.is_empty() {
        return Err(cannot_start(
            format!("the API token file {} is empty", path.display()),
            "Put the API token alone in the file.",
        ));
    }
    Ok(token.to_owned())
}

async fn serve(config: ServiceConfig) -> Result<(), CliError> {
    let signal_error = |e: io::Error| CliError::new(INTERNAL, format!("cannot watch signals: {e}"), "");
    // Installed before announcing, so a signal sent right after the line is seen.
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let addr = config.addr;
    let service = vdk_control_service::start(config).await.map_err(|e| {
        let countermeasures = if e.kind() == io::ErrorKind::AddrInUse {
            "Choose another address with --listen (port 0 picks a free one), or stop what uses it."
        } else {
            "Check --listen, --data-dir (a directory of this service, with a store.key readable by \
             you only) and the TLS files."
        };
        cannot_start(
            format!("cannot start the Control Service on {addr}: {e}"),
            countermeasures,
        )
    })?;

    let announced = {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "listening on {}", service.base_url()).and_then(|()| stdout.flush())
    };
    if let Err(e) = announced {
        service.shutdown().await;
        return Err(CliError::new(
            INTERNAL,
            format!("cannot write to standard output: {e}"),
            "",
        ));
    }

    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    service.shutdown().await;
    Ok(())
}
