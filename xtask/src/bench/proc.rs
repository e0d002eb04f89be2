//! Child processes and what `/proc` says about them.

use std::net::TcpListener;
use std::process::{Child, Command};
use std::sync::OnceLock;

use anyhow::{Context, Result};

/// A child process killed (SIGKILL) and reaped when dropped.
pub(crate) struct Guard {
    child: Child,
    what: &'static str,
}

impl Guard {
    /// Spawns `cmd`.
    pub(crate) fn spawn(cmd: &mut Command, what: &'static str) -> Result<Self> {
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        Ok(Guard { child, what })
    }

    /// The process id (with `taskset`, the pinned program's: taskset execs it).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has exited.
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => anyhow::bail!("{} exited ({status})", self.what),
            None => Ok(()),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Only our own child, by its id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Resident memory of `pid`, KiB (`VmRSS`).
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of process `pid` (all its threads), in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_seconds_of(&stat, clock_ticks())
}

/// Parses utime + stime (fields 14 and 15) of a `/proc/PID/stat` line.
fn cpu_seconds_of(stat: &str, ticks_per_second: u64) -> Option<f64> {
    // The command name (field 2) is parenthesised and may contain spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    #[expect(clippy::cast_precision_loss, reason = "tick counts are small")]
    Some((utime + stime) as f64 / ticks_per_second as f64)
}

/// CPU time all processes on the machine have used since boot (user, nice, system, irq,
/// softirq: idle, iowait and steal excluded), in seconds.
pub(crate) fn machine_busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    busy_seconds_of(stat.lines().next()?, clock_ticks())
}

/// Parses the aggregate `cpu` line of `/proc/stat`.
fn busy_seconds_of(line: &str, ticks_per_second: u64) -> Option<f64> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = fields.map_while(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal …
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)?;
    #[expect(clippy::cast_precision_loss, reason = "tick counts are small")]
    Some(busy as f64 / ticks_per_second as f64)
}

/// Number of threads of `pid`.
pub(crate) fn threads(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `getconf CLK_TCK`, 100 if that cannot be asked.
fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_line() {
        let line =
            "1234 (idp server) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(cpu_seconds_of(line, 100), Some(3.0));
        assert_eq!(cpu_seconds_of("garbage", 100), None);
    }

    #[test]
    fn parses_proc_stat() {
        let line = "cpu  100 20 30 5000 7 3 2 11 0 0";
        assert_eq!(busy_seconds_of(line, 100), Some(1.55));
        assert_eq!(busy_seconds_of("cpu0 1 2 3 4 5 6 7", 100), None);
    }

    #[test]
    fn reads_own_process() {
        let me = std::process::id();
        assert!(rss_kib(me).is_some_and(|kib| kib > 0));
        assert!(cpu_seconds(me).is_some());
        assert!(threads(me).is_some_and(|n| n >= 1));
        assert!(machine_busy_seconds().is_some());
    }
}
