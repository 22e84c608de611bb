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
    /// The interval's lower end; absent when there is none (`interval_note`
    /// says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    /// The interval's upper end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// The interval's level (0.8 for 80%).
    pub level: f64,
    /// Why there is no interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_note: Option<String>,
    /// The probability of missing the annual target (0-1); absent without
    /// a target or calibration (`p_miss_note` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
