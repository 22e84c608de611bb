//! In-year progress and year-end forecasts of monthly indicators, with
//! intervals calibrated on the indicator's own past years.
//!
//! An office observes an indicator of a unit month by month during a year
//! beside an annual target. This module answers, from those months and the
//! months of past years: how far the year has come ([`year_to_date`]), what
//! the year-end value will likely be, within what interval, and how likely
//! the target is to be missed ([`forecast_year_end`],
//! [`forecast_year_end_pooled`]); and how honest those intervals have been
//! over many series ([`backtest`]). Everything is a pure function of its
//! inputs: no IO, no clock, no randomness.
//!
//! # Why not a forecasting crate
//!
//! An appraisal series is monthly with a strong within-year pattern (a slow
//! first quarter, a December rush) and two to five years long. The Rust
//! forecasting crates looked at do not fit it: `augurs-ets` (0.10) does not
//! implement seasonal exponential smoothing yet, and `augurs-mstl` needs
//! at least two full seasonal cycles per series for its STL step and leaves
//! the interval to the trend model's normal errors, which is the coverage
//! gap that conformal calibration closes. The method here is short, exact
//! and specified below so that another implementation can reproduce every
//! number; its intervals need no distribution, so no distribution crate
//! (`statrs`) is needed either.
//!
//! # Data
//!
//! A [`History`] holds finite monthly values `x[y][m]` for year `y` and month
//! `m` in 1..=12. A year is **full** when all twelve months are present.
//! The year being forecast, `Y`, has a set `O` of observed months (any
//! subset, not necessarily a prefix); the other months are "remaining".
//!
//! # Year-end rule
//!
//! The year-end value of twelve monthly values is given by the indicator's
//! [`Aggregation`]: `sum` adds them, `mean` averages them, `median` takes
//! the median (the mean of the 6th and 7th smallest). Rules that need
//! another indicator (`weighted_mean`, `ratio_of_sums`) cannot be tracked or
//! forecast from one series: they are refused with a reason.
//!
//! # Point forecast: seasonal mean plus current-year offset
//!
//! Let `P` be the `k` most recent full years before `Y` (the *profile
//! years*). For each month `m`:
//!
//! ```text
//! s[m] = (1/k) · Σ_{p∈P} x[p][m]                  (seasonal profile)
//! d    = (1/|O|) · Σ_{m∈O} (x[Y][m] − s[m])       (current-year offset)
//! x̂[Y][m] = s[m] + d            for m ∉ O
//! ŷ = rule(x[Y][m] for m ∈ O, x̂[Y][m] for m ∉ O)  (year-end forecast)
//! ```
//!
//! With a linear trend and additive monthly seasonality the profile carries
//! the same within-year trend as the current year, so the offset `d` is the
//! level shift since the profile years and the forecast is unbiased.
//!
//! The number of profile years is `k = min(K, N − 1)` when there are `N ≥ 2`
//! full years before `Y` (`K` is [`Params::profile_years`]), so that at
//! least one past year can be calibrated with the same `k`; `k = 1` when
//! `N = 1` (a seasonal naive forecast shifted by the offset, with no
//! calibration possible).
//!
//! **Fallback** when there is no full year before `Y` but some months of `Y`
//! are observed: every remaining month is forecast as the mean of the
//! observed months of `Y` (no seasonality), the method says so, and no
//! interval is given. With no observed month of `Y` there is no forecast.
//!
//! # Intervals: split-conformal calibration on past years
//!
//! For each full year `p < Y` that has `k` full years before it, pretend to
//! stand at the same point of year `p`: observe only the months `O` of `p`,
//! forecast `p`'s year-end `ŷ_p` by the same method with the same `k`, and
//! record the signed error `e_p = y_p − ŷ_p` against `p`'s actual year-end
//! `y_p`. These `n` errors are the calibration set; their absolute values
//! are the scores.
//!
//! At level `L` (0 < L < 1) the conformal quantile is the `r`-th smallest
//! score with `r = ⌈(n+1)·L⌉` ([`conformal_rank`]). When `r > n`, that is
//! when `n < L/(1−L)`, there are too few calibration years for that level
//! (4 for 80%, 9 for 90%, 19 for 95%) and no interval is given, with the
//! reason. Otherwise the interval is `[ŷ − q, ŷ + q]`. If the calibration
//! errors and the current year's error are exchangeable, the interval holds
//! the actual year-end with probability at least `L` (and below
//! `L + 1/(n+1)` without ties).
//!
//! **Pooled calibration** ([`Pool`], [`forecast_year_end_pooled`]): one
//! series rarely has four or more calibrated years, so the errors of many
//! series of the same indicator (e.g. every unit) may be pooled. Each error
//! is divided by its series' scale, `σ = (1/k)·Σ_{p∈P} |y_p|`, the mean
//! absolute year-end value of its profile years; the scores are `|e|/σ`,
//! the interval is `ŷ ± q·σ_Y` with `σ_Y` the scale of the series being
//! forecast, and every series uses exactly `k = K` profile years. This
//! assumes relative errors are exchangeable across the pooled series (noise
//! proportional to the series' level); points with `σ = 0` are left out and
//! counted in the notes.
//!
//! # Probability of missing the target
//!
//! With target `T`, each calibration error gives a plausible year-end
//! `ŷ + e_p` (`ŷ + (e_p/σ_p)·σ_Y` when pooled). The probability of a miss is
//! the share of these on the wrong side of the target: below `T` for
//! `higher_is_better`, above `T` for `lower_is_better`; the count `n` it
//! rests on is reported with it. `closest_to_target` has no wrong side, so no
//! probability is given (the interval beside the target tells the story).
//! With no target or no calibration point there is none either, with the
//! reason.
//!
//! # Backtest
//!
//! [`backtest`] replays the forecast, at a given month, for every full year
//! of every series that has a full year before it, using only what was known
//! then, and reports the empirical coverage of the intervals, their mean
//! width and the mean interval score of Gneiting and Raftery (2007):
//!
//! ```text
//! IS_α(l, u; y) = (u − l) + (2/α)·(l − y)·[y < l] + (2/α)·(y − u)·[y > u],   α = 1 − L
//! ```
//!
//! (lower is better: width plus a penalty for each miss).

use deltabench_model::Period;
use deltabench_model::documents::{Aggregation, Direction};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why a value could not be given: a sentence for the person reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoForecast {
    /// The reason, in words.
    pub reason: String,
}

impl NoForecast {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for NoForecast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for NoForecast {}

/// The outcome of a forecast: a forecast, or the reason there is none.
pub type Outcome = Result<Forecast, NoForecast>;

/// Monthly values of one indicator of one unit, by year and month. Every
/// value held is finite.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    years: BTreeMap<u16, [Option<f64>; 12]>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// A history of the given monthly values; the first value that is not
    /// a month's or not finite is refused with the reason.
    pub fn from_months(
        values: impl IntoIterator<Item = (Period, f64)>,
    ) -> Result<Self, NoForecast> {
        let mut h = Self::new();
        for (p, v) in values {
            h.insert(p, v)?;
        }
        Ok(h)
    }

    /// Records a month's value (replacing one held). Only
    /// [`Period::Month`] periods and finite values are accepted.
    pub fn insert(&mut self, period: Period, value: f64) -> Result<(), NoForecast> {
        match period {
            Period::Month(y, m) => self.insert_month(y, m, value),
            other => Err(NoForecast::new(format!(
                "{other} is not a month: a monthly history holds months only"
            ))),
        }
    }

    /// Records the value of month `month` (1..=12) of `year`.
    pub fn insert_month(&mut self, year: u16, month: u8, value: f64) -> Result<(), NoForecast> {
        if !(1..=12).contains(&month) {
            return Err(NoForecast::new(format!("month {month} is not 1 to 12")));
        }
        if !value.is_finite() {
            return Err(NoForecast::new(format!(
                "the value of {year}-{month:02} is not a finite number ({value})"
            )));
        }
        self.years.entry(year).or_insert([None; 12])[usize::from(month - 1)] = Some(value);
        Ok(())
    }

    /// The value of a month, if held.
    pub fn get(&self, year: u16, month: u8) -> Option<f64> {
        let i = usize::from(month.checked_sub(1)?);
        self.years.get(&year)?.get(i).copied().flatten()
    }

    /// The months held of a year, by month number.
    pub fn months_of(&self, year: u16) -> BTreeMap<u8, f64> {
        let mut out = BTreeMap::new();
        if let Some(row) = self.years.get(&year) {
            for (i, v) in row.iter().enumerate() {
                if let Some(v) = v {
                    out.insert(i as u8 + 1, *v);
                }
            }
        }
        out
    }

    /// Whether all twelve months of the year are held.
    pub fn is_full(&self, year: u16) -> bool {
        self.full_row(year).is_some()
    }

    /// The years with at least one month held, in order.
    pub fn years(&self) -> impl Iterator<Item = u16> + '_ {
        self.years.keys().copied()
    }

    /// What was known at the end of month `through` of `year`: the years
    /// before it, and its months up to `through`.
    pub fn as_of(&self, year: u16, through: u8) -> History {
        let mut out = History::new();
        for (&y, row) in self.years.range(..=year) {
            let mut row = *row;
            if y == year {
                for (i, v) in row.iter_mut().enumerate() {
                    if i as u8 + 1 > through {
                        *v = None;
                    }
                }
            }
            out.years.insert(y, row);
        }
        out
    }

    fn full_row(&self, year: u16) -> Option<[f64; 12]> {
        let row = self.years.get(&year)?;
        let mut out = [0.0; 12];
        for (o, v) in out.iter_mut().zip(row) {
            *o = (*v)?;
        }
        Some(out)
    }

    /// The full years before `year`, most recent first.
    pub fn full_years_before(&self, year: u16) -> Vec<u16> {
        self.years
            .range(..year)
            .rev()
            .filter(|(_, row)| row.iter().all(Option::is_some))
            .map(|(&y, _)| y)
            .collect()
    }
}

/// How twelve months make a year, for the rules one series can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YearRule {
    Sum,
    Mean,
    Median,
}

impl YearRule {
    fn of(rule: &Aggregation) -> Result<Self, NoForecast> {
        match rule {
            Aggregation::Sum => Ok(Self::Sum),
            Aggregation::Mean => Ok(Self::Mean),
            Aggregation::Median => Ok(Self::Median),
            Aggregation::WeightedMean { weight } => Err(NoForecast::new(format!(
                "weighted_mean is not supported for in-year tracking or forecasting: \
                 it needs the months of the weight indicator {weight} as well"
            ))),
            Aggregation::RatioOfSums {
                numerator,
                denominator,
                ..
            } => Err(NoForecast::new(format!(
                "ratio_of_sums is not supported for in-year tracking or forecasting: \
                 track and forecast its numerator {numerator} and denominator \
                 {denominator} (both sums) instead"
            ))),
        }
    }

    /// The rule applied to values (none empty).
    fn apply(self, values: &[f64]) -> f64 {
        let n = values.len() as f64;
        match self {
            Self::Sum => values.iter().sum(),
            Self::Mean => values.iter().sum::<f64>() / n,
            Self::Median => {
                let mut v = values.to_vec();
                v.sort_by(f64::total_cmp);
                let h = v.len() / 2;
                if v.len() % 2 == 1 {
                    v[h]
                } else {
                    (v[h - 1] + v[h]) / 2.0
                }
            }
        }
    }
}

/// How the year so far compares with the annual target.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetProgress {
    /// No target was given.
    NoTarget,
    /// For a `sum`: the share of the annual target reached so far,
    /// `ytd / target` (0.5 is half the target).
    ShareOfTarget(f64),
    /// For a `mean` or `median`: the year-to-date value minus the target
    /// (a level, compared with a level).
    GapToTarget(f64),
    /// The comparison is undefined, with the reason (a `sum` against a
    /// target of 0).
    Undefined {
        /// Why.
        reason: String,
    },
}

/// The year-to-date aggregate of the months observed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct YearToDate {
    /// How many months were observed.
    pub months: usize,
    /// The aggregate: the sum of the months for `sum`, their mean for
    /// `mean`, their median for `median`.
    pub value: f64,
    /// Progress toward the annual target.
    pub progress: TargetProgress,
}

/// The year-to-date aggregate of the observed months (month number →
/// value) by the indicator's rule, and progress toward the annual target.
///
/// Refused, with the reason, for rules that need other indicators, for no
/// months, for a month outside 1..=12 and for a value or target that is not
/// finite.
pub fn year_to_date(
    observed: &BTreeMap<u8, f64>,
    rule: &Aggregation,
    target: Option<f64>,
) -> Result<YearToDate, NoForecast> {
    let rule = YearRule::of(rule)?;
    if observed.is_empty() {
        return Err(NoForecast::new("no month of the year is observed yet"));
    }
    for (&m, &v) in observed {
        if !(1..=12).contains(&m) {
            return Err(NoForecast::new(format!("month {m} is not 1 to 12")));
        }
        if !v.is_finite() {
            return Err(NoForecast::new(format!(
                "the value of month {m} is not a finite number ({v})"
            )));
        }
    }
    let values: Vec<f64> = observed.values().copied().collect();
    let value = rule.apply(&values);
    if !value.is_finite() {
        return Err(NoForecast::new("the year-to-date value overflows"));
    }
    let progress = match target {
        None => TargetProgress::NoTarget,
        Some(t) if !t.is_finite() => {
            return Err(NoForecast::new(format!(
                "the target is not a finite number ({t})"
            )));
        }
        Some(t) => match rule {
            YearRule::Sum if t == 0.0 => TargetProgress::Undefined {
                reason: "the annual target is 0: no share of it can be reached".into(),
            },
            YearRule::Sum => TargetProgress::ShareOfTarget(value / t),
            YearRule::Mean | YearRule::Median => TargetProgress::GapToTarget(value - t),
        },
    };
    Ok(YearToDate {
        months: values.len(),
        value,
        progress,
    })
}

/// Settings of a forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// The interval's level `L`, strictly between 0 and 1 (0.8 for 80%).
    pub level: f64,
    /// `K`, the most past full years averaged into the seasonal profile
    /// (at least 1). Per series, `min(K, N − 1)` are used; pooled, exactly
    /// `K`.
    pub profile_years: usize,
}

impl Default for Params {
    /// 80% intervals, profiles of up to 3 years.
    fn default() -> Self {
        Self {
            level: 0.8,
            profile_years: 3,
        }
    }
}

impl Params {
    fn check(&self) -> Result<(), NoForecast> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(NoForecast::new(format!(
                "the interval level must lie strictly between 0 and 1, not {}",
                self.level
            )));
        }
        if self.profile_years == 0 {
            return Err(NoForecast::new("profile_years must be at least 1"));
        }
        Ok(())
    }
}

/// The annual target and which side of it is good.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// The annual target, if any.
    pub target: Option<f64>,
    /// Which way the indicator is good.
    pub direction: Direction,
}

/// The interval around a year-end forecast.
#[derive(Debug, Clone, PartialEq)]
pub enum Interval {
    /// A conformal interval `[lower, upper]` at the forecast's level.
    Conformal {
        /// The lower end.
        lower: f64,
        /// The upper end.
        upper: f64,
    },
    /// No interval, with the reason (too few calibration years, a fallback
    /// method).
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// The probability of missing the annual target.
#[derive(Debug, Clone, PartialEq)]
pub enum MissProbability {
    /// The share of calibration errors that would put the year-end on the
    /// wrong side of the target.
    Estimated {
        /// The share, 0 to 1.
        p: f64,
        /// How many calibration errors it rests on.
        based_on: usize,
    },
    /// No probability, with the reason.
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// A year-end forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The year forecast.
    pub year: u16,
    /// The months of that year that were observed.
    pub observed_months: Vec<u8>,
    /// The forecast year-end value, by the indicator's rule.
    pub forecast: f64,
    /// The interval's level.
    pub level: f64,
    /// The interval, or why there is none.
    pub interval: Interval,
    /// The probability of missing the target, or why there is none.
    pub p_miss: MissProbability,
    /// The method, e.g. `seasonal-mean+offset(k=2)+conformal`, or
    /// `current-year-mean (fallback: no full past year)`.
    pub method: String,
    /// How many calibration errors the interval and `p_miss` rest on.
    pub calibration_points: usize,
    /// The profile years averaged, most recent first (none for the
    /// fallback).
    pub profile_years: Vec<u16>,
    /// Caveats worth reading (years left out, pooled points left out).
    pub notes: Vec<String>,
}

impl Forecast {
    /// The interval's lower end, if there is an interval.
    pub fn lower(&self) -> Option<f64> {
        match self.interval {
            Interval::Conformal { lower, .. } => Some(lower),
            Interval::Unavailable { .. } => None,
        }
    }

    /// The interval's upper end, if there is an interval.
    pub fn upper(&self) -> Option<f64> {
        match self.interval {
            Interval::Conformal { upper, .. } => Some(upper),
            Interval::Unavailable { .. } => None,
        }
    }
}

/// The 1-based rank `⌈(n+1)·L⌉` of the conformal quantile among `n`
/// sorted scores, or `None` when it exceeds `n` (too few scores for the
/// level) or the level is not strictly between 0 and 1.
///
/// A tolerance of 1e-9 absorbs binary rounding, so that `(4+1)·0.8` is 4.
pub fn conformal_rank(n: usize, level: f64) -> Option<usize> {
    if !(level > 0.0 && level < 1.0) {
        return None;
    }
    let r = ((n as f64 + 1.0) * level - 1e-9).ceil().max(1.0) as usize;
    (r <= n).then_some(r)
}

/// The fewest scores for which [`conformal_rank`] exists at `level`:
/// the smallest `n ≥ L/(1−L)`.
pub fn min_calibration_points(level: f64) -> usize {
    if !(level > 0.0 && level < 1.0) {
        return usize::MAX;
    }
    let mut n = (level / (1.0 - level) - 1e-9).ceil().max(1.0) as usize;
    // Guard against rounding at the boundary.
    while conformal_rank(n, level).is_none() && n < usize::MAX / 2 {
        n += 1;
    }
    n
}

/// The conformal quantile of the scores at `level`: the `⌈(n+1)·L⌉`-th
/// smallest, or why there is none.
pub fn conformal_quantile(scores: &[f64], level: f64) -> Result<f64, NoForecast> {
    let n = scores.len();
    let Some(r) = conformal_rank(n, level) else {
        return Err(NoForecast::new(too_few(n, level)));
    };
    let mut s = scores.to_vec();
    s.sort_by(f64::total_cmp);
    Ok(s[r - 1])
}

fn too_few(n: usize, level: f64) -> String {
    format!(
        "too few calibration years for a {}% interval: {} needed, {} available",
        fmt_pct(level),
        min_calibration_points(level),
        n
    )
}

fn fmt_pct(level: f64) -> String {
    let p = level * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round())
    } else {
        format!("{p}")
    }
}

/// A point forecast and what it was built from.
struct Point {
    year_end: f64,
    /// Mean absolute year-end value of the profile years (0 for the
    /// fallback).
    scale: f64,
    profile: Vec<u16>,
}

/// The observed months of `year` in `h`, limited to `months`.
fn observed_values(h: &History, year: u16, months: &[u8]) -> Vec<(u8, f64)> {
    months
        .iter()
        .filter_map(|&m| h.get(year, m).map(|v| (m, v)))
        .collect()
}

/// The seasonal-mean-plus-offset forecast of `year`'s year-end from the `k`
/// most recent full years before it and its months `months` (all held).
fn seasonal_point(
    h: &History,
    year: u16,
    months: &[u8],
    rule: YearRule,
    k: usize,
) -> Option<Point> {
    let profile: Vec<u16> = h.full_years_before(year).into_iter().take(k).collect();
    if profile.len() < k || k == 0 || months.is_empty() {
        return None;
    }
    let rows: Vec<[f64; 12]> = profile.iter().filter_map(|&p| h.full_row(p)).collect();
    let mut s = [0.0; 12];
    for row in &rows {
        for (a, v) in s.iter_mut().zip(row) {
            *a += v;
        }
    }
    for a in &mut s {
        *a /= k as f64;
    }
    let obs = observed_values(h, year, months);
    if obs.len() != months.len() {
        return None;
    }
    let d = obs
        .iter()
        .map(|&(m, v)| v - s[usize::from(m - 1)])
        .sum::<f64>()
        / obs.len() as f64;
    let mut months12 = [0.0; 12];
    for (i, x) in months12.iter_mut().enumerate() {
        *x = s[i] + d;
    }
    for &(m, v) in &obs {
        months12[usize::from(m - 1)] = v;
    }
    let year_end = rule.apply(&months12);
    let scale = rows.iter().map(|r| rule.apply(r).abs()).sum::<f64>() / k as f64;
    Some(Point {
        year_end,
        scale,
        profile,
    })
}

/// Signed errors (actual − forecast) and scales of the full years before
/// `year` that have `k` full years before them, forecast from their months
/// `months`.
fn calibration_errors(
    h: &History,
    year: u16,
    months: &[u8],
    rule: YearRule,
    k: usize,
) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut fulls = h.full_years_before(year);
    fulls.reverse();
    for p in fulls {
        let Some(actual) = h.full_row(p).map(|r| rule.apply(&r)) else {
            continue;
        };
        if let Some(pt) = seasonal_point(h, p, months, rule, k) {
            let e = actual - pt.year_end;
            if e.is_finite() && pt.scale.is_finite() {
                out.push((e, pt.scale));
            }
        }
    }
    out
}

fn p_miss(goal: &Goal, plausible: &[f64]) -> MissProbability {
    let unavailable = |r: &str| MissProbability::Unavailable { reason: r.into() };
    let Some(t) = goal.target else {
        return unavailable("no annual target");
    };
    if !t.is_finite() {
        return unavailable("the target is not a finite number");
    }
    let wrong_side: fn(f64, f64) -> bool = match goal.direction {
        Direction::HigherIsBetter => |y, t| y < t,
        Direction::LowerIsBetter => |y, t| y > t,
        Direction::ClosestToTarget => {
            return unavailable(
                "closest_to_target has no wrong side of the target; compare the interval with it",
            );
        }
    };
    if plausible.is_empty() {
        return unavailable("no calibration year to estimate it from");
    }
    let misses = plausible.iter().filter(|&&y| wrong_side(y, t)).count();
    MissProbability::Estimated {
        p: misses as f64 / plausible.len() as f64,
        based_on: plausible.len(),
    }
}

/// What every forecast checks first: the rule, the params, the observed
/// months of `year`, and the years after it (left out, with a note).
struct Prepared {
    rule: YearRule,
    months: Vec<u8>,
    notes: Vec<String>,
}

fn prepare(
    h: &History,
    year: u16,
    rule: &Aggregation,
    params: &Params,
) -> Result<Prepared, NoForecast> {
    let rule = YearRule::of(rule)?;
    params.check()?;
    let months: Vec<u8> = h.months_of(year).into_keys().collect();
    if months.is_empty() {
        return Err(NoForecast::new(format!(
            "no month of {year} is observed yet: nothing to start the forecast from"
        )));
    }
    let mut notes = Vec::new();
    let later: Vec<u16> = h.years().filter(|&y| y > year).collect();
    if !later.is_empty() {
        notes.push(format!("years after {year} left out: {later:?}"));
    }
    let partial: Vec<u16> = h.years().filter(|&y| y < year && !h.is_full(y)).collect();
    if !partial.is_empty() {
        notes.push(format!(
            "past years without all twelve months left out: {partial:?}"
        ));
    }
    Ok(Prepared {
        rule,
        months,
        notes,
    })
}

fn fallback(h: &History, year: u16, prep: Prepared, params: &Params) -> Outcome {
    let obs = observed_values(h, year, &prep.months);
    let mean = obs.iter().map(|&(_, v)| v).sum::<f64>() / obs.len() as f64;
    let mut months12 = [mean; 12];
    for &(m, v) in &obs {
        months12[usize::from(m - 1)] = v;
    }
    let year_end = prep.rule.apply(&months12);
    if !year_end.is_finite() {
        return Err(NoForecast::new("the forecast overflows"));
    }
    let reason = "no full past year: the fallback has no calibration";
    Ok(Forecast {
        year,
        observed_months: prep.months,
        forecast: year_end,
        level: params.level,
        interval: Interval::Unavailable {
            reason: reason.into(),
        },
        p_miss: MissProbability::Unavailable {
            reason: reason.into(),
        },
        method: "current-year-mean (fallback: no full past year)".into(),
        calibration_points: 0,
        profile_years: Vec::new(),
        notes: prep.notes,
    })
}

/// Calibration errors in units of `unit` (1 per series, the target's scale
/// when pooled), with their absolute values sorted.
struct Calibrated<'a> {
    errors: &'a [f64],
    sorted_scores: &'a [f64],
    unit: f64,
}

fn sorted_abs(errors: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    s.sort_by(f64::total_cmp);
    s
}

/// Assembles a forecast from a point and its calibration.
fn assemble(
    year: u16,
    prep: Prepared,
    point: Point,
    cal: Calibrated<'_>,
    params: &Params,
    goal: &Goal,
    method: String,
) -> Outcome {
    if !point.year_end.is_finite() {
        return Err(NoForecast::new("the forecast overflows"));
    }
    let (rel_errors, unit) = (cal.errors, cal.unit);
    let n = cal.sorted_scores.len();
    let quantile = match conformal_rank(n, params.level) {
        Some(r) => Ok(cal.sorted_scores[r - 1]),
        None => Err(NoForecast::new(too_few(n, params.level))),
    };
    let interval = match quantile {
        Ok(q) => {
            let half = q * unit;
            let (lower, upper) = (point.year_end - half, point.year_end + half);
            if lower.is_finite() && upper.is_finite() {
                Interval::Conformal { lower, upper }
            } else {
                Interval::Unavailable {
                    reason: "the interval overflows".into(),
                }
            }
        }
        Err(e) => Interval::Unavailable { reason: e.reason },
    };
    let plausible: Vec<f64> = rel_errors
        .iter()
        .map(|e| point.year_end + e * unit)
        .collect();
    Ok(Forecast {
        year,
        observed_months: prep.months,
        forecast: point.year_end,
        level: params.level,
        interval,
        p_miss: p_miss(goal, &plausible),
        method,
        calibration_points: rel_errors.len(),
        profile_years: point.profile,
        notes: prep.notes,
    })
}

/// The year-end forecast of `year` from one series' history, with an
/// interval calibrated on the series' own past years (see the module
/// documentation for the method).
///
/// The months of `year` held in `history` are the observed ones; years
/// after `year` and past years without all twelve months are left out
/// (and noted). No forecast, with the reason, for an unsupported rule, bad
/// params or no observed month of `year`.
pub fn forecast_year_end(
    history: &History,
    year: u16,
    rule: &Aggregation,
    goal: &Goal,
    params: &Params,
) -> Outcome {
    let prep = prepare(history, year, rule, params)?;
    let n_full = history.full_years_before(year).len();
    if n_full == 0 {
        return fallback(history, year, prep, params);
    }
    let k = params.profile_years.min(n_full.saturating_sub(1)).max(1);
    let Some(point) = seasonal_point(history, year, &prep.months, prep.rule, k) else {
        return Err(NoForecast::new("the seasonal profile could not be formed"));
    };
    let errors: Vec<f64> = calibration_errors(history, year, &prep.months, prep.rule, k)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let method = format!("seasonal-mean+offset(k={k})+conformal");
    let sorted_scores = sorted_abs(&errors);
    let cal = Calibrated {
        errors: &errors,
        sorted_scores: &sorted_scores,
        unit: 1.0,
    };
    assemble(year, prep, point, cal, params, goal, method)
}

/// Calibration errors pooled over many series of one indicator, all
/// forecast at the same point of the year: see "Pooled calibration" in the
/// module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    year: u16,
    months: Vec<u8>,
    rule: YearRule,
    k: usize,
    /// Relative signed errors `e/σ`.
    errors: Vec<f64>,
    /// Their absolute values, sorted.
    sorted_scores: Vec<f64>,
    /// Points left out because their scale was 0.
    zero_scale: usize,
    /// Series that gave at least one point.
    series: usize,
}

impl Pool {
    /// The pooled calibration for forecasting `year` after observing its
    /// months `months`: every full year before `year` of every series that
    /// has `params.profile_years` full years before it gives one relative
    /// error. Refused for an unsupported rule, bad params or no months.
    pub fn build<'a>(
        series: impl IntoIterator<Item = &'a History>,
        year: u16,
        months: &[u8],
        rule: &Aggregation,
        params: &Params,
    ) -> Result<Self, NoForecast> {
        let rule = YearRule::of(rule)?;
        params.check()?;
        let months: Vec<u8> = months
            .iter()
            .copied()
            .collect::<BTreeSet<u8>>()
            .into_iter()
            .collect();
        if months.is_empty() || months.iter().any(|m| !(1..=12).contains(m)) {
            return Err(NoForecast::new(
                "the observed months must be a non-empty set of months 1 to 12",
            ));
        }
        let k = params.profile_years;
        let (mut errors, mut zero_scale, mut contributing) = (Vec::new(), 0, 0);
        for h in series {
            let pts = calibration_errors(h, year, &months, rule, k);
            if !pts.is_empty() {
                contributing += 1;
            }
            for (e, s) in pts {
                if s > 0.0 {
                    errors.push(e / s);
                } else {
                    zero_scale += 1;
                }
            }
        }
        Ok(Self {
            year,
            months,
            rule,
            k,
            sorted_scores: sorted_abs(&errors),
            errors,
            zero_scale,
            series: contributing,
        })
    }

    /// How many relative errors the pool holds.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether the pool holds no error.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many series gave at least one error.
    pub fn series(&self) -> usize {
        self.series
    }
}

/// The year-end forecast of `year` for one series with an interval from a
/// [`Pool`] of relative calibration errors (see the module documentation).
///
/// The series must have been observed in the pool's months of the pool's
/// year by the same rule; otherwise, or when the series has fewer than `K`
/// full past years or a zero scale, the per-series forecast is given
/// instead, with a note saying why.
pub fn forecast_year_end_pooled(
    history: &History,
    year: u16,
    rule: &Aggregation,
    goal: &Goal,
    params: &Params,
    pool: &Pool,
) -> Outcome {
    let mut prep = prepare(history, year, rule, params)?;
    let per_series = |why: String| {
        forecast_year_end(history, year, rule, goal, params).map(|mut f| {
            f.notes.push(format!("pooled calibration not used: {why}"));
            f
        })
    };
    if pool.year != year || pool.months != prep.months || pool.rule != prep.rule {
        return per_series(format!(
            "the pool was built for {} months {:?}, the series is at {} months {:?} or has another rule",
            pool.year, pool.months, year, prep.months
        ));
    }
    if pool.k != params.profile_years {
        return per_series(format!(
            "the pool uses {} profile years, the params {}",
            pool.k, params.profile_years
        ));
    }
    let Some(point) = seasonal_point(history, year, &prep.months, prep.rule, pool.k) else {
        return per_series(format!(
            "the series has fewer than {} full past years",
            pool.k
        ));
    };
    if !(point.scale > 0.0 && point.scale.is_finite()) {
        return per_series("the series' scale is 0".into());
    }
    if pool.zero_scale > 0 {
        prep.notes.push(format!(
            "{} pooled points with a zero scale left out",
            pool.zero_scale
        ));
    }
    let unit = point.scale;
    let method = format!(
        "seasonal-mean+offset(k={})+pooled-relative-conformal({} series)",
        pool.k, pool.series
    );
    let cal = Calibrated {
        errors: &pool.errors,
        sorted_scores: &pool.sorted_scores,
        unit,
    };
    assemble(year, prep, point, cal, params, goal, method)
}

/// The interval score of Gneiting and Raftery (2007) of `[lower, upper]`
/// at level `level` for the actual value: its width plus `2/(1−L)` times
/// the distance by which the actual falls outside it.
pub fn interval_score(lower: f64, upper: f64, actual: f64, level: f64) -> f64 {
    let alpha = 1.0 - level;
    let mut s = upper - lower;
    if actual < lower {
        s += 2.0 / alpha * (lower - actual);
    }
    if actual > upper {
        s += 2.0 / alpha * (actual - upper);
    }
    s
}

/// Where a backtest takes its calibration errors from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calibration {
    /// Each series from its own past years ([`forecast_year_end`]).
    PerSeries,
    /// All series' past years pooled ([`forecast_year_end_pooled`]).
    Pooled,
}

/// What a backtest found.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestReport {
    /// The nominal level.
    pub level: f64,
    /// Year-ends eligible: a full year with a full year before it.
    pub eligible: usize,
    /// Forecasts made.
    pub forecasts: usize,
    /// Forecasts with an interval.
    pub with_interval: usize,
    /// Intervals that held the actual year-end.
    pub covered: usize,
    /// `covered / with_interval`, when there is an interval.
    pub coverage: Option<f64>,
    /// The mean width of the intervals.
    pub mean_width: Option<f64>,
    /// The mean interval score (lower is better).
    pub mean_interval_score: Option<f64>,
    /// The mean absolute error of the point forecasts.
    pub mean_abs_error: Option<f64>,
}

/// Replays the forecast at the end of month `month` for every full year of
/// every series that has a full year before it, using only the months known
/// then, and scores the intervals against the actual year-ends.
pub fn backtest(
    series: &[History],
    month: u8,
    rule: &Aggregation,
    params: &Params,
    calibration: Calibration,
) -> Result<BacktestReport, NoForecast> {
    let year_rule = YearRule::of(rule)?;
    params.check()?;
    if !(1..=12).contains(&month) {
        return Err(NoForecast::new(format!("month {month} is not 1 to 12")));
    }
    let months: Vec<u8> = (1..=month).collect();
    let goal = Goal {
        target: None,
        direction: Direction::HigherIsBetter,
    };
    let years: BTreeSet<u16> = series.iter().flat_map(History::years).collect();
    let mut r = BacktestReport {
        level: params.level,
        eligible: 0,
        forecasts: 0,
        with_interval: 0,
        covered: 0,
        coverage: None,
        mean_width: None,
        mean_interval_score: None,
        mean_abs_error: None,
    };
    let (mut width, mut score, mut abs_err) = (0.0, 0.0, 0.0);
    for &y in &years {
        let pool = match calibration {
            Calibration::Pooled => Some(Pool::build(series, y, &months, rule, params)?),
            Calibration::PerSeries => None,
        };
        for h in series {
            let Some(actual) = h.full_row(y).map(|row| year_rule.apply(&row)) else {
                continue;
            };
            if h.full_years_before(y).is_empty() {
                continue;
            }
            r.eligible += 1;
            let known = h.as_of(y, month);
            let outcome = match &pool {
                Some(pool) => forecast_year_end_pooled(&known, y, rule, &goal, params, pool),
                None => forecast_year_end(&known, y, rule, &goal, params),
            };
            let Ok(f) = outcome else { continue };
            r.forecasts += 1;
            abs_err += (actual - f.forecast).abs();
            if let Interval::Conformal { lower, upper } = f.interval {
                r.with_interval += 1;
                if lower <= actual && actual <= upper {
                    r.covered += 1;
                }
                width += upper - lower;
                score += interval_score(lower, upper, actual, params.level);
            }
        }
    }
    if r.forecasts > 0 {
        r.mean_abs_error = Some(abs_err / r.forecasts as f64);
    }
    if r.with_interval > 0 {
        let n = r.with_interval as f64;
        r.coverage = Some(r.covered as f64 / n);
        r.mean_width = Some(width / n);
        r.mean_interval_score = Some(score / n);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::IndicatorCode;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn year(h: &mut History, y: u16, values: &[f64]) {
        for (i, &v) in values.iter().enumerate() {
            h.insert_month(y, i as u8 + 1, v).unwrap();
        }
    }

    fn halves(a: f64, b: f64) -> [f64; 12] {
        [a, a, a, a, a, a, b, b, b, b, b, b]
    }

    fn goal(target: Option<f64>, direction: Direction) -> Goal {
        Goal { target, direction }
    }

    fn no_goal() -> Goal {
        goal(None, Direction::HigherIsBetter)
    }

    fn params(level: f64, profile_years: usize) -> Params {
        Params {
            level,
            profile_years,
        }
    }

    #[test]
    fn forecast_sum_from_one_past_year_by_hand() {
        // 2023: 10 a month to June, 20 a month after: 180 in the year.
        // 2024: 12, 12, 12 in January to March.
        // k = 1, profile s = 2023's months; offset d = mean(12 − 10) = 2;
        // April to June 10 + 2 = 12 each, July to December 20 + 2 = 22 each.
        // Year-end sum = 36 + 3·12 + 6·22 = 36 + 36 + 132 = 204.
        let mut h = History::new();
        year(&mut h, 2023, &halves(10.0, 20.0));
        year(&mut h, 2024, &[12.0, 12.0, 12.0]);
        let f =
            forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &Params::default()).unwrap();
        assert_eq!(f.forecast, 204.0);
        assert_eq!(f.observed_months, vec![1, 2, 3]);
        assert_eq!(f.profile_years, vec![2023]);
        assert_eq!(f.method, "seasonal-mean+offset(k=1)+conformal");
        assert_eq!(f.calibration_points, 0);
        match &f.interval {
            Interval::Unavailable { reason } => assert_eq!(
                reason,
                "too few calibration years for a 80% interval: 4 needed, 0 available"
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(f.p_miss, MissProbability::Unavailable { .. }));
    }

    #[test]
    fn forecast_mean_and_median_by_hand() {
        // 2022 flat at 5, 2023 flat at 7; 2024 observed 8 (Jan), 10 (Feb).
        // N = 2 full years, so k = min(3, 2 − 1) = 1: profile {2023}, s = 7.
        // d = mean(8 − 7, 10 − 7) = 2; March to December 9 each.
        // Mean year-end = (8 + 10 + 10·9) / 12 = 108 / 12 = 9.
        // Median of {8, 10, 9 ×10} = 9.
        // Calibration on 2023 from {2022}: s = 5, d = mean(7−5, 7−5) = 2,
        // so every month forecast 7 = actual: one error of 0.
        let mut h = History::new();
        year(&mut h, 2022, &[5.0; 12]);
        year(&mut h, 2023, &[7.0; 12]);
        year(&mut h, 2024, &[8.0, 10.0]);
        let p = params(0.5, 3);
        let f = forecast_year_end(&h, 2024, &Aggregation::Mean, &no_goal(), &p).unwrap();
        assert_eq!(f.forecast, 9.0);
        assert_eq!(f.calibration_points, 1);
        // n = 1 at 50%: rank ⌈2·0.5⌉ = 1, q = 0.
        assert_eq!(
            f.interval,
            Interval::Conformal {
                lower: 9.0,
                upper: 9.0
            }
        );
        let m = forecast_year_end(&h, 2024, &Aggregation::Median, &no_goal(), &p).unwrap();
        assert_eq!(m.forecast, 9.0);
    }

    /// Six years where the first half is 10 a month and the second half
    /// 10 + g; g by year is 0, 1, −1, 2, 0 for 2019 to 2023, and 2024 has
    /// January to June at 10.
    fn gap_series() -> History {
        let mut h = History::new();
        for (y, g) in [
            (2019, 0.0),
            (2020, 1.0),
            (2021, -1.0),
            (2022, 2.0),
            (2023, 0.0),
        ] {
            year(&mut h, y, &halves(10.0, 10.0 + g));
        }
        year(&mut h, 2024, &[10.0; 6]);
        h
    }

    #[test]
    fn conformal_interval_by_hand() {
        // With k = 1 and January to June observed, the offset of year p is
        // a_p − a_{p−1} = 0, so the forecast second half is 6·b_{p−1} and
        // the error is e_p = 6·(g_p − g_{p−1}):
        //   2020: 6·(1 − 0) = 6, 2021: 6·(−1 − 1) = −12,
        //   2022: 6·(2 + 1) = 18, 2023: 6·(0 − 2) = −12.
        // Scores 6, 12, 12, 18; n = 4, at 80% rank ⌈5·0.8⌉ = 4: q = 18.
        // 2024: 60 observed + 6·b_2023 = 60 + 60 = 120; interval [102, 138].
        let h = gap_series();
        let f =
            forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &params(0.8, 1)).unwrap();
        assert_eq!(f.forecast, 120.0);
        assert_eq!(f.calibration_points, 4);
        assert_eq!(f.profile_years, vec![2023]);
        assert_eq!(f.lower(), Some(102.0));
        assert_eq!(f.upper(), Some(138.0));
        // At 90%, 9 calibration years are needed.
        let g =
            forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &params(0.9, 1)).unwrap();
        assert_eq!(
            g.interval,
            Interval::Unavailable {
                reason: "too few calibration years for a 90% interval: 9 needed, 4 available"
                    .into()
            }
        );
        assert_eq!(g.lower(), None);
    }

    #[test]
    fn miss_probability_depends_on_direction() {
        // Plausible year-ends 120 + {6, −12, 18, −12} = 126, 108, 138, 108.
        let h = gap_series();
        let p = params(0.8, 1);
        let run = |d| {
            forecast_year_end(&h, 2024, &Aggregation::Sum, &goal(Some(130.0), d), &p)
                .unwrap()
                .p_miss
        };
        // Higher is better, target 130: 126, 108, 108 fall short: 3 of 4.
        assert_eq!(
            run(Direction::HigherIsBetter),
            MissProbability::Estimated {
                p: 0.75,
                based_on: 4
            }
        );
        // Lower is better, target 130: only 138 is above: 1 of 4.
        assert_eq!(
            run(Direction::LowerIsBetter),
            MissProbability::Estimated {
                p: 0.25,
                based_on: 4
            }
        );
        assert!(matches!(
            run(Direction::ClosestToTarget),
            MissProbability::Unavailable { .. }
        ));
        // No target: no probability, with the reason.
        let f = forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &p).unwrap();
        assert_eq!(
            f.p_miss,
            MissProbability::Unavailable {
                reason: "no annual target".into()
            }
        );
        // On the target exactly is not a miss: target 126, higher is
        // better: 108, 108 short: 2 of 4.
        let f = forecast_year_end(
            &h,
            2024,
            &Aggregation::Sum,
            &goal(Some(126.0), Direction::HigherIsBetter),
            &p,
        )
        .unwrap();
        assert_eq!(
            f.p_miss,
            MissProbability::Estimated {
                p: 0.5,
                based_on: 4
            }
        );
    }

    #[test]
    fn conformal_rank_on_small_n() {
        assert_eq!(conformal_rank(4, 0.8), Some(4));
        assert_eq!(conformal_rank(3, 0.8), None);
        assert_eq!(conformal_rank(5, 0.8), Some(5)); // ⌈4.8⌉
        assert_eq!(conformal_rank(9, 0.8), Some(8));
        assert_eq!(conformal_rank(9, 0.9), Some(9));
        assert_eq!(conformal_rank(8, 0.9), None);
        assert_eq!(conformal_rank(1, 0.5), Some(1));
        assert_eq!(conformal_rank(19, 0.5), Some(10));
        assert_eq!(conformal_rank(0, 0.5), None);
        assert_eq!(conformal_rank(10, 1.0), None);
        assert_eq!(conformal_rank(10, 0.0), None);
        assert_eq!(conformal_rank(10, f64::NAN), None);
        assert_eq!(min_calibration_points(0.5), 1);
        assert_eq!(min_calibration_points(0.8), 4);
        assert_eq!(min_calibration_points(0.9), 9);
        assert_eq!(min_calibration_points(0.95), 19);
        assert_eq!(conformal_quantile(&[3.0, 1.0, 2.0, 5.0, 4.0], 0.5), Ok(3.0));
        assert_eq!(
            conformal_quantile(&[1.0, 2.0], 0.8),
            Err(NoForecast::new(
                "too few calibration years for a 80% interval: 4 needed, 2 available"
            ))
        );
    }

    #[test]
    fn short_series_fall_back_or_refuse_with_reasons() {
        // Only the current year: the mean of the observed months fills the
        // rest. 3, 6, 9 observed, mean 6: sum = 18 + 9·6 = 72.
        let mut h = History::new();
        year(&mut h, 2024, &[3.0, 6.0, 9.0]);
        let f =
            forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &Params::default()).unwrap();
        assert_eq!(f.forecast, 72.0);
        assert_eq!(f.method, "current-year-mean (fallback: no full past year)");
        assert!(f.lower().is_none());
        assert!(matches!(f.p_miss, MissProbability::Unavailable { .. }));

        // A past year with a gap does not count as a profile year, and says so.
        let mut g = h.clone();
        year(&mut g, 2023, &[1.0; 11]);
        let f =
            forecast_year_end(&g, 2024, &Aggregation::Sum, &no_goal(), &Params::default()).unwrap();
        assert_eq!(f.method, "current-year-mean (fallback: no full past year)");
        assert_eq!(
            f.notes,
            vec!["past years without all twelve months left out: [2023]".to_string()]
        );

        // Nothing observed in the year: no forecast.
        let mut past = History::new();
        year(&mut past, 2023, &[1.0; 12]);
        let e = forecast_year_end(
            &past,
            2024,
            &Aggregation::Sum,
            &no_goal(),
            &Params::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.reason,
            "no month of 2024 is observed yet: nothing to start the forecast from"
        );
        let e = forecast_year_end(
            &History::new(),
            2024,
            &Aggregation::Mean,
            &no_goal(),
            &Params::default(),
        )
        .unwrap_err();
        assert!(e.reason.starts_with("no month of 2024"));

        // Bad params.
        let e = forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &params(1.0, 3))
            .unwrap_err();
        assert!(e.reason.contains("strictly between 0 and 1"));
        let e = forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &params(0.8, 0))
            .unwrap_err();
        assert_eq!(e.reason, "profile_years must be at least 1");
    }

    #[test]
    fn history_refuses_what_it_cannot_hold() {
        let mut h = History::new();
        assert!(h.insert(Period::Month(2024, 1), f64::NAN).is_err());
        assert!(h.insert(Period::Month(2024, 1), f64::INFINITY).is_err());
        let e = h.insert(Period::Quarter(2024, 1), 1.0).unwrap_err();
        assert_eq!(
            e.reason,
            "2024-Q1 is not a month: a monthly history holds months only"
        );
        assert!(h.insert_month(2024, 0, 1.0).is_err());
        assert!(h.insert_month(2024, 13, 1.0).is_err());
        assert_eq!(h, History::new());
        assert_eq!(h.get(2024, 0), None);
        let h = History::from_months([(Period::Month(2024, 2), 4.0)]).unwrap();
        assert_eq!(h.get(2024, 2), Some(4.0));
        assert!(!h.is_full(2024));
    }

    #[test]
    fn year_to_date_sum_mean_median_and_refusals() {
        let obs: BTreeMap<u8, f64> = [(1, 10.0), (2, 20.0), (3, 30.0)].into();
        // Sum: 60 of 240 is a quarter of the target.
        let y = year_to_date(&obs, &Aggregation::Sum, Some(240.0)).unwrap();
        assert_eq!(y.months, 3);
        assert_eq!(y.value, 60.0);
        assert_eq!(y.progress, TargetProgress::ShareOfTarget(0.25));
        // Mean: (10 + 20 + 30) / 3 = 20, 5 below a target of 25.
        let y = year_to_date(&obs, &Aggregation::Mean, Some(25.0)).unwrap();
        assert_eq!(y.value, 20.0);
        assert_eq!(y.progress, TargetProgress::GapToTarget(-5.0));
        // Median of 1, 9, 4 is 4; of 1, 9, 4, 6 is (4 + 6) / 2 = 5.
        let odd: BTreeMap<u8, f64> = [(1, 1.0), (2, 9.0), (3, 4.0)].into();
        let y = year_to_date(&odd, &Aggregation::Median, None).unwrap();
        assert_eq!((y.value, y.progress), (4.0, TargetProgress::NoTarget));
        let even: BTreeMap<u8, f64> = [(1, 1.0), (2, 9.0), (3, 4.0), (4, 6.0)].into();
        assert_eq!(
            year_to_date(&even, &Aggregation::Median, None)
                .unwrap()
                .value,
            5.0
        );
        // A sum against a zero target has no share.
        assert!(matches!(
            year_to_date(&obs, &Aggregation::Sum, Some(0.0))
                .unwrap()
                .progress,
            TargetProgress::Undefined { .. }
        ));

        let code = |s: &str| IndicatorCode::new(s).unwrap();
        let e = year_to_date(
            &obs,
            &Aggregation::WeightedMean {
                weight: code("pop"),
            },
            None,
        )
        .unwrap_err();
        assert!(
            e.reason
                .starts_with("weighted_mean is not supported for in-year tracking"),
            "{e}"
        );
        let ratio = Aggregation::RatioOfSums {
            numerator: code("done"),
            denominator: code("due"),
            scale: deltabench_model::Value::new(100.0).unwrap(),
        };
        let e = year_to_date(&obs, &ratio, None).unwrap_err();
        assert!(
            e.reason.starts_with("ratio_of_sums is not supported"),
            "{e}"
        );
        // ... and the forecast refuses it the same way.
        let mut h = History::new();
        year(&mut h, 2024, &[1.0]);
        assert_eq!(
            forecast_year_end(&h, 2024, &ratio, &no_goal(), &Params::default()).unwrap_err(),
            e
        );

        assert!(year_to_date(&BTreeMap::new(), &Aggregation::Sum, None).is_err());
        let bad: BTreeMap<u8, f64> = [(13, 1.0)].into();
        assert!(year_to_date(&bad, &Aggregation::Sum, None).is_err());
        let nan: BTreeMap<u8, f64> = [(1, f64::NAN)].into();
        assert!(year_to_date(&nan, &Aggregation::Sum, None).is_err());
        assert!(year_to_date(&obs, &Aggregation::Sum, Some(f64::NAN)).is_err());
    }

    #[test]
    fn interval_score_by_hand() {
        // [0, 10] at 80%, α = 0.2: inside costs the width, 10; an actual of
        // 12 adds 2/0.2 · 2 = 20; an actual of −1 adds 2/0.2 · 1 = 10.
        assert_eq!(interval_score(0.0, 10.0, 5.0, 0.8), 10.0);
        assert!((interval_score(0.0, 10.0, 12.0, 0.8) - 30.0).abs() < 1e-9);
        assert!((interval_score(0.0, 10.0, -1.0, 0.8) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn later_years_are_left_out_and_noted() {
        let mut h = gap_series();
        year(&mut h, 2025, &[1000.0; 12]);
        let f =
            forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &params(0.8, 1)).unwrap();
        assert_eq!(f.forecast, 120.0);
        assert_eq!(
            f.notes,
            vec!["years after 2024 left out: [2025]".to_string()]
        );
    }

    #[test]
    fn pooled_calibration_gives_intervals_per_series_cannot() {
        // Two series, the second twice the first: relative errors agree.
        let a = gap_series();
        let mut b = History::new();
        for y in a.years() {
            for (m, v) in a.months_of(y) {
                b.insert_month(y, m, 2.0 * v).unwrap();
            }
        }
        let p = params(0.8, 1);
        let months: Vec<u8> = (1..=6).collect();
        let pool = Pool::build([&a, &b], 2024, &months, &Aggregation::Sum, &p).unwrap();
        assert_eq!(pool.len(), 8);
        assert_eq!(pool.series(), 2);
        let f =
            forecast_year_end_pooled(&b, 2024, &Aggregation::Sum, &no_goal(), &p, &pool).unwrap();
        assert_eq!(f.forecast, 240.0);
        assert_eq!(f.calibration_points, 8);
        assert!(f.method.contains("pooled-relative-conformal(2 series)"));
        // Relative errors of a (the scale is the previous year's sum,
        // 120 + 6·g): 2020 6/120, 2021 −12/126, 2022 18/114, 2023 −12/132;
        // b's are the same. At n = 8 the rank ⌈9·0.8⌉ = 8 takes the largest,
        // 18/114, times b's scale (its 2023 sum, 240).
        let half = 18.0 / 114.0 * 240.0;
        assert!((f.upper().unwrap() - (240.0 + half)).abs() < 1e-9);
        assert!((f.lower().unwrap() - (240.0 - half)).abs() < 1e-9);

        // A pool built for other months is not used, and the note says so.
        let other = Pool::build([&a, &b], 2024, &[1, 2], &Aggregation::Sum, &p).unwrap();
        let g =
            forecast_year_end_pooled(&b, 2024, &Aggregation::Sum, &no_goal(), &p, &other).unwrap();
        assert!(g.method.ends_with("+conformal"));
        assert!(g.notes[0].starts_with("pooled calibration not used"));
    }

    fn normal(rng: &mut ChaCha8Rng) -> f64 {
        // Box–Muller.
        let u: f64 = 1.0 - rng.random::<f64>();
        let v: f64 = rng.random();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Seeded series: level in 50..150, a monthly trend between −0.2% and
    /// +1% of the level, seasonality of amplitude 20% of the level, and
    /// Gaussian noise with a standard deviation of 5% of the level; `years`
    /// chooses each series' number of years from 2017 on.
    fn generate(seed: u64, n: usize, years: impl Fn(&mut ChaCha8Rng) -> u16) -> Vec<History> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let level = 50.0 + 100.0 * rng.random::<f64>();
                let trend = level * (-0.002 + 0.012 * rng.random::<f64>());
                let phase = std::f64::consts::TAU * rng.random::<f64>();
                let count = years(&mut rng);
                let mut h = History::new();
                for (yi, y) in (2017..2017 + count).enumerate() {
                    for m in 1..=12u8 {
                        let t = (yi * 12 + usize::from(m)) as f64;
                        let season = 0.2
                            * level
                            * (std::f64::consts::TAU * f64::from(m) / 12.0 + phase).sin();
                        let v = level + trend * t + season + 0.05 * level * normal(&mut rng);
                        h.insert_month(y, m, v).unwrap();
                    }
                }
                h
            })
            .collect()
    }

    #[test]
    fn backtest_per_series_coverage_near_nominal() {
        // 300 series of 8 years, forecast at the end of June, K = 2: years
        // with at least 4 calibration years (2023, 2024) get 80% intervals.
        let series = generate(7, 300, |_| 8);
        let p = params(0.8, 2);
        let r = backtest(&series, 6, &Aggregation::Sum, &p, Calibration::PerSeries).unwrap();
        eprintln!("per-series backtest, sum, June, L = 0.8, K = 2: {r:?}");
        assert_eq!(r.eligible, 300 * 7);
        assert_eq!(r.forecasts, r.eligible);
        assert_eq!(r.with_interval, 600);
        let c = r.coverage.unwrap();
        assert!((c - 0.8).abs() <= 0.08, "coverage {c}");
        assert!(r.mean_width.unwrap() > 0.0);
        assert!(r.mean_interval_score.unwrap() >= r.mean_width.unwrap());
    }

    #[test]
    fn backtest_pooled_coverage_near_nominal() {
        // 400 series of 3 to 6 years, pooled across series, K = 2.
        let series = generate(11, 400, |rng| 3 + rng.random_range(0..4u16));
        for (level, month, rule) in [
            (0.8, 6, Aggregation::Sum),
            (0.9, 6, Aggregation::Sum),
            (0.8, 3, Aggregation::Mean),
            (0.8, 9, Aggregation::Median),
        ] {
            let p = params(level, 2);
            let r = backtest(&series, month, &rule, &p, Calibration::Pooled).unwrap();
            eprintln!("pooled backtest, {rule:?}, month {month}, L = {level}, K = 2: {r:?}");
            assert!(r.with_interval >= 300, "{r:?}");
            let c = r.coverage.unwrap();
            assert!((c - level).abs() <= 0.08, "coverage {c} at {level}");
        }
    }

    #[test]
    fn all_twelve_months_observed_gives_the_actual() {
        let h = gap_series();
        let mut full = h.clone();
        year(&mut full, 2024, &[10.0; 12]);
        let f =
            forecast_year_end(&full, 2024, &Aggregation::Sum, &no_goal(), &params(0.8, 1)).unwrap();
        assert_eq!(f.forecast, 120.0);
        assert_eq!(
            f.interval,
            Interval::Conformal {
                lower: 120.0,
                upper: 120.0
            }
        );
    }

    #[test]
    fn huge_values_do_not_panic() {
        let mut h = History::new();
        year(&mut h, 2023, &[f64::MAX; 12]);
        year(&mut h, 2024, &[f64::MAX]);
        let out = forecast_year_end(&h, 2024, &Aggregation::Sum, &no_goal(), &Params::default());
        assert!(out.is_err() || out.unwrap().forecast.is_finite());
        let out = forecast_year_end(&h, 2024, &Aggregation::Mean, &no_goal(), &Params::default());
        assert!(out.is_err() || out.unwrap().forecast.is_finite());
    }
}
