//! The typed envelope checks of the ingest path (`Document::check_form`)
//! agree with the shipped JSON Schema on every fuzz seed of the `document`
//! and `bundle` targets and on edits of each: every member removed, every
//! value replaced by values of other types, and random byte edits that still
//! parse. The typed checks may refuse more only by a payload rule between
//! members, which JSON Schema cannot state.

mod common;

use common::{byte_edits, edits, seed_envelopes};
use deltabench_fuzzing::seeds;
use deltabench_model::documents::{
    Crosswalk, DocKind, Endorsement, ForecastCommitment, Framework, HotlineSummary,
    JurisdictionDecl, Payload, PublicRatingSummary, SignedRoster, Summary,
};
use deltabench_trust::canonical::parse_strict;
use deltabench_trust::schemas::check_envelope;
use deltabench_trust::{Document, Reason};
use serde_json::Value;

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

/// `None` when the schema and the typed checks agree on `v` (or the typed
/// checks refuse by a payload rule only), else what differs.
fn disagreement(v: &Value) -> Option<String> {
    let schema = check_envelope(v);
    let typed = Document::check_form(v);
    match (&schema, &typed) {
        (Ok(()), Ok(())) | (Err(_), Err(_)) => None,
        (Ok(()), Err(r)) if r.reason == Reason::InvalidPayload => {
            let kind = v.get("kind").and_then(Value::as_str).map(DocKind::parse);
            match (kind, v.get("payload")) {
                (Some(Ok(kind)), Some(p)) if has_form(kind, p) => None,
                _ => Some(format!("schema accepts, typed refuses: {r}")),
            }
        }
        (Ok(()), Err(r)) => Some(format!("schema accepts, typed refuses: {r}")),
        (Err(e), Ok(())) => Some(format!("schema refuses ({e}), typed accepts")),
    }
}

#[test]
fn typed_checks_agree_with_the_schema_on_every_seed_and_its_edits() {
    let envelopes = seed_envelopes();
    assert!(
        envelopes.len() >= 10,
        "only {} seed envelopes",
        envelopes.len()
    );
    let kinds: std::collections::BTreeSet<&str> = envelopes
        .iter()
        .filter_map(|v| v["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 4, "seed kinds: {kinds:?}");
    let mut compared = 0;
    let mut bad = Vec::new();
    for (i, v) in envelopes.iter().enumerate() {
        assert!(Document::check_form(v).is_ok(), "seed {i} is refused");
        for (what, e) in edits(v) {
            compared += 1;
            if let Some(d) = disagreement(&e) {
                bad.push(format!("seed {i} ({}), {what}: {d}", v["kind"]));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {compared} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
    eprintln!(
        "{} seed envelopes, {compared} values compared",
        envelopes.len()
    );
}

/// Random byte edits of the `document` seeds, kept when they still parse:
/// whatever they turn into, both checks give the same verdict.
#[test]
fn typed_checks_agree_with_the_schema_on_byte_edits_of_the_seeds() {
    let seeds = seeds("document");
    let alphabet = b"0123456789abcdefxyz.-:\"{}[],null truefalse";
    let (mut parsed, mut bad) = (0, Vec::new());
    for b in byte_edits(&seeds, 4000, alphabet, 0x9e37_79b9_7f4a_7c15) {
        let Ok(v) = parse_strict(&b) else { continue };
        parsed += 1;
        if let Some(d) = disagreement(&v) {
            bad.push(format!("{}: {d}", String::from_utf8_lossy(&b)));
        }
    }
    assert!(parsed > 400, "only {parsed} edits still parse");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    eprintln!("{parsed} byte edits compared");
}
