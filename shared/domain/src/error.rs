//! Domain errors. Each variant is an outcome an operator can act on; the API maps them to HTTP
//! status codes in one place (`smartenroll_api::error`).

use serde::Serialize;

/// One problem with one field of a request, named by its JSON path (`projectFlow.liveness.minScore`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// The request is well-formed JSON but its values break the rules (422).
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// The request conflicts with the current state (409), e.g. activation with steps missing.
    #[error("{message}")]
    Conflict { message: String, details: Vec<FieldError> },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this with what they presented (403), e.g. a wrong one-time code.
    #[error("{0}")]
    Forbidden(String),
    /// A precondition of the request no longer holds (412), e.g. an expired one-time code.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Too many attempts or sends (429), answerable again after `retry_after` seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: i64 },
    /// A broken invariant of our own (never the caller's fault): logged, answered with a 500.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Failures of a storage adapter. `Conflict` is the optimistic-concurrency outcome; everything else
/// is infrastructure, logged with its cause and answered with a generic 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the record changed since it was read")]
    Conflict,
    #[error("a record with this key exists already")]
    Duplicate,
    #[error("storage failure: {0}")]
    Backend(String),
    /// The deployment has no such store at all (an AWS-mode setting left unset, e.g. a queue URL):
    /// the operator's to fix, answered 503 rather than as an internal failure.
    #[error("not configured: {0}")]
    Unconfigured(String),
}
