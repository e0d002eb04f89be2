//! `xtask bench-run`: the measuring half of `cargo xtask bench`, run from a release build
//! (pinned to the generator's core) by [`super::launch`].

use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use hyper::Method;
use serde::Deserialize;

use super::flow::{self, Client, Failure, Jar, REDIRECT_URI};
use super::http::{Conn, RawGet};
use super::load::{drive, CodePool, Sample, Task, Window, Worker};
use super::proc::{self, Guard};
use super::report::{self, Measured, Report};
use super::sign::Rates;
use super::{
    limit, parse_flags, seed, BenchArgs, BenchDatabase, Pinning, Scenario, BENCH_FLAGS,
    DEFAULT_POSTGRES_URL, MACHINE, MACHINE_SCOPE, SERVER_CORE,
};

/// Unmeasured seconds before each measured window.
const WARMUP: Duration = Duration::from_secs(2);
/// How long a server may take to answer its first request.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Seconds per algorithm in the signing loop.
const SIGN_SECONDS: &str = "2";
/// The discovery document, also the readiness probe.
const DISCOVERY: &str = "/.well-known/openid-configuration";
/// The bench user's password (the server wants at least 8 characters).
const PASSWORD: &str = "bench-password-not-secret";
/// The key-encryption key of the measured server (not a secret: the data is thrown away).
const BENCH_KEY_ENCRYPTION_KEY: &str = "YmVuY2gta2V5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=";
/// In the `code` scenario, each batch of codes should last about this long.
const CODE_BATCH_SECONDS: f64 = 3.0;

/// Everything the scenarios need.
struct Ctx {
    addr: SocketAddr,
    server_pid: u32,
    /// The scenario's client.
    client: Arc<Client>,
    /// The opaque client_credentials client (whose token `introspect` asks about).
    machine: Arc<Client>,
    password: Arc<str>,
    args: BenchArgs,
}

impl Ctx {
    fn window(&self) -> Window {
        Window {
            warmup: WARMUP,
            measure: Duration::from_secs(self.args.seconds),
        }
    }
}

/// Entry point (see the module docs).
pub(crate) fn main(args: &[String]) -> Result<()> {
    let mut allowed = vec!["bin-dir", "out-dir", "taskset", "unpinned"];
    allowed.extend_from_slice(BENCH_FLAGS);
    let flags = parse_flags(args, &allowed)?;
    let bench = BenchArgs::from_flags(&flags)?;
    let bin_dir = PathBuf::from(flags.get("bin-dir").context("--bin-dir is required")?);
    let out_dir = PathBuf::from(flags.get("out-dir").context("--out-dir is required")?);
    let pinning = match (flags.get("taskset"), flags.get("unpinned")) {
        (Some(t), _) => Pinning::On(PathBuf::from(t)),
        (None, Some(reason)) => Pinning::Off(reason.clone()),
        (None, None) => Pinning::Off("not started by cargo xtask bench".into()),
    };
    let mut command = String::from("cargo xtask bench");
    for (k, v) in flags
        .iter()
        .filter(|(k, _)| BENCH_FLAGS.contains(&k.as_str()))
    {
        command.push_str(&format!(" --{k} {v}"));
    }
    eprintln!("bench: {}", pinning.describe());
    if let Pinning::Off(reason) = &pinning {
        eprintln!("bench: WARNING: running unpinned ({reason}); server and generator share cores");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let xtask = std::env::current_exe().context("cannot find the running xtask")?;

    eprintln!("bench: signing loop ({SIGN_SECONDS} s per algorithm)");
    let signing = signing_rates(&pinning, &xtask)?;
    eprintln!(
        "bench: ring, one thread: RS256 {:.0}/s, ES256 {:.0}/s, EdDSA {:.0}/s",
        signing.rs256, signing.es256, signing.eddsa
    );

    eprintln!(
        "bench: limit: minimal actix-web handler, {} connections",
        bench.connections
    );
    let limit = {
        let port = proc::free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = pinning.command(SERVER_CORE, &xtask);
        cmd.arg("bench-limit-server")
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let mut server = Guard::spawn(&mut cmd, "limit server")?;
        runtime.block_on(wait_ready(&mut server, addr, limit::PATH))?;
        let workers = get_workers(addr, bench.connections, limit::PATH, None);
        let window = Window {
            warmup: WARMUP,
            measure: Duration::from_secs(bench.seconds),
        };
        let (_, sample) = runtime.block_on(drive(workers, window, server.pid()))?;
        let m = Measured::new("limit: actix-web minimal", bench.connections, &sample);
        eprintln!("bench: {}", m.one_line());
        m
    };

    let databases: &[&str] = match bench.database {
        BenchDatabase::Sqlite => &["sqlite"],
        BenchDatabase::Postgres => &["sqlite", "postgres"],
    };
    // With --growth each database is measured twice: fresh, then seeded.
    let passes: &[bool] = if bench.growth {
        &[false, true]
    } else {
        &[false]
    };
    let mut reports = Vec::new();
    for &database in databases {
        let mut fresh: Option<Report> = None;
        for &grown in passes {
            let mut args = bench.clone();
            if bench.growth && !grown {
                args.seed_tokens = 0;
                args.seed_clients = 0;
            }
            let report = measure_database(
                &runtime, &bin_dir, &pinning, database, args, &signing, &limit, &command,
            )?;
            let dir = if grown {
                format!("{database}-grown")
            } else {
                database.to_owned()
            };
            let written = report::write(&report, &out_dir.join(dir))?;
            eprintln!("bench: wrote {}", written.display());
            match &fresh {
                Some(small) if grown => println!("{}", report::compare_growth(small, &report)),
                _ => fresh = Some(report),
            }
        }
        reports.extend(fresh);
    }
    if let [sqlite, postgres] = reports.as_slice() {
        println!("{}", report::compare(sqlite, postgres));
    }
    Ok(())
}

/// Measures every scenario on a fresh `database` (`sqlite` or `postgres`) and prints
/// the report.
#[expect(clippy::too_many_arguments, reason = "one call site, all distinct")]
fn measure_database(
    runtime: &tokio::runtime::Runtime,
    bin_dir: &Path,
    pinning: &Pinning,
    database: &str,
    bench: BenchArgs,
    signing: &Rates,
    limit: &Measured,
    command: &str,
) -> Result<Report> {
    // Declared before the server guard so the database outlives the server.
    let tmp = tempfile::Builder::new().prefix("idp-bench-").tempdir()?;
    let postgres = (database == "postgres").then(|| {
        let admin_url =
            std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        idp_testdb::TestDb::postgres_at(&admin_url)
    });
    let db_url = match &postgres {
        Some(db) => db.url().to_owned(),
        None => format!("sqlite://{}", tmp.path().join("idp.db").display()),
    };
    let log_path = tmp.path().join("server.log");
    let result = measure_server(
        runtime,
        bin_dir,
        &db_url,
        &log_path,
        pinning,
        bench,
        signing.clone(),
        limit.clone(),
    );
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            print_log_tail(&log_path);
            return Err(e);
        }
    };
    command.clone_into(&mut report.command);
    report.pinning = pinning.describe();
    database.clone_into(&mut report.database);
    report::evaluate(&mut report);
    let markdown = report::markdown(&report);
    if markdown.contains("**Noisy run:**") {
        eprintln!("bench: WARNING: other processes competed for the CPUs; see the table");
    }
    println!("{markdown}");
    Ok(report)
}

#[expect(clippy::too_many_arguments, reason = "one call site, all distinct")]
fn measure_server(
    runtime: &tokio::runtime::Runtime,
    bin_dir: &Path,
    db: &str,
    log_path: &Path,
    pinning: &Pinning,
    bench: BenchArgs,
    signing: Rates,
    limit: Measured,
) -> Result<Report> {
    let port = proc::free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log = File::create(log_path)?;
    let mut cmd = pinning.command(SERVER_CORE, &bin_dir.join("idp-server"));
    cmd.arg("--listen")
        .arg(addr.to_string())
        .arg("--database-url")
        .arg(db)
        // PostgreSQL needs the setting; SQLite would make a key file beside the database.
        .env("IDP_KEY_ENCRYPTION_KEY", BENCH_KEY_ENCRYPTION_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    if let Some(level) = &bench.server_log {
        cmd.env("IDP_LOG", level);
    }
    eprintln!("bench: starting idp-server on {addr}");
    let mut server = Guard::spawn(&mut cmd, "idp-server")?;
    runtime.block_on(wait_ready(&mut server, addr, DISCOVERY))?;
    std::thread::sleep(Duration::from_secs(1));
    let rss_idle_kib = proc::rss_kib(server.pid());

    let admin = bin_dir.join("idp-admin");
    admin_json(
        &admin,
        db,
        &[
            "user",
            "create",
            "--username",
            flow::USERNAME,
            "--password-stdin",
        ],
        Some(PASSWORD),
    )?;
    // The scope the machine clients use.
    admin_json(
        &admin,
        db,
        &[
            "scope",
            "create",
            MACHINE_SCOPE,
            "--description",
            "Bench machine scope",
        ],
        None,
    )?;
    // One client per set of flags, made once.
    let mut clients: Vec<(&'static [&'static str], Arc<Client>)> = Vec::new();
    let mut client_for = |flags: &'static [&'static str]| -> Result<Arc<Client>> {
        if let Some((_, c)) = clients.iter().find(|(f, _)| *f == flags) {
            return Ok(Arc::clone(c));
        }
        let mut args = vec!["client", "create", "--name", "bench"];
        // Machines (client_credentials only) have no redirect URI and no consent.
        if flags.first() != Some(&"--grant-type") {
            args.extend_from_slice(&["--redirect-uri", REDIRECT_URI, "--first-party"]);
        }
        args.extend_from_slice(flags);
        let created = admin_json(&admin, db, &args, None)?;
        #[derive(Deserialize)]
        struct Created {
            client_id: String,
            client_secret: String,
        }
        let created: Created =
            serde_json::from_value(created).context("client create --json: no client_id/secret")?;
        let client = Arc::new(Client::new(created.client_id, &created.client_secret));
        clients.push((flags, Arc::clone(&client)));
        Ok(client)
    };
    let machine = client_for(MACHINE)?;
    if bench.seed_tokens > 0 || bench.seed_clients > 0 {
        eprintln!(
            "bench: seeding {} access tokens (with their grants) and {} clients",
            bench.seed_tokens, bench.seed_clients
        );
        let seeded = seed::seed(db, &machine.id, bench.seed_clients, bench.seed_tokens)?;
        eprintln!("bench: {}", seeded.describe());
    }
    let mut ctx = Ctx {
        addr,
        server_pid: server.pid(),
        client: client_for(&[])?,
        machine,
        password: Arc::from(PASSWORD),
        args: bench,
    };

    let mut scenarios = Vec::new();
    for scenario in ctx.args.scenarios.clone() {
        ctx.client = client_for(scenario.client_flags())?;
        let bench = &ctx.args;
        let connections = match scenario {
            Scenario::Login => bench.login_connections,
            _ => bench.connections,
        };
        eprintln!(
            "bench: {} ({connections} connections, {} s after {} s warm-up)",
            scenario.name(),
            bench.seconds,
            WARMUP.as_secs()
        );
        let (sample, notes) = runtime
            .block_on(run_scenario(scenario, &ctx, connections))
            .with_context(|| format!("scenario {}", scenario.name()))?;
        server.check_alive()?;
        let mut m = Measured::new(scenario.name(), connections, &sample);
        m.rss_after_kib = proc::rss_kib(server.pid());
        m.threads_after = proc::threads(server.pid());
        m.notes = notes;
        m.set_ratio(scenario, &limit, &signing);
        eprintln!("bench: {}", m.one_line());
        scenarios.push(m);
    }
    let rss_after_load_kib = proc::rss_kib(server.pid());
    Ok(Report::new(
        &ctx.args,
        WARMUP,
        limit,
        signing,
        scenarios,
        rss_idle_kib,
        rss_after_load_kib,
    ))
}

fn get_workers(
    addr: SocketAddr,
    connections: usize,
    path: &str,
    authorization: Option<&str>,
) -> Vec<Worker> {
    (0..connections)
        .map(|_| Worker {
            conn: Conn::new(addr),
            task: Task::Get(RawGet::new(addr, path, authorization)),
        })
        .collect()
}

fn setup_error(f: Failure) -> anyhow::Error {
    let Failure { kind, .. } = f;
    anyhow!("setup failed at {kind}")
}

/// Logs a fresh browser in; returns its session and the code of that login.
async fn browser_login(ctx: &Ctx, conn: &mut Conn, n: u64) -> Result<(Jar, String)> {
    let mut jar = Jar::default();
    let code = flow::login(conn, &mut jar, &ctx.client, &ctx.password, n)
        .await
        .map_err(setup_error)?;
    Ok((jar, code))
}

async fn run_scenario(
    scenario: Scenario,
    ctx: &Ctx,
    connections: usize,
) -> Result<(Sample, Vec<String>)> {
    let mut notes = Vec::new();
    let sample = match scenario {
        Scenario::Discovery => {
            let workers = get_workers(ctx.addr, connections, DISCOVERY, None);
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
        Scenario::Jwks => {
            let workers = get_workers(ctx.addr, connections, "/jwks.json", None);
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
        Scenario::Userinfo => {
            let mut conn = Conn::new(ctx.addr);
            let (_, code) = browser_login(ctx, &mut conn, 1).await?;
            let tokens = flow::exchange_code(&mut conn, &ctx.client, &code)
                .await
                .map_err(setup_error)?;
            let bearer = format!("Bearer {}", tokens.access_token);
            let workers = get_workers(ctx.addr, connections, "/userinfo", Some(&bearer));
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
        Scenario::Refresh | Scenario::RefreshEs256 | Scenario::RefreshEdDsa => {
            let mut workers = Vec::with_capacity(connections);
            for i in 0..connections {
                let mut conn = Conn::new(ctx.addr);
                let n = chain_base(i);
                let (jar, code) = browser_login(ctx, &mut conn, n).await?;
                let tokens = flow::exchange_code(&mut conn, &ctx.client, &code)
                    .await
                    .map_err(setup_error)?;
                let token = Some(tokens.refresh_token.context(
                    "no refresh_token from the code exchange (offline_access requested)",
                )?);
                workers.push(Worker {
                    conn,
                    task: Task::Refresh {
                        client: Arc::clone(&ctx.client),
                        jar,
                        token,
                        n,
                    },
                });
            }
            notes.push(format!(
                "{connections} independent refresh-token chains, one per connection"
            ));
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
        Scenario::Code | Scenario::CodeJwt => code_scenario(ctx, connections, &mut notes).await?,
        Scenario::ClientCredentials
        | Scenario::ClientCredentialsJwtRs256
        | Scenario::ClientCredentialsJwtEs256
        | Scenario::ClientCredentialsJwtEdDsa => {
            // One unmeasured request: it works, and what the token is.
            let mut conn = Conn::new(ctx.addr);
            let tokens = flow::client_credentials(&mut conn, &ctx.client)
                .await
                .map_err(setup_error)?;
            match (scenario.expected_jwt_alg(), flow::jws_alg(&tokens.access_token)) {
                (None, None) => notes.push("opaque access tokens".into()),
                (Some(wanted), Some(alg)) if wanted == alg => {
                    notes.push(format!("JWT access tokens signed {alg}"));
                }
                (Some(wanted), Some(alg)) => notes.push(format!(
                    "JWT access tokens signed {alg}, not {wanted}: the provider signs every JWT access token with its {alg} key"
                )),
                (wanted, alg) => bail!(
                    "client_credentials gave {} access tokens, expected {}",
                    alg.map_or_else(|| "opaque".to_owned(), |a| format!("{a} JWT")),
                    wanted.map_or_else(|| "opaque".to_owned(), |a| format!("{a} JWT"))
                ),
            }
            let workers = (0..connections)
                .map(|_| Worker {
                    conn: Conn::new(ctx.addr),
                    task: Task::Get(RawGet::post_form(
                        ctx.addr,
                        "/token",
                        ctx.client.basic(),
                        flow::CLIENT_CREDENTIALS_FORM,
                        b"\"access_token\"",
                    )),
                })
                .collect();
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
        Scenario::Introspect => {
            // The token is minted before the window, by another client.
            let mut conn = Conn::new(ctx.addr);
            let tokens = flow::client_credentials(&mut conn, &ctx.machine)
                .await
                .map_err(setup_error)?;
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("token", &tokens.access_token)
                .append_pair("token_type_hint", "access_token")
                .finish();
            notes.push(
                "a resource-server client introspects one opaque client_credentials token".into(),
            );
            let workers = (0..connections)
                .map(|_| Worker {
                    conn: Conn::new(ctx.addr),
                    task: Task::Get(RawGet::post_form(
                        ctx.addr,
                        "/introspect",
                        ctx.client.basic(),
                        &form,
                        b"\"active\":true",
                    )),
                })
                .collect();
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
        Scenario::Login => {
            let workers = (0..connections)
                .map(|i| Worker {
                    conn: Conn::new(ctx.addr),
                    task: Task::Login {
                        client: Arc::clone(&ctx.client),
                        password: Arc::clone(&ctx.password),
                        n: chain_base(i),
                    },
                })
                .collect();
            notes.push("one iteration = /authorize, login page, POST /login, POST /token in a fresh cookie jar".into());
            drive(workers, ctx.window(), ctx.server_pid).await?.1
        }
    };
    Ok((sample, notes))
}

/// Distinct state/nonce counters per worker.
fn chain_base(worker: usize) -> u64 {
    u64::try_from(worker).unwrap_or(u64::MAX / 2) * 1_000_000_000
}

/// The `code` scenario: codes are minted in unmeasured phases (GET /authorize with a
/// logged-in session answers 303 with a code), then exchanged in measured phases, batch
/// after batch, so each code is redeemed well within its 60 s lifetime.
async fn code_scenario(ctx: &Ctx, connections: usize, notes: &mut Vec<String>) -> Result<Sample> {
    let codes: CodePool = CodePool::default();
    let mut jars = Vec::with_capacity(connections);
    let mut conns = Vec::with_capacity(connections);
    for i in 0..connections {
        let mut conn = Conn::new(ctx.addr);
        let (jar, code) = browser_login(ctx, &mut conn, chain_base(i)).await?;
        codes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(code);
        jars.push(jar);
        conns.push(conn);
    }
    let phase_limit = Window {
        warmup: Duration::ZERO,
        measure: Duration::from_secs(50),
    };
    let wanted = Duration::from_secs(ctx.args.seconds);
    let deadline = Instant::now() + wanted * 6 + Duration::from_secs(120);
    let mut per_worker = 4;
    let mut total = Sample::default();
    let mut minted = Sample::default();
    let mut round = 0u64;
    while total.elapsed < wanted {
        if Instant::now() > deadline || round > 200 {
            bail!("code scenario did not finish in time");
        }
        let workers = conns
            .into_iter()
            .zip(&jars)
            .enumerate()
            .map(|(i, (conn, jar))| Worker {
                conn,
                task: Task::Mint {
                    client: Arc::clone(&ctx.client),
                    jar: jar.clone(),
                    codes: Arc::clone(&codes),
                    remaining: per_worker,
                    n: chain_base(i) + round * 100_000,
                },
            })
            .collect();
        let (workers, mint) = drive(workers, phase_limit, ctx.server_pid).await?;
        let workers = workers
            .into_iter()
            .map(|w| Worker {
                conn: w.conn,
                task: Task::Exchange {
                    client: Arc::clone(&ctx.client),
                    codes: Arc::clone(&codes),
                },
            })
            .collect();
        let (workers, exchanged) = drive(workers, phase_limit, ctx.server_pid).await?;
        conns = workers.into_iter().map(|w| w.conn).collect();
        if round == 0 {
            // Warm-up round: only used to size the batches.
            let rate = rate_of(&exchanged);
            let total_codes = (rate * CODE_BATCH_SECONDS).clamp(
                f64::from(u32::try_from(connections * 2).unwrap_or(u32::MAX)),
                8000.0,
            );
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "clamped to 2..=8000 per connection count"
            )]
            let per = (total_codes / connections as f64).ceil() as usize;
            per_worker = per.max(2);
        } else {
            minted.absorb(mint);
            total.absorb(exchanged);
        }
        round += 1;
    }
    notes.push(format!(
        "{} measured rounds of {} codes minted then exchanged; minting ran at {:.0}/s",
        round - 1,
        per_worker * connections,
        rate_of(&minted)
    ));
    if minted.error_count() > 0 {
        notes.push(format!("minting errors: {:?}", minted.errors));
    }
    Ok(total)
}

fn rate_of(s: &Sample) -> f64 {
    if s.elapsed.is_zero() {
        0.0
    } else {
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let ok = s.ok as f64;
        ok / s.elapsed.as_secs_f64()
    }
}

/// Polls `path` until it answers 200.
async fn wait_ready(server: &mut Guard, addr: SocketAddr, path: &str) -> Result<()> {
    let start = Instant::now();
    let mut conn = Conn::new(addr);
    loop {
        server.check_alive()?;
        if let Ok(reply) = conn.send(Method::GET, path, &[], None).await {
            if reply.status == 200 {
                return Ok(());
            }
        }
        if start.elapsed() > READY_TIMEOUT {
            bail!("{addr}{path} did not answer 200 within {READY_TIMEOUT:?}");
        }
        conn.reset();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `idp-admin --database-url DB --json ARGS`, optionally writing `stdin`.
fn admin_json(
    admin: &Path,
    db: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<serde_json::Value> {
    let mut child = Command::new(admin)
        .arg("--database-url")
        .arg(db)
        .arg("--json")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", admin.display()))?;
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(text) = stdin {
            writeln!(pipe, "{text}")?;
        }
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "idp-admin {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("idp-admin {}: output is not JSON", args.join(" ")))
}

/// Runs the signing loop in its own process, pinned like the server.
fn signing_rates(pinning: &Pinning, xtask: &Path) -> Result<Rates> {
    let out = pinning
        .command(SERVER_CORE, xtask)
        .arg("bench-sign")
        .arg(SIGN_SECONDS)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the signing loop")?;
    if !out.status.success() {
        bail!("signing loop failed ({})", out.status);
    }
    serde_json::from_slice(&out.stdout).context("signing loop output")
}

fn print_log_tail(path: &Path) {
    if let Ok(text) = std::fs::read_to_string(path) {
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("bench: last lines of the server log:");
        for l in &lines[lines.len().saturating_sub(20)..] {
            eprintln!("  {l}");
        }
    }
}
