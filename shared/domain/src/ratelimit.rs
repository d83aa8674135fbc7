//! Rate limits: per client token, per category, per fixed one-minute window. Fixed windows (rather
//! than a token bucket) because the AWS implementation is one DynamoDB item per
//! (client, category, window) updated with a conditional `ADD`, which gives exact counts under any
//! concurrency; the in-process implementation mirrors the same semantics.

use crate::ids::ClientId;
use std::collections::BTreeMap;

pub const WINDOW_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Projects,
    ProjectFlows,
    DocumentVerification,
    BiometricVerification,
    BackgroundChecks,
    /// Product addition: an enrollee's calls, counted per registration (not against the
    /// operator's budget: one busy enrollee must not slow the operator's API down).
    Enrollee,
    /// Product addition: registrations started without a token (hosted sign-up), per source IP.
    PublicSignUp,
    /// Product addition: the public project view a hosted page renders, per source IP.
    PublicRead,
    /// Product addition: one-time codes sent to one email or phone number, per hour, across all
    /// registrations (against SMS pumping: many sign-ups aimed at one premium number).
    OtpDestination,
    /// Product addition: operators' passwordless logins (codes asked for and confirmed), per
    /// source IP: against guessing codes and probing which addresses have accounts.
    PublicLogin,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Projects,
        Category::ProjectFlows,
        Category::DocumentVerification,
        Category::BiometricVerification,
        Category::BackgroundChecks,
        Category::Enrollee,
        Category::PublicSignUp,
        Category::PublicRead,
        Category::OtpDestination,
        Category::PublicLogin,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Projects => "projects",
            Category::ProjectFlows => "projectFlows",
            Category::DocumentVerification => "documentVerification",
            Category::BiometricVerification => "biometricVerification",
            Category::BackgroundChecks => "backgroundChecks",
            Category::Enrollee => "enrollee",
            Category::PublicSignUp => "publicSignUp",
            Category::PublicRead => "publicRead",
            Category::OtpDestination => "otpDestination",
            Category::PublicLogin => "publicLogin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
    /// The documented per-minute defaults (SmartEnroll self-hosted guide).
    pub fn default_limit(self) -> u32 {
        match self {
            Category::Projects => 100,
            Category::ProjectFlows => 50,
            Category::DocumentVerification => 20,
            Category::BiometricVerification => 10,
            Category::BackgroundChecks => 5,
            Category::Enrollee => 60,
            Category::PublicSignUp => 10,
            Category::PublicRead => 120,
            Category::OtpDestination => 10,
            Category::PublicLogin => 10,
        }
    }
    /// The counting window: a minute, except codes per destination (an hour).
    pub fn window_seconds(self) -> i64 {
        match self {
            Category::OtpDestination => 3600,
            _ => WINDOW_SECONDS,
        }
    }
}

/// Requests per minute for each category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits(BTreeMap<Category, u32>);

impl Default for RateLimits {
    fn default() -> Self {
        Self(Category::ALL.into_iter().map(|c| (c, c.default_limit())).collect())
    }
}

impl RateLimits {
    pub fn limit(&self, c: Category) -> u32 {
        self.0.get(&c).copied().unwrap_or_else(|| c.default_limit())
    }
    /// Overrides from `projects=1000,documentVerification=40`.
    pub fn with_overrides(mut self, spec: &str) -> Result<Self, String> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("expected category=limit, got {part:?}"))?;
            let cat = Category::parse(k).ok_or_else(|| format!("unknown rate-limit category {k:?}"))?;
            let n: u32 = v.trim().parse().map_err(|_| format!("rate limit for {k} must be a positive integer"))?;
            if n == 0 {
                return Err(format!("rate limit for {k} must be at least 1"));
            }
            self.0.insert(cat, n);
        }
        Ok(self)
    }
}

/// One counter: a subject's requests of one category in one window. The subject is a client id,
/// or `reg-<registrationId>` for an enrollee, or `ip-<hash>` for a public sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey {
    pub subject: String,
    pub category: Category,
    /// Unix seconds at the start of the window.
    pub window_start: i64,
}

impl RateKey {
    pub fn at(client: &ClientId, category: Category, now_seconds: i64) -> Self {
        Self::of(client.to_string(), category, now_seconds)
    }
    /// An enrollee's counter: per registration.
    pub fn for_registration(registration: &crate::ids::RegistrationId, now_seconds: i64) -> Self {
        Self::of(format!("reg-{registration}"), Category::Enrollee, now_seconds)
    }
    /// A public (tokenless) call's counter: per source (an opaque hash of the address, never the
    /// address) and category.
    pub fn for_source(source_hash: &str, category: Category, now_seconds: i64) -> Self {
        Self::of(format!("ip-{source_hash}"), category, now_seconds)
    }
    /// One-time codes sent to one destination (an opaque keyed hash of it, never the address).
    pub fn for_destination(destination_hash: &str, now_seconds: i64) -> Self {
        Self::of(format!("dest-{destination_hash}"), Category::OtpDestination, now_seconds)
    }
    fn of(subject: String, category: Category, now_seconds: i64) -> Self {
        let window = category.window_seconds();
        Self { subject, category, window_start: now_seconds - now_seconds.rem_euclid(window) }
    }
    pub fn reset_at(&self) -> i64 {
        self.window_start + self.category.window_seconds()
    }
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the window ends.
    pub reset_at: i64,
}

impl RateDecision {
    /// Given the count after this request was (or would have been) added.
    pub fn from_count(key: &RateKey, limit: u32, count_including_this: u64) -> Self {
        let allowed = count_including_this <= u64::from(limit);
        Self {
            allowed,
            limit,
            remaining: u64::from(limit).saturating_sub(count_including_this.min(u64::from(limit))) as u32,
            reset_at: key.reset_at(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_defaults_apply_until_overridden() {
        let l = RateLimits::default();
        assert_eq!(l.limit(Category::Projects), 100);
        assert_eq!(l.limit(Category::BackgroundChecks), 5);
        let l = l.with_overrides("projects=2000, backgroundChecks=7").unwrap();
        assert_eq!(l.limit(Category::Projects), 2000);
        assert_eq!(l.limit(Category::BackgroundChecks), 7);
        assert_eq!(l.limit(Category::ProjectFlows), 50);
    }

    #[test]
    fn bad_overrides_name_the_problem() {
        assert!(RateLimits::default().with_overrides("projects").unwrap_err().contains("category=limit"));
        assert!(RateLimits::default().with_overrides("robots=3").unwrap_err().contains("robots"));
        assert!(RateLimits::default().with_overrides("projects=0").is_err());
    }

    #[test]
    fn windows_are_aligned_to_the_minute() {
        let c = ClientId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let k = RateKey::at(&c, Category::Projects, 125);
        assert_eq!((k.window_start, k.reset_at()), (120, 180));
    }

    #[test]
    fn the_request_that_exceeds_the_limit_is_refused_with_nothing_remaining() {
        let c = ClientId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let k = RateKey::at(&c, Category::Projects, 0);
        assert_eq!(RateDecision::from_count(&k, 2, 1).remaining, 1);
        assert!(RateDecision::from_count(&k, 2, 2).allowed);
        let refused = RateDecision::from_count(&k, 2, 3);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
    }
}
