//! From unit values to the jurisdiction's value, by each indicator's rule.

use crate::ObservationSet;
use crate::stats::quantile;
use deltabench_model::documents::{Aggregation, Indicator};
use deltabench_model::{IndicatorCode, UnitId};

/// The jurisdiction-level value of one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The value by the indicator's rule; `None` when no unit contributed.
    pub value: Option<f64>,
    /// Each contributing unit's value of the indicator (for a ratio of sums,
    /// its own ratio), in unit order: the basis of the distribution.
    pub unit_values: Vec<(UnitId, f64)>,
}

/// Aggregates one indicator over the units' observations.
pub fn aggregate(indicator: &Indicator, obs: &ObservationSet) -> Aggregate {
    let own = |code: &IndicatorCode| -> Vec<(UnitId, f64)> {
        obs.of_indicator(code)
            .map(|(u, o)| (u.clone(), o.value.get()))
            .collect()
    };
    match &indicator.aggregation {
        Aggregation::Mean | Aggregation::Sum | Aggregation::Median => {
            let vals = own(&indicator.code);
            let xs: Vec<f64> = vals.iter().map(|(_, x)| *x).collect();
            let value = (!xs.is_empty()).then(|| match indicator.aggregation {
                Aggregation::Sum => xs.iter().sum(),
                Aggregation::Mean => xs.iter().sum::<f64>() / xs.len() as f64,
                _ => {
                    let mut sorted = xs.clone();
                    sorted.sort_by(f64::total_cmp);
                    quantile(&sorted, 0.5)
                }
            });
            Aggregate {
                value,
                unit_values: vals,
            }
        }
        Aggregation::WeightedMean { weight } => {
            let mut num = 0.0;
            let mut den = 0.0;
            let mut vals = Vec::new();
            for (u, o) in obs.of_indicator(&indicator.code) {
                if let Some(w) = obs.get(u, weight) {
                    num += o.value.get() * w.value.get();
                    den += w.value.get();
                    vals.push((u.clone(), o.value.get()));
                }
            }
            Aggregate {
                value: (den != 0.0).then(|| num / den),
                unit_values: vals,
            }
        }
        Aggregation::RatioOfSums {
            numerator,
            denominator,
            scale,
        } => {
            let mut num = 0.0;
            let mut den = 0.0;
            let mut vals = Vec::new();
            for (u, n) in obs.of_indicator(numerator) {
                if let Some(d) = obs.get(u, denominator) {
                    num += n.value.get();
                    den += d.value.get();
                    if d.value.get() != 0.0 {
                        vals.push((u.clone(), scale.get() * n.value.get() / d.value.get()));
                    }
                }
            }
            Aggregate {
                value: (den != 0.0).then(|| scale.get() * num / den),
                unit_values: vals,
            }
        }
    }
}
