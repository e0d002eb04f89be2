//! `idp-server`: runs the identity provider.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use idp_config::{ConfigArgs, ServerArgs};

/// A self-hosted OAuth 2.0 and OpenID Connect provider.
#[derive(Debug, Parser)]
#[command(name = "idp-server", version, about)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let settings = match idp_config::load(&cli.config, &cli.server, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A missing or wrong setting found at start is a configuration error.
            let config = matches!(
                e.downcast_ref::<idp_server::ServerError>(),
                Some(
                    idp_server::ServerError::Config(_)
                        | idp_server::ServerError::KeyEncryption(_)
                        | idp_server::ServerError::Declaration(_)
                )
            );
            ExitCode::from(if config { 2 } else { 1 })
        }
    }
}

/// Logs to stderr, filtered by `IDP_LOG` (default `info`); one JSON object per line with
/// `IDP_LOG_FORMAT=json`, for log collectors.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("IDP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("IDP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

fn run(settings: &idp_config::Settings) -> anyhow::Result<()> {
    let listener = TcpListener::bind(settings.listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
    let addr = listener.local_addr()?;
    let mut settings = settings.clone();
    // With port 0 the default issuer (http://LISTEN) must name the port actually bound.
    if settings.listen.port() == 0 && settings.issuer == format!("http://{}", settings.listen) {
        settings.issuer = format!("http://{addr}");
    }
    let settings = &settings;
    let server = idp_server::serve(settings, listener)?;
    tracing::info!(issuer = %settings.issuer, "listening on {addr}");
    // SIGTERM (and SIGINT) start a graceful shutdown: no new connections, requests in
    // flight finish (up to 30 s), then the process exits 0.
    actix_web::rt::System::new().block_on(server)?;
    tracing::info!("stopped");
    Ok(())
}
