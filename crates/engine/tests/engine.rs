//! The engine against values computed by hand (the arithmetic is in the
//! comments), on the fixture `tests/data/small-framework.json`.

use deltabench_engine::ObservationSet;
use deltabench_engine::aggregate::aggregate;
use deltabench_engine::appraisal::{appraise, grade};
use deltabench_engine::changelog::diff;
use deltabench_engine::summary::build_summary;
use deltabench_model::documents::{ChangeKind, Framework, Grade, Grading, Payload};
use deltabench_model::local::{Appraisal, Observation, Unit};
use deltabench_model::{Period, Value};
use serde_json::json;

fn framework() -> Framework {
    let text = include_str!("data/small-framework.json");
    let f: Framework = serde_json::from_str(text).unwrap();
    f.validate().unwrap();
    f
}

fn unit(id: &str, category: &str) -> Unit {
    serde_json::from_value(json!({"id": id, "name_zh": id, "name_en": id, "category": category}))
        .unwrap()
}

fn units() -> Vec<Unit> {
    vec![
        unit("u1", "agency"),
        unit("u2", "agency"),
        unit("u3", "agency"),
        unit("u4", "town"),
    ]
}

fn obs(rows: &[(&str, &str, f64, Option<f64>)]) -> ObservationSet {
    ObservationSet::new(rows.iter().map(|(u, i, v, t)| Observation {
        unit: u.parse().unwrap(),
        indicator: i.parse().unwrap(),
        period: Period::Year(2025),
        value: Value::new(*v).unwrap(),
        target: t.map(|t| Value::new(t).unwrap()),
    }))
}

fn fixture() -> ObservationSet {
    obs(&[
        ("u1", "rev", 110.0, Some(100.0)),
        ("u1", "sat", 84.0, None),
        ("u1", "days", 4.0, None),
        ("u1", "att", 99.0, None),
        ("u1", "debt", 66.0, None),
        ("u1", "quality", 88.0, None),
        ("u1", "sat_w", 84.0, None),
        ("u1", "resolved", 45.0, None),
        ("u1", "received", 50.0, None),
        ("u2", "rev", 80.0, Some(100.0)),
        ("u2", "sat", 57.0, None),
        ("u2", "days", 6.0, None),
        ("u2", "att", 97.0, None),
        ("u2", "debt", 50.0, None),
        ("u2", "quality", 76.0, None),
        ("u2", "sat_w", 57.0, None),
        ("u2", "resolved", 30.0, None),
        ("u2", "received", 40.0, None),
        // u3 reports no revenue.
        ("u3", "sat", 90.0, None),
        ("u3", "days", 5.0, None),
        ("u3", "att", 98.0, None),
        ("u3", "debt", 60.0, None),
        ("u3", "quality", 90.0, None),
        ("u4", "sat", 75.0, None),
    ])
}

fn by_unit<'a>(a: &'a [Appraisal], id: &str) -> &'a Appraisal {
    a.iter().find(|x| x.unit.as_str() == id).unwrap()
}

fn score_of(a: &Appraisal, code: &str) -> f64 {
    a.scores
        .iter()
        .find(|s| s.indicator.as_str() == code)
        .unwrap()
        .score
        .get()
}

#[test]
fn scores_totals_and_grades_match_hand_computation() {
    let f = framework();
    let a = appraise(&f, &units(), &fixture());
    assert_eq!(a.len(), 4);
    // Effective weights: rev 40×50% = 20, sat 20, days 30, att 30×50% = 15,
    // debt 7.5, quality 7.5.
    let u1 = by_unit(&a, "u1");
    let weights: Vec<f64> = u1.scores.iter().map(|s| s.weight.get()).collect();
    assert_eq!(weights, vec![20.0, 20.0, 30.0, 15.0, 7.5, 7.5]);
    // u1: rev 110/100 → 110 (cap 120); sat (84−60)/(90−60) → 80; days 5/4 →
    // 125 → capped 100; att 99 ≥ 98 → 100; debt 1 − |66−60|/20 → 70;
    // quality 88. Total 22 + 16 + 30 + 15 + 5.25 + 6.6 = 94.85 → A, 1.2.
    let expect = [
        ("rev", 110.0),
        ("sat", 80.0),
        ("days", 100.0),
        ("att", 100.0),
        ("debt", 70.0),
        ("quality", 88.0),
    ];
    for (code, s) in expect {
        assert_eq!(score_of(u1, code), s, "u1 {code}");
    }
    assert_eq!(
        (u1.total.get(), u1.grade, u1.pay_coefficient.get()),
        (94.85, Grade::A, 1.2)
    );
    assert!(
        u1.scores[2].reason.contains("capped at 100"),
        "{}",
        u1.scores[2].reason
    );
    // u2: rev 80; sat 57 < floor → 0; days 5/6 → 83.33; att 97 < 98 → 60;
    // debt 1 − 10/20 → 50; quality 76. Total 16 + 0 + 25 + 9 + 3.75 + 5.7
    // = 59.45 → E, 0.8.
    let u2 = by_unit(&a, "u2");
    let expect = [
        ("rev", 80.0),
        ("sat", 0.0),
        ("days", 83.33),
        ("att", 60.0),
        ("debt", 50.0),
        ("quality", 76.0),
    ];
    for (code, s) in expect {
        assert_eq!(score_of(u2, code), s, "u2 {code}");
    }
    assert_eq!(
        (u2.total.get(), u2.grade, u2.pay_coefficient.get()),
        (59.45, Grade::E, 0.8)
    );
    // u3: no revenue → 0; sat 90 → 100; days 5/5 → 100; att 98 → 100; debt →
    // 100; quality 90. Total 0 + 20 + 30 + 15 + 7.5 + 6.75 = 79.25 → C, 1.0.
    let u3 = by_unit(&a, "u3");
    assert_eq!(score_of(u3, "rev"), 0.0);
    assert!(u3.scores[0].reason.contains("no observation"));
    assert_eq!((u3.total.get(), u3.grade), (79.25, Grade::C));
    // u4, a town: sat only, (75 − 60)/30 → 50 → E.
    let u4 = by_unit(&a, "u4");
    assert_eq!((u4.total.get(), u4.grade), (50.0, Grade::E));
    for x in &a {
        x.validate().unwrap();
    }
}

fn totals(values: &[(&str, f64)]) -> Vec<Appraisal> {
    values
        .iter()
        .map(|(u, t)| {
            serde_json::from_value(
                json!({"unit": u, "category": "agency", "total": t, "grade": "E",
                                           "pay_coefficient": 0, "scores": []}),
            )
            .unwrap()
        })
        .collect()
}

fn forced(shares: [Option<f64>; 4], min_a: Option<f64>) -> Grading {
    let g = |grade: &str, share: Option<f64>, min: Option<f64>, pay: f64| {
        let mut r = json!({"grade": grade, "pay_coefficient": pay});
        if let Some(s) = share {
            r["max_share"] = json!(s);
        }
        if let Some(m) = min {
            r["min_total"] = json!(m);
        }
        r
    };
    serde_json::from_value(json!({"method": "forced", "grades": [
        g("A", shares[0], min_a, 1.3), g("B", shares[1], None, 1.15), g("C", shares[2], None, 1.0),
        g("D", shares[3], None, 0.85), g("E", None, None, 0.7)]}))
    .unwrap()
}

fn grades_of(a: &[Appraisal]) -> String {
    a.iter().map(|x| format!("{:?}", x.grade)).collect()
}

#[test]
fn forced_distribution_respects_quotas_minimums_and_ties() {
    // Ten units: A at most 20% (2) and at least 92 → only 95; B 30% (3) → 90,
    // 90, 85; C 30% (3) → 80, 75, 70; D 20% (2) → 65, 60; E the rest → 55.
    let mut a = totals(&[
        ("a", 95.0),
        ("b", 90.0),
        ("c", 90.0),
        ("d", 85.0),
        ("e", 80.0),
        ("f", 75.0),
        ("g", 70.0),
        ("h", 65.0),
        ("i", 60.0),
        ("j", 55.0),
    ]);
    grade(
        &forced([Some(0.2), Some(0.3), Some(0.3), Some(0.2)], Some(92.0)),
        &mut a,
    );
    assert_eq!(grades_of(&a), "ABBBCCCDDE");
    assert_eq!(a[0].pay_coefficient.get(), 1.3);
    assert_eq!(a[9].pay_coefficient.get(), 0.7);
    // A tie that would overrun a partly filled grade moves down whole: B 50%
    // (2) holds 88; 85 and 85 would make 3 → both C; 70 → C (unlimited).
    let mut a = totals(&[
        ("a", 90.0),
        ("b", 88.0),
        ("c", 85.0),
        ("d", 85.0),
        ("e", 70.0),
    ]);
    grade(&forced([Some(0.2), Some(0.4), None, None], None), &mut a);
    assert_eq!(grades_of(&a), "ABCCC");
    // A tie larger than an empty grade's whole quota takes it together: A 25%
    // (1) → 90; B 25% (1) is empty, so 88 and 88 take it; 70 → C.
    let mut a = totals(&[("a", 90.0), ("b", 88.0), ("c", 88.0), ("d", 70.0)]);
    grade(&forced([Some(0.25), Some(0.25), None, None], None), &mut a);
    assert_eq!(grades_of(&a), "ABBC");
    // Input order does not matter.
    let mut a = totals(&[("d", 70.0), ("c", 88.0), ("a", 90.0), ("b", 88.0)]);
    grade(&forced([Some(0.25), Some(0.25), None, None], None), &mut a);
    assert_eq!(grades_of(&a), "CBAB");
}

#[test]
fn aggregation_rules_match_hand_computation() {
    let f = framework();
    let o = fixture();
    let value = |code: &str| {
        aggregate(f.indicator(&code.parse().unwrap()).unwrap(), &o)
            .value
            .unwrap()
    };
    assert_eq!(value("rev"), 190.0); // sum 110 + 80
    assert_eq!(value("sat"), 76.5); // mean (84 + 57 + 90 + 75) / 4
    assert_eq!(value("days"), 5.0); // mean (4 + 6 + 5) / 3
    assert_eq!(value("att"), 98.0); // median of 97, 98, 99
    // weighted by revenue: (84 × 110 + 57 × 80) / 190 = 13800 / 190
    assert!((value("sat_w") - 72.631_578_947_368_42).abs() < 1e-9);
    // ratio of sums × 100: (45 + 30) / (50 + 40) × 100
    assert!((value("hotline_rate") - 83.333_333_333_333_33).abs() < 1e-9);
    let empty = ObservationSet::default();
    assert_eq!(
        aggregate(f.indicator(&"rev".parse().unwrap()).unwrap(), &empty).value,
        None
    );
}

#[test]
fn summaries_withhold_distributions_below_k() {
    let f = framework();
    let o = fixture();
    let a = appraise(&f, &units(), &o);
    let s = build_summary(&f, Period::Year(2025), &o, &a, 3, None);
    s.validate().unwrap();
    let entry = |code: &str| {
        s.indicators
            .iter()
            .find(|i| i.indicator.as_str() == code)
            .unwrap()
    };
    // rev: 2 contributors < k = 3 → value published, distribution withheld.
    let rev = entry("rev");
    assert_eq!((rev.value.unwrap().get(), rev.contributors), (190.0, 2));
    assert!(rev.distribution.is_none());
    assert!(rev.withheld.as_deref().unwrap().contains("k = 3"));
    // sat: 57, 75, 84, 90. q1 at h = 0.75 → 57 + 0.75 × 18 = 70.5; median
    // 79.5; q3 at h = 2.25 → 84 + 0.25 × 6 = 85.5; sd = sqrt(621 / 3).
    let d = entry("sat").distribution.unwrap();
    assert_eq!(
        (
            d.count,
            d.min.get(),
            d.q1.get(),
            d.median.get(),
            d.q3.get(),
            d.max.get(),
            d.mean.get()
        ),
        (4, 57.0, 70.5, 79.5, 85.5, 90.0, 76.5)
    );
    assert!((d.sd.get() - 207f64.sqrt()).abs() < 1e-6);
    // Grades: 3 agencies graded → A 1, C 1, E 1; 1 town < k → withheld.
    let agency = &s.grades[0];
    let counts = agency.counts.as_ref().unwrap();
    assert_eq!(
        (counts[&Grade::A], counts[&Grade::C], counts[&Grade::E]),
        (1, 1, 1)
    );
    assert!(s.grades[1].counts.is_none() && s.grades[1].withheld.is_some());
}

#[test]
fn changelog_lists_what_changed() {
    let prev = framework();
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("data/small-framework.json")).unwrap();
    v["version"] = json!("1.1.0");
    v["previous"] = json!("1.0.0");
    // Add an indicator, retire `quality` (moving its weight to `att`), redefine `days`.
    v["indicators"]
        .as_array_mut()
        .unwrap()
        .retain(|i| i["code"] != "quality");
    v["indicators"].as_array_mut().unwrap().push(json!({"code": "green", "name_zh": "绿色", "name_en": "Green",
        "dimension": "ecology", "unit": "%", "direction": "higher_is_better", "aggregation": {"rule": "mean"}}));
    v["indicators"][2]["target"] = json!(4);
    v["categories"][0]["weights"][2]["parts"] =
        json!([{"indicator": "att", "weight": 75}, {"indicator": "debt", "weight": 25}]);
    v["changelog"] =
        json!([{"kind": "retired", "indicator": "quality", "note": "merged into attendance"}]);
    let next: Framework = serde_json::from_value(v).unwrap();
    next.validate().unwrap();
    let changes: Vec<(ChangeKind, String, String)> = diff(&prev, &next)
        .into_iter()
        .map(|c| (c.kind, c.indicator.to_string(), c.note))
        .collect();
    assert_eq!(
        changes,
        vec![
            (ChangeKind::Reweighted, "att".into(), String::new()),
            (ChangeKind::Redefined, "days".into(), String::new()),
            (ChangeKind::Added, "green".into(), String::new()),
            (
                ChangeKind::Retired,
                "quality".into(),
                "merged into attendance".into()
            ),
        ]
    );
    assert!(diff(&prev, &prev).is_empty());
}

fn indicator(v: serde_json::Value) -> deltabench_model::documents::Indicator {
    serde_json::from_value(v).unwrap()
}

#[test]
fn ratio_and_linear_edge_cases() {
    use deltabench_engine::appraisal::score;
    let ratio = |direction: &str| {
        indicator(
            json!({"code": "x", "name_zh": "x", "name_en": "x", "dimension": "d", "unit": "u",
            "direction": direction, "aggregation": {"rule": "mean"}, "scoring": {"rule": "ratio_to_target", "cap": 120}}),
        )
    };
    let (hi, lo) = (ratio("higher_is_better"), ratio("lower_is_better"));
    // A target of 0 or below has no ratio: 0, said so; never the cap.
    for (v, t) in [(-10_000.0, -5_000.0), (2_000.0, -5_000.0), (-300.0, 0.0)] {
        let s = score(&hi, v, Some(t));
        assert_eq!(s.score, 0.0, "{v} vs {t}");
        assert!(s.reason.contains("undefined"), "{}", s.reason);
    }
    // Lower is better: 5 days against a target of 4 → 80; 0 days is the best → cap;
    // a negative value has no ratio.
    assert_eq!(score(&lo, 5.0, Some(4.0)).score, 80.0);
    assert_eq!(score(&lo, 0.0, Some(4.0)).score, 120.0);
    assert_eq!(score(&lo, -1.0, Some(4.0)).score, 0.0);

    let linear = |direction: &str, floor: f64| {
        indicator(
            json!({"code": "x", "name_zh": "x", "name_en": "x", "dimension": "d", "unit": "u",
            "direction": direction, "aggregation": {"rule": "mean"}, "scoring": {"rule": "linear", "floor": floor}}),
        )
    };
    // Lower is better, floor 144 h, target 24 h: 100 h → (144 − 100) / 120 = 36.67.
    let hours = linear("lower_is_better", 144.0);
    assert!((score(&hours, 100.0, Some(24.0)).score - 36.666_666_666_666_67).abs() < 1e-9);
    assert_eq!(score(&hours, 200.0, Some(24.0)).score, 0.0);
    // A target on the wrong side of the floor (or on it) is scored as reached or not.
    let growth = linear("higher_is_better", -5.0);
    let s = score(&growth, 3.0, Some(-5.0));
    assert_eq!(s.score, 100.0, "{}", s.reason);
    assert!(s.reason.contains("reached"));
    assert_eq!(score(&growth, -9.0, Some(-8.0)).score, 0.0);
    assert_eq!(score(&hours, 150.0, Some(150.0)).score, 100.0);
}

#[test]
fn a_tie_larger_than_every_quota_does_not_push_everyone_to_e() {
    // Quotas of 1 each for A–D over 5 units; 95 and 95 tie. The tie takes the
    // empty A together; the others follow in order.
    let mut a = totals(&[
        ("a", 95.0),
        ("b", 95.0),
        ("c", 80.0),
        ("d", 70.0),
        ("e", 60.0),
    ]);
    grade(
        &forced([Some(0.2), Some(0.2), Some(0.2), Some(0.2)], None),
        &mut a,
    );
    assert_eq!(grades_of(&a), "AABCD");
    // Ten units, four tied at the top: A (2) is empty so they take it; B takes
    // the next three, C three; the last falls to D... E only where reached.
    let t = [
        ("a", 99.0),
        ("b", 99.0),
        ("c", 99.0),
        ("d", 99.0),
        ("e", 90.0),
        ("f", 85.0),
        ("g", 80.0),
        ("h", 75.0),
        ("i", 70.0),
        ("j", 65.0),
    ];
    let mut a = totals(&t);
    grade(
        &forced([Some(0.2), Some(0.3), Some(0.3), Some(0.2)], None),
        &mut a,
    );
    assert_eq!(grades_of(&a), "AAAABBBCCC");
    // A share of 0 allows no unit at all, tie or not.
    let mut a = totals(&[("a", 95.0), ("b", 95.0), ("c", 80.0)]);
    grade(&forced([Some(0.0), None, None, None], None), &mut a);
    assert_eq!(grades_of(&a), "BBB");
}

#[test]
fn units_without_data_in_the_period_are_not_appraised() {
    let f = framework();
    let mut us = units();
    us.push(unit("u5", "agency"));
    // u5 reports nothing in this period: it is left out, not graded E.
    let a = appraise(&f, &us, &fixture());
    assert_eq!(a.len(), 4);
    assert!(a.iter().all(|x| x.unit.as_str() != "u5"));
}
