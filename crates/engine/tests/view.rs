//! The incremental view against the catalogue built from scratch: random
//! federations (rival framework claims, several versions, crosswalk ids
//! reused by other issuers, chains, rejections, endorsements before their
//! crosswalk, rosters changing midway), their documents applied one at a
//! time in random orders. Every answer must serialise to the same bytes,
//! manifests included; so must an answer kept in a cache and amended with
//! the endorsements it gained.

use deltabench_engine::Held;
use deltabench_engine::answer;
use deltabench_engine::compare::{Catalogue, Inputs};
use deltabench_engine::recognition::AllianceView;
use deltabench_engine::view::{Deps, Doc, Revalidation, View};
use deltabench_model::comparison::CompositeSpec;
use deltabench_model::{
    AllianceId, DocHash, FrameworkId, IndicatorRef, JurisdictionCode, Period, Timestamp,
};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CODES: [&str; 6] = ["320585", "320583", "310114", "320506", "330100", "340100"];
const PERIODS: [&str; 3] = ["2023", "2024", "2025"];

struct Gen {
    rng: ChaCha8Rng,
    n: u64,
    seqs: Vec<u64>,
    docs: Vec<Doc>,
    /// (id, hash, the codes owning its sides when jurisdictions own them)
    crosswalks: Vec<(String, DocHash, Vec<usize>)>,
}

impl Gen {
    fn held<P: serde::de::DeserializeOwned>(&mut self, issuer: usize, payload: Value) -> Held<P> {
        self.n += 1;
        self.seqs[issuer] += 1;
        let hash: [u8; 32] = Sha256::digest(self.n.to_be_bytes()).into();
        Held {
            hash: DocHash::from_bytes(hash),
            issuer: JurisdictionCode::new(CODES[issuer]).unwrap(),
            seq: self.seqs[issuer],
            // Some documents share an issue time, so ties fall to the hash.
            issued_at: Timestamp::from_unix(1_750_000_000 + self.rng.random_range(0..40)).unwrap(),
            payload: serde_json::from_value(payload).unwrap(),
        }
    }

    fn who(&mut self) -> usize {
        self.rng.random_range(0..CODES.len())
    }
}

fn indicator(code: &str, unit: &str, lower: bool) -> Value {
    json!({"code": code, "name_zh": code, "name_en": code, "dimension": "tax", "unit": unit,
           "direction": if lower { "lower_is_better" } else { "higher_is_better" },
           "aggregation": {"rule": "mean"},
           "range": {"min": 0, "max": if unit == "ratio" { 1 } else { 100 }}})
}

/// Framework ids: two alliance reference frameworks and one per code.
fn framework_ids() -> Vec<(String, Value, &'static str, &'static str)> {
    let mut out = vec![
        ("ref.a".to_string(), json!({"alliance": "all.a"}), "r", "%"),
        ("ref.b".to_string(), json!({"alliance": "all.b"}), "r", "%"),
    ];
    for (i, c) in CODES.iter().enumerate() {
        let unit = if i % 2 == 0 { "ratio" } else { "%" };
        out.push((format!("j{i}.fw"), json!({"jurisdiction": c}), "i", unit));
    }
    out
}

fn alliance(rng: &mut ChaCha8Rng, id: &str, version: u64) -> AllianceView {
    let mut members: Vec<JurisdictionCode> = CODES
        .iter()
        .filter(|_| rng.random_bool(0.7))
        .map(|c| JurisdictionCode::new(*c).unwrap())
        .collect();
    if members.is_empty() {
        members.push(JurisdictionCode::new(CODES[0]).unwrap());
    }
    let quorum = if rng.random_bool(0.5) {
        None
    } else {
        Some(rng.random_range(1..=members.len() as u32))
    };
    AllianceView {
        id: AllianceId::new(id).unwrap(),
        version,
        members,
        reference_framework: Some(FrameworkId::new(id.replace("all", "ref")).unwrap()),
        recognition_quorum: quorum,
        digest: format!("{id}-v{version}"),
    }
}

fn generate(seed: u64) -> (Vec<Doc>, Vec<AllianceView>, Vec<AllianceView>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let early = vec![
        alliance(&mut rng, "all.a", 1),
        alliance(&mut rng, "all.b", 1),
    ];
    let mut late = vec![alliance(&mut rng, "all.a", 2)];
    if rng.random_bool(0.7) {
        late.push(alliance(&mut rng, "all.b", 2));
    }
    let mut g = Gen {
        rng,
        n: 0,
        seqs: vec![0; CODES.len()],
        docs: Vec::new(),
        crosswalks: Vec::new(),
    };
    let ids = framework_ids();
    // Frameworks: usually by the owner, sometimes a rival claim by another
    // issuer; some ids in two major versions.
    for (id, owner, prefix, unit) in &ids {
        let claims = g.rng.random_range(1..=2);
        for _ in 0..claims {
            let issuer = match owner.get("jurisdiction").and_then(Value::as_str) {
                Some(c) if g.rng.random_bool(0.8) => CODES.iter().position(|x| x == &c).unwrap(),
                _ => g.who(),
            };
            let major = g.rng.random_range(1..=2);
            let n_ind = if major == 1 { 3 } else { 4 };
            let indicators: Vec<Value> = (0..n_ind)
                .map(|k| indicator(&format!("{prefix}{k}"), unit, k == 1))
                .collect();
            let f = g.held(
                issuer,
                json!({"id": id, "version": format!("{major}.0.0"), "owner": owner,
                       "name_zh": "框架", "name_en": "framework",
                       "periods": ["2023", "2024", "2025"], "indicators": indicators}),
            );
            g.docs.push(Doc::Framework(f));
        }
    }
    // Summaries, some superseded by a later one of the same slot.
    for _ in 0..g.rng.random_range(20..70) {
        let issuer = g.who();
        let (id, _, prefix, unit) = if g.rng.random_bool(0.2) {
            ids[g.rng.random_range(0..2)].clone()
        } else if g.rng.random_bool(0.9) {
            ids[2 + issuer].clone()
        } else {
            ids[g.rng.random_range(0..ids.len())].clone()
        };
        let scale = if unit == "ratio" { 1.0 } else { 100.0 };
        let chosen: Vec<usize> = (0..4).filter(|_| g.rng.random_bool(0.8)).collect();
        let indicators: Vec<Value> = chosen
            .into_iter()
            .map(|k| {
                let v = if g.rng.random_bool(0.1) {
                    Value::Null
                } else if g.rng.random_bool(0.05) {
                    json!(scale * 1.5)
                } else {
                    json!((g.rng.random_range(0..1000) as f64) / 1000.0 * scale)
                };
                json!({"indicator": format!("{prefix}{k}"), "value": v, "contributors": 5})
            })
            .collect();
        let period = PERIODS[g.rng.random_range(0..PERIODS.len())];
        let version = if g.rng.random_bool(0.8) {
            "1.0.0"
        } else {
            "2.0.0"
        };
        let s = g.held(
            issuer,
            json!({"framework": id, "version": version, "period": period, "k": 3,
                   "indicators": indicators}),
        );
        g.docs.push(Doc::Summary(s));
    }
    // Crosswalks: onto reference indicators, between jurisdictions (for
    // chains), some ids reused by other issuers or in later versions.
    for _ in 0..g.rng.random_range(10..45) {
        let issuer = g.who();
        let from = 2 + g.rng.random_range(0..CODES.len());
        let (sid, _, sp, sunit) = ids[from].clone();
        let tid_ix = if g.rng.random_bool(0.7) {
            g.rng.random_range(0..2)
        } else {
            2 + g.rng.random_range(0..CODES.len())
        };
        let (tid, _, tp, tunit) = ids[tid_ix].clone();
        if sid == tid {
            continue;
        }
        let transform = if sunit == tunit {
            if g.rng.random_bool(0.2) {
                json!([{"op": "linear", "scale": 1.0, "offset": 0.5}])
            } else {
                json!([])
            }
        } else {
            json!([{"op": "unit", "from": sunit, "to": tunit}])
        };
        let id = format!("x{}", g.rng.random_range(0..60));
        let confidence = [0.5, 0.8, 0.9][g.rng.random_range(0..3)];
        let mut c = json!({"id": id, "version": if g.rng.random_bool(0.7) { 1 } else { g.rng.random_range(2..=3) },
            "source": {"framework": sid, "versions": if g.rng.random_bool(0.85) { "^1" } else { "^2" },
                       "indicator": format!("{sp}{}", g.rng.random_range(0..3))},
            "target": format!("{tid}/{tp}{}", g.rng.random_range(0..3)),
            "relation": if g.rng.random_bool(0.8) { "exact" } else { "close" },
            "transform": transform, "justification": "same definition",
            "confidence": confidence});
        if g.rng.random_bool(0.15) {
            c["valid_from"] = json!("2024");
        }
        if g.rng.random_bool(0.1) {
            c["valid_to"] = json!("2024");
        }
        let held: Held<deltabench_model::documents::Crosswalk> = g.held(issuer, c);
        let owners: Vec<usize> = [from, tid_ix]
            .into_iter()
            .filter(|&i| i >= 2)
            .map(|i| i - 2)
            .collect();
        g.crosswalks.push((id, held.hash.clone(), owners));
        g.docs.push(Doc::Crosswalk(held));
    }
    // Endorsements: most crosswalks are endorsed by their jurisdiction
    // owners and some members; a few name the wrong id or a document never
    // held; later ones withdraw earlier ones.
    let mut plan: Vec<(usize, usize)> = Vec::new();
    for (k, (_, _, owners)) in g.crosswalks.iter().enumerate() {
        if g.rng.random_bool(0.8) {
            plan.extend(owners.iter().map(|&o| (k, o)));
            for _ in 0..g.rng.random_range(0..5) {
                plan.push((k, g.rng.random_range(0..CODES.len())));
            }
        }
    }
    for _ in 0..g.rng.random_range(0..20) {
        if g.crosswalks.is_empty() {
            break;
        }
        plan.push((g.rng.random_range(0..g.crosswalks.len()), g.who()));
    }
    plan.shuffle(&mut g.rng);
    for (k, issuer) in plan {
        let (mut id, mut hash, _) = g.crosswalks[k].clone();
        if g.rng.random_bool(0.03) {
            id = "x99".into();
        }
        if g.rng.random_bool(0.03) {
            hash = DocHash::from_bytes([0xee; 32]);
        }
        let decision = if g.rng.random_bool(0.9) {
            "accept"
        } else {
            "reject"
        };
        let e = g.held(
            issuer,
            json!({"crosswalk": id, "crosswalk_hash": hash, "decision": decision}),
        );
        g.docs.push(Doc::Endorsement(e));
    }
    (g.docs, early, late)
}

fn inputs(docs: &[Doc], alliances: Vec<AllianceView>) -> Inputs {
    let mut out = Inputs {
        alliances,
        ..Default::default()
    };
    for d in docs {
        match d.clone() {
            Doc::Framework(f) => out.frameworks.push(f),
            Doc::Summary(s) => out.summaries.push(s),
            Doc::Crosswalk(c) => out.crosswalks.push(c),
            Doc::Endorsement(e) => out.endorsements.push(e),
        }
    }
    out
}

fn bytes<T: serde::Serialize, E: std::fmt::Display>(r: Result<T, E>) -> String {
    match r {
        Ok(v) => serde_json::to_string(&v).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

/// Every question the API asks of the engine, answered by both.
fn assert_same(view: &View, oracle: &Catalogue, context: &str) {
    assert_eq!(
        serde_json::to_string(&view.crosswalks()).unwrap(),
        serde_json::to_string(oracle.crosswalks()).unwrap(),
        "crosswalk records differ ({context})"
    );
    assert_eq!(view.periods(), oracle.periods(), "periods ({context})");
    assert_eq!(view.owners(), oracle.owners(), "owners ({context})");
    let mut refs = Vec::new();
    for (id, _, prefix, _) in framework_ids() {
        let fw = FrameworkId::new(&id).unwrap();
        assert_eq!(
            view.framework_versions(&fw)
                .iter()
                .map(|f| f.as_ref().clone())
                .collect::<Vec<_>>(),
            oracle.framework_versions(&fw),
            "versions of {id} ({context})"
        );
        for k in 0..5 {
            refs.push(IndicatorRef::parse(&format!("{id}/{prefix}{k}")).unwrap());
        }
    }
    for r in &refs {
        for p in PERIODS {
            let p = Period::parse(p).unwrap();
            for flagged in [false, true] {
                assert_eq!(
                    bytes(view.compare(r, p, flagged)),
                    bytes(oracle.compare(r, p, flagged)),
                    "comparison of {r} in {p}, include_flagged {flagged} ({context})"
                );
            }
        }
    }
    let spec: CompositeSpec = serde_json::from_value(json!({"period": "2025",
        "indicators": [{"indicator": "ref.a/r0", "weight": 2}, {"indicator": "ref.a/r1", "weight": 1}],
        "missing": "reweight", "draws": 50}))
    .unwrap();
    assert_eq!(
        bytes(view.composite(&spec)),
        bytes(oracle.composite(&spec)),
        "composite ({context})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// One document at a time in a random order, the rosters changing
    /// midway, gives what a full build of the same documents gives; so does
    /// the view's own bulk build.
    #[test]
    fn the_incremental_view_answers_as_a_full_build(seed in any::<u64>()) {
        let (mut docs, early, late) = generate(seed);
        let oracle = Catalogue::build(inputs(&docs, late.clone()));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        docs.shuffle(&mut rng);
        let cut = rng.random_range(0..=docs.len());
        let mut view = View::new(early.clone());
        for d in &docs[..cut] {
            view.apply(d.clone());
        }
        // Halfway, the view also agrees with a full build of what it holds.
        let half = Catalogue::build(inputs(&docs[..cut], early));
        assert_same(&view, &half, "halfway, early rosters");
        view.set_alliances(late.clone());
        for d in &docs[cut..] {
            view.apply(d.clone());
        }
        assert_eq!(view.documents(), docs.len());
        assert_same(&view, &oracle, "incremental");
        let built = View::build(inputs(&docs, late));
        assert_same(&built, &oracle, "bulk build");
    }
}

/// A cached answer stays valid while nothing it read changes, and stops
/// being valid when a document it depends on arrives.
#[test]
fn stamps_tell_when_a_cached_answer_is_stale() {
    let (docs, _, late) = (0..200u64)
        .map(generate)
        .find(|(docs, _, late)| {
            let v = View::build(inputs(docs, late.clone()));
            let r = IndicatorRef::parse("ref.a/r0").unwrap();
            v.compare(&r, Period::parse("2025").unwrap(), true)
                .is_ok_and(|c| !c.rows.is_empty())
        })
        .expect("a seed with rows");
    let r = IndicatorRef::parse("ref.a/r0").unwrap();
    let p = Period::parse("2025").unwrap();
    let mut view = View::build(inputs(&docs, late.clone()));
    let (first, deps) = view.compare_with_deps(&r, p, true).unwrap();
    assert!(view.still_valid(&deps));
    // A summary for another period leaves it valid.
    let other = docs
        .iter()
        .find_map(|d| match d {
            Doc::Summary(s) if s.payload.period == Period::parse("2023").unwrap() => {
                Some(s.clone())
            }
            _ => None,
        })
        .expect("a 2023 summary");
    let mut newer = other.clone();
    newer.seq += 1000;
    newer.hash = DocHash::from_bytes([0xa1; 32]);
    view.apply(Doc::Summary(newer));
    assert!(
        view.still_valid(&deps),
        "a 2023 summary does not touch 2025"
    );
    // A newer summary for a row of the answer makes it stale.
    let row = &first.rows[0];
    let Some(Doc::Summary(s)) = docs
        .iter()
        .find(|d| matches!(d, Doc::Summary(s) if s.hash == row.document))
    else {
        panic!("the row's summary is among the documents");
    };
    let mut newer = s.clone();
    newer.seq += 1000;
    newer.hash = DocHash::from_bytes([0xa2; 32]);
    view.apply(Doc::Summary(newer));
    assert!(!view.still_valid(&deps), "the row's summary was replaced");
    let (again, deps) = view.compare_with_deps(&r, p, true).unwrap();
    assert_ne!(again.manifest, first.manifest);
    // A roster change makes every answer stale.
    view.set_alliances(late);
    assert!(!view.still_valid(&deps));
}

/// What a cache holding one answer per question sees as documents arrive
/// one at a time: an answer [`View::revalidate`] calls the same must be the
/// bytes computed afresh, and one amended with the endorsements it gained
/// ([`answer::with_inputs`]) too. Returns how often each happened.
fn cache_through(seed: u64) -> (usize, usize, usize) {
    let (mut docs, early, late) = generate(seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xcace);
    docs.shuffle(&mut rng);
    let cut = rng.random_range(0..=docs.len());
    let p = Period::parse("2025").unwrap();
    let questions: Vec<(IndicatorRef, bool)> = framework_ids()
        .into_iter()
        .flat_map(|(id, _, prefix, _)| {
            (0..4).map(move |k| IndicatorRef::parse(&format!("{id}/{prefix}{k}")).unwrap())
        })
        .flat_map(|r| [(r.clone(), false), (r, true)])
        .collect();
    let mut view = View::new(early);
    let mut cache: Vec<Option<(Deps, Vec<u8>)>> = vec![None; questions.len()];
    let (mut same, mut amended, mut stale) = (0, 0, 0);
    for (k, d) in docs.iter().enumerate() {
        if k == cut {
            view.set_alliances(late.clone());
        }
        view.apply(d.clone());
        for ((r, flagged), slot) in questions.iter().zip(&mut cache) {
            let fresh = view
                .compare_with_deps(r, p, *flagged)
                .map(|(c, deps)| (deps, answer::to_json(&c, 0)));
            let Ok((deps, bytes)) = fresh else {
                *slot = None;
                continue;
            };
            if let Some((old_deps, old)) = slot.take() {
                match view.revalidate(&old_deps) {
                    Revalidation::Same(now) => {
                        assert_eq!(old, bytes, "{r} called the same after document {k}");
                        assert!(view.still_valid(&now));
                        same += 1;
                    }
                    Revalidation::Inputs(added, now) => {
                        let patched = answer::with_inputs(&old, &added, now.manifest_head())
                            .expect("the bytes are a comparison's");
                        assert_eq!(
                            String::from_utf8(patched).unwrap(),
                            String::from_utf8(bytes.clone()).unwrap(),
                            "{r} amended after document {k}"
                        );
                        assert!(view.still_valid(&now));
                        amended += 1;
                    }
                    Revalidation::Stale => stale += 1,
                }
            }
            *slot = Some((deps, bytes));
        }
    }
    (same, amended, stale)
}

/// Answers kept across documents, amended by the endorsements that change
/// no crosswalk's state, are what computing them again gives.
#[test]
fn answers_amended_by_endorsements_are_the_answers_computed_again() {
    let (mut same, mut amended, mut stale) = (0, 0, 0);
    for seed in 0..32 {
        let (s, a, x) = cache_through(seed);
        same += s;
        amended += a;
        stale += x;
    }
    // The federations exercise every case.
    assert!(
        same > 1000 && amended > 100 && stale > 1000,
        "{same} {amended} {stale}"
    );
}
