//! Wires the node to the network: gossip in and out, catch-up sync, the peer
//! table the API reads, and the network metrics.
//!
//! Every document from the network goes through the node's one validation
//! path ([`Node::ingest_many`] for gossip, [`Node::ingest_bundle`] for sync
//! pages), and every gossip message is answered from its outcome:
//! - stored, or held for a missing predecessor: `Accept` (forward it);
//! - equivocation: `Accept` too, so that every member records the evidence;
//! - already held: `Ignore`;
//! - refused for a reason an honest forwarder could not have known (a newer
//!   schema, a roster change in flight, the issuer's clock): `Ignore`;
//! - any other refusal (bad signature, malformed, forged roster...): `Reject`,
//!   which costs the forwarding peer score until it is disconnected.
//!
//! Storage work runs on the blocking pool, never in the swarm task.

use deltabench_api::{PeerEntry, PeerTable};
use deltabench_model::JurisdictionCode;
use deltabench_net::{
    Event, Handle, Head, InboundId, MessageAcceptance, MessageId, PeerId, SyncRequest, SyncResponse,
};
use deltabench_node::{Node, Outcome};
use deltabench_trust::Reason;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc};

/// Documents asked for per sync request.
pub const PAGE: u32 = 500;

/// Gossip messages validated together at most.
const GOSSIP_BATCH: usize = 256;

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

/// The gossip answer for a validation outcome.
pub fn acceptance(outcome: &Outcome) -> MessageAcceptance {
    match outcome {
        Outcome::Accepted { .. } | Outcome::Pending { .. } | Outcome::Waiting { .. } => {
            MessageAcceptance::Accept
        }
        Outcome::Duplicate { .. } => MessageAcceptance::Ignore,
        Outcome::Rejected(r) => match r.reason {
            Reason::Equivocation => MessageAcceptance::Accept,
            Reason::UnsupportedSchemaVersion
            | Reason::UnknownKind
            | Reason::NotAMember
            | Reason::UnknownAlliance
            | Reason::RosterOutdated
            | Reason::RosterVersionGap
            | Reason::RosterExpired
            | Reason::RosterNotOnPath
            | Reason::IssuedInFuture
            | Reason::ChainBroken => MessageAcceptance::Ignore,
            Reason::Oversized
            | Reason::Malformed
            | Reason::NonFiniteNumber
            | Reason::BadSignature
            | Reason::InvalidPayload
            | Reason::BadChainLink
            | Reason::KeyMismatch
            | Reason::RosterThresholdNotMet
            | Reason::RosterBadApproval
            | Reason::RosterBadHistory
            | Reason::RosterConflict => MessageAcceptance::Reject,
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

/// The running federation of one node.
pub struct Federation {
    node: Arc<Node>,
    net: Handle,
    peers: PeerTable,
    metrics: NetMetrics,
    alliances: Vec<String>,
    /// Peers being synced with, and whether another sync was asked for
    /// meanwhile (it then runs right after, so no gap waits for the timer).
    syncing: Mutex<HashMap<PeerId, bool>>,
    arrivals: broadcast::Sender<Arrival>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("peer_id", &self.net.peer_id())
            .finish_non_exhaustive()
    }
}

impl Federation {
    /// Starts the network for `node` and the tasks that connect the two.
    /// Runs until `shutdown` resolves.
    pub fn start(
        node: Arc<Node>,
        config: deltabench_net::Config,
        peers: PeerTable,
        metrics: NetMetrics,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(Arc<Self>, tokio::task::JoinHandle<()>), deltabench_net::NetError> {
        let alliances = config.alliances.clone();
        let (net, events, swarm) = deltabench_net::start(config, shutdown)?;
        let (arrivals, _) = broadcast::channel(4096);
        let fed = Arc::new(Federation {
            node,
            net,
            peers,
            metrics,
            alliances,
            syncing: Mutex::new(HashMap::new()),
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
        tokio::spawn(fed.clone().events(events, gossip_tx));
        Ok((fed, swarm))
    }

    /// The network handle.
    pub fn net(&self) -> &Handle {
        &self.net
    }

    /// Documents received by gossip, as they arrive.
    pub fn arrivals(&self) -> broadcast::Receiver<Arrival> {
        self.arrivals.subscribe()
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
                    tokio::spawn(self.clone().sync_with(peer));
                }
                Event::Disconnected { peer } => {
                    self.metrics.peers.dec();
                    self.peers.disconnected(&peer.to_string());
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
                Event::SyncDue { peer } => {
                    tokio::spawn(self.clone().sync_with(peer));
                }
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
                tokio::spawn(self.clone().sync_with(peer));
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
        let response = tokio::task::spawn_blocking(move || -> Result<SyncResponse, String> {
            let store = node.store();
            match request {
                SyncRequest::Heads => Ok(SyncResponse::Heads(
                    store
                        .heads()
                        .map_err(|e| e.to_string())?
                        .into_iter()
                        .map(|(issuer, seq)| Head {
                            issuer: issuer.to_string(),
                            seq,
                        })
                        .collect(),
                )),
                SyncRequest::Range {
                    issuer,
                    after,
                    limit,
                } => {
                    let Ok(issuer) = JurisdictionCode::new(&issuer) else {
                        return Ok(SyncResponse::Refused(format!("{issuer:?} is not a code")));
                    };
                    let limit = limit.min(PAGE) as usize;
                    let docs = store
                        .range(&issuer, after, limit)
                        .map_err(|e| e.to_string())?;
                    // Stay well inside the response bound: cut the page short.
                    let mut total = 0usize;
                    let page: Vec<serde_bytes::ByteBuf> = docs
                        .into_iter()
                        .take_while(|d| {
                            total += d.len() + 16;
                            total < 12 * 1024 * 1024
                        })
                        .map(serde_bytes::ByteBuf::from)
                        .collect();
                    Ok(SyncResponse::Documents(page))
                }
            }
        })
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

    /// Exchanges heads with `peer` and fetches every gap in pages. Repeats
    /// while a fetched roster changes membership (documents refused before
    /// may be accepted now). One sync per peer at a time; a request during
    /// one runs once more after it.
    pub async fn sync_with(self: Arc<Self>, peer: PeerId) {
        {
            let mut s = self.syncing.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(again) = s.get_mut(&peer) {
                *again = true;
                return;
            }
            s.insert(peer, false);
        }
        loop {
            match self.sync_rounds(peer).await {
                Ok(0) => tracing::debug!(%peer, "in sync"),
                Ok(n) => tracing::info!(%peer, documents = n, "caught up"),
                Err(e) => tracing::info!(%peer, error = %e, "sync interrupted; will retry"),
            }
            let mut s = self.syncing.lock().unwrap_or_else(|e| e.into_inner());
            match s.get_mut(&peer) {
                Some(again) if *again => *again = false,
                _ => {
                    s.remove(&peer);
                    return;
                }
            }
        }
    }

    async fn sync_rounds(&self, peer: PeerId) -> Result<usize, String> {
        let mut fetched = 0;
        for _round in 0..4 {
            let before = self.roster_versions();
            let remote = match self
                .net
                .request(peer, SyncRequest::Heads)
                .await
                .map_err(|e| e.to_string())?
            {
                SyncResponse::Heads(h) => h,
                SyncResponse::Refused(why) => return Err(format!("refused: {why}")),
                SyncResponse::Documents(_) => return Err("answered heads with documents".into()),
            };
            let node = self.node.clone();
            let local: BTreeMap<String, u64> = tokio::task::spawn_blocking(move || {
                node.store().heads().map(|h| {
                    h.into_iter()
                        .map(|(c, s)| (c.to_string(), s))
                        .collect::<BTreeMap<_, _>>()
                })
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            let mut progressed = false;
            for head in remote {
                let after = local.get(&head.issuer).copied().unwrap_or(0);
                if after < head.seq {
                    let stored = self.fetch_chain(peer, &head, after).await?;
                    fetched += stored;
                    progressed |= stored > 0;
                }
            }
            if !progressed || self.roster_versions() == before {
                break;
            }
        }
        Ok(fetched)
    }

    async fn fetch_page(
        &self,
        peer: PeerId,
        issuer: &str,
        after: u64,
    ) -> Result<Vec<serde_bytes::ByteBuf>, String> {
        let request = SyncRequest::Range {
            issuer: issuer.to_owned(),
            after,
            limit: PAGE,
        };
        match self
            .net
            .request(peer, request)
            .await
            .map_err(|e| e.to_string())?
        {
            SyncResponse::Documents(d) => Ok(d),
            SyncResponse::Refused(why) => Err(format!("refused: {why}")),
            SyncResponse::Heads(_) => Err("answered a range with heads".into()),
        }
    }

    /// Fetches one issuer's chain after `after` up to the peer's head, in
    /// pages. The next page is requested while the current one is verified
    /// and stored; it is used only if the current page was stored whole.
    async fn fetch_chain(
        &self,
        peer: PeerId,
        head: &Head,
        mut after: u64,
    ) -> Result<usize, String> {
        let mut stored_total = 0;
        let mut page = self.fetch_page(peer, &head.issuer, after).await?;
        loop {
            if page.is_empty() {
                break;
            }
            let expected = after + page.len() as u64;
            let next = (expected < head.seq).then(|| self.fetch_page(peer, &head.issuer, expected));
            let ((stored, new_after), next) = match next {
                Some(next) => {
                    let (ingested, next) = tokio::join!(self.ingest_page(&head.issuer, page), next);
                    (ingested?, Some(next))
                }
                None => (self.ingest_page(&head.issuer, page).await?, None),
            };
            stored_total += stored;
            if new_after <= after {
                // Nothing of the page could be placed (refused, or the
                // issuer is not a member here yet).
                break;
            }
            after = new_after;
            page = match next {
                Some(next) if after == expected => next?,
                Some(_) => {
                    // The page was cut short: ask again from where it ended.
                    if after >= head.seq {
                        break;
                    }
                    self.fetch_page(peer, &head.issuer, after).await?
                }
                None => break,
            };
        }
        Ok(stored_total)
    }

    /// Ingests one sync page with the bundle path; returns the documents
    /// newly stored and the issuer's head afterwards.
    async fn ingest_page(
        &self,
        issuer: &str,
        page: Vec<serde_bytes::ByteBuf>,
    ) -> Result<(usize, u64), String> {
        let node = self.node.clone();
        let issuer = JurisdictionCode::new(issuer).map_err(|e| e.to_string())?;
        let (report, head) = tokio::task::spawn_blocking(move || {
            let envelopes: Vec<&[u8]> = page.iter().map(|b| b.as_slice()).collect();
            let report = node.ingest_synced(&envelopes, "sync")?;
            let head = node.store().head(&issuer)?.map_or(0, |(s, _)| s);
            Ok::<_, deltabench_store::StoreError>((report, head))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        self.metrics.synced.inc_by(report.accepted as u64);
        Ok((report.accepted, head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::DocHash;
    use deltabench_trust::Rejection;

    fn refused(reason: Reason) -> MessageAcceptance {
        acceptance(&Outcome::Rejected(Rejection::new(reason, "test")))
    }

    #[test]
    fn gossip_verdicts_penalise_only_what_a_forwarder_could_check() {
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
        // Evidence travels on, so every member records it.
        assert_eq!(refused(Reason::Equivocation), MessageAcceptance::Accept);
        for r in [
            Reason::NotAMember,
            Reason::UnsupportedSchemaVersion,
            Reason::RosterVersionGap,
            // Depends on which versions this node knows.
            Reason::RosterNotOnPath,
        ] {
            assert_eq!(refused(r), MessageAcceptance::Ignore, "{r}");
        }
        for r in [
            Reason::BadSignature,
            Reason::Malformed,
            Reason::RosterBadApproval,
            Reason::RosterBadHistory,
            Reason::Oversized,
        ] {
            assert_eq!(refused(r), MessageAcceptance::Reject, "{r}");
        }
        // Eleven of the twenty-two reasons are faults a forwarder could have
        // checked.
        let rejecting = Reason::ALL
            .iter()
            .filter(|r| refused(**r) == MessageAcceptance::Reject)
            .count();
        assert_eq!(rejecting, 11);
    }
}
