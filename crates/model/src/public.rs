//! Livelihood projects (民生项目) that residents rate, and their ratings.
//! Like units and observations, they stay on the node; only aggregates
//! above the disclosure threshold are ever published.

use crate::{CategoryId, InvalidField, Period, ProjectId, Timestamp, UnitId, Value};
use serde::{Deserialize, Serialize};

/// The longest comment a rating may carry, in characters.
pub const COMMENT_MAX: usize = 500;

/// A livelihood project that the public rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Its identifier within the jurisdiction.
    pub id: ProjectId,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// The appraised unit responsible for it (one of the node's units).
    pub unit: UnitId,
    /// The town or street where it is delivered.
    pub place: String,
    /// Its budget in yuan.
    pub budget: Value,
    /// The period it is rated in.
    pub period: Period,
    /// Its category (education, elderly care, roads, ...): public scores are
    /// pulled toward the category's mean.
    pub category: CategoryId,
    /// Its milestones, in order.
    #[serde(default)]
    pub milestones: Vec<Milestone>,
}

/// A step of a project, planned and as delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// What the step is, in Chinese.
    pub name_zh: String,
    /// What the step is, in English.
    pub name_en: String,
    /// The planned date, `YYYY-MM-DD`.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub planned: String,
    /// The date it was done, once it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub actual: Option<String>,
    /// How far it has come, in percent (0 to 100).
    pub progress: Value,
}

fn name(field: &str, v: &str) -> Result<(), InvalidField> {
    if v.trim().is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if v.chars().count() > 200 {
        return Err(InvalidField::new(field, "is longer than 200 characters"));
    }
    Ok(())
}

fn date(field: &str, v: &str) -> Result<(), InvalidField> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v, &format)
        .map(|_| ())
        .map_err(|e| InvalidField::new(field, format!("{v:?} is not a date YYYY-MM-DD: {e}")))
}

impl Project {
    /// Checks what the types do not: names, place, budget and milestones.
    /// The error names the field, milestones by index
    /// (`milestones[2].planned`).
    pub fn validate(&self) -> Result<(), InvalidField> {
        name("name_zh", &self.name_zh)?;
        name("name_en", &self.name_en)?;
        name("place", &self.place)?;
        if self.budget.get() < 0.0 {
            return Err(InvalidField::new("budget", "must not be negative"));
        }
        for (i, m) in self.milestones.iter().enumerate() {
            let at = |f: &str| format!("milestones[{i}].{f}");
            name(&at("name_zh"), &m.name_zh)?;
            name(&at("name_en"), &m.name_en)?;
            date(&at("planned"), &m.planned)?;
            if let Some(a) = &m.actual {
                date(&at("actual"), a)?;
            }
            if !(0.0..=100.0).contains(&m.progress.get()) {
                return Err(InvalidField::new(at("progress"), "is not from 0 to 100"));
            }
        }
        Ok(())
    }
}

/// One resident's rating of a project, as the node keeps it: no code and
/// nothing about the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rating {
    /// The project rated.
    pub project: ProjectId,
    /// The period the code was issued for.
    pub period: Period,
    /// The level, 5 (非常满意, very satisfied) down to 1 (非常不满意).
    #[schema(minimum = 1, maximum = 5)]
    pub level: u8,
    /// The resident's comment, plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When it was given.
    pub at: Timestamp,
}

impl Rating {
    /// Checks the level and the comment (plain text of at most
    /// [`COMMENT_MAX`] characters, no control characters but line breaks).
    pub fn validate(&self) -> Result<(), InvalidField> {
        if !(1..=5).contains(&self.level) {
            return Err(InvalidField::new(
                "level",
                format!("{} is not a level from 1 to 5", self.level),
            ));
        }
        if let Some(c) = &self.comment {
            if c.chars().count() > COMMENT_MAX {
                return Err(InvalidField::new(
                    "comment",
                    format!("is longer than {COMMENT_MAX} characters"),
                ));
            }
            if c.chars()
                .any(|ch| ch.is_control() && ch != '\n' && ch != '\r')
            {
                return Err(InvalidField::new("comment", "holds a control character"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        serde_json::from_str(
            r#"{"id": "lib-2025", "name_zh": "图书馆改造", "name_en": "Library renovation",
                "unit": "culture", "place": "城厢镇", "budget": 1200000, "period": "2025",
                "category": "culture",
                "milestones": [{"name_zh": "开工", "name_en": "Start", "planned": "2025-03-01",
                                "actual": "2025-03-05", "progress": 100}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_project_is_checked_field_by_field() {
        assert_eq!(project().validate(), Ok(()));
        type Spoil = fn(&mut Project);
        let cases: [(Spoil, &str); 5] = [
            (|p| p.name_zh = " ".into(), "name_zh"),
            (|p| p.budget = Value::new(-1.0).unwrap(), "budget"),
            (
                |p| p.milestones[0].planned = "2025-02-30".into(),
                "milestones[0].planned",
            ),
            (
                |p| p.milestones[0].actual = Some("soon".into()),
                "milestones[0].actual",
            ),
            (
                |p| p.milestones[0].progress = Value::new(101.0).unwrap(),
                "milestones[0].progress",
            ),
        ];
        for (spoil, field) in cases {
            let mut p = project();
            spoil(&mut p);
            assert_eq!(p.validate().unwrap_err().field, field);
        }
        let unknown = r#"{"id": "x", "bogus": 1}"#;
        assert!(serde_json::from_str::<Project>(unknown).is_err());
    }

    #[test]
    fn a_rating_is_a_level_and_plain_text() {
        let ok = Rating {
            project: ProjectId::new("lib-2025").unwrap(),
            period: Period::parse("2025").unwrap(),
            level: 5,
            comment: Some("很好\n谢谢".into()),
            at: Timestamp::from_unix(0).unwrap(),
        };
        assert_eq!(ok.validate(), Ok(()));
        for (level, comment, field) in [
            (0, None, "level"),
            (6, None, "level"),
            (3, Some("a\u{0}b".to_string()), "comment"),
            (3, Some("长".repeat(COMMENT_MAX + 1)), "comment"),
        ] {
            let r = Rating {
                level,
                comment,
                ..ok.clone()
            };
            assert_eq!(r.validate().unwrap_err().field, field);
        }
    }
}
