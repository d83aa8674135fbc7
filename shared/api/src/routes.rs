//! The routing table: the one source of truth for which method and path reach which handler.
//! The single-node server dispatches through [`find`]; each Lambda function serves one `function`
//! name; a test checks the SAM template declares exactly these routes.

use crate::Deps;
use lambda_http::{Body, Request, Response};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

pub type BoxResponse<'a> = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a Deps, Request) -> BoxResponse<'a>;

/// Who may call a route: the auth matrix test (tests/api/security.rs) derives its cases from this,
/// so a route cannot be added without saying who it is for, and without being covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An operator's client token (`aud: smartenroll:client`), unrevoked.
    Client,
    /// An enrollee's registration token (`aud: smartenroll:enrollee`) for its own registration.
    Enrollee,
    /// Either of the two (the operator reads any of its registrations, the enrollee its own).
    Either,
    /// A client token, or none at all for the project's public sign-up (`publicSignUp`, rate
    /// limited per source address).
    ClientOrPublic,
    /// Public on purpose: the published view of an active project, rate limited per source.
    Public,
    /// The credential is in the path: an HMAC-signed, expiring evidence ticket.
    Ticket,
}

pub struct Route {
    pub method: &'static str,
    /// API Gateway route syntax: `/v3/projects/{id}`.
    pub path: &'static str,
    /// The endpoint's name: its Lambda function, its `events/` folder.
    pub function: &'static str,
    pub access: Access,
    pub handler: Handler,
}

/// `handler!(path::to::fn)`: an endpoint function as a [`Handler`]. Exported so each Lambda binary
/// names its own handler directly and links only that one (the table would link them all).
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn boxed<'a>(deps: &'a $crate::Deps, req: $crate::Request) -> $crate::routes::BoxResponse<'a> {
            Box::pin($f(deps, req))
        }
        boxed as $crate::routes::Handler
    }};
}

macro_rules! routes {
    ($( $method:literal $path:literal => $function:literal $access:ident $f:path ),+ $(,)?) => {
        pub static ROUTES: &[Route] = &[ $( Route { method: $method, path: $path, function: $function, access: Access::$access, handler: $crate::handler!($f) } ),+ ];
    };
}

routes! {
    "POST" "/v3/projects" => "projects-create" Client crate::projects::create,
    "GET" "/v3/projects" => "projects-list" Client crate::projects::list,
    "GET" "/v3/projects/{id}" => "projects-get" Client crate::projects::get,
    "PUT" "/v3/projects/{id}" => "projects-update" Client crate::projects::update,
    "DELETE" "/v3/projects/{id}" => "projects-delete" Client crate::projects::delete,
    "GET" "/v2/projects/kyc" => "projects-public" Public crate::public::project_view,
    "POST" "/v2/projects" => "projects-create" Client crate::projects::create,
    "GET" "/v2/projects" => "projects-list" Client crate::projects::list,
    "GET" "/v2/projects/{id}" => "projects-get" Client crate::projects::get,
    "PUT" "/v2/projects/{id}" => "projects-update" Client crate::projects::update,
    "DELETE" "/v2/projects/{id}" => "projects-delete" Client crate::projects::delete,
    "POST" "/v2/project-flows" => "project-flows-create" Client crate::flows::create,
    "GET" "/v2/project-flows" => "project-flows-list" Client crate::flows::list,
    "GET" "/v2/project-flows/{id}" => "project-flows-get" Client crate::flows::get,
    "PUT" "/v2/project-flows/{id}" => "project-flows-update" Client crate::flows::update,
    "PUT" "/v3/project-flows/{id}" => "project-flows-update" Client crate::flows::update,
    "DELETE" "/v3/project-flows/{id}" => "project-flows-delete" Client crate::flows::delete,
    "DELETE" "/v2/project-flows/{id}" => "project-flows-delete" Client crate::flows::delete,
    "PUT" "/v2/project-flows/{id}/blacklist" => "project-flows-blacklist" Client crate::blocklist::replace,
    "POST" "/v2/auth/renew-and-revoke" => "auth-renew-and-revoke" Client crate::auth::renew_and_revoke,
    "GET" "/v2/auth/session" => "auth-session" Client crate::auth::session,
    "POST" "/v2/projects/email-login" => "auth-email-login" Public crate::login::email_login,
    "POST" "/v2/projects/email-login/confirm" => "auth-email-login-confirm" Public crate::login::email_confirm,
    "POST" "/v2/projects/phone-login" => "auth-phone-login" Public crate::login::phone_login,
    "POST" "/v2/projects/phone-login/confirm" => "auth-phone-login-confirm" Public crate::login::phone_confirm,
    "POST" "/v2/app-registrations" => "registrations-create" ClientOrPublic crate::registrations::create,
    "GET" "/v2/app-registrations" => "registrations-list" Client crate::registrations::list,
    "GET" "/v2/app-registrations/{id}" => "registrations-get" Either crate::registrations::get,
    "GET" "/v2/app-registrations/{id}/events" => "registrations-events" Client crate::registrations::events,
    "DELETE" "/v2/app-registrations/{id}" => "registrations-delete" Client crate::registrations::delete,
    "GET" "/v2/app-registrations/{id}/evidence" => "registrations-evidence" Client crate::evidence::links,
    "GET" "/v2/evidence/{ticket}" => "evidence-download" Ticket crate::evidence::download,
    "POST" "/v2/app-registrations/{id}/resend-link" => "registrations-resend-link" Client crate::registrations::resend_link,
    "POST" "/v2/app-registrations/{id}/handoff" => "registrations-handoff" Enrollee crate::registrations::handoff,
    "POST" "/v2/app-registrations/{id}/representatives" => "registrations-representatives" Either crate::registrations::invite_representative,
    "POST" "/v2/email-validations/app-registration" => "email-validations-send" Enrollee crate::validations::email_send,
    "PUT" "/v2/email-validations/{id}" => "email-validations-check" Enrollee crate::validations::email_check,
    "POST" "/v2/phone-validations/app-registration" => "phone-validations-send" Enrollee crate::validations::phone_send,
    "PUT" "/v2/phone-validations" => "phone-validations-check" Enrollee crate::validations::phone_check,
    "PUT" "/v2/app-registrations/{id}/sync" => "registrations-sync" Enrollee crate::checks::sync,
    "POST" "/v2/app-registrations/{id}/review" => "registrations-review" Client crate::checks::review,
    "POST" "/v2/document-validations/app-registration" => "document-validations-submit" Enrollee crate::checks::submit_document,
    "POST" "/v2/biometric-validations/app-registration" => "biometric-validations-submit" Enrollee crate::checks::submit_selfie,
    "POST" "/v2/face-recognition/liveness" => "face-liveness" Client crate::face_api::liveness,
    "POST" "/v2/face-recognition/liveness/challenge" => "face-liveness-challenge" Either crate::face_api::challenge,
    "POST" "/v2/face-recognition/compare" => "face-compare" Client crate::face_api::compare,
    "POST" "/v2/face-recognition/compare-with-liveness" => "face-compare-with-liveness" Client crate::face_api::compare_with_liveness,
    "POST" "/v2/face-recognition/compare/app-registration" => "face-compare-app-registration" Enrollee crate::face_api::app_registration,
    "POST" "/v2/webhooks" => "webhooks-create" Client crate::webhooks::create,
    "GET" "/v2/webhooks" => "webhooks-list" Client crate::webhooks::list,
    "GET" "/v2/webhooks/{id}" => "webhooks-get" Client crate::webhooks::get,
    "PUT" "/v2/webhooks/{id}" => "webhooks-update" Client crate::webhooks::update,
    "DELETE" "/v2/webhooks/{id}" => "webhooks-delete" Client crate::webhooks::delete,
    "POST" "/v2/webhooks/{id}/rotate-secret" => "webhooks-rotate-secret" Client crate::webhooks::rotate_secret,
    "POST" "/v2/webhooks/{id}/test" => "webhooks-test" Client crate::webhooks::ping,
    "GET" "/v2/webhooks/{id}/deliveries" => "webhooks-deliveries" Client crate::webhooks::deliveries,
    "GET" "/v2/webhooks/{id}/deliveries/{deliveryId}" => "webhooks-delivery" Client crate::webhooks::delivery,
    "POST" "/v2/webhooks/{id}/deliveries/{deliveryId}/replay" => "webhooks-replay" Client crate::webhooks::replay,
    "POST" "/v2/webhooks/{id}/replay-failed" => "webhooks-replay-failed" Client crate::webhooks::replay_failed,
    "GET" "/sign-up/{projectId}" => "hosted-page" Public crate::page::serve,
    "GET" "/sign-up/assets/{file}" => "hosted-page" Public crate::page::serve,
    "GET" "/sign-up/{projectId}/branding/{image}" => "hosted-page" Public crate::page::serve,
}

pub enum Match {
    Found(&'static Route, HashMap<String, String>),
    /// The path exists with other methods: these, for the `Allow` header (RFC 9110).
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut want = pattern.trim_matches('/').split('/');
    let mut got = path.trim_end_matches('/').trim_start_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                params.insert(w[1..w.len() - 1].to_string(), g.to_string());
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

pub fn find(method: &str, path: &str) -> Match {
    // A path some route spells out literally (`/v2/projects/email-login`) is that resource only,
    // not also `{id}` = "email-login" of a parameterised one: its other methods are 405.
    let literal = ROUTES.iter().any(|r| !r.path.contains('{') && match_path(r.path, path).is_some());
    let mut allowed = Vec::new();
    for route in ROUTES.iter().filter(|r| !literal || !r.path.contains('{')) {
        if let Some(params) = match_path(route.path, path) {
            if route.method.eq_ignore_ascii_case(method) {
                return Match::Found(route, params);
            }
            if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
        }
    }
    if allowed.is_empty() { Match::NotFound } else { Match::MethodNotAllowed(allowed) }
}

/// The first handler registered under a function name (one Lambda per function).
pub fn handler_for(function: &str) -> Option<Handler> {
    ROUTES.iter().find(|r| r.function == function).map(|r| r.handler)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_parameters_and_methods_are_told_apart() {
        match find("GET", "/v3/projects/65a1b2c3d4e5f60718293a4b") {
            Match::Found(r, p) => {
                assert_eq!(r.function, "projects-get");
                assert_eq!(p.get("id").map(String::as_str), Some("65a1b2c3d4e5f60718293a4b"));
            }
            _ => panic!("expected a match"),
        }
        assert!(matches!(find("PATCH", "/v3/projects/x"), Match::MethodNotAllowed(m) if m == ["GET", "PUT", "DELETE"]));
        assert!(matches!(find("GET", "/v3/nothing"), Match::NotFound));
        assert!(matches!(find("GET", "/v3/projects/"), Match::Found(r, _) if r.function == "projects-list"));
        assert!(matches!(find("GET", "/v3/projects/a/b"), Match::NotFound));
        assert!(matches!(find("GET", "/v2/projects/kyc"), Match::Found(r, _) if r.function == "projects-public"), "the static path wins");
        assert!(matches!(find("GET", "/v2/projects/email-login"), Match::MethodNotAllowed(m) if m == ["POST"]), "and is only itself");
        assert!(matches!(find("PUT", "/v2/email-validations/app-registration"), Match::MethodNotAllowed(m) if m == ["POST"]));
        assert!(
            matches!(find("PUT", "/v2/email-validations/65a1b2c3d4e5f60718293a4b"), Match::Found(r, _) if r.function == "email-validations-check")
        );
    }

    #[test]
    fn every_route_is_unique_and_v2_mirrors_v3_for_projects() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(seen.insert((r.method, r.path)), "duplicate route {} {}", r.method, r.path);
        }
        for r in ROUTES.iter().filter(|r| r.path.starts_with("/v3/projects")) {
            let v2 = r.path.replacen("/v3/", "/v2/", 1);
            assert!(ROUTES.iter().any(|o| o.method == r.method && o.path == v2 && o.function == r.function), "{v2}");
        }
    }
}
