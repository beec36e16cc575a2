//! What an operator watches: the metrics registry (names, buckets, one Prometheus recorder per
//! [`Metrics`]) and the service's status as facts of the database ([`status`]), shared by
//! `/metrics`, the dashboard and `chronicle status`.
//!
//! Why a recorder per `Metrics` and not the process-global one: the integration tests run many
//! servers in one process, in parallel, and assert exact values; a global recorder would mix
//! their counts. Each `App` owns a `PrometheusRecorder` and records into it through the
//! `metrics` facade's macros inside [`metrics::with_local_recorder`]. That scope is a plain
//! synchronous closure around one increment, so it never spans an `.await` (which is why the
//! local recorder cannot be held across tasks). Rendering goes through the recorder's handle:
//! no exposition text is written by hand.

pub mod status;

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::store::stats::ByStatus;

/// Every metric name, in one place.
pub mod names {
    /// Counter: feed fetches by `result` (`updated`, `unchanged`, `failed`).
    pub const FETCHES: &str = "chronicle_fetches_total";
    /// Histogram: seconds per feed refresh.
    pub const FETCH_DURATION: &str = "chronicle_fetch_duration_seconds";
    /// Counter: new entries stored.
    pub const ENTRIES_STORED: &str = "chronicle_entries_stored_total";
    /// Counter: entries whose story changed when stories were regrouped (merged as copies).
    pub const STORIES_MERGED: &str = "chronicle_stories_merged_total";
    /// Counter: digests built (rendered, not yet frozen).
    pub const DIGESTS_BUILT: &str = "chronicle_digests_built_total";
    /// Counter: messages by `result` of a send run (`sent`, `deferred`, `failed`).
    pub const MESSAGES: &str = "chronicle_messages_total";
    /// Histogram: seconds per send run.
    pub const SEND_DURATION: &str = "chronicle_send_duration_seconds";
    /// Gauge: messages per second of the last send run that sent any.
    pub const SEND_RATE: &str = "chronicle_send_rate_messages_per_second";
    /// Gauge: feeds by health `status`.
    pub const FEEDS: &str = "chronicle_feeds";
    /// Gauge: subscribers by `status`.
    pub const SUBSCRIBERS: &str = "chronicle_subscribers";
    /// Gauge: ledger rows of every digest by `status`.
    pub const DELIVERIES: &str = "chronicle_deliveries";
    /// Gauge: Unix time of each `job`'s last success.
    pub const JOB_LAST_SUCCESS: &str = "chronicle_job_last_success_timestamp_seconds";
}

/// Buckets of the fetch duration histogram, in seconds (a feed takes 50 ms to `fetch.timeout`).
pub const FETCH_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Buckets of the send duration histogram, in seconds (a run is seconds to an hour).
pub const SEND_BUCKETS: &[f64] = &[1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// The statuses always exported (as 0 when absent), so a series drops to zero instead of
/// vanishing when its last row changes status.
const FEED_STATUSES: &[&str] = &["disabled", "erroring", "failing", "new", "ok"];
const SUBSCRIBER_STATUSES: &[&str] = &["confirmed", "pending", "unsubscribed"];
const DELIVERY_STATUSES: &[&str] = &["failed", "pending", "sending", "sent", "skipped"];
const JOBS: &[&str] = &["digest", "fetch", "send"];

/// One registry of metrics and its Prometheus rendering.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with the histogram buckets and the descriptions set.
    pub fn new() -> Self {
        // Both matchers are static and the bucket lists non-empty, so this cannot fail; fall
        // back to summaries rather than panic if the crate ever disagrees.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(names::FETCH_DURATION.into()), FETCH_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(names::SEND_DURATION.into()), SEND_BUCKETS)
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let metrics = Self {
            recorder: Arc::new(recorder),
            handle,
        };
        metrics.describe();
        metrics
    }

    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), f)
    }

    fn describe(&self) {
        use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
        self.with(|| {
            describe_counter!(names::FETCHES, "Feed fetches by result.");
            describe_histogram!(
                names::FETCH_DURATION,
                Unit::Seconds,
                "Time to refresh one feed."
            );
            describe_counter!(names::ENTRIES_STORED, "New entries stored.");
            describe_counter!(
                names::STORIES_MERGED,
                "Entries regrouped into another story."
            );
            describe_counter!(names::DIGESTS_BUILT, "Digests built.");
            describe_counter!(names::MESSAGES, "Digest messages by result of the attempt.");
            describe_histogram!(names::SEND_DURATION, Unit::Seconds, "Time of one send run.");
            describe_gauge!(
                names::SEND_RATE,
                "Messages per second of the last send run."
            );
            describe_gauge!(names::FEEDS, "Feeds by health.");
            describe_gauge!(names::SUBSCRIBERS, "Subscribers by status.");
            describe_gauge!(names::DELIVERIES, "Delivery ledger rows by status.");
            describe_gauge!(
                names::JOB_LAST_SUCCESS,
                "Unix time of each job's last success."
            );
            // Counters exist from the start (at 0), so `rate()` and alerts work before the
            // first fetch or send instead of seeing no series at all.
            for result in ["updated", "unchanged", "failed"] {
                metrics::counter!(names::FETCHES, "result" => result).increment(0);
            }
            for result in ["sent", "deferred", "failed"] {
                metrics::counter!(names::MESSAGES, "result" => result).increment(0);
            }
            metrics::counter!(names::ENTRIES_STORED).increment(0);
            metrics::counter!(names::STORIES_MERGED).increment(0);
            metrics::counter!(names::DIGESTS_BUILT).increment(0);
        });
    }

    /// One feed refreshed: `result` is `updated`, `unchanged` or `failed`.
    pub fn fetched(&self, result: &'static str, elapsed: Duration) {
        self.with(|| {
            metrics::counter!(names::FETCHES, "result" => result).increment(1);
            metrics::histogram!(names::FETCH_DURATION).record(elapsed.as_secs_f64());
        });
    }

    /// A fetch run stored `new` entries and regrouped `merged` ones.
    pub fn stored(&self, new: usize, merged: usize) {
        self.with(|| {
            metrics::counter!(names::ENTRIES_STORED).increment(new as u64);
            metrics::counter!(names::STORIES_MERGED).increment(merged as u64);
        });
    }

    /// A digest was built.
    pub fn digest_built(&self) {
        self.with(|| metrics::counter!(names::DIGESTS_BUILT).increment(1));
    }

    /// A send run finished after `elapsed`.
    pub fn sent(&self, sent: usize, deferred: usize, failed: usize, elapsed: Duration) {
        self.with(|| {
            for (result, n) in [("sent", sent), ("deferred", deferred), ("failed", failed)] {
                metrics::counter!(names::MESSAGES, "result" => result).increment(n as u64);
            }
            metrics::histogram!(names::SEND_DURATION).record(elapsed.as_secs_f64());
            if sent > 0 {
                let rate = sent as f64 / elapsed.as_secs_f64().max(1e-3);
                metrics::gauge!(names::SEND_RATE).set(rate);
            }
        });
    }

    /// Sets the database's gauges from a fresh [`status::Facts`].
    pub fn set_facts(&self, facts: &status::Facts) {
        let set = |name: &'static str, known: &[&'static str], rows: &ByStatus| {
            for status in known {
                let n = rows
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                metrics::gauge!(name, "status" => *status).set(n as f64);
            }
            for (status, n) in rows.iter().filter(|(s, _)| !known.contains(&s.as_str())) {
                metrics::gauge!(name, "status" => status.clone()).set(*n as f64);
            }
        };
        self.with(|| {
            set(names::FEEDS, FEED_STATUSES, &facts.feeds);
            set(names::SUBSCRIBERS, SUBSCRIBER_STATUSES, &facts.subscribers);
            set(names::DELIVERIES, DELIVERY_STATUSES, &facts.deliveries);
            for job in JOBS {
                if let Some((_, at)) = facts.last_success.iter().find(|(j, _)| j == job) {
                    metrics::gauge!(names::JOB_LAST_SUCCESS, "job" => *job)
                        .set(at.timestamp() as f64);
                }
            }
        });
    }

    /// The Prometheus text exposition of everything recorded.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}
