//! Idempotency keys: a POST sent again with the same `Idempotency-Key` (a client retrying after a
//! lost answer) gets the first answer back instead of creating a second resource. This module owns
//! the rules; the stores ([`IdempotencyStore`]) only make the claim atomic.
//!
//! - A key is scoped to its caller (the client, the enrollee's registration, or, for tokenless
//!   sign-up, the source address) and to the endpoint: [`record_key`] hashes the three, so a key is
//!   never shared across tenants and the stored key carries no personal data.
//! - The first request *claims* the key (a pending record, written only if none is live), runs, and
//!   stores its answer if it succeeded (2xx); any other answer releases the key, so the retry runs
//!   again (a refused request changed nothing worth remembering).
//! - The same key with the same request (method, path, body: [`fingerprint`]) within
//!   [`TTL_SECONDS`] gets the stored answer; with a different request, a 422; while the first is
//!   still running, a 409 with `Retry-After` (never a second run: concurrent duplicates create one
//!   resource).
//! - A pending claim whose request died with its process (no answer within [`PENDING_SECONDS`])
//!   can be claimed again, so a crash never locks a key for a day.

use crate::clock::Timestamp;
use crate::error::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an answer is kept for replay: the 24 hours.
pub const TTL_SECONDS: i64 = 24 * 3600;
/// How long a claim may stay unanswered before another request may take it over. Longer than any
/// request may run (API Gateway's own limit is 30 s).
pub const PENDING_SECONDS: i64 = 60;
/// Keys are 1–255 visible ASCII characters (a UUID is the usual choice).
pub const MAX_KEY_LEN: usize = 255;
/// Answers larger than this are not kept (none of ours come close); the request then runs as if
/// it carried no key, which is what the caller gets from a server without idempotency.
pub const MAX_STORED_BODY: usize = 256 * 1024;

/// A first answer, as it is replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub body: String,
}

/// What a store holds under one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fingerprint: String,
    /// `None` while the first request runs.
    pub response: Option<StoredResponse>,
    pub pending_until: Timestamp,
    pub expires_at: Timestamp,
}

impl Record {
    /// A fresh claim at `now`.
    pub fn pending(fingerprint: &str, now: Timestamp) -> Record {
        Record {
            fingerprint: fingerprint.to_string(),
            response: None,
            pending_until: Timestamp::from_unix_seconds(now.unix_seconds() + PENDING_SECONDS),
            expires_at: Timestamp::from_unix_seconds(now.unix_seconds() + TTL_SECONDS),
        }
    }

    /// Whether a new claim may replace this record at `now`: it expired, or it is a claim whose
    /// request never answered.
    pub fn claimable(&self, now: Timestamp) -> bool {
        self.expires_at <= now || (self.response.is_none() && self.pending_until <= now)
    }
}

/// The outcome of trying to claim a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This request holds the key: run it, then [`IdempotencyStore::complete`] or
    /// [`IdempotencyStore::release`].
    Claimed,
    /// A live record holds the key already.
    Held(Record),
}

/// What to do with a request whose key is held by `record`.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Replay(StoredResponse),
    /// The first request with this key is still running: 409, retry shortly.
    InProgress,
    /// The key was used for a different request: 422.
    Mismatch,
}

pub fn decide(record: &Record, fingerprint: &str) -> Decision {
    if record.fingerprint != fingerprint {
        return Decision::Mismatch;
    }
    match &record.response {
        Some(r) => Decision::Replay(r.clone()),
        None => Decision::InProgress,
    }
}

/// Whether a header value is a usable key.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic())
}

fn hex_sha256(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so no two different part lists hash the same bytes.
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// The stored key: the caller's scope (`client:<id>`, `registration:<id>`, `source:<address>`), the
/// endpoint and the header's key, hashed.
pub fn record_key(scope: &str, endpoint: &str, key: &str) -> String {
    hex_sha256(&[scope.as_bytes(), endpoint.as_bytes(), key.as_bytes()])
}

/// The request's identity: method, path with query, body.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    hex_sha256(&[method.as_bytes(), path_and_query.as_bytes(), body])
}

/// Where claims and first answers live, shared by every process of a deployment (the embedded
/// store on one node, the DynamoDB table in AWS), so a retry landing on another process or Lambda
/// sandbox is still recognised.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Writes `Record::pending(fingerprint, now)` under `key` if no record is there or the one
    /// there is [`Record::claimable`]; otherwise returns the live record. Atomic: of two requests
    /// racing for a key, exactly one gets `Claimed`.
    async fn claim(&self, key: &str, fingerprint: &str, now: Timestamp) -> Result<Claim, StoreError>;
    /// Stores the answer of the request holding the claim (same fingerprint, no answer yet);
    /// `Conflict` if the claim was lost meanwhile.
    async fn complete(&self, key: &str, fingerprint: &str, response: &StoredResponse) -> Result<(), StoreError>;
    /// Gives the claim up (a refused or failed request), if it is still this request's.
    async fn release(&self, key: &str, fingerprint: &str) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_claimable_once_expired_or_abandoned_while_pending() {
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        let later = |s: i64| Timestamp::from_unix_seconds(now.unix_seconds() + s);
        let mut r = Record::pending("f", now);
        assert!(!r.claimable(now));
        assert!(!r.claimable(later(PENDING_SECONDS - 1)));
        assert!(r.claimable(later(PENDING_SECONDS)), "a request that never answered frees its key");
        r.response = Some(StoredResponse { status: 201, content_type: None, body: "{}".into() });
        assert!(!r.claimable(later(PENDING_SECONDS)), "an answered key is kept for replay");
        assert!(!r.claimable(later(TTL_SECONDS - 1)));
        assert!(r.claimable(later(TTL_SECONDS)), "and forgotten after a day");
    }

    #[test]
    fn the_same_request_replays_a_different_one_is_a_mismatch_and_a_running_one_is_in_progress() {
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        let mut r = Record::pending(&fingerprint("POST", "/v3/projects", b"{\"a\":1}"), now);
        assert_eq!(decide(&r, &fingerprint("POST", "/v3/projects", b"{\"a\":1}")), Decision::InProgress);
        assert_eq!(decide(&r, &fingerprint("POST", "/v3/projects", b"{\"a\":2}")), Decision::Mismatch);
        let answer = StoredResponse { status: 201, content_type: Some("application/json".into()), body: "{\"data\":{}}".into() };
        r.response = Some(answer.clone());
        assert_eq!(decide(&r, &fingerprint("POST", "/v3/projects", b"{\"a\":1}")), Decision::Replay(answer));
        assert_eq!(decide(&r, &fingerprint("POST", "/v2/projects", b"{\"a\":1}")), Decision::Mismatch, "another path is another request");
    }

    #[test]
    fn keys_are_scoped_to_caller_and_endpoint_and_the_parts_cannot_be_shifted() {
        let k = record_key("client:a", "projects-create", "k1");
        assert_ne!(k, record_key("client:b", "projects-create", "k1"));
        assert_ne!(k, record_key("client:a", "webhooks-create", "k1"));
        assert_ne!(record_key("ab", "c", "k"), record_key("a", "bc", "k"));
        assert_eq!(k.len(), 64);
        assert!(valid_key("4f6b1c2e-8a1d-4d7e-9f3a-2b5c6d7e8f90"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"x".repeat(MAX_KEY_LEN + 1)));
        assert!(!valid_key("ünïcode"));
    }
}
