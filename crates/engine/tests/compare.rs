//! The comparison engine on hand-built documents: recognition, flags, chains,
//! supersession, rejection, hand-computed statistics and manifests.

use deltabench_engine::Held;
use deltabench_engine::compare::{Catalogue, Inputs};
use deltabench_engine::recognition::AllianceView;
use deltabench_model::comparison::{Comparison, CompositeSpec, CrosswalkStatus, RowFlag};
use deltabench_model::{
    AllianceId, DocHash, FrameworkId, IndicatorRef, JurisdictionCode, Period, Timestamp,
};
use serde_json::{Value, json};

const A: &str = "320585";
const B: &str = "320583";
const C: &str = "310114";

/// Builds held documents with distinct hashes and per-issuer sequence numbers.
#[derive(Default)]
struct Docs {
    next: u8,
    seqs: std::collections::BTreeMap<String, u64>,
    inputs: Inputs,
}

impl Docs {
    fn held<P: serde::de::DeserializeOwned>(&mut self, issuer: &str, payload: Value) -> Held<P> {
        self.next += 1;
        let seq = self.seqs.entry(issuer.into()).or_insert(1);
        *seq += 1;
        Held {
            hash: DocHash::from_bytes([self.next; 32]),
            issuer: JurisdictionCode::new(issuer).unwrap(),
            seq: *seq,
            issued_at: Timestamp::from_unix(1_750_000_000 + i64::from(self.next)).unwrap(),
            payload: serde_json::from_value(payload).unwrap(),
        }
    }

    fn framework(&mut self, issuer: &str, id: &str, owner: Value, indicators: Value) {
        let f = self.held(
            issuer,
            json!({"id": id, "version": "1.0.0", "owner": owner, "name_zh": "框架",
                   "name_en": "Framework", "periods": ["2024", "2025"], "indicators": indicators}),
        );
        self.inputs.frameworks.push(f);
    }

    fn summary(
        &mut self,
        issuer: &str,
        framework: &str,
        period: &str,
        values: &[(&str, f64)],
    ) -> DocHash {
        let indicators: Vec<Value> = values
            .iter()
            .map(|(c, v)| json!({"indicator": c, "value": v, "contributors": 5}))
            .collect();
        let s: Held<_> = self.held(
            issuer,
            json!({"framework": framework, "version": "1.0.0", "period": period, "k": 3,
                   "indicators": indicators}),
        );
        let h = s.hash.clone();
        self.inputs.summaries.push(s);
        h
    }

    /// A crosswalk `id` of `route` = (source, versions, target).
    fn crosswalk(
        &mut self,
        issuer: &str,
        id: &str,
        version: u32,
        route: (&str, &str, &str),
        relation: &str,
        transform: Value,
    ) -> DocHash {
        let (source, versions, target) = route;
        let (fw, code) = source.split_once('/').unwrap();
        let c: Held<_> = self.held(
            issuer,
            json!({"id": id, "version": version,
                   "source": {"framework": fw, "versions": versions, "indicator": code},
                   "target": target, "relation": relation, "transform": transform,
                   "justification": "same definition", "confidence": 0.9}),
        );
        let h = c.hash.clone();
        self.inputs.crosswalks.push(c);
        h
    }

    fn endorse(&mut self, issuer: &str, id: &str, hash: &DocHash, decision: &str) -> DocHash {
        let e: Held<_> = self.held(
            issuer,
            json!({"crosswalk": id, "crosswalk_hash": hash, "decision": decision}),
        );
        let h = e.hash.clone();
        self.inputs.endorsements.push(e);
        h
    }
}

fn ind(code: &str, unit: &str, direction: &str) -> Value {
    json!({"code": code, "name_zh": code, "name_en": code, "dimension": "tax", "unit": unit,
           "direction": direction, "aggregation": {"rule": "mean"},
           "range": {"min": 0, "max": if unit == "ratio" { 1 } else { 100 }}})
}

/// Three members of yrd.tax (quorum 2); each reports the on-time rate in its
/// own framework (A as a ratio); crosswalks xa, xb, xc onto yrd.tax/rate,
/// accepted by their source owner and by all three members.
struct World {
    docs: Docs,
    xa: DocHash,
    xb: DocHash,
    xc: DocHash,
    /// B's acceptance of xb.
    b_accepts_xb: DocHash,
}

fn world() -> World {
    let mut d = Docs::default();
    d.inputs.alliances.push(AllianceView {
        id: AllianceId::new("yrd.tax").unwrap(),
        version: 1,
        members: [A, B, C]
            .iter()
            .map(|c| JurisdictionCode::new(*c).unwrap())
            .collect(),
        reference_framework: Some(FrameworkId::new("yrd.tax").unwrap()),
        recognition_quorum: Some(2),
        digest: "roster-v1".into(),
    });
    d.framework(
        A,
        "yrd.tax",
        json!({"alliance": "yrd.tax"}),
        json!([
            ind("rate", "%", "higher_is_better"),
            ind("days", "days", "lower_is_better")
        ]),
    );
    d.framework(
        A,
        "a.fw",
        json!({"jurisdiction": A}),
        json!([ind("rate_ratio", "ratio", "higher_is_better")]),
    );
    d.framework(
        B,
        "b.fw",
        json!({"jurisdiction": B}),
        json!([ind("rate_pct", "%", "higher_is_better")]),
    );
    d.framework(
        C,
        "c.fw",
        json!({"jurisdiction": C}),
        json!([ind("rate_pct", "%", "higher_is_better")]),
    );
    d.summary(A, "a.fw", "2024", &[("rate_ratio", 0.90)]);
    d.summary(B, "b.fw", "2024", &[("rate_pct", 96.0)]);
    d.summary(C, "c.fw", "2024", &[("rate_pct", 91.0)]);
    d.summary(A, "a.fw", "2025", &[("rate_ratio", 0.95)]);
    d.summary(B, "b.fw", "2025", &[("rate_pct", 97.0)]);
    d.summary(C, "c.fw", "2025", &[("rate_pct", 90.0)]);
    let unit = json!([{"op": "unit", "from": "ratio", "to": "%"}]);
    let xa = d.crosswalk(
        A,
        "xa",
        1,
        ("a.fw/rate_ratio", "^1", "yrd.tax/rate"),
        "exact",
        unit,
    );
    let xb = d.crosswalk(
        A,
        "xb",
        1,
        ("b.fw/rate_pct", "^1", "yrd.tax/rate"),
        "exact",
        json!([]),
    );
    let xc = d.crosswalk(
        A,
        "xc",
        1,
        ("c.fw/rate_pct", "^1", "yrd.tax/rate"),
        "exact",
        json!([]),
    );
    let mut b_accepts_xb = None;
    for (id, h) in [("xa", &xa), ("xb", &xb), ("xc", &xc)] {
        for m in [A, B, C] {
            let e = d.endorse(m, id, h, "accept");
            if m == B && id == "xb" {
                b_accepts_xb = Some(e);
            }
        }
    }
    World {
        docs: d,
        xa,
        xb,
        xc,
        b_accepts_xb: b_accepts_xb.unwrap(),
    }
}

fn rate() -> IndicatorRef {
    IndicatorRef::parse("yrd.tax/rate").unwrap()
}

fn y2025() -> Period {
    Period::parse("2025").unwrap()
}

fn compare(inputs: Inputs, include_flagged: bool) -> Comparison {
    Catalogue::build(inputs)
        .compare(&rate(), y2025(), include_flagged)
        .unwrap()
}

fn row<'a>(c: &'a Comparison, code: &str) -> &'a deltabench_model::comparison::ComparisonRow {
    c.rows
        .iter()
        .find(|r| r.jurisdiction.as_str() == code)
        .unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn hand_computed_comparison() {
    let w = world();
    let c = compare(w.docs.inputs.clone(), false);
    // 2025 values in %: A 0.95 × 100 = 95, B 97, C 90.
    // Ranks (higher is better): B 1, A 2, C 3.
    // mean 94; deviations A +1, B +3, C −4; population variance
    // (1 + 9 + 16) / 3 = 26/3, sd = 2.943920288775949.
    // z: A 1/sd = 0.3396831102433787, B 3/sd = 1.0190493307301360,
    //    C −4/sd = −1.3587324409735149.
    // min-max: A (95 − 90)/(97 − 90) × 100 = 71.42857142857143, B 100, C 0.
    // distance to frontier (97): A 2, B 0, C 7. Median 95.
    // change from 2024: A 95 − 90 = 5, B 97 − 96 = 1, C 90 − 91 = −1.
    let order: Vec<&str> = c.rows.iter().map(|r| r.jurisdiction.as_str()).collect();
    assert_eq!(order, [B, A, C]);
    let sd = (26.0_f64 / 3.0).sqrt();
    for (code, value, rank, z, mm, dist, change) in [
        (A, 95.0, 1 + 1, 1.0 / sd, 500.0 / 7.0, 2.0, 5.0),
        (B, 97.0, 1, 3.0 / sd, 100.0, 0.0, 1.0),
        (C, 90.0, 3, -4.0 / sd, 0.0, 7.0, -1.0),
    ] {
        let r = row(&c, code);
        close(r.value.get(), value);
        assert_eq!(r.rank, Some(rank), "{code}");
        close(r.z_score.unwrap().get(), z);
        close(r.minmax.unwrap().get(), mm);
        close(r.distance_to_frontier.unwrap().get(), dist);
        close(r.change.unwrap().get(), change);
        close(r.peer_median.unwrap().get(), 95.0);
        assert!(r.flags.is_empty());
        assert!(r.crosswalk.as_ref().unwrap().recognised);
    }
    close(row(&c, A).source_value.get(), 0.95);
    assert_eq!(row(&c, A).crosswalk.as_ref().unwrap().hash, w.xa);
    close(c.frontier.unwrap().get(), 97.0);
    assert_eq!(c.unit, "%");
    assert!(c.missing.is_empty());
    // Inputs: the reference framework, 3 source frameworks, 6 summaries,
    // 3 crosswalks and their 9 endorsements.
    assert_eq!(c.inputs.len(), 1 + 3 + 6 + 3 + 9);
}

#[test]
fn removing_one_endorsement_flags_that_row_and_changes_the_ranking() {
    let w = world();
    let full = compare(w.docs.inputs.clone(), false);
    let mut without = w.docs.inputs.clone();
    without.endorsements.retain(|e| e.hash != w.b_accepts_xb);
    let c = compare(without.clone(), false);
    let b = row(&c, B);
    assert_eq!(b.flags, vec![RowFlag::Unrecognised]);
    assert_eq!(b.rank, None);
    assert_eq!(
        b.crosswalk.as_ref().unwrap().status,
        CrosswalkStatus::Pending
    );
    // A is now first: 95 against C's 90.
    assert_eq!(row(&c, A).rank, Some(1));
    assert_eq!(row(&c, C).rank, Some(2));
    assert_ne!(row(&full, A).rank, row(&c, A).rank);
    assert_ne!(full.manifest, c.manifest);
    // The caller may ask for flagged rows: then B ranks again.
    let flagged = compare(without, true);
    assert_eq!(row(&flagged, B).rank, Some(1));
    assert_eq!(row(&flagged, B).flags, vec![RowFlag::Unrecognised]);
}

#[test]
fn a_rejection_stops_the_crosswalk_being_used() {
    let mut w = world();
    // B withdraws its acceptance: its later decision counts.
    w.docs.endorse(B, "xb", &w.xb.clone(), "reject");
    let cat = Catalogue::build(w.docs.inputs.clone());
    let rec = cat.crosswalks().iter().find(|r| r.hash == w.xb).unwrap();
    assert_eq!(rec.status, CrosswalkStatus::Rejected);
    let c = cat.compare(&rate(), y2025(), true).unwrap();
    assert!(c.rows.iter().all(|r| r.jurisdiction.as_str() != B));
    assert!(c.missing[0].reason.contains("rejected"), "{:?}", c.missing);
}

#[test]
fn quorum_and_owner_rules() {
    let mut w = world();
    // Only the target side's quorum, not the source owner: pending.
    let mut d = Docs {
        next: 200,
        ..Default::default()
    };
    std::mem::swap(&mut d.inputs, &mut w.docs.inputs);
    d.inputs
        .endorsements
        .retain(|e| !(e.payload.crosswalk.as_str() == "xc" && e.issuer.as_str() == C));
    let cat = Catalogue::build(d.inputs.clone());
    let xc = cat.crosswalks().iter().find(|r| r.hash == w.xc).unwrap();
    assert_eq!(xc.status, CrosswalkStatus::Pending);
    assert!(xc.why.contains("310114 accepts"), "{}", xc.why);
    // Two members reject: the quorum of 2 out of 3 can no longer be met.
    let xa = w.xa.clone();
    d.inputs
        .endorsements
        .retain(|e| e.payload.crosswalk.as_str() != "xa");
    d.endorse(A, "xa", &xa, "accept");
    d.endorse(B, "xa", &xa, "reject");
    let cat = Catalogue::build(d.inputs.clone());
    let rec = cat.crosswalks().iter().find(|r| r.hash == xa).unwrap();
    assert_eq!(
        rec.status,
        CrosswalkStatus::Pending,
        "one rejection of three"
    );
    d.endorse(C, "xa", &xa, "reject");
    let cat = Catalogue::build(d.inputs.clone());
    let rec = cat.crosswalks().iter().find(|r| r.hash == xa).unwrap();
    assert_eq!(rec.status, CrosswalkStatus::Rejected, "{}", rec.why);
}

#[test]
fn a_newer_version_supersedes_and_needs_its_own_endorsements() {
    let mut w = world();
    let unit = json!([{"op": "linear", "scale": 100, "offset": 0}]);
    let v2 = w.docs.crosswalk(
        A,
        "xa",
        2,
        ("a.fw/rate_ratio", "^1", "yrd.tax/rate"),
        "exact",
        unit,
    );
    let cat = Catalogue::build(w.docs.inputs.clone());
    let old = cat.crosswalks().iter().find(|r| r.hash == w.xa).unwrap();
    assert_eq!(old.status, CrosswalkStatus::Superseded);
    assert_eq!(old.superseded_by.as_ref(), Some(&v2));
    let c = cat.compare(&rate(), y2025(), false).unwrap();
    let a = row(&c, A);
    assert_eq!(a.flags, vec![RowFlag::Unrecognised]);
    assert_eq!(a.crosswalk.as_ref().unwrap().version, 2);
    // Another issuer cannot take over the id.
    w.docs.crosswalk(
        B,
        "xa",
        3,
        ("a.fw/rate_ratio", "^1", "yrd.tax/rate"),
        "exact",
        json!([]),
    );
    let cat = Catalogue::build(w.docs.inputs.clone());
    let c = cat.compare(&rate(), y2025(), false).unwrap();
    assert_eq!(row(&c, A).crosswalk.as_ref().unwrap().version, 2);
}

#[test]
fn versions_relations_and_chains() {
    // A framework version outside the crosswalk's range is flagged.
    let mut w = world();
    w.docs.inputs.crosswalks.iter_mut().for_each(|c| {
        if c.payload.id.as_str() == "xa" {
            c.payload.source.versions = "^2".parse().unwrap();
        }
    });
    let c = compare(w.docs.inputs.clone(), false);
    assert_eq!(row(&c, A).flags, vec![RowFlag::VersionOutOfRange]);

    // Without a direct crosswalk, C reaches the reference through an exact,
    // recognised crosswalk onto B's indicator and B's onto the reference.
    let mut w = world();
    let xc = w.xc.clone();
    w.docs.inputs.crosswalks.retain(|c| c.hash != xc);
    let chain = w.docs.crosswalk(
        C,
        "c_to_b",
        1,
        ("c.fw/rate_pct", "^1", "b.fw/rate_pct"),
        "exact",
        json!([]),
    );
    w.docs.endorse(C, "c_to_b", &chain, "accept");
    w.docs.endorse(B, "c_to_b", &chain, "accept");
    let c = compare(w.docs.inputs.clone(), false);
    let r = row(&c, C);
    assert!(r.flags.is_empty());
    let used = r.crosswalk.as_ref().unwrap();
    assert_eq!(used.hash, chain);
    assert_eq!(used.via.len(), 1);
    assert_eq!(used.via[0].hash, w.xb);
    // Not along a close relation.
    for cw in w.docs.inputs.crosswalks.iter_mut() {
        if cw.hash == chain {
            cw.payload.relation = deltabench_model::documents::Relation::Close;
        }
    }
    let c = compare(w.docs.inputs.clone(), true);
    assert!(c.rows.iter().all(|r| r.jurisdiction.as_str() != C));
    assert!(c.missing.iter().any(|m| m.jurisdiction.as_str() == C));
}

#[test]
fn the_manifest_depends_on_inputs_not_on_their_order() {
    let w = world();
    let c = compare(w.docs.inputs.clone(), false);
    let mut shuffled = w.docs.inputs.clone();
    shuffled.summaries.reverse();
    shuffled.crosswalks.reverse();
    shuffled.endorsements.reverse();
    shuffled.frameworks.reverse();
    assert_eq!(compare(shuffled, false), c);
    // A document that is not an input leaves it unchanged...
    let mut more = w.docs;
    more.summary(A, "a.fw", "2021", &[("rate_ratio", 0.5)]);
    assert_eq!(compare(more.inputs.clone(), false).manifest, c.manifest);
    // ...and the parameters are part of it.
    assert_ne!(compare(more.inputs, true).manifest, c.manifest);
}

#[test]
fn composites_over_the_catalogue_are_reproducible() {
    let w = world();
    let cat = Catalogue::build(w.docs.inputs);
    let spec: CompositeSpec = serde_json::from_value(json!({"period": "2025",
        "indicators": [{"indicator": "yrd.tax/rate", "weight": 1}], "draws": 200, "seed": 3}))
    .unwrap();
    let a = cat.composite(&spec).unwrap();
    assert_eq!(a, cat.composite(&spec).unwrap());
    // One indicator, min-max: the index is the min-max score.
    let order: Vec<(&str, u32)> = a
        .rows
        .iter()
        .map(|r| (r.jurisdiction.as_str(), r.rank))
        .collect();
    assert_eq!(order, [(B, 1), (A, 2), (C, 3)]);
    close(a.rows[1].index.get(), 500.0 / 7.0);
    // A lone indicator's weight perturbation cannot change the order.
    assert!(a.rows.iter().all(|r| r.rank_interval == [r.rank, r.rank]));
    // An indicator nobody reports gives a clear error, not a panic.
    let bad: CompositeSpec = serde_json::from_value(json!({"period": "2025",
        "indicators": [{"indicator": "yrd.tax/nothing", "weight": 1}]}))
    .unwrap();
    assert!(cat.composite(&bad).is_err());
}

#[test]
fn valid_periods_cover_whole_periods() {
    use deltabench_engine::compare::period_within;
    let p = |s: &str| Period::parse(s).unwrap();
    assert!(period_within(None, Some(p("2025")), p("2025-Q3")));
    assert!(period_within(Some(p("2025")), None, p("2025-12")));
    assert!(!period_within(None, Some(p("2025-Q1")), p("2025")));
    assert!(period_within(Some(p("2025-H2")), None, p("2025-Q3")));
    assert!(!period_within(Some(p("2025-H2")), None, p("2025-Q2")));
    assert!(!period_within(Some(p("2024")), Some(p("2024")), p("2025")));
    assert!(period_within(None, None, p("1999-07")));
}

#[test]
fn a_framework_id_cannot_be_taken_over() {
    let mut w = world();
    let before = compare(w.docs.inputs.clone(), false);
    // C claims the alliance's reference framework and A's framework as its own.
    w.docs.framework(
        C,
        "yrd.tax",
        json!({"jurisdiction": C}),
        json!([ind("rate", "%", "lower_is_better")]),
    );
    w.docs.framework(
        C,
        "a.fw",
        json!({"jurisdiction": C}),
        json!([ind("rate_ratio", "ratio", "higher_is_better")]),
    );
    let cat = Catalogue::build(w.docs.inputs.clone());
    assert_eq!(
        cat.owners()[&FrameworkId::new("yrd.tax").unwrap()],
        deltabench_model::documents::Owner::Alliance(AllianceId::new("yrd.tax").unwrap())
    );
    assert_eq!(
        cat.owners()[&FrameworkId::new("a.fw").unwrap()],
        deltabench_model::documents::Owner::Jurisdiction(JurisdictionCode::new(A).unwrap())
    );
    assert_eq!(cat.compare(&rate(), y2025(), false).unwrap(), before);
}

#[test]
fn a_change_is_not_taken_from_a_flagged_previous_value() {
    let mut w = world();
    // xa holds from 2025; a pending crosswalk xa_old maps A's 2024 value.
    for c in w.docs.inputs.crosswalks.iter_mut() {
        if c.hash == w.xa {
            c.payload.valid_from = Some(Period::parse("2025").unwrap());
        }
    }
    let unit = json!([{"op": "unit", "from": "ratio", "to": "%"}]);
    w.docs.crosswalk(
        A,
        "xa_old",
        1,
        ("a.fw/rate_ratio", "^1", "yrd.tax/rate"),
        "exact",
        unit,
    );
    let c = compare(w.docs.inputs.clone(), false);
    let a = row(&c, A);
    assert!(a.flags.is_empty());
    assert_eq!((a.previous_value, a.change), (None, None));
    let c = compare(w.docs.inputs.clone(), true);
    close(row(&c, A).change.unwrap().get(), 5.0);
}

#[test]
fn the_manifest_covers_the_rosters_consulted() {
    let w = world();
    let c = compare(w.docs.inputs.clone(), false);
    // Another alliance of the node that owns nothing used: same manifest.
    let mut other = w.docs.inputs.clone();
    other.alliances.push(AllianceView {
        id: AllianceId::new("other.one").unwrap(),
        version: 4,
        members: vec![JurisdictionCode::new(A).unwrap()],
        reference_framework: None,
        recognition_quorum: None,
        digest: "other".into(),
    });
    assert_eq!(compare(other, false).manifest, c.manifest);
    // Another version of the group's roster: another manifest.
    let mut next = w.docs.inputs.clone();
    next.alliances[0].version = 2;
    next.alliances[0].digest = "roster-v2".into();
    assert_ne!(compare(next, false).manifest, c.manifest);
}

#[test]
fn a_member_without_the_mapped_value_is_told_why() {
    let mut w = world();
    w.docs.summary(B, "b.fw", "2025", &[("other", 1.0)]);
    let c = compare(w.docs.inputs, false);
    let m = c
        .missing
        .iter()
        .find(|m| m.jurisdiction.as_str() == B)
        .unwrap();
    assert!(m.reason.contains("has no value"), "{}", m.reason);
}
