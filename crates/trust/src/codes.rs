//! One-time rating codes: one person, one rating, without personal data.
//!
//! An office issues codes for a project and period and hands them out (on
//! paper, by SMS, at the counter); a resident who rates gives one back. The
//! node keeps no code, only its digest: a BLAKE3 keyed hash under the node's
//! own secret [`CodeKey`], over
//!
//! ```text
//! "deltabench/rating-code/v1" NUL PROJECT NUL PERIOD NUL CODE
//! ```
//!
//! (CODE in its normal form, [`RatingCode::parse`]). A stolen database thus
//! reveals no code, and a code issued for one project or period is worth
//! nothing for another.
//!
//! A code is 12 characters of Crockford's base32 (digits and letters without
//! I, L, O and U), 60 random bits, written in groups of four:
//! `7K3M-Q9TD-2XHB`. Reading forgives what people do when they type one:
//! lower case, spaces and hyphens anywhere, `O` for 0 and `I` or `L` for 1.

use deltabench_model::InvalidField;
use std::fmt;

/// The characters of a code, in value order (Crockford's base32).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The characters in a code.
pub const CODE_LEN: usize = 12;

/// The domain of the digest, so that it cannot be confused with any other
/// keyed hash under the same key.
const DOMAIN: &[u8] = b"deltabench/rating-code/v1";

/// A rating code in its normal form (12 upper-case characters of the
/// alphabet, no separators).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RatingCode([u8; CODE_LEN]);

impl RatingCode {
    /// A new code from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)?;
        let bits = u64::from_le_bytes(bytes);
        let mut code = [0u8; CODE_LEN];
        for (i, c) in code.iter_mut().enumerate() {
            *c = ALPHABET[((bits >> (5 * i)) & 31) as usize];
        }
        Ok(Self(code))
    }

    /// Reads a code as a person typed it; the error names `code` and says
    /// what is wrong.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let mut code = [0u8; CODE_LEN];
        let mut len = 0;
        for ch in text.chars() {
            if ch == '-' || ch.is_whitespace() {
                continue;
            }
            let c = match ch.to_ascii_uppercase() {
                'O' => b'0',
                'I' | 'L' => b'1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c as u8,
                _ => {
                    return Err(InvalidField::new(
                        "code",
                        format!("{ch:?} is not a character of a rating code"),
                    ));
                }
            };
            if len == CODE_LEN {
                return Err(InvalidField::new(
                    "code",
                    format!("a rating code has {CODE_LEN} characters; this one has more"),
                ));
            }
            code[len] = c;
            len += 1;
        }
        if len < CODE_LEN {
            return Err(InvalidField::new(
                "code",
                format!("a rating code has {CODE_LEN} characters; this one has {len}"),
            ));
        }
        Ok(Self(code))
    }

    /// The code's normal form, without separators.
    pub fn as_str(&self) -> &str {
        // Only characters of ALPHABET are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for RatingCode {
    /// The code in groups of four: `7K3M-Q9TD-2XHB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        write!(f, "{}-{}-{}", &s[..4], &s[4..8], &s[8..])
    }
}

impl fmt::Debug for RatingCode {
    /// Never the code itself: it is a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RatingCode(..)")
    }
}

/// The node's secret for rating-code digests: 32 random bytes, kept beside
/// the node's signing key and never published.
#[derive(Clone)]
pub struct CodeKey([u8; 32]);

impl CodeKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self(key))
    }

    /// The key with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key derived from the node's signing seed (BLAKE3's key
    /// derivation, context `deltabench 2026-12 rating-code key v1`): no
    /// second secret to keep, back up or lose, and nothing about the signing
    /// key can be learnt from it.
    pub fn derive(seed: &[u8; 32]) -> Self {
        Self(blake3::derive_key(
            "deltabench 2026-12 rating-code key v1",
            seed,
        ))
    }

    /// The digest under which `code` is kept for `project` in `period`.
    pub fn digest(&self, project: &str, period: &str, code: &RatingCode) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        for part in [DOMAIN, project.as_bytes(), period.as_bytes()] {
            h.update(part);
            h.update(&[0]);
        }
        h.update(&code.0);
        *h.finalize().as_bytes()
    }
}

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_as_people_type_it() {
        let code = RatingCode::generate().unwrap();
        let shown = code.to_string();
        assert_eq!(shown.len(), CODE_LEN + 2);
        assert_eq!(RatingCode::parse(&shown).unwrap(), code);
        assert_eq!(
            RatingCode::parse(&shown.to_lowercase().replace('-', " ")).unwrap(),
            code
        );
        // O, I and L are read as the digits they look like.
        let typed = RatingCode::parse("oil0-1111-AAAA").unwrap();
        assert_eq!(typed.as_str(), "01101111AAAA");
    }

    #[test]
    fn a_malformed_code_is_refused_naming_the_field() {
        for (text, says) in [
            ("7K3M-Q9TD-2XH", "has 11"),
            ("7K3M-Q9TD-2XHBB", "has more"),
            ("7K3M-Q9TD-2XHU", "'U'"),
            ("7K3M-Q9TD-2XH!", "'!'"),
            ("7K3M-Q9TD-2XH\u{4e2d}", "is not a character"),
            ("", "has 0"),
        ] {
            let e = RatingCode::parse(text).unwrap_err();
            assert_eq!(e.field, "code", "{text}");
            assert!(e.reason.contains(says), "{text}: {}", e.reason);
        }
    }

    #[test]
    fn generated_codes_use_the_whole_alphabet_and_do_not_repeat() {
        let codes: Vec<RatingCode> = (0..2000).map(|_| RatingCode::generate().unwrap()).collect();
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
        let used: std::collections::HashSet<u8> = codes.iter().flat_map(|c| c.0).collect();
        assert_eq!(used.len(), 32, "every character of the alphabet appears");
    }

    #[test]
    fn a_digest_binds_key_project_period_and_code() {
        let key = CodeKey::from_bytes([7; 32]);
        let code = RatingCode::parse("7K3M-Q9TD-2XHB").unwrap();
        let d = key.digest("p1", "2025", &code);
        assert_eq!(
            d,
            key.digest("p1", "2025", &RatingCode::parse("7k3mq9td2xhb").unwrap())
        );
        assert_ne!(d, key.digest("p2", "2025", &code));
        assert_ne!(d, key.digest("p1", "2026", &code));
        // A field boundary cannot be moved: ("p1", "2025") is not ("p12", "025").
        assert_ne!(d, key.digest("p12", "025", &code));
        assert_ne!(d, CodeKey::from_bytes([8; 32]).digest("p1", "2025", &code));
        // The vector: BLAKE3 keyed with 32 bytes of 7 over the documented input.
        let mut input = b"deltabench/rating-code/v1\0p1\x002025\0".to_vec();
        input.extend_from_slice(b"7K3MQ9TD2XHB");
        assert_eq!(d, *blake3::keyed_hash(&[7; 32], &input).as_bytes());
        assert_eq!(format!("{code:?}"), "RatingCode(..)");
    }
}
