//! 12345 hotline requests on the node: imports checked row by row and
//! stored whole or not at all, the demand heat map and each department's
//! response efficiency (see `deltabench_engine::hotline`).
//!
//! A request's columns, in any order (Open311 GeoReport v2 names are
//! accepted for the same fields): `id` (`service_request_id`), `channel`
//! (`source`), `category` (`service_name`), `subcategory`
//! (`service_subtype`), `town`, `department` (`agency_responsible`, one of
//! the node's units), `lat`, `long`, `accepted_at` (`requested_datetime`),
//! `acknowledged_at`, `closed_at` (`closed_date`), `reopened_at`, `sla_due`
//! (`expected_datetime`), `result` (`resolved`, `explained` or
//! `not_resolved`), `satisfaction` (1 to 5), and `status` (`open` or
//! `closed`, checked against `closed_at`) and `updated_datetime`, which are
//! read and not kept. Times are RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` in
//! China Standard Time. The import states the coordinate system of its
//! `lat` and `long`; they are stored in WGS84.

use crate::Node;
use crate::local::{LocalError, ROW_ERRORS_MAX, RowError};
use deltabench_engine::hotline::{self as engine, Figures};
use deltabench_model::hotline::{
    ClosureResult, CoordSystem, Departments, Flag, Heatmap, Ticket, TicketsStored, parse_time,
};
use deltabench_model::{InvalidField, Period, Timestamp, UnitId};
use deltabench_store::hotline::Month;
use rayon::prelude::*;
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

/// The FxHash function (rustc's): fast on the short keys the index and
/// the import's id check hash; not for keys an attacker picks to collide
/// (ids are the import's own, a collision costs time only).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = BuildHasherDefault<Fx>;

/// No time, in the index's time columns.
const NO_TIME: i64 = i64::MIN;
/// No town, in the index's town column.
const NO_TOWN: u32 = u32::MAX;

/// One request in the index: what queries filter, group and count by.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// The finest H3 cell (resolution 15), whose parent at any resolution
    /// is its cell there.
    cell: Option<h3o::CellIndex>,
    department: u32,
    category: u32,
    town: u32,
    accepted_at: Timestamp,
    acknowledged_at: i64,
    closed_at: i64,
    reopened_at: i64,
    sla_due: i64,
    result: Option<ClosureResult>,
    satisfaction: Option<u8>,
}

/// A heat-map count: cell at one resolution, category, town (positions in
/// the month's lists) and the requests there.
type HeatCount = (u64, u32, u32, usize);

/// The requests of one month (UTC+8), as columns of positions in the
/// month's own lists of departments, categories and towns, with what the
/// queries need of them worked out once: the figures of each department
/// and category, the counts by category and town, and (on first use) the
/// counts per cell at each resolution asked for. None of it depends on the
/// time of a query.
#[derive(Debug)]
struct MonthIndex {
    departments: Vec<UnitId>,
    categories: Vec<String>,
    towns: Vec<String>,
    rows: Vec<Row>,
    /// Per (department, category), their requests' figures.
    figures: Vec<(u32, u32, Figures)>,
    /// Per category: requests and those without coordinates.
    per_category: Vec<(usize, usize)>,
    /// Per (category, town): requests.
    towns_by_category: Vec<(u32, u32, usize)>,
    /// Per H3 resolution asked for: the counts by cell, category and town.
    heat: Mutex<HashMap<u8, Arc<Vec<HeatCount>>>>,
}

fn intern<'a>(
    s: &'a str,
    map: &mut HashMap<&'a str, u32, FxBuild>,
    list: &mut Vec<&'a str>,
) -> u32 {
    let next = list.len() as u32;
    *map.entry(s).or_insert_with(|| {
        list.push(s);
        next
    })
}

fn unix_or_none(t: Option<Timestamp>) -> i64 {
    t.map_or(NO_TIME, Timestamp::unix)
}

fn time_or_none(t: i64) -> Option<Timestamp> {
    (t != NO_TIME)
        .then(|| Timestamp::from_unix(t).ok())
        .flatten()
}

impl MonthIndex {
    fn new<T: Borrow<Ticket>>(tickets: &[T]) -> Self {
        let (mut dm, mut cm, mut tm) = Default::default();
        let (mut departments, mut categories, mut towns): (Vec<&str>, Vec<&str>, Vec<&str>) =
            Default::default();
        let mut by_unit: HashMap<&str, &UnitId, FxBuild> = HashMap::default();
        let mut groups: HashMap<(u32, u32), Figures, FxBuild> = HashMap::default();
        let mut per_category: Vec<(usize, usize)> = Vec::new();
        let mut by_town: HashMap<(u32, u32), usize, FxBuild> = HashMap::default();
        let rows = tickets
            .iter()
            .map(|t| {
                let t: &Ticket = t.borrow();
                by_unit
                    .entry(t.department.as_str())
                    .or_insert(&t.department);
                let department = intern(t.department.as_str(), &mut dm, &mut departments);
                let category = intern(&t.category, &mut cm, &mut categories);
                let town = t
                    .town
                    .as_deref()
                    .map_or(NO_TOWN, |s| intern(s, &mut tm, &mut towns));
                let cell = engine::finest_cell(t.lat, t.long);
                groups.entry((department, category)).or_default().add(t);
                if per_category.len() <= category as usize {
                    per_category.resize(category as usize + 1, (0, 0));
                }
                per_category[category as usize].0 += 1;
                per_category[category as usize].1 += usize::from(cell.is_none());
                if town != NO_TOWN {
                    *by_town.entry((category, town)).or_default() += 1;
                }
                Row {
                    cell,
                    department,
                    category,
                    town,
                    accepted_at: t.accepted_at,
                    acknowledged_at: unix_or_none(t.acknowledged_at),
                    closed_at: unix_or_none(t.closed_at),
                    reopened_at: unix_or_none(t.reopened_at),
                    sla_due: unix_or_none(t.sla_due),
                    result: t.result,
                    satisfaction: t.satisfaction,
                }
            })
            .collect();
        let figures = groups
            .into_iter()
            .map(|((d, c), mut f)| {
                f.sort();
                (d, c, f)
            })
            .collect();
        Self {
            departments: departments.iter().map(|d| by_unit[d].clone()).collect(),
            categories: categories.into_iter().map(str::to_owned).collect(),
            towns: towns.into_iter().map(str::to_owned).collect(),
            rows,
            figures,
            per_category,
            towns_by_category: by_town.into_iter().map(|((c, t), n)| (c, t, n)).collect(),
            heat: Mutex::default(),
        }
    }

    fn category(&self, name: &str) -> Option<u32> {
        self.categories
            .iter()
            .position(|c| c == name)
            .map(|i| i as u32)
    }

    /// The counts by cell at `res`, category and town: made on first use.
    fn heat(&self, res: h3o::Resolution) -> Arc<Vec<HeatCount>> {
        let key = u8::from(res);
        if let Some(h) = crate::lock(&self.heat).get(&key) {
            return h.clone();
        }
        let mut counts: HashMap<(u64, u32, u32), usize, FxBuild> = HashMap::default();
        for r in &self.rows {
            if let Some(cell) = r.cell.and_then(|c| c.parent(res)) {
                *counts
                    .entry((u64::from(cell), r.category, r.town))
                    .or_default() += 1;
            }
        }
        let h: Arc<Vec<HeatCount>> = Arc::new(
            counts
                .into_iter()
                .map(|((cell, c, t), n)| (cell, c, t, n))
                .collect(),
        );
        crate::lock(&self.heat).insert(key, h.clone());
        h
    }

    /// The requests with what [`engine::unit_values`], [`engine::flags`]
    /// and the signed summary read of them (their category, department,
    /// times, result and satisfaction), each with its finest cell; the
    /// rest left empty.
    fn skeletons(&self) -> impl Iterator<Item = (Ticket, Option<h3o::CellIndex>)> + '_ {
        self.rows.iter().map(|r| (self.skeleton(r), r.cell))
    }

    fn skeleton(&self, r: &Row) -> Ticket {
        Ticket {
            id: String::new(),
            channel: String::new(),
            category: self.categories[r.category as usize].clone(),
            subcategory: None,
            town: None,
            department: self.departments[r.department as usize].clone(),
            lat: None,
            long: None,
            accepted_at: r.accepted_at,
            acknowledged_at: time_or_none(r.acknowledged_at),
            closed_at: time_or_none(r.closed_at),
            reopened_at: time_or_none(r.reopened_at),
            sla_due: time_or_none(r.sla_due),
            result: r.result,
            satisfaction: r.satisfaction,
        }
    }
}

/// The figures of a period: per department, over all its categories then
/// per category, in order.
type PeriodFigures = Vec<(UnitId, Option<String>, Figures)>;

/// The requests held, by month of acceptance (UTC+8), for queries. An
/// import replaces the months it wrote and keeps the others as they were,
/// with what they had worked out; the figures of a period are kept until
/// an import writes one of its months.
#[derive(Debug, Default)]
pub struct Index {
    months: BTreeMap<Month, Arc<MonthIndex>>,
    periods: Mutex<HashMap<Period, Arc<PeriodFigures>>>,
}

/// At most this many periods' figures are kept.
const PERIODS_KEPT: usize = 64;

impl Index {
    /// The months of `period` held.
    fn of(&self, period: Period) -> impl Iterator<Item = &MonthIndex> {
        let (first, last) = period.months();
        let y = period.year();
        self.months.range((y, first)..=(y, last)).map(|(_, m)| &**m)
    }

    /// The figures of `period`, merged from its months' once.
    fn period_figures(&self, period: Period) -> Arc<PeriodFigures> {
        if let Some(f) = crate::lock(&self.periods).get(&period) {
            return f.clone();
        }
        let mut by: BTreeMap<&UnitId, BTreeMap<&str, Vec<&Figures>>> = BTreeMap::new();
        for m in self.of(period) {
            for (d, c, f) in &m.figures {
                by.entry(&m.departments[*d as usize])
                    .or_default()
                    .entry(m.categories[*c as usize].as_str())
                    .or_default()
                    .push(f);
            }
        }
        let by: Vec<_> = by.into_iter().collect();
        let rows: Vec<PeriodFigures> = by
            .par_iter()
            .map(|(dept, cats)| {
                let per: Vec<(Option<String>, Figures)> = cats
                    .iter()
                    .map(|(c, parts)| {
                        (Some((*c).to_owned()), Figures::merge(parts.iter().copied()))
                    })
                    .collect();
                let all = Figures::merge(per.iter().map(|(_, f)| f));
                std::iter::once((None, all))
                    .chain(per)
                    .map(|(c, f)| ((*dept).clone(), c, f))
                    .collect()
            })
            .collect();
        let f = Arc::new(rows.into_iter().flatten().collect::<PeriodFigures>());
        let mut kept = crate::lock(&self.periods);
        if kept.len() >= PERIODS_KEPT {
            kept.clear();
        }
        kept.insert(period, f.clone());
        f
    }

    /// This index with `written` months replaced (an empty one dropped),
    /// keeping the figures of the periods none of them is in.
    fn with(&self, written: Vec<(Month, Option<Arc<MonthIndex>>)>) -> Self {
        let mut months = self.months.clone();
        for (m, built) in &written {
            match built {
                Some(b) => months.insert(*m, b.clone()),
                None => months.remove(m),
            };
        }
        let periods = crate::lock(&self.periods)
            .iter()
            .filter(|(p, _)| {
                let (first, last) = p.months();
                !written
                    .iter()
                    .any(|((y, m), _)| *y == p.year() && (first..=last).contains(m))
            })
            .map(|(p, f)| (*p, f.clone()))
            .collect();
        Self {
            months,
            periods: Mutex::new(periods),
        }
    }
}

/// Every column a request may have, by its canonical name.
pub const COLUMNS: [&str; 17] = [
    "id",
    "channel",
    "category",
    "subcategory",
    "town",
    "department",
    "lat",
    "long",
    "accepted_at",
    "acknowledged_at",
    "closed_at",
    "reopened_at",
    "sla_due",
    "result",
    "satisfaction",
    "status",
    "updated_datetime",
];

/// The most requests one import takes.
pub const TICKETS_MAX: usize = 2_000_000;

/// The canonical column of a header (`service_request_id` is `id`), or
/// none for a column a request does not have.
pub fn column(header: &str) -> Option<&'static str> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    let alias = match h.as_str() {
        "service_request_id" => "id",
        "source" => "channel",
        "service_name" => "category",
        "service_subtype" => "subcategory",
        "agency_responsible" => "department",
        "requested_datetime" => "accepted_at",
        "closed_date" => "closed_at",
        "expected_datetime" => "sla_due",
        other => other,
    };
    COLUMNS.iter().find(|c| **c == alias).copied()
}

/// One request as sent: its place and its non-empty cells by column.
#[derive(Debug, Clone, Default)]
pub struct RawTicket {
    /// The data row, from 1.
    pub row: usize,
    /// The CSV line, when it came from CSV.
    pub line: Option<usize>,
    /// The cells, by canonical column.
    pub cells: BTreeMap<&'static str, String>,
}

type CellError = (&'static str, String);

/// [`parse_time`] of the usual `YYYY-MM-DD HH:MM[:SS]` (or with `T`) in
/// China Standard Time, read directly; none for anything else, left to
/// `parse_time` (which then gives the same instant or the error).
fn local_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return None;
    }
    let digits = |from: usize, n: usize| -> Option<i64> {
        b.get(from..from + n)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let seps = b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && (b.len() == 16 || b[16] == b':');
    if !seps {
        return None;
    }
    let (y, m, d) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (h, mi) = (digits(11, 2)?, digits(14, 2)?);
    let sec = if b.len() == 19 { digits(17, 2)? } else { 0 };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m)
        || d < 1
        || d > days_in[(m - 1) as usize]
        || h > 23
        || mi > 59
        || sec > 59
    {
        return None;
    }
    // Days since 1970-01-01 of the civil date (Howard Hinnant's algorithm).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Timestamp::from_unix(days * 86_400 + h * 3600 + mi * 60 + sec - 8 * 3600).ok()
}

fn parse_row(
    raw: &RawTicket,
    coords: CoordSystem,
    units: &HashSet<UnitId>,
) -> Result<Ticket, Vec<CellError>> {
    let mut errors = Vec::new();
    let get = |c: &'static str| raw.cells.get(c).map(|s| s.trim()).filter(|s| !s.is_empty());
    let mut text = |c: &'static str, max: usize, required: bool| -> Option<String> {
        match get(c) {
            Some(v) if v.chars().count() > max => {
                errors.push((c, format!("is longer than {max} characters")));
                None
            }
            Some(v) if v.chars().any(char::is_control) => {
                errors.push((c, "holds a control character".into()));
                None
            }
            Some(v) => Some(v.to_owned()),
            None if required => {
                errors.push((c, "is required".into()));
                None
            }
            None => None,
        }
    };
    let id = text("id", 64, true);
    let channel = text("channel", 40, false).unwrap_or_else(|| "12345".into());
    let category = text("category", 100, true);
    let subcategory = text("subcategory", 100, false);
    let town = text("town", 100, false);
    let department = text("department", 64, true).and_then(|d| match UnitId::new(d.clone()) {
        Ok(u) if units.contains(&u) => Some(u),
        _ => {
            errors.push((
                "department",
                format!("{d:?} is not one of the node's units"),
            ));
            None
        }
    });
    let mut time = |c: &'static str, required: bool| match get(c) {
        Some(v) => match local_time(v).map_or_else(|| parse_time(v), Ok) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push((c, e.reason));
                None
            }
        },
        None => {
            if required {
                errors.push((c, "is required".into()));
            }
            None
        }
    };
    let accepted_at = time("accepted_at", true);
    let acknowledged_at = time("acknowledged_at", false);
    let closed_at = time("closed_at", false);
    let reopened_at = time("reopened_at", false);
    let sla_due = time("sla_due", false);
    let _ = time("updated_datetime", false);
    let mut number = |c: &'static str, lo: f64, hi: f64| match get(c) {
        Some(v) => match v.parse::<f64>() {
            Ok(x) if (lo..=hi).contains(&x) => Some(x),
            _ => {
                errors.push((c, format!("{v:?} is not a number from {lo} to {hi}")));
                None
            }
        },
        None => None,
    };
    let lat = number("lat", -90.0, 90.0);
    let long = number("long", -180.0, 180.0);
    let satisfaction = number("satisfaction", 1.0, 5.0);
    let satisfaction = satisfaction.and_then(|s| {
        if s.fract() == 0.0 {
            Some(s as u8)
        } else {
            errors.push(("satisfaction", format!("{s} is not a whole level 1 to 5")));
            None
        }
    });
    let result = match get("result") {
        None => None,
        Some(v) => match v.to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
            "resolved" => Some(ClosureResult::Resolved),
            "explained" => Some(ClosureResult::Explained),
            "not_resolved" | "unresolved" => Some(ClosureResult::NotResolved),
            _ => {
                errors.push((
                    "result",
                    format!("{v:?} is not resolved, explained or not_resolved"),
                ));
                None
            }
        },
    };
    if result.is_some() && get("closed_at").is_none() {
        errors.push(("result", "is given for a request that is not closed".into()));
    }
    match get("status").map(str::to_ascii_lowercase).as_deref() {
        None => {}
        Some("closed") if get("closed_at").is_none() => {
            errors.push(("status", "is closed but closed_at is empty".into()));
        }
        Some("open") if get("closed_at").is_some() => {
            errors.push(("status", "is open but closed_at is given".into()));
        }
        Some("open" | "closed") => {}
        Some(other) => errors.push(("status", format!("{other:?} is not open or closed"))),
    }
    if lat.is_some() != long.is_some() && !errors.iter().any(|(c, _)| *c == "lat" || *c == "long") {
        errors.push(("long", "lat and long come together".into()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(id), Some(category), Some(department), Some(accepted_at)) =
        (id, category, department, accepted_at)
    else {
        return Err(vec![("id", "is required".into())]);
    };
    let (long, lat) = match (long, lat) {
        (Some(lo), Some(la)) => {
            let (lo, la) = engine::to_wgs84(coords, lo, la);
            (Some(lo), Some(la))
        }
        _ => (None, None),
    };
    Ok(Ticket {
        id,
        channel,
        category,
        subcategory,
        town,
        department,
        lat,
        long,
        accepted_at,
        acknowledged_at,
        closed_at,
        reopened_at,
        sla_due,
        result,
        satisfaction,
    })
}

impl Node {
    /// Checks every request, converts its coordinates from `coords` to
    /// WGS84, then stores them whole, a known id's earlier version kept in
    /// its audit trail under `by`. Refused rows are all reported (up to
    /// [`ROW_ERRORS_MAX`]) and nothing is stored. Durable when it returns.
    pub fn import_tickets(
        &self,
        rows: &[RawTicket],
        coords: CoordSystem,
        by: &str,
    ) -> Result<TicketsStored, LocalError> {
        if rows.is_empty() {
            return Err(LocalError::Invalid(InvalidField::new(
                "rows",
                "there are no data rows",
            )));
        }
        if rows.len() > TICKETS_MAX {
            return Err(LocalError::Invalid(InvalidField::new(
                "rows",
                format!(
                    "{} requests; at most {TICKETS_MAX} in one import",
                    rows.len()
                ),
            )));
        }
        let _guard = crate::lock(&self.local_lock);
        let tickets = self.check_tickets(rows, coords)?;
        let now = self.now();
        let (counts, written) = self.store().put_tickets_by_month(&tickets, by, now)?;
        self.flush()?;
        // The months written, indexed anew on every core; the others kept.
        let built: Vec<(Month, Option<Arc<MonthIndex>>)> = written
            .par_iter()
            .map(|(m, ts)| (*m, (!ts.is_empty()).then(|| Arc::new(MonthIndex::new(ts)))))
            .collect();
        drop(written);
        {
            let mut slot = self.hotline.write().unwrap_or_else(|e| e.into_inner());
            let next = match slot.as_ref() {
                Some(index) => Some(index.with(built)),
                // Never read yet: the months not written come from the store.
                None => self
                    .read_index(|m| !built.iter().any(|(b, _)| *b == m))
                    .ok()
                    .map(|index| index.with(built)),
            };
            *slot = next.map(Arc::new);
        }
        let quick = self.policy().hotline_quick_close_secs;
        let flagged = tickets
            .par_iter()
            .fold(BTreeMap::<Flag, usize>::new, |mut acc, t| {
                for f in engine::flags(t, now, quick) {
                    *acc.entry(f).or_default() += 1;
                }
                acc
            })
            .reduce(BTreeMap::new, |mut a, b| {
                for (f, n) in b {
                    *a.entry(f).or_default() += n;
                }
                a
            });
        Ok(TicketsStored {
            accepted: tickets.len(),
            inserted: counts.inserted,
            updated: counts.updated,
            unchanged: counts.unchanged,
            coordinates: coords,
            flagged,
        })
    }

    /// Checks every row against the node's units and turns it into a
    /// request, coordinates in WGS84; every refused cell is reported (up to
    /// [`ROW_ERRORS_MAX`]). Stores nothing.
    pub fn check_tickets(
        &self,
        rows: &[RawTicket],
        coords: CoordSystem,
    ) -> Result<Vec<Ticket>, LocalError> {
        let units: HashSet<UnitId> = self.store().units()?.into_iter().map(|u| u.id).collect();
        // Every row on every core; then, when all are good and no id comes
        // twice (the usual case), done.
        let parsed: Vec<Result<Ticket, Vec<CellError>>> = rows
            .par_iter()
            .with_min_len(256)
            .map(|raw| parse_row(raw, coords, &units))
            .collect();
        if parsed.iter().all(Result::is_ok) {
            let mut ids: HashSet<&str, FxBuild> =
                HashSet::with_capacity_and_hasher(rows.len(), FxBuild::default());
            let unique = parsed.iter().flatten().all(|t| ids.insert(t.id.as_str()));
            drop(ids);
            if unique {
                return Ok(parsed.into_iter().flatten().collect());
            }
        }
        // Otherwise the report, row by row as they came.
        let mut errors = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (raw, parsed) in rows.iter().zip(parsed) {
            if let Err(cells) = parsed {
                errors.extend(cells.into_iter().map(|(column, reason)| RowError {
                    row: raw.row,
                    line: raw.line,
                    column,
                    reason,
                }));
            }
            if let Some(id) = raw
                .cells
                .get("id")
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                if let Some(first) = seen.insert(id, raw.row) {
                    errors.push(RowError {
                        row: raw.row,
                        line: raw.line,
                        column: "id",
                        reason: format!("{id:?} is also in row {first}"),
                    });
                }
            }
            if errors.len() >= ROW_ERRORS_MAX {
                break;
            }
        }
        errors.truncate(ROW_ERRORS_MAX);
        Err(LocalError::Rows(errors))
    }

    /// The index of the months held that `wanted` picks, read from the
    /// store (each month on its own core).
    fn read_index(&self, wanted: impl Fn(Month) -> bool) -> Result<Index, LocalError> {
        let months: Vec<Month> = self
            .store()
            .ticket_months()?
            .into_iter()
            .filter(|m| wanted(*m))
            .collect();
        let months = months
            .into_par_iter()
            .map(|m| {
                let tickets = self.store().month_tickets(m)?;
                Ok((m, Arc::new(MonthIndex::new(&tickets))))
            })
            .collect::<Result<BTreeMap<_, _>, LocalError>>()?;
        Ok(Index {
            months,
            periods: Mutex::default(),
        })
    }

    /// The index of the requests held: read from the store once (after a
    /// restart), then kept up to date by each import.
    fn hotline_index(&self) -> Result<Arc<Index>, LocalError> {
        if let Some(i) = self
            .hotline
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Ok(i.clone());
        }
        // Read under the write lock: an import waits for it, then applies
        // the months it wrote on top.
        let mut slot = self.hotline.write().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = slot.as_ref() {
            return Ok(i.clone());
        }
        let index = Arc::new(self.read_index(|_| true)?);
        *slot = Some(index.clone());
        Ok(index)
    }

    /// Every month holding requests, oldest first, with its count.
    pub fn hotline_months(&self) -> Result<deltabench_model::hotline::HotlineMonths, LocalError> {
        let index = self.hotline_index()?;
        let months = index
            .months
            .iter()
            .filter(|(_, m)| !m.rows.is_empty())
            .map(|(&(y, m), idx)| deltabench_model::hotline::MonthCount {
                month: Period::Month(y, m),
                requests: idx.rows.len(),
            })
            .collect();
        Ok(deltabench_model::hotline::HotlineMonths { months })
    }

    /// The requests accepted in `period`, from the index, each with its
    /// finest H3 cell; ids, channels, subcategories, towns and points are
    /// left empty.
    pub(crate) fn hotline_requests_of(
        &self,
        period: Period,
    ) -> Result<Vec<(Ticket, Option<h3o::CellIndex>)>, LocalError> {
        let index = self.hotline_index()?;
        Ok(index.of(period).flat_map(MonthIndex::skeletons).collect())
    }

    /// The unit values of framework `f`'s hotline indicators for
    /// `period`, from the requests accepted in it.
    pub(crate) fn hotline_unit_values(
        &self,
        f: &deltabench_model::documents::Framework,
        period: Period,
    ) -> Result<deltabench_engine::appraisal::HotlineValues, LocalError> {
        let tickets = self.hotline_requests_of(period)?;
        let refs: Vec<&Ticket> = tickets.iter().map(|(t, _)| t).collect();
        let now = self.now();
        Ok(f.indicators
            .iter()
            .filter(|i| i.from_hotline())
            .filter_map(|i| i.source.map(|s| (i.code.clone(), s)))
            .map(|(code, source)| {
                (
                    code,
                    engine::unit_values(&refs, source, now, self.policy().hotline_quick_close_secs),
                )
            })
            .collect())
    }

    /// The demand heat map of `period` (and `category`) at H3 `resolution`.
    pub fn hotline_heatmap(
        &self,
        period: Period,
        category: Option<&str>,
        resolution: u8,
    ) -> Result<Heatmap, LocalError> {
        let res = h3o::Resolution::try_from(resolution).map_err(|_| {
            LocalError::Invalid(InvalidField::new(
                "resolution",
                format!("{resolution} is not an H3 resolution (0 to 15)"),
            ))
        })?;
        let index = self.hotline_index()?;
        // Each month's category (when one is asked for), in its own lists.
        let months: Vec<(&MonthIndex, Option<u32>)> = index
            .of(period)
            .filter_map(|m| match category {
                None => Some((m, None)),
                Some(c) => m.category(c).map(|i| (m, Some(i))),
            })
            .collect();
        // The months' counts at this resolution, those not made yet made
        // on every core.
        let heats: Vec<Arc<Vec<HeatCount>>> = months.par_iter().map(|(m, _)| m.heat(res)).collect();
        let mut requests = 0;
        let mut without = 0;
        let mut towns: BTreeMap<&str, usize> = BTreeMap::new();
        let mut cells: HashMap<h3o::CellIndex, (usize, BTreeMap<&str, usize>)> = HashMap::new();
        for ((m, cat), heat) in months.iter().zip(&heats) {
            let wanted = |c: u32| cat.is_none_or(|w| w == c);
            for (c, (n, w)) in m.per_category.iter().enumerate() {
                if wanted(c as u32) {
                    requests += n;
                    without += w;
                }
            }
            for &(c, t, n) in &m.towns_by_category {
                if wanted(c) {
                    *towns.entry(&m.towns[t as usize]).or_default() += n;
                }
            }
            // This month's counts per cell and town first, then into the
            // period's by name.
            let mut month: HashMap<(u64, u32), usize, FxBuild> = HashMap::default();
            for &(cell, c, t, n) in heat.iter() {
                if wanted(c) {
                    *month.entry((cell, t)).or_default() += n;
                }
            }
            for ((cell, t), n) in month {
                let Ok(cell) = h3o::CellIndex::try_from(cell) else {
                    continue;
                };
                let e = cells.entry(cell).or_default();
                e.0 += n;
                if t != NO_TOWN {
                    *e.1.entry(&m.towns[t as usize]).or_default() += n;
                }
            }
        }
        let (cells, towns, without) = engine::heat_cells(cells, towns, without);
        Ok(Heatmap {
            period,
            category: category.map(str::to_owned),
            resolution,
            cells,
            towns,
            requests,
            without_coordinates: without,
        })
    }

    /// Each department's response efficiency in `period`, over all its
    /// categories and per category; open requests censored now.
    pub fn hotline_departments(&self, period: Period) -> Result<Departments, LocalError> {
        let index = self.hotline_index()?;
        let figures = index.period_figures(period);
        let now = self.now();
        let quick = self.policy().hotline_quick_close_secs;
        Ok(Departments {
            period,
            as_of: now,
            departments: figures
                .par_iter()
                .map(|(d, c, f)| f.row(d, c.as_deref(), now, quick))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, Identity, Policy};
    use deltabench_model::local::Unit;
    use deltabench_model::{CategoryId, JurisdictionCode};
    use deltabench_store::Store;
    use deltabench_trust::NodeKey;
    use std::sync::atomic::{AtomicI64, Ordering};

    struct SetClock(AtomicI64);

    impl Clock for SetClock {
        fn now(&self) -> Timestamp {
            Timestamp::from_unix(self.0.load(Ordering::Relaxed)).unwrap()
        }
    }

    fn open(store: Store, clock: Arc<SetClock>) -> Node {
        let node = Node::open(
            Identity {
                code: JurisdictionCode::new("320585").unwrap(),
                name_zh: "太仓市".into(),
                name_en: "Taicang".into(),
            },
            NodeKey::from_seed([9; 32]),
            store,
            vec![],
            Policy::default(),
            clock,
        )
        .unwrap();
        node.declare().unwrap();
        node
    }

    /// `units` held, under a framework whose category they are in.
    fn with_units(node: &Node, units: &[Unit]) {
        let f = include_str!("../../engine/tests/data/small-framework.json");
        node.publish_framework(serde_json::from_str(f).unwrap())
            .unwrap();
        node.put_units(units).unwrap();
    }

    /// Seeded rows over January to April 2025 (UTC+8), three departments,
    /// three categories, some without a town or coordinates, open and
    /// closed, with each flag.
    fn rows(seed: u64, ids: std::ops::Range<usize>) -> Vec<RawTicket> {
        let mut x = seed;
        let mut next = move |below: u64| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % below
        };
        let stamp = |t: i64| Timestamp::from_unix(t).unwrap().to_string();
        // 2025-01-01 00:00 in UTC+8.
        let start = 1_735_660_800;
        ids.map(|i| {
            let accepted = start + 60 * next(120 * 24 * 60) as i64;
            let mut cells = BTreeMap::new();
            cells.insert("id", format!("r{i}"));
            cells.insert(
                "category",
                ["noise", "roads", "water"][next(3) as usize].into(),
            );
            cells.insert("department", format!("u{}", next(3)));
            if next(5) != 0 {
                cells.insert(
                    "town",
                    ["城厢镇", "沙溪镇", "浏河镇"][next(3) as usize].into(),
                );
            }
            if next(6) != 0 {
                cells.insert("lat", format!("{:.5}", 31.45 + next(1000) as f64 * 1e-4));
                cells.insert("long", format!("{:.5}", 121.1 + next(1000) as f64 * 1e-4));
            }
            cells.insert("accepted_at", stamp(accepted));
            if next(4) != 0 {
                cells.insert("acknowledged_at", stamp(accepted + 60 * next(600) as i64));
            }
            match next(6) {
                0 => {}
                1 => {
                    cells.insert("closed_at", stamp(accepted - 3600));
                }
                2 => {
                    cells.insert("closed_at", stamp(accepted + 60 * next(6) as i64));
                }
                _ => {
                    cells.insert("closed_at", stamp(accepted + 600 * next(2000) as i64));
                    cells.insert("result", ["resolved", "explained"][next(2) as usize].into());
                }
            }
            if next(8) == 0 {
                cells.insert("reopened_at", stamp(accepted + 7200));
            }
            if next(2) == 0 {
                cells.insert("sla_due", stamp(accepted + 3600 * next(200) as i64));
            }
            if next(3) == 0 {
                cells.insert("satisfaction", (1 + next(5)).to_string());
            }
            RawTicket {
                row: i + 1,
                line: None,
                cells,
            }
        })
        .collect()
    }

    /// The queries' answers worked out from every request directly, as
    /// before the index.
    fn check_against_the_requests(node: &Node) {
        let all = node.store().tickets().unwrap();
        let now = node.now();
        let quick = node.policy().hotline_quick_close_secs;
        let periods = [
            Period::Year(2025),
            Period::Quarter(2025, 1),
            Period::Month(2025, 2),
            Period::Month(2025, 4),
            Period::Month(2025, 7),
            Period::Year(2024),
        ];
        for period in periods {
            let of: Vec<&Ticket> = all
                .iter()
                .filter(|t| engine::in_period(t, period))
                .collect();
            let d = node.hotline_departments(period).unwrap();
            assert_eq!(
                d.departments,
                engine::departments(&of, now, quick),
                "{period}"
            );
            for category in [None, Some("noise"), Some("water"), Some("none")] {
                for res in [5, 9, 15] {
                    let picked: Vec<&Ticket> = of
                        .iter()
                        .copied()
                        .filter(|t| category.is_none_or(|c| t.category == c))
                        .collect();
                    let (cells, towns, without) =
                        engine::heatmap(&picked, h3o::Resolution::try_from(res).unwrap());
                    let h = node.hotline_heatmap(period, category, res).unwrap();
                    assert_eq!(
                        (h.cells, h.towns, h.without_coordinates, h.requests),
                        (cells, towns, without, picked.len()),
                        "{period} {category:?} {res}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_index_answers_as_the_requests_do_through_imports_time_and_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(SetClock(AtomicI64::new(1_741_000_000)));
        let node = open(Store::open(dir.path()).unwrap(), clock.clone());
        let units: Vec<Unit> = (0..3)
            .map(|d| Unit {
                id: UnitId::new(format!("u{d}")).unwrap(),
                name_zh: format!("部门{d}"),
                name_en: format!("Department {d}"),
                category: CategoryId::new("agency").unwrap(),
            })
            .collect();
        with_units(&node, &units);
        let first = rows(1, 0..3000);
        let stored = node
            .import_tickets(&first, CoordSystem::Wgs84, "office")
            .unwrap();
        assert_eq!(stored.inserted, 3000);
        check_against_the_requests(&node);
        // Later, with open requests longer open and more past their SLA.
        clock.0.store(1_745_000_000, Ordering::Relaxed);
        check_against_the_requests(&node);
        // A re-import: some requests unchanged, some changed (moved to
        // another month, or another department), some new.
        let mut again = rows(2, 2500..3500);
        for (k, raw) in again.iter_mut().enumerate().take(500) {
            if k % 3 == 0 {
                *raw = first[2500 + k].clone();
            }
        }
        let stored = node
            .import_tickets(&again, CoordSystem::Wgs84, "clerk")
            .unwrap();
        assert_eq!(stored.inserted, 500);
        assert!(
            stored.unchanged >= 167 && stored.updated > 250,
            "{stored:?}"
        );
        check_against_the_requests(&node);
        clock.0.store(1_760_000_000, Ordering::Relaxed);
        check_against_the_requests(&node);
        let values_before = {
            let tickets = node.store().tickets().unwrap();
            tickets.len()
        };
        assert_eq!(values_before, 3500);
        // After a restart the index is read from the store.
        drop(node);
        let node = open(Store::open_waiting(dir.path()).unwrap(), clock);
        check_against_the_requests(&node);
    }

    #[test]
    fn a_request_found_twice_or_refused_is_reported_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(SetClock(AtomicI64::new(1_741_000_000)));
        let node = open(Store::open(dir.path()).unwrap(), clock);
        with_units(
            &node,
            &[Unit {
                id: UnitId::new("u0").unwrap(),
                name_zh: "部门".into(),
                name_en: "Department".into(),
                category: CategoryId::new("agency").unwrap(),
            }],
        );
        let mut rows = rows(3, 0..10);
        for r in &mut rows {
            r.cells.insert("department", "u0".into());
        }
        rows[4].cells.insert("id", "r1".into());
        rows[7].cells.insert("accepted_at", "soon".into());
        let Err(LocalError::Rows(errors)) = node.check_tickets(&rows, CoordSystem::Wgs84) else {
            panic!("refused");
        };
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column)).collect();
        assert_eq!(got, [(5, "id"), (8, "accepted_at")]);
        assert_eq!(errors[0].reason, "\"r1\" is also in row 2");
    }

    #[test]
    fn local_times_read_directly_are_those_parse_time_gives() {
        let cases = [
            "2025-03-01 09:15",
            "2025-03-01T09:15",
            "2025-03-01 09:15:30",
            "2024-02-29 23:59:59",
            "2025-02-29 10:00",
            "2025-13-01 00:00",
            "2025-00-10 00:00",
            "2025-04-31 00:00",
            "2025-01-01 24:00",
            "2025-01-01 23:60",
            "2025-01-01 23:59:60",
            "0000-01-01 00:00",
            "2000-02-29 12:00",
            "1900-02-29 12:00",
            "9999-12-31 23:59:59",
            "2025-1-01 00:00",
            "2025-01-01 0:00:00",
            "2025-01-01_00:00",
            "2025/01/01 00:00",
            "2025-01-01 00:00:0a",
            "+025-01-01 00:00",
            "2025-01-01T00:00:00Z",
        ];
        for s in cases {
            if let Some(t) = local_time(s) {
                assert_eq!(Some(t), parse_time(s).ok(), "{s}");
            }
        }
        assert!(local_time("2025-03-01 09:15").is_some());
        assert!(local_time("2025-02-29 10:00").is_none());
        // Every minute boundary of a leap year's days, against the parser.
        for day in 0..366 {
            let t = 1_704_038_400 + day * 86_400 + 3_599;
            let local = Timestamp::from_unix(t + 8 * 3600).unwrap().to_string();
            let text = local[..19].replace('T', " ");
            assert_eq!(local_time(&text).unwrap().unix(), t, "{text}");
            assert_eq!(parse_time(&text).unwrap().unix(), t, "{text}");
        }
    }
}
