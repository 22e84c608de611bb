//! The harmonised view: the comparison catalogue kept up to date one
//! document at a time.
//!
//! [`View`] answers exactly what [`crate::compare::Catalogue`] answers on
//! the same documents, byte for byte, manifest included (the property tests
//! in `tests/view.rs` hold it to that). The catalogue is built from every
//! document at once; the view takes each accepted document with
//! [`View::apply`] and updates only what the document affects:
//!
//! - a framework: its id's owner, owner-valid versions and establishing
//!   document, and the recognition state of the crosswalks from or onto it;
//! - a summary: its (issuer, period, framework) slot when it is newer;
//! - a crosswalk: its id's versions (which one is current, which are
//!   superseded) and the indexes of its target indicator;
//! - an endorsement: the recognition state of the crosswalk document it
//!   names (or it waits for that document to arrive);
//! - the rosters in force ([`View::set_alliances`]): the groups, the owners
//!   of reference frameworks, and the recognition state of every crosswalk
//!   (quorums and members change).
//!
//! Ids, codes and indicators are interned to integers; summary values are
//! dense columns indexed by an indicator's position in its framework, so a
//! comparison reads a value with one index, never a search.
//!
//! Every change advances a stamp on what it touched (a period, a target
//! indicator, or everything). [`View::compare_with_deps`] returns, beside the
//! comparison, the stamps it read; [`View::still_valid`] tells a cache
//! whether a stored answer still holds without computing it again.

use crate::Held;
use crate::compare::{
    self, CompareError, FoundRow, Harmonised, Head, Key, MAX_CHAIN, RangeExt, consider,
    period_within,
};
use crate::recognition::{self, AllianceView};
use crate::transform;
use deltabench_model::comparison::{
    Comparison, Composite, CompositeSpec, CrosswalkLink, CrosswalkRecord, CrosswalkStatus,
    CrosswalkUse, MissingMember, RowFlag,
};
use deltabench_model::documents::{
    Crosswalk, Decision, Endorsement, Framework, Indicator, Owner, Relation, Summary,
};
use deltabench_model::{
    CrosswalkId, DocHash, FrameworkId, IndicatorCode, IndicatorRef, JurisdictionCode, Period,
};
use rayon::prelude::*;
use rustc_hash::FxHashMap as Map;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A document the view takes in.
#[derive(Debug, Clone)]
pub enum Doc {
    /// A framework document.
    Framework(Held<Framework>),
    /// A summary document.
    Summary(Held<Summary>),
    /// A crosswalk document.
    Crosswalk(Held<Crosswalk>),
    /// An endorsement document.
    Endorsement(Held<Endorsement>),
}

/// An indicator, interned: (framework, position of the code in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct IRef {
    fw: u32,
    ind: u32,
}

/// One framework id and everything held under it.
#[derive(Debug, Clone)]
struct Fw {
    id: FrameworkId,
    /// Every code seen under this id (framework, summary or crosswalk), by
    /// position, and the codes in position order.
    codes: Map<IndicatorCode, u32>,
    code_list: Vec<IndicatorCode>,
    /// Every framework document with this id.
    docs: Vec<Arc<Held<Framework>>>,
    owner: Option<Owner>,
    /// The owner's member index, when a jurisdiction owns it.
    owner_member: Option<u32>,
    /// The owner's index in `alliances`, when an alliance in force owns it.
    owner_alliance: Option<usize>,
    /// The document that establishes the owner.
    owner_doc: Option<(u64, DocHash)>,
    /// Owner-valid versions, one document each, oldest first.
    versions: Vec<Arc<Held<Framework>>>,
    /// Crosswalk documents from or onto this framework.
    crosswalks: Vec<u32>,
}

/// The newest summary of one (issuer, period, framework).
#[derive(Debug, Clone)]
struct Sum {
    hash: DocHash,
    pfx: u64,
    seq: u64,
    fw: u32,
    version: semver::Version,
    /// The interned version, for `View::matches`.
    ver: u32,
    /// Values by the code's position in the framework; NaN where the summary
    /// gives none.
    values: Box<[f64]>,
}

impl Sum {
    fn value(&self, ind: u32) -> Option<f64> {
        self.values
            .get(ind as usize)
            .copied()
            .filter(|v| !v.is_nan())
    }
}

/// One crosswalk document.
#[derive(Debug, Clone)]
struct Xw {
    held: Held<Crosswalk>,
    pfx: u64,
    key: [u8; 32],
    issuer: u32,
    id: u32,
    src: IRef,
    tgt: IRef,
    transform: transform::Prepared,
    /// The interned source version range, for `View::matches`.
    req: u32,
    status: CrosswalkStatus,
    /// Endorsements naming this document and its id, in arrival order.
    ends: Vec<u32>,
}

/// One endorsement document.
#[derive(Debug, Clone)]
struct End {
    held: Held<Endorsement>,
    pfx: u64,
    issuer: u32,
}

/// The versions held of one crosswalk id.
#[derive(Debug, Clone, Default)]
struct IdState {
    docs: Vec<u32>,
    /// The issuer the id belongs to (member index).
    owner: Option<u32>,
    /// The current version among the owner's.
    current: Option<u32>,
}

/// The crosswalks onto one indicator, each list in record order (id,
/// version, hash).
#[derive(Debug, Clone, Default)]
struct Target {
    all: Vec<u32>,
    /// Recognised or pending.
    usable: Vec<u32>,
    /// Recognised and exact, for chains.
    exact: Vec<u32>,
    stamp: u64,
    /// Endorsements that changed no crosswalk's state since `stamp`, as
    /// (crosswalk document, endorsement): an answer that used the
    /// crosswalk gains the endorsement among its inputs, and nothing else
    /// changes ([`View::revalidate`]).
    soft: Vec<(u32, u32)>,
}

/// How many endorsements a target logs before it counts them as a change
/// like any other (the log is cleared when its stamp moves).
const SOFT_MAX: usize = 256;

/// The stamps a comparison read: it still holds while they are unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deps {
    global: u64,
    periods: Vec<(Period, u64)>,
    /// (framework, indicator, stamp, endorsements logged since).
    targets: Vec<(u32, u32, u64, u32)>,
    /// The crosswalk documents its rows' ways go through, sorted.
    used: Vec<u32>,
    /// The manifest's lines before its inputs.
    head: Arc<[u8]>,
}

impl Deps {
    /// The manifest's lines before its inputs, for amending the answer's
    /// manifest ([`crate::answer::with_inputs`]).
    pub fn manifest_head(&self) -> &[u8] {
        &self.head
    }
}

/// What became of an answer since it was computed ([`View::revalidate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revalidation {
    /// It is still the answer; the stamps it now holds at.
    Same(Deps),
    /// Only endorsements arrived that change no crosswalk's state; the
    /// answer is the same but for these inputs, which join its sorted
    /// input list and change its manifest (see [`crate::answer::with_inputs`]).
    /// The stamps the amended answer holds at, and the manifest's head.
    Inputs(Vec<DocHash>, Deps),
    /// It must be computed again.
    Stale,
}

/// The documents held, indexed for comparisons and kept up to date one
/// document at a time.
#[derive(Debug, Clone, Default)]
pub struct View {
    alliances: Vec<AllianceView>,
    /// Per alliance, whether member index i belongs.
    alliance_sets: Vec<Vec<bool>>,
    /// Per alliance, its members in code order; then every alliance's
    /// members in code order (the group of a framework no alliance owns).
    groups: Vec<Vec<u32>>,
    all_members: Vec<u32>,
    members: Vec<JurisdictionCode>,
    member_ix: Map<JurisdictionCode, u32>,
    fws: Vec<Fw>,
    fw_ix: Map<FrameworkId, u32>,
    owners: BTreeMap<FrameworkId, Owner>,
    sums: Vec<Sum>,
    latest: Map<(u32, Period, u32), u32>,
    /// The newest summaries of an (issuer, period), by framework id.
    /// Each entry is (framework, summary slot).
    current: Map<(u32, Period), Vec<(u32, u32)>>,
    xws: Vec<Xw>,
    xw_by_hash: Map<[u8; 32], u32>,
    ids: Vec<IdState>,
    id_ix: Map<CrosswalkId, u32>,
    ends: Vec<End>,
    /// Endorsements of crosswalk documents not held yet.
    orphans: Map<[u8; 32], Vec<u32>>,
    targets: Map<IRef, Target>,
    /// Summary versions and crosswalk version ranges seen, and whether each
    /// range matches each version (`matches[req][ver]`).
    versions: Vec<semver::Version>,
    reqs: Vec<semver::VersionReq>,
    matches: Vec<Vec<bool>>,
    version_ix: Map<semver::Version, u32>,
    req_ix: Map<semver::VersionReq, u32>,
    /// Documents taken in.
    documents: usize,
    clock: u64,
    global_stamp: u64,
    period_stamps: Map<Period, u64>,
}

fn prefix(bytes: &[u8; 32]) -> u64 {
    u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"))
}

impl View {
    /// An empty view under the rosters in force.
    pub fn new(alliances: Vec<AllianceView>) -> Self {
        let mut v = View::default();
        v.set_alliances(alliances);
        v
    }

    /// The view of all `inputs`, as [`crate::compare::Catalogue::build`]
    /// indexes them. Recognition is settled once at the end rather than
    /// after each endorsement.
    pub fn build(inputs: compare::Inputs) -> Self {
        let compare::Inputs {
            frameworks,
            summaries,
            crosswalks,
            endorsements,
            alliances,
        } = inputs;
        let mut v = View::new(alliances);
        for f in frameworks {
            v.add_framework(f);
        }
        for f in 0..v.fws.len() as u32 {
            v.settle_owner(f);
        }
        // What needs no index is worked out on all cores first.
        let crosswalks: Vec<(Held<Crosswalk>, transform::Prepared)> = crosswalks
            .into_par_iter()
            .map(|c| {
                let t = transform::Prepared::new(&c.payload.transform);
                (c, t)
            })
            .collect();
        v.xws.reserve(crosswalks.len());
        v.xw_by_hash.reserve(crosswalks.len());
        v.id_ix.reserve(crosswalks.len());
        v.ids.reserve(crosswalks.len());
        for (c, t) in crosswalks {
            v.add_crosswalk_prepared(c, t);
        }
        let endorsements: Vec<(Held<Endorsement>, [u8; 32], u64)> = endorsements
            .into_par_iter()
            .map(|e| {
                let key = e.payload.crosswalk_hash.to_bytes();
                let pfx = prefix(&e.hash.to_bytes());
                (e, key, pfx)
            })
            .collect();
        v.ends.reserve(endorsements.len());
        for (e, key, pfx) in endorsements {
            v.add_endorsement_keyed(e, key, pfx);
        }
        for s in summaries {
            v.apply_summary(s);
        }
        v.settle_all();
        v
    }

    /// Takes in one accepted document, updating only what it affects.
    pub fn apply(&mut self, doc: Doc) {
        match doc {
            Doc::Framework(f) => {
                let fw = self.add_framework(f);
                let before = self.fws[fw as usize].owner.clone();
                self.settle_owner(fw);
                // Recognition reads only the owner of each side.
                if self.fws[fw as usize].owner != before {
                    let affected = self.fws[fw as usize].crosswalks.clone();
                    for i in affected {
                        self.refresh(i);
                    }
                }
                self.bump_global();
            }
            Doc::Summary(s) => self.apply_summary(s),
            Doc::Crosswalk(c) => {
                let i = self.add_crosswalk(c);
                let x = &self.xws[i as usize];
                let (id, tgt) = (x.id, x.tgt);
                self.insert_sorted(tgt, i, List::All);
                self.settle_id(id);
                // The id's owner and current version explain why each of
                // its documents is superseded: every answer onto any of
                // them may read differently, whether its state moved or not.
                for j in self.ids[id as usize].docs.clone() {
                    self.refresh(j);
                    let t = self.xws[j as usize].tgt;
                    self.bump_target(t);
                }
                self.bump_target(tgt);
            }
            Doc::Endorsement(e) => {
                if let Some(i) = self.add_endorsement(e) {
                    let x = &self.xws[i as usize];
                    let (before, tgt) = (x.status, x.tgt);
                    let now = self.status(i);
                    // A recognised or pending crosswalk that stays so is
                    // used, and explained, as before: the answers through
                    // it only gain the endorsement as an input.
                    let soft = now == before
                        && matches!(now, CrosswalkStatus::Recognised | CrosswalkStatus::Pending);
                    let target = self.targets.entry(tgt).or_default();
                    if soft && target.soft.len() < SOFT_MAX {
                        target.soft.push((i, (self.ends.len() - 1) as u32));
                    } else {
                        self.refresh(i);
                        self.bump_target(tgt);
                    }
                }
            }
        }
    }

    /// Puts new rosters in force: groups, reference framework owners and
    /// every crosswalk's recognition are read again.
    pub fn set_alliances(&mut self, alliances: Vec<AllianceView>) {
        for a in &alliances {
            for m in &a.members {
                self.member(m);
            }
            if let Some(f) = &a.reference_framework {
                self.framework_ix(f);
            }
        }
        self.alliances = alliances;
        self.alliance_sets = self
            .alliances
            .iter()
            .map(|a| {
                let mut set = vec![false; self.members.len()];
                for m in &a.members {
                    set[self.member_ix[m] as usize] = true;
                }
                set
            })
            .collect();
        let in_order = |codes: &mut dyn Iterator<Item = &JurisdictionCode>| -> Vec<u32> {
            let set: BTreeSet<&JurisdictionCode> = codes.collect();
            set.into_iter().map(|c| self.member_ix[c]).collect()
        };
        self.groups = self
            .alliances
            .iter()
            .map(|a| in_order(&mut a.members.iter()))
            .collect();
        self.all_members = in_order(&mut self.alliances.iter().flat_map(|a| a.members.iter()));
        for f in 0..self.fws.len() as u32 {
            self.settle_owner(f);
        }
        for i in 0..self.xws.len() as u32 {
            self.refresh(i);
        }
        self.bump_global();
    }

    /// The rosters in force.
    pub fn alliances(&self) -> &[AllianceView] {
        &self.alliances
    }

    /// How many documents the view has taken in.
    pub fn documents(&self) -> usize {
        self.documents
    }

    fn bump_global(&mut self) {
        self.clock += 1;
        self.global_stamp = self.clock;
    }

    fn bump_target(&mut self, t: IRef) {
        self.clock += 1;
        let target = self.targets.entry(t).or_default();
        target.stamp = self.clock;
        target.soft.clear();
    }

    fn bump_period(&mut self, p: Period) {
        self.clock += 1;
        self.period_stamps.insert(p, self.clock);
    }

    fn member(&mut self, code: &JurisdictionCode) -> u32 {
        if let Some(&i) = self.member_ix.get(code) {
            return i;
        }
        let i = self.members.len() as u32;
        self.members.push(code.clone());
        self.member_ix.insert(code.clone(), i);
        for set in &mut self.alliance_sets {
            set.push(false);
        }
        i
    }

    fn framework_ix(&mut self, id: &FrameworkId) -> u32 {
        if let Some(&i) = self.fw_ix.get(id) {
            return i;
        }
        let i = self.fws.len() as u32;
        self.fws.push(Fw {
            id: id.clone(),
            codes: Map::default(),
            code_list: Vec::new(),
            docs: Vec::new(),
            owner: None,
            owner_member: None,
            owner_alliance: None,
            owner_doc: None,
            versions: Vec::new(),
            crosswalks: Vec::new(),
        });
        self.fw_ix.insert(id.clone(), i);
        i
    }

    fn code_ix(&mut self, fw: u32, code: &IndicatorCode) -> u32 {
        let f = &mut self.fws[fw as usize];
        if let Some(&i) = f.codes.get(code) {
            return i;
        }
        let i = f.codes.len() as u32;
        f.codes.insert(code.clone(), i);
        f.code_list.push(code.clone());
        i
    }

    /// [`View::code_ix`] for the `k`th entry of a list, which is usually
    /// at position `k` of the framework already.
    fn code_at(&mut self, fw: u32, k: usize, code: &IndicatorCode) -> u32 {
        if self.fws[fw as usize].code_list.get(k) == Some(code) {
            return k as u32;
        }
        self.code_ix(fw, code)
    }

    fn version_ix(&mut self, v: &semver::Version) -> u32 {
        if let Some(&i) = self.version_ix.get(v) {
            return i;
        }
        self.version_ix
            .insert(v.clone(), self.versions.len() as u32);
        for (r, row) in self.reqs.iter().zip(&mut self.matches) {
            row.push(r.matches(v));
        }
        self.versions.push(v.clone());
        (self.versions.len() - 1) as u32
    }

    fn req_ix(&mut self, r: &semver::VersionReq) -> u32 {
        if let Some(&i) = self.req_ix.get(r) {
            return i;
        }
        self.req_ix.insert(r.clone(), self.reqs.len() as u32);
        self.matches
            .push(self.versions.iter().map(|v| r.matches(v)).collect());
        self.reqs.push(r.clone());
        (self.reqs.len() - 1) as u32
    }

    fn iref(&self, r: &IndicatorRef) -> Option<IRef> {
        let fw = *self.fw_ix.get(&r.framework)?;
        let ind = *self.fws[fw as usize].codes.get(&r.code)?;
        Some(IRef { fw, ind })
    }

    /// The indicator `i` stands for.
    fn indicator(&self, i: IRef) -> IndicatorRef {
        let f = &self.fws[i.fw as usize];
        IndicatorRef {
            framework: f.id.clone(),
            code: f.code_list[i.ind as usize].clone(),
        }
    }

    fn in_alliance(&self, a: usize, member: u32) -> bool {
        self.alliance_sets[a]
            .get(member as usize)
            .copied()
            .unwrap_or(false)
    }

    fn add_framework(&mut self, f: Held<Framework>) -> u32 {
        self.documents += 1;
        let fw = self.framework_ix(&f.payload.id);
        for ind in &f.payload.indicators {
            self.code_ix(fw, &ind.code);
        }
        self.fws[fw as usize].docs.push(Arc::new(f));
        fw
    }

    /// Reads again who owns framework `fw`, which document establishes it,
    /// and its owner-valid versions.
    fn settle_owner(&mut self, fw: u32) {
        let alliances = &self.alliances;
        let slot = &self.fws[fw as usize];
        let mut views: Vec<&AllianceView> = alliances.iter().collect();
        views.sort_by(|a, b| a.id.cmp(&b.id));
        let may = |f: &Held<Framework>| {
            recognition::owner_may_issue(&f.payload.owner, &f.issuer, alliances)
        };
        let owner = views
            .iter()
            .find(|v| v.reference_framework.as_ref() == Some(&slot.id))
            .map(|v| Owner::Alliance(v.id.clone()))
            .or_else(|| {
                slot.docs
                    .iter()
                    .filter(|f| may(f))
                    .min_by(|a, b| {
                        (a.issued_at.unix(), &a.hash).cmp(&(b.issued_at.unix(), &b.hash))
                    })
                    .map(|f| f.payload.owner.clone())
            });
        let valid: Vec<&Arc<Held<Framework>>> = slot
            .docs
            .iter()
            .filter(|f| owner.as_ref() == Some(&f.payload.owner) && may(f))
            .collect();
        let owner_doc = valid
            .iter()
            .min_by(|a, b| (&a.issuer, a.seq).cmp(&(&b.issuer, b.seq)))
            .map(|f| (prefix(&f.hash.to_bytes()), f.hash.clone()));
        let mut versions: Vec<Arc<Held<Framework>>> = valid.into_iter().cloned().collect();
        versions.sort_by(|a, b| {
            (&a.payload.version, a.issued_at.unix(), &a.hash).cmp(&(
                &b.payload.version,
                b.issued_at.unix(),
                &b.hash,
            ))
        });
        versions.dedup_by(|b, a| a.payload.version == b.payload.version);
        let (owner_member, owner_alliance) = match &owner {
            Some(Owner::Jurisdiction(code)) => (self.member_ix.get(code).copied(), None),
            Some(Owner::Alliance(a)) => (None, alliances.iter().position(|v| &v.id == a)),
            None => (None, None),
        };
        let id = slot.id.clone();
        match &owner {
            Some(o) => {
                self.owners.insert(id, o.clone());
            }
            None => {
                self.owners.remove(&id);
            }
        }
        // A jurisdiction owner not yet known as a member gets an index, so
        // its endorsements can be matched.
        let owner_member = match (&owner, owner_member) {
            (Some(Owner::Jurisdiction(code)), None) => Some(self.member(&code.clone())),
            (_, m) => m,
        };
        let slot = &mut self.fws[fw as usize];
        slot.owner = owner;
        slot.owner_member = owner_member;
        slot.owner_alliance = owner_alliance;
        slot.owner_doc = owner_doc;
        slot.versions = versions;
    }

    fn apply_summary(&mut self, s: Held<Summary>) {
        self.documents += 1;
        let m = self.member(&s.issuer);
        let fw = self.framework_ix(&s.payload.framework);
        let key = (m, s.payload.period, fw);
        let newer = match self.latest.get(&key) {
            Some(&slot) => self.sums[slot as usize].seq < s.seq,
            None => true,
        };
        if !newer {
            return;
        }
        let n = self.fws[fw as usize].codes.len();
        let mut values = vec![f64::NAN; n];
        let mut seen = vec![false; n];
        for (k, e) in s.payload.indicators.iter().enumerate() {
            let ind = self.code_at(fw, k, &e.indicator) as usize;
            if values.len() <= ind {
                values.resize(ind + 1, f64::NAN);
                seen.resize(ind + 1, false);
            }
            // The first entry of a code decides, as a search would.
            if !std::mem::replace(&mut seen[ind], true) {
                values[ind] = e.value.map_or(f64::NAN, |v| v.get());
            }
        }
        let ver = self.version_ix(&s.payload.version);
        let bytes = s.hash.to_bytes();
        let sum = Sum {
            ver,
            pfx: prefix(&bytes),
            hash: s.hash,
            seq: s.seq,
            fw,
            version: s.payload.version,
            values: values.into_boxed_slice(),
        };
        let period = s.payload.period;
        match self.latest.get(&key) {
            Some(&slot) => self.sums[slot as usize] = sum,
            None => {
                let slot = self.sums.len() as u32;
                self.sums.push(sum);
                self.latest.insert(key, slot);
                let list = self.current.entry((m, period)).or_default();
                let fws = &self.fws;
                let at = list.partition_point(|&(o, _)| fws[o as usize].id < fws[fw as usize].id);
                list.insert(at, (fw, slot));
            }
        }
        self.bump_period(period);
    }

    fn add_crosswalk(&mut self, c: Held<Crosswalk>) -> u32 {
        let t = transform::Prepared::new(&c.payload.transform);
        self.add_crosswalk_prepared(c, t)
    }

    fn add_crosswalk_prepared(
        &mut self,
        c: Held<Crosswalk>,
        transform: transform::Prepared,
    ) -> u32 {
        self.documents += 1;
        let issuer = self.member(&c.issuer);
        let sf = self.framework_ix(&c.payload.source.framework);
        let src = IRef {
            fw: sf,
            ind: self.code_ix(sf, &c.payload.source.indicator),
        };
        let tf = self.framework_ix(&c.payload.target.framework);
        let tgt = IRef {
            fw: tf,
            ind: self.code_ix(tf, &c.payload.target.code),
        };
        let id = match self.id_ix.get(&c.payload.id) {
            Some(&i) => i,
            None => {
                let i = self.ids.len() as u32;
                self.ids.push(IdState::default());
                self.id_ix.insert(c.payload.id.clone(), i);
                i
            }
        };
        let key = c.hash.to_bytes();
        let i = self.xws.len() as u32;
        let ends = self
            .orphans
            .remove(&key)
            .unwrap_or_default()
            .into_iter()
            .filter(|&e| self.ends[e as usize].held.payload.crosswalk == c.payload.id)
            .collect();
        let req = self.req_ix(&c.payload.source.versions);
        self.xws.push(Xw {
            transform,
            req,
            pfx: prefix(&key),
            key,
            issuer,
            id,
            src,
            tgt,
            // Not in any list until its state is read.
            status: CrosswalkStatus::Superseded,
            ends,
            held: c,
        });
        self.xw_by_hash.insert(key, i);
        self.ids[id as usize].docs.push(i);
        self.fws[sf as usize].crosswalks.push(i);
        if tf != sf {
            self.fws[tf as usize].crosswalks.push(i);
        }
        i
    }

    /// Files an endorsement under the crosswalk document it names; returns
    /// that document when it is held and the endorsement counts for it.
    fn add_endorsement(&mut self, e: Held<Endorsement>) -> Option<u32> {
        let key = e.payload.crosswalk_hash.to_bytes();
        let pfx = prefix(&e.hash.to_bytes());
        self.add_endorsement_keyed(e, key, pfx)
    }

    /// [`View::add_endorsement`] with the named document's hash as bytes
    /// (`key`) and the prefix of its own hash worked out.
    fn add_endorsement_keyed(
        &mut self,
        e: Held<Endorsement>,
        key: [u8; 32],
        pfx: u64,
    ) -> Option<u32> {
        self.documents += 1;
        let issuer = self.member(&e.issuer);
        let slot = self.ends.len() as u32;
        let target = self.xw_by_hash.get(&key).copied();
        self.ends.push(End {
            held: e,
            pfx,
            issuer,
        });
        match target {
            Some(i) => {
                let x = &self.xws[i as usize];
                // Counted only when it names the document's own id.
                if self.ends[slot as usize].held.payload.crosswalk != x.held.payload.id {
                    return None;
                }
                self.xws[i as usize].ends.push(slot);
                Some(i)
            }
            None => {
                self.orphans.entry(key).or_default().push(slot);
                None
            }
        }
    }

    /// Reads again which issuer crosswalk id `id` belongs to and which of
    /// its versions is current.
    fn settle_id(&mut self, id: u32) {
        let xws = &self.xws;
        let st = &self.ids[id as usize];
        let owner = st
            .docs
            .iter()
            .map(|&i| &xws[i as usize])
            .min_by(|a, b| {
                (
                    a.held.payload.version,
                    a.held.issued_at.unix(),
                    &a.held.hash,
                )
                    .cmp(&(
                        b.held.payload.version,
                        b.held.issued_at.unix(),
                        &b.held.hash,
                    ))
            })
            .map(|x| x.issuer);
        let mut current: Option<u32> = None;
        for &i in &st.docs {
            let x = &xws[i as usize];
            if Some(x.issuer) != owner {
                continue;
            }
            current = match current {
                Some(c) => {
                    let cur = &xws[c as usize];
                    if (x.held.payload.version, x.held.seq)
                        > (cur.held.payload.version, cur.held.seq)
                    {
                        Some(i)
                    } else {
                        Some(c)
                    }
                }
                None => Some(i),
            };
        }
        let st = &mut self.ids[id as usize];
        st.owner = owner;
        st.current = current;
    }

    /// Settles every id and crosswalk state and fills the target indexes in
    /// one pass (after a bulk load).
    fn settle_all(&mut self) {
        for id in 0..self.ids.len() as u32 {
            self.settle_id(id);
        }
        let mut order: Vec<u32> = (0..self.xws.len() as u32).collect();
        order.sort_by(|&a, &b| self.record_order(a, b));
        self.targets.clear();
        for i in order {
            let status = self.status(i);
            let x = &mut self.xws[i as usize];
            x.status = status;
            let exact = x.held.payload.relation == Relation::Exact;
            let t = self.targets.entry(x.tgt).or_default();
            t.all.push(i);
            match status {
                CrosswalkStatus::Recognised => {
                    t.usable.push(i);
                    if exact {
                        t.exact.push(i);
                    }
                }
                CrosswalkStatus::Pending => t.usable.push(i),
                CrosswalkStatus::Rejected | CrosswalkStatus::Superseded => {}
            }
        }
        self.bump_global();
    }

    fn record_order(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let (x, y) = (&self.xws[a as usize], &self.xws[b as usize]);
        (&x.held.payload.id, x.held.payload.version, &x.key).cmp(&(
            &y.held.payload.id,
            y.held.payload.version,
            &y.key,
        ))
    }

    fn insert_sorted(&mut self, t: IRef, i: u32, list: List) {
        let mut target = std::mem::take(self.targets.entry(t).or_default());
        let v = match list {
            List::All => &mut target.all,
            List::Usable => &mut target.usable,
            List::Exact => &mut target.exact,
        };
        if let Err(at) = v.binary_search_by(|&o| self.record_order(o, i)) {
            v.insert(at, i);
        }
        *self.targets.get_mut(&t).expect("the target exists") = target;
    }

    fn remove_from(&mut self, t: IRef, i: u32, list: List) {
        if let Some(target) = self.targets.get_mut(&t) {
            let v = match list {
                List::All => &mut target.all,
                List::Usable => &mut target.usable,
                List::Exact => &mut target.exact,
            };
            v.retain(|&o| o != i);
        }
    }

    /// Reads crosswalk document `i`'s state again and moves it between the
    /// indexes of its target when it changed.
    fn refresh(&mut self, i: u32) {
        let new = self.status(i);
        let x = &self.xws[i as usize];
        let (old, tgt) = (x.status, x.tgt);
        if new == old {
            return;
        }
        let exact = x.held.payload.relation == Relation::Exact;
        let lists = |s: CrosswalkStatus| match s {
            CrosswalkStatus::Recognised => (true, exact),
            CrosswalkStatus::Pending => (true, false),
            _ => (false, false),
        };
        let (was_usable, was_exact) = lists(old);
        let (usable, is_exact) = lists(new);
        if was_usable && !usable {
            self.remove_from(tgt, i, List::Usable);
        }
        if !was_usable && usable {
            self.insert_sorted(tgt, i, List::Usable);
        }
        if was_exact && !is_exact {
            self.remove_from(tgt, i, List::Exact);
        }
        if !was_exact && is_exact {
            self.insert_sorted(tgt, i, List::Exact);
        }
        self.xws[i as usize].status = new;
        self.bump_target(tgt);
    }

    /// The recognition state of crosswalk document `i`, as
    /// [`recognition::record`] decides it, from counts.
    fn status(&self, i: u32) -> CrosswalkStatus {
        let x = &self.xws[i as usize];
        let st = &self.ids[x.id as usize];
        if st.owner != Some(x.issuer) || st.current != Some(i) {
            return CrosswalkStatus::Superseded;
        }
        // Each endorser's latest decision (highest sequence number).
        let mut latest: Vec<(u32, u64, Decision)> = Vec::with_capacity(x.ends.len());
        for &e in &x.ends {
            let e = &self.ends[e as usize];
            match latest.iter_mut().find(|l| l.0 == e.issuer) {
                Some(l) if l.1 < e.held.seq => {
                    *l = (e.issuer, e.held.seq, e.held.payload.decision);
                }
                Some(_) => {}
                None => latest.push((e.issuer, e.held.seq, e.held.payload.decision)),
            }
        }
        let side = |fw: u32| -> (bool, bool) {
            let f = &self.fws[fw as usize];
            match &f.owner {
                None => (false, false),
                Some(Owner::Jurisdiction(_)) => {
                    let d = f
                        .owner_member
                        .and_then(|m| latest.iter().find(|l| l.0 == m))
                        .map(|l| l.2);
                    (d == Some(Decision::Accept), d == Some(Decision::Reject))
                }
                Some(Owner::Alliance(_)) => match f.owner_alliance {
                    None => (false, false),
                    Some(a) => {
                        let v = &self.alliances[a];
                        let (mut acc, mut rej) = (0, 0);
                        for l in &latest {
                            if self.in_alliance(a, l.0) {
                                match l.2 {
                                    Decision::Accept => acc += 1,
                                    Decision::Reject => rej += 1,
                                }
                            }
                        }
                        let q = v.quorum();
                        let n = v.members.len();
                        let blocked = n - rej < q;
                        (acc >= q && !blocked, blocked)
                    }
                },
            }
        };
        let (sf, tf) = (x.src.fw, x.tgt.fw);
        let same = {
            let (a, b) = (&self.fws[sf as usize].owner, &self.fws[tf as usize].owner);
            a.is_some() && a == b
        };
        let sides: &[(bool, bool)] = if same {
            &[side(sf)]
        } else {
            &[side(sf), side(tf)]
        };
        if sides.iter().any(|s| s.1) {
            CrosswalkStatus::Rejected
        } else if sides.iter().all(|s| s.0) {
            CrosswalkStatus::Recognised
        } else {
            CrosswalkStatus::Pending
        }
    }

    /// The framework owners known from the documents held.
    pub fn owners(&self) -> &BTreeMap<FrameworkId, Owner> {
        &self.owners
    }

    /// The owner-valid versions of framework `id`, oldest first.
    pub fn framework_versions(&self, id: &FrameworkId) -> &[Arc<Held<Framework>>] {
        self.fw_ix
            .get(id)
            .map(|&f| self.fws[f as usize].versions.as_slice())
            .unwrap_or(&[])
    }

    /// Whether `member`'s summaries of framework `fw` count.
    fn allowed(&self, member: u32, fw: u32) -> bool {
        let f = &self.fws[fw as usize];
        match &f.owner {
            Some(Owner::Jurisdiction(_)) => f.owner_member == Some(member),
            Some(Owner::Alliance(_)) => f
                .owner_alliance
                .is_some_and(|a| self.in_alliance(a, member)),
            None => false,
        }
    }

    /// The periods that current summaries are held for, in order.
    pub fn periods(&self) -> BTreeSet<Period> {
        self.current
            .iter()
            .filter(|((m, _), list)| list.iter().any(|&(fw, _)| self.allowed(*m, fw)))
            .map(|((_, p), _)| *p)
            .collect()
    }

    /// Every crosswalk document held, with its recognition state, in (id,
    /// version, hash) order.
    pub fn crosswalks(&self) -> Vec<CrosswalkRecord> {
        let mut order: Vec<u32> = (0..self.xws.len() as u32).collect();
        order.sort_by(|&a, &b| self.record_order(a, b));
        order.into_iter().map(|i| self.record(i)).collect()
    }

    /// The documents of crosswalk id `id`, with their state, in (version,
    /// hash) order.
    pub fn crosswalk_versions(&self, id: &CrosswalkId) -> Vec<CrosswalkRecord> {
        let Some(&ix) = self.id_ix.get(id) else {
            return Vec::new();
        };
        let mut order = self.ids[ix as usize].docs.clone();
        order.sort_by(|&a, &b| self.record_order(a, b));
        order.into_iter().map(|i| self.record(i)).collect()
    }

    /// The record of crosswalk document `hash`, if held.
    pub fn crosswalk_record(&self, hash: &DocHash) -> Option<CrosswalkRecord> {
        self.xw_by_hash
            .get(&hash.to_bytes())
            .map(|&i| self.record(i))
    }

    fn record(&self, i: u32) -> CrosswalkRecord {
        let x = &self.xws[i as usize];
        let st = &self.ids[x.id as usize];
        let ends: Vec<&Held<Endorsement>> = x
            .ends
            .iter()
            .map(|&e| &self.ends[e as usize].held)
            .collect();
        let owner = st.owner.map(|m| &self.members[m as usize]);
        let current = st.current.map(|c| {
            let c = &self.xws[c as usize];
            (&c.held.hash, c.held.payload.version)
        });
        recognition::record(&x.held, ends, &self.owners, &self.alliances, owner, current)
    }

    /// The reference indicator for `period`: from the latest version that
    /// applies to the period, else the latest version having the indicator.
    fn reference(
        &self,
        r: &IndicatorRef,
        period: Period,
    ) -> Result<(&Held<Framework>, &Indicator), CompareError> {
        let versions: &Vec<Arc<Held<Framework>>> = self
            .fw_ix
            .get(&r.framework)
            .map(|&f| &self.fws[f as usize].versions)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| CompareError::UnknownFramework(r.framework.clone()))?;
        let with = |f: &&Arc<Held<Framework>>| f.payload.indicator(&r.code).is_some();
        let f: &Held<Framework> = versions
            .iter()
            .rev()
            .filter(with)
            .find(|f| f.payload.periods.iter().any(|p| p.contains(&period)))
            .or_else(|| versions.iter().rev().find(with))
            .ok_or_else(|| CompareError::UnknownIndicator(r.code.clone(), r.framework.clone()))?;
        let ind = f
            .payload
            .indicator(&r.code)
            .ok_or_else(|| CompareError::UnknownIndicator(r.code.clone(), r.framework.clone()))?;
        Ok((f, ind))
    }

    /// The comparison's group (member indices in code order) and the
    /// alliance it comes from.
    fn group(&self, framework: &FrameworkId) -> (&[u32], Option<usize>) {
        if let Some(&f) = self.fw_ix.get(framework) {
            let f = &self.fws[f as usize];
            if let (Some(Owner::Alliance(_)), Some(a)) = (&f.owner, f.owner_alliance) {
                return (&self.groups[a], Some(a));
            }
        }
        (&self.all_members, None)
    }

    fn valid(&self, i: u32, period: Period) -> bool {
        let c = &self.xws[i as usize].held.payload;
        period_within(c.valid_from, c.valid_to, period)
    }

    /// Every way onto `r`, as the catalogue finds them and in the same
    /// order; the targets read are added to `read`.
    fn paths_to(&self, r: IRef, period: Period, read: &mut Vec<IRef>) -> Vec<Way> {
        read.push(r);
        let empty = Target::default();
        let target = |t: &IRef| self.targets.get(t).unwrap_or(&empty);
        let mut out: Vec<Way> = target(&r)
            .usable
            .iter()
            .filter(|&&i| self.valid(i, period))
            .map(|&i| Way::one(i))
            .collect();
        let mut frontier: Vec<Way> = out
            .iter()
            .filter(|p| {
                let x = &self.xws[p.first() as usize];
                x.status == CrosswalkStatus::Recognised
                    && x.held.payload.relation == Relation::Exact
            })
            .copied()
            .collect();
        for _ in 1..MAX_CHAIN {
            let mut next = Vec::new();
            for p in &frontier {
                let into = self.xws[p.first() as usize].src;
                read.push(into);
                for &i in &target(&into).exact {
                    if !self.valid(i, period) {
                        continue;
                    }
                    let src = self.xws[i as usize].src;
                    let seen = src.fw == r.fw
                        || p.links().iter().any(|&l| self.xws[l as usize].src == src);
                    if seen {
                        continue;
                    }
                    next.push(p.before(i));
                }
            }
            out.extend(next.iter().copied());
            frontier = next;
            if frontier.is_empty() {
                break;
            }
        }
        out
    }

    /// The ways grouped by the framework they start from, each group in the
    /// order found.
    fn index_ways(&self, ways: Vec<Way>) -> Vec<(u32, Way)> {
        let mut by: Vec<(u32, Way)> = ways
            .into_iter()
            .map(|w| (self.xws[w.first() as usize].src.fw, w))
            .collect();
        by.sort_by_key(|(fw, _)| *fw);
        by
    }

    /// The best way to `r` for `member` in `period`, or why there is none.
    #[allow(clippy::too_many_arguments)]
    fn find<'a>(
        &'a self,
        member: u32,
        r: &IndicatorRef,
        rk: IRef,
        reference: &Indicator,
        period: Period,
        ways: &[(u32, Way)],
    ) -> Result<VFound<'a>, String> {
        let slots: &[(u32, u32)] = self
            .current
            .get(&(member, period))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let list = || {
            slots
                .iter()
                .filter(|&&(fw, _)| self.allowed(member, fw))
                .map(|&(_, s)| &self.sums[s as usize])
        };
        if !slots.iter().any(|&(fw, _)| self.allowed(member, fw)) {
            return Err(format!("no summary for {period}"));
        }
        let range_flag = |v: f64, flags: &mut Vec<RowFlag>| {
            if reference.range.is_some_and(|rg| !rg.contains_f64(v)) {
                flags.push(RowFlag::OutsideRange);
            }
        };
        let mut best: Option<(Key<[u8; 32]>, VFound<'a>)> = None;
        let mut failures = Vec::new();
        for s in list() {
            if s.fw == rk.fw {
                if let Some(v) = s.value(rk.ind) {
                    let mut flags = Vec::new();
                    range_flag(v, &mut flags);
                    let key = Key::new(flags.len(), 0, 1.0, None);
                    let found = VFound {
                        value: v,
                        source_value: v,
                        sum: s,
                        way: None,
                        flags,
                    };
                    consider(&mut best, key, found);
                }
                continue;
            }
            let from = ways.partition_point(|(fw, _)| *fw < s.fw);
            for (_, w) in ways[from..].iter().take_while(|(fw, _)| *fw == s.fw) {
                let first = &self.xws[w.first() as usize];
                let Some(x) = s.value(first.src.ind) else {
                    continue;
                };
                let converted = w
                    .links()
                    .iter()
                    .try_fold(x, |v, &i| self.xws[i as usize].transform.apply(v));
                let y = match converted {
                    Ok(y) => y,
                    Err(e) => {
                        failures.push(format!(
                            "crosswalk {} cannot convert {x}: {e}",
                            first.held.payload.id
                        ));
                        continue;
                    }
                };
                let mut flags = Vec::new();
                if w.len == 1 {
                    if first.held.payload.relation != Relation::Exact {
                        flags.push(RowFlag::NotExact);
                    }
                    if first.status != CrosswalkStatus::Recognised {
                        flags.push(RowFlag::Unrecognised);
                    }
                }
                if !self.matches[first.req as usize][s.ver as usize] {
                    flags.push(RowFlag::VersionOutOfRange);
                }
                range_flag(y, &mut flags);
                let confidence = w
                    .links()
                    .iter()
                    .map(|&i| self.xws[i as usize].held.payload.confidence.get())
                    .fold(1.0_f64, f64::min);
                let key = Key::new(flags.len(), w.len as usize, confidence, Some(first.key));
                let found = VFound {
                    value: y,
                    source_value: x,
                    sum: s,
                    way: Some(*w),
                    flags,
                };
                consider(&mut best, key, found);
            }
        }
        if let Some((_, found)) = best {
            return Ok(found);
        }
        if !failures.is_empty() {
            return Err(failures.join("; "));
        }
        // Explain: a crosswalk that exists but is not usable, or none at all.
        let unusable: Vec<String> = self
            .targets
            .get(&rk)
            .map(|t| t.all.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.xws[i as usize])
            .filter(|x| list().any(|s| s.fw == x.src.fw))
            .map(|x| {
                let why = || self.record(self.xw_by_hash[&x.key]).why;
                compare::unusable(&x.held.payload, x.status, why, period)
            })
            .collect();
        if !unusable.is_empty() {
            return Err(unusable.join("; "));
        }
        Err(compare::no_way(
            list().map(|s| self.fws[s.fw as usize].id.as_str()),
            r,
        ))
    }

    /// The harmonised comparison of reference indicator `r` for `period`.
    pub fn compare(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<Comparison, CompareError> {
        self.compare_with_deps(r, period, include_flagged)
            .map(|(c, _)| c)
    }

    /// [`View::compare`] of each of `refs`, on all cores.
    pub fn compare_all(
        &self,
        refs: &[IndicatorRef],
        period: Period,
        include_flagged: bool,
    ) -> Vec<Result<Comparison, CompareError>> {
        refs.par_iter()
            .map(|r| self.compare(r, period, include_flagged))
            .collect()
    }

    /// [`View::compare`], with the stamps the answer depends on.
    pub fn compare_with_deps(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<(Comparison, Deps), CompareError> {
        let (rf, reference) = self.reference(r, period)?;
        let rk = self
            .iref(r)
            .ok_or_else(|| CompareError::UnknownIndicator(r.code.clone(), r.framework.clone()))?;
        let (members, alliance) = self.group(&r.framework);
        let mut read = Vec::new();
        let ways = self.index_ways(self.paths_to(rk, period, &mut read));
        let prev_period = period.previous();
        let prev_ways = prev_period.map(|p| self.index_ways(self.paths_to(rk, p, &mut read)));
        let mut g = Gather {
            inputs: Vec::with_capacity(members.len() * 8 + 2),
            consulted: match alliance {
                Some(a) => vec![a],
                None => (0..self.alliances.len()).collect(),
            },
            frameworks: vec![false; self.fws.len()],
        };
        g.inputs.push((prefix(&rf.hash.to_bytes()), &rf.hash));
        self.note_framework(rk.fw, &mut g);
        let mut found: Vec<FoundRow<'_>> = Vec::with_capacity(members.len());
        let mut used: Vec<u32> = Vec::with_capacity(members.len() * 2);
        let mut missing = Vec::new();
        for &m in members {
            let code = &self.members[m as usize];
            match self.find(m, r, rk, reference, period, &ways) {
                Ok(f) => {
                    let prev = match (prev_period, &prev_ways) {
                        (Some(pp), Some(ways)) => {
                            self.find(m, r, rk, reference, pp, ways).ok().filter(|p| {
                                include_flagged || p.flags.iter().all(|x| f.flags.contains(x))
                            })
                        }
                        _ => None,
                    };
                    self.note_inputs(&f, &mut g);
                    used.extend(f.way.iter().flat_map(|w| w.links().iter().copied()));
                    used.extend(
                        prev.iter()
                            .flat_map(|p| p.way.iter().flat_map(|w| w.links().iter().copied())),
                    );
                    if let Some(p) = &prev {
                        match (&p.way, &f.way) {
                            // The same way: only the summary is new.
                            (Some(a), Some(b)) if a.links() == b.links() => {
                                g.inputs.push((p.sum.pfx, &p.sum.hash));
                            }
                            _ => self.note_inputs(p, &mut g),
                        }
                    }
                    found.push(FoundRow {
                        jurisdiction: code.clone(),
                        value: f.value,
                        source_value: f.source_value,
                        summary: &f.sum.hash,
                        source: f
                            .way
                            .map(|w| self.indicator(self.xws[w.first() as usize].src)),
                        source_version: &f.sum.version,
                        crosswalk: f.way.map(|w| self.crosswalk_use(&w)),
                        flags: f.flags,
                        previous: prev.map(|p| (p.value, &p.sum.hash)),
                    });
                }
                Err(reason) => missing.push(MissingMember {
                    jurisdiction: code.clone(),
                    reason,
                }),
            }
        }
        let Gather {
            mut inputs,
            mut consulted,
            ..
        } = g;
        inputs.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                if std::ptr::eq(a.1, b.1) {
                    std::cmp::Ordering::Equal
                } else {
                    a.1.cmp(b.1)
                }
            })
        });
        inputs.dedup_by(|a, b| a.1 == b.1);
        let inputs: Vec<DocHash> = inputs.into_iter().map(|(_, h)| h.clone()).collect();
        consulted.sort_unstable();
        consulted.dedup();
        let consulted: Vec<&AllianceView> = consulted.iter().map(|&a| &self.alliances[a]).collect();
        let head: Arc<[u8]> = compare::manifest_head(
            &compare::comparison_params(r, period, include_flagged),
            &consulted,
        )
        .into();
        let comparison = compare::finish(
            Head {
                r,
                period,
                include_flagged,
                reference,
                reference_version: &rf.payload.version,
            },
            found,
            missing,
            inputs,
            &head,
        );
        read.sort_unstable();
        used.sort_unstable();
        used.dedup();
        read.dedup();
        let stamp = |p: Period| (p, self.period_stamps.get(&p).copied().unwrap_or(0));
        let deps = Deps {
            global: self.global_stamp,
            periods: std::iter::once(period)
                .chain(prev_period)
                .map(stamp)
                .collect(),
            targets: read
                .into_iter()
                .map(|t| {
                    let x = self.targets.get(&t);
                    (
                        t.fw,
                        t.ind,
                        x.map_or(0, |x| x.stamp),
                        x.map_or(0, |x| x.soft.len() as u32),
                    )
                })
                .collect(),
            used,
            head,
        };
        Ok((comparison, deps))
    }

    /// Whether an answer that read `deps` would still be the same now.
    pub fn still_valid(&self, deps: &Deps) -> bool {
        self.stamps_hold(deps)
            && deps.targets.iter().all(|&(fw, ind, _, n)| {
                self.targets
                    .get(&IRef { fw, ind })
                    .map_or(0, |t| t.soft.len())
                    == n as usize
            })
    }

    /// Whether every stamp `deps` read is unchanged (endorsements logged
    /// since aside).
    fn stamps_hold(&self, deps: &Deps) -> bool {
        deps.global == self.global_stamp
            && deps
                .periods
                .iter()
                .all(|(p, s)| self.period_stamps.get(p).copied().unwrap_or(0) == *s)
            && deps.targets.iter().all(|&(fw, ind, s, _)| {
                self.targets.get(&IRef { fw, ind }).map_or(0, |t| t.stamp) == s
            })
    }

    /// What became of an answer that read `deps`: still the same, the same
    /// but for endorsements to add to its inputs, or stale.
    pub fn revalidate(&self, deps: &Deps) -> Revalidation {
        if !self.stamps_hold(deps) {
            return Revalidation::Stale;
        }
        let mut added = Vec::new();
        let mut now = deps.clone();
        for t in &mut now.targets {
            let logged = self
                .targets
                .get(&IRef { fw: t.0, ind: t.1 })
                .map_or(&[][..], |x| x.soft.as_slice());
            // The log only grows while the stamp holds.
            let Some(new) = logged.get(t.3 as usize..) else {
                return Revalidation::Stale;
            };
            for &(i, e) in new {
                if deps.used.binary_search(&i).is_ok() {
                    added.push(self.ends[e as usize].held.hash.clone());
                }
            }
            t.3 = logged.len() as u32;
        }
        if added.is_empty() {
            Revalidation::Same(now)
        } else {
            Revalidation::Inputs(added, now)
        }
    }

    fn note_inputs<'a>(&'a self, f: &VFound<'a>, g: &mut Gather<'a>) {
        g.inputs.push((f.sum.pfx, &f.sum.hash));
        let Some(w) = &f.way else { return };
        let first = &self.xws[w.first() as usize];
        self.note_framework(first.src.fw, g);
        for &i in w.links() {
            let x = &self.xws[i as usize];
            g.inputs.push((x.pfx, &x.held.hash));
            self.note_framework(x.src.fw, g);
            self.note_framework(x.tgt.fw, g);
            for &e in &x.ends {
                let e = &self.ends[e as usize];
                g.inputs.push((e.pfx, &e.held.hash));
            }
        }
    }

    /// Notes, once per comparison, the document establishing framework
    /// `fw`'s owner and the roster of an alliance that owns it.
    fn note_framework<'a>(&'a self, fw: u32, g: &mut Gather<'a>) {
        if std::mem::replace(&mut g.frameworks[fw as usize], true) {
            return;
        }
        let f = &self.fws[fw as usize];
        if let Some((p, h)) = &f.owner_doc {
            g.inputs.push((*p, h));
        }
        if let (Some(Owner::Alliance(_)), Some(a)) = (&f.owner, f.owner_alliance) {
            g.consulted.push(a);
        }
    }

    fn crosswalk_use(&self, w: &Way) -> CrosswalkUse {
        let first = &self.xws[w.first() as usize];
        let recognised = w
            .links()
            .iter()
            .all(|&i| self.xws[i as usize].status == CrosswalkStatus::Recognised);
        CrosswalkUse {
            id: first.held.payload.id.clone(),
            version: first.held.payload.version,
            hash: first.held.hash.clone(),
            relation: first.held.payload.relation,
            recognised,
            status: first.status,
            via: w.links()[1..]
                .iter()
                .map(|&i| {
                    let x = &self.xws[i as usize];
                    CrosswalkLink {
                        id: x.held.payload.id.clone(),
                        hash: x.held.hash.clone(),
                    }
                })
                .collect(),
        }
    }

    /// A composite index of weighted reference indicators.
    pub fn composite(&self, spec: &CompositeSpec) -> Result<Composite, CompareError> {
        compare::composite_of(self, spec)
    }
}

impl Harmonised for View {
    fn compare(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<Comparison, CompareError> {
        View::compare(self, r, period, include_flagged)
    }

    fn group_members(&self, framework: &FrameworkId) -> Vec<JurisdictionCode> {
        self.group(framework)
            .0
            .iter()
            .map(|&m| self.members[m as usize].clone())
            .collect()
    }

    fn reference_indicator(
        &self,
        r: &IndicatorRef,
        period: Period,
    ) -> Result<&Indicator, CompareError> {
        self.reference(r, period).map(|(_, i)| i)
    }
}

/// Which index of a target.
#[derive(Clone, Copy)]
enum List {
    All,
    Usable,
    Exact,
}

/// A way from a summary to the reference: crosswalk documents from the
/// source side to the reference, at most [`MAX_CHAIN`].
#[derive(Debug, Clone, Copy)]
struct Way {
    links: [u32; MAX_CHAIN],
    len: u8,
}

impl Way {
    fn one(i: u32) -> Self {
        Way {
            links: [i, 0, 0, 0],
            len: 1,
        }
    }

    fn first(&self) -> u32 {
        self.links[0]
    }

    fn links(&self) -> &[u32] {
        &self.links[..self.len as usize]
    }

    /// This way with `i` put in front.
    fn before(&self, i: u32) -> Self {
        let mut links = [0; MAX_CHAIN];
        links[0] = i;
        links[1..=self.len as usize].copy_from_slice(self.links());
        Way {
            links,
            len: self.len + 1,
        }
    }
}

/// What a comparison read, as it is gathered: input documents (with their
/// hash prefix, for sorting), the rosters consulted, and the frameworks
/// already noted.
struct Gather<'a> {
    inputs: Vec<(u64, &'a DocHash)>,
    consulted: Vec<usize>,
    frameworks: Vec<bool>,
}

/// How one member's value was reached.
#[derive(Debug, Clone)]
struct VFound<'a> {
    value: f64,
    source_value: f64,
    sum: &'a Sum,
    way: Option<Way>,
    flags: Vec<RowFlag>,
}
