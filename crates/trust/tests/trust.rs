//! Every rejection reason, every roster rule, tampering, and the golden vectors.

use deltabench_model::documents::{
    DocKind, Endorsement, JurisdictionDecl, Member, Payload, Roster, SignedRoster,
};
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, Timestamp};
use deltabench_trust::canonical::canonical;
use deltabench_trust::roster::{Succession, approve, check_anchor, check_successor};
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
    }
}

fn signed(roster: Roster, signers: &[&Party]) -> SignedRoster {
    let approvals = signers
        .iter()
        .map(|p| approve(&p.key, p.code.clone(), &roster))
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

fn membership_of(me: &Party, anchor: SignedRoster) -> Membership {
    let mut m = Membership::new(me.code.clone(), me.key.public_hex());
    m.anchor(anchor, now()).unwrap();
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
    let sig = p
        .key
        .sign(DOCUMENT_DOMAIN, &canonical(&Value::Object(obj.clone())));
    obj.insert("signature".into(), json!(sig.as_str()));
    canonical(&body)
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
        Verdict::Accept(_) => "accept".into(),
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

#[test]
fn roster_rules() {
    let ps = parties();
    let g = genesis(&ps);
    let m = membership_of(&ps[0], g.clone());
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let v2_members = [t, k, j, q];

    // N+1 signed by a threshold of N's members is valid, by any member of either.
    let v2 = signed(roster(2, &v2_members, 3, LATER), &[t, j]);
    assert_eq!(check_successor(&g, &v2, now()).unwrap(), Succession::Next);
    let mut held = Held::default();
    let d = decl(k);
    held.hold(&d);
    assert_eq!(outcome(roster_doc(k, &d, &v2).bytes(), &m, &held), "accept");

    // Signed by only one of N's members: below the threshold.
    let v2_short = signed(roster(2, &v2_members, 3, LATER), &[t]);
    assert_eq!(
        check_successor(&g, &v2_short, now()).unwrap_err().reason,
        Reason::RosterThresholdNotMet
    );

    // A key that signs twice counts once.
    let v2_twice = signed(roster(2, &v2_members, 3, LATER), &[t, t]);
    assert_eq!(
        check_successor(&g, &v2_twice, now()).unwrap_err().reason,
        Reason::RosterThresholdNotMet
    );

    // The new member's approval does not count towards N's threshold (it is
    // not a member of N), and does not spoil the roster either.
    let v2_newcomer = signed(roster(2, &v2_members, 3, LATER), &[t, q]);
    assert_eq!(
        check_successor(&g, &v2_newcomer, now()).unwrap_err().reason,
        Reason::RosterThresholdNotMet
    );
    let v2_welcomed = signed(roster(2, &v2_members, 3, LATER), &[t, q, k]);
    assert_eq!(
        check_successor(&g, &v2_welcomed, now()).unwrap(),
        Succession::Next
    );

    // A member's approval made with another key is a forgery.
    let mut wrong_key = signed(roster(2, &v2_members, 3, LATER), &[t, k]);
    wrong_key.approvals[1].key = q.key.public_hex();
    wrong_key.approvals[1].signature = approve(&q.key, k.code.clone(), &wrong_key.roster).signature;
    assert_eq!(
        check_successor(&g, &wrong_key, now()).unwrap_err().reason,
        Reason::RosterBadApproval
    );

    // An approval with a forged signature.
    let mut forged = signed(roster(2, &v2_members, 3, LATER), &[t, k]);
    forged.approvals[1].signature = forged.approvals[0].signature.clone();
    assert_eq!(
        check_successor(&g, &forged, now()).unwrap_err().reason,
        Reason::RosterBadApproval
    );

    // The version must be exactly N+1.
    let v3 = signed(roster(3, &v2_members, 3, LATER), &[t, k]);
    assert_eq!(
        check_successor(&g, &v3, now()).unwrap_err().reason,
        Reason::RosterVersionGap
    );

    // An older roster is refused.
    assert_eq!(
        check_successor(&v2, &g, now()).unwrap_err().reason,
        Reason::RosterOutdated
    );

    // The same version with other content conflicts; the same roster is Same.
    let v1_other = signed(roster(1, &[t, k], 1, LATER), &[t]);
    assert_eq!(
        check_successor(&g, &v1_other, now()).unwrap_err().reason,
        Reason::RosterConflict
    );
    assert_eq!(check_successor(&g, &g, now()).unwrap(), Succession::Same);

    // An expired roster is refused, as a successor and as an anchor.
    let expired = signed(roster(2, &v2_members, 3, NOW - 1), &[t, k]);
    assert_eq!(
        check_successor(&g, &expired, now()).unwrap_err().reason,
        Reason::RosterExpired
    );
    let old_anchor = signed(roster(1, &[t, k, j], 2, NOW - 1), &[t, k]);
    assert_eq!(
        check_anchor(&old_anchor, now()).unwrap_err().reason,
        Reason::RosterExpired
    );

    // An anchor needs a threshold of its own members.
    let weak_anchor = signed(roster(1, &[t, k, j], 2, LATER), &[t]);
    assert_eq!(
        check_anchor(&weak_anchor, now()).unwrap_err().reason,
        Reason::RosterThresholdNotMet
    );

    // A roster of an alliance this node is not in.
    let mut other = roster(1, &[t, k], 1, LATER);
    other.alliance = AllianceId::new("yrd.other").unwrap();
    let other = signed(other, &[t]);
    assert_eq!(
        outcome(roster_doc(k, &d, &other).bytes(), &m, &held),
        "unknown_alliance"
    );

    // Only members of the roster in force or of the proposed one may publish it.
    let mut held_q = Held::default();
    let dq = decl(q);
    held_q.hold(&dq);
    let v2_without_q = signed(roster(2, &[t, k, j], 2, LATER), &[t, k]);
    assert_eq!(
        outcome(roster_doc(q, &dq, &v2_without_q).bytes(), &m, &held_q),
        "not_a_member"
    );
}

#[test]
fn a_roster_change_admits_and_removes_members() {
    let ps = parties();
    let (t, k, j, q) = (&ps[0], &ps[1], &ps[2], &ps[3]);
    let mut m = membership_of(t, genesis(&ps));
    let held = Held::default();
    assert_eq!(outcome(decl(q).bytes(), &m, &held), "not_a_member");

    // Admit Qingpu.
    let v2 = signed(roster(2, &[t, k, j, q], 3, LATER), &[t, k]);
    m.advance(v2.clone());
    assert_eq!(outcome(decl(q).bytes(), &m, &held), "accept");

    // Remove Jiading: version 3 needs 3 of version 2's 4 members.
    let v3 = signed(roster(3, &[t, k, q], 2, LATER), &[t, k, q]);
    assert_eq!(check_successor(&v2, &v3, now()).unwrap(), Succession::Next);
    m.advance(v3);
    assert_eq!(outcome(decl(j).bytes(), &m, &held), "not_a_member");
    // An older version does not roll the membership back.
    m.advance(v2);
    assert_eq!(outcome(decl(j).bytes(), &m, &held), "not_a_member");
}

#[test]
fn roster_expiry_takes_members_out_of_force() {
    let ps = parties();
    let (t, k, j) = (&ps[0], &ps[1], &ps[2]);
    let soon = signed(roster(1, &[t, k, j], 2, NOW + 10), &[t, k]);
    let m = membership_of(t, soon);
    let held = Held::default();
    let mut c = checks(&m);
    assert!(matches!(
        validate(decl(k).bytes(), &c, &held),
        Verdict::Accept(_)
    ));
    c.now = Timestamp::from_unix(NOW + 11).unwrap();
    match validate(decl(k).bytes(), &c, &held) {
        Verdict::Rejected(r) => {
            assert_eq!(r.reason, Reason::NotAMember);
            assert!(r.detail.contains("expired"), "{}", r.detail);
        }
        other => panic!("{other:?}"),
    }
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

/// Golden vectors: a fixed seed, then the canonical bytes, then the signature
/// and hash. They must never change: every node ever deployed depends on them.
/// To create the file once, run with `DELTABENCH_BLESS=1`.
#[test]
fn golden_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/vectors.json");
    let seed = [0x42u8; 32];
    let key = NodeKey::from_seed(seed);
    let p = Party {
        key,
        code: code("320585"),
        name: "Taicang",
    };
    let d1 = decl(&p);
    let d2 = endorsement(&p, 2, &d1, "黄金向量 golden vector");
    let computed: Vec<Value> = [&d1, &d2]
        .iter()
        .map(|d| {
            json!({
                "seed": hex::encode(seed),
                "public_key": p.key.public_hex().as_str(),
                "document": String::from_utf8(d.bytes().to_vec()).unwrap(),
                "signed_message_hex": hex::encode([DOCUMENT_DOMAIN, &signed_part(d)].concat()),
                "signature": d.signature.as_str(),
                "hash": d.hash().as_str(),
            })
        })
        .collect();
    if std::env::var_os("DELTABENCH_BLESS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        std::fs::write(
            path,
            serde_json::to_string_pretty(&computed).unwrap() + "\n",
        )
        .unwrap();
    }
    let stored: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("golden vectors file")).unwrap();
    assert_eq!(
        stored, computed,
        "golden vectors changed: signatures of deployed nodes would break"
    );
    for v in &stored {
        let d = Document::decode(
            v["document"].as_str().unwrap().as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(d.hash().as_str(), v["hash"].as_str().unwrap());
    }
}

/// The canonical body without the signature, as signed.
fn signed_part(d: &Document) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(d.bytes()).unwrap();
    v.as_object_mut().unwrap().remove("signature");
    canonical(&v)
}
