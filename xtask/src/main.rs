//! Project automation: `cargo xtask ci` runs exactly what CI runs; `cargo xtask bench`
//! measures the server against the limits of its stack (see `docs/performance.md`).

mod bench;

use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask ci\n       cargo xtask bench [--scenario S[,S...]] [--seconds N] [--connections C]\n                         [--login-connections C] [--server-log LEVEL]\n                         [--database sqlite|postgres]\n                         [--seed-tokens N] [--seed-clients M] [--growth]\n       scenarios: discovery jwks userinfo refresh code login refresh-es256\n                  refresh-eddsa code-jwt client_credentials\n                  client_credentials_jwt_rs256 client_credentials_jwt_es256\n                  client_credentials_jwt_eddsa introspect (default: all)\n       --growth: each scenario on a fresh database, then on one seeded with\n                 1000000 tokens and 10000 clients (or --seed-...), compared";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("ci") => return ci(),
        Some("bench") => bench::launch(rest),
        // Hidden subcommands used by `bench` itself, always from a release build.
        Some("bench-run") => bench::run::main(rest),
        Some("bench-limit-server") => bench::limit::serve(rest),
        Some("bench-sign") => bench::sign::main(rest),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `.ci/run`, the one definition of what CI runs.
fn ci() -> ExitCode {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/run");
    match Command::new("bash").arg(script).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: cannot run .ci/run: {e}");
            ExitCode::FAILURE
        }
    }
}
