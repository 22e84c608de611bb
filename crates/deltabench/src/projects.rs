//! Livelihood projects from a table (CSV or a spreadsheet sheet), for
//! `deltabench import --kind projects`.
//!
//! The header names the columns, in any order:
//! `id,name_zh,name_en,unit,place,budget,period,category` for the project,
//! and optionally `milestone_zh,milestone_en,planned,actual,progress` for
//! one milestone. A project with several milestones takes several rows
//! with the same `id`: its first row gives the project's columns, later
//! rows may leave them empty or repeat them, but may not contradict them.
//! Each row's milestone is added in row order.

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

/// The project's columns, all required.
const PROJECT: [&str; 8] = [
    "id", "name_zh", "name_en", "unit", "place", "budget", "period", "category",
];
/// A milestone's columns; `actual` may be empty.
const MILESTONE: [&str; 5] = [
    "milestone_zh",
    "milestone_en",
    "planned",
    "actual",
    "progress",
];

/// A bad cell: its row (1 is the header) and column, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("row {row}, column {column}: {reason}")]
pub struct CellError {
    /// The row, counting the header as row 1.
    pub row: usize,
    /// The column's header.
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

/// Where a project came from in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The row of its first line.
    pub start: usize,
    /// The row of each of its milestones, in order.
    pub milestones: Vec<usize>,
}

/// The projects of a table, as the JSON `POST /api/v1/projects` takes, and
/// where each came from. Every bad cell is reported, in row order.
pub fn projects_from_rows(
    rows: &[Vec<String>],
) -> Result<(Vec<Value>, Vec<Origin>), Vec<CellError>> {
    let Some((header, data)) = rows.split_first() else {
        return Err(vec![CellError {
            row: 1,
            column: String::new(),
            reason: "the file is empty".into(),
        }]);
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<CellError> = PROJECT
        .iter()
        .filter(|c| col(c).is_none())
        .map(|c| CellError {
            row: 1,
            column: (*c).into(),
            reason: format!("the header lacks it; expected {}", PROJECT.join(",")),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let has_milestones = MILESTONE.iter().any(|c| col(c).is_some());
    let mut errors = Vec::new();
    let mut projects: Vec<Map<String, Value>> = Vec::new();
    let mut starts: Vec<Origin> = Vec::new();
    let mut index: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, r) in data.iter().enumerate() {
        let row = i + 2;
        if r.iter().all(|c| c.is_empty()) {
            continue;
        }
        let cell = |name: &str| {
            col(name)
                .and_then(|c| r.get(c))
                .map(String::as_str)
                .unwrap_or("")
        };
        let mut err = |column: &str, reason: String| {
            errors.push(CellError {
                row,
                column: column.into(),
                reason,
            })
        };
        let id = cell("id");
        if id.is_empty() {
            err("id", "is empty".into());
            continue;
        }
        let mut fields = Map::new();
        for c in PROJECT.iter().filter(|c| **c != "id") {
            let v = cell(c);
            if v.is_empty() {
                continue;
            }
            let v = if *c == "budget" {
                match number(v) {
                    Some(n) => n,
                    None => {
                        err(c, format!("{v:?} is not a number of yuan"));
                        continue;
                    }
                }
            } else {
                Value::String(v.to_owned())
            };
            fields.insert((*c).into(), v);
        }
        let at = match index.get(id) {
            Some(&at) => {
                for (k, v) in &fields {
                    if projects[at].get(k) != Some(v) {
                        err(
                            k,
                            format!(
                                "{v} differs from {} on row {} for the same project {id}",
                                projects[at][k], starts[at].start
                            ),
                        );
                    }
                }
                at
            }
            None => {
                for c in PROJECT.iter().filter(|c| **c != "id") {
                    if !fields.contains_key(*c) && cell(c).is_empty() {
                        err(c, "is empty on the project's first row".into());
                    }
                }
                let mut p = Map::new();
                p.insert("id".into(), Value::String(id.to_owned()));
                p.extend(fields);
                p.insert("milestones".into(), Value::Array(vec![]));
                projects.push(p);
                starts.push(Origin {
                    start: row,
                    milestones: vec![],
                });
                index.insert(id.to_owned(), projects.len() - 1);
                projects.len() - 1
            }
        };
        if has_milestones && MILESTONE.iter().any(|c| !cell(c).is_empty()) {
            let progress = cell("progress");
            let progress = match number(progress) {
                Some(n) => n,
                None => {
                    err("progress", format!("{progress:?} is not a percentage"));
                    continue;
                }
            };
            let mut m = json!({
                "name_zh": cell("milestone_zh"),
                "name_en": cell("milestone_en"),
                "planned": cell("planned"),
                "progress": progress,
            });
            if !cell("actual").is_empty() {
                m["actual"] = Value::String(cell("actual").to_owned());
            }
            if let Some(Value::Array(ms)) = projects[at].get_mut("milestones") {
                ms.push(m);
                starts[at].milestones.push(row);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if projects.is_empty() {
        return Err(vec![CellError {
            row: 2,
            column: String::new(),
            reason: "the file has no data rows".into(),
        }]);
    }
    Ok((projects.into_iter().map(Value::Object).collect(), starts))
}

/// A cell as a JSON number, if it is one.
fn number(v: &str) -> Option<Value> {
    let x: f64 = v.trim().parse().ok()?;
    if !x.is_finite() {
        return None;
    }
    serde_json::Number::from_f64(x).map(Value::Number)
}

/// Reads the node's `projects[I].FIELD` back as the row and column of the
/// table: `(row, column)`, the milestone's columns named as in the header.
pub fn place_of(field: &str, origins: &[Origin]) -> Option<(usize, String)> {
    let rest = field.strip_prefix("projects[")?;
    let (i, rest) = rest.split_once(']')?;
    let origin = origins.get(i.parse::<usize>().ok()?)?;
    let column = rest.trim_start_matches('.');
    if let Some(m) = column.strip_prefix("milestones[") {
        let (j, f) = m.split_once("].")?;
        let row = *origin.milestones.get(j.parse::<usize>().ok()?)?;
        let column = match f {
            "name_zh" => "milestone_zh",
            "name_en" => "milestone_en",
            other => other,
        };
        return Some((row, column.to_owned()));
    }
    Some((origin.start, column.to_owned()))
}

/// The error for a refused table of `what` (`projects`, `debt figures`):
/// every bad cell, one per line.
pub fn table_error(what: &str, errors: &[CellError]) -> Result<()> {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    bail!(
        "the {what} were not sent: {} bad cell(s)\n  {}",
        errors.len(),
        lines.join("\n  ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<Vec<String>> {
        csv.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    const HEAD: &str = "id,name_zh,name_en,unit,place,budget,period,category,milestone_zh,milestone_en,planned,actual,progress";

    #[test]
    fn rows_of_one_id_make_one_project_with_its_milestones() {
        let t = rows(&format!(
            "{HEAD}
lib,图书馆改造,Library,drc,城厢镇,1200000,2025,culture,开工,Start,2025-03-01,2025-03-05,100
lib,,,,,,,,竣工,Done,2025-11-30,,40

park,公园,Park,drc,沙溪镇,5e5,2025,ecology,,,,,"
        ));
        let (p, starts) = projects_from_rows(&t).unwrap();
        assert_eq!(
            starts,
            [
                Origin {
                    start: 2,
                    milestones: vec![2, 3]
                },
                Origin {
                    start: 5,
                    milestones: vec![]
                }
            ]
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[0]["budget"], json!(1200000.0));
        let ms = p[0]["milestones"].as_array().unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0]["actual"], "2025-03-05");
        assert!(ms[1].get("actual").is_none());
        assert_eq!(ms[1]["progress"], json!(40.0));
        assert_eq!(p[1]["milestones"], json!([]));
    }

    #[test]
    fn every_bad_cell_is_named_by_row_and_column() {
        let t = rows(&format!(
            "{HEAD}
lib,图书馆改造,Library,drc,城厢镇,lots,2025,culture,,,,,
lib,,,other,,,,,竣工,Done,2025-11-30,,most
,x,x,x,x,1,2025,c,,,,,
new,新,,drc,镇,1,2025,c,,,,,"
        ));
        let errors = projects_from_rows(&t).unwrap_err();
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            at,
            [
                (2, "budget"),
                (3, "unit"),
                (3, "progress"),
                (4, "id"),
                (5, "name_en")
            ]
        );
        let no_unit = rows("id,name_zh\nx,y");
        let errors = projects_from_rows(&no_unit).unwrap_err();
        assert_eq!(errors[0].column, "name_en");
        assert_eq!(errors[0].row, 1);
    }

    #[test]
    fn the_nodes_field_names_map_back_to_cells() {
        let o = |start, milestones: &[usize]| Origin {
            start,
            milestones: milestones.to_vec(),
        };
        let starts = [o(2, &[2, 3, 4]), o(5, &[]), o(9, &[9])];
        assert_eq!(
            place_of("projects[1].unit", &starts),
            Some((5, "unit".into()))
        );
        assert_eq!(
            place_of("projects[2].milestones[0].name_zh", &starts),
            Some((9, "milestone_zh".into()))
        );
        assert_eq!(
            place_of("projects[0].milestones[1].planned", &starts),
            Some((3, "planned".into()))
        );
        assert_eq!(place_of("projects[0].milestones[5].planned", &starts), None);
        assert_eq!(place_of("projects[7].unit", &starts), None);
        assert_eq!(place_of("count", &starts), None);
    }
}
