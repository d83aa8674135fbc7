//! What handlers need, built once per process (server start or Lambda cold start).

use crate::auth::JwtKeys;
use smartenroll_domain::clock::Clock;
use smartenroll_domain::ids::{CodeGenerator, IdGenerator};
use smartenroll_domain::ports::{BlobStore, ClientStore, JobQueue, ProjectStore, RateLimiter};
use smartenroll_domain::ratelimit::RateLimits;
use std::sync::Arc;

pub struct Deps {
    pub projects: Arc<dyn ProjectStore>,
    pub clients: Arc<dyn ClientStore>,
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Documents and selfies.
    pub blobs: Arc<dyn BlobStore>,
    /// Asynchronous work (see [`crate::jobs`]).
    pub jobs: Arc<dyn JobQueue>,
    pub limits: RateLimits,
    pub jwt: JwtKeys,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub codes: Arc<dyn CodeGenerator>,
}

/// Random decimal codes from the operating system's generator.
pub struct OsCodes;

impl CodeGenerator for OsCodes {
    fn digits(&self, n: usize) -> String {
        let mut bytes = vec![0u8; n * 2];
        if getrandom::fill(&mut bytes).is_err() {
            // The OS generator does not fail on supported platforms; refuse to make a guessable code.
            return String::new();
        }
        bytes.chunks(2).map(|c| char::from(b'0' + ((u16::from(c[0]) << 8 | u16::from(c[1])) % 10) as u8)).collect()
    }
}
