//! The state machine.

use crate::limits::Limits;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Instant;

/// Names one request, so that its answer (or failure) can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One issuer's chain head as a node holds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Head {
    /// The issuer's jurisdiction code.
    pub issuer: String,
    /// The highest sequence number held with every predecessor.
    pub seq: u64,
}

impl Head {
    /// A head.
    pub fn new(issuer: impl Into<String>, seq: u64) -> Self {
        Self {
            issuer: issuer.into(),
            seq,
        }
    }
}

/// What to ask a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
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
}

/// Why a request got no usable answer, as the transport tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The peer did not answer in time.
    Timeout,
    /// The peer answered that it will not serve this node.
    Refused(String),
    /// The connection failed or the answer could not be read.
    Transport(String),
    /// The peer answered with the wrong kind of response.
    WrongAnswer,
}

/// What a peer did wrong or failed to do, for logs and metrics. Faults end
/// the peer's part in a fetch; none of them stops sync with other peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A request failed.
    Failed {
        /// The request.
        id: RequestId,
        /// How.
        failure: Failure,
    },
    /// The peer sent more heads than [`Limits::heads_max`].
    TooManyHeads {
        /// How many.
        count: usize,
    },
    /// A page with more documents than asked for, or more bytes than a page
    /// holds. It was not ingested.
    OversizedPage {
        /// Documents in it.
        docs: usize,
        /// Its bytes, with framing.
        bytes: usize,
    },
    /// The peer claimed a head it did not deliver: a page after `delivered`
    /// came back empty.
    Shortfall {
        /// The issuer.
        issuer: String,
        /// The head it claimed.
        claimed: u64,
        /// Where its documents ended.
        delivered: u64,
    },
    /// The peer's documents after `head` did not extend the chain here
    /// (validation refused or could not place them). The peer is not asked
    /// for the issuer again until it tells its heads again; after
    /// [`Limits::unplaceable_peers_max`] peers failed at the same head,
    /// nobody is until [`Sync::unblock`].
    Unplaceable {
        /// The issuer.
        issuer: String,
        /// The local head the documents failed to extend.
        head: u64,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Failed { id, failure } => match failure {
                Failure::Timeout => write!(f, "request {id} not answered in time"),
                Failure::Refused(why) => write!(f, "request {id} refused: {why}"),
                Failure::Transport(e) => write!(f, "request {id} failed: {e}"),
                Failure::WrongAnswer => write!(f, "request {id} answered with the wrong kind"),
            },
            Fault::TooManyHeads { count } => write!(f, "{count} heads: more than accepted"),
            Fault::OversizedPage { docs, bytes } => {
                write!(
                    f,
                    "a page of {docs} documents and {bytes} bytes: more than asked"
                )
            }
            Fault::Shortfall {
                issuer,
                claimed,
                delivered,
            } => write!(
                f,
                "claimed {issuer} up to {claimed} but holds only up to {delivered}"
            ),
            Fault::Unplaceable { issuer, head } => {
                write!(f, "documents of {issuer} after {head} could not be placed")
            }
        }
    }
}

/// A call the machine cannot match to its state: the caller's mistake, or
/// an answer that came after its request was given up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// No request with this id is outstanding (it was never sent, was
    /// answered already, or timed out and was given up).
    #[error("no request {0} is outstanding")]
    UnknownRequest(RequestId),
    /// The answer came from another peer than the one asked.
    #[error("request {0} was sent to another peer")]
    WrongPeer(RequestId),
    /// Heads came for a range request, or a page for a heads request.
    #[error("request {0} asked for something else")]
    WrongKind(RequestId),
    /// No page with this id is being ingested.
    #[error("no page {0} is being ingested")]
    NotIngesting(RequestId),
}

/// What the caller must do next. Take them with [`Sync::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<P> {
    /// Send `request` to `peer`, and feed its answer back with
    /// [`Sync::on_heads`] or [`Sync::on_page`], or its failure with
    /// [`Sync::on_failure`].
    Send {
        /// The peer.
        peer: P,
        /// The request's id.
        id: RequestId,
        /// What to ask.
        request: Request,
    },
    /// Validate and store these documents of `issuer` (in order), then
    /// report the issuer's head with [`Sync::on_ingested`].
    Ingest {
        /// The page's id.
        id: RequestId,
        /// The issuer.
        issuer: String,
        /// The documents, as received.
        docs: Vec<Vec<u8>>,
    },
    /// The session with `peer` is over: nothing more is wanted from it now.
    Settled {
        /// The peer.
        peer: P,
        /// Documents stored from its pages during the session.
        fetched: usize,
    },
    /// `peer` failed or misbehaved; sync goes on without it where it can.
    Fault {
        /// The peer.
        peer: P,
        /// What happened.
        fault: Fault,
    },
}

enum Outstanding<P> {
    Heads {
        peer: P,
        deadline: Instant,
    },
    Range {
        peer: P,
        issuer: String,
        after: u64,
        limit: u32,
        deadline: Instant,
    },
}

impl<P> Outstanding<P> {
    fn peer(&self) -> &P {
        match self {
            Outstanding::Heads { peer, .. } | Outstanding::Range { peer, .. } => peer,
        }
    }

    fn deadline(&self) -> Instant {
        match self {
            Outstanding::Heads { deadline, .. } | Outstanding::Range { deadline, .. } => *deadline,
        }
    }
}

#[derive(Default)]
struct Peer {
    /// The heads it last told, lowered where it delivered less.
    claims: BTreeMap<String, u64>,
    /// Not asked for pages: it failed a request, until it answers heads again.
    unusable: bool,
    /// The running session, if any.
    session: Option<Session>,
}

#[derive(Default)]
struct Session {
    fetched: usize,
    /// Asked for heads and not answered yet.
    heads: Option<RequestId>,
    /// Another sync was asked for during this one: it runs right after.
    again: bool,
}

/// A page handed over for ingest.
struct Ingesting {
    id: RequestId,
    /// Where the page ends: the head the ingest should reach.
    end: u64,
}

/// One issuer's gap, being fetched from one peer.
struct Fetch<P> {
    peer: P,
    ingesting: Option<Ingesting>,
    /// The next page, asked for: its request and where it starts.
    asked: Option<(RequestId, u64)>,
    /// The next page, arrived while the one before was being ingested.
    ready: Option<(RequestId, Vec<Vec<u8>>)>,
}

/// The catch-up state of one node with all its peers. `P` names a peer.
pub struct Sync<P> {
    limits: Limits,
    local: BTreeMap<String, u64>,
    peers: BTreeMap<P, Peer>,
    fetches: BTreeMap<String, Fetch<P>>,
    /// Issuers some usable peer is ahead on, not being fetched (waiting for
    /// room under [`Limits::fetches_max`]).
    behind: BTreeSet<String>,
    /// Issuers whose documents could not be placed at this local head, and
    /// the peers whose documents failed there.
    blocked: BTreeMap<String, (u64, BTreeSet<P>)>,
    requests: BTreeMap<RequestId, Outstanding<P>>,
    next_id: u64,
    actions: VecDeque<Action<P>>,
}

impl<P: fmt::Debug> fmt::Debug for Sync<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sync")
            .field("peers", &self.peers.len())
            .field("fetches", &self.fetches.len())
            .field("behind", &self.behind.len())
            .field("requests", &self.requests.len())
            .finish_non_exhaustive()
    }
}

impl<P: Clone + Ord> Sync<P> {
    /// A machine with no peers, holding nothing.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            local: BTreeMap::new(),
            peers: BTreeMap::new(),
            fetches: BTreeMap::new(),
            behind: BTreeSet::new(),
            blocked: BTreeMap::new(),
            requests: BTreeMap::new(),
            next_id: 0,
            actions: VecDeque::new(),
        }
    }

    /// The limits in use.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The next thing to do, if any.
    pub fn poll_action(&mut self) -> Option<Action<P>> {
        self.actions.pop_front()
    }

    /// When [`Sync::tick`] next has something to do: the earliest deadline
    /// of an outstanding request.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.requests.values().map(Outstanding::deadline).min()
    }

    /// The local head of `issuer`, as last told or ingested.
    pub fn local_head(&self, issuer: &str) -> u64 {
        self.local.get(issuer).copied().unwrap_or(0)
    }

    /// Tells the local head of an issuer, as the store holds it (documents
    /// also arrive by gossip and bundles). While the issuer is being fetched
    /// the head only moves forward: the fetch's own results are newer.
    pub fn set_local_head(&mut self, issuer: &str, seq: u64) {
        let head = self.local.entry(issuer.to_owned()).or_default();
        if self.fetches.contains_key(issuer) {
            *head = (*head).max(seq);
        } else {
            *head = seq;
        }
    }

    /// Starts a session with `peer`: asks for its heads. During a running
    /// session it only asks for one more session right after.
    pub fn start(&mut self, peer: P, now: Instant) {
        let id = RequestId(self.next_id + 1);
        let entry = self.peers.entry(peer.clone()).or_default();
        if let Some(s) = &mut entry.session {
            s.again = true;
            return;
        }
        self.next_id += 1;
        entry.session = Some(Session {
            heads: Some(id),
            ..Session::default()
        });
        self.send(peer, id, Request::Heads, now);
    }

    /// The answer to a heads request.
    pub fn on_heads(
        &mut self,
        peer: P,
        id: RequestId,
        heads: Vec<Head>,
        now: Instant,
    ) -> Result<(), SyncError> {
        match self.take_request(&peer, id)? {
            Outstanding::Heads { .. } => {}
            range @ Outstanding::Range { .. } => {
                self.requests.insert(id, range);
                return Err(SyncError::WrongKind(id));
            }
        }
        if let Some(s) = self.session_mut(&peer) {
            s.heads = None;
        }
        self.take_heads(peer, heads, now);
        Ok(())
    }

    /// Heads that a peer pushed without being asked (it fetched documents
    /// and tells its neighbours). Handled as the answer to a heads request,
    /// starting a session if none runs.
    pub fn on_announce(&mut self, peer: P, heads: Vec<Head>, now: Instant) {
        let entry = self.peers.entry(peer.clone()).or_default();
        entry.session.get_or_insert_with(Session::default);
        self.take_heads(peer, heads, now);
    }

    fn take_heads(&mut self, peer: P, heads: Vec<Head>, now: Instant) {
        if heads.len() > self.limits.heads_max {
            self.fault(&peer, Fault::TooManyHeads { count: heads.len() });
        } else {
            let entry = self.peers.entry(peer.clone()).or_default();
            entry.unusable = false;
            entry.claims.clear();
            for h in heads {
                let c = entry.claims.entry(h.issuer).or_default();
                *c = (*c).max(h.seq);
            }
            let ahead: Vec<String> = entry
                .claims
                .iter()
                .filter(|(issuer, seq)| **seq > self.local.get(*issuer).copied().unwrap_or(0))
                .map(|(issuer, _)| issuer.clone())
                .collect();
            for issuer in ahead {
                self.recheck(&issuer);
            }
        }
        self.schedule(now);
        self.settle(now);
    }

    /// A page of documents, the answer to a range request.
    pub fn on_page(
        &mut self,
        peer: P,
        id: RequestId,
        docs: Vec<Vec<u8>>,
        now: Instant,
    ) -> Result<(), SyncError> {
        let (issuer, after, limit) = match self.take_request(&peer, id)? {
            Outstanding::Range {
                issuer,
                after,
                limit,
                ..
            } => (issuer, after, limit),
            heads @ Outstanding::Heads { .. } => {
                self.requests.insert(id, heads);
                return Err(SyncError::WrongKind(id));
            }
        };
        let claimed = self.claim(&peer, &issuer);
        let Some(fetch) = self.fetches.get_mut(&issuer) else {
            return Ok(());
        };
        fetch.asked = None;
        if let Err(fault) = self.limits.page_fits(&docs, limit) {
            // Not ingested, and nothing more of this issuer from this peer
            // in this session.
            self.lower_claim(&peer, &issuer, after);
            self.fault(&peer, fault);
            self.finish_unless_ingesting(&issuer, now);
            self.settle(now);
            return Ok(());
        }
        if docs.is_empty() {
            self.lower_claim(&peer, &issuer, after);
            self.fault(
                &peer,
                Fault::Shortfall {
                    issuer: issuer.clone(),
                    claimed,
                    delivered: after,
                },
            );
            self.finish_unless_ingesting(&issuer, now);
            self.settle(now);
            return Ok(());
        }
        if fetch.ingesting.is_some() {
            fetch.ready = Some((id, docs));
        } else {
            self.hand_over(&issuer, id, after, docs, now);
        }
        Ok(())
    }

    /// A request failed. The peer is not asked for pages again until it
    /// answers heads; what it was fetching moves to another peer if one is
    /// ahead.
    pub fn on_failure(
        &mut self,
        peer: P,
        id: RequestId,
        failure: Failure,
        now: Instant,
    ) -> Result<(), SyncError> {
        let request = self.take_request(&peer, id)?;
        self.failed(peer, id, request, failure, now);
        Ok(())
    }

    fn failed(
        &mut self,
        peer: P,
        id: RequestId,
        request: Outstanding<P>,
        failure: Failure,
        now: Instant,
    ) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.unusable = true;
        }
        self.fault(&peer, Fault::Failed { id, failure });
        match request {
            Outstanding::Heads { .. } => {
                if let Some(s) = self.session_mut(&peer) {
                    s.heads = None;
                }
            }
            Outstanding::Range { issuer, .. } => {
                if let Some(f) = self.fetches.get_mut(&issuer) {
                    f.asked = None;
                }
                self.finish_unless_ingesting(&issuer, now);
            }
        }
        self.settle(now);
    }

    /// The outcome of ingesting page `id`: the issuer's head in the store
    /// afterwards, and how many documents were newly stored.
    pub fn on_ingested(
        &mut self,
        id: RequestId,
        head: u64,
        stored: usize,
        now: Instant,
    ) -> Result<(), SyncError> {
        let Some((issuer, page)) = self.fetches.iter_mut().find_map(|(issuer, f)| {
            if f.ingesting.as_ref().is_some_and(|p| p.id == id) {
                f.ingesting.take().map(|p| (issuer.clone(), p))
            } else {
                None
            }
        }) else {
            return Err(SyncError::NotIngesting(id));
        };
        self.local.insert(issuer.clone(), head);
        let Some(fetch) = self.fetches.get_mut(&issuer) else {
            return Err(SyncError::NotIngesting(id));
        };
        let peer = fetch.peer.clone();
        if let Some(s) = self.session_mut(&peer) {
            s.fetched += stored;
        }
        if head < page.end {
            // Part of the page did not extend the chain: validation refused
            // it, or it needs a roster not yet here. This peer is not asked
            // for it again in this session; after a few peers have failed at
            // the same head, nobody is until the node's membership changes
            // (one forger cannot block an issuer, and a hundred honest peers
            // offering what this node cannot take yet cost a few pages, not
            // a hundred).
            self.lower_claim(&peer, &issuer, head);
            let tried = self
                .blocked
                .entry(issuer.clone())
                .or_insert_with(|| (head, BTreeSet::new()));
            if tried.0 != head {
                *tried = (head, BTreeSet::new());
            }
            tried.1.insert(peer.clone());
            self.fault(
                &peer,
                Fault::Unplaceable {
                    issuer: issuer.clone(),
                    head,
                },
            );
            self.finish(&issuer, now);
        } else {
            let fetch = self.fetches.get_mut(&issuer).expect("looked up above");
            if let Some((next, docs)) = fetch.ready.take() {
                self.hand_over(&issuer, next, page.end, docs, now);
            } else if fetch.asked.is_none() {
                let usable = self.peers.get(&peer).is_some_and(|p| !p.unusable);
                if usable && self.claim(&peer, &issuer) > head {
                    self.ask_range(peer, &issuer, head, now);
                } else {
                    self.finish(&issuer, now);
                }
            }
        }
        self.settle(now);
        Ok(())
    }

    /// The peer is gone: its requests fail and its claims are forgotten.
    pub fn on_disconnected(&mut self, peer: &P, now: Instant) {
        let ids: Vec<RequestId> = self
            .requests
            .iter()
            .filter(|(_, r)| r.peer() == peer)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(r) = self.requests.remove(&id) {
                self.failed(
                    peer.clone(),
                    id,
                    r,
                    Failure::Transport("disconnected".into()),
                    now,
                );
            }
        }
        if let Some(p) = self.peers.remove(peer)
            && let Some(s) = p.session
        {
            self.actions.push_back(Action::Settled {
                peer: peer.clone(),
                fetched: s.fetched,
            });
        }
    }

    /// Gives up every request whose deadline has passed, as if it had failed
    /// with [`Failure::Timeout`].
    pub fn tick(&mut self, now: Instant) {
        let late: Vec<RequestId> = self
            .requests
            .iter()
            .filter(|(_, r)| r.deadline() <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            if let Some(r) = self.requests.remove(&id) {
                let peer = r.peer().clone();
                self.failed(peer, id, r, Failure::Timeout, now);
            }
        }
    }

    /// The node's membership changed (a roster came into force): documents
    /// refused before may be placed now, so every issuer a peer is ahead on
    /// is fetched again.
    pub fn unblock(&mut self, now: Instant) {
        self.blocked.clear();
        let issuers: BTreeSet<String> = self
            .peers
            .values()
            .flat_map(|p| p.claims.keys().cloned())
            .collect();
        for issuer in issuers {
            self.recheck(&issuer);
        }
        self.schedule(now);
        self.settle(now);
    }

    fn next_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    fn session_mut(&mut self, peer: &P) -> Option<&mut Session> {
        self.peers.get_mut(peer).and_then(|p| p.session.as_mut())
    }

    fn take_request(&mut self, peer: &P, id: RequestId) -> Result<Outstanding<P>, SyncError> {
        match self.requests.remove(&id) {
            None => Err(SyncError::UnknownRequest(id)),
            Some(r) if r.peer() != peer => {
                self.requests.insert(id, r);
                Err(SyncError::WrongPeer(id))
            }
            Some(r) => Ok(r),
        }
    }

    fn send(&mut self, peer: P, id: RequestId, request: Request, now: Instant) {
        let deadline = now + self.limits.request_timeout;
        let outstanding = match &request {
            Request::Heads => Outstanding::Heads {
                peer: peer.clone(),
                deadline,
            },
            Request::Range {
                issuer,
                after,
                limit,
            } => Outstanding::Range {
                peer: peer.clone(),
                issuer: issuer.clone(),
                after: *after,
                limit: *limit,
                deadline,
            },
        };
        self.requests.insert(id, outstanding);
        self.actions.push_back(Action::Send { peer, id, request });
    }

    fn ask_range(&mut self, peer: P, issuer: &str, after: u64, now: Instant) {
        let id = self.next_id();
        if let Some(f) = self.fetches.get_mut(issuer) {
            f.asked = Some((id, after));
        }
        let request = Request::Range {
            issuer: issuer.to_owned(),
            after,
            limit: self.limits.page_docs,
        };
        self.send(peer, id, request, now);
    }

    /// Hands a page to ingest, and asks for the next one meanwhile if the
    /// peer claims more.
    fn hand_over(
        &mut self,
        issuer: &str,
        id: RequestId,
        after: u64,
        docs: Vec<Vec<u8>>,
        now: Instant,
    ) {
        let end = after + docs.len() as u64;
        let fetch = self.fetches.get_mut(issuer).expect("a fetch hands over");
        fetch.ingesting = Some(Ingesting { id, end });
        let peer = fetch.peer.clone();
        let pipelined = fetch.asked.is_none();
        self.actions.push_back(Action::Ingest {
            id,
            issuer: issuer.to_owned(),
            docs,
        });
        let usable = self.peers.get(&peer).is_some_and(|p| !p.unusable);
        if pipelined && usable && self.claim(&peer, issuer) > end {
            self.ask_range(peer, issuer, end, now);
        }
    }

    fn claim(&self, peer: &P, issuer: &str) -> u64 {
        self.peers
            .get(peer)
            .and_then(|p| p.claims.get(issuer))
            .copied()
            .unwrap_or(0)
    }

    fn lower_claim(&mut self, peer: &P, issuer: &str, to: u64) {
        if let Some(c) = self
            .peers
            .get_mut(peer)
            .and_then(|p| p.claims.get_mut(issuer))
        {
            *c = (*c).min(to);
        }
    }

    fn fault(&mut self, peer: &P, fault: Fault) {
        self.actions.push_back(Action::Fault {
            peer: peer.clone(),
            fault,
        });
    }

    /// Ends a fetch that has no page being ingested (one that has will end
    /// when its ingest is reported).
    fn finish_unless_ingesting(&mut self, issuer: &str, now: Instant) {
        let ingesting = self
            .fetches
            .get(issuer)
            .is_some_and(|f| f.ingesting.is_some());
        if !ingesting {
            self.finish(issuer, now);
        } else if let Some(f) = self.fetches.get_mut(issuer) {
            // The pipelined page is lost: after the ingest, the fetch asks
            // again or ends.
            f.ready = None;
        }
    }

    /// Ends the fetch of `issuer`; another peer takes over if one is ahead.
    fn finish(&mut self, issuer: &str, now: Instant) {
        if let Some(f) = self.fetches.remove(issuer)
            && let Some((id, _)) = f.asked
        {
            // Its answer, if it comes, is not wanted.
            self.requests.remove(&id);
        }
        self.recheck(issuer);
        self.schedule(now);
    }

    /// The usable peer furthest ahead on `issuer`, if any is ahead.
    fn best_peer(&self, issuer: &str) -> Option<P> {
        let local = self.local_head(issuer);
        if self.blocked.get(issuer).is_some_and(|(at, peers)| {
            *at == local && peers.len() >= self.limits.unplaceable_peers_max
        }) {
            return None;
        }
        let busy = |p: &P| self.fetches.values().filter(|f| &f.peer == p).count();
        self.peers
            .iter()
            .filter(|(_, p)| !p.unusable)
            .filter_map(|(id, p)| {
                let c = p.claims.get(issuer).copied().unwrap_or(0);
                (c > local).then_some((c, id))
            })
            // The highest claim; among equals the least busy peer, then the
            // first in order (ties are broken the same way every time).
            .max_by(|(ca, a), (cb, b)| {
                ca.cmp(cb)
                    .then_with(|| busy(b).cmp(&busy(a)))
                    .then_with(|| b.cmp(a))
            })
            .map(|(_, id)| id.clone())
    }

    fn recheck(&mut self, issuer: &str) {
        if self.fetches.contains_key(issuer) {
            return;
        }
        if self.best_peer(issuer).is_some() {
            self.behind.insert(issuer.to_owned());
        } else {
            self.behind.remove(issuer);
        }
    }

    /// Starts fetches for the issuers behind, while there is room.
    fn schedule(&mut self, now: Instant) {
        while self.fetches.len() < self.limits.fetches_max {
            let Some(issuer) = self.behind.pop_first() else {
                return;
            };
            let Some(peer) = self.best_peer(&issuer) else {
                continue;
            };
            self.peers
                .get_mut(&peer)
                .expect("the best peer is known")
                .session
                .get_or_insert_with(Session::default);
            self.fetches.insert(
                issuer.clone(),
                Fetch {
                    peer: peer.clone(),
                    ingesting: None,
                    asked: None,
                    ready: None,
                },
            );
            let after = self.local_head(&issuer);
            self.ask_range(peer, &issuer, after, now);
        }
    }

    /// Ends the sessions of peers with nothing left to do, and starts the
    /// sessions asked for meanwhile.
    fn settle(&mut self, now: Instant) {
        let idle: Vec<P> = self
            .peers
            .iter()
            .filter(|(id, p)| {
                p.session.as_ref().is_some_and(|s| s.heads.is_none())
                    && !self.fetches.values().any(|f| &f.peer == *id)
                    && !self.behind.iter().any(|issuer| {
                        !p.unusable
                            && p.claims.get(issuer).copied().unwrap_or(0) > self.local_head(issuer)
                    })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for peer in idle {
            let Some(s) = self.peers.get_mut(&peer).and_then(|p| p.session.take()) else {
                continue;
            };
            self.actions.push_back(Action::Settled {
                peer: peer.clone(),
                fetched: s.fetched,
            });
            if s.again {
                self.start(peer, now);
            }
        }
    }
}
