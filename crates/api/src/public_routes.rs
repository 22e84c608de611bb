//! Public rating of livelihood projects (众评): the office's project and
//! code routes, and the two routes residents use without a token.

use crate::auth::{Admin, Viewer};
use crate::local_routes::{invalid, parse_json, parse_object};
use crate::{ApiError, AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use deltabench_model::ProjectId;
use deltabench_model::public::Project;
use deltabench_node::public::RatingRequest;
use deltabench_store::public::Rated;
use deltabench_wire as wire;
use serde_json::Value;

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
        anything else, an unknown code included.",
    request_body(content = wire::RatingIn, content_type = "application/json"),
    responses(
        (status = 201, description = "the rating is stored", body = wire::RatingStored),
        (status = 400, description = "the request is not acceptable as sent, or the code was not issued for this project; `field` names what", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such project", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the code has rated already", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_rating(
    State(state): State<AppState>,
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
        let projects = node
            .public_projects()?
            .into_iter()
            .map(|p| wire::PublicProject {
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
            k: disclosure.k,
            prior_weight: disclosure.prior_weight,
            projects,
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
    blocking(move || match node.publish_public_ratings(req.period) {
        Ok((doc, created)) => Ok((
            StatusCode::CREATED,
            Json(wire::PublicRatingsPublished {
                hash: doc.hash().clone(),
                document: crate::local_routes::envelope(doc.bytes())?,
                created,
            }),
        )),
        // The request is well formed; the ratings are too few to publish.
        Err(deltabench_node::local::LocalError::Invalid(f)) => {
            Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "below-k", f.to_string())
                    .with_field(f.field, f.reason),
            )
        }
        Err(e) => Err(e.into()),
    })
    .await
}
