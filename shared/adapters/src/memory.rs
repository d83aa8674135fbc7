//! In-process rate-limit counters.

use async_trait::async_trait;
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ports::RateLimiter;
use smartenroll_domain::ratelimit::{Category, RateDecision, RateKey};
use std::collections::HashMap;
use std::sync::Mutex;

/// One counter per (subject, category), holding the current window only. Subjects include every
/// registration that made a call, so counters of windows long past are dropped once the map grows.
#[derive(Default)]
pub struct MemoryRateLimiter {
    counters: Mutex<HashMap<(String, Category), (i64, u64)>>,
}

/// Past this many counters, those of finished windows are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl MemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, key: &RateKey, limit: u32, _now: Timestamp) -> Result<RateDecision, StoreError> {
        let mut counters = self.counters.lock().map_err(|_| StoreError::Backend("rate-limit counters poisoned".into()))?;
        if counters.len() > PRUNE_ABOVE {
            // Keep the counters whose window has not ended (windows differ by category).
            let now = key.window_start;
            counters.retain(|(_, category), (window, _)| *window + category.window_seconds() > now);
        }
        let entry = counters.entry((key.subject.clone(), key.category)).or_insert((key.window_start, 0));
        if entry.0 != key.window_start {
            *entry = (key.window_start, 0);
        }
        // Stop counting just past the limit: refused requests keep the counter there.
        entry.1 = (entry.1 + 1).min(u64::from(limit) + 1);
        Ok(RateDecision::from_count(key, limit, entry.1))
    }
}
