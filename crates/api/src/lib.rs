//! The node's HTTP API: axum router, bearer-token roles, problem+json errors.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests call
//! it without a server. Handlers that touch storage run it on the blocking
//! pool. Every error is an [`ApiError`], answered as RFC 9457
//! `application/problem+json`.
//!
//! Routes (all JSON unless said):
//!
//! | route | role |
//! |---|---|
//! | `GET /healthz` | none |
//! | `GET /metrics` (OpenMetrics, or Prometheus text 0.0.4, by `Accept`) | none |
//! | `GET /api/v1/node` | viewer |
//! | `GET /api/v1/documents?kind=&issuer=&limit=&after=` | viewer |
//! | `GET /api/v1/documents/{hash}` | viewer |
//! | `GET /api/v1/bundle?limit=&after=` | viewer |
//! | `POST /api/v1/bundle` | admin |
//! | `GET /api/v1/evidence` | viewer |
//! | `GET/POST /api/v1/frameworks`, `GET /api/v1/frameworks/{id}` | viewer / admin |
//! | `GET/POST /api/v1/units` | viewer / admin |
//! | `GET/POST /api/v1/observations` (JSON or CSV), `GET /api/v1/observations/audit` | admin |
//! | `GET /api/v1/appraisals?framework=&period=` | admin |
//! | `POST /api/v1/summaries` | admin |
//! | `GET/POST /api/v1/crosswalks?status=` | viewer / admin |
//! | `POST /api/v1/crosswalks/{id}/endorsements` | admin |
//! | `GET /api/v1/comparisons?indicator=&period=&format=json\|csv\|sdmx-csv&include_flagged=` | viewer |
//! | `GET /api/v1/periods` | viewer |
//! | `GET /api/v1/sdmx/structure`, `GET /api/v1/sdmx/structure/{id}` (SDMX-ML 3.0 structures of the SDMX-CSV, see [`sdmx`]) | viewer |
//! | `POST /api/v1/composites` | viewer |
//! | `GET /api/v1/openapi.json` (OpenAPI 3, from the handlers) | none |
//! | `GET /`, `GET /dashboard/{file}` (the dashboard) | none |
#![deny(missing_docs)]

pub mod auth;
mod dashboard;
mod error;
pub mod export;
pub mod exposition;
mod harmonise_routes;
mod latency;
pub mod local_routes;
pub mod openapi;
mod routes;
pub mod sdmx;
mod state;

pub use error::ApiError;
pub use routes::{WRITE_TIMEOUT, parse_bundle, router};
pub use state::{ApiLimits, AppState, NodeInfo, PeerEntry, PeerTable};

/// Runs blocking work (storage) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}
