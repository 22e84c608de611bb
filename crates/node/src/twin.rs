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
        warnings.extend(self.grade_falls(&forecasts, &acks)?);
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

    /// The units whose grade of the year, appraised with the year-end
    /// forecasts in place of those indicators' values (a what-if with the
    /// forecasts as assumed values), is worse than their grade of the year
    /// before. None when the framework does not cover the year before.
    fn grade_falls(
        &self,
        forecasts: &ForecastList,
        acks: &BTreeMap<String, Acknowledgement>,
    ) -> Result<Vec<Warning>, LocalError> {
        use deltabench_model::whatif::{AssumedValue, Changes, WhatIfRequest};
        let Period::Year(year) = forecasts.period else {
            return Ok(Vec::new());
        };
        if forecasts.forecasts.is_empty() {
            return Ok(Vec::new());
        }
        let before = match self.appraisals(&forecasts.framework, None, Period::Year(year - 1)) {
            Ok((_, a)) => a,
            Err(LocalError::NotFound(_) | LocalError::Invalid(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let values = forecasts
            .forecasts
            .iter()
            .map(|f| {
                Ok(AssumedValue {
                    unit: f.unit.clone(),
                    indicator: f.indicator.clone(),
                    value: deltabench_model::Value::new(round4(f.forecast))?,
                })
            })
            .collect::<Result<Vec<_>, InvalidField>>()
            .map_err(LocalError::Invalid)?;
        let forecast_of: BTreeMap<&UnitId, Vec<&str>> =
            forecasts
                .forecasts
                .iter()
                .fold(BTreeMap::new(), |mut m, f| {
                    m.entry(&f.unit).or_default().push(f.indicator.as_str());
                    m
                });
        let req = WhatIfRequest {
            framework: forecasts.framework.clone(),
            version: None,
            period: forecasts.period,
            changes: Changes {
                values,
                ..Changes::default()
            },
            draws: 0,
            seed: 0,
            perturbation: deltabench_model::Value::new(0.5).map_err(LocalError::Invalid)?,
        };
        let outcome = self.what_if(&req)?;
        let mut out = Vec::new();
        for u in &outcome.units {
            let (Some(after), Some(indicators)) = (&u.after, forecast_of.get(&u.unit)) else {
                continue;
            };
            let Some(last) = before.iter().find(|a| a.unit == u.unit) else {
                continue;
            };
            // Grades run from A (best) to E.
            if after.grade <= last.grade {
                continue;
            }
            let wid = format!(
                "grade:{}:{}:{}",
                forecasts.framework, forecasts.period, u.unit
            );
            out.push(Warning {
                acknowledged: acks.get(&wid).cloned(),
                id: wid,
                kind: WarningKind::GradeFall,
                period: forecasts.period,
                unit: Some(u.unit.clone()),
                indicator: None,
                jurisdiction: None,
                trigger: format!(
                    "grade forecast {:?} for {} (total {}) with the year-end forecasts of {}, after {:?} in {} (total {})",
                    after.grade,
                    forecasts.period,
                    after.total.get(),
                    indicators.join(", "),
                    last.grade,
                    year - 1,
                    last.total.get()
                ),
                p_miss: None,
                projected: true,
            });
        }
        Ok(out)
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
        let valid = id.chars().count() <= 300
            && ["miss:", "grade:", "debt:"]
                .iter()
                .any(|p| id.starts_with(p));
        if !valid {
            return Err(LocalError::Invalid(InvalidField::new(
                "id",
                "not a warning id (miss:…, grade:… or debt:…)",
            )));
        }
        // Only a warning that stands now can be acknowledged.
        let stands = match id.split(':').collect::<Vec<_>>().as_slice() {
            ["miss" | "grade", framework, period, ..] => {
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

/// The forecast commitment of a framework and year, and the indicators it
/// leaves out with why.
pub type Commitment = (
    deltabench_model::documents::ForecastCommitment,
    Vec<deltabench_model::twin::LeftOut>,
);

impl Node {
    /// The jurisdiction-level year-end forecast of each indicator of
    /// framework `id` with monthly values in year `period`, combined from
    /// its units' forecasts (`deltabench_engine::commitment`). An indicator
    /// is committed to only when every unit with months of the year has a
    /// forecast with an interval; the others are listed with why.
    pub fn forecast_commitment(
        &self,
        id: &FrameworkId,
        period: Period,
        level: f64,
    ) -> Result<Commitment, LocalError> {
        use deltabench_model::documents::{ForecastCommitment, IndicatorForecast};
        use deltabench_model::twin::LeftOut;
        let list = self.forecasts(id, period, level)?;
        let f = self.own_framework(id, None, Some(&period))?;
        let mut indicators = Vec::new();
        let mut left_out = Vec::new();
        let mut as_of: Option<u8> = None;
        for ind in &f.indicators {
            let rows: Vec<&ForecastRow> = list
                .forecasts
                .iter()
                .filter(|r| r.indicator == ind.code)
                .collect();
            let without: Vec<&NoForecastRow> = list
                .without
                .iter()
                .filter(|r| r.indicator == ind.code)
                .collect();
            if rows.is_empty() && without.is_empty() {
                continue;
            }
            let total = rows.len() + without.len();
            let mut units = Vec::new();
            let mut why = without.first().map(|w| format!("{}: {}", w.unit, w.reason));
            for r in &rows {
                match (r.lower, r.upper) {
                    (Some(lo), Some(hi)) => units.push((r.forecast, lo, hi)),
                    _ => {
                        why.get_or_insert_with(|| {
                            format!(
                                "{}: {}",
                                r.unit,
                                r.interval_note.as_deref().unwrap_or("no interval")
                            )
                        });
                    }
                }
            }
            if let Some(why) = why {
                left_out.push(LeftOut {
                    indicator: ind.code.clone(),
                    reason: format!(
                        "{} of {total} units have no forecast interval (first, {why})",
                        total - units.len()
                    ),
                });
                continue;
            }
            match deltabench_engine::commitment::combine_units(&ind.aggregation, &units) {
                Ok((x, lo, hi)) => {
                    let months = rows
                        .iter()
                        .filter_map(|r| r.observed_months.last().copied())
                        .max();
                    as_of = as_of.max(months);
                    let method = format!(
                        "{} over {} unit forecasts, interval ends combined alike; units: {}",
                        rule_name(&ind.aggregation),
                        units.len(),
                        rows[0].method
                    );
                    let value = |x: f64| {
                        deltabench_model::Value::new(round4(x))
                            .map_err(|e| LocalError::Invalid(e.within(ind.code.as_str())))
                    };
                    indicators.push(IndicatorForecast {
                        indicator: ind.code.clone(),
                        forecast: value(x)?,
                        lower: value(lo.min(x))?,
                        upper: value(hi.max(x))?,
                        units: units.len() as u32,
                        method: method.chars().take(200).collect(),
                    });
                }
                Err(reason) => left_out.push(LeftOut {
                    indicator: ind.code.clone(),
                    reason,
                }),
            }
        }
        let year = match period {
            Period::Year(y) => y,
            other => {
                return Err(LocalError::Invalid(InvalidField::new(
                    "period",
                    format!("{other} is not a year"),
                )));
            }
        };
        let (Some(month), false) = (as_of, indicators.is_empty()) else {
            let why = left_out
                .first()
                .map(|l| format!("; {}: {}", l.indicator, l.reason))
                .unwrap_or_default();
            return Err(LocalError::Invalid(InvalidField::new(
                "period",
                format!("no indicator of {id} can be forecast for {period} with an interval{why}"),
            )));
        };
        let level = deltabench_model::Value::new(level)
            .map_err(|e| LocalError::Invalid(e.within("level")))?;
        Ok((
            ForecastCommitment {
                framework: f.id.clone(),
                version: f.version.clone(),
                period,
                as_of: Period::Month(year, month),
                level,
                indicators,
            },
            left_out,
        ))
    }

    /// Signs and publishes the forecast commitment of framework `id` for
    /// year `period`. When the node's latest commitment of that framework
    /// and year says the same, it is returned as it is (`false`).
    pub fn publish_forecast_commitment(
        &self,
        id: &FrameworkId,
        period: Period,
        level: f64,
    ) -> Result<(deltabench_trust::Document, bool, Commitment), LocalError> {
        use deltabench_model::documents::ForecastCommitment;
        let _guard = crate::lock(&self.local_lock);
        let (c, left_out) = self.forecast_commitment(id, period, level)?;
        let latest = self
            .held::<ForecastCommitment>(Some(&self.identity().code))?
            .into_iter()
            .rev()
            .find(|(_, p)| &p.framework == id && p.period == period);
        if let Some((meta, prev)) = latest {
            if prev == c {
                let bytes = self.store().document(&meta.hash)?.unwrap_or_default();
                let doc = deltabench_trust::Document::decode(&bytes, &self.policy().limits)
                    .map_err(|r| {
                        LocalError::Store(deltabench_store::StoreError::Corrupt(r.to_string()))
                    })?;
                return Ok((doc, false, (c, left_out)));
            }
        }
        let doc = self.publish(&c)?;
        Ok((doc, true, (c, left_out)))
    }

    /// Every forecast document held for year `period`, from every member,
    /// scored against its issuer's summary of the framework and year. Each
    /// committed indicator names the reference indicators it maps onto
    /// through mutually recognised crosswalks.
    pub fn forecast_skill(
        &self,
        period: Period,
    ) -> Result<deltabench_model::twin::ForecastSkill, LocalError> {
        use deltabench_model::comparison::CrosswalkStatus;
        use deltabench_model::documents::{ForecastCommitment, Summary};
        use deltabench_model::twin::{CommitmentScore, CommitmentStatus, ForecastSkill};
        if !matches!(period, Period::Year(_)) {
            return Err(LocalError::Invalid(InvalidField::new(
                "period",
                format!("{period} is not a year: forecasts are of a year's end"),
            )));
        }
        let crosswalks: Vec<_> = self
            .view()
            .crosswalks()
            .into_iter()
            .filter(|r| r.status == CrosswalkStatus::Recognised)
            .map(|r| r.crosswalk)
            .collect();
        let mut summaries: BTreeMap<_, Vec<(u64, crate::DocHash, Summary)>> = BTreeMap::new();
        for (meta, s) in self.held::<Summary>(None)? {
            if s.period == period {
                summaries
                    .entry((meta.issuer.clone(), s.framework.clone()))
                    .or_default()
                    .push((meta.seq, meta.hash, s));
            }
        }
        let mut commitments = Vec::new();
        for (meta, c) in self.held::<ForecastCommitment>(None)? {
            if c.period != period {
                continue;
            }
            let of_year = summaries.get(&(meta.issuer.clone(), c.framework.clone()));
            let first = of_year.and_then(|v| v.iter().map(|(seq, ..)| *seq).min());
            let latest = of_year.and_then(|v| v.iter().max_by_key(|(seq, ..)| *seq));
            let status = match first {
                None => CommitmentStatus::AwaitingSummary,
                Some(f) if meta.seq < f => CommitmentStatus::Scored,
                Some(_) => CommitmentStatus::AfterSummary,
            };
            let mut indicators =
                deltabench_engine::commitment::score(&c, latest.map(|(_, _, s)| s));
            for row in &mut indicators {
                row.references = crosswalks
                    .iter()
                    .filter(|x| {
                        x.source.framework == c.framework
                            && x.source.indicator == row.indicator
                            && x.source.versions.matches(&c.version)
                    })
                    .map(|x| format!("{}/{}", x.target.framework, x.target.code))
                    .collect();
            }
            let (coverage, mean, scored) = if status == CommitmentStatus::Scored {
                deltabench_engine::commitment::totals(&indicators)
            } else {
                (None, None, 0)
            };
            commitments.push(CommitmentScore {
                issuer: meta.issuer,
                commitment: meta.hash,
                seq: meta.seq,
                issued_at: meta.issued_at,
                framework: c.framework.clone(),
                as_of: c.as_of,
                level: c.level.get(),
                status,
                summary: latest.map(|(_, h, _)| h.clone()),
                first_summary_seq: first,
                indicators,
                coverage: coverage.map(round4),
                mean_relative_interval_score: mean.map(round4),
                scored,
            });
        }
        Ok(ForecastSkill {
            period,
            commitments,
        })
    }
}

fn rule_name(a: &deltabench_model::documents::Aggregation) -> &'static str {
    use deltabench_model::documents::Aggregation as A;
    match a {
        A::Sum => "sum",
        A::Mean => "mean",
        A::Median => "median",
        A::WeightedMean { .. } => "weighted mean",
        A::RatioOfSums { .. } => "ratio of sums",
    }
}
