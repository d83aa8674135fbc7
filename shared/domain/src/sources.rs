//! Outside data sources a document check consults: an authoritative registry confirming the
//! document's data (`informationVerification`) and a criminal-history provider
//! (`criminalHistoryVerification`). Both are operator-configured HTTP endpoints per issuing country
//! with one documented contract (README, "Data sources"); this module owns what the document
//! worker asks and what it may be told, so the worker's judgement does not depend on HTTP.
//!
//! A source that is not configured, down, or answering nonsense is never read as a pass: the
//! worker records it and, by the source's `onFailure` setting, sends the registration to a
//! reviewer (`closed`, the default) or carries on with the failure written into the validation
//! (`open`).

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

/// Which source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SourceKind {
    InformationVerification,
    CriminalHistory,
    /// A business registry confirming a company's data (KYB `business.informationVerification`).
    CompanyRegistry,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::InformationVerification => "informationVerification",
            SourceKind::CriminalHistory => "criminalHistory",
            SourceKind::CompanyRegistry => "companyRegistry",
        }
    }
}

/// What to do when the source cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// A reviewer decides (the default: no answer is not a clean answer).
    #[default]
    Closed,
    /// The check goes on, with the failure recorded in the validation for all to see.
    Open,
}

/// The document's data as read, sent to the source (the request body's `document` and `person`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRequest {
    /// The check's id: the source may use it to make retries idempotent (`Idempotency-Key`).
    pub request_id: String,
    /// ICAO alpha-3 of the issuing state (the key the endpoint is configured under).
    pub country: String,
    pub document_type: String,
    pub document_number: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<String>,
    pub nationality: Option<String>,
    pub expiration_date: Option<String>,
    /// Company registry lookups: the company as registered at sign-up (the document and person
    /// fields are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyLookup>,
}

/// What a company registry is asked about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyLookup {
    pub legal_name: String,
    pub registration_number: String,
    pub tax_id: Option<String>,
}

/// A source's answer, as its contract allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceAnswer {
    /// `informationVerification` and `companyRegistry`: `match`, `mismatch` or `not_found`;
    /// `criminalHistory`: `clear` or `records_found`.
    pub result: String,
    /// The source's own reference for the lookup, if it gave one.
    pub reference: Option<String>,
    /// `fields` (information) or `records` (criminal history), as the source sent them.
    pub detail: Value,
    /// Tries it took (1 when the first answered).
    pub attempts: u32,
}

impl SourceAnswer {
    /// Whether the answer lets the document through without a reviewer.
    pub fn is_clean(&self) -> bool {
        matches!(self.result.as_str(), "match" | "clear")
    }
}

/// Why a source gave no usable answer. Messages name no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// No endpoint for this kind and country.
    #[error("no {kind} source is configured for {country}")]
    NotConfigured { kind: &'static str, country: String },
    /// The operator's budget for background checks this minute is spent (retried later).
    #[error("the background-check rate limit is reached")]
    RateLimited,
    /// Timeouts, refused connections or 5xx/429 answers, after every retry.
    #[error("the source did not answer after {attempts} tries: {reason}")]
    Unavailable { attempts: u32, reason: String },
    /// A 4xx other than 429: the request was refused (retrying cannot help).
    #[error("the source refused the request with HTTP {0}")]
    Refused(u16),
    /// A 200 whose body is not the contract's.
    #[error("the source's answer does not follow the contract: {0}")]
    BadAnswer(String),
}

impl SourceError {
    /// A short code for the validation (`infoValidationSupportedReason` and friends).
    pub fn code(&self) -> &'static str {
        match self {
            SourceError::NotConfigured { .. } => "no_source_configured",
            SourceError::RateLimited => "rate_limited",
            SourceError::Unavailable { .. } => "source_unavailable",
            SourceError::Refused(_) => "source_refused_request",
            SourceError::BadAnswer(_) => "invalid_response_from_api",
        }
    }
}

/// The configured sources of a deployment.
#[async_trait]
pub trait DataSources: Send + Sync {
    /// The failure policy of the source for `kind` and `country`, or `None` when there is none.
    fn configured(&self, kind: SourceKind, country: &str) -> Option<OnFailure>;
    /// Asks the source (with its timeout and retries).
    async fn query(&self, kind: SourceKind, request: &SourceRequest) -> Result<SourceAnswer, SourceError>;
}
