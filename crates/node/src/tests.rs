use super::*;
use deltabench_model::AllianceId;
use deltabench_model::documents::{Decision, Endorsement, Member, Roster, SignedRoster};
use deltabench_trust::roster::{RosterDoc, approve_roster};
use std::sync::atomic::{AtomicI64, Ordering};

const NOW: i64 = 1_767_225_600;

struct FixedClock(AtomicI64);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.0.load(Ordering::Relaxed)).unwrap()
    }
}

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

struct Party {
    seed: u8,
    code: &'static str,
    name: &'static str,
}

const TAICANG: Party = Party {
    seed: 1,
    code: "320585",
    name: "Taicang",
};
const KUNSHAN: Party = Party {
    seed: 2,
    code: "320583",
    name: "Kunshan",
};
const JIADING: Party = Party {
    seed: 3,
    code: "310114",
    name: "Jiading",
};
const QINGPU: Party = Party {
    seed: 4,
    code: "310118",
    name: "Qingpu",
};

impl Party {
    fn key(&self) -> NodeKey {
        NodeKey::from_seed([self.seed; 32])
    }
    fn member(&self) -> Member {
        Member {
            code: code(self.code),
            key: self.key().public_hex(),
            name_zh: self.name.into(),
            name_en: self.name.into(),
        }
    }
    fn identity(&self) -> Identity {
        Identity {
            code: code(self.code),
            name_zh: self.name.into(),
            name_en: self.name.into(),
        }
    }
}

fn roster(version: u64, members: &[&Party], signers: &[&Party]) -> SignedRoster {
    let roster = Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version,
        members: members.iter().map(|p| p.member()).collect(),
        threshold: members.len() as u32 / 2 + 1,
        expires_at: Timestamp::from_unix(NOW + 86_400 * 365).unwrap(),
        reference_framework: None,
        recognition_quorum: None,
        former: vec![],
        previous: None,
    };
    let approvals = signers
        .iter()
        .map(|p| approve_roster(&p.key(), code(p.code), &roster).unwrap())
        .collect();
    SignedRoster { roster, approvals }
}

fn genesis() -> SignedRoster {
    roster(1, &[&TAICANG, &KUNSHAN, &JIADING], &[&TAICANG, &KUNSHAN])
}

fn node_at(p: &Party, store: Store) -> Node {
    node_on(p, store, Arc::new(FixedClock(AtomicI64::new(NOW))))
}

fn node_on(p: &Party, store: Store, clock: Arc<FixedClock>) -> Node {
    let node = Node::open(
        p.identity(),
        p.key(),
        store,
        vec![RosterDoc::from_signed(&genesis()).unwrap()],
        Policy::default(),
        clock,
    )
    .unwrap();
    node.declare().unwrap();
    node
}

fn node(p: &Party) -> Node {
    node_at(p, Store::open_temporary().unwrap())
}

fn endorse(n: &Node, comment: &str) -> Document {
    n.publish(&Endorsement {
        crosswalk: "kunshan.satisfaction".parse().unwrap(),
        crosswalk_hash: DocHash::from_bytes([7; 32]),
        decision: Decision::Accept,
        comment: Some(comment.into()),
    })
    .unwrap()
}

fn bundle_of(n: &Node) -> Vec<Vec<u8>> {
    n.store().all_documents().collect::<Result<_, _>>().unwrap()
}

fn import(n: &Node, docs: &[Vec<u8>]) -> BundleReport {
    let refs: Vec<&[u8]> = docs.iter().map(|d| d.as_slice()).collect();
    n.ingest_bundle(&refs, "bundle").unwrap()
}

fn rejected_count(n: &Node, reason: Reason) -> u64 {
    n.metrics()
        .rejected
        .get_or_create(&ReasonLabel {
            reason: reason.code().into(),
        })
        .get()
}

#[test]
fn the_own_chain_starts_with_the_declaration_and_grows() {
    let t = node(&TAICANG);
    let decl = t.store().hash_at(&code("320585"), 1).unwrap().unwrap();
    let d2 = endorse(&t, "a");
    let d3 = endorse(&t, "b");
    assert_eq!(d2.seq, 2);
    assert_eq!(d2.prev.as_ref(), Some(&decl));
    assert_eq!(d3.prev.as_ref(), Some(d2.hash()));
    assert_eq!(
        t.declare().unwrap().map(|d| d.seq),
        None,
        "declared only once"
    );
    assert_eq!(t.metrics().accepted.get(), 3);
}

#[test]
fn a_bundle_from_a_member_is_accepted_in_any_order() {
    let k = node(&KUNSHAN);
    endorse(&k, "one");
    endorse(&k, "two");
    let mut docs = bundle_of(&k);
    docs.reverse();
    let t = node(&TAICANG);
    let report = import(&t, &docs);
    assert_eq!(
        report,
        BundleReport {
            accepted: 3,
            duplicates: 0,
            pending: 0,
            rejected: vec![]
        }
    );
    assert_eq!(t.store().head(&code("320583")).unwrap().unwrap().0, 3);
    // Importing again: all duplicates.
    let again = import(&t, &docs);
    assert_eq!((again.accepted, again.duplicates), (0, 3));
}

#[test]
fn the_position_read_by_place_is_the_position_parsed() {
    let k = node(&KUNSHAN);
    endorse(&k, "one \"quoted\" ,\"seq\":99,\"signature\":\"");
    for bytes in bundle_of(&k) {
        let doc = Document::decode(&bytes, &Limits::default()).unwrap();
        let by_place = canonical_position(&bytes).expect("a canonical envelope");
        assert_eq!(
            (
                by_place.kind.as_str(),
                by_place.issuer.as_str(),
                by_place.seq
            ),
            (doc.kind.to_string().as_str(), "320583", doc.seq)
        );
        // Laid out otherwise, the envelope is parsed, to the same position.
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let spaced = serde_json::to_vec_pretty(&value).unwrap();
        assert!(canonical_position(&spaced).is_none());
        let parsed = claimed_position(&spaced);
        assert_eq!(
            (parsed.kind, parsed.issuer, parsed.seq),
            (by_place.kind, by_place.issuer, by_place.seq)
        );
    }
    // Cut short, or with a seq that is not a number: not read by place.
    let bytes = &bundle_of(&k)[1];
    assert!(canonical_position(&bytes[..bytes.len() - 1]).is_none());
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at = text.rfind(",\"seq\":").unwrap() + 7;
    let odd = format!("{}-{}", &text[..at], &text[at..]);
    assert!(canonical_position(odd.as_bytes()).is_none());
}

#[test]
fn a_gap_is_held_until_filled() {
    let k = node(&KUNSHAN);
    endorse(&k, "one");
    endorse(&k, "two");
    let docs = bundle_of(&k);
    let t = node(&TAICANG);
    let first = import(&t, &[docs[2].clone()]);
    assert_eq!(first.pending, 1);
    assert_eq!(t.store().pending_count(), 1);
    let rest = import(&t, &docs[..2]);
    assert_eq!(rest.accepted, 3, "two imported and one released: {rest:?}");
    assert_eq!(t.store().pending_count(), 0);
    assert_eq!(t.store().head(&code("320583")).unwrap().unwrap().0, 3);
}

#[test]
fn every_tampered_copy_is_rejected_with_its_reason_and_counted() {
    let k = node(&KUNSHAN);
    endorse(&k, "original");
    let docs = bundle_of(&k);
    let tampered: Vec<Vec<u8>> = docs
        .iter()
        .map(|d| {
            String::from_utf8(d.clone())
                .unwrap()
                .replace("Kunshan", "Kunsham")
                .replace("original", "forged!!")
                .into_bytes()
        })
        .collect();
    let t = node(&TAICANG);
    let report = import(&t, &tampered);
    assert_eq!(report.accepted, 0);
    assert_eq!(report.rejected.len(), 2);
    assert!(
        report
            .rejected
            .iter()
            .all(|r| r.reason == Reason::BadSignature),
        "{report:?}"
    );
    assert_eq!(
        report.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(rejected_count(&t, Reason::BadSignature), 2);
    assert_eq!(
        t.store().rejection_counts().unwrap(),
        vec![("bad_signature".into(), 2)]
    );
    assert_eq!(t.store().head(&code("320583")).unwrap(), None);
}

#[test]
fn non_members_are_refused() {
    let q = node(&QINGPU);
    let t = node(&TAICANG);
    let report = import(&t, &bundle_of(&q));
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].reason, Reason::NotAMember);
    assert_eq!(rejected_count(&t, Reason::NotAMember), 1);
}

#[test]
fn equivocation_is_kept_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let k = node_at(&KUNSHAN, Store::open(&dir.path().join("a")).unwrap());
    let honest = endorse(&k, "honest");
    // The same key, another store: a second seq-2 document.
    let k2 = node_at(&KUNSHAN, Store::open(&dir.path().join("b")).unwrap());
    let fork = endorse(&k2, "forked");
    assert_eq!((honest.seq, fork.seq), (2, 2));
    let t = node(&TAICANG);
    assert_eq!(import(&t, &bundle_of(&k)).accepted, 2);
    let report = import(&t, &[fork.bytes().to_vec()]);
    assert_eq!(report.rejected[0].reason, Reason::Equivocation);
    let ev = t.store().equivocations().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].issuer, code("320583"));
    assert_eq!(ev[0].documents[0]["payload"]["comment"], "honest");
    assert_eq!(ev[0].documents[1]["payload"]["comment"], "forked");
    assert_eq!(rejected_count(&t, Reason::Equivocation), 1);
}

/// A bundle's plain documents are stored a run at a time; a document that
/// breaks the run (a duplicate, an equivocation within the run itself)
/// still gets its own verdict, and the run around it is stored whole.
#[test]
fn a_run_of_a_bundle_meets_duplicates_and_a_fork_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let k = node_at(&KUNSHAN, Store::open(&dir.path().join("a")).unwrap());
    for i in 2..=6 {
        endorse(&k, &format!("honest {i}"));
    }
    let k2 = node_at(&KUNSHAN, Store::open(&dir.path().join("b")).unwrap());
    for i in 2..=4 {
        endorse(&k2, &format!("forked {i}"));
    }
    let honest = bundle_of(&k);
    let forked4 = k2.store().range(&code("320583"), 3, 1).unwrap().remove(0);
    let t = node(&TAICANG);
    // Seq 1 and 2 held before: duplicates in front of the run.
    assert_eq!(import(&t, &honest[..2]).accepted, 2);
    // The fork's seq 4 sorts beside the honest seq 4 and meets it staged,
    // not yet written.
    let mut bundle = honest.clone();
    bundle.push(forked4);
    let report = import(&t, &bundle);
    assert_eq!(
        (report.accepted, report.duplicates, report.pending),
        (4, 2, 0),
        "{report:?}"
    );
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].reason, Reason::Equivocation);
    assert_eq!(
        report.rejected[0].index, 6,
        "the fork's place in the bundle"
    );
    assert_eq!(t.store().head(&code("320583")).unwrap().unwrap().0, 6);
    let ev = t.store().equivocations().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].seq, 4);
    let comments: Vec<_> = ev[0]
        .documents
        .iter()
        .map(|d| d["payload"]["comment"].as_str().unwrap().to_string())
        .collect();
    assert!(
        comments.contains(&"honest 4".to_string()) && comments.contains(&"forked 4".to_string()),
        "{comments:?}"
    );
    // What a run stored is what one-at-a-time storing gives: the same bytes.
    let one_by_one = node(&TAICANG);
    for d in &honest {
        one_by_one.ingest(d, "one").unwrap();
    }
    assert_eq!(bundle_of(&t), bundle_of(&one_by_one));
    assert_eq!(
        t.metrics().accepted.get(),
        one_by_one.metrics().accepted.get()
    );
}

#[test]
fn a_roster_change_admits_a_member_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let q = node(&QINGPU);
    {
        let t = node_at(&TAICANG, Store::open(dir.path()).unwrap());
        assert_eq!(
            import(&t, &bundle_of(&q)).rejected[0].reason,
            Reason::NotAMember
        );
        let v2 = roster(
            2,
            &[&TAICANG, &KUNSHAN, &JIADING, &QINGPU],
            &[&TAICANG, &JIADING],
        );
        t.publish(&v2).unwrap();
        assert_eq!(import(&t, &bundle_of(&q)).accepted, 1);
        // A roster version that skips one is refused and changes nothing.
        let v4 = roster(4, &[&TAICANG, &KUNSHAN], &[&TAICANG, &KUNSHAN]);
        assert!(
            matches!(t.publish(&v4), Err(PublishError::Refused(r)) if r.reason == Reason::RosterVersionGap)
        );
    }
    // Reopened with only the founding roster configured, the held version 2 is
    // put back in force.
    let t = node_at(&TAICANG, Store::open_waiting(dir.path()).unwrap());
    assert_eq!(
        t.membership()
            .roster(&AllianceId::new("yrd.tax").unwrap())
            .unwrap()
            .roster
            .version,
        2
    );
    endorse(&q, "after restart");
    let report = import(&t, &bundle_of(&q));
    assert_eq!((report.accepted, report.duplicates), (1, 1), "{report:?}");
}

#[test]
fn a_store_with_another_keys_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(node_at(&TAICANG, Store::open(dir.path()).unwrap()));
    let impostor = Party {
        seed: 9,
        code: "320585",
        name: "Taicang",
    };
    let clock = Arc::new(FixedClock(AtomicI64::new(NOW)));
    let err = Node::open(
        impostor.identity(),
        impostor.key(),
        Store::open_waiting(dir.path()).unwrap(),
        vec![RosterDoc::from_signed(&genesis()).unwrap()],
        Policy::default(),
        clock,
    )
    .unwrap_err();
    assert!(err.to_string().contains("another key"), "{err}");
}

#[test]
fn an_invalid_anchor_stops_the_node_from_opening() {
    let weak = roster(1, &[&TAICANG, &KUNSHAN, &JIADING], &[&TAICANG]);
    let clock = Arc::new(FixedClock(AtomicI64::new(NOW)));
    let err = Node::open(
        TAICANG.identity(),
        TAICANG.key(),
        Store::open_temporary().unwrap(),
        vec![RosterDoc::from_signed(&weak).unwrap()],
        Policy::default(),
        clock,
    )
    .unwrap_err();
    assert!(
        matches!(&err, NodeError::Anchor { rejection, .. } if rejection.reason == Reason::RosterThresholdNotMet),
        "{err}"
    );
}

/// Collects what the node passes on to peers.
fn outbox(n: &Node) -> Arc<Mutex<Vec<Arc<[u8]>>>> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    n.set_outbox(Box::new(move |b| o.lock().unwrap().push(b)));
    out
}

#[test]
fn own_documents_and_bundle_news_are_passed_on_but_synced_pages_are_not() {
    let t = node(&TAICANG);
    let k = node(&KUNSHAN);
    let sent = outbox(&t);
    let own = endorse(&t, "own");
    assert_eq!(sent.lock().unwrap().as_slice(), &[own.shared_bytes()]);

    // Kunshan's chain arrives in a bundle: both documents are new here.
    endorse(&k, "first");
    let kdocs = bundle_of(&k);
    let report = import(&t, &kdocs);
    assert_eq!(report.accepted, 2);
    assert_eq!(sent.lock().unwrap().len(), 3);
    // The same bundle again passes nothing on.
    import(&t, &kdocs);
    assert_eq!(sent.lock().unwrap().len(), 3);

    // A synced page is stored but not passed on: the peers have it.
    let j = node(&JIADING);
    let sent_j = outbox(&j);
    let refs: Vec<&[u8]> = kdocs.iter().map(Vec::as_slice).collect();
    let report = j.ingest_synced(&refs, "sync").unwrap();
    assert_eq!(report.accepted, 2);
    assert!(sent_j.lock().unwrap().is_empty());
}

#[test]
fn ingest_many_answers_each_envelope_in_order() {
    let t = node(&TAICANG);
    let k = node(&KUNSHAN);
    endorse(&k, "one");
    endorse(&k, "two");
    let mut docs = bundle_of(&k);
    docs.sort_by_key(|d| Document::decode(d, &Limits::default()).unwrap().seq);
    let mut forged = docs[1].clone();
    let at = forged.len() / 2;
    forged[at] ^= 1;
    // seq 3 before seq 2: held, then released when seq 2 arrives.
    let batch: Vec<&[u8]> = vec![&docs[0], &docs[2], &forged, &docs[1], &docs[1]];
    let outcomes = t.ingest_many(&batch, "gossip").unwrap();
    assert!(matches!(outcomes[0], Outcome::Accepted { released: 0, .. }));
    assert!(matches!(outcomes[1], Outcome::Pending { .. }));
    assert!(
        matches!(&outcomes[2], Outcome::Rejected(r) if matches!(r.reason, Reason::BadSignature | Reason::Malformed | Reason::InvalidPayload))
    );
    assert!(matches!(outcomes[3], Outcome::Accepted { released: 1, .. }));
    assert!(matches!(outcomes[4], Outcome::Duplicate { .. }));
    assert_eq!(t.store().head(&code(KUNSHAN.code)).unwrap().unwrap().0, 3);
}

fn crosswalk_json(id: &str) -> deltabench_model::documents::Crosswalk {
    serde_json::from_value(serde_json::json!({
        "id": id, "version": 0,
        "source": {"framework": "kunshan.perf", "versions": "^1", "indicator": "filing_ontime_pct"},
        "target": "taicang.hqd/tax_ontime", "relation": "exact",
        "transform": [{"op": "unit", "from": "%", "to": "ratio"}],
        "justification": "same definition", "confidence": 1
    }))
    .unwrap()
}

/// How many comparison answers node `n` gave `how` (hit, same, amended,
/// miss).
fn answered(n: &Node, how: &str) -> u64 {
    n.metrics()
        .comparisons
        .get_or_create(&crate::CacheLabel { cache: how.into() })
        .get()
}

/// Taicang's and Kunshan's nodes, each holding both sample frameworks.
fn taicang_and_kunshan() -> (Node, Node) {
    use deltabench_model::documents::Framework;
    let (t, k) = (node(&TAICANG), node(&KUNSHAN));
    let read = |s: &str| serde_json::from_str::<Framework>(s).unwrap();
    t.publish_framework(read(include_str!(
        "../../../node-config/samples/taicang/framework.json"
    )))
    .unwrap();
    k.publish_framework(read(include_str!(
        "../../../node-config/samples/kunshan/framework.json"
    )))
    .unwrap();
    import(&t, &bundle_of(&k));
    import(&k, &bundle_of(&t));
    (t, k)
}

#[test]
fn a_crosswalk_id_belongs_to_its_first_issuer_and_both_owners_recognise_it() {
    use crate::local::LocalError;
    use deltabench_model::comparison::CrosswalkStatus;
    let (t, k) = taicang_and_kunshan();

    // Kunshan proposes ks.x (its acceptance signed with it): pending until
    // Taicang, the target's owner, accepts.
    let (doc, accepted) = k.propose_crosswalk(crosswalk_json("ks.x"), true).unwrap();
    assert!(accepted.is_some());
    import(&t, &bundle_of(&k));
    let status = |n: &Node, hash: &DocHash| n.view().crosswalk_record(hash).unwrap().status;
    assert_eq!(status(&t, doc.hash()), CrosswalkStatus::Pending);
    let (_, after) = t
        .endorse_crosswalk(&"ks.x".parse().unwrap(), None, Decision::Accept, None)
        .unwrap();
    assert_eq!(after.status, CrosswalkStatus::Recognised);

    // Taicang may not propose under Kunshan's id...
    let e = t
        .propose_crosswalk(crosswalk_json("ks.x"), true)
        .unwrap_err();
    assert!(matches!(e, LocalError::Conflict(_)), "{e}");
    // ...and a version Taicang signs under it anyway neither counts nor
    // blocks Kunshan's next version, which is 2.
    let mut foreign = crosswalk_json("ks.x");
    foreign.version = 5;
    t.publish(&foreign).unwrap();
    import(&k, &bundle_of(&t));
    let (v2, _) = k.propose_crosswalk(crosswalk_json("ks.x"), true).unwrap();
    let c: deltabench_model::documents::Crosswalk = v2.payload_as().unwrap();
    assert_eq!(c.version, 2);
    assert_eq!(status(&k, doc.hash()), CrosswalkStatus::Superseded);
    // Endorsing names the current version only, and an unknown id is not found.
    let e = k
        .endorse_crosswalk(&"ks.x".parse().unwrap(), Some(1), Decision::Accept, None)
        .unwrap_err();
    assert!(matches!(e, LocalError::Conflict(_)), "{e}");
    let e = k
        .endorse_crosswalk(&"no.such".parse().unwrap(), None, Decision::Accept, None)
        .unwrap_err();
    assert!(matches!(e, LocalError::NotFound(_)), "{e}");
    // The view takes each document as it is stored, and a cached answer
    // is served only while nothing it read has changed.
    let held = k.view().documents();
    let r = deltabench_model::IndicatorRef::parse("taicang.hqd/tax_ontime").unwrap();
    let p = deltabench_model::Period::parse("2025").unwrap();
    // The same bytes, not a copy: the answer came from the cache.
    let same = |a: &crate::Answer, b: &crate::Answer| a.json.as_ptr() == b.json.as_ptr();
    let first = k.comparison_json(&r, p, false).unwrap();
    assert!(same(&first, &k.comparison_json(&r, p, false).unwrap()));
    endorse(&k, "an endorsement of a crosswalk not held");
    assert_eq!(k.view().documents(), held + 1);
    assert!(
        same(&first, &k.comparison_json(&r, p, false).unwrap()),
        "nothing the answer read changed"
    );
    let answered = |how: &str| answered(&k, how);
    // Kunshan endorses its crosswalk again: its state stays, and no row
    // goes through it (no member has a 2025 summary here), so the answer
    // is checked again and kept, the same bytes.
    let (same_before, miss_before) = (answered("same"), answered("miss"));
    k.endorse_crosswalk(&"ks.x".parse().unwrap(), None, Decision::Accept, None)
        .unwrap();
    let again = k.comparison_json(&r, p, false).unwrap();
    assert!(
        same(&first, &again),
        "the endorsement changed nothing it says"
    );
    assert_eq!(answered("same"), same_before + 1, "it was checked again");
    assert_eq!(answered("miss"), miss_before);
    assert_eq!(
        again.json.as_ref(),
        serde_json::to_vec(&k.view().compare(&r, p, false).unwrap()).unwrap()
    );
    // A new version of the crosswalk makes the answer stale. Many requests
    // for it compute it once and all get that one answer.
    k.propose_crosswalk(crosswalk_json("ks.x"), true).unwrap();
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| k.comparison_json(&r, p, false).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| same(a, &answers[0])));
    assert!(!same(&answers[0], &again));
    assert_eq!(answered("miss"), miss_before + 1, "computed once");
    // (No member has a 2025 summary here, so the recomputed answer reads
    // the same.)
    assert_eq!(answers[0].digest, again.digest);
}

/// An endorsement that leaves a crosswalk recognised amends the cached
/// answers whose rows go through it: the same bytes as computing them
/// again, without computing them.
#[test]
fn an_answer_through_a_crosswalk_endorsed_again_is_amended() {
    use deltabench_model::comparison::{Comparison, CrosswalkStatus};
    use deltabench_model::documents::Summary;
    let (t, k) = taicang_and_kunshan();
    k.propose_crosswalk(crosswalk_json("ks.x"), true).unwrap();
    import(&t, &bundle_of(&k));
    let (_, record) = t
        .endorse_crosswalk(&"ks.x".parse().unwrap(), None, Decision::Accept, None)
        .unwrap();
    assert_eq!(record.status, CrosswalkStatus::Recognised);
    // Kunshan's 2025 summary gives it a row through ks.x.
    let summary: Summary = serde_json::from_value(serde_json::json!({
        "framework": "kunshan.perf", "version": "1.0.0", "period": "2025", "k": 1,
        "indicators": [{"indicator": "filing_ontime_pct", "value": 97.5, "contributors": 0}]
    }))
    .unwrap();
    k.publish(&summary).unwrap();
    import(&t, &bundle_of(&k));

    let r = deltabench_model::IndicatorRef::parse("taicang.hqd/tax_ontime").unwrap();
    let p = deltabench_model::Period::parse("2025").unwrap();
    let first = t.comparison_json(&r, p, false).unwrap();
    let c: Comparison = serde_json::from_slice(&first.json).unwrap();
    let row = c
        .rows
        .iter()
        .find(|row| row.jurisdiction == code("320583"))
        .expect("Kunshan's row");
    assert_eq!(row.crosswalk.as_ref().unwrap().id.as_str(), "ks.x");

    let answered = |how: &str| answered(&t, how);
    let (amended, missed) = (answered("amended"), answered("miss"));
    // Taicang accepts again: ks.x stays recognised.
    let (e, record) = t
        .endorse_crosswalk(&"ks.x".parse().unwrap(), None, Decision::Accept, None)
        .unwrap();
    assert_eq!(record.status, CrosswalkStatus::Recognised);
    let again = t.comparison_json(&r, p, false).unwrap();
    assert_eq!(answered("amended"), amended + 1);
    assert_eq!(answered("miss"), missed, "not computed again");
    assert_eq!(
        std::str::from_utf8(&again.json).unwrap(),
        serde_json::to_string(&t.view().compare(&r, p, false).unwrap()).unwrap(),
        "the amended bytes are the computed ones"
    );
    let c2: Comparison = serde_json::from_slice(&again.json).unwrap();
    assert!(c2.inputs.contains(e.hash()));
    assert_eq!(c2.rows, c.rows);
    assert_ne!(c2.manifest, c.manifest);
    assert_eq!(&*again.manifest, c2.manifest.as_str());
    assert_ne!(again.digest, first.digest);
    // Served from the cache afterwards.
    let hits = answered("hit");
    let third = t.comparison_json(&r, p, false).unwrap();
    assert_eq!(third.json.as_ptr(), again.json.as_ptr());
    assert_eq!(answered("hit"), hits + 1);
}

/// A node whose clock the test sets.
fn node_with_clock(p: &Party, clock: Arc<FixedClock>) -> Node {
    node_on(p, Store::open_temporary().unwrap(), clock)
}

/// Clock skew: a member whose clock runs three hours fast signs documents
/// that the others refuse with their own reason, issued_in_future, while
/// everything else goes on; a skew within the tolerance is accepted; and the
/// refusal is not remembered against the documents, which are accepted once
/// their time has come.
#[test]
fn documents_from_a_clock_hours_ahead_are_refused_with_their_own_reason() {
    const HOURS_3: i64 = 3 * 3600;
    let taicang_clock = Arc::new(FixedClock(AtomicI64::new(NOW)));
    let t = node_with_clock(&TAICANG, taicang_clock.clone());
    let k = node_with_clock(
        &KUNSHAN,
        Arc::new(FixedClock(AtomicI64::new(NOW + HOURS_3))),
    );
    let j = node_with_clock(&JIADING, Arc::new(FixedClock(AtomicI64::new(NOW + 240))));
    endorse(&k, "from the future");
    endorse(&j, "four minutes fast");

    // Kunshan's documents, three hours ahead: refused, counted, not stored.
    let from_k = bundle_of(&k);
    let report = import(&t, &from_k);
    assert_eq!(report.accepted, 0, "{report:?}");
    assert!(!report.rejected.is_empty(), "{report:?}");
    assert!(
        report
            .rejected
            .iter()
            .all(|r| r.reason == Reason::IssuedInFuture),
        "{report:?}"
    );
    assert!(rejected_count(&t, Reason::IssuedInFuture) >= 1);
    let held_from_k = t.store().list(None, Some(&code(KUNSHAN.code))).unwrap();
    assert!(held_from_k.is_empty(), "{held_from_k:?}");

    // Nothing else breaks: Jiading, four minutes fast (within the 300 s
    // tolerance), is accepted, and Taicang publishes as before.
    let report = import(&t, &bundle_of(&j));
    assert_eq!(report.accepted, 2, "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    endorse(&t, "still publishing");
    assert!(t.store().equivocations().unwrap().is_empty());
    // The fast node itself accepts documents from the past.
    let report = import(&k, &bundle_of(&t));
    assert!(report.rejected.is_empty(), "{report:?}");

    // Three hours later the same documents are accepted.
    taicang_clock.0.store(NOW + HOURS_3, Ordering::Relaxed);
    let report = import(&t, &from_k);
    assert_eq!(report.accepted, from_k.len(), "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
}

fn in_force(n: &Node) -> u64 {
    n.membership()
        .roster(&AllianceId::new("yrd.tax").unwrap())
        .unwrap()
        .roster
        .version
}

fn evidence_count(n: &Node, kind: &str) -> u64 {
    n.metrics()
        .evidence
        .get_or_create(&EvidenceLabel { kind: kind.into() })
        .get()
}

/// A roster drafted in code, with its expiry and former members.
fn roster_with(
    version: u64,
    members: &[&Party],
    signers: &[&Party],
    expires: i64,
    former: Vec<deltabench_model::documents::FormerMember>,
) -> SignedRoster {
    let mut s = roster(version, members, signers);
    s.roster.expires_at = Timestamp::from_unix(expires).unwrap();
    s.roster.former = former;
    s.approvals = signers
        .iter()
        .map(|p| approve_roster(&p.key(), code(p.code), &s.roster).unwrap())
        .collect();
    s
}

#[test]
fn two_held_documents_for_one_position_are_equivocation_too() {
    let dir = tempfile::tempdir().unwrap();
    let k = node_at(&KUNSHAN, Store::open(&dir.path().join("a")).unwrap());
    endorse(&k, "honest 2");
    let honest3 = endorse(&k, "honest 3");
    let k2 = node_at(&KUNSHAN, Store::open(&dir.path().join("b")).unwrap());
    endorse(&k2, "forked 2");
    let forked3 = endorse(&k2, "forked 3");
    let t = node(&TAICANG);
    // Neither predecessor is here: the first is held, the second is evidence.
    assert_eq!(import(&t, &[honest3.bytes().to_vec()]).pending, 1);
    let report = import(&t, &[forked3.bytes().to_vec()]);
    assert_eq!(
        report.rejected[0].reason,
        Reason::Equivocation,
        "{report:?}"
    );
    let ev = t.store().equivocations().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].seq, 3);
    assert_eq!(ev[0].documents[0]["payload"]["comment"], "honest 3");
    assert_eq!(ev[0].documents[1]["payload"]["comment"], "forked 3");
    assert_eq!(evidence_count(&t, "equivocation"), 1);
    // The first one held is the one the chain continues with.
    let rest = import(&t, &bundle_of(&k));
    assert_eq!(rest.rejected, vec![], "{rest:?}");
    assert_eq!(
        t.store().head(&code("320583")).unwrap().unwrap().1,
        *honest3.hash()
    );
}

#[test]
fn a_restart_days_later_keeps_the_version_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(AtomicI64::new(NOW)));
    let four = [&TAICANG, &KUNSHAN, &JIADING, &QINGPU];
    {
        let t = node_on(&TAICANG, Store::open(dir.path()).unwrap(), clock.clone());
        // v2 expires after a day; v3 removes Jiading, whose chain this node
        // never saw.
        let v2 = roster_with(2, &four, &[&TAICANG, &KUNSHAN], NOW + 86_400, vec![]);
        t.publish(&v2).unwrap();
        let gone = deltabench_model::documents::FormerMember {
            code: code("310114"),
            key: JIADING.key().public_hex(),
            removed_in: 3,
            last_seq: 0,
            last_hash: None,
        };
        let v3 = roster_with(
            3,
            &[&TAICANG, &KUNSHAN, &QINGPU],
            &[&TAICANG, &KUNSHAN, &QINGPU],
            NOW + 86_400 * 365,
            vec![gone],
        );
        t.publish(&v3).unwrap();
        assert_eq!(in_force(&t), 3);
    }
    // Three days on, v2 has expired; the node comes back with v3 in force
    // and Jiading still out.
    clock.0.store(NOW + 3 * 86_400, Ordering::Relaxed);
    let t = node_on(&TAICANG, Store::open_waiting(dir.path()).unwrap(), clock);
    assert_eq!(in_force(&t), 3);
    let j = node(&JIADING);
    assert_eq!(
        import(&t, &bundle_of(&j)).rejected[0].reason,
        Reason::NotAMember
    );
    let versions: Vec<(u64, bool)> = t
        .membership()
        .histories()
        .flat_map(|h| h.versions().map(|(d, f)| (d.roster().version, f)))
        .collect();
    assert_eq!(versions, vec![(1, true), (2, true), (3, true)]);
}

#[test]
fn a_roster_that_arrives_expired_is_history_until_its_successor_comes() {
    let clock = Arc::new(FixedClock(AtomicI64::new(NOW)));
    let four = [&TAICANG, &KUNSHAN, &JIADING, &QINGPU];
    let k = node_on(&KUNSHAN, Store::open_temporary().unwrap(), clock.clone());
    k.publish(&roster_with(
        2,
        &four,
        &[&TAICANG, &KUNSHAN],
        NOW + 86_400,
        vec![],
    ))
    .unwrap();
    k.publish(&roster_with(
        3,
        &four,
        &[&TAICANG, &KUNSHAN, &QINGPU],
        NOW + 86_400 * 365,
        vec![],
    ))
    .unwrap();
    let docs = bundle_of(&k);
    // Taicang meets Kunshan's chain two days later.
    let t_clock = Arc::new(FixedClock(AtomicI64::new(NOW + 2 * 86_400)));
    let t = node_on(&TAICANG, Store::open_temporary().unwrap(), t_clock);
    let report = import(&t, &docs[..2]);
    assert_eq!(report.rejected, vec![], "{report:?}");
    assert_eq!(
        in_force(&t),
        1,
        "an expired version does not come into force"
    );
    import(&t, &docs);
    assert_eq!(in_force(&t), 3);
}

#[test]
fn a_roster_met_before_the_version_it_follows_waits_for_it() {
    let four = [&TAICANG, &KUNSHAN, &JIADING, &QINGPU];
    let v2 = roster(2, &four, &[&TAICANG, &KUNSHAN]);
    let v3 = roster(3, &four, &[&TAICANG, &KUNSHAN, &JIADING]);
    let k = node(&KUNSHAN);
    k.publish(&v2).unwrap();
    let j = node(&JIADING);
    import(&j, &bundle_of(&k));
    j.publish(&v3).unwrap();
    endorse(&j, "after v3");

    // Jiading's own chain only.
    let own: Vec<Vec<u8>> = bundle_of(&j)
        .into_iter()
        .filter(|d| String::from_utf8_lossy(d).contains("\"issuer\":\"310114\""))
        .collect();
    assert_eq!(own.len(), 3);
    let t = node(&TAICANG);
    let first = import(&t, &own);
    assert_eq!(first.pending, 2, "v3 waits, and what follows it: {first:?}");
    assert_eq!(in_force(&t), 1);
    let second = import(&t, &bundle_of(&k));
    assert_eq!(second.rejected, vec![], "{second:?}");
    assert_eq!(in_force(&t), 3);
    assert_eq!(t.store().pending_count(), 0);
    assert_eq!(t.store().head(&code("310114")).unwrap().unwrap().0, 3);
}

#[test]
fn a_roster_fork_is_evidence_and_its_chain_goes_on() {
    let four = [&TAICANG, &KUNSHAN, &JIADING, &QINGPU];
    let k = node(&KUNSHAN);
    k.publish(&roster(2, &four, &[&TAICANG, &KUNSHAN])).unwrap();
    // Kunshan also approved another version 2, which Jiading publishes.
    let j = node(&JIADING);
    j.publish(&roster(
        2,
        &[&TAICANG, &KUNSHAN, &JIADING],
        &[&KUNSHAN, &JIADING],
    ))
    .unwrap();
    endorse(&j, "after the fork");

    let t = node(&TAICANG);
    import(&t, &bundle_of(&k));
    assert_eq!(in_force(&t), 2);
    let report = import(&t, &bundle_of(&j));
    assert_eq!(report.rejected, vec![], "{report:?}");
    assert_eq!(
        report.accepted, 3,
        "the fork and what follows it are stored"
    );
    let forks = t.store().roster_forks().unwrap();
    assert_eq!(forks.len(), 1);
    assert_eq!(forks[0].fork.version, 2);
    assert!(forks[0].fork.both_approved);
    assert_eq!(forks[0].fork.double_approvers, vec![code("320583")]);
    assert_eq!(evidence_count(&t, "roster_fork"), 1);
    // The version first in force stays; nothing was penalised as refused.
    assert_eq!(in_force(&t), 2);
    assert_eq!(
        t.membership()
            .roster(&AllianceId::new("yrd.tax").unwrap())
            .unwrap()
            .roster
            .members
            .len(),
        4
    );
    // Seen again, it is not recorded twice.
    import(&t, &bundle_of(&j));
    assert_eq!(t.store().roster_forks().unwrap().len(), 1);
    // Taicang itself will not publish the other version 2.
    let err = t
        .publish(&roster(
            2,
            &[&TAICANG, &KUNSHAN, &JIADING],
            &[&KUNSHAN, &JIADING],
        ))
        .unwrap_err();
    assert!(
        matches!(&err, PublishError::Refused(r) if r.reason == Reason::RosterConflict),
        "{err}"
    );
}

#[test]
fn documents_a_removed_member_signed_after_its_recorded_position_are_withdrawn() {
    let j = node(&JIADING);
    let last = endorse(&j, "while a member");
    endorse(&j, "after removal");
    endorse(&j, "after removal, again");
    let t = node(&TAICANG);
    // Taicang receives Jiading's whole chain before the removal reaches it.
    assert_eq!(import(&t, &bundle_of(&j)).accepted, 4);
    let gone = deltabench_model::documents::FormerMember {
        code: code("310114"),
        key: JIADING.key().public_hex(),
        removed_in: 2,
        last_seq: last.seq,
        last_hash: Some(last.hash().clone()),
    };
    let v2 = roster_with(
        2,
        &[&TAICANG, &KUNSHAN],
        &[&TAICANG, &KUNSHAN],
        NOW + 86_400 * 365,
        vec![gone],
    );
    t.publish(&v2).unwrap();
    assert_eq!(in_force(&t), 2);
    assert_eq!(t.store().head(&code("310114")).unwrap().unwrap().0, 2);
    assert_eq!(rejected_count(&t, Reason::NotAMember), 2);
    // Offered again, they are refused.
    let again = import(&t, &bundle_of(&j));
    assert_eq!(again.rejected.len(), 2, "{again:?}");
    assert!(
        again
            .rejected
            .iter()
            .all(|r| r.reason == Reason::NotAMember)
    );
}

#[test]
fn an_alliance_left_in_the_configuration_is_left_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    drop(node_at(&TAICANG, Store::open(dir.path()).unwrap()));
    let clock = Arc::new(FixedClock(AtomicI64::new(NOW)));
    let t = Node::open(
        TAICANG.identity(),
        TAICANG.key(),
        Store::open_waiting(dir.path()).unwrap(),
        vec![],
        Policy::default(),
        clock,
    )
    .unwrap();
    assert_eq!(t.membership().rosters().count(), 0);
    let k = node(&KUNSHAN);
    assert_eq!(
        import(&t, &bundle_of(&k)).rejected[0].reason,
        Reason::NotAMember
    );
}

#[test]
fn an_outsider_cannot_pass_as_a_member_by_carrying_a_roster_that_lists_it() {
    let k = node(&KUNSHAN);
    let honest = endorse(&k, "honest");
    let t = node(&TAICANG);
    import(&t, &bundle_of(&k));
    // An outsider's key under Kunshan's code, carrying an unapproved roster
    // far ahead that lists Kunshan with that key, at a position Kunshan holds
    // and at one it does not.
    let outsider = Party {
        seed: 9,
        code: "320583",
        name: "Kunshan",
    };
    let fake = roster(7, &[&TAICANG, &outsider], &[&outsider]);
    for (seq, prev) in [(2, honest.prev.clone()), (9, Some(honest.hash().clone()))] {
        let header = Header {
            issuer: code("320583"),
            seq,
            prev,
            issued_at: Timestamp::from_unix(NOW).unwrap(),
        };
        let doc = Document::sign(&outsider.key(), header, &fake).unwrap();
        let report = import(&t, &[doc.bytes().to_vec()]);
        assert_eq!(report.rejected[0].reason, Reason::KeyMismatch, "{report:?}");
    }
    assert!(t.store().equivocations().unwrap().is_empty());
    assert_eq!(t.store().pending_count(), 0);
}
