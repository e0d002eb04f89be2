//! `cargo xtask bench`: builds the release binaries and a release build of this xtask,
//! then runs `target/release/xtask bench-run` (pinned to core 1) which starts the server
//! (pinned to core 0) on a fresh database, provisions it with `idp-admin`, drives each
//! scenario and compares it with the limits measured in the same run.
//!
//! The load generator is our own (tokio + hyper's HTTP/1.1 client connection) rather than
//! a load-testing framework: the interesting scenarios are stateful — per-browser cookie
//! jars, a CSRF-protected login form, one-time authorization codes that must be minted
//! outside the measured window, and refresh tokens that rotate on every use so each
//! connection must carry its own chain. Generic tools (wrk, oha, k6) either cannot
//! express that or need a scripting runtime whose cost would land on the generator's core.

mod flow;
mod http;
pub(crate) mod limit;
mod load;
mod proc;
mod report;
pub(crate) mod run;
mod seed;
pub(crate) mod sign;
mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Where `taskset` is looked for.
const TASKSET_PATHS: &[&str] = &["/usr/bin/taskset", "/bin/taskset"];

/// The server (and the limit server, and the signing loop) run on this core.
const SERVER_CORE: &str = "0";
/// The load generator runs on this core.
const GENERATOR_CORE: &str = "1";

/// One benchmark scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// GET /.well-known/openid-configuration.
    Discovery,
    /// GET /jwks.json.
    Jwks,
    /// GET /userinfo with a bearer token.
    Userinfo,
    /// POST /token grant_type=refresh_token, one rotating chain per connection.
    Refresh,
    /// POST /token grant_type=authorization_code with codes minted beforehand.
    Code,
    /// A whole browser login per iteration.
    Login,
    /// As `refresh`, for a client whose ID tokens are ES256.
    RefreshEs256,
    /// As `refresh`, for a client whose ID tokens are EdDSA.
    RefreshEdDsa,
    /// As `code`, for a client with RS256 JWT access tokens (its ID tokens EdDSA, so the
    /// RS256 signature of the access token is the one expensive signature).
    CodeJwt,
    /// POST /token grant_type=client_credentials, opaque access tokens.
    ClientCredentials,
    /// As `client_credentials`, with RS256 JWT access tokens.
    ClientCredentialsJwtRs256,
    /// As `client_credentials`, with ES256 JWT access tokens (`--access-token-alg`).
    ClientCredentialsJwtEs256,
    /// As `client_credentials_jwt_es256`, with EdDSA.
    ClientCredentialsJwtEdDsa,
    /// POST /introspect by a resource server, about one opaque token minted beforehand.
    Introspect,
}

impl Scenario {
    /// All scenarios, in the order they run.
    pub(crate) const ALL: [Scenario; 14] = [
        Scenario::Discovery,
        Scenario::Jwks,
        Scenario::Userinfo,
        Scenario::Refresh,
        Scenario::Code,
        Scenario::Login,
        Scenario::RefreshEs256,
        Scenario::RefreshEdDsa,
        Scenario::CodeJwt,
        Scenario::ClientCredentials,
        Scenario::ClientCredentialsJwtRs256,
        Scenario::ClientCredentialsJwtEs256,
        Scenario::ClientCredentialsJwtEdDsa,
        Scenario::Introspect,
    ];

    /// The name used on the command line and in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Discovery => "discovery",
            Scenario::Jwks => "jwks",
            Scenario::Userinfo => "userinfo",
            Scenario::Refresh => "refresh",
            Scenario::Code => "code",
            Scenario::Login => "login",
            Scenario::RefreshEs256 => "refresh-es256",
            Scenario::RefreshEdDsa => "refresh-eddsa",
            Scenario::CodeJwt => "code-jwt",
            Scenario::ClientCredentials => "client_credentials",
            Scenario::ClientCredentialsJwtRs256 => "client_credentials_jwt_rs256",
            Scenario::ClientCredentialsJwtEs256 => "client_credentials_jwt_es256",
            Scenario::ClientCredentialsJwtEdDsa => "client_credentials_jwt_eddsa",
            Scenario::Introspect => "introspect",
        }
    }

    /// The `idp-admin client create` flags of the scenario's client, beyond the common
    /// ones.
    pub(crate) fn client_flags(self) -> &'static [&'static str] {
        match self {
            Scenario::RefreshEs256 => &["--id-token-alg", "ES256"],
            Scenario::RefreshEdDsa => &["--id-token-alg", "EdDSA"],
            Scenario::CodeJwt => &["--jwt-access-token", "--id-token-alg", "EdDSA"],
            Scenario::ClientCredentials => MACHINE,
            Scenario::ClientCredentialsJwtRs256 => &[
                "--grant-type",
                "client_credentials",
                "--scope",
                MACHINE_SCOPE,
                "--default-scope",
                MACHINE_SCOPE,
                "--jwt-access-token",
            ],
            Scenario::ClientCredentialsJwtEs256 => &[
                "--grant-type",
                "client_credentials",
                "--scope",
                MACHINE_SCOPE,
                "--default-scope",
                MACHINE_SCOPE,
                "--jwt-access-token",
                "--access-token-alg",
                "ES256",
            ],
            Scenario::ClientCredentialsJwtEdDsa => &[
                "--grant-type",
                "client_credentials",
                "--scope",
                MACHINE_SCOPE,
                "--default-scope",
                MACHINE_SCOPE,
                "--jwt-access-token",
                "--access-token-alg",
                "EdDSA",
            ],
            Scenario::Introspect => &["--grant-type", "client_credentials", "--resource-server"],
            _ => &[],
        }
    }

    /// The JWT `alg` the scenario's access tokens should carry, if they are JWTs.
    pub(crate) fn expected_jwt_alg(self) -> Option<&'static str> {
        match self {
            Scenario::ClientCredentialsJwtRs256 => Some("RS256"),
            Scenario::ClientCredentialsJwtEs256 => Some("ES256"),
            Scenario::ClientCredentialsJwtEdDsa => Some("EdDSA"),
            _ => None,
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .with_context(|| format!("unknown scenario {s:?}"))
    }
}

/// The scope the machine clients are given (created with `idp-admin scope create`).
pub(crate) const MACHINE_SCOPE: &str = "bench.read";

/// The `idp-admin client create` flags of the opaque client_credentials client (also
/// the one whose token the `introspect` scenario asks about, and the template of the
/// seeded clients).
pub(crate) const MACHINE: &[&str] = &[
    "--grant-type",
    "client_credentials",
    "--scope",
    MACHINE_SCOPE,
    "--default-scope",
    MACHINE_SCOPE,
];

/// `--growth`: the scenarios run on a fresh database, then on one seeded with this many
/// access tokens (and grants) ...
pub(crate) const GROWTH_TOKENS: u64 = 1_000_000;
/// ... and this many clients, seeded before the scenarios.
pub(crate) const GROWTH_CLIENTS: u64 = 10_000;

/// Options of `cargo xtask bench`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BenchArgs {
    /// Scenarios to run.
    pub(crate) scenarios: Vec<Scenario>,
    /// Measured seconds per scenario (and for the limit).
    pub(crate) seconds: u64,
    /// Concurrent connections for every scenario but `login`.
    pub(crate) connections: usize,
    /// Concurrent connections (browsers) for `login`.
    pub(crate) login_connections: usize,
    /// `IDP_LOG` for the server; `None` leaves its default.
    pub(crate) server_log: Option<String>,
    /// Which databases the server is measured on.
    pub(crate) database: BenchDatabase,
    /// Access tokens (each with its grant) seeded before the scenarios.
    pub(crate) seed_tokens: u64,
    /// Clients seeded before the scenarios.
    pub(crate) seed_clients: u64,
    /// `--growth`: every scenario twice, on a fresh database and on a seeded one, compared.
    pub(crate) growth: bool,
}

/// `--database`: SQLite alone (the default), or PostgreSQL beside SQLite in the same run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BenchDatabase {
    /// SQLite only.
    Sqlite,
    /// SQLite, then PostgreSQL (a fresh database on the local server), compared.
    Postgres,
}

/// The PostgreSQL server `--database postgres` creates its database on, unless
/// `BENCH_POSTGRES_URL` names another (not `IDP_…`: the server refuses unknown `IDP_`
/// variables, and it inherits the environment).
pub(crate) const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl BenchArgs {
    /// Reads the options from `flags` (see [`parse_flags`]).
    fn from_flags(flags: &BTreeMap<String, String>) -> Result<Self> {
        let scenarios = match flags.get("scenario") {
            // One scenario, or several separated by commas.
            Some(s) => s
                .split(',')
                .map(Scenario::parse)
                .collect::<Result<Vec<_>>>()?,
            None => Scenario::ALL.to_vec(),
        };
        let seconds = number(flags, "seconds", 10)?;
        let connections = number(flags, "connections", 32)?;
        let login_connections = number(flags, "login-connections", 4)?;
        if !(1..=3600).contains(&seconds) {
            bail!("--seconds must be between 1 and 3600");
        }
        if !(1..=1024).contains(&connections) || !(1..=1024).contains(&login_connections) {
            bail!("connections must be between 1 and 1024");
        }
        let growth = match flags.get("growth").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => bail!("--growth wants true or false, got {other:?}"),
        };
        let (default_tokens, default_clients) = if growth {
            (GROWTH_TOKENS, GROWTH_CLIENTS)
        } else {
            (0, 0)
        };
        let seed_tokens = number(flags, "seed-tokens", default_tokens)?;
        let seed_clients = number(flags, "seed-clients", default_clients)?;
        if seed_tokens > 100_000_000 || seed_clients > 10_000_000 {
            bail!("--seed-tokens at most 100000000, --seed-clients at most 10000000");
        }
        Ok(BenchArgs {
            scenarios,
            seconds,
            connections: usize::try_from(connections)?,
            login_connections: usize::try_from(login_connections)?,
            server_log: flags.get("server-log").cloned(),
            database: match flags.get("database").map(String::as_str) {
                None | Some("sqlite") => BenchDatabase::Sqlite,
                Some("postgres") => BenchDatabase::Postgres,
                Some(other) => bail!("--database wants sqlite or postgres, got {other:?}"),
            },
            seed_tokens,
            seed_clients,
            growth,
        })
    }
}

fn number(flags: &BTreeMap<String, String>, name: &str, default: u64) -> Result<u64> {
    flags.get(name).map_or(Ok(default), |v| {
        v.parse()
            .with_context(|| format!("--{name} wants a number, got {v:?}"))
    })
}

/// The user-facing flags of `bench`.
pub(crate) const BENCH_FLAGS: &[&str] = &[
    "scenario",
    "seconds",
    "connections",
    "login-connections",
    "server-log",
    "database",
    "seed-tokens",
    "seed-clients",
    "growth",
];

/// Flags that take no value (`--name` means `--name=true`).
const SWITCHES: &[&str] = &["growth"];

/// Parses `--name value` pairs, accepting only `allowed` names.
pub(crate) fn parse_flags(args: &[String], allowed: &[&str]) -> Result<BTreeMap<String, String>> {
    let mut flags = BTreeMap::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else {
            bail!("unexpected argument {arg:?}");
        };
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n.to_owned(), v.to_owned()),
            // The one switch: `--growth` alone means `--growth=true`.
            None if SWITCHES.contains(&name) => (name.to_owned(), "true".to_owned()),
            None => {
                let v = it
                    .next()
                    .with_context(|| format!("--{name} needs a value"))?;
                (name.to_owned(), v.clone())
            }
        };
        if !allowed.contains(&name.as_str()) {
            bail!("unknown option --{name}");
        }
        flags.insert(name, value);
    }
    Ok(flags)
}

/// `cargo xtask bench`: build, then measure from a release build of this xtask.
pub(crate) fn launch(args: &[String]) -> Result<()> {
    // Validate before the (long) build.
    BenchArgs::from_flags(&parse_flags(args, BENCH_FLAGS)?)?;
    let root = workspace_root()?;
    let target = target_dir(&root)?;
    // Two builds, not one: building xtask together with the server would unify features
    // across both and could change the server binary being measured.
    cargo(
        &root,
        &["build", "--release", "-p", "idp-server", "-p", "idp-admin"],
    )?;
    cargo(&root, &["build", "--release", "-p", "xtask"])?;
    let release = target.join("release");
    let runner = release.join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    let pinning = Pinning::detect();
    let mut cmd = pinning.command(GENERATOR_CORE, &runner);
    cmd.arg("bench-run")
        .arg("--bin-dir")
        .arg(&release)
        .arg("--out-dir")
        .arg(target.join("bench"));
    match &pinning {
        Pinning::On(taskset) => cmd.arg("--taskset").arg(taskset),
        Pinning::Off(reason) => cmd.arg("--unpinned").arg(reason),
    };
    cmd.args(args).current_dir(&root);
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", runner.display()))?;
    if !status.success() {
        bail!("bench-run failed ({status})");
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the current directory, as
/// cargo reads it) or `<workspace>/target`.
fn target_dir(root: &Path) -> Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => Ok(std::env::current_dir()?.join(dir)),
        _ => Ok(root.join("target")),
    }
}

/// Whether processes are pinned to cores with `taskset`.
#[derive(Clone, Debug)]
pub(crate) enum Pinning {
    /// Pinned with this `taskset`.
    On(PathBuf),
    /// Not pinned, for this reason.
    Off(String),
}

impl Pinning {
    /// Pins when `taskset` exists and cores 0 and 1 are both usable.
    fn detect() -> Self {
        let Some(taskset) = TASKSET_PATHS.iter().map(PathBuf::from).find(|p| p.exists()) else {
            return Pinning::Off("taskset not found".into());
        };
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        if cores < 2 {
            return Pinning::Off(format!("only {cores} core available"));
        }
        let works = Command::new(&taskset)
            .args(["-c", "0,1", "true"])
            .status()
            .is_ok_and(|s| s.success());
        if works {
            Pinning::On(taskset)
        } else {
            Pinning::Off("taskset -c 0,1 failed".into())
        }
    }

    /// A command running `program` on `core` (or unpinned).
    pub(crate) fn command(&self, core: &str, program: &Path) -> Command {
        match self {
            Pinning::On(taskset) => {
                let mut c = Command::new(taskset);
                c.arg("-c").arg(core).arg(program);
                c
            }
            Pinning::Off(_) => Command::new(program),
        }
    }

    /// A description for reports.
    pub(crate) fn describe(&self) -> String {
        match self {
            Pinning::On(_) => format!(
                "server, limit server and signing loop on core {SERVER_CORE}, load generator on core {GENERATOR_CORE} (taskset)"
            ),
            Pinning::Off(reason) => format!("unpinned: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn defaults_run_everything() {
        let a = BenchArgs::from_flags(&parse_flags(&[], BENCH_FLAGS).unwrap()).unwrap();
        assert_eq!(a.scenarios, Scenario::ALL.to_vec());
        assert_eq!((a.seconds, a.connections, a.login_connections), (10, 32, 4));
        assert_eq!((a.seed_tokens, a.seed_clients), (0, 0));
    }

    #[test]
    fn growth_seeds_a_million_tokens_unless_told_otherwise() {
        let f = parse_flags(&args("--growth --seconds 2"), BENCH_FLAGS).unwrap();
        let a = BenchArgs::from_flags(&f).unwrap();
        assert_eq!((a.seed_tokens, a.seed_clients), (1_000_000, 10_000));
        assert!(a.growth);
        let f = parse_flags(&args("--seed-tokens 500 --seed-clients 7"), BENCH_FLAGS).unwrap();
        let a = BenchArgs::from_flags(&f).unwrap();
        assert_eq!((a.seed_tokens, a.seed_clients), (500, 7));
        let f = parse_flags(&args("--scenario client_credentials"), BENCH_FLAGS).unwrap();
        let a = BenchArgs::from_flags(&f).unwrap();
        assert_eq!(a.scenarios, vec![Scenario::ClientCredentials]);
    }

    #[test]
    fn flags_pick_a_scenario_and_duration() {
        let f = parse_flags(&args("--scenario refresh --seconds=3"), BENCH_FLAGS).unwrap();
        let a = BenchArgs::from_flags(&f).unwrap();
        assert_eq!(a.scenarios, vec![Scenario::Refresh]);
        assert_eq!(a.seconds, 3);
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(parse_flags(&args("--bogus 1"), BENCH_FLAGS).is_err());
        assert!(parse_flags(&args("--seconds"), BENCH_FLAGS).is_err());
        assert!(parse_flags(&args("stray"), BENCH_FLAGS).is_err());
        let f = parse_flags(&args("--scenario introspect,userinfo"), BENCH_FLAGS).unwrap();
        assert_eq!(
            BenchArgs::from_flags(&f).unwrap().scenarios,
            [Scenario::Introspect, Scenario::Userinfo]
        );
        let f = parse_flags(&args("--scenario nope"), BENCH_FLAGS).unwrap();
        assert!(BenchArgs::from_flags(&f).is_err());
        let f = parse_flags(&args("--seconds 0"), BENCH_FLAGS).unwrap();
        assert!(BenchArgs::from_flags(&f).is_err());
    }
}
