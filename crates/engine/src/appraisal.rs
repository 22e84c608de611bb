//! Scores, weighted totals and grades of a jurisdiction's units.

use crate::ObservationSet;
use crate::public::UnitRating;
use deltabench_model::documents::{
    Direction, Framework, Grade, Grading, GradingMethod, Indicator, ScoringRule, Weight,
};
use deltabench_model::local::{Appraisal, IndicatorScore, Observation, Unit};
use deltabench_model::{CategoryId, Period, UnitId, Value};
use std::collections::BTreeMap;

/// A score and the words that explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// From 0 to 100 (or to the rule's cap).
    pub score: f64,
    /// How the score came about.
    pub reason: String,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores one value by the indicator's rule. `target` is the observation's own
/// target, which takes precedence over the indicator's.
pub fn score(indicator: &Indicator, value: f64, target: Option<f64>) -> Scored {
    let Some(rule) = &indicator.scoring else {
        return Scored {
            score: 0.0,
            reason: "the indicator has no scoring rule".into(),
        };
    };
    let target = target.or(indicator.target.map(Value::get));
    let lower = indicator.direction == Direction::LowerIsBetter;
    let need_target = |t: Option<f64>| {
        t.ok_or_else(|| Scored {
            score: 0.0,
            reason: "no target for a rule that needs one: scored 0".into(),
        })
    };
    let result = match rule {
        ScoringRule::RatioToTarget { cap } => need_target(target).map(|t| {
            let cap = cap.get();
            // A ratio means something only for a positive target; lower is
            // better also needs a positive value (0 is the best there is).
            if t <= 0.0 {
                return Scored {
                    score: 0.0,
                    reason: format!("ratio to target undefined for target {t}: scored 0"),
                };
            }
            let (raw, how) = if lower {
                match value {
                    v if v > 0.0 => (100.0 * t / v, "target / value"),
                    0.0 => (f64::INFINITY, "target / value"),
                    _ => {
                        return Scored {
                            score: 0.0,
                            reason: format!(
                                "ratio to target undefined for value {value}: scored 0"
                            ),
                        };
                    }
                }
            } else {
                (100.0 * value / t, "value / target")
            };
            let s = raw.clamp(0.0, cap);
            let capped = if raw > cap {
                format!(", capped at {cap}")
            } else {
                String::new()
            };
            Scored {
                score: s,
                reason: format!(
                    "ratio to target: {how} = {value} vs {t} → {:.2}{capped}",
                    raw.min(1e9)
                ),
            }
        }),
        ScoringRule::Linear { floor } => need_target(target).map(|t| {
            let f = floor.get();
            // The indicator's direction says which way is better; a target on
            // the wrong side of the floor (or on it) leaves no scale, and the
            // rule falls back to "target reached or not".
            let sane = if lower { t < f } else { t > f };
            if !sane {
                let met = if lower { value <= t } else { value >= t };
                let s = if met { 100.0 } else { 0.0 };
                return Scored {
                    score: s,
                    reason: format!(
                        "target {t} is not beyond the floor {f} in the indicator's direction: \
                         scored as target {}: {value} → {s}",
                        if met { "reached" } else { "missed" }
                    ),
                };
            }
            let s = (100.0 * (value - f) / (t - f)).clamp(0.0, 100.0);
            Scored {
                score: s,
                reason: format!("linear from {f} (0) to {t} (100): {value} → {:.2}", s),
            }
        }),
        ScoringRule::Threshold {
            threshold,
            pass,
            fail,
        } => {
            let th = threshold.get();
            let met = if lower { value <= th } else { value >= th };
            let (s, word, op) = if met {
                (pass.get(), "met", if lower { "≤" } else { "≥" })
            } else {
                (fail.get(), "missed", if lower { ">" } else { "<" })
            };
            Ok(Scored {
                score: s,
                reason: format!("threshold {word}: {value} {op} {th} → {s}"),
            })
        }
        ScoringRule::Closeness { tolerance } => need_target(target).map(|t| {
            let tol = tolerance.get();
            let s = (100.0 * (1.0 - (value - t).abs() / tol)).max(0.0);
            Scored {
                score: s,
                reason: format!("closeness to {t} within ±{tol}: {value} → {:.2}", s),
            }
        }),
        ScoringRule::Direct => {
            let s = value.clamp(0.0, 200.0);
            Ok(Scored {
                score: s,
                reason: format!("scored directly: {value}"),
            })
        }
    };
    match result {
        Ok(s) | Err(s) => s,
    }
}

/// Appraises every unit of the framework's categories for one period's
/// observations: each weighted indicator scored, weighted totals, then grades
/// by the framework's grading (the standard thresholds when it names none).
/// Units whose category the framework does not have, and units with no
/// observation of any weighted indicator in the period, are skipped. A
/// weighted indicator without an observation scores 0, and its reason says so.
pub fn appraise(framework: &Framework, units: &[Unit], obs: &ObservationSet) -> Vec<Appraisal> {
    let indicators: BTreeMap<_, _> = framework.indicators.iter().map(|i| (&i.code, i)).collect();
    let mut out = Vec::new();
    for unit in units {
        let Some(category) = framework.categories.iter().find(|c| c.id == unit.category) else {
            continue;
        };
        let mut shares = Vec::new();
        for w in &category.weights {
            Weight::effective(w, &mut shares);
        }
        // A unit that reported nothing weighted in this period is not
        // appraised: grading it E would punish it for data that belongs to
        // another period, and would shift forced-distribution quotas.
        if !shares
            .iter()
            .any(|(code, _)| obs.get(&unit.id, code).is_some())
        {
            continue;
        }
        let mut total = 0.0;
        let mut scores = Vec::with_capacity(shares.len());
        for (code, share) in shares {
            let Some(ind) = indicators.get(&code) else {
                continue;
            };
            let (value, scored) = match obs.get(&unit.id, &code) {
                Some(o) => (
                    Some(o.value),
                    score(ind, o.value.get(), o.target.map(Value::get)),
                ),
                None => (
                    None,
                    Scored {
                        score: 0.0,
                        reason: "no observation: scored 0".into(),
                    },
                ),
            };
            total += share / 100.0 * scored.score;
            scores.push(IndicatorScore {
                indicator: code,
                value,
                score: v(round2(scored.score)),
                weight: v(round2(share)),
                reason: scored.reason,
                ratings: None,
                hotline: None,
            });
        }
        out.push(Appraisal {
            unit: unit.id.clone(),
            category: unit.category.clone(),
            total: v(round2(total)),
            grade: Grade::E,
            pay_coefficient: v(0.0),
            scores,
        });
    }
    let grading = framework.grading.clone().unwrap_or_else(Grading::standard);
    grade(&grading, &mut out);
    out
}

/// Appraises like [`appraise`], with the values of the framework's
/// `public_rating` indicators taken from `ratings` (each unit's value from
/// its projects' public ratings, see [`crate::public::unit_values`]) in
/// place of any observation of them. Each such score entry names the
/// projects that made the value (`ratings`). Also returns the observations
/// with those values in them, for the summary.
pub fn appraise_with_ratings(
    framework: &Framework,
    units: &[Unit],
    obs: &ObservationSet,
    period: Period,
    ratings: &BTreeMap<UnitId, UnitRating>,
) -> (ObservationSet, Vec<Appraisal>) {
    let public: Vec<&Indicator> = framework
        .indicators
        .iter()
        .filter(|i| i.from_public_ratings())
        .collect();
    let mut obs = obs.clone();
    for ind in &public {
        obs.replace_indicator(
            &ind.code,
            ratings.iter().map(|(unit, r)| Observation {
                unit: unit.clone(),
                indicator: ind.code.clone(),
                period,
                value: v(r.value),
                target: None,
            }),
        );
    }
    let mut appraisals = appraise(framework, units, &obs);
    for a in &mut appraisals {
        for s in &mut a.scores {
            if !public.iter().any(|i| i.code == s.indicator) {
                continue;
            }
            match ratings.get(&a.unit) {
                Some(r) => {
                    s.reason = format!(
                        "public ratings: mean shrunk score {:.3} of {} project(s) with at least {} ratings; {}",
                        r.value,
                        r.provenance.projects.len(),
                        r.provenance.k,
                        s.reason
                    );
                    s.ratings = Some(r.provenance.clone());
                }
                None => {
                    s.reason =
                        "public ratings: no project of the unit reached k ratings: scored 0".into();
                }
            }
        }
    }
    (obs, appraisals)
}

/// A hotline indicator's unit values and the requests behind each.
pub type HotlineValues = BTreeMap<
    deltabench_model::IndicatorCode,
    BTreeMap<UnitId, (f64, deltabench_model::local::HotlineBasis)>,
>;

/// Appraises like [`appraise_with_ratings`], with the values of the
/// framework's hotline indicators taken from `hotline` (see
/// [`crate::hotline::unit_values`]) in place of any observation of them;
/// each such score entry names the requests behind it.
pub fn appraise_with_sources(
    framework: &Framework,
    units: &[Unit],
    obs: &ObservationSet,
    period: Period,
    ratings: &BTreeMap<UnitId, UnitRating>,
    hotline: &HotlineValues,
) -> (ObservationSet, Vec<Appraisal>) {
    let mut obs = obs.clone();
    for (code, values) in hotline {
        obs.replace_indicator(
            code,
            values.iter().map(|(unit, (x, _))| Observation {
                unit: unit.clone(),
                indicator: code.clone(),
                period,
                value: v(*x),
                target: None,
            }),
        );
    }
    let (obs, mut appraisals) = appraise_with_ratings(framework, units, &obs, period, ratings);
    for a in &mut appraisals {
        for s in &mut a.scores {
            let Some(values) = hotline.get(&s.indicator) else {
                continue;
            };
            match values.get(&a.unit) {
                Some((x, basis)) => {
                    s.reason = format!(
                        "12345 hotline: {:.4} over {} of the unit's {} request(s) ({} flagged); {}",
                        x, basis.counted, basis.requests, basis.flagged, s.reason
                    );
                    s.hotline = Some(basis.clone());
                }
                None => {
                    s.reason = "12345 hotline: no request of the unit to measure: scored 0".into();
                }
            }
        }
    }
    (obs, appraisals)
}

fn v(x: f64) -> Value {
    // Every input is finite and every operation above keeps it so.
    Value::new(if x.is_finite() { x } else { 0.0 }).expect("finite")
}

/// Assigns grades and pay coefficients. Thresholds: the best grade whose
/// minimum the total reaches. Forced: within each category, from the highest
/// total down, each grade from A takes up to its `max_share` of the category's
/// units (no limit without one) among those reaching its `min_total`; E takes
/// the rest. Units with equal totals always get the same grade: a tie that
/// would overrun a partly filled grade moves down whole, and a tie larger than
/// an empty grade's whole quota takes that grade together (the one case where
/// a quota is exceeded).
pub fn grade(grading: &Grading, appraisals: &mut [Appraisal]) {
    let order = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::E];
    let pay = |g: Grade| grading.rule(g).map_or(0.0, |r| r.pay_coefficient.get());
    match grading.method {
        GradingMethod::Thresholds => {
            for a in appraisals.iter_mut() {
                let g = order
                    .into_iter()
                    .find(|g| {
                        grading
                            .rule(*g)
                            .and_then(|r| r.min_total)
                            .is_none_or(|m| a.total.get() >= m.get())
                    })
                    .unwrap_or(Grade::E);
                a.grade = g;
                a.pay_coefficient = v(pay(g));
            }
        }
        GradingMethod::Forced => {
            let mut by_category: BTreeMap<CategoryId, Vec<usize>> = BTreeMap::new();
            for (i, a) in appraisals.iter().enumerate() {
                by_category.entry(a.category.clone()).or_default().push(i);
            }
            for mut ranked in by_category.into_values() {
                ranked.sort_by(|&x, &y| {
                    appraisals[y]
                        .total
                        .get()
                        .total_cmp(&appraisals[x].total.get())
                        .then_with(|| appraisals[x].unit.cmp(&appraisals[y].unit))
                });
                let n = ranked.len();
                let quota = |g: Grade| match (g, grading.rule(g).and_then(|r| r.max_share)) {
                    (Grade::E, _) | (_, None) => n,
                    (_, Some(s)) => (s.get() * n as f64 + 1e-9).floor() as usize,
                };
                let min = |g: Grade| grading.rule(g).and_then(|r| r.min_total).map(Value::get);
                let mut taken = [0usize; 5];
                let mut gi = 0;
                let mut next = 0;
                while next < n {
                    // Units with equal totals move together.
                    let total = appraisals[ranked[next]].total.get();
                    let tie = ranked[next..]
                        .iter()
                        .take_while(|&&i| appraisals[i].total.get() == total)
                        .count();
                    // The best grade from the current one down that the group
                    // reaches and fits in whole; E takes anything. A tie larger
                    // than a grade's whole quota takes that grade together while
                    // it is still empty, rather than push every unit below it
                    // down. The pointer never moves up, so a lower total never
                    // gets a better grade.
                    while gi < 4 {
                        let g = order[gi];
                        let q = quota(g);
                        let fits = taken[gi] + tie <= q || (taken[gi] == 0 && q > 0);
                        if fits && !min(g).is_some_and(|m| total < m) {
                            break;
                        }
                        gi += 1;
                    }
                    let g = order[gi];
                    for &i in &ranked[next..next + tie] {
                        appraisals[i].grade = g;
                        appraisals[i].pay_coefficient = v(pay(g));
                    }
                    taken[gi] += tie;
                    next += tie;
                }
            }
        }
    }
}
