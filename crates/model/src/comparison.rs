//! Harmonised comparisons and composites: what the comparison engine answers.

use crate::documents::Relation;
use crate::{CrosswalkId, DocHash, IndicatorRef, InvalidField, JurisdictionCode, Period, Value};
use serde::{Deserialize, Serialize};

/// The crosswalk a comparison row relies on, and whether it is recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrosswalkUse {
    /// The crosswalk's identifier.
    pub id: CrosswalkId,
    /// Its relation.
    pub relation: Relation,
    /// Whether both sides (or the alliance's quorum) accepted it.
    pub recognised: bool,
}

/// Why a row is set apart from the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowFlag {
    /// The crosswalk's relation is not `exact`.
    NotExact,
    /// The crosswalk is not recognised.
    Unrecognised,
    /// The source framework version is outside the crosswalk's range.
    VersionOutOfRange,
}

/// One jurisdiction's row of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// The harmonised value, in the reference indicator's unit.
    pub value: Value,
    /// The value as the jurisdiction reported it.
    pub source_value: Value,
    /// The indicator it was reported under.
    pub source_indicator: IndicatorRef,
    /// The rank among ranked rows, 1 best; absent for flagged rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// The z-score among ranked rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_score: Option<Value>,
    /// The min-max score among ranked rows, 0-100, 100 best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minmax: Option<Value>,
    /// The crosswalk used, if the source is not the reference itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crosswalk: Option<CrosswalkUse>,
    /// The summary document the value comes from.
    pub document: DocHash,
    /// Why the row is set apart, if it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<RowFlag>,
}

/// A harmonised comparison of one reference indicator for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The reference indicator.
    pub indicator: IndicatorRef,
    /// The period.
    pub period: Period,
    /// The reference indicator's unit.
    pub unit: String,
    /// One row per member with a value.
    pub rows: Vec<ComparisonRow>,
    /// The hash over the inputs and parameters, so any node can recompute it.
    pub manifest: DocHash,
}

/// How composite indicators are normalised before aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Scaled to 0-100 between the worst and the best.
    #[default]
    MinMax,
    /// Standard scores.
    ZScore,
    /// Distance to the best value.
    DistanceToFrontier,
}

/// How normalised indicators combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompositeAggregation {
    /// Weighted arithmetic mean.
    #[default]
    Arithmetic,
    /// Weighted geometric mean.
    Geometric,
}

/// One weighted reference indicator of a composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositePart {
    /// The reference indicator.
    pub indicator: IndicatorRef,
    /// Its weight; weights need not sum to anything, they are normalised.
    pub weight: Value,
}

/// A composite request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeSpec {
    /// The period.
    pub period: Period,
    /// The weighted indicators.
    pub indicators: Vec<CompositePart>,
    /// The normalisation.
    #[serde(default)]
    pub normalisation: Normalisation,
    /// The aggregation.
    #[serde(default)]
    pub aggregation: CompositeAggregation,
    /// Monte Carlo draws for the rank intervals.
    #[serde(default = "default_draws")]
    pub draws: u32,
    /// The seed of the draws.
    #[serde(default)]
    pub seed: u64,
}

fn default_draws() -> u32 {
    1000
}

impl CompositeSpec {
    /// Checks that there are indicators, each once, with positive weights, and
    /// a bounded number of draws.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.indicators.is_empty() {
            return Err(InvalidField::new("indicators", "must not be empty"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, p) in self.indicators.iter().enumerate() {
            if !seen.insert(&p.indicator) {
                return Err(InvalidField::new(
                    format!("indicators[{i}].indicator"),
                    "is listed twice",
                ));
            }
            if p.weight.get() <= 0.0 {
                return Err(InvalidField::new(
                    format!("indicators[{i}].weight"),
                    "must be greater than 0",
                ));
            }
        }
        if self.draws > 100_000 {
            return Err(InvalidField::new("draws", "must be at most 100000"));
        }
        Ok(())
    }
}

/// One member's row of a composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeRow {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// Its composite index.
    pub index: Value,
    /// Its rank, 1 best.
    pub rank: u32,
    /// The 5th and 95th percentile of its rank under perturbed weights.
    pub rank_interval: [u32; 2],
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn composite_specs() {
        let ok = json!({"period": "2025", "indicators": [
            {"indicator": "yrd.tax/ontime_filing_rate", "weight": 2},
            {"indicator": "yrd.tax/service_satisfaction", "weight": 1}]});
        let spec: CompositeSpec = serde_json::from_value(ok.clone()).unwrap();
        spec.validate().unwrap();
        assert_eq!(
            (spec.draws, spec.normalisation, spec.aggregation),
            (
                1000,
                Normalisation::MinMax,
                CompositeAggregation::Arithmetic
            )
        );
        let mut twice = ok.clone();
        twice["indicators"][1]["indicator"] = json!("yrd.tax/ontime_filing_rate");
        let e = serde_json::from_value::<CompositeSpec>(twice)
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.field, "indicators[1].indicator");
        let mut zero = ok;
        zero["indicators"][0]["weight"] = json!(0);
        let e = serde_json::from_value::<CompositeSpec>(zero)
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.field, "indicators[0].weight");
    }

    #[test]
    fn a_row_serialises_as_the_contract_shows() {
        let row = ComparisonRow {
            jurisdiction: JurisdictionCode::new("320585").unwrap(),
            value: Value::new(99.1).unwrap(),
            source_value: Value::new(0.991).unwrap(),
            source_indicator: IndicatorRef::parse("taicang.hqd/tax_ontime").unwrap(),
            rank: Some(1),
            z_score: Some(Value::new(1.02).unwrap()),
            minmax: Some(Value::new(100.0).unwrap()),
            crosswalk: Some(CrosswalkUse {
                id: CrosswalkId::new("taicang.ontime").unwrap(),
                relation: Relation::Exact,
                recognised: true,
            }),
            document: DocHash::from_bytes([0; 32]),
            flags: vec![],
        };
        let v = serde_json::to_value(&row).unwrap();
        assert_eq!(v["jurisdiction"], "320585");
        assert_eq!(v["crosswalk"]["relation"], "exact");
        assert_eq!(v["source_indicator"], "taicang.hqd/tax_ontime");
        assert!(v.get("flags").is_none());
    }
}
