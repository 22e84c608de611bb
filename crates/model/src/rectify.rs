//! The closed loop of public rating (好差评闭环): a bad rating opens a
//! rectification task for the project's responsible unit, the unit
//! responds, the office calls the resident back, and the task closes. The
//! office also moderates ratings: it may hide a comment (the rating still
//! counts) or, deciding a unit's appeal, void a rating (it no longer counts
//! anywhere, but stays on record with the decision).
//!
//! Dates are office dates: the calendar day in China Standard Time (UTC+8,
//! [`OFFICE_UTC_OFFSET_SECS`]), since a rating given at 23:30 in Taicang is
//! given that day, whatever the hour in UTC. A task is due
//! [`add_working_days`] after the day of its rating: Monday to Friday,
//! skipping the configured holidays.
//!
//! The rules of each step are methods of [`Task`] that change it or say
//! why not ([`TaskRefusal`]); the store applies them inside its
//! transaction, so two clerks answering at once cannot both succeed.

use crate::{InvalidField, ProjectId, Timestamp, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The offset of office dates from UTC, in seconds: China Standard Time.
pub const OFFICE_UTC_OFFSET_SECS: i64 = 8 * 3600;

/// The longest free text (a response, a reason, a note), in characters.
pub const TEXT_MAX: usize = 2000;

/// The longest name of who acted, in characters.
pub const NAME_MAX: usize = 100;

/// Ratings at or below this level open a rectification task (不满意 and
/// 非常不满意).
pub const TASK_LEVEL_MAX: u8 = 2;

/// A calendar day, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day(time::Date);

impl utoipa::PartialSchema for Day {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
            .description(Some("a calendar day, YYYY-MM-DD"))
            .into()
    }
}

impl utoipa::ToSchema for Day {}

impl Day {
    /// Parses `YYYY-MM-DD`; the error names `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidField> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &format)
            .map(Self)
            .map_err(|e| InvalidField::new(field, format!("{s:?} is not a date YYYY-MM-DD: {e}")))
    }

    /// The office date of an instant ([`OFFICE_UTC_OFFSET_SECS`]).
    pub fn of(t: Timestamp) -> Self {
        let local = time::OffsetDateTime::from_unix_timestamp(t.unix() + OFFICE_UTC_OFFSET_SECS)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Self(local.date())
    }

    /// The `time` date.
    pub fn date(self) -> time::Date {
        self.0
    }

    /// Whether it is Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(
            self.0.weekday(),
            time::Weekday::Saturday | time::Weekday::Sunday
        )
    }
}

impl From<time::Date> for Day {
    fn from(d: time::Date) -> Self {
        Self(d)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl TryFrom<String> for Day {
    type Error = InvalidField;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse("date", &s)
    }
}

impl From<Day> for String {
    fn from(d: Day) -> String {
        d.to_string()
    }
}

/// The day `n` working days after `start`: each step moves to the next day
/// that is Monday to Friday and not in `holidays`. `n = 0` is `start`
/// itself. (A Friday plus one working day is the Monday after.) Days past
/// the calendar's end (year 9999) stay at its last day.
pub fn add_working_days(start: Day, n: u32, holidays: &BTreeSet<Day>) -> Day {
    let mut day = start;
    let mut left = n;
    while left > 0 {
        match day.0.next_day() {
            Some(next) => day = Day(next),
            None => return day,
        }
        if !day.is_weekend() && !holidays.contains(&day) {
            left -= 1;
        }
    }
    day
}

/// When rectification is due: `days` working days after the day of the
/// rating, weekends and `holidays` skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Working days the unit has to respond.
    pub days: u32,
    /// Days off besides weekends.
    pub holidays: BTreeSet<Day>,
}

impl Default for Schedule {
    /// 15 working days, no holidays.
    fn default() -> Self {
        Self {
            days: 15,
            holidays: BTreeSet::new(),
        }
    }
}

impl Schedule {
    /// The due date of a task opened at `opened`.
    pub fn due(&self, opened: Timestamp) -> Day {
        add_working_days(Day::of(opened), self.days, &self.holidays)
    }
}

/// Checks a free text: not blank, at most `max` characters, no control
/// characters but line breaks when `lines` is set. The error names `field`.
pub fn check_text(field: &str, v: &str, max: usize, lines: bool) -> Result<(), InvalidField> {
    if v.trim().is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(InvalidField::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && !(lines && (c == '\n' || c == '\r')))
    {
        return Err(InvalidField::new(field, "holds a control character"));
    }
    Ok(())
}

/// Why and by whom a rating's comment is hidden from the public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hidden {
    /// Why (personal data, abuse, advertising, ...).
    pub reason: String,
    /// Who hid it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// The decision that voids a rating, on the responsible unit's appeal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Voided {
    /// Why the appeal was upheld.
    pub reason: String,
    /// Who decided it.
    pub decided_by: String,
    /// When.
    pub at: Timestamp,
}

impl Hidden {
    /// Checks the reason and the name.
    pub fn validate(&self) -> Result<(), InvalidField> {
        check_text("reason", &self.reason, TEXT_MAX, true)?;
        check_text("by", &self.by, NAME_MAX, false)
    }
}

impl Voided {
    /// Checks the reason and the name.
    pub fn validate(&self) -> Result<(), InvalidField> {
        check_text("reason", &self.reason, TEXT_MAX, true)?;
        check_text("decided_by", &self.decided_by, NAME_MAX, false)
    }
}

/// What the office decided about one rating: kept beside the rating, which
/// itself never changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    /// Its comment is hidden from the public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Hidden>,
    /// It no longer counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided: Option<Voided>,
}

/// Where a rectification task stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Waiting for the unit's response.
    Open,
    /// Responded; waiting for the call-back.
    Responded,
    /// Called back: done.
    Closed,
    /// Its rating was voided on appeal.
    Voided,
}

impl TaskStatus {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Responded => "responded",
            Self::Closed => "closed",
            Self::Voided => "voided",
        }
    }
}

/// The unit's response to a bad rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Response {
    /// What the unit did or will do.
    pub text: String,
    /// Who recorded it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Recorded after the due date.
    pub late: bool,
}

/// What the resident said when called back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallbackResult {
    /// Satisfied with the rectification.
    Satisfied,
    /// Still not satisfied.
    Unsatisfied,
    /// Could not be reached.
    Unreachable,
}

/// The office's call-back to the resident, which closes the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Callback {
    /// The result.
    pub result: CallbackResult,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who called back.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// A rectification task, opened by a rating of level 1 or 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    /// Its number, from 1 in the order opened.
    pub id: u64,
    /// The rating that opened it.
    pub rating: u64,
    /// The project rated.
    pub project: ProjectId,
    /// The unit that must respond (the project's responsible unit).
    pub unit: UnitId,
    /// The rating's level.
    pub level: u8,
    /// When it was opened (the rating's time).
    pub opened: Timestamp,
    /// The last day of the response.
    pub due: Day,
    /// Where it stands.
    pub status: TaskStatus,
    /// The unit's response, once recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// The call-back, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
}

/// Why a step of a task is refused in its present state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskRefusal {
    /// A response is recorded already.
    #[error("task {0} has a response already")]
    AlreadyResponded(u64),
    /// A call-back needs a response first.
    #[error("task {0} has no response yet: the unit responds before the resident is called back")]
    NoResponse(u64),
    /// The call-back is made already.
    #[error("task {0} is closed: its call-back is recorded already")]
    Closed(u64),
    /// The rating was voided.
    #[error("task {0} is void: its rating was voided on appeal")]
    Voided(u64),
}

impl Task {
    /// Whether the unit is late: no response, still open, and `today` is
    /// after the due date.
    pub fn is_overdue(&self, today: Day) -> bool {
        self.status == TaskStatus::Open && self.response.is_none() && today > self.due
    }

    /// Records the unit's response, `late` when given after the due date.
    pub fn respond(&mut self, text: String, by: String, at: Timestamp) -> Result<(), TaskRefusal> {
        match self.status {
            TaskStatus::Open => {}
            TaskStatus::Voided => return Err(TaskRefusal::Voided(self.id)),
            TaskStatus::Responded | TaskStatus::Closed => {
                return Err(TaskRefusal::AlreadyResponded(self.id));
            }
        }
        self.response = Some(Response {
            text,
            by,
            at,
            late: Day::of(at) > self.due,
        });
        self.status = TaskStatus::Responded;
        Ok(())
    }

    /// Records the call-back, which closes the task; only after a response.
    pub fn call_back(&mut self, callback: Callback) -> Result<(), TaskRefusal> {
        match self.status {
            TaskStatus::Responded => {}
            TaskStatus::Open => return Err(TaskRefusal::NoResponse(self.id)),
            TaskStatus::Closed => return Err(TaskRefusal::Closed(self.id)),
            TaskStatus::Voided => return Err(TaskRefusal::Voided(self.id)),
        }
        self.callback = Some(callback);
        self.status = TaskStatus::Closed;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse("d", s).unwrap()
    }

    fn check(start: &str, n: u32, holidays: &[&str], want: &str) {
        let holidays = holidays.iter().map(|h| day(h)).collect();
        assert_eq!(
            add_working_days(day(start), n, &holidays),
            day(want),
            "{start} + {n} working days"
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // 2025-03-07 is a Friday.
        check("2025-03-07", 0, &[], "2025-03-07");
        check("2025-03-07", 1, &[], "2025-03-10");
        // From a Saturday, the first working day is Monday.
        check("2025-03-08", 1, &[], "2025-03-10");
        // Monday 2025-03-03 + 5 = Monday 2025-03-10; + 15 = Monday 03-24.
        check("2025-03-03", 5, &[], "2025-03-10");
        check("2025-03-03", 15, &[], "2025-03-24");
        // Labour Day 2025: Thursday 05-01 and Friday 05-02 off. Wednesday
        // 04-30 + 1 skips both and the weekend: Monday 05-05.
        check("2025-04-30", 1, &["2025-05-01", "2025-05-02"], "2025-05-05");
        // National Day week 2025-10-01 (Wed) to 10-08 (Wed) off; Tuesday
        // 09-30 + 2 = Thursday 10-09, Friday 10-10.
        let national = [
            "2025-10-01",
            "2025-10-02",
            "2025-10-03",
            "2025-10-06",
            "2025-10-07",
            "2025-10-08",
        ];
        check("2025-09-30", 2, &national, "2025-10-10");
        // A holiday on a weekend changes nothing.
        check("2025-03-07", 1, &["2025-03-08"], "2025-03-10");
        // Across a year end: Wednesday 2025-12-31 + 2 = Friday 2026-01-02,
        // or Monday 01-05 when 01-01 is a holiday.
        check("2025-12-31", 2, &[], "2026-01-02");
        check("2025-12-31", 2, &["2026-01-01"], "2026-01-05");
    }

    #[test]
    fn office_dates_are_china_standard_time() {
        // 2025-03-07T16:30Z is 00:30 on Saturday 03-08 in Taicang.
        let t = Timestamp::parse("2025-03-07T16:30:00Z").unwrap();
        assert_eq!(Day::of(t), day("2025-03-08"));
        let t = Timestamp::parse("2025-03-07T15:59:59Z").unwrap();
        assert_eq!(Day::of(t), day("2025-03-07"));
        assert_eq!(day("2025-03-07").to_string(), "2025-03-07");
        assert!(Day::parse("holidays[0]", "2025-02-30").is_err());
    }

    #[test]
    fn texts_are_plain_and_bounded() {
        assert_eq!(check_text("text", "已整改\n谢谢", TEXT_MAX, true), Ok(()));
        for (v, lines) in [
            (" ", true),
            ("a\nb", false),
            ("a\u{7}b", true),
            (&*"长".repeat(NAME_MAX + 1), false),
        ] {
            assert_eq!(
                check_text("by", v, NAME_MAX, lines).unwrap_err().field,
                "by"
            );
        }
    }

    fn task() -> Task {
        Task {
            id: 1,
            rating: 7,
            project: ProjectId::new("lib").unwrap(),
            unit: UnitId::new("culture").unwrap(),
            level: 1,
            opened: Timestamp::parse("2025-03-07T02:00:00Z").unwrap(),
            due: day("2025-03-28"),
            status: TaskStatus::Open,
            response: None,
            callback: None,
        }
    }

    #[test]
    fn a_task_goes_open_responded_closed_and_only_so() {
        let callback = Callback {
            result: CallbackResult::Satisfied,
            note: None,
            by: "李".into(),
            at: Timestamp::parse("2025-04-01T02:00:00Z").unwrap(),
        };
        let mut t = task();
        assert!(!t.is_overdue(day("2025-03-28")));
        assert!(t.is_overdue(day("2025-03-29")));
        assert_eq!(
            t.call_back(callback.clone()),
            Err(TaskRefusal::NoResponse(1))
        );
        // Due 03-28; 03-29 08:00 in Taicang is late.
        let at = Timestamp::parse("2025-03-29T00:00:00Z").unwrap();
        t.respond("已修复".into(), "王".into(), at).unwrap();
        assert_eq!(t.status, TaskStatus::Responded);
        assert!(t.response.as_ref().unwrap().late);
        assert!(!t.is_overdue(day("2025-04-30")), "responded, late or not");
        assert_eq!(
            t.respond("again".into(), "王".into(), at),
            Err(TaskRefusal::AlreadyResponded(1))
        );
        t.call_back(callback.clone()).unwrap();
        assert_eq!(t.status, TaskStatus::Closed);
        assert_eq!(t.call_back(callback), Err(TaskRefusal::Closed(1)));
        // On time: the due day itself, office time.
        let mut t = task();
        let at = Timestamp::parse("2025-03-28T15:59:59Z").unwrap();
        t.respond("ok".into(), "王".into(), at).unwrap();
        assert!(!t.response.unwrap().late);
        let mut t = Task {
            status: TaskStatus::Voided,
            ..task()
        };
        assert!(!t.is_overdue(day("2026-01-01")));
        assert_eq!(
            t.respond("x".into(), "y".into(), at),
            Err(TaskRefusal::Voided(1))
        );
    }
}
