//! Identifiers. Every record id is ObjectId-shaped (24 lower-case hex digits), because clients
//! written against the reference API treat `_id` values so. Parsing happens at the edge: the rest of
//! the code never sees an unchecked id string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an id string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a 24-character hexadecimal id")]
pub struct InvalidId;

/// A required id field of a request body (`project`, `projectFlow`, …), or its problem added to
/// `errors` (missing, or not ObjectId-shaped).
pub fn required_id<T>(
    body: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    parse: fn(&str) -> Result<T, InvalidId>,
    errors: &mut Vec<crate::error::FieldError>,
) -> Option<T> {
    match body.get(key).and_then(serde_json::Value::as_str) {
        Some(s) => parse(s).map_err(|e| errors.push(crate::error::FieldError::new(key, e.to_string()))).ok(),
        None => {
            errors.push(crate::error::FieldError::new(key, "is required"));
            None
        }
    }
}

/// Checks the ObjectId shape: 24 hex digits (upper case accepted, stored lower case).
pub fn parse_object_id(s: &str) -> Result<String, InvalidId> {
    if s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()) { Ok(s.to_ascii_lowercase()) } else { Err(InvalidId) }
}

macro_rules! object_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                parse_object_id(s).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

object_id!(
    /// An operator account (tenant). Every stored key is scoped by it.
    ClientId
);
object_id!(
    /// A project.
    ProjectId
);
object_id!(
    /// A project flow (the enrollee-facing configuration embedded in a project).
    FlowId
);
object_id!(
    /// An app registration (one enrollee's way through a flow).
    RegistrationId
);

/// Source of new ids; a port so tests can make ids deterministic.
pub trait IdGenerator: Send + Sync {
    /// A fresh 24-hex-digit id.
    fn object_id(&self) -> String;
}

/// ObjectId layout: 4 bytes of seconds since the epoch, 5 random bytes fixed per process, and a
/// 3-byte counter. Ids therefore sort roughly by creation time, like the reference's Mongo ids.
pub struct ObjectIdGenerator {
    process: [u8; 5],
    counter: std::sync::atomic::AtomicU32,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl ObjectIdGenerator {
    /// `process` should be random bytes (the caller owns the entropy source; the domain does no I/O).
    pub fn new(process: [u8; 5], counter_start: u32, clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
        Self { process, counter: std::sync::atomic::AtomicU32::new(counter_start), clock }
    }
}

impl IdGenerator for ObjectIdGenerator {
    fn object_id(&self) -> String {
        let secs = self.clock.now().unix_seconds() as u32;
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0x00ff_ffff;
        let mut out = String::with_capacity(24);
        for b in secs.to_be_bytes().iter().chain(self.process.iter()).chain(n.to_be_bytes()[1..].iter()) {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

/// Source of random numeric codes (demo OTPs); a port because the domain does no I/O.
pub trait CodeGenerator: Send + Sync {
    /// `n` random decimal digits.
    fn digits(&self, n: usize) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock, Timestamp};
    use std::sync::Arc;

    #[test]
    fn an_object_id_is_24_hex_digits_and_case_is_normalised() {
        assert_eq!(ProjectId::parse("65A1B2C3D4E5F60718293A4B").map(String::from), Ok("65a1b2c3d4e5f60718293a4b".to_string()));
        assert_eq!(ProjectId::parse("65a1b2c3d4e5f60718293a4"), Err(InvalidId));
        assert_eq!(ProjectId::parse("65a1b2c3d4e5f60718293a4g"), Err(InvalidId));
        assert_eq!(ProjectId::parse(""), Err(InvalidId));
    }

    #[test]
    fn generated_ids_are_valid_distinct_and_start_with_the_creation_second() {
        let clock: Arc<dyn Clock> = Arc::new(FixedClock(Timestamp::from_unix_seconds(0x6500_0000)));
        let g = ObjectIdGenerator::new([1, 2, 3, 4, 5], 0xff_fffe, clock);
        let a = g.object_id();
        let b = g.object_id();
        let c = g.object_id();
        assert!(ProjectId::parse(&a).is_ok());
        assert!(a.starts_with("65000000"));
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert!(c.ends_with("000000"), "counter wraps at 24 bits: {c}");
    }
}
