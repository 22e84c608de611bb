//! Every rejection reason, every roster rule, and tampering. The golden
//! vectors are in `golden.rs`.

use deltabench_model::documents::{
    DocKind, Endorsement, FormerMember, JurisdictionDecl, Member, Payload, Roster, SignedRoster,
};
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, Timestamp};
use deltabench_trust::canonical::canonical;
use deltabench_trust::roster::{
    Placement, RosterDoc, approve, approve_roster, check_anchor, check_link,
};
use deltabench_trust::{
    Checks, DOCUMENT_DOMAIN, Document, Header, Ledger, Limits, Membership, NodeKey, Reason,
    Verdict, validate,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn now() -> Timestamp {
    Timestamp::from_unix(NOW).unwrap()
}

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

/// A member of the test alliance: seed, code and names.
struct Party {
    key: NodeKey,
    code: JurisdictionCode,
    name: &'static str,
}

fn party(seed: u8, c: &str, name: &'static str) -> Party {
    Party {
        key: NodeKey::from_seed([seed; 32]),
        code: code(c),
        name,
    }
}

fn parties() -> Vec<Party> {
    vec![
        party(1, "320585", "Taicang"),
        party(2, "320583", "Kunshan"),
        party(3, "310114", "Jiading"),
        party(4, "310118", "Qingpu"),
    ]
}

fn member(p: &Party) -> Member {
    Member {
        code: p.code.clone(),
        key: p.key.public_hex(),
        name_zh: p.name.into(),
        name_en: p.name.into(),
    }
}

fn roster(version: u64, members: &[&Party], threshold: u32, expires: i64) -> Roster {
    Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version,
        members: members.iter().map(|p| member(p)).collect(),
        threshold,
        expires_at: Timestamp::from_unix(expires).unwrap(),
        reference_framework: None,
        recognition_quorum: None,
        former: vec![],
        previous: None,
    }
}

fn signed(roster: Roster, signers: &[&Party]) -> SignedRoster {
    let approvals = signers
        .iter()
        .map(|p| approve_roster(&p.key, p.code.clone(), &roster).unwrap())
        .collect();
    SignedRoster { roster, approvals }
}

const LATER: i64 = NOW + 86_400 * 365;

/// The founding roster: Taicang, Kunshan, Jiading; threshold 2.
fn genesis(ps: &[Party]) -> SignedRoster {
    signed(
        roster(1, &[&ps[0], &ps[1], &ps[2]], 2, LATER),
        &[&ps[0], &ps[1]],
    )
}

fn rdoc(s: &SignedRoster) -> RosterDoc {
    RosterDoc::from_signed(s).unwrap()
}

fn membership_of(me: &Party, anchor: SignedRoster) -> Membership {
    let mut m = Membership::new(me.code.clone(), me.key.public_hex());
    m.anchor(rdoc(&anchor), Some(now())).unwrap();
    m
}

#[derive(Default)]
struct Held(BTreeMap<(JurisdictionCode, u64), DocHash>);

impl Ledger for Held {
    fn hash_at(&self, issuer: &JurisdictionCode, seq: u64) -> Option<DocHash> {
        self.0.get(&(issuer.clone(), seq)).cloned()
    }
}

impl Held {
    fn hold(&mut self, d: &Document) {
        self.0.insert((d.issuer.clone(), d.seq), d.hash().clone());
    }
}

fn sign<P: Payload>(p: &Party, seq: u64, prev: Option<&Document>, payload: &P) -> Document {
    let header = Header {
        issuer: p.code.clone(),
        seq,
        prev: prev.map(|d| d.hash().clone()),
        issued_at: now(),
    };
    Document::sign(&p.key, header, payload).unwrap()
}

fn decl(p: &Party) -> Document {
    let payload = JurisdictionDecl {
        code: p.code.clone(),
        name_zh: p.name.into(),
        name_en: p.name.into(),
        public_key: p.key.public_hex(),
    };
    sign(p, 1, None, &payload)
}

fn endorsement(p: &Party, seq: u64, prev: &Document, comment: &str) -> Document {
    let payload = Endorsement {
        crosswalk: "kunshan.satisfaction".parse().unwrap(),
        crosswalk_hash: DocHash::from_bytes([9; 32]),
        decision: deltabench_model::documents::Decision::Accept,
        comment: Some(comment.into()),
    };
    sign(p, seq, Some(prev), &payload)
}

/// Signs an arbitrary envelope body, to build documents the node would never
/// make itself.
fn sign_raw(p: &Party, mut body: Value) -> Vec<u8> {
    let obj = body.as_object_mut().unwrap();
    let sig = p.key.sign(
        DOCUMENT_DOMAIN,
        &canonical(&Value::Object(obj.clone())).unwrap(),
    );
    obj.insert("signature".into(), json!(sig.as_str()));
    canonical(&body).unwrap()
}

fn raw_body(p: &Party, kind: &str, version: &str, seq: u64, prev: Value, payload: Value) -> Value {
    json!({
        "kind": kind, "schema_version": version, "issuer": p.code.as_str(),
        "issuer_key": p.key.public_hex().as_str(), "seq": seq, "prev": prev,
        "issued_at": "2026-01-01T00:00:00Z", "payload": payload
    })
}

fn decl_payload(p: &Party) -> Value {
    json!({"code": p.code.as_str(), "name_zh": p.name, "name_en": p.name,
           "public_key": p.key.public_hex().as_str()})
}

fn checks(m: &Membership) -> Checks<'_> {
    Checks {
        limits: Limits::default(),
        membership: m,
        now: now(),
        clock_skew_secs_max: 300,
    }
}

/// Validates `bytes` and returns the reason code, or the verdict's name.
fn outcome(bytes: &[u8], m: &Membership, held: &Held) -> String {
    match validate(bytes, &checks(m), held) {
        Verdict::Accept(_) | Verdict::AcceptRoster { .. } => "accept".into(),
        Verdict::Waiting { .. } => "waiting".into(),
        Verdict::Duplicate(_) => "duplicate".into(),
        Verdict::Pending(_) => "pending".into(),
        Verdict::Equivocation { .. } => "equivocation".into(),
        Verdict::Rejected(r) => r.reason.code().into(),
    }
}

#[test]
fn a_valid_chain_is_accepted_and_replays_are_duplicates() {
    let ps = parties();
    let m = membership_of(&ps[0], genesis(&ps));
    let mut held = Held::default();
    let d1 = decl(&ps[1]);
    let d2 = endorsement(&ps[1], 2, &d1, "ok");
    assert_eq!(outcome(d2.bytes(), &m, &held), "pending");
    assert_eq!(outcome(d1.bytes(), &m, &held), "accept");
    held.hold(&d1);
    assert_eq!(outcome(d2.bytes(), &m, &held), "accept");
    held.hold(&d2);
    assert_eq!(outcome(d1.bytes(), &m, &held), "duplicate");
    assert_eq!(outcome(d2.bytes(), &m, &held), "duplicate");
}

#[test]
fn a_decoded_payload_is_read_once_as_its_type_and_kept_whole_as_json() {
    let ps = parties();
    let d = decl(&ps[0]);
    let e = endorsement(&ps[0], 2, &d, "agreed");
    let back = Document::decode(e.bytes(), &Limits::default()).unwrap();
    let typed = back.payload_ref::<Endorsement>().unwrap();
    assert_eq!(typed.comment.as_deref(), Some("agreed"));
    assert_eq!(back.payload_as::<Endorsement>().unwrap(), *typed);
    // Another kind's type is refused, not misread.
    assert!(back.payload_ref::<JurisdictionDecl>().is_none());
    let wrong = back.payload_as::<JurisdictionDecl>().unwrap_err();
    assert_eq!(wrong.reason, Reason::InvalidPayload);
    assert_eq!(back.payload(), serde_json::to_value(typed).unwrap());

    // A member the types do not know (a newer minor version's) is signed,
    // kept in the JSON payload and left out of the typed one.
    let mut payload = serde_json::to_value(typed).unwrap();
    payload["note"] = json!("from 1.1");
    let body = raw_body(
        &ps[0],
        "endorsement",
        "1.1",
        2,
        json!(d.hash().as_str()),
        payload.clone(),
    );
    let bytes = sign_raw(&ps[0], body);
    let newer = Document::decode(&bytes, &Limits::default()).unwrap();
    assert_eq!(newer.payload(), payload);
    assert_eq!(newer.payload_ref::<Endorsement>(), Some(typed));
}

#[test]
fn pretty_printed_documents_still_verify() {
    let ps = parties();
    let d = decl(&ps[0]);
    let v: Value = serde_json::from_slice(d.bytes()).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    let back = Document::decode(&pretty, &Limits::default()).unwrap();
    assert_eq!(back.hash(), d.hash());
    assert_eq!(back.bytes(), d.bytes());
}

#[test]
fn every_changed_byte_is_rejected() {
    let ps = parties();
    let d1 = decl(&ps[1]);
    let d2 = endorsement(&ps[1], 2, &d1, "tamper with me");
    let bytes = d2.bytes().to_vec();
    let mut reasons = BTreeMap::new();
    for i in 0..bytes.len() {
        for replacement in [b'0', b'x'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut copy = bytes.clone();
            copy[i] = replacement;
            match Document::decode(&copy, &Limits::default()) {
                Ok(d) => panic!(
                    "byte {i} changed to {} still decodes as {d:?}",
                    replacement as char
                ),
                Err(r) => *reasons.entry(r.reason).or_insert(0) += 1,
            }
        }
    }
    // Content changes are caught by the signature; structure changes earlier.
    assert!(reasons[&Reason::BadSignature] > 100, "{reasons:?}");
    assert!(reasons.contains_key(&Reason::Malformed), "{reasons:?}");
}

#[test]
fn stateless_rejections_each_have_their_reason() {
    let ps = parties();
    let p = &ps[0];
    let m = membership_of(p, genesis(&ps));
    let held = Held::default();
    let d = decl(p);
    let check = |bytes: &[u8], want: Reason| {
        assert_eq!(
            outcome(bytes, &m, &held),
            want.code(),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    };

    // oversized
    let small = Limits {
        document_bytes_max: 100,
    };
    assert_eq!(
        Document::decode(d.bytes(), &small).unwrap_err().reason,
        Reason::Oversized
    );
    // malformed: not JSON, not an object, a missing field, an unknown field, a bad version
    check(b"{not json", Reason::Malformed);
    check(b"[1,2]", Reason::Malformed);
    let mut v: Value = serde_json::from_slice(d.bytes()).unwrap();
    v.as_object_mut().unwrap().remove("issued_at");
    check(&serde_json::to_vec(&v).unwrap(), Reason::Malformed);
    let mut body = raw_body(p, "jurisdiction", "1.0", 1, Value::Null, decl_payload(p));
    body["extra"] = json!(1);
    check(&sign_raw(p, body), Reason::Malformed);
    check(
        &sign_raw(
            p,
            raw_body(p, "jurisdiction", "v1", 1, Value::Null, decl_payload(p)),
        ),
        Reason::Malformed,
    );
    // non-finite number: 1e999 overflows f64
    let text = String::from_utf8(d.bytes().to_vec())
        .unwrap()
        .replace("\"seq\":1", "\"seq\":1e999");
    check(text.as_bytes(), Reason::NonFiniteNumber);
    // bad signature: the content changed after signing
    let text = String::from_utf8(d.bytes().to_vec())
        .unwrap()
        .replace("Taicang", "Taicanh");
    check(text.as_bytes(), Reason::BadSignature);
    // unknown kind
    check(
        &sign_raw(p, raw_body(p, "weather", "1.0", 1, Value::Null, json!({}))),
        Reason::UnknownKind,
    );
    // unknown major version refused; newer minor accepted
    check(
        &sign_raw(
            p,
            raw_body(p, "jurisdiction", "2.0", 1, Value::Null, decl_payload(p)),
        ),
        Reason::UnsupportedSchemaVersion,
    );
    let mut newer = decl_payload(p);
    newer["added_in_1_3"] = json!("ignored");
    let bytes = sign_raw(p, raw_body(p, "jurisdiction", "1.3", 1, Value::Null, newer));
    assert_eq!(outcome(&bytes, &m, &held), "accept");
    // invalid payload
    let mut bad = decl_payload(p);
    bad["name_en"] = json!("  ");
    check(
        &sign_raw(p, raw_body(p, "jurisdiction", "1.0", 1, Value::Null, bad)),
        Reason::InvalidPayload,
    );
    // bad chain links
    let h = json!(DocHash::from_bytes([1; 32]).as_str());
    for (seq, prev, kind) in [
        (0, Value::Null, "jurisdiction"),
        (1, h.clone(), "jurisdiction"),
        (2, Value::Null, "jurisdiction"),
    ] {
        check(
            &sign_raw(p, raw_body(p, kind, "1.0", seq, prev, decl_payload(p))),
            Reason::BadChainLink,
        );
    }
    let endorsement = json!({"crosswalk": "a.b", "crosswalk_hash": DocHash::from_bytes([2; 32]).as_str(), "decision": "accept"});
    check(
        &sign_raw(
            p,
            raw_body(p, "endorsement", "1.0", 1, Value::Null, endorsement),
        ),
        Reason::BadChainLink,
    );
    // key mismatch: a declaration of another key than the signer's
    let mut other = decl_payload(p);
    other["public_key"] = json!(ps[1].key.public_hex().as_str());
    check(
        &sign_raw(p, raw_body(p, "jurisdiction", "1.0", 1, Value::Null, other)),
        Reason::KeyMismatch,
    );
}

#[test]
fn stateful_rejections_each_have_their_reason() {
    let ps = parties();
    let m = membership_of(&ps[0], genesis(&ps));
    let mut held = Held::default();

    // not a member: Qingpu is not in the roster
    assert_eq!(outcome(decl(&ps[3]).bytes(), &m, &held), "not_a_member");

    // key mismatch: Kunshan's code signed with Qingpu's key
    let impostor = Party {
        key: NodeKey::from_seed([4; 32]),
        code: code("320583"),
        name: "Kunshan",
    };
    assert_eq!(outcome(decl(&impostor).bytes(), &m, &held), "key_mismatch");
    // ... and this node's own code with another key
    let me_too = Party {
        key: NodeKey::from_seed([9; 32]),
        code: code("320585"),
        name: "Taicang",
    };
    assert_eq!(outcome(decl(&me_too).bytes(), &m, &held), "key_mismatch");

    // chain broken: seq 2 names a predecessor other than the one held
    let d1 = decl(&ps[1]);
    held.hold(&d1);
    let fork_base = endorsement(&ps[1], 2, &d1, "a");
    let d3_on_fork = endorsement(&ps[1], 3, &fork_base, "b");
    let d2 = endorsement(&ps[1], 2, &d1, "c");
    held.hold(&d2);
    assert_eq!(outcome(d3_on_fork.bytes(), &m, &held), "chain_broken");

    // equivocation: another document at a held (issuer, seq)
    assert_eq!(outcome(fork_base.bytes(), &m, &held), "equivocation");
    match validate(fork_base.bytes(), &checks(&m), &held) {
        Verdict::Equivocation { doc, held: h } => {
            assert_eq!(&h, d2.hash());
            assert_eq!(doc.hash(), fork_base.hash());
        }
        other => panic!("{other:?}"),
    }

    // issued in the future beyond the allowed skew; within it is fine
    let future = |secs: i64| {
        let header = Header {
            issuer: ps[2].code.clone(),
            seq: 1,
            prev: None,
            issued_at: Timestamp::from_unix(NOW + secs).unwrap(),
        };
        let payload = JurisdictionDecl {
            code: ps[2].code.clone(),
            name_zh: "嘉定区".into(),
            name_en: "Jiading".into(),
            public_key: ps[2].key.public_hex(),
        };
        Document::sign(&ps[2].key, header, &payload).unwrap()
    };
    assert_eq!(
        outcome(future(3 * 3600).bytes(), &m, &held),
        "issued_in_future"
    );
    assert_eq!(outcome(future(60).bytes(), &m, &held), "accept");
}

fn roster_doc(p: &Party, prev: &Document, s: &SignedRoster) -> Document {
    sign(p, prev.seq + 1, Some(prev), s)
}

fn link(prev: &SignedRoster, next: &SignedRoster) -> Result<(), Reason> {
    check_link(&rdoc(prev), &rdoc(next)).map_err(|r| r.reason)
}

fn former(p: &Party, removed_in: u64, last: Option<&Document>) -> FormerMember {
    FormerMember {
        code: p.code.clone(),
        key: p.key.public_hex(),
        removed_in,
        last_seq: last.map_or(0, |d| d.seq),
        last_hash: last.map(|d| d.hash().clone()),
    }
}

/// Places `s` as carried at `(p, seq 2)`, with no clock concern.
fn place(m: &Membership, p: &Party, s: &SignedRoster) -> Result<Placement, Reason> {
    place_at(m, p, s, now())
}

fn place_at(
    m: &Membership,
    p: &Party,
    s: &SignedRoster,
    at: Timestamp,
) -> Result<Placement, Reason> {
    let hash = DocHash::from_bytes([7; 32]);
    m.place_roster(&p.code, &p.key.public_hex(), 2, &hash, &rdoc(s), at)
        .map_err(|r| r.reason)
}

fn in_force(m: &Membership) -> u64 {
    m.roster(&AllianceId::new("yrd.tax").unwrap())
        .unwrap()
        .roster
        .version
}

#[test]
fn succession_needs_more_than_half_of_the_previous_members() {
    let ps = parties();
    let g = genesis(&ps);
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let four = [t, k, j, q];

    // N+1 approved by a threshold of N's members follows N.
    let v2 = signed(roster(2, &four, 3, LATER), &[t, j]);
    assert_eq!(link(&g, &v2), Ok(()));
    // One of N's members is below the threshold; a key twice counts once.
    assert_eq!(
        link(&g, &signed(roster(2, &four, 3, LATER), &[t])),
        Err(Reason::RosterThresholdNotMet)
    );
    assert_eq!(
        link(&g, &signed(roster(2, &four, 3, LATER), &[t, t])),
        Err(Reason::RosterThresholdNotMet)
    );
    // The newcomer's approval does not count for N, nor spoil the roster.
    assert_eq!(
        link(&g, &signed(roster(2, &four, 3, LATER), &[t, q])),
        Err(Reason::RosterThresholdNotMet)
    );
    assert_eq!(
        link(&g, &signed(roster(2, &four, 3, LATER), &[t, q, k])),
        Ok(())
    );
    // A member's approval made with another key, or a copied signature, is
    // a forgery.
    let mut wrong_key = signed(roster(2, &four, 3, LATER), &[t, k]);
    wrong_key.approvals[1] = approve_roster(&q.key, k.code.clone(), &wrong_key.roster).unwrap();
    assert_eq!(link(&g, &wrong_key), Err(Reason::RosterBadApproval));
    let mut forged = signed(roster(2, &four, 3, LATER), &[t, k]);
    forged.approvals[1].signature = forged.approvals[0].signature.clone();
    assert_eq!(link(&g, &forged), Err(Reason::RosterBadApproval));
    // The version must be exactly N+1.
    assert_eq!(
        link(&g, &signed(roster(3, &four, 3, LATER), &[t, k])),
        Err(Reason::RosterVersionGap)
    );
    // Succession does not look at the clock: an expired N+1 still follows N.
    assert_eq!(
        link(&g, &signed(roster(2, &four, 3, NOW - 1), &[t, k])),
        Ok(())
    );

    // A threshold of half the members or less is not a valid roster: two
    // disjoint halves could otherwise both approve a successor.
    for (members, threshold) in [(&four[..], 2), (&four[..2], 1), (&four[..3], 1)] {
        let s = signed(roster(1, members, threshold, LATER), &[t]);
        let err = RosterDoc::from_signed(&s).unwrap_err();
        assert_eq!(err.reason, Reason::InvalidPayload);
        assert!(err.detail.contains("more than half"), "{}", err.detail);
    }
}

#[test]
fn an_anchor_is_checked_when_adopted() {
    let ps = parties();
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    // Expiry counts when the anchor is adopted, not when history is reloaded.
    let old = rdoc(&signed(roster(1, &[t, k, j], 2, NOW - 1), &[t, k]));
    assert_eq!(
        check_anchor(&old, Some(now())).unwrap_err().reason,
        Reason::RosterExpired
    );
    assert!(check_anchor(&old, None).is_ok());
    // Version 1 needs the threshold of its own members.
    let weak = rdoc(&signed(roster(1, &[t, k, j], 2, LATER), &[t]));
    assert_eq!(
        check_anchor(&weak, Some(now())).unwrap_err().reason,
        Reason::RosterThresholdNotMet
    );
    // A later version was approved by the version before; one approval of its
    // own members that verifies is enough, a bad one spoils it.
    let mut v3 = roster(3, &[t, k, q], 2, LATER);
    v3.former = vec![former(j, 3, None)];
    let good = signed(v3.clone(), &[t, j]);
    assert!(check_anchor(&rdoc(&good), Some(now())).is_ok());
    let none_own = signed(v3.clone(), &[j]);
    assert_eq!(
        check_anchor(&rdoc(&none_own), Some(now()))
            .unwrap_err()
            .reason,
        Reason::RosterThresholdNotMet
    );
}

#[test]
fn a_removal_records_where_the_chain_stood_and_later_versions_carry_it() {
    let ps = parties();
    let g = genesis(&ps);
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let j1 = decl(j);
    let j2 = endorsement(j, 2, &j1, "while a member");

    // Removing Jiading without recording its chain is refused.
    let bare = signed(roster(2, &[t, k], 2, LATER), &[t, k]);
    assert_eq!(link(&g, &bare), Err(Reason::RosterBadHistory));
    // With another key, or another removed_in, too.
    let mut r = roster(2, &[t, k], 2, LATER);
    r.former = vec![FormerMember {
        key: q.key.public_hex(),
        ..former(j, 2, Some(&j2))
    }];
    assert_eq!(link(&g, &signed(r, &[t, k])), Err(Reason::RosterBadHistory));
    // Done right.
    let mut r = roster(2, &[t, k], 2, LATER);
    r.former = vec![former(j, 2, Some(&j2))];
    let v2 = signed(r, &[t, k]);
    assert_eq!(link(&g, &v2), Ok(()));

    // Version 3 must carry the entry forward unchanged...
    let v3_drops = signed(roster(3, &[t, k, q], 2, LATER), &[t, k]);
    assert_eq!(link(&v2, &v3_drops), Err(Reason::RosterBadHistory));
    let mut r = roster(3, &[t, k, q], 2, LATER);
    r.former = vec![former(j, 2, Some(&j1))];
    assert_eq!(
        link(&v2, &signed(r, &[t, k])),
        Err(Reason::RosterBadHistory)
    );
    // ... and may not invent one.
    let mut r = roster(3, &[t, k], 2, LATER);
    r.former = vec![former(j, 2, Some(&j2)), former(q, 3, None)];
    assert_eq!(
        link(&v2, &signed(r, &[t, k])),
        Err(Reason::RosterBadHistory)
    );
    let mut r = roster(3, &[t, k, q], 2, LATER);
    r.former = vec![former(j, 2, Some(&j2))];
    assert_eq!(link(&v2, &signed(r, &[t, k])), Ok(()));
    // Re-admitting Jiading drops its entry.
    assert_eq!(
        link(&v2, &signed(roster(3, &[t, k, j], 2, LATER), &[t, k])),
        Ok(())
    );
}

#[test]
fn a_former_member_counts_up_to_its_recorded_position() {
    let ps = parties();
    let (t, k, j) = (&ps[0], &ps[1], &ps[2]);
    let j1 = decl(j);
    let j2 = endorsement(j, 2, &j1, "while a member");
    let j2_other = endorsement(j, 2, &j1, "a fork at the recorded position");
    let j3 = endorsement(j, 3, &j2, "after removal");
    let mut r = roster(2, &[t, k], 2, LATER);
    r.former = vec![former(j, 2, Some(&j2))];
    let v2 = signed(r, &[t, k]);

    let mut m = membership_of(t, genesis(&ps));
    let placement = place(&m, k, &v2).unwrap();
    assert_eq!(placement, Placement::Next { in_force: true });
    m.apply(rdoc(&v2), &placement);
    assert_eq!(in_force(&m), 2);

    let mut held = Held::default();
    assert_eq!(outcome(j1.bytes(), &m, &held), "accept");
    held.hold(&j1);
    assert_eq!(outcome(j2.bytes(), &m, &held), "accept");
    match validate(j2_other.bytes(), &checks(&m), &held) {
        Verdict::Rejected(r) => {
            assert_eq!(r.reason, Reason::NotAMember);
            assert!(
                r.detail.contains("not the document recorded"),
                "{}",
                r.detail
            );
        }
        other => panic!("{other:?}"),
    }
    held.hold(&j2);
    match validate(j3.bytes(), &checks(&m), &held) {
        Verdict::Rejected(r) => {
            assert_eq!(r.reason, Reason::NotAMember);
            assert!(r.detail.contains("counts up to seq 2"), "{}", r.detail);
        }
        other => panic!("{other:?}"),
    }
    // Its key is still checked for what counts.
    let impostor = Party {
        key: NodeKey::from_seed([9; 32]),
        code: j.code.clone(),
        name: "Jiading",
    };
    assert_eq!(outcome(decl(&impostor).bytes(), &m, &held), "key_mismatch");
}

/// v1 Taicang, Kunshan, Jiading; v2 adds Qingpu; v3 removes Jiading.
fn lifecycle(ps: &[Party]) -> (SignedRoster, SignedRoster, SignedRoster) {
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let v1 = genesis(ps);
    let mut r = roster(2, &[t, k, j, q], 3, LATER);
    r.previous = Some(rdoc(&v1).id().clone());
    let v2 = signed(r, &[t, k]);
    let mut r = roster(3, &[t, k, q], 2, LATER);
    r.former = vec![former(j, 3, Some(&decl(j)))];
    r.previous = Some(rdoc(&v2).id().clone());
    let v3 = signed(r, &[t, k, q]);
    (v1, v2, v3)
}

#[test]
fn a_node_anchored_later_places_earlier_versions_as_history() {
    let ps = parties();
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let (v1, v2, v3) = lifecycle(&ps);

    let mut late = membership_of(q, v3.clone());
    // v1 cannot be checked before v2 is known: carried by a member, its
    // document counts (v2 may follow it in the same chain), and its roster
    // is placed once v2 is.
    assert_eq!(place(&late, t, &v1), Ok(Placement::Unplaced));
    // v3 names v2, v2 names v1: history, each in turn.
    assert_eq!(place(&late, t, &v2), Ok(Placement::History));
    late.apply(rdoc(&v2), &Placement::History);
    assert_eq!(place(&late, t, &v1), Ok(Placement::History));
    late.apply(rdoc(&v1), &Placement::History);
    assert_eq!(in_force(&late), 3);
    // Carried again, each is the same roster.
    assert_eq!(place(&late, k, &v2), Ok(Placement::Same));

    // Another version 2, even one approved by members, is never placed: v3
    // names the one it follows. Carried by a member, its document still
    // counts (it cannot change membership, and a node that knows less would
    // take it); carried by the removed member beyond its position, it is
    // refused.
    let fresh = membership_of(q, v3.clone());
    let other_v2 = signed(roster(2, &[t, k, j], 2, LATER), &[t, k]);
    assert_eq!(place(&fresh, t, &other_v2), Ok(Placement::Unplaced));
    assert_eq!(place(&fresh, j, &other_v2), Err(Reason::NotAMember));
    assert_eq!(place(&fresh, t, &v2), Ok(Placement::History));
    // Without a named predecessor nothing is placed backwards.
    let mut r = v3.roster.clone();
    r.previous = None;
    let unlinked = membership_of(q, signed(r, &[t, k, q]));
    assert_eq!(place(&unlinked, t, &v2), Ok(Placement::Unplaced));

    // One that does not count may carry only the verified next version that
    // admits it, not an old one that lists it.
    let mut anchored_v2 = membership_of(t, v2.clone());
    let newcomer = Party {
        key: NodeKey::from_seed([5; 32]),
        code: code("330421"),
        name: "Jiashan",
    };
    let old_listing_it = signed(roster(1, &[t, &newcomer], 2, LATER), &[&newcomer]);
    assert_eq!(
        place(&anchored_v2, &newcomer, &old_listing_it),
        Err(Reason::NotAMember)
    );
    let far_ahead = signed(roster(9, &[t, &newcomer], 2, LATER), &[&newcomer]);
    assert_eq!(
        place(&anchored_v2, &newcomer, &far_ahead),
        Err(Reason::NotAMember)
    );
    let mut r = roster(3, &[t, k, j, q, &newcomer], 3, LATER);
    r.previous = Some(rdoc(&v2).id().clone());
    let admits = signed(r, &[t, k, j]);
    assert_eq!(
        place(&anchored_v2, &newcomer, &admits),
        Ok(Placement::Next { in_force: true })
    );
    let stale = signed(roster(3, &[t, k, j, q, &newcomer], 3, NOW - 1), &[t, k, j]);
    assert_eq!(
        place(&anchored_v2, &newcomer, &stale),
        Err(Reason::NotAMember)
    );
    anchored_v2.apply(rdoc(&admits), &Placement::Next { in_force: true });

    // The same membership as a node anchored at v1 that followed v2 and v3.
    let mut founder = membership_of(t, v1);
    for v in [&v2, &v3] {
        let p = place(&founder, k, v).unwrap();
        assert_eq!(p, Placement::Next { in_force: true });
        founder.apply(rdoc(v), &p);
    }
    let j = &ps[2];
    let jd = decl(j);
    let j2 = endorsement(j, 2, &jd, "after removal");
    for m in [&founder, &late] {
        assert_eq!(in_force(m), 3);
        assert_eq!(outcome(jd.bytes(), m, &Held::default()), "accept");
        let mut held = Held::default();
        held.hold(&jd);
        assert_eq!(outcome(j2.bytes(), m, &held), "not_a_member");
        assert_eq!(outcome(decl(q).bytes(), m, &Held::default()), "accept");
    }
}

#[test]
fn expiry_is_judged_when_a_roster_arrives_and_never_again() {
    let ps = parties();
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    // v2 expires at NOW + 10; it arrives at NOW + 20.
    let v2 = signed(roster(2, &[t, k, j, q], 3, NOW + 10), &[t, k]);
    let v3 = signed(roster(3, &[t, k, j, q], 3, LATER), &[t, k, q]);
    let mut m = membership_of(t, genesis(&ps));
    let late = Timestamp::from_unix(NOW + 20).unwrap();
    let p2 = place_at(&m, k, &v2, late).unwrap();
    assert_eq!(p2, Placement::Next { in_force: false });
    m.apply(rdoc(&v2), &p2);
    // Kept as a link, not in force: Qingpu is not yet a member.
    assert_eq!(in_force(&m), 1);
    assert_eq!(
        outcome(decl(q).bytes(), &m, &Held::default()),
        "not_a_member"
    );
    // Its successor is checked against it and comes into force.
    let p3 = place_at(&m, k, &v3, late).unwrap();
    assert_eq!(p3, Placement::Next { in_force: true });
    m.apply(rdoc(&v3), &p3);
    assert_eq!(in_force(&m), 3);

    // Membership itself never looks at the clock: years later, the same.
    let mut c = checks(&m);
    c.now = Timestamp::from_unix(NOW + 86_400 * 365 * 5).unwrap();
    assert!(matches!(
        validate(decl(q).bytes(), &c, &Held::default()),
        Verdict::Accept(_)
    ));

    // A membership restored from the decisions reaches the same state.
    let mut restored = Membership::new(t.code.clone(), t.key.public_hex());
    restored.restore(rdoc(&v3), true);
    restored.restore(rdoc(&genesis(&ps)), true);
    restored.restore(rdoc(&v2), false);
    assert_eq!(in_force(&restored), 3);
}

#[test]
fn two_approved_rosters_of_one_version_are_a_fork_kept_as_evidence() {
    let ps = parties();
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let mut m = membership_of(t, genesis(&ps));
    let v2 = signed(roster(2, &[t, k, j, q], 3, LATER), &[t, k]);
    let p = place(&m, k, &v2).unwrap();
    m.apply(rdoc(&v2), &p);

    // Kunshan also approved a different version 2, with Jiading.
    let mut other = roster(2, &[t, k, j], 2, LATER);
    other.reference_framework = Some("yrd.tax".parse().unwrap());
    let v2b = signed(other, &[k, j]);
    match place(&m, j, &v2b) {
        Ok(Placement::Fork(f)) => {
            assert!(f.both_approved);
            assert_eq!(f.version, 2);
            assert_eq!(f.double_approvers, vec![k.code.clone()]);
            assert_eq!(&f.held_id, rdoc(&v2).id());
            assert_eq!(&f.conflicting_id, rdoc(&v2b).id());
        }
        other => panic!("{other:?}"),
    }
    // Applying a fork changes nothing.
    m.apply(rdoc(&v2b), &Placement::Same);
    assert_eq!(in_force(&m), 2);

    // A different version 2 that no member approved alongside is a plain
    // conflict, refused.
    let v2c = signed(roster(2, &[t, k, j], 2, LATER), &[j]);
    assert_eq!(place(&m, j, &v2c), Err(Reason::RosterConflict));

    // Kunshan approving a second successor, even one short of the
    // threshold, is evidence too.
    let v2d = signed(roster(2, &[t, k], 2, LATER), &[k]);
    match place(&m, j, &v2d) {
        Ok(Placement::Fork(f)) => {
            assert!(!f.both_approved);
            assert_eq!(f.double_approvers, vec![k.code.clone()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn roster_documents_in_chains() {
    let ps = parties();
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let m = membership_of(t, genesis(&ps));
    let mut held = Held::default();
    let dk = decl(k);
    held.hold(&dk);
    let v2 = signed(roster(2, &[t, k, j, q], 3, LATER), &[t, j]);
    match validate(roster_doc(k, &dk, &v2).bytes(), &checks(&m), &held) {
        Verdict::AcceptRoster { placement, .. } => {
            assert_eq!(placement, Placement::Next { in_force: true })
        }
        other => panic!("{other:?}"),
    }
    // A version that cannot be placed yet is held, not refused.
    let v3 = signed(roster(3, &[t, k, j, q], 3, LATER), &[t, k, j]);
    assert_eq!(
        outcome(roster_doc(k, &dk, &v3).bytes(), &m, &held),
        "waiting"
    );
    // Below the threshold: refused.
    let short = signed(roster(2, &[t, k, j, q], 3, LATER), &[t]);
    assert_eq!(
        outcome(roster_doc(k, &dk, &short).bytes(), &m, &held),
        "roster_threshold_not_met"
    );
    // A roster of an alliance this node is not in.
    let mut other = roster(1, &[t, k], 2, LATER);
    other.alliance = AllianceId::new("yrd.other").unwrap();
    assert_eq!(
        outcome(
            roster_doc(k, &dk, &signed(other, &[t, k])).bytes(),
            &m,
            &held
        ),
        "unknown_alliance"
    );
    // Only a member, or one the roster itself lists, may carry it.
    let mut held_q = Held::default();
    let dq = decl(q);
    held_q.hold(&dq);
    let mut r = roster(2, &[t, k], 2, LATER);
    r.former = vec![former(j, 2, None)];
    let v2_without_q = signed(r, &[t, k]);
    assert_eq!(
        outcome(roster_doc(q, &dq, &v2_without_q).bytes(), &m, &held_q),
        "not_a_member"
    );
    assert_eq!(
        outcome(roster_doc(q, &dq, &v2).bytes(), &m, &held_q),
        "accept"
    );
}

#[test]
fn approvals_cover_the_roster_as_published_unknown_members_included() {
    let ps = parties();
    let (t, k, j) = (&ps[0], &ps[1], &ps[2]);
    let mut raw = serde_json::to_value(roster(1, &[t, k, j], 2, LATER)).unwrap();
    raw["charter_url"] = json!("https://example.invalid/charter");
    // A time with an offset: the roster types read it as UTC, but what was
    // approved is the text as written.
    raw["expires_at"] = json!("2027-01-01T08:00:00+08:00");
    let approvals: Vec<Value> = [t, k]
        .iter()
        .map(|p| serde_json::to_value(approve(&p.key, p.code.clone(), &raw).unwrap()).unwrap())
        .collect();
    let payload = json!({"roster": raw, "approvals": approvals});
    let doc = RosterDoc::from_payload(payload.clone()).unwrap();
    assert!(check_anchor(&doc, Some(now())).is_ok());
    assert_eq!(doc.payload()["roster"]["charter_url"], raw["charter_url"]);
    assert_eq!(
        doc.payload()["roster"]["expires_at"],
        "2027-01-01T08:00:00+08:00"
    );
    assert_eq!(doc.roster().expires_at.to_string(), "2027-01-01T00:00:00Z");
    // Re-serialised through the roster types, the same roster no longer
    // verifies: that is why approvals are checked over the bytes as published.
    let retyped = RosterDoc::from_signed(doc.signed()).unwrap();
    assert!(check_anchor(&retyped, Some(now())).is_err());
    // Change only the unknown member: the approvals no longer verify.
    let mut changed = payload.clone();
    changed["roster"]["charter_url"] = json!("https://example.invalid/other");
    let doc = RosterDoc::from_payload(changed).unwrap();
    assert_eq!(
        check_anchor(&doc, Some(now())).unwrap_err().reason,
        Reason::RosterBadApproval
    );
    // Drop it, as re-serialising through the roster types would: the same.
    let mut dropped = payload;
    dropped["roster"]
        .as_object_mut()
        .unwrap()
        .remove("charter_url");
    let doc = RosterDoc::from_payload(dropped).unwrap();
    assert!(check_anchor(&doc, Some(now())).is_err());
}

#[test]
fn signing_refuses_invalid_payloads() {
    let ps = parties();
    let bad = JurisdictionDecl {
        code: ps[0].code.clone(),
        name_zh: "".into(),
        name_en: "x".into(),
        public_key: ps[0].key.public_hex(),
    };
    let header = Header {
        issuer: ps[0].code.clone(),
        seq: 1,
        prev: None,
        issued_at: now(),
    };
    let err = Document::sign(&ps[0].key, header, &bad).unwrap_err();
    assert_eq!(err.kind, DocKind::Jurisdiction);
    assert!(err.detail.contains("name_zh"), "{}", err.detail);
}
