//! Records that stay on the node: appraised units and their observations.

use crate::{CategoryId, IndicatorCode, InvalidField, Period, UnitId, Value};
use serde::{Deserialize, Serialize};

/// An appraised unit: an agency, a town or street, a state-owned enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
