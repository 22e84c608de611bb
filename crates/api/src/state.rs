//! What every handler can reach.

use crate::auth::Tokens;
use deltabench_node::Node;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A connected peer as the network layer reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeerEntry {
    /// Its libp2p PeerId.
    pub peer_id: String,
    /// Its ed25519 public key (hex), when its PeerId holds one.
    pub public_key: Option<String>,
    /// Remote addresses of its connections.
    pub addresses: Vec<String>,
    /// When its first connection opened (RFC 3339).
    pub connected_at: String,
}

/// The network's view shared with the API: connected peers and the node's
/// own listen addresses. The binary keeps it current; the API only reads it,
/// so the API does not depend on the network.
#[derive(Debug, Clone, Default)]
pub struct PeerTable {
    inner: Arc<RwLock<PeerTableInner>>,
}

#[derive(Debug, Default)]
struct PeerTableInner {
    peers: BTreeMap<String, PeerEntry>,
    listen: Vec<String>,
}

impl PeerTable {
    /// Records a connected peer.
    pub fn connected(&self, entry: PeerEntry) {
        let mut t = self.inner.write().unwrap_or_else(|e| e.into_inner());
        t.peers.insert(entry.peer_id.clone(), entry);
    }

    /// Forgets a disconnected peer.
    pub fn disconnected(&self, peer_id: &str) {
        let mut t = self.inner.write().unwrap_or_else(|e| e.into_inner());
        t.peers.remove(peer_id);
    }

    /// Adds an address the node listens on.
    pub fn listening(&self, address: String) {
        let mut t = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if !t.listen.contains(&address) {
            t.listen.push(address);
        }
    }

    /// The connected peers, ordered by PeerId.
    pub fn peers(&self) -> Vec<PeerEntry> {
        let t = self.inner.read().unwrap_or_else(|e| e.into_inner());
        t.peers.values().cloned().collect()
    }

    /// The addresses the node listens on.
    pub fn listen(&self) -> Vec<String> {
        let t = self.inner.read().unwrap_or_else(|e| e.into_inner());
        t.listen.clone()
    }
}

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
    /// Rating requests allowed per client address and minute on
    /// `POST /public/v1/ratings`; 0 turns the limit off.
    pub ratings_per_minute: u32,
    /// Where a resident's address is read from for that limit.
    pub client_address: crate::ratelimit::ClientAddress,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            body_bytes_max: 2 * 1024 * 1024,
            bundle_bytes_max: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            ratings_per_minute: 30,
            client_address: crate::ratelimit::ClientAddress::Connection,
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
    /// Connected peers and listen addresses, kept by the network layer.
    pub peers: PeerTable,
}
