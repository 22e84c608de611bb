//! Routes of mutual recognition and harmonised comparison: crosswalks,
//! endorsements, comparisons (JSON, CSV, SDMX-CSV) and composites.

use crate::auth::{Admin, Viewer};
use crate::local_routes::{invalid, parse_object};
use crate::{ApiError, AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use deltabench_engine::compare::CompareError;
use deltabench_engine::composite::CompositeError;
use deltabench_model::comparison::{Comparison, CompositeSpec, CrosswalkStatus};
use deltabench_model::documents::Crosswalk;
use deltabench_model::{CrosswalkId, IndicatorRef, InvalidField, Period};
use deltabench_wire as wire;
use serde::Deserialize;
use serde_json::Value;

impl From<CompareError> for ApiError {
    fn from(e: CompareError) -> Self {
        match e {
            CompareError::UnknownFramework(_) | CompareError::UnknownIndicator(..) => {
                ApiError::not_found(e.to_string())
            }
            CompareError::Invalid(f) => invalid(f),
            CompareError::Composite(CompositeError::NoMembers) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no-members",
                CompositeError::NoMembers.to_string(),
            ),
            CompareError::Composite(c) => ApiError::bad_request(c.to_string()),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CrosswalkFilter {
    /// recognised, pending, rejected or superseded.
    #[param(value_type = Option<CrosswalkStatus>)]
    status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/crosswalks",
    tag = "recognition",
    summary = "Crosswalks with their recognition status and endorsements",
    security(("viewer" = []), ("admin" = [])),
    params(CrosswalkFilter),
    responses((status = 200, description = "the crosswalks", body = wire::CrosswalkList))
)]
pub(crate) async fn list_crosswalks(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<CrosswalkFilter>, QueryRejection>,
) -> Result<Json<wire::CrosswalkList>, ApiError> {
    let Query(filter) = query?;
    let status = filter
        .status
        .as_deref()
        .map(CrosswalkStatus::parse)
        .transpose()
        .map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || {
        let crosswalks = node
            .view()
            .crosswalks()
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .collect();
        Ok(Json(wire::CrosswalkList { crosswalks }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProposeOptions {
    /// Whether the proposer also signs its acceptance (default true).
    endorse: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/crosswalks",
    tag = "recognition",
    summary = "Propose a crosswalk (signed and published; the proposer accepts it unless endorse=false)",
    security(("admin" = [])),
    params(ProposeOptions),
    request_body(content = Crosswalk, description = "a crosswalk; `version` may be left out (0: the next free version)", content_type = "application/json"),
    responses((status = 201, description = "signed and published", body = wire::CrosswalkProposed), (status = 409, description = "the id belongs to another jurisdiction or the version is taken", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_crosswalk(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ProposeOptions>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::CrosswalkProposed>), ApiError> {
    let Query(options) = query?;
    let mut raw: Value = parse_object(&body?, "a crosswalk")?;
    if let Some(obj) = raw.as_object_mut() {
        obj.entry("version").or_insert(Value::from(0));
    }
    let c: Crosswalk = serde_json::from_value(raw)
        .map_err(|e| ApiError::bad_request(format!("the body is not a crosswalk: {e}")))?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, endorsement) = node.propose_crosswalk(c, options.endorse.unwrap_or(true))?;
        Ok((
            StatusCode::CREATED,
            Json(wire::CrosswalkProposed {
                hash: doc.hash().clone(),
                document: crate::local_routes::envelope(doc.bytes())?,
                endorsement: endorsement.map(|e| e.hash().clone()),
            }),
        ))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/crosswalks/{id}/endorsements",
    tag = "recognition",
    summary = "Accept or reject the current version of a crosswalk (signed and published)",
    security(("admin" = [])),
    params(("id" = CrosswalkId, Path, description = "the crosswalk id")),
    request_body(content = wire::EndorsementRequest, content_type = "application/json"),
    responses((status = 201, description = "signed and published", body = wire::EndorsementPublished), (status = 404, description = "no such crosswalk", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "not the current version", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_endorsement(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::EndorsementPublished>), ApiError> {
    let Path(id) = path?;
    let id = CrosswalkId::new(id).map_err(invalid)?;
    let b: wire::EndorsementRequest = parse_object(
        &body?,
        "an endorsement ({\"decision\": \"accept\"|\"reject\"})",
    )?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, crosswalk) = node.endorse_crosswalk(&id, b.version, b.decision, b.comment)?;
        Ok((
            StatusCode::CREATED,
            Json(wire::EndorsementPublished {
                hash: doc.hash().clone(),
                document: crate::local_routes::envelope(doc.bytes())?,
                crosswalk,
            }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/periods",
    tag = "comparison",
    summary = "The periods that summaries are held for, in order: what comparisons can be asked for",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the periods", body = wire::PeriodList))
)]
pub(crate) async fn list_periods(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::PeriodList>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        Ok(Json(wire::PeriodList {
            periods: node.view().periods().into_iter().collect(),
        }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ComparisonQuery {
    /// The reference indicator, FRAMEWORK/CODE (required).
    #[param(required = true, value_type = IndicatorRef, example = "yrd.tax/ontime_filing_rate")]
    indicator: Option<String>,
    /// The period: 2025, 2025-H1, 2025-Q3 or 2025-07 (required).
    #[param(required = true, value_type = Period)]
    period: Option<String>,
    /// json (default), csv or sdmx-csv.
    #[param(value_type = Option<wire::ComparisonFormat>)]
    format: Option<String>,
    /// Rank flagged rows too (default false).
    include_flagged: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/comparisons",
    tag = "comparison",
    summary = "A harmonised comparison of one reference indicator in one period, with provenance per row",
    security(("viewer" = []), ("admin" = [])),
    params(ComparisonQuery),
    responses((status = 200, description = "the comparison (JSON, with the BLAKE3 hash of its bytes as ETag), or the same rows as CSV or SDMX-CSV", content((Comparison = "application/json"), (String = "text/csv"), (String = "application/vnd.sdmx.data+csv"))), (status = 304, description = "If-None-Match named the current answer's ETag: unchanged, no body"), (status = 404, description = "no such framework or indicator", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn get_comparison(
    _: Viewer,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    query: Result<Query<ComparisonQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let required = |v: Option<String>, name: &str, example: &str| {
        v.ok_or_else(|| {
            invalid(InvalidField::new(
                name,
                format!("is required, e.g. {example}"),
            ))
        })
    };
    let indicator = IndicatorRef::parse(&required(
        q.indicator,
        "indicator",
        "yrd.tax/ontime_filing_rate",
    )?)
    .map_err(invalid)?;
    let period = Period::parse(&required(q.period, "period", "2025")?).map_err(invalid)?;
    let format = match q.format.as_deref().unwrap_or("json") {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "sdmx-csv" => Format::SdmxCsv,
        other => {
            return Err(invalid(InvalidField::new(
                "format",
                format!("{other:?} is not one of json, csv, sdmx-csv"),
            )));
        }
    };
    let include_flagged = q.include_flagged.unwrap_or(false);
    let node = state.node.clone();
    if let Format::Json = format {
        // A cached answer is served on this thread; computing one goes to
        // the blocking pool.
        let answer = match node.cached_comparison(&indicator, period, include_flagged) {
            Some(answer) => answer,
            None => {
                blocking(move || Ok(node.comparison_json(&indicator, period, include_flagged)?))
                    .await?
            }
        };
        // A client that holds this answer is answered 304 with no body.
        let etag = format!("\"{}\"", answer.digest);
        let unchanged = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let tags = [
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ];
        if unchanged {
            return Ok((StatusCode::NOT_MODIFIED, tags).into_response());
        }
        return Ok((
            [(header::CONTENT_TYPE, "application/json".to_string())],
            tags,
            answer.json,
        )
            .into_response());
    }
    let comparison =
        blocking(move || Ok(node.view().compare(&indicator, period, include_flagged)?)).await?;
    Ok(match format {
        Format::Json => Json(comparison).into_response(),
        Format::Csv => csv_response(
            crate::export::comparison_csv(&comparison),
            "text/csv; charset=utf-8; header=present",
            &comparison,
            "csv",
        ),
        Format::SdmxCsv => csv_response(
            crate::export::comparison_sdmx_csv(&comparison),
            "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
            &comparison,
            "sdmx.csv",
        ),
    })
}

enum Format {
    Json,
    Csv,
    SdmxCsv,
}

fn csv_response(body: String, content_type: &str, c: &Comparison, ext: &str) -> Response {
    let name = format!(
        "comparison-{}-{}-{}.{ext}",
        c.indicator.framework, c.indicator.code, c.period
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-deltabench-manifest"),
                c.manifest.clone(),
            ),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(
    post,
    path = "/composites",
    tag = "comparison",
    summary = "A weighted composite index with rank intervals",
    security(("viewer" = []), ("admin" = [])),
    request_body(content = CompositeSpec, content_type = "application/json"),
    responses((status = 200, description = "the composite", body = wire::Composite), (status = 422, description = "no member has every indicator", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_composite(
    _: Viewer,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<wire::Composite>, ApiError> {
    let spec: CompositeSpec = parse_object(&body?, "a composite request")?;
    spec.validate().map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(node.view().composite(&spec)?))).await
}
