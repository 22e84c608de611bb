//! The node's durable store: signed documents and their indexes on sled.
//!
//! [`Store`] keeps the canonical signed bytes of every document, indexed by
//! hash, by issuer and sequence, and by kind, together with documents waiting
//! for a missing predecessor, equivocation evidence and a bounded log of
//! rejections. Every multi-key change is one sled transaction, so a crash
//! leaves either all of a document's index entries or none.
//!
//! Writes are not durable until [`Store::flush`] returns: callers acknowledge a
//! write only after flushing. `flush` blocks; async code calls it from
//! `spawn_blocking`.
//!
//! [`backup`] writes and restores the whole node (store and files) as one
//! checksummed file.
//!
//! ```
//! use deltabench_store::Store;
//! let store = Store::open_temporary().unwrap();
//! assert_eq!(store.document_count(), 0);
//! store.flush().unwrap();
//! ```
#![deny(missing_docs)]

pub mod backup;
pub mod debt;
pub mod hotline;
mod keys;
pub mod local;
pub mod public;
pub mod warnings;

use deltabench_model::documents::DocKind;
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, Timestamp};
use deltabench_trust::roster::{HistoryRecord, RosterFork};
use deltabench_trust::{Document, Ledger, Reason};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::{Transactional, Tree};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tree names. They are part of the on-disk format.
mod trees {
    pub const DOCS: &str = "docs";
    pub const BY_ISSUER: &str = "by_issuer";
    pub const BY_KIND: &str = "by_kind";
    pub const PENDING: &str = "pending";
    pub const EVIDENCE: &str = "evidence";
    pub const REJECTIONS: &str = "rejections";
    pub const REJECTION_COUNTS: &str = "rejection_counts";
    pub const ROSTER_HISTORY: &str = "roster_history";
    pub const ROSTER_FORKS: &str = "roster_forks";
}

/// How many rejection records the log keeps; older ones are pruned. Counts by
/// reason are kept for ever in a separate tree.
pub const REJECTION_LOG_LEN_MAX: u64 = 10_000;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database (a node is running on it).
    #[error("the data directory {0} is in use by another process (is the node running?)")]
    Locked(String),
    /// The storage engine failed: disk full, read-only, corrupted, ...
    #[error("storage failure: {0}")]
    Engine(String),
    /// A stored record could not be decoded.
    #[error("a stored record is damaged: {0}")]
    Corrupt(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Engine(e.to_string())
    }
}

/// The outcome of storing a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// Stored with all its indexes.
    Stored,
    /// The same document was already held.
    AlreadyHeld,
    /// Another document holds this issuer and sequence (found by the
    /// transaction, so a race between two ingests is caught too).
    SeqTaken(DocHash),
}

/// Index data of a held document, without its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocMeta {
    /// The document's hash.
    pub hash: DocHash,
    /// Its kind.
    pub kind: DocKind,
    /// Its issuer.
    pub issuer: JurisdictionCode,
    /// Its sequence number.
    pub seq: u64,
    /// The issue time it states.
    pub issued_at: Timestamp,
}

/// Where a document stands in the listings: its issuer and sequence
/// number. A page of a listing ends at one, and the next page starts after
/// it. Written `ISSUER:SEQ` (`320585:17`) in the API's cursors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The issuer.
    pub issuer: JurisdictionCode,
    /// The sequence number.
    pub seq: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.issuer, self.seq)
    }
}

impl std::str::FromStr for Position {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("a cursor is ISSUER:SEQ, such as 320585:17, not {s:?}");
        let (issuer, seq) = s.split_once(':').ok_or_else(bad)?;
        Ok(Position {
            issuer: JurisdictionCode::new(issuer).map_err(|e| format!("{}: {e}", bad()))?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

/// A page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in listing order.
    pub items: Vec<T>,
    /// Where the next page starts (after this position); `None` on the last.
    pub next: Option<Position>,
}

/// Two documents signed by one issuer for the same sequence number.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Equivocation {
    /// The issuer that signed both.
    pub issuer: JurisdictionCode,
    /// The sequence number both claim.
    pub seq: u64,
    /// When this node noticed.
    pub recorded_at: Timestamp,
    /// The two signed envelopes: the one held first, then the conflicting one.
    pub documents: [serde_json::Value; 2],
}

/// A roster history record to store, under its alliance and version.
#[derive(Debug, Clone, Copy)]
pub struct RosterEntry<'a> {
    /// The alliance.
    pub alliance: &'a AllianceId,
    /// The roster version.
    pub version: u64,
    /// The record.
    pub record: &'a HistoryRecord,
}

/// A roster fork as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RosterForkRecord {
    /// When this node noticed.
    pub recorded_at: Timestamp,
    /// The two rosters and who approved both.
    #[serde(flatten)]
    pub fork: RosterFork,
}

fn roster_key(alliance: &AllianceId, version: u64) -> Vec<u8> {
    let mut k = alliance.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// One refused document, as logged.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectionRecord {
    /// When it was refused.
    pub at: Timestamp,
    /// The stable reason.
    pub reason: Reason,
    /// What exactly was wrong.
    pub detail: String,
    /// Where it came from: `bundle`, `gossip`, `sync`, ...
    pub source: String,
    /// The claimed issuer, when the envelope could be read that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// The node's store.
pub struct Store {
    db: sled::Db,
    docs: Tree,
    by_issuer: Tree,
    by_kind: Tree,
    pending: Tree,
    evidence: Tree,
    rejections: Tree,
    rejection_counts: Tree,
    /// `alliance || 0x00 || version` → the history record of that roster
    /// version, as the node decided it on arrival.
    roster_history: Tree,
    /// `alliance || 0x00 || version || id` → a roster fork.
    roster_forks: Tree,
    /// Rejection records written since open, to prune the log without
    /// counting the tree (sled's `len` walks every key).
    rejections_logged: AtomicU64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// sled's page cache size. The default (1 GiB) would let the cache grow close
/// to the data size on a small server.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let config = sled::Config::new().path(dir).cache_capacity(CACHE_BYTES);
        Self::from_config(config).map_err(|e| match e {
            StoreError::Engine(m) if m.contains("acquire lock") || m.contains("WouldBlock") => {
                StoreError::Locked(dir.display().to_string())
            }
            other => other,
        })
    }

    /// [`Store::open`], after waiting until nothing holds the store in
    /// `dir`. When the last handle of a store is dropped, sled's I/O threads
    /// can hold its file lock a moment longer; this waits on that lock (the
    /// lock sled takes, held by the kernel until released) rather than
    /// failing with [`StoreError::Locked`]. For reopening a store this
    /// process has just closed; it blocks for as long as a running node
    /// holds the directory.
    pub fn open_waiting(dir: &Path) -> Result<Self, StoreError> {
        use fs2::FileExt;
        match std::fs::File::open(dir.join("db")) {
            Ok(file) => {
                file.lock_exclusive().map_err(|e| {
                    StoreError::Engine(format!("waiting for the store's lock: {e}"))
                })?;
                // Closing the file releases the lock for sled to take.
                drop(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::Engine(e.to_string())),
        }
        Self::open(dir)
    }

    /// A store in a temporary directory that disappears when dropped.
    pub fn open_temporary() -> Result<Self, StoreError> {
        Self::from_config(sled::Config::new().temporary(true))
    }

    fn from_config(config: sled::Config) -> Result<Self, StoreError> {
        let db = config.open()?;
        let open = |name: &str| db.open_tree(name);
        let store = Store {
            docs: open(trees::DOCS)?,
            by_issuer: open(trees::BY_ISSUER)?,
            by_kind: open(trees::BY_KIND)?,
            pending: open(trees::PENDING)?,
            evidence: open(trees::EVIDENCE)?,
            rejections: open(trees::REJECTIONS)?,
            rejection_counts: open(trees::REJECTION_COUNTS)?,
            roster_history: open(trees::ROSTER_HISTORY)?,
            roster_forks: open(trees::ROSTER_FORKS)?,
            rejections_logged: AtomicU64::new(0),
            db,
        };
        Ok(store)
    }

    /// Makes every write so far durable. Blocks until the disk confirms.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// The underlying database, for other crates' trees (local appraisal data).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    // ------------------------------------------------------------- documents

    /// Stores a verified document and its index entries atomically. Not
    /// durable until [`Store::flush`].
    pub fn put_document(&self, doc: &Document) -> Result<Put, StoreError> {
        self.put_document_with(doc, None)
    }

    /// [`Store::put_document`], writing a roster history record in the same
    /// transaction: the document and what it changed in the alliance's history
    /// are stored together or not at all.
    pub fn put_document_with(
        &self,
        doc: &Document,
        roster: Option<RosterEntry<'_>>,
    ) -> Result<Put, StoreError> {
        let hash = doc.hash().to_bytes();
        let issuer_key = keys::issuer_seq(&doc.issuer, doc.seq);
        let kind_key = keys::kind_issuer_seq(doc.kind, &doc.issuer, doc.seq);
        let bytes = doc.bytes();
        let history = roster
            .map(|r| {
                serde_json::to_vec(r.record)
                    .map(|v| (roster_key(r.alliance, r.version), v))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()?;
        // Only the trees this document touches take part: a transaction
        // costs per tree, and most documents clear no pending entry and
        // carry no roster. Writers are serialised by the caller (the node's
        // ingest lock), so a pending entry cannot appear between this look
        // and the commit.
        let clears_pending = self.pending.contains_key(issuer_key)?;
        let mut trees = vec![
            self.docs.clone(),
            self.by_issuer.clone(),
            self.by_kind.clone(),
        ];
        if clears_pending {
            trees.push(self.pending.clone());
        }
        if history.is_some() {
            trees.push(self.roster_history.clone());
        }
        let result = trees.as_slice().transaction(|t| {
            let (docs, by_issuer, by_kind) = (&t[0], &t[1], &t[2]);
            if let Some(held) = by_issuer.get(issuer_key)? {
                return if held.as_ref() == hash {
                    Ok(Put::AlreadyHeld)
                } else {
                    let held =
                        keys::hash_from(&held).map_err(ConflictableTransactionError::Abort)?;
                    Ok(Put::SeqTaken(held))
                };
            }
            docs.insert(&hash[..], bytes)?;
            by_issuer.insert(&issuer_key[..], &hash[..])?;
            by_kind.insert(kind_key.as_slice(), &hash[..])?;
            let mut rest = t[3..].iter();
            if clears_pending && let Some(pending) = rest.next() {
                pending.remove(&issuer_key[..])?;
            }
            if let (Some((k, v)), Some(roster_history)) = (&history, rest.next()) {
                roster_history.insert(k.as_slice(), v.as_slice())?;
            }
            Ok(Put::Stored)
        });
        result.map_err(tx_error)
    }

    /// Stores verified documents and their index entries in one
    /// transaction: all of them, or none. For a run of a batch that carries
    /// no roster and clears no pending entry (the caller checks both).
    /// Returns false, with nothing written, when one's (issuer, seq) is
    /// taken; the caller then stores them one at a time, which tells a
    /// duplicate from an equivocation. Not durable until [`Store::flush`].
    /// One transaction per run rather than per document: sled's
    /// transactions cost far more than their writes.
    pub fn put_documents(&self, docs: &[&Document]) -> Result<bool, StoreError> {
        let trees = [
            self.docs.clone(),
            self.by_issuer.clone(),
            self.by_kind.clone(),
        ];
        let entries: Vec<_> = docs
            .iter()
            .map(|doc| {
                (
                    doc.hash().to_bytes(),
                    keys::issuer_seq(&doc.issuer, doc.seq),
                    keys::kind_issuer_seq(doc.kind, &doc.issuer, doc.seq),
                    doc.bytes(),
                )
            })
            .collect();
        // A chain is held without gaps (withdrawals take its newest first),
        // so a seq whose predecessor is new in this run is free: only the
        // first of each issuer's run is looked up.
        let follows: Vec<bool> = docs
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                i > 0 && docs[i - 1].issuer == doc.issuer && docs[i - 1].seq + 1 == doc.seq
            })
            .collect();
        let result = trees.as_slice().transaction(|t| {
            let (docs, by_issuer, by_kind) = (&t[0], &t[1], &t[2]);
            for ((hash, issuer_key, kind_key, bytes), follows) in entries.iter().zip(&follows) {
                if !follows && by_issuer.get(issuer_key)?.is_some() {
                    return Err(ConflictableTransactionError::Abort(SEQ_TAKEN.to_string()));
                }
                docs.insert(&hash[..], *bytes)?;
                by_issuer.insert(&issuer_key[..], &hash[..])?;
                by_kind.insert(kind_key.as_slice(), &hash[..])?;
            }
            Ok(())
        });
        match result {
            Ok(()) => Ok(true),
            Err(TransactionError::Abort(m)) if m == SEQ_TAKEN => Ok(false),
            Err(e) => Err(tx_error(e)),
        }
    }

    /// Whether any document is held pending.
    pub fn has_pending(&self) -> Result<bool, StoreError> {
        Ok(!self.pending.is_empty())
    }

    /// Whether a document is held pending at `(issuer, seq)`.
    pub fn is_pending(&self, issuer: &JurisdictionCode, seq: u64) -> Result<bool, StoreError> {
        Ok(self.pending.contains_key(keys::issuer_seq(issuer, seq))?)
    }

    // -------------------------------------------------------- roster history

    /// Stores a roster history record outside a document (a configured
    /// anchor).
    pub fn put_roster_entry(&self, entry: RosterEntry<'_>) -> Result<(), StoreError> {
        let v = serde_json::to_vec(entry.record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.roster_history
            .insert(roster_key(entry.alliance, entry.version), v)?;
        Ok(())
    }

    /// Every roster history record, by alliance and then version.
    pub fn roster_entries(&self) -> Result<Vec<HistoryRecord>, StoreError> {
        self.roster_history
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// Records a roster fork. Returns false when it was recorded before.
    pub fn put_roster_fork(&self, fork: &RosterFork, now: Timestamp) -> Result<bool, StoreError> {
        let mut key = roster_key(&fork.alliance, fork.version);
        key.extend_from_slice(&fork.conflicting_id.to_bytes());
        if self.roster_forks.contains_key(&key)? {
            return Ok(false);
        }
        let record = RosterForkRecord {
            recorded_at: now,
            fork: fork.clone(),
        };
        let v = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.roster_forks.insert(key, v)?;
        Ok(true)
    }

    /// Every recorded roster fork.
    pub fn roster_forks(&self) -> Result<Vec<RosterForkRecord>, StoreError> {
        self.roster_forks
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// The canonical bytes of the document with this hash.
    pub fn document(&self, hash: &DocHash) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.docs.get(hash.to_bytes())?.map(|v| v.to_vec()))
    }

    /// Whether the document with this hash is held.
    pub fn contains(&self, hash: &DocHash) -> Result<bool, StoreError> {
        Ok(self.docs.contains_key(hash.to_bytes())?)
    }

    /// The hash held at `(issuer, seq)`.
    pub fn hash_at(
        &self,
        issuer: &JurisdictionCode,
        seq: u64,
    ) -> Result<Option<DocHash>, StoreError> {
        self.by_issuer
            .get(keys::issuer_seq(issuer, seq))?
            .map(|v| keys::hash_from(&v).map_err(StoreError::Corrupt))
            .transpose()
    }

    /// The highest sequence held for each issuer. Held chains have no gaps:
    /// a document is stored only after its predecessor.
    pub fn heads(&self) -> Result<Vec<(JurisdictionCode, u64)>, StoreError> {
        let mut heads = Vec::new();
        let mut cursor: Option<Vec<u8>> = None;
        loop {
            // Jump to the last key of the next issuer instead of walking every key.
            let next = match &cursor {
                None => self.by_issuer.iter().next(),
                Some(after) => self.by_issuer.range(after.as_slice()..).next(),
            };
            let Some(entry) = next else { break };
            let (k, _) = entry?;
            let issuer_prefix = &k[..keys::CODE_LEN];
            let last = self
                .by_issuer
                .scan_prefix(issuer_prefix)
                .next_back()
                .transpose()?
                .map(|(k, _)| k);
            let Some(last) = last else { break };
            let (code, seq) = keys::split_issuer_seq(&last).map_err(StoreError::Corrupt)?;
            heads.push((code, seq));
            let mut after = issuer_prefix.to_vec();
            after.extend_from_slice(&[0xff; 9]);
            cursor = Some(after);
        }
        Ok(heads)
    }

    /// The head of one issuer's chain: its highest sequence and that hash.
    pub fn head(&self, issuer: &JurisdictionCode) -> Result<Option<(u64, DocHash)>, StoreError> {
        match self
            .by_issuer
            .scan_prefix(issuer.as_str().as_bytes())
            .next_back()
        {
            None => Ok(None),
            Some(entry) => {
                let (k, v) = entry?;
                let (_, seq) = keys::split_issuer_seq(&k).map_err(StoreError::Corrupt)?;
                Ok(Some((
                    seq,
                    keys::hash_from(&v).map_err(StoreError::Corrupt)?,
                )))
            }
        }
    }

    /// Up to `limit` documents of `issuer` with sequence numbers after `after`,
    /// in order.
    pub fn range(
        &self,
        issuer: &JurisdictionCode,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let start = keys::issuer_seq(issuer, after.saturating_add(1));
        let end = keys::issuer_seq(issuer, u64::MAX);
        let mut out = Vec::new();
        for entry in self.by_issuer.range(start..=end).take(limit) {
            let (_, h) = entry?;
            let bytes = self
                .docs
                .get(&h)?
                .ok_or_else(|| StoreError::Corrupt("an index entry has no document".into()))?;
            out.push(bytes.to_vec());
        }
        Ok(out)
    }

    /// Removes the documents of `issuer` from `seq` on (held and pending),
    /// each with all its index entries in one transaction, and returns what
    /// was removed. For a member whose removal from an alliance recorded an
    /// earlier chain position: those documents no longer count.
    pub fn withdraw_from(
        &self,
        issuer: &JurisdictionCode,
        seq: u64,
    ) -> Result<Vec<DocMeta>, StoreError> {
        let start = keys::issuer_seq(issuer, seq);
        let end = keys::issuer_seq(issuer, u64::MAX);
        let mut out = Vec::new();
        // Newest first: a stop half-way leaves the chain without a gap.
        for entry in self.by_issuer.range(start..=end).rev() {
            let (k, h) = entry?;
            let bytes = self
                .docs
                .get(&h)?
                .ok_or_else(|| StoreError::Corrupt("an index entry has no document".into()))?;
            let meta = meta_of(&h, &bytes)?;
            let kind_key = keys::kind_issuer_seq(meta.kind, &meta.issuer, meta.seq);
            (&self.docs, &self.by_issuer, &self.by_kind)
                .transaction(|(docs, by_issuer, by_kind)| {
                    docs.remove(&h)?;
                    by_issuer.remove(&k)?;
                    by_kind.remove(kind_key.as_slice())?;
                    Ok(())
                })
                .map_err(tx_error)?;
            out.push(meta);
        }
        for entry in self.pending.range(start..=end).keys() {
            self.pending.remove(entry?)?;
        }
        Ok(out)
    }

    /// The index entries of the held documents, filtered by kind and
    /// issuer, in the order [`Store::list`] gives, starting after `after`:
    /// each document's position and its hash as stored. Read lazily, so a
    /// caller holds one entry at a time.
    fn index_after(
        &self,
        kind: Option<DocKind>,
        issuer: Option<&JurisdictionCode>,
        after: Option<&Position>,
    ) -> impl Iterator<Item = Result<(Position, sled::IVec), StoreError>> + '_ {
        // The tree, the bytes before the issuer in its keys, and the prefix
        // every listed key has.
        let (tree, head, prefix) = match (kind, issuer) {
            (Some(k), Some(i)) => (
                &self.by_kind,
                keys::kind_prefix(k),
                keys::kind_issuer_prefix(k, i),
            ),
            (Some(k), None) => (&self.by_kind, keys::kind_prefix(k), keys::kind_prefix(k)),
            (None, Some(i)) => (&self.by_issuer, Vec::new(), i.as_str().as_bytes().to_vec()),
            (None, None) => (&self.by_issuer, Vec::new(), Vec::new()),
        };
        use std::ops::Bound;
        let start = match after {
            Some(p) => {
                let mut k = head.clone();
                k.extend_from_slice(&keys::issuer_seq(&p.issuer, p.seq));
                Bound::Excluded(k)
            }
            None => Bound::Included(prefix.clone()),
        };
        tree.range::<Vec<u8>, _>((start, Bound::Unbounded))
            .take_while(move |e| e.as_ref().map_or(true, |(k, _)| k.starts_with(&prefix)))
            .map(move |e| {
                let (k, h) = e?;
                let (issuer, seq) =
                    keys::split_issuer_seq(&k[head.len()..]).map_err(StoreError::Corrupt)?;
                Ok((Position { issuer, seq }, h))
            })
    }

    /// A page of [`Store::list`]: at most `limit` documents (at least one)
    /// after `after`, and the position to ask for the next page from, when
    /// there is more.
    pub fn list_page(
        &self,
        kind: Option<DocKind>,
        issuer: Option<&JurisdictionCode>,
        after: Option<&Position>,
        limit: usize,
    ) -> Result<Page<DocMeta>, StoreError> {
        // A page holds at least one document, so that paging moves on.
        let limit = limit.max(1);
        let mut items = Vec::new();
        let mut last = None;
        for entry in self.index_after(kind, issuer, after) {
            let (position, h) = entry?;
            if items.len() == limit {
                return Ok(Page { items, next: last });
            }
            let bytes = self
                .docs
                .get(&h)?
                .ok_or_else(|| StoreError::Corrupt("an index entry has no document".into()))?;
            items.push(meta_of(&h, &bytes)?);
            last = Some(position);
        }
        Ok(Page { items, next: None })
    }

    /// Every held document's bytes after `after`, in the order of
    /// [`Store::all_documents`], each with its position: read one at a time,
    /// for bundles of any size in bounded memory.
    pub fn documents_after(
        &self,
        after: Option<&Position>,
    ) -> impl Iterator<Item = Result<(Position, Vec<u8>), StoreError>> + '_ {
        self.index_after(None, None, after).map(move |entry| {
            let (position, h) = entry?;
            let bytes = self
                .docs
                .get(&h)?
                .ok_or_else(|| StoreError::Corrupt("an index entry has no document".into()))?;
            Ok((position, bytes.to_vec()))
        })
    }

    /// Metadata of held documents, filtered by kind and issuer, in
    /// (kind, issuer, seq) or (issuer, seq) order.
    pub fn list(
        &self,
        kind: Option<DocKind>,
        issuer: Option<&JurisdictionCode>,
    ) -> Result<Vec<DocMeta>, StoreError> {
        Ok(self.list_page(kind, issuer, None, usize::MAX)?.items)
    }

    /// The held documents of `kind` with their hashes, as stored, in
    /// (issuer, seq) order: one read each, for loading them all at once.
    pub fn of_kind(&self, kind: DocKind) -> Result<Vec<(DocHash, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.by_kind.scan_prefix(keys::kind_prefix(kind)) {
            let (_, h) = entry?;
            let bytes = self
                .docs
                .get(&h)?
                .ok_or_else(|| StoreError::Corrupt("an index entry has no document".into()))?;
            let hash = keys::hash_from(&h).map_err(StoreError::Corrupt)?;
            out.push((hash, bytes.to_vec()));
        }
        Ok(out)
    }

    /// Every held document's bytes, issuer by issuer in chain order (so that a
    /// bundle of them imports without gaps).
    pub fn all_documents(&self) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
        self.documents_after(None)
            .map(|d| d.map(|(_, bytes)| bytes))
    }

    /// How many documents are held.
    pub fn document_count(&self) -> usize {
        self.docs.len()
    }

    // --------------------------------------------------------------- pending

    /// Keeps a verified document whose predecessor is missing.
    pub fn put_pending(&self, doc: &Document) -> Result<(), StoreError> {
        self.pending
            .insert(keys::issuer_seq(&doc.issuer, doc.seq), doc.bytes())?;
        Ok(())
    }

    /// The pending document at `(issuer, seq)`, if any.
    pub fn pending_at(
        &self,
        issuer: &JurisdictionCode,
        seq: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .pending
            .get(keys::issuer_seq(issuer, seq))?
            .map(|v| v.to_vec()))
    }

    /// Drops the pending document at `(issuer, seq)`.
    pub fn remove_pending(&self, issuer: &JurisdictionCode, seq: u64) -> Result<(), StoreError> {
        self.pending.remove(keys::issuer_seq(issuer, seq))?;
        Ok(())
    }

    /// Every held document (waiting for a predecessor or a roster version),
    /// in (issuer, seq) order.
    pub fn pending_documents(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.pending
            .iter()
            .values()
            .map(|v| Ok(v?.to_vec()))
            .collect()
    }

    /// How many documents wait for a predecessor.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    // -------------------------------------------------------------- evidence

    /// Records an equivocation: both signed envelopes.
    pub fn put_equivocation(
        &self,
        held: &[u8],
        conflicting: &Document,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let parse = |b: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(b)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let record = Equivocation {
            issuer: conflicting.issuer.clone(),
            seq: conflicting.seq,
            recorded_at: now,
            documents: [parse(held)?, parse(conflicting.bytes())?],
        };
        let mut key = keys::issuer_seq(&conflicting.issuer, conflicting.seq).to_vec();
        key.extend_from_slice(&conflicting.hash().to_bytes());
        let value = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.evidence.insert(key, value)?;
        Ok(())
    }

    /// Every recorded equivocation.
    pub fn equivocations(&self) -> Result<Vec<Equivocation>, StoreError> {
        self.evidence
            .iter()
            .map(|e| {
                let (_, v) = e?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// Logs a refused document and counts it by reason.
    pub fn record_rejection(&self, record: &RejectionRecord) -> Result<(), StoreError> {
        let id = self.db.generate_id()?;
        let value = serde_json::to_vec(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.rejections.insert(id.to_be_bytes(), value)?;
        self.rejection_counts
            .update_and_fetch(record.reason.code(), |old| {
                let n = old.map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])));
                Some((n + 1).to_be_bytes().to_vec())
            })?;
        // Prune once in a while rather than on every write.
        if self.rejections_logged.fetch_add(1, Ordering::Relaxed) % 256 == 255 {
            let excess = self
                .rejections
                .len()
                .saturating_sub(REJECTION_LOG_LEN_MAX as usize);
            for key in self.rejections.iter().keys().take(excess) {
                self.rejections.remove(key?)?;
            }
        }
        Ok(())
    }

    /// The most recent rejection records, newest first.
    pub fn rejections(&self, limit: usize) -> Result<Vec<RejectionRecord>, StoreError> {
        self.rejections
            .iter()
            .values()
            .rev()
            .take(limit)
            .map(|v| serde_json::from_slice(&v?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// How many documents were refused, by reason, since the store was created.
    pub fn rejection_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.rejection_counts
            .iter()
            .map(|e| {
                let (k, v) = e?;
                let n = u64::from_be_bytes(
                    v.as_ref()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("a counter is not 8 bytes".into()))?,
                );
                Ok((String::from_utf8_lossy(&k).into_owned(), n))
            })
            .collect()
    }
}

impl Ledger for Store {
    fn hash_at(&self, issuer: &JurisdictionCode, seq: u64) -> Option<DocHash> {
        // A read error here must not make a document look new: callers that
        // need to tell errors apart use the inherent method first.
        Store::hash_at(self, issuer, seq).ok().flatten()
    }
}

/// The abort of [`Store::put_documents`] when a seq is taken.
const SEQ_TAKEN: &str = "seq taken";

fn tx_error(e: TransactionError<String>) -> StoreError {
    match e {
        TransactionError::Abort(m) => StoreError::Corrupt(m),
        TransactionError::Storage(e) => StoreError::Engine(e.to_string()),
    }
}

/// Reads the header fields of stored canonical bytes held under `hash`.
fn meta_of(hash: &[u8], bytes: &[u8]) -> Result<DocMeta, StoreError> {
    #[derive(Deserialize)]
    struct Head {
        kind: DocKind,
        issuer: JurisdictionCode,
        seq: u64,
        issued_at: Timestamp,
    }
    let head: Head =
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(DocMeta {
        hash: keys::hash_from(hash).map_err(StoreError::Corrupt)?,
        kind: head.kind,
        issuer: head.issuer,
        seq: head.seq,
        issued_at: head.issued_at,
    })
}

#[cfg(test)]
mod tests;
