//! The libp2p layer of a deltabench node.
//!
//! One task owns the [`Swarm`](libp2p::Swarm) (TCP + Noise + Yamux, identify,
//! ping, gossipsub, request-response over CBOR). The rest of the node talks to
//! it through a cloneable [`Handle`] and receives its [`Event`]s on a channel.
//! The task never waits on slow work: when the event channel is full, a
//! gossip message is answered `Ignore` (catch-up sync will bring its document
//! again) instead of stalling the swarm.
//!
//! The crate knows nothing of documents beyond bytes: validation, storage and
//! the meaning of heads belong to the node. What it does enforce:
//! - one gossipsub topic per alliance, messages no larger than the configured
//!   bound, and a message rate per peer (excess is ignored and lowers the
//!   peer's application score);
//! - explicit peer scores, so that a peer whose messages the node rejects is
//!   graylisted, then disconnected and blocked for a while;
//! - bootstrap peers re-dialled when lost, and a periodic anti-entropy tick
//!   that names one random connected peer to sync with.
#![deny(missing_docs)]

mod behaviour;
mod protocol;
mod swarm_task;
mod traffic;

pub use libp2p::gossipsub::{MessageAcceptance, MessageId};
pub use libp2p::{Multiaddr, PeerId};
pub use protocol::{Head, SyncRequest, SyncResponse};

use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What the network layer needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The node's ed25519 secret key (32 bytes): its PeerId derives from it.
    pub secret: [u8; 32],
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start and re-dial when lost.
    pub bootstrap: Vec<Multiaddr>,
    /// The alliances the node belongs to: one gossip topic each.
    pub alliances: Vec<String>,
    /// The largest gossip message accepted or sent, in bytes.
    pub message_bytes_max: usize,
    /// Gossip messages a peer may forward per second (sustained); a burst of
    /// up to ten seconds' worth is allowed.
    pub messages_per_sec_per_peer: u32,
    /// How often lost bootstrap peers are re-dialled.
    pub redial_interval: Duration,
    /// How often the node syncs with one random connected peer.
    pub anti_entropy_interval: Duration,
    /// How long a disconnected misbehaving peer stays blocked.
    pub ban_duration: Duration,
    /// How long a sync request may take.
    pub request_timeout: Duration,
    /// The largest sync response, in bytes.
    pub response_bytes_max: u64,
    /// The version string told to peers by identify.
    pub agent: String,
    /// How often each connection is pinged.
    pub ping_interval: Duration,
    /// How long a ping may go unanswered. A connection with no answered
    /// ping for `ping_interval + ping_timeout` (plus a second of slack) is
    /// closed: that is how long a cut network takes to notice.
    pub ping_timeout: Duration,
}

impl Config {
    /// A configuration with the defaults for everything but the key.
    pub fn new(secret: [u8; 32]) -> Self {
        Self {
            secret,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            alliances: Vec::new(),
            message_bytes_max: 256 * 1024 + 4096,
            messages_per_sec_per_peer: 200,
            redial_interval: Duration::from_secs(5),
            anti_entropy_interval: Duration::from_secs(30),
            ban_duration: Duration::from_secs(600),
            request_timeout: Duration::from_secs(30),
            response_bytes_max: 16 * 1024 * 1024,
            agent: concat!("deltabench/", env!("CARGO_PKG_VERSION")).into(),
            ping_interval: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the network could not start or answer.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The configuration cannot be used.
    #[error("network configuration: {0}")]
    Config(String),
    /// The swarm task has stopped.
    #[error("the network task has stopped")]
    Stopped,
    /// Publishing failed for a reason worth telling.
    #[error("publish: {0}")]
    Publish(String),
    /// A sync request failed (timeout, connection closed, refused protocol...).
    #[error("request to {peer}: {reason}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// What went wrong.
        reason: String,
    },
}

/// A peer as the swarm sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    /// Its PeerId.
    pub peer: PeerId,
    /// The ed25519 public key inside the PeerId, as 32 bytes.
    pub public_key: Option<[u8; 32]>,
    /// Remote addresses of its open connections.
    pub addresses: Vec<Multiaddr>,
    /// Its gossipsub score, if scored.
    pub score: Option<f64>,
    /// The alliance topics it is subscribed to.
    pub alliances: Vec<String>,
}

/// An inbound sync request waiting for the node's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InboundId(pub(crate) libp2p::request_response::InboundRequestId);

/// What the network tells the node.
#[derive(Debug)]
pub enum Event {
    /// Listening on a new address.
    Listening(Multiaddr),
    /// The first connection to a peer opened.
    Connected {
        /// The peer.
        peer: PeerId,
        /// Its ed25519 public key.
        public_key: Option<[u8; 32]>,
        /// The remote address.
        address: Multiaddr,
    },
    /// The last connection to a peer closed.
    Disconnected {
        /// The peer.
        peer: PeerId,
    },
    /// A gossip message to validate. Answer it with [`Handle::report`].
    Message {
        /// Its gossipsub id (SHA-256 of topic and bytes).
        id: MessageId,
        /// The peer that forwarded it.
        source: PeerId,
        /// The alliance whose topic carried it.
        alliance: String,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A peer asks for heads or documents. Answer with [`Handle::respond`].
    Request {
        /// Who asks.
        peer: PeerId,
        /// The id to answer.
        id: InboundId,
        /// What it asks.
        request: SyncRequest,
    },
    /// A peer subscribed to an alliance's topic: from now on it receives
    /// what the node publishes there.
    Subscribed {
        /// The peer.
        peer: PeerId,
        /// The alliance.
        alliance: String,
    },
    /// Time to sync with this connected peer (anti-entropy).
    SyncDue {
        /// The peer chosen at random.
        peer: PeerId,
    },
    /// A peer was disconnected and blocked for misbehaving.
    Banned {
        /// The peer.
        peer: PeerId,
        /// Its gossipsub score when it was banned.
        score: f64,
    },
    /// Messages from a peer were dropped for exceeding the rate bound.
    RateLimited {
        /// The peer.
        peer: PeerId,
    },
}

pub(crate) enum Command {
    Publish {
        alliance: String,
        data: Vec<u8>,
        done: oneshot::Sender<Result<(), NetError>>,
    },
    Report {
        id: MessageId,
        source: PeerId,
        acceptance: MessageAcceptance,
    },
    Request {
        peer: PeerId,
        request: SyncRequest,
        done: oneshot::Sender<Result<SyncResponse, NetError>>,
    },
    Respond {
        id: InboundId,
        response: SyncResponse,
    },
    Peers {
        done: oneshot::Sender<Vec<PeerInfo>>,
    },
    Traffic {
        done: oneshot::Sender<Traffic>,
    },
}

/// What a node's connections have carried since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Bytes written to TCP sockets (Noise, Yamux and every protocol
    /// included).
    pub bytes_sent: u64,
    /// Bytes read from TCP sockets.
    pub bytes_received: u64,
    /// Gossip messages received, duplicates included (gossipsub's
    /// `topic_msg_recv_counts_unfiltered`).
    pub gossip_received: u64,
    /// Gossip messages received for a message id already seen: copies of a
    /// document the node already had from another peer (gossipsub's
    /// unfiltered count minus its `topic_msg_recv_counts`). These never
    /// reach the node's validation.
    pub gossip_duplicates: u64,
    /// Gossip messages sent to peers (published and forwarded), as
    /// gossipsub's `topic_msg_sent_counts`.
    pub gossip_sent: u64,
    /// IWANT requests this node made for messages announced by gossip
    /// (`topic_iwant_msgs`): a message that reached it through IHAVE
    /// rather than through the mesh.
    pub iwant: u64,
    /// IDONTWANT message ids received (`idontwant_msgs_ids`).
    pub idontwant_received: u64,
}

/// The node's way to talk to the swarm task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: mpsc::UnboundedSender<Command>,
    peer_id: PeerId,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Publish { .. } => "Publish",
            Command::Report { .. } => "Report",
            Command::Request { .. } => "Request",
            Command::Respond { .. } => "Respond",
            Command::Peers { .. } => "Peers",
            Command::Traffic { .. } => "Traffic",
        })
    }
}

impl Handle {
    /// This node's PeerId.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    fn send(&self, c: Command) -> Result<(), NetError> {
        self.tx.send(c).map_err(|_| NetError::Stopped)
    }

    /// Publishes `data` on an alliance's topic. Having no peer subscribed yet
    /// and having published the same bytes recently are not errors: catch-up
    /// sync delivers to peers that were not there.
    pub async fn publish(&self, alliance: &str, data: Vec<u8>) -> Result<(), NetError> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Publish {
            alliance: alliance.to_owned(),
            data,
            done,
        })?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Answers a gossip message: `Accept` forwards it, `Reject` penalises the
    /// peer that sent it, `Ignore` drops it without penalty.
    pub fn report(&self, id: MessageId, source: PeerId, acceptance: MessageAcceptance) {
        let _ = self.send(Command::Report {
            id,
            source,
            acceptance,
        });
    }

    /// Sends a sync request and waits for the answer.
    pub async fn request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, NetError> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Request {
            peer,
            request,
            done,
        })?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Answers an inbound sync request.
    pub fn respond(&self, id: InboundId, response: SyncResponse) {
        let _ = self.send(Command::Respond { id, response });
    }

    /// The connected peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Peers { done })?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// What the node's connections have carried so far.
    pub async fn traffic(&self) -> Result<Traffic, NetError> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Traffic { done })?;
        rx.await.map_err(|_| NetError::Stopped)
    }
}

/// The ed25519 public key inside a PeerId, when it holds one.
pub fn peer_public_key(peer: &PeerId) -> Option<[u8; 32]> {
    swarm_task::public_key_of(peer)
}

/// The PeerId of an ed25519 public key.
pub fn peer_id_of(public_key: &[u8; 32]) -> Option<PeerId> {
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(public_key).ok()?;
    Some(libp2p::identity::PublicKey::from(key).to_peer_id())
}

/// The gossip topic of an alliance.
pub fn topic_name(alliance: &str) -> String {
    format!("deltabench/alliance/{alliance}/v1")
}

/// Starts the swarm task on the current tokio runtime. It runs until
/// `shutdown` resolves or every [`Handle`] is dropped.
pub fn start(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(Handle, mpsc::Receiver<Event>, tokio::task::JoinHandle<()>), NetError> {
    swarm_task::start(config, shutdown)
}
