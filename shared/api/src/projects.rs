//! The projects endpoints (`/v3/projects` and the same operations under `/v2/projects`): create,
//! get, list, partial update (steps 2–6 and status changes) and delete. Handlers translate between
//! HTTP and the domain; the domain decides.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, json_object, path_param, query_pairs};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, ProjectId};
use smartenroll_domain::jobs::Job;
use smartenroll_domain::lifecycle::{self, WriteCtx};
use smartenroll_domain::project::{Project, ProjectStatus, ProjectView, Reveal};
use smartenroll_domain::query::ProjectQuery;
use smartenroll_domain::ratelimit::Category;

/// `{data, total, limit, page, pages}`
#[derive(serde::Serialize)]
struct Listed<'a> {
    data: Vec<ProjectView<'a>>,
    total: u64,
    limit: u32,
    page: u32,
    pages: u64,
    /// Present when more items follow: pass it back as `cursor` for the next page.
    #[serde(rename = "nextCursor", skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// `{data, status: "completed"}`, the reference's update answer.
#[derive(serde::Serialize)]
struct Updated<'a> {
    data: ProjectView<'a>,
    status: &'static str,
    /// Things the operator should know about the change (product addition; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    /// The blocklist API called with `apiTestType`/`apiTestValue` when the integration was saved.
    #[serde(rename = "integrationTest", skip_serializing_if = "Option::is_none")]
    integration_test: Option<serde_json::Value>,
}

/// A save that touches branding (step 6) is told which text colours fall below WCAG AA contrast
/// on their surface; the save stands (shared/domain/src/contrast.rs).
fn branding_warnings(body: &serde_json::Map<String, serde_json::Value>, project: &Project) -> Vec<String> {
    if body.contains_key("branding") { smartenroll_domain::contrast::warnings(&project.config.branding) } else { Vec::new() }
}

/// When an update saves a blocklist API integration, it is called once with the configured test
/// value and the outcome reported (`{ok, listed}` or `{ok: false, error}`); the save stands either way.
pub(crate) async fn test_integration(
    deps: &Deps,
    body: &serde_json::Map<String, serde_json::Value>,
    project: &Project,
) -> Option<serde_json::Value> {
    let touched = body.get("projectFlow").and_then(|f| f.get("integrations")).is_some() || body.contains_key("integrations");
    let flow = project.config.flow.as_ref()?;
    let url = crate::registrations::blacklist_url(flow)?;
    let i = flow.integrations.as_ref()?;
    if !touched {
        return None;
    }
    let (Some(kind), Some(value)) = (i.api_test_type, i.api_test_value.clone()) else {
        return Some(json!({"ok": false, "error": "apiTestType and apiTestValue are needed to test the integration"}));
    };
    let kind = match kind {
        smartenroll_domain::config::ApiTestType::Email => "email",
        smartenroll_domain::config::ApiTestType::Phone => "phone",
    };
    let query = smartenroll_domain::ports::BlacklistQuery {
        kind,
        email: (kind == "email").then(|| value.clone()),
        phone: (kind == "phone").then(|| value.clone()),
        value,
        country_code: None,
        project: project.id.to_string(),
        project_flow: project.flow.as_ref().map(|f| f.id.to_string()).unwrap_or_default(),
    };
    Some(match deps.blacklist.is_listed(url, &query).await {
        Ok(listed) => json!({"ok": true, "listed": listed}),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    })
}

/// Activating a demo-mode project enrolls people with the demo code and no real checks.
pub(crate) const DEMO_ACTIVE_WARNING: &str = "demoMode: this project is active in demo mode; enrollees validate with the demo code, no one-time code is sent, and every registration and event is marked demo";

/// A lost optimistic-concurrency race is retried this many times (re-read, re-merge) before the
/// caller gets a 409: racing partial updates of different sections then all apply.
const WRITE_ATTEMPTS: usize = 3;

/// Read, change, write under optimistic concurrency: a write that lost the race to another (the
/// stored version moved) is re-read and re-applied, up to [`WRITE_ATTEMPTS`] times, then 409.
/// Returns the record as read and as written.
pub(crate) async fn write_with_retries<Read: Future<Output = Result<Project, ApiError>>>(
    deps: &Deps,
    read: impl Fn() -> Read,
    change: impl Fn(&Project) -> Result<Project, ApiError>,
) -> Result<(Project, Project), ApiError> {
    for _ in 0..WRITE_ATTEMPTS {
        let current = read().await?;
        let next = change(&current)?;
        match deps.projects.replace(&next, &current).await {
            Ok(()) => return Ok((current, next)),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

fn project_id(req: &Request) -> Result<ProjectId, ApiError> {
    path_param(req, "id").and_then(|s| ProjectId::parse(s).ok()).ok_or_else(|| ApiError::BadRequest("Invalid project ID format".into()))
}

async fn load(deps: &Deps, client: &ClientId, id: &ProjectId) -> Result<Project, ApiError> {
    deps.projects.get(client, id).await?.ok_or(ApiError::NotFound("Project"))
}

fn ctx(deps: &Deps) -> WriteCtx<'_> {
    WriteCtx { ids: deps.ids.as_ref(), codes: deps.codes.as_ref(), now: deps.clock.now() }
}

/// `POST /v3/projects` — step 1, or the complete project in one request. 201 `{data}`.
pub async fn create(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let body = json_object(&req)?;
        let project = lifecycle::create(&auth.client.id, &body, &ctx(deps))?;
        deps.projects.insert(&project).await?;
        tracing::info!(client = %project.client, project = %project.id, last_step = project.last_step, "project created");
        let mut out = serde_json::json!({"data": project.api_view(Reveal::DemoOtp)});
        let mut warnings = branding_warnings(&body, &project);
        warnings.extend(crate::page::host_branding_images(deps, None, &project).await);
        if !warnings.is_empty() {
            out["warnings"] = serde_json::json!(warnings);
        }
        Reply::json(StatusCode::CREATED, &out)
    };
    auth.respond(outcome.await)
}

/// `GET /v3/projects/{id}` — another client's project is a 404, like a missing one.
pub async fn get(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = project_id(&req)?;
        let project = load(deps, &auth.client.id, &id).await?;
        Reply::data(StatusCode::OK, &project.api_view(Reveal::Hidden))
    };
    auth.respond(outcome.await)
}

/// `GET /v3/projects` — `{data, total, limit, page, pages}`, newest first.
pub async fn list(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let query = ProjectQuery::parse(&query_pairs(&req)).map_err(ApiError::Validation)?;
        let page = deps.projects.list(&auth.client.id, &query).await?;
        let data: Vec<_> = page.items.iter().map(|p| p.api_view(Reveal::Hidden)).collect();
        let pages = page.total.div_ceil(u64::from(query.limit));
        Reply::json(
            StatusCode::OK,
            &Listed {
                data,
                total: page.total,
                limit: query.limit,
                page: query.page,
                pages,
                next_cursor: page.next.as_ref().map(|c| c.encode()),
            },
        )
    };
    auth.respond(outcome.await)
}

/// `PUT /v3/projects/{id}` — a partial update merged into the stored configuration and
/// re-validated whole; also the status changes (activate, pause, resume). 200 `{data, status}`.
pub async fn update(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = project_id(&req)?;
        let body = json_object(&req)?;
        let (client, id) = (&auth.client.id, &id);
        let (current, next) =
            write_with_retries(deps, move || load(deps, client, id), |current| Ok(lifecycle::update(current, &body, &ctx(deps))?)).await?;
        if next.status != current.status {
            tracing::info!(project = %id, from = current.status.as_str(), to = next.status.as_str(), "project status changed");
        }
        let reveal = if body.contains_key("demoOTP") || body.contains_key("demoMode") { Reveal::DemoOtp } else { Reveal::Hidden };
        let mut warnings = Vec::new();
        if next.status == ProjectStatus::Active && current.status != ProjectStatus::Active && next.config.demo_mode {
            warnings.push(DEMO_ACTIVE_WARNING.to_string());
        }
        warnings.extend(branding_warnings(&body, &next));
        warnings.extend(crate::page::host_branding_images(deps, Some(&current), &next).await);
        let integration_test = test_integration(deps, &body, &next).await;
        Reply::json(StatusCode::OK, &Updated { data: next.api_view(reveal), status: "completed", warnings, integration_test })
    };
    auth.respond(outcome.await)
}

/// `DELETE /v3/projects/{id}` — only draft or paused projects; `{data:{_id, name, status:"deleted"}}`.
pub async fn delete(deps: &Deps, req: Request) -> Response<Body> {
    let path = &req;
    let (auth, project) = crate::authorized_with!(deps, req, Some(Category::Projects), |client: ClientId| async move {
        load(deps, &client, &project_id(path)?).await
    });
    let outcome = async {
        let project = project?;
        let id = project.id.clone();
        lifecycle::check_deletable(&project)?;
        // Its stored documents, selfies and registrations go too, asynchronously: the jobs are
        // queued in the delete's own write (the outbox), so a refused delete never purges a live
        // project's files and a deleted project never keeps them.
        let purge = Job::PurgeBlobs { client_id: auth.client.id.to_string(), folder: format!("projects/{id}") };
        let cascade = Job::EraseProjectRegistrations { client_id: auth.client.id.to_string(), project_id: id.to_string() };
        deps.projects.delete(&project, &[purge.to_body(), cascade.to_body()]).await?;
        tracing::info!(project = %id, "project deleted");
        if let Some(flow) = &project.flow {
            crate::flows::clear_blocklist(deps, &auth.client.id, &flow.id).await;
        }
        Reply::data(StatusCode::OK, &json!({"_id": project.id, "name": project.config.name, "status": "deleted"}))
    };
    auth.respond(outcome.await)
}
