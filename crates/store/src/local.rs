//! The jurisdiction's own appraisal data: units, observations and the audit
//! trail of corrections. None of it ever leaves the node.
//!
//! Observations are keyed `period \0 unit \0 indicator`, so one period's
//! observations are one prefix scan. A write of many observations is one
//! transaction over the observation and audit trees: a request is stored
//! whole or not at all.

use crate::{Store, StoreError};
use deltabench_model::local::{Observation, Unit};
use deltabench_model::{IndicatorCode, Period, Timestamp, UnitId, Value};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

pub(crate) const UNITS: &str = "units";
pub(crate) const OBSERVATIONS: &str = "observations";
pub(crate) const AUDIT: &str = "observation_audit";

/// A stored observation's value, with who wrote it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stored {
    value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Value>,
    at: Timestamp,
    by: String,
}

/// A value and target, as the audit trail shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The value.
    pub value: Value,
    /// The target, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
}

/// One change of an observation: who, when, the old and the new reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the change was stored.
    pub at: Timestamp,
    /// Who made it (the token's name).
    pub by: String,
    /// The unit.
    pub unit: UnitId,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The reading before; absent for a first import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Reading>,
    /// The reading after.
    pub new: Reading,
}

/// What an observation import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Observations new to the store.
    pub inserted: usize,
    /// Observations whose value or target changed (each in the audit trail).
    pub corrected: usize,
    /// Observations sent again with the same value and target.
    pub unchanged: usize,
}

fn obs_key(period: &Period, unit: &UnitId, indicator: &IndicatorCode) -> Vec<u8> {
    let mut k = period_prefix(period);
    k.extend_from_slice(unit.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(indicator.as_str().as_bytes());
    k
}

fn period_prefix(period: &Period) -> Vec<u8> {
    let mut k = period.to_string().into_bytes();
    k.push(0);
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

    /// Stores observations whole or not at all, recording every new or changed
    /// reading in the audit trail as made by `by` at `at`. Not durable until
    /// [`Store::flush`].
    pub fn put_observations(
        &self,
        rows: &[Observation],
        by: &str,
        at: Timestamp,
    ) -> Result<ImportCounts, StoreError> {
        let obs = self.tree(OBSERVATIONS)?;
        let audit = self.tree(AUDIT)?;
        // Audit ids are taken before the transaction, which may run its closure
        // more than once; unused ids leave harmless gaps.
        let ids: Vec<u64> = (0..rows.len())
            .map(|_| self.db.generate_id())
            .collect::<Result<_, _>>()?;
        let result = (&obs, &audit).transaction(|(obs, audit)| {
            let mut counts = ImportCounts::default();
            for (i, o) in rows.iter().enumerate() {
                let key = obs_key(&o.period, &o.unit, &o.indicator);
                let new = Stored {
                    value: o.value,
                    target: o.target,
                    at,
                    by: by.to_owned(),
                };
                let old: Option<Stored> = match obs.get(&key)? {
                    Some(bytes) => Some(
                        serde_json::from_slice(&bytes)
                            .map_err(|e| ConflictableTransactionError::Abort(e.to_string()))?,
                    ),
                    None => None,
                };
                if let Some(old) = &old {
                    if old.value == new.value && old.target == new.target {
                        counts.unchanged += 1;
                        continue;
                    }
                    counts.corrected += 1;
                } else {
                    counts.inserted += 1;
                }
                let entry = AuditEntry {
                    at,
                    by: by.to_owned(),
                    unit: o.unit.clone(),
                    indicator: o.indicator.clone(),
                    period: o.period,
                    old: old.map(|s| Reading {
                        value: s.value,
                        target: s.target,
                    }),
                    new: Reading {
                        value: o.value,
                        target: o.target,
                    },
                };
                obs.insert(key, encode(&new)?)?;
                audit.insert(&ids[i].to_be_bytes(), encode(&entry)?)?;
            }
            Ok(counts)
        });
        result.map_err(|e| match e {
            sled::transaction::TransactionError::Abort(m) => StoreError::Corrupt(m),
            sled::transaction::TransactionError::Storage(e) => e.into(),
        })
    }

    /// Current observations of a period (all periods when `None`), filtered by
    /// unit and indicator.
    pub fn observations(
        &self,
        period: Option<&Period>,
        unit: Option<&UnitId>,
        indicator: Option<&IndicatorCode>,
    ) -> Result<Vec<Observation>, StoreError> {
        let tree = self.tree(OBSERVATIONS)?;
        let iter = match period {
            Some(p) => tree.scan_prefix(period_prefix(p)),
            None => tree.scan_prefix([]),
        };
        let mut out = Vec::new();
        for entry in iter {
            let (k, v) = entry?;
            let mut parts = k.split(|b| *b == 0);
            let (Some(p), Some(u), Some(i)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(corrupt("an observation key without three parts"));
            };
            let text = |b: &[u8]| std::str::from_utf8(b).map_err(corrupt).map(str::to_owned);
            let (p, u, i) = (text(p)?, text(u)?, text(i)?);
            if unit.is_some_and(|x| x.as_str() != u) || indicator.is_some_and(|x| x.as_str() != i) {
                continue;
            }
            let s: Stored = serde_json::from_slice(&v).map_err(corrupt)?;
            out.push(Observation {
                unit: UnitId::new(u).map_err(corrupt)?,
                indicator: IndicatorCode::new(i).map_err(corrupt)?,
                period: Period::parse(&p).map_err(corrupt)?,
                value: s.value,
                target: s.target,
            });
        }
        Ok(out)
    }

    /// The audit trail, oldest first, filtered by unit, indicator and period;
    /// at most `limit` entries (the most recent ones).
    pub fn audit(
        &self,
        unit: Option<&UnitId>,
        indicator: Option<&IndicatorCode>,
        period: Option<&Period>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        for v in self.tree(AUDIT)?.iter().values().rev() {
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

/// JSON for a record inside a transaction.
fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, ConflictableTransactionError<String>> {
    serde_json::to_vec(v).map_err(|e| ConflictableTransactionError::Abort(e.to_string()))
}
