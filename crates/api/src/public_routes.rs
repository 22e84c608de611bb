//! Public rating of livelihood projects (众评): the office's project and
//! code routes, the routes residents use without a token, and the closed
//! loop (好差评): rectification tasks, responses, call-backs, hidden
//! comments and ratings voided on appeal.

use crate::auth::{Admin, Viewer};
use crate::local_routes::{invalid, parse_json, parse_object};
use crate::ratelimit::RatingLimiter;
use crate::{ApiError, AppState, blocking};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deltabench_model::ProjectId;
use deltabench_model::public::Project;
use deltabench_model::rectify::TaskStatus;
use deltabench_node::public::{RatingRequest, TaskFilter};
use deltabench_store::public::Rated;
use deltabench_wire as wire;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

#[utoipa::path(
    get,
    path = "/projects",
    tag = "public rating",
    summary = "The livelihood projects that residents rate",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the projects", body = wire::ProjectList))
)]
pub(crate) async fn list_projects(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::ProjectList>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        Ok(Json(wire::ProjectList {
            projects: node.store().projects().map_err(ApiError::storage)?,
        }))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/projects",
    tag = "public rating",
    summary = "Add or replace livelihood projects; each names one of the node's units",
    security(("admin" = [])),
    request_body(content = wire::ProjectsBody, content_type = "application/json"),
    responses((status = 201, description = "stored, durably", body = wire::ProjectsStored))
)]
pub(crate) async fn post_projects(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::ProjectsStored>), ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<Value>),
        Wrapped { projects: Vec<Value> },
    }
    let raw: Raw = parse_json(&body?, "a JSON array of projects or {\"projects\": [...]}")?;
    let (Raw::List(raw) | Raw::Wrapped { projects: raw }) = raw;
    let projects = raw
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value::<Project>(v).map_err(|e| {
                ApiError::bad_request(format!("projects[{i}]: {e}"))
                    .with_field(format!("projects[{i}]"), e.to_string())
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let node = state.node.clone();
    blocking(move || {
        let accepted = node.put_projects(&projects)?;
        Ok((StatusCode::CREATED, Json(wire::ProjectsStored { accepted })))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/projects/{id}/codes",
    tag = "public rating",
    summary = "Issue one-time rating codes for a project (shown once; the node keeps only keyed digests)",
    security(("admin" = [])),
    params(("id" = ProjectId, Path, description = "the project id")),
    request_body(content = wire::CodesRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "the codes, shown this once", body = wire::CodesIssued),
        (status = 404, description = "no such project", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_codes(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::CodesIssued>), ApiError> {
    let Path(id) = path?;
    let id = ProjectId::new(id).map_err(|e| invalid(e).with_field("id", "not a project id"))?;
    let req: wire::CodesRequest = parse_object(&body?, "{\"count\": N}")?;
    let node = state.node.clone();
    blocking(move || {
        let codes = node.issue_codes(&id, req.count)?;
        let project = node
            .store()
            .project(&id)
            .map_err(ApiError::storage)?
            .ok_or_else(|| ApiError::not_found(format!("no project {id}")))?;
        Ok((
            StatusCode::CREATED,
            Json(wire::CodesIssued {
                project: id,
                period: project.period,
                codes: codes.iter().map(ToString::to_string).collect(),
            }),
        ))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/public/v1/ratings",
    tag = "public rating",
    summary = "Rate a project with a one-time code (no token)",
    description = "201 when stored (durable); 409 when the code has rated \
        already; 404 for an unknown project; 400 naming the field for \
        anything else, an unknown code included; 429 when the client's \
        address exceeds the configured rate; 503 when a rating verifier \
        plugged in in place of the codes cannot decide now (never with \
        the one-time codes).",
    request_body(content = wire::RatingIn, content_type = "application/json"),
    responses(
        (status = 201, description = "the rating is stored", body = wire::RatingStored),
        (status = 400, description = "the request is not acceptable as sent, or the code was not issued for this project; `field` names what", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such project", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the code has rated already", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "this client address has sent more rating requests than `[public] ratings_per_minute` allows; `Retry-After` gives the seconds to wait", body = crate::openapi::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "seconds until the next request would be allowed"))),
        (status = 503, description = "the rating verifier cannot decide now; nothing was stored", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_rating(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<RatingLimiter>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let client = limiter.client(peer.map(|Extension(ConnectInfo(a))| a), &headers);
    if let Err(wait) = limiter.check(client) {
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("too many ratings from this address; try again in {wait} s"),
        )
        .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return resp;
    }
    store_rating(state, body).await.into_response()
}

async fn store_rating(
    state: AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::RatingStored>), ApiError> {
    let r: wire::RatingIn = parse_object(&body?, "a rating {\"project\", \"code\", \"level\"}")?;
    let node = state.node.clone();
    blocking(move || {
        let rated = node.rate(RatingRequest {
            project: r.project,
            code: r.code,
            level: r.level,
            comment: r.comment,
        })?;
        match rated {
            Rated::Stored(id) => Ok((StatusCode::CREATED, Json(wire::RatingStored { id }))),
            Rated::CodeUsed => Err(ApiError::new(
                StatusCode::CONFLICT,
                "code-used",
                "this code has rated already; each code rates once",
            )
            .with_field("code", "used")),
            Rated::UnknownCode => Err(ApiError::bad_request(
                "code: not a code issued for this project",
            )
            .with_field("code", "not a code issued for this project")),
        }
    })
    .await
}

#[utoipa::path(
    get,
    path = "/public/v1/projects",
    tag = "public rating",
    summary = "The projects with their public scores, shown only from k ratings (no token)",
    responses((status = 200, description = "the public view", body = wire::PublicProjectList))
)]
pub(crate) async fn public_projects(
    State(state): State<AppState>,
) -> Result<Json<wire::PublicProjectList>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        let disclosure = node.policy().public;
        let units: std::collections::BTreeMap<_, _> = node
            .store()
            .units()
            .map_err(ApiError::storage)?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let projects = node
            .public_projects()?
            .into_iter()
            .map(|p| wire::PublicProject {
                unit_name_zh: units
                    .get(&p.project.unit)
                    .map_or_else(|| p.project.unit.to_string(), |u| u.name_zh.clone()),
                unit_name_en: units
                    .get(&p.project.unit)
                    .map_or_else(|| p.project.unit.to_string(), |u| u.name_en.clone()),
                project: p.project,
                score: p.score.map(|s| wire::PublicScore {
                    n: s.n,
                    distribution: s.distribution.counts(),
                    raw_mean: s.raw_mean,
                    shrunk: s.shrunk,
                    prior_mean: s.prior_mean,
                    satisfied_share: s.satisfied_share,
                    satisfied_interval: [s.satisfied_interval.0, s.satisfied_interval.1],
                }),
            })
            .collect();
        Ok(Json(wire::PublicProjectList {
            jurisdiction: node.identity().clone(),
            k: disclosure.k,
            prior_weight: disclosure.prior_weight,
            projects,
        }))
    })
    .await
}

// ------------------------------------------- the closed loop of public rating

/// Reads a body that must be one JSON object as `T`, naming the field in
/// the problem when it is missing, unknown or of the wrong type.
fn parse_fields<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    let text = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(format!(
            "the body is not {what}: a JSON object is expected"
        )));
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner().to_string();
        let path = e.path().to_string();
        // A missing or unknown member fails on the object itself: its name
        // is in the message, between backticks.
        let named = || {
            ["missing field `", "unknown field `"]
                .iter()
                .find_map(|p| inner.split_once(p))
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(name, _)| name.to_owned())
        };
        let field = if path == "." { named() } else { Some(path) };
        match field {
            Some(f) => ApiError::bad_request(format!("the body is not {what}: {f}: {inner}"))
                .with_field(f, inner),
            None => ApiError::bad_request(format!("the body is not {what}: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("the body is not {what}: {e}")))?;
    Ok(value)
}

/// A rating's or task's number from the path.
/// An admin's action on a numbered rating or task: the number from the
/// path, the body read as `Req` (its expected `fields` named when it is
/// not), then `act` on a blocking thread; its answer as JSON.
async fn on_numbered<Req, Out, Rec>(
    state: AppState,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
    what: &'static str,
    fields: &'static str,
    act: impl FnOnce(&deltabench_node::Node, u64, Req) -> Result<Rec, ApiError> + Send + 'static,
) -> Result<Json<Out>, ApiError>
where
    Req: serde::de::DeserializeOwned + Send + 'static,
    Rec: Into<Out>,
    Out: Send + 'static,
{
    let id = number(path, what)?;
    let req: Req = parse_fields(&body?, fields)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(act(&node, id, req)?.into()))).await
}

fn number(path: Result<Path<String>, PathRejection>, what: &str) -> Result<u64, ApiError> {
    let Path(id) = path?;
    id.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::bad_request(format!("id: {id:?} is not a {what} number"))
            .with_field("id", format!("not a {what} number (1 or more)"))
    })
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RatingFilter {
    /// Only this project's ratings.
    #[param(value_type = Option<ProjectId>)]
    project: Option<String>,
}

#[utoipa::path(
    get,
    path = "/ratings",
    tag = "public rating",
    summary = "Every rating with its hidden comment and void decision, oldest first",
    description = "Voided ratings stay listed with the decision (`voided`): they count \
        in no score. A hidden comment is listed here with why (`hidden`), never on \
        the public routes.",
    security(("viewer" = []), ("admin" = [])),
    params(RatingFilter),
    responses(
        (status = 200, description = "the ratings", body = wire::RatingList),
        (status = 404, description = "no such project", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn list_ratings(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<RatingFilter>, QueryRejection>,
) -> Result<Json<wire::RatingList>, ApiError> {
    let Query(filter) = query?;
    let project = filter
        .project
        .map(|p| {
            ProjectId::new(p).map_err(|e| invalid(e).with_field("project", "not a project id"))
        })
        .transpose()?;
    let node = state.node.clone();
    blocking(move || {
        if let Some(p) = &project {
            if node
                .store()
                .project(p)
                .map_err(ApiError::storage)?
                .is_none()
            {
                return Err(ApiError::not_found(format!("no project {p}")));
            }
        }
        let ratings = node
            .store()
            .rating_records()
            .map_err(ApiError::storage)?
            .into_iter()
            .filter(|r| project.as_ref().is_none_or(|p| &r.rating.project == p))
            .map(Into::into)
            .collect();
        Ok(Json(wire::RatingList { ratings }))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/ratings/{id}/void",
    tag = "public rating",
    summary = "Void a rating on the responsible unit's appeal",
    description = "The rating stays on record with the decision but counts in no \
        score; its rectification task, if any, becomes `voided`. Durable when answered.",
    security(("admin" = [])),
    params(("id" = u64, Path, description = "the rating's number", minimum = 1)),
    request_body(content = wire::VoidRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "voided; the rating as it now stands", body = wire::RatingRecord),
        (status = 404, description = "no such rating", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the rating is voided already", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn void_rating(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<wire::RatingRecord>, ApiError> {
    on_numbered(
        state,
        path,
        body,
        "rating",
        "{\"reason\", \"decided_by\"}",
        |node, id, req: wire::VoidRequest| Ok(node.void_rating(id, req.reason, req.decided_by)?),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/ratings/{id}/hide",
    tag = "public rating",
    summary = "Hide a rating's comment from the public; the rating still counts",
    security(("admin" = [])),
    params(("id" = u64, Path, description = "the rating's number", minimum = 1)),
    request_body(content = wire::HideRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "hidden; the rating as it now stands", body = wire::RatingRecord),
        (status = 404, description = "no such rating", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the comment is hidden already, or there is none", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn hide_rating(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<wire::RatingRecord>, ApiError> {
    on_numbered(
        state,
        path,
        body,
        "rating",
        "{\"reason\", \"by\"}",
        |node, id, req: wire::HideRequest| Ok(node.hide_comment(id, req.reason, req.by)?),
    )
    .await
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TaskQuery {
    /// Only tasks in this state; `overdue`: open past the due date without a
    /// response. Without it, every task.
    #[param(value_type = Option<wire::TaskStatusFilter>)]
    status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/tasks",
    tag = "public rating",
    summary = "Rectification tasks opened by ratings of level 1 or 2, oldest first",
    security(("viewer" = []), ("admin" = [])),
    params(TaskQuery),
    responses((status = 200, description = "the tasks", body = wire::TaskList))
)]
pub(crate) async fn list_tasks(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<TaskQuery>, QueryRejection>,
) -> Result<Json<wire::TaskList>, ApiError> {
    let Query(q) = query?;
    let filter = match q.status.as_deref() {
        None => None,
        Some("open") => Some(TaskFilter::Status(TaskStatus::Open)),
        Some("responded") => Some(TaskFilter::Status(TaskStatus::Responded)),
        Some("closed") => Some(TaskFilter::Status(TaskStatus::Closed)),
        Some("voided") => Some(TaskFilter::Status(TaskStatus::Voided)),
        Some("overdue") => Some(TaskFilter::Overdue),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status: {other:?} is not open, responded, closed, voided or overdue"
            ))
            .with_field("status", "not open, responded, closed, voided or overdue"));
        }
    };
    let node = state.node.clone();
    blocking(move || {
        let tasks = node.tasks(filter)?.into_iter().map(Into::into).collect();
        Ok(Json(wire::TaskList { tasks }))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/tasks/{id}/response",
    tag = "public rating",
    summary = "Record the responsible unit's response to a task (marked late after its due date)",
    security(("admin" = [])),
    params(("id" = u64, Path, description = "the task's number", minimum = 1)),
    request_body(content = wire::ResponseRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "recorded; the task as it now stands", body = wire::TaskRecord),
        (status = 404, description = "no such task", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the task has a response already, or is void", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_response(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<wire::TaskRecord>, ApiError> {
    on_numbered(
        state,
        path,
        body,
        "task",
        "{\"text\", \"by\"}",
        |node, id, req: wire::ResponseRequest| Ok(node.respond(id, req.text, req.by)?),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/tasks/{id}/callback",
    tag = "public rating",
    summary = "Record the call-back to the resident, which closes the task",
    security(("admin" = [])),
    params(("id" = u64, Path, description = "the task's number", minimum = 1)),
    request_body(content = wire::CallbackRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "recorded; the task is closed", body = wire::TaskRecord),
        (status = 404, description = "no such task", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the task has no response yet, is closed already, or is void", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_callback(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<wire::TaskRecord>, ApiError> {
    on_numbered(
        state,
        path,
        body,
        "task",
        "{\"result\", \"by\"}",
        |node, id, req: wire::CallbackRequest| {
            Ok(node.call_back(id, req.result, req.note, req.by)?)
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/public/v1/projects/{id}/comments",
    tag = "public rating",
    summary = "A project's comments, newest first, except hidden and voided ones (no token)",
    params(("id" = ProjectId, Path, description = "the project id")),
    responses(
        (status = 200, description = "the comments", body = wire::PublicComments),
        (status = 400, description = "not a project id", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such project", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn public_comments(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<wire::PublicComments>, ApiError> {
    let Path(id) = path?;
    let id = ProjectId::new(id).map_err(|e| invalid(e).with_field("id", "not a project id"))?;
    let node = state.node.clone();
    blocking(move || {
        let comments = node
            .public_comments(&id)?
            .into_iter()
            .filter_map(|r| {
                let comment = r.public_comment()?.to_owned();
                Some(wire::PublicComment {
                    level: r.rating.level,
                    comment,
                    at: r.rating.at,
                })
            })
            .collect();
        Ok(Json(wire::PublicComments {
            project: id,
            comments,
        }))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/public-ratings",
    tag = "public rating",
    summary = "Sign and publish the period's public ratings per project category (kind public_rating)",
    description = "Only categories with at least k counted ratings are published; \
        no comments, codes or project names. 201 with the document, or the \
        node's latest one for the period when nothing changed (`created` \
        false); 422 naming `period` when no category reaches k.",
    security(("admin" = [])),
    request_body(content = wire::PublicRatingsRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "signed and published, or the one already published when unchanged", body = wire::PublicRatingsPublished),
        (status = 422, description = "no project category reaches k ratings in the period: nothing may be published", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_public_ratings(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::PublicRatingsPublished>), ApiError> {
    let req: wire::PublicRatingsRequest = parse_object(&body?, "{\"period\": P}")?;
    let node = state.node.clone();
    blocking(move || {
        // The request is well formed; the ratings may be too few to publish.
        let (doc, created) = node
            .publish_public_ratings(req.period)
            .map_err(|e| crate::local_routes::unpublishable("below-k", e))?;
        Ok((
            StatusCode::CREATED,
            Json(wire::PublicRatingsPublished {
                hash: doc.hash().clone(),
                document: crate::local_routes::envelope(doc.bytes())?,
                created,
            }),
        ))
    })
    .await
}
