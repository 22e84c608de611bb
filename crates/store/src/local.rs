//! The jurisdiction's own appraisal data: units, observations and the audit
//! trail of corrections. None of it ever leaves the node.
//!
//! Observations are kept as one record per period and unit, holding that
//! unit's reading of every indicator: sled costs about the same per write
//! whatever its size, so a million rows become some twenty thousand writes.
//! Records and audit entries share one tree, so that a whole import is one
//! atomic sled batch, stored whole or not at all. Records are keyed
//! `o period \0 unit` (one period is one prefix scan); audit entries `a id`
//! with a big-endian id, oldest first.

use crate::{Store, StoreError};
use deltabench_model::local::{Observation, Unit};
use deltabench_model::{IndicatorCode, Period, Timestamp, UnitId, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) const UNITS: &str = "units";
pub(crate) const OBSERVATIONS: &str = "observations";
/// Key prefix of observation records.
const RECORD: u8 = b'o';
/// Key prefix of audit entries.
const AUDIT: u8 = b'a';

/// A stored reading: value and target, who wrote them and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reading {
    /// The value.
    pub value: Value,
    /// The target, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
    /// When it was stored.
    pub at: Timestamp,
    /// Who stored it (the token's name).
    pub by: String,
}

/// One unit's readings in one period, by indicator.
type Record = BTreeMap<IndicatorCode, Reading>;

/// One correction of an observation: the reading it replaced and the new one,
/// each with who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// The unit.
    pub unit: UnitId,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The reading before.
    pub old: Reading,
    /// The reading after.
    pub new: Reading,
}

/// What an observation import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportCounts {
    /// Observations new to the store.
    pub inserted: usize,
    /// Observations whose value or target changed (each in the audit trail).
    pub corrected: usize,
    /// Observations sent again with the same value and target.
    pub unchanged: usize,
}

fn period_prefix(period: &Period) -> Vec<u8> {
    let mut k = vec![RECORD];
    k.extend_from_slice(period.to_string().as_bytes());
    k.push(0);
    k
}

fn record_key(period: &Period, unit: &UnitId) -> Vec<u8> {
    let mut k = period_prefix(period);
    k.extend_from_slice(unit.as_str().as_bytes());
    k
}

fn audit_key(id: u64) -> [u8; 9] {
    let mut k = [AUDIT; 9];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Store {
    fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(name)?)
    }

    /// Stores units (replacing those with the same id) in one batch. Not
    /// durable until [`Store::flush`].
    pub fn put_units(&self, units: &[Unit]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for u in units {
            batch.insert(
                u.id.as_str().as_bytes(),
                serde_json::to_vec(u).map_err(corrupt)?,
            );
        }
        self.tree(UNITS)?.apply_batch(batch)?;
        Ok(())
    }

    /// Every unit, by id.
    pub fn units(&self) -> Result<Vec<Unit>, StoreError> {
        self.tree(UNITS)?
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect()
    }

    /// Stores observations whole or not at all; each changed reading goes to
    /// the audit trail with the one it replaced. `by` and `at` are recorded
    /// with every new reading. Not durable until [`Store::flush`].
    ///
    /// The old readings are read first and all writes go in one atomic batch,
    /// so callers must not run two imports at once (the node serialises them).
    pub fn put_observations(
        &self,
        rows: &[Observation],
        by: &str,
        at: Timestamp,
    ) -> Result<ImportCounts, StoreError> {
        let tree = self.tree(OBSERVATIONS)?;
        let mut next_id = match tree.scan_prefix([AUDIT]).next_back() {
            Some(entry) => {
                let (k, _) = entry?;
                let id: [u8; 8] = k[1..]
                    .try_into()
                    .map_err(|_| corrupt("a short audit key"))?;
                u64::from_be_bytes(id) + 1
            }
            None => 0,
        };
        let mut groups: BTreeMap<(Period, &UnitId), Vec<&Observation>> = BTreeMap::new();
        for o in rows {
            groups.entry((o.period, &o.unit)).or_default().push(o);
        }
        let mut batch = sled::Batch::default();
        let mut counts = ImportCounts::default();
        for ((period, unit), group) in groups {
            let key = record_key(&period, unit);
            let mut record: Record = match tree.get(&key)? {
                Some(bytes) => serde_json::from_slice(&bytes).map_err(corrupt)?,
                None => Record::new(),
            };
            let mut changed = false;
            for o in group {
                let new = Reading {
                    value: o.value,
                    target: o.target,
                    at,
                    by: by.to_owned(),
                };
                match record.get(&o.indicator) {
                    Some(old) if old.value == o.value && old.target == o.target => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some(old) => {
                        counts.corrected += 1;
                        let entry = AuditEntry {
                            unit: unit.clone(),
                            indicator: o.indicator.clone(),
                            period,
                            old: old.clone(),
                            new: new.clone(),
                        };
                        batch.insert(
                            &audit_key(next_id),
                            serde_json::to_vec(&entry).map_err(corrupt)?,
                        );
                        next_id += 1;
                    }
                    None => counts.inserted += 1,
                }
                record.insert(o.indicator.clone(), new);
                changed = true;
            }
            if changed {
                batch.insert(key, serde_json::to_vec(&record).map_err(corrupt)?);
            }
        }
        tree.apply_batch(batch)?;
        Ok(counts)
    }

    /// Current observations of a period (all periods when `None`), filtered by
    /// unit and indicator, with who stored each and when.
    pub fn readings(
        &self,
        period: Option<&Period>,
        unit: Option<&UnitId>,
        indicator: Option<&IndicatorCode>,
    ) -> Result<Vec<(Observation, Reading)>, StoreError> {
        let tree = self.tree(OBSERVATIONS)?;
        let iter = match period {
            Some(p) => tree.scan_prefix(period_prefix(p)),
            None => tree.scan_prefix([RECORD]),
        };
        let mut out = Vec::new();
        for entry in iter {
            let (k, v) = entry?;
            let mut parts = k[1..].splitn(2, |b| *b == 0);
            let (Some(p), Some(u)) = (parts.next(), parts.next()) else {
                return Err(corrupt("an observation key without period and unit"));
            };
            let text = |b: &[u8]| std::str::from_utf8(b).map_err(corrupt).map(str::to_owned);
            let u = UnitId::new(text(u)?).map_err(corrupt)?;
            if unit.is_some_and(|x| x != &u) {
                continue;
            }
            let p = Period::parse(&text(p)?).map_err(corrupt)?;
            let record: Record = serde_json::from_slice(&v).map_err(corrupt)?;
            for (code, r) in record {
                if indicator.is_some_and(|x| x != &code) {
                    continue;
                }
                let o = Observation {
                    unit: u.clone(),
                    indicator: code,
                    period: p,
                    value: r.value,
                    target: r.target,
                };
                out.push((o, r));
            }
        }
        Ok(out)
    }

    /// Current observations, as [`Store::readings`] without who and when.
    pub fn observations(
        &self,
        period: Option<&Period>,
        unit: Option<&UnitId>,
        indicator: Option<&IndicatorCode>,
    ) -> Result<Vec<Observation>, StoreError> {
        Ok(self
            .readings(period, unit, indicator)?
            .into_iter()
            .map(|(o, _)| o)
            .collect())
    }

    /// The corrections, oldest first, filtered by unit, indicator and period;
    /// at most `limit` entries (the most recent ones).
    pub fn audit(
        &self,
        unit: Option<&UnitId>,
        indicator: Option<&IndicatorCode>,
        period: Option<&Period>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        for v in self.tree(OBSERVATIONS)?.scan_prefix([AUDIT]).values().rev() {
            let e: AuditEntry = serde_json::from_slice(&v?).map_err(corrupt)?;
            if unit.is_some_and(|x| x != &e.unit)
                || indicator.is_some_and(|x| x != &e.indicator)
                || period.is_some_and(|x| x != &e.period)
            {
                continue;
            }
            out.push(e);
            if out.len() == limit {
                break;
            }
        }
        out.reverse();
        Ok(out)
    }
}
