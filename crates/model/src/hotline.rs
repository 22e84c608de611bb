//! 12345 hotline requests (工单) and what the node answers about them:
//! demand by place and category, and each department's response
//! efficiency. Local records, never signed.
//!
//! A request carries the Open311 GeoReport v2 fields an office needs (the
//! id, status times, category, responsible agency, coordinates) and what
//! 12345 records beside them: the channel, town or street, the SLA due
//! time, acknowledgement and reopening times, the closure result and the
//! resident's satisfaction on follow-up.

use crate::{InvalidField, Timestamp, UnitId};
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{PrimitiveDateTime, UtcOffset};

/// The coordinate system an import's `lat` and `long` are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CoordSystem {
    /// WGS84 (GPS), as Open311 states.
    Wgs84,
    /// GCJ-02, of Chinese map services (Amap, Tencent): up to about 700 m
    /// off WGS84.
    Gcj02,
    /// BD-09, of Baidu maps.
    Bd09,
}

impl CoordSystem {
    /// The name in queries and JSON: `wgs84`, `gcj02` or `bd09`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wgs84 => "wgs84",
            Self::Gcj02 => "gcj02",
            Self::Bd09 => "bd09",
        }
    }

    /// Parses `wgs84`, `gcj02` or `bd09` (case-insensitive, `-` allowed).
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "wgs84" => Ok(Self::Wgs84),
            "gcj02" => Ok(Self::Gcj02),
            "bd09" => Ok(Self::Bd09),
            _ => Err(InvalidField::new(
                "coordinates",
                format!("{s:?} is not a coordinate system: wgs84, gcj02 or bd09"),
            )),
        }
    }
}

/// How a closed request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosureResult {
    /// The problem was solved (解决).
    Resolved,
    /// The department explained why it cannot be solved (解释说明):
    /// closed, not fixed.
    Explained,
    /// Closed without a solution (未解决).
    NotResolved,
}

/// One request as stored: coordinates in WGS84, times in UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ticket {
    /// The request's number (工单号, Open311 `service_request_id`).
    pub id: String,
    /// How it came in (12345 phone, app, web, …).
    pub channel: String,
    /// Its category (Open311 `service_name`), e.g. `environment`.
    pub category: String,
    /// Its subcategory (`service_subtype`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    /// The town or street (镇/街道).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// The responsible department (`agency_responsible`), one of the node's
    /// units.
    pub department: UnitId,
    /// Latitude, WGS84.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, WGS84.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<f64>,
    /// When it was accepted (`requested_datetime`).
    pub accepted_at: Timestamp,
    /// When the department acknowledged it (first response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<Timestamp>,
    /// When it was closed (`closed_date`); absent while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// When it was last reopened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_at: Option<Timestamp>,
    /// When it is due under the SLA (`expected_datetime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_due: Option<Timestamp>,
    /// How it ended, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ClosureResult>,
    /// The resident's satisfaction on follow-up, 1 (very dissatisfied) to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
}

/// A data-quality problem of a request: counted apart, never dropped.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Closed before it was accepted.
    ClosedBeforeOpened,
    /// Closed within `[hotline] quick_close_minutes` of being accepted.
    ClosedWithinMinutes,
    /// Reopened after a closure.
    Reopened,
    /// Closed, or past its SLA, with no acknowledgement recorded.
    NoAcknowledgement,
}

/// A request as sent in JSON: the columns of a CSV row (Open311 names are
/// accepted for the same fields, and a number may also come as a string).
/// Documents the body; the node reads rows generically so that a refused
/// one is named by row and column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketIn {
    /// The request's number (工单号).
    #[schema(min_length = 1, max_length = 64)]
    pub id: String,
    /// How it came in; `12345` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Its category.
    #[schema(min_length = 1, max_length = 100)]
    pub category: String,
    /// Its subcategory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    /// The town or street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// The responsible department: one of the node's units.
    pub department: UnitId,
    /// Latitude, in the import's coordinate system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    /// Longitude, in the import's coordinate system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub long: Option<f64>,
    /// Accepted: RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` in UTC+8.
    pub accepted_at: String,
    /// Acknowledged, in the same forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    /// Closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// Last reopened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_at: Option<String>,
    /// Due under the SLA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_due: Option<String>,
    /// How it ended, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ClosureResult>,
    /// Follow-up satisfaction, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<u8>,
    /// `open` or `closed`, checked against `closed_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The JSON body of `POST /api/v1/hotline/tickets` (a bare array of
/// requests is read too, with the coordinate system in the query).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketUpload {
    /// The coordinate system of the requests' `lat` and `long`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<CoordSystem>,
    /// The requests.
    pub tickets: Vec<TicketIn>,
}

/// The answer of `POST /api/v1/hotline/tickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketsStored {
    /// Requests in the import.
    pub accepted: usize,
    /// New requests.
    pub inserted: usize,
    /// Known requests whose fields changed (the earlier version is kept in
    /// the audit trail).
    pub updated: usize,
    /// Known requests sent again unchanged.
    pub unchanged: usize,
    /// The coordinate system the import stated.
    pub coordinates: CoordSystem,
    /// Requests of the import with a data-quality flag, by flag.
    pub flagged: std::collections::BTreeMap<Flag, usize>,
}

/// One cell of the demand heat map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeatCell {
    /// The H3 cell index, hexadecimal.
    pub cell: String,
    /// Requests in the cell.
    pub count: usize,
    /// The cell's centre, WGS84 latitude.
    pub lat: f64,
    /// The cell's centre, WGS84 longitude.
    pub long: f64,
    /// Its corners, `[lat, long]` pairs, WGS84, for drawing.
    pub boundary: Vec<[f64; 2]>,
    /// The town most of its requests name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
}

/// Requests of one town or street.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TownCount {
    /// The town or street.
    pub town: String,
    /// Its requests.
    pub count: usize,
}

/// The answer of `GET /api/v1/hotline/heatmap`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Heatmap {
    /// The period.
    pub period: crate::Period,
    /// The category, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The H3 resolution (0-15).
    pub resolution: u8,
    /// Cells with requests, most first.
    pub cells: Vec<HeatCell>,
    /// Requests by town or street, most first.
    pub towns: Vec<TownCount>,
    /// Requests of the period and category in all.
    pub requests: usize,
    /// Of those, requests without coordinates (in no cell).
    pub without_coordinates: usize,
}

/// The 50th and 90th percentiles of a duration, in hours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Percentiles {
    /// The median.
    pub p50: Option<f64>,
    /// The 90th percentile.
    pub p90: Option<f64>,
}

/// One department's (and category's) response efficiency in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepartmentRow {
    /// The department.
    pub department: UnitId,
    /// The category; absent on the department's row over all categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Requests accepted in the period.
    pub requests: usize,
    /// Hours from acceptance to acknowledgement, of acknowledged requests.
    pub response_hours: Percentiles,
    /// Hours from acceptance to closure, Kaplan–Meier: a request still
    /// open counts as censored at the time of the query, not as missing.
    pub close_hours: Percentiles,
    /// Still open.
    pub open: usize,
    /// Share of requests with an SLA that were closed by it (closed
    /// late, or open past it, count against).
    pub within_sla: Option<f64>,
    /// 办结率: share of requests closed.
    pub closure_rate: Option<f64>,
    /// 解决率: share of requests closed as resolved; "explained" and "not
    /// resolved" closures count against it.
    pub resolution_rate: Option<f64>,
    /// Mean follow-up satisfaction (1-5), of requests rated.
    pub satisfaction: Option<f64>,
    /// How many were rated.
    pub rated: usize,
    /// Flagged requests, by flag.
    pub flagged: std::collections::BTreeMap<Flag, usize>,
}

/// The answer of `GET /api/v1/hotline/departments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Departments {
    /// The period.
    pub period: crate::Period,
    /// When open requests were censored.
    pub as_of: Timestamp,
    /// Per department: its row over all categories, then one per category.
    pub departments: Vec<DepartmentRow>,
}

/// Parses a request time: RFC 3339 with its offset, or
/// `YYYY-MM-DD HH:MM[:SS]` (a `T` may stand for the space) as China
/// Standard Time (UTC+8), the time 12345 systems record.
pub fn parse_time(s: &str) -> Result<Timestamp, InvalidField> {
    let s = s.trim();
    if let Ok(t) = Timestamp::parse(s) {
        return Ok(t);
    }
    let text = s.replacen('T', " ", 1);
    let long = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let short = format_description!("[year]-[month]-[day] [hour]:[minute]");
    let local = PrimitiveDateTime::parse(&text, long)
        .or_else(|_| PrimitiveDateTime::parse(&text, short))
        .map_err(|_| {
            InvalidField::new(
                "time",
                format!("{s:?} is neither RFC 3339 nor YYYY-MM-DD HH:MM[:SS] (UTC+8)"),
            )
        })?;
    let cst = UtcOffset::from_hms(8, 0, 0).map_err(|e| InvalidField::new("time", e.to_string()))?;
    Timestamp::from_unix(local.assume_offset(cst).unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_without_an_offset_are_china_standard_time() {
        let a = parse_time("2025-03-01 09:15").unwrap();
        assert_eq!(a.to_string(), "2025-03-01T01:15:00Z");
        assert_eq!(
            parse_time("2025-03-01T09:15:30").unwrap().unix(),
            a.unix() + 30
        );
        assert_eq!(parse_time("2025-03-01T01:15:00Z").unwrap(), a);
        assert_eq!(parse_time("2025-03-01T09:15:00+08:00").unwrap(), a);
        assert!(parse_time("1 March").is_err());
        assert_eq!(CoordSystem::parse("GCJ-02").unwrap(), CoordSystem::Gcj02);
        assert!(CoordSystem::parse("utm").is_err());
    }
}

/// One member's latest signed `hotline` summary of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineMember {
    /// The issuing jurisdiction.
    pub issuer: crate::JurisdictionCode,
    /// The document's hash.
    pub hash: crate::DocHash,
    /// Its place on the issuer's chain.
    pub seq: u64,
    /// When the issuer signed it.
    pub issued_at: Timestamp,
    /// The summary as signed.
    pub summary: crate::documents::HotlineSummary,
}

/// The answer of `GET /api/v1/hotline/delta`: every member's latest
/// `hotline` summary of the period, the node's own included, by issuer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineDelta {
    /// The period asked for.
    pub period: crate::Period,
    /// One entry per issuer holding a summary of the period.
    pub members: Vec<HotlineMember>,
}

/// The requests accepted in one month (China Standard Time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MonthCount {
    /// The month, e.g. `2025-03`.
    pub month: crate::Period,
    /// Its requests.
    pub requests: usize,
}

/// The answer of `GET /api/v1/hotline/months`: every month holding
/// requests, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineMonths {
    /// One entry per month with at least one request.
    pub months: Vec<MonthCount>,
}
