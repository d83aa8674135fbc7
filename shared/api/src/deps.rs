//! What handlers need, built once per process (server start or Lambda cold start).

use crate::auth::JwtKeys;
use smartenroll_domain::clock::Clock;
use smartenroll_domain::ids::{CodeGenerator, IdGenerator};
use smartenroll_domain::ports::{
    BlacklistApi, BlobStore, BlocklistStore, ClientStore, JobQueue, Messenger, ProjectStore, RateLimiter, RegistrationStore, RemoteImages,
};
use smartenroll_domain::ratelimit::RateLimits;
use std::sync::Arc;

pub struct Deps {
    pub projects: Arc<dyn ProjectStore>,
    pub clients: Arc<dyn ClientStore>,
    /// App registrations, their uniqueness keys and events.
    pub registrations: Arc<dyn RegistrationStore>,
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Documents and selfies.
    pub blobs: Arc<dyn BlobStore>,
    /// Asynchronous work (see [`crate::jobs`]).
    pub jobs: Arc<dyn JobQueue>,
    /// Email and text-message providers (one-time codes).
    pub messenger: Arc<dyn Messenger>,
    /// Operators' blocklist APIs (flows with `source: API`, `strategy: blacklist`).
    pub blacklist: Arc<dyn BlacklistApi>,
    /// Operators' uploaded blocklists (flows with `source: CSV`), as keyed hashes.
    pub blocklists: Arc<dyn BlocklistStore>,
    /// Webhooks and their delivery (`None` where the backend has no webhook store yet: the
    /// endpoints answer 503).
    pub webhooks: Option<Arc<crate::webhooks::WebhookRuntime>>,
    /// The face engine, loaded once at start (`None` where its models are not configured: the
    /// face APIs answer 503 and selfie checks go to a reviewer, saying why).
    pub biometrics: Option<Arc<smartenroll_biometrics::Biometrics>>,
    /// Images the face APIs are given as `https://` URLs, fetched through the outbound guard.
    pub remote_images: Arc<dyn RemoteImages>,
    /// Claims and first answers of `Idempotency-Key` requests (see [`crate::idempotency`]).
    pub idempotency: Arc<dyn smartenroll_domain::idempotency::IdempotencyStore>,
    pub limits: RateLimits,
    pub jwt: JwtKeys,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub codes: Arc<dyn CodeGenerator>,
    pub enrollment: EnrollmentSettings,
}

/// Settings of the enrollee side, read once at start.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentSettings {
    /// Where the hosted enrollment pages live (`SMARTENROLL_PUBLIC_URL`). Links sent to enrollees
    /// are built from this, never from a request's Host header (which a caller controls).
    pub public_url: Option<String>,
    /// How long a registration may stay unfinished (`SMARTENROLL_REGISTRATION_LIFETIME_HOURS`).
    pub lifetime_seconds: i64,
    /// One-time codes; the lifetime can be shortened with `SMARTENROLL_OTP_TTL_SECONDS`.
    pub otp: smartenroll_domain::otp::OtpPolicy,
}

impl Default for EnrollmentSettings {
    fn default() -> Self {
        Self {
            public_url: None,
            lifetime_seconds: smartenroll_domain::registration::DEFAULT_LIFETIME_HOURS * 3600,
            otp: Default::default(),
        }
    }
}

impl EnrollmentSettings {
    /// From the two variables' values (unset = `None`).
    pub fn parse(public_url: Option<&str>, lifetime_hours: Option<&str>, otp_ttl_seconds: Option<&str>) -> Result<Self, String> {
        let mut s = Self::default();
        if let Some(raw) = public_url.map(str::trim).filter(|v| !v.is_empty()) {
            match url::Url::parse(raw) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.query().is_none() => {
                    s.public_url = Some(raw.trim_end_matches('/').to_string());
                }
                _ => return Err(format!("SMARTENROLL_PUBLIC_URL must be an http(s) base URL without a query, got {raw:?}")),
            }
        }
        if let Some(raw) = lifetime_hours.map(str::trim).filter(|v| !v.is_empty()) {
            // Fractions of an hour are allowed (tests use seconds-long lifetimes).
            match raw.parse::<f64>() {
                Ok(h) if h.is_finite() && h * 3600.0 >= 1.0 && h <= 8760.0 => s.lifetime_seconds = (h * 3600.0).round() as i64,
                _ => return Err(format!("SMARTENROLL_REGISTRATION_LIFETIME_HOURS must be from 1 second to 8760 hours, got {raw:?}")),
            }
        }
        if let Some(raw) = otp_ttl_seconds.map(str::trim).filter(|v| !v.is_empty()) {
            match raw.parse::<i64>() {
                Ok(t) if (1..=3600).contains(&t) => s.otp.ttl_seconds = t,
                _ => return Err(format!("SMARTENROLL_OTP_TTL_SECONDS must be 1 to 3600, got {raw:?}")),
            }
        }
        Ok(s)
    }
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
