//! Reviewers' access to the evidence: the document and selfie images behind a registration's
//! checks, through short-lived links, each issuance and (where the product serves the bytes
//! itself) each download recorded in the registration's history.
//!
//! - `GET /v2/app-registrations/{id}/evidence` (client token): one link per stored image, valid
//!   [`LINK_SECONDS`]. Where the blob store signs URLs (S3: a presigned GET) the link goes straight
//!   to the store; otherwise (single node) it is this API's own `GET /v2/evidence/{ticket}`, a
//!   relative URL (never built from a Host header), whose ticket is an HMAC-signed, expiring
//!   statement of which client's which image.
//! - `GET /v2/evidence/{ticket}` (no token: the ticket is the credential): the image bytes,
//!   `Cache-Control: no-store`, after checking the signature and expiry.
//!
//! S3 downloads through presigned URLs are not seen by the product; the issuance is recorded, and
//! the bucket's server access logs or CloudTrail data events record the GETs themselves.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, path_param};
use base64::Engine;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, RegistrationId};
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::registration::{HistoryEntry, Registration};

/// How long an evidence link works: enough to open the images of one review, short enough that a
/// link pasted somewhere is soon useless.
pub const LINK_SECONDS: u32 = 300;
const WRITE_ATTEMPTS: usize = 3;

fn registration_id(req: &Request) -> Result<RegistrationId, ApiError> {
    path_param(req, "id")
        .and_then(|s| RegistrationId::parse(s).ok())
        .ok_or_else(|| ApiError::BadRequest("Invalid app registration ID format".into()))
}

/// Appends `entry` to the registration's history (a conditional write, re-read on a lost race).
async fn record(deps: &Deps, client: &ClientId, id: &RegistrationId, entry: HistoryEntry) -> Result<Registration, ApiError> {
    for _ in 0..WRITE_ATTEMPTS {
        let reg = crate::registrations::load(deps, client, id).await?;
        let mut next = reg.clone();
        next.history.push(entry.clone());
        next.version += 1;
        match deps.registrations.update(&next, reg.version, &[]).await {
            Ok(()) => return Ok(next),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// The signed part of a ticket: `client|registration|path|expires` (ids and a blob path; no
/// personal data).
fn ticket_payload(client: &ClientId, registration: &RegistrationId, path: &str, expires: i64) -> String {
    format!("{client}|{registration}|{path}|{expires}")
}

fn ticket(deps: &Deps, payload: &str) -> String {
    let mac = deps.jwt.keyed_hash(&["evidence", payload]);
    format!("{}.{mac}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload))
}

/// `GET /v2/app-registrations/{id}/evidence` → `{data: [{check, kind, attempt, image, method, url,
/// headers, expiresAt}]}`; the issuance is recorded in the registration's history.
pub async fn links(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = registration_id(&req)?;
        let reg = crate::registrations::load(deps, &auth.client.id, &id).await?;
        let now = deps.clock.now();
        let mut out = Vec::new();
        for check in &reg.checks {
            for path in &check.images {
                let key = BlobKey::new(&reg.client, path).ok_or_else(|| {
                    tracing::error!(registration = %reg.id, "a stored image path is not a valid blob key");
                    ApiError::Internal
                })?;
                let image = path.rsplit('/').next().and_then(|f| f.split('.').next()).unwrap_or("image");
                let (method, url, headers, expires_at) = match deps.blobs.presign_get(&key, LINK_SECONDS).await? {
                    Some(p) => (p.method, p.url, p.headers, p.expires_at.unix_seconds()),
                    None => {
                        let expires = now.unix_seconds() + i64::from(LINK_SECONDS);
                        let t = ticket(deps, &ticket_payload(&reg.client, &reg.id, path, expires));
                        ("GET", format!("/v2/evidence/{t}"), Vec::new(), expires)
                    }
                };
                out.push(json!({
                    "check": check.id,
                    "kind": check.kind.as_str(),
                    "attempt": check.attempt,
                    "image": image,
                    "method": method,
                    "url": url,
                    "headers": headers.into_iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<Value>>(),
                    "expiresAt": smartenroll_domain::clock::Timestamp::from_unix_seconds(expires_at),
                }));
            }
        }
        if !out.is_empty() {
            let entry = HistoryEntry {
                at: now,
                by: format!("client:{}", auth.client.id),
                action: "evidence_viewed".into(),
                reason: None,
                note: Some(format!("{} image link(s) issued, valid {LINK_SECONDS} s", out.len())),
            };
            record(deps, &auth.client.id, &id, entry).await?;
            tracing::info!(registration = %id, images = out.len(), "evidence links issued");
        }
        Reply::data(StatusCode::OK, &out)
    };
    auth.respond(outcome.await)
}

/// `GET /v2/evidence/{ticket}`: the image, if the ticket is genuine and unexpired; the download is
/// recorded in the registration's history. Any flaw in the ticket is one 404, saying nothing
/// about which part failed.
pub async fn download(deps: &Deps, req: Request) -> Response<Body> {
    match serve(deps, &req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn serve(deps: &Deps, req: &Request) -> Result<Response<Body>, ApiError> {
    let gone = || ApiError::NotFound("Evidence");
    let raw = path_param(req, "ticket").ok_or_else(gone)?;
    let (encoded, mac) = raw.split_once('.').ok_or_else(gone)?;
    let payload =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(gone)?;
    let expected = deps.jwt.keyed_hash(&["evidence", &payload]);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes())) {
        return Err(gone());
    }
    let mut parts = payload.split('|');
    let (Some(client), Some(registration), Some(path), Some(expires), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(gone());
    };
    let now = deps.clock.now();
    if expires.parse::<i64>().map_or(true, |e| e < now.unix_seconds()) {
        return Err(gone());
    }
    let (client, registration) = (ClientId::parse(client).map_err(|_| gone())?, RegistrationId::parse(registration).map_err(|_| gone())?);
    // Only an image still listed on the registration: an erased registration's links die with it.
    let reg = deps.registrations.get(&client, &registration).await?.ok_or_else(gone)?;
    if !reg.checks.iter().any(|c| c.images.iter().any(|p| p == path)) {
        return Err(gone());
    }
    let key = BlobKey::new(&client, path).ok_or_else(gone)?;
    let blob = deps.blobs.get(&key).await?.ok_or_else(gone)?;
    let entry = HistoryEntry {
        at: now,
        by: format!("client:{client}"),
        action: "evidence_downloaded".into(),
        reason: None,
        note: path.rsplit('/').next().map(str::to_string),
    };
    record(deps, &client, &registration, entry).await?;
    let mut resp = Response::new(Body::Binary(blob.bytes));
    *resp.status_mut() = StatusCode::OK;
    let headers = resp.headers_mut();
    if let Ok(v) = blob.content_type.parse() {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, lambda_http::http::HeaderValue::from_static("no-store"));
    Ok(resp)
}
