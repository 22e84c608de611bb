//! Routes of the jurisdiction's own appraisal: frameworks, units,
//! observations, appraisals and summaries.

use crate::auth::{Admin, Viewer};
use crate::{ApiError, AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use deltabench_model::documents::Framework;
use deltabench_model::local::Unit;
use deltabench_model::{FrameworkId, IndicatorCode, InvalidField, Period, UnitId};
use deltabench_node::local::{Cell, LocalError, RawRow};
use serde::Deserialize;
use serde_json::{Value, json};

impl From<LocalError> for ApiError {
    fn from(e: LocalError) -> Self {
        match e {
            LocalError::Invalid(f) => invalid(f),
            LocalError::Rows(rows) => {
                let first = &rows[0];
                ApiError::bad_request(format!(
                    "{} row(s) refused, nothing was stored; {first}",
                    rows.len()
                ))
                .with_extra(json!({
                    "row": first.row,
                    "line": first.line,
                    "column": first.column,
                    "reason": first.reason,
                    "errors": rows,
                }))
            }
            LocalError::NotFound(m) => ApiError::not_found(m),
            LocalError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            LocalError::Publish(deltabench_node::PublishError::Store(e)) | LocalError::Store(e) => {
                ApiError::storage(e)
            }
            LocalError::Publish(p) => ApiError::bad_request(p.to_string()),
        }
    }
}

pub(crate) fn invalid(f: InvalidField) -> ApiError {
    ApiError::bad_request(f.to_string()).with_extra(json!({"field": f.field, "reason": f.reason}))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    // Editors on Windows save UTF-8 with a byte-order mark.
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not {what}: {e}")))
}

// ------------------------------------------------------------------ frameworks

#[utoipa::path(
    get,
    path = "/frameworks",
    tag = "appraisal",
    summary = "The frameworks held (own and received)",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = r#"{"frameworks": [{"id", "version", "owner", ...}]}"#, body = Object))
)]
pub(crate) async fn list_frameworks(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        let held = node.frameworks().map_err(ApiError::storage)?;
        let list: Vec<Value> = held
            .iter()
            .map(|h| {
                let f = &h.framework;
                json!({
                    "id": f.id, "version": f.version.to_string(), "owner": f.owner,
                    "name_zh": f.name_zh, "name_en": f.name_en, "periods": f.periods,
                    "indicators": f.indicators.len(), "categories": f.categories.len(),
                    "issuer": h.issuer, "hash": h.hash, "changelog": f.changelog,
                })
            })
            .collect();
        Ok(Json(json!({ "frameworks": list })))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/frameworks/{id}",
    tag = "appraisal",
    summary = "Every version held of one framework",
    security(("viewer" = []), ("admin" = [])),
    params(("id" = String, Path, description = "the framework id, e.g. yrd.tax")),
    responses((status = 200, description = "the framework", body = Object), (status = 404, description = "no such framework", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn get_framework(
    _: Viewer,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = path?;
    let id = FrameworkId::new(id).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || {
        let versions: Vec<Value> = node
            .frameworks()
            .map_err(ApiError::storage)?
            .into_iter()
            .filter(|h| h.framework.id == id)
            .map(|h| json!({"hash": h.hash, "issuer": h.issuer, "framework": h.framework}))
            .collect();
        if versions.is_empty() {
            return Err(ApiError::not_found(format!("no framework {id} is held")));
        }
        Ok(Json(json!({ "id": id, "versions": versions })))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/frameworks",
    tag = "appraisal",
    summary = "Load a framework version (signed and published)",
    security(("admin" = [])),
    request_body(content = Object, description = "a framework", content_type = "application/json"),
    responses((status = 201, description = r#"{"hash", "document"}"#, body = Object), (status = 409, description = "that version is already held with other content", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_framework(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let f: Framework = parse_json(&body?, "a framework")?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, changes) = node.publish_framework(f)?;
        let document: Value = serde_json::from_slice(doc.bytes()).map_err(ApiError::internal)?;
        Ok((
            StatusCode::CREATED,
            Json(json!({"hash": doc.hash(), "document": document, "changelog": changes})),
        ))
    })
    .await
}

// ----------------------------------------------------------------------- units

#[utoipa::path(
    get,
    path = "/units",
    tag = "appraisal",
    summary = "The appraised units",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = r#"{"units": [{"id", "name_zh", "name_en", "category"}]}"#, body = Object))
)]
pub(crate) async fn list_units(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        let units = node.store().units().map_err(ApiError::storage)?;
        Ok(Json(json!({ "units": units })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(untagged)]
enum UnitsIn {
    List(Vec<Value>),
    Wrapped { units: Vec<Value> },
}

#[utoipa::path(
    post,
    path = "/units",
    tag = "appraisal",
    summary = "Add or update appraised units",
    security(("admin" = [])),
    request_body(content = Object, description = r#"a JSON array of units or {"units": [...]}"#, content_type = "application/json"),
    responses((status = 201, description = r#"{"accepted": N}"#, body = Object))
)]
pub(crate) async fn post_units(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let raw: UnitsIn = parse_json(&body?, "a JSON array of units or {\"units\": [...]}")?;
    let raw = match raw {
        UnitsIn::List(v) | UnitsIn::Wrapped { units: v } => v,
    };
    let mut units = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let u: Unit = serde_json::from_value(v).map_err(|e| {
            ApiError::bad_request(format!("units[{i}]: {e}"))
                .with_extra(json!({"field": format!("units[{i}]"), "reason": e.to_string()}))
        })?;
        units.push(u);
    }
    let node = state.node.clone();
    blocking(move || {
        let n = node.put_units(&units)?;
        Ok((StatusCode::CREATED, Json(json!({ "accepted": n }))))
    })
    .await
}

// ---------------------------------------------------------------- observations

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ObservationFilter {
    /// A period: 2025, 2025-H1, 2025-Q3 or 2025-07.
    period: Option<String>,
    /// An appraised unit's id.
    unit: Option<String>,
    /// FRAMEWORK/CODE or CODE.
    indicator: Option<String>,
    /// At most this many entries of the audit trail (default 1000).
    limit: Option<usize>,
}

struct Filter {
    period: Option<Period>,
    unit: Option<UnitId>,
    indicator: Option<IndicatorCode>,
}

fn filter(f: &ObservationFilter) -> Result<Filter, ApiError> {
    Ok(Filter {
        period: f
            .period
            .as_deref()
            .map(Period::parse)
            .transpose()
            .map_err(invalid)?,
        unit: f
            .unit
            .clone()
            .map(UnitId::new)
            .transpose()
            .map_err(invalid)?,
        indicator: f
            .indicator
            .clone()
            .map(IndicatorCode::new)
            .transpose()
            .map_err(invalid)?,
    })
}

#[utoipa::path(
    get,
    path = "/observations",
    tag = "appraisal",
    summary = "Current observation values",
    security(("admin" = [])),
    params(ObservationFilter),
    responses((status = 200, description = r#"{"observations": [{"unit", "indicator", "period", "value", "target"}]}"#, body = Object))
)]
pub(crate) async fn list_observations(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ObservationFilter>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let f = filter(&q)?;
    let node = state.node.clone();
    blocking(move || {
        let readings = node
            .store()
            .readings(f.period.as_ref(), f.unit.as_ref(), f.indicator.as_ref())
            .map_err(ApiError::storage)?;
        let list: Vec<Value> = readings
            .into_iter()
            .map(|(o, r)| {
                json!({"unit": o.unit, "indicator": o.indicator, "period": o.period,
                       "value": o.value, "target": o.target, "at": r.at, "by": r.by})
            })
            .collect();
        Ok(Json(json!({ "observations": list })))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/observations/audit",
    tag = "appraisal",
    summary = "The audit trail of observation changes",
    security(("admin" = [])),
    params(ObservationFilter),
    responses((status = 200, description = r#"{"audit": [...]}"#, body = Object))
)]
pub(crate) async fn list_audit(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ObservationFilter>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let f = filter(&q)?;
    let limit = q.limit.unwrap_or(1000).min(100_000);
    let node = state.node.clone();
    blocking(move || {
        let entries = node
            .store()
            .audit(
                f.unit.as_ref(),
                f.indicator.as_ref(),
                f.period.as_ref(),
                limit,
            )
            .map_err(ApiError::storage)?;
        Ok(Json(json!({ "audit": entries })))
    })
    .await
}

/// The CSV columns, in any order: `unit,indicator,period,value[,target]`.
const CSV_COLUMNS: [&str; 5] = ["unit", "indicator", "period", "value", "target"];

/// Reads CSV rows. Errors name the line and column.
pub fn rows_from_csv(body: &[u8]) -> Result<Vec<RawRow>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_request(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let mut index = [None; 5];
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim_start_matches('\u{feff}').to_ascii_lowercase();
        match CSV_COLUMNS.iter().position(|c| *c == name) {
            Some(p) if index[p].is_none() => index[p] = Some(i),
            Some(_) => {
                return Err(
                    ApiError::bad_request(format!("the CSV header names {name} twice"))
                        .with_extra(json!({"row": 0, "line": 1, "column": name})),
                );
            }
            None => {
                return Err(ApiError::bad_request(format!(
                    "the CSV header has an unknown column {h:?}; expected unit,indicator,period,value[,target]"
                ))
                .with_extra(json!({"row": 0, "line": 1, "column": h})));
            }
        }
    }
    if let Some(missing) = (0..4).find(|&p| index[p].is_none()) {
        return Err(ApiError::bad_request(format!(
            "the CSV header lacks the column {}; expected unit,indicator,period,value[,target]",
            CSV_COLUMNS[missing]
        ))
        .with_extra(json!({"row": 0, "line": 1, "column": CSV_COLUMNS[missing]})));
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            ApiError::bad_request(format!("data row {} is not valid CSV: {e}", n + 1))
                .with_extra(json!({"row": n + 1, "line": line}))
        })?;
        let cell = |p: usize| match index[p] {
            None => Cell::Absent,
            Some(i) => record
                .get(i)
                .filter(|t| !t.is_empty())
                .map_or(Cell::Missing, |t| Cell::Text(t.to_owned())),
        };
        rows.push(RawRow {
            row: n + 1,
            line: record.position().map(|p| p.line() as usize),
            unit: cell(0),
            indicator: cell(1),
            period: cell(2),
            value: cell(3),
            target: cell(4),
        });
    }
    Ok(rows)
}

/// Reads JSON rows: an array of objects with the CSV's columns as fields.
fn rows_from_json(body: &[u8]) -> Result<Vec<RawRow>, ApiError> {
    let items: Vec<Value> = parse_json(body, "a JSON array of observations")?;
    let mut rows = Vec::with_capacity(items.len());
    for (n, item) in items.into_iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(ApiError::bad_request(format!(
                "row {}: an observation is a JSON object",
                n + 1
            ))
            .with_extra(json!({"row": n + 1})));
        };
        if let Some(k) = map.keys().find(|k| !CSV_COLUMNS.contains(&k.as_str())) {
            return Err(
                ApiError::bad_request(format!("row {}: unknown field {k:?}", n + 1))
                    .with_extra(json!({"row": n + 1, "column": k})),
            );
        }
        let cell = |name: &str| match map.get(name) {
            None => Cell::Absent,
            Some(Value::Null) => Cell::Missing,
            Some(Value::Number(x)) => x.as_f64().map_or(Cell::Missing, Cell::Number),
            Some(Value::String(t)) => Cell::Text(t.clone()),
            Some(other) => Cell::Text(other.to_string()),
        };
        rows.push(RawRow {
            row: n + 1,
            line: None,
            unit: cell("unit"),
            indicator: cell("indicator"),
            period: cell("period"),
            value: cell("value"),
            target: cell("target"),
        });
    }
    Ok(rows)
}

#[utoipa::path(
    post,
    path = "/observations",
    tag = "appraisal",
    summary = "Import observations (JSON array or CSV unit,indicator,period,value[,target]); durable before 201",
    security(("admin" = [])),
    request_body(content((Object = "application/json"), (String = "text/csv")), description = "observations; a bad row rejects the whole request"),
    responses((status = 201, description = r#"{"accepted": N}"#, body = Object))
)]
pub(crate) async fn post_observations(
    admin: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    let node = state.node.clone();
    blocking(move || {
        let rows = if ctype.starts_with("text/csv") {
            rows_from_csv(&body)?
        } else if ctype.starts_with("application/json") {
            rows_from_json(&body)?
        } else {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!("send application/json or text/csv, not {ctype}"),
            ));
        };
        let counts = node.import_observations(&rows, &admin.who)?;
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "accepted": rows.len(),
                "inserted": counts.inserted,
                "corrected": counts.corrected,
                "unchanged": counts.unchanged,
            })),
        ))
    })
    .await
}

// ---------------------------------------------------- appraisals and summaries

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AppraisalQuery {
    /// The framework id (required).
    #[param(required = true)]
    framework: Option<String>,
    /// The period: 2025, 2025-H1, 2025-Q3 or 2025-07 (required).
    #[param(
        required = true,
        pattern = r"^(19|2[0-9])[0-9]{2}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"
    )]
    period: Option<String>,
    /// A framework version (semver); default the latest held.
    version: Option<String>,
}

fn version(v: Option<&str>) -> Result<Option<semver::Version>, ApiError> {
    v.map(|t| {
        semver::Version::parse(t).map_err(|e| {
            invalid(InvalidField::new(
                "version",
                format!("{t:?} is not a semver version: {e}"),
            ))
        })
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/appraisals",
    tag = "appraisal",
    summary = "Scores, totals and A-E grades of the units for a period",
    security(("admin" = [])),
    params(AppraisalQuery),
    responses((status = 200, description = r#"{"appraisals": [{"unit", "category", "total", "grade", "pay_coefficient", "scores"}]}"#, body = Object), (status = 404, description = "no such framework", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn list_appraisals(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<AppraisalQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let id = FrameworkId::new(q.framework.unwrap_or_default()).map_err(invalid)?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let version = version(q.version.as_deref())?;
    let node = state.node.clone();
    blocking(move || {
        let (f, appraisals) = node.appraisals(&id, version.as_ref(), period)?;
        Ok(Json(json!({
            "framework": f.id, "version": f.version.to_string(), "period": period,
            "appraisals": appraisals,
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryRequest {
    framework: String,
    #[serde(default)]
    version: Option<String>,
    period: String,
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/summaries",
    tag = "appraisal",
    summary = "Build, sign, store and publish an indicator summary",
    security(("admin" = [])),
    request_body(content = Object, description = r#"{"framework", "version", "period"}"#, content_type = "application/json"),
    responses((status = 201, description = r#"{"hash", "document"}"#, body = Object))
)]
pub(crate) async fn post_summary(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: SummaryRequest = parse_json(&body?, "{\"framework\", \"version\", \"period\"}")?;
    let id = FrameworkId::new(req.framework).map_err(invalid)?;
    let period = Period::parse(&req.period).map_err(invalid)?;
    let version = version(req.version.as_deref())?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, new) = node.publish_summary(&id, version.as_ref(), period, req.reason)?;
        let document: Value = serde_json::from_slice(doc.bytes()).map_err(ApiError::internal)?;
        // 201 either way, as the API promises; `created` tells a repeat of an
        // unchanged summary (answered with the document already published).
        Ok((
            StatusCode::CREATED,
            Json(json!({"hash": doc.hash(), "document": document, "created": new})),
        ))
    })
    .await
}
