//! Images named by URL in the direct face APIs, fetched server-side: `https` only (plain `http`
//! too when `SMARTENROLL_ALLOW_PRIVATE_TARGETS` is set, which is how tests and private networks
//! serve them), through the outbound guard (public addresses only, every resolved address checked,
//! no redirects), one GET with a 10 s limit, an answer other than 200 refused, and the body read
//! chunk by chunk and dropped as soon as it passes the caller's size limit, so a huge or endless
//! body costs no more than the limit. The bytes are checked as images by the caller.

use crate::outbound::{self, OutboundPolicy};
use async_trait::async_trait;
use smartenroll_domain::ports::{FetchError, RemoteImages};
use std::time::Duration;

/// How long one image may take to arrive.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// [`RemoteImages`] over HTTP(S). The client is built on first use (loading the root certificates
/// costs ~10 ms, which a function whose callers send base64 should not pay at cold start).
pub struct HttpImages {
    http: std::sync::OnceLock<reqwest::Client>,
    policy: OutboundPolicy,
}

impl HttpImages {
    pub fn new(policy: OutboundPolicy) -> Self {
        Self { http: std::sync::OnceLock::new(), policy }
    }

    fn http(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let built = outbound::client(self.policy, FETCH_TIMEOUT).map_err(FetchError::Unreachable)?;
        Ok(self.http.get_or_init(|| built))
    }
}

#[async_trait]
impl RemoteImages for HttpImages {
    async fn fetch(&self, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::Refused("not a URL".into()))?;
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && self.policy.allow_private) {
            return Err(FetchError::Refused(format!("the {} scheme is not allowed for images; use https", parsed.scheme())));
        }
        outbound::check_url(&parsed, self.policy).map_err(|r| FetchError::Refused(r.0))?;
        let mut response = self.http()?.get(parsed).send().await.map_err(|e| match outbound::refusal_in(&e) {
            Some(r) => FetchError::Refused(r.0),
            None if e.is_timeout() => FetchError::Unreachable("timed out".into()),
            None => FetchError::Unreachable("connection failed".into()),
        })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status(status));
        }
        if response.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(FetchError::TooLarge(max_bytes));
        }
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(FetchError::TooLarge(max_bytes));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(bytes),
                Err(e) if e.is_timeout() => return Err(FetchError::Unreachable("timed out".into())),
                Err(_) => return Err(FetchError::Unreachable("the connection broke while reading".into())),
            }
        }
    }
}
