//! Validated identifiers. Each is a string newtype that can only hold a valid
//! value; serde goes through the same constructor.

use crate::InvalidField;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Defines a string newtype whose constructor runs `$check` (returning the reason
/// on failure) and which (de)serializes as a plain string.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $pattern:literal, $max:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps the value.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidField> {
                let value = value.into();
                let check: fn(&str) -> Result<(), String> = $check;
                match check(&value) {
                    Ok(()) => Ok(Self(value)),
                    Err(reason) => Err(InvalidField::new($field, format!("{value:?} {reason}"))),
                }
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidField;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidField;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        crate::schema::string_schema!($name, $pattern, $max);
    };
}

fn hex_of_len(s: &str, len: usize) -> Result<(), String> {
    if s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(format!("is not {len} lowercase hex digits"))
    }
}

/// A dotted name such as `yrd.tax` or `taicang.hqd`: 1 to 64 characters of
/// lowercase ASCII letters, digits, `.`, `_` and `-`, starting with a letter.
fn dotted_name(s: &str) -> Result<(), String> {
    let ok_chars = s
        .bytes()
        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'));
    let starts = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if (1..=64).contains(&s.len()) && ok_chars && starts && !s.ends_with('.') && !s.contains("..") {
        Ok(())
    } else {
        Err("must be 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter".into())
    }
}

/// An indicator or unit code: 1 to 64 characters of ASCII letters, digits, `_`
/// and `-`, starting with a letter or digit.
fn code_name(s: &str) -> Result<(), String> {
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let starts = s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if (1..=64).contains(&s.len()) && ok_chars && starts {
        Ok(())
    } else {
        Err("must be 1-64 of A-Z, a-z, 0-9, '_', '-', starting with a letter or digit".into())
    }
}

string_id!(
    /// A GB/T 2260 administrative division code: exactly six ASCII digits,
    /// e.g. `320585` for Taicang.
    JurisdictionCode,
    "jurisdiction",
    r"^[0-9]{6}$",
    6,
    |s| {
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err("is not a 6-digit jurisdiction code".into())
        }
    }
);

string_id!(
    /// The name of an alliance, e.g. `yrd.tax`.
    AllianceId,
    "alliance",
    r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$",
    64,
    dotted_name
);

string_id!(
    /// The name of a framework (indicator catalogue), e.g. `taicang.hqd`.
    FrameworkId,
    "framework",
    r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$",
    64,
    dotted_name
);

string_id!(
    /// The code of an indicator within a framework, e.g. `ontime_filing_rate`.
    IndicatorCode,
    "indicator",
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    64,
    code_name
);

string_id!(
    /// The identifier of a livelihood project within one jurisdiction,
    /// e.g. `lib-renovation-2025`.
    ProjectId,
    "project",
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    64,
    code_name
);

string_id!(
    /// The identifier of an appraised unit within one jurisdiction.
    UnitId,
    "unit",
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    64,
    code_name
);

/// The SHA-256 hash of a signed document, as 64 lowercase hex digits.
///
/// Held inline (no allocation): cloning one is a copy of 64 bytes, and it
/// orders, compares and hashes as its hex string does.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct DocHash([u8; 64]);

impl DocHash {
    /// Validates and wraps the value.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidField> {
        let value = value.into();
        match hex_of_len(&value, 64) {
            Ok(()) => {
                let mut out = [0u8; 64];
                out.copy_from_slice(value.as_bytes());
                Ok(Self(out))
            }
            Err(reason) => Err(InvalidField::new("hash", format!("{value:?} {reason}"))),
        }
    }

    /// The value as a string slice.
    pub fn as_str(&self) -> &str {
        // Only lowercase hex digits are ever stored.
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

impl fmt::Debug for DocHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DocHash").field(&self.as_str()).finish()
    }
}

impl Serialize for DocHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl TryFrom<String> for DocHash {
    type Error = InvalidField;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<DocHash> for String {
    fn from(value: DocHash) -> String {
        value.as_str().to_string()
    }
}

impl fmt::Display for DocHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DocHash {
    type Err = InvalidField;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

string_id!(
    /// An ed25519 public key, as 64 lowercase hex digits. Only the trust crate
    /// turns it into a curve point.
    KeyHex,
    "public_key",
    r"^[0-9a-f]{64}$",
    64,
    |s| hex_of_len(s, 64)
);

string_id!(
    /// An ed25519 signature, as 128 lowercase hex digits.
    SigHex,
    "signature",
    r"^[0-9a-f]{128}$",
    128,
    |s| hex_of_len(s, 128)
);

string_id!(
    /// The identifier of a crosswalk, e.g. `kunshan.tax-satisfaction`.
    CrosswalkId,
    "crosswalk",
    r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$",
    64,
    dotted_name
);

string_id!(
    /// The identifier of a unit category within a framework, e.g. `agency`.
    CategoryId,
    "category",
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    64,
    code_name
);

impl DocHash {
    /// The hash from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (i, b) in bytes.into_iter().enumerate() {
            out[2 * i] = HEX[(b >> 4) as usize];
            out[2 * i + 1] = HEX[(b & 15) as usize];
        }
        Self(out)
    }

    /// The 32 raw bytes of the hash.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let digits = &self.0;
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = (nibble(digits[2 * i]) << 4) | nibble(digits[2 * i + 1]);
        }
        out
    }
}

fn nibble(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        _ => d - b'a' + 10,
    }
}

/// A reference to an indicator of a framework, written `FRAMEWORK/CODE`, e.g.
/// `yrd.tax/ontime_filing_rate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IndicatorRef {
    /// The framework the indicator belongs to.
    pub framework: FrameworkId,
    /// The indicator's code within that framework.
    pub code: IndicatorCode,
}

impl IndicatorRef {
    /// Parses `FRAMEWORK/CODE`.
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        let (framework, code) = s.split_once('/').ok_or_else(|| {
            InvalidField::new(
                "indicator",
                format!("{s:?} is not of the form FRAMEWORK/CODE"),
            )
        })?;
        Ok(Self {
            framework: FrameworkId::new(framework)?,
            code: IndicatorCode::new(code)?,
        })
    }
}

impl TryFrom<String> for IndicatorRef {
    type Error = InvalidField;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IndicatorRef> for String {
    fn from(value: IndicatorRef) -> String {
        value.to_string()
    }
}

impl fmt::Display for IndicatorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.framework, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_codes() {
        for ok in ["320585", "310114", "000000"] {
            assert!(JurisdictionCode::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "32058", "3205850", "32058a", "３２０５８５", " 320585"] {
            let err = JurisdictionCode::new(bad).unwrap_err();
            assert_eq!(err.field, "jurisdiction", "{bad}");
        }
    }

    #[test]
    fn names_and_codes() {
        assert!(AllianceId::new("yrd.tax").is_ok());
        assert!(FrameworkId::new("taicang.hqd-2").is_ok());
        for bad in ["", "Yrd.tax", ".yrd", "yrd.", "yrd..tax", "1yrd", "yrd tax"] {
            assert!(AllianceId::new(bad).is_err(), "{bad}");
        }
        assert!(IndicatorCode::new("ontime_filing_rate").is_ok());
        assert!(IndicatorCode::new("T01-a").is_ok());
        assert_eq!(IndicatorCode::new("a/b").unwrap_err().field, "indicator");
        assert_eq!(UnitId::new("").unwrap_err().field, "unit");
    }

    #[test]
    fn hashes_round_trip_through_bytes() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 9) as u8);
        let h = DocHash::from_bytes(bytes);
        assert_eq!(h.to_bytes(), bytes);
        assert_eq!(DocHash::new(h.as_str()).unwrap(), h);
        assert!(DocHash::new(h.as_str().to_uppercase()).is_err());
        assert!(KeyHex::new("ab").is_err());
    }

    #[test]
    fn indicator_refs() {
        let r = IndicatorRef::parse("yrd.tax/ontime_filing_rate").unwrap();
        assert_eq!(r.framework.as_str(), "yrd.tax");
        assert_eq!(r.to_string(), "yrd.tax/ontime_filing_rate");
        assert!(IndicatorRef::parse("yrd.tax").is_err());
        let json: IndicatorRef = serde_json::from_str("\"a.b/c\"").unwrap();
        assert_eq!(json.code.as_str(), "c");
        assert!(serde_json::from_str::<IndicatorRef>("\"a.b/\"").is_err());
    }
}
