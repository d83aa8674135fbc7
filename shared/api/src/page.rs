//! The hosted onboarding page (`GET /sign-up/{projectId}`) and its static files
//! (`GET /sign-up/assets/{file}`): plain HTML, CSS and JavaScript modules from `shared/api/page/`,
//! embedded in the binary at build time, so running the product needs no front-end build and the
//! page never loads anything from another host.
//!
//! The page is a client of the public API only (the public project view and public sign-up, then
//! the enrollee token), so it holds no privilege of its own. What this module owns is how it is
//! served: the headers that keep it contained (a strict Content-Security-Policy that allows
//! scripts, styles, images and requests from this origin only; camera for this origin only; no
//! referrer, so the enrollee token can never leak through one), and which project it may show
//! (active or paused; drafts and unknown ids are 404 like the public project view).
//!
//! Framing: `frame-ancestors *`. Operators embed the page in their own sites and apps
//! (`<iframe src=".../sign-up/<projectId>#token=..." allow="camera">`), and the product has no
//! setting naming their origins. Allowing any embedder is safe here because the page carries no
//! ambient authority: no cookies, and the only credential it uses is the enrollee token the
//! embedder itself handed it (or a fresh public sign-up), kept in this tab's session storage.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{path_param, set_header, set_rate_headers};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use smartenroll_domain::ids::ProjectId;
use smartenroll_domain::ratelimit::Category;

/// The page's files, by the name they are served under.
pub const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("../page/app.js")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../page/api.js")),
    ("camera.js", "text/javascript; charset=utf-8", include_str!("../page/camera.js")),
    ("strings.js", "text/javascript; charset=utf-8", include_str!("../page/strings.js")),
    // npm qrcode-generator 2.0.4 (MIT), dist/qrcode.mjs byte for byte: the hand-off screen's QR
    // code, drawn in the browser. The browser test compares it with the npm package it installs.
    ("qrcode.js", "text/javascript; charset=utf-8", include_str!("../page/qrcode.js")),
    ("page.css", "text/css; charset=utf-8", include_str!("../page/page.css")),
];

const INDEX: &str = include_str!("../page/index.html");

/// Only this origin, for everything; images also as `data:`/`blob:` (the previews of what the
/// enrollee captured), media as camera streams.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors *";

/// The camera for this origin (which includes this page inside an iframe whose embedder
/// delegates it with `allow="camera"`); nothing else a KYC page has no use for.
pub const PERMISSIONS_POLICY: &str =
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), display-capture=()";

/// `GET /sign-up/{projectId}` and `GET /sign-up/assets/{file}` (no token; the page counted per
/// source address like the public project view).
pub async fn serve(deps: &Deps, req: Request) -> Response<Body> {
    if let Some(file) = path_param(&req, "file") {
        return match ASSETS.iter().find(|(name, _, _)| *name == file) {
            Some((_, content_type, text)) => {
                let mut resp = contained(text, content_type);
                set_header(&mut resp, "cache-control", "public, max-age=300");
                resp
            }
            None => ApiError::NotFound("File").into_response(),
        };
    }
    let rate = match crate::public::limit_source(deps, &req, Category::PublicRead).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let id = path_param(&req, "projectId")
            .and_then(|v| ProjectId::parse(v).ok())
            .ok_or_else(|| ApiError::BadRequest("Invalid project ID format: /sign-up/<projectId>".into()))?;
        crate::public::published_project(deps, &id).await
    };
    let mut resp = match outcome.await {
        Ok(_) => {
            let mut resp = contained(INDEX, "text/html; charset=utf-8");
            set_header(&mut resp, "cache-control", "no-store");
            resp
        }
        Err(e) => e.into_response(),
    };
    set_rate_headers(&mut resp, &rate);
    resp
}

/// A 200 with the page's protective headers.
fn contained(text: &str, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::Text(text.to_string()));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS_POLICY));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_files_it_serves_itself() {
        let referenced: Vec<&str> = INDEX.split('"').filter(|s| s.starts_with("/sign-up/assets/")).collect();
        assert!(!referenced.is_empty());
        for r in referenced {
            let name = r.trim_start_matches("/sign-up/assets/");
            assert!(ASSETS.iter().any(|(n, _, _)| *n == name), "{r} is not an embedded asset");
        }
        for (name, _, text) in ASSETS.iter().filter(|(n, _, _)| *n != "qrcode.js") {
            // (The vendored QR encoder names its author's site and the SVG namespace in text.)
            assert!(!text.contains("http://") && !text.contains("https://"), "{name} names another host");
            for line in text.lines().filter(|l| l.trim_start().starts_with("import ")) {
                let from = line.rsplit(['"', '\'']).nth(1).unwrap_or_default();
                let file = from.trim_start_matches("./");
                assert!(ASSETS.iter().any(|(n, _, _)| *n == file), "{name} imports {from}, which is not embedded");
            }
        }
    }
}
