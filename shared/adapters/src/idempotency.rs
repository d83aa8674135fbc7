//! Idempotency keys in the embedded database: one row per key, claimed inside a write
//! transaction (the single writer connection makes the read-then-write atomic). Rows past their
//! day are deleted as new keys are claimed, so the table never grows beyond a day's keys.

use crate::sqlite::{SqliteStore, backend};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::idempotency::{Claim, IdempotencyStore, Record, StoredResponse};

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim(&self, key: &str, fingerprint: &str, now: Timestamp) -> Result<Claim, StoreError> {
        let (key, fingerprint) = (key.to_string(), fingerprint.to_string());
        self.write(move |conn, _| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute("DELETE FROM idempotency WHERE expires_at <= ?1", params![now.unix_seconds()]).map_err(backend)?;
            let held = tx
                .query_row("SELECT fingerprint, response, pending_until, expires_at FROM idempotency WHERE key = ?1", params![key], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
                })
                .optional()
                .map_err(backend)?;
            if let Some((fp, response, pending_until, expires_at)) = held {
                let record = Record {
                    fingerprint: fp,
                    response: response.map(|r| crate::sqlite::from_doc::<StoredResponse>(&r)).transpose()?,
                    pending_until: Timestamp::from_unix_seconds(pending_until),
                    expires_at: Timestamp::from_unix_seconds(expires_at),
                };
                if !record.claimable(now) {
                    return Ok(Claim::Held(record));
                }
            }
            let fresh = Record::pending(&fingerprint, now);
            tx.execute(
                "INSERT OR REPLACE INTO idempotency (key, fingerprint, response, pending_until, expires_at) VALUES (?1, ?2, NULL, ?3, ?4)",
                params![key, fingerprint, fresh.pending_until.unix_seconds(), fresh.expires_at.unix_seconds()],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(Claim::Claimed)
        })
        .await
    }

    async fn complete(&self, key: &str, fingerprint: &str, response: &StoredResponse) -> Result<(), StoreError> {
        let (key, fingerprint, doc) = (key.to_string(), fingerprint.to_string(), crate::sqlite::to_doc(response)?);
        self.write(move |conn, _| {
            let n = conn
                .execute(
                    "UPDATE idempotency SET response = ?3 WHERE key = ?1 AND fingerprint = ?2 AND response IS NULL",
                    params![key, fingerprint, doc],
                )
                .map_err(backend)?;
            if n == 1 { Ok(()) } else { Err(StoreError::Conflict) }
        })
        .await
    }

    async fn release(&self, key: &str, fingerprint: &str) -> Result<(), StoreError> {
        let (key, fingerprint) = (key.to_string(), fingerprint.to_string());
        self.write(move |conn, _| {
            conn.execute("DELETE FROM idempotency WHERE key = ?1 AND fingerprint = ?2 AND response IS NULL", params![key, fingerprint])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
