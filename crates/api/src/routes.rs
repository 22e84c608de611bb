//! The router and its handlers.

use crate::auth::{Admin, Viewer};
use crate::harmonise_routes as hr;
use crate::hotline_routes as hl;
use crate::local_routes as lr;
use crate::public_routes as pr;
use crate::{ApiError, AppState, blocking};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, http::Uri};
use deltabench_model::documents::DocKind;
use deltabench_model::documents::SignedRoster;
use deltabench_model::{DocHash, JurisdictionCode};
use deltabench_node::{BundleReport, PublishError};
use deltabench_store::{Position, StoreError};
use deltabench_wire as wire;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// The whole application: the API, `/healthz`, `/metrics`, the dashboard
/// and the OpenAPI document, with request bounds, API latency metrics and
/// tracing around every route.
pub fn router(state: AppState) -> Router {
    let limits = state.limits;
    let latency = Arc::new(crate::latency::ApiLatency::new());
    let (app, _) = routes(limits).split_for_parts();
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes_max))
        .layer(axum::middleware::from_fn_with_state(limits, bounded))
        .layer(axum::middleware::from_fn_with_state(
            latency.clone(),
            crate::latency::observe,
        ))
        .layer(axum::Extension(latency))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Every route with its OpenAPI description: the router and the document
/// come from the same handlers, so neither can list a route the other lacks.
pub(crate) fn routes(limits: crate::ApiLimits) -> OpenApiRouter<AppState> {
    let big_body = DefaultBodyLimit::max(limits.bundle_bytes_max);
    let api = OpenApiRouter::new()
        .routes(routes!(openapi_document))
        .routes(routes!(node_info))
        .routes(routes!(list_documents))
        .routes(routes!(get_document))
        .routes(routes!(export_bundle, import_bundle).layer(big_body))
        .routes(routes!(evidence))
        .routes(routes!(peers))
        .routes(routes!(list_rosters, publish_roster))
        .routes(routes!(lr::list_frameworks, lr::post_framework))
        .routes(routes!(lr::get_framework))
        .routes(routes!(lr::list_units, lr::post_units))
        .routes(routes!(lr::list_observations, lr::post_observations).layer(big_body))
        .routes(routes!(lr::list_audit))
        .routes(routes!(lr::list_appraisals))
        .routes(routes!(lr::post_whatif))
        .routes(routes!(lr::list_forecasts))
        .routes(routes!(lr::post_commitment))
        .routes(routes!(lr::get_forecast_skill))
        .routes(routes!(lr::list_warnings))
        .routes(routes!(lr::post_acknowledgement))
        .routes(routes!(lr::post_debt))
        .routes(routes!(lr::get_debt_risk))
        .routes(routes!(lr::post_debt_summary))
        .routes(routes!(lr::post_summary))
        .routes(routes!(hr::list_crosswalks, hr::post_crosswalk))
        .routes(routes!(hr::post_endorsement))
        .routes(routes!(hr::get_comparison))
        .routes(routes!(hr::list_periods))
        .routes(routes!(hr::post_composite))
        .routes(routes!(crate::sdmx::structure))
        .routes(routes!(crate::sdmx::structure_one))
        .routes(routes!(pr::list_projects, pr::post_projects))
        .routes(routes!(pr::post_codes))
        .routes(routes!(pr::list_ratings))
        .routes(routes!(pr::void_rating))
        .routes(routes!(pr::hide_rating))
        .routes(routes!(pr::list_tasks))
        .routes(routes!(pr::post_response))
        .routes(routes!(pr::post_callback))
        .routes(routes!(pr::post_public_ratings))
        .routes(routes!(hl::post_tickets).layer(big_body))
        .routes(routes!(hl::get_heatmap))
        .routes(routes!(hl::get_departments))
        .routes(routes!(hl::post_summary))
        .routes(routes!(hl::get_delta))
        .routes(routes!(hl::get_ticket))
        .routes(routes!(hl::get_months));
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(crate::dashboard::index))
        .routes(routes!(crate::dashboard::asset))
        .routes(routes!(pr::post_rating).layer(axum::Extension(Arc::new(
            crate::ratelimit::RatingLimiter::new(limits.ratings_per_minute, limits.client_address),
        ))))
        .routes(routes!(pr::public_projects))
        .routes(routes!(crate::dashboard::public_index))
        .routes(routes!(crate::dashboard::public_asset))
        .routes(routes!(pr::public_comments))
        .nest("/api/v1", api)
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    summary = "This OpenAPI 3 document",
    responses((status = 200, description = "the document", body = Object))
)]
async fn openapi_document() -> Response {
    let mut resp = crate::openapi::openapi_json().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// How long a write (an import, a publication) may take: its work runs to the
/// end on the blocking pool even if the client is told it timed out, so the
/// limit must be long enough that a 503 never hides a completed write.
pub const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Bounds every request in time: reads by the configured limit, writes by
/// [`WRITE_TIMEOUT`]. A request over its limit is answered 503 problem+json.
async fn bounded(
    State(limits): State<crate::ApiLimits>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let read = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let limit = if read {
        limits.request_timeout
    } else {
        WRITE_TIMEOUT.max(limits.request_timeout)
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this route does not take that method",
    )
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness: 200 while the node is up",
    responses((status = 200, description = "the node is up", body = wire::Health))
)]
async fn healthz() -> Json<wire::Health> {
    Json(wire::Health {
        status: "ok".into(),
    })
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Metrics: documents, peers, gossip, sync and API latency",
    description = "OpenMetrics 1.0.0 when the Accept header prefers \
        `application/openmetrics-text`; otherwise (`text/plain`, a wildcard, or \
        no Accept header) the classic Prometheus text format 0.0.4, where a \
        counter's TYPE line names it with its `_total` suffix.",
    params(("Accept" = Option<String>, Header, description = "the format wanted")),
    responses((status = 200, description = "the metrics", content(
        (String = "text/plain; version=0.0.4; charset=utf-8"),
        (String = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
    )))
)]
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    latency: Option<axum::Extension<Arc<crate::latency::ApiLatency>>>,
) -> Result<Response, ApiError> {
    use crate::exposition::{Format, to_classic};
    use prometheus_client::encoding::text::{encode_eof, encode_registry};
    let mut text = String::new();
    encode_registry(&mut text, &state.registry).map_err(ApiError::internal)?;
    if let Some(axum::Extension(latency)) = latency {
        encode_registry(&mut text, latency.registry()).map_err(ApiError::internal)?;
    }
    encode_eof(&mut text).map_err(ApiError::internal)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    if format == Format::Classic {
        text = to_classic(&text);
    }
    let mut resp = text.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(resp)
}

#[utoipa::path(
    get,
    path = "/node",
    tag = "node",
    summary = "This node: jurisdiction, key, peer id, version and alliances",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the node", body = wire::NodeDescription))
)]
async fn node_info(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::NodeDescription>, ApiError> {
    let node = &state.node;
    let alliances = node
        .membership()
        .rosters()
        .map(|s| wire::AllianceInfo {
            id: s.roster.alliance.clone(),
            version: s.roster.version,
            members: s.roster.members.iter().map(|m| m.code.clone()).collect(),
            threshold: s.roster.threshold,
            expires_at: s.roster.expires_at,
        })
        .collect();
    Ok(Json(wire::NodeDescription {
        jurisdiction: node.identity().clone(),
        public_key: deltabench_model::KeyHex::new(node.key().public_hex())
            .map_err(ApiError::internal)?,
        peer_id: state.info.peer_id.clone(),
        version: state.info.version.clone(),
        alliances,
        p2p: wire::P2pInfo {
            listen: state.peers.listen(),
        },
    }))
}

/// Connected peers, each with the jurisdiction whose roster key it holds.
#[utoipa::path(
    get,
    path = "/peers",
    tag = "federation",
    summary = "Connected peers with their jurisdiction codes",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the connected peers", body = wire::PeerList))
)]
async fn peers(_: Viewer, State(state): State<AppState>) -> Json<wire::PeerList> {
    let membership = state.node.membership();
    let peers = state
        .peers
        .peers()
        .into_iter()
        .map(|p| {
            let mut code = None;
            let mut alliances = Vec::new();
            for signed in membership.rosters() {
                let m = signed
                    .roster
                    .members
                    .iter()
                    .find(|m| Some(m.key.as_str()) == p.public_key.as_deref());
                if let Some(m) = m {
                    code = Some(m.code.clone());
                    alliances.push(signed.roster.alliance.clone());
                }
            }
            wire::Peer {
                peer_id: p.peer_id,
                jurisdiction: code,
                member_of: alliances,
                public_key: p.public_key,
                addresses: p.addresses,
                connected_at: p.connected_at,
            }
        })
        .collect();
    Json(wire::PeerList { peers })
}

/// The rosters in force, as signed.
#[utoipa::path(
    get,
    path = "/rosters",
    tag = "federation",
    summary = "The alliance rosters in force, as signed",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the rosters in force and every version held", body = wire::RosterList))
)]
async fn list_rosters(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::RosterList>, ApiError> {
    let membership = state.node.membership();
    let rosters = membership
        .roster_docs()
        .map(|d| serde_json::value::to_raw_value(d.payload()).map_err(ApiError::internal))
        .collect::<Result<_, _>>()?;
    let history = membership
        .histories()
        .flat_map(|h| {
            h.versions()
                .map(|(d, came_into_force)| wire::RosterVersion {
                    alliance: d.roster().alliance.clone(),
                    version: d.roster().version,
                    id: d.id().clone(),
                    came_into_force,
                    in_force: std::ptr::eq(d, h.in_force()),
                })
        })
        .collect();
    Ok(Json(wire::RosterList { rosters, history }))
}

/// Publishes a signed roster (the next version of an alliance's roster,
/// approved by the threshold) on the node's chain, so that it travels to
/// every member.
#[utoipa::path(
    post,
    path = "/rosters",
    tag = "federation",
    summary = "Publish the next version of a roster, signed by its threshold of members",
    security(("admin" = [])),
    request_body(content = SignedRoster, description = "a signed roster", content_type = "application/json"),
    responses((status = 201, description = "published", body = wire::Published))
)]
async fn publish_roster(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<wire::Published>), ApiError> {
    let body = body?;
    let raw = deltabench_trust::canonical::parse_strict(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    if !raw.is_object() {
        return Err(ApiError::bad_request(
            "the body is not a signed roster: a JSON object is expected",
        ));
    }
    // Read as the roster it must be, but publish the JSON as approved: the
    // approvals cover members this node's types may not know.
    let _: SignedRoster = serde_json::from_value(raw.clone())
        .map_err(|e| ApiError::bad_request(format!("the body is not a signed roster: {e}")))?;
    let node = state.node.clone();
    blocking(move || {
        let doc = node
            .publish_value(DocKind::Roster, raw)
            .map_err(|e| match e {
                PublishError::Store(e) => ApiError::storage(e),
                PublishError::Refused(r) => {
                    ApiError::bad_request(format!("{}: {}", r.reason, r.detail))
                        .with_reason(r.reason.to_string())
                }
                other => ApiError::bad_request(other.to_string()),
            })?;
        Ok((
            StatusCode::CREATED,
            Json(wire::Published {
                hash: doc.hash().clone(),
                document: crate::local_routes::envelope(doc.bytes())?,
            }),
        ))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DocumentFilter {
    /// One kind: jurisdiction, summary, framework, crosswalk, endorsement or roster.
    #[param(value_type = Option<DocKind>)]
    kind: Option<String>,
    /// The issuing jurisdiction's code, e.g. 320585.
    #[param(value_type = Option<JurisdictionCode>)]
    issuer: Option<String>,
}

/// The largest page a listing gives.
pub const PAGE_LIMIT_MAX: usize = 1000;

/// Paging of a listing. Without `limit` the whole listing is streamed.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// At most this many documents (1 to 1000), with `next` set when more follow.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// Start after this position, as `next` gave it: ISSUER:SEQ (e.g. 320585:17).
    #[param(pattern = r"^[0-9]{6}:[0-9]+$")]
    after: Option<String>,
}

impl PageQuery {
    /// The page asked for: at most `limit` items (`None`: all of the rest,
    /// streamed) after the position `after` (`None`: from the start). A 400
    /// names the parameter out of form.
    fn page(&self) -> Result<(Option<usize>, Option<Position>), ApiError> {
        let after = self
            .after
            .as_deref()
            .map(str::parse::<Position>)
            .transpose()
            .map_err(|e| {
                ApiError::bad_request(format!("after: {e}")).with_field("after", e.to_string())
            })?;
        let limit = self
            .limit
            .as_deref()
            .map(|l| {
                l.parse::<usize>()
                    .ok()
                    .filter(|l| (1..=PAGE_LIMIT_MAX).contains(l))
                    .ok_or_else(|| {
                        let why = format!("a whole number from 1 to {PAGE_LIMIT_MAX}, not {l:?}");
                        ApiError::bad_request(format!("limit: {why}")).with_field("limit", why)
                    })
            })
            .transpose()?;
        Ok((limit, after))
    }
}

/// How many bytes a streamed listing gathers before it sends them.
const STREAM_CHUNK: usize = 64 * 1024;

/// Streams `{"documents":[ITEM,...],"next":null}`, the items written by
/// `produce` on the blocking pool one at a time, so that the memory a
/// listing takes stays bounded however many documents the node holds. A
/// client that goes away stops the reading. A storage error in the middle
/// ends the body early (the status was sent already): the client sees JSON
/// that does not close, and the error is logged.
fn stream_documents<F>(produce: F) -> Response
where
    F: FnOnce(&mut dyn FnMut(&[u8]) -> bool) -> Result<(), StoreError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut buf = b"{\"documents\":[".to_vec();
        let mut first = true;
        let send = |buf: &mut Vec<u8>| {
            tx.blocking_send(Ok(Bytes::from(std::mem::take(buf))))
                .is_ok()
        };
        let result = produce(&mut |item| {
            if !std::mem::take(&mut first) {
                buf.push(b',');
            }
            buf.extend_from_slice(item);
            buf.len() < STREAM_CHUNK || send(&mut buf)
        });
        match result {
            Ok(()) => {
                buf.extend_from_slice(b"],\"next\":null}");
                send(&mut buf);
            }
            Err(e) => {
                tracing::error!(error = %e, "a streamed listing stopped at a storage error");
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut resp = axum::body::Body::from_stream(stream).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[utoipa::path(
    get,
    path = "/documents",
    tag = "documents",
    summary = "The signed documents held, own and received",
    description = "In (issuer, seq) order, or (kind, issuer, seq) with `kind`. \
        With `limit`, one page and `next`, the cursor of the page after it (null \
        on the last); without, the whole listing, streamed.",
    security(("viewer" = []), ("admin" = [])),
    params(DocumentFilter, PageQuery),
    responses((status = 200, description = "a page of the listing, or all of it", body = wire::DocumentPage))
)]
async fn list_documents(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<DocumentFilter>, QueryRejection>,
    page: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = query?;
    let Query(page) = page?;
    let kind = filter
        .kind
        .as_deref()
        .map(DocKind::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let issuer = filter
        .issuer
        .map(JurisdictionCode::new)
        .transpose()
        .map_err(|e| {
            ApiError::bad_request(format!("issuer: {}", e.reason)).with_field("issuer", e.reason)
        })?;
    let node = state.node.clone();
    let (limit, after) = page.page()?;
    let Some(limit) = limit else {
        return Ok(stream_documents(move |emit| {
            let mut after = after;
            loop {
                let page = node.store().list_page(
                    kind,
                    issuer.as_ref(),
                    after.as_ref(),
                    PAGE_LIMIT_MAX,
                )?;
                for meta in &page.items {
                    let json =
                        serde_json::to_vec(meta).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    if !emit(&json) {
                        return Ok(());
                    }
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => return Ok(()),
                }
            }
        }));
    };
    let page = blocking(move || {
        node.store()
            .list_page(kind, issuer.as_ref(), after.as_ref(), limit)
            .map_err(ApiError::storage)
    })
    .await?;
    Ok(Json(wire::DocumentPage {
        documents: page.items,
        next: page.next.map(|p| p.to_string()),
    })
    .into_response())
}

fn json_bytes(bytes: Vec<u8>) -> Response {
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[utoipa::path(
    get,
    path = "/documents/{hash}",
    tag = "documents",
    summary = "One signed document, the envelope as it travels",
    security(("viewer" = []), ("admin" = [])),
    params(("hash" = DocHash, Path, description = "the document hash (64 hex digits)")),
    responses((status = 200, description = "the envelope, as its signed bytes", body = wire::Envelope), (status = 404, description = "no such document", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
async fn get_document(
    _: Viewer,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(hash) = path?;
    let hash = DocHash::new(hash).map_err(|e| {
        ApiError::bad_request(format!("hash: {}", e.reason)).with_field("hash", e.reason)
    })?;
    let node = state.node.clone();
    let h = hash.clone();
    let bytes = blocking(move || node.store().document(&h).map_err(ApiError::storage)).await?;
    match bytes {
        Some(b) => Ok(json_bytes(b)),
        None => Err(ApiError::not_found(format!("no document {hash}"))),
    }
}

#[utoipa::path(
    get,
    path = "/bundle",
    tag = "documents",
    summary = "Every signed document held, as one bundle for an air-gapped office",
    description = "Issuer by issuer in chain order, each envelope as stored (its signed \
        bytes). Without `limit`, the whole bundle, streamed; with it, one page and \
        `next`, the cursor of the page after it (null on the last). A page is itself \
        a bundle that `POST /bundle` takes.",
    security(("viewer" = []), ("admin" = [])),
    params(PageQuery),
    responses((status = 200, description = "a page of the bundle, or all of it", body = wire::Bundle))
)]
async fn export_bundle(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let node = state.node.clone();
    // The stored bytes are the signed canonical bytes: they are written out
    // as they are, never re-serialised.
    let (limit, after) = query.page()?;
    let Some(limit) = limit else {
        return Ok(stream_documents(move |emit| {
            for doc in node.store().documents_after(after.as_ref()) {
                if !emit(&doc?.1) {
                    break;
                }
            }
            Ok(())
        }));
    };
    let body = blocking(move || {
        let mut out = b"{\"documents\":[".to_vec();
        let mut next = None;
        let mut last = None;
        for (i, doc) in node.store().documents_after(after.as_ref()).enumerate() {
            let (position, bytes) = doc.map_err(ApiError::storage)?;
            if i == limit {
                next = last;
                break;
            }
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&bytes);
            last = Some(position);
        }
        out.extend_from_slice(b"],\"next\":");
        serde_json::to_writer(&mut out, &next.map(|p: Position| p.to_string()))
            .map_err(ApiError::internal)?;
        out.push(b'}');
        Ok(out)
    })
    .await?;
    Ok(json_bytes(body))
}

#[derive(Deserialize)]
struct BundleIn<'a> {
    #[serde(borrow)]
    documents: Vec<&'a RawValue>,
}

/// Splits a bundle body `{"documents": [ENVELOPE, ...]}` into its envelopes,
/// each as the bytes it was sent as (they are decoded and verified one by one
/// afterwards). A body of another shape is a 400 saying what was expected.
pub fn parse_bundle(body: &[u8]) -> Result<Vec<&[u8]>, ApiError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "the body is not a bundle {\"documents\": [ENVELOPE, ...]}: a JSON object is expected",
        ));
    }
    let bundle: BundleIn<'_> = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not a bundle {{\"documents\": [ENVELOPE, ...]}}: {e}"
        ))
    })?;
    Ok(bundle
        .documents
        .iter()
        .map(|r| r.get().as_bytes())
        .collect())
}

#[utoipa::path(
    post,
    path = "/bundle",
    tag = "documents",
    summary = "Import a bundle with the checks applied to documents from the network",
    security(("admin" = [])),
    request_body(content = wire::BundleUpload, content_type = "application/json"),
    responses((status = 200, description = "what became of each document", body = wire::BundleReport))
)]
async fn import_bundle(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BundleReport>, ApiError> {
    let body = body?;
    let node = state.node.clone();
    let report = blocking(move || {
        let envelopes = parse_bundle(&body)?;
        node.ingest_bundle(&envelopes, "bundle")
            .map_err(ApiError::storage)
    })
    .await?;
    Ok(Json(report))
}

#[utoipa::path(
    get,
    path = "/evidence",
    tag = "documents",
    summary = "Rejected documents by reason, equivocation evidence and roster forks",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the evidence", body = wire::Evidence))
)]
async fn evidence(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Json<wire::Evidence>, ApiError> {
    let node = state.node.clone();
    blocking(move || {
        let store = node.store();
        Ok(Json(wire::Evidence {
            rejected_by_reason: store
                .rejection_counts()
                .map_err(ApiError::storage)?
                .into_iter()
                .collect(),
            recent_rejections: store.rejections(100).map_err(ApiError::storage)?,
            equivocations: store.equivocations().map_err(ApiError::storage)?,
            roster_forks: store.roster_forks().map_err(ApiError::storage)?,
        }))
    })
    .await
}
