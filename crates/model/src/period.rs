use crate::InvalidField;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An appraisal period: a year (`2025`), a half-year (`2025-H1`), a quarter
/// (`2025-Q3`) or a month (`2025-07`). Years run from 1900 to 2999.
///
/// Periods order by time: by year, then by first month, then by last month, so
/// `2024-Q4 < 2025 < 2025-H1 < 2025-Q1 < 2025-01`. (Variant order plays no part.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    /// A calendar year.
    Year(u16),
    /// A half-year, 1 or 2.
    Half(u16, u8),
    /// A quarter, 1 to 4.
    Quarter(u16, u8),
    /// A month, 1 to 12.
    Month(u16, u8),
}

impl Period {
    /// Parses one of the four accepted forms.
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        let bad = |why: &str| InvalidField::new("period", format!("{s:?} {why}"));
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let (year_part, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year_part.len() != 4 || !digits(year_part) {
            return Err(bad(
                "must start with a 4-digit year (2025, 2025-H1, 2025-Q3, 2025-07)",
            ));
        }
        let year: u16 = year_part.parse().map_err(|_| bad("has an invalid year"))?;
        if !(1900..=2999).contains(&year) {
            return Err(bad("has a year outside 1900-2999"));
        }
        let Some(rest) = rest else {
            return Ok(Period::Year(year));
        };
        let (kind, max, idx) = if let Some(h) = rest.strip_prefix('H') {
            ("half-year", 2, h)
        } else if let Some(q) = rest.strip_prefix('Q') {
            ("quarter", 4, q)
        } else {
            ("month", 12, rest)
        };
        let well_formed = if kind == "month" {
            idx.len() == 2 && digits(idx)
        } else {
            idx.len() == 1 && digits(idx)
        };
        if !well_formed {
            return Err(bad(
                "is not a year, half-year (H1), quarter (Q3) or month (07)",
            ));
        }
        let n: u8 = idx.parse().map_err(|_| bad("has an invalid number"))?;
        if !(1..=max).contains(&n) {
            return Err(bad(&format!("has a {kind} outside 1-{max}")));
        }
        Ok(match kind {
            "half-year" => Period::Half(year, n),
            "quarter" => Period::Quarter(year, n),
            _ => Period::Month(year, n),
        })
    }

    /// The calendar year the period falls in.
    pub fn year(&self) -> u16 {
        match *self {
            Period::Year(y) | Period::Half(y, _) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// The period of the same length just before this one (`2025-Q1` → `2024-Q4`),
    /// or `None` before the year 1900.
    pub fn previous(&self) -> Option<Period> {
        let back = |y: u16, n: u8, max: u8| {
            if n > 1 {
                Some((y, n - 1))
            } else if y > 1900 {
                Some((y - 1, max))
            } else {
                None
            }
        };
        match *self {
            Period::Year(y) => (y > 1900).then(|| Period::Year(y - 1)),
            Period::Half(y, n) => back(y, n, 2).map(|(y, n)| Period::Half(y, n)),
            Period::Quarter(y, n) => back(y, n, 4).map(|(y, n)| Period::Quarter(y, n)),
            Period::Month(y, n) => back(y, n, 12).map(|(y, n)| Period::Month(y, n)),
        }
    }

    /// The first and last month (1-12) the period covers.
    pub fn months(&self) -> (u8, u8) {
        match *self {
            Period::Year(_) => (1, 12),
            Period::Half(_, n) => (6 * n - 5, 6 * n),
            Period::Quarter(_, n) => (3 * n - 2, 3 * n),
            Period::Month(_, n) => (n, n),
        }
    }

    /// Whether `other` lies wholly within this period (a period contains itself).
    pub fn contains(&self, other: &Period) -> bool {
        let (a0, a1) = self.months();
        let (b0, b1) = other.months();
        self.year() == other.year() && a0 <= b0 && b1 <= a1
    }
}

impl Period {
    fn order_key(&self) -> (u16, u8, std::cmp::Reverse<u8>) {
        let (first, last) = self.months();
        (self.year(), first, std::cmp::Reverse(last))
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order_key().cmp(&other.order_key())
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl TryFrom<String> for Period {
    type Error = InvalidField;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Period> for String {
    fn from(value: Period) -> String {
        value.to_string()
    }
}

impl std::str::FromStr for Period {
    type Err = InvalidField;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Half(y, n) => write!(f, "{y}-H{n}"),
            Period::Quarter(y, n) => write!(f, "{y}-Q{n}"),
            Period::Month(y, n) => write!(f, "{y}-{n:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(Period::parse("2025").unwrap(), Period::Year(2025));
        assert_eq!(Period::parse("2025-H1").unwrap(), Period::Half(2025, 1));
        assert_eq!(Period::parse("2025-Q3").unwrap(), Period::Quarter(2025, 3));
        assert_eq!(Period::parse("2025-07").unwrap(), Period::Month(2025, 7));
    }

    #[test]
    fn rejected_forms_name_the_field() {
        for bad in [
            "",
            "25",
            "20255",
            "2025-",
            "2025-H3",
            "2025-H0",
            "2025-Q5",
            "2025-Q0",
            "2025-13",
            "2025-00",
            "2025-7",
            "2025-007",
            "2025-q3",
            "1899",
            "3000",
            "２０２５",
            "2025-Q3 ",
        ] {
            let err = Period::parse(bad).unwrap_err();
            assert_eq!(err.field, "period", "{bad}");
        }
    }

    #[test]
    fn previous_and_containment() {
        assert_eq!(
            Period::parse("2025-Q1").unwrap().previous(),
            Some(Period::Quarter(2024, 4))
        );
        assert_eq!(
            Period::Month(2025, 1).previous(),
            Some(Period::Month(2024, 12))
        );
        assert_eq!(Period::Year(1900).previous(), None);
        assert!(Period::Year(2025).contains(&Period::Month(2025, 7)));
        assert!(Period::Half(2025, 2).contains(&Period::Quarter(2025, 3)));
        assert!(!Period::Half(2025, 1).contains(&Period::Quarter(2025, 3)));
        assert!(!Period::Year(2024).contains(&Period::Month(2025, 1)));
    }

    #[test]
    fn periods_order_by_time_not_by_kind() {
        let p = |s: &str| Period::parse(s).unwrap();
        let sorted = [
            "2024-Q4", "2024-12", "2025", "2025-H1", "2025-Q1", "2025-01", "2025-02", "2025-Q2",
            "2025-H2",
        ];
        for w in sorted.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
        assert!(p("2025") > p("2024-Q1"));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(y in 1900u16..=2999, kind in 0u8..4, n in 1u8..=12) {
            let p = match kind {
                0 => Period::Year(y),
                1 => Period::Half(y, 1 + n % 2),
                2 => Period::Quarter(y, 1 + n % 4),
                _ => Period::Month(y, n),
            };
            prop_assert_eq!(Period::parse(&p.to_string()).unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p);
        }
    }
}
