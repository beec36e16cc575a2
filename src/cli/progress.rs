//! Progress of `fetch` on stderr: an indicatif bar on a terminal (feeds done, failed, rate,
//! ETA), plain lines every 5 seconds otherwise, so logs collected from cron stay readable.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts feeds as they finish.
pub(super) struct FetchMeter {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    failed: u64,
    started: Instant,
    last_line: Instant,
}

impl FetchMeter {
    /// A meter for `total` feeds.
    pub(super) fn new(total: usize) -> Self {
        let total = u64::try_from(total).unwrap_or(u64::MAX);
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} feeds done, {msg}, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message("0 failed");
            bar
        });
        Self {
            bar,
            total,
            done: 0,
            failed: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// One feed finished (`failed`: with an error, whose line the caller prints).
    pub(super) fn feed_done(&mut self, failed: bool, failure: Option<&str>) {
        self.done += 1;
        self.failed += u64::from(failed);
        if let Some(bar) = &self.bar {
            if let Some(line) = failure {
                bar.println(line);
            }
            bar.set_position(self.done);
            bar.set_message(format!("{} failed", self.failed));
            return;
        }
        if let Some(line) = failure {
            eprintln!("{line}");
        }
        if self.last_line.elapsed() >= Duration::from_secs(5) {
            self.last_line = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            let rate = self.done as f64 / secs;
            let eta = (self.total.saturating_sub(self.done)) as f64 / rate.max(0.001);
            eprintln!(
                "fetching: {} of {} feeds done, {} failed, {rate:.1} feeds/s, ETA {eta:.0} s",
                self.done, self.total, self.failed
            );
        }
    }

    /// Clears the bar.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
