//! The typed checks that replaced the JSON Schema pass on the ingest path
//! accept and refuse exactly what the shipped schemas do: on every example in
//! `schemas/examples`, on documents this node signs, and on thousands of edits
//! of them (each member removed, each value replaced by values of other types
//! and edge values). `crates/fuzzing/tests/typed_schema.rs` does the same on
//! the fuzz seeds.

use deltabench_model::documents::{
    Crosswalk, DocKind, Endorsement, ForecastCommitment, Framework, HotlineSummary,
    JurisdictionDecl, Payload, PublicRatingSummary, SignedRoster, Summary,
};
use deltabench_trust::schemas::{check_envelope, validator};
use deltabench_trust::{Document, Reason};
use serde_json::{Value, json};
use std::path::PathBuf;

fn examples(folder: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/examples"
    ))
    .join(folder);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every JSON pointer in `v`, the root included.
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

/// Values of every JSON type and the edges the schemas and types care about.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(0.5),
        json!(1.5),
        json!(1e300),
        json!(4294967296u64),
        json!(""),
        json!(" "),
        json!("x"),
        json!("2025"),
        json!("2025-H1"),
        json!("1.0.0"),
        json!("320585"),
        json!("a".repeat(64)),
        json!("A".repeat(64)),
        json!("2026-01-01T00:00:00Z"),
        json!("x".repeat(2001)),
        json!([]),
        json!([1]),
        json!({}),
        json!({"x": 1}),
    ]
}

/// The value with the member or element at `pointer` removed.
fn removed(v: &Value, pointer: &str) -> Option<Value> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let mut out = v.clone();
    match out.pointer_mut(parent)? {
        Value::Object(m) => {
            m.remove(&last.replace("~1", "/").replace("~0", "~"))?;
        }
        Value::Array(a) => {
            let i: usize = last.parse().ok()?;
            a.remove(i);
        }
        _ => return None,
    }
    Some(out)
}

/// Whether a payload of `kind` has the form of its type (serde alone), so
/// that a refusal can only come from the payload's own `validate`: rules
/// between members (weights summing to 100%, referenced indicators, a
/// distribution of at least k units, a majority threshold) that JSON Schema
/// cannot state.
fn has_form(kind: DocKind, payload: &Value) -> bool {
    fn de<P: Payload>(v: &Value) -> bool {
        P::deserialize(v).is_ok()
    }
    match kind {
        DocKind::Jurisdiction => de::<JurisdictionDecl>(payload),
        DocKind::Summary => de::<Summary>(payload),
        DocKind::Framework => de::<Framework>(payload),
        DocKind::Crosswalk => de::<Crosswalk>(payload),
        DocKind::Endorsement => de::<Endorsement>(payload),
        DocKind::Roster => de::<SignedRoster>(payload),
        DocKind::PublicRating => de::<PublicRatingSummary>(payload),
        DocKind::Forecast => de::<ForecastCommitment>(payload),
        DocKind::Hotline => de::<HotlineSummary>(payload),
    }
}

/// What [`compare`] found.
#[derive(Default)]
struct Found {
    compared: usize,
    /// Values the typed checks refused by a rule between members while the
    /// schema accepted them.
    rules_only: usize,
    disagree: Vec<String>,
}

/// Checks `typed` against `schema` on `v` and on every edit of it. They must
/// agree, except that the typed checks may refuse what the schema accepts
/// when `by_rule` says the refusal came from a rule between members.
fn compare(
    name: &str,
    v: &Value,
    schema: &dyn Fn(&Value) -> bool,
    typed: &dyn Fn(&Value) -> Result<(), String>,
    by_rule: &dyn Fn(&Value) -> bool,
    found: &mut Found,
) {
    let mut variants = vec![("as is".to_string(), v.clone())];
    let mut ps = Vec::new();
    pointers(v, String::new(), &mut ps);
    for p in &ps {
        if let Some(r) = removed(v, p) {
            variants.push((format!("{p} removed"), r));
        }
        for r in replacements() {
            let mut e = v.clone();
            *e.pointer_mut(p).unwrap() = r.clone();
            variants.push((format!("{p} = {r}"), e));
        }
    }
    for (what, e) in &variants {
        found.compared += 1;
        let s = schema(e);
        let t = typed(e);
        if s && t.is_err() && by_rule(e) {
            found.rules_only += 1;
        } else if s != t.is_ok() {
            found.disagree.push(format!(
                "{name}, {what}: schema {}, typed {}",
                if s { "accepts" } else { "refuses" },
                match &t {
                    Ok(()) => "accepts".to_string(),
                    Err(e) => format!("refuses ({e})"),
                }
            ));
        }
    }
}

fn kind_of(example: &str) -> DocKind {
    DocKind::parse(example.split('-').next().unwrap()).unwrap()
}

#[test]
fn typed_checks_agree_with_the_schemas_on_every_example_and_its_edits() {
    let mut found = Found::default();
    let mut names = 0;
    for folder in ["valid", "invalid"] {
        for (name, value) in examples(folder) {
            names += 1;
            if name.starts_with("envelope") {
                compare(
                    &name,
                    &value,
                    &|v| check_envelope(v).is_ok(),
                    &|v| Document::check_form(v).map_err(|r| r.to_string()),
                    &envelope_refused_by_rule,
                    &mut found,
                );
                assert_eq!(
                    Document::check_form(&value).is_ok(),
                    folder == "valid",
                    "{name}"
                );
            } else {
                let kind = kind_of(&name);
                let schema = validator(&format!("{kind}.v1.schema.json")).unwrap();
                compare(
                    &name,
                    &value,
                    &|v| schema.is_valid(v),
                    &|v| Document::check_payload_form(kind, v).map_err(|r| r.to_string()),
                    &|v| has_form(kind, v),
                    &mut found,
                );
                assert_eq!(
                    Document::check_payload_form(kind, &value).is_ok(),
                    folder == "valid",
                    "{name}"
                );
            }
        }
    }
    assert!(names >= 60, "only {names} examples");
    assert!(
        found.disagree.is_empty(),
        "{} of {} disagree:\n{}",
        found.disagree.len(),
        found.compared,
        found.disagree.join("\n")
    );
    // The rule-only refusals are a small share, and the edits do reach them.
    assert!(found.rules_only > 0 && found.rules_only * 20 < found.compared);
    eprintln!(
        "{names} examples, {} values compared, {} refused only by a rule between members",
        found.compared, found.rules_only
    );
}

/// For an envelope the schema accepts: whether the typed refusal is a payload
/// rule between members (the payload has its type's form).
fn envelope_refused_by_rule(v: &Value) -> bool {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .and_then(|k| DocKind::parse(k).ok());
    let payload_refused =
        Document::check_form(v).is_err_and(|r| r.reason == Reason::InvalidPayload);
    match (kind, v.get("payload")) {
        (Some(kind), Some(p)) => payload_refused && has_form(kind, p),
        _ => false,
    }
}
