//! The domain of SmartEnroll Self-Hosted: what a project is, which configurations are valid, how a
//! project moves through its lifecycle, and the ports (traits) that storage and rate limiting
//! implement. Pure Rust: no AWS SDK, no lambda_http, no runtime, no I/O — so every rule here is unit
//! tested in microseconds and the same decisions run in the single-node server and in each Lambda.

pub mod blob;
pub mod blocklist;
pub mod business;
pub mod client;
pub mod clock;
pub mod config;
pub mod contrast;
pub mod country;
pub mod error;
pub mod flows;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod lifecycle;
pub mod otp;
pub mod ports;
pub mod project;
pub mod query;
pub mod ratelimit;
pub mod registration;
pub mod sources;
pub mod verification;
pub mod webhook;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
#[cfg(test)]
mod testing;
