//! The project-flows endpoints (`/v2/project-flows`, `/v3/project-flows/{id}`, reference 5.1).
//! A flow lives on its project's record (see `smartenroll_domain::flows`); a flow id alone is
//! resolved to its project through the store's lookup, then read scoped by the caller's client,
//! so another client's flow is a 404 like a missing one.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, json_object, path_param, query_pairs};
use crate::projects::write_with_retries;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use smartenroll_domain::config::FlowType;
use smartenroll_domain::flows;
use smartenroll_domain::ids::{ClientId, FlowId};
use smartenroll_domain::lifecycle::WriteCtx;
use smartenroll_domain::project::{AnyFlowView, Project, ProjectStatus};
use smartenroll_domain::query::{FlowQuery, ProjectQuery, RegistrationQuery};
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::registration::RegistrationStatus;

fn flow_id(req: &Request) -> Result<FlowId, ApiError> {
    path_param(req, "id").and_then(|s| FlowId::parse(s).ok()).ok_or_else(|| ApiError::BadRequest("Invalid project flow ID format".into()))
}

fn ctx(deps: &Deps) -> WriteCtx<'_> {
    WriteCtx { ids: deps.ids.as_ref(), codes: deps.codes.as_ref(), now: deps.clock.now() }
}

/// The project holding flow `id`, scoped by `client`.
pub(crate) async fn load_by_flow(deps: &Deps, client: &ClientId, id: &FlowId) -> Result<Project, ApiError> {
    let not_found = || ApiError::NotFound("Project flow");
    let (owner, project) = deps.projects.locate(id.as_str()).await?.ok_or_else(not_found)?;
    if &owner != client {
        return Err(not_found());
    }
    let p = deps.projects.get(client, &project).await?.ok_or_else(not_found)?;
    // The lookup also resolves project ids: only a flow's id names a flow.
    flows::type_of(&p, id).ok_or_else(not_found)?;
    Ok(p)
}

fn view<'a>(p: &'a Project, id: &FlowId) -> Result<AnyFlowView<'a>, ApiError> {
    p.flow_views().into_iter().find(|v| v.id() == id).ok_or(ApiError::NotFound("Project flow"))
}

/// The write's answer: `{data: flow}` plus the project-level warnings and integration test.
async fn answer(
    deps: &Deps,
    body: &serde_json::Map<String, serde_json::Value>,
    before: &Project,
    after: &Project,
    id: &FlowId,
    status: StatusCode,
) -> Result<Reply, ApiError> {
    let mut out = json!({"data": view(after, id)?});
    if after.status == ProjectStatus::Active && before.status != ProjectStatus::Active && after.config.demo_mode {
        out["warnings"] = json!([crate::projects::DEMO_ACTIVE_WARNING]);
    }
    if flows::type_of(after, id) == Some(FlowType::Onboarding)
        && let Some(test) = crate::projects::test_integration(deps, body, after).await
    {
        out["integrationTest"] = test;
    }
    Reply::json(status, &out)
}

/// `POST /v2/project-flows` `{project, type, name?, status?, …sections}`: 201 `{data: flow}`; a
/// second flow of one type on one project is 409 `flow_exists`.
pub async fn create(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::ProjectFlows));
    let outcome = async {
        let body = json_object(&req)?;
        let (project_id, flow_type) = flows::requested(&body)?;
        let (client, project_id) = (&auth.client.id, &project_id);
        let read = move || async move { deps.projects.get(client, project_id).await?.ok_or(ApiError::NotFound("Project")) };
        let (current, next) = write_with_retries(deps, read, |current| Ok(flows::create(current, flow_type, &body, &ctx(deps))?)).await?;
        let id = match flow_type {
            FlowType::Onboarding => next.flow.as_ref().map(|f| f.id.clone()),
            FlowType::Login => next.login.as_ref().map(|f| f.id.clone()),
        }
        .ok_or(ApiError::Internal)?;
        tracing::info!(project = %next.id, flow = %id, flow_type = flow_type.as_str(), "project flow created");
        answer(deps, &body, &current, &next, &id, StatusCode::CREATED).await
    };
    auth.respond(outcome.await)
}

/// `GET /v2/project-flows/{id}` → `{data: flow}`.
pub async fn get(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::ProjectFlows));
    let outcome = async {
        let id = flow_id(&req)?;
        let p = load_by_flow(deps, &auth.client.id, &id).await?;
        Reply::data(StatusCode::OK, &view(&p, &id)?)
    };
    auth.respond(outcome.await)
}

/// `GET /v2/project-flows?project=&type=&status=&page=&limit=` → `{data, total, limit, page, pages}`,
/// newest project first, onboarding before login. With `project` one record is read; without it,
/// the client's projects are read page by page (a client holds at most two flows per project, so
/// this is the size of its project list; a flow catalog index is the step up if that grows large).
pub async fn list(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::ProjectFlows));
    let outcome = async {
        let q = FlowQuery::parse(&query_pairs(&req)).map_err(ApiError::Validation)?;
        let mut projects = Vec::new();
        match &q.project {
            Some(id) => projects.extend(deps.projects.get(&auth.client.id, id).await?),
            None => {
                let mut pq = ProjectQuery { limit: 100, ..ProjectQuery::default() };
                pq.statuses = q.status.map(|s| vec![s]);
                loop {
                    let page = deps.projects.list(&auth.client.id, &pq).await?;
                    let last = page.next.is_none() || page.items.is_empty();
                    projects.extend(page.items);
                    if last {
                        break;
                    }
                    pq.after = page.next;
                }
            }
        }
        let all: Vec<AnyFlowView<'_>> = projects
            .iter()
            .flat_map(Project::flow_views)
            .filter(|v| q.flow_type.is_none_or(|t| v.flow_type() == t) && q.status.is_none_or(|s| v.status() == s))
            .collect();
        let total = all.len() as u64;
        let data: Vec<_> = all.into_iter().skip(q.offset() as usize).take(q.limit as usize).collect();
        Reply::page(&data, total, q.limit, q.page)
    };
    auth.respond(outcome.await)
}

/// `PUT /v2/project-flows/{id}` and `PUT /v3/project-flows/{id}`: a partial update, validated
/// with the project (the onboarding flow is the project's `projectFlow`); `status` moves the
/// project. Registrations already started keep the configuration they began with.
pub async fn update(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::ProjectFlows));
    let outcome = async {
        let id = flow_id(&req)?;
        let body = json_object(&req)?;
        let (client, flow) = (&auth.client.id, &id);
        let (current, next) = write_with_retries(
            deps,
            move || load_by_flow(deps, client, flow),
            |current| Ok(flows::update(current, &id, &body, &ctx(deps))?),
        )
        .await?;
        if next.status != current.status {
            tracing::info!(project = %next.id, from = current.status.as_str(), to = next.status.as_str(), "project status changed through its flow");
        }
        answer(deps, &body, &current, &next, &id, StatusCode::OK).await
    };
    auth.respond(outcome.await)
}

/// `DELETE /v3/project-flows/{id}` → `{data: {_id, type, target, status: "deleted"}}`. Refused
/// (409) while registrations on the flow are unfinished, and for the onboarding flow of an
/// active project. The reference's soft delete in development is not kept: deleted is deleted.
pub async fn delete(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::ProjectFlows));
    let outcome = async {
        let id = flow_id(&req)?;
        let current = load_by_flow(deps, &auth.client.id, &id).await?;
        if flows::type_of(&current, &id) == Some(FlowType::Onboarding) {
            let open = RegistrationQuery {
                limit: 1,
                statuses: Some(vec![RegistrationStatus::Started, RegistrationStatus::Ongoing]),
                project: Some(current.id.clone()),
                flow: Some(id.clone()),
                ..RegistrationQuery::default()
            };
            if deps.registrations.list(&auth.client.id, &open).await?.total > 0 {
                return Err(ApiError::Conflict { message: "Cannot delete project flow with active users".into(), details: vec![] });
            }
        }
        let (client, flow) = (&auth.client.id, &id);
        let (current, next) =
            write_with_retries(deps, move || load_by_flow(deps, client, flow), |current| Ok(flows::remove(current, &id, &ctx(deps))?.0))
                .await?;
        let flow_type = flows::type_of(&current, &id).ok_or(ApiError::NotFound("Project flow"))?;
        let target = current.config.flow.as_ref().map(|f| f.target).unwrap_or(current.config.target);
        tracing::info!(project = %next.id, flow = %id, "project flow deleted");
        clear_blocklist(deps, &auth.client.id, &id).await;
        Reply::data(StatusCode::OK, &json!({"_id": id, "type": flow_type.as_str(), "target": target.as_str(), "status": "deleted"}))
    };
    auth.respond(outcome.await)
}

/// A deleted flow's uploaded blocklist goes with it. A failure is logged, not answered: the
/// flow is gone and its list can no longer be read through any flow.
pub(crate) async fn clear_blocklist(deps: &Deps, client: &ClientId, flow: &FlowId) {
    if let Err(e) = deps.blocklists.replace_list(client, flow, &[]).await {
        tracing::error!(flow = %flow, error = %e, "could not clear a deleted flow's blocklist");
    }
}
