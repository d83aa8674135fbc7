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
use smartenroll_domain::blob::{Blob, BlobKey};
use smartenroll_domain::ids::ProjectId;
use smartenroll_domain::project::Project;
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

/// `GET /sign-up/{projectId}`, `GET /sign-up/assets/{file}` and
/// `GET /sign-up/{projectId}/branding/{image}` (no token; the page and the images counted per
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
    if let Some(slot) = path_param(&req, "image") {
        let mut resp = branding_image(deps, &req, slot).await.unwrap_or_else(ApiError::into_response);
        set_rate_headers(&mut resp, &rate);
        return resp;
    }
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

/// The step-6 images the page shows (`branding.logo`, `branding.image`), by slot.
pub const BRANDING_IMAGES: [&str; 2] = ["logo", "image"];

/// The largest logo or image taken (fetched or in a data URI), before it is normalised.
const BRANDING_MAX_BYTES: usize = 2_000_000;

/// The longest side a stored branding image keeps.
const BRANDING_MAX_SIDE: u32 = 1200;

fn branding_key(p: &Project, slot: &str) -> Option<BlobKey> {
    // Under the project's folder: deleting the project purges it with everything else.
    BlobKey::new(&p.client, &format!("projects/{}/branding/{slot}.png", p.id))
}

/// The paths the page loads the project's branding images from (own origin: the page's CSP allows
/// no other host), for the slots the operator set.
pub fn hosted_images(p: &Project) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for slot in BRANDING_IMAGES {
        let set = p.config.branding.values.get(slot).is_some_and(Option::is_some);
        out.insert(slot.into(), if set { format!("/sign-up/{}/branding/{slot}", p.id).into() } else { serde_json::Value::Null });
    }
    out.into()
}

/// At save time: the logo and image a create or update set or changed are read once (a data URI,
/// or fetched through the outbound guard like every server-side fetch), decoded under the image
/// limits, re-encoded as PNG (no metadata, no polyglot survives) at most 1200 px on a side, and
/// stored in the project's folder; a removed one is deleted. One that cannot be stored is a
/// warning and the save stands (the page then shows the project's name). Racing saves of two
/// different logos may leave the later record with the earlier file until the next save.
pub async fn host_branding_images(deps: &Deps, before: Option<&Project>, after: &Project) -> Vec<String> {
    let mut warnings = Vec::new();
    for slot in BRANDING_IMAGES {
        let value = |p: &Project| p.config.branding.values.get(slot).cloned().flatten();
        let wanted = value(after);
        // Unchanged, or never set (a create without it): nothing to store or delete.
        if before.map_or(wanted.is_none(), |b| value(b) == wanted) {
            continue;
        }
        let Some(key) = branding_key(after, slot) else { continue };
        let stored = match wanted.as_deref() {
            Some(source) => match branding_png(deps, source).await {
                Ok(png) => deps.blobs.put(&key, Blob { content_type: "image/png".into(), bytes: png }).await.map_err(|e| {
                    tracing::warn!(project = %after.id, slot, error = %e, "a branding image could not be stored");
                    "the file store refused it".to_string()
                }),
                Err(why) => Err(why),
            },
            None => Err(String::new()),
        };
        if let Err(why) = stored {
            if !why.is_empty() {
                warnings
                    .push(format!("branding.{slot}: not stored for the hosted page ({why}); the page shows the project's name instead"));
            }
            if let Err(e) = deps.blobs.delete(&key).await {
                tracing::warn!(project = %after.id, slot, error = %e, "an old branding image could not be deleted");
            }
        }
    }
    warnings
}

async fn branding_png(deps: &Deps, source: &str) -> Result<Vec<u8>, String> {
    let bytes = if source.starts_with("data:") {
        crate::images::decode("branding", source).map_err(|e| e.message())?.bytes
    } else {
        deps.remote_images.fetch(source, BRANDING_MAX_BYTES).await.map_err(|e| format!("could not fetch it: {e}"))?
    };
    if bytes.len() > BRANDING_MAX_BYTES {
        return Err(format!("larger than {BRANDING_MAX_BYTES} bytes"));
    }
    let png = tokio::task::spawn_blocking(move || {
        let img = crate::images::dynamic_from_bytes(&bytes).map_err(|e| format!("not a PNG, JPEG or WebP image: {e}"))?;
        let img = if img.width().max(img.height()) > BRANDING_MAX_SIDE { img.thumbnail(BRANDING_MAX_SIDE, BRANDING_MAX_SIDE) } else { img };
        let mut out = std::io::Cursor::new(Vec::new());
        img.to_rgba8().write_to(&mut out, image::ImageFormat::Png).map_err(|e| format!("could not be re-encoded: {e}"))?;
        Ok::<_, String>(out.into_inner())
    });
    png.await.map_err(|_| "the decoder stopped".to_string())?
}

/// `GET /sign-up/{projectId}/branding/{image}`: a stored branding image of a published project.
async fn branding_image(deps: &Deps, req: &Request, slot: &str) -> Result<Response<Body>, ApiError> {
    let id = path_param(req, "projectId").and_then(|v| ProjectId::parse(v).ok()).ok_or(ApiError::NotFound("Image"))?;
    let project = crate::public::published_project(deps, &id).await?;
    let key = BRANDING_IMAGES.contains(&slot).then(|| branding_key(&project, slot)).flatten().ok_or(ApiError::NotFound("Image"))?;
    let blob = deps.blobs.get(&key).await?.ok_or(ApiError::NotFound("Image"))?;
    let mut resp = Response::new(Body::Binary(blob.bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(resp)
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
