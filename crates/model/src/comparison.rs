//! Harmonised comparisons and composites: what the comparison engine answers.

use crate::documents::{Direction, Relation};
use crate::{CrosswalkId, DocHash, IndicatorRef, InvalidField, JurisdictionCode, Period, Value};
use serde::{Deserialize, Serialize};

/// Where a crosswalk stands on a node, from the endorsements it holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CrosswalkStatus {
    /// The owners of both sides (or the alliance's quorum) accepted it.
    Recognised,
    /// Some acceptance is still missing, and nobody has made it impossible.
    Pending,
    /// An owner rejected it, or too many members did for the quorum.
    Rejected,
    /// A newer version of the same crosswalk replaces it.
    Superseded,
}

impl CrosswalkStatus {
    /// The status as written in JSON and in query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            CrosswalkStatus::Recognised => "recognised",
            CrosswalkStatus::Pending => "pending",
            CrosswalkStatus::Rejected => "rejected",
            CrosswalkStatus::Superseded => "superseded",
        }
    }

    /// Parses a status as written in a query string.
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s {
            "recognised" => Ok(Self::Recognised),
            "pending" => Ok(Self::Pending),
            "rejected" => Ok(Self::Rejected),
            "superseded" => Ok(Self::Superseded),
            _ => Err(InvalidField::new(
                "status",
                format!("{s:?} is not one of recognised, pending, rejected, superseded"),
            )),
        }
    }
}

/// A further crosswalk of a transitive chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrosswalkLink {
    /// The crosswalk's identifier.
    pub id: CrosswalkId,
    /// The hash of its document.
    pub hash: DocHash,
}

/// The crosswalk a comparison row relies on, and whether it is recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrosswalkUse {
    /// The crosswalk's identifier.
    pub id: CrosswalkId,
    /// Its version.
    pub version: u32,
    /// The hash of its document.
    pub hash: DocHash,
    /// Its relation.
    pub relation: Relation,
    /// Whether both sides (or the alliance's quorum) accepted it, and every
    /// further link of the chain too.
    pub recognised: bool,
    /// Its status.
    pub status: CrosswalkStatus,
    /// The further crosswalks of a transitive chain (only exact, recognised
    /// ones), in order; empty for a direct mapping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<CrosswalkLink>,
}

/// Why a row is set apart from the ranking.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RowFlag {
    /// The crosswalk's relation is not `exact`.
    NotExact,
    /// The crosswalk is not recognised.
    Unrecognised,
    /// The source framework version is outside the crosswalk's range.
    VersionOutOfRange,
    /// The harmonised value lies outside the reference indicator's valid range.
    OutsideRange,
}

impl RowFlag {
    /// The flag as written in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            RowFlag::NotExact => "not_exact",
            RowFlag::Unrecognised => "unrecognised",
            RowFlag::VersionOutOfRange => "version_out_of_range",
            RowFlag::OutsideRange => "outside_range",
        }
    }
}

/// One jurisdiction's row of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// The harmonised value, in the reference indicator's unit.
    pub value: Value,
    /// The value as the jurisdiction reported it.
    pub source_value: Value,
    /// The indicator it was reported under.
    pub source_indicator: IndicatorRef,
    /// The version of the framework it was reported under.
    #[schema(value_type = crate::schema::SemVer)]
    pub source_version: semver::Version,
    /// The rank among ranked rows, 1 best; absent for rows set apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// The z-score among ranked rows (population standard deviation), signed
    /// so that above 0 is better than the mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_score: Option<Value>,
    /// The min-max score among ranked rows, 0-100, 100 best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minmax: Option<Value>,
    /// How far the value is from the best ranked value, in the reference unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_to_frontier: Option<Value>,
    /// The median of the ranked rows' values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_median: Option<Value>,
    /// The jurisdiction's harmonised value for the previous period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_value: Option<Value>,
    /// `value - previous_value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Value>,
    /// The summary document the previous value comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_document: Option<DocHash>,
    /// The crosswalk used, if the source is not the reference itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crosswalk: Option<CrosswalkUse>,
    /// The summary document the value comes from.
    pub document: DocHash,
    /// Why the row is set apart, if it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<RowFlag>,
}

/// A member of the comparison's group without a row, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MissingMember {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// Why it has no row.
    pub reason: String,
}

/// A harmonised comparison of one reference indicator for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The reference indicator.
    pub indicator: IndicatorRef,
    /// The period.
    pub period: Period,
    /// The reference indicator's unit.
    pub unit: String,
    /// Which way the reference indicator is good.
    pub direction: Direction,
    /// The reference framework version whose indicator was used.
    #[schema(value_type = crate::schema::SemVer)]
    pub reference_version: semver::Version,
    /// Whether rows set apart were ranked too (the caller asked for it).
    pub include_flagged: bool,
    /// The best ranked value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontier: Option<Value>,
    /// The median of the ranked values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median: Option<Value>,
    /// One row per member with a value: ranked rows by rank, then the others.
    pub rows: Vec<ComparisonRow>,
    /// The members without a row, and why.
    #[serde(default)]
    pub missing: Vec<MissingMember>,
    /// Every document the answer depends on, sorted.
    pub inputs: Vec<DocHash>,
    /// The hash over the inputs and parameters, so any node can recompute it.
    pub manifest: String,
}

/// How composite indicators are normalised before aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompositeAggregation {
    /// Weighted arithmetic mean.
    #[default]
    Arithmetic,
    /// Weighted geometric mean.
    Geometric,
}

/// What a composite does with a member that lacks some of its indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingValues {
    /// The member is left out of the composite and listed with what it lacks.
    #[default]
    Exclude,
    /// The member's index is taken over the indicators it has, their weights
    /// scaled up to sum to 1; its coverage says which share of the weight it had.
    Reweight,
}

/// One weighted reference indicator of a composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompositePart {
    /// The reference indicator.
    pub indicator: IndicatorRef,
    /// Its weight; weights need not sum to anything, they are normalised.
    pub weight: Value,
}

/// A composite request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// How far each weight is perturbed in a draw: it is multiplied by a
    /// uniform factor in `[1 - p, 1 + p]`; 0.5 when absent.
    #[serde(default = "default_perturbation")]
    pub perturbation: Value,
    /// What happens to members that lack an indicator.
    #[serde(default)]
    pub missing: MissingValues,
    /// Whether rows flagged in a comparison (non-exact or unrecognised
    /// crosswalk, version out of range) take part.
    #[serde(default)]
    pub include_flagged: bool,
}

fn default_perturbation() -> Value {
    Value::new(0.5).expect("finite")
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
        let p = self.perturbation.get();
        if !(0.0..1.0).contains(&p) {
            return Err(InvalidField::new(
                "perturbation",
                format!("{p} is not within [0, 1)"),
            ));
        }
        if self.draws > 100_000 {
            return Err(InvalidField::new("draws", "must be at most 100000"));
        }
        Ok(())
    }
}

/// One member's row of a composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompositeRow {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// Its composite index.
    pub index: Value,
    /// Its rank, 1 best.
    pub rank: u32,
    /// The 5th and 95th percentile of its rank under perturbed weights.
    pub rank_interval: [u32; 2],
    /// The share of the weight it had values for (1 unless reweighted).
    pub coverage: Value,
    /// Its normalised score per indicator, in the order of the request
    /// (`null` where it has no value).
    pub scores: Vec<Option<Value>>,
}

/// One indicator of a composite as used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompositeIndicator {
    /// The reference indicator.
    pub indicator: IndicatorRef,
    /// Its weight as given.
    pub weight: Value,
    /// Its weight scaled so that all sum to 1.
    pub share: Value,
    /// Its unit.
    pub unit: String,
    /// Which way it is good.
    pub direction: Direction,
}

/// A member left out of a composite, and why: the indicators it has no
/// value for, and those it has only a flagged value for (shown in the
/// comparison but not ranked, so not used unless flagged values are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExcludedMember {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// The indicators it has no value for.
    pub lacks: Vec<IndicatorRef>,
    /// The indicators it has only a flagged, unranked value for.
    #[serde(default)]
    pub flagged: Vec<IndicatorRef>,
}

/// A composite index over weighted reference indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Composite {
    /// The period.
    pub period: Period,
    /// The indicators and their weights.
    pub indicators: Vec<CompositeIndicator>,
    /// The normalisation.
    pub normalisation: Normalisation,
    /// The aggregation.
    pub aggregation: CompositeAggregation,
    /// What was done with members lacking an indicator.
    pub missing: MissingValues,
    /// Whether rows set apart in the comparisons took part.
    pub include_flagged: bool,
    /// Monte Carlo draws.
    pub draws: u32,
    /// Their seed.
    pub seed: u64,
    /// The weight perturbation `p`: factors in `[1 - p, 1 + p]`.
    pub perturbation: Value,
    /// How missing values, normalisation and aggregation were handled, in words.
    pub method: String,
    /// One row per member in the composite, by rank.
    pub rows: Vec<CompositeRow>,
    /// The members left out.
    pub excluded: Vec<ExcludedMember>,
    /// Every document the answer depends on, sorted.
    pub inputs: Vec<DocHash>,
    /// The hash over the inputs and parameters.
    pub manifest: String,
}

/// One owner's part in recognising a crosswalk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecognitionSide {
    /// Which side: `source`, `target` or `both` (one owner holds both).
    pub side: String,
    /// The owning jurisdiction code or alliance id; absent when the
    /// framework is not held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What it takes, in words (e.g. "320583 accepts", "2 of 3 members of yrd.tax accept").
    pub needs: String,
    /// Who accepted (current decisions).
    pub accepted_by: Vec<JurisdictionCode>,
    /// Who rejected (current decisions).
    pub rejected_by: Vec<JurisdictionCode>,
    /// Whether this side is satisfied.
    pub satisfied: bool,
    /// Whether rejections mean it can no longer be satisfied.
    pub blocked: bool,
}

/// One endorsement of a crosswalk document as held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndorsementRecord {
    /// The endorser.
    pub jurisdiction: JurisdictionCode,
    /// Its decision.
    pub decision: crate::documents::Decision,
    /// The endorsement document.
    pub hash: DocHash,
    /// When it was issued.
    pub issued_at: crate::Timestamp,
    /// Whether it is the endorser's current decision (a later one replaces it).
    pub current: bool,
    /// Its comment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A held crosswalk document with its recognition state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrosswalkRecord {
    /// The crosswalk document's hash.
    pub hash: DocHash,
    /// Who proposed it.
    pub issuer: JurisdictionCode,
    /// When.
    pub issued_at: crate::Timestamp,
    /// Where it stands.
    pub status: CrosswalkStatus,
    /// The newer version that replaces it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<DocHash>,
    /// Why the status is what it is, in words.
    pub why: String,
    /// The crosswalk itself.
    pub crosswalk: crate::documents::Crosswalk,
    /// What recognition needs, side by side.
    pub sides: Vec<RecognitionSide>,
    /// The endorsements of this document.
    pub endorsements: Vec<EndorsementRecord>,
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
            source_version: semver::Version::new(1, 0, 0),
            rank: Some(1),
            z_score: Some(Value::new(1.02).unwrap()),
            minmax: Some(Value::new(100.0).unwrap()),
            distance_to_frontier: Some(Value::new(0.0).unwrap()),
            peer_median: None,
            previous_value: None,
            change: None,
            previous_document: None,
            crosswalk: Some(CrosswalkUse {
                id: CrosswalkId::new("taicang.ontime").unwrap(),
                version: 1,
                hash: DocHash::from_bytes([1; 32]),
                relation: Relation::Exact,
                recognised: true,
                status: CrosswalkStatus::Recognised,
                via: vec![],
            }),
            document: DocHash::from_bytes([0; 32]),
            flags: vec![],
        };
        let v = serde_json::to_value(&row).unwrap();
        assert_eq!(v["jurisdiction"], "320585");
        assert_eq!(v["crosswalk"]["relation"], "exact");
        assert_eq!(v["source_indicator"], "taicang.hqd/tax_ontime");
        assert_eq!(v["crosswalk"]["recognised"], true);
        assert_eq!(v["crosswalk"]["status"], "recognised");
        assert!(v.get("flags").is_none());
        assert!(v.get("peer_median").is_none());
    }
}
