//! The `Idempotency-Key` request header on every POST, around every handler alike (the single-node
//! dispatcher and each Lambda function call [`call`]): a retried request with the same key gets
//! the first answer instead of creating a second resource. The rules are
//! `smartenroll_domain::idempotency`; here the HTTP side: who the caller is (the key's scope), the
//! request's fingerprint, the replay and the refusals.

use crate::Deps;
use crate::error::ApiError;
use crate::routes::Handler;
use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use smartenroll_domain::error::FieldError;
use smartenroll_domain::idempotency::{Claim, Decision, MAX_STORED_BODY, StoredResponse, decide, fingerprint, record_key, valid_key};

pub const HEADER: &str = "idempotency-key";
/// Set on a replayed answer, so a client can tell a replay from a first run.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Runs `handler` for `req`, honouring an `Idempotency-Key` header on a POST.
pub async fn call(deps: &Deps, function: &str, handler: Handler, req: Request) -> Response<Body> {
    if req.method() != Method::POST {
        return handler(deps, req).await;
    }
    let Some(raw) = req.headers().get(HEADER) else {
        return handler(deps, req).await;
    };
    let Some(key) = raw.to_str().ok().map(str::trim).filter(|k| valid_key(k)).map(str::to_string) else {
        return ApiError::Validation(vec![FieldError::new("Idempotency-Key", "must be 1 to 255 visible ASCII characters")]).into_response();
    };
    // A caller the handler will refuse (no or a bad credential) gets that refusal, unremembered.
    let Some(scope) = scope(deps, &req) else {
        return handler(deps, req).await;
    };
    let record = record_key(&scope, function, &key);
    let target = match req.uri().query() {
        Some(q) => format!("{}?{q}", req.uri().path()),
        None => req.uri().path().to_string(),
    };
    let fp = fingerprint(req.method().as_str(), &target, req.body().as_ref());
    match deps.idempotency.claim(&record, &fp, deps.clock.now()).await {
        Err(e) => {
            tracing::error!(function, error = %e, "the idempotency store failed");
            ApiError::Unavailable("Idempotency keys cannot be checked right now; retry shortly".into()).into_response()
        }
        Ok(Claim::Held(held)) => match decide(&held, &fp) {
            Decision::Replay(stored) => replay(stored),
            Decision::InProgress => {
                let mut resp = ApiError::Conflict {
                    message: "A request with this Idempotency-Key is still being processed; retry shortly".into(),
                    details: vec![],
                }
                .into_response();
                crate::http::set_header(&mut resp, "retry-after", "1");
                resp
            }
            Decision::Mismatch => ApiError::Validation(vec![FieldError::new(
                "Idempotency-Key",
                "was already used for a different request (method, path or body) in the last 24 hours",
            )])
            .into_response(),
        },
        Ok(Claim::Claimed) => {
            let resp = handler(deps, req).await;
            let keep = match resp.body() {
                Body::Text(text) if resp.status().is_success() && text.len() <= MAX_STORED_BODY => Some(StoredResponse {
                    status: resp.status().as_u16(),
                    content_type: resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string),
                    body: text.clone(),
                }),
                Body::Empty if resp.status().is_success() => {
                    Some(StoredResponse { status: resp.status().as_u16(), content_type: None, body: String::new() })
                }
                _ => None,
            };
            let stored = match keep {
                Some(answer) => deps.idempotency.complete(&record, &fp, &answer).await,
                None => deps.idempotency.release(&record, &fp).await,
            };
            if let Err(e) = stored {
                // The answer goes out regardless; a retry then runs again (or, for a claim that
                // could not be released, waits out the pending window).
                tracing::warn!(function, error = %e, "an idempotency record was not updated");
            }
            resp
        }
    }
}

/// Whose key this is: the client of a valid client token, the registration of a valid enrollee
/// token, or, with no credential at all, the source address (the public sign-up). `None` for a
/// credential that does not verify: the handler refuses that request and nothing is kept.
fn scope(deps: &Deps, req: &Request) -> Option<String> {
    let now = deps.clock.now();
    match req.headers().get(header::AUTHORIZATION) {
        Some(_) => {
            let token = crate::auth::bearer(req).ok()?;
            if let Ok(c) = deps.jwt.verify_client_token(token, now) {
                return Some(format!("client:{}", c.client_id));
            }
            deps.jwt.verify_enrollee_token(token, now).ok().map(|e| format!("registration:{}", e.registration_id))
        }
        None => match req.request_context_ref() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.http.source_ip.as_ref().map(|ip| format!("source:{ip}")),
            _ => None,
        },
    }
}

fn replay(stored: StoredResponse) -> Response<Body> {
    let mut builder =
        Response::builder().status(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK)).header(REPLAYED_HEADER, "true");
    if let Some(ct) = &stored.content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    let body = if stored.body.is_empty() { Body::Empty } else { Body::Text(stored.body) };
    builder.body(body).unwrap_or_else(|_| ApiError::Internal.into_response())
}
