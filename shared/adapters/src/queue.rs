//! The single-node job queue: jobs are rows of the embedded SQLite database, so a job accepted is
//! on disk (`synchronous=FULL`) before `send` returns and survives a restart. Semantics follow SQS
//! (what the AWS deployment uses), so one worker loop behaves the same on both: at-least-once
//! delivery, a visibility timeout per receive, a receipt valid for one receive only, and a job that
//! has been received `max_receives` times without acknowledgement moves to the dead-letter state on
//! the next receive instead of being delivered again.

use crate::sqlite::{SqliteStore, backend};
use async_trait::async_trait;
use rusqlite::params;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::jobs::Delivery;
use smartenroll_domain::ports::JobQueue;

#[derive(Clone)]
pub struct SqliteQueue {
    store: SqliteStore,
    name: String,
    max_receives: u32,
}

/// The queue the server's worker reads; registration writes add their jobs to it in their own
/// transaction (the embedded store's outbox is the queue itself).
pub const JOBS_QUEUE: &str = "jobs";

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `<row id>:<receive count>`: a receipt from an earlier receive no longer matches the row.
fn parse_receipt(receipt: &str) -> Result<(i64, i64), StoreError> {
    receipt
        .split_once(':')
        .and_then(|(id, n)| Some((id.parse().ok()?, n.parse().ok()?)))
        .ok_or_else(|| StoreError::Backend("not a receipt of this queue".into()))
}

impl SqliteQueue {
    /// Makes jobs that were received but not settled visible again at once. Only for a process
    /// that owns the data directory (the server holds its lock): any receive still in flight was
    /// made by a process that is gone, so its jobs need not wait out their visibility timeout.
    pub async fn release_in_flight(&self) -> Result<u64, StoreError> {
        let name = self.name.clone();
        self.store
            .write(move |conn, _| {
                let n = conn
                    .execute(
                        "UPDATE jobs SET visible_at = ?2 WHERE queue = ?1 AND dead = 0 AND receives > 0 AND visible_at > ?2",
                        params![name, now_ms()],
                    )
                    .map_err(backend)?;
                Ok(n as u64)
            })
            .await
    }

    /// The queue `name` in `store`'s database; a job is delivered at most `max_receives` times.
    pub fn new(store: SqliteStore, name: impl Into<String>, max_receives: u32) -> Self {
        Self { store, name: name.into(), max_receives: max_receives.max(1) }
    }
}

#[async_trait]
impl JobQueue for SqliteQueue {
    async fn send(&self, body: &str) -> Result<(), StoreError> {
        self.send_batch(&[body.to_string()]).await
    }

    async fn send_delayed(&self, body: &str, delay_ms: u64) -> Result<(), StoreError> {
        let (name, body) = (self.name.clone(), body.to_string());
        let at = now_ms().saturating_add(delay_ms.min(i64::MAX as u64 / 2) as i64);
        self.store
            .write(move |conn, _| {
                conn.execute("INSERT INTO jobs (queue, body, visible_at) VALUES (?1, ?2, ?3)", params![name, body, at]).map_err(backend)?;
                Ok(())
            })
            .await
    }

    /// One transaction: all of the batch is queued or none of it.
    async fn send_batch(&self, bodies: &[String]) -> Result<(), StoreError> {
        let (name, bodies) = (self.name.clone(), bodies.to_vec());
        self.store
            .write(move |conn, _| {
                let tx = conn.transaction().map_err(backend)?;
                {
                    let mut insert =
                        tx.prepare_cached("INSERT INTO jobs (queue, body, visible_at) VALUES (?1, ?2, ?3)").map_err(backend)?;
                    let now = now_ms();
                    for body in &bodies {
                        insert.execute(params![name, body, now]).map_err(backend)?;
                    }
                }
                tx.commit().map_err(backend)
            })
            .await?;
        self.store.signal_jobs();
        Ok(())
    }

    async fn receive(&self, max: u32, visibility_seconds: u32) -> Result<Vec<Delivery>, StoreError> {
        let (name, limit) = (self.name.clone(), i64::from(self.max_receives));
        self.store
            .write(move |conn, _| {
                let tx = conn.transaction().map_err(backend)?;
                let now = now_ms();
                tx.execute(
                    "UPDATE jobs SET dead = 1 WHERE queue = ?1 AND dead = 0 AND visible_at <= ?2 AND receives >= ?3",
                    params![name, now, limit],
                )
                .map_err(backend)?;
                let due: Vec<(i64, String, i64)> = {
                    let mut select = tx
                        .prepare_cached(
                            "SELECT id, body, receives FROM jobs WHERE queue = ?1 AND dead = 0 AND visible_at <= ?2 ORDER BY id LIMIT ?3",
                        )
                        .map_err(backend)?;
                    let rows = select.query_map(params![name, now, max.clamp(1, 10)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)));
                    rows.map_err(backend)?.collect::<Result<_, _>>().map_err(backend)?
                };
                let hidden_until = now + i64::from(visibility_seconds) * 1000;
                let mut out = Vec::with_capacity(due.len());
                for (id, body, receives) in due {
                    tx.execute("UPDATE jobs SET receives = ?2, visible_at = ?3 WHERE id = ?1", params![id, receives + 1, hidden_until])
                        .map_err(backend)?;
                    out.push(Delivery { receipt: format!("{id}:{}", receives + 1), body, receive_count: (receives + 1) as u32 });
                }
                tx.commit().map_err(backend)?;
                Ok(out)
            })
            .await
    }

    async fn ack(&self, receipt: &str) -> Result<(), StoreError> {
        let (id, receives) = parse_receipt(receipt)?;
        self.store
            .write(move |conn, _| {
                conn.execute("DELETE FROM jobs WHERE id = ?1 AND receives = ?2 AND dead = 0", params![id, receives]).map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn retry_later(&self, receipt: &str, delay_seconds: u32) -> Result<(), StoreError> {
        let (id, receives) = parse_receipt(receipt)?;
        let visible_at = now_ms() + i64::from(delay_seconds) * 1000;
        self.store
            .write(move |conn, _| {
                conn.execute(
                    "UPDATE jobs SET visible_at = ?3 WHERE id = ?1 AND receives = ?2 AND dead = 0",
                    params![id, receives, visible_at],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn dead_letters(&self, max: u32) -> Result<Vec<Delivery>, StoreError> {
        let name = self.name.clone();
        self.store
            .read(move |conn| {
                let mut select = conn
                    .prepare_cached("SELECT id, body, receives FROM jobs WHERE queue = ?1 AND dead = 1 ORDER BY id LIMIT ?2")
                    .map_err(backend)?;
                let rows = select.query_map(params![name, max], |r| {
                    let (id, body, receives): (i64, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
                    Ok(Delivery { receipt: format!("{id}:{receives}"), body, receive_count: receives as u32 })
                });
                rows.map_err(backend)?.collect::<Result<_, _>>().map_err(backend)
            })
            .await
    }
}
