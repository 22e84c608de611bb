//! Routes of mutual recognition and harmonised comparison: crosswalks,
//! endorsements, comparisons (JSON, CSV, SDMX-CSV) and composites.

use crate::auth::{Admin, Viewer};
use crate::local_routes::{invalid, parse_json};
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
use deltabench_model::documents::{Crosswalk, Decision};
use deltabench_model::{CrosswalkId, IndicatorRef, InvalidField, Period};
use serde::Deserialize;
use serde_json::{Value, json};

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
    status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/crosswalks",
    tag = "recognition",
    summary = "Crosswalks with their recognition status and endorsements",
    security(("viewer" = []), ("admin" = [])),
    params(CrosswalkFilter),
    responses((status = 200, description = r#"{"crosswalks": [...]}"#, body = Object))
)]
pub(crate) async fn list_crosswalks(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<CrosswalkFilter>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(filter) = query?;
    let status = filter
        .status
        .as_deref()
        .map(CrosswalkStatus::parse)
        .transpose()
        .map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || {
        let list: Vec<_> = node
            .view()
            .crosswalks()
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .collect();
        Ok(Json(json!({ "crosswalks": list })))
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
    request_body(content = Object, description = "a crosswalk", content_type = "application/json"),
    responses((status = 201, description = r#"{"hash", "document", "crosswalk"}"#, body = Object), (status = 409, description = "the id belongs to another jurisdiction or the version is taken", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_crosswalk(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ProposeOptions>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Query(options) = query?;
    let mut raw: Value = parse_json(&body?, "a crosswalk")?;
    if let Some(obj) = raw.as_object_mut() {
        obj.entry("version").or_insert(json!(0));
    }
    let c: Crosswalk = serde_json::from_value(raw)
        .map_err(|e| ApiError::bad_request(format!("the body is not a crosswalk: {e}")))?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, endorsement) = node.propose_crosswalk(c, options.endorse.unwrap_or(true))?;
        let document: Value = serde_json::from_slice(doc.bytes()).map_err(ApiError::internal)?;
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "hash": doc.hash(),
                "document": document,
                "endorsement": endorsement.as_ref().map(|e| e.hash()),
            })),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndorseBody {
    decision: Decision,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    version: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/crosswalks/{id}/endorsements",
    tag = "recognition",
    summary = "Accept or reject the current version of a crosswalk (signed and published)",
    security(("admin" = [])),
    params(("id" = String, Path, description = "the crosswalk id")),
    request_body(content = Object, description = r#"{"decision": "accept"|"reject", "comment"?, "version"?}"#, content_type = "application/json"),
    responses((status = 201, description = r#"{"hash", "document"}"#, body = Object), (status = 404, description = "no such crosswalk", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "not the current version", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_endorsement(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Path(id) = path?;
    let id = CrosswalkId::new(id).map_err(invalid)?;
    let b: EndorseBody = parse_json(
        &body?,
        "an endorsement ({\"decision\": \"accept\"|\"reject\"})",
    )?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, after) = node.endorse_crosswalk(&id, b.version, b.decision, b.comment)?;
        let document: Value = serde_json::from_slice(doc.bytes()).map_err(ApiError::internal)?;
        Ok((
            StatusCode::CREATED,
            Json(json!({"hash": doc.hash(), "document": document, "crosswalk": after})),
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
    responses((status = 200, description = r#"{"periods": ["2024", "2025", ...]}"#, body = Object))
)]
pub(crate) async fn list_periods(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let node = state.node.clone();
    blocking(move || Ok(Json(json!({ "periods": node.view().periods() })))).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ComparisonQuery {
    /// The reference indicator, FRAMEWORK/CODE (required).
    #[param(required = true, example = "yrd.tax/ontime_filing_rate")]
    indicator: Option<String>,
    /// The period: 2025, 2025-H1, 2025-Q3 or 2025-07 (required).
    #[param(
        required = true,
        pattern = r"^(19|2[0-9])[0-9]{2}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"
    )]
    period: Option<String>,
    /// json (default), csv or sdmx-csv.
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
    responses((status = 200, description = "the comparison (JSON, with the BLAKE3 hash of its bytes as ETag), or the same rows as CSV or SDMX-CSV", content((Object = "application/json"), (String = "text/csv"), (String = "application/vnd.sdmx.data+csv"))), (status = 304, description = "If-None-Match named the current answer's ETag: unchanged, no body"), (status = 404, description = "no such framework or indicator", body = crate::openapi::Problem, content_type = "application/problem+json"))
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
    request_body(content = Object, description = r#"{"period", "indicators": [{"indicator", "weight"}], "normalisation"?, "aggregation"?, "draws"?, "seed"?, "perturbation"?, "missing"?, "include_flagged"?}"#, content_type = "application/json"),
    responses((status = 200, description = r#"{"rows": [{"jurisdiction", "index", "rank", "rank_interval"}], ...}"#, body = Object), (status = 422, description = "no member has every indicator", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_composite(
    _: Viewer,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let spec: CompositeSpec = parse_json(&body?, "a composite request")?;
    spec.validate().map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || {
        let c = node.view().composite(&spec)?;
        Ok(Json(serde_json::to_value(c).map_err(ApiError::internal)?))
    })
    .await
}
