//! The catch-up protocol: heads and ranges of issuers' chains.

use serde::{Deserialize, Serialize};

/// The request-response protocol name.
pub(crate) const PROTOCOL: &str = "/deltabench/sync/1";

/// One issuer's chain head as a peer holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The issuer's jurisdiction code.
    pub issuer: String,
    /// The highest sequence number held with every predecessor.
    pub seq: u64,
}

/// What one node asks another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// Every issuer's head.
    Heads,
    /// Documents of `issuer` after sequence `after`, in order, at most `limit`.
    Range {
        /// The issuer.
        issuer: String,
        /// The last sequence the asker holds.
        after: u64,
        /// The most documents wanted.
        limit: u32,
    },
    /// The asker's heads, pushed after it fetched documents: a peer behind
    /// fetches from it. Answered with the peer's own heads, so the asker
    /// learns what it lacks too.
    Announce(Vec<Head>),
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// The heads held.
    Heads(Vec<Head>),
    /// Signed envelopes, as stored, in chain order.
    Documents(Vec<serde_bytes::ByteBuf>),
    /// The peer will not answer (e.g. the asker is not a member).
    Refused(String),
}
