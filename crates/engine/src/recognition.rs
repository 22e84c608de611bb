//! Mutual recognition: which crosswalks the owners of both sides accept.
//!
//! A crosswalk document maps an indicator of a source framework onto one of a
//! target framework. Each side's framework has an owner: a jurisdiction (its
//! own framework) or an alliance (a reference framework). Recognition is
//! never assumed; it is read from the endorsements held:
//!
//! - a jurisdiction-owned side is satisfied when that jurisdiction's current
//!   endorsement of the document is `accept`, and makes the crosswalk
//!   rejected when it is `reject`;
//! - an alliance-owned side is satisfied when at least the alliance's
//!   `recognition_quorum` of its current members accept (a majority of the
//!   members when the roster sets no quorum), and makes the crosswalk rejected
//!   once so many members reject that the quorum can no longer be reached;
//! - when one owner holds both sides, its one requirement counts once.
//!
//! An endorser's current decision is its latest endorsement (highest sequence
//! number on its chain) of that exact document: a later `reject` withdraws
//! an earlier `accept`. Endorsements name the crosswalk document by hash, so a
//! new version of a crosswalk needs endorsements of its own.
//!
//! Versions: a crosswalk id belongs to the jurisdiction that issued its
//! earliest version held; versions issued by anyone else under that id are
//! ignored (and shown as such). The highest version supersedes the others,
//! which stop being used.
//!
//! Who owns a framework is read from the framework documents held: a
//! framework owned by a jurisdiction counts only when that jurisdiction
//! issued it, one owned by an alliance only when a member of the alliance's
//! roster in force issued it.

use crate::Held;
use deltabench_model::comparison::{
    CrosswalkRecord, CrosswalkStatus, EndorsementRecord, RecognitionSide,
};
use deltabench_model::documents::{Crosswalk, Decision, Endorsement, Framework, Owner};
use deltabench_model::{AllianceId, DocHash, FrameworkId, JurisdictionCode};
use std::collections::{BTreeMap, BTreeSet};

/// What the engine needs to know of an alliance roster in force.
#[derive(Debug, Clone, PartialEq)]
pub struct AllianceView {
    /// The alliance.
    pub id: AllianceId,
    /// The roster version in force.
    pub version: u64,
    /// Its members' codes.
    pub members: Vec<JurisdictionCode>,
    /// The alliance's reference framework, if it names one.
    pub reference_framework: Option<FrameworkId>,
    /// How many members must accept a crosswalk onto (or from) the
    /// alliance's framework; a majority when the roster sets none.
    pub recognition_quorum: Option<u32>,
    /// A digest of the roster content, for manifests.
    pub digest: String,
}

impl AllianceView {
    /// The quorum in force: the roster's, or a majority of the members.
    pub fn quorum(&self) -> usize {
        match self.recognition_quorum {
            Some(q) => q as usize,
            None => self.members.len() / 2 + 1,
        }
    }

    /// Whether `code` is a member.
    pub fn has(&self, code: &JurisdictionCode) -> bool {
        self.members.contains(code)
    }
}

/// The owner of each framework id, from the framework documents held and the
/// rosters in force. An alliance's roster that names the id as its reference
/// framework decides: the alliance owns it. Any other id belongs to the
/// earliest claim (issue time, then hash) by an issuer allowed to make it; a
/// later claim by someone else never displaces it.
pub fn framework_owners(
    frameworks: &[Held<Framework>],
    alliances: &[AllianceView],
) -> BTreeMap<FrameworkId, Owner> {
    let mut out = BTreeMap::new();
    let mut views: Vec<&AllianceView> = alliances.iter().collect();
    views.sort_by(|a, b| a.id.cmp(&b.id));
    for v in views {
        if let Some(id) = &v.reference_framework {
            out.entry(id.clone())
                .or_insert_with(|| Owner::Alliance(v.id.clone()));
        }
    }
    let mut claims: Vec<&Held<Framework>> = frameworks
        .iter()
        .filter(|f| owner_may_issue(&f.payload.owner, &f.issuer, alliances))
        .collect();
    claims.sort_by(|a, b| (a.issued_at.unix(), &a.hash).cmp(&(b.issued_at.unix(), &b.hash)));
    for f in claims {
        out.entry(f.payload.id.clone())
            .or_insert_with(|| f.payload.owner.clone());
    }
    out
}

/// Whether `issuer` may publish a framework owned by `owner`.
pub fn owner_may_issue(
    owner: &Owner,
    issuer: &JurisdictionCode,
    alliances: &[AllianceView],
) -> bool {
    match owner {
        Owner::Jurisdiction(code) => code == issuer,
        Owner::Alliance(a) => alliances.iter().any(|v| &v.id == a && v.has(issuer)),
    }
}

/// The recognition state of every crosswalk document held, in (id, version,
/// hash) order.
pub fn recognise(
    crosswalks: &[Held<Crosswalk>],
    endorsements: &[Held<Endorsement>],
    owners: &BTreeMap<FrameworkId, Owner>,
    alliances: &[AllianceView],
) -> Vec<CrosswalkRecord> {
    // The owner of each id: the issuer of its earliest version, then the
    // earliest issue time, then the smallest hash (all held, so every node
    // holding the same documents agrees).
    let mut id_owner: BTreeMap<&str, (u32, i64, &DocHash, &JurisdictionCode)> = BTreeMap::new();
    for c in crosswalks {
        let key = (c.payload.version, c.issued_at.unix(), &c.hash, &c.issuer);
        id_owner
            .entry(c.payload.id.as_str())
            .and_modify(|cur| {
                if (key.0, key.1, key.2) < (cur.0, cur.1, cur.2) {
                    *cur = key;
                }
            })
            .or_insert(key);
    }
    // The current version of each id among its owner's documents.
    let mut current: BTreeMap<&str, &Held<Crosswalk>> = BTreeMap::new();
    for c in crosswalks {
        if id_owner.get(c.payload.id.as_str()).map(|o| o.3) != Some(&c.issuer) {
            continue;
        }
        current
            .entry(c.payload.id.as_str())
            .and_modify(|cur| {
                if (c.payload.version, c.seq) > (cur.payload.version, cur.seq) {
                    *cur = c;
                }
            })
            .or_insert(c);
    }
    // Endorsements by crosswalk document, each endorser's in chain order.
    let mut by_doc: BTreeMap<&DocHash, Vec<&Held<Endorsement>>> = BTreeMap::new();
    for e in endorsements {
        by_doc.entry(&e.payload.crosswalk_hash).or_default().push(e);
    }
    let mut out: Vec<CrosswalkRecord> = crosswalks
        .iter()
        .map(|c| {
            let ends: Vec<&Held<Endorsement>> = by_doc.get(&c.hash).cloned().unwrap_or_default();
            let owner_of_id = id_owner.get(c.payload.id.as_str()).map(|o| o.3);
            let cur = current
                .get(c.payload.id.as_str())
                .map(|h| (&h.hash, h.payload.version));
            record(c, ends, owners, alliances, owner_of_id, cur)
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.crosswalk.id, a.crosswalk.version, &a.hash).cmp(&(
            &b.crosswalk.id,
            b.crosswalk.version,
            &b.hash,
        ))
    });
    out
}

/// The record of crosswalk document `c`: its endorsements (those naming its
/// hash, in any order), whose decisions count, and its state. `owner_of_id`
/// is the issuer the id belongs to and `current` the hash and version of the
/// id's current version.
pub fn record(
    c: &Held<Crosswalk>,
    mut ends: Vec<&Held<Endorsement>>,
    owners: &BTreeMap<FrameworkId, Owner>,
    alliances: &[AllianceView],
    owner_of_id: Option<&JurisdictionCode>,
    current: Option<(&DocHash, u32)>,
) -> CrosswalkRecord {
    ends.retain(|e| e.payload.crosswalk == c.payload.id);
    ends.sort_by(|a, b| (&a.issuer, a.seq).cmp(&(&b.issuer, b.seq)));
    let mut latest: BTreeMap<&JurisdictionCode, (Decision, &DocHash)> = BTreeMap::new();
    for e in &ends {
        latest.insert(&e.issuer, (e.payload.decision, &e.hash));
    }
    let endorsements: Vec<EndorsementRecord> = ends
        .iter()
        .map(|e| EndorsementRecord {
            jurisdiction: e.issuer.clone(),
            decision: e.payload.decision,
            hash: e.hash.clone(),
            issued_at: e.issued_at,
            current: latest.get(&e.issuer).map(|l| l.1) == Some(&e.hash),
            comment: e.payload.comment.clone(),
        })
        .collect();
    let decisions: BTreeMap<&JurisdictionCode, Decision> =
        latest.iter().map(|(k, v)| (*k, v.0)).collect();
    let sides = sides_of(&c.payload, owners, alliances, &decisions);
    let (status, superseded_by, why) = if owner_of_id != Some(&c.issuer) {
        (
            CrosswalkStatus::Superseded,
            current.map(|h| h.0.clone()),
            format!(
                "the id {} belongs to {}; a version issued by {} is not used",
                c.payload.id,
                owner_of_id.map(|o| o.as_str()).unwrap_or("another issuer"),
                c.issuer
            ),
        )
    } else if current.is_some_and(|h| h.0 != &c.hash) {
        (
            CrosswalkStatus::Superseded,
            current.map(|h| h.0.clone()),
            format!(
                "version {} replaces it",
                current.map(|h| h.1).unwrap_or(c.payload.version)
            ),
        )
    } else {
        let (status, why) = status_of(&sides);
        (status, None, why)
    };
    CrosswalkRecord {
        hash: c.hash.clone(),
        issuer: c.issuer.clone(),
        issued_at: c.issued_at,
        status,
        superseded_by,
        why,
        crosswalk: c.payload.clone(),
        sides,
        endorsements,
    }
}

fn status_of(sides: &[RecognitionSide]) -> (CrosswalkStatus, String) {
    let blocked: Vec<String> = sides
        .iter()
        .filter(|s| s.blocked)
        .map(|s| format!("{} side: {}", s.side, s.needs))
        .collect();
    if !blocked.is_empty() {
        return (CrosswalkStatus::Rejected, blocked.join("; "));
    }
    let waiting: Vec<String> = sides
        .iter()
        .filter(|s| !s.satisfied)
        .map(|s| format!("{} side needs {}", s.side, s.needs))
        .collect();
    if waiting.is_empty() {
        let words: Vec<String> = sides
            .iter()
            .map(|s| format!("{} side: {}", s.side, s.needs))
            .collect();
        (CrosswalkStatus::Recognised, words.join("; "))
    } else {
        (CrosswalkStatus::Pending, waiting.join("; "))
    }
}

fn sides_of(
    c: &Crosswalk,
    owners: &BTreeMap<FrameworkId, Owner>,
    alliances: &[AllianceView],
    decisions: &BTreeMap<&JurisdictionCode, Decision>,
) -> Vec<RecognitionSide> {
    let source = owners.get(&c.source.framework);
    let target = owners.get(&c.target.framework);
    let mut out = Vec::new();
    if source.is_some() && source == target {
        out.push(side(
            "both",
            &c.source.framework,
            source,
            alliances,
            decisions,
        ));
    } else {
        out.push(side(
            "source",
            &c.source.framework,
            source,
            alliances,
            decisions,
        ));
        out.push(side(
            "target",
            &c.target.framework,
            target,
            alliances,
            decisions,
        ));
    }
    out
}

fn side(
    name: &str,
    framework: &FrameworkId,
    owner: Option<&Owner>,
    alliances: &[AllianceView],
    decisions: &BTreeMap<&JurisdictionCode, Decision>,
) -> RecognitionSide {
    let split = |members: &mut dyn Iterator<Item = &JurisdictionCode>| {
        let mut acc = BTreeSet::new();
        let mut rej = BTreeSet::new();
        for m in members {
            match decisions.get(m) {
                Some(Decision::Accept) => {
                    acc.insert(m.clone());
                }
                Some(Decision::Reject) => {
                    rej.insert(m.clone());
                }
                None => {}
            }
        }
        (
            acc.into_iter().collect::<Vec<_>>(),
            rej.into_iter().collect::<Vec<_>>(),
        )
    };
    match owner {
        None => RecognitionSide {
            side: name.into(),
            owner: None,
            needs: format!("the framework {framework}, which this node does not hold"),
            accepted_by: vec![],
            rejected_by: vec![],
            satisfied: false,
            blocked: false,
        },
        Some(Owner::Jurisdiction(code)) => {
            let (accepted_by, rejected_by) = split(&mut std::iter::once(code));
            let satisfied = !accepted_by.is_empty();
            let blocked = !rejected_by.is_empty();
            let needs = if blocked {
                format!("{code} rejects it")
            } else {
                format!("{code} accepts")
            };
            RecognitionSide {
                side: name.into(),
                owner: Some(code.to_string()),
                needs,
                accepted_by,
                rejected_by,
                satisfied,
                blocked,
            }
        }
        Some(Owner::Alliance(a)) => match alliances.iter().find(|v| &v.id == a) {
            None => RecognitionSide {
                side: name.into(),
                owner: Some(a.to_string()),
                needs: format!("a roster of {a}, which this node does not hold"),
                accepted_by: vec![],
                rejected_by: vec![],
                satisfied: false,
                blocked: false,
            },
            Some(v) => {
                let (accepted_by, rejected_by) = split(&mut v.members.iter());
                let q = v.quorum();
                let n = v.members.len();
                let blocked = n - rejected_by.len() < q;
                let satisfied = accepted_by.len() >= q && !blocked;
                let needs = if blocked {
                    format!(
                        "{} of {n} members of {a} reject it, so {q} can no longer accept",
                        rejected_by.len()
                    )
                } else {
                    format!(
                        "{q} of {n} members of {a} accept ({} so far)",
                        accepted_by.len()
                    )
                };
                RecognitionSide {
                    side: name.into(),
                    owner: Some(a.to_string()),
                    needs,
                    accepted_by,
                    rejected_by,
                    satisfied,
                    blocked,
                }
            }
        },
    }
}
