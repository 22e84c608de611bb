//! 12345 hotline requests: coordinates onto WGS84, data-quality flags, the
//! demand heat map on H3 cells, and each department's response efficiency
//! with a Kaplan–Meier estimate of the time to close.
//!
//! **Coordinates.** GCJ-02 and BD-09 come from Chinese map services. The
//! forward transforms are those of the `coordtransform` crate; WGS84 from
//! GCJ-02 is found by fixed-point iteration on the forward transform
//! (`w ← w + (g − gcj(w))`, from the crate's one-step inverse), which
//! converges to well under a millimetre in a few steps inside China.
//!
//! **Periods.** A request belongs to the period of the day it was accepted,
//! in China Standard Time (UTC+8).
//!
//! **Time to close.** A request still open at the time of the query is
//! censored there: it has stayed open at least that long. The Kaplan–Meier
//! estimate `S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)` (`d_i` closures at `t_i`,
//! `n_i` requests still open just before) gives the p-th percentile as the
//! first closure time where `S(t) ≤ 1 − p`; when the curve never falls that
//! low (too many still open) there is none, rather than a flattering
//! figure from the closed ones alone.

use deltabench_model::documents::IndicatorSource;
use deltabench_model::hotline::{
    CoordSystem, DepartmentRow, Flag, HeatCell, Percentiles, Ticket, TownCount,
};
use deltabench_model::local::HotlineBasis;
use deltabench_model::{Period, Timestamp, UnitId};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `(long, lat)` in `system`, in WGS84.
pub fn to_wgs84(system: CoordSystem, long: f64, lat: f64) -> (f64, f64) {
    match system {
        CoordSystem::Wgs84 => (long, lat),
        CoordSystem::Gcj02 => gcj02_to_wgs84(long, lat),
        CoordSystem::Bd09 => {
            let (g_long, g_lat) = coordtransform::bd09_to_gcj02(long, lat);
            gcj02_to_wgs84(g_long, g_lat)
        }
    }
}

fn gcj02_to_wgs84(long: f64, lat: f64) -> (f64, f64) {
    let (mut w_long, mut w_lat) = coordtransform::gcj02_to_wgs84(long, lat);
    for _ in 0..10 {
        let (g_long, g_lat) = coordtransform::wgs84_to_gcj02(w_long, w_lat);
        let (d_long, d_lat) = (long - g_long, lat - g_lat);
        w_long += d_long;
        w_lat += d_lat;
        if d_long.abs() < 1e-12 && d_lat.abs() < 1e-12 {
            break;
        }
    }
    (w_long, w_lat)
}

/// The (year, month) of `t` in China Standard Time.
pub fn local_month(t: Timestamp) -> (u16, u8) {
    let local = t.unix() + 8 * 3600;
    let days = local.div_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as u16, month as u8)
}

/// Whether request `t` was accepted in `period`.
pub fn in_period(t: &Ticket, period: Period) -> bool {
    let (y, m) = local_month(t.accepted_at);
    let (first, last) = period.months();
    y == period.year() && (first..=last).contains(&m)
}

/// The data-quality flags of `t` at time `now`, with closures within
/// `quick_close_secs` of acceptance flagged as suspiciously quick.
pub fn flags(t: &Ticket, now: Timestamp, quick_close_secs: i64) -> BTreeSet<Flag> {
    let mut f = BTreeSet::new();
    if let Some(c) = t.closed_at {
        let took = c.unix() - t.accepted_at.unix();
        if took < 0 {
            f.insert(Flag::ClosedBeforeOpened);
        } else if quick_close_secs > 0 && took <= quick_close_secs {
            f.insert(Flag::ClosedWithinMinutes);
        }
    }
    if t.reopened_at.is_some() {
        f.insert(Flag::Reopened);
    }
    let overdue = t.sla_due.is_some_and(|d| d.unix() < now.unix());
    if t.acknowledged_at.is_none() && (t.closed_at.is_some() || overdue) {
        f.insert(Flag::NoAcknowledgement);
    }
    f
}

/// A Kaplan–Meier survival curve of `(time, closed)` observations: the
/// times at which closures happened and the estimate just after each.
/// `closed == false` is a censored observation (still open at `time`).
pub fn kaplan_meier(obs: &[(f64, bool)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, bool)> = obs.to_vec();
    // At equal times closures come first: a request censored at t was at
    // risk at t.
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut at_risk = sorted.len() as f64;
    let mut s = 1.0;
    let mut curve = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].0;
        let (mut d, mut n) = (0.0, 0.0);
        while i < sorted.len() && sorted[i].0 == t {
            d += f64::from(u8::from(sorted[i].1));
            n += 1.0;
            i += 1;
        }
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            curve.push((t, s));
        }
        at_risk -= n;
    }
    curve
}

/// The `p`-th percentile of a Kaplan–Meier curve: the first time the
/// estimate is at most `1 − p`; none when it never falls that low.
pub fn km_percentile(curve: &[(f64, f64)], p: f64) -> Option<f64> {
    curve
        .iter()
        .find(|(_, s)| *s <= 1.0 - p + 1e-12)
        .map(|(t, _)| *t)
}

/// The 50th and 90th percentiles (type 7) of `xs`.
fn percentiles(mut xs: Vec<f64>) -> Percentiles {
    if xs.is_empty() {
        return Percentiles {
            p50: None,
            p90: None,
        };
    }
    xs.sort_by(f64::total_cmp);
    Percentiles {
        p50: Some(round3(crate::stats::quantile(&xs, 0.5))),
        p90: Some(round3(crate::stats::quantile(&xs, 0.9))),
    }
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn share(n: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| round3(n as f64 / of as f64))
}

/// The finest H3 cell (resolution 15) of a point, whose parent at any
/// resolution is its cell there; none without coordinates.
pub fn finest_cell(lat: Option<f64>, long: Option<f64>) -> Option<h3o::CellIndex> {
    lat.zip(long)
        .and_then(|(lat, long)| h3o::LatLng::new(lat, long).ok())
        .map(|p| p.to_cell(h3o::Resolution::Fifteen))
}

/// The heat map of `tickets` at H3 `resolution` (0-15): cells with their
/// counts (most first, then by cell), counts by town, and how many had no
/// coordinates.
pub fn heatmap(
    tickets: &[&Ticket],
    resolution: h3o::Resolution,
) -> (Vec<HeatCell>, Vec<TownCount>, usize) {
    let with: Vec<(&Ticket, Option<h3o::CellIndex>)> = tickets
        .iter()
        .map(|t| (*t, finest_cell(t.lat, t.long)))
        .collect();
    heatmap_of_cells(&with, resolution)
}

/// [`heatmap`] of requests whose finest cells ([`finest_cell`]) are known.
pub fn heatmap_of_cells(
    tickets: &[(&Ticket, Option<h3o::CellIndex>)],
    resolution: h3o::Resolution,
) -> (Vec<HeatCell>, Vec<TownCount>, usize) {
    let mut cells: HashMap<h3o::CellIndex, (usize, BTreeMap<&str, usize>)> = HashMap::new();
    let mut towns: BTreeMap<&str, usize> = BTreeMap::new();
    let mut without = 0;
    for (t, finest) in tickets {
        if let Some(town) = &t.town {
            *towns.entry(town).or_default() += 1;
        }
        let Some(cell) = finest.and_then(|c| c.parent(resolution)) else {
            without += 1;
            continue;
        };
        let e = cells.entry(cell).or_default();
        e.0 += 1;
        if let Some(town) = &t.town {
            *e.1.entry(town).or_default() += 1;
        }
    }
    heat_cells(cells, towns, without)
}

/// The heat map from counts already made: per cell its count and its
/// counts by town, per town its count, and how many had no coordinates.
/// Cells come most first, then by cell; towns likewise; a cell's town is
/// its most frequent (the first by name on a tie).
pub fn heat_cells(
    cells: HashMap<h3o::CellIndex, (usize, BTreeMap<&str, usize>)>,
    towns: BTreeMap<&str, usize>,
    without: usize,
) -> (Vec<HeatCell>, Vec<TownCount>, usize) {
    let mut out: Vec<HeatCell> = cells
        .into_iter()
        .map(|(cell, (count, by_town))| {
            let centre = h3o::LatLng::from(cell);
            HeatCell {
                cell: cell.to_string(),
                count,
                lat: centre.lat(),
                long: centre.lng(),
                boundary: cell.boundary().iter().map(|v| [v.lat(), v.lng()]).collect(),
                town: by_town
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                    .map(|(t, _)| t.to_owned()),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.cell.cmp(&b.cell)));
    let mut towns: Vec<TownCount> = towns
        .into_iter()
        .map(|(town, count)| TownCount {
            town: town.to_owned(),
            count,
        })
        .collect();
    towns.sort_by(|a, b| b.count.cmp(&a.count).then(a.town.cmp(&b.town)));
    (out, towns, without)
}

/// Whether `t` was closed as resolved (解决).
pub fn is_resolved(t: &Ticket) -> bool {
    t.closed_at.is_some() && t.result == Some(deltabench_model::hotline::ClosureResult::Resolved)
}

/// Whether `t` has an SLA and was closed by it.
pub fn closed_in_time(t: &Ticket) -> bool {
    matches!((t.closed_at, t.sla_due), (Some(c), Some(d)) if c.unix() <= d.unix())
}

/// One row of response efficiency over `tickets`, at time `now`.
pub fn department_row(
    department: &UnitId,
    category: Option<&str>,
    tickets: &[&Ticket],
    now: Timestamp,
    quick_close_secs: i64,
) -> DepartmentRow {
    let hours = |from: Timestamp, to: Timestamp| (to.unix() - from.unix()) as f64 / 3600.0;
    let response: Vec<f64> = tickets
        .iter()
        .filter_map(|t| t.acknowledged_at.map(|a| hours(t.accepted_at, a)))
        .filter(|h| *h >= 0.0)
        .collect();
    // Closed before opened is a data error, kept out of the times (and
    // counted in the flags).
    let close: Vec<(f64, bool)> = tickets
        .iter()
        .filter_map(|t| match t.closed_at {
            Some(c) if c.unix() >= t.accepted_at.unix() => Some((hours(t.accepted_at, c), true)),
            Some(_) => None,
            None => Some((hours(t.accepted_at, now).max(0.0), false)),
        })
        .collect();
    let curve = kaplan_meier(&close);
    let closed = tickets.iter().filter(|t| t.closed_at.is_some()).count();
    let resolved = tickets.iter().filter(|t| is_resolved(t)).count();
    let with_sla: Vec<&&Ticket> = tickets.iter().filter(|t| t.sla_due.is_some()).collect();
    let in_time = with_sla.iter().filter(|t| closed_in_time(t)).count();
    let ratings: Vec<u8> = tickets.iter().filter_map(|t| t.satisfaction).collect();
    let mut flagged: BTreeMap<Flag, usize> = BTreeMap::new();
    for t in tickets {
        for f in flags(t, now, quick_close_secs) {
            *flagged.entry(f).or_default() += 1;
        }
    }
    DepartmentRow {
        department: department.clone(),
        category: category.map(str::to_owned),
        requests: tickets.len(),
        response_hours: percentiles(response),
        close_hours: Percentiles {
            p50: km_percentile(&curve, 0.5).map(round3),
            p90: km_percentile(&curve, 0.9).map(round3),
        },
        open: tickets.len() - closed,
        within_sla: share(in_time, with_sla.len()),
        closure_rate: share(closed, tickets.len()),
        resolution_rate: share(resolved, tickets.len()),
        satisfaction: (!ratings.is_empty()).then(|| {
            round3(ratings.iter().map(|&r| f64::from(r)).sum::<f64>() / ratings.len() as f64)
        }),
        rated: ratings.len(),
        flagged,
    }
}

/// What [`department_row`] needs of some requests that does not depend on
/// the time of the query, so that the row at any time is found without
/// going through the requests again: counts, and the durations and times
/// to sort, sorted. Parts merge ([`Figures::merge`]) into the figures of
/// their union.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Requests.
    pub requests: usize,
    /// Closed ones (including those closed before they opened).
    pub closed: usize,
    /// Closed as resolved.
    pub resolved: usize,
    /// With an SLA.
    pub with_sla: usize,
    /// Closed by their SLA.
    pub in_time: usize,
    /// Rated.
    pub rated: usize,
    /// The sum of the ratings.
    pub rating_sum: u64,
    /// Reopened.
    pub reopened: usize,
    /// Closed with no acknowledgement.
    pub closed_unacknowledged: usize,
    /// Seconds from acceptance to acknowledgement, of those not
    /// acknowledged before acceptance, sorted.
    pub response_secs: Vec<i64>,
    /// Seconds from acceptance to closure, of those closed not before
    /// acceptance, sorted.
    pub close_secs: Vec<i64>,
    /// When the open ones were accepted (Unix seconds), sorted.
    pub open_accepted: Vec<i64>,
    /// When the open ones with an SLA and no acknowledgement are due (Unix
    /// seconds), sorted.
    pub open_unacknowledged_due: Vec<i64>,
}

impl Figures {
    /// The figures of `tickets`.
    pub fn of<'a>(tickets: impl IntoIterator<Item = &'a Ticket>) -> Self {
        let mut f = Self::default();
        for t in tickets {
            f.add(t);
        }
        f.sort();
        f
    }

    /// Counts `t` in, its times left unsorted until [`Figures::sort`].
    pub fn add(&mut self, t: &Ticket) {
        let accepted = t.accepted_at.unix();
        self.requests += 1;
        if let Some(a) = t.acknowledged_at {
            if a.unix() >= accepted {
                self.response_secs.push(a.unix() - accepted);
            }
        }
        match t.closed_at {
            Some(c) => {
                self.closed += 1;
                if c.unix() >= accepted {
                    self.close_secs.push(c.unix() - accepted);
                }
                if t.acknowledged_at.is_none() {
                    self.closed_unacknowledged += 1;
                }
            }
            None => {
                self.open_accepted.push(accepted);
                if let (None, Some(d)) = (t.acknowledged_at, t.sla_due) {
                    self.open_unacknowledged_due.push(d.unix());
                }
            }
        }
        self.resolved += usize::from(is_resolved(t));
        self.with_sla += usize::from(t.sla_due.is_some());
        self.in_time += usize::from(closed_in_time(t));
        if let Some(r) = t.satisfaction {
            self.rated += 1;
            self.rating_sum += u64::from(r);
        }
        self.reopened += usize::from(t.reopened_at.is_some());
    }

    /// Sorts the times added.
    pub fn sort(&mut self) {
        self.response_secs.sort_unstable();
        self.close_secs.sort_unstable();
        self.open_accepted.sort_unstable();
        self.open_unacknowledged_due.sort_unstable();
    }

    /// The figures of the union of `parts`' requests.
    pub fn merge<'a>(parts: impl IntoIterator<Item = &'a Figures> + Clone) -> Self {
        fn cat(parts: &[&Figures], of: fn(&Figures) -> &Vec<i64>) -> Vec<i64> {
            let mut v = Vec::with_capacity(parts.iter().map(|p| of(p).len()).sum());
            for p in parts {
                v.extend_from_slice(of(p));
            }
            // Sorted runs: the stable sort merges them.
            v.sort();
            v
        }
        let parts: Vec<&Figures> = parts.into_iter().collect();
        let sum = |of: fn(&Figures) -> usize| parts.iter().map(|p| of(p)).sum::<usize>();
        Self {
            requests: sum(|f| f.requests),
            closed: sum(|f| f.closed),
            resolved: sum(|f| f.resolved),
            with_sla: sum(|f| f.with_sla),
            in_time: sum(|f| f.in_time),
            rated: sum(|f| f.rated),
            rating_sum: parts.iter().map(|p| p.rating_sum).sum(),
            reopened: sum(|f| f.reopened),
            closed_unacknowledged: sum(|f| f.closed_unacknowledged),
            response_secs: cat(&parts, |f| &f.response_secs),
            close_secs: cat(&parts, |f| &f.close_secs),
            open_accepted: cat(&parts, |f| &f.open_accepted),
            open_unacknowledged_due: cat(&parts, |f| &f.open_unacknowledged_due),
        }
    }

    /// [`department_row`] of these requests at time `now`: the same row,
    /// to the last bit.
    pub fn row(
        &self,
        department: &UnitId,
        category: Option<&str>,
        now: Timestamp,
        quick_close_secs: i64,
    ) -> DepartmentRow {
        let hours = |secs: i64| secs as f64 / 3600.0;
        let response = if self.response_secs.is_empty() {
            Percentiles {
                p50: None,
                p90: None,
            }
        } else {
            let q = |p: f64| {
                // crate::stats::quantile over the hours, read off the
                // sorted seconds.
                let xs = &self.response_secs;
                let h = (xs.len() - 1) as f64 * p;
                let lo = h.floor() as usize;
                let hi = h.ceil() as usize;
                let (a, b) = (hours(xs[lo]), hours(xs[hi]));
                round3(a + (h - lo as f64) * (b - a))
            };
            Percentiles {
                p50: Some(q(0.5)),
                p90: Some(q(0.9)),
            }
        };
        let (p50, p90) = self.km_close(now);
        let mut flagged: BTreeMap<Flag, usize> = BTreeMap::new();
        let mut flag = |f: Flag, n: usize| {
            if n > 0 {
                flagged.insert(f, n);
            }
        };
        flag(
            Flag::ClosedBeforeOpened,
            self.closed - self.close_secs.len(),
        );
        if quick_close_secs > 0 {
            flag(
                Flag::ClosedWithinMinutes,
                self.close_secs.partition_point(|&s| s <= quick_close_secs),
            );
        }
        flag(Flag::Reopened, self.reopened);
        flag(
            Flag::NoAcknowledgement,
            self.closed_unacknowledged
                + self
                    .open_unacknowledged_due
                    .partition_point(|&d| d < now.unix()),
        );
        DepartmentRow {
            department: department.clone(),
            category: category.map(str::to_owned),
            requests: self.requests,
            response_hours: response,
            close_hours: Percentiles {
                p50: p50.map(round3),
                p90: p90.map(round3),
            },
            open: self.requests - self.closed,
            within_sla: share(self.in_time, self.with_sla),
            closure_rate: share(self.closed, self.requests),
            resolution_rate: share(self.resolved, self.requests),
            satisfaction: (self.rated > 0)
                .then(|| round3(self.rating_sum as f64 / self.rated as f64)),
            rated: self.rated,
            flagged,
        }
    }

    /// The 50th and 90th percentiles of the Kaplan–Meier hours to close at
    /// `now`: [`kaplan_meier`] and [`km_percentile`] over the closed times
    /// merged with the open ones censored at `now`, walked once.
    fn km_close(&self, now: Timestamp) -> (Option<f64>, Option<f64>) {
        let c = &self.close_secs;
        // Censored at now, in ascending order: the latest accepted first.
        let o = &self.open_accepted;
        let censored = |j: usize| ((now.unix() - o[o.len() - 1 - j]) as f64 / 3600.0).max(0.0);
        let closure = |i: usize| c[i] as f64 / 3600.0;
        let (mut i, mut j) = (0, 0);
        let mut at_risk = (c.len() + o.len()) as f64;
        let mut s = 1.0;
        let (mut p50, mut p90) = (None, None);
        let (lim50, lim90) = (1.0 - 0.5 + 1e-12, 1.0 - 0.9 + 1e-12);
        while i < c.len() || j < o.len() {
            let t = match (i < c.len(), j < o.len()) {
                (true, true) => closure(i).min(censored(j)),
                (true, false) => closure(i),
                _ => censored(j),
            };
            let (mut d, mut n) = (0.0, 0.0);
            while i < c.len() && closure(i) == t {
                d += 1.0;
                n += 1.0;
                i += 1;
            }
            while j < o.len() && censored(j) == t {
                n += 1.0;
                j += 1;
            }
            if d > 0.0 {
                s *= 1.0 - d / at_risk;
                if p50.is_none() && s <= lim50 {
                    p50 = Some(t);
                }
                if s <= lim90 {
                    p90 = Some(t);
                    break;
                }
            }
            at_risk -= n;
        }
        (p50, p90)
    }
}

/// Every department's row over all its categories, then one row per
/// category, departments and categories in order.
pub fn departments(
    tickets: &[&Ticket],
    now: Timestamp,
    quick_close_secs: i64,
) -> Vec<DepartmentRow> {
    let mut by: BTreeMap<&UnitId, BTreeMap<&str, Vec<&Ticket>>> = BTreeMap::new();
    for t in tickets {
        by.entry(&t.department)
            .or_default()
            .entry(t.category.as_str())
            .or_default()
            .push(t);
    }
    let mut rows = Vec::new();
    for (dept, cats) in by {
        let all: Vec<&Ticket> = cats.values().flatten().copied().collect();
        rows.push(department_row(dept, None, &all, now, quick_close_secs));
        for (cat, ts) in cats {
            rows.push(department_row(dept, Some(cat), &ts, now, quick_close_secs));
        }
    }
    rows
}

/// Each department's value of a hotline indicator over `tickets` (its
/// requests of the period), with the requests behind it; a department
/// without a request the value is over has none. `source` is one of the
/// hotline sources; any other gives no values.
pub fn unit_values(
    tickets: &[&Ticket],
    source: IndicatorSource,
    now: Timestamp,
    quick_close_secs: i64,
) -> BTreeMap<UnitId, (f64, HotlineBasis)> {
    let mut by: BTreeMap<&UnitId, Vec<&Ticket>> = BTreeMap::new();
    for t in tickets {
        by.entry(&t.department).or_default().push(t);
    }
    let mut out = BTreeMap::new();
    for (dept, ts) in by {
        let flagged = ts
            .iter()
            .filter(|t| !flags(t, now, quick_close_secs).is_empty())
            .count();
        let (value, counted) = match source {
            IndicatorSource::HotlineWithinSla => {
                let with: Vec<&&Ticket> = ts.iter().filter(|t| t.sla_due.is_some()).collect();
                let held = with.iter().filter(|t| closed_in_time(t)).count();
                (held as f64 / with.len().max(1) as f64, with.len())
            }
            IndicatorSource::HotlineResolutionRate => {
                let resolved = ts.iter().filter(|t| is_resolved(t)).count();
                (resolved as f64 / ts.len() as f64, ts.len())
            }
            IndicatorSource::HotlineSatisfaction => {
                let r: Vec<f64> = ts
                    .iter()
                    .filter_map(|t| t.satisfaction)
                    .map(f64::from)
                    .collect();
                (r.iter().sum::<f64>() / r.len().max(1) as f64, r.len())
            }
            _ => continue,
        };
        if counted == 0 {
            continue;
        }
        out.insert(
            dept.clone(),
            (
                value,
                HotlineBasis {
                    requests: ts.len(),
                    counted,
                    flagged,
                },
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published reference pairs of the GCJ-02 transform (WGS84 latitude,
    /// longitude; GCJ-02 latitude, longitude), the test vectors of the
    /// eviltransform implementations: Shanghai, Shenzhen, Beijing.
    const PAIRS: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    ];

    #[test]
    fn gcj02_matches_the_published_reference_points() {
        for (w_lat, w_long, g_lat, g_long) in PAIRS {
            let (long, lat) = coordtransform::wgs84_to_gcj02(w_long, w_lat);
            assert!((lat - g_lat).abs() < 1e-9 && (long - g_long).abs() < 1e-9);
            let (long, lat) = to_wgs84(CoordSystem::Gcj02, g_long, g_lat);
            // Within 1e-7 degrees: about a centimetre.
            assert!(
                (lat - w_lat).abs() < 1e-7 && (long - w_long).abs() < 1e-7,
                "{lat} {long} against {w_lat} {w_long}"
            );
        }
        // BD-09 goes through GCJ-02 by the crate's transform; a point sent
        // there and back lands within 1e-5 degrees (about a metre).
        for (w_lat, w_long, ..) in PAIRS {
            let (b_long, b_lat) = coordtransform::wgs84_to_bd09(w_long, w_lat);
            assert!((b_lat - w_lat).abs() > 1e-3, "BD-09 is offset");
            let (long, lat) = to_wgs84(CoordSystem::Bd09, b_long, b_lat);
            assert!((lat - w_lat).abs() < 1e-5 && (long - w_long).abs() < 1e-5);
        }
        assert_eq!(to_wgs84(CoordSystem::Wgs84, 121.1, 31.4), (121.1, 31.4));
    }

    #[test]
    fn kaplan_meier_by_hand() {
        // Six requests: closed at 2, 3, 3 and 8 hours; open (censored) at 5
        // and 10 hours. S(2) = 5/6; S(3) = 5/6 · (1 − 2/5) = 1/2; at 5 one
        // leaves the risk set; S(8) = 1/2 · (1 − 1/2) = 1/4.
        let obs = [
            (3.0, true),
            (2.0, true),
            (5.0, false),
            (3.0, true),
            (8.0, true),
            (10.0, false),
        ];
        let curve = kaplan_meier(&obs);
        let want = [(2.0, 5.0 / 6.0), (3.0, 0.5), (8.0, 0.25)];
        assert_eq!(curve.len(), want.len());
        for ((t, s), (wt, ws)) in curve.iter().zip(want) {
            assert_eq!(*t, wt);
            assert!((s - ws).abs() < 1e-12, "{s} at {t}");
        }
        assert_eq!(km_percentile(&curve, 0.5), Some(3.0));
        assert_eq!(km_percentile(&curve, 0.75), Some(8.0));
        // Never below 1/4: no 90th percentile.
        assert_eq!(km_percentile(&curve, 0.9), None);
        // The closed ones alone would give a median of 3 and a 90th
        // percentile of 8; censoring keeps the long-open ones in.
        assert!(kaplan_meier(&[]).is_empty());
    }

    /// Seeded requests with every case the figures tell apart: open and
    /// closed, closed before opened or within minutes, acknowledged before
    /// acceptance, due before and after now, ties in the times.
    fn random_tickets(seed: u64, n: usize) -> Vec<Ticket> {
        let mut x = seed;
        let mut next = move |below: u64| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % below
        };
        let base = 1_740_000_000;
        (0..n)
            .map(|i| {
                let accepted = base + 60 * next(2000) as i64;
                let at = |s: i64| Some(Timestamp::from_unix(accepted + s).unwrap());
                let closed = match next(5) {
                    0 => None,
                    1 => at(-600),
                    2 => at(60 * next(10) as i64),
                    _ => at(600 * next(300) as i64),
                };
                Ticket {
                    id: format!("t{i}"),
                    channel: "12345".into(),
                    category: ["noise", "roads"][next(2) as usize].into(),
                    subcategory: None,
                    town: None,
                    department: UnitId::new("u1").unwrap(),
                    lat: None,
                    long: None,
                    accepted_at: Timestamp::from_unix(accepted).unwrap(),
                    acknowledged_at: [None, at(-60), at(60 * next(300) as i64)][next(3) as usize],
                    closed_at: closed,
                    reopened_at: if next(7) == 0 { at(30) } else { None },
                    sla_due: [None, at(3600 * next(100) as i64)][next(2) as usize],
                    result: closed.and(
                        [
                            None,
                            Some(deltabench_model::hotline::ClosureResult::Resolved),
                            Some(deltabench_model::hotline::ClosureResult::Explained),
                        ][next(3) as usize],
                    ),
                    satisfaction: [None, Some(1 + next(5) as u8)][next(2) as usize],
                }
            })
            .collect()
    }

    #[test]
    fn figures_give_the_rows_of_the_requests() {
        let u1 = UnitId::new("u1").unwrap();
        for (seed, n) in [(1, 0), (2, 1), (3, 7), (4, 60), (5, 500), (6, 3000)] {
            let tickets = random_tickets(seed, n);
            let refs: Vec<&Ticket> = tickets.iter().collect();
            // Parts merged give what the whole gives.
            let (a, b) = tickets.split_at(n / 3);
            let merged = Figures::merge([&Figures::of(a), &Figures::of(b)]);
            assert_eq!(merged, Figures::of(&tickets));
            for now in [1_740_000_000, 1_740_050_000, 1_740_200_000, 1_760_000_000] {
                let now = Timestamp::from_unix(now).unwrap();
                for quick in [0, 300] {
                    assert_eq!(
                        merged.row(&u1, Some("x"), now, quick),
                        department_row(&u1, Some("x"), &refs, now, quick),
                        "seed {seed} at {now}"
                    );
                }
            }
        }
    }

    #[test]
    fn months_are_those_of_china_standard_time() {
        // 2025-01-31T16:30Z is 2025-02-01 00:30 in UTC+8.
        let t = Timestamp::parse("2025-01-31T16:30:00Z").unwrap();
        assert_eq!(local_month(t), (2025, 2));
        let t = Timestamp::parse("2024-12-31T15:59:59Z").unwrap();
        assert_eq!(local_month(t), (2024, 12));
        let t = Timestamp::parse("2000-02-29T12:00:00Z").unwrap();
        assert_eq!(local_month(t), (2000, 2));
    }
}
