//! Round trips through the formats offices exchange: signed documents,
//! signed rosters and observation CSV, on generated content.

use deltabench_api::local_routes::rows_from_csv;
use deltabench_model::documents::{Decision, Endorsement, Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, Timestamp};
use deltabench_node::local::Cell;
use deltabench_trust::roster::{RosterDoc, approve_roster, check_anchor};
use deltabench_trust::{Document, Header, Limits, NodeKey, Reason};
use proptest::prelude::*;

/// Text without surrounding whitespace (CSV cells are trimmed on import).
fn trimmed(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("\\PC{{0,{max}}}"))
        .expect("a valid pattern")
        .prop_map(|s| s.trim().to_string())
}

fn roster_of(names: &[String], threshold: u32, expires: i64) -> Roster {
    Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version: 1,
        members: names
            .iter()
            .enumerate()
            .map(|(i, name)| Member {
                code: JurisdictionCode::new(format!("{}", 320_501 + i)).unwrap(),
                key: NodeKey::from_seed([i as u8 + 1; 32]).public_hex(),
                name_zh: name.clone(),
                name_en: format!("member {i}"),
            })
            .collect(),
        threshold,
        expires_at: Timestamp::from_unix(expires).unwrap(),
        reference_framework: None,
        recognition_quorum: None,
        former: vec![],
        previous: None,
    }
}

fn approved_by(roster: &Roster, signers: usize) -> SignedRoster {
    let approvals = roster.members[..signers]
        .iter()
        .enumerate()
        .map(|(i, m)| {
            approve_roster(
                &NodeKey::from_seed([i as u8 + 1; 32]),
                m.code.clone(),
                roster,
            )
            .unwrap()
        })
        .collect();
    SignedRoster {
        roster: roster.clone(),
        approvals,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// What is signed decodes to the same header and payload, under the same
    /// hash; and the decoded bytes are a fixed point.
    #[test]
    fn a_signed_document_decodes_to_what_was_signed(
        comment in "\\PC{1,300}",
        seq in 2u64..1_000_000_000,
        at in 1_600_000_000i64..1_900_000_000,
        accept in any::<bool>(),
        prev in any::<[u8; 32]>(),
        endorsed in any::<[u8; 32]>(),
    ) {
        let key = NodeKey::from_seed([5; 32]);
        let issuer = JurisdictionCode::new("320585").unwrap();
        let payload = Endorsement {
            crosswalk: "kunshan.ontime".parse().unwrap(),
            crosswalk_hash: DocHash::from_bytes(endorsed),
            decision: if accept { Decision::Accept } else { Decision::Reject },
            comment: Some(comment),
        };
        let header = Header {
            issuer: issuer.clone(),
            seq,
            prev: Some(DocHash::from_bytes(prev)),
            issued_at: Timestamp::from_unix(at).unwrap(),
        };
        let doc = Document::sign(&key, header, &payload).unwrap();
        let back = Document::decode(doc.bytes(), &Limits::default()).unwrap();
        prop_assert_eq!(back.hash(), doc.hash());
        prop_assert_eq!(back.bytes(), doc.bytes());
        prop_assert_eq!(&back.issuer, &issuer);
        prop_assert_eq!(back.seq, seq);
        prop_assert_eq!(back.prev.as_ref(), Some(&DocHash::from_bytes(prev)));
        prop_assert_eq!(back.issued_at.unix(), at);
        prop_assert_eq!(back.payload_as::<Endorsement>().unwrap(), payload);
    }

    /// A roster approved by `threshold` of its members is an anchor, and
    /// reads back unchanged from JSON; one approval fewer is refused as below
    /// the threshold; a member's name changed after approval voids it.
    #[test]
    fn a_roster_reads_back_and_needs_its_threshold(
        // A name of white space alone is refused as blank: not a roster.
        names in prop::collection::vec(
            "\\PC{1,40}".prop_filter("a name, not blank", |s| !s.trim().is_empty()),
            1..6,
        ),
        threshold_seed in any::<u32>(),
        renamed in any::<prop::sample::Index>(),
    ) {
        let now = Timestamp::from_unix(1_767_225_600).unwrap();
        // More than half of the members, at most all of them.
        let n = names.len() as u32;
        let threshold = n / 2 + 1 + threshold_seed % (n - n / 2);
        let roster = roster_of(&names, threshold, now.unix() + 86_400);
        let signed = approved_by(&roster, threshold as usize);
        let doc = |s: &SignedRoster| RosterDoc::from_signed(s).unwrap();
        let check = |s: &SignedRoster| check_anchor(&doc(s), Some(now));
        prop_assert!(check(&signed).is_ok(), "{:?}", check(&signed));
        let text = serde_json::to_string(&signed).unwrap();
        let back: SignedRoster = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &signed);

        // One approval fewer: below the threshold, or none at all (refused
        // as content).
        let short = approved_by(&roster, threshold as usize - 1);
        let refused = RosterDoc::from_signed(&short)
            .and_then(|d| check_anchor(&d, Some(now)))
            .unwrap_err();
        prop_assert!(
            matches!(refused.reason, Reason::RosterThresholdNotMet | Reason::InvalidPayload),
            "{:?}", refused
        );

        let mut forged = signed.clone();
        let i = renamed.index(names.len());
        forged.roster.members[i].name_zh.push('X');
        let refused = check(&forged).unwrap_err();
        prop_assert!(
            matches!(refused.reason, Reason::RosterThresholdNotMet | Reason::RosterBadApproval),
            "{:?}", refused
        );
    }

    /// Observation rows written as CSV, with the columns in any order, read
    /// back cell for cell, numbered in order; an empty cell reads as missing.
    #[test]
    fn observation_csv_reads_back_cell_for_cell(
        rows in prop::collection::vec(prop::collection::vec(trimmed(12), 5), 1..20),
        order in Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle(),
    ) {
        const NAMES: [&str; 5] = ["unit", "indicator", "period", "value", "target"];
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(order.iter().map(|&c| NAMES[c])).unwrap();
        for r in &rows {
            w.write_record(order.iter().map(|&c| r[c].as_str())).unwrap();
        }
        let body = w.into_inner().unwrap();
        let read = rows_from_csv(&body).unwrap();
        prop_assert_eq!(read.len(), rows.len());
        for (i, (got, sent)) in read.iter().zip(&rows).enumerate() {
            prop_assert_eq!(got.row, i + 1);
            let cells = [&got.unit, &got.indicator, &got.period, &got.value, &got.target];
            for (cell, text) in cells.into_iter().zip(sent) {
                let expected = if text.is_empty() {
                    Cell::Missing
                } else {
                    Cell::Text(text.clone())
                };
                prop_assert_eq!(cell, &expected);
            }
        }
    }
}
