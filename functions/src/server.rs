//! The single-node HTTP server: hyper (via axum) accepts connections, each request becomes a
//! `lambda_http::Request` shaped as API Gateway would deliver it (path parameters from the routing
//! table, decoded query parameters), and the shared handler answers. No handler lives here.

use axum::extract::State;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::{Body, RequestExt};
use smartenroll_api::Deps;
use smartenroll_api::error::ApiError;
use smartenroll_api::routes::{self, Match, Route};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// The most the server reads of a body: Lambda's 6 MB request payload limit.
const MAX_BODY_READ: usize = 6 * 1024 * 1024;

struct App {
    deps: Deps,
    /// Routes tried before the table (the benchmark's hello-world handler); empty in production.
    extra: &'static [Route],
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    deps: Deps,
    extra: &'static [Route],
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Arc::new(App { deps, extra });
    let router = axum::Router::new().fallback(dispatch).with_state(app);
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown).await
}

fn find(app: &App, method: &str, path: &str) -> Match {
    for route in app.extra {
        if route.method == method && route.path == path {
            return Match::Found(route, Default::default());
        }
    }
    routes::find(method, path)
}

async fn dispatch(State(app): State<Arc<App>>, req: axum::extract::Request) -> axum::response::Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    // The API's own description (generated from the routing table; see `smartenroll_api::openapi`).
    if path == "/openapi.json" && parts.method == axum::http::Method::GET {
        let mut resp = axum::response::Response::new(axum::body::Body::from(smartenroll_api::openapi::pretty()));
        resp.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
        return resp;
    }
    let (route, params) = match find(&app, parts.method.as_str(), &path) {
        Match::Found(route, params) => (route, params),
        Match::MethodNotAllowed(allowed) => {
            let mut response = ApiError::MethodNotAllowed.into_response();
            if let Ok(value) = allowed.join(", ").parse() {
                response.headers_mut().insert(lambda_http::http::header::ALLOW, value);
            }
            return to_axum(response);
        }
        Match::NotFound => return to_axum(ApiError::NotFound("Route").into_response()),
    };
    // Read bodies up to Lambda's own payload ceiling, so a handler can answer an oversized body
    // with a proper 413 (its own limit is lower) instead of the connection being cut mid-upload.
    let bytes = match axum::body::to_bytes(body, MAX_BODY_READ).await {
        Ok(b) => b,
        Err(_) => return to_axum(ApiError::PayloadTooLarge(MAX_BODY_READ).into_response()),
    };
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    let query: QueryMap = parts.uri.query().unwrap_or("").parse().unwrap_or_default();
    // The peer address where API Gateway puts the caller's (`requestContext.http.sourceIp`): what
    // the tokenless endpoints count their per-source limits by. Behind a reverse proxy this is
    // the proxy; X-Forwarded-For is never trusted, as any client can write it.
    let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.method = parts.method.clone();
    context.http.source_ip = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
    let request = lambda_http::Request::from_parts(parts, body)
        .with_query_string_parameters(query)
        .with_path_parameters(params)
        .with_raw_http_path(path)
        .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(context));
    let response = smartenroll_api::idempotency::call(&app.deps, route.function, route.handler, request).await;
    tracing::info!(
        function = route.function,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    to_axum(response)
}

fn to_axum(resp: lambda_http::Response<Body>) -> axum::response::Response {
    let (parts, body) = resp.into_parts();
    let body = match body {
        Body::Text(s) => axum::body::Body::from(s),
        Body::Binary(b) => axum::body::Body::from(b),
        _ => axum::body::Body::empty(),
    };
    axum::response::Response::from_parts(parts, body)
}
