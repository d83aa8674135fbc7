//! Adapters: the single-node implementations of the domain's ports.
//!
//! - [`sqlite::SqliteStore`]: projects and clients in one SQLite file (WAL, `synchronous=FULL`), so
//!   every write is durable and transactional, and the operator CLI can read and write the same data
//!   directory while the server runs (SQLite coordinates processes; an in-process-only engine would
//!   not let `smartenroll token issue` look up a client next to a running server).
//! - [`registrations`]: app registrations, their uniqueness keys and events in the same database,
//!   each change with its events in one transaction.
//! - [`idempotency`]: idempotency keys and first answers in the same database.
//! - [`queue::SqliteQueue`]: durable job queues in the same database, with SQS's semantics.
//! - [`files::FsBlobs`]: documents and selfies as files, written atomically.
//! - [`memory::MemoryRateLimiter`]: fixed-window counters in process memory. Exact under
//!   concurrency (one mutex), and durability is not needed: one server process owns a data dir.

pub mod files;
pub mod idempotency;
pub mod memory;
pub mod queue;
pub mod registrations;
pub mod sqlite;
pub mod webhooks;
