//! A comparison as CSV and as SDMX-CSV 2.0, with the same rows as the JSON.
//!
//! Plain CSV has one row per jurisdiction and the JSON row's fields as
//! columns (the crosswalk spread over `crosswalk`, `crosswalk_version`,
//! `relation`, `recognised`; flags joined by `;`).
//!
//! SDMX-CSV 2.0 (the SDMX 3.0 CSV data message) follows the structures that
//! [`crate::sdmx`] serves. Each row starts with `STRUCTURE` (`dataflow`),
//! `STRUCTURE_ID` (`DELTABENCH:DF_COMPARISON(1.0.0)`) and `ACTION` (`I`,
//! information), then the dimensions `REF_AREA` (the GB/T 2260 code),
//! `INDICATOR` (the code of `FRAMEWORK/CODE` in `CL_INDICATOR`, e.g.
//! `yrd$tax@ontime_filing_rate`, see [`crate::sdmx::indicator_code`]) and
//! `TIME_PERIOD` (SDMX period syntax: `2025`, `2025-S1`, `2025-Q3`,
//! `2025-07`), the measure `OBS_VALUE` and the attributes: `UNIT_MEASURE`,
//! then the same fields as the plain CSV in upper case. `FLAGS` may hold
//! several values, so the header declares the sub-field separator in the
//! first column (`STRUCTURE[;]`) and marks the column `FLAGS[]`; its cell
//! holds the flags joined by `;`. Empty cells are absent values.
//!
//! In both, numbers are rounded to 10 significant digits and written in the
//! shortest form that reads back as the rounded value (`100.00000000000001`
//! is written `100`): a comparison's values pass through crosswalk
//! transforms whose floating-point noise says nothing, and indicators
//! declare no precision of their own. The data structure states the same
//! (an annotation of type `ROUNDING`). The JSON answer carries every double
//! as computed.

use deltabench_model::Period;
use deltabench_model::comparison::{Comparison, ComparisonRow};

const COLUMNS: [&str; 18] = [
    "jurisdiction",
    "value",
    "source_value",
    "source_indicator",
    "source_version",
    "rank",
    "z_score",
    "minmax",
    "distance_to_frontier",
    "peer_median",
    "previous_value",
    "change",
    "crosswalk",
    "crosswalk_version",
    "relation",
    "recognised",
    "document",
    "flags",
];

/// `v` rounded to 10 significant digits, in the shortest decimal that reads
/// back as the rounded double.
pub fn round10(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let rounded: f64 = format!("{v:.9e}").parse().unwrap_or(v);
    rounded.to_string()
}

fn cells(r: &ComparisonRow) -> Vec<String> {
    let num = |v: Option<deltabench_model::Value>| v.map(|v| round10(v.get())).unwrap_or_default();
    let cw = r.crosswalk.as_ref();
    vec![
        r.jurisdiction.to_string(),
        round10(r.value.get()),
        round10(r.source_value.get()),
        r.source_indicator.to_string(),
        r.source_version.to_string(),
        r.rank.map(|v| v.to_string()).unwrap_or_default(),
        num(r.z_score),
        num(r.minmax),
        num(r.distance_to_frontier),
        num(r.peer_median),
        num(r.previous_value),
        num(r.change),
        cw.map(|c| c.id.to_string()).unwrap_or_default(),
        cw.map(|c| c.version.to_string()).unwrap_or_default(),
        cw.map(|c| {
            serde_json::to_value(c.relation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .unwrap_or_default(),
        cw.map(|c| c.recognised.to_string()).unwrap_or_default(),
        r.document.to_string(),
        r.flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(";"),
    ]
}

fn write(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail, and every record has the header's length.
    let _ = w.write_record(&header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The comparison's rows as CSV (RFC 4180, CRLF line ends).
pub fn comparison_csv(c: &Comparison) -> String {
    write(
        COLUMNS.iter().map(|s| s.to_string()).collect(),
        c.rows.iter().map(cells).collect(),
    )
}

/// The period in SDMX time-period syntax.
fn sdmx_period(p: Period) -> String {
    match p {
        Period::Half(y, n) => format!("{y}-S{n}"),
        other => other.to_string(),
    }
}

/// The SDMX-CSV header: the structure columns, then every component of
/// the data structure, multi-valued ones marked `[]`.
fn sdmx_header() -> Vec<String> {
    let mut header = vec![
        format!("STRUCTURE[{}]", crate::sdmx::SUB_SEPARATOR),
        "STRUCTURE_ID".to_string(),
        "ACTION".to_string(),
    ];
    let components = crate::sdmx::DIMENSIONS
        .iter()
        .chain([&crate::sdmx::MEASURE])
        .chain(crate::sdmx::ATTRIBUTES.iter());
    header.extend(components.map(|c| {
        if c.multi {
            format!("{}[]", c.id)
        } else {
            c.id.to_string()
        }
    }));
    header
}

/// The comparison's rows as SDMX-CSV 2.0.
pub fn comparison_sdmx_csv(c: &Comparison) -> String {
    let structure_id = crate::sdmx::dataflow_ref();
    let indicator = crate::sdmx::indicator_code(&c.indicator);
    let rows = c
        .rows
        .iter()
        .map(|r| {
            let all = cells(r);
            let mut row = vec![
                "dataflow".to_string(),
                structure_id.clone(),
                "I".to_string(),
                r.jurisdiction.to_string(),
                indicator.clone(),
                sdmx_period(c.period),
                round10(r.value.get()),
                c.unit.clone(),
            ];
            row.extend(all.into_iter().skip(2));
            row
        })
        .collect();
    write(sdmx_header(), rows)
}

#[cfg(test)]
mod tests {
    use super::{COLUMNS, round10, sdmx_header};

    /// The SDMX-CSV columns are the data structure's components, in the
    /// order the rows fill them.
    #[test]
    fn the_sdmx_header_follows_the_data_structure() {
        let header = sdmx_header();
        assert_eq!(
            header[..8],
            [
                "STRUCTURE[;]",
                "STRUCTURE_ID",
                "ACTION",
                "REF_AREA",
                "INDICATOR",
                "TIME_PERIOD",
                "OBS_VALUE",
                "UNIT_MEASURE"
            ]
        );
        let rest: Vec<String> = COLUMNS[2..]
            .iter()
            .map(|c| match c.to_uppercase() {
                f if f == "FLAGS" => "FLAGS[]".to_string(),
                f => f,
            })
            .collect();
        assert_eq!(header[8..], rest[..]);
    }

    #[test]
    fn numbers_are_written_to_ten_significant_digits() {
        for (v, text) in [
            (100.00000000000001, "100"),
            (0.1 + 0.2, "0.3"),
            (98.4, "98.4"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (-0.0, "0"),
            (1234567.891234, "1234567.891"),
            (0.000123456789012, "0.000123456789"),
            (1e21, "1000000000000000000000"),
            (12345678901234.0, "12345678900000"),
        ] {
            assert_eq!(round10(v), text, "{v:?}");
        }
        // Never more than 10 significant digits, and within half a unit of
        // the tenth.
        for i in 1..2000 {
            let v = (i as f64).sqrt() * 37.123456789123;
            let text = round10(v);
            let digits = text
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>();
            assert!(
                digits.trim_start_matches('0').trim_end_matches('0').len() <= 10,
                "{text}"
            );
            let back: f64 = text.parse().unwrap();
            assert!((back - v).abs() <= v.abs() * 5e-10, "{v} as {text}");
        }
    }
}
