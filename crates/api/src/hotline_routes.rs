//! 12345 hotline routes: importing requests, the demand heat map and the
//! departments' response efficiency.

use crate::auth::{Admin, Viewer};
use crate::local_routes::invalid;
use crate::{ApiError, AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use deltabench_model::Period;
use deltabench_model::hotline::{
    CoordSystem, Departments, Heatmap, HotlineDelta, HotlineMonths, TicketsStored,
};
use deltabench_node::hotline::{RawTicket, column};
use deltabench_wire as wire;
use serde::Deserialize;
use serde_json::Value;

/// A request that cannot be read, at its row (and CSV line) and column.
fn at(row: usize, line: Option<u64>, col: &str, detail: String) -> ApiError {
    ApiError::bad_request(detail).with_place(row, line, Some(col.to_owned()))
}

fn header_column(h: &str, line: Option<u64>) -> Result<&'static str, ApiError> {
    column(h).ok_or_else(|| {
        at(
            0,
            line,
            h,
            format!(
                "{h:?} is not a column of a request; expected some of {}",
                deltabench_node::hotline::COLUMNS.join(",")
            ),
        )
    })
}

fn from_csv(body: &[u8]) -> Result<Vec<RawTicket>, ApiError> {
    let (reader, headers) = crate::local_routes::csv_reader(body)?;
    let mut cols = Vec::with_capacity(headers.len());
    for h in &headers {
        let c = header_column(h, Some(1))?;
        if cols.contains(&c) {
            return Err(at(0, Some(1), c, format!("the CSV header names {c} twice")));
        }
        cols.push(c);
    }
    crate::local_routes::csv_records(reader, |row, line, record| RawTicket {
        row,
        line,
        cells: cols
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (*c, v.to_owned()))
            .collect(),
    })
}

fn from_json(body: &[u8]) -> Result<(Vec<RawTicket>, Option<CoordSystem>), ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let (list, coords) = match v {
        Value::Array(list) => (list, None),
        Value::Object(mut o) => {
            let coords = match o.remove("coordinates") {
                None => None,
                Some(Value::String(s)) => Some(CoordSystem::parse(&s).map_err(invalid)?),
                Some(_) => {
                    return Err(ApiError::bad_request("coordinates must be a string")
                        .with_field("coordinates", "must be wgs84, gcj02 or bd09"));
                }
            };
            match o.remove("tickets") {
                Some(Value::Array(list)) => (list, coords),
                _ => {
                    return Err(ApiError::bad_request(
                        "expected {\"coordinates\", \"tickets\": [...]} or an array of requests",
                    )
                    .with_field("tickets", "must be an array of requests"));
                }
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "expected {\"coordinates\", \"tickets\": [...]} or an array of requests",
            ));
        }
    };
    let mut rows = Vec::with_capacity(list.len());
    for (i, item) in list.into_iter().enumerate() {
        let row = i + 1;
        let Value::Object(o) = item else {
            return Err(at(row, None, "", format!("request {row} is not an object")));
        };
        let mut cells = std::collections::BTreeMap::new();
        for (k, v) in o {
            let c = column(&k)
                .ok_or_else(|| at(row, None, &k, format!("{k:?} is not a field of a request")))?;
            let text = match v {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(at(
                        row,
                        None,
                        c,
                        format!("{c} must be a string or a number"),
                    ));
                }
            };
            cells.insert(c, text);
        }
        rows.push(RawTicket {
            row,
            line: None,
            cells,
        });
    }
    Ok((rows, coords))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// The coordinate system of the requests' `lat` and `long`: `wgs84`,
    /// `gcj02` or `bd09` (required when any request has coordinates, unless
    /// a JSON body states it).
    #[param(pattern = r"^(wgs84|gcj02|bd09)$")]
    coordinates: Option<String>,
}

#[utoipa::path(
    post,
    path = "/hotline/tickets",
    tag = "hotline",
    summary = "Import 12345 requests (JSON or CSV), whole or not at all; a known id is updated with an audit trail",
    description = "Columns (Open311 names accepted for the same fields): `id` \
        (`service_request_id`), `channel`, `category` (`service_name`), `subcategory`, `town`, \
        `department` (`agency_responsible`, one of the node's units), `lat`, `long`, \
        `accepted_at` (`requested_datetime`), `acknowledged_at`, `closed_at` (`closed_date`), \
        `reopened_at`, `sla_due` (`expected_datetime`), `result` (resolved, explained, \
        not_resolved), `satisfaction` (1-5), `status` (open, closed). Times are RFC 3339 or \
        `YYYY-MM-DD HH:MM[:SS]` in UTC+8. `coordinates` (query, or the JSON object's field) \
        states the system of `lat`/`long`; they are stored in WGS84. 400 names the row and \
        column of every refused cell (up to 100), and nothing is stored.",
    security(("admin" = [])),
    params(ImportQuery),
    request_body(content((deltabench_model::hotline::TicketUpload = "application/json"), (String = "text/csv")), description = "requests: {\"coordinates\", \"tickets\"}, a JSON array of requests, or CSV"),
    responses(
        (status = 201, description = "stored, durably", body = TicketsStored),
        (status = 400, description = "a refused row and column, or no coordinate system stated", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 415, description = "neither JSON nor CSV", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_tickets(
    admin: Admin,
    State(state): State<AppState>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<TicketsStored>), ApiError> {
    let Query(q) = query?;
    let stated = q
        .coordinates
        .as_deref()
        .map(CoordSystem::parse)
        .transpose()
        .map_err(invalid)?;
    let body = body?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    let node = state.node.clone();
    blocking(move || {
        let (rows, in_body) = if ctype.starts_with("text/csv") {
            (from_csv(&body)?, None)
        } else if ctype.starts_with("application/json") {
            from_json(&body)?
        } else {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!("send application/json or text/csv, not {ctype}"),
            ));
        };
        let coords = match (stated, in_body) {
            (Some(a), Some(b)) if a != b => {
                return Err(ApiError::bad_request(format!(
                    "the query says {a:?} and the body {b:?}"
                ))
                .with_field("coordinates", "is stated twice, differently"));
            }
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) => {
                if let Some(r) = rows
                    .iter()
                    .find(|r| r.cells.contains_key("lat") || r.cells.contains_key("long"))
                {
                    return Err(ApiError::bad_request(format!(
                        "row {} has coordinates, but the import does not state their system",
                        r.row
                    ))
                    .with_field(
                        "coordinates",
                        "is required with coordinates: wgs84, gcj02 or bd09",
                    ));
                }
                CoordSystem::Wgs84
            }
        };
        let stored = node.import_tickets(&rows, coords, &admin.who)?;
        Ok((StatusCode::CREATED, Json(stored)))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HeatmapQuery {
    /// The period, e.g. 2025 or 2025-07 (required).
    #[param(
        required = true,
        pattern = r"^(19|2[0-9])[0-9]{2}(-H[12]|-Q[1-4]|-(0[1-9]|1[0-2]))?$"
    )]
    period: Option<String>,
    /// Only this category.
    #[param(max_length = 100)]
    category: Option<String>,
    /// The H3 resolution, 0 to 15; 8 (cells of about 0.7 km²) when absent.
    #[param(minimum = 0, maximum = 15)]
    resolution: Option<u8>,
}

#[utoipa::path(
    get,
    path = "/hotline/heatmap",
    tag = "hotline",
    summary = "Demand heat map: requests by H3 cell and by town or street",
    description = "The requests accepted in the period (by their day in UTC+8), of the \
        category when given: per H3 cell at `resolution` its count, centre, corners and the \
        town most of its requests name, most first; per town its count; and how many had \
        no coordinates.",
    security(("viewer" = []), ("admin" = [])),
    params(HeatmapQuery),
    responses(
        (status = 200, description = "the heat map", body = Heatmap),
        (status = 400, description = "a bad period or resolution", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn get_heatmap(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<HeatmapQuery>, QueryRejection>,
) -> Result<Json<Heatmap>, ApiError> {
    let Query(q) = query?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || {
        Ok(Json(node.hotline_heatmap(
            period,
            q.category.as_deref(),
            q.resolution.unwrap_or(8),
        )?))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DepartmentsQuery {
    /// The period, e.g. 2025 or 2025-07 (required).
    #[param(
        required = true,
        pattern = r"^(19|2[0-9])[0-9]{2}(-H[12]|-Q[1-4]|-(0[1-9]|1[0-2]))?$"
    )]
    period: Option<String>,
}

#[utoipa::path(
    get,
    path = "/hotline/departments",
    tag = "hotline",
    summary = "Each department's response efficiency: response and close times, SLA, 办结率 beside 解决率, satisfaction, flags",
    description = "Per department, over all its categories and per category, of the \
        requests accepted in the period: requests; hours to acknowledgement (p50, p90); \
        hours to closure by Kaplan–Meier, open requests censored now (p50, p90; none when \
        too many are still open); the share closed within the SLA; the closure rate \
        (办结率) and the resolution rate (解决率), explained and unresolved closures counting \
        against the latter; mean follow-up satisfaction; and flagged requests by flag \
        (closed before opened, closed within minutes, reopened, no acknowledgement).",
    security(("viewer" = []), ("admin" = [])),
    params(DepartmentsQuery),
    responses(
        (status = 200, description = "the departments", body = Departments),
        (status = 400, description = "a bad period", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn get_departments(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<DepartmentsQuery>, QueryRejection>,
) -> Result<Json<Departments>, ApiError> {
    let Query(q) = query?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(node.hotline_departments(period)?))).await
}

#[utoipa::path(
    post,
    path = "/hotline/summaries",
    tag = "hotline",
    summary = "Sign and publish the period's hotline summary (kind hotline) to the alliance",
    description = "Counts of the requests accepted in the period per harmonised category \
        (`[hotline.categories]`: requests, closed, resolved, with and within an SLA, rated, \
        flagged, and the mean satisfaction from k ratings) and per H3 cell at `resolution` \
        (8 when absent); cells with fewer than `[disclosure] k` requests are withheld and \
        only counted. No request-level data. 201 with the document, or the node's latest \
        one for the period when nothing changed (`created` false); 422 naming `period` \
        when the period has no requests, or `category` when a request category is no \
        category id and not mapped.",
    security(("admin" = [])),
    request_body(content = wire::HotlineSummaryRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "signed and published, or the one already published when unchanged", body = wire::HotlineSummaryPublished),
        (status = 400, description = "a body that is not a period and a resolution of 0 to 15", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "nothing to publish for the period, or a category that cannot be published", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn post_summary(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::HotlineSummaryPublished>), ApiError> {
    let req: wire::HotlineSummaryRequest =
        crate::local_routes::parse_object(&body?, "{\"period\": P, \"resolution\": R}")?;
    let node = state.node.clone();
    let resolution = req
        .resolution
        .unwrap_or(deltabench_node::hotline_summary::SUMMARY_RESOLUTION);
    if resolution > 15 {
        return Err(invalid(deltabench_model::InvalidField::new(
            "resolution",
            format!("{resolution} is not an H3 resolution (0 to 15)"),
        )));
    }
    blocking(move || {
        let (doc, created) = node
            .publish_hotline_summary(req.period, resolution)
            .map_err(|e| crate::local_routes::unpublishable("unpublishable", e))?;
        Ok((
            StatusCode::CREATED,
            Json(wire::HotlineSummaryPublished {
                hash: doc.hash().clone(),
                document: crate::local_routes::envelope(doc.bytes())?,
                created,
            }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/hotline/delta",
    tag = "hotline",
    summary = "Every member's latest signed hotline summary of the period, side by side",
    description = "The `hotline` documents held for the period, the node's own included: \
        per issuer its latest, with the counts per harmonised category and the cells \
        holding at least k requests, as signed.",
    security(("viewer" = []), ("admin" = [])),
    params(DepartmentsQuery),
    responses(
        (status = 200, description = "the members' summaries", body = HotlineDelta),
        (status = 400, description = "a bad period", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn get_delta(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<DepartmentsQuery>, QueryRejection>,
) -> Result<Json<HotlineDelta>, ApiError> {
    let Query(q) = query?;
    let period = Period::parse(q.period.as_deref().unwrap_or_default()).map_err(invalid)?;
    let node = state.node.clone();
    blocking(move || Ok(Json(node.hotline_delta(period)?))).await
}

#[utoipa::path(
    get,
    path = "/hotline/tickets/{id}",
    tag = "hotline",
    summary = "One request as held, with every version re-imports replaced",
    description = "The request (coordinates in WGS84) and its audit trail: each earlier \
        version a re-import replaced, oldest first, with the token's name that replaced \
        it and when. 404 when the node holds no request of that id.",
    security(("viewer" = []), ("admin" = [])),
    params(("id" = String, Path, description = "The request's id (工单号)", min_length = 1, max_length = 64, pattern = r"^\S(.*\S)?$")),
    responses(
        (status = 200, description = "the request and its history", body = wire::TicketHistory),
        (status = 404, description = "no request of that id", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn get_ticket(
    _: Viewer,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<wire::TicketHistory>, ApiError> {
    let Path(id) = path?;
    let node = state.node.clone();
    blocking(move || {
        let (ticket, history) = node
            .store()
            .ticket(&id)
            .map_err(ApiError::storage)?
            .ok_or_else(|| ApiError::not_found(format!("no hotline request {id:?}")))?;
        Ok(Json(wire::TicketHistory { ticket, history }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/hotline/months",
    tag = "hotline",
    summary = "The months that hold requests, with their counts",
    description = "Every month (by the day of acceptance in UTC+8) with at least one \
        request, oldest first: what periods the heat map and the departments' figures \
        can be asked for.",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the months", body = HotlineMonths))
)]
pub(crate) async fn get_months(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<HotlineMonths>, ApiError> {
    let node = state.node.clone();
    blocking(move || Ok(Json(node.hotline_months()?))).await
}
