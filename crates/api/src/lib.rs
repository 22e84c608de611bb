//! The node's HTTP API: axum router, bearer-token roles, problem+json errors.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests call
//! it without a server. Handlers that touch storage run it on the blocking
//! pool. Every error is an [`ApiError`], answered as RFC 9457
//! `application/problem+json`.
//!
//! The routes, their roles, parameters and bodies are listed by the OpenAPI
//! document the router itself generates (`GET /api/v1/openapi.json`, see
//! [`openapi`]); the bodies are the types of `deltabench-wire`. No other
//! list of them is kept.
#![deny(missing_docs)]

pub mod auth;
mod dashboard;
mod error;
pub mod export;
pub mod exposition;
mod harmonise_routes;
mod hotline_routes;
mod latency;
pub mod local_routes;
pub mod openapi;
mod public_routes;
pub mod ratelimit;
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
