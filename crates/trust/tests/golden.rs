//! Golden vectors for envelope v2 (`docs/SIGNING.md`).
//!
//! `tests/golden/vectors.json` pins the canonical bytes (RFC 8785), the signed
//! messages, hashes and signatures of a set of documents and roster approvals
//! made from fixed seeds. The first test rebuilds every vector and requires
//! the file to match byte for byte, so the signed bytes can never change
//! silently; run it with `DELTABENCH_WRITE_GOLDEN=1` to rewrite the file
//! instead (only when the signing format changes on purpose, which breaks
//! every deployed signature). The second test reads the file the other way
//! round: every envelope decodes and verifies, and gives its recorded hash.

use deltabench_model::documents::{DocKind, JurisdictionDecl};
use deltabench_model::{DocHash, JurisdictionCode, KeyHex, SigHex, Timestamp};
use deltabench_trust::canonical::{CanonicalError, canonical, parse_strict};
use deltabench_trust::roster::{RosterDoc, approval_message, approve, check_anchor};
use deltabench_trust::{
    DOCUMENT_DOMAIN, Document, Header, Limits, NodeKey, ROSTER_DOMAIN, verify_prefixed,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/vectors.json");

/// Taicang's seed: it issues the document chain.
const SEED_TAICANG: [u8; 32] = [0x42; 32];
/// Kunshan's seed: it approves the roster and issues one declaration.
const SEED_KUNSHAN: [u8; 32] = [0x4b; 32];
/// Jiading's seed: a member of the roster that does not approve it.
const SEED_JIADING: [u8; 32] = [0x4a; 32];

/// Canonicalisation cases: a name and the JSON text given to the parser.
const CANONICAL_CASES: &[(&str, &str)] = &[
    ("float_1e-7", "1e-7"),
    ("float_1e16", "1e16"),
    ("float_1e21", "1e21"),
    ("float_0.1_plus_0.2", "0.30000000000000004"),
    ("float_negative_zero", "-0.0"),
    ("integer_negative_zero", "-0"),
    ("float_30.0", "30.0"),
    (
        "numbers_mixed",
        "[1E2, 1.5e-9, -0.000001, 123e-2, 0.1, 1e-6, 5e-324, 1.7976931348623157e308, 333333333.33333329, 9007199254740991, -9007199254740991]",
    ),
    ("integer_2^53", "9007199254740992"),
    ("integer_2^54_exact_double", "18014398509481984"),
    ("integer_1e20_exact_double", "100000000000000000000"),
    ("integer_2^53_plus_1_refused", "9007199254740993"),
    ("negative_integer_refused", "-9007199254740993"),
    (
        "integer_refused_inside_object",
        r#"{"seq": 1, "amount": 18014398509481985}"#,
    ),
    (
        "keys_utf16_order",
        r#"{"\uffff": 1, "\ud83d\ude00": 2, "\ue000": 3, "a": 4, "\u00e9": 5, "B": 6}"#,
    ),
    (
        "non_ascii_keys_and_strings",
        r#"{"简称": "太仓", "name": "Taicang", "名称": "太仓市", "emoji": "\ud83d\ude00 😀"}"#,
    ),
    (
        "string_escapes",
        r#""\u0000\u0001\b\t\n\u000b\f\r\u001f \" \\ \/ \u007f \u00e9 \u2028 \ud83d\ude00""#,
    ),
    (
        "control_characters_in_keys",
        r#"{"\n": 1, "\u0001": 2, " ": 3}"#,
    ),
    (
        "whitespace_and_nesting",
        "{\n  \"b\" : [ true , false , null , { } , [ ] ],\n  \"a\" : { \"z\" : 1.50 , \"y\" : \"\" }\n}",
    ),
    ("duplicate_member", r#"{"a": 1, "a": 2}"#),
    (
        "duplicate_member_nested",
        r#"{"outer": [{"k": 1, "k": 1}]}"#,
    ),
];

/// A summary payload as its author wrote it: the numbers show how doubles
/// are spelt in the signed bytes.
const SUMMARY_PAYLOAD: &str = r#"{
  "framework": "taicang.hqd",
  "version": "1.0.0",
  "period": "2025",
  "k": 3,
  "indicators": [
    {"indicator": "tiny_share", "value": 1e-7, "contributors": 2,
     "withheld": "fewer than k = 3 units"},
    {"indicator": "tax_revenue_yuan", "value": 1e16, "contributors": 4,
     "distribution": {"count": 4, "min": 1.2e15, "q1": 2e15, "median": 2.5e15,
                      "q3": 3e15, "max": 3.3e15, "mean": 2.5e15, "sd": 8.5e14}},
    {"indicator": "ontime_rate", "value": 0.30000000000000004, "contributors": 3,
     "distribution": {"count": 3, "min": 0.1, "q1": 0.2, "median": 0.30000000000000004,
                      "q3": 0.4, "max": 0.5, "mean": 0.30000000000000004, "sd": 0.2}},
    {"indicator": "change_pct", "value": -0.0, "contributors": 1,
     "withheld": "fewer than k = 3 units"},
    {"indicator": "processing_days", "value": 30.0, "contributors": 3,
     "distribution": {"count": 3, "min": 28.0, "q1": 29.5, "median": 30.0,
                      "q3": 31.25, "max": 32.0, "mean": 30.0, "sd": 2.0}},
    {"indicator": "filings", "value": 18014398509481984, "contributors": 3,
     "distribution": {"count": 3, "min": 1, "q1": 2, "median": 3,
                      "q3": 4, "max": 5, "mean": 3, "sd": 1e21}}
  ],
  "grades": [{"category": "township", "counts": {"A": 1, "B": 2}}]
}"#;

/// An endorsement whose free-text comment holds control characters and
/// non-ASCII text, and whose payload holds a member the payload types do not
/// know (kept and signed).
const ENDORSEMENT_PAYLOAD: &str = r#"{
  "crosswalk": "kunshan.satisfaction",
  "crosswalk_hash": "0909090909090909090909090909090909090909090909090909090909090909",
  "decision": "accept",
  "comment": "同意。Line 1\nLine 2\t\"quoted\" back\\slash \/ NUL:\u0000 SOH:\u0001 US:\u001f DEL:\u007f \ud83d\ude00 LS:\u2028 end",
  "ext_reviewed_by": "审核人 Reviewer"
}"#;

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// The signed message of a decoded document, rebuilt from its stored bytes:
/// the document domain and the canonical envelope without `signature`.
fn signed_message(envelope: &[u8]) -> Vec<u8> {
    let mut v = parse_strict(envelope).unwrap();
    v.as_object_mut().unwrap().remove("signature");
    [DOCUMENT_DOMAIN, &canonical(&v).unwrap()].concat()
}

fn canonical_vector(name: &str, input: &str) -> Value {
    let mut v = Map::new();
    v.insert("name".into(), json!(name));
    v.insert("input".into(), json!(input));
    match parse_strict(input.as_bytes()) {
        Err(e) if e.to_string().contains("duplicate member name") => {
            v.insert("error".into(), json!("duplicate_member"));
        }
        Err(e) => panic!("{name}: unexpected parse error {e}"),
        Ok(parsed) => match canonical(&parsed) {
            Ok(c) => {
                v.insert("output".into(), json!(text(&c)));
            }
            Err(CanonicalError::IntegerOutOfRange(_)) => {
                v.insert("error".into(), json!("integer_out_of_range"));
            }
            Err(e) => panic!("{name}: unexpected canonical error {e}"),
        },
    }
    Value::Object(v)
}

fn document_vector(
    name: &str,
    seed: [u8; 32],
    doc: &Document,
    payload_input: Option<&str>,
) -> Value {
    let message = signed_message(doc.bytes());
    let mut v = Map::new();
    v.insert("name".into(), json!(name));
    v.insert("seed".into(), json!(hex::encode(seed)));
    v.insert("public_key".into(), json!(doc.issuer_key.as_str()));
    if let Some(p) = payload_input {
        v.insert("payload_as_written".into(), json!(p));
    }
    v.insert("envelope".into(), json!(text(doc.bytes())));
    v.insert("signed_message_hex".into(), json!(hex::encode(&message)));
    v.insert("signed_message_text".into(), json!(text(&message)));
    v.insert("hash".into(), json!(doc.hash().as_str()));
    v.insert("signature".into(), json!(doc.signature.as_str()));
    Value::Object(v)
}

fn decl(key: &NodeKey, c: &str, zh: &str, en: &str, issued_at: &str) -> Document {
    let payload = JurisdictionDecl {
        code: code(c),
        name_zh: zh.into(),
        name_en: en.into(),
        public_key: key.public_hex(),
    };
    let header = Header {
        issuer: code(c),
        seq: 1,
        prev: None,
        issued_at: at(issued_at),
    };
    Document::sign(key, header, &payload).unwrap()
}

fn next(
    key: &NodeKey,
    prev: &Document,
    issued_at: &str,
    kind: DocKind,
    payload: Value,
) -> Document {
    let header = Header {
        issuer: prev.issuer.clone(),
        seq: prev.seq + 1,
        prev: Some(prev.hash().clone()),
        issued_at: at(issued_at),
    };
    Document::sign_value(key, header, kind, payload).unwrap()
}

/// The roster object as published: three members, threshold 2, and a member
/// (`charter_url`) the roster type does not know, which the approvals cover.
fn roster_object() -> Value {
    let key = |seed| NodeKey::from_seed(seed).public_hex().as_str().to_owned();
    json!({
        "alliance": "yrd.tax",
        "version": 1,
        "members": [
            {"code": "320585", "key": key(SEED_TAICANG), "name_zh": "太仓市", "name_en": "Taicang"},
            {"code": "320583", "key": key(SEED_KUNSHAN), "name_zh": "昆山市", "name_en": "Kunshan"},
            {"code": "310114", "key": key(SEED_JIADING), "name_zh": "嘉定区", "name_en": "Jiading"},
        ],
        "threshold": 2,
        "expires_at": "2027-01-01T00:00:00Z",
        "reference_framework": "yrd.tax",
        "recognition_quorum": 2,
        "charter_url": "https://yrd-tax.example/charter?lang=zh&v=1",
    })
}

/// The roster payload: the roster object approved by Taicang and Kunshan.
fn roster_payload() -> Value {
    let roster = roster_object();
    let approvals: Vec<Value> = [(SEED_TAICANG, "320585"), (SEED_KUNSHAN, "320583")]
        .into_iter()
        .map(|(seed, c)| {
            serde_json::to_value(approve(&NodeKey::from_seed(seed), code(c), &roster).unwrap())
                .unwrap()
        })
        .collect();
    json!({"roster": roster, "approvals": approvals})
}

/// Every vector, rebuilt from the fixed seeds.
fn build() -> Value {
    let taicang = NodeKey::from_seed(SEED_TAICANG);
    let kunshan = NodeKey::from_seed(SEED_KUNSHAN);

    let canonical_vectors: Vec<Value> = CANONICAL_CASES
        .iter()
        .map(|(name, input)| canonical_vector(name, input))
        .collect();

    let d1 = decl(
        &taicang,
        "320585",
        "太仓市",
        "Taicang",
        "2026-01-01T00:00:00Z",
    );
    let summary = parse_strict(SUMMARY_PAYLOAD.as_bytes()).unwrap();
    let d2 = next(
        &taicang,
        &d1,
        "2026-01-02T08:30:00Z",
        DocKind::Summary,
        summary,
    );
    let endorsement = parse_strict(ENDORSEMENT_PAYLOAD.as_bytes()).unwrap();
    let d3 = next(
        &taicang,
        &d2,
        "2026-01-03T09:00:00Z",
        DocKind::Endorsement,
        endorsement,
    );
    let d4 = next(
        &taicang,
        &d3,
        "2026-01-04T10:00:00Z",
        DocKind::Roster,
        roster_payload(),
    );
    let k1 = decl(
        &kunshan,
        "320583",
        "昆山市",
        "Kunshan",
        "2026-01-01T00:00:00Z",
    );
    let documents = vec![
        document_vector("taicang_1_jurisdiction", SEED_TAICANG, &d1, None),
        document_vector(
            "taicang_2_summary_numbers",
            SEED_TAICANG,
            &d2,
            Some(SUMMARY_PAYLOAD),
        ),
        document_vector(
            "taicang_3_endorsement_free_text",
            SEED_TAICANG,
            &d3,
            Some(ENDORSEMENT_PAYLOAD),
        ),
        document_vector("taicang_4_roster", SEED_TAICANG, &d4, None),
        document_vector("kunshan_1_jurisdiction", SEED_KUNSHAN, &k1, None),
    ];

    let roster = roster_object();
    let message = approval_message(&roster).unwrap();
    let payload = roster_payload();
    let approvals: Vec<Value> = payload["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .zip([SEED_TAICANG, SEED_KUNSHAN])
        .map(|(a, seed)| {
            json!({
                "seed": hex::encode(seed),
                "signer": a["signer"],
                "key": a["key"],
                "signature": a["signature"],
            })
        })
        .collect();
    let roster_vector = json!({
        "name": "yrd.tax_v1_with_unknown_member",
        "roster": roster,
        "roster_canonical": text(&canonical(&roster).unwrap()),
        "approval_message_hex": hex::encode(&message),
        "roster_id": hex::encode(Sha256::digest(&message)),
        "approvals": approvals,
    });

    json!({
        "about": "Golden vectors of deltabench envelope v2, specified in docs/SIGNING.md. \
                  Generated by crates/trust/tests/golden.rs from fixed seeds; they must never change.",
        "document_domain_hex": hex::encode(DOCUMENT_DOMAIN),
        "roster_domain_hex": hex::encode(ROSTER_DOMAIN),
        "canonical": canonical_vectors,
        "documents": documents,
        "roster_approvals": [roster_vector],
    })
}

/// Pretty JSON with members sorted by name and two-space indentation, written
/// here rather than by `serde_json` so that the file's bytes depend on no
/// crate feature (such as `preserve_order`) of the build.
fn pretty(v: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                pretty(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push_str("{\n");
            for (i, (k, item)) in sorted.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(": ");
                pretty(item, indent + 1, out);
                out.push_str(if i + 1 < sorted.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

fn file_text() -> String {
    let mut out = String::new();
    pretty(&build(), 0, &mut out);
    out.push('\n');
    out
}

#[test]
fn vectors_file_matches_the_signing_code() {
    let want = file_text();
    if std::env::var("DELTABENCH_WRITE_GOLDEN").as_deref() == Ok("1") {
        let tmp = format!("{PATH}.tmp");
        std::fs::write(&tmp, &want).unwrap();
        std::fs::rename(&tmp, PATH).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(PATH).expect("the golden vectors file");
    if stored != want {
        let (line, (have, should)) = stored
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((stored.lines().count().min(want.lines().count()), ("", "")));
        panic!(
            "the golden vectors changed: deployed signatures would break.\n\
             first difference at line {}:\n  file: {have}\n  code: {should}\n\
             (if the signing format changed on purpose, rerun with DELTABENCH_WRITE_GOLDEN=1)",
            line + 1
        );
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn vectors_verify_from_the_file() {
    let stored: Value = parse_strict(&std::fs::read(PATH).expect("the golden vectors file"))
        .expect("the golden vectors file is JSON");
    assert_eq!(
        s(&stored, "document_domain_hex"),
        hex::encode(DOCUMENT_DOMAIN)
    );
    assert_eq!(s(&stored, "roster_domain_hex"), hex::encode(ROSTER_DOMAIN));

    let cases = stored["canonical"].as_array().unwrap();
    assert_eq!(cases.len(), CANONICAL_CASES.len());
    for case in cases {
        let name = s(case, "name");
        let got = parse_strict(s(case, "input").as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|v| canonical(&v).map_err(|e| e.to_string()));
        match (
            case.get("output"),
            case.get("error").and_then(Value::as_str),
        ) {
            (Some(out), None) => assert_eq!(
                got.map(|c| text(&c)).as_deref(),
                Ok(out.as_str().unwrap()),
                "{name}"
            ),
            (None, Some("duplicate_member")) => {
                assert!(got.unwrap_err().contains("duplicate member name"), "{name}")
            }
            (None, Some("integer_out_of_range")) => {
                assert!(
                    got.unwrap_err().contains("not exactly an IEEE double"),
                    "{name}"
                )
            }
            other => panic!("{name}: malformed vector {other:?}"),
        }
    }

    let mut hashes: BTreeMap<(String, u64), DocHash> = BTreeMap::new();
    let docs = stored["documents"].as_array().unwrap();
    assert!(docs.len() >= 3);
    let mut decoded = Vec::new();
    for v in docs {
        let name = s(v, "name");
        let envelope = s(v, "envelope").as_bytes();
        let doc = Document::decode(envelope, &Limits::default())
            .unwrap_or_else(|e| panic!("{name} does not decode: {e:?}"));
        assert_eq!(doc.hash().as_str(), s(v, "hash"), "{name}");
        assert_eq!(doc.signature.as_str(), s(v, "signature"), "{name}");
        assert_eq!(doc.issuer_key.as_str(), s(v, "public_key"), "{name}");
        assert_eq!(
            doc.bytes(),
            envelope,
            "{name}: the envelope is not canonical"
        );
        let seed: [u8; 32] = hex::decode(s(v, "seed")).unwrap().try_into().unwrap();
        assert_eq!(
            NodeKey::from_seed(seed).public_hex(),
            doc.issuer_key,
            "{name}"
        );
        let message = hex::decode(s(v, "signed_message_hex")).unwrap();
        assert_eq!(message, s(v, "signed_message_text").as_bytes(), "{name}");
        assert_eq!(message, signed_message(envelope), "{name}");
        assert!(message.starts_with(DOCUMENT_DOMAIN), "{name}");
        assert_eq!(
            hex::encode(Sha256::digest(&message)),
            s(v, "hash"),
            "{name}"
        );
        if let Some(p) = v.get("payload_as_written") {
            let written = parse_strict(p.as_str().unwrap().as_bytes()).unwrap();
            assert_eq!(
                canonical(&written).unwrap(),
                canonical(&doc.payload()).unwrap(),
                "{name}: the payload as written and as signed differ"
            );
        }
        hashes.insert((doc.issuer.to_string(), doc.seq), doc.hash().clone());
        decoded.push(doc);
    }
    for doc in &decoded {
        if doc.seq > 1 {
            let before = hashes.get(&(doc.issuer.to_string(), doc.seq - 1));
            assert_eq!(
                before,
                doc.prev.as_ref(),
                "{doc:?}: prev is not the hash of seq - 1"
            );
        }
    }

    for r in stored["roster_approvals"].as_array().unwrap() {
        let name = s(r, "name");
        let message = approval_message(&r["roster"]).unwrap();
        assert!(message.starts_with(ROSTER_DOMAIN), "{name}");
        assert_eq!(
            hex::encode(&message),
            s(r, "approval_message_hex"),
            "{name}"
        );
        assert_eq!(
            text(&message[ROSTER_DOMAIN.len()..]),
            s(r, "roster_canonical"),
            "{name}"
        );
        let approvals: Vec<Value> = r["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| json!({"signer": a["signer"], "key": a["key"], "signature": a["signature"]}))
            .collect();
        for a in r["approvals"].as_array().unwrap() {
            let key = KeyHex::new(s(a, "key")).unwrap();
            let seed: [u8; 32] = hex::decode(s(a, "seed")).unwrap().try_into().unwrap();
            assert_eq!(NodeKey::from_seed(seed).public_hex(), key, "{name}");
            let sig = SigHex::new(s(a, "signature")).unwrap();
            assert!(verify_prefixed(&key, &message, &sig), "{name}: {a}");
        }
        let doc = RosterDoc::from_payload(json!({"roster": r["roster"], "approvals": approvals}))
            .unwrap();
        assert_eq!(doc.id().as_str(), s(r, "roster_id"), "{name}");
        check_anchor(&doc, None).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}
