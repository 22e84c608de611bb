//! Debt risk on the node: reported debt figures and the bond calendar,
//! stored whole or not at all, and the risk bands computed from them under
//! the policy's thresholds (see `deltabench_engine::debt`).

use crate::Node;
use crate::local::LocalError;
use deltabench_model::InvalidField;
use deltabench_model::debt::{DebtActual, DebtPlan, DebtRisk};

/// The most rows one request stores.
pub const DEBT_ROWS_MAX: usize = 100_000;

impl Node {
    /// Stores reported figures and plans, whole or not at all, each checked
    /// (a bad one named as `actuals[i].FIELD` or `calendar[i].FIELD`).
    /// Durable when it returns; answers how many of each were stored.
    pub fn put_debt(
        &self,
        actuals: &[DebtActual],
        plans: &[DebtPlan],
    ) -> Result<(usize, usize), LocalError> {
        if actuals.len() + plans.len() > DEBT_ROWS_MAX {
            return Err(LocalError::Invalid(InvalidField::new(
                "actuals",
                format!(
                    "{} rows; at most {DEBT_ROWS_MAX} in one request",
                    actuals.len() + plans.len()
                ),
            )));
        }
        for (i, a) in actuals.iter().enumerate() {
            a.validate()
                .map_err(|e| LocalError::Invalid(e.within(format!("[{i}]")).within("actuals")))?;
        }
        for (i, p) in plans.iter().enumerate() {
            p.validate()
                .map_err(|e| LocalError::Invalid(e.within(format!("[{i}]")).within("calendar")))?;
        }
        self.store().put_debt(actuals, plans)?;
        self.flush()?;
        Ok((actuals.len(), plans.len()))
    }

    /// Every jurisdiction's debt ratio, debt-service ratio and band by
    /// period, reported and projected, and the crossings of bands.
    pub fn debt_risk(&self) -> Result<DebtRisk, LocalError> {
        let actuals = self.store().debt_actuals()?;
        let plans = self.store().debt_plans()?;
        Ok(deltabench_engine::debt::risk(
            &actuals,
            &plans,
            &self.policy().debt_bands,
        ))
    }
}
