//! Crosswalks, endorsements and the harmonised view of a node.
//!
//! The view ([`deltabench_engine::view::View`]) is built from the store once,
//! when the node opens, and then takes each document as the node accepts it
//! (under the ingest lock, in the same step as the store write), and each
//! change of the rosters in force. Readers share it behind a read lock that
//! a writer holds only for one document's update (microseconds); the one
//! whole rebuild after start, when a removed member's documents are
//! withdrawn, is built beside the live view and swapped in.
//!
//! Comparison answers are cached as JSON bytes per (indicator, period,
//! include_flagged), each with the stamps it read; a cached answer is served
//! while [`View::still_valid`] says nothing it read has changed.

use crate::local::LocalError;
use crate::{Node, lock};
use deltabench_engine::Held;
use deltabench_engine::answer;
use deltabench_engine::compare::CompareError;
use deltabench_engine::recognition::AllianceView;
use deltabench_engine::view::{Deps, Doc, Revalidation, View};
use deltabench_model::comparison::{CrosswalkRecord, CrosswalkStatus};
use deltabench_model::documents::{
    Crosswalk, Decision, DocKind, Endorsement, Framework, Payload, Summary,
};
use deltabench_model::{CrosswalkId, IndicatorRef, InvalidField, Period};
use deltabench_store::StoreError;
use deltabench_trust::{Document, Rejection};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

/// The most bytes of comparison answers kept in the cache.
const CACHE_BYTES: usize = 64 << 20;

/// A comparison answer as JSON, with its manifest hash.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The comparison, serialised (shared, never copied: the cache and
    /// every response hold the same bytes).
    pub json: bytes::Bytes,
    /// Its manifest hash (the same on every node holding the same inputs).
    pub manifest: Arc<str>,
    /// BLAKE3 of `json`, hex: an entity tag that changes whenever a byte of
    /// the answer does (a member's reason for having no row is not in the
    /// manifest).
    pub digest: Arc<str>,
}

impl Answer {
    /// The answer of these bytes (a comparison's, from
    /// [`answer::to_json`]).
    fn of(json: Vec<u8>) -> Self {
        // The manifest's 64 digits end the bytes, before `"}`.
        let manifest = json
            .len()
            .checked_sub(66)
            .and_then(|at| std::str::from_utf8(&json[at..json.len() - 2]).ok())
            .unwrap_or_default()
            .into();
        Answer {
            digest: blake3::hash(&json).to_hex().as_str().into(),
            manifest,
            json: json.into(),
        }
    }
}

/// A cached comparison answer: what it read, and the answer.
type Cached = (Deps, Answer);

/// The node's harmonised view and its answer cache.
#[derive(Default)]
pub(crate) struct ViewSlot {
    /// A `parking_lot` lock: a reader of a cached answer may join the
    /// readers already in while a document's update waits for them
    /// (`try_read_recursive`), so one long computation followed by a waiting
    /// update never stalls the cached answers.
    view: parking_lot::RwLock<View>,
    /// Set once the view was built from the store; updates before that are
    /// skipped (the build reads them from the store).
    ready: AtomicBool,
    cache: RwLock<AnswerCache>,
    /// The questions being computed now, and a signal when one is done.
    computing: Mutex<HashSet<(IndicatorRef, Period, bool)>>,
    computed: Condvar,
}

/// The right to compute one answer; handed back (and waiters woken) when
/// dropped, also when the computation fails.
struct Turn<'a> {
    slot: &'a ViewSlot,
    key: (IndicatorRef, Period, bool),
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        lock(&self.slot.computing).remove(&self.key);
        self.slot.computed.notify_all();
    }
}

#[derive(Default)]
struct AnswerCache {
    entries: HashMap<(IndicatorRef, Period, bool), Cached>,
    bytes: usize,
}

impl Node {
    /// The harmonised view of the documents held, for reading. A reader
    /// waits at most for one document's update, never for a rebuild.
    pub fn view(&self) -> parking_lot::RwLockReadGuard<'_, View> {
        self.view.view.read()
    }

    /// The comparison of `r` in `period` as JSON, from the cache while
    /// nothing it read has changed.
    pub fn comparison_json(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<Answer, CompareError> {
        let key = (r.clone(), period, include_flagged);
        // One computation per question at a time: a request that finds the
        // same answer being computed waits for it rather than computing it
        // again beside it.
        let _turn = loop {
            if let Some(answer) = self.cached(&self.view(), &key) {
                return Ok(answer);
            }
            let mut busy = lock(&self.view.computing);
            if busy.insert(key.clone()) {
                break Turn {
                    slot: &self.view,
                    key: key.clone(),
                };
            }
            while busy.contains(&key) {
                busy = self
                    .view
                    .computed
                    .wait(busy)
                    .unwrap_or_else(|e| e.into_inner());
            }
        };
        let view = self.view();
        if let Some(answer) = self.cached(&view, &key) {
            return Ok(answer);
        }
        let prior = self
            .view
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .get(&key)
            .cloned();
        // The answer it replaces, if any, tells the size to expect: the
        // bytes are written once rather than copied as the buffer grows.
        let size_hint = prior
            .as_ref()
            .map_or(64 << 10, |(_, a)| a.json.len() + 4096);
        // An answer that only gained endorsements is amended in place of
        // being computed again.
        let amended = prior.and_then(|(deps, old)| match view.revalidate(&deps) {
            Revalidation::Same(now) => Some((now, old, "same")),
            Revalidation::Inputs(added, now) => {
                let json = answer::with_inputs(&old.json, &added, now.manifest_head())?;
                Some((now, Answer::of(json), "amended"))
            }
            Revalidation::Stale => None,
        });
        let (answer, deps) = match amended {
            Some((deps, answer, how)) => {
                drop(view);
                self.metrics.comparison(how);
                (answer, deps)
            }
            None => {
                let (comparison, deps) = view.compare_with_deps(r, period, include_flagged)?;
                drop(view);
                self.metrics.comparison("miss");
                (Answer::of(answer::to_json(&comparison, size_hint)), deps)
            }
        };
        let size = answer.json.len();
        let mut cache = self.view.cache.write().unwrap_or_else(|e| e.into_inner());
        if size <= CACHE_BYTES / 4 {
            while cache.bytes + size > CACHE_BYTES {
                let Some(k) = cache.entries.keys().next().cloned() else {
                    break;
                };
                if let Some((_, a)) = cache.entries.remove(&k) {
                    cache.bytes -= a.json.len();
                }
            }
            cache.bytes += size;
            if let Some((_, old)) = cache.entries.insert(key, (deps, answer.clone())) {
                cache.bytes -= old.json.len();
            }
        }
        Ok(answer)
    }

    /// The cached answer, when it is still valid and can be had without
    /// waiting: `None` while a document's update holds the view, or when
    /// the answer must be computed ([`Node::comparison_json`]). For
    /// answering on a thread that must not block.
    pub fn cached_comparison(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Option<Answer> {
        let view = self.view.view.try_read_recursive()?;
        self.cached(&view, &(r.clone(), period, include_flagged))
    }

    fn cached(&self, view: &View, key: &(IndicatorRef, Period, bool)) -> Option<Answer> {
        let cache = self.view.cache.read().unwrap_or_else(|e| e.into_inner());
        let (deps, answer) = cache.entries.get(key)?;
        if !view.still_valid(deps) {
            return None;
        }
        self.metrics.comparison("hit");
        Some(answer.clone())
    }

    /// The rosters in force, as the engine reads them.
    fn alliance_views(&self) -> Vec<AllianceView> {
        self.membership()
            .roster_docs()
            .map(|d| {
                let r = d.roster();
                AllianceView {
                    id: r.alliance.clone(),
                    version: r.version,
                    members: r.members.iter().map(|m| m.code.clone()).collect(),
                    reference_framework: r.reference_framework.clone(),
                    recognition_quorum: r.recognition_quorum,
                    digest: d.id().to_string(),
                }
            })
            .collect()
    }

    /// Builds the view from every document held and puts it in place of the
    /// current one. Readers go on with the current view meanwhile. Called
    /// under the ingest lock (or before the node serves), so no document is
    /// accepted between the read and the swap.
    pub(crate) fn rebuild_view(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let inputs = deltabench_engine::compare::Inputs {
            frameworks: self.held_docs::<Framework>()?,
            summaries: self.held_docs::<Summary>()?,
            crosswalks: self.held_docs::<Crosswalk>()?,
            endorsements: self.held_docs::<Endorsement>()?,
            alliances: self.alliance_views(),
        };
        let view = View::build(inputs);
        tracing::info!(
            documents = view.documents(),
            ms = started.elapsed().as_millis() as u64,
            "harmonised view built from the store"
        );
        *self.view.view.write() = view;
        self.view.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Takes a newly stored document into the view.
    pub(crate) fn view_accept(&self, doc: &Document) {
        if !self.view.ready.load(Ordering::Acquire) {
            return;
        }
        // The payload as the decode checks read it: no second parse.
        fn held<P: Payload + Clone + 'static>(doc: &Document) -> Result<Held<P>, Rejection> {
            Ok(Held {
                hash: doc.hash().clone(),
                issuer: doc.issuer.clone(),
                seq: doc.seq,
                issued_at: doc.issued_at,
                payload: doc.payload_as()?,
            })
        }
        let parsed = match doc.kind {
            DocKind::Framework => held(doc).map(Doc::Framework),
            DocKind::Summary => held(doc).map(Doc::Summary),
            DocKind::Crosswalk => held(doc).map(Doc::Crosswalk),
            DocKind::Endorsement => held(doc).map(Doc::Endorsement),
            _ => return,
        };
        match parsed {
            Ok(d) => self.view.view.write().apply(d),
            // Checked against its schema on entry, so this is a defect; the
            // document stays held and the next start reads it.
            Err(e) => tracing::error!(kind = %doc.kind, hash = %doc.hash(), error = %e,
                "a stored document could not be read into the harmonised view"),
        }
    }

    /// Puts the rosters now in force into the view.
    pub(crate) fn view_rosters(&self) {
        if !self.view.ready.load(Ordering::Acquire) {
            return;
        }
        let alliances = self.alliance_views();
        self.view.view.write().set_alliances(alliances);
    }

    /// The held documents of `P`'s kind, decoded on all cores (each read
    /// once; they were verified when they entered the store).
    fn held_docs<P: Payload + Send>(&self) -> Result<Vec<Held<P>>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Envelope<P> {
            issuer: deltabench_model::JurisdictionCode,
            seq: u64,
            issued_at: deltabench_model::Timestamp,
            payload: P,
        }
        self.store()
            .of_kind(P::KIND)?
            .into_par_iter()
            .map(|(hash, bytes)| {
                let e: Envelope<P> = serde_json::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("{} {hash}: {e}", P::KIND)))?;
                Ok(Held {
                    hash,
                    issuer: e.issuer,
                    seq: e.seq,
                    issued_at: e.issued_at,
                    payload: e.payload,
                })
            })
            .collect()
    }

    /// Checks, signs and publishes a crosswalk proposed by this node, and,
    /// when `endorse` is set, this node's acceptance of it. A `version` of 0
    /// means "the next version": 1 for a new id, else one more than the
    /// highest held.
    pub fn propose_crosswalk(
        &self,
        mut c: Crosswalk,
        endorse: bool,
    ) -> Result<(Document, Option<Document>), LocalError> {
        let _guard = lock(&self.local_lock);
        // The view's read guard must be gone before publishing, which
        // updates the view.
        let view = self.view();
        let same_id: Vec<CrosswalkRecord> = view.crosswalk_versions(&c.id);
        // The id belongs to the issuer of its earliest version, as in
        // recognition; versions others issued under it do not count.
        let owner = same_id
            .iter()
            .min_by(|a, b| {
                (a.crosswalk.version, a.issued_at.unix(), &a.hash).cmp(&(
                    b.crosswalk.version,
                    b.issued_at.unix(),
                    &b.hash,
                ))
            })
            .map(|r| r.issuer.clone());
        if let Some(other) = owner.as_ref().filter(|o| *o != &self.identity().code) {
            return Err(LocalError::Conflict(format!(
                "the crosswalk id {} belongs to {other}; choose another id",
                c.id
            )));
        }
        let highest = same_id
            .iter()
            .filter(|r| r.issuer == self.identity().code)
            .map(|r| r.crosswalk.version)
            .max();
        match (c.version, highest) {
            (0, h) => c.version = h.unwrap_or(0) + 1,
            (v, Some(h)) if v <= h => {
                return Err(LocalError::Conflict(format!(
                    "version {v} of {} is not newer than the held version {h}",
                    c.id
                )));
            }
            _ => {}
        }
        c.validate().map_err(LocalError::Invalid)?;
        deltabench_engine::transform::check(&c.transform).map_err(LocalError::Invalid)?;
        let known = |framework: &deltabench_model::FrameworkId,
                     code: &deltabench_model::IndicatorCode,
                     field: &str|
         -> Result<Vec<semver::Version>, LocalError> {
            let versions = view.framework_versions(framework);
            if versions.is_empty() {
                return Err(LocalError::Invalid(InvalidField::new(
                    format!("{field}.framework"),
                    format!("no version of framework {framework} is held"),
                )));
            }
            let with: Vec<semver::Version> = versions
                .iter()
                .filter(|f| f.payload.indicator(code).is_some())
                .map(|f| f.payload.version.clone())
                .collect();
            if with.is_empty() {
                return Err(LocalError::Invalid(InvalidField::new(
                    format!("{field}.indicator"),
                    format!("{code} is not an indicator of any held version of {framework}"),
                )));
            }
            Ok(with)
        };
        let source_versions = known(&c.source.framework, &c.source.indicator, "source")?;
        if !source_versions.iter().any(|v| c.source.versions.matches(v)) {
            let list: Vec<String> = source_versions.iter().map(|v| v.to_string()).collect();
            return Err(LocalError::Invalid(InvalidField::new(
                "source.versions",
                format!(
                    "{} matches none of the held versions of {} with {} ({})",
                    c.source.versions,
                    c.source.framework,
                    c.source.indicator,
                    list.join(", ")
                ),
            )));
        }
        known(&c.target.framework, &c.target.code, "target")?;
        drop(view);
        if c.source.framework == c.target.framework {
            return Err(LocalError::Invalid(InvalidField::new(
                "target",
                "is in the source framework; a crosswalk maps between two frameworks",
            )));
        }
        let doc = self.publish(&c)?;
        let endorsement = if endorse {
            Some(self.publish(&Endorsement {
                crosswalk: c.id.clone(),
                crosswalk_hash: doc.hash().clone(),
                decision: Decision::Accept,
                comment: Some("proposed by this jurisdiction".into()),
            })?)
        } else {
            None
        };
        Ok((doc, endorsement))
    }

    /// Signs and publishes this node's decision on the current version of
    /// crosswalk `id` (or on `version`, which must be the current one).
    /// Returns the endorsement and the crosswalk's state after it.
    pub fn endorse_crosswalk(
        &self,
        id: &CrosswalkId,
        version: Option<u32>,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<(Document, CrosswalkRecord), LocalError> {
        let _guard = lock(&self.local_lock);
        let records: Vec<CrosswalkRecord> = self.view().crosswalk_versions(id);
        let current = records
            .iter()
            .find(|r| r.status != CrosswalkStatus::Superseded)
            .ok_or_else(|| LocalError::NotFound(format!("no crosswalk {id} is held")))?;
        if let Some(v) = version {
            if v != current.crosswalk.version {
                return Err(LocalError::Conflict(format!(
                    "version {v} of {id} is not the current one ({}); endorse the current version",
                    current.crosswalk.version
                )));
            }
        }
        let code = &self.identity().code;
        let counts = current.sides.iter().any(|s| match s.owner.as_deref() {
            Some(o) if o == code.as_str() => true,
            Some(o) => self
                .membership()
                .rosters()
                .any(|r| r.roster.alliance.as_str() == o && r.roster.member(code).is_some()),
            None => false,
        });
        if !counts {
            return Err(LocalError::Conflict(format!(
                "{code} owns neither side of {id} and is not a member of an alliance that does, so its endorsement would not count"
            )));
        }
        if let Some(c) = &comment {
            if c.chars().count() > 4000 {
                return Err(LocalError::Invalid(InvalidField::new(
                    "comment",
                    "is longer than 4000 characters",
                )));
            }
        }
        let doc = self.publish(&Endorsement {
            crosswalk: id.clone(),
            crosswalk_hash: current.hash.clone(),
            decision,
            comment,
        })?;
        let after = self
            .view()
            .crosswalk_record(&current.hash)
            .ok_or_else(|| LocalError::NotFound(format!("no crosswalk {id} is held")))?;
        Ok((doc, after))
    }
}
