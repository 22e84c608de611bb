//! Local-government debt risk (债务风险): each jurisdiction's (or
//! district's) debt figures by period, its bond calendar ahead, and the
//! risk bands the debt ratio falls in.
//!
//! - **Debt ratio** (债务率) = debt balance / comprehensive financial
//!   resources (综合财力), in percent.
//! - **Debt-service ratio** (偿债率) = debt service due in the period
//!   (principal and interest) / comprehensive financial resources, in
//!   percent.
//!
//! Amounts are in one currency unit of the office's choosing (万元, 亿元);
//! only their ratios are used. The band thresholds are configuration
//! ([`DebtBands`]), each set naming its source.

use crate::{InvalidField, JurisdictionCode, Period, Value};
use serde::{Deserialize, Serialize};

/// A period's debt figures of one jurisdiction, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtActual {
    /// The jurisdiction or district (GB/T 2260 code).
    pub jurisdiction: JurisdictionCode,
    /// The period (a year, or a month or quarter within one).
    pub period: Period,
    /// The debt balance at the end of the period (债务余额).
    pub debt_balance: Value,
    /// Comprehensive financial resources of the period (综合财力); positive.
    pub comprehensive_resources: Value,
    /// Principal and interest due in the period (应还本付息额).
    pub debt_service_due: Value,
}

/// One entry of the bond calendar ahead: what is planned for a period
/// after the last reported one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtPlan {
    /// The jurisdiction or district.
    pub jurisdiction: JurisdictionCode,
    /// The period.
    pub period: Period,
    /// Bonds to be issued in the period (新增与再融资债券发行).
    pub issuance: Value,
    /// Principal to be repaid in the period.
    pub repayment: Value,
    /// Principal and interest due in the period; the repayment alone when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debt_service_due: Option<Value>,
    /// Comprehensive financial resources expected in the period; the last
    /// known when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comprehensive_resources: Option<Value>,
}

impl DebtActual {
    /// Checks the amounts: not negative, resources positive.
    pub fn validate(&self) -> Result<(), InvalidField> {
        not_negative("debt_balance", self.debt_balance)?;
        not_negative("debt_service_due", self.debt_service_due)?;
        positive("comprehensive_resources", self.comprehensive_resources)
    }
}

impl DebtPlan {
    /// Checks the amounts: not negative, resources positive where given.
    pub fn validate(&self) -> Result<(), InvalidField> {
        not_negative("issuance", self.issuance)?;
        not_negative("repayment", self.repayment)?;
        if let Some(d) = self.debt_service_due {
            not_negative("debt_service_due", d)?;
        }
        if let Some(r) = self.comprehensive_resources {
            positive("comprehensive_resources", r)?;
        }
        Ok(())
    }
}

fn not_negative(field: &str, v: Value) -> Result<(), InvalidField> {
    if v.get() < 0.0 {
        return Err(InvalidField::new(field, format!("{} is negative", v.get())));
    }
    Ok(())
}

fn positive(field: &str, v: Value) -> Result<(), InvalidField> {
    if v.get() <= 0.0 {
        return Err(InvalidField::new(
            field,
            format!("{} is not positive: a ratio needs it above 0", v.get()),
        ));
    }
    Ok(())
}

/// A risk band of the debt ratio, from the lowest risk.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RiskBand {
    /// Below the yellow threshold.
    Green,
    /// From the yellow threshold.
    Yellow,
    /// From the orange threshold.
    Orange,
    /// From the red threshold.
    Red,
}

/// The debt-ratio thresholds of the bands, in percent, and where they come
/// from. A ratio at a threshold is in the higher band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DebtBands {
    /// Yellow from this debt ratio (percent).
    pub yellow: f64,
    /// Orange from this debt ratio.
    pub orange: f64,
    /// Red from this debt ratio.
    pub red: f64,
    /// The document the thresholds come from.
    pub source: String,
}

impl Default for DebtBands {
    /// 120%, 200% and 300%: the red, orange, yellow and green rating of
    /// legal local-government debt by the Ministry of Finance, as widely
    /// reported; see `source`.
    fn default() -> Self {
        Self {
            yellow: 120.0,
            orange: 200.0,
            red: 300.0,
            source: "财政部地方政府法定债务风险等级评定（红、橙、黄、绿）: 债务率 ≥300% 红, 200%–300% 橙, 120%–200% 黄, <120% 绿 — as reported in secondary sources; the official text was not available to check".into(),
        }
    }
}

impl DebtBands {
    /// Checks that the thresholds are finite, positive and rising, and
    /// that a source is named.
    pub fn validate(&self) -> Result<(), InvalidField> {
        let t = [
            ("yellow", self.yellow),
            ("orange", self.orange),
            ("red", self.red),
        ];
        for (name, v) in t {
            if !(v.is_finite() && v > 0.0) {
                return Err(InvalidField::new(
                    name,
                    format!("{v} is not a positive percentage"),
                ));
            }
        }
        if !(self.yellow < self.orange && self.orange < self.red) {
            return Err(InvalidField::new(
                "red",
                format!(
                    "the thresholds must rise: yellow {} < orange {} < red {}",
                    self.yellow, self.orange, self.red
                ),
            ));
        }
        if self.source.trim().is_empty() {
            return Err(InvalidField::new(
                "source",
                "name the document the thresholds come from",
            ));
        }
        Ok(())
    }

    /// The band of a debt ratio (percent).
    pub fn band(&self, debt_ratio: f64) -> RiskBand {
        if debt_ratio >= self.red {
            RiskBand::Red
        } else if debt_ratio >= self.orange {
            RiskBand::Orange
        } else if debt_ratio >= self.yellow {
            RiskBand::Yellow
        } else {
            RiskBand::Green
        }
    }
}

/// A jurisdiction's debt risk in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DebtRiskRow {
    /// The jurisdiction or district.
    pub jurisdiction: JurisdictionCode,
    /// The period.
    pub period: Period,
    /// Debt balance / comprehensive financial resources, percent.
    pub debt_ratio: f64,
    /// Debt service due / comprehensive financial resources, percent.
    pub debt_service_ratio: f64,
    /// The band of the debt ratio.
    pub band: RiskBand,
    /// Projected from the last reported period over the bond calendar,
    /// not reported.
    pub projected: bool,
    /// The debt balance (reported, or projected).
    pub debt_balance: f64,
    /// The comprehensive financial resources (reported, or assumed).
    pub comprehensive_resources: f64,
}

/// A change of band from one period to the next of a jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BandCrossing {
    /// The jurisdiction or district.
    pub jurisdiction: JurisdictionCode,
    /// The period of the new band.
    pub period: Period,
    /// The band before.
    pub from: RiskBand,
    /// The band from this period.
    pub to: RiskBand,
    /// Whether the new band is projected.
    pub projected: bool,
    /// Whether risk rises (a warning).
    pub rising: bool,
}

/// The answer of `GET /api/v1/debt-risk`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DebtRisk {
    /// Every jurisdiction's rows, by jurisdiction and period: reported
    /// ones, then projected ones.
    pub rows: Vec<DebtRiskRow>,
    /// Every change of band, reported or projected.
    pub crossings: Vec<BandCrossing>,
    /// The thresholds used, with their source.
    pub bands: DebtBands,
}
