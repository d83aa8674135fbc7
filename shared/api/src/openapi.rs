//! The OpenAPI 3.1 document of the API, generated from the routing table (every route, its path
//! parameters, who may call it) and the domain's own enums, so it cannot list a route the server
//! does not have or miss one it has. The single-node server serves it at `GET /openapi.json`;
//! `smartenroll openapi` prints it, and the copy committed in `shared/api/openapi.json` is checked
//! against it by a test.
//!
//! Request and success bodies come from [`crate::schemas`] (field by field, with the readers' own
//! limits and enums); every error shape is exact. Creates carry OpenAPI links to the operations on
//! what they created, so schemathesis' stateful phase walks create → read → update → delete. The
//! events fixtures' statuses are checked against the documented responses (tests/api/events.rs).

use crate::routes::{Access, ROUTES, Route};
use serde_json::{Map, Value, json};
use smartenroll_domain::project::ProjectStatus;
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::registration::RegistrationStatus;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The document, built once per process.
pub static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

/// Functions whose success is `201 Created`, and those that answer `202 Accepted` (a delivery
/// queued); the rest answer 200. The events fixtures' success statuses are checked against these.
pub const CREATED: &[&str] = &["projects-create", "project-flows-create", "webhooks-create"];
pub const ACCEPTED: &[&str] = &["webhooks-test", "webhooks-replay", "webhooks-replay-failed"];

/// The error statuses every operation can answer (401 too unless it is public), each in the error
/// shape: the status and its shared response's name in `components.responses`.
const ERRORS: &[(u16, &str, &str)] = &[
    (400, "BadRequest", "Malformed JSON, a wrong content type or a malformed id"),
    (401, "Unauthorized", "Missing, malformed, forged, expired or revoked token, or a token of the wrong kind"),
    (404, "NotFound", "No such resource for this caller (another tenant's is not found either)"),
    (409, "Conflict", "A state conflict, or a missing parameter where the reference answers 409 (`MissingParameter`)"),
    (413, "PayloadTooLarge", "The body is larger than the endpoint takes"),
    (422, "UnprocessableEntity", "Validation failed: `details` names each field"),
    (429, "RateLimited", "A rate limit: `Retry-After` says when to come back"),
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["message", "code"],
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string", "description": "The reference's code names: BadRequest, Unauthorized, NotFound, Conflict, MissingParameter, UnprocessableEntity, RateLimitExceeded, PayloadTooLarge, PreconditionFailed, Forbidden, ServiceUnavailable, and slugs such as otp_does_not_match"},
            "status": {"type": "integer"},
            "details": {
                "type": "array",
                "items": {"type": "object", "required": ["field", "message"], "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}
            }
        }
    })
}

fn enum_schema(values: impl IntoIterator<Item = &'static str>, description: &str) -> Value {
    json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>(), "description": description})
}

/// The operation's id: its function, with the version where two paths share a function.
fn operation_id(route: &Route) -> String {
    let shared = ROUTES.iter().filter(|r| r.function == route.function).count() > 1;
    if shared {
        let version = route.path.split('/').nth(1).unwrap_or("v2");
        let same_version = ROUTES.iter().filter(|r| r.function == route.function && r.path.split('/').nth(1) == Some(version)).count() > 1;
        if same_version {
            // Not versioned (the hosted page and its files): named by the last literal segment.
            let last = route.path.split('/').rfind(|s| !s.starts_with('{')).unwrap_or(version);
            return format!("{}-{last}", route.function);
        }
        format!("{}-{version}", route.function)
    } else {
        route.function.to_string()
    }
}

fn security(access: Access) -> Value {
    match access {
        Access::Client => json!([{"clientToken": []}]),
        Access::Enrollee => json!([{"enrolleeToken": []}]),
        Access::Either => json!([{"clientToken": []}, {"enrolleeToken": []}]),
        // An empty requirement: the call may come without a token.
        Access::ClientOrPublic => json!([{"clientToken": []}, {}]),
        Access::Public | Access::Ticket => json!([]),
    }
}

fn success(route: &Route) -> (String, Value) {
    let status = if CREATED.contains(&route.function) {
        "201"
    } else if ACCEPTED.contains(&route.function) {
        "202"
    } else {
        "200"
    };
    let text = |types: &[&str]| -> Value { types.iter().map(|t| (t.to_string(), json!({"schema": {"type": "string"}}))).collect() };
    let content = if route.function == "hosted-page" && route.path.contains("{file}") {
        text(&["text/javascript", "text/css"])
    } else if route.function == "hosted-page" && route.path.contains("{image}") {
        json!({"image/png": {"schema": {"type": "string", "contentEncoding": "binary"}}})
    } else if route.function == "hosted-page" {
        text(&["text/html"])
    } else if route.function == "evidence-download" {
        json!({"image/jpeg": {"schema": {"type": "string", "contentEncoding": "binary"}}, "image/png": {"schema": {"type": "string", "contentEncoding": "binary"}}})
    } else {
        json!({"application/json": {"schema": crate::schemas::response(route.function)}})
    };
    let mut ok = json!({"description": "Success", "content": content});
    let links = links(route);
    if !links.is_empty() {
        ok["links"] = Value::Object(links);
    }
    (status.to_string(), ok)
}

/// What a create's answer leads to: the operations on the created resource, its id taken from
/// the answer (`$response.body#/data/_id`). For schemathesis' stateful phase and for readers.
const LINKS: &[(&str, &str, &[&str])] = &[
    ("projects-create", "/data/_id", &["projects-get", "projects-update", "projects-delete"]),
    ("project-flows-create", "/data/_id", &["project-flows-get", "project-flows-update", "project-flows-delete"]),
    (
        "webhooks-create",
        "/data/_id",
        &["webhooks-get", "webhooks-update", "webhooks-delete", "webhooks-rotate-secret", "webhooks-deliveries"],
    ),
    ("registrations-create", "/data/appRegistration/_id", &["registrations-get", "registrations-events", "registrations-delete"]),
];

fn links(route: &Route) -> Map<String, Value> {
    let mut out = Map::new();
    let Some((_, pointer, targets)) = LINKS.iter().find(|(f, _, _)| *f == route.function) else { return out };
    let version = route.path.split('/').nth(1).unwrap_or("v2");
    for target in *targets {
        // The operation of the same API version where the function has both.
        let Some(to) = ROUTES.iter().filter(|r| r.function == *target).min_by_key(|r| !r.path.starts_with(&format!("/{version}/"))) else {
            continue;
        };
        out.insert(
            target.to_string(),
            json!({"operationId": operation_id(to), "parameters": {"path.id": format!("$response.body#{pointer}")}}),
        );
    }
    out
}

fn operation(route: &Route) -> Value {
    let mut responses = Map::new();
    let (status, ok) = success(route);
    responses.insert(status, ok);
    let public = matches!(route.access, Access::Public | Access::Ticket);
    for (status, name, _) in ERRORS.iter().filter(|(status, _, _)| *status != 401 || !public) {
        responses.insert(status.to_string(), json!({"$ref": format!("#/components/responses/{name}")}));
    }
    responses.insert("default".into(), json!({"$ref": "#/components/responses/Other"}));
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            // Every id in a path is an ObjectId, except the evidence ticket (signed, opaque) and
            // the hosted page's file names.
            let schema = match name {
                "ticket" => json!({"type": "string", "minLength": 1}),
                "file" => json!({"type": "string", "enum": crate::page::ASSETS.iter().map(|(n, _, _)| *n).collect::<Vec<_>>()}),
                "image" => json!({"type": "string", "enum": crate::page::BRANDING_IMAGES}),
                _ => json!({"$ref": "#/components/schemas/ObjectId"}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    parameters.extend(crate::schemas::query(route.function));
    let mut op = json!({
        "operationId": operation_id(route),
        "tags": [if route.path.starts_with("/v") { route.path.split('/').nth(2).unwrap_or("api") } else { "hosted-page" }],
        "security": security(route.access),
        "responses": responses,
        "x-function": route.function,
    });
    if !parameters.is_empty() {
        op["parameters"] = json!(parameters);
    }
    if let Some(schema) = crate::schemas::request(route.function) {
        // Bodies some endpoints take optionally (resend-link, rotate-secret) are still objects.
        let optional = matches!(route.function, "registrations-resend-link" | "webhooks-rotate-secret");
        op["requestBody"] = json!({"required": !optional, "content": {"application/json": {"schema": schema}}});
    }
    op
}

fn shared_responses() -> Value {
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut out: Map<String, Value> = ERRORS.iter().map(|(_, name, description)| (name.to_string(), error(description))).collect();
    out.insert("Other".into(), error("Any other refusal, in the same shape"));
    Value::Object(out)
}

fn document() -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for route in ROUTES {
        paths.entry(route.path).or_default().insert(route.method.to_ascii_lowercase(), operation(route));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "SmartEnroll Self-Hosted API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "KYC and KYB onboarding, compatible with the public SmartEnroll (Verifik) API shapes. Generated from the routing table (shared/api/src/routes.rs).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "responses": shared_responses(),
            "securitySchemes": {
                "clientToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An operator's client token (30 days; `POST /v2/auth/renew-and-revoke` revokes every earlier one)"},
                "enrolleeToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An enrollee's registration token, for that registration only"}
            },
            "schemas": schemas(),
        }
    })
}

fn schemas() -> Value {
    let mut out = crate::schemas::resources();
    out.extend(crate::schemas::enums());
    out.insert("Error".into(), error_schema());
    let enums = json!({
                "ProjectStatus": enum_schema(ProjectStatus::ALL.map(ProjectStatus::as_str), "A project's status"),
                "RegistrationStatus": enum_schema(RegistrationStatus::ALL.map(RegistrationStatus::as_str), "An app registration's status"),
                "RateLimitCategory": enum_schema(Category::ALL.map(Category::as_str), "What a rate limit counts (`SMARTENROLL_RATE_LIMITS`)")
    });
    if let Value::Object(enums) = enums {
        out.extend(enums);
    }
    Value::Object(out)
}

/// The document as the committed file holds it: pretty-printed, keys sorted, a final newline.
pub fn pretty() -> String {
    let mut text = serde_json::to_string_pretty(&*DOCUMENT).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_openapi_document_is_the_generated_one() {
        let committed = include_str!("../openapi.json");
        assert!(
            committed == pretty(),
            "shared/api/openapi.json is out of date: run `cargo run -p smartenroll-functions --bin smartenroll -- openapi > shared/api/openapi.json`"
        );
    }

    #[test]
    fn every_route_is_one_operation_with_a_unique_id_and_its_path_parameters() {
        let doc = &*DOCUMENT;
        let mut ids = std::collections::HashSet::new();
        for route in ROUTES {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} is missing", route.method, route.path);
            assert!(ids.insert(op["operationId"].as_str().unwrap_or_default().to_string()), "duplicate id for {}", route.path);
            let params = op["parameters"].as_array().map_or(0, |p| p.iter().filter(|p| p["in"] == "path").count());
            assert_eq!(params, route.path.matches('{').count(), "{}", route.path);
        }
        assert_eq!(ids.len(), ROUTES.len());
    }

    #[test]
    fn every_enum_of_the_reference_is_a_named_schema_with_its_values() {
        let schemas = &DOCUMENT["components"]["schemas"];
        for name in [
            "ProjectStatus",
            "RegistrationStatus",
            "RateLimitCategory",
            "Target",
            "FlowType",
            "StepMode",
            "VerificationMethod",
            "DocumentCategory",
            "SearchMode",
            "LivenessMode",
            "Source",
            "Strategy",
            "DeliveryStatus",
            "ValidationStatus",
            "SyncStep",
        ] {
            assert!(schemas[name]["enum"].as_array().is_some_and(|v| v.len() >= 2), "{name}: {}", schemas[name]);
        }
        assert!(schemas["StepMode"]["description"].as_str().is_some_and(|d| d.contains("disabled")), "aliases are named");
    }
}
