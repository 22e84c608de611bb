//! What-if: the appraisal of one framework and period recomputed under
//! changed rules and assumed values, beside the appraisal as it stands,
//! with each unit's rank in its category and how stable that rank is.
//!
//! The changes ([`Changes`]) are applied to copies, in this order: each
//! category's new weights, each indicator's new scoring rule, the new
//! grading, the assumed values, then the targets. After each change the
//! framework must still be valid as a framework (weights summing to 100 at
//! each level, a rule's parameters in range, one grading rule per grade);
//! the first that is not is refused, naming `changes.KIND[i]` and why. A
//! target for every unit becomes the indicator's target and takes the
//! place of the units' own; a target for one unit needs a value of that
//! unit (observed, or assumed in the same request).
//!
//! Each unit's `rank` is its competition rank by total within its category
//! (1 best, equal totals sharing a rank), and its `rank_interval` the 5th
//! and 95th percentile of that rank when the category's effective
//! indicator weights are perturbed, as [`composite`](crate::composite)
//! does it (see [`rank_intervals`]), with the unit's indicator scores held
//! as they are.

use crate::ObservationSet;
use crate::appraisal::appraise;
use crate::composite::{Params, rank_intervals};
use crate::scores::competition_ranks;
use deltabench_model::comparison::{CompositeAggregation, MissingValues, Normalisation};
use deltabench_model::documents::{Framework, Payload, Weight};
use deltabench_model::local::{Appraisal, Observation, Unit};
use deltabench_model::whatif::{Changes, Standing, UnitWhatIf};
use deltabench_model::{CategoryId, InvalidField, Period, UnitId, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The framework and observations with `changes` applied (see the module
/// documentation), or the first change that cannot be, named.
pub fn apply(
    framework: &Framework,
    units: &[Unit],
    obs: &ObservationSet,
    period: Period,
    changes: &Changes,
) -> Result<(Framework, ObservationSet), InvalidField> {
    let mut f = framework.clone();
    let mut all: Vec<Observation> = obs.iter().cloned().collect();
    let known_units: BTreeSet<&UnitId> = units.iter().map(|u| &u.id).collect();
    let check = |f: &Framework, at: String| {
        f.validate().map_err(|e| {
            InvalidField::new(
                at,
                format!(
                    "the framework would not be valid: {}: {}",
                    e.field, e.reason
                ),
            )
        })
    };
    let indicator_of = |f: &Framework, code, at: String| {
        if f.indicator(code).is_none() {
            return Err(InvalidField::new(
                at,
                format!("{code} is not an indicator of {} {}", f.id, f.version),
            ));
        }
        Ok(())
    };

    for (i, w) in changes.weights.iter().enumerate() {
        let at = format!("changes.weights[{i}]");
        let Some(c) = f.categories.iter_mut().find(|c| c.id == w.category) else {
            return Err(InvalidField::new(
                format!("{at}.category"),
                format!("{} is not a category of {} {}", w.category, f.id, f.version),
            ));
        };
        c.weights.clone_from(&w.weights);
        check(&f, format!("{at}.weights"))?;
    }
    for (i, s) in changes.scoring.iter().enumerate() {
        let at = format!("changes.scoring[{i}]");
        indicator_of(&f, &s.indicator, format!("{at}.indicator"))?;
        if let Some(ind) = f.indicators.iter_mut().find(|x| x.code == s.indicator) {
            ind.scoring = Some(s.scoring.clone());
        }
        check(&f, format!("{at}.scoring"))?;
    }
    if let Some(g) = &changes.grading {
        f.grading = Some(g.clone());
        check(&f, "changes.grading".into())?;
    }
    for (i, v) in changes.values.iter().enumerate() {
        let at = format!("changes.values[{i}]");
        if !known_units.contains(&v.unit) {
            return Err(InvalidField::new(
                format!("{at}.unit"),
                format!("{} is not one of this node's units", v.unit),
            ));
        }
        indicator_of(&f, &v.indicator, format!("{at}.indicator"))?;
        match all
            .iter_mut()
            .find(|o| o.unit == v.unit && o.indicator == v.indicator)
        {
            Some(o) => o.value = v.value,
            None => all.push(Observation {
                unit: v.unit.clone(),
                indicator: v.indicator.clone(),
                period,
                value: v.value,
                target: None,
            }),
        }
    }
    for (i, t) in changes.targets.iter().enumerate() {
        let at = format!("changes.targets[{i}]");
        indicator_of(&f, &t.indicator, format!("{at}.indicator"))?;
        match &t.unit {
            None => {
                if let Some(ind) = f.indicators.iter_mut().find(|x| x.code == t.indicator) {
                    ind.target = Some(t.target);
                }
                for o in all.iter_mut().filter(|o| o.indicator == t.indicator) {
                    o.target = None;
                }
                check(&f, format!("{at}.target"))?;
            }
            Some(unit) => {
                let Some(o) = all
                    .iter_mut()
                    .find(|o| &o.unit == unit && o.indicator == t.indicator)
                else {
                    return Err(InvalidField::new(
                        format!("{at}.unit"),
                        format!(
                            "{unit} has no value of {} in {period}: assume one in changes.values",
                            t.indicator
                        ),
                    ));
                };
                o.target = Some(t.target);
            }
        }
    }
    Ok((f, ObservationSet::new(all)))
}

/// Each unit's standing in `appraisals` of `framework`: its rank by total
/// within its category and that rank's interval under `params`' draws.
pub fn standings(
    framework: &Framework,
    appraisals: &[Appraisal],
    params: &Params,
) -> BTreeMap<UnitId, Standing> {
    let mut by_category: BTreeMap<&CategoryId, Vec<&Appraisal>> = BTreeMap::new();
    for a in appraisals {
        by_category.entry(&a.category).or_default().push(a);
    }
    let mut out = BTreeMap::new();
    for (category, members) in by_category {
        let totals: Vec<f64> = members.iter().map(|a| a.total.get()).collect();
        let ranks = competition_ranks(&totals);
        let mut shares = Vec::new();
        if let Some(c) = framework.categories.iter().find(|c| &c.id == category) {
            for w in &c.weights {
                Weight::effective(w, &mut shares);
            }
        }
        shares.retain(|(code, w)| *w > 0.0 && framework.indicator(code).is_some());
        let weights: Vec<f64> = shares.iter().map(|(_, w)| *w).collect();
        let scores: Vec<Vec<f64>> = members
            .iter()
            .map(|a| {
                shares
                    .iter()
                    .map(|(code, _)| {
                        a.scores
                            .iter()
                            .find(|s| &s.indicator == code)
                            .map_or(0.0, |s| s.score.get())
                    })
                    .collect()
            })
            .collect();
        let intervals = rank_intervals(&scores, &weights, params).ok();
        for (j, a) in members.iter().enumerate() {
            let interval = intervals
                .as_ref()
                .and_then(|v| v.get(j))
                .map_or([ranks[j], ranks[j]], |(_, i)| *i);
            out.insert(
                a.unit.clone(),
                Standing {
                    total: a.total,
                    grade: a.grade,
                    pay_coefficient: a.pay_coefficient,
                    rank: ranks[j],
                    rank_interval: interval,
                },
            );
        }
    }
    out
}

/// The draws, seed and perturbation of the rank intervals, as a
/// composite's parameters.
pub fn params(draws: u32, seed: u64, perturbation: Value) -> Params {
    Params {
        normalisation: Normalisation::MinMax,
        aggregation: CompositeAggregation::Arithmetic,
        missing: MissingValues::Exclude,
        draws,
        seed,
        perturbation: perturbation.get(),
    }
}

/// Every unit before (`before`, the appraisal as it stands under
/// `framework`) and after `changes`, by category and unit.
pub fn what_if(
    framework: &Framework,
    units: &[Unit],
    obs: &ObservationSet,
    period: Period,
    before: &[Appraisal],
    changes: &Changes,
    params: &Params,
) -> Result<Vec<UnitWhatIf>, InvalidField> {
    let (changed, obs_after) = apply(framework, units, obs, period, changes)?;
    let after = appraise(&changed, units, &obs_after);
    let mut s_before = standings(framework, before, params);
    let mut s_after = standings(&changed, &after, params);
    let mut category: BTreeMap<UnitId, CategoryId> = BTreeMap::new();
    for a in before.iter().chain(&after) {
        category.insert(a.unit.clone(), a.category.clone());
    }
    let mut rows: Vec<UnitWhatIf> = category
        .into_iter()
        .map(|(unit, category)| {
            let before = s_before.remove(&unit);
            let after = s_after.remove(&unit);
            let grade_changed = before.as_ref().map(|s| s.grade) != after.as_ref().map(|s| s.grade);
            UnitWhatIf {
                unit,
                category,
                before,
                after,
                grade_changed,
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.category, &a.unit).cmp(&(&b.category, &b.unit)));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::documents::Grade;
    use serde_json::json;

    /// Two directly scored indicators, weighted 60/40 for agencies, the
    /// standard grading (A from 90, B 80, C 70, D 60; pay 1.2 to 0.8).
    fn framework() -> Framework {
        let ind = |code: &str| {
            json!({"code": code, "name_zh": code, "name_en": code, "dimension": "d",
                   "unit": "score_0_100", "direction": "higher_is_better",
                   "aggregation": {"rule": "mean"}, "scoring": {"rule": "direct"}})
        };
        serde_json::from_value(json!({
            "id": "test.whatif", "version": "1.0.0", "owner": {"jurisdiction": "320585"},
            "name_zh": "测试", "name_en": "Test", "periods": ["2025"],
            "indicators": [ind("q1"), ind("q2")],
            "categories": [{"id": "agency", "name_zh": "机关", "name_en": "Agencies",
                "weights": [{"indicator": "q1", "weight": 60}, {"indicator": "q2", "weight": 40}]}]
        }))
        .unwrap()
    }

    fn units() -> Vec<Unit> {
        ["a", "b", "c"]
            .iter()
            .map(|u| {
                serde_json::from_value(
                    json!({"id": u, "name_zh": u, "name_en": u, "category": "agency"}),
                )
                .unwrap()
            })
            .collect()
    }

    fn obs() -> ObservationSet {
        let o = |u: &str, i: &str, v: f64| -> Observation {
            serde_json::from_value(json!({"unit": u, "indicator": i, "period": "2025", "value": v}))
                .unwrap()
        };
        ObservationSet::new([
            o("a", "q1", 90.0),
            o("a", "q2", 70.0),
            o("b", "q1", 80.0),
            o("b", "q2", 95.0),
            o("c", "q1", 70.0),
            o("c", "q2", 60.0),
        ])
    }

    fn run(changes: serde_json::Value, draws: u32) -> Result<Vec<UnitWhatIf>, InvalidField> {
        let f = framework();
        let before = appraise(&f, &units(), &obs());
        let changes: Changes = serde_json::from_value(changes).unwrap();
        what_if(
            &f,
            &units(),
            &obs(),
            Period::parse("2025").unwrap(),
            &before,
            &changes,
            &params(draws, 7, Value::new(0.5).unwrap()),
        )
    }

    fn row<'a>(rows: &'a [UnitWhatIf], unit: &str) -> (&'a Standing, &'a Standing) {
        let r = rows.iter().find(|r| r.unit.as_str() == unit).unwrap();
        (r.before.as_ref().unwrap(), r.after.as_ref().unwrap())
    }

    #[test]
    fn new_weights_change_totals_and_grades_as_computed_by_hand() {
        // Before: a 0.6·90 + 0.4·70 = 82 (B), b 48 + 38 = 86 (B),
        // c 42 + 24 = 66 (D). After 20/80: a 18 + 56 = 74 (C),
        // b 16 + 76 = 92 (A), c 14 + 48 = 62 (D).
        let rows = run(
            json!({"weights": [{"category": "agency", "weights": [
                {"indicator": "q1", "weight": 20}, {"indicator": "q2", "weight": 80}]}]}),
            0,
        )
        .unwrap();
        let expect = [
            ("a", 82.0, Grade::B, 1.1, 2, 74.0, Grade::C, 1.0, 2),
            ("b", 86.0, Grade::B, 1.1, 1, 92.0, Grade::A, 1.2, 1),
            ("c", 66.0, Grade::D, 0.9, 3, 62.0, Grade::D, 0.9, 3),
        ];
        for (u, t0, g0, p0, r0, t1, g1, p1, r1) in expect {
            let (b, a) = row(&rows, u);
            assert_eq!(
                (b.total.get(), b.grade, b.pay_coefficient.get(), b.rank),
                (t0, g0, p0, r0),
                "{u} before"
            );
            assert_eq!(
                (a.total.get(), a.grade, a.pay_coefficient.get(), a.rank),
                (t1, g1, p1, r1),
                "{u} after"
            );
            // Without draws, the interval is the rank itself.
            assert_eq!(a.rank_interval, [r1, r1]);
        }
        let changed: Vec<&str> = rows
            .iter()
            .filter(|r| r.grade_changed)
            .map(|r| r.unit.as_str())
            .collect();
        assert_eq!(changed, ["a", "b"]);
    }

    #[test]
    fn assumed_values_rules_and_targets_apply_in_order() {
        // q2 scored as a ratio to a target of 80 for every unit (capped at
        // 100): a 87.5, b 100, c 75; with 60/40, a 54 + 35 = 89 (B),
        // b 48 + 40 = 88 (B), c 42 + 30 = 72 (C). Then c's own target of
        // 60 on an assumed value of 66: 110, capped 100: c 42 + 40 = 82.
        let rows = run(
            json!({
                "scoring": [{"indicator": "q2", "scoring": {"rule": "ratio_to_target", "cap": 100}}],
                "targets": [{"indicator": "q2", "target": 80}],
            }),
            0,
        )
        .unwrap();
        assert_eq!(row(&rows, "a").1.total.get(), 89.0);
        assert_eq!(row(&rows, "b").1.total.get(), 88.0);
        assert_eq!(row(&rows, "c").1.total.get(), 72.0);
        assert_eq!(row(&rows, "c").1.grade, Grade::C);
        let rows = run(
            json!({
                "scoring": [{"indicator": "q2", "scoring": {"rule": "ratio_to_target", "cap": 100}}],
                "targets": [{"indicator": "q2", "target": 80},
                            {"indicator": "q2", "unit": "c", "target": 60}],
                "values": [{"unit": "c", "indicator": "q2", "value": 66}],
            }),
            0,
        )
        .unwrap();
        let (_, c) = row(&rows, "c");
        assert_eq!((c.total.get(), c.grade, c.rank), (82.0, Grade::B, 3));
    }

    #[test]
    fn a_new_grading_regrades_without_touching_totals() {
        // A from 85: b (86) becomes A; the others keep B and D.
        let mut g = deltabench_model::documents::Grading::standard();
        g.grades[0].min_total = Some(Value::new(85.0).unwrap());
        let rows = run(json!({"grading": g}), 0).unwrap();
        let (before, after) = row(&rows, "b");
        assert_eq!(before.total, after.total);
        assert_eq!((before.grade, after.grade), (Grade::B, Grade::A));
        assert_eq!(after.pay_coefficient.get(), 1.2);
        assert!(
            !rows
                .iter()
                .find(|r| r.unit.as_str() == "a")
                .unwrap()
                .grade_changed
        );
    }

    #[test]
    fn rank_intervals_show_which_ranks_owe_to_the_weights() {
        // a (90, 70) and b (80, 95) swap places when q2's weight grows
        // enough: with weights perturbed by up to ±90%, their ranks are not
        // sure; c (70, 60), the lowest on both, is third whatever the
        // weights.
        let f = framework();
        let before = appraise(&f, &units(), &obs());
        let s = standings(&f, &before, &params(2000, 1, Value::new(0.9).unwrap()));
        let get = |u: &str| s[&UnitId::new(u).unwrap()].clone();
        assert_eq!(get("c").rank_interval, [3, 3]);
        assert_eq!(get("b").rank, 1);
        assert_eq!(get("b").rank_interval, [1, 2]);
        assert_eq!(get("a").rank_interval, [1, 2]);
        // The same seed gives the same intervals.
        let again = standings(&f, &before, &params(2000, 1, Value::new(0.9).unwrap()));
        assert_eq!(s, again);
    }

    #[test]
    fn a_change_that_cannot_apply_is_named() {
        let field = |changes| run(changes, 0).unwrap_err().field;
        assert_eq!(
            field(json!({"weights": [{"category": "agency", "weights": [
                {"indicator": "q1", "weight": 20}, {"indicator": "q2", "weight": 70}]}]})),
            "changes.weights[0].weights"
        );
        assert_eq!(
            field(json!({"weights": [{"category": "town", "weights": []}]})),
            "changes.weights[0].category"
        );
        assert_eq!(
            field(json!({"scoring": [{"indicator": "nope", "scoring": {"rule": "direct"}}]})),
            "changes.scoring[0].indicator"
        );
        assert_eq!(
            field(json!({"values": [{"unit": "z", "indicator": "q1", "value": 1}]})),
            "changes.values[0].unit"
        );
        let e = run(
            json!({"targets": [{"indicator": "q1", "unit": "a", "target": 1},
                               {"indicator": "q2", "unit": "zz", "target": 1}]}),
            0,
        )
        .unwrap_err();
        assert_eq!(e.field, "changes.targets[1].unit");
        assert!(e.reason.contains("changes.values"), "{}", e.reason);
    }
}
