//! Records that stay on the node: appraised units and their observations.

use crate::{CategoryId, IndicatorCode, InvalidField, Period, ProjectId, UnitId, Value};

use serde::{Deserialize, Serialize};

/// An appraised unit: an agency, a town or street, a state-owned enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unit {
    /// The unit's identifier within the jurisdiction.
    pub id: UnitId,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// The category whose indicators and weights apply to it.
    pub category: CategoryId,
}

impl Unit {
    /// Checks the names.
    pub fn validate(&self) -> Result<(), InvalidField> {
        for (field, v) in [("name_zh", &self.name_zh), ("name_en", &self.name_en)] {
            if v.trim().is_empty() {
                return Err(InvalidField::new(field, "must not be empty"));
            }
            if v.chars().count() > 200 {
                return Err(InvalidField::new(field, "is longer than 200 characters"));
            }
        }
        Ok(())
    }
}

/// One unit's value of one indicator for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Observation {
    /// The unit observed.
    pub unit: UnitId,
    /// The indicator observed.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The observed value.
    pub value: Value,
    /// The unit's target for the indicator, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
}

/// One indicator's score within a unit's appraisal, with the reason for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndicatorScore {
    /// The indicator scored.
    pub indicator: IndicatorCode,
    /// The observed value, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The score, from 0 to 100.
    pub score: Value,
    /// The indicator's weight in the unit's category, in percent.
    pub weight: Value,
    /// How the score came about, for people (e.g. "ratio to target 0.96").
    pub reason: String,
    /// For an indicator whose values come from public ratings: the ratings
    /// that made the unit's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratings: Option<RatingProvenance>,
    /// For an indicator whose values come from the 12345 hotline: the
    /// requests behind the unit's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotline: Option<HotlineBasis>,
}

/// Which 12345 requests made a unit's value of a hotline indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineBasis {
    /// The unit's requests accepted in the period.
    pub requests: usize,
    /// Those the value is over: with an SLA, all, or rated.
    pub counted: usize,
    /// Of those, flagged for data quality (counted all the same).
    pub flagged: usize,
}

/// Which public ratings made a unit's value of a `public_rating` indicator:
/// the value is the mean of the listed projects' shrunk scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RatingProvenance {
    /// The disclosure threshold: only projects with at least k ratings count.
    pub k: u64,
    /// The weight of the category mean in each shrunk score, in ratings.
    pub prior_weight: f64,
    /// The unit's projects of the period that count, by id.
    pub projects: Vec<RatedProject>,
    /// How many of the unit's projects of the period had fewer than k
    /// ratings and were left out.
    pub below_k: u32,
}

/// One project behind a unit's public-rating value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RatedProject {
    /// The project.
    pub project: ProjectId,
    /// Its number of counted ratings.
    pub n: u64,
    /// The raw mean level.
    pub raw_mean: f64,
    /// Its shrunk (Bayesian) score toward its category's mean.
    pub shrunk: f64,
}

/// A unit's appraisal for one framework version and period (local only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Appraisal {
    /// The unit appraised.
    pub unit: UnitId,
    /// Its category.
    pub category: CategoryId,
    /// The weighted total, from 0 to 100.
    pub total: Value,
    /// The grade.
    pub grade: crate::documents::Grade,
    /// The pay coefficient tied to the grade.
    pub pay_coefficient: Value,
    /// The per-indicator scores.
    pub scores: Vec<IndicatorScore>,
}

impl Appraisal {
    /// Checks ranges: scores and total within 0-200 (a scoring rule's cap may
    /// reward over-achievement above 100), weights within 0-100, a
    /// non-negative pay coefficient.
    pub fn validate(&self) -> Result<(), InvalidField> {
        let within = |field: &str, v: Value, max: f64| {
            if (0.0..=max).contains(&v.get()) {
                Ok(())
            } else {
                Err(InvalidField::new(
                    field,
                    format!("{v} is not within 0-{max}"),
                ))
            }
        };
        within("total", self.total, 200.0)?;
        if self.pay_coefficient.get() < 0.0 {
            return Err(InvalidField::new("pay_coefficient", "must not be negative"));
        }
        for (i, s) in self.scores.iter().enumerate() {
            within("score", s.score, 200.0).map_err(|e| e.within(format!("scores[{i}]")))?;
            within("weight", s.weight, 100.0).map_err(|e| e.within(format!("scores[{i}]")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appraisal_ranges() {
        let ok = json!({"unit": "fin-bureau", "category": "agency", "total": 91.5, "grade": "A",
                        "pay_coefficient": 1.2,
                        "scores": [{"indicator": "revenue", "value": 105, "score": 100, "weight": 40,
                                    "reason": "ratio to target 1.05, capped at 100"}]});
        let a: Appraisal = serde_json::from_value(ok.clone()).unwrap();
        a.validate().unwrap();
        let mut bad = ok.clone();
        bad["scores"][0]["score"] = json!(220);
        let e = serde_json::from_value::<Appraisal>(bad)
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.field, "scores[0].score");
        let mut bad = ok;
        bad["grade"] = json!("F");
        assert!(serde_json::from_value::<Appraisal>(bad).is_err());
    }

    #[test]
    fn observations_read_from_json() {
        let o: Observation = serde_json::from_value(json!(
            {"unit": "town-chengxiang", "indicator": "hotline_resolution", "period": "2025-Q3", "value": 0.97}
        ))
        .unwrap();
        assert_eq!(o.period, Period::Quarter(2025, 3));
        assert!(o.target.is_none());
        assert!(
            serde_json::from_value::<Observation>(json!(
                {"unit": "u", "indicator": "i", "period": "2025-Q5", "value": 1}
            ))
            .is_err()
        );
    }
}
