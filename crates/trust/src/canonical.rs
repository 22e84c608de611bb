//! Canonical JSON: the one byte string a JSON value signs as, by RFC 8785
//! (the JSON Canonicalization Scheme, JCS).
//!
//! - Object members are sorted by their names compared as arrays of UTF-16
//!   code units; there is no white space.
//! - Strings are written with only `"` and `\` escaped, the control characters
//!   U+0008, U+0009, U+000A, U+000C and U+000D as `\b \t \n \f \r`, the other
//!   control characters below U+0020 as `\u00xx` (lowercase hex), and every
//!   other character as itself in UTF-8.
//! - Numbers are written as ECMAScript's `Number.prototype.toString` writes the
//!   IEEE 754 double: `30.0` becomes `30`, `1e-7` stays `1e-7`, `1e21` becomes
//!   `1e+21`, `-0.0` becomes `0`. The spelling comes from `ryu-js`, never from
//!   `serde_json`, so no signed byte depends on that crate's float formatter.
//! - Every JSON number is an IEEE double. An integer literal beyond 2^53 is
//!   accepted only when it stands for one double without doubt: a double
//!   holds it exactly (`1152921504606846976`, 2^60), or it is ECMAScript's
//!   spelling of the nearest double (`1152921504606847000`, the same 2^60).
//!   Any other (`9007199254740993`, 2^53 + 1, which a reader would silently
//!   round) has no canonical form: it is refused with
//!   [`CanonicalError::IntegerOutOfRange`]. Such numbers travel as strings.
//!
//! JSON text with two members of the same name in one object means different
//! things to different parsers; [`parse_strict`] refuses it.
//!
//! The writer sorts keys itself rather than relying on `serde_json::Map` being a
//! `BTreeMap` (which sorts by UTF-8 bytes, not UTF-16 code units).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The largest integer magnitude up to which an IEEE double holds every
/// integer exactly: 2^53 - 1.
pub const SAFE_INTEGER_MAX: u64 = (1 << 53) - 1;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// An integer beyond 2^53 that an IEEE double cannot hold exactly.
    #[error(
        "the integer {0} is not exactly an IEEE double (it is beyond 2^53) and cannot be signed; carry it as a string"
    )]
    IntegerOutOfRange(String),
    /// A number that is not finite (serde_json never makes one, but a
    /// `Number` could in principle hold it).
    #[error("a number is not finite")]
    NonFinite,
}

/// Appends the canonical bytes of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_canonical_map(map, out)?,
    }
    Ok(())
}

/// Appends the canonical bytes of a JSON object to `out`.
pub fn write_canonical_map(
    map: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalError> {
    // The common case: ASCII names, which `serde_json::Map` (a `BTreeMap`
    // unless `preserve_order` is on somewhere) already iterates in byte
    // order, which is then also UTF-16 order. Checked, never assumed.
    if map.keys().all(|k| k.is_ascii()) && map.keys().is_sorted() {
        return write_members(map.iter(), out);
    }
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
    write_members(entries.into_iter(), out)
}

fn write_members<'a>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalError> {
    out.push(b'{');
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(k, out);
        out.push(b':');
        write_canonical(v, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// The canonical bytes of `value`.
pub fn canonical(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// Compares two strings as arrays of UTF-16 code units (RFC 8785 §3.2.3).
/// For strings of characters below U+10000 this is code point order; a
/// character above it (a surrogate pair, 0xD800–0xDBFF first) sorts before
/// U+E000–U+FFFF.
fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    let f = if let Some(u) = n.as_u64() {
        if u <= 1 << 53 {
            // An integer a double holds exactly is spelt as its digits.
            let mut buf = itoa_buf(u);
            out.extend_from_slice(buf.digits());
            return Ok(());
        }
        if !integer_is_a_double(u) {
            return Err(CanonicalError::IntegerOutOfRange(u.to_string()));
        }
        u as f64
    } else if let Some(i) = n.as_i64() {
        if !integer_is_a_double(i.unsigned_abs()) {
            return Err(CanonicalError::IntegerOutOfRange(i.to_string()));
        }
        i as f64
    } else {
        n.as_f64().ok_or(CanonicalError::NonFinite)?
    };
    if !f.is_finite() {
        return Err(CanonicalError::NonFinite);
    }
    // ECMAScript writes negative zero as "0".
    let f = if f == 0.0 { 0.0 } else { f };
    let mut buf = ryu_js::Buffer::new();
    out.extend_from_slice(buf.format_finite(f).as_bytes());
    Ok(())
}

/// The decimal digits of an integer, without allocating.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn digits(&mut self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(mut n: u64) -> Digits {
    let mut d = Digits {
        buf: [b'0'; 20],
        start: 20,
    };
    loop {
        d.start -= 1;
        d.buf[d.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return d;
        }
    }
}

/// Whether the integer literal `u` stands for one IEEE double without doubt:
/// every integer up to 2^53 does; beyond it, one that a double holds exactly
/// (2^60 = `1152921504606846976`), or one written as ECMAScript writes the
/// nearest double (`1152921504606847000`, which is how JCS spells 2^60).
/// `9007199254740993` is neither: a reader would silently take it for
/// `9007199254740992`.
fn integer_is_a_double(u: u64) -> bool {
    if u <= 1 << 53 || 64 - u.leading_zeros() - u.trailing_zeros() <= 53 {
        return true;
    }
    let mut buf = ryu_js::Buffer::new();
    let spelt = buf.format_finite(u as f64);
    let mut digits = [0u8; 20];
    let mut n = u;
    let mut i = digits.len();
    while n > 0 {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    spelt.as_bytes() == &digits[i..]
}

/// For each byte, what JCS writes instead of it: 0 for the byte itself,
/// `u` for `\u00xx`, or the letter of a short escape.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let e = ESCAPE[b as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xF) as usize]);
        } else {
            out.push(b'\\');
            out.push(e);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Parses JSON text into a [`Value`], refusing an object with two members of
/// the same name anywhere in it (RFC 8785 §3.1 builds on I-JSON, which
/// forbids them). Otherwise as `serde_json::from_slice`.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let value = serde_json::from_slice::<Strict>(bytes).map(|s| s.0)?;
    if let Some(text) = long_integer_not_a_double(bytes) {
        return Err(serde_json::Error::io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            CanonicalError::IntegerOutOfRange(text),
        )));
    }
    Ok(value)
}

/// An integer literal of 20 digits or more (beyond what `serde_json` keeps
/// as an integer, so it reads it as a double without a word) that does not
/// stand for one double without doubt, if the text has one. `bytes` is
/// valid JSON.
fn long_integer_not_a_double(bytes: &[u8]) -> Option<String> {
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                i += 1;
            }
            let token = &bytes[start..i];
            let digits = token.strip_prefix(b"-").unwrap_or(token);
            if digits.len() >= 20 && digits.iter().all(u8::is_ascii_digit) {
                let text = std::str::from_utf8(digits).unwrap_or("");
                let f: f64 = text.parse().unwrap_or(f64::INFINITY);
                let mut buf = ryu_js::Buffer::new();
                if !f.is_finite() || buf.format_finite(f) != text {
                    return Some(String::from_utf8_lossy(token).into_owned());
                }
            }
            continue;
        }
        i += 1;
    }
    None
}

/// What [`canonical_shape`] saw in text that is canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Members of the outermost object (0 when the text is not an object).
    pub top_members: usize,
    /// `null` literals anywhere in the text.
    pub nulls: usize,
    /// Where the outermost object's `payload` member's value lies in the
    /// text (start, end), if it has one.
    pub payload: Option<(usize, usize)>,
}

/// `Some` when `bytes` are exactly the canonical form of the JSON text they
/// hold and [`parse_strict`] reads them: no white space, members in UTF-16
/// order with no name twice, every number spelt as [`write_canonical`]
/// spells it, every string escaped exactly where JCS escapes. `None` for
/// anything else, valid JSON or not. It reads the text once and builds no
/// value: a reader of canonical bytes (what every node sends) can then take
/// the signed bytes as they are instead of writing them again.
pub fn canonical_shape(bytes: &[u8]) -> Option<Shape> {
    // Checked once here, so that each string's text needs no check of its own.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut c = Scan {
        b: bytes,
        text,
        i: 0,
        nulls: 0,
        depth: 0,
        scratch: Vec::new(),
        payload: None,
    };
    let top_members = c.value()?;
    (c.i == bytes.len()).then_some(Shape {
        top_members,
        nulls: c.nulls,
        payload: c.payload,
    })
}

/// serde_json's nesting limit, so that the scan accepts no text the parser
/// refuses.
const DEPTH_MAX: usize = 128;

struct Scan<'a> {
    b: &'a [u8],
    /// `b` as text (it is valid UTF-8).
    text: &'a str,
    i: usize,
    nulls: usize,
    depth: usize,
    scratch: Vec<u8>,
    payload: Option<(usize, usize)>,
}

impl<'a> Scan<'a> {
    /// One value; for an object, its member count.
    fn value(&mut self) -> Option<usize> {
        match *self.b.get(self.i)? {
            b'{' => return self.object(),
            b'[' => self.array()?,
            b'"' => drop(self.string()?),
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => {
                self.nulls += 1;
                self.literal(b"null")?
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        }
        Some(0)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn next_byte(&mut self) -> Option<u8> {
        let b = *self.b.get(self.i)?;
        self.i += 1;
        Some(b)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.i += 1;
        (self.depth <= DEPTH_MAX).then_some(())
    }

    fn object(&mut self) -> Option<usize> {
        self.enter()?;
        let mut count = 0;
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            let mut previous: Option<std::borrow::Cow<'a, str>> = None;
            loop {
                let name = self.name()?;
                if let Some(p) = &previous
                    && utf16_cmp(p, &name) != std::cmp::Ordering::Less
                {
                    return None;
                }
                let top_payload = self.depth == 1 && name == "payload";
                previous = Some(name);
                (self.next_byte()? == b':').then_some(())?;
                let start = self.i;
                self.value()?;
                if top_payload {
                    self.payload = Some((start, self.i));
                }
                count += 1;
                match self.next_byte()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(count)
    }

    fn array(&mut self) -> Option<()> {
        self.enter()?;
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                self.value()?;
                match self.next_byte()? {
                    b',' => {}
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// A member name, unescaped (escapes are rare in names).
    fn name(&mut self) -> Option<std::borrow::Cow<'a, str>> {
        let (text, escaped) = self.string()?;
        if !escaped {
            return Some(text.into());
        }
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let c = match chars.next()? {
                'b' => '\u{8}',
                't' => '\t',
                'n' => '\n',
                'f' => '\u{c}',
                'r' => '\r',
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                }
                other => other,
            };
            out.push(c);
        }
        Some(out.into())
    }

    /// A string as JCS writes it: its text as written (escapes included) and
    /// whether it holds an escape.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            match *self.b.get(j)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match *self.b.get(j + 1)? {
                        // Each short escape stands for the one byte JCS
                        // writes it for (the table maps them one to one).
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => j += 2,
                        b'u' => {
                            // Only a control character without a short
                            // escape, as \u00xx in lowercase hex.
                            let h = self.b.get(j + 2..j + 6)?;
                            let digit = |d: u8| match d {
                                b'0'..=b'9' => Some(d - b'0'),
                                b'a'..=b'f' => Some(d - b'a' + 10),
                                _ => None,
                            };
                            let v = if h[0] == b'0' && h[1] == b'0' {
                                digit(h[2])? * 16 + digit(h[3])?
                            } else {
                                return None;
                            };
                            (ESCAPE[v as usize] == b'u').then_some(())?;
                            j += 6;
                        }
                        _ => return None,
                    }
                }
                b if ESCAPE[b as usize] != 0 => return None,
                _ => j += 1,
            }
        }
        // Both ends are at a quote, so on character boundaries.
        let text = self.text.get(start..j)?;
        self.i = j + 1;
        Some((text, escaped))
    }

    /// A number spelt exactly as the canonical writer spells the value
    /// serde_json reads from it.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        let mut j = start;
        while j < self.b.len()
            && matches!(self.b[j], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        {
            j += 1;
        }
        let token = &self.b[start..j];
        if plain_canonical(token) {
            self.i = j;
            return Some(());
        }
        let n: Number = serde_json::from_slice(token).ok()?;
        self.scratch.clear();
        write_number(&n, &mut self.scratch).ok()?;
        (self.scratch == token).then(|| self.i = j)
    }
}

/// Whether a number token is, by its form alone, spelt as
/// [`write_number`] spells its value; false means "not decided here".
///
/// True for a plain decimal (no exponent, no leading zero, no trailing zero
/// in a fraction, not `-0`) of at most 15 significant digits, at least
/// 1e-6 and, without a fraction, below 1e15. Any two decimals of at most
/// 15 significant digits are distinct doubles (15 is f64's `DIGITS`), so the
/// shortest spelling that reads back as the token's double has the token's
/// own digits, and ECMAScript writes values from 1e-6 to 1e21 in plain
/// decimal notation; integers below 1e15 < 2^53 are written as their digits.
/// This spares the read and the re-spelling for the numbers documents hold.
fn plain_canonical(token: &[u8]) -> bool {
    let unsigned = token.strip_prefix(b"-").unwrap_or(token);
    let (int, frac) = match unsigned.iter().position(|&b| b == b'.') {
        Some(dot) => (&unsigned[..dot], Some(&unsigned[dot + 1..])),
        None => (unsigned, None),
    };
    let all_digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if !all_digits(int) || (int.len() > 1 && int[0] == b'0') {
        return false;
    }
    match frac {
        None => (int.len() <= 15 && int != b"0") || token == b"0",
        Some(frac) => {
            if !all_digits(frac) || frac.last() == Some(&b'0') {
                return false;
            }
            if int == b"0" {
                let zeros = frac.iter().take_while(|&&d| d == b'0').count();
                zeros <= 5 && frac.len() - zeros <= 15
            } else {
                int.len() + frac.len() <= 15
            }
        }
    }
}

/// A [`Value`] whose objects had no duplicate member names.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate member name {key:?}"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn text(v: &Value) -> String {
        String::from_utf8(canonical(v).unwrap()).unwrap()
    }

    #[test]
    fn sorted_compact_and_stable() {
        let v = json!({"b": [1, 2.5, "x\"y"], "a": {"z": null, "é": true, "A": -0.1}});
        let c = text(&v);
        assert_eq!(
            c,
            r#"{"a":{"A":-0.1,"z":null,"é":true},"b":[1,2.5,"x\"y"]}"#
        );
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let reparsed: Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(text(&reparsed), c);
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    #[test]
    fn rfc8785_number_vectors() {
        let cases: [(u64, &str); 25] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
            (0x3ff0000000000000, "1"),
        ];
        for (bits, want) in cases {
            let v = json!(f64::from_bits(bits));
            assert_eq!(text(&v), want, "{bits:#018x}");
        }
    }

    #[test]
    fn numbers_are_spelt_as_ecmascript_spells_them() {
        let v = parse_strict(
            br#"[1, 1.0, 30.0, 0.1, 1e-7, 1e16, 1e20, 1e21, -0.0, 9007199254740991, -9007199254740991]"#,
        )
        .unwrap();
        assert_eq!(
            text(&v),
            "[1,1,30,0.1,1e-7,10000000000000000,100000000000000000000,1e+21,0,9007199254740991,-9007199254740991]"
        );
        assert_eq!(text(&json!(0.1 + 0.2)), "0.30000000000000004");
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_refused() {
        for t in [
            "9007199254740993",
            "-9007199254740993",
            "12345678901234567891",
            "18446744073709551615",
        ] {
            // Refused when read (20 digits or more) or when canonicalised.
            let refused = match parse_strict(t.as_bytes()) {
                Err(_) => true,
                Ok(v) => matches!(canonical(&v), Err(CanonicalError::IntegerOutOfRange(_))),
            };
            assert!(refused, "{t}");
        }
        // Integers that are exactly doubles keep their value; JCS spells the
        // double 1e16 as these digits, so they must read back.
        for t in [
            "9007199254740992",
            "-9007199254740992",
            "10000000000000000",
            "1152921504606846976",
            "1152921504606847000",
            "-1267984780898951200",
        ] {
            let v = parse_strict(t.as_bytes()).unwrap();
            let c = text(&v);
            assert_eq!(c.parse::<f64>().unwrap(), t.parse::<f64>().unwrap(), "{t}");
            assert_eq!(text(&parse_strict(c.as_bytes()).unwrap()), c);
        }
    }

    /// RFC 8785 §3.2.3: members sorted by UTF-16 code units.
    #[test]
    fn rfc8785_key_order() {
        let v = parse_strict(
            "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}".as_bytes(),
        )
        .unwrap();
        let got = text(&v);
        let keys: Vec<&str> = got
            .split("\":\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
    }

    #[test]
    fn strings_escape_only_what_jcs_escapes() {
        let v = json!("\u{0}\u{1f}\u{8}\t\n\u{c}\r\"\\/\u{7f}é€😀\u{2028}");
        assert_eq!(
            text(&v),
            "\"\\u0000\\u001f\\b\\t\\n\\f\\r\\\"\\\\/\u{7f}é€😀\u{2028}\""
        );
    }

    #[test]
    fn long_integers_are_refused_unless_they_are_a_double() {
        for t in [
            "100000000000000000001",
            "-100000000000000000001",
            "18446744073709551617",
            "[1, {\"a\": 123456789012345678901234}]",
        ] {
            let e = parse_strict(t.as_bytes()).unwrap_err();
            assert!(
                e.to_string().contains("not exactly an IEEE double"),
                "{t}: {e}"
            );
        }
        // JCS spells these doubles with these digits; digits in strings are text.
        for t in [
            "100000000000000000000",
            "295147905179352830000",
            "[\"100000000000000000001\", 1e20]",
        ] {
            let v = parse_strict(t.as_bytes()).unwrap();
            assert_eq!(text(&parse_strict(text(&v).as_bytes()).unwrap()), text(&v));
        }
    }

    #[test]
    fn duplicate_member_names_are_refused() {
        let e = parse_strict(br#"{"a": 1, "b": {"c": 1, "c": 2}}"#).unwrap_err();
        assert!(e.to_string().contains("duplicate member name \"c\""), "{e}");
        assert!(parse_strict(br#"{"a": [{"x": 1}, {"x": 2}]}"#).is_ok());
    }

    fn count_nulls(v: &Value) -> usize {
        match v {
            Value::Null => 1,
            Value::Array(a) => a.iter().map(count_nulls).sum(),
            Value::Object(m) => m.values().map(count_nulls).sum(),
            _ => 0,
        }
    }

    #[test]
    fn the_scan_refuses_every_other_spelling() {
        let yes: &[&[u8]] = &[
            b"{}",
            b"[]",
            b"0",
            b"-1",
            b"1.5",
            b"1e+21",
            b"1e-7",
            b"\"\\n\\t\\\"\\\\\\u001f\"",
            "\"é\u{10000}\"".as_bytes(),
            b"{\"\\n\":1,\"a\":[null,true,false]}",
            // UTF-16 order: U+10000 (a surrogate pair, 0xD800...) sorts
            // before U+E000, unlike in UTF-8.
            "{\"\u{10000}\":1,\"\u{e000}\":2}".as_bytes(),
            // 2^60 as ECMAScript spells it.
            b"1152921504606847000",
        ];
        for b in yes {
            let shape = canonical_shape(b);
            assert!(shape.is_some(), "{}", String::from_utf8_lossy(b));
            assert_eq!(canonical(&parse_strict(b).unwrap()).unwrap(), *b);
        }
        let no: &[&[u8]] = &[
            b"",
            b" 1",
            b"1 ",
            b"[1, 2]",
            b"{\"b\":1,\"a\":2}",
            b"{\"a\":1,\"a\":1}",
            b"1.0",
            b"1E2",
            b"100e0",
            b"-0",
            b"01",
            b"1e21",
            b"9007199254740993",
            // 2^60 exactly: a double, but JCS spells it 1152921504606847000.
            b"1152921504606846976",
            b"\"\\/\"",
            b"\"\\u0041\"",
            b"\"\\u001F\"",
            b"\"\\u000a\"",
            b"\"\\u00e9\"",
            b"\"\\ud800\"",
            b"\"\x01\"",
            b"\"\xff\"",
            "{\"\u{e000}\":1,\"\u{10000}\":2}".as_bytes(),
            b"nul",
            b"[1,]",
            b"{\"a\":1,}",
            b"{\"a\"1}",
            b"[]]",
        ];
        for b in no {
            assert_eq!(canonical_shape(b), None, "{}", String::from_utf8_lossy(b));
        }
        let deep = |n: usize| [vec![b'['; n], vec![b']'; n]].concat();
        assert!(canonical_shape(&deep(DEPTH_MAX)).is_some());
        assert!(canonical_shape(&deep(DEPTH_MAX + 1)).is_none());
        assert!(parse_strict(&deep(DEPTH_MAX + 1)).is_err());
    }

    /// What the general path says of a number token.
    fn spelt_canonically(token: &[u8]) -> bool {
        let Ok(n) = serde_json::from_slice::<Number>(token) else {
            return false;
        };
        let mut out = Vec::new();
        write_number(&n, &mut out).is_ok() && out == token
    }

    #[test]
    fn plain_decimals_are_decided_by_their_form() {
        let yes: &[&[u8]] = &[
            b"0",
            b"7",
            b"-12",
            b"89.9",
            b"-0.5",
            b"0.000001",
            b"0.000001234",
            b"123456789012345",
            b"12345678901234.5",
            b"0.123456789012345",
        ];
        for t in yes {
            assert!(plain_canonical(t), "{}", String::from_utf8_lossy(t));
            assert!(spelt_canonically(t), "{}", String::from_utf8_lossy(t));
        }
        // Declined: some are not canonical, the rest go to the general path.
        let no: &[&[u8]] = &[
            b"-0",
            b"0.0",
            b"5.0",
            b"01",
            b"1.",
            b".5",
            b"-",
            b"1.2.3",
            b"1e5",
            b"1E5",
            b"0.0000001",
            b"1234567890123456",
            b"1234567890123.456",
            b"0.1234567890123456",
            b"+1",
        ];
        for t in no {
            assert!(!plain_canonical(t), "{}", String::from_utf8_lossy(t));
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(SAFE_INTEGER_MAX as i64)..=SAFE_INTEGER_MAX as i64).prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Canonical bytes parse back to numerically equal values and are a
        /// fixed point.
        #[test]
        fn canonical_is_a_fixed_point(v in arb_json()) {
            let c = canonical(&v).unwrap();
            let back = parse_strict(&c).unwrap();
            prop_assert_eq!(canonical(&back).unwrap(), c);
        }

        /// The scan finds canonical bytes canonical, and any other spelling
        /// of the same value (serde_json's compact and pretty forms) only
        /// when it is the same bytes.
        #[test]
        fn the_scan_knows_canonical_bytes(v in arb_json()) {
            let c = canonical(&v).unwrap();
            let shape = canonical_shape(&c);
            prop_assert!(shape.is_some(), "{}", String::from_utf8_lossy(&c));
            let shape = shape.unwrap();
            prop_assert_eq!(shape.nulls, count_nulls(&v));
            prop_assert_eq!(shape.top_members, v.as_object().map_or(0, |m| m.len()));
            for other in [serde_json::to_vec(&v).unwrap(), serde_json::to_vec_pretty(&v).unwrap()] {
                prop_assert_eq!(canonical_shape(&other).is_some(), other == c,
                    "{}", String::from_utf8_lossy(&other));
            }
        }

        /// The payload range holds exactly the canonical text of the
        /// outermost object's `payload` member, and nothing when it has none.
        #[test]
        fn the_scan_finds_the_payload(v in arb_json(), inner in arb_json(), with in any::<bool>()) {
            let mut v = v;
            if let (Value::Object(m), true) = (&mut v, with) {
                m.insert("payload".into(), inner);
            }
            let c = canonical(&v).unwrap();
            let shape = canonical_shape(&c).unwrap();
            match v.get("payload") {
                Some(p) if v.is_object() => {
                    let (start, end) = shape.payload.unwrap();
                    prop_assert_eq!(&c[start..end], &canonical(p).unwrap()[..]);
                }
                _ => prop_assert_eq!(shape.payload, None),
            }
        }

        /// A number the form check passes is one the general path passes,
        /// for decimals of every length around its bounds.
        #[test]
        fn the_form_check_passes_only_canonical_numbers(
            t in "-?(0|[1-9][0-9]{0,17})(\\.0{0,7}[0-9]{0,17})?",
        ) {
            if plain_canonical(t.as_bytes()) {
                prop_assert!(spelt_canonically(t.as_bytes()), "{}", t);
            }
        }

        /// The same for the spelling of any finite double.
        #[test]
        fn the_form_check_agrees_on_doubles(f in prop_oneof![
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
            -1e15..1e15f64,
            -1.0..1.0f64,
        ]) {
            let mut buf = ryu_js::Buffer::new();
            let t = buf.format_finite(f).to_string();
            if plain_canonical(t.as_bytes()) {
                prop_assert!(spelt_canonically(t.as_bytes()), "{}", t);
            }
        }

        /// Whatever bytes the scan passes, the parser reads, and writing
        /// what it read gives the same bytes back.
        #[test]
        fn what_the_scan_passes_is_canonical(b in prop::collection::vec(
            prop::sample::select(b"{}[]\",:0123456789-+.eEnulltruefalse\\ubtn\x01\xc3\xa9 ".to_vec()),
            0..24,
        )) {
            if canonical_shape(&b).is_some() {
                let v = parse_strict(&b).unwrap();
                prop_assert_eq!(canonical(&v).unwrap(), b);
            }
        }

        /// An independent RFC 8785 implementation agrees byte for byte.
        #[test]
        fn agrees_with_an_independent_implementation(v in arb_json()) {
            let ours = canonical(&v).unwrap();
            let theirs = serde_json_canonicalizer::to_vec(&v).unwrap();
            prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
        }
    }
}
