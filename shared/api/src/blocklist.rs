//! Operators' uploaded blocklists (`integrations.source: CSV`, `strategy: blacklist`):
//! `PUT /v2/project-flows/{id}/blacklist` replaces a flow's list from a CSV body (`text/csv`) or
//! JSON (`{"csv": "…"}`, or the reference's entry objects under `whiteList` / `entries`). Only keyed
//! hashes of the normalised identifiers are stored (HMAC-SHA256 under a key derived from the
//! signing secret: a phone number's hash cannot be reversed by trying every number without that
//! key). Sign-ups on the flow are checked against it before anything is stored.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, body_bytes, json_object_up_to, path_param};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use smartenroll_domain::blocklist::{self, Listed, ListedKind};
use smartenroll_domain::config::{FlowConfig, FlowType, Source, Strategy};
use smartenroll_domain::error::FieldError;
use smartenroll_domain::ids::FlowId;
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::registration::Registration;

/// Uploads may be as large as Lambda's request payload.
const MAX_UPLOAD: usize = 6 * 1024 * 1024;

/// The stored form of one identifier.
pub(crate) fn hash(deps: &Deps, kind: ListedKind, value: &str) -> String {
    deps.jwt.keyed_hash(&["blocklist", kind.as_str(), value])
}

/// Whether the flow screens sign-ups against an uploaded list.
pub(crate) fn uses_list(flow: &FlowConfig) -> bool {
    flow.integrations.as_ref().is_some_and(|i| i.strategy == Strategy::Blacklist && i.source == Source::Csv)
}

/// Whether the registration's email or phone is on its flow's uploaded list. (Document numbers
/// are checked when a document's number is read: the document engine's issue.)
pub(crate) async fn listed(deps: &Deps, reg: &Registration) -> Result<bool, ApiError> {
    let mut hashes = Vec::new();
    if let Some(email) = &reg.person.email {
        hashes.push(hash(deps, ListedKind::Email, email));
    }
    if let Some(phone) = reg.person.e164() {
        hashes.push(hash(deps, ListedKind::Phone, &phone));
    }
    Ok(deps.blocklists.any_listed(&reg.client, &reg.flow, &hashes).await?)
}

fn read_upload(req: &Request) -> Result<Vec<Listed>, ApiError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "text/csv" || mime == "text/plain" {
        let bytes = body_bytes(req);
        if bytes.len() > MAX_UPLOAD {
            return Err(ApiError::PayloadTooLarge(MAX_UPLOAD));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| ApiError::BadRequest("The CSV must be UTF-8 text".into()))?;
        return blocklist::parse_csv(text).map_err(ApiError::Validation);
    }
    let body = json_object_up_to(req, MAX_UPLOAD)?;
    // One list per upload: a body naming two would have one of them silently ignored.
    let given: Vec<&str> = ["csv", "entries", "whiteList", "blackList"].into_iter().filter(|k| body.contains_key(*k)).collect();
    if given.len() > 1 {
        return Err(ApiError::Validation(
            given.iter().map(|k| FieldError::new(*k, format!("send one of {}, not several", given.join(", ")))).collect(),
        ));
    }
    if let Some(text) = body.get("csv") {
        let text = text.as_str().ok_or_else(|| ApiError::Validation(vec![FieldError::new("csv", "must be the CSV text")]))?;
        return blocklist::parse_csv(text).map_err(ApiError::Validation);
    }
    match ["entries", "whiteList", "blackList"].iter().find_map(|k| body.get(*k)) {
        Some(Value::Array(items)) => blocklist::parse_entries(items).map_err(ApiError::Validation),
        Some(_) => {
            Err(ApiError::Validation(vec![FieldError::new("entries", "must be an array of {email, phone, countryCode, documentNumber}")]))
        }
        None => Err(ApiError::Validation(vec![FieldError::new("csv", "send text/csv, or JSON with csv or entries")])),
    }
}

/// `PUT /v2/project-flows/{id}/blacklist` → `{data: {projectFlow, entries, emails, phones,
/// documentNumbers}}`. Replaces the whole list (an empty upload clears it); all or nothing.
pub async fn replace(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::ProjectFlows));
    let outcome = async {
        let id = path_param(&req, "id")
            .and_then(|s| FlowId::parse(s).ok())
            .ok_or_else(|| ApiError::BadRequest("Invalid project flow ID format".into()))?;
        let project = crate::flows::load_by_flow(deps, &auth.client.id, &id).await?;
        if smartenroll_domain::flows::type_of(&project, &id) != Some(FlowType::Onboarding) {
            return Err(ApiError::Conflict {
                message: "blocklists screen sign-ups: upload them to the onboarding flow".into(),
                details: vec![],
            });
        }
        let entries = read_upload(&req)?;
        let count = |k: ListedKind| entries.iter().filter(|e| e.kind == k).count();
        let hashes: Vec<String> = entries.iter().map(|e| hash(deps, e.kind, &e.value)).collect();
        let stored = deps.blocklists.replace_list(&auth.client.id, &id, &hashes).await?;
        tracing::info!(flow = %id, entries = stored, "blocklist replaced");
        let in_force = project.config.flow.as_ref().is_some_and(uses_list);
        Reply::data(
            StatusCode::OK,
            &json!({
                "projectFlow": id,
                "entries": stored,
                "emails": count(ListedKind::Email),
                "phones": count(ListedKind::Phone),
                "documentNumbers": count(ListedKind::DocumentNumber),
                // Stored either way; screening uses it while integrations say CSV + blacklist.
                "inForce": in_force,
            }),
        )
    };
    auth.respond(outcome.await)
}
