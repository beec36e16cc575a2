//! A send run's identity and heartbeat, and taking over what dead runs held.
//!
//! A run is dead when it finished, when its heartbeat is older than
//! `delivery.stale_after_secs`, or — known at once — when it ran on this machine and its
//! process is gone. Its `sending` rows go back to `pending`, due now.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::config::DeliverySettings;
use crate::store::{self, Pool, StoreError, runs::OpenRun};

/// Rows left in `sending` by versions before runs existed are retried after this long.
const LEGACY_LEASE_MINUTES: i64 = 10;

/// This machine's name, to tell our own dead processes from other machines' runs.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Whether process `pid` of this machine still runs (a zombie, killed but not yet reaped by
/// its parent, does not).
pub fn pid_alive(pid: i64) -> bool {
    if pid <= 0 || pid == i64::from(std::process::id()) {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: `123 (chronicle) S ...`.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) if std::path::Path::new("/proc/self/stat").exists() => false,
        Err(_) => {
            let Ok(pid) = libc::pid_t::try_from(pid) else {
                return false;
            };
            // SAFETY: signal 0 only checks that the process exists.
            unsafe { libc::kill(pid, 0) == 0 }
        }
    }
}

fn is_dead(run: &OpenRun, host: &str, d: &DeliverySettings) -> bool {
    let stale = chrono::Duration::seconds(i64::try_from(d.stale_after_secs).unwrap_or(i64::MAX));
    run.heartbeat_at < Utc::now() - stale || (run.host == host && !pid_alive(run.pid))
}

/// Takes over the rows of every dead run of `digest_id` (other than `me`). Returns the number
/// of rows handed back to `pending`.
pub async fn take_over_dead(
    pool: &Pool,
    digest_id: i64,
    me: i64,
    d: &DeliverySettings,
) -> Result<u64, StoreError> {
    let host = host_name();
    let dead: Vec<i64> = store::runs::open_runs(pool, digest_id, me)
        .await?
        .iter()
        .filter(|r| is_dead(r, &host, d))
        .map(|r| r.id)
        .collect();
    let n = store::runs::take_over(
        pool,
        digest_id,
        &dead,
        chrono::Duration::minutes(LEGACY_LEASE_MINUTES),
        Utc::now(),
    )
    .await?;
    if n > 0 {
        tracing::warn!(runs = ?dead, deliveries = n, "took over the deliveries of dead runs");
    }
    Ok(n)
}

/// Beats the run's heart every `delivery.heartbeat_secs` until `stop`, and takes over the rows
/// of runs that die meanwhile.
pub fn spawn_heartbeat(
    pool: Pool,
    digest_id: i64,
    run_id: i64,
    d: DeliverySettings,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(d.heartbeat_secs.max(1)));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = store::runs::heartbeat(&pool, run_id, Utc::now()).await {
                tracing::warn!("heartbeat failed: {e}");
            }
            if let Err(e) = take_over_dead(&pool, digest_id, run_id, &d).await {
                tracing::warn!("cannot take over dead runs: {e}");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_process_is_alive_and_a_reaped_one_is_not() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        let pid = i64::from(child.id());
        assert!(pid_alive(pid));
        child.kill().expect("kill");
        // Killed but not reaped: a zombie, which is dead for us.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!pid_alive(pid));
        child.wait().expect("wait");
        assert!(!pid_alive(pid));
        assert!(
            !pid_alive(i64::from(std::process::id())),
            "our own pid is never another run"
        );
    }
}
