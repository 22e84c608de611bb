use crate::InvalidField;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A point in time in UTC with whole seconds, written as RFC 3339
/// (`2025-03-01T08:00:00Z`). Documents carry their issue time in this form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64) -> Result<Self, InvalidField> {
        OffsetDateTime::from_unix_timestamp(secs)
            .map(|_| Self(secs))
            .map_err(|e| InvalidField::new("time", format!("{secs} is out of range: {e}")))
    }

    /// Parses RFC 3339. Fractions of a second are not accepted, so that one
    /// instant has one spelling; an offset other than `Z` is converted to UTC.
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        let t = OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| InvalidField::new("time", format!("{s:?} is not RFC 3339: {e}")))?;
        if t.nanosecond() != 0 {
            return Err(InvalidField::new(
                "time",
                format!("{s:?} has fractions of a second"),
            ));
        }
        Ok(Self(t.unix_timestamp()))
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The constructor checked the range, so formatting cannot fail.
        let t = OffsetDateTime::from_unix_timestamp(self.0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(UtcOffset::UTC);
        let s = t.format(&Rfc3339).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = InvalidField;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timestamp> for String {
    fn from(value: Timestamp) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_seconds_in_utc() {
        let t = Timestamp::parse("2025-03-01T08:00:00Z").unwrap();
        assert_eq!(t.to_string(), "2025-03-01T08:00:00Z");
        let shifted = Timestamp::parse("2025-03-01T16:00:00+08:00").unwrap();
        assert_eq!(shifted, t);
        assert!(Timestamp::parse("2025-03-01T08:00:00.5Z").is_err());
        assert!(Timestamp::parse("2025-03-01").is_err());
        assert_eq!(
            Timestamp::from_unix(0).unwrap().to_string(),
            "1970-01-01T00:00:00Z"
        );
    }
}
