//! Every failure a handler can answer with, and its one mapping to HTTP: status, `code`, `message`
//! and, for validation, `details: [{field, message}]`. Causes of 500s are logged, never sent.

use crate::http::json_response;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;
use smartenroll_domain::error::{DomainError, FieldError, StoreError};
use smartenroll_domain::ratelimit::RateDecision;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(&'static str),
    NotFound(&'static str),
    /// 404 `NotFound` with the reference's own message slug (`invalid_email`).
    NotFoundSlug(&'static str),
    MethodNotAllowed,
    Conflict {
        message: String,
        details: Vec<FieldError>,
    },
    PayloadTooLarge(usize),
    /// A required parameter is missing, where the reference answers 409 `MissingParameter`
    /// (webhook create without `url`).
    MissingParameter(Vec<FieldError>),
    Validation(Vec<FieldError>),
    RateLimited {
        decision: RateDecision,
        retry_after: i64,
    },
    Forbidden(String),
    PreconditionFailed(String),
    /// Too many tries or sends of something that is not the per-minute API budget.
    TooMany {
        message: String,
        retry_after: i64,
    },
    /// A provider we call (email, SMS) refused or could not be reached; the cause is logged.
    BadGateway(String),
    /// Something this deployment has not been configured for (e.g. no email provider).
    Unavailable(String),
    /// The face engine refused an image (no face, several, too small, blurred, dark): 422 with
    /// the refusal's own code (`face_not_found`, …) and the field that carried the image.
    Face {
        field: String,
        code: &'static str,
        message: String,
    },
    /// Logged where it happens; the body says only that something went wrong on our side.
    Internal,
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(details) => ApiError::Validation(details),
            DomainError::Conflict { message, details } => ApiError::Conflict { message, details },
            DomainError::NotFound(what) => ApiError::NotFound(what),
            DomainError::Forbidden(m) => ApiError::Forbidden(m),
            DomainError::PreconditionFailed(m) => ApiError::PreconditionFailed(m),
            DomainError::TooMany { message, retry_after } => ApiError::TooMany { message, retry_after },
            DomainError::Internal(why) => {
                tracing::error!(error = why, "domain invariant broken");
                ApiError::Internal
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => {
                ApiError::Conflict { message: "The record was modified concurrently; read it again and retry".into(), details: vec![] }
            }
            StoreError::Duplicate => ApiError::Conflict { message: "A record with this id exists already".into(), details: vec![] },
            StoreError::Backend(cause) => {
                tracing::error!(error = %cause, "storage failure");
                ApiError::Internal
            }
            StoreError::Unconfigured(what) => {
                tracing::error!(what = %what, "a store this request needs is not configured");
                ApiError::Unavailable(
                    "not_configured: this deployment is not set up for this operation; its operator has the details in the logs".into(),
                )
            }
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) | ApiError::NotFoundSlug(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::MissingParameter(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) | ApiError::Face { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The reference's code names (`BadRequest`, `NotFound`, `UnprocessableEntity`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::NotFound(_) | ApiError::NotFoundSlug(_) => "NotFound",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::MissingParameter(_) => "MissingParameter",
            ApiError::PayloadTooLarge(_) => "PayloadTooLarge",
            ApiError::Validation(_) => "UnprocessableEntity",
            ApiError::Face { code, .. } => code,
            ApiError::RateLimited { .. } => "RateLimitExceeded",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::PreconditionFailed(_) => "PreconditionFailed",
            ApiError::TooMany { .. } => "TooManyAttempts",
            ApiError::BadGateway(_) => "GatewayError",
            ApiError::Unavailable(_) => "ServiceUnavailable",
            ApiError::Internal => "InternalError",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::BadRequest(m) => m.clone(),
            ApiError::Unauthorized(m) => (*m).to_string(),
            ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::NotFoundSlug(slug) => (*slug).to_string(),
            ApiError::MethodNotAllowed => "Method not allowed on this path".into(),
            ApiError::Conflict { message, .. } => message.clone(),
            ApiError::MissingParameter(details) => details.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; "),
            ApiError::PayloadTooLarge(max) => format!("Request body is larger than {max} bytes"),
            ApiError::Validation(details) => match details.as_slice() {
                [one] => format!("Validation failed: {} {}", one.field, one.message),
                many => format!("Validation failed: {} problems", many.len()),
            },
            ApiError::RateLimited { decision, .. } => format!("Rate limit of {} requests per minute exceeded", decision.limit),
            ApiError::Forbidden(m) | ApiError::PreconditionFailed(m) | ApiError::BadGateway(m) | ApiError::Unavailable(m) => m.clone(),
            ApiError::TooMany { message, .. } => message.clone(),
            ApiError::Face { field, message, .. } => format!("{field}: {message}"),
            ApiError::Internal => "Something went wrong on our side; the error has been logged".into(),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let mut body = json!({"message": self.message(), "code": self.code(), "status": status.as_u16()});
        match &self {
            ApiError::Validation(details) | ApiError::MissingParameter(details) | ApiError::Conflict { details, .. }
                if !details.is_empty() =>
            {
                body["details"] = json!(details);
            }
            ApiError::Face { field, message, .. } => body["details"] = json!([{"field": field, "message": message}]),
            _ => {}
        }
        let mut resp = json_response(status, &body);
        if let ApiError::RateLimited { decision, retry_after } = &self {
            crate::http::set_rate_headers(&mut resp, decision);
            crate::http::set_header(&mut resp, "retry-after", &retry_after.max(&1).to_string());
        }
        if let ApiError::TooMany { retry_after, .. } = &self {
            crate::http::set_header(&mut resp, "retry-after", &retry_after.max(&1).to_string());
        }
        resp
    }
}
