//! Canonical JSON: the one byte string a JSON value signs as.
//!
//! The form is: object keys sorted by their UTF-8 bytes, no insignificant
//! white space, strings escaped as `serde_json` escapes them (only `"`, `\` and
//! control characters), integers in decimal, other numbers in the shortest form
//! that reads back to the same `f64` (`serde_json` with `float_roundtrip`).
//! Re-encoding a value parsed from canonical bytes yields the same bytes, so a
//! document that was pretty-printed on its way still verifies, while any change
//! of content does not.
//!
//! The writer sorts keys itself rather than relying on `serde_json::Map` being a
//! `BTreeMap`, because another crate enabling `preserve_order` would silently
//! change that.

use serde_json::Value;

/// Appends the canonical bytes of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Writing a number or a string into a Vec cannot fail.
        Value::Number(n) => serde_json::to_writer(&mut *out, n).unwrap_or(()),
        Value::String(s) => serde_json::to_writer(&mut *out, s).unwrap_or(()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_canonical_map(map, out),
    }
}

/// Appends the canonical bytes of a JSON object to `out`.
pub fn write_canonical_map(map: &serde_json::Map<String, Value>, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, k).unwrap_or(());
        out.push(b':');
        write_canonical(v, out);
    }
    out.push(b'}');
}

/// The canonical bytes of `value`.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn sorted_compact_and_stable() {
        let v = json!({"b": [1, 2.5, "x\"y"], "a": {"z": null, "é": true, "A": -0.1}});
        let c = canonical(&v);
        assert_eq!(
            String::from_utf8(c.clone()).unwrap(),
            r#"{"a":{"A":-0.1,"z":null,"é":true},"b":[1,2.5,"x\"y"]}"#
        );
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let reparsed: Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(canonical(&reparsed), c);
    }

    #[test]
    fn numbers_keep_their_form() {
        let v: Value =
            serde_json::from_str(r#"[1, 1.0, 0.1, 1e20, 12345678901234567890, -3]"#).unwrap();
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            "[1,1.0,0.1,1e+20,12345678901234567890,-3]"
        );
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
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
        #[test]
        fn canonical_is_a_fixed_point(v in arb_json()) {
            let c = canonical(&v);
            let back: Value = serde_json::from_slice(&c).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(canonical(&back), c);
        }
    }
}
