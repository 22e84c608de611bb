//! The node's state and its one path for documents in and out.
//!
//! A [`Node`] owns the store, the node's key and identity, and the
//! [`Membership`] that says whose documents it accepts. Every document that
//! arrives, by gossip, by catch-up sync or in a bundle, goes through
//! [`Node::ingest`] (or [`Node::ingest_bundle`]), which runs
//! [`deltabench_trust::validate_document`], stores what is new, keeps what waits
//! for a predecessor, records equivocation evidence, logs and counts every
//! refusal, and puts new roster versions in force. Every document the node
//! signs goes through [`Node::publish`], which appends to the node's own chain.
//!
//! All methods block on storage; async callers run them in `spawn_blocking`.
#![deny(missing_docs)]

pub mod debt;
mod harmonise;
pub mod hotline;
pub mod hotline_summary;
pub mod local;
mod metrics;
pub mod public;
pub mod twin;
pub mod verifier;

pub use harmonise::Answer;
pub use metrics::{CacheLabel, EvidenceLabel, Metrics, ReasonLabel};

use deltabench_model::documents::{DocKind, JurisdictionDecl, Payload};
use deltabench_model::{DocHash, JurisdictionCode, Timestamp};
use deltabench_store::{Put, RejectionRecord, RosterEntry, Store, StoreError};
use deltabench_trust::roster::{HistoryRecord, Placement, RosterDoc};
use deltabench_trust::{
    Checks, Document, Header, Ledger, Limits, Membership, NodeKey, Reason, Rejection, SignError,
    Verdict, validate_document,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

/// Receives the envelopes the node passes on to its peers: its own documents
/// once they are durable, and documents first learnt from an imported bundle
/// (including an equivocating one, so that every member records it).
pub type Outbox = Box<dyn Fn(Arc<[u8]>) + Send + Sync>;

/// Who the node is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    /// The jurisdiction code.
    pub code: JurisdictionCode,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
}

/// The source of the current time. Tests and fault drills set it; a node uses
/// the system clock.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp::from_unix(secs).unwrap_or_else(|_| Timestamp::from_unix(0).expect("epoch"))
    }
}

/// Settings of the validation path, of disclosure and of public rating.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Size bounds of documents.
    pub limits: Limits,
    /// How far in the future an issue time may lie, in seconds.
    pub clock_skew_secs_max: i64,
    /// Summaries publish a distribution only where at least this many units
    /// contributed.
    pub disclosure_k: u32,
    /// Public rating: a project's score is shown only from `k` ratings,
    /// pulled toward its category's mean with the weight of `prior_weight`
    /// ratings.
    pub public: deltabench_engine::public::Disclosure,
    /// Public rating: how long a unit has to respond to a bad rating.
    pub rectify: deltabench_model::rectify::Schedule,
    /// Debt risk: the debt-ratio thresholds of the bands, with their source.
    pub debt_bands: deltabench_model::debt::DebtBands,
    /// Early warning: a forecast whose probability of missing its target
    /// exceeds this warns.
    pub warn_p_miss: f64,
    /// A hotline request closed within this many seconds of being accepted
    /// is flagged as closed suspiciously quickly.
    pub hotline_quick_close_secs: i64,
    /// The harmonised category of each local hotline category, for the
    /// signed `hotline` summary; a category not listed keeps its name.
    pub hotline_categories: std::collections::BTreeMap<String, deltabench_model::CategoryId>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            clock_skew_secs_max: 300,
            disclosure_k: 3,
            public: deltabench_engine::public::Disclosure::default(),
            rectify: Default::default(),
            debt_bands: Default::default(),
            warn_p_miss: 0.5,
            hotline_quick_close_secs: 5 * 60,
            hotline_categories: Default::default(),
        }
    }
}

/// Why the node could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A configured alliance roster is not valid.
    #[error("the roster configured for alliance {alliance} is not valid: {rejection}")]
    Anchor {
        /// The alliance.
        alliance: String,
        /// What is wrong with it.
        rejection: Rejection,
    },
    /// The store holds another node's chain under this code, or none at all.
    #[error("{0}")]
    Identity(String),
}

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The payload is not valid.
    #[error(transparent)]
    Invalid(#[from] SignError),
    /// The node refused its own document (e.g. a roster it may not publish).
    #[error("refused: {0}")]
    Refused(Rejection),
    /// The store failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to one received document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Stored (with any pending successors it released).
    Accepted {
        /// The document's hash.
        hash: DocHash,
        /// Held documents of the same issuer that it released.
        released: usize,
    },
    /// Already held.
    Duplicate {
        /// The document's hash.
        hash: DocHash,
    },
    /// Kept until its predecessor arrives.
    Pending {
        /// The document's hash.
        hash: DocHash,
    },
    /// A roster document kept until the roster versions between it and those
    /// known here arrive.
    Waiting {
        /// The document's hash.
        hash: DocHash,
    },
    /// Refused; equivocation is refused too, and its evidence kept.
    Rejected(Rejection),
}

/// The answer to a bundle import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BundleReport {
    /// Documents that were new and are now stored (including released ones).
    pub accepted: usize,
    /// Documents already held.
    pub duplicates: usize,
    /// Documents kept until a missing predecessor arrives.
    pub pending: usize,
    /// Refused documents: their index in the bundle and why.
    pub rejected: Vec<BundleRejection>,
}

/// One refused document of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BundleRejection {
    /// The document's position in the bundle, from 0.
    pub index: usize,
    /// The stable reason code.
    pub reason: Reason,
    /// What exactly was wrong.
    pub detail: String,
}

/// A running node's state.
pub struct Node {
    identity: Identity,
    key: NodeKey,
    store: Store,
    membership: RwLock<Membership>,
    policy: Policy,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    /// Serialises the stateful half of validation with the write that follows
    /// it, so two documents for one chain position cannot both pass. Signature
    /// checks run before it is taken.
    ingest_lock: Mutex<()>,
    /// Serialises signing of the node's own chain: one sequence number, one
    /// document.
    publish_lock: Mutex<()>,
    /// Serialises writes of local appraisal data with the reads that decide
    /// them (framework versions, audit old values, summary supersession).
    local_lock: Mutex<()>,
    /// Where documents to pass on go; unset, they go nowhere.
    outbox: OnceLock<Outbox>,
    /// The harmonised view of the documents held, and its answer cache.
    view: harmonise::ViewSlot,
    /// Set when a roster history changed under the ingest lock, so that held
    /// rosters are tried again before the lock is released.
    history_changed: AtomicBool,
    /// The check on residents' rating credentials; unset, the node's
    /// one-time codes.
    verifier: RwLock<Option<Arc<dyn verifier::RatingVerifier>>>,
    /// The hotline requests held, indexed for queries; dropped by an
    /// import, read again from the store on the next query.
    hotline: RwLock<Option<Arc<hotline::Index>>>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves no half-written state behind (the
    // store writes are transactional), so a poisoned lock is safe to reuse.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Node {
    /// Opens a node on its store. `anchors` are the rosters the node's
    /// configuration names for its alliances; roster versions held in the store
    /// that succeed them are put in force.
    pub fn open(
        identity: Identity,
        key: NodeKey,
        store: Store,
        anchors: Vec<RosterDoc>,
        policy: Policy,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, NodeError> {
        let membership = Membership::new(identity.code.clone(), key.public_hex());
        let node = Node {
            identity,
            key,
            store,
            membership: RwLock::new(membership),
            policy,
            clock,
            metrics: Metrics::default(),
            ingest_lock: Mutex::new(()),
            publish_lock: Mutex::new(()),
            local_lock: Mutex::new(()),
            outbox: OnceLock::new(),
            view: Default::default(),
            history_changed: AtomicBool::new(false),
            verifier: RwLock::new(None),
            hotline: RwLock::new(None),
        };
        node.restore_rosters(anchors)?;
        node.check_own_chain()?;
        node.rebuild_view()?;
        node.metrics.held.set(node.store.document_count() as i64);
        node.metrics.pending.set(node.store.pending_count() as i64);
        Ok(node)
    }

    /// Puts back the roster histories as they were decided (no clock, no
    /// checks), then adopts each configured anchor that the history does not
    /// already hold. An anchor is checked, expiry included, only when it is
    /// adopted: a restart yields the same membership whatever the date.
    fn restore_rosters(&self, anchors: Vec<RosterDoc>) -> Result<(), NodeError> {
        let now = self.clock.now();
        let configured: std::collections::BTreeSet<_> = anchors
            .iter()
            .map(|a| a.roster().alliance.clone())
            .collect();
        let mut membership = self.membership.write().unwrap_or_else(|e| e.into_inner());
        for record in self.store.roster_entries()? {
            let doc = RosterDoc::from_payload(record.payload).map_err(|r| {
                NodeError::Store(StoreError::Corrupt(format!("a stored roster: {r}")))
            })?;
            // Only alliances the configuration still names: leaving an
            // alliance is removing it from the configuration.
            if configured.contains(&doc.roster().alliance) {
                membership.restore(doc, record.in_force);
            }
        }
        for anchor in anchors {
            let alliance = anchor.roster().alliance.clone();
            let version = anchor.roster().version;
            let fail = |rejection: Rejection| NodeError::Anchor {
                alliance: alliance.to_string(),
                rejection,
            };
            if let Some(history) = membership.history(&alliance) {
                if let Some((held, _)) = history
                    .versions()
                    .find(|(d, _)| d.roster().version == version)
                {
                    if held.id() != anchor.id() {
                        return Err(fail(Rejection::new(
                            Reason::RosterConflict,
                            format!(
                                "version {version} differs from the version {version} this node holds"
                            ),
                        )));
                    }
                    continue;
                }
                if history.in_force().roster().version > version {
                    continue; // superseded by what the node learnt since
                }
            }
            membership.anchor(anchor.clone(), Some(now)).map_err(fail)?;
            self.store.put_roster_entry(RosterEntry {
                alliance: &alliance,
                version,
                record: &HistoryRecord {
                    payload: anchor.payload().clone(),
                    in_force: true,
                },
            })?;
        }
        drop(membership);
        // Roster documents stored before their successor was known are
        // placed now if they can be (a stop may have come in between).
        let oldest: Vec<_> = self
            .membership()
            .histories()
            .filter_map(|h| h.versions().next())
            .map(|(d, _)| (d.roster().alliance.clone(), d.roster().version))
            .collect();
        for (alliance, version) in oldest {
            self.place_stored_history(&alliance, version)?;
        }
        // What a stop may have interrupted: held rosters that can now be
        // placed, and documents of removed members not yet withdrawn.
        self.history_changed.store(true, Ordering::Relaxed);
        self.retry_waiting("restart", &mut Vec::new())?;
        self.withdraw_removed("restart")?;
        self.store.flush()?;
        Ok(())
    }

    /// Refuses to run on a store whose chain for this code was signed by
    /// another key: that would fork the jurisdiction's chain.
    fn check_own_chain(&self) -> Result<(), NodeError> {
        if let Some(hash) = self.store.hash_at(&self.identity.code, 1)? {
            let bytes = self.store.document(&hash)?.unwrap_or_default();
            let held_key = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["issuer_key"].as_str().map(str::to_owned));
            if held_key.as_deref() != Some(self.key.public_hex().as_str()) {
                return Err(NodeError::Identity(format!(
                    "the store holds a chain for {} signed by another key",
                    self.identity.code
                )));
            }
        }
        Ok(())
    }

    /// Signs and stores the jurisdiction declaration if the node's chain is
    /// empty. Returns it when it was made now.
    pub fn declare(&self) -> Result<Option<Document>, PublishError> {
        if self.store.head(&self.identity.code)?.is_some() {
            return Ok(None);
        }
        let decl = JurisdictionDecl {
            code: self.identity.code.clone(),
            name_zh: self.identity.name_zh.clone(),
            name_en: self.identity.name_en.clone(),
            public_key: self.key.public_hex(),
        };
        self.publish(&decl).map(Some)
    }

    /// The payloads of the held documents of `P`'s kind (of one issuer, or
    /// all), in (issuer, seq) order. They were verified when they entered
    /// the store, so they are read, not verified again.
    pub fn held<P: Payload>(
        &self,
        issuer: Option<&JurisdictionCode>,
    ) -> Result<Vec<(deltabench_store::DocMeta, P)>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Envelope<P> {
            payload: P,
        }
        let mut out = Vec::new();
        for meta in self.store.list(Some(P::KIND), issuer)? {
            let Some(bytes) = self.store.document(&meta.hash)? else {
                continue;
            };
            let e: Envelope<P> = serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("{} {}: {e}", P::KIND, meta.hash)))?;
            out.push((meta, e.payload));
        }
        Ok(out)
    }

    /// Sets where documents to pass on to peers go (once; later calls are
    /// ignored). The network layer sets it.
    pub fn set_outbox(&self, outbox: Outbox) {
        let _ = self.outbox.set(outbox);
    }

    fn announce(&self, docs: Vec<Arc<[u8]>>) {
        if let Some(outbox) = self.outbox.get() {
            for d in docs {
                outbox(d);
            }
        }
    }

    /// Who the node is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The node's key.
    pub fn key(&self) -> &NodeKey {
        &self.key
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The current time by the node's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The validation policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A copy of the membership in force.
    pub fn membership(&self) -> Membership {
        self.membership
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes all writes so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush()
    }

    /// Signs `payload` as the next document of the node's chain, stores it and
    /// flushes. Returns only once the document is durable.
    pub fn publish<P: Payload>(&self, payload: &P) -> Result<Document, PublishError> {
        payload.validate().map_err(|e| SignError {
            kind: P::KIND,
            detail: e.to_string(),
        })?;
        let value = serde_json::to_value(payload).map_err(|e| SignError {
            kind: P::KIND,
            detail: e.to_string(),
        })?;
        self.publish_value(P::KIND, value)
    }

    /// [`Node::publish`] for a payload given as JSON, signed as given: a
    /// roster keeps members this node's types do not know, which its
    /// approvals cover.
    pub fn publish_value(
        &self,
        kind: DocKind,
        payload: serde_json::Value,
    ) -> Result<Document, PublishError> {
        if kind == DocKind::Roster {
            self.refuse_own_fork(&payload)?;
        }
        let _guard = lock(&self.publish_lock);
        let head = self.store.head(&self.identity.code)?;
        let header = Header {
            issuer: self.identity.code.clone(),
            seq: head.as_ref().map_or(1, |(seq, _)| seq + 1),
            prev: head.map(|(_, h)| h),
            issued_at: self.clock.now(),
        };
        let doc = Document::sign_value(&self.key, header, kind, payload)?;
        let mut fresh = Vec::new();
        match self.ingest_into(doc.clone(), "self", &mut fresh)? {
            Outcome::Accepted { .. } => {}
            Outcome::Rejected(r) => return Err(PublishError::Refused(r)),
            Outcome::Waiting { .. } => {
                // Not stored: the node's chain must not stall behind it.
                self.store.remove_pending(&self.identity.code, doc.seq)?;
                return Err(PublishError::Refused(Rejection::new(
                    Reason::RosterVersionGap,
                    "the roster does not follow a version this node knows; publish the versions before it first",
                )));
            }
            other => {
                return Err(PublishError::Refused(Rejection::new(
                    Reason::BadChainLink,
                    format!("the node's own document was not stored: {other:?}"),
                )));
            }
        }
        self.store.flush()?;
        self.announce(fresh);
        Ok(doc)
    }

    /// A node does not sign a roster that forks its alliance's history: a
    /// received fork is evidence, but publishing one is a mistake to refuse.
    fn refuse_own_fork(&self, payload: &serde_json::Value) -> Result<(), PublishError> {
        let doc = RosterDoc::from_payload(payload.clone()).map_err(PublishError::Refused)?;
        let placement = self.membership().place_roster(
            &self.identity.code,
            &self.key.public_hex(),
            u64::MAX,
            &DocHash::from_bytes([0; 32]),
            &doc,
            self.clock.now(),
        );
        if let Ok(Placement::Fork(f)) = placement {
            return Err(PublishError::Refused(Rejection::new(
                Reason::RosterConflict,
                format!(
                    "{} version {} is already held with other content (id {}); publishing this one would fork the alliance",
                    f.alliance,
                    f.version,
                    &f.held_id.as_str()[..12]
                ),
            )));
        }
        Ok(())
    }

    /// Validates and stores one received envelope. Not flushed: call
    /// [`Node::flush`] before acknowledging.
    pub fn ingest(&self, bytes: &[u8], source: &str) -> Result<Outcome, StoreError> {
        match Document::decode(bytes, &self.policy.limits) {
            Ok(doc) => self.ingest_document(doc, source),
            Err(r) => self.refuse(r, source, claimed_issuer(bytes)),
        }
    }

    /// Validates and stores envelopes in the order given, one outcome each
    /// (signatures checked on all cores first). Not flushed. The network
    /// layer uses it for gossip, where every message needs its own answer.
    pub fn ingest_many(
        &self,
        envelopes: &[&[u8]],
        source: &str,
    ) -> Result<Vec<Outcome>, StoreError> {
        let decoded: Vec<Result<Document, Rejection>> = envelopes
            .par_iter()
            .map(|bytes| Document::decode(bytes, &self.policy.limits))
            .collect();
        decoded
            .into_iter()
            .zip(envelopes)
            .map(|(d, bytes)| match d {
                Ok(doc) => self.ingest_document(doc, source),
                Err(r) => self.refuse(r, source, claimed_issuer(bytes)),
            })
            .collect()
    }

    /// Imports a bundle of envelopes (each as received), with the same checks
    /// as any other source, then flushes once. Documents are taken in chain
    /// order, so a bundle needs no particular order.
    pub fn ingest_bundle(
        &self,
        envelopes: &[&[u8]],
        source: &str,
    ) -> Result<BundleReport, StoreError> {
        self.ingest_batch(envelopes, source, true)
    }

    /// [`Node::ingest_bundle`] for a page fetched by catch-up sync: the same
    /// checks, but nothing is passed on (the peers have it already), and no
    /// flush: a page is acknowledged to no one, and one lost to a crash
    /// before sled's own flush (every 500 ms) is fetched again. A flush per
    /// page cost catch-up a store sync for every page of every issuer.
    pub fn ingest_synced(
        &self,
        envelopes: &[&[u8]],
        source: &str,
    ) -> Result<BundleReport, StoreError> {
        self.ingest_batch(envelopes, source, false)
    }

    fn ingest_batch(
        &self,
        envelopes: &[&[u8]],
        source: &str,
        pass_on: bool,
    ) -> Result<BundleReport, StoreError> {
        let mut report = BundleReport::default();
        // Rosters first (they decide membership), then chain order, read
        // from what each envelope claims; the full decode checks the claim.
        let mut order: Vec<(bool, String, u64, usize)> = envelopes
            .par_iter()
            .enumerate()
            .map(|(index, bytes)| {
                let c = claimed_position(bytes);
                (c.kind != "roster", c.issuer, c.seq, index)
            })
            .collect();
        order.sort();
        let mut fresh = Vec::new();
        // Decoding (parse, canonical bytes, strict signature, payload checks)
        // is the bulk of the work and needs no lock: spread it over the cores,
        // a slice at a time, so a large bundle never holds every parsed
        // payload at once. The next slice decodes while this thread stores
        // the current one under the ingest lock (never on a pool thread, so a
        // pool thread never waits for the lock).
        let limits = self.policy.limits;
        let decode = |slice: &[Slot]| -> Decoded {
            slice
                .par_iter()
                .map(|&(_, _, _, index)| (index, Document::decode(envelopes[index], &limits)))
                .collect()
        };
        std::thread::scope(|scope| -> Result<(), StoreError> {
            let mut slices = order.chunks(DECODE_SLICE);
            let decode = &decode;
            let start = |slice| start_decode(scope, slice, decode);
            let mut ahead = slices.next().map(start);
            while let Some(next) = ahead.take() {
                let decoded = match next {
                    Ok(handle) => handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    // No thread to spare: decode here.
                    Err(slice) => decode(slice),
                };
                ahead = slices.next().map(start);
                self.store_decoded(decoded, envelopes, source, &mut report, &mut fresh)?;
            }
            Ok(())
        })?;
        report.rejected.sort_by_key(|r| r.index);
        if pass_on {
            // A bundle is acknowledged to whoever sent it: durable first.
            self.store.flush()?;
            self.announce(fresh);
        }
        if envelopes.len() >= DECODE_SLICE {
            release_free_memory();
        }
        Ok(report)
    }

    /// The stateful half for a decoded slice of a batch, in its order,
    /// counted in `report`. The slice holds the ingest lock throughout.
    /// Documents that simply extend a chain (no roster, nothing pending at
    /// or after their seq) are validated against the store plus the run
    /// staged so far, and a run is stored in one transaction; anything else
    /// first commits the run, then takes the single-document path.
    fn store_decoded(
        &self,
        decoded: Decoded,
        envelopes: &[&[u8]],
        source: &str,
        report: &mut BundleReport,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<(), StoreError> {
        let _guard = lock(&self.ingest_lock);
        let mut run = Run::default();
        // Looked up once, and again after any document that may hold one.
        let mut pending = self.store.has_pending()?;
        for (index, result) in decoded {
            let doc = match result {
                Ok(doc) => doc,
                Err(r) => {
                    let issuer = claimed_issuer(envelopes[index]);
                    self.refuse(r.clone(), source, issuer)?;
                    report.rejected.push(BundleRejection {
                        index,
                        reason: r.reason,
                        detail: r.detail,
                    });
                    continue;
                }
            };
            let outcome = if doc.kind == DocKind::Roster {
                // A roster may change the membership: judged after the run.
                self.commit_run(&mut run, source, report, fresh)?;
                self.ingest_under_lock(doc, source, fresh)?
            } else {
                let issuer = doc.issuer.to_string();
                let ledger = Staged {
                    store: &self.store,
                    tips: &run.tips,
                };
                match self.verdict(doc, &ledger) {
                    Verdict::Accept(doc)
                        if !pending
                            || (!self.store.is_pending(&doc.issuer, doc.seq)?
                                && !self.store.is_pending(&doc.issuer, doc.seq + 1)?) =>
                    {
                        run.stage(index, doc);
                        continue;
                    }
                    // Reached against the store as it is once the run is
                    // written, so it holds after the commit.
                    verdict => {
                        self.commit_run(&mut run, source, report, fresh)?;
                        self.settle(verdict, issuer, source, fresh)?
                    }
                }
            };
            count(report, index, outcome);
            pending = self.store.has_pending()?;
        }
        self.commit_run(&mut run, source, report, fresh)
    }

    /// Stores a staged run in one transaction, then does for each document
    /// what [`Node::store_accepted`] does after its write.
    fn commit_run(
        &self,
        run: &mut Run,
        source: &str,
        report: &mut BundleReport,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<(), StoreError> {
        let staged = std::mem::take(run);
        if staged.docs.is_empty() {
            return Ok(());
        }
        let docs: Vec<&Document> = staged.docs.iter().map(|(_, d)| d).collect();
        if !self.store.put_documents(&docs)? {
            // Another writer took a seq (the ingest lock rules that out):
            // one at a time, which tells duplicates from equivocations.
            for (index, doc) in staged.docs {
                let outcome = self.ingest_under_lock(doc, source, fresh)?;
                count(report, index, outcome);
            }
            return Ok(());
        }
        for (_, doc) in staged.docs {
            fresh.push(doc.shared_bytes());
            self.view_accept(&doc);
            self.metrics.accepted.inc();
            self.metrics.held.inc();
            tracing::debug!(kind = %doc.kind, issuer = %doc.issuer, seq = doc.seq, source, "document stored");
            report.accepted += 1;
        }
        Ok(())
    }

    /// The stateful half of validation, and what follows from its verdict.
    pub fn ingest_document(&self, doc: Document, source: &str) -> Result<Outcome, StoreError> {
        self.ingest_into(doc, source, &mut Vec::new())
    }

    /// [`Node::ingest_document`], collecting the envelopes that were new here
    /// (stored, released, or equivocating) in `fresh`.
    fn ingest_into(
        &self,
        doc: Document,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<Outcome, StoreError> {
        let _guard = lock(&self.ingest_lock);
        self.ingest_under_lock(doc, source, fresh)
    }

    /// [`Node::ingest_into`] with the ingest lock already held.
    fn ingest_under_lock(
        &self,
        doc: Document,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<Outcome, StoreError> {
        self.ingest_locked(doc, source, fresh, Release::Followers)
    }

    /// Acts on a verdict reached under the ingest lock, then releases what
    /// an accepted document lets follow.
    fn settle(
        &self,
        verdict: Verdict,
        issuer_claim: String,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<Outcome, StoreError> {
        let position = match &verdict {
            Verdict::Accept(doc) | Verdict::AcceptRoster { doc, .. } => {
                Some((doc.issuer.clone(), doc.seq))
            }
            _ => None,
        };
        let outcome = self.act(verdict, issuer_claim, source, fresh)?;
        if let (Outcome::Accepted { hash, .. }, Some((issuer, seq))) = (&outcome, position) {
            // A stored document may release its held successors, and a roster
            // may let held rosters be placed.
            let mut released = self.release_pending(&issuer, seq, source, fresh)?;
            released += self.retry_waiting(source, fresh)?;
            return Ok(Outcome::Accepted {
                hash: hash.clone(),
                released,
            });
        }
        Ok(outcome)
    }

    /// After a roster history changed, tries again every held roster document
    /// whose predecessor is here (it waited for other versions), and releases
    /// what follows each one placed. Repeats while the history keeps changing.
    fn retry_waiting(&self, source: &str, fresh: &mut Vec<Arc<[u8]>>) -> Result<usize, StoreError> {
        let mut released = 0;
        while self.history_changed.swap(false, Ordering::Relaxed) {
            for bytes in self.store.pending_documents()? {
                let Ok(doc) = Document::decode(&bytes, &self.policy.limits) else {
                    continue;
                };
                let ready = doc.kind == DocKind::Roster
                    && doc.prev.is_some()
                    && self.store.hash_at(&doc.issuer, doc.seq - 1)? == doc.prev;
                if !ready {
                    continue;
                }
                let (issuer, seq) = (doc.issuer.clone(), doc.seq);
                match self.ingest_locked(doc, source, fresh, Release::Not)? {
                    Outcome::Accepted { .. } => {
                        released += 1 + self.release_pending(&issuer, seq, source, fresh)?;
                    }
                    Outcome::Waiting { .. } => {}
                    // Refused (and logged) now: it waits no longer.
                    _ => self.store.remove_pending(&issuer, seq)?,
                }
            }
        }
        Ok(released)
    }

    /// Judges `doc` against the store, the ingest lock held, and acts on
    /// the verdict; with [`Release::Followers`], an accepted document then
    /// releases what it lets follow ([`Node::settle`]). The loops that
    /// release held documents themselves take [`Release::Not`].
    fn ingest_locked(
        &self,
        doc: Document,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
        release: Release,
    ) -> Result<Outcome, StoreError> {
        let issuer = doc.issuer.to_string();
        let verdict = self.verdict(doc, &self.store);
        match release {
            Release::Followers => self.settle(verdict, issuer, source, fresh),
            Release::Not => self.act(verdict, issuer, source, fresh),
        }
    }

    /// What follows from a verdict: store, hold, record evidence, or refuse
    /// (logged under `issuer`).
    fn act(
        &self,
        verdict: Verdict,
        issuer: String,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<Outcome, StoreError> {
        match verdict {
            Verdict::Accept(doc) => self.store_accepted(doc, None, source, fresh),
            Verdict::AcceptRoster {
                doc,
                roster,
                placement,
            } => self.store_accepted(doc, Some((*roster, placement)), source, fresh),
            Verdict::Duplicate(doc) => {
                self.metrics.duplicates.inc();
                Ok(Outcome::Duplicate {
                    hash: doc.hash().clone(),
                })
            }
            Verdict::Pending(doc) => {
                if let Some(outcome) = self.pending_conflict(&doc, source, fresh)? {
                    return Ok(outcome);
                }
                self.store.put_pending(&doc)?;
                self.metrics.pending.set(self.store.pending_count() as i64);
                tracing::debug!(issuer = %doc.issuer, seq = doc.seq, "held until its predecessor arrives");
                Ok(Outcome::Pending {
                    hash: doc.hash().clone(),
                })
            }
            Verdict::Waiting { doc, why } => {
                if let Some(outcome) = self.pending_conflict(&doc, source, fresh)? {
                    return Ok(outcome);
                }
                self.store.put_pending(&doc)?;
                self.metrics.pending.set(self.store.pending_count() as i64);
                tracing::info!(issuer = %doc.issuer, seq = doc.seq, %why, "roster held until its history is known");
                Ok(Outcome::Waiting {
                    hash: doc.hash().clone(),
                })
            }
            Verdict::Equivocation { doc, held } => {
                fresh.push(doc.shared_bytes());
                self.equivocation(doc, &held, source)
            }
            Verdict::Rejected(r) => self.refuse(r, source, Some(issuer)),
        }
    }

    /// Validates `doc` against the membership in force and `ledger`. The
    /// membership's read guard ends here, before the verdict is acted on:
    /// storing a roster takes the write lock.
    fn verdict(&self, doc: Document, ledger: &impl Ledger) -> Verdict {
        let membership = self.membership.read().unwrap_or_else(|e| e.into_inner());
        let checks = Checks {
            limits: self.policy.limits,
            membership: &membership,
            now: self.clock.now(),
            clock_skew_secs_max: self.policy.clock_skew_secs_max,
        };
        validate_document(doc, &checks, ledger)
    }

    /// A document to be held while another, different one is already held
    /// for the same (issuer, seq): equivocation, whether or not the
    /// predecessor is here. The first stays held; both are kept as evidence.
    fn pending_conflict(
        &self,
        doc: &Document,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<Option<Outcome>, StoreError> {
        let Some(bytes) = self.store.pending_at(&doc.issuer, doc.seq)? else {
            return Ok(None);
        };
        let held = match Document::decode(&bytes, &self.policy.limits) {
            Ok(held) => held,
            // A held document that no longer decodes is replaced.
            Err(_) => return Ok(None),
        };
        // Only the same key can equivocate: a document under another key was
        // refused by the membership check, or the held one was.
        if held.hash() == doc.hash() || held.issuer_key != doc.issuer_key {
            return Ok(None);
        }
        fresh.push(doc.shared_bytes());
        let hash = held.hash().clone();
        self.equivocation_with(&bytes, doc.clone(), &hash, source)
            .map(Some)
    }

    fn store_accepted(
        &self,
        doc: Document,
        roster: Option<(RosterDoc, Placement)>,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<Outcome, StoreError> {
        let record = roster.as_ref().and_then(|(r, p)| match p {
            Placement::History => Some(HistoryRecord {
                payload: r.payload().clone(),
                in_force: false,
            }),
            Placement::Next { in_force } => Some(HistoryRecord {
                payload: r.payload().clone(),
                in_force: *in_force,
            }),
            _ => None,
        });
        let entry = roster
            .as_ref()
            .zip(record.as_ref())
            .map(|((r, _), record)| RosterEntry {
                alliance: &r.roster().alliance,
                version: r.roster().version,
                record,
            });
        match self.store.put_document_with(&doc, entry)? {
            Put::Stored => {}
            Put::AlreadyHeld => {
                self.metrics.duplicates.inc();
                return Ok(Outcome::Duplicate {
                    hash: doc.hash().clone(),
                });
            }
            Put::SeqTaken(held) => {
                fresh.push(doc.shared_bytes());
                return self.equivocation(doc, &held, source);
            }
        }
        fresh.push(doc.shared_bytes());
        self.view_accept(&doc);
        self.metrics.accepted.inc();
        self.metrics.held.inc();
        if let Some((r, placement)) = roster {
            self.roster_placed(r, placement, source)?;
        }
        tracing::debug!(kind = %doc.kind, issuer = %doc.issuer, seq = doc.seq, source, "document stored");
        Ok(Outcome::Accepted {
            hash: doc.hash().clone(),
            released: 0,
        })
    }

    /// Acts on where a stored roster document's roster stands: history and
    /// next versions enter the membership; a fork is recorded as evidence.
    fn roster_placed(
        &self,
        r: RosterDoc,
        placement: Placement,
        source: &str,
    ) -> Result<(), StoreError> {
        let (alliance, version) = (r.roster().alliance.clone(), r.roster().version);
        match &placement {
            Placement::Fork(fork) => {
                if self.store.put_roster_fork(fork, self.clock.now())? {
                    self.metrics.evidence("roster_fork");
                    tracing::warn!(%alliance, version, double_approvers = ?fork.double_approvers, source,
                        "roster fork: two different rosters for one version; both kept as evidence");
                }
                return Ok(());
            }
            Placement::Next { in_force: true } => {
                tracing::info!(%alliance, version, "roster version in force")
            }
            Placement::Next { in_force: false } => {
                tracing::warn!(%alliance, version, "roster version had expired when it arrived: kept as history, not in force")
            }
            Placement::History => {
                tracing::info!(%alliance, version, "earlier roster version placed in the history")
            }
            Placement::Same | Placement::Unplaced | Placement::Wait(_) => return Ok(()),
        }
        let in_force = matches!(placement, Placement::Next { in_force: true });
        self.membership
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .apply(r, &placement);
        self.view_rosters();
        self.history_changed.store(true, Ordering::Relaxed);
        if placement == Placement::History {
            self.place_stored_history(&alliance, version)?;
        }
        if in_force {
            self.withdraw_removed(source)?;
        }
        Ok(())
    }

    /// Drops what this node holds of former members' chains from the first
    /// document the membership in force no longer counts (documents it may
    /// have accepted before the removal reached it), so that every node ends
    /// with the same documents. Each is logged and counted as refused,
    /// `not_a_member`. Idempotent: run whenever a roster comes into force and
    /// at start. Never touches this node's own chain, whose next document
    /// must follow what it signed.
    fn withdraw_removed(&self, source: &str) -> Result<(), StoreError> {
        let membership = self.membership();
        let mut from: std::collections::BTreeMap<JurisdictionCode, u64> = Default::default();
        for r in membership.rosters() {
            for f in &r.roster.former {
                if f.code != self.identity.code {
                    let e = from.entry(f.code.clone()).or_insert(f.last_seq);
                    *e = (*e).min(f.last_seq);
                }
            }
        }
        let mut withdrawn = false;
        for (code, last_seq) in from {
            let mut cut = None;
            for bytes in self
                .store
                .range(&code, last_seq.saturating_sub(1), usize::MAX)?
            {
                let doc = Document::decode(&bytes, &self.policy.limits)
                    .map_err(|r| StoreError::Corrupt(format!("a held document: {r}")))?;
                if let Err(r) =
                    membership.check_issuer(&doc.issuer, &doc.issuer_key, doc.seq, doc.hash())
                {
                    cut = Some((doc.seq, r));
                    break;
                }
            }
            let Some((seq, why)) = cut else { continue };
            let gone = self.store.withdraw_from(&code, seq)?;
            for meta in &gone {
                self.metrics.held.dec();
                self.refuse(
                    Rejection::new(
                        Reason::NotAMember,
                        format!(
                            "withdrawn: {} seq {}: {}",
                            meta.issuer, meta.seq, why.detail
                        ),
                    ),
                    source,
                    Some(meta.issuer.to_string()),
                )?;
            }
            tracing::warn!(issuer = %code, count = gone.len(), "documents of a removed member withdrawn");
            withdrawn |= !gone.is_empty();
        }
        if withdrawn {
            // Rare: documents leave the store, so the view is built again.
            self.rebuild_view()?;
        }
        self.metrics.pending.set(self.store.pending_count() as i64);
        Ok(())
    }

    /// After `version` of `alliance` entered the history, places the roster
    /// documents already stored unplaced ([`Placement::Unplaced`]) that it
    /// lets be checked: version - 1, then the one before, while each follows.
    fn place_stored_history(
        &self,
        alliance: &deltabench_model::AllianceId,
        mut version: u64,
    ) -> Result<(), StoreError> {
        'versions: while version > 1 {
            for meta in self.store.list(Some(DocKind::Roster), None)? {
                let Some(bytes) = self.store.document(&meta.hash)? else {
                    continue;
                };
                let Ok(doc) = Document::decode(&bytes, &self.policy.limits) else {
                    continue;
                };
                let Ok(r) = RosterDoc::from_payload(doc.payload()) else {
                    continue;
                };
                if &r.roster().alliance != alliance || r.roster().version != version - 1 {
                    continue;
                }
                let placement = self
                    .membership
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .place_roster(
                        &doc.issuer,
                        &doc.issuer_key,
                        doc.seq,
                        doc.hash(),
                        &r,
                        self.clock.now(),
                    );
                match placement {
                    Ok(Placement::History) => {
                        self.store.put_roster_entry(RosterEntry {
                            alliance,
                            version: version - 1,
                            record: &HistoryRecord {
                                payload: r.payload().clone(),
                                in_force: false,
                            },
                        })?;
                        tracing::info!(%alliance, version = version - 1, "earlier roster version placed in the history");
                        self.membership
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .apply(r, &Placement::History);
                        version -= 1;
                        continue 'versions;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(%alliance, version = version - 1, issuer = %doc.issuer,
                        seq = doc.seq, detail = %e.detail, "a stored roster is not on the verified path: not placed")
                    }
                }
            }
            break;
        }
        Ok(())
    }

    fn equivocation(
        &self,
        doc: Document,
        held: &DocHash,
        source: &str,
    ) -> Result<Outcome, StoreError> {
        let held_bytes = self.store.document(held)?.unwrap_or_default();
        self.equivocation_with(&held_bytes, doc, held, source)
    }

    fn equivocation_with(
        &self,
        held_bytes: &[u8],
        doc: Document,
        held: &DocHash,
        source: &str,
    ) -> Result<Outcome, StoreError> {
        self.store
            .put_equivocation(held_bytes, &doc, self.clock.now())?;
        self.metrics.evidence("equivocation");
        tracing::warn!(issuer = %doc.issuer, seq = doc.seq, source, "equivocation: two documents for one sequence number");
        let r = Rejection::new(
            Reason::Equivocation,
            format!(
                "{} already signed {} at seq {}; both are kept as evidence",
                doc.issuer,
                &held.as_str()[..12],
                doc.seq
            ),
        );
        self.refuse(r, source, Some(doc.issuer.to_string()))
    }

    fn refuse(
        &self,
        r: Rejection,
        source: &str,
        issuer: Option<String>,
    ) -> Result<Outcome, StoreError> {
        self.metrics.reject(r.reason);
        tracing::info!(reason = %r.reason, detail = %r.detail, source, "document refused");
        self.store.record_rejection(&RejectionRecord {
            at: self.clock.now(),
            reason: r.reason,
            detail: r.detail.clone(),
            source: source.to_owned(),
            issuer,
        })?;
        Ok(Outcome::Rejected(r))
    }

    /// Stores held successors of the document just stored at `(issuer, seq)`,
    /// in order. A held successor that turns out invalid is dropped from the
    /// pending set and refused like any other document.
    fn release_pending(
        &self,
        issuer: &JurisdictionCode,
        mut seq: u64,
        source: &str,
        fresh: &mut Vec<Arc<[u8]>>,
    ) -> Result<usize, StoreError> {
        let mut released = 0;
        while let Some(next) = self.store.pending_at(issuer, seq + 1)? {
            let outcome = match Document::decode(&next, &self.policy.limits) {
                Ok(doc) => self.ingest_locked(doc, source, fresh, Release::Not)?,
                Err(r) => self.refuse(r, source, Some(issuer.to_string()))?,
            };
            match outcome {
                Outcome::Accepted { .. } => {
                    released += 1;
                    seq += 1;
                }
                // Held again, now for a roster version it waits for.
                Outcome::Waiting { .. } => break,
                _ => {
                    self.store.remove_pending(issuer, seq + 1)?;
                    break;
                }
            }
        }
        self.metrics.pending.set(self.store.pending_count() as i64);
        Ok(released)
    }
}

/// A run of a batch's documents validated but not yet written: each with
/// its index in the batch, and the chain positions they take.
#[derive(Default)]
struct Run {
    docs: Vec<(usize, Document)>,
    tips: HashMap<(JurisdictionCode, u64), DocHash>,
}

impl Run {
    fn stage(&mut self, index: usize, doc: Document) {
        self.tips
            .insert((doc.issuer.clone(), doc.seq), doc.hash().clone());
        self.docs.push((index, doc));
    }
}

/// The store as it will be once a run is written: what the run's chain
/// checks read.
struct Staged<'a> {
    store: &'a Store,
    tips: &'a HashMap<(JurisdictionCode, u64), DocHash>,
}

impl Ledger for Staged<'_> {
    fn hash_at(&self, issuer: &JurisdictionCode, seq: u64) -> Option<DocHash> {
        let at = |seq| self.tips.get(&(issuer.clone(), seq));
        match at(seq) {
            Some(hash) => Some(hash.clone()),
            // The store holds a chain without gaps: past a seq new in this
            // run, it holds nothing.
            None if seq > 1 && at(seq - 1).is_some() => None,
            None => Ledger::hash_at(self.store, issuer, seq),
        }
    }
}

/// Counts one document's outcome in a batch's report.
fn count(report: &mut BundleReport, index: usize, outcome: Outcome) {
    match outcome {
        Outcome::Accepted { released, .. } => report.accepted += 1 + released,
        Outcome::Duplicate { .. } => report.duplicates += 1,
        Outcome::Pending { .. } | Outcome::Waiting { .. } => report.pending += 1,
        Outcome::Rejected(r) => report.rejected.push(BundleRejection {
            index,
            reason: r.reason,
            detail: r.detail,
        }),
    }
}

/// Whether storing a document goes on to release the held documents it
/// lets follow.
#[derive(Debug, Clone, Copy)]
enum Release {
    /// Release them (and retry held rosters).
    Followers,
    /// Leave that to the caller, which is releasing them already.
    Not,
}

/// How many envelopes of a bundle are decoded together.
const DECODE_SLICE: usize = 256;

/// A decoded slice of a batch: each envelope's index and verdict.
type Decoded = Vec<(usize, Result<Document, Rejection>)>;

/// A batch's sort key and index: rosters first, issuer, seq.
type Slot = (bool, String, u64, usize);

/// Starts decoding `slice` on a thread of `scope`; gives the slice back when
/// no thread can be started.
fn start_decode<'scope, 'env, F>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    slice: &'env [Slot],
    decode: &'env F,
) -> Result<std::thread::ScopedJoinHandle<'scope, Decoded>, &'env [Slot]>
where
    F: Fn(&[Slot]) -> Decoded + Sync,
{
    std::thread::Builder::new()
        .name("ingest-decode".into())
        .spawn_scoped(scope, move || decode(slice))
        .map_err(|_| slice)
}

/// Where an envelope says it belongs, read without decoding its payload;
/// empty or zero where it does not say (the decode then refuses it).
struct Position {
    kind: String,
    issuer: String,
    seq: u64,
}

fn claimed_position(bytes: &[u8]) -> Position {
    if let Some(position) = canonical_position(bytes) {
        return position;
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Claim {
        kind: String,
        issuer: String,
        seq: u64,
    }
    let c = serde_json::from_slice::<Claim>(bytes).unwrap_or_default();
    Position {
        kind: c.kind,
        issuer: c.issuer,
        seq: c.seq,
    }
}

/// [`claimed_position`] read by place from an envelope laid out as a
/// canonical one is (members in name order, no white space, these members
/// unescaped), which spares a parse of the whole envelope; `None` for any
/// other layout. What it reads only orders the batch: the decode checks it.
fn canonical_position(bytes: &[u8]) -> Option<Position> {
    /// The text up to the next quote, and what follows that quote.
    fn quoted(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let end = b.iter().position(|&c| c == b'"' || c == b'\\')?;
        (b[end] == b'"').then(|| (&b[..end], &b[end + 1..]))
    }
    fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).rposition(|w| w == needle)
    }
    let rest = bytes.strip_prefix(b"{\"issued_at\":\"")?;
    let (_, rest) = quoted(rest)?;
    let (issuer, rest) = quoted(rest.strip_prefix(b",\"issuer\":\"")?)?;
    let (_, rest) = quoted(rest.strip_prefix(b",\"issuer_key\":\"")?)?;
    let (kind, rest) = quoted(rest.strip_prefix(b",\"kind\":\"")?)?;
    if !rest.starts_with(b",\"payload\":") {
        return None;
    }
    // The tail: `,"seq":N,"signature":"…"}`.
    let tail = bytes.strip_suffix(b"\"}")?;
    let signature = rfind(tail, b",\"signature\":\"")?;
    let before = &tail[..signature];
    let digits = &before[rfind(before, b",\"seq\":")? + b",\"seq\":".len()..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > 19 {
        return None;
    }
    Some(Position {
        kind: String::from_utf8(kind.to_vec()).ok()?,
        issuer: String::from_utf8(issuer.to_vec()).ok()?,
        seq: std::str::from_utf8(digits).ok()?.parse().ok()?,
    })
}

/// Hands memory the allocator keeps free back to the system: after a large
/// bundle, glibc would otherwise hold on to what its decoding used.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own
    // arenas; it reads no pointer of ours.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The issuer an undecodable envelope claims, for the rejection log.
fn claimed_issuer(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Claim {
        issuer: String,
    }
    serde_json::from_slice::<Claim>(bytes)
        .ok()
        .map(|c| c.issuer.chars().take(16).collect())
}

#[cfg(test)]
mod tests;
