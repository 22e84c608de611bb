//! Harmonised comparisons and composites over the documents held.
//!
//! [`Catalogue::build`] indexes the held frameworks, summaries, crosswalks,
//! endorsements and the alliance rosters in force once; [`Catalogue::compare`]
//! and [`Catalogue::composite`] then answer from the index. Nothing here does
//! IO: the same documents give the same answer, with the same manifest hash,
//! on every node.
//!
//! # How a member's value is found
//!
//! The comparison's group is the alliance that owns the reference framework
//! (or, for a jurisdiction's framework, every member of the node's alliances).
//! For each member, its current summaries for the period are read (the latest
//! on its chain per framework; a summary counts only for the issuer's own
//! framework or a reference framework of an alliance it belongs to). A value
//! reaches the reference indicator by, in order of preference:
//!
//! 1. a summary of the reference framework itself (no crosswalk);
//! 2. a crosswalk from one of its indicators straight onto the reference
//!    indicator, whatever its relation, if it is recognised or pending;
//! 3. a chain of crosswalks, every one exact and recognised (equivalence
//!    carries over only along exact relations), at most four long.
//!
//! Rejected and superseded crosswalks are never used, nor crosswalks whose
//! valid periods do not cover the whole period. Among several ways the one
//! with the fewest flags wins, then the shortest (a value of the reference
//! framework itself before any crosswalk), then the most confident (the least
//! confident link of a chain counts), then the smallest hash of the first
//! crosswalk.
//!
//! The change from the previous period uses the member's value for that
//! period found the same way, and only when it carries no flag the current
//! row does not carry (or the caller asked for flagged rows).
//!
//! A row is flagged `not_exact`, `unrecognised` (pending), or
//! `version_out_of_range` (the summary's framework version is outside the
//! first crosswalk's range), or `outside_range` when the harmonised value is
//! outside the reference indicator's valid range. Flagged rows are shown but
//! left out of ranks and statistics unless the caller asks to include them.
//!
//! # Manifest
//!
//! The manifest hash is SHA-256 over these lines (each ending in `\n`):
//! `deltabench-comparison/1`, `indicator <ref>`, `period <p>`,
//! `include_flagged <true|false>`, one `alliance <id> <version> <digest>` per
//! roster consulted (the group's, or every roster for a jurisdiction's
//! reference framework, and those of alliances owning a side of a crosswalk
//! used; by id), then one `input <hash>` per input document in sorted
//! order. Inputs are the reference framework version, the frameworks that
//! establish the owners of the frameworks involved, every summary a row or
//! previous value comes from, every crosswalk used and every endorsement of
//! those crosswalks. A node holding the same inputs recomputes the same hash.

use crate::Held;
use crate::composite::{self, Column, CompositeError, Params};
use crate::recognition::{self, AllianceView};
use crate::scores::{self, Orientation};
use crate::transform;
use deltabench_model::comparison::{
    Comparison, ComparisonRow, Composite, CompositeIndicator, CompositeRow, CompositeSpec,
    CrosswalkLink, CrosswalkRecord, CrosswalkStatus, CrosswalkUse, ExcludedMember, MissingMember,
    RowFlag,
};
use deltabench_model::documents::{
    Crosswalk, Endorsement, Framework, Indicator, Owner, Relation, Summary,
};
use deltabench_model::{
    AllianceId, DocHash, FrameworkId, IndicatorCode, IndicatorRef, InvalidField, JurisdictionCode,
    Period, Value,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The documents a catalogue is built from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Framework documents.
    pub frameworks: Vec<Held<Framework>>,
    /// Summary documents.
    pub summaries: Vec<Held<Summary>>,
    /// Crosswalk documents.
    pub crosswalks: Vec<Held<Crosswalk>>,
    /// Endorsement documents.
    pub endorsements: Vec<Held<Endorsement>>,
    /// The alliance rosters in force.
    pub alliances: Vec<AllianceView>,
}

/// Why a comparison or composite cannot be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    /// No held version of the framework has the indicator.
    #[error("{0} is not an indicator of any held version of framework {1}")]
    UnknownIndicator(IndicatorCode, FrameworkId),
    /// The framework is not held.
    #[error("no version of framework {0} is held")]
    UnknownFramework(FrameworkId),
    /// A request field is invalid.
    #[error("{0}")]
    Invalid(InvalidField),
    /// The composite cannot be computed.
    #[error("{0}")]
    Composite(#[from] CompositeError),
}

/// A way from a summary to the reference indicator.
#[derive(Debug, Clone)]
struct Path {
    /// Record indices, from the source side to the reference.
    links: Vec<usize>,
}

/// The documents held, indexed for comparisons.
#[derive(Debug, Clone)]
pub struct Catalogue {
    alliances: Vec<AllianceView>,
    owners: BTreeMap<FrameworkId, Owner>,
    /// The framework document that establishes each framework's owner.
    owner_docs: BTreeMap<FrameworkId, DocHash>,
    /// Owner-valid framework versions per id, by version.
    frameworks: BTreeMap<FrameworkId, Vec<Held<Framework>>>,
    /// Current summaries per (issuer, period), one per framework.
    summaries: HashMap<(JurisdictionCode, Period), Vec<Held<Summary>>>,
    records: Vec<CrosswalkRecord>,
    /// Each record's source indicator.
    sources: Vec<IndicatorRef>,
    /// Usable (recognised or pending) crosswalks by target.
    by_target: HashMap<IndicatorRef, Vec<usize>>,
    /// Recognised exact crosswalks by target, for chains.
    exact_by_target: HashMap<IndicatorRef, Vec<usize>>,
    /// Every crosswalk (any status) by target, to explain missing rows.
    all_by_target: HashMap<IndicatorRef, Vec<usize>>,
}

/// How one member's value was reached, before statistics.
#[derive(Debug, Clone)]
struct Found<'a> {
    value: f64,
    source_value: f64,
    summary: &'a DocHash,
    /// The source indicator; `None` for the reference itself.
    source: Option<&'a IndicatorRef>,
    source_version: &'a semver::Version,
    path: Option<Path>,
    flags: Vec<RowFlag>,
}

/// The longest chain of crosswalks a value may travel.
pub(crate) const MAX_CHAIN: usize = 4;

impl Catalogue {
    /// Indexes the documents.
    pub fn build(inputs: Inputs) -> Self {
        let Inputs {
            mut frameworks,
            summaries,
            crosswalks,
            endorsements,
            alliances,
        } = inputs;
        frameworks.sort_by(|a, b| (&a.issuer, a.seq).cmp(&(&b.issuer, b.seq)));
        let owners = recognition::framework_owners(&frameworks, &alliances);
        let mut owner_docs = BTreeMap::new();
        let mut by_id: BTreeMap<FrameworkId, Vec<Held<Framework>>> = BTreeMap::new();
        for f in frameworks {
            if owners.get(&f.payload.id) != Some(&f.payload.owner)
                || !recognition::owner_may_issue(&f.payload.owner, &f.issuer, &alliances)
            {
                continue;
            }
            owner_docs
                .entry(f.payload.id.clone())
                .or_insert_with(|| f.hash.clone());
            by_id.entry(f.payload.id.clone()).or_default().push(f);
        }
        for versions in by_id.values_mut() {
            // One document per version: the earliest issued, then smallest hash.
            versions.sort_by(|a, b| {
                (&a.payload.version, a.issued_at.unix(), &a.hash).cmp(&(
                    &b.payload.version,
                    b.issued_at.unix(),
                    &b.hash,
                ))
            });
            versions.dedup_by(|b, a| a.payload.version == b.payload.version);
        }
        let mut latest: HashMap<(JurisdictionCode, Period, FrameworkId), Held<Summary>> =
            HashMap::new();
        for s in summaries {
            let allowed = match owners.get(&s.payload.framework) {
                Some(Owner::Jurisdiction(code)) => code == &s.issuer,
                Some(Owner::Alliance(a)) => {
                    alliances.iter().any(|v| &v.id == a && v.has(&s.issuer))
                }
                None => false,
            };
            if !allowed {
                continue;
            }
            let key = (
                s.issuer.clone(),
                s.payload.period,
                s.payload.framework.clone(),
            );
            match latest.get(&key) {
                Some(cur) if cur.seq >= s.seq => {}
                _ => {
                    latest.insert(key, s);
                }
            }
        }
        let mut current: HashMap<(JurisdictionCode, Period), Vec<Held<Summary>>> = HashMap::new();
        for ((issuer, period, _), s) in latest {
            current.entry((issuer, period)).or_default().push(s);
        }
        for v in current.values_mut() {
            v.sort_by(|a, b| a.payload.framework.cmp(&b.payload.framework));
        }
        let records = recognition::recognise(&crosswalks, &endorsements, &owners, &alliances);
        let mut by_target: HashMap<IndicatorRef, Vec<usize>> = HashMap::new();
        let mut exact_by_target: HashMap<IndicatorRef, Vec<usize>> = HashMap::new();
        let mut all_by_target: HashMap<IndicatorRef, Vec<usize>> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            let t = r.crosswalk.target.clone();
            all_by_target.entry(t.clone()).or_default().push(i);
            match r.status {
                CrosswalkStatus::Recognised => {
                    by_target.entry(t.clone()).or_default().push(i);
                    if r.crosswalk.relation == Relation::Exact {
                        exact_by_target.entry(t).or_default().push(i);
                    }
                }
                CrosswalkStatus::Pending => by_target.entry(t).or_default().push(i),
                CrosswalkStatus::Rejected | CrosswalkStatus::Superseded => {}
            }
        }
        let sources = records
            .iter()
            .map(|r| IndicatorRef {
                framework: r.crosswalk.source.framework.clone(),
                code: r.crosswalk.source.indicator.clone(),
            })
            .collect();
        Self {
            alliances,
            owners,
            owner_docs,
            frameworks: by_id,
            summaries: current,
            records,
            sources,
            by_target,
            exact_by_target,
            all_by_target,
        }
    }

    /// Every crosswalk document held, with its recognition state.
    pub fn crosswalks(&self) -> &[CrosswalkRecord] {
        &self.records
    }

    /// The periods that current summaries are held for, in order.
    pub fn periods(&self) -> BTreeSet<Period> {
        self.summaries.keys().map(|(_, p)| *p).collect()
    }

    /// The framework owners known from the documents held.
    pub fn owners(&self) -> &BTreeMap<FrameworkId, Owner> {
        &self.owners
    }

    /// The owner-valid versions of framework `id`, oldest first.
    pub fn framework_versions(&self, id: &FrameworkId) -> &[Held<Framework>] {
        self.frameworks.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The reference indicator for `period`: from the latest version that
    /// applies to the period, else the latest version having the indicator.
    fn reference(
        &self,
        r: &IndicatorRef,
        period: Period,
    ) -> Result<(&Held<Framework>, &Indicator), CompareError> {
        let versions = self
            .frameworks
            .get(&r.framework)
            .ok_or_else(|| CompareError::UnknownFramework(r.framework.clone()))?;
        let with = |f: &&Held<Framework>| f.payload.indicator(&r.code).is_some();
        let f = versions
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

    /// The comparison's group and the alliance it comes from.
    fn group(&self, framework: &FrameworkId) -> (Vec<JurisdictionCode>, Option<&AllianceView>) {
        if let Some(Owner::Alliance(a)) = self.owners.get(framework) {
            if let Some(v) = self.alliances.iter().find(|v| &v.id == a) {
                let mut m = v.members.clone();
                m.sort();
                return (m, Some(v));
            }
        }
        let set: BTreeSet<JurisdictionCode> = self
            .alliances
            .iter()
            .flat_map(|v| v.members.iter().cloned())
            .collect();
        (set.into_iter().collect(), None)
    }

    /// Every way onto `r`: direct crosswalks (recognised or pending) and
    /// chains of recognised exact ones.
    fn paths_to(&self, r: &IndicatorRef, period: Period) -> Vec<Path> {
        let valid = |i: &usize| {
            let c = &self.records[*i].crosswalk;
            period_within(c.valid_from, c.valid_to, period)
        };
        let mut out = Vec::new();
        for &i in self.by_target.get(r).into_iter().flatten() {
            if valid(&i) {
                out.push(Path { links: vec![i] });
            }
        }
        // Chains: walk back from r over recognised exact crosswalks.
        let mut frontier: Vec<Path> = out
            .iter()
            .filter(|p| self.exact_recognised(p.links[0]))
            .cloned()
            .collect();
        for _ in 1..MAX_CHAIN {
            let mut next = Vec::new();
            for p in &frontier {
                let into = &self.sources[p.links[0]];
                for &i in self.exact_by_target.get(into).into_iter().flatten() {
                    if !valid(&i) {
                        continue;
                    }
                    let src = &self.sources[i];
                    let seen = src.framework == r.framework
                        || p.links.iter().any(|&l| &self.sources[l] == src);
                    if seen {
                        continue;
                    }
                    let mut links = vec![i];
                    links.extend(&p.links);
                    next.push(Path { links });
                }
            }
            out.extend(next.iter().cloned());
            frontier = next;
            if frontier.is_empty() {
                break;
            }
        }
        out
    }

    fn index_paths(&self, paths: Vec<Path>) -> PathIndex<'_> {
        let mut out: PathIndex<'_> = HashMap::new();
        for p in paths {
            out.entry(&self.sources[p.links[0]].framework)
                .or_default()
                .push(p);
        }
        out
    }

    fn exact_recognised(&self, i: usize) -> bool {
        let r = &self.records[i];
        r.status == CrosswalkStatus::Recognised && r.crosswalk.relation == Relation::Exact
    }

    /// The best way to `r` for `member` in `period`, or why there is none.
    fn find(
        &self,
        member: &JurisdictionCode,
        r: &IndicatorRef,
        reference: &Indicator,
        period: Period,
        paths: &PathIndex<'_>,
    ) -> Result<Found<'_>, String> {
        let Some(summaries) = self.summaries.get(&(member.clone(), period)) else {
            return Err(format!("no summary for {period}"));
        };
        let value_of = |s: &Summary, code: &IndicatorCode| {
            s.indicators
                .iter()
                .find(|e| &e.indicator == code)
                .and_then(|e| e.value)
                .map(Value::get)
        };
        let range_flag = |v: f64, flags: &mut Vec<RowFlag>| {
            if reference.range.is_some_and(|rg| !rg.contains_f64(v)) {
                flags.push(RowFlag::OutsideRange);
            }
        };
        let mut best: Option<(Key<DocHash>, Found<'_>)> = None;
        let mut failures = Vec::new();
        for s in summaries {
            if s.payload.framework == r.framework {
                if let Some(v) = value_of(&s.payload, &r.code) {
                    let mut flags = Vec::new();
                    range_flag(v, &mut flags);
                    let key = Key::new(flags.len(), 0, 1.0, None);
                    let found = Found {
                        value: v,
                        source_value: v,
                        summary: &s.hash,
                        source: None,
                        source_version: &s.payload.version,
                        path: None,
                        flags,
                    };
                    consider(&mut best, key, found);
                }
                continue;
            }
            for p in paths.get(&s.payload.framework).into_iter().flatten() {
                let source = &self.sources[p.links[0]];
                let Some(x) = value_of(&s.payload, &source.code) else {
                    continue;
                };
                let converted = p.links.iter().try_fold(x, |v, &i| {
                    transform::apply(&self.records[i].crosswalk.transform, v)
                });
                let y = match converted {
                    Ok(y) => y,
                    Err(e) => {
                        failures.push(format!(
                            "crosswalk {} cannot convert {x}: {e}",
                            self.records[p.links[0]].crosswalk.id
                        ));
                        continue;
                    }
                };
                let first = &self.records[p.links[0]];
                let mut flags = Vec::new();
                if p.links.len() == 1 {
                    if first.crosswalk.relation != Relation::Exact {
                        flags.push(RowFlag::NotExact);
                    }
                    if first.status != CrosswalkStatus::Recognised {
                        flags.push(RowFlag::Unrecognised);
                    }
                }
                if !first.crosswalk.source.versions.matches(&s.payload.version) {
                    flags.push(RowFlag::VersionOutOfRange);
                }
                range_flag(y, &mut flags);
                let confidence = p
                    .links
                    .iter()
                    .map(|&i| self.records[i].crosswalk.confidence.get())
                    .fold(1.0_f64, f64::min);
                let key = Key::new(
                    flags.len(),
                    p.links.len(),
                    confidence,
                    Some(first.hash.clone()),
                );
                let found = Found {
                    value: y,
                    source_value: x,
                    summary: &s.hash,
                    source: Some(source),
                    source_version: &s.payload.version,
                    path: Some(p.clone()),
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
        let frameworks: Vec<&FrameworkId> =
            summaries.iter().map(|s| &s.payload.framework).collect();
        let unusable: Vec<String> = self
            .all_by_target
            .get(r)
            .into_iter()
            .flatten()
            .map(|&i| &self.records[i])
            .filter(|rec| frameworks.contains(&&rec.crosswalk.source.framework))
            .map(|rec| unusable(&rec.crosswalk, rec.status, || rec.why.clone(), period))
            .collect();
        if !unusable.is_empty() {
            return Err(unusable.join("; "));
        }
        Err(no_way(frameworks.iter().map(|f| f.as_str()), r))
    }

    /// The harmonised comparison of reference indicator `r` for `period`.
    pub fn compare(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<Comparison, CompareError> {
        let (rf, reference) = self.reference(r, period)?;
        let (members, alliance) = self.group(&r.framework);
        let paths = self.index_paths(self.paths_to(r, period));
        let prev_period = period.previous();
        let prev_paths = prev_period.map(|p| self.index_paths(self.paths_to(r, p)));
        let mut inputs: HashSet<&DocHash> = HashSet::new();
        inputs.insert(&rf.hash);
        if let Some(h) = self.owner_docs.get(&r.framework) {
            inputs.insert(h);
        }
        // The rosters the answer depends on: the group's, and those of the
        // alliances owning a side of a crosswalk used.
        let mut consulted: BTreeSet<&AllianceId> = match alliance {
            Some(v) => BTreeSet::from([&v.id]),
            None => self.alliances.iter().map(|v| &v.id).collect(),
        };
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for m in &members {
            match self.find(m, r, reference, period, &paths) {
                Ok(f) => {
                    let prev = match (prev_period, &prev_paths) {
                        (Some(pp), Some(paths)) => {
                            self.find(m, r, reference, pp, paths).ok().filter(|p| {
                                include_flagged || p.flags.iter().all(|x| f.flags.contains(x))
                            })
                        }
                        _ => None,
                    };
                    self.note_inputs(&f, &mut inputs, &mut consulted);
                    if let Some(p) = &prev {
                        self.note_inputs(p, &mut inputs, &mut consulted);
                    }
                    found.push((m.clone(), f, prev));
                }
                Err(reason) => missing.push(MissingMember {
                    jurisdiction: m.clone(),
                    reason,
                }),
            }
        }
        let found: Vec<FoundRow<'_>> = found
            .into_iter()
            .map(|(m, f, prev)| FoundRow {
                jurisdiction: m,
                value: f.value,
                source_value: f.source_value,
                summary: f.summary,
                source: f.source.cloned(),
                source_version: f.source_version,
                crosswalk: f.path.as_ref().map(|p| self.crosswalk_use(p)),
                flags: f.flags,
                previous: prev.map(|p| (p.value, p.summary)),
            })
            .collect();
        let mut inputs: Vec<DocHash> = inputs.into_iter().cloned().collect();
        inputs.sort();
        let consulted: Vec<&AllianceView> = self
            .alliances
            .iter()
            .filter(|v| consulted.contains(&v.id))
            .collect();
        Ok(finish(
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
            &manifest_head(&comparison_params(r, period, include_flagged), &consulted),
        ))
    }

    fn note_inputs<'a>(
        &'a self,
        f: &Found<'a>,
        inputs: &mut HashSet<&'a DocHash>,
        consulted: &mut BTreeSet<&'a AllianceId>,
    ) {
        inputs.insert(f.summary);
        if let Some(h) = f.source.and_then(|s| self.owner_docs.get(&s.framework)) {
            inputs.insert(h);
        }
        for &i in f.path.iter().flat_map(|p| p.links.iter()) {
            let rec = &self.records[i];
            inputs.insert(&rec.hash);
            for fw in [
                &rec.crosswalk.source.framework,
                &rec.crosswalk.target.framework,
            ] {
                if let Some(h) = self.owner_docs.get(fw) {
                    inputs.insert(h);
                }
                if let Some(Owner::Alliance(a)) = self.owners.get(fw) {
                    consulted.insert(a);
                }
            }
            for e in &rec.endorsements {
                inputs.insert(&e.hash);
            }
        }
    }

    fn crosswalk_use(&self, p: &Path) -> CrosswalkUse {
        let first = &self.records[p.links[0]];
        let recognised = p
            .links
            .iter()
            .all(|&i| self.records[i].status == CrosswalkStatus::Recognised);
        CrosswalkUse {
            id: first.crosswalk.id.clone(),
            version: first.crosswalk.version,
            hash: first.hash.clone(),
            relation: first.crosswalk.relation,
            recognised,
            status: first.status,
            via: p.links[1..]
                .iter()
                .map(|&i| CrosswalkLink {
                    id: self.records[i].crosswalk.id.clone(),
                    hash: self.records[i].hash.clone(),
                })
                .collect(),
        }
    }

    /// A composite index of weighted reference indicators.
    pub fn composite(&self, spec: &CompositeSpec) -> Result<Composite, CompareError> {
        composite_of(self, spec)
    }
}

impl Harmonised for Catalogue {
    fn compare(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<Comparison, CompareError> {
        Catalogue::compare(self, r, period, include_flagged)
    }

    fn group_members(&self, framework: &FrameworkId) -> Vec<JurisdictionCode> {
        self.group(framework).0
    }

    fn reference_indicator(
        &self,
        r: &IndicatorRef,
        period: Period,
    ) -> Result<&Indicator, CompareError> {
        self.reference(r, period).map(|(_, i)| i)
    }
}

/// What a composite needs of an engine: comparisons, the group of a
/// framework, and the reference indicator for a period.
pub trait Harmonised {
    /// The harmonised comparison of reference indicator `r` for `period`.
    fn compare(
        &self,
        r: &IndicatorRef,
        period: Period,
        include_flagged: bool,
    ) -> Result<Comparison, CompareError>;
    /// The members compared on an indicator of `framework`, in code order.
    fn group_members(&self, framework: &FrameworkId) -> Vec<JurisdictionCode>;
    /// The reference indicator `r` as defined for `period`.
    fn reference_indicator(
        &self,
        r: &IndicatorRef,
        period: Period,
    ) -> Result<&Indicator, CompareError>;
}

/// A composite index of weighted reference indicators, from the comparisons
/// of engine `h`.
pub fn composite_of<H: Harmonised + ?Sized>(
    h: &H,
    spec: &CompositeSpec,
) -> Result<Composite, CompareError> {
    spec.validate().map_err(CompareError::Invalid)?;
    let mut comparisons = Vec::new();
    for part in &spec.indicators {
        comparisons.push(h.compare(&part.indicator, spec.period, spec.include_flagged)?);
    }
    let members: BTreeSet<JurisdictionCode> = spec
        .indicators
        .iter()
        .flat_map(|p| h.group_members(&p.indicator.framework))
        .collect();
    let members: Vec<JurisdictionCode> = members.into_iter().collect();
    let mut columns = Vec::new();
    let mut indicators = Vec::new();
    let total: f64 = spec.indicators.iter().map(|p| p.weight.get()).sum();
    for (part, c) in spec.indicators.iter().zip(&comparisons) {
        let ind = h.reference_indicator(&part.indicator, spec.period)?;
        columns.push(Column {
            weight: part.weight.get(),
            orientation: Orientation {
                direction: ind.direction,
                target: ind.target.map(Value::get),
            },
            range_width: ind.range.map(|r| r.max.get() - r.min.get()),
        });
        indicators.push(CompositeIndicator {
            indicator: part.indicator.clone(),
            weight: part.weight,
            share: Value::new(part.weight.get() / total).map_err(CompareError::Invalid)?,
            unit: c.unit.clone(),
            direction: c.direction,
        });
    }
    let values: Vec<Vec<Option<f64>>> = members
        .iter()
        .map(|m| {
            comparisons
                .iter()
                .map(|c| {
                    c.rows
                        .iter()
                        .find(|r| &r.jurisdiction == m && r.rank.is_some())
                        .map(|r| r.value.get())
                })
                .collect()
        })
        .collect();
    let params = Params {
        normalisation: spec.normalisation,
        aggregation: spec.aggregation,
        missing: spec.missing,
        draws: spec.draws,
        seed: spec.seed,
        perturbation: spec.perturbation.get(),
    };
    let result = composite::composite(&columns, &values, &params)?;
    let val = |v: f64| Value::new(v).map_err(CompareError::Invalid);
    let mut rows = Vec::new();
    for r in &result.rows {
        rows.push(CompositeRow {
            jurisdiction: members[r.member].clone(),
            index: val(r.index)?,
            rank: r.rank,
            rank_interval: r.rank_interval,
            coverage: val(r.coverage)?,
            scores: r
                .scores
                .iter()
                .map(|s| s.and_then(|v| Value::new(v).ok()))
                .collect(),
        });
    }
    let excluded = result
        .excluded
        .iter()
        .map(|(m, cols)| {
            // A row without a rank is a flagged value the comparison shows
            // but does not rank: the member has a value, not a usable one.
            let (flagged, lacks): (Vec<usize>, Vec<usize>) = cols.iter().partition(|&&c| {
                comparisons[c]
                    .rows
                    .iter()
                    .any(|r| r.jurisdiction == members[*m] && r.rank.is_none())
            });
            let refs = |cols: Vec<usize>| {
                cols.into_iter()
                    .map(|c| spec.indicators[c].indicator.clone())
                    .collect()
            };
            ExcludedMember {
                jurisdiction: members[*m].clone(),
                lacks: refs(lacks),
                flagged: refs(flagged),
            }
        })
        .collect();
    let inputs: Vec<DocHash> = comparisons
        .iter()
        .flat_map(|c| c.inputs.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut lines = vec![
        "kind composite".to_string(),
        format!("period {}", spec.period),
        format!("normalisation {:?}", spec.normalisation),
        format!("aggregation {:?}", spec.aggregation),
        format!("missing {:?}", spec.missing),
        format!("include_flagged {}", spec.include_flagged),
        format!("draws {}", spec.draws),
        format!("seed {}", spec.seed),
        format!("perturbation {}", spec.perturbation.get()),
    ];
    for (p, c) in spec.indicators.iter().zip(&comparisons) {
        lines.push(format!(
            "part {} {} {}",
            p.indicator,
            p.weight.get(),
            c.manifest
        ));
    }
    let manifest = manifest(&lines, &[], &inputs);
    Ok(Composite {
        period: spec.period,
        indicators,
        normalisation: spec.normalisation,
        aggregation: spec.aggregation,
        missing: spec.missing,
        include_flagged: spec.include_flagged,
        draws: spec.draws,
        seed: spec.seed,
        perturbation: spec.perturbation,
        method: method_words(&params),
        rows,
        excluded,
        inputs,
        manifest,
    })
}

fn method_words(p: &Params) -> String {
    use deltabench_model::comparison::{
        CompositeAggregation as A, MissingValues as M, Normalisation as N,
    };
    let missing = match p.missing {
        M::Exclude => "members lacking any indicator are left out and listed under excluded",
        M::Reweight => {
            "a member lacking an indicator is scored on the others, their weights scaled up to sum to 1 (coverage is the share of weight it had)"
        }
    };
    let norm = match p.normalisation {
        N::MinMax => "each indicator scaled 0-100 from the worst to the best member",
        N::ZScore => {
            "each indicator as z-scores (population standard deviation), above 0 better than the mean"
        }
        N::DistanceToFrontier => {
            "each indicator as 100 × (1 − distance to the best member ÷ the indicator's range width, or the observed spread when it declares no range)"
        }
    };
    let agg = match p.aggregation {
        A::Arithmetic => "weighted arithmetic mean",
        A::Geometric => "weighted geometric mean (a score of 0 gives an index of 0)",
    };
    format!(
        "{missing}; {norm}; {agg}; rank intervals are the 5th and 95th percentile ranks over {} draws, each weight multiplied by a uniform factor in [1 − {p}, 1 + {p}]",
        p.draws,
        p = p.perturbation
    )
}

/// A member's value as an engine found it, before statistics.
pub(crate) struct FoundRow<'a> {
    pub(crate) jurisdiction: JurisdictionCode,
    pub(crate) value: f64,
    pub(crate) source_value: f64,
    pub(crate) summary: &'a DocHash,
    /// The source indicator; `None` for the reference itself.
    pub(crate) source: Option<IndicatorRef>,
    pub(crate) source_version: &'a semver::Version,
    pub(crate) crosswalk: Option<CrosswalkUse>,
    pub(crate) flags: Vec<RowFlag>,
    /// The previous period's value and its summary.
    pub(crate) previous: Option<(f64, &'a DocHash)>,
}

/// What a comparison asks and the reference indicator it is about.
pub(crate) struct Head<'a> {
    pub(crate) r: &'a IndicatorRef,
    pub(crate) period: Period,
    pub(crate) include_flagged: bool,
    pub(crate) reference: &'a Indicator,
    pub(crate) reference_version: &'a semver::Version,
}

/// Statistics, rows in rank order and the manifest: the part of a
/// comparison that follows from the values found. `inputs` are sorted;
/// `manifest_head` names the parameters and the rosters the answer depends
/// on ([`manifest_head`]).
pub(crate) fn finish(
    head: Head<'_>,
    found: Vec<FoundRow<'_>>,
    missing: Vec<MissingMember>,
    inputs: Vec<DocHash>,
    manifest_head: &[u8],
) -> Comparison {
    let Head {
        r,
        period,
        include_flagged,
        reference,
        reference_version,
    } = head;
    let orientation = Orientation {
        direction: reference.direction,
        target: reference.target.map(Value::get),
    };
    // Statistics over the ranked rows.
    let ranked: Vec<usize> = (0..found.len())
        .filter(|&i| include_flagged || found[i].flags.is_empty())
        .collect();
    let values: Vec<f64> = ranked.iter().map(|&i| found[i].value).collect();
    let goodness: Vec<f64> = values.iter().map(|&v| orientation.goodness(v)).collect();
    let ranks = scores::competition_ranks(&goodness);
    let z = scores::z_scores(&goodness);
    let mm = scores::minmax(&goodness);
    let dist = scores::frontier_distances(&goodness);
    let median = scores::median(&values);
    let frontier = goodness
        .iter()
        .zip(&values)
        .max_by(|a, b| a.0.total_cmp(b.0))
        .map(|(_, v)| *v);
    let mut stat: Vec<Option<usize>> = vec![None; found.len()];
    for (k, &i) in ranked.iter().enumerate() {
        stat[i] = Some(k);
    }
    let val = |v: f64| Value::new(v).ok();
    let rank_of = |i: usize| stat[i].map(|k| ranks[k]);
    // Rows in rank order, unranked last, then by code: the order is worked
    // out on indices, so each row is built once in its place.
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (ra, rb) = (rank_of(a), rank_of(b));
        (ra.is_none(), ra, &found[a].jurisdiction).cmp(&(rb.is_none(), rb, &found[b].jurisdiction))
    });
    let mut found: Vec<Option<FoundRow<'_>>> = found.into_iter().map(Some).collect();
    let rows: Vec<ComparisonRow> = order
        .into_iter()
        .filter_map(|i| {
            let f = found[i].take()?;
            let k = stat[i];
            let value = Value::new(f.value).ok()?;
            let source_value = Value::new(f.source_value).ok()?;
            Some(ComparisonRow {
                jurisdiction: f.jurisdiction,
                value,
                source_value,
                source_indicator: f.source.unwrap_or_else(|| r.clone()),
                source_version: f.source_version.clone(),
                rank: k.map(|k| ranks[k]),
                z_score: k.and_then(|k| val(z[k])),
                minmax: k.and_then(|k| val(mm[k])),
                distance_to_frontier: k.and_then(|k| val(dist[k])),
                peer_median: median.and_then(val),
                previous_value: f.previous.and_then(|p| val(p.0)),
                change: f.previous.and_then(|p| val(f.value - p.0)),
                previous_document: f.previous.map(|p| p.1.clone()),
                crosswalk: f.crosswalk,
                document: f.summary.clone(),
                flags: f.flags,
            })
        })
        .collect();
    let manifest = manifest_over(manifest_head, inputs.iter().map(DocHash::as_str));
    Comparison {
        indicator: r.clone(),
        period,
        unit: reference.unit.clone(),
        direction: reference.direction,
        reference_version: reference_version.clone(),
        include_flagged,
        frontier: frontier.and_then(val),
        median: median.and_then(val),
        rows,
        missing,
        inputs,
        manifest,
    }
}

/// Why a member whose summaries are of `frameworks` has no value of `r`
/// when no crosswalk onto `r` even applies.
pub(crate) fn no_way<'a>(frameworks: impl Iterator<Item = &'a str>, r: &IndicatorRef) -> String {
    let names: Vec<&str> = frameworks.collect();
    format!(
        "no usable crosswalk from {} onto {r}, and no value of {r} itself",
        names.join(", ")
    )
}

/// Why crosswalk `c`, in state `status`, gives a member no value for
/// `period`; `why` is the record's own explanation, asked for only when the
/// crosswalk is rejected or superseded.
pub(crate) fn unusable(
    c: &Crosswalk,
    status: CrosswalkStatus,
    why: impl FnOnce() -> String,
    period: Period,
) -> String {
    let why = match status {
        CrosswalkStatus::Rejected | CrosswalkStatus::Superseded => {
            format!("is {} ({})", status.as_str(), why())
        }
        _ if !period_within(c.valid_from, c.valid_to, period) => {
            format!("is not valid for {period}")
        }
        _ => format!(
            "maps {}/{}, for which its {period} summary has no value",
            c.source.framework, c.source.indicator
        ),
    };
    format!("crosswalk {} version {} {why}", c.id, c.version)
}

/// Whether `period` lies wholly between the start of `from` and the end of
/// `to` (either open): a crosswalk valid to `2025` covers `2025-Q3`, and one
/// valid to `2025-Q1` does not cover the year `2025`.
pub fn period_within(from: Option<Period>, to: Option<Period>, period: Period) -> bool {
    let (first, last) = period.months();
    let start = (period.year(), first);
    let end = (period.year(), last);
    from.is_none_or(|f| (f.year(), f.months().0) <= start)
        && to.is_none_or(|t| end <= (t.year(), t.months().1))
}

/// Ways to the reference, by the framework they start from.
type PathIndex<'a> = HashMap<&'a FrameworkId, Vec<Path>>;

/// Orders the ways to a value: fewest flags, shortest, most confident,
/// smallest crosswalk hash (a direct summary has none and sorts first).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key<H> {
    flags: usize,
    len: usize,
    confidence: f64,
    hash: Option<H>,
}

impl<H: Ord> Key<H> {
    /// The key of a way with `flags` flags over `len` crosswalks, the least
    /// confident of them `confidence`, the first of them `hash` (ordered as
    /// the lowercase hex of the hash orders).
    pub(crate) fn new(flags: usize, len: usize, confidence: f64, hash: Option<H>) -> Self {
        Self {
            flags,
            len,
            confidence,
            hash,
        }
    }

    fn better_than(&self, other: &Key<H>) -> bool {
        (self.flags, self.len)
            .cmp(&(other.flags, other.len))
            .then(other.confidence.total_cmp(&self.confidence))
            .then(self.hash.cmp(&other.hash))
            .is_lt()
    }
}

/// Keeps `found` as the best way when its key is better than the best's.
pub(crate) fn consider<H: Ord, F>(best: &mut Option<(Key<H>, F)>, key: Key<H>, found: F) {
    match best {
        Some((k, _)) if !key.better_than(k) => {}
        _ => *best = Some((key, found)),
    }
}

/// SHA-256 over the manifest lines, hex.
pub(crate) fn manifest(
    params: &[String],
    alliances: &[&AllianceView],
    inputs: &[DocHash],
) -> String {
    manifest_over(
        &manifest_head(params, alliances),
        inputs.iter().map(DocHash::as_str),
    )
}

/// The manifest's lines before its inputs: the format, the parameters and
/// the rosters consulted (by id).
pub(crate) fn manifest_head(params: &[String], alliances: &[&AllianceView]) -> Vec<u8> {
    let mut head = b"deltabench-comparison/1\n".to_vec();
    for p in params {
        head.extend_from_slice(p.as_bytes());
        head.push(b'\n');
    }
    let mut alliances = alliances.to_vec();
    alliances.sort_by(|a, b| a.id.cmp(&b.id));
    for a in alliances {
        head.extend_from_slice(
            format!("alliance {} {} {}\n", a.id, a.version, a.digest).as_bytes(),
        );
    }
    head
}

/// The manifest: SHA-256 over `head` and one line per input, hex.
pub(crate) fn manifest_over<'a>(head: &[u8], inputs: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    h.update(head);
    for i in inputs {
        h.update(b"input ");
        h.update(i.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The parameters a comparison's manifest names.
pub(crate) fn comparison_params(
    r: &IndicatorRef,
    period: Period,
    include_flagged: bool,
) -> [String; 3] {
    [
        format!("indicator {r}"),
        format!("period {period}"),
        format!("include_flagged {include_flagged}"),
    ]
}

pub(crate) trait RangeExt {
    fn contains_f64(&self, v: f64) -> bool;
}

impl RangeExt for deltabench_model::documents::Range {
    fn contains_f64(&self, v: f64) -> bool {
        self.min.get() <= v && v <= self.max.get()
    }
}
