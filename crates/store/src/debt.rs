//! Debt figures (see `deltabench_model::debt`): one tree, `debt`, keyed
//! `a JURISDICTION 0 PERIOD` for a reported period and `c JURISDICTION 0
//! PERIOD` for a planned one of the bond calendar (JSON values). A later
//! write for the same jurisdiction and period replaces the earlier one.

use crate::{Store, StoreError};
use deltabench_model::debt::{DebtActual, DebtPlan};
use deltabench_model::{JurisdictionCode, Period};

const DEBT: &str = "debt";
const ACTUAL: u8 = b'a';
const PLAN: u8 = b'c';

fn key(prefix: u8, j: &JurisdictionCode, p: &Period) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(j.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(p.to_string().as_bytes());
    k
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Store {
    /// Stores reported figures and plans, all at once or none. Not durable
    /// until [`Store::flush`].
    pub fn put_debt(&self, actuals: &[DebtActual], plans: &[DebtPlan]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for a in actuals {
            batch.insert(
                key(ACTUAL, &a.jurisdiction, &a.period),
                serde_json::to_vec(a).map_err(corrupt)?,
            );
        }
        for p in plans {
            batch.insert(
                key(PLAN, &p.jurisdiction, &p.period),
                serde_json::to_vec(p).map_err(corrupt)?,
            );
        }
        self.db.open_tree(DEBT)?.apply_batch(batch)?;
        Ok(())
    }

    /// Every reported period's figures.
    pub fn debt_actuals(&self) -> Result<Vec<DebtActual>, StoreError> {
        self.scan_debt(ACTUAL)
    }

    /// Every planned period of the bond calendar.
    pub fn debt_plans(&self) -> Result<Vec<DebtPlan>, StoreError> {
        self.scan_debt(PLAN)
    }

    fn scan_debt<T: serde::de::DeserializeOwned>(&self, prefix: u8) -> Result<Vec<T>, StoreError> {
        self.db
            .open_tree(DEBT)?
            .scan_prefix([prefix])
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::Value;

    #[test]
    fn a_later_figure_for_the_same_period_replaces_the_earlier() {
        let store = Store::open_temporary().unwrap();
        let a = |balance: f64| DebtActual {
            jurisdiction: JurisdictionCode::new("320585").unwrap(),
            period: Period::parse("2025").unwrap(),
            debt_balance: Value::new(balance).unwrap(),
            comprehensive_resources: Value::new(100.0).unwrap(),
            debt_service_due: Value::new(1.0).unwrap(),
        };
        store.put_debt(&[a(10.0)], &[]).unwrap();
        store.put_debt(&[a(20.0)], &[]).unwrap();
        let held = store.debt_actuals().unwrap();
        assert_eq!(held, [a(20.0)]);
        assert!(store.debt_plans().unwrap().is_empty());
    }
}
