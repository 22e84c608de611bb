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
use deltabench_wire as wire;
use serde::Deserialize;
use serde_json::Value;

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
                .with_place(
                    first.row,
                    first.line.map(|l| l as u64),
                    Some(first.column.to_owned()),
                )
                .with_reason(first.reason.clone())
                .with_errors(
                    rows.iter()
                        .map(|r| wire::RowError {
                            row: r.row,
                            line: r.line,
                            column: r.column.to_owned(),
                            reason: r.reason.clone(),
                        })
                        .collect(),
                )
            }
            LocalError::NotFound(m) => ApiError::not_found(m),
            LocalError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            LocalError::Publish(deltabench_node::PublishError::Store(e)) | LocalError::Store(e) => {
                ApiError::storage(e)
            }
            LocalError::Publish(p) => ApiError::bad_request(p.to_string()),
            LocalError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
        }
    }
}

pub(crate) fn invalid(f: InvalidField) -> ApiError {
    ApiError::bad_request(f.to_string()).with_field(f.field, f.reason)
}

/// The envelope of a document's stored bytes, for an answer.
/// A node's error for a publication whose request was well formed: the
/// data's own refusal (`Invalid`) is 422 of `kind`, naming its field;
/// anything else as usual.
pub(crate) fn unpublishable(kind: &'static str, e: deltabench_node::local::LocalError) -> ApiError {
    match e {
        deltabench_node::local::LocalError::Invalid(f) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, kind, f.to_string())
                .with_field(f.field, f.reason)
        }
        e => e.into(),
    }
}

pub(crate) fn envelope(bytes: &[u8]) -> Result<wire::Envelope, ApiError> {
    serde_json::from_slice(bytes).map_err(ApiError::internal)
}

/// Reads a body that must be one JSON object as `T`. (serde would also read
/// an array as a struct's fields in order, which no client means.)
pub(crate) fn parse_object<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    let text = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => parse_json(text, what),
        _ => Err(ApiError::bad_request(format!(
            "the body is not {what}: a JSON object is expected"
        ))),
    }
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
    responses((status = 200, description = "the frameworks", body = wire::FrameworkList))
)]
pub(crate) async fn list_frameworks(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::FrameworkList>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        let held = node.frameworks().map_err(ApiError::storage)?;
        let frameworks = held
            .into_iter()
            .map(|h| {
                let f = h.framework;
                wire::FrameworkEntry {
                    id: f.id,
                    version: f.version.to_string(),
                    owner: f.owner,
                    name_zh: f.name_zh,
                    name_en: f.name_en,
                    periods: f.periods,
                    indicators: f.indicators.len(),
                    categories: f.categories.len(),
                    issuer: h.issuer,
                    hash: h.hash,
                    changelog: f.changelog,
                }
            })
            .collect();
        Ok(Json(wire::FrameworkList { frameworks }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/frameworks/{id}",
    tag = "appraisal",
    summary = "Every version held of one framework",
    security(("viewer" = []), ("admin" = [])),
    params(("id" = FrameworkId, Path, description = "the framework id, e.g. yrd.tax")),
    responses((status = 200, description = "the framework", body = wire::FrameworkVersions), (status = 404, description = "no such framework", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn get_framework(
    _: Viewer,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<wire::FrameworkVersions>, ApiError> {
    let Path(id) = path?;
    let id = FrameworkId::new(id).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || {
        let versions: Vec<wire::HeldFramework> = node
            .frameworks()
            .map_err(ApiError::storage)?
            .into_iter()
            .filter(|h| h.framework.id == id)
            .map(|h| wire::HeldFramework {
                hash: h.hash,
                issuer: h.issuer,
                framework: h.framework,
            })
            .collect();
        if versions.is_empty() {
            return Err(ApiError::not_found(format!("no framework {id} is held")));
        }
        Ok(Json(wire::FrameworkVersions { id, versions }))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/frameworks",
    tag = "appraisal",
    summary = "Load a framework version (signed and published)",
    security(("admin" = [])),
    request_body(content = Framework, description = "a framework", content_type = "application/json"),
    responses((status = 201, description = "signed and published", body = wire::FrameworkPublished), (status = 409, description = "that version is already held with other content", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_framework(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::FrameworkPublished>), ApiError> {
    let f: Framework = parse_object(&body?, "a framework")?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, changelog) = node.publish_framework(f)?;
        Ok((
            StatusCode::CREATED,
            Json(wire::FrameworkPublished {
                hash: doc.hash().clone(),
                document: envelope(doc.bytes())?,
                changelog,
            }),
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
    responses((status = 200, description = "the units", body = wire::UnitList))
)]
pub(crate) async fn list_units(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::UnitList>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        let units = node.store().units().map_err(ApiError::storage)?;
        Ok(Json(wire::UnitList { units }))
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
    request_body(content = wire::UnitsBody, description = r#"a JSON array of units or {"units": [...]}"#, content_type = "application/json"),
    responses((status = 201, description = "stored", body = wire::UnitsStored))
)]
pub(crate) async fn post_units(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::UnitsStored>), ApiError> {
    let raw: UnitsIn = parse_json(&body?, "a JSON array of units or {\"units\": [...]}")?;
    let raw = match raw {
        UnitsIn::List(v) | UnitsIn::Wrapped { units: v } => v,
    };
    let mut units = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let u: Unit = serde_json::from_value(v).map_err(|e| {
            ApiError::bad_request(format!("units[{i}]: {e}"))
                .with_field(format!("units[{i}]"), e.to_string())
        })?;
        units.push(u);
    }
    let node = state.node.clone();
    blocking(move || {
        let accepted = node.put_units(&units)?;
        Ok((StatusCode::CREATED, Json(wire::UnitsStored { accepted })))
    })
    .await
}

// ---------------------------------------------------------------- observations

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ObservationFilter {
    /// A period: 2025, 2025-H1, 2025-Q3 or 2025-07.
    #[param(value_type = Option<Period>)]
    period: Option<String>,
    /// An appraised unit's id.
    #[param(value_type = Option<UnitId>)]
    unit: Option<String>,
    /// An indicator's code (CODE, as in the observations).
    #[param(value_type = Option<IndicatorCode>)]
    indicator: Option<String>,
}

/// The largest number of audit entries one answer gives.
pub const AUDIT_LIMIT_MAX: usize = 100_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// At most this many entries of the audit trail (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100_000)]
    limit: Option<String>,
}

impl AuditQuery {
    fn limit(&self) -> Result<usize, ApiError> {
        let Some(l) = self.limit.as_deref() else {
            return Ok(1000);
        };
        l.parse::<usize>()
            .ok()
            .filter(|n| (1..=AUDIT_LIMIT_MAX).contains(n))
            .ok_or_else(|| {
                let why = format!("a whole number from 1 to {AUDIT_LIMIT_MAX}, not {l:?}");
                ApiError::bad_request(format!("limit: {why}")).with_field("limit", why)
            })
    }
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
    responses((status = 200, description = "the current observations", body = wire::ObservationList))
)]
pub(crate) async fn list_observations(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ObservationFilter>, QueryRejection>,
) -> Result<Json<wire::ObservationList>, ApiError> {
    let Query(q) = query?;
    let f = filter(&q)?;
    let node = state.node.clone();
    blocking(move || {
        let readings = node
            .store()
            .readings(f.period.as_ref(), f.unit.as_ref(), f.indicator.as_ref())
            .map_err(ApiError::storage)?;
        let observations = readings
            .into_iter()
            .map(|(o, r)| wire::ObservationOut {
                unit: o.unit,
                indicator: o.indicator,
                period: o.period,
                value: o.value,
                target: o.target,
                at: r.at,
                by: r.by,
            })
            .collect();
        Ok(Json(wire::ObservationList { observations }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/observations/audit",
    tag = "appraisal",
    summary = "The audit trail of observation changes",
    security(("admin" = [])),
    params(ObservationFilter, AuditQuery),
    responses((status = 200, description = "the audit trail", body = wire::AuditList))
)]
pub(crate) async fn list_audit(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ObservationFilter>, QueryRejection>,
    audit: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<wire::AuditList>, ApiError> {
    let Query(q) = query?;
    let f = filter(&q)?;
    let limit = audit?.0.limit()?;
    let node = state.node.clone();
    blocking(move || {
        let audit = node
            .store()
            .audit(
                f.unit.as_ref(),
                f.indicator.as_ref(),
                f.period.as_ref(),
                limit,
            )
            .map_err(ApiError::storage)?;
        Ok(Json(wire::AuditList { audit }))
    })
    .await
}

/// The CSV columns, in any order: `unit,indicator,period,value[,target]`.
const CSV_COLUMNS: [&str; 5] = ["unit", "indicator", "period", "value", "target"];

/// A CSV reader over `body` (cells trimmed, every row as wide as the
/// header) and its header row.
pub(crate) fn csv_reader(body: &[u8]) -> Result<(csv::Reader<&[u8]>, csv::StringRecord), ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_request(format!("the CSV header cannot be read: {e}")))?
        .clone();
    Ok((reader, headers))
}

/// Every data record of `reader`, each made into a `T` by `make` from its
/// row number (1 for the first data row), its line and its cells; a record
/// that is not valid CSV is refused by its row and line.
pub(crate) fn csv_records<T>(
    mut reader: csv::Reader<&[u8]>,
    mut make: impl FnMut(usize, Option<usize>, &csv::StringRecord) -> T,
) -> Result<Vec<T>, ApiError> {
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| {
                let line = e.position().map(|p| p.line());
                ApiError::bad_request(format!("data row {} is not valid CSV: {e}", n + 1))
                    .with_place(n + 1, line, None)
            })?;
        let line = record.position().map(|p| p.line() as usize);
        rows.push(make(n + 1, line, &record));
    }
    Ok(rows)
}

/// Reads CSV rows. Errors name the line and column.
pub fn rows_from_csv(body: &[u8]) -> Result<Vec<RawRow>, ApiError> {
    let (reader, headers) = csv_reader(body)?;
    let mut index = [None; 5];
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim_start_matches('\u{feff}').to_ascii_lowercase();
        match CSV_COLUMNS.iter().position(|c| *c == name) {
            Some(p) if index[p].is_none() => index[p] = Some(i),
            Some(_) => {
                return Err(
                    ApiError::bad_request(format!("the CSV header names {name} twice")).with_place(
                        0,
                        Some(1),
                        Some(name),
                    ),
                );
            }
            None => {
                return Err(ApiError::bad_request(format!(
                    "the CSV header has an unknown column {h:?}; expected unit,indicator,period,value[,target]"
                ))
                .with_place(0, Some(1), Some(h.to_owned())));
            }
        }
    }
    if let Some(missing) = (0..4).find(|&p| index[p].is_none()) {
        return Err(ApiError::bad_request(format!(
            "the CSV header lacks the column {}; expected unit,indicator,period,value[,target]",
            CSV_COLUMNS[missing]
        ))
        .with_place(0, Some(1), Some(CSV_COLUMNS[missing].to_owned())));
    }
    csv_records(reader, |row, line, record| {
        let cell = |p: usize| match index[p] {
            None => Cell::Absent,
            Some(i) => record
                .get(i)
                .filter(|t| !t.is_empty())
                .map_or(Cell::Missing, |t| Cell::Text(t.to_owned())),
        };
        RawRow {
            row,
            line,
            unit: cell(0),
            indicator: cell(1),
            period: cell(2),
            value: cell(3),
            target: cell(4),
        }
    })
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
            .with_place(n + 1, None, None));
        };
        if let Some(k) = map.keys().find(|k| !CSV_COLUMNS.contains(&k.as_str())) {
            return Err(
                ApiError::bad_request(format!("row {}: unknown field {k:?}", n + 1)).with_place(
                    n + 1,
                    None,
                    Some(k.clone()),
                ),
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
    request_body(content((Vec<wire::ObservationIn> = "application/json"), (String = "text/csv")), description = "observations; a bad row rejects the whole request"),
    responses((status = 201, description = "stored, durably", body = wire::ObservationsStored))
)]
pub(crate) async fn post_observations(
    admin: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::ObservationsStored>), ApiError> {
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
            Json(wire::ObservationsStored {
                accepted: rows.len(),
                inserted: counts.inserted,
                corrected: counts.corrected,
                unchanged: counts.unchanged,
            }),
        ))
    })
    .await
}

// ---------------------------------------------------- appraisals and summaries

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AppraisalQuery {
    /// The framework id (required).
    #[param(required = true, value_type = FrameworkId)]
    framework: Option<String>,
    /// The period: 2025, 2025-H1, 2025-Q3 or 2025-07 (required).
    #[param(required = true, value_type = Period)]
    period: Option<String>,
    /// A framework version (semver); default the latest held.
    #[param(pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")]
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
    responses((status = 200, description = "the appraisals", body = wire::AppraisalList), (status = 404, description = "no such framework", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn list_appraisals(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<AppraisalQuery>, QueryRejection>,
) -> Result<Json<wire::AppraisalList>, ApiError> {
    let Query(q) = query?;
    let id = FrameworkId::new(q.framework.unwrap_or_default()).map_err(invalid)?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let version = version(q.version.as_deref())?;
    let node = state.node.clone();
    blocking(move || {
        let (f, appraisals) = node.appraisals(&id, version.as_ref(), period)?;
        Ok(Json(wire::AppraisalList {
            framework: f.id,
            version: f.version.to_string(),
            period,
            appraisals,
        }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ForecastQuery {
    /// The framework id (required).
    #[param(required = true, value_type = FrameworkId)]
    framework: Option<String>,
    /// The year whose end is forecast, e.g. 2025 (required).
    #[param(required = true, pattern = r"^(19|2[0-9])[0-9]{2}$")]
    period: Option<String>,
    /// The intervals' level, strictly between 0 and 1; 0.8 when absent.
    #[param(value_type = Option<f64>, minimum = 0.01, maximum = 0.99)]
    level: Option<f64>,
}

#[utoipa::path(
    get,
    path = "/forecasts",
    tag = "performance twin",
    summary = "Year-end forecasts of the framework's monthly indicators, with conformal intervals and the probability of missing the target",
    description = "For every unit and indicator with monthly observations in the year: the \
        year-end forecast by the indicator's aggregation rule (seasonal mean of past years \
        shifted by this year's offset), the interval at `level` calibrated on past years \
        (split-conformal, pooled per indicator over units observed in the same months), \
        `p_miss` against the unit's annual target (else the indicator's), and the method. \
        Where there is no interval or probability, `interval_note` / `p_miss_note` say why; \
        series without a forecast are listed in `without` with the reason.",
    security(("viewer" = []), ("admin" = [])),
    params(ForecastQuery),
    responses(
        (status = 200, description = "the forecasts", body = wire::ForecastList),
        (status = 404, description = "no such framework (version) of this node", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn list_forecasts(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<ForecastQuery>, QueryRejection>,
) -> Result<Json<wire::ForecastList>, ApiError> {
    let Query(q) = query?;
    let id = FrameworkId::new(q.framework.unwrap_or_default()).map_err(invalid)?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let level = q.level.unwrap_or(0.8);
    let node = state.node.clone();
    blocking(move || Ok(Json(node.forecasts(&id, period, level)?))).await
}

#[utoipa::path(
    post,
    path = "/forecast-commitments",
    tag = "performance twin",
    summary = "Sign and publish the year-end forecasts of the framework's indicators (kind forecast)",
    description = "Each indicator with monthly values is forecast at the jurisdiction level: \
        its aggregation rule (sum, mean or median) over the units' forecasts, and over their \
        interval ends, at `level` (0.8 when absent). An indicator is committed to only when \
        every unit with months of the year has a forecast with an interval; the others are \
        in `left_out` with why. Published before the year's summary, the document is scored \
        against it (`GET /forecast-skill`). 201 with the document, or the node's latest one \
        when nothing changed (`created` false); 422 when no indicator can be committed to.",
    security(("admin" = [])),
    request_body(content = wire::CommitmentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "signed and published, or the latest when unchanged", body = wire::CommitmentPublished),
        (status = 400, description = "not a year, or a level outside (0, 1)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such framework of this node", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "no indicator of the framework can be forecast with an interval for the year", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_commitment(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::CommitmentPublished>), ApiError> {
    let req: wire::CommitmentRequest =
        parse_object(&body?, "{\"framework\", \"period\": YEAR, \"level\"?}")?;
    if !matches!(req.period, Period::Year(_)) {
        return Err(invalid(InvalidField::new(
            "period",
            format!(
                "{} is not a year: forecasts are of a year's end",
                req.period
            ),
        )));
    }
    let level = req.level.unwrap_or(0.8);
    if !(level > 0.0 && level < 1.0) {
        return Err(invalid(InvalidField::new(
            "level",
            format!("{level} is not strictly between 0 and 1"),
        )));
    }
    let node = state.node.clone();
    blocking(move || {
        let (doc, created, (_, left_out)) = node
            .publish_forecast_commitment(&req.framework, req.period, level)
            .map_err(|e| unpublishable("nothing-to-commit", e))?;
        Ok((
            StatusCode::CREATED,
            Json(wire::CommitmentPublished {
                hash: doc.hash().clone(),
                document: envelope(doc.bytes())?,
                created,
                left_out,
            }),
        ))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SkillQuery {
    /// The year, e.g. 2025 (required).
    #[param(required = true, pattern = r"^(19|2[0-9])[0-9]{2}$")]
    period: Option<String>,
}

#[utoipa::path(
    get,
    path = "/forecast-skill",
    tag = "performance twin",
    summary = "Every member's forecast commitments for the year, scored against its summary",
    description = "One row per `forecast` document held for the year, from any member: its \
        committed intervals, the issuer's latest summary value of each indicator, whether \
        the interval held it, the interval score and the interval score over |actual|. A \
        document counts (`status` `scored`) only when it precedes the issuer's first summary \
        of the framework and year in its chain; one published after is `after_summary` and \
        one without a summary yet is `awaiting_summary`. Each indicator names the reference \
        indicators it maps onto through mutually recognised crosswalks.",
    security(("viewer" = []), ("admin" = [])),
    params(SkillQuery),
    responses(
        (status = 200, description = "the commitments and their scores", body = wire::ForecastSkill),
        (status = 400, description = "not a year", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn get_forecast_skill(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<SkillQuery>, QueryRejection>,
) -> Result<Json<wire::ForecastSkill>, ApiError> {
    let Query(q) = query?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(node.forecast_skill(period)?))).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WarningQuery {
    /// The framework id (required).
    #[param(required = true, value_type = FrameworkId)]
    framework: Option<String>,
    /// The year, e.g. 2025 (required).
    #[param(required = true, pattern = r"^(19|2[0-9])[0-9]{2}$")]
    period: Option<String>,
}

#[utoipa::path(
    get,
    path = "/warnings",
    tag = "performance twin",
    summary = "Early warnings: forecasts likely to miss their target, and rising debt bands",
    description = "A warning for each unit and indicator whose year-end forecast misses its \
        target with a probability above `[twin] warn_p_miss`, and for each rise of a \
        jurisdiction's debt band in the year or later (reported or projected over the bond \
        calendar). Each says what triggered it, with its figures, and carries its \
        acknowledgement once given.",
    security(("viewer" = []), ("admin" = [])),
    params(WarningQuery),
    responses(
        (status = 200, description = "the warnings", body = wire::WarningList),
        (status = 404, description = "no such framework of this node", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn list_warnings(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<WarningQuery>, QueryRejection>,
) -> Result<Json<wire::WarningList>, ApiError> {
    let Query(q) = query?;
    let id = FrameworkId::new(q.framework.unwrap_or_default()).map_err(invalid)?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(node.warnings(&id, period)?))).await
}

#[utoipa::path(
    post,
    path = "/warnings/{id}/acknowledgement",
    tag = "performance twin",
    summary = "Record that a warning was seen and what the unit will do",
    security(("admin" = [])),
    params(("id" = String, Path, description = "the warning's id, e.g. miss:taicang.hqd:2025:tax-bureau:budget_revenue", max_length = 300, pattern = r"^(miss|grade|debt):")),
    request_body(content = wire::AcknowledgementRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "recorded, durably", body = wire::Acknowledgement),
        (status = 400, description = "not a warning id, or a blank field", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such warning stands now", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "acknowledged already", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_acknowledgement(
    _: Admin,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::Acknowledgement>), ApiError> {
    let Path(id) = path?;
    let req: wire::AcknowledgementRequest = parse_object(&body?, "{\"action\", \"by\"}")?;
    let node = state.node.clone();
    blocking(move || Ok((StatusCode::CREATED, Json(node.acknowledge(&id, &req)?)))).await
}

#[utoipa::path(
    post,
    path = "/debt",
    tag = "debt risk",
    summary = "Store reported debt figures and the bond calendar (whole or not at all)",
    description = "`actuals`: per jurisdiction (or district) and period, `debt_balance`, \
        `comprehensive_resources` (综合财力, positive) and `debt_service_due`; `calendar`: \
        per later period, `issuance` and `repayment`, optionally `debt_service_due` and the \
        expected `comprehensive_resources`. A later row for the same jurisdiction and period \
        replaces the earlier. 400 names the bad row and field (`actuals[2].debt_balance`).",
    security(("admin" = [])),
    request_body(content = wire::DebtUpload, content_type = "application/json"),
    responses(
        (status = 201, description = "stored, durably", body = wire::DebtStored),
        (status = 400, description = "a row is not acceptable; `field` names it", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_debt(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::DebtStored>), ApiError> {
    let req: wire::DebtUpload = parse_object(&body?, "{\"actuals\", \"calendar\"}")?;
    let node = state.node.clone();
    blocking(move || {
        let (actuals, calendar) = node.put_debt(&req.actuals, &req.calendar)?;
        Ok((
            StatusCode::CREATED,
            Json(wire::DebtStored { actuals, calendar }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/debt-risk",
    tag = "debt risk",
    summary = "Debt ratio, debt-service ratio and risk band by jurisdiction and period, reported and projected",
    description = "Debt ratio (债务率) = debt balance / comprehensive financial resources and \
        debt-service ratio (偿债率) = debt service due / comprehensive financial resources, in \
        percent. Bands by the configured thresholds (`[debt]`, named with their source). \
        Periods of the bond calendar after the last reported one are projected \
        (`projected`); `crossings` lists every change of band, `rising` ones being warnings.",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the rows, crossings and thresholds", body = wire::DebtRisk))
)]
pub(crate) async fn get_debt_risk(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::DebtRisk>, ApiError> {
    let node = state.node.clone();
    blocking(move || Ok(Json(node.debt_risk()?))).await
}

#[utoipa::path(
    post,
    path = "/whatif",
    tag = "appraisal",
    summary = "The appraisal under changed weights, targets, scoring rules or grading, beside the appraisal as it stands",
    description = "Changes are applied to copies, in this order: `weights` (a category's whole \
        weight tree), `scoring`, `grading`, assumed `values`, `targets` (for one unit, or for \
        every unit in place of their own). Each unit's total, grade, pay coefficient, rank in \
        its category and rank interval under perturbed weights (the composite's method: \
        `draws`, `seed`, `perturbation`) before and after. Nothing held is changed. 400 \
        names the change that cannot apply (`changes.weights[0].weights`, …).",
    security(("admin" = [])),
    request_body(content = wire::WhatIfRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "every unit before and after", body = wire::WhatIf),
        (status = 400, description = "the request or one of its changes cannot apply; `field` names it", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such framework (version) of this node", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_whatif(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<wire::WhatIf>, ApiError> {
    let req: wire::WhatIfRequest = parse_object(
        &body?,
        "a what-if request {\"framework\", \"period\", \"changes\"}",
    )?;
    req.validate().map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(node.what_if(&req)?))).await
}

#[utoipa::path(
    post,
    path = "/summaries",
    tag = "appraisal",
    summary = "Build, sign, store and publish an indicator summary",
    security(("admin" = [])),
    request_body(content = wire::SummaryRequest, content_type = "application/json"),
    responses((status = 201, description = "signed and published, or the one already published when unchanged", body = wire::SummaryPublished), (status = 404, description = "no such framework (version) held", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn post_summary(
    admin: Admin,
    state: State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::SummaryPublished>), ApiError> {
    summarise(admin, state, body, |node, id, version, period, reason| {
        node.publish_summary(id, version, period, reason)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/debt/summaries",
    tag = "debt risk",
    summary = "Sign and publish a summary of the node's reported debt figures, to compare across the Delta",
    description = "The framework is the node's own or a reference framework of an alliance \
        it belongs to; each of its indicators must be one of `debt_ratio`, \
        `debt_service_ratio` (percent), `debt_balance`, `comprehensive_resources` or \
        `debt_service_due`, and takes the node's own reported figure of the period. The \
        document is an ordinary `summary`, so members compare it like any other. An \
        unchanged summary is answered again (`created` false); a changed one needs `reason`.",
    security(("admin" = [])),
    request_body(content = wire::SummaryRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "signed and published, or the one already published when unchanged", body = wire::SummaryPublished),
        (status = 400, description = "an indicator is not a debt figure, no figures are reported for the period, or a reason is needed; `field` names it", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such framework (version) held", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_debt_summary(
    admin: Admin,
    state: State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::SummaryPublished>), ApiError> {
    summarise(admin, state, body, |node, id, version, period, reason| {
        node.publish_debt_summary(id, version, period, reason)
    })
    .await
}

/// A summary publication: the request read, `publish` run on the blocking
/// pool, and 201 with the document either way (`created` tells a repeat of
/// an unchanged summary, answered with the document already published).
async fn summarise(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
    publish: impl FnOnce(
        &deltabench_node::Node,
        &FrameworkId,
        Option<&semver::Version>,
        Period,
        Option<String>,
    ) -> Result<
        (deltabench_trust::Document, bool),
        deltabench_node::local::LocalError,
    > + Send
    + 'static,
) -> Result<(StatusCode, Json<wire::SummaryPublished>), ApiError> {
    let req: wire::SummaryRequest =
        parse_object(&body?, "{\"framework\", \"version\", \"period\"}")?;
    let id = req.framework;
    let period = req.period;
    let version = version(req.version.as_deref())?;
    let node = state.node.clone();
    blocking(move || {
        let (doc, created) = publish(&node, &id, version.as_ref(), period, req.reason)?;
        // 201 either way, as the API promises; `created` tells a repeat of an
        // unchanged summary (answered with the document already published).
        Ok((
            StatusCode::CREATED,
            Json(wire::SummaryPublished {
                hash: doc.hash().clone(),
                document: envelope(doc.bytes())?,
                created,
            }),
        ))
    })
    .await
}
