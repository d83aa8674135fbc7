//! Reading requests and writing responses the same way in every handler: JSON bodies with a
//! content-type and size check, query pairs, path parameters, the success envelope and headers.

use crate::error::ApiError;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};
use smartenroll_domain::ratelimit::RateDecision;

/// Largest JSON body the configuration endpoints take (a base64 logo fits; API Gateway allows 10 MB).
pub const MAX_JSON_BODY: usize = 1024 * 1024;

pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    text_response(status, body.to_string())
}

fn text_response(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = Response::new(Body::Text(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    resp
}

pub fn set_header(resp: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

pub fn set_rate_headers(resp: &mut Response<Body>, d: &RateDecision) {
    set_header(resp, "x-ratelimit-limit", &d.limit.to_string());
    set_header(resp, "x-ratelimit-remaining", &d.remaining.to_string());
    set_header(resp, "x-ratelimit-reset", &d.reset_at.to_string());
}

/// A successful answer: the status and the whole JSON body (`{data, ...}`), serialised once,
/// straight from the domain's views.
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
}

#[derive(serde::Serialize)]
struct Data<'a, T> {
    data: &'a T,
}

impl Reply {
    /// Any serialisable body as it is.
    pub fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Result<Self, ApiError> {
        match serde_json::to_string(body) {
            Ok(body) => Ok(Self { status, body }),
            Err(e) => {
                tracing::error!(error = %e, "response serialisation failed");
                Err(ApiError::Internal)
            }
        }
    }
    /// The `{data: ...}` envelope.
    pub fn data<T: serde::Serialize>(status: StatusCode, data: &T) -> Result<Self, ApiError> {
        Self::json(status, &Data { data })
    }
    /// 200 with the reference's list envelope: `{data, total, limit, page, pages}`.
    pub fn page<T: serde::Serialize>(data: &T, total: u64, limit: u32, page: u32) -> Result<Self, ApiError> {
        Self::json(
            StatusCode::OK,
            &serde_json::json!({"data": data, "total": total, "limit": limit, "page": page, "pages": total.div_ceil(u64::from(limit))}),
        )
    }

    pub fn into_response(self) -> Response<Body> {
        text_response(self.status, self.body)
    }
}

pub(crate) fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// The request body as a JSON object: 413 when too large, 400 for a wrong content type, malformed
/// JSON or anything but an object.
pub fn json_object(req: &Request) -> Result<Map<String, Value>, ApiError> {
    json_object_up_to(req, MAX_JSON_BODY)
}

/// [`json_object`] with another size limit (image uploads).
pub fn json_object_up_to(req: &Request, max: usize) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(req);
    if bytes.len() > max {
        return Err(ApiError::PayloadTooLarge(max));
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
        return Err(ApiError::BadRequest("Content-Type must be application/json".into()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("Request body must be a JSON object".into()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => {
            check_shape(&v)?;
            match v {
                Value::Object(m) => Ok(m),
                _ => Err(ApiError::BadRequest("Request body must be a JSON object".into())),
            }
        }
        // serde_json stops at 128 levels by itself: that is a shape refusal too, not malformed JSON.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => Err(too_deep()),
        Err(e) => Err(ApiError::BadRequest(format!("Malformed JSON: {e}"))),
    }
}

/// How deep a body may nest. The deepest body the API takes (a whole project with its flow's
/// per-country document configurations) is 7 levels.
pub const MAX_JSON_DEPTH: usize = 32;
/// The longest array any body may hold: a blocklist upload's entries.
pub const MAX_JSON_ARRAY: usize = smartenroll_domain::blocklist::MAX_ENTRIES;

fn too_deep() -> ApiError {
    ApiError::Validation(vec![smartenroll_domain::error::FieldError::new("body", format!("nests deeper than {MAX_JSON_DEPTH} levels"))])
}

/// Refuses bodies whose shape no endpoint takes, before any handler walks them: too deep, or an
/// array longer than any list the API accepts (string lengths are each field's own rule).
fn check_shape(v: &Value) -> Result<(), ApiError> {
    let mut stack = vec![(v, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > MAX_JSON_DEPTH {
            return Err(too_deep());
        }
        match v {
            Value::Array(items) => {
                if items.len() > MAX_JSON_ARRAY {
                    return Err(ApiError::Validation(vec![smartenroll_domain::error::FieldError::new(
                        "body",
                        format!("holds a list of {} items; at most {MAX_JSON_ARRAY}", items.len()),
                    )]));
                }
                stack.extend(items.iter().map(|i| (i, depth + 1)));
            }
            Value::Object(fields) => stack.extend(fields.values().map(|f| (f, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Whether the request carries a body at all (endpoints whose body is optional).
pub fn has_body(req: &Request) -> bool {
    !body_bytes(req).iter().all(u8::is_ascii_whitespace)
}

/// Decoded query pairs; a key repeated in the URL appears once per value.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        req.query_string_parameters_ref().map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap_or_default();
    pairs.sort();
    pairs
}

pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.path_parameters_ref().and_then(|p| p.first(name))
}
