//! The tokenless edge: what a hosted enrollment page may call before it holds an enrollee token.
//! `GET /v2/projects/kyc?id=` shows a project's enrollee-facing configuration (nothing an
//! operator keeps to itself), and `POST /v2/app-registrations` without a token starts a
//! registration when the project allows public sign-up (`registrations::create`). Both are
//! rate-limited per source address, counted under a keyed hash of the address (never the address
//! itself, which is personal data) and never against any operator's budget.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, query_pairs, set_rate_headers};
use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Value, json};
use smartenroll_domain::ids::ProjectId;
use smartenroll_domain::project::{Project, ProjectStatus};
use smartenroll_domain::ratelimit::{Category, RateDecision, RateKey};

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`); the single-node
/// server fills the same field from the connection's peer address. Never a client-supplied header.
fn source_ip(req: &Request) -> Option<&str> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.http.source_ip.as_deref(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Counts one tokenless call of `category` from the caller's address. Callers without a known
/// address (none in practice) share one counter, which errs on the side of refusing.
pub async fn limit_source(deps: &Deps, req: &Request, category: Category) -> Result<RateDecision, ApiError> {
    let now = deps.clock.now();
    let source = deps.jwt.keyed_hash(&["source", source_ip(req).unwrap_or("unknown")]);
    let key = RateKey::for_source(&source[..32], category, now.unix_seconds());
    let decision = deps.rate_limiter.hit(&key, deps.limits.limit(category), now).await?;
    if !decision.allowed {
        return Err(ApiError::RateLimited { decision, retry_after: decision.reset_at - now.unix_seconds() });
    }
    Ok(decision)
}

/// A project by its id alone, for the tokenless endpoints. Drafts are not public: they are 404
/// like a missing project.
pub async fn published_project(deps: &Deps, id: &ProjectId) -> Result<Project, ApiError> {
    let (client, project) = deps.projects.locate(id.as_str()).await?.ok_or(ApiError::NotFound("Project"))?;
    if &project != id {
        return Err(ApiError::NotFound("Project"));
    }
    let p = deps.projects.get(&client, &project).await?.ok_or(ApiError::NotFound("Project"))?;
    if p.status == ProjectStatus::Draft {
        return Err(ApiError::NotFound("Project"));
    }
    Ok(p)
}

/// What an enrollee UI needs to render `p`'s onboarding flow: steps, sign-up fields, documents
/// accepted, branding, the privacy notice and terms. Left out: the operator's contact and client
/// ids, the demo code, score thresholds, the blocklist and webhook integrations.
pub fn enrollee_view(p: &Project) -> Value {
    let c = &p.config;
    let flow = match (&p.flow, &c.flow) {
        (Some(rec), Some(f)) => {
            let mut v = flow_view(&rec.id, f);
            // A business flow's people go through a personal flow of their own: the hosted page
            // renders it for a representative's link.
            if let Some(rep) = f.representative_flow() {
                v["representativeFlow"] = flow_view(&rec.id, &rep);
            }
            v
        }
        _ => Value::Null,
    };
    json!({
        "_id": p.id,
        "name": c.name,
        "status": p.status.as_str(),
        "target": c.target.as_str(),
        "defaultLanguage": c.default_language,
        "allowedCountries": c.allowed_countries,
        "privacyUrl": c.privacy_url,
        "termsAndConditionsUrl": c.terms_and_conditions_url,
        "dataProtection": c.data_protection,
        "demoMode": c.demo_mode,
        "publicSignUp": c.public_sign_up,
        "branding": c.branding.full(),
        // The logo and image as the product serves them (the hosted page loads these).
        "hostedImages": crate::page::hosted_images(p),
        "projectFlow": flow,
    })
}

fn flow_view(id: &smartenroll_domain::ids::FlowId, f: &smartenroll_domain::config::FlowConfig) -> Value {
    json!({
        "_id": id,
        "type": f.flow_type.as_str(),
        "target": f.target.as_str(),
        "signUpForm": f.sign_up_form,
        "steps": f.steps,
        "documents": f.documents.as_ref().map(|d| json!({
            "attemptLimit": d.attempt_limit,
            "verificationMethods": d.verification_methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "documentTypes": d.document_types.iter().map(|t| json!({
                "country": t.country,
                "categories": t.configurations.iter().filter(|k| k.active).map(|k| k.category.as_str()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })),
        "liveness": f.liveness.as_ref().map(|l| json!({"attemptLimit": l.attempt_limit, "mode": l.mode.as_str()})),
        "redirectUrl": f.integrations.as_ref().and_then(|i| i.redirect_url.as_deref()),
    })
}

/// `GET /v2/projects/kyc?id=<projectId>` (no token): `{data: <enrollee view>}`; a draft or unknown
/// project is 404. A paused project is shown with its status, so the page can say it is closed.
pub async fn project_view(deps: &Deps, req: Request) -> Response<Body> {
    let rate = match limit_source(deps, &req, Category::PublicRead).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let pairs = query_pairs(&req);
        let id = pairs
            .iter()
            .find(|(k, _)| k == "id" || k == "projectId")
            .and_then(|(_, v)| ProjectId::parse(v.trim()).ok())
            .ok_or_else(|| ApiError::BadRequest("Invalid project ID format: pass ?id=<projectId>".into()))?;
        let p = published_project(deps, &id).await?;
        Reply::data(StatusCode::OK, &enrollee_view(&p))
    };
    with_rate(outcome.await, &rate)
}

/// The outcome as a response carrying the source's rate-limit headers.
pub fn with_rate(outcome: Result<Reply, ApiError>, rate: &RateDecision) -> Response<Body> {
    let mut resp = match outcome {
        Ok(reply) => reply.into_response(),
        Err(e) => e.into_response(),
    };
    set_rate_headers(&mut resp, rate);
    resp
}
