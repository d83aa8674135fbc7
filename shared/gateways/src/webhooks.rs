//! Webhook delivery over HTTP: one POST per attempt through the outbound guard, with what the
//! delivery log keeps of the answer (status, `Retry-After`, a short excerpt).

use crate::outbound::{self, OutboundPolicy};
use async_trait::async_trait;
use smartenroll_domain::ports::WebhookSender;
use smartenroll_domain::webhook::{EXCERPT_CHARS, SendOutcome};
use std::time::Duration;

/// How long a receiver has to answer (Sumsub allows 5 s, Stripe 10–30 s).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this much of an answer is read (the log keeps [`EXCERPT_CHARS`] characters).
const ANSWER_BYTES: usize = 1024;

pub struct HttpWebhookSender {
    http: reqwest::Client,
    policy: OutboundPolicy,
}

impl HttpWebhookSender {
    pub fn new(policy: OutboundPolicy, timeout: Duration) -> Result<Self, String> {
        Ok(Self { http: outbound::client(policy, timeout)?, policy })
    }
}

/// `Retry-After` as seconds: delta-seconds or an HTTP date.
fn retry_after(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(s) = value.parse::<u64>() {
        return Some(s);
    }
    let date = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let now = time::OffsetDateTime::from(now);
    Some((date - now).whole_seconds().max(0) as u64)
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> SendOutcome {
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(_) => return SendOutcome::Refused("not a URL".into()),
        };
        if let Err(r) = outbound::check_url(&parsed, self.policy) {
            return SendOutcome::Refused(r.0);
        }
        let mut req = self.http.post(parsed).header("content-type", "application/json").body(body.to_string());
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                if let Some(r) = outbound::refusal_in(&e) {
                    return SendOutcome::Refused(r.0);
                }
                if e.is_timeout() {
                    return SendOutcome::Timeout;
                }
                return SendOutcome::Connect(if e.is_connect() { "connection failed".into() } else { "request failed".into() });
            }
        };
        let status = resp.status().as_u16();
        let retry =
            resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| retry_after(v, std::time::SystemTime::now()));
        let mut answer = Vec::new();
        // A capped read: a receiver cannot make us buffer a large answer (a slow one hits the timeout).
        while answer.len() < ANSWER_BYTES {
            match resp.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk[..chunk.len().min(ANSWER_BYTES - answer.len())]),
                Ok(None) => break,
                Err(e) if e.is_timeout() && answer.is_empty() => return SendOutcome::Timeout,
                Err(_) => break,
            }
        }
        let excerpt: String = String::from_utf8_lossy(&answer).chars().filter(|c| !c.is_control()).take(EXCERPT_CHARS).collect();
        SendOutcome::Answered { status, retry_after: retry, excerpt }
    }

    async fn check_destination(&self, url: &str) -> Result<(), String> {
        outbound::check_on_save(url, self.policy).await.map_err(|r| r.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_445_412_480); // 2015-10-21T07:28:00Z
        assert_eq!(super::retry_after("120", now), Some(120));
        assert_eq!(super::retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), Some(120));
        assert_eq!(super::retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(0));
        assert_eq!(super::retry_after("soon", now), None);
    }
}
