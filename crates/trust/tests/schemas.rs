//! The shipped JSON Schemas: every example behaves as its folder says, and the
//! documents this node signs, of every kind, validate.

use deltabench_model::documents::{
    Crosswalk, DocKind, Endorsement, ForecastCommitment, Framework, HotlineSummary,
    JurisdictionDecl, Payload, PublicRatingSummary, SignedRoster, Summary,
};
use deltabench_model::{DocHash, JurisdictionCode, Timestamp};
use deltabench_trust::schemas::{FILES, check_envelope, validator};
use deltabench_trust::{Document, Header, Limits, NodeKey};
use serde_json::Value;
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

fn schema_for(example: &str) -> String {
    let prefix = example.split('-').next().unwrap();
    format!("{prefix}.v1.schema.json")
}

#[test]
fn every_shipped_schema_compiles() {
    for (name, _) in FILES {
        validator(name).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn valid_examples_validate_and_invalid_ones_do_not() {
    let valid = examples("valid");
    let invalid = examples("invalid");
    assert!(
        valid.len() >= 14 && invalid.len() >= 21,
        "{} / {}",
        valid.len(),
        invalid.len()
    );
    for kind in [
        "envelope",
        "jurisdiction",
        "roster",
        "framework",
        "summary",
        "crosswalk",
        "endorsement",
    ] {
        assert!(
            valid.iter().any(|(n, _)| n.starts_with(kind)),
            "no valid {kind} example"
        );
        assert!(
            invalid.iter().any(|(n, _)| n.starts_with(kind)),
            "no invalid {kind} example"
        );
    }
    for (name, value) in &valid {
        let v = validator(&schema_for(name)).unwrap();
        if let Some(e) = v.iter_errors(value).next() {
            panic!("{name} should be valid: at {}: {e}", e.instance_path());
        }
    }
    for (name, value) in &invalid {
        let v = validator(&schema_for(name)).unwrap();
        assert!(!v.is_valid(value), "{name} should be invalid");
    }
}

#[test]
fn valid_envelope_examples_are_accepted_by_the_node() {
    for (name, value) in examples("valid")
        .into_iter()
        .filter(|(n, _)| n.starts_with("envelope"))
    {
        let bytes = serde_json::to_vec(&value).unwrap();
        Document::decode(&bytes, &Limits::default()).unwrap_or_else(|r| panic!("{name}: {r}"));
    }
}

/// Signs a valid payload example as a node would, and checks the envelope.
fn sign_example<P: Payload>(key: &NodeKey, issuer: &JurisdictionCode, payload: Value) -> Document {
    let p: P = serde_json::from_value(payload).unwrap();
    let header = Header {
        issuer: issuer.clone(),
        seq: if P::KIND == DocKind::Jurisdiction {
            1
        } else {
            2
        },
        prev: (P::KIND != DocKind::Jurisdiction).then(|| DocHash::from_bytes([1; 32])),
        issued_at: Timestamp::from_unix(1_767_225_600).unwrap(),
    };
    Document::sign(key, header, &p).unwrap()
}

#[test]
fn documents_the_node_produces_validate() {
    let key = NodeKey::from_seed([5; 32]);
    let mut kinds_seen = std::collections::BTreeSet::new();
    for (name, mut payload) in examples("valid") {
        let kind = name.split('-').next().unwrap();
        if kind == "envelope" {
            continue;
        }
        let issuer = JurisdictionCode::new("320585").unwrap();
        if kind == "jurisdiction" {
            payload["code"] = Value::from("320585");
            payload["public_key"] = Value::from(key.public_hex().as_str());
        }
        let doc = match kind {
            "jurisdiction" => sign_example::<JurisdictionDecl>(&key, &issuer, payload),
            "roster" => sign_example::<SignedRoster>(&key, &issuer, payload),
            "framework" => sign_example::<Framework>(&key, &issuer, payload),
            "summary" => sign_example::<Summary>(&key, &issuer, payload),
            "crosswalk" => sign_example::<Crosswalk>(&key, &issuer, payload),
            "endorsement" => sign_example::<Endorsement>(&key, &issuer, payload),
            "public_rating" => sign_example::<PublicRatingSummary>(&key, &issuer, payload),
            "forecast" => sign_example::<ForecastCommitment>(&key, &issuer, payload),
            "hotline" => sign_example::<HotlineSummary>(&key, &issuer, payload),
            other => panic!("unexpected example kind {other}"),
        };
        let envelope: Value = serde_json::from_slice(doc.bytes()).unwrap();
        check_envelope(&envelope).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v = validator(&format!("{kind}.v1.schema.json")).unwrap();
        assert!(v.is_valid(&envelope["payload"]), "{name}");
        Document::decode(doc.bytes(), &Limits::default()).unwrap_or_else(|r| panic!("{name}: {r}"));
        kinds_seen.insert(doc.kind);
    }
    assert_eq!(kinds_seen.len(), DocKind::ALL.len(), "{kinds_seen:?}");
}
