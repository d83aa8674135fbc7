//! The message providers enrollees' one-time codes go out through, over their public HTTP APIs:
//!
//! - email: Mailgun's `POST /v3/<domain>/messages` (basic auth `api:<key>`, form fields `from`,
//!   `to`, `subject`, `text`);
//! - SMS and WhatsApp: Twilio's Messages API, `POST /2010-04-01/Accounts/<sid>/Messages.json`
//!   (basic auth `<sid>:<token>`, form fields `To`, `From`, `Body`; WhatsApp numbers as
//!   `whatsapp:+<E.164>`), a shape other SMS providers also offer.
//!
//! - the operator's blocklist API (see [`HttpBlacklist`] for the contract).
//!
//! Base URLs come from configuration, so tests point them at a local receiver and assert the exact
//! request. Logs carry the provider's HTTP status and message id only: never an address, a number
//! or a message body (which holds the code).

pub mod images;
pub mod outbound;
pub mod sources;
pub mod webhooks;

use async_trait::async_trait;
use smartenroll_domain::ports::{BlacklistApi, BlacklistQuery, GatewayError, Messenger, OutgoingEmail, OutgoingText, TextChannel};
use std::time::Duration;

/// How long a provider may take to accept a message.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailgunConfig {
    /// `https://api.mailgun.net` (or the EU endpoint, or a local receiver in tests).
    pub base_url: String,
    pub domain: String,
    pub api_key: String,
    /// `Acme KYC <no-reply@mg.acme.example>`.
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioConfig {
    /// `https://api.twilio.com` (or a local receiver in tests).
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number for SMS (E.164), if SMS is offered.
    pub sms_from: Option<String>,
    /// The sending number for WhatsApp (E.164, without the `whatsapp:` prefix), if offered.
    pub whatsapp_from: Option<String>,
}

/// Mailgun and/or Twilio; an unconfigured provider answers `NotConfigured`.
pub struct HttpMessenger {
    http: reqwest::Client,
    mailgun: Option<MailgunConfig>,
    twilio: Option<TwilioConfig>,
}

impl HttpMessenger {
    pub fn new(mailgun: Option<MailgunConfig>, twilio: Option<TwilioConfig>) -> Result<Self, String> {
        let http = reqwest::Client::builder().timeout(TIMEOUT).build().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { http, mailgun, twilio })
    }

    /// Sends a form and returns `id_field` of the JSON answer.
    async fn post_form(
        &self,
        provider: &'static str,
        url: String,
        user: &str,
        password: &str,
        form: &[(&str, &str)],
        id_field: &str,
    ) -> Result<String, GatewayError> {
        let response = self
            .http
            .post(url)
            .basic_auth(user, Some(password))
            .form(form)
            .send()
            .await
            .map_err(|e| GatewayError::Unreachable(if e.is_timeout() { "timed out".into() } else { "connection failed".into() }))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            tracing::warn!(provider, status, "message provider refused a message");
            return Err(GatewayError::Refused(status));
        }
        let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        let id = body.get(id_field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        tracing::info!(provider, status, message_id = %id, "message accepted by the provider");
        Ok(id)
    }
}

#[async_trait]
impl Messenger for HttpMessenger {
    async fn email(&self, m: &OutgoingEmail) -> Result<String, GatewayError> {
        let c = self.mailgun.as_ref().ok_or(GatewayError::NotConfigured("email (mailgun)"))?;
        let url = format!("{}/v3/{}/messages", c.base_url.trim_end_matches('/'), c.domain);
        let form = [("from", c.from.as_str()), ("to", m.to.as_str()), ("subject", m.subject.as_str()), ("text", m.text.as_str())];
        self.post_form("mailgun", url, "api", &c.api_key, &form, "id").await
    }

    async fn text(&self, m: &OutgoingText) -> Result<String, GatewayError> {
        let c = self.twilio.as_ref().ok_or(GatewayError::NotConfigured("text messages (twilio)"))?;
        let (to, from) = match m.channel {
            TextChannel::Sms => (m.to.clone(), c.sms_from.clone().ok_or(GatewayError::NotConfigured("SMS (no sending number)"))?),
            TextChannel::Whatsapp => (
                format!("whatsapp:{}", m.to),
                format!("whatsapp:{}", c.whatsapp_from.as_deref().ok_or(GatewayError::NotConfigured("WhatsApp (no sending number)"))?),
            ),
        };
        let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", c.base_url.trim_end_matches('/'), c.account_sid);
        let form = [("To", to.as_str()), ("From", from.as_str()), ("Body", m.body.as_str())];
        self.post_form("twilio", url, &c.account_sid, &c.auth_token, &form, "sid").await
    }
}

/// How long the operator's blocklist API may take per try, and how many tries it gets.
const BLACKLIST_TIMEOUT: Duration = Duration::from_secs(3);
const BLACKLIST_TRIES: u32 = 3;

/// The operator's blocklist API. Contract (also in the README): `POST <apiUrl>` with the JSON
/// [`BlacklistQuery`] (`type`, `value`, `email`, `phone`, `countryCode`, `project`, `projectFlow`).
/// The answer means *listed* when it is `{"listed": true}` or `{"blocked": true}`, or — the shape the
/// reference describes, "your endpoint returning user data" — a user object with an `email` or
/// `phone` (also inside `data`, or as the first element of an array). `404`, an empty body, `null`,
/// `{}`, `[]` or `{"listed": false}` mean not listed. Anything else (another status, a timeout,
/// unreadable JSON) is an error, after three tries with a short pause on timeouts, connection
/// errors and 5xx answers; the project's `failMode` decides what an error means.
/// Requests go through the outbound guard ([`outbound`]): the operator's URL must point at a
/// public address unless `policy` allows private ones.
///
/// The HTTP client is built on first use: building it loads the platform's root certificates
/// (~10 ms), which functions whose flows use no blocklist API should not pay at cold start.
pub struct HttpBlacklist {
    http: std::sync::OnceLock<reqwest::Client>,
    policy: outbound::OutboundPolicy,
}

impl HttpBlacklist {
    pub fn new(policy: outbound::OutboundPolicy) -> Result<Self, String> {
        Ok(Self { http: std::sync::OnceLock::new(), policy })
    }

    fn http(&self) -> Result<&reqwest::Client, GatewayError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let built = outbound::client(self.policy, BLACKLIST_TIMEOUT).map_err(GatewayError::Unreachable)?;
        Ok(self.http.get_or_init(|| built))
    }
}

/// Reads a 200 answer's body as listed or not.
pub fn listed_in(body: &str) -> Result<bool, GatewayError> {
    if body.trim().is_empty() {
        return Ok(false);
    }
    let v: serde_json::Value = serde_json::from_str(body).map_err(|_| GatewayError::Refused(200))?;
    fn user(v: &serde_json::Value) -> bool {
        ["email", "phone"].iter().any(|k| v.get(k).and_then(|x| x.as_str()).is_some_and(|s| !s.trim().is_empty()))
    }
    Ok(match &v {
        serde_json::Value::Null => false,
        serde_json::Value::Array(items) => items.first().is_some_and(user),
        serde_json::Value::Object(m) => {
            if let Some(flag) = m.get("listed").or_else(|| m.get("blocked")).and_then(|x| x.as_bool()) {
                flag
            } else if let Some(data) = m.get("data") {
                match data {
                    serde_json::Value::Array(items) => items.first().is_some_and(user),
                    other => user(other),
                }
            } else {
                user(&v)
            }
        }
        _ => return Err(GatewayError::Refused(200)),
    })
}

#[async_trait]
impl BlacklistApi for HttpBlacklist {
    async fn is_listed(&self, url: &str, query: &BlacklistQuery) -> Result<bool, GatewayError> {
        let parsed = url::Url::parse(url).map_err(|_| GatewayError::Unreachable("not a URL".into()))?;
        outbound::check_url(&parsed, self.policy).map_err(|r| GatewayError::Unreachable(format!("refused: {r}")))?;
        let mut last = GatewayError::Unreachable("not tried".into());
        for attempt in 0..BLACKLIST_TRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let sent = self.http()?.post(url).json(query).send().await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    if let Some(r) = outbound::refusal_in(&e) {
                        return Err(GatewayError::Unreachable(format!("refused: {r}")));
                    }
                    last = GatewayError::Unreachable(if e.is_timeout() { "timed out".into() } else { "connection failed".into() });
                    continue;
                }
            };
            let status = response.status().as_u16();
            match status {
                404 => return Ok(false),
                200..=299 => {
                    let body = response.text().await.map_err(|_| GatewayError::Unreachable("answer cut short".into()))?;
                    return listed_in(&body);
                }
                500..=599 => {
                    last = GatewayError::Refused(status);
                    continue;
                }
                _ => return Err(GatewayError::Refused(status)),
            }
        }
        tracing::warn!(error = %last, "the operator's blocklist API did not answer");
        Err(last)
    }
}
