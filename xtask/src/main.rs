//! Project automation: `cargo xtask ci` runs exactly what CI runs; `cargo xtask bench`
//! measures the server against the limits of its stack (see `docs/performance.md`).

mod bench;

use std::process::{Command, ExitCode};

/// The steps of `.ci/run`, in order.
const CI_STEPS: &[&[&str]] = &[
    &["fmt", "--all", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ],
    &["test", "--workspace"],
];

const USAGE: &str = "usage: cargo xtask ci\n       cargo xtask bench [--scenario S] [--seconds N] [--connections C]\n                         [--login-connections C] [--server-log LEVEL]\n       scenarios: discovery jwks userinfo refresh code login (default: all)";

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

fn ci() -> ExitCode {
    for step in CI_STEPS {
        eprintln!("$ cargo {}", step.join(" "));
        match Command::new(env!("CARGO")).args(*step).status() {
            Ok(s) if s.success() => {}
            Ok(_) => return ExitCode::FAILURE,
            Err(e) => {
                eprintln!("xtask: cannot run cargo: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
