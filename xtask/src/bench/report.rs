//! Results: one JSON document per run and a markdown table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use super::load::Sample;
use super::sign::Rates;
use super::stats::percentile;
use super::{BenchArgs, Scenario};

/// One measured scenario (or the limit handler).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Measured {
    /// Scenario name.
    pub(crate) name: String,
    /// Concurrent connections.
    pub(crate) connections: usize,
    /// Successful measured iterations.
    pub(crate) requests: u64,
    /// Measured seconds.
    pub(crate) seconds: f64,
    /// Successful iterations per second.
    pub(crate) req_per_s: f64,
    /// Median latency, ms.
    pub(crate) p50_ms: Option<f64>,
    /// 99th percentile latency, ms.
    pub(crate) p99_ms: Option<f64>,
    /// Slowest, ms.
    pub(crate) max_ms: Option<f64>,
    /// p99 / p50.
    pub(crate) p99_over_p50: Option<f64>,
    /// Failed iterations, by kind.
    pub(crate) errors: BTreeMap<String, u64>,
    /// Failed iterations.
    pub(crate) error_count: u64,
    /// Server CPU during the window, in cores (1.0 = its core fully busy).
    pub(crate) server_cpu: Option<f64>,
    /// Generator CPU during the window, in cores.
    pub(crate) generator_cpu: Option<f64>,
    /// CPU all other processes used during the window, in cores: noise if well above 0.
    pub(crate) other_cpu: Option<f64>,
    /// req/s divided by the reference rate.
    pub(crate) ratio: Option<f64>,
    /// What `ratio` is relative to.
    pub(crate) ratio_to: Option<String>,
    /// Server resident memory after this scenario, KiB.
    pub(crate) rss_after_kib: Option<u64>,
    /// Server threads after this scenario.
    pub(crate) threads_after: Option<u64>,
    /// Remarks.
    pub(crate) notes: Vec<String>,
}

fn ms(us: Option<u32>) -> Option<f64> {
    us.map(|v| f64::from(v) / 1000.0)
}

impl Measured {
    /// Summarises `sample`.
    pub(crate) fn new(name: &str, connections: usize, sample: &Sample) -> Self {
        let seconds = sample.elapsed.as_secs_f64();
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let req_per_s = if seconds > 0.0 {
            sample.ok as f64 / seconds
        } else {
            0.0
        };
        let l = &sample.latencies_us;
        let p50 = percentile(l, 0.50);
        let p99 = percentile(l, 0.99);
        let p99_over_p50 = match (p50, p99) {
            (Some(a), Some(b)) if a > 0 => Some(f64::from(b) / f64::from(a)),
            _ => None,
        };
        Measured {
            name: name.to_owned(),
            connections,
            requests: sample.ok,
            seconds,
            req_per_s,
            p50_ms: ms(p50),
            p99_ms: ms(p99),
            max_ms: ms(l.last().copied()),
            p99_over_p50,
            errors: sample.errors.clone(),
            error_count: sample.error_count(),
            server_cpu: sample.server_cpu,
            generator_cpu: sample.generator_cpu,
            other_cpu: sample.other_cpu,
            ratio: None,
            ratio_to: None,
            rss_after_kib: None,
            threads_after: None,
            notes: Vec::new(),
        }
    }

    /// Sets the ratio to the scenario's limit.
    pub(crate) fn set_ratio(&mut self, scenario: Scenario, limit: &Measured, signing: &Rates) {
        let (reference, what) = match scenario {
            Scenario::Refresh | Scenario::CodeJwt | Scenario::ClientCredentialsJwtRs256 => {
                (signing.rs256, "ring RS256 signs/s".to_owned())
            }
            _ => (limit.req_per_s, "actix minimal req/s".to_owned()),
        };
        if reference > 0.0 {
            self.ratio = Some(self.req_per_s / reference);
            self.ratio_to = Some(what);
        }
    }

    /// A progress line.
    pub(crate) fn one_line(&self) -> String {
        format!(
            "{}: {:.0}/s, p50 {} ms, p99 {} ms, {} errors, ratio {}, CPU: server {}, generator {}, others {}",
            self.name,
            self.req_per_s,
            num(self.p50_ms, 2),
            num(self.p99_ms, 2),
            self.error_count,
            num(self.ratio, 2),
            pct(self.server_cpu),
            pct(self.generator_cpu),
            pct(self.other_cpu),
        )
    }
}

/// A target from `docs/performance.md` and whether this run met it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Target {
    /// What is measured.
    pub(crate) what: String,
    /// The goal.
    pub(crate) goal: String,
    /// The measured value.
    pub(crate) value: String,
    /// Met, missed, or not measured in this run.
    pub(crate) met: Option<bool>,
}

/// The machine.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Machine {
    /// Logical CPUs (`/proc/cpuinfo`).
    pub(crate) nproc: usize,
    /// CPU model name.
    pub(crate) cpu_model: String,
    /// Kernel release.
    pub(crate) kernel: String,
}

impl Machine {
    fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let nproc = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
        Machine {
            nproc,
            cpu_model,
            kernel,
        }
    }
}

/// One run.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Report {
    /// UTC start of the report, RFC 3339.
    pub(crate) date: String,
    /// The command that produced it.
    pub(crate) command: String,
    /// The server's database backend (`sqlite` or `postgres`).
    pub(crate) database: String,
    /// The machine.
    pub(crate) machine: Machine,
    /// How processes were placed on cores.
    pub(crate) pinning: String,
    /// `IDP_LOG` given to the server (`None`: its default, `info`, one line per request).
    pub(crate) server_log: Option<String>,
    /// Measured seconds per scenario.
    pub(crate) seconds: u64,
    /// Access tokens (with their grants) seeded before the scenarios (`--seed-tokens`).
    pub(crate) seed_tokens: u64,
    /// Clients seeded before the scenarios (`--seed-clients`).
    pub(crate) seed_clients: u64,
    /// Warm-up seconds before each window.
    pub(crate) warmup_seconds: u64,
    /// The minimal actix-web handler under the same load.
    pub(crate) limit: Measured,
    /// ring's single-thread signing rates.
    pub(crate) signing: Rates,
    /// The scenarios.
    pub(crate) scenarios: Vec<Measured>,
    /// Server RSS after start, before any load, KiB.
    pub(crate) rss_idle_kib: Option<u64>,
    /// Server RSS after all scenarios, KiB.
    pub(crate) rss_after_load_kib: Option<u64>,
    /// The targets.
    pub(crate) targets: Vec<Target>,
}

impl Report {
    /// A report without targets (see [`evaluate`]).
    pub(crate) fn new(
        args: &BenchArgs,
        warmup: Duration,
        limit: Measured,
        signing: Rates,
        scenarios: Vec<Measured>,
        rss_idle_kib: Option<u64>,
        rss_after_load_kib: Option<u64>,
    ) -> Self {
        #[expect(
            clippy::disallowed_methods,
            reason = "the ban keeps protocol code on idp_core::Clock; a report is stamped with wall time"
        )]
        let now = chrono::Utc::now();
        Report {
            date: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            command: String::new(),
            database: String::new(),
            machine: Machine::read(),
            pinning: String::new(),
            server_log: args.server_log.clone(),
            seconds: args.seconds,
            seed_tokens: args.seed_tokens,
            seed_clients: args.seed_clients,
            warmup_seconds: warmup.as_secs(),
            limit,
            signing,
            scenarios,
            rss_idle_kib,
            rss_after_load_kib,
            targets: Vec::new(),
        }
    }

    fn scenario(&self, name: &str) -> Option<&Measured> {
        self.scenarios.iter().find(|m| m.name == name)
    }
}

/// Checks the targets of `docs/performance.md`.
pub(crate) fn evaluate(report: &mut Report) {
    let mut targets = Vec::new();
    for (name, min, to) in [
        ("discovery", 0.8, "limit"),
        ("jwks", 0.8, "limit"),
        ("userinfo", 0.5, "limit"),
        ("refresh", 0.8, "ring RS256 rate"),
        ("code-jwt", 0.8, "ring RS256 rate"),
        ("refresh-es256", 0.2, "limit"),
        ("refresh-eddsa", 0.2, "limit"),
        ("client_credentials", 0.5, "limit"),
        ("introspect", 0.5, "limit"),
        ("client_credentials_jwt_rs256", 0.8, "ring RS256 rate"),
        ("client_credentials_jwt_es256", 0.3, "limit"),
        ("client_credentials_jwt_eddsa", 0.3, "limit"),
    ] {
        let ratio = report.scenario(name).and_then(|m| m.ratio);
        targets.push(Target {
            what: format!("{name} req/s ÷ {to}"),
            goal: format!("≥ {min}"),
            value: num(ratio, 2),
            met: ratio.map(|r| r >= min),
        });
    }
    for m in &report.scenarios {
        targets.push(Target {
            what: format!("{} p99 ÷ p50", m.name),
            goal: "≤ 10".into(),
            value: num(m.p99_over_p50, 1),
            met: m.p99_over_p50.map(|r| r <= 10.0),
        });
    }
    #[expect(clippy::cast_precision_loss, reason = "KiB counts are small")]
    let idle_mib = report.rss_idle_kib.map(|k| k as f64 / 1024.0);
    targets.push(Target {
        what: "idle RSS of idp-server".into(),
        goal: "< 25 MiB".into(),
        value: idle_mib.map_or_else(|| "n/a".into(), |m| format!("{m:.1} MiB")),
        met: idle_mib.map(|m| m < 25.0),
    });
    report.targets = targets;
}

/// Above this much CPU (in cores) used by other processes, a window is flagged as noisy.
pub(crate) const NOISE_CORES: f64 = 0.2;

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.decimals$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{:.0}%", v * 100.0))
}

fn mib(kib: Option<u64>) -> String {
    #[expect(clippy::cast_precision_loss, reason = "KiB counts are small")]
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn errors_cell(m: &Measured) -> String {
    if m.error_count == 0 {
        return "0".into();
    }
    let kinds: Vec<String> = m.errors.iter().map(|(k, v)| format!("{v}× {k}")).collect();
    format!("{} ({})", m.error_count, kinds.join("; "))
}

/// The report as markdown.
pub(crate) fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Run: `{}` on {} ({} CPUs, {}), {}; database {}; {} s measured per scenario after {} s warm-up; server log level {}; {}.\n",
        r.command,
        r.machine.cpu_model,
        r.machine.nproc,
        r.machine.kernel,
        r.date,
        r.database,
        r.seconds,
        r.warmup_seconds,
        r.server_log.as_deref().unwrap_or("default (info)"),
        r.pinning
    );
    if r.seed_tokens > 0 || r.seed_clients > 0 {
        let _ = writeln!(
            s,
            "Database seeded before the scenarios with {} access tokens (each with its grant) and {} clients.\n",
            r.seed_tokens, r.seed_clients
        );
    }
    // On PostgreSQL the database server is one of the "other" processes: its CPU is part
    // of the work measured, not noise.
    let database_is_a_process = r.database == "postgres";
    let noisy: Vec<&str> = std::iter::once(&r.limit)
        .chain(&r.scenarios)
        .filter(|m| m.other_cpu.is_some_and(|c| c > NOISE_CORES))
        .map(|m| m.name.as_str())
        .collect();
    if database_is_a_process {
        s.push_str("\"CPU others\" includes the PostgreSQL server (unpinned, on either core), so it is not flagged as noise here.\n\n");
    } else if !noisy.is_empty() {
        let _ = writeln!(
            s,
            "**Noisy run:** other processes used more than {NOISE_CORES} of a core during: {}. Their numbers (and ratios) are not trustworthy; rerun on a quiet machine.\n",
            noisy.join(", ")
        );
    }
    s.push_str("| scenario | conns | ratio | ratio to | req/s | p50 ms | p99 ms | p99/p50 | errors | CPU server | CPU generator | CPU others | RSS after (threads) |\n");
    s.push_str("|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|\n");
    for m in std::iter::once(&r.limit).chain(&r.scenarios) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.name,
            m.connections,
            num(m.ratio, 2),
            m.ratio_to.as_deref().unwrap_or("—"),
            m.req_per_s,
            num(m.p50_ms, 2),
            num(m.p99_ms, 2),
            num(m.p99_over_p50, 1),
            errors_cell(m),
            pct(m.server_cpu),
            pct(m.generator_cpu),
            pct(m.other_cpu),
            match (m.rss_after_kib, m.threads_after) {
                (Some(k), Some(t)) => format!("{} ({t})", mib(Some(k))),
                (k, _) => mib(k),
            },
        );
    }
    let _ = writeln!(
        s,
        "\nring, one thread, {}-byte message: RS256 (RSA-2048) {:.0}/s, ES256 {:.0}/s, EdDSA {:.0}/s.  ",
        r.signing.message_bytes, r.signing.rs256, r.signing.es256, r.signing.eddsa
    );
    let _ = writeln!(
        s,
        "idp-server RSS: idle {}, after load {}.\n",
        mib(r.rss_idle_kib),
        mib(r.rss_after_load_kib)
    );
    s.push_str("| target | goal | measured | met |\n|---|---|---:|---|\n");
    for t in &r.targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(s, "| {} | {} | {} | {} |", t.what, t.goal, t.value, met);
    }
    for m in &r.scenarios {
        for n in &m.notes {
            let _ = writeln!(s, "\n- {}: {n}", m.name);
        }
    }
    s
}

/// PostgreSQL beside SQLite, scenario by scenario, with the target of issue 15: on the
/// same machine in the same run, PostgreSQL's userinfo and refresh rates are at least
/// half of SQLite's.
pub(crate) fn compare(sqlite: &Report, postgres: &Report) -> String {
    let mut s = String::from(
        "| scenario | SQLite req/s | PostgreSQL req/s | PostgreSQL ÷ SQLite | target |\n|---|---:|---:|---:|---|\n",
    );
    for m in &sqlite.scenarios {
        let Some(p) = postgres.scenario(&m.name) else {
            continue;
        };
        let ratio = (m.req_per_s > 0.0).then(|| p.req_per_s / m.req_per_s);
        let target = match (m.name.as_str(), ratio) {
            ("userinfo" | "refresh", Some(r)) if r >= 0.5 => "≥ 0.5: met",
            ("userinfo" | "refresh", Some(_)) => "≥ 0.5: **not met**",
            ("userinfo" | "refresh", None) => "≥ 0.5: not measured",
            _ => "—",
        };
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.0} | {} | {target} |",
            m.name,
            m.req_per_s,
            p.req_per_s,
            num(ratio, 2)
        );
    }
    s
}

/// The scenarios on a seeded database (`grown`) against a fresh one (`fresh`), with the
/// issue's target for the lookups that must not slow down as the database grows.
pub(crate) fn compare_growth(fresh: &Report, grown: &Report) -> String {
    let mut s = format!(
        "Growth ({}): {} access tokens with their grants and {} clients seeded.\n\n| scenario | fresh req/s | grown req/s | grown ÷ fresh | target |\n|---|---:|---:|---:|---|\n",
        grown.database, grown.seed_tokens, grown.seed_clients
    );
    for m in &fresh.scenarios {
        let Some(g) = grown.scenario(&m.name) else {
            continue;
        };
        let ratio = (m.req_per_s > 0.0).then(|| g.req_per_s / m.req_per_s);
        let watched = matches!(
            m.name.as_str(),
            "client_credentials" | "introspect" | "userinfo"
        );
        let target = match ratio {
            _ if !watched => "—",
            Some(r) if r >= 0.8 => "≥ 0.8: met",
            Some(_) => "≥ 0.8: **not met**",
            None => "≥ 0.8: not measured",
        };
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.0} | {} | {target} |",
            m.name,
            m.req_per_s,
            g.req_per_s,
            num(ratio, 2)
        );
    }
    s
}

/// Writes `DIR/<timestamp>.json` and `DIR/latest.json`; returns the first.
pub(crate) fn write(report: &Report, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = serde_json::to_string_pretty(report)?;
    let stamp: String = report
        .date
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let path = dir.join(format!("{stamp}.json"));
    std::fs::write(&path, &json).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::write(dir.join("latest.json"), &json)?;
    Ok(path)
}
