//! Closed-loop load: each worker owns one keep-alive connection and loops
//! request → response (or a whole flow) until the window ends, recording every latency.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::flow::{self, Client, Failure, Jar};
use super::http::{Conn, RawGet};
use super::proc;
use anyhow::Result;

/// No single iteration may take longer than this (it counts as an error, `timeout`).
const ITERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many latencies are kept per run (beyond it only counts go on).
const MAX_SAMPLES: usize = 4_000_000;

/// Authorization codes minted for the `code` scenario, shared by its workers.
pub(crate) type CodePool = Arc<Mutex<Vec<String>>>;

/// What one worker does per iteration.
pub(crate) enum Task {
    /// The same GET (or form POST) over and over on its own bare connection, expecting
    /// 200.
    Get(RawGet),
    /// Refresh along this worker's own rotating chain; start a new chain (unmeasured)
    /// from the browser session in `jar` when there is none.
    Refresh {
        /// The client.
        client: Arc<Client>,
        /// A logged-in browser session.
        jar: Jar,
        /// The current refresh token of the chain.
        token: Option<String>,
        /// Counter for state and nonce.
        n: u64,
    },
    /// Exchange a code from the pool; stop when it is empty.
    Exchange {
        /// The client.
        client: Arc<Client>,
        /// Minted codes.
        codes: CodePool,
    },
    /// Mint `remaining` codes into the pool with the browser session in `jar`.
    Mint {
        /// The client.
        client: Arc<Client>,
        /// A logged-in browser session.
        jar: Jar,
        /// Where the codes go.
        codes: CodePool,
        /// How many more to mint.
        remaining: usize,
        /// Counter for state and nonce.
        n: u64,
    },
    /// A whole login in a fresh browser, then the code exchange.
    Login {
        /// The client.
        client: Arc<Client>,
        /// The bench user's password.
        password: Arc<str>,
        /// Counter for state and nonce.
        n: u64,
    },
}

/// How an iteration ended, when it did not fail.
enum Step {
    /// One unit of work done (counted and timed when in the window).
    Done,
    /// Preparation only (not counted).
    Setup,
    /// Nothing left to do: the worker stops.
    Exhausted,
}

/// A connection and what it does.
pub(crate) struct Worker {
    /// The connection.
    pub(crate) conn: Conn,
    /// The work.
    pub(crate) task: Task,
}

impl Worker {
    /// Drops the worker's connections.
    fn reset(&mut self) {
        self.conn.reset();
        if let Task::Get(raw) = &mut self.task {
            raw.reset();
        }
    }

    async fn iterate(&mut self) -> Result<Step, Failure> {
        let conn = &mut self.conn;
        match &mut self.task {
            Task::Get(raw) => {
                let reply = raw
                    .get()
                    .await
                    .map_err(|e| Failure::other(raw.method(), format!("{e:#}")))?;
                if reply.status == 200 {
                    Ok(Step::Done)
                } else {
                    Err(Failure {
                        kind: format!("{}: HTTP {}", raw.method(), reply.status),
                        retry_after: reply.retry_after,
                    })
                }
            }
            Task::Refresh {
                client,
                jar,
                token,
                n,
            } => {
                let Some(current) = token.take() else {
                    *n += 1;
                    let code = flow::authorize_with_session(conn, jar, client, *n).await?;
                    let tokens = flow::exchange_code(conn, client, &code).await?;
                    *token = tokens.refresh_token;
                    return Ok(Step::Setup);
                };
                let tokens = flow::refresh(conn, client, &current).await?;
                let has_id_token = tokens.id_token.is_some();
                *token = tokens.refresh_token;
                if token.is_none() {
                    return Err(Failure::other("token (refresh)", "no refresh_token"));
                }
                if !has_id_token {
                    return Err(Failure::other("token (refresh)", "no id_token"));
                }
                Ok(Step::Done)
            }
            Task::Exchange { client, codes } => {
                let code = codes.lock().unwrap_or_else(PoisonError::into_inner).pop();
                let Some(code) = code else {
                    return Ok(Step::Exhausted);
                };
                let tokens = flow::exchange_code(conn, client, &code).await?;
                if tokens.id_token.is_none() {
                    return Err(Failure::other("token (code)", "no id_token"));
                }
                Ok(Step::Done)
            }
            Task::Mint {
                client,
                jar,
                codes,
                remaining,
                n,
            } => {
                if *remaining == 0 {
                    return Ok(Step::Exhausted);
                }
                *n += 1;
                let code = flow::authorize_with_session(conn, jar, client, *n).await?;
                codes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(code);
                *remaining -= 1;
                Ok(Step::Done)
            }
            Task::Login {
                client,
                password,
                n,
            } => {
                *n += 1;
                let mut jar = Jar::default();
                let code = flow::login(conn, &mut jar, client, password, *n).await?;
                let tokens = flow::exchange_code(conn, client, &code).await?;
                if tokens.id_token.is_none() {
                    return Err(Failure::other("token (code)", "no id_token"));
                }
                Ok(Step::Done)
            }
        }
    }
}

/// The window of one run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// Iterations started before this are not measured.
    pub(crate) warmup: Duration,
    /// No iteration starts after warm-up + this.
    pub(crate) measure: Duration,
}

/// What one run measured.
#[derive(Debug, Default)]
pub(crate) struct Sample {
    /// Latencies of the measured successful iterations, microseconds, sorted.
    pub(crate) latencies_us: Vec<u32>,
    /// Successful measured iterations (may exceed the latencies kept).
    pub(crate) ok: u64,
    /// Failed measured iterations, by kind.
    pub(crate) errors: BTreeMap<String, u64>,
    /// From the window's start to the last measured completion.
    pub(crate) elapsed: Duration,
    /// CPU the server used during the window, in cores.
    pub(crate) server_cpu: Option<f64>,
    /// CPU the load generator used during the window, in cores.
    pub(crate) generator_cpu: Option<f64>,
    /// CPU every other process used during the window, in cores (noise).
    pub(crate) other_cpu: Option<f64>,
}

impl Sample {
    /// Adds another run's results (for scenarios measured in several windows).
    pub(crate) fn absorb(&mut self, other: Sample) {
        let total = self.elapsed + other.elapsed;
        let weigh = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if !total.is_zero() => Some(
                (a * self.elapsed.as_secs_f64() + b * other.elapsed.as_secs_f64())
                    / total.as_secs_f64(),
            ),
            (a, b) => b.or(a),
        };
        self.server_cpu = weigh(self.server_cpu, other.server_cpu);
        self.generator_cpu = weigh(self.generator_cpu, other.generator_cpu);
        self.other_cpu = weigh(self.other_cpu, other.other_cpu);
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.ok += other.ok;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.elapsed = total;
    }

    /// Measured failures.
    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

#[derive(Default)]
struct Part {
    latencies_us: Vec<u32>,
    ok: u64,
    errors: BTreeMap<String, u64>,
    last: Option<Instant>,
}

async fn run_worker(
    mut worker: Worker,
    measure_start: Instant,
    end: Instant,
    cap: usize,
) -> (Worker, Part) {
    let mut part = Part::default();
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let result = tokio::time::timeout(ITERATION_TIMEOUT, worker.iterate()).await;
        let t1 = Instant::now();
        let measured = t0 >= measure_start;
        let failure = match result {
            Ok(Ok(Step::Done)) => {
                if measured {
                    part.ok += 1;
                    part.last = Some(t1);
                    if part.latencies_us.len() < cap {
                        let us = u32::try_from((t1 - t0).as_micros()).unwrap_or(u32::MAX);
                        part.latencies_us.push(us);
                    }
                }
                continue;
            }
            Ok(Ok(Step::Setup)) => continue,
            Ok(Ok(Step::Exhausted)) => break,
            Ok(Err(failure)) => failure,
            Err(_) => {
                worker.reset();
                Failure::other("iteration", "timeout")
            }
        };
        if measured {
            *part.errors.entry(failure.kind).or_default() += 1;
            part.last = Some(t1);
        }
        // Be a polite client: honour Retry-After (at most 1 s), and never spin on errors.
        let pause = match failure.retry_after {
            Some(s) if s > 0 => Duration::from_secs(1),
            Some(_) => Duration::from_millis(100),
            None => Duration::from_millis(10),
        };
        tokio::time::sleep_until((t1 + pause).min(end).into()).await;
    }
    (worker, part)
}

/// Runs `workers` concurrently for `window` (or until they run out of work) and gives
/// them back with what was measured. `server_pid` is sampled for CPU use.
pub(crate) async fn drive(
    workers: Vec<Worker>,
    window: Window,
    server_pid: u32,
) -> Result<(Vec<Worker>, Sample)> {
    let start = Instant::now();
    let measure_start = start + window.warmup;
    let end = measure_start + window.measure;
    let cap = MAX_SAMPLES / workers.len().max(1);
    let me = std::process::id();
    let sampler = tokio::spawn(async move {
        tokio::time::sleep_until(measure_start.into()).await;
        (
            Instant::now(),
            proc::cpu_seconds(server_pid),
            proc::cpu_seconds(me),
            proc::machine_busy_seconds(),
        )
    });
    let handles: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(run_worker(w, measure_start, end, cap)))
        .collect();
    let mut back = Vec::with_capacity(handles.len());
    let mut sample = Sample::default();
    let mut last: Option<Instant> = None;
    for h in handles {
        let (worker, part) = h.await?;
        back.push(worker);
        sample.latencies_us.extend(part.latencies_us);
        sample.ok += part.ok;
        for (k, v) in part.errors {
            *sample.errors.entry(k).or_default() += v;
        }
        last = last.max(part.last);
    }
    let (t_start, server0, me0, busy0) = sampler.await?;
    let t_end = Instant::now();
    let wall = t_end.saturating_duration_since(t_start).as_secs_f64();
    let share = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if wall > 0.0 => Some((b - a) / wall),
        _ => None,
    };
    sample.server_cpu = share(server0, proc::cpu_seconds(server_pid));
    sample.generator_cpu = share(me0, proc::cpu_seconds(me));
    let busy = share(busy0, proc::machine_busy_seconds());
    sample.other_cpu = match (busy, sample.server_cpu, sample.generator_cpu) {
        (Some(b), Some(s), Some(g)) => Some((b - s - g).max(0.0)),
        _ => None,
    };
    sample.elapsed = last.map_or(Duration::ZERO, |l| {
        l.saturating_duration_since(measure_start)
    });
    sample.latencies_us.sort_unstable();
    Ok((back, sample))
}
