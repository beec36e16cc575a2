//! The ingest writer: one task stores refreshed feeds, as many per transaction as are waiting.
//!
//! SQLite has one writer. When each feed took the write lock for its own transaction, the lock
//! was held across several hand-offs between async tasks and sqlx's SQLite thread, and the
//! writer became the bottleneck of a cold fetch. One task that drains a queue of parsed feeds
//! and writes them in one transaction per batch keeps the lock busy with real work. A batch
//! that fails is retried feed by feed, so one bad feed cannot fail its neighbours.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::domain::{FeedUrl, ParsedFeed};
use crate::store::{self, Pool, StoreError, feeds::FetchRecord};

/// Most feeds written in one transaction.
const MAX_BATCH: usize = 64;

/// What a 200 response said about the feed.
#[derive(Debug)]
pub struct Fetch {
    /// Response `ETag`.
    pub etag: Option<String>,
    /// Response `Last-Modified`.
    pub last_modified: Option<String>,
    /// Hash of the body.
    pub body_hash: String,
    /// HTTP status.
    pub http_status: u16,
}

/// One refreshed feed to store.
#[derive(Debug)]
pub struct Job {
    /// The feed.
    pub feed_id: i64,
    /// The feed had no entry before (saves reading known hashes).
    pub first_time: bool,
    /// The parsed document; `None` when the body was identical to the last one.
    pub parsed: Option<ParsedFeed>,
    /// The response.
    pub fetch: Fetch,
    /// Where the feed moved permanently, if it did.
    pub moved_to: Option<FeedUrl>,
    /// When it was fetched.
    pub now: DateTime<Utc>,
    /// When to check again.
    pub next: DateTime<Utc>,
}

/// What storing a feed did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    /// New entries.
    pub new: usize,
    /// Entries updated in place.
    pub updated: usize,
    /// Whether the stored URL changed to `moved_to`.
    pub moved: bool,
}

type Request = (Job, oneshot::Sender<Result<Stored, StoreError>>);

/// A handle to the writer task; the task ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Request>,
}

impl Writer {
    /// Starts the writer task for `pool`.
    pub fn spawn(pool: Pool) -> Self {
        let (queue, rx) = mpsc::channel(MAX_BATCH * 2);
        tokio::spawn(run(pool, rx));
        Self { queue }
    }

    /// Stores one feed and waits until it is committed.
    pub async fn store(&self, job: Job) -> Result<Stored, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Corrupt("the ingest writer stopped".into());
        self.queue.send((job, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(pool: Pool, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let jobs: Vec<&Job> = batch.iter().map(|(job, _)| job).collect();
        match write(&pool, &jobs).await {
            Ok(results) => {
                for ((_, reply), result) in batch.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some((_, reply)) = batch.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(_) => {
                // Find the feed that failed: each on its own.
                for (job, reply) in batch {
                    let result = write(&pool, &[&job]).await.map(|mut r| r.remove(0));
                    let _ = reply.send(result);
                }
            }
        }
    }
}

async fn write(pool: &Pool, jobs: &[&Job]) -> Result<Vec<Stored>, StoreError> {
    let mut tx = store::begin_write(pool).await?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let (new, updated) = match &job.parsed {
            Some(p) => {
                store::entries::upsert_all(
                    &mut tx,
                    job.feed_id,
                    &p.entries,
                    job.first_time,
                    job.now,
                )
                .await?
            }
            None => (0, 0),
        };
        let record = FetchRecord::Fetched {
            feed_title: job.parsed.as_ref().and_then(|p| p.title.as_deref()),
            site_url: job.parsed.as_ref().and_then(|p| p.site_url.as_deref()),
            etag: job.fetch.etag.as_deref(),
            last_modified: job.fetch.last_modified.as_deref(),
            body_hash: &job.fetch.body_hash,
            http_status: job.fetch.http_status,
        };
        store::feeds::record_fetch(&mut *tx, job.feed_id, &record, job.now, job.next).await?;
        let moved = match &job.moved_to {
            Some(to) => store::feeds::move_url(&mut *tx, job.feed_id, to).await?,
            None => false,
        };
        results.push(Stored {
            new,
            updated,
            moved,
        });
    }
    tx.commit().await?;
    Ok(results)
}
