//! The embedded store: SQLite in WAL mode. One writer connection (SQLite serialises writers
//! anyway) and a few reader connections, so scans never wait behind a write's fsync. Writes and
//! scans run on tokio's blocking pool. Records are stored as JSON documents with the columns that
//! lists filter and sort on beside them.
//!
//! Point reads (a project by id, a client by id — every authenticated request does both) are served
//! from a bounded write-through cache of parsed records. That is exact, not eventually consistent,
//! because one server process owns a data directory (the server lock) and every change to a
//! cached record goes through this store: each write updates the cache inside the writer's
//! critical section, and a cache miss is filled inside that same critical section, so an older
//! read can never overwrite a newer write. (The operator CLI only adds clients, which a miss finds.)

use async_trait::async_trait;
use quick_cache::sync::Cache;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use smartenroll_domain::client::Client;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, ProjectId};
use smartenroll_domain::ports::{ClientStore, Page, ProjectStore};
use smartenroll_domain::project::Project;
use smartenroll_domain::query::{ListCursor, ProjectQuery};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const READERS: usize = 4;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: [&str; 10] = [
    "
    CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE projects (
        client TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        target TEXT NOT NULL,
        name_lower TEXT NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (client, id)
    ) WITHOUT ROWID;
    CREATE INDEX projects_newest_first ON projects (client, created_at DESC, id DESC);
",
    // Job queues (see `queue`): a job is visible when `visible_at` (unix ms) has passed; `dead`
    // marks a job that used up its receives (the dead-letter queue).
    "
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        queue TEXT NOT NULL,
        body TEXT NOT NULL,
        visible_at INTEGER NOT NULL,
        receives INTEGER NOT NULL DEFAULT 0,
        dead INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_ready ON jobs (queue, dead, visible_at, id);
",
    // App registrations (see `registrations`): the record, the uniqueness keys it claims (one
    // email or phone per flow, enforced by the primary key) and its events (the outbox).
    "
    CREATE TABLE registrations (
        client TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        project TEXT NOT NULL,
        flow TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (client, id)
    ) WITHOUT ROWID;
    CREATE INDEX registrations_newest_first ON registrations (client, created_at DESC, id DESC);
    CREATE TABLE registration_keys (
        client TEXT NOT NULL,
        key TEXT NOT NULL,
        registration TEXT NOT NULL,
        PRIMARY KEY (client, key)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        client TEXT NOT NULL,
        registration TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX events_by_registration ON events (client, registration, seq);
",
    // The expiry sweeper's work list: unfinished registrations by the end of their lifetime.
    "
    CREATE INDEX registrations_expiry ON registrations (status, expires_at);
",
    // Who owns a project or project-flow id (`ProjectStore::locate`): the project-flows resource
    // and the public enrollee reads arrive with an id alone. Rows are written in each project
    // write's transaction; existing projects are backfilled.
    "
    CREATE TABLE project_lookup (
        id TEXT PRIMARY KEY,
        client TEXT NOT NULL,
        project TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX project_lookup_by_project ON project_lookup (project);
    INSERT INTO project_lookup (id, client, project) SELECT id, client, id FROM projects;
    INSERT OR IGNORE INTO project_lookup (id, client, project)
        SELECT json_extract(doc, '$.flow.id'), client, id FROM projects WHERE json_extract(doc, '$.flow.id') IS NOT NULL;
",
    // The retention sweeper's work list: finished registrations by when their retention ends
    // (unix ms; NULL while unfinished or kept until deleted).
    "
    ALTER TABLE registrations ADD COLUMN erase_at INTEGER;
    CREATE INDEX registrations_erasure ON registrations (erase_at) WHERE erase_at IS NOT NULL;
",
    // Operators' blocklists (keyed hashes of identifiers), per flow.
    "
    CREATE TABLE blocklist (
        client TEXT NOT NULL,
        flow TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (client, flow, hash)
    ) WITHOUT ROWID;
",
    // Webhooks and their delivery log (see `webhooks`).
    "
    CREATE TABLE webhooks (
        client TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (client, id)
    ) WITHOUT ROWID;
    CREATE TABLE webhook_deliveries (
        client TEXT NOT NULL,
        id TEXT NOT NULL,
        webhook TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (client, id)
    ) WITHOUT ROWID;
    CREATE INDEX webhook_deliveries_newest_first ON webhook_deliveries (client, webhook, created_at DESC, id DESC);
",
    // Idempotency keys and first answers (see `idempotency`); times are unix seconds.
    "
    CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        response TEXT,
        pending_until INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_expiry ON idempotency (expires_at);
",
    // Clients by contact key (a hash of the normalised email or phone), for logins. Rows for the
    // clients created before this migration are filled in by `migrate`.
    "
    CREATE TABLE client_contacts (
        contact TEXT NOT NULL,
        client TEXT NOT NULL,
        PRIMARY KEY (contact, client)
    ) WITHOUT ROWID;
",
];

/// `client`'s rows of the contacts table (inside the caller's transaction).
fn write_contacts(tx: &rusqlite::Transaction<'_>, client: &Client) -> Result<(), StoreError> {
    for key in client.contact_keys() {
        tx.execute("INSERT OR IGNORE INTO client_contacts (contact, client) VALUES (?1, ?2)", params![key, client.id.as_str()])
            .map_err(backend)?;
    }
    Ok(())
}

/// Rewrites `project`'s rows of the lookup table (inside the caller's transaction).
fn write_lookup(tx: &rusqlite::Transaction<'_>, project: &Project) -> Result<(), StoreError> {
    tx.execute("DELETE FROM project_lookup WHERE project = ?1", params![project.id.as_str()]).map_err(backend)?;
    let mut insert = tx.prepare_cached("INSERT INTO project_lookup (id, client, project) VALUES (?1, ?2, ?3)").map_err(backend)?;
    for id in project.lookup_ids() {
        insert
            .execute(params![id, project.client.as_str(), project.id.as_str()])
            .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { backend(e) })?;
    }
    Ok(())
}

/// Records kept parsed in memory, per kind.
const CACHED_RECORDS: usize = 10_000;

type ProjectKey = (ClientId, ProjectId);

pub(crate) struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    projects: Cache<ProjectKey, Arc<Project>>,
    clients: Cache<ClientId, Arc<Client>>,
}

/// Signalled after a commit that queued jobs, so idle workers start at once instead of at their
/// next poll. One per process: a server owns one data directory (another store in the same
/// process only causes a spurious wake-up, after which a worker polls and waits again).
static JOBS_ADDED: std::sync::LazyLock<Arc<tokio::sync::Notify>> = std::sync::LazyLock::new(Default::default);

/// Projects and clients in one SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!("could not enable WAL (journal_mode is {mode})")));
    }
    conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
    // Deleted content is overwritten, not left in free pages: an erased registration's personal
    // data cannot be read back from the file.
    conn.pragma_update(None, "secure_delete", "ON").map_err(backend)?;
    // Reads through a memory map instead of a read() per page.
    conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024).map_err(backend)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = open_connection(path)?;
        migrate(&mut writer)?;
        let readers = (0..READERS).map(|_| open_connection(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                projects: Cache::new(CACHED_RECORDS),
                clients: Cache::new(CACHED_RECORDS),
            }),
        })
    }

    /// What workers of this process's queues wait on between polls (see `JOBS_ADDED`).
    pub fn job_signal() -> Arc<tokio::sync::Notify> {
        JOBS_ADDED.clone()
    }

    pub(crate) fn signal_jobs(&self) {
        JOBS_ADDED.notify_waiters();
    }

    /// Runs `f` with the writer connection and the caches, inside the writer's critical section.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().map_err(|_| backend("writer connection poisoned"))?;
            f(&mut conn, &inner)
        })
        .await
        .map_err(backend)?
    }

    /// Takes an idle reader connection (waiting only if every one is busy) and runs `f` with it.
    fn read_now<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let inner = &self.inner;
        let start = inner.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..inner.readers.len() {
            if let Ok(mut conn) = inner.readers[(start + i) % inner.readers.len()].try_lock() {
                return f(&mut conn);
            }
        }
        let mut conn = inner.readers[start % inner.readers.len()].lock().map_err(|_| backend("reader connection poisoned"))?;
        f(&mut conn)
    }

    /// Scans (lists) run on the blocking pool: their cost grows with the data.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_now(f)).await.map_err(backend)?
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(backend)?;
    let done: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(backend)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        tx.execute_batch(sql).map_err(backend)?;
        if sql.contains("CREATE TABLE client_contacts") {
            let docs: Vec<String> = tx
                .prepare("SELECT doc FROM clients")
                .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>())
                .map_err(backend)?;
            for doc in docs {
                write_contacts(&tx, &from_doc::<Client>(&doc)?)?;
            }
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64).map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

pub(crate) fn to_doc<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(backend)
}
pub(crate) fn from_doc<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Backend(format!("stored document does not parse: {e}")))
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

#[async_trait]
impl ProjectStore for SqliteStore {
    async fn insert(&self, project: &Project) -> Result<(), StoreError> {
        let p = project.clone();
        let doc = to_doc(&p)?;
        self.write(move |conn, inner| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute(
                "INSERT INTO projects (client, id, version, status, target, name_lower, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    p.client.as_str(),
                    p.id.as_str(),
                    p.version as i64,
                    p.status.as_str(),
                    p.config.target.as_str(),
                    p.config.name.to_lowercase(),
                    p.created_at.to_iso(),
                    doc
                ],
            )
            .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { backend(e) })?;
            write_lookup(&tx, &p)?;
            tx.commit().map_err(backend)?;
            inner.projects.insert((p.client.clone(), p.id.clone()), Arc::new(p));
            Ok(())
        })
        .await
    }

    async fn get(&self, client: &ClientId, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        let key = (client.clone(), id.clone());
        if let Some(p) = self.inner.projects.get(&key) {
            return Ok(Some(Project::clone(&p)));
        }
        self.write(move |conn, inner| {
            if let Some(p) = inner.projects.get(&key) {
                return Ok(Some(Project::clone(&p)));
            }
            let doc: Option<String> = conn
                .prepare_cached("SELECT doc FROM projects WHERE client = ?1 AND id = ?2")
                .and_then(|mut st| st.query_row(params![key.0.as_str(), key.1.as_str()], |r| r.get(0)).optional())
                .map_err(backend)?;
            let project: Option<Project> = doc.as_deref().map(from_doc).transpose()?;
            if let Some(p) = &project {
                inner.projects.insert(key, Arc::new(p.clone()));
            }
            Ok(project)
        })
        .await
    }

    async fn replace(&self, project: &Project, previous: &Project) -> Result<(), StoreError> {
        let (p, expected_version) = (project.clone(), previous.version);
        // Most writes change no flow: the lookup rows are rewritten only when the ids change.
        let ids_changed = project.lookup_ids() != previous.lookup_ids();
        let doc = to_doc(&p)?;
        self.write(move |conn, inner| {
            let tx = conn.transaction().map_err(backend)?;
            let n = tx
                .execute(
                    "UPDATE projects SET version = ?1, status = ?2, target = ?3, name_lower = ?4, doc = ?5 WHERE client = ?6 AND id = ?7 AND version = ?8",
                    params![
                        p.version as i64,
                        p.status.as_str(),
                        p.config.target.as_str(),
                        p.config.name.to_lowercase(),
                        doc,
                        p.client.as_str(),
                        p.id.as_str(),
                        expected_version as i64
                    ],
                )
                .map_err(backend)?;
            if n != 1 {
                return Err(StoreError::Conflict);
            }
            if ids_changed {
                write_lookup(&tx, &p)?;
            }
            tx.commit().map_err(backend)?;
            inner.projects.insert((p.client.clone(), p.id.clone()), Arc::new(p));
            Ok(())
        })
        .await
    }

    async fn delete(&self, project: &Project, jobs: &[String]) -> Result<(), StoreError> {
        let (client, id, expected_version) = (project.client.clone(), project.id.clone(), project.version);
        let jobs = jobs.to_vec();
        let queued = !jobs.is_empty();
        self.write(move |conn, inner| {
            let tx = conn.transaction().map_err(backend)?;
            let n = tx
                .execute(
                    "DELETE FROM projects WHERE client = ?1 AND id = ?2 AND version = ?3",
                    params![client.as_str(), id.as_str(), expected_version as i64],
                )
                .map_err(backend)?;
            if n != 1 {
                return Err(StoreError::Conflict);
            }
            tx.execute("DELETE FROM project_lookup WHERE project = ?1", params![id.as_str()]).map_err(backend)?;
            let now = crate::queue::now_ms();
            for body in &jobs {
                tx.execute("INSERT INTO jobs (queue, body, visible_at) VALUES (?1, ?2, ?3)", params![crate::queue::JOBS_QUEUE, body, now])
                    .map_err(backend)?;
            }
            tx.commit().map_err(backend)?;
            inner.projects.remove(&(client, id));
            Ok(())
        })
        .await?;
        if queued {
            self.signal_jobs();
        }
        Ok(())
    }

    async fn locate(&self, id: &str) -> Result<Option<(ClientId, ProjectId)>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .prepare_cached("SELECT client, project FROM project_lookup WHERE id = ?1")
                .and_then(|mut st| st.query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(backend)?;
            row.map(|(c, p)| Ok((ClientId::parse(&c).map_err(backend)?, ProjectId::parse(&p).map_err(backend)?))).transpose()
        })
        .await
    }

    async fn list(&self, client: &ClientId, query: &ProjectQuery) -> Result<Page<Project>, StoreError> {
        let (client, q) = (client.clone(), query.clone());
        self.read(move |conn| {
            let mut filter = String::from("client = ?");
            let mut args: Vec<String> = vec![client.as_str().to_string()];
            if let Some(name) = &q.name_contains {
                filter.push_str(" AND instr(name_lower, ?) > 0");
                args.push(name.clone());
            }
            if let Some(statuses) = &q.statuses {
                if statuses.is_empty() {
                    return Ok(Page { items: vec![], total: 0, next: None });
                }
                filter.push_str(&format!(" AND status IN ({})", vec!["?"; statuses.len()].join(",")));
                args.extend(statuses.iter().map(|s| s.as_str().to_string()));
            }
            if let Some(t) = q.target {
                filter.push_str(" AND target = ?");
                args.push(t.as_str().to_string());
            }
            if let Some(prefix) = &q.created_prefix {
                filter.push_str(" AND substr(created_at, 1, length(?)) = ?");
                args.push(prefix.clone());
                args.push(prefix.clone());
            }
            let tx = conn.transaction().map_err(backend)?;
            let mut page_filter = filter.clone();
            let mut page_args = args.clone();
            if let Some(after) = &q.after {
                page_filter.push_str(" AND (created_at, id) < (?, ?)");
                page_args.push(after.created.clone());
                page_args.push(after.id.clone());
            }
            let total: i64 = tx
                .query_row(&format!("SELECT COUNT(*) FROM projects WHERE {filter}"), params_from_iter(args.iter()), |r| r.get(0))
                .map_err(backend)?;
            // One more than the page, to know whether a next page exists.
            page_args.push((q.limit + 1).to_string());
            page_args.push(q.offset().to_string());
            let mut st = tx
                .prepare(&format!(
                    "SELECT doc FROM projects WHERE {page_filter} ORDER BY created_at DESC, id DESC LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
                ))
                .map_err(backend)?;
            let docs: Vec<String> = st
                .query_map(params_from_iter(page_args.iter()), |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(backend)?;
            let mut items = docs.iter().map(|d| from_doc(d)).collect::<Result<Vec<Project>, _>>()?;
            let more = items.len() > q.limit as usize;
            items.truncate(q.limit as usize);
            let next = if more { items.last().map(ListCursor::of) } else { None };
            Ok(Page { items, total: total as u64, next })
        })
        .await
    }
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        let c = client.clone();
        let doc = to_doc(&c)?;
        self.write(move |conn, inner| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute("INSERT INTO clients (id, version, doc) VALUES (?1, ?2, ?3)", params![c.id.as_str(), c.version as i64, doc])
                .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { backend(e) })?;
            write_contacts(&tx, &c)?;
            tx.commit().map_err(backend)?;
            inner.clients.insert(c.id.clone(), Arc::new(c));
            Ok(())
        })
        .await
    }

    async fn find_by_contact(&self, key: &str) -> Result<Vec<ClientId>, StoreError> {
        let key = key.to_string();
        self.read(move |conn| {
            let ids: Vec<String> = conn
                .prepare_cached("SELECT client FROM client_contacts WHERE contact = ?1 ORDER BY client")
                .and_then(|mut st| st.query_map(params![key], |r| r.get(0))?.collect::<Result<_, _>>())
                .map_err(backend)?;
            ids.iter().map(|id| ClientId::parse(id).map_err(|_| backend("a stored client id is malformed"))).collect()
        })
        .await
    }

    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        if let Some(c) = self.inner.clients.get(id) {
            return Ok(Some(Client::clone(&c)));
        }
        let id = id.clone();
        self.write(move |conn, inner| {
            if let Some(c) = inner.clients.get(&id) {
                return Ok(Some(Client::clone(&c)));
            }
            let doc: Option<String> = conn
                .prepare_cached("SELECT doc FROM clients WHERE id = ?1")
                .and_then(|mut st| st.query_row(params![id.as_str()], |r| r.get(0)).optional())
                .map_err(backend)?;
            let client: Option<Client> = doc.as_deref().map(from_doc).transpose()?;
            if let Some(c) = &client {
                inner.clients.insert(id, Arc::new(c.clone()));
            }
            Ok(client)
        })
        .await
    }

    async fn replace(&self, client: &Client, expected_version: u64) -> Result<(), StoreError> {
        let c = client.clone();
        let doc = to_doc(&c)?;
        self.write(move |conn, inner| {
            let n = conn
                .execute(
                    "UPDATE clients SET version = ?1, doc = ?2 WHERE id = ?3 AND version = ?4",
                    params![c.version as i64, doc, c.id.as_str(), expected_version as i64],
                )
                .map_err(backend)?;
            if n != 1 {
                return Err(StoreError::Conflict);
            }
            inner.clients.insert(c.id.clone(), Arc::new(c));
            Ok(())
        })
        .await
    }
}
