//! Wires the node to the network: gossip in and out, catch-up sync, the peer
//! table the API reads, and the network metrics. The decisions are made
//! elsewhere: catch-up by the `deltabench_sync` state machine (driven here
//! by one task that does its IO), the gossip verdicts by `Reason::relay`.
//!
//! Every document from the network goes through the node's one validation
//! path ([`Node::ingest_many`] for gossip, [`Node::ingest_bundle`] for sync
//! pages), and every gossip message is answered from its outcome:
//! - stored, or held for a missing predecessor: `Accept` (forward it);
//! - equivocation: `Accept` too, so that every member records the evidence;
//! - already held: `Ignore`;
//! - refused: as the reason's [`Relay`] says (`Reason::relay`, one table
//!   beside the reasons): forwarded (equivocation evidence), dropped without
//!   blame (what a forwarder could not have known), or `Reject`, which costs
//!   the forwarding peer score until it is disconnected.
//!
//! After a catch-up session stores documents, the node pushes its heads to
//! its other peers (`Announce`), and each one that is behind fetches from
//! it at once: what a heal or a restart brings in spreads in a few round
//! trips instead of waiting for each peer's periodic sync.
//!
//! Storage work runs on the blocking pool, never in the swarm task.

use deltabench_api::{PeerEntry, PeerTable};
use deltabench_model::JurisdictionCode;
use deltabench_net::{
    Event, Handle, Head, InboundId, MessageAcceptance, MessageId, NetError, PeerId, SyncRequest,
    SyncResponse,
};
use deltabench_node::{Node, Outcome};
use deltabench_sync::{Action, Failure, Fault, Limits, RequestId, Sync, SyncError};
use deltabench_trust::Relay;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tokio::sync::{broadcast, mpsc};

/// Gossip messages validated together at most.
const GOSSIP_BATCH: usize = 256;

/// Label of the sync fault counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabel {
    /// `failed`, `too_many_heads`, `oversized_page`, `shortfall` or
    /// `unplaceable`.
    pub kind: String,
}

/// Label of the gossip verdict counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabel {
    /// `accept`, `reject` or `ignore`.
    pub verdict: String,
}

/// The network's metrics.
#[derive(Debug, Clone, Default)]
pub struct NetMetrics {
    /// Connected peers.
    pub peers: Gauge,
    /// Gossip messages by verdict.
    pub gossip: Family<VerdictLabel, Counter>,
    /// Documents newly stored from sync pages.
    pub synced: Counter,
    /// Peers disconnected and blocked for misbehaving.
    pub banned: Counter,
    /// Gossip messages dropped for exceeding a peer's rate.
    pub rate_limited: Counter,
    /// Peers' sync faults by kind.
    pub sync_faults: Family<FaultLabel, Counter>,
    /// Heads pushed to peers after a catch-up stored documents.
    pub announced: Counter,
}

impl NetMetrics {
    /// Registers the metrics under the `deltabench` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("deltabench");
        r.register("peers_connected", "Connected peers", self.peers.clone());
        r.register(
            "gossip_messages",
            "Gossip messages by validation verdict",
            self.gossip.clone(),
        );
        r.register(
            "sync_documents",
            "Documents newly stored from catch-up sync",
            self.synced.clone(),
        );
        r.register(
            "peers_banned",
            "Peers disconnected and blocked for misbehaving",
            self.banned.clone(),
        );
        r.register(
            "gossip_rate_limited",
            "Gossip messages dropped for exceeding a peer's rate",
            self.rate_limited.clone(),
        );
        r.register(
            "sync_faults",
            "Peers' catch-up sync faults by kind",
            self.sync_faults.clone(),
        );
        r.register(
            "sync_announcements",
            "Heads pushed to a peer after a catch-up stored documents",
            self.announced.clone(),
        );
        for kind in FAULT_KINDS {
            let _ = self
                .sync_faults
                .get_or_create(&FaultLabel { kind: kind.into() });
        }
        for v in ["accept", "reject", "ignore"] {
            let _ = self
                .gossip
                .get_or_create(&VerdictLabel { verdict: v.into() });
        }
    }

    fn verdict(&self, a: &MessageAcceptance) {
        let v = match a {
            MessageAcceptance::Accept => "accept",
            MessageAcceptance::Reject => "reject",
            MessageAcceptance::Ignore => "ignore",
        };
        self.gossip
            .get_or_create(&VerdictLabel { verdict: v.into() })
            .inc();
    }
}

const FAULT_KINDS: [&str; 5] = [
    "failed",
    "too_many_heads",
    "oversized_page",
    "shortfall",
    "unplaceable",
];

fn fault_kind(f: &Fault) -> &'static str {
    match f {
        Fault::Failed { .. } => FAULT_KINDS[0],
        Fault::TooManyHeads { .. } => FAULT_KINDS[1],
        Fault::OversizedPage { .. } => FAULT_KINDS[2],
        Fault::Shortfall { .. } => FAULT_KINDS[3],
        Fault::Unplaceable { .. } => FAULT_KINDS[4],
    }
}

/// The gossip answer for a validation outcome: stored or held documents
/// travel on, duplicates stop here, and a refusal is answered as its
/// reason's [`Relay`] says.
pub fn acceptance(outcome: &Outcome) -> MessageAcceptance {
    match outcome {
        Outcome::Accepted { .. } | Outcome::Pending { .. } | Outcome::Waiting { .. } => {
            MessageAcceptance::Accept
        }
        Outcome::Duplicate { .. } => MessageAcceptance::Ignore,
        Outcome::Rejected(r) => match r.reason.relay() {
            Relay::Forward => MessageAcceptance::Accept,
            Relay::Drop => MessageAcceptance::Ignore,
            Relay::Penalise => MessageAcceptance::Reject,
        },
    }
}

/// A document received by gossip that verified and was stored, or held for
/// its predecessor: for observers such as the federation benchmark.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The document's hash.
    pub hash: String,
    /// When its verdict was reached.
    pub at: std::time::Instant,
}

/// What the sync task hears: the inputs of the state machine, once their IO
/// is done.
enum SyncInput {
    /// Sync with this peer (it connected, it is due, or gossip showed a gap).
    Start(PeerId),
    /// The answer to a request, with the local heads when it was a heads
    /// request (read right after, so that the machine compares like with
    /// like).
    Answer {
        peer: PeerId,
        id: RequestId,
        result: Result<SyncResponse, NetError>,
        local: Option<Vec<Head>>,
    },
    /// A peer's heads, pushed by it or returned for ours, with the local
    /// heads read meanwhile.
    Heads {
        peer: PeerId,
        heads: Vec<Head>,
        local: Vec<Head>,
    },
    /// A page of `issuer` was ingested: documents newly stored and the
    /// issuer's head.
    Ingested {
        id: RequestId,
        issuer: String,
        result: Result<(usize, u64), PageError>,
    },
    Disconnected(PeerId),
}

/// Why a sync page could not be ingested.
#[derive(Debug, thiserror::Error)]
enum PageError {
    /// The machine named an issuer that is not a jurisdiction code (a peer
    /// claimed a head for it).
    #[error("{0:?} is not a jurisdiction code")]
    Issuer(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] deltabench_store::StoreError),
}

/// The running federation of one node.
pub struct Federation {
    node: Arc<Node>,
    net: Handle,
    peers: PeerTable,
    metrics: NetMetrics,
    alliances: Vec<String>,
    limits: Limits,
    sync: mpsc::UnboundedSender<SyncInput>,
    /// Connected peers, for pushing heads.
    connected: std::sync::Mutex<HashSet<PeerId>>,
    /// A push of heads is under way; another one asked for meanwhile runs
    /// after it (`announce_again`), so pushes never pile up.
    announcing: AtomicBool,
    announce_again: AtomicBool,
    arrivals: broadcast::Sender<Arrival>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("peer_id", &self.net.peer_id())
            .finish_non_exhaustive()
    }
}

/// Why the federation could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The network could not start.
    #[error(transparent)]
    Net(#[from] deltabench_net::NetError),
    /// The sync limits derived from the configuration cannot work.
    #[error("sync limits: {0}")]
    Limits(#[from] deltabench_sync::LimitsError),
}

fn to_sync_heads(heads: Vec<Head>) -> Vec<deltabench_sync::Head> {
    heads
        .into_iter()
        .map(|h| deltabench_sync::Head::new(h.issuer, h.seq))
        .collect()
}

fn to_request(r: deltabench_sync::Request) -> SyncRequest {
    match r {
        deltabench_sync::Request::Heads => SyncRequest::Heads,
        deltabench_sync::Request::Range {
            issuer,
            after,
            limit,
        } => SyncRequest::Range {
            issuer,
            after,
            limit,
        },
    }
}

/// The node's heads, as the protocol carries them.
fn local_heads(node: &Node) -> Result<Vec<Head>, deltabench_store::StoreError> {
    Ok(node
        .store()
        .heads()?
        .into_iter()
        .map(|(issuer, seq)| Head {
            issuer: issuer.to_string(),
            seq,
        })
        .collect())
}

impl Federation {
    /// Starts the network for `node` and the tasks that connect the two.
    /// Runs until `shutdown` resolves. The sync page bounds derive from the
    /// network's response bound (`response_bytes_max`) and the node's
    /// document size limit.
    pub fn start(
        node: Arc<Node>,
        config: deltabench_net::Config,
        peers: PeerTable,
        metrics: NetMetrics,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(Arc<Self>, tokio::task::JoinHandle<()>), StartError> {
        let limits = Limits::new(
            config.response_bytes_max,
            node.policy().limits.document_bytes_max,
            config.request_timeout,
        )?;
        let alliances = config.alliances.clone();
        let (net, events, swarm) = deltabench_net::start(config, shutdown)?;
        let (arrivals, _) = broadcast::channel(4096);
        let (sync_tx, sync_rx) = mpsc::unbounded_channel();
        let fed = Arc::new(Federation {
            node,
            net,
            peers,
            metrics,
            alliances,
            limits,
            sync: sync_tx,
            connected: std::sync::Mutex::new(HashSet::new()),
            announcing: AtomicBool::new(false),
            announce_again: AtomicBool::new(false),
            arrivals,
        });
        // The node's own documents and those learnt from bundles go out on
        // every alliance topic.
        let (out_tx, out_rx) = mpsc::unbounded_channel::<Arc<[u8]>>();
        fed.node.set_outbox(Box::new(move |bytes| {
            let _ = out_tx.send(bytes);
        }));
        tokio::spawn(fed.clone().outbox(out_rx));
        let (gossip_tx, gossip_rx) = mpsc::channel(4096);
        tokio::spawn(fed.clone().gossip_worker(gossip_rx));
        tokio::spawn(fed.clone().drive_sync(sync_rx));
        tokio::spawn(fed.clone().events(events, gossip_tx));
        Ok((fed, swarm))
    }

    /// The network handle.
    pub fn net(&self) -> &Handle {
        &self.net
    }

    /// The sync bounds in use.
    pub fn sync_limits(&self) -> &Limits {
        &self.limits
    }

    /// Documents received by gossip, as they arrive.
    pub fn arrivals(&self) -> broadcast::Receiver<Arrival> {
        self.arrivals.subscribe()
    }

    /// Asks for a catch-up session with `peer`: its heads, then every gap.
    /// One session per peer at a time; a request during one runs once more
    /// after it.
    pub fn sync_with(&self, peer: PeerId) {
        let _ = self.sync.send(SyncInput::Start(peer));
    }

    async fn outbox(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Arc<[u8]>>) {
        while let Some(bytes) = rx.recv().await {
            for a in &self.alliances {
                if let Err(e) = self.net.publish(a, bytes.to_vec()).await {
                    tracing::warn!(alliance = %a, error = %e, "publish failed; peers will fetch it by sync");
                }
            }
        }
    }

    async fn events(
        self: Arc<Self>,
        mut events: mpsc::Receiver<Event>,
        gossip: mpsc::Sender<(MessageId, PeerId, Vec<u8>)>,
    ) {
        while let Some(e) = events.recv().await {
            match e {
                Event::Listening(a) => self.peers.listening(a.to_string()),
                Event::Connected {
                    peer,
                    public_key,
                    address,
                } => {
                    self.metrics.peers.inc();
                    self.peers.connected(PeerEntry {
                        peer_id: peer.to_string(),
                        public_key: public_key.map(hex::encode),
                        addresses: vec![address.to_string()],
                        connected_at: self.node.now().to_string(),
                    });
                    self.connected_peers().insert(peer);
                    self.sync_with(peer);
                }
                Event::Disconnected { peer } => {
                    self.metrics.peers.dec();
                    self.peers.disconnected(&peer.to_string());
                    self.connected_peers().remove(&peer);
                    let _ = self.sync.send(SyncInput::Disconnected(peer));
                }
                Event::Message {
                    id, source, data, ..
                } => {
                    if let Err(mpsc::error::TrySendError::Full((id, source, _))) =
                        gossip.try_send((id, source, data))
                    {
                        // Validation is behind: sync will bring the document.
                        self.net.report(id, source, MessageAcceptance::Ignore);
                        self.metrics.verdict(&MessageAcceptance::Ignore);
                    }
                }
                Event::Request { peer, id, request } => {
                    tokio::spawn(self.clone().answer(peer, id, request));
                }
                Event::SyncDue { peer } => self.sync_with(peer),
                Event::Banned { peer, score } => {
                    self.metrics.banned.inc();
                    tracing::warn!(%peer, score, "peer banned");
                }
                Event::Subscribed { .. } => {}
                Event::RateLimited { .. } => {
                    self.metrics.rate_limited.inc();
                }
            }
        }
    }

    fn connected_peers(&self) -> std::sync::MutexGuard<'_, HashSet<PeerId>> {
        self.connected.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Validates gossip in arrival order, in batches so that signature checks
    /// use every core, and answers each message.
    async fn gossip_worker(self: Arc<Self>, mut rx: mpsc::Receiver<(MessageId, PeerId, Vec<u8>)>) {
        let mut batch = Vec::with_capacity(GOSSIP_BATCH);
        while rx.recv_many(&mut batch, GOSSIP_BATCH).await > 0 {
            let msgs = std::mem::take(&mut batch);
            let node = self.node.clone();
            let result = tokio::task::spawn_blocking(move || {
                let envelopes: Vec<&[u8]> = msgs.iter().map(|(_, _, d)| d.as_slice()).collect();
                let outcomes = node.ingest_many(&envelopes, "gossip");
                (msgs, outcomes)
            })
            .await;
            let Ok((msgs, outcomes)) = result else {
                continue;
            };
            let outcomes = match outcomes {
                Ok(o) => o,
                Err(e) => {
                    tracing::error!(error = %e, "storage failed while validating gossip");
                    for (id, source, _) in msgs {
                        self.net.report(id, source, MessageAcceptance::Ignore);
                    }
                    continue;
                }
            };
            let mut gaps = HashSet::new();
            for ((id, source, _), outcome) in msgs.into_iter().zip(&outcomes) {
                let a = acceptance(outcome);
                self.metrics.verdict(&a);
                self.net.report(id, source, a);
                match outcome {
                    Outcome::Accepted { hash, .. } | Outcome::Pending { hash } => {
                        let _ = self.arrivals.send(Arrival {
                            hash: hash.to_string(),
                            at: std::time::Instant::now(),
                        });
                        if matches!(outcome, Outcome::Pending { .. }) {
                            gaps.insert(source);
                        }
                    }
                    _ => {}
                }
            }
            // A document ahead of its predecessor: fetch the gap from the
            // peer that sent it.
            for peer in gaps {
                self.sync_with(peer);
            }
        }
    }

    /// Whether a peer holds the key of a member of one of the node's
    /// alliances: only members are served documents.
    fn is_member(&self, peer: &PeerId) -> bool {
        let Some(key) = deltabench_net::peer_public_key(peer) else {
            return false;
        };
        let key = hex::encode(key);
        self.node
            .membership()
            .rosters()
            .any(|s| s.roster.members.iter().any(|m| m.key.as_str() == key))
    }

    async fn answer(self: Arc<Self>, peer: PeerId, id: InboundId, request: SyncRequest) {
        if !self.is_member(&peer) {
            tracing::info!(%peer, "sync request from a peer that is not a member: refused");
            self.net.respond(
                id,
                SyncResponse::Refused("not a member of this node's alliances".into()),
            );
            return;
        }
        let node = self.node.clone();
        let limits = self.limits;
        let sync = self.sync.clone();
        let response = tokio::task::spawn_blocking(
            move || -> Result<SyncResponse, deltabench_store::StoreError> {
                let store = node.store();
                match request {
                    SyncRequest::Heads => Ok(SyncResponse::Heads(local_heads(&node)?)),
                    SyncRequest::Announce(heads) => {
                        // Answered with ours, so that the announcer learns what
                        // it lacks too; and fetched from if it is ahead.
                        let local = local_heads(&node)?;
                        let _ = sync.send(SyncInput::Heads {
                            peer,
                            heads,
                            local: local.clone(),
                        });
                        Ok(SyncResponse::Heads(local))
                    }
                    SyncRequest::Range {
                        issuer,
                        after,
                        limit,
                    } => {
                        let Ok(issuer) = JurisdictionCode::new(&issuer) else {
                            return Ok(SyncResponse::Refused(format!("{issuer:?} is not a code")));
                        };
                        let wanted = limit.min(limits.page_docs) as usize;
                        let docs = store.range(&issuer, after, wanted)?;
                        let page = limits
                            .cut_page(docs, limit)
                            .into_iter()
                            .map(serde_bytes::ByteBuf::from)
                            .collect();
                        Ok(SyncResponse::Documents(page))
                    }
                }
            },
        )
        .await;
        let response = match response {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "storage failed while answering sync");
                SyncResponse::Refused("storage error".into())
            }
            Err(_) => SyncResponse::Refused("internal error".into()),
        };
        self.net.respond(id, response);
    }

    fn roster_versions(&self) -> BTreeMap<String, u64> {
        self.node
            .membership()
            .rosters()
            .map(|s| (s.roster.alliance.to_string(), s.roster.version))
            .collect()
    }

    /// The one task that owns the sync state machine: feeds it what the IO
    /// brought, performs what it asks, and wakes it at its deadlines.
    async fn drive_sync(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<SyncInput>) {
        let mut sync: Sync<PeerId> = Sync::new(self.limits);
        let mut rosters = self.roster_versions();
        loop {
            let deadline = sync.poll_timeout();
            let input = tokio::select! {
                input = rx.recv() => match input {
                    Some(i) => Some(i),
                    None => return,
                },
                _ = tokio::time::sleep_until(deadline.map_or_else(tokio::time::Instant::now, Into::into)),
                    if deadline.is_some() => None,
            };
            let now = Instant::now();
            let mut settled = false;
            let outcome = match input {
                None => {
                    sync.tick(now);
                    Ok(())
                }
                Some(SyncInput::Start(peer)) => {
                    sync.start(peer, now);
                    Ok(())
                }
                Some(SyncInput::Answer {
                    peer,
                    id,
                    result,
                    local,
                }) => {
                    for h in local.into_iter().flatten() {
                        sync.set_local_head(&h.issuer, h.seq);
                    }
                    answered(&mut sync, peer, id, result, now)
                }
                Some(SyncInput::Heads { peer, heads, local }) => {
                    for h in local {
                        sync.set_local_head(&h.issuer, h.seq);
                    }
                    sync.on_announce(peer, to_sync_heads(heads), now);
                    Ok(())
                }
                Some(SyncInput::Ingested { id, issuer, result }) => {
                    settled = true;
                    match result {
                        Ok((stored, head)) => sync.on_ingested(id, head, stored, now),
                        Err(e) => {
                            // Storage failed: the page counts as not placed,
                            // and a later session tries again.
                            tracing::error!(error = %e, "storage failed while ingesting a sync page");
                            let head = sync.local_head(&issuer);
                            sync.on_ingested(id, head, 0, now)
                        }
                    }
                }
                Some(SyncInput::Disconnected(peer)) => {
                    sync.on_disconnected(&peer, now);
                    Ok(())
                }
            };
            if let Err(e) = outcome {
                tracing::debug!(error = %e, "sync answer not wanted any more");
            }
            if settled {
                // A roster stored from a page may admit members whose
                // documents were refused before.
                let current = self.roster_versions();
                if current != rosters {
                    rosters = current;
                    sync.unblock(now);
                }
            }
            while let Some(action) = sync.poll_action() {
                self.perform(action);
            }
        }
    }

    fn perform(self: &Arc<Self>, action: Action<PeerId>) {
        match action {
            Action::Send { peer, id, request } => {
                let fed = self.clone();
                tokio::spawn(async move {
                    let heads = matches!(request, deltabench_sync::Request::Heads);
                    let result = fed.net.request(peer, to_request(request)).await;
                    let local = if heads && result.is_ok() {
                        let node = fed.node.clone();
                        tokio::task::spawn_blocking(move || local_heads(&node).ok())
                            .await
                            .ok()
                            .flatten()
                    } else {
                        None
                    };
                    let _ = fed.sync.send(SyncInput::Answer {
                        peer,
                        id,
                        result,
                        local,
                    });
                });
            }
            Action::Ingest { id, issuer, docs } => {
                let fed = self.clone();
                tokio::task::spawn_blocking(move || {
                    let result = fed.ingest_page(&issuer, &docs);
                    if let Ok((stored, _)) = &result {
                        fed.metrics.synced.inc_by(*stored as u64);
                    }
                    let _ = fed.sync.send(SyncInput::Ingested { id, issuer, result });
                });
            }
            Action::Settled { peer, fetched } => {
                if fetched == 0 {
                    tracing::debug!(%peer, "in sync");
                } else {
                    tracing::info!(%peer, documents = fetched, "caught up");
                    self.clone().announce(peer);
                }
            }
            Action::Fault { peer, fault } => {
                tracing::info!(%peer, %fault, "sync fault");
                self.metrics
                    .sync_faults
                    .get_or_create(&FaultLabel {
                        kind: fault_kind(&fault).into(),
                    })
                    .inc();
            }
        }
    }

    /// Ingests one sync page with the bundle path (in chain order, nothing
    /// passed on by gossip); returns the documents newly stored and the
    /// issuer's head afterwards.
    fn ingest_page(&self, issuer: &str, docs: &[Vec<u8>]) -> Result<(usize, u64), PageError> {
        let issuer =
            JurisdictionCode::new(issuer).map_err(|_| PageError::Issuer(issuer.to_owned()))?;
        let envelopes: Vec<&[u8]> = docs.iter().map(Vec::as_slice).collect();
        let report = self.node.ingest_synced(&envelopes, "sync")?;
        let head = self.node.store().head(&issuer)?.map_or(0, |(s, _)| s);
        Ok((report.accepted, head))
    }

    /// Pushes this node's heads to every connected peer but `source`: those
    /// behind fetch from it now. One push at a time; one asked for during
    /// it runs after it.
    fn announce(self: Arc<Self>, source: PeerId) {
        if self.announcing.swap(true, Ordering::AcqRel) {
            self.announce_again.store(true, Ordering::Release);
            return;
        }
        tokio::spawn(async move {
            loop {
                let node = self.node.clone();
                let heads = tokio::task::spawn_blocking(move || local_heads(&node))
                    .await
                    .ok()
                    .and_then(Result::ok);
                let peers: Vec<PeerId> = self
                    .connected_peers()
                    .iter()
                    .filter(|p| **p != source)
                    .copied()
                    .collect();
                if let Some(heads) = heads {
                    let mut pushes = tokio::task::JoinSet::new();
                    for peer in peers {
                        let fed = self.clone();
                        let heads = heads.clone();
                        pushes.spawn(async move {
                            fed.metrics.announced.inc();
                            let answer = fed.net.request(peer, SyncRequest::Announce(heads)).await;
                            if let Ok(SyncResponse::Heads(theirs)) = answer {
                                // What the peer holds and this node lacks.
                                let node = fed.node.clone();
                                if let Ok(Ok(local)) =
                                    tokio::task::spawn_blocking(move || local_heads(&node)).await
                                {
                                    let _ = fed.sync.send(SyncInput::Heads {
                                        peer,
                                        heads: theirs,
                                        local,
                                    });
                                }
                            }
                        });
                    }
                    while pushes.join_next().await.is_some() {}
                }
                // Done, unless another push was asked for meanwhile.
                if self.announce_again.swap(false, Ordering::AcqRel) {
                    continue;
                }
                self.announcing.store(false, Ordering::Release);
                // One asked for between the check and the store above found
                // `announcing` still set: take it over.
                if self.announce_again.swap(false, Ordering::AcqRel)
                    && !self.announcing.swap(true, Ordering::AcqRel)
                {
                    continue;
                }
                return;
            }
        });
    }
}

/// Feeds an answer to the machine, matching its kind to what was asked.
fn answered(
    sync: &mut Sync<PeerId>,
    peer: PeerId,
    id: RequestId,
    result: Result<SyncResponse, NetError>,
    now: Instant,
) -> Result<(), SyncError> {
    let outcome = match result {
        Ok(SyncResponse::Heads(h)) => sync.on_heads(peer, id, to_sync_heads(h), now),
        Ok(SyncResponse::Documents(d)) => sync.on_page(
            peer,
            id,
            d.into_iter().map(serde_bytes::ByteBuf::into_vec).collect(),
            now,
        ),
        Ok(SyncResponse::Refused(why)) => {
            return sync.on_failure(peer, id, Failure::Refused(why), now);
        }
        Err(e) => return sync.on_failure(peer, id, Failure::Transport(e.to_string()), now),
    };
    match outcome {
        Err(SyncError::WrongKind(_)) => sync.on_failure(peer, id, Failure::WrongAnswer, now),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::DocHash;
    use deltabench_trust::{Reason, Rejection};

    #[test]
    fn gossip_verdicts_follow_the_outcome_and_the_reasons_table() {
        let hash = DocHash::from_bytes([1; 32]);
        assert_eq!(
            acceptance(&Outcome::Accepted {
                hash: hash.clone(),
                released: 0
            }),
            MessageAcceptance::Accept
        );
        assert_eq!(
            acceptance(&Outcome::Pending { hash: hash.clone() }),
            MessageAcceptance::Accept
        );
        // A roster held for the versions before it travels on too.
        assert_eq!(
            acceptance(&Outcome::Waiting { hash: hash.clone() }),
            MessageAcceptance::Accept
        );
        assert_eq!(
            acceptance(&Outcome::Duplicate { hash }),
            MessageAcceptance::Ignore
        );
        for r in Reason::ALL {
            let want = match r.relay() {
                Relay::Forward => MessageAcceptance::Accept,
                Relay::Drop => MessageAcceptance::Ignore,
                Relay::Penalise => MessageAcceptance::Reject,
            };
            let got = acceptance(&Outcome::Rejected(Rejection::new(r, "test")));
            assert_eq!(got, want, "{r}");
        }
        assert_eq!(
            acceptance(&Outcome::Rejected(Rejection::new(
                Reason::BadSignature,
                "x"
            ))),
            MessageAcceptance::Reject
        );
    }
}
