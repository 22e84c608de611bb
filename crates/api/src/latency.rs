//! API latency: a Prometheus histogram of request durations by method, route
//! template and status, served by `/metrics` beside the node's counters.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

/// The labels of one latency series. `route` is the route template
/// (`/api/v1/documents/{hash}`), never the raw path, and `method` one of the
/// standard methods or `other`, so the number of series stays bounded
/// whatever clients send.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    method: String,
    route: String,
    status: u16,
}

fn histogram() -> Histogram {
    // 0.5 ms .. about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The API's own metrics registry.
pub(crate) struct ApiLatency {
    registry: Registry,
    requests: Family<Labels, Histogram, fn() -> Histogram>,
}

impl ApiLatency {
    pub(crate) fn new() -> Self {
        let requests: Family<Labels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(histogram);
        let mut registry = Registry::with_prefix("deltabench_api");
        registry.register_with_unit(
            "request_duration",
            "Time from a request's arrival to its response head, by method, route and status",
            prometheus_client::registry::Unit::Seconds,
            requests.clone(),
        );
        Self { registry, requests }
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// Middleware: times each request.
pub(crate) async fn observe(
    State(latency): State<Arc<ApiLatency>>,
    req: Request,
    next: Next,
) -> Response {
    // Only the standard methods name a series: any other token a client
    // sends is counted as "other", so clients cannot add series at will.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let start = Instant::now();
    let resp = next.run(req).await;
    latency
        .requests
        .get_or_create(&Labels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .observe(start.elapsed().as_secs_f64());
    resp
}
