//! The performance twin's answers: year-end forecasts of monthly
//! indicators with their intervals and the probability of missing the
//! annual target (`GET /api/v1/forecasts`).

use crate::{FrameworkId, IndicatorCode, Period, UnitId};
use serde::{Deserialize, Serialize};

/// One (unit, indicator)'s year-end forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForecastRow {
    /// The unit.
    pub unit: UnitId,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The year-end value forecast, by the indicator's aggregation rule.
    pub forecast: f64,
    /// The interval's lower end; null when there is none (`interval_note`
    /// says why).
    pub lower: Option<f64>,
    /// The interval's upper end; null when there is none.
    pub upper: Option<f64>,
    /// The interval's level (0.8 for 80%).
    pub level: f64,
    /// Why there is no interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_note: Option<String>,
    /// The probability of missing the annual target (0-1); null without
    /// a target or calibration (`p_miss_note` says why).
    pub p_miss: Option<f64>,
    /// Why there is no probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_miss_note: Option<String>,
    /// The method, e.g. `seasonal-mean+offset(k=1)+pooled-relative-conformal(12 series)`.
    pub method: String,
    /// The annual target compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// The months of the year observed so far.
    pub observed_months: Vec<u8>,
    /// The year-to-date value of those months by the indicator's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_to_date: Option<f64>,
    /// How many calibration errors the interval and `p_miss` rest on.
    pub calibration_points: usize,
    /// Caveats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A (unit, indicator) with monthly values but no forecast, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoForecastRow {
    /// The unit.
    pub unit: UnitId,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// Why there is no forecast.
    pub reason: String,
}

/// The answer of `GET /api/v1/forecasts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForecastList {
    /// The framework.
    pub framework: FrameworkId,
    /// The version whose indicators were forecast.
    pub version: String,
    /// The year forecast.
    pub period: Period,
    /// The intervals' level.
    pub level: f64,
    /// The forecasts, by indicator and unit.
    pub forecasts: Vec<ForecastRow>,
    /// The series that have monthly values of the year but no forecast.
    pub without: Vec<NoForecastRow>,
}

/// What raised a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A unit's forecast misses its annual target with a probability above
    /// the configured threshold.
    TargetMiss,
    /// A jurisdiction's debt ratio rises into a higher band, reported or
    /// projected.
    DebtBand,
    /// A unit's grade of the year, appraised with its year-end forecasts
    /// in place of those indicators' values, is worse than its grade of
    /// the year before.
    GradeFall,
}

/// An office's acknowledgement of a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    /// What the unit will do (plain text).
    pub action: String,
    /// Who acknowledged it.
    pub by: String,
    /// When.
    pub at: crate::Timestamp,
}

/// The body of `POST /api/v1/warnings/{id}/acknowledgement`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgementRequest {
    /// What the unit will do (1 to 2000 characters).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub action: String,
    /// Who acknowledges (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub by: String,
}

impl AcknowledgementRequest {
    /// Checks the texts: not blank, within their lengths.
    pub fn validate(&self) -> Result<(), crate::InvalidField> {
        for (field, v, max) in [("action", &self.action, 2000), ("by", &self.by, 100)] {
            if v.trim().is_empty() {
                return Err(crate::InvalidField::new(field, "must not be blank"));
            }
            if v.chars().count() > max {
                return Err(crate::InvalidField::new(
                    field,
                    format!("is longer than {max} characters"),
                ));
            }
        }
        Ok(())
    }
}

/// An early warning (前置干预).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Warning {
    /// Its id, stable while its trigger holds: `miss:FRAMEWORK:YEAR:UNIT:INDICATOR`,
    /// `grade:FRAMEWORK:YEAR:UNIT` or `debt:JURISDICTION:PERIOD`.
    pub id: String,
    /// What raised it.
    pub kind: WarningKind,
    /// The period concerned.
    pub period: Period,
    /// The unit (target misses, grade falls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    /// The indicator (target misses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<IndicatorCode>,
    /// The jurisdiction (debt bands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<crate::JurisdictionCode>,
    /// What triggered it, in words with its figures.
    pub trigger: String,
    /// The probability of missing the target (target misses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_miss: Option<f64>,
    /// Whether the trigger is a projection rather than a report.
    pub projected: bool,
    /// The acknowledgement, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
}

/// The answer of `GET /api/v1/warnings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WarningList {
    /// The threshold of `p_miss` above which a target miss warns.
    pub p_miss_threshold: f64,
    /// The warnings: target misses by indicator and unit, grade falls by
    /// unit, then debt bands.
    pub warnings: Vec<Warning>,
}

/// The body of `POST /api/v1/forecast-commitments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentRequest {
    /// The framework whose indicators are forecast.
    pub framework: FrameworkId,
    /// The year forecast.
    #[schema(value_type = String, pattern = r"^(19|2[0-9])[0-9]{2}$")]
    pub period: Period,
    /// The intervals' level, strictly between 0 and 1; 0.8 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    pub level: Option<f64>,
}

/// An indicator the commitment leaves out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeftOut {
    /// The indicator.
    pub indicator: IndicatorCode,
    /// Why it is not committed to.
    pub reason: String,
}

/// How one committed indicator fared against the year's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndicatorSkill {
    /// The indicator, in the issuer's framework.
    pub indicator: IndicatorCode,
    /// The reference indicators it maps onto through mutually recognised
    /// crosswalks, as `framework/indicator`.
    pub references: Vec<String>,
    /// The committed forecast.
    pub forecast: f64,
    /// The committed interval's lower end.
    pub lower: f64,
    /// The committed interval's upper end.
    pub upper: f64,
    /// The summary's value; null until a summary gives one.
    pub actual: Option<f64>,
    /// Whether the interval held the actual value.
    pub covered: Option<bool>,
    /// The interval score (Gneiting and Raftery 2007): the width plus
    /// 2/(1−level) times any miss, in the indicator's unit; lower is better.
    pub interval_score: Option<f64>,
    /// The interval score over |actual|, comparable across indicators and
    /// jurisdictions; null when the actual is 0.
    pub relative_interval_score: Option<f64>,
}

/// Where a forecast commitment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentStatus {
    /// No summary of the year from the issuer yet.
    AwaitingSummary,
    /// Published before the year's first summary, and scored against the
    /// latest one.
    Scored,
    /// Published after the year's first summary: shown, but not a
    /// commitment and not counted in skill.
    AfterSummary,
}

/// One forecast document and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitmentScore {
    /// The issuer.
    pub issuer: crate::JurisdictionCode,
    /// The forecast document.
    pub commitment: crate::DocHash,
    /// Its place in the issuer's chain.
    pub seq: u64,
    /// When it was signed.
    pub issued_at: crate::Timestamp,
    /// The framework forecast.
    pub framework: FrameworkId,
    /// The last month observed.
    pub as_of: Period,
    /// The intervals' level.
    pub level: f64,
    /// Where it stands.
    pub status: CommitmentStatus,
    /// The summary scored against: the issuer's latest of the framework and
    /// year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<crate::DocHash>,
    /// The chain position of the issuer's first summary of the year, which
    /// the commitment must precede.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_summary_seq: Option<u64>,
    /// The committed indicators.
    pub indicators: Vec<IndicatorSkill>,
    /// The share of scored intervals that held the actual value.
    pub coverage: Option<f64>,
    /// The mean relative interval score of the scored indicators.
    pub mean_relative_interval_score: Option<f64>,
    /// How many indicators were scored.
    pub scored: usize,
}

/// The answer of `GET /api/v1/forecast-skill`: every forecast document held
/// for the year, from every member, scored against its issuer's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForecastSkill {
    /// The year.
    pub period: Period,
    /// One row per forecast document, by issuer and chain position.
    pub commitments: Vec<CommitmentScore>,
}
