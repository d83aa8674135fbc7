//! App registrations in the embedded store: the record, the uniqueness keys it claims and its
//! events, each write in one SQLite transaction (so the outbox never disagrees with the record).
//! The `registration_keys` primary key is what refuses a second registration with the same email
//! or phone in a flow: a conditional write, not a read followed by a write.

use crate::sqlite::{SqliteStore, backend, from_doc, is_unique_violation, to_doc};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, RegistrationId};
use smartenroll_domain::ports::{BlocklistStore, Page, RegistrationStore};
use smartenroll_domain::query::RegistrationQuery;
use smartenroll_domain::registration::{Event, Registration, UniqueKey};

/// Appends the events and, in the same transaction, the job that turns them into webhook
/// deliveries (the outbox: no event without its dispatch, no dispatch without its event).
fn append_events(tx: &Transaction<'_>, events: &EventRows) -> Result<(), StoreError> {
    for (id, client, registration, doc) in &events.rows {
        tx.execute("INSERT INTO events (id, client, registration, doc) VALUES (?1, ?2, ?3, ?4)", params![id, client, registration, doc])
            .map_err(backend)?;
    }
    if let Some(body) = &events.dispatch {
        tx.execute(
            "INSERT INTO jobs (queue, body, visible_at) VALUES (?1, ?2, ?3)",
            params![crate::queue::JOBS_QUEUE, body, crate::queue::now_ms()],
        )
        .map_err(backend)?;
    }
    Ok(())
}

struct EventRows {
    rows: Vec<(String, String, String, String)>,
    dispatch: Option<String>,
}

fn event_rows(events: &[Event]) -> Result<EventRows, StoreError> {
    let rows = events
        .iter()
        .map(|e| Ok((e.id.clone(), e.client.to_string(), e.registration.to_string(), to_doc(e)?)))
        .collect::<Result<_, StoreError>>()?;
    Ok(EventRows { rows, dispatch: smartenroll_domain::jobs::Job::dispatch_body(events) })
}

#[async_trait]
impl RegistrationStore for SqliteStore {
    async fn create(&self, registration: &Registration, events: &[Event]) -> Result<(), StoreError> {
        let r = registration.clone();
        let doc = to_doc(&r)?;
        let keys: Vec<String> = r.unique_keys().into_iter().map(|k| k.key).collect();
        let events = event_rows(events)?;
        self.write(move |conn, _| {
            let tx = conn.transaction().map_err(backend)?;
            for key in &keys {
                tx.execute(
                    "INSERT INTO registration_keys (client, key, registration) VALUES (?1, ?2, ?3)",
                    params![r.client.as_str(), key, r.id.as_str()],
                )
                .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { backend(e) })?;
            }
            tx.execute(
                "INSERT INTO registrations (client, id, version, status, project, flow, created_at, expires_at, doc, erase_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    r.client.as_str(),
                    r.id.as_str(),
                    r.version as i64,
                    r.status.as_str(),
                    r.project.as_str(),
                    r.flow.as_str(),
                    r.created_at.to_iso(),
                    r.expires_at.unix_seconds(),
                    doc,
                    r.erase_due().map(|t| t.unix_millis())
                ],
            )
            .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { backend(e) })?;
            append_events(&tx, &events)?;
            tx.commit().map_err(backend)
        })
        .await?;
        self.signal_jobs();
        Ok(())
    }

    async fn get(&self, client: &ClientId, id: &RegistrationId) -> Result<Option<Registration>, StoreError> {
        let (client, id) = (client.clone(), id.clone());
        self.read(move |conn| {
            let doc: Option<String> = conn
                .prepare_cached("SELECT doc FROM registrations WHERE client = ?1 AND id = ?2")
                .and_then(|mut st| st.query_row(params![client.as_str(), id.as_str()], |r| r.get(0)).optional())
                .map_err(backend)?;
            doc.as_deref().map(from_doc).transpose()
        })
        .await
    }

    async fn update_with_jobs(
        &self,
        registration: &Registration,
        expected_version: u64,
        events: &[Event],
        jobs: &[String],
    ) -> Result<(), StoreError> {
        let jobs = jobs.to_vec();
        let r = registration.clone();
        let doc = to_doc(&r)?;
        let events = event_rows(events)?;
        self.write(move |conn, _| {
            let tx = conn.transaction().map_err(backend)?;
            let n = tx
                .execute(
                    "UPDATE registrations SET version = ?1, status = ?2, expires_at = ?3, doc = ?4, erase_at = ?8 WHERE client = ?5 AND id = ?6 AND version = ?7",
                    params![
                        r.version as i64,
                        r.status.as_str(),
                        r.expires_at.unix_seconds(),
                        doc,
                        r.client.as_str(),
                        r.id.as_str(),
                        expected_version as i64,
                        r.erase_due().map(|t| t.unix_millis())
                    ],
                )
                .map_err(backend)?;
            if n != 1 {
                return Err(StoreError::Conflict);
            }
            append_events(&tx, &events)?;
            let now = crate::queue::now_ms();
            for body in &jobs {
                tx.execute("INSERT INTO jobs (queue, body, visible_at) VALUES (?1, ?2, ?3)", params![crate::queue::JOBS_QUEUE, body, now])
                    .map_err(backend)?;
            }
            tx.commit().map_err(backend)
        })
        .await?;
        self.signal_jobs();
        Ok(())
    }

    async fn list(&self, client: &ClientId, query: &RegistrationQuery) -> Result<Page<Registration>, StoreError> {
        let (client, q) = (client.clone(), query.clone());
        self.read(move |conn| {
            let mut filter = String::from("client = ?");
            let mut args: Vec<String> = vec![client.to_string()];
            if let Some(statuses) = &q.statuses {
                if statuses.is_empty() {
                    return Ok(Page { items: vec![], total: 0, next: None });
                }
                filter.push_str(&format!(" AND status IN ({})", vec!["?"; statuses.len()].join(",")));
                args.extend(statuses.iter().map(|s| s.as_str().to_string()));
            }
            if let Some(p) = &q.project {
                filter.push_str(" AND project = ?");
                args.push(p.to_string());
            }
            if let Some(f) = &q.flow {
                filter.push_str(" AND flow = ?");
                args.push(f.to_string());
            }
            let tx = conn.transaction().map_err(backend)?;
            let total: i64 = tx
                .query_row(&format!("SELECT COUNT(*) FROM registrations WHERE {filter}"), params_from_iter(args.iter()), |r| r.get(0))
                .map_err(backend)?;
            args.push(q.limit.to_string());
            args.push(q.offset().to_string());
            let mut st = tx
                .prepare(&format!(
                    "SELECT doc FROM registrations WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
                ))
                .map_err(backend)?;
            let docs: Vec<String> =
                st.query_map(params_from_iter(args.iter()), |r| r.get(0)).and_then(|rows| rows.collect()).map_err(backend)?;
            let items = docs.iter().map(|d| from_doc(d)).collect::<Result<Vec<Registration>, _>>()?;
            Ok(Page { items, total: total as u64, next: None })
        })
        .await
    }

    async fn events(&self, client: &ClientId, id: &RegistrationId) -> Result<Vec<Event>, StoreError> {
        let (client, id) = (client.clone(), id.clone());
        self.read(move |conn| {
            let mut st =
                conn.prepare_cached("SELECT doc FROM events WHERE client = ?1 AND registration = ?2 ORDER BY seq").map_err(backend)?;
            let docs: Vec<String> =
                st.query_map(params![client.as_str(), id.as_str()], |r| r.get(0)).and_then(|rows| rows.collect()).map_err(backend)?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }

    /// One transaction, then a checkpoint that truncates the write-ahead log, so the erased rows
    /// survive neither in the database file (secure_delete) nor in the log's older frames.
    async fn erase(&self, client: &ClientId, id: &RegistrationId) -> Result<Option<u64>, StoreError> {
        let (client, id) = (client.clone(), id.clone());
        self.write(move |conn, _| {
            let tx = conn.transaction().map_err(backend)?;
            let n = tx
                .execute("DELETE FROM registrations WHERE client = ?1 AND id = ?2", params![client.as_str(), id.as_str()])
                .map_err(backend)?;
            if n == 0 {
                return Ok(None);
            }
            tx.execute("DELETE FROM registration_keys WHERE client = ?1 AND registration = ?2", params![client.as_str(), id.as_str()])
                .map_err(backend)?;
            let events = tx
                .execute("DELETE FROM events WHERE client = ?1 AND registration = ?2", params![client.as_str(), id.as_str()])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            // Other connections may hold the log open; a busy checkpoint is retried by the next erase.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "write-ahead log not truncated after an erasure");
            }
            Ok(Some(events as u64))
        })
        .await
    }

    async fn due_for_expiry(&self, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError> {
        let sql = "SELECT client, id FROM registrations WHERE status IN ('STARTED', 'ONGOING') AND expires_at <= ?1 ORDER BY expires_at, id LIMIT ?2";
        self.read(move |conn| work_list(conn, sql, now_ms.div_euclid(1000), max)).await
    }

    async fn due_for_erasure(&self, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError> {
        let sql = "SELECT client, id FROM registrations WHERE erase_at IS NOT NULL AND erase_at <= ?1 ORDER BY erase_at, id LIMIT ?2";
        self.read(move |conn| work_list(conn, sql, now_ms, max)).await
    }

    async fn key_holder(&self, client: &ClientId, key: &UniqueKey) -> Result<Option<RegistrationId>, StoreError> {
        let (client, key) = (client.clone(), key.key.clone());
        self.read(move |conn| {
            let id: Option<String> = conn
                .prepare_cached("SELECT registration FROM registration_keys WHERE client = ?1 AND key = ?2")
                .and_then(|mut st| st.query_row(params![client.as_str(), key], |r| r.get(0)).optional())
                .map_err(backend)?;
            id.map(|s| RegistrationId::parse(&s).map_err(|_| backend("a stored key names a malformed registration id"))).transpose()
        })
        .await
    }
}

/// A sweeper's work list: `(client, id)` rows of `sql`, which takes a time bound and a limit.
fn work_list(conn: &rusqlite::Connection, sql: &str, bound: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(backend)?;
    let rows: Vec<(String, String)> =
        st.query_map(params![bound, max], |r| Ok((r.get(0)?, r.get(1)?))).and_then(|rows| rows.collect()).map_err(backend)?;
    rows.iter()
        .map(|(c, i)| match (ClientId::parse(c), RegistrationId::parse(i)) {
            (Ok(c), Ok(i)) => Ok((c, i)),
            _ => Err(backend("a stored registration has a malformed id")),
        })
        .collect()
}

/// A list is replaced in one transaction, so a reader sees the old list or the new one.
#[async_trait]
impl BlocklistStore for SqliteStore {
    async fn replace_list(&self, client: &ClientId, flow: &smartenroll_domain::ids::FlowId, hashes: &[String]) -> Result<u64, StoreError> {
        let (client, flow, hashes) = (client.clone(), flow.clone(), hashes.to_vec());
        self.write(move |conn, _| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute("DELETE FROM blocklist WHERE client = ?1 AND flow = ?2", params![client.as_str(), flow.as_str()])
                .map_err(backend)?;
            let mut n = 0u64;
            {
                let mut insert =
                    tx.prepare_cached("INSERT OR IGNORE INTO blocklist (client, flow, hash) VALUES (?1, ?2, ?3)").map_err(backend)?;
                for h in &hashes {
                    n += insert.execute(params![client.as_str(), flow.as_str(), h]).map_err(backend)? as u64;
                }
            }
            tx.commit().map_err(backend)?;
            Ok(n)
        })
        .await
    }

    async fn any_listed(&self, client: &ClientId, flow: &smartenroll_domain::ids::FlowId, hashes: &[String]) -> Result<bool, StoreError> {
        if hashes.is_empty() {
            return Ok(false);
        }
        let (client, flow, hashes) = (client.clone(), flow.clone(), hashes.to_vec());
        self.read(move |conn| {
            let marks = vec!["?"; hashes.len()].join(",");
            let sql = format!("SELECT 1 FROM blocklist WHERE client = ? AND flow = ? AND hash IN ({marks}) LIMIT 1");
            let args = [client.as_str().to_string(), flow.as_str().to_string()].into_iter().chain(hashes);
            conn.prepare(&sql).and_then(|mut st| st.exists(params_from_iter(args))).map_err(backend)
        })
        .await
    }
}
