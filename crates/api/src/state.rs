//! What every handler can reach.

use crate::auth::Tokens;
use deltabench_node::Node;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// Facts about the running process that the node itself does not hold.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// The libp2p peer id derived from the node's key.
    pub peer_id: String,
    /// The deltabench version.
    pub version: String,
}

/// Bounds on requests.
#[derive(Debug, Clone, Copy)]
pub struct ApiLimits {
    /// The largest request body on ordinary routes.
    pub body_bytes_max: usize,
    /// The largest bundle accepted by `POST /api/v1/bundle`.
    pub bundle_bytes_max: usize,
    /// How long a read may take before it is answered 503. Writes get
    /// [`crate::WRITE_TIMEOUT`] (or this, if longer).
    pub request_timeout: Duration,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            body_bytes_max: 2 * 1024 * 1024,
            bundle_bytes_max: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The state shared by all handlers.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub node: Arc<Node>,
    /// The accepted tokens.
    pub tokens: Arc<Tokens>,
    /// The process's metrics registry.
    pub registry: Arc<Registry>,
    /// Process facts.
    pub info: Arc<NodeInfo>,
    /// Request bounds.
    pub limits: ApiLimits,
}
