//! A jurisdiction's summary of one framework version and period.

use crate::ObservationSet;
use crate::aggregate::aggregate;
use crate::stats::stats;
use deltabench_model::documents::{
    Distribution, Framework, Grade, GradeDistribution, IndicatorSummary, Summary, Supersedes,
};
use deltabench_model::local::Appraisal;
use deltabench_model::{Period, Value};
use std::collections::BTreeMap;

fn v(x: f64) -> Value {
    Value::new(if x.is_finite() { x } else { 0.0 }).expect("finite")
}

/// Rounds to 6 decimal places so that summaries do not publish float noise
/// (`0.1 + 0.2`) that differs between machines' summation orders; numbers too
/// large to scale are left as they are.
fn tidy(x: f64) -> f64 {
    let scaled = x * 1e6;
    if scaled.is_finite() {
        scaled.round() / 1e6
    } else {
        x
    }
}

/// Builds the summary: every indicator's jurisdiction value by its rule; the
/// distribution of unit values only where at least `k` units contributed;
/// grade counts per category only where at least `k` units were graded.
pub fn build_summary(
    framework: &Framework,
    period: Period,
    obs: &ObservationSet,
    appraisals: &[Appraisal],
    k: u32,
    supersedes: Option<Supersedes>,
) -> Summary {
    let withheld = |n: usize| format!("{n} units contributed; distributions need at least k = {k}");
    let indicators = framework
        .indicators
        .iter()
        .map(|ind| {
            let agg = aggregate(ind, obs);
            let xs: Vec<f64> = agg.unit_values.iter().map(|(_, x)| *x).collect();
            let n = xs.len();
            let (distribution, why) = match stats(&xs) {
                Some(s) if n >= k as usize => (
                    Some(Distribution {
                        count: s.count as u32,
                        min: v(tidy(s.min)),
                        q1: v(tidy(s.q1)),
                        median: v(tidy(s.median)),
                        q3: v(tidy(s.q3)),
                        max: v(tidy(s.max)),
                        mean: v(tidy(s.mean)),
                        sd: v(tidy(s.sd)),
                    }),
                    None,
                ),
                _ => (None, Some(withheld(n))),
            };
            IndicatorSummary {
                indicator: ind.code.clone(),
                value: agg.value.map(|x| v(tidy(x))),
                contributors: n as u32,
                distribution,
                withheld: why,
            }
        })
        .collect();
    let grades = framework
        .categories
        .iter()
        .map(|c| {
            let graded: Vec<&Appraisal> =
                appraisals.iter().filter(|a| a.category == c.id).collect();
            if graded.len() >= k as usize {
                let mut counts: BTreeMap<Grade, u32> = BTreeMap::new();
                for a in &graded {
                    *counts.entry(a.grade).or_default() += 1;
                }
                GradeDistribution {
                    category: c.id.clone(),
                    counts: Some(counts),
                    withheld: None,
                }
            } else {
                GradeDistribution {
                    category: c.id.clone(),
                    counts: None,
                    withheld: Some(format!(
                        "{} units graded; grade counts need at least k = {k}",
                        graded.len()
                    )),
                }
            }
        })
        .collect();
    Summary {
        framework: framework.id.clone(),
        version: framework.version.clone(),
        period,
        k,
        indicators,
        grades,
        supersedes,
    }
}
