//! Time as a port. Records carry `createdAt`/`updatedAt` as ISO-8601 UTC with milliseconds
//! (`2024-05-01T10:00:00.000Z`), the reference's Mongo style.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A UTC instant with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_unix_millis(ms: i64) -> Self {
        Self(ms)
    }
    pub fn from_unix_seconds(s: i64) -> Self {
        Self(s.saturating_mul(1000))
    }
    pub fn unix_millis(self) -> i64 {
        self.0
    }
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }
    pub fn plus_seconds(self, s: i64) -> Self {
        Self(self.0.saturating_add(s.saturating_mul(1000)))
    }
    /// `2024-05-01T10:00:00.000Z`
    pub fn to_iso(self) -> String {
        let dt = OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        dt.format(&fmt).unwrap_or_default()
    }
    pub fn parse_iso(s: &str) -> Option<Self> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        Some(Self((dt.unix_timestamp_nanos() / 1_000_000) as i64))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse_iso(&s).ok_or_else(|| format!("not an ISO-8601 timestamp: {s}"))
    }
}
impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_iso()
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ns = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Timestamp((ns / 1_000_000) as i64)
    }
}

/// A clock that stands still, for deterministic tests and fixtures that never expire.
pub struct FixedClock(pub Timestamp);
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_iso_with_milliseconds_and_parse_back() {
        let t = Timestamp::from_unix_millis(1_714_557_600_123);
        assert_eq!(t.to_iso(), "2024-05-01T10:00:00.123Z");
        assert_eq!(Timestamp::parse_iso(&t.to_iso()), Some(t));
        assert_eq!(Timestamp::parse_iso("2024-05-01T12:00:00.123+02:00"), Some(t));
        assert_eq!(Timestamp::parse_iso("yesterday"), None);
    }
}
