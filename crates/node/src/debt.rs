//! Debt risk on the node: reported debt figures and the bond calendar,
//! stored whole or not at all, and the risk bands computed from them under
//! the policy's thresholds (see `deltabench_engine::debt`).

use crate::Node;
use crate::local::LocalError;
use deltabench_model::debt::{DebtActual, DebtPlan, DebtRisk};
use deltabench_model::documents::{Framework, IndicatorSummary, Owner, Summary};
use deltabench_model::{FrameworkId, InvalidField, Period, Value};
use deltabench_trust::Document;

/// The indicator codes a debt summary fills from the jurisdiction's own
/// reported figures of the period: the debt ratio and the debt-service
/// ratio in percent, and the three amounts behind them.
pub const DEBT_INDICATORS: [&str; 5] = [
    "debt_ratio",
    "debt_service_ratio",
    "debt_balance",
    "comprehensive_resources",
    "debt_service_due",
];

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

    /// Signs and publishes a summary of framework `id` (the node's own, or
    /// a reference framework of an alliance it belongs to, such as the
    /// demo's `yrd.debt`) for `period` from the node's own reported debt
    /// figures: each indicator is one of [`DEBT_INDICATORS`], its value the
    /// jurisdiction's figure, so that members compare debt like any other
    /// indicator. As with other summaries, an unchanged one is returned as
    /// it is and a changed one needs `reason`.
    pub fn publish_debt_summary(
        &self,
        id: &FrameworkId,
        version: Option<&semver::Version>,
        period: Period,
        reason: Option<String>,
    ) -> Result<(Document, bool), LocalError> {
        let _guard = crate::lock(&self.local_lock);
        let f = self.debt_framework(id, version, period)?;
        let own = &self.identity().code;
        let actual = self
            .store()
            .debt_actuals()?
            .into_iter()
            .find(|a| &a.jurisdiction == own && a.period == period)
            .ok_or_else(|| {
                LocalError::Invalid(InvalidField::new(
                    "period",
                    format!("no debt figures of {own} are reported for {period}"),
                ))
            })?;
        let resources = actual.comprehensive_resources.get();
        let mut indicators = Vec::new();
        for (i, ind) in f.indicators.iter().enumerate() {
            let value = match ind.code.as_str() {
                "debt_ratio" => 100.0 * actual.debt_balance.get() / resources,
                "debt_service_ratio" => 100.0 * actual.debt_service_due.get() / resources,
                "debt_balance" => actual.debt_balance.get(),
                "comprehensive_resources" => resources,
                "debt_service_due" => actual.debt_service_due.get(),
                other => {
                    return Err(LocalError::Invalid(InvalidField::new(
                        format!("indicators[{i}]"),
                        format!(
                            "{other} of {} is not a debt figure (one of {})",
                            f.id,
                            DEBT_INDICATORS.join(", ")
                        ),
                    )));
                }
            };
            indicators.push(IndicatorSummary {
                indicator: ind.code.clone(),
                value: Some(
                    Value::new((value * 1e4).round() / 1e4)
                        .map_err(|e| LocalError::Invalid(e.within(ind.code.as_str())))?,
                ),
                contributors: 1,
                distribution: None,
                withheld: Some(
                    "the jurisdiction's own reported figure: no distribution of units".into(),
                ),
            });
        }
        let fresh = Summary {
            framework: f.id.clone(),
            version: f.version.clone(),
            period,
            k: self.policy().disclosure_k,
            indicators,
            grades: Vec::new(),
            supersedes: None,
        };
        self.publish_fresh_summary(&f, period, fresh, reason)
    }

    /// The held version of framework `id` a debt summary may use: the
    /// given one or the latest covering `period`, owned by this node or by
    /// an alliance it belongs to.
    fn debt_framework(
        &self,
        id: &FrameworkId,
        version: Option<&semver::Version>,
        period: Period,
    ) -> Result<Framework, LocalError> {
        let membership = self.membership();
        let f = self
            .frameworks()?
            .into_iter()
            .map(|h| h.framework)
            .filter(|f| &f.id == id)
            .filter(|f| version.is_none_or(|v| &f.version == v))
            .filter(|f| f.periods.contains(&period))
            .max_by(|a, b| a.version.cmp(&b.version))
            .ok_or_else(|| {
                LocalError::NotFound(format!("no version of {id} held covers period {period}"))
            })?;
        let ours = match &f.owner {
            Owner::Jurisdiction(code) => code == &self.identity().code,
            Owner::Alliance(a) => membership.roster(a).is_some(),
        };
        if !ours {
            return Err(LocalError::Invalid(InvalidField::new(
                "framework",
                format!("{id} is neither this node's nor of an alliance it belongs to"),
            )));
        }
        Ok(f)
    }
}
