//! Crosswalks, endorsements and the comparison catalogue of a node.
//!
//! The catalogue ([`deltabench_engine::compare::Catalogue`]) is built from the
//! documents held and the rosters in force, and kept until either changes:
//! the cache key is the number of documents held and the roster versions in
//! force (documents are never deleted, so a new one always changes the
//! count).

use crate::local::LocalError;
use crate::{Node, lock};
use deltabench_engine::Held;
use deltabench_engine::compare::{Catalogue, Inputs};
use deltabench_engine::recognition::AllianceView;
use deltabench_model::comparison::{CrosswalkRecord, CrosswalkStatus};
use deltabench_model::documents::{Crosswalk, Decision, Endorsement, Framework, Payload, Summary};
use deltabench_model::{CrosswalkId, InvalidField};
use deltabench_store::StoreError;
use deltabench_trust::Document;
use std::sync::{Arc, Mutex};

/// What the cached catalogue was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheKey {
    documents: usize,
    rosters: Vec<(String, u64)>,
}

/// The node's cached catalogue.
#[derive(Default)]
pub(crate) struct CatalogueCache {
    slot: Mutex<Option<(CacheKey, Arc<Catalogue>)>>,
}

impl Node {
    /// The comparison catalogue of the documents held, rebuilt only when a
    /// document arrived or a roster changed since the last call.
    pub fn catalogue(&self) -> Result<Arc<Catalogue>, StoreError> {
        let membership = self.membership();
        let mut rosters: Vec<(String, u64)> = membership
            .rosters()
            .map(|r| (r.roster.alliance.to_string(), r.roster.version))
            .collect();
        rosters.sort();
        let key = CacheKey {
            documents: self.store().document_count(),
            rosters,
        };
        let mut slot = lock(&self.catalogue.slot);
        if let Some((k, c)) = slot.as_ref() {
            if k == &key {
                return Ok(c.clone());
            }
        }
        let alliances: Vec<AllianceView> = membership
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
            .collect();
        let inputs = Inputs {
            frameworks: self.held_docs::<Framework>()?,
            summaries: self.held_docs::<Summary>()?,
            crosswalks: self.held_docs::<Crosswalk>()?,
            endorsements: self.held_docs::<Endorsement>()?,
            alliances,
        };
        let catalogue = Arc::new(Catalogue::build(inputs));
        *slot = Some((key, catalogue.clone()));
        Ok(catalogue)
    }

    fn held_docs<P: Payload>(&self) -> Result<Vec<Held<P>>, StoreError> {
        Ok(self
            .held::<P>(None)?
            .into_iter()
            .map(|(meta, payload)| Held {
                hash: meta.hash,
                issuer: meta.issuer,
                seq: meta.seq,
                issued_at: meta.issued_at,
                payload,
            })
            .collect())
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
        let catalogue = self.catalogue()?;
        let same_id: Vec<&CrosswalkRecord> = catalogue
            .crosswalks()
            .iter()
            .filter(|r| r.crosswalk.id == c.id)
            .collect();
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
            let versions = catalogue.framework_versions(framework);
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
        let catalogue = self.catalogue()?;
        let records: Vec<&CrosswalkRecord> = catalogue
            .crosswalks()
            .iter()
            .filter(|r| &r.crosswalk.id == id)
            .collect();
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
            .catalogue()?
            .crosswalks()
            .iter()
            .find(|r| r.hash == current.hash)
            .cloned()
            .ok_or_else(|| LocalError::NotFound(format!("no crosswalk {id} is held")))?;
        Ok((doc, after))
    }
}
