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
use deltabench_engine::hotline as engine;
use deltabench_model::hotline::{
    ClosureResult, CoordSystem, Departments, Flag, Heatmap, Ticket, TicketsStored, parse_time,
};
use deltabench_model::{InvalidField, Period, UnitId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The requests held, with what queries filter and group by worked out
/// once: the month of acceptance (UTC+8) and the finest H3 cell.
#[derive(Debug)]
pub struct Index {
    tickets: Vec<Ticket>,
    months: Vec<(u16, u8)>,
    cells: Vec<Option<h3o::CellIndex>>,
}

impl Index {
    fn new(tickets: Vec<Ticket>) -> Self {
        let months = tickets
            .iter()
            .map(|t| engine::local_month(t.accepted_at))
            .collect();
        let cells = tickets
            .iter()
            .map(|t| engine::finest_cell(t.lat, t.long))
            .collect();
        Self {
            tickets,
            months,
            cells,
        }
    }

    /// The positions of the requests accepted in `period`, of `category`.
    fn of<'a>(
        &'a self,
        period: Period,
        category: Option<&'a str>,
    ) -> impl Iterator<Item = usize> + 'a {
        let (first, last) = period.months();
        let year = period.year();
        (0..self.tickets.len()).filter(move |&i| {
            let (y, m) = self.months[i];
            y == year
                && (first..=last).contains(&m)
                && category.is_none_or(|c| self.tickets[i].category == c)
        })
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
        Some(v) => match parse_time(v) {
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
        let counts = self.store().put_tickets(&tickets, by, now)?;
        self.flush()?;
        *self.hotline.write().unwrap_or_else(|e| e.into_inner()) = None;
        let mut flagged: BTreeMap<Flag, usize> = BTreeMap::new();
        for t in &tickets {
            for f in engine::flags(t, now, self.policy().hotline_quick_close_secs) {
                *flagged.entry(f).or_default() += 1;
            }
        }
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
        let mut errors = Vec::new();
        let mut tickets = Vec::with_capacity(rows.len());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for raw in rows {
            match parse_row(raw, coords, &units) {
                Ok(t) => tickets.push(t),
                Err(cells) => errors.extend(cells.into_iter().map(|(column, reason)| RowError {
                    row: raw.row,
                    line: raw.line,
                    column,
                    reason,
                })),
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
        if !errors.is_empty() {
            errors.truncate(ROW_ERRORS_MAX);
            return Err(LocalError::Rows(errors));
        }
        Ok(tickets)
    }

    /// The index of the requests held: read from the store once, kept
    /// until the next import.
    fn hotline_index(&self) -> Result<Arc<Index>, LocalError> {
        if let Some(i) = self
            .hotline
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Ok(i.clone());
        }
        let index = Arc::new(Index::new(self.store().tickets()?));
        *self.hotline.write().unwrap_or_else(|e| e.into_inner()) = Some(index.clone());
        Ok(index)
    }

    /// The unit values of framework `f`'s hotline indicators for
    /// `period`, from the requests accepted in it.
    pub(crate) fn hotline_unit_values(
        &self,
        f: &deltabench_model::documents::Framework,
        period: Period,
    ) -> Result<deltabench_engine::appraisal::HotlineValues, LocalError> {
        let index = self.hotline_index()?;
        let refs: Vec<&Ticket> = index.of(period, None).map(|i| &index.tickets[i]).collect();
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
        let picked: Vec<(&Ticket, Option<h3o::CellIndex>)> = index
            .of(period, category)
            .map(|i| (&index.tickets[i], index.cells[i]))
            .collect();
        let (cells, towns, without) = engine::heatmap_of_cells(&picked, res);
        Ok(Heatmap {
            period,
            category: category.map(str::to_owned),
            resolution,
            cells,
            towns,
            requests: picked.len(),
            without_coordinates: without,
        })
    }

    /// Each department's response efficiency in `period`, over all its
    /// categories and per category; open requests censored now.
    pub fn hotline_departments(&self, period: Period) -> Result<Departments, LocalError> {
        let index = self.hotline_index()?;
        let refs: Vec<&Ticket> = index.of(period, None).map(|i| &index.tickets[i]).collect();
        let now = self.now();
        Ok(Departments {
            period,
            as_of: now,
            departments: engine::departments(&refs, now, self.policy().hotline_quick_close_secs),
        })
    }
}
