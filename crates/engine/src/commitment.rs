//! Forecasts as commitments: a jurisdiction's year-end forecast of each
//! indicator's jurisdiction-level value, made from its units' forecasts,
//! and its score once the year's summary gives the actual value.
//!
//! **Combining units.** The jurisdiction value is the indicator's
//! aggregation rule over the units' values. The point forecast is that rule
//! over the units' point forecasts, and the interval is the rule over the
//! units' lower ends and over their upper ends. For a sum, a mean or a
//! median this is the exact interval when the units' errors move together
//! (comonotone), and wider than needed when they do not, so the level is
//! kept or exceeded rather than overstated. A weighted mean (the weights are
//! forecast too) and a ratio of sums are not monotone in each unit's value
//! that way, and get no commitment.
//!
//! **Scoring.** Each committed interval is scored against the summary's
//! value: whether it held it, and the interval score of Gneiting and
//! Raftery (2007), also over |actual| so that jurisdictions and indicators
//! of different sizes compare.

use crate::forecast::interval_score;
use deltabench_model::documents::{Aggregation, ForecastCommitment, Summary};
use deltabench_model::twin::IndicatorSkill;

/// One unit's forecast: point, lower end, upper end.
pub type UnitForecast = (f64, f64, f64);

/// The jurisdiction's forecast and interval from its units' by `rule`, or
/// why there is none.
pub fn combine_units(rule: &Aggregation, units: &[UnitForecast]) -> Result<UnitForecast, String> {
    if units.is_empty() {
        return Err("no unit has a forecast with an interval".into());
    }
    let by = |f: fn(&[f64]) -> f64| {
        let col = |i: usize| -> Vec<f64> {
            units
                .iter()
                .map(|u| match i {
                    0 => u.0,
                    1 => u.1,
                    _ => u.2,
                })
                .collect()
        };
        (f(&col(0)), f(&col(1)), f(&col(2)))
    };
    match rule {
        Aggregation::Sum => Ok(by(|xs| xs.iter().sum())),
        Aggregation::Mean => Ok(by(|xs| xs.iter().sum::<f64>() / xs.len() as f64)),
        Aggregation::Median => Ok(by(median)),
        Aggregation::WeightedMean { .. } => Err(
            "a weighted mean's weights are forecast too, so unit intervals do not bound it".into(),
        ),
        Aggregation::RatioOfSums { .. } => {
            Err("a ratio of sums is not bounded by its units' intervals".into())
        }
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    crate::stats::quantile(&v, 0.5)
}

/// Scores each committed indicator against the summary's values (`None`:
/// not yet scored). Indicators the summary lacks, or gives no value for,
/// stay unscored.
pub fn score(c: &ForecastCommitment, actual: Option<&Summary>) -> Vec<IndicatorSkill> {
    let level = c.level.get();
    c.indicators
        .iter()
        .map(|f| {
            let (x, lo, hi) = (f.forecast.get(), f.lower.get(), f.upper.get());
            let a = actual.and_then(|s| {
                s.indicators
                    .iter()
                    .find(|i| i.indicator == f.indicator)
                    .and_then(|i| i.value)
                    .map(|v| v.get())
            });
            let is = a.map(|a| interval_score(lo, hi, a, level));
            IndicatorSkill {
                indicator: f.indicator.clone(),
                references: Vec::new(),
                forecast: x,
                lower: lo,
                upper: hi,
                actual: a,
                covered: a.map(|a| lo <= a && a <= hi),
                interval_score: is,
                relative_interval_score: a
                    .zip(is)
                    .and_then(|(a, s)| (a != 0.0).then(|| s / a.abs())),
            }
        })
        .collect()
}

/// The share of scored intervals holding the actual, and the mean relative
/// interval score, of `rows`.
pub fn totals(rows: &[IndicatorSkill]) -> (Option<f64>, Option<f64>, usize) {
    let covered: Vec<bool> = rows.iter().filter_map(|r| r.covered).collect();
    let rel: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.relative_interval_score)
        .collect();
    let n = covered.len();
    let coverage = (n > 0).then(|| covered.iter().filter(|&&c| c).count() as f64 / n as f64);
    let mean = (!rel.is_empty()).then(|| rel.iter().sum::<f64>() / rel.len() as f64);
    (coverage, mean, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::documents::{IndicatorForecast, IndicatorSummary};
    use deltabench_model::{FrameworkId, IndicatorCode, Period, Value};

    fn v(x: f64) -> Value {
        Value::new(x).unwrap()
    }

    #[test]
    fn units_combine_endpoint_by_endpoint() {
        let u = [(10.0, 8.0, 13.0), (20.0, 18.0, 21.0), (30.0, 25.0, 31.0)];
        assert_eq!(combine_units(&Aggregation::Sum, &u), Ok((60.0, 51.0, 65.0)));
        assert_eq!(
            combine_units(&Aggregation::Mean, &u),
            Ok((20.0, 17.0, 65.0 / 3.0))
        );
        assert_eq!(
            combine_units(&Aggregation::Median, &u),
            Ok((20.0, 18.0, 21.0))
        );
        let even = [(1.0, 0.0, 2.0), (3.0, 2.0, 6.0)];
        assert_eq!(
            combine_units(&Aggregation::Median, &even),
            Ok((2.0, 1.0, 4.0))
        );
        let w = Aggregation::WeightedMean {
            weight: IndicatorCode::new("w").unwrap(),
        };
        assert!(combine_units(&w, &u).unwrap_err().contains("weighted mean"));
        assert!(combine_units(&Aggregation::Sum, &[]).is_err());
    }

    #[test]
    fn scores_against_the_summary_by_hand() {
        let c = ForecastCommitment {
            framework: FrameworkId::new("t.hqd").unwrap(),
            version: semver::Version::new(1, 0, 0),
            period: Period::Year(2025),
            as_of: Period::Month(2025, 9),
            level: v(0.8),
            indicators: ["held", "missed", "absent"]
                .iter()
                .map(|code| IndicatorForecast {
                    indicator: IndicatorCode::new(*code).unwrap(),
                    forecast: v(100.0),
                    lower: v(90.0),
                    upper: v(110.0),
                    units: 3,
                    method: "sum".into(),
                })
                .collect(),
        };
        let entry = |code: &str, x: f64| IndicatorSummary {
            indicator: IndicatorCode::new(code).unwrap(),
            value: Some(v(x)),
            contributors: 3,
            distribution: None,
            withheld: Some("few".into()),
        };
        let s = Summary {
            framework: c.framework.clone(),
            version: c.version.clone(),
            period: c.period,
            k: 5,
            indicators: vec![entry("held", 95.0), entry("missed", 120.0)],
            grades: vec![],
            supersedes: None,
        };
        let rows = score(&c, Some(&s));
        // Held: the width, 20; 20 / 95.
        assert_eq!(rows[0].covered, Some(true));
        assert_eq!(rows[0].interval_score, Some(20.0));
        assert!((rows[0].relative_interval_score.unwrap() - 20.0 / 95.0).abs() < 1e-12);
        // Missed by 10 at level 0.8: 20 + 2 / 0.2 × 10 = 120; 120 / 120 = 1.
        assert_eq!(rows[1].covered, Some(false));
        assert!((rows[1].interval_score.unwrap() - 120.0).abs() < 1e-9);
        assert!((rows[1].relative_interval_score.unwrap() - 1.0).abs() < 1e-12);
        // Not in the summary: not scored.
        assert_eq!(rows[2].actual, None);
        assert_eq!(rows[2].covered, None);
        let (coverage, mean, n) = totals(&rows);
        assert_eq!((coverage, n), (Some(0.5), 2));
        assert!((mean.unwrap() - (20.0 / 95.0 + 1.0) / 2.0).abs() < 1e-12);
        // Before the summary, nothing is scored.
        assert_eq!(totals(&score(&c, None)), (None, None, 0));
    }
}
