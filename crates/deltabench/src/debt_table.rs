//! Debt figures and the bond calendar from a table (CSV or a spreadsheet
//! sheet), for `deltabench import --kind debt`.
//!
//! The header names the columns, in any order: `jurisdiction` and `period`,
//! then `debt_balance`, `comprehensive_resources` and `debt_service_due` for
//! a reported period, or `issuance` and `repayment` (with, optionally,
//! `debt_service_due` and the expected `comprehensive_resources`) for a
//! period of the bond calendar. A row with `issuance` or `repayment` is of
//! the calendar; any other row is reported. Amounts are numbers; the node
//! checks the rest, and a field it refuses is named back as its row and
//! column.

use crate::projects::CellError;
use serde_json::{Map, Value};

/// Every column a debt table may have.
const COLUMNS: [&str; 7] = [
    "jurisdiction",
    "period",
    "debt_balance",
    "comprehensive_resources",
    "debt_service_due",
    "issuance",
    "repayment",
];

/// Where the rows went: the table row of each reported period and of each
/// planned one, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins {
    /// The row of `actuals[i]`.
    pub actuals: Vec<usize>,
    /// The row of `calendar[j]`.
    pub calendar: Vec<usize>,
}

/// The body of `POST /api/v1/debt` from a table, and where each entry came
/// from. Every bad cell is reported, in row order.
pub fn debt_from_rows(rows: &[Vec<String>]) -> Result<(Value, Origins), Vec<CellError>> {
    let bad = |row: usize, column: &str, reason: String| CellError {
        row,
        column: column.to_owned(),
        reason,
    };
    let Some((header, data)) = rows.split_first() else {
        return Err(vec![bad(1, "", "the file is empty".into())]);
    };
    let mut errors = Vec::new();
    let mut at = std::collections::HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if !COLUMNS.contains(&h) {
            errors.push(bad(
                1,
                h,
                format!("not a column of a debt table ({})", COLUMNS.join(", ")),
            ));
        } else if at.insert(h, i).is_some() {
            errors.push(bad(1, h, "appears twice".into()));
        }
    }
    for required in ["jurisdiction", "period"] {
        if !at.contains_key(required) {
            errors.push(bad(1, required, "the column is missing".into()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (mut actuals, mut calendar) = (Vec::new(), Vec::new());
    let mut origins = Origins::default();
    for (k, r) in data.iter().enumerate() {
        let row = k + 2;
        let cell = |c: &str| {
            at.get(c)
                .and_then(|&i| r.get(i))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        if COLUMNS.iter().all(|c| cell(c).is_none()) {
            continue; // a blank line carries nothing
        }
        let planned = cell("issuance").is_some() || cell("repayment").is_some();
        let (required, optional): (&[&str], &[&str]) = if planned {
            (
                &["issuance", "repayment"],
                &["debt_service_due", "comprehensive_resources"],
            )
        } else {
            (
                &[
                    "debt_balance",
                    "comprehensive_resources",
                    "debt_service_due",
                ],
                &[],
            )
        };
        let mut obj = Map::new();
        for c in ["jurisdiction", "period"] {
            match cell(c) {
                Some(v) => {
                    obj.insert(c.into(), Value::String(v.into()));
                }
                None => errors.push(bad(row, c, "is empty".into())),
            }
        }
        if planned && cell("debt_balance").is_some() {
            errors.push(bad(
                row,
                "debt_balance",
                "a row is a reported period (debt_balance) or a planned one (issuance, repayment), not both".into(),
            ));
        }
        for &c in required.iter().chain(optional) {
            match cell(c).map(|v| v.parse::<f64>()) {
                Some(Ok(x)) if x.is_finite() => {
                    obj.insert(c.into(), Value::from(x));
                }
                Some(_) => errors.push(bad(row, c, "is not a number".into())),
                None if required.contains(&c) => errors.push(bad(
                    row,
                    c,
                    format!(
                        "is empty; a {} period needs {}",
                        if planned { "planned" } else { "reported" },
                        required.join(", ")
                    ),
                )),
                None => {}
            }
        }
        if planned {
            origins.calendar.push(row);
            calendar.push(Value::Object(obj));
        } else {
            origins.actuals.push(row);
            actuals.push(Value::Object(obj));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if actuals.is_empty() && calendar.is_empty() {
        return Err(vec![bad(2, "", "the table has no data rows".into())]);
    }
    Ok((
        serde_json::json!({"actuals": actuals, "calendar": calendar}),
        origins,
    ))
}

/// The row and column of a field the node refused (`actuals[3].period`,
/// `calendar[0].issuance`).
pub fn place_of(field: &str, origins: &Origins) -> Option<(usize, String)> {
    let (list, rest) = if let Some(rest) = field.strip_prefix("actuals[") {
        (&origins.actuals, rest)
    } else {
        (&origins.calendar, field.strip_prefix("calendar[")?)
    };
    let (i, column) = rest.split_once("].")?;
    Some((*list.get(i.parse::<usize>().ok()?)?, column.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<Vec<String>> {
        csv.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn reported_and_planned_rows_go_to_their_lists() {
        let t = rows(
            "jurisdiction,period,debt_balance,comprehensive_resources,debt_service_due,issuance,repayment\n\
             320585,2024,420,330,25.2,,\n\
             ,,,,,,\n\
             320585,2025,460,340,27.6,,\n\
             320585,2026,,,30,80,20\n",
        );
        let (body, origins) = debt_from_rows(&t).unwrap();
        assert_eq!(body["actuals"].as_array().unwrap().len(), 2);
        assert_eq!(body["actuals"][1]["debt_balance"], 460.0);
        assert_eq!(body["calendar"][0]["issuance"], 80.0);
        assert_eq!(body["calendar"][0]["debt_service_due"], 30.0);
        assert!(body["calendar"][0].get("comprehensive_resources").is_none());
        assert_eq!(
            origins,
            Origins {
                actuals: vec![2, 4],
                calendar: vec![5]
            }
        );
        assert_eq!(
            place_of("actuals[1].period", &origins),
            Some((4, "period".into()))
        );
        assert_eq!(
            place_of("calendar[0].repayment", &origins),
            Some((5, "repayment".into()))
        );
        assert_eq!(place_of("calendar[1].repayment", &origins), None);
        assert_eq!(place_of("count", &origins), None);
    }

    #[test]
    fn every_bad_cell_is_named() {
        let t = rows(
            "jurisdiction,period,debt_balance,comprehensive_resources,debt_service_due,issuance,repayment\n\
             320585,2024,lots,330,,,\n\
             320585,2026,10,,,80,\n",
        );
        let errors = debt_from_rows(&t).unwrap_err();
        let named: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            named,
            [
                (2, "debt_balance"),
                (2, "debt_service_due"),
                (3, "debt_balance"),
                (3, "repayment")
            ]
        );
        assert!(errors[1].reason.contains("reported period needs"));
        let header = debt_from_rows(&rows("jurisdiction,year,debt_balance\n")).unwrap_err();
        assert_eq!(
            header.iter().map(|e| e.column.as_str()).collect::<Vec<_>>(),
            ["year", "period"]
        );
    }
}
