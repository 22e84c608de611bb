//! Public satisfaction from rating to comparison: Taicang's residents rate
//! its livelihood projects, its appraisal scores each agency by the mean
//! shrunk score of its projects (and names them), the jurisdiction's value
//! enters its ordinary summary, a `public_rating` document carries the
//! distribution per category, and Kunshan compares Taicang's public
//! satisfaction on the reference indicator `yrd.public/satisfaction`
//! through a crosswalk both sides endorsed.

use deltabench_model::documents::{
    Decision, Framework, Member, PublicRatingSummary, Roster, SignedRoster, Summary,
};
use deltabench_model::local::Unit;
use deltabench_model::public::Project;
use deltabench_model::{AllianceId, IndicatorRef, JurisdictionCode, Period, Timestamp, UnitId};
use deltabench_node::local::LocalError;
use deltabench_node::public::RatingRequest;
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use deltabench_trust::roster::{RosterDoc, approve_roster};
use std::sync::Arc;

macro_rules! sample {
    ($path:literal) => {
        include_str!(concat!("../../../node-config/samples/", $path))
    };
}

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

/// Taicang (seed 1) and Kunshan (seed 2), the two members of `yrd.tax`.
fn members() -> [(JurisdictionCode, NodeKey, &'static str); 2] {
    [
        (code("320585"), NodeKey::from_seed([1; 32]), "Taicang"),
        (code("320583"), NodeKey::from_seed([2; 32]), "Kunshan"),
    ]
}

fn open(which: usize) -> Node {
    let all = members();
    let roster = Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version: 1,
        members: all
            .iter()
            .map(|(c, k, n)| Member {
                code: c.clone(),
                key: k.public_hex(),
                name_zh: (*n).into(),
                name_en: (*n).into(),
            })
            .collect(),
        threshold: 2,
        expires_at: Timestamp::from_unix(SystemClock.now().unix() + 86_400 * 365).unwrap(),
        reference_framework: Some("yrd.tax".parse().unwrap()),
        recognition_quorum: None,
        former: vec![],
        previous: None,
    };
    let anchor = SignedRoster {
        approvals: all
            .iter()
            .map(|(c, k, _)| approve_roster(k, c.clone(), &roster).unwrap())
            .collect(),
        roster,
    };
    let (c, k, n) = &all[which];
    let node = Node::open(
        Identity {
            code: c.clone(),
            name_zh: (*n).into(),
            name_en: (*n).into(),
        },
        NodeKey::from_seed(k.seed()),
        Store::open_temporary().unwrap(),
        vec![RosterDoc::from_signed(&anchor).unwrap()],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap();
    node.declare().unwrap();
    node
}

fn exchange(from: &Node, to: &Node) {
    let docs: Vec<Vec<u8>> = from
        .store()
        .all_documents()
        .collect::<Result<_, _>>()
        .unwrap();
    let refs: Vec<&[u8]> = docs.iter().map(Vec::as_slice).collect();
    let report = to.ingest_bundle(&refs, "bundle").unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

#[derive(serde::Deserialize)]
struct Plan {
    projects: Vec<Planned>,
}

#[derive(serde::Deserialize)]
struct Planned {
    project: String,
    ratings: usize,
    weights: [f64; 5],
}

/// The `i`-th of `n` levels spread by `weights` (deterministic: the level
/// whose cumulative share holds the middle of the `i`-th slot).
fn level(weights: &[f64; 5], i: usize, n: usize) -> u8 {
    let total: f64 = weights.iter().sum();
    let at = (i as f64 + 0.5) / n as f64 * total;
    let mut sum = 0.0;
    for (l, w) in weights.iter().enumerate() {
        sum += w;
        if at < sum {
            return l as u8 + 1;
        }
    }
    5
}

/// Taicang with its public framework, units, projects and the ratings of
/// its plan, each sent with its own code.
fn rated_taicang() -> Node {
    let t = open(0);
    let f: Framework = serde_json::from_str(sample!("taicang/public-framework.json")).unwrap();
    t.publish_framework(f).unwrap();
    // The agencies: the one category of the public framework.
    let mut units: Vec<Unit> = serde_json::from_str(sample!("taicang/units.json")).unwrap();
    units.retain(|u| u.category.as_str() == "agency");
    t.put_units(&units).unwrap();
    let projects: Vec<Project> = serde_json::from_str(sample!("taicang/projects.json")).unwrap();
    t.put_projects(&projects).unwrap();
    let plan: Plan = serde_json::from_str(sample!("taicang/ratings.json")).unwrap();
    for p in plan.projects {
        let id = p.project.parse().unwrap();
        let codes = t.issue_codes(&id, p.ratings).unwrap();
        for (i, c) in codes.iter().enumerate() {
            t.rate(RatingRequest {
                project: p.project.parse().unwrap(),
                code: c.to_string(),
                level: level(&p.weights, i, p.ratings),
                comment: None,
            })
            .unwrap();
        }
    }
    t
}

#[test]
fn kunshan_compares_taicangs_public_satisfaction_through_a_recognised_crosswalk() {
    let t = rated_taicang();
    let period = Period::parse("2025").unwrap();
    let framework = "taicang.public".parse().unwrap();

    // The appraisal scores each agency with projects that reached k by the
    // mean shrunk score, and names the projects behind it.
    let (_, appraisals) = t.appraisals(&framework, None, period).unwrap();
    let values = t.public_unit_values(period).unwrap();
    let edu = appraisals
        .iter()
        .find(|a| a.unit.as_str() == "education-bureau")
        .expect("the education bureau is appraised");
    let s = &edu.scores[0];
    let ratings = s.ratings.as_ref().expect("the score names its ratings");
    assert_eq!(ratings.k, 10);
    assert_eq!(ratings.projects.len(), 1);
    assert_eq!(ratings.projects[0].project.as_str(), "school-canteens");
    assert!(ratings.projects[0].n >= 40);
    let edu_value = values[&UnitId::new("education-bureau").unwrap()].value;
    assert!((s.value.unwrap().get() - edu_value).abs() < 1e-9);
    assert!((ratings.projects[0].shrunk - edu_value).abs() < 1e-9);
    // Linear from 1 (0 points) to 5 (100 points).
    assert!((s.score.get() - ((edu_value - 1.0) * 25.0 * 100.0).round() / 100.0).abs() < 1e-9);
    assert!(s.reason.starts_with("public ratings"), "{}", s.reason);
    // The water bureau's only project has 7 ratings, below k: no value, so
    // it is not appraised at all.
    assert!(!values.contains_key(&UnitId::new("water-bureau").unwrap()));
    assert!(!appraisals.iter().any(|a| a.unit.as_str() == "water-bureau"));
    assert_eq!(appraisals.len(), 5);

    // Observations of an indicator fed by ratings are refused by name.
    let e = t
        .import_observations(
            &[deltabench_node::local::RawRow {
                row: 1,
                line: None,
                unit: deltabench_node::local::Cell::Text("education-bureau".into()),
                indicator: deltabench_node::local::Cell::Text("public_satisfaction".into()),
                period: deltabench_node::local::Cell::Text("2025".into()),
                value: deltabench_node::local::Cell::Number(4.0),
                target: deltabench_node::local::Cell::Absent,
            }],
            "test",
        )
        .unwrap_err();
    assert!(
        matches!(&e, LocalError::Rows(r) if r[0].column == "indicator"),
        "{e}"
    );

    // The jurisdiction's value enters the ordinary summary: the mean of
    // the five agencies' values.
    let (summary_doc, _) = t.publish_summary(&framework, None, period, None).unwrap();
    let summary: Summary = summary_doc.payload_as().unwrap();
    let value = summary.indicators[0].value.unwrap().get();
    let mean = values.values().map(|v| v.value).sum::<f64>() / values.len() as f64;
    // (Summaries round to six decimals.)
    assert!((value - mean).abs() < 1e-6, "{value} vs {mean}");

    // The public_rating document: the categories that reached k, nothing
    // of environment (7 ratings).
    let (doc, created) = t.publish_public_ratings(period).unwrap();
    assert!(created);
    let published: PublicRatingSummary = doc.payload_as().unwrap();
    assert_eq!(published.k, 10);
    let cats: Vec<&str> = published
        .categories
        .iter()
        .map(|c| c.category.as_str())
        .collect();
    assert_eq!(
        cats,
        [
            "education",
            "elderly_care",
            "healthcare",
            "housing",
            "roads"
        ]
    );
    for c in &published.categories {
        assert_eq!(c.counts.iter().sum::<u32>(), c.n);
        let [lo, hi] = c.satisfied_interval.map(|v| v.get());
        assert!(lo <= c.satisfied_share.get() && c.satisfied_share.get() <= hi);
    }
    // Unchanged ratings publish nothing new; a period without enough
    // ratings publishes nothing and says why.
    let (again, created) = t.publish_public_ratings(period).unwrap();
    assert!(!created);
    assert_eq!(again.hash(), doc.hash());
    match t.publish_public_ratings(Period::parse("2024").unwrap()) {
        Err(LocalError::Invalid(e)) => {
            assert_eq!(e.field, "period");
            assert!(e.reason.contains("k = 10"), "{}", e.reason);
        }
        other => panic!("{other:?}"),
    }

    // The reference framework of the alliance and Taicang's crosswalk
    // onto it, accepted by Taicang as it proposes it.
    let reference: Framework = serde_json::from_str(sample!("yrd.public/framework.json")).unwrap();
    t.publish_framework(reference).unwrap();
    // (The sample is a request without `version`: the node numbers it.)
    let mut crosswalk: serde_json::Value = serde_json::from_str(sample!(
        "yrd.public/crosswalks/taicang.public_satisfaction.json"
    ))
    .unwrap();
    crosswalk["version"] = 0.into();
    t.propose_crosswalk(serde_json::from_value(crosswalk).unwrap(), true)
        .unwrap();

    // Kunshan receives it all and, as the alliance's second member,
    // endorses: the alliance's quorum (both) is reached.
    let k = open(1);
    exchange(&t, &k);
    let target = IndicatorRef::parse("yrd.public/satisfaction").unwrap();
    let before = k.view().compare(&target, period, false).unwrap();
    assert!(
        before.rows.iter().all(|r| r.rank.is_none()),
        "a pending crosswalk ranks no one"
    );
    let (_, record) = k
        .endorse_crosswalk(
            &"taicang.public_satisfaction".parse().unwrap(),
            None,
            Decision::Accept,
            None,
        )
        .unwrap();
    assert_eq!(
        record.status,
        deltabench_model::comparison::CrosswalkStatus::Recognised
    );

    let c = k.view().compare(&target, period, false).unwrap();
    let row = c
        .rows
        .iter()
        .find(|r| r.jurisdiction.as_str() == "320585")
        .expect("Taicang's row");
    assert!((row.source_value.get() - value).abs() < 1e-9);
    assert!((row.value.get() - (value - 1.0) * 25.0).abs() < 1e-9);
    assert_eq!(
        row.source_indicator,
        IndicatorRef::parse("taicang.public/public_satisfaction").unwrap()
    );
    assert_eq!(&row.document, summary_doc.hash(), "provenance: the summary");
    let used = row.crosswalk.as_ref().expect("through the crosswalk");
    assert!(used.recognised);
    assert_eq!(used.id.as_str(), "taicang.public_satisfaction");
    assert_eq!(row.rank, Some(1));
    // Kunshan also holds the distribution behind the value.
    let held = k
        .held::<PublicRatingSummary>(Some(&code("320585")))
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(&held[0].0.hash, doc.hash());
}

/// An appeal upheld takes the rating out of every aggregate at once: the
/// project's public score, the unit's appraisal value and the published
/// `public_rating` document, while the rating stays on record.
#[test]
fn a_voided_rating_leaves_every_aggregate() {
    let t = rated_taicang();
    let period = Period::parse("2025").unwrap();
    let canteens = |t: &Node| {
        t.public_projects()
            .unwrap()
            .into_iter()
            .find(|p| p.project.id.as_str() == "school-canteens")
            .and_then(|p| p.score)
            .expect("the canteens reached k")
    };
    let before = canteens(&t);
    let unit = UnitId::new("education-bureau").unwrap();
    let value_before = t.public_unit_values(period).unwrap()[&unit].value;
    let education = |s: &PublicRatingSummary| {
        s.categories
            .iter()
            .find(|c| c.category.as_str() == "education")
            .unwrap()
            .clone()
    };
    let summary_before = education(&t.public_rating_summary(period).unwrap());

    // Void the canteens' first rating of level 1 (the worst there is).
    let record = t
        .store()
        .rating_records()
        .unwrap()
        .into_iter()
        .find(|r| r.rating.project.as_str() == "school-canteens" && r.rating.level == 1)
        .expect("a rating of 1 for the canteens");
    t.void_rating(
        record.id,
        "rated the wrong canteen".into(),
        "appraisal office".into(),
    )
    .unwrap();

    let after = canteens(&t);
    assert_eq!(after.n, before.n - 1);
    assert_eq!(
        after.distribution.counts()[0],
        before.distribution.counts()[0] - 1
    );
    assert!(after.raw_mean > before.raw_mean);
    let value_after = t.public_unit_values(period).unwrap()[&unit].value;
    assert!(
        value_after > value_before,
        "{value_after} vs {value_before}"
    );
    let summary_after = education(&t.public_rating_summary(period).unwrap());
    assert_eq!(summary_after.n, summary_before.n - 1);
    assert_eq!(summary_after.counts[0], summary_before.counts[0] - 1);
    // Still on record, with the decision.
    let kept = t
        .store()
        .rating_records()
        .unwrap()
        .into_iter()
        .find(|r| r.id == record.id)
        .unwrap();
    assert!(kept.moderation.voided.is_some() && !kept.counts());
}
