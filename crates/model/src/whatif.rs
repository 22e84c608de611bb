//! What-if: an appraisal recomputed under changed rules (weights, targets,
//! scoring rules, grading) and, optionally, assumed values, beside the
//! appraisal as it stands. Nothing held is changed by it; the types here
//! are the request and the answer of `POST /api/v1/whatif`.

use crate::documents::{Grade, Grading, ScoringRule, Weight};
use crate::{CategoryId, FrameworkId, IndicatorCode, InvalidField, Period, UnitId, Value};
use serde::{Deserialize, Serialize};

/// The most Monte Carlo draws one request may ask for.
pub const DRAWS_MAX: u32 = 100_000;

/// The most changes of each kind in one request.
pub const CHANGES_MAX: usize = 10_000;

/// A what-if request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// The node's own framework.
    pub framework: FrameworkId,
    /// Its version; the latest that covers the period when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schema::SemVer>)]
    pub version: Option<semver::Version>,
    /// The period appraised.
    pub period: Period,
    /// What is changed.
    #[serde(default)]
    pub changes: Changes,
    /// Monte Carlo draws for the rank intervals (0: none).
    #[serde(default = "default_draws")]
    #[schema(maximum = 100_000)]
    pub draws: u32,
    /// The seed of the draws.
    #[serde(default)]
    pub seed: u64,
    /// How far each weight is perturbed in a draw, within `[0, 1)`: it is
    /// multiplied by a uniform factor in `[1 - p, 1 + p)`; 0.5 when absent.
    #[serde(default = "default_perturbation")]
    #[schema(value_type = f64, minimum = 0.0, exclusive_maximum = 1.0)]
    pub perturbation: Value,
}

fn default_draws() -> u32 {
    1000
}

fn default_perturbation() -> Value {
    Value::new(0.5).expect("finite")
}

impl WhatIfRequest {
    /// Checks the bounds that need no data: draws, perturbation, and the
    /// number of changes.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.draws > DRAWS_MAX {
            return Err(InvalidField::new(
                "draws",
                format!("must be at most {DRAWS_MAX}"),
            ));
        }
        let p = self.perturbation.get();
        if !(0.0..1.0).contains(&p) {
            return Err(InvalidField::new(
                "perturbation",
                format!("{p} is not within [0, 1)"),
            ));
        }
        let c = &self.changes;
        for (name, n) in [
            ("weights", c.weights.len()),
            ("targets", c.targets.len()),
            ("scoring", c.scoring.len()),
            ("values", c.values.len()),
        ] {
            if n > CHANGES_MAX {
                return Err(InvalidField::new(
                    format!("changes.{name}"),
                    format!("{n} changes; at most {CHANGES_MAX}"),
                ));
            }
        }
        Ok(())
    }
}

/// The changes of a what-if, applied in this order: weights, scoring
/// rules, grading, assumed values, targets (so that a unit's target may
/// go with a value assumed for it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    /// New weights for whole categories (each replaces the category's
    /// weight tree, which must again sum to 100 at each level).
    #[serde(default)]
    pub weights: Vec<CategoryWeights>,
    /// New scoring rules for indicators.
    #[serde(default)]
    pub scoring: Vec<ScoringChange>,
    /// New targets: for one unit, or for every unit (the indicator's
    /// target, in place of the units' own).
    #[serde(default)]
    pub targets: Vec<TargetChange>,
    /// A new grading (thresholds, forced-distribution quotas, pay
    /// coefficients) in place of the framework's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<Grading>,
    /// Values assumed for units, in place of (or in the absence of) their
    /// observations.
    #[serde(default)]
    pub values: Vec<AssumedValue>,
}

/// A category's new weight tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryWeights {
    /// The category of the framework.
    pub category: CategoryId,
    /// Its weights, as in a framework.
    pub weights: Vec<Weight>,
}

/// An indicator's new scoring rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringChange {
    /// The indicator of the framework.
    pub indicator: IndicatorCode,
    /// The rule, as in a framework.
    pub scoring: ScoringRule,
}

/// A new target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetChange {
    /// The indicator of the framework.
    pub indicator: IndicatorCode,
    /// One unit's target; absent, every unit's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    /// The target.
    pub target: Value,
}

/// A value assumed for a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssumedValue {
    /// One of the node's units.
    pub unit: UnitId,
    /// The indicator of the framework.
    pub indicator: IndicatorCode,
    /// The value.
    pub value: Value,
}

/// A unit's standing in one appraisal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Standing {
    /// Its weighted total (0-100, two decimals).
    pub total: Value,
    /// Its grade.
    pub grade: Grade,
    /// The grade's pay coefficient.
    pub pay_coefficient: Value,
    /// Its rank by total within its category, 1 best; equal totals share
    /// a rank.
    pub rank: u32,
    /// The 5th and 95th percentile of that rank when the category's weights
    /// are perturbed (the composite's method): how much the rank owes to
    /// the exact weights.
    pub rank_interval: [u32; 2],
}

/// A unit before and after the changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitWhatIf {
    /// The unit.
    pub unit: UnitId,
    /// Its category.
    pub category: CategoryId,
    /// As appraised now; absent when the unit is appraised only after the
    /// changes (an assumed value for a unit with no observation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Standing>,
    /// Under the changes; absent when the changes leave it unappraised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Standing>,
    /// Whether its grade differs.
    pub grade_changed: bool,
}

/// The answer of a what-if.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WhatIf {
    /// The framework.
    pub framework: FrameworkId,
    /// The version appraised.
    #[schema(value_type = crate::schema::SemVer)]
    pub version: semver::Version,
    /// The period.
    pub period: Period,
    /// Every unit appraised before or after, by category and unit.
    pub units: Vec<UnitWhatIf>,
    /// How many units' grades differ.
    pub grades_changed: usize,
    /// The draws behind the rank intervals.
    pub draws: u32,
    /// Their seed.
    pub seed: u64,
    /// Their perturbation.
    pub perturbation: Value,
}
