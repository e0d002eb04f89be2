//! Project automation: `cargo xtask ci` runs exactly what CI runs.

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

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("ci") => {
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
        _ => {
            eprintln!("usage: cargo xtask ci");
            ExitCode::from(2)
        }
    }
}
