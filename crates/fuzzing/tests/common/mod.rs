//! Seeds and their edits, shared by the tests that compare two checks of
//! the same envelopes.

// Each test crate that includes this module uses part of it.
#![allow(dead_code)]

use deltabench_fuzzing::seeds;
use deltabench_trust::canonical::parse_strict;
use serde_json::{Value, json};

/// The envelopes of the `document` seeds (one each) and of the raw `bundle`
/// seed (its documents).
pub fn seed_envelopes() -> Vec<Value> {
    let mut out: Vec<Value> = seeds("document")
        .iter()
        .map(|b| parse_strict(b).expect("a seed parses"))
        .collect();
    for seed in seeds("bundle") {
        if seed.first() == Some(&0)
            && let Ok(v) = serde_json::from_slice::<Value>(&seed[1..])
        {
            let docs = v.get("documents").and_then(Value::as_array).cloned();
            out.extend(docs.unwrap_or_default());
        }
    }
    out
}

/// The JSON pointers of every member and element of `v`, `v` itself last.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// `v` as is, then with each member or element removed, and each replaced
/// by values of every type.
pub fn edits(v: &Value) -> Vec<(String, Value)> {
    edits_with(v, &[])
}

/// [`edits`] with `extra` replacements besides its own.
pub fn edits_with(v: &Value, extra: &[Value]) -> Vec<(String, Value)> {
    let own = [
        Value::Null,
        json!(false),
        json!(0),
        json!(1),
        json!(-3),
        json!(2.5),
        json!(""),
        json!("x"),
        json!("1.0"),
        json!("2.0"),
        json!("0001.7"),
        json!("a".repeat(64)),
        json!([]),
        json!({}),
    ];
    let replacements: Vec<&Value> = own.iter().chain(extra).collect();
    let mut ps = Vec::new();
    pointers(v, String::new(), &mut ps);
    let mut out = vec![("as is".to_string(), v.clone())];
    for p in &ps {
        if let Some((parent, last)) = p.rsplit_once('/') {
            let mut e = v.clone();
            let done = match e.pointer_mut(parent) {
                Some(Value::Object(m)) => m.remove(last).is_some(),
                Some(Value::Array(a)) => last.parse().is_ok_and(|i: usize| {
                    a.remove(i);
                    true
                }),
                _ => false,
            };
            if done {
                out.push((format!("{p} removed"), e));
            }
        }
        for &r in &replacements {
            let mut e = v.clone();
            *e.pointer_mut(p).unwrap() = r.clone();
            out.push((format!("{p} = {r}"), e));
        }
    }
    out
}

/// `rounds` random edits of `seeds` in turn (one to three bytes each
/// replaced by, or inserted from, `alphabet`, or removed), from a fixed
/// xorshift stream started at `state`: the same edits on every run.
pub fn byte_edits(
    seeds: &[Vec<u8>],
    rounds: usize,
    alphabet: &[u8],
    mut state: u64,
) -> Vec<Vec<u8>> {
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..rounds)
        .map(|round| {
            let mut b = seeds[round % seeds.len()].clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() % b.len() as u64) as usize;
                let c = alphabet[(next() % alphabet.len() as u64) as usize];
                match next() % 3 {
                    0 => b[at] = c,
                    1 => b.insert(at, c),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            b
        })
        .collect()
}
