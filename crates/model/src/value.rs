use crate::InvalidField;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A measured or derived number. Always finite: NaN and the infinities cannot
/// be represented in JSON, and a serializer would silently turn them into `null`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Value(f64);

impl Value {
    /// Wraps a finite number.
    pub fn new(v: f64) -> Result<Self, InvalidField> {
        if v.is_finite() {
            Ok(Self(v))
        } else {
            Err(InvalidField::new(
                "value",
                format!("{v} is not a finite number"),
            ))
        }
    }

    /// Parses a decimal number as written in a CSV cell or a query string.
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        let t = s.trim();
        let v: f64 = t
            .parse()
            .map_err(|_| InvalidField::new("value", format!("{s:?} is not a number")))?;
        Self::new(v)
    }

    /// The number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Value {
    type Error = InvalidField;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Value> for f64 {
    fn from(v: Value) -> f64 {
        v.0
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_only() {
        assert_eq!(Value::new(99.1).unwrap().get(), 99.1);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Value::new(bad).unwrap_err().field, "value");
        }
        for bad in ["", "abc", "NaN", "inf", "-infinity", "1e999", "1,5"] {
            assert!(Value::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Value::parse(" 0.991 ").unwrap().get(), 0.991);
        assert_eq!(serde_json::from_str::<Value>("3").unwrap().get(), 3.0);
        assert!(serde_json::from_str::<Value>("\"3\"").is_err());
    }
}
