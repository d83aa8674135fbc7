//! Data sources over HTTP: the operator's information-verification, criminal-history and
//! company-registry endpoints, one per country (or `*` for any), all speaking one contract.
//!
//! Request: `POST <url>` with `Content-Type: application/json`, `Idempotency-Key: <request id>`,
//! `Authorization: Bearer <token>` when a token is configured, and the body
//! `{"check": "informationVerification"|"criminalHistory", "requestId", "country",
//!   "document": {"type", "number", "expirationDate"}, "person": {"firstName", "lastName",
//!   "dateOfBirth", "nationality"}}`; a company registry (`companyRegistry`, KYB) gets
//!   `{"check": "companyRegistry", "requestId", "country", "company": {"legalName",
//!   "registrationNumber", "taxId"}}` and answers like information verification.
//!
//! Answer: HTTP 200 with `{"result": …, "reference"?: string, "fields"?: {…}, "records"?: […]}`,
//! where `result` is `match` / `mismatch` / `not_found` for information verification and `clear`
//! / `records_found` for criminal history. Timeouts, connection failures, 429 and 5xx are tried
//! again (`retries` times, waiting `backoffMs` × 4ⁿ); any other status, or a 200 that is not the
//! contract, is final. At most 64 KiB of an answer is read. Requests go through the outbound guard
//! like webhooks do. Nothing sent or received is logged: status codes and tries only.

use crate::outbound::{self, OutboundPolicy};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use smartenroll_domain::sources::{DataSources, OnFailure, SourceAnswer, SourceError, SourceKind, SourceRequest};
use std::collections::HashMap;
use std::time::Duration;

/// At most this much of an answer is read.
const ANSWER_BYTES: usize = 64 * 1024;

/// One endpoint, as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    pub url: String,
    #[serde(default)]
    pub token: Option<String>,
    /// Per try (default 10 s).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Tries after the first (default 2).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The first wait before trying again (default 250 ms; then ×4 each time).
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    #[serde(default, deserialize_with = "on_failure")]
    pub on_failure: OnFailure,
}

fn default_timeout_ms() -> u64 {
    10_000
}
fn default_retries() -> u32 {
    2
}
fn default_backoff_ms() -> u64 {
    250
}

fn on_failure<'de, D: serde::Deserializer<'de>>(d: D) -> Result<OnFailure, D::Error> {
    match String::deserialize(d)?.to_ascii_lowercase().as_str() {
        "closed" | "review" => Ok(OnFailure::Closed),
        "open" | "continue" => Ok(OnFailure::Open),
        other => Err(serde::de::Error::custom(format!("onFailure must be \"closed\" or \"open\", not {other:?}"))),
    }
}

/// The sources file: `{"informationVerification": {"COL": {…}, "*": {…}}, "criminalHistory": {…}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourcesConfig {
    #[serde(default)]
    pub information_verification: HashMap<String, Endpoint>,
    #[serde(default)]
    pub criminal_history: HashMap<String, Endpoint>,
    #[serde(default)]
    pub company_registry: HashMap<String, Endpoint>,
}

impl SourcesConfig {
    /// Parses and checks the file's JSON (every URL http(s), timeouts 100 ms–60 s, at most 5 retries).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let config: SourcesConfig = serde_json::from_str(text).map_err(|e| format!("data sources: {e}"))?;
        for (kind, map) in [
            ("informationVerification", &config.information_verification),
            ("criminalHistory", &config.criminal_history),
            ("companyRegistry", &config.company_registry),
        ] {
            for (country, e) in map {
                let at = format!("data sources: {kind}.{country}");
                let url = url::Url::parse(&e.url).map_err(|_| format!("{at}.url is not a URL"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(format!("{at}.url must be http or https"));
                }
                if !(100..=60_000).contains(&e.timeout_ms) {
                    return Err(format!("{at}.timeoutMs must be 100 to 60000"));
                }
                if e.retries > 5 {
                    return Err(format!("{at}.retries must be 0 to 5"));
                }
                if country != "*" && (country.len() != 3 || !country.bytes().all(|b| b.is_ascii_uppercase())) {
                    return Err(format!("{at}: countries are ICAO alpha-3 codes (COL, USA, D<<) or \"*\""));
                }
            }
        }
        Ok(config)
    }

    fn endpoint(&self, kind: SourceKind, country: &str) -> Option<&Endpoint> {
        let map = match kind {
            SourceKind::InformationVerification => &self.information_verification,
            SourceKind::CriminalHistory => &self.criminal_history,
            SourceKind::CompanyRegistry => &self.company_registry,
        };
        map.get(country).or_else(|| map.get("*"))
    }
}

/// [`DataSources`] over HTTP.
pub struct HttpSources {
    config: SourcesConfig,
    http: reqwest::Client,
    policy: OutboundPolicy,
}

impl HttpSources {
    pub fn new(config: SourcesConfig, policy: OutboundPolicy) -> Result<Self, String> {
        // Each request sets its own timeout; this bounds the client as a whole.
        Ok(Self { config, http: outbound::client(policy, Duration::from_secs(60))?, policy })
    }

    /// One try: `Ok` is final (an answer or a refusal), `Err` may be tried again.
    async fn once(&self, e: &Endpoint, body: &Value, request_id: &str) -> Result<Result<Value, SourceError>, String> {
        let url = url::Url::parse(&e.url).map_err(|_| "not a URL".to_string())?;
        if let Err(r) = outbound::check_url(&url, self.policy) {
            return Ok(Err(SourceError::Unavailable { attempts: 1, reason: r.0 }));
        }
        let mut request = self.http.post(url).timeout(Duration::from_millis(e.timeout_ms)).header("Idempotency-Key", request_id).json(body);
        if let Some(token) = &e.token {
            request = request.bearer_auth(token);
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(err) => {
                return match outbound::refusal_in(&err) {
                    Some(r) => Ok(Err(SourceError::Unavailable { attempts: 1, reason: r.0 })),
                    None if err.is_timeout() => Err("timed out".into()),
                    None => Err("connection failed".into()),
                };
            }
        };
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            return Err(format!("HTTP {status}"));
        }
        if status != 200 {
            return Ok(Err(SourceError::Refused(status)));
        }
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > ANSWER_BYTES => {
                    return Ok(Err(SourceError::BadAnswer(format!("longer than {ANSWER_BYTES} bytes"))));
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(err) if err.is_timeout() => return Err("timed out while answering".into()),
                Err(_) => return Err("the connection broke while answering".into()),
            }
        }
        Ok(serde_json::from_slice::<Value>(&bytes).map_err(|_| SourceError::BadAnswer("not JSON".into())))
    }
}

/// The answer's fields, checked against the contract for `kind`.
fn read_answer(kind: SourceKind, v: &Value, attempts: u32) -> Result<SourceAnswer, SourceError> {
    let result = v.get("result").and_then(Value::as_str).ok_or_else(|| SourceError::BadAnswer("no \"result\"".into()))?;
    let allowed: &[&str] = match kind {
        SourceKind::InformationVerification | SourceKind::CompanyRegistry => &["match", "mismatch", "not_found"],
        SourceKind::CriminalHistory => &["clear", "records_found"],
    };
    if !allowed.contains(&result) {
        return Err(SourceError::BadAnswer(format!("\"result\" must be one of {}", allowed.join(", "))));
    }
    let (key, want_array) = match kind {
        SourceKind::InformationVerification | SourceKind::CompanyRegistry => ("fields", false),
        SourceKind::CriminalHistory => ("records", true),
    };
    let detail = match v.get(key) {
        None | Some(Value::Null) => Value::Null,
        Some(d) if d.is_array() == want_array && (d.is_array() || d.is_object()) => d.clone(),
        Some(_) => return Err(SourceError::BadAnswer(format!("\"{key}\" must be {}", if want_array { "a list" } else { "an object" }))),
    };
    let reference = v.get("reference").and_then(Value::as_str).map(|s| s.chars().take(200).collect());
    Ok(SourceAnswer { result: result.to_string(), reference, detail, attempts })
}

#[async_trait]
impl DataSources for HttpSources {
    fn configured(&self, kind: SourceKind, country: &str) -> Option<OnFailure> {
        self.config.endpoint(kind, country).map(|e| e.on_failure)
    }

    async fn query(&self, kind: SourceKind, r: &SourceRequest) -> Result<SourceAnswer, SourceError> {
        let Some(endpoint) = self.config.endpoint(kind, &r.country) else {
            return Err(SourceError::NotConfigured { kind: kind.as_str(), country: r.country.clone() });
        };
        let body = match &r.company {
            Some(c) => json!({"check": kind.as_str(), "requestId": r.request_id, "country": r.country, "company": c}),
            None => json!({
                "check": kind.as_str(),
                "requestId": r.request_id,
                "country": r.country,
                "document": {"type": r.document_type, "number": r.document_number, "expirationDate": r.expiration_date},
                "person": {"firstName": r.first_name, "lastName": r.last_name, "dateOfBirth": r.date_of_birth, "nationality": r.nationality},
            }),
        };
        let tries = endpoint.retries + 1;
        let mut last = String::new();
        for attempt in 1..=tries {
            if attempt > 1 {
                let wait = endpoint.backoff_ms.saturating_mul(4u64.saturating_pow(attempt - 2));
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            match self.once(endpoint, &body, &r.request_id).await {
                Ok(Ok(v)) => {
                    let answer = read_answer(kind, &v, attempt);
                    tracing::info!(source = kind.as_str(), country = %r.country, attempts = attempt, ok = answer.is_ok(), "data source answered");
                    return answer;
                }
                Ok(Err(SourceError::Unavailable { reason, .. })) => return Err(SourceError::Unavailable { attempts: attempt, reason }),
                Ok(Err(e)) => {
                    tracing::warn!(source = kind.as_str(), country = %r.country, attempts = attempt, code = e.code(), "data source refused");
                    return Err(e);
                }
                Err(reason) => {
                    tracing::warn!(source = kind.as_str(), country = %r.country, attempt, %reason, "data source try failed");
                    last = reason;
                }
            }
        }
        Err(SourceError::Unavailable { attempts: tries, reason: last })
    }
}
