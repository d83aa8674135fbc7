//! Webhooks: the operator's endpoints (reference 7.1), the signed deliveries of registration events
//! to them, and what happens after each attempt. Pure: storage is [`crate::ports::WebhookStore`],
//! sending is [`crate::ports::WebhookSender`], both outside.
//!
//! Signing follows the Standard Webhooks scheme (standardwebhooks.com), which receivers' libraries
//! already verify: headers `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
//! = space-separated `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>`, one per valid
//! secret (two while a rotated secret overlaps the new one). Secrets are `whsec_<base64 key>`.
//! Bodies are canonical JSON (compact, object keys sorted at every level), so a receiver whose
//! framework re-serialises the parsed body with sorted keys and no whitespace gets the signed
//! bytes back.

use crate::clock::Timestamp;
use crate::error::FieldError;
use crate::ids::{ClientId, parse_object_id};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const SECRET_PREFIX: &str = "whsec_";
/// Secret key length in bytes (the Standard Webhooks range is 24–64).
pub const SECRET_BYTES: usize = 32;
/// How long a replaced secret keeps signing after a rotation, unless the operator says otherwise.
pub const DEFAULT_ROTATION_OVERLAP_SECONDS: i64 = 24 * 3600;
/// The longest receiver URL.
pub const URL_MAX: usize = 2048;
pub const MAX_ROTATION_OVERLAP_SECONDS: i64 = 7 * 24 * 3600;
/// A receiver should refuse timestamps further than this from its clock (replay protection).
pub const VERIFY_TOLERANCE_SECONDS: i64 = 300;
/// Webhooks per client: lists are read whole and filtered in memory.
pub const MAX_WEBHOOKS_PER_CLIENT: usize = 100;
/// What is kept of a receiver's answer in the delivery log.
pub const EXCERPT_CHARS: usize = 200;

/// A signing secret; `expires_at` is set when a rotation replaced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    pub value: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl Secret {
    /// A new secret from `key` (random bytes from the caller).
    pub fn new(key: &[u8; SECRET_BYTES], now: Timestamp) -> Self {
        Self { value: format!("{SECRET_PREFIX}{}", B64.encode(key)), created_at: now, expires_at: None }
    }
    fn valid_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub client: ClientId,
    pub name: String,
    pub url: String,
    pub description: Option<String>,
    pub is_active: bool,
    /// Linked project flows (`link`/`unlink`); a flow's `integrations.webhook` also selects it.
    pub project_flows: Vec<String>,
    /// Event types delivered (`x_*` matches a prefix); `None` delivers every event.
    pub events: Option<Vec<String>>,
    pub secrets: Vec<Secret>,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Webhook {
    /// The reference's webhook object (7.1); secrets never appear here.
    pub fn api_json(&self) -> Value {
        let rotating = self.secrets.iter().filter_map(|s| s.expires_at).max();
        json!({
            "_id": self.id,
            "client": self.client,
            "name": self.name,
            "url": self.url,
            "description": self.description,
            "isActive": self.is_active,
            "projectFlow": self.project_flows,
            "events": self.events,
            "statistics": {},
            "previousSecretExpiresAt": rotating,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "__v": self.version.saturating_sub(1),
        })
    }

    /// Whether this webhook takes `event_type` of a registration in `flow`.
    pub fn wants(&self, flow: &str, flow_selected: bool, event_type: &str) -> bool {
        self.is_active && (flow_selected || self.project_flows.iter().any(|f| f == flow)) && event_matches(&self.events, event_type)
    }

    /// The `webhook-signature` header for `body` sent as event `id` at `timestamp`: one
    /// signature per secret still valid at `now`.
    pub fn signature_header(&self, id: &str, timestamp: i64, body: &[u8], now: Timestamp) -> String {
        let sigs: Vec<String> =
            self.secrets.iter().filter(|s| s.valid_at(now)).filter_map(|s| sign(&s.value, id, timestamp, body)).collect();
        sigs.join(" ")
    }

    /// Replaces the signing secret; the current one keeps signing for `overlap_seconds`, and
    /// secrets already expired are dropped.
    pub fn rotate(&mut self, key: &[u8; SECRET_BYTES], overlap_seconds: i64, now: Timestamp) {
        self.secrets.retain(|s| s.valid_at(now));
        for s in &mut self.secrets {
            let until = now.plus_seconds(overlap_seconds);
            s.expires_at = Some(s.expires_at.map_or(until, |t| t.min(until)));
        }
        self.secrets.push(Secret::new(key, now));
    }

    /// The newest secret (what a creation or rotation shows once).
    pub fn current_secret(&self) -> Option<&str> {
        self.secrets.iter().rev().find(|s| s.expires_at.is_none()).map(|s| s.value.as_str())
    }
}

/// `events` filter: `None` takes everything; entries match exactly or, ending in `*`, by prefix.
pub fn event_matches(filter: &Option<Vec<String>>, event_type: &str) -> bool {
    match filter {
        None => true,
        Some(list) => list.iter().any(|f| match f.strip_suffix('*') {
            Some(prefix) => event_type.starts_with(prefix),
            None => f == event_type,
        }),
    }
}

/// `v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>` under the key of a `whsec_` secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = B64.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    BadTimestamp,
    TooOld,
    NoMatch,
}

/// What a receiver runs (shipped for Rust receivers and used by the tests): the timestamp must be
/// within [`VERIFY_TOLERANCE_SECONDS`] of `now_seconds`, and one of the header's `v1` signatures
/// must equal ours (compared in constant time).
pub fn verify(secret: &str, id: &str, timestamp: &str, signature_header: &str, body: &[u8], now_seconds: i64) -> Result<(), VerifyError> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
    if (now_seconds - ts).abs() > VERIFY_TOLERANCE_SECONDS {
        return Err(VerifyError::TooOld);
    }
    let key = B64.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)).map_err(|_| VerifyError::NoMatch)?;
    for candidate in signature_header.split_whitespace() {
        let Some(sig) = candidate.strip_prefix("v1,").and_then(|s| B64.decode(s).ok()) else { continue };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else { continue };
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        if mac.verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

/// Compact JSON with object keys sorted at every level: what is signed and sent.
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&m[k], out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// The delivered body: the reference's `{type, object}` plus the event's id, time, the
/// registration it belongs to and its sequence number there (receivers order by it).
pub fn envelope(
    event_id: &str,
    event_type: &str,
    registration: Option<&str>,
    sequence: u64,
    object: &Value,
    demo: bool,
    at: Timestamp,
) -> String {
    canonical_json(&json!({
        "id": event_id,
        "type": event_type,
        "timestamp": at,
        "appRegistration": registration,
        "sequence": sequence,
        "demo": demo,
        "object": object,
    }))
}

/// A delivery's id: the same for the same (event, webhook), so dispatching an event twice (a
/// redelivered job) finds the delivery it made the first time.
pub fn delivery_id(event_id: &str, webhook_id: &str) -> String {
    let digest = Sha256::digest(format!("{event_id}/{webhook_id}").as_bytes());
    hex::encode(&digest[..12])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Succeeded, Self::Failed];
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Succeeded => "SUCCEEDED",
            DeliveryStatus::Failed => "FAILED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [DeliveryStatus::Pending, DeliveryStatus::Succeeded, DeliveryStatus::Failed]
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One POST to the receiver, as the delivery log shows it (never the request body, and of the
/// answer only a short excerpt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    /// `timeout`, `connect`, `refused` (the outbound guard), `http_<code>`; `None` on success.
    pub error: Option<String>,
    pub excerpt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub client: ClientId,
    pub webhook: String,
    pub event_id: String,
    pub event_type: String,
    pub registration: Option<String>,
    /// The exact bytes sent on every attempt (same id, same body).
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    /// Attempts since the delivery was created or last replayed (the schedule's position).
    pub round_attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    pub replays: u32,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Delivery {
    pub fn new(
        client: &ClientId,
        webhook: &str,
        event_id: &str,
        event_type: &str,
        registration: Option<&str>,
        body: String,
        now: Timestamp,
    ) -> Self {
        Self {
            id: delivery_id(event_id, webhook),
            client: client.clone(),
            webhook: webhook.into(),
            event_id: event_id.into(),
            event_type: event_type.into(),
            registration: registration.map(str::to_string),
            body,
            status: DeliveryStatus::Pending,
            attempts: vec![],
            round_attempts: 0,
            next_attempt_at: Some(now),
            replays: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn api_json(&self) -> Value {
        json!({
            "_id": self.id,
            "webhook": self.webhook,
            "eventId": self.event_id,
            "type": self.event_type,
            "appRegistration": self.registration,
            "status": self.status.as_str(),
            "attempts": self.attempts,
            "nextAttemptAt": self.next_attempt_at,
            "replays": self.replays,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }

    /// Records `attempt` and what follows from `verdict` under `policy`; `jitter` in [0, 1).
    pub fn record(&mut self, attempt: Attempt, verdict: Verdict, policy: &RetryPolicy, jitter: f64) {
        let at = attempt.at;
        self.attempts.push(attempt);
        self.round_attempts += 1;
        self.updated_at = at;
        self.version += 1;
        match verdict {
            Verdict::Delivered => {
                self.status = DeliveryStatus::Succeeded;
                self.next_attempt_at = None;
            }
            Verdict::Stop => {
                self.status = DeliveryStatus::Failed;
                self.next_attempt_at = None;
            }
            Verdict::Retry { retry_after } => match policy.delay_after(self.round_attempts, jitter, retry_after) {
                Some(delay_ms) => self.next_attempt_at = Some(Timestamp::from_unix_millis(at.unix_millis() + delay_ms)),
                None => {
                    self.status = DeliveryStatus::Failed;
                    self.next_attempt_at = None;
                }
            },
        }
    }

    /// Back to pending for a new round of attempts (`replay`); the log keeps earlier attempts.
    pub fn replay(&mut self, now: Timestamp) {
        self.status = DeliveryStatus::Pending;
        self.round_attempts = 0;
        self.next_attempt_at = Some(now);
        self.replays += 1;
        self.updated_at = now;
        self.version += 1;
    }
}

/// What a receiver's answer (or its absence) means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Answered {
        status: u16,
        retry_after: Option<u64>,
        excerpt: String,
    },
    Timeout,
    Connect(String),
    /// Refused before sending by the outbound guard (a forbidden address or scheme).
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again later; `retry_after` in seconds if the receiver asked.
    Retry {
        retry_after: Option<u64>,
    },
    /// A permanent answer: no more attempts in this round.
    Stop,
}

impl SendOutcome {
    /// 2xx delivers; 408, 429, 5xx, timeouts and connection errors are retried; other answers
    /// (including redirects, which are not followed) and guard refusals stop.
    pub fn verdict(&self) -> Verdict {
        match self {
            SendOutcome::Answered { status, retry_after, .. } => match status {
                200..=299 => Verdict::Delivered,
                408 | 429 | 500..=599 => Verdict::Retry { retry_after: *retry_after },
                _ => Verdict::Stop,
            },
            SendOutcome::Timeout | SendOutcome::Connect(_) => Verdict::Retry { retry_after: None },
            SendOutcome::Refused(_) => Verdict::Stop,
        }
    }

    /// The log entry for this outcome.
    pub fn attempt(&self, at: Timestamp, latency_ms: u64) -> Attempt {
        let (status_code, error, excerpt) = match self {
            SendOutcome::Answered { status, excerpt, .. } => (
                Some(*status),
                (!(200..=299).contains(status)).then(|| format!("http_{status}")),
                (!excerpt.is_empty()).then(|| excerpt.chars().take(EXCERPT_CHARS).collect()),
            ),
            SendOutcome::Timeout => (None, Some("timeout".into()), None),
            SendOutcome::Connect(class) => (None, Some("connect".into()), Some(class.chars().take(EXCERPT_CHARS).collect())),
            SendOutcome::Refused(why) => (None, Some("refused".into()), Some(why.chars().take(EXCERPT_CHARS).collect())),
        };
        Attempt { at, status_code, latency_ms, error, excerpt }
    }
}

/// Seconds to wait after each failed attempt; after the last, the delivery fails.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub delays: Vec<u64>,
}

/// 10 retries over about 24 hours: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h.
pub const DEFAULT_RETRY_DELAYS: [u64; 10] = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800];
/// A receiver's `Retry-After` is honoured up to this.
pub const MAX_RETRY_AFTER_SECONDS: u64 = 24 * 3600;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { delays: DEFAULT_RETRY_DELAYS.to_vec() }
    }
}

impl RetryPolicy {
    /// `"5,30,120"`: seconds after attempts 1, 2, 3 (a shorter schedule for tests and demos).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let delays: Result<Vec<u64>, _> = spec.split(',').map(|s| s.trim().parse::<u64>()).collect();
        match delays {
            Ok(d) if !d.is_empty() && d.len() <= 20 && d.iter().all(|s| *s <= 86_400) => Ok(Self { delays: d }),
            _ => Err("the retry schedule is 1 to 20 comma-separated delays in seconds, each at most 86400".into()),
        }
    }

    /// Milliseconds to wait after failed attempt `attempt` (1-based), or `None` after the last:
    /// the scheduled delay ±20 % (`jitter` in [0, 1)), and never less than the receiver's
    /// `Retry-After`.
    pub fn delay_after(&self, attempt: u32, jitter: f64, retry_after: Option<u64>) -> Option<i64> {
        let base = *self.delays.get(attempt.checked_sub(1)? as usize)? as f64 * 1000.0;
        let jittered = base * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
        let floor = retry_after.map(|s| s.min(MAX_RETRY_AFTER_SECONDS) as f64 * 1000.0).unwrap_or(0.0);
        Some(jittered.max(floor).round() as i64)
    }
}

/// The fields of a webhook create or update (reference 7.2), checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookInput {
    pub name: Option<String>,
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub link: Vec<String>,
    pub unlink: Vec<String>,
    pub events: Option<Option<Vec<String>>>,
}

fn text(body: &Map<String, Value>, key: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    match body.get(key) {
        None | Some(Value::Null) => None,
        // Counted as sent, surrounding spaces included (as the published schema's maxLength).
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max => Some(s.trim().to_string()),
        Some(_) => {
            errors.push(FieldError::new(key, format!("must be text of 1 to {max} characters")));
            None
        }
    }
}

fn id_list(body: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    match body.get(key) {
        None | Some(Value::Null) => vec![],
        Some(Value::String(s)) => match parse_object_id(s) {
            Ok(id) => vec![id],
            Err(_) => {
                errors.push(FieldError::new(key, "must be project flow ids"));
                vec![]
            }
        },
        Some(Value::Array(a)) if a.len() <= 100 => {
            let ids: Vec<_> = a.iter().map(|v| v.as_str().and_then(|s| parse_object_id(s).ok())).collect();
            if ids.iter().any(Option::is_none) {
                errors.push(FieldError::new(key, "must be project flow ids"));
            }
            ids.into_iter().flatten().collect()
        }
        Some(_) => {
            errors.push(FieldError::new(key, "must be a list of at most 100 project flow ids"));
            vec![]
        }
    }
}

/// An http(s) URL without credentials, at most 2048 characters (where it may point is the
/// outbound guard's question, asked at save time and at every send).
pub fn check_url(raw: &str) -> Result<String, String> {
    // Counted as sent, like every length limit (the published schema's maxLength).
    if raw.chars().count() > URL_MAX {
        return Err("must be at most 2048 characters".into());
    }
    let raw = raw.trim();
    if raw.len() > URL_MAX {
        return Err("must be at most 2048 characters".into());
    }
    let url = url::Url::parse(raw).map_err(|_| "must be an absolute http or https URL".to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an absolute http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; authenticate deliveries by their signature".into());
    }
    Ok(url.to_string())
}

impl WebhookInput {
    /// Reads a create (`creating`: `url` and `name` required) or update body. Accepts the
    /// reference's `link`/`unlink` and, on create, `projectFlow` as another name for `link`.
    pub fn parse(body: &Value, creating: bool) -> Result<Self, Vec<FieldError>> {
        let Some(body) = body.as_object() else { return Err(vec![FieldError::new("body", "must be a JSON object")]) };
        let mut errors = Vec::new();
        let mut input = WebhookInput { name: text(body, "name", 100, &mut errors), ..Default::default() };
        match body.get("url") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => match check_url(s) {
                Ok(u) => input.url = Some(u),
                Err(e) => errors.push(FieldError::new("url", e)),
            },
            Some(_) => errors.push(FieldError::new("url", "must be an absolute http or https URL")),
        }
        if body.contains_key("description") {
            input.description = Some(text(body, "description", 500, &mut errors));
        }
        match body.get("isActive") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => input.is_active = Some(*b),
            Some(_) => errors.push(FieldError::new("isActive", "must be true or false")),
        }
        input.link = id_list(body, "link", &mut errors);
        if creating {
            input.link.extend(id_list(body, "projectFlow", &mut errors));
        }
        input.unlink = id_list(body, "unlink", &mut errors);
        match body.get("events") {
            None => {}
            Some(Value::Null) => input.events = Some(None),
            Some(Value::Array(a)) if !a.is_empty() && a.len() <= 50 => {
                let ok = |s: &str| {
                    let core = s.strip_suffix('*').unwrap_or(s);
                    !s.is_empty() && s.len() <= 100 && core.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                };
                let list: Vec<String> = a.iter().filter_map(|v| v.as_str()).filter(|s| ok(s)).map(str::to_string).collect();
                if list.len() == a.len() {
                    input.events = Some(Some(list));
                } else {
                    errors.push(FieldError::new("events", "must be event types (lower case, digits, `_`), optionally ending in `*`"));
                }
            }
            Some(_) => errors.push(FieldError::new("events", "must be a list of 1 to 50 event types, or null for all")),
        }
        if creating {
            if input.url.is_none() && !errors.iter().any(|e| e.field == "url") {
                errors.push(FieldError::new("url", "missing url"));
            }
            if input.name.is_none() && !errors.iter().any(|e| e.field == "name") {
                errors.push(FieldError::new("name", "is required"));
            }
        }
        if errors.is_empty() { Ok(input) } else { Err(errors) }
    }

    /// A new webhook from a create body.
    pub fn create(self, id: String, client: &ClientId, key: &[u8; SECRET_BYTES], now: Timestamp) -> Webhook {
        let mut w = Webhook {
            id,
            client: client.clone(),
            name: self.name.clone().unwrap_or_default(),
            url: self.url.clone().unwrap_or_default(),
            description: None,
            is_active: true,
            project_flows: vec![],
            events: None,
            secrets: vec![Secret::new(key, now)],
            version: 1,
            created_at: now,
            updated_at: now,
        };
        self.apply(&mut w, now);
        w.version = 1;
        w
    }

    /// Applies an update (fields absent stay as they are).
    pub fn apply(self, w: &mut Webhook, now: Timestamp) {
        if let Some(n) = self.name {
            w.name = n;
        }
        if let Some(u) = self.url {
            w.url = u;
        }
        if let Some(d) = self.description {
            w.description = d;
        }
        if let Some(a) = self.is_active {
            w.is_active = a;
        }
        if let Some(e) = self.events {
            w.events = e;
        }
        for f in self.link {
            if !w.project_flows.contains(&f) {
                w.project_flows.push(f);
            }
        }
        w.project_flows.retain(|f| !self.unlink.contains(f));
        w.version += 1;
        w.updated_at = now;
    }
}

#[cfg(test)]
mod tests;
