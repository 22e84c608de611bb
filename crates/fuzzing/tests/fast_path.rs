//! `Document::decode` takes a shortcut for canonical bytes (what every
//! node sends). Whatever the input, it must give exactly what the general
//! path (`Document::decode_general`) gives: the same document, or the same
//! reason and detail. Compared on every seed envelope and every edit of it,
//! each signed again by a test key so that the shortcut gets past the
//! signature to the checks behind it (a fifth of the edits of each seed,
//! in turn), and on random byte edits.

mod common;

use common::{byte_edits, edits_with, seed_envelopes};
use deltabench_model::documents::{
    Crosswalk, DocKind, Endorsement, ForecastCommitment, Framework, HotlineSummary,
    JurisdictionDecl, PublicRatingSummary, SignedRoster, Summary,
};
use deltabench_trust::canonical::{canonical, canonical_shape};
use deltabench_trust::{DOCUMENT_DOMAIN, Document, Limits, NodeKey, Reason, Rejection};
use serde_json::{Value, json};

/// One edit in this many is signed and compared.
const SAMPLE: usize = 5;

fn key() -> NodeKey {
    NodeKey::from_seed([7; 32])
}

/// A seed envelope without its signature, issued under the test key (and,
/// for a jurisdiction declaration, declaring it).
fn unsigned(seed: &Value) -> Value {
    let hex = key().public_hex();
    let mut v = seed.clone();
    let obj = v.as_object_mut().expect("an envelope is an object");
    obj.remove("signature");
    obj.insert("issuer_key".into(), json!(hex.as_str()));
    if let Some(p) = obj.get_mut("payload").and_then(Value::as_object_mut)
        && p.contains_key("public_key")
    {
        p.insert("public_key".into(), json!(hex.as_str()));
    }
    v
}

/// `body` signed by the test key, as canonical bytes; `None` when it has no
/// canonical form (a number beyond 2^53).
fn signed(body: &Value) -> Option<Vec<u8>> {
    let message = canonical(body).ok()?;
    let signature = key().sign(DOCUMENT_DOMAIN, &message);
    let mut v = body.clone();
    v.as_object_mut()?
        .insert("signature".into(), json!(signature.as_str()));
    canonical(&v).ok()
}

/// The typed payload, as JSON.
fn typed(d: &Document) -> Value {
    let to = |v: Option<Value>| v.expect("the typed payload is the document's kind");
    to(match d.kind {
        DocKind::Jurisdiction => d.payload_ref::<JurisdictionDecl>().map(|p| json!(p)),
        DocKind::Summary => d.payload_ref::<Summary>().map(|p| json!(p)),
        DocKind::Framework => d.payload_ref::<Framework>().map(|p| json!(p)),
        DocKind::Crosswalk => d.payload_ref::<Crosswalk>().map(|p| json!(p)),
        DocKind::Endorsement => d.payload_ref::<Endorsement>().map(|p| json!(p)),
        DocKind::Roster => d.payload_ref::<SignedRoster>().map(|p| json!(p)),
        DocKind::PublicRating => d.payload_ref::<PublicRatingSummary>().map(|p| json!(p)),
        DocKind::Forecast => d.payload_ref::<ForecastCommitment>().map(|p| json!(p)),
        DocKind::Hotline => d.payload_ref::<HotlineSummary>().map(|p| json!(p)),
    })
}

/// Everything a decode result says.
fn verdict(r: Result<Document, Rejection>) -> String {
    match r {
        Ok(d) => format!(
            "accepted {:?} {:?} {} {} {} {:?} {} {} {} {} {:?} {}",
            d.kind,
            d.schema_version,
            d.issuer,
            d.issuer_key,
            d.seq,
            d.prev,
            d.issued_at,
            d.signature,
            d.hash(),
            String::from_utf8_lossy(d.bytes()),
            d.payload(),
            typed(&d),
        ),
        Err(r) => format!("refused {:?}: {}", r.reason, r.detail),
    }
}

/// `None` when both paths agree on `bytes`, else both verdicts.
fn disagreement(bytes: &[u8]) -> Option<String> {
    let limits = Limits::default();
    let fast = verdict(Document::decode(bytes, &limits));
    let general = verdict(Document::decode_general(bytes, &limits));
    (fast != general).then(|| format!("decode: {fast}\ngeneral: {general}"))
}

#[test]
fn the_shortcut_agrees_with_the_general_path_on_every_seed_and_its_edits() {
    let extra = [
        json!(9_007_199_254_740_993_u64),
        json!(1e21),
        json!(-0.0),
        json!(1e-7),
        json!("line\nbreak é \u{1} \"quoted\" \\"),
        json!({"b": 1, "a": null}),
        json!([null]),
    ];
    let envelopes = seed_envelopes();
    assert!(envelopes.len() >= 10, "only {} seeds", envelopes.len());
    let (mut compared, mut accepted, mut canonical_inputs) = (0, 0, 0);
    let mut bad = Vec::new();
    for (i, seed) in envelopes.iter().enumerate() {
        let body = unsigned(seed);
        // Each seed itself is accepted, by the shortcut's kind of input.
        let bytes = signed(&body).expect("a seed has a canonical form");
        assert!(
            canonical_shape(&bytes).is_some(),
            "seed {i} is not canonical"
        );
        assert!(
            Document::decode(&bytes, &Limits::default()).is_ok(),
            "seed {i} ({}) is refused",
            seed["kind"]
        );
        // Every fifth edit, a different fifth for each seed: the seeds of
        // one kind share their members, so together they cover each edit,
        // at a fifth of the signatures (a debug build signs slowly).
        let sample = edits_with(&body, &extra)
            .into_iter()
            .skip(i % SAMPLE)
            .step_by(SAMPLE);
        for (what, e) in sample {
            let Some(bytes) = signed(&e) else { continue };
            compared += 1;
            canonical_inputs += usize::from(canonical_shape(&bytes).is_some());
            accepted += usize::from(Document::decode_general(&bytes, &Limits::default()).is_ok());
            if let Some(d) = disagreement(&bytes) {
                bad.push(format!("seed {i} ({}), {what}:\n{d}", seed["kind"]));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {compared} disagree:\n{}",
        bad.len(),
        bad.join("\n\n")
    );
    // The comparison reached both verdicts, on canonical input.
    assert_eq!(canonical_inputs, compared);
    assert!(
        accepted > envelopes.len() && accepted < compared,
        "{accepted} of {compared} accepted"
    );
    eprintln!(
        "{} seeds, {compared} signed edits compared, {accepted} accepted",
        envelopes.len()
    );
}

/// Random byte edits of signed seeds: both paths give the same verdict,
/// whether the edit leaves JSON, canonical or not, or neither.
#[test]
fn the_shortcut_agrees_with_the_general_path_on_byte_edits() {
    let seeds: Vec<Vec<u8>> = seed_envelopes()
        .iter()
        .filter_map(|s| signed(&unsigned(s)))
        .collect();
    let alphabet = b"0123456789abcdefxyz.-+eE:\"{}[],\\/u null truefalse";
    let (mut bad, mut canonical_bad_signatures) = (Vec::new(), 0);
    let edited = byte_edits(&seeds, 4000, alphabet, 0x2545_f491_4f6c_dd1d);
    for (round, b) in edited.iter().enumerate() {
        if let Some(d) = disagreement(b) {
            bad.push(format!("round {round}: {d}"));
        }
        // The shortcut's own refusal: canonical bytes whose signature fails.
        if canonical_shape(b).is_some()
            && let Err(r) = Document::decode_general(b, &Limits::default())
            && r.reason == Reason::BadSignature
        {
            canonical_bad_signatures += 1;
        }
    }
    assert!(
        canonical_bad_signatures > 100,
        "only {canonical_bad_signatures} edits reached the shortcut's signature check"
    );
    assert!(
        bad.is_empty(),
        "{} disagree:\n{}",
        bad.len(),
        bad.join("\n\n")
    );
}
