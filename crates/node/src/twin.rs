//! The performance twin on the node: year-end forecasts of the monthly
//! observations of a framework's indicators, with intervals calibrated on
//! past years (see `deltabench_engine::forecast`).
//!
//! For every (unit, indicator) of the framework with monthly values in the
//! year, the history is every month held of it. Units whose months of the
//! year are the same are calibrated together: their relative errors are
//! pooled per indicator (one series alone rarely has the four or more past
//! years an 80% interval needs), with `K` profile years: the most, up to 3,
//! that still leave the pool the calibration years the level needs (a
//! series with N full past years gives N − K), else 1. A series that
//! cannot use the pool is forecast on its own history, and says so. The
//! annual target is the unit's own (its observation of the year), else the
//! indicator's.

use crate::Node;
use crate::local::LocalError;
use deltabench_engine::forecast::{
    Goal, History, Interval, MissProbability, Params, Pool, forecast_year_end_pooled,
    min_calibration_points, year_to_date,
};
use deltabench_model::twin::{
    Acknowledgement, AcknowledgementRequest, ForecastList, ForecastRow, NoForecastRow, Warning,
    WarningKind, WarningList,
};
use deltabench_model::{FrameworkId, IndicatorCode, InvalidField, Period, UnitId};
use std::collections::BTreeMap;

impl Node {
    /// The year-end forecasts of framework `id`'s indicators for the year
    /// `period`, with intervals at `level`.
    pub fn forecasts(
        &self,
        id: &FrameworkId,
        period: Period,
        level: f64,
    ) -> Result<ForecastList, LocalError> {
        let Period::Year(year) = period else {
            return Err(LocalError::Invalid(InvalidField::new(
                "period",
                format!("{period} is not a year: forecasts are of a year's end"),
            )));
        };
        if !(level > 0.0 && level < 1.0) {
            return Err(LocalError::Invalid(InvalidField::new(
                "level",
                format!("{level} is not strictly between 0 and 1"),
            )));
        }
        let f = self.own_framework(id, None, Some(&period))?;
        let units: BTreeMap<UnitId, _> = self
            .store()
            .units()?
            .into_iter()
            .filter(|u| f.categories.iter().any(|c| c.id == u.category))
            .map(|u| (u.id.clone(), u))
            .collect();
        let mut series: BTreeMap<(IndicatorCode, UnitId), History> = BTreeMap::new();
        let mut targets: BTreeMap<(IndicatorCode, UnitId), f64> = BTreeMap::new();
        for o in self.store().observations(None, None, None)? {
            if !units.contains_key(&o.unit) || f.indicator(&o.indicator).is_none() {
                continue;
            }
            let key = (o.indicator.clone(), o.unit.clone());
            match o.period {
                Period::Month(..) => {
                    // Values are finite by construction.
                    let _ = series
                        .entry(key)
                        .or_default()
                        .insert(o.period, o.value.get());
                }
                Period::Year(y) if y == year => {
                    if let Some(t) = o.target {
                        targets.insert(key, t.get());
                    }
                }
                _ => {}
            }
        }
        let mut forecasts = Vec::new();
        let mut without = Vec::new();
        for ind in &f.indicators {
            let mine: Vec<(&UnitId, &History)> = series
                .iter()
                .filter(|((i, _), h)| i == &ind.code && !h.months_of(year).is_empty())
                .map(|((_, u), h)| (u, h))
                .collect();
            if mine.is_empty() {
                continue;
            }
            // K: the longest profile, up to 3 years, that still leaves
            // the pool enough calibration years for the level (a series
            // with N full past years gives N − K); else 1.
            let full: Vec<usize> = mine
                .iter()
                .map(|(_, h)| h.full_years_before(year).len())
                .collect();
            let needed = min_calibration_points(level);
            let k = (1..=3)
                .rev()
                .find(|k| full.iter().map(|n| n.saturating_sub(*k)).sum::<usize>() >= needed)
                .unwrap_or(1);
            let params = Params {
                level,
                profile_years: k,
            };
            // One pool per set of observed months.
            let mut groups: BTreeMap<Vec<u8>, Vec<(&UnitId, &History)>> = BTreeMap::new();
            for (u, h) in mine {
                let months: Vec<u8> = h.months_of(year).keys().copied().collect();
                groups.entry(months).or_default().push((u, h));
            }
            for (months, members) in groups {
                let pool = Pool::build(
                    members.iter().map(|(_, h)| *h),
                    year,
                    &months,
                    &ind.aggregation,
                    &params,
                );
                for (unit, h) in members {
                    let key = (ind.code.clone(), unit.clone());
                    let target = targets.get(&key).copied().or(ind.target.map(|t| t.get()));
                    let goal = Goal {
                        target,
                        direction: ind.direction,
                    };
                    let outcome = match &pool {
                        Ok(pool) => forecast_year_end_pooled(
                            h,
                            year,
                            &ind.aggregation,
                            &goal,
                            &params,
                            pool,
                        ),
                        Err(e) => Err(e.clone()),
                    };
                    match outcome {
                        Ok(fc) => {
                            let ytd = year_to_date(&h.months_of(year), &ind.aggregation, target)
                                .ok()
                                .map(|y| y.value);
                            let (interval_note, lower, upper) = match &fc.interval {
                                Interval::Conformal { lower, upper } => {
                                    (None, Some(*lower), Some(*upper))
                                }
                                Interval::Unavailable { reason } => {
                                    (Some(reason.clone()), None, None)
                                }
                            };
                            let (p_miss, p_miss_note) = match &fc.p_miss {
                                MissProbability::Estimated { p, .. } => (Some(*p), None),
                                MissProbability::Unavailable { reason } => {
                                    (None, Some(reason.clone()))
                                }
                            };
                            forecasts.push(ForecastRow {
                                unit: unit.clone(),
                                indicator: ind.code.clone(),
                                forecast: fc.forecast,
                                lower,
                                upper,
                                level,
                                interval_note,
                                p_miss,
                                p_miss_note,
                                method: fc.method,
                                target,
                                observed_months: fc.observed_months,
                                year_to_date: ytd,
                                calibration_points: fc.calibration_points,
                                notes: fc.notes,
                            });
                        }
                        Err(e) => without.push(NoForecastRow {
                            unit: unit.clone(),
                            indicator: ind.code.clone(),
                            reason: e.reason,
                        }),
                    }
                }
            }
        }
        Ok(ForecastList {
            framework: f.id.clone(),
            version: f.version.to_string(),
            period,
            level,
            forecasts,
            without,
        })
    }
}

impl Node {
    /// The early warnings of framework `id` for the year `period`: each
    /// forecast whose probability of missing its target exceeds the
    /// policy's threshold, and each rise of a jurisdiction's debt band in
    /// that year or later (reported or projected), with its
    /// acknowledgement if one was given.
    pub fn warnings(&self, id: &FrameworkId, period: Period) -> Result<WarningList, LocalError> {
        let threshold = self.policy().warn_p_miss;
        let forecasts = self.forecasts(id, period, 0.8)?;
        let acks = self.store().acknowledgements()?;
        let mut warnings = Vec::new();
        for f in &forecasts.forecasts {
            let Some(p) = f.p_miss.filter(|p| *p > threshold) else {
                continue;
            };
            let interval = match (f.lower, f.upper) {
                (Some(l), Some(u)) => format!(
                    ", {:.0}% interval {}–{}",
                    f.level * 100.0,
                    round4(l),
                    round4(u)
                ),
                _ => String::new(),
            };
            let wid = format!(
                "miss:{}:{}:{}:{}",
                forecasts.framework, period, f.unit, f.indicator
            );
            warnings.push(Warning {
                acknowledged: acks.get(&wid).cloned(),
                id: wid,
                kind: WarningKind::TargetMiss,
                period,
                unit: Some(f.unit.clone()),
                indicator: Some(f.indicator.clone()),
                jurisdiction: None,
                trigger: format!(
                    "P(miss) {p:.2} > {threshold}: year-end forecast {} against the target {}{interval}, after months {:?} ({})",
                    round4(f.forecast),
                    f.target.map_or("–".to_string(), |t| t.to_string()),
                    f.observed_months,
                    f.method
                ),
                p_miss: Some(p),
                projected: true,
            });
        }
        let debt = self.debt_risk()?;
        for c in debt
            .crossings
            .iter()
            .filter(|c| c.rising && c.period.year() >= period.year())
        {
            let wid = format!("debt:{}:{}", c.jurisdiction, c.period);
            let ratio = debt
                .rows
                .iter()
                .find(|r| r.jurisdiction == c.jurisdiction && r.period == c.period)
                .map_or(f64::NAN, |r| r.debt_ratio);
            warnings.push(Warning {
                acknowledged: acks.get(&wid).cloned(),
                id: wid,
                kind: WarningKind::DebtBand,
                period: c.period,
                unit: None,
                indicator: None,
                jurisdiction: Some(c.jurisdiction.clone()),
                trigger: format!(
                    "debt ratio {ratio:.1}% moves from {:?} to {:?}{}",
                    c.from,
                    c.to,
                    if c.projected {
                        " (projected over the bond calendar)"
                    } else {
                        ""
                    }
                ),
                p_miss: None,
                projected: c.projected,
            });
        }
        Ok(WarningList {
            p_miss_threshold: threshold,
            warnings,
        })
    }

    /// Records the office's acknowledgement of warning `id` with the action
    /// the unit takes. `Conflict` when it was acknowledged before. Durable
    /// when it returns.
    pub fn acknowledge(
        &self,
        id: &str,
        req: &AcknowledgementRequest,
    ) -> Result<Acknowledgement, LocalError> {
        req.validate().map_err(LocalError::Invalid)?;
        let valid =
            id.chars().count() <= 300 && (id.starts_with("miss:") || id.starts_with("debt:"));
        if !valid {
            return Err(LocalError::Invalid(InvalidField::new(
                "id",
                "not a warning id (miss:… or debt:…)",
            )));
        }
        // Only a warning that stands now can be acknowledged.
        let stands = match id.split(':').collect::<Vec<_>>().as_slice() {
            ["miss", framework, period, ..] => {
                match (FrameworkId::new(*framework), Period::parse(period)) {
                    (Ok(f), Ok(p)) => match self.warnings(&f, p) {
                        Ok(list) => list.warnings.iter().any(|w| w.id == id),
                        Err(LocalError::NotFound(_) | LocalError::Invalid(_)) => false,
                        Err(e) => return Err(e),
                    },
                    _ => false,
                }
            }
            ["debt", jurisdiction, period] => self.debt_risk()?.crossings.iter().any(|c| {
                c.rising
                    && c.jurisdiction.as_str() == *jurisdiction
                    && c.period.to_string() == *period
            }),
            _ => false,
        };
        if !stands {
            return Err(LocalError::NotFound(format!("no warning {id} stands now")));
        }
        let ack = Acknowledgement {
            action: req.action.trim().to_owned(),
            by: req.by.trim().to_owned(),
            at: self.now(),
        };
        if !self.store().acknowledge(id, &ack)? {
            return Err(LocalError::Conflict(format!(
                "warning {id} was acknowledged already"
            )));
        }
        self.flush()?;
        Ok(ack)
    }
}

/// `x` rounded to 4 decimals, for reading.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
