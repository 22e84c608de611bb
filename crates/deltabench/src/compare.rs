//! `deltabench crosswalk` and `deltabench compare`: clients of a running
//! node's crosswalk and comparison routes.

use crate::cli::{
    CompareArgs, CompareFormat, CrosswalkArgs, CrosswalkCommand, DecisionArg, NodeArgs,
};
use crate::import::{Client, read_answer};
use anyhow::{Context, Result, anyhow};
use deltabench_model::comparison::{Comparison, CrosswalkStatus};
use deltabench_model::documents::{Crosswalk, Decision};
use deltabench_model::{CrosswalkId, IndicatorRef, Period};
use deltabench_wire as wire;

fn client(n: &NodeArgs) -> Result<Client> {
    Client::new(&n.node, &n.token)
}

/// Runs a `deltabench crosswalk` subcommand.
pub fn crosswalk(a: CrosswalkArgs) -> Result<()> {
    match a.command {
        CrosswalkCommand::Propose(p) => {
            let c = client(&p.node)?;
            let path = if p.no_endorse {
                "/api/v1/crosswalks?endorse=false"
            } else {
                "/api/v1/crosswalks"
            };
            for file in &p.files {
                let body = std::fs::read(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let answer: wire::CrosswalkProposed = c
                    .post_as(path, "application/json", body.into(), 201)?
                    .map_err(|r| {
                        anyhow!(
                            "{}: the node refused the crosswalk ({}): {}",
                            file.display(),
                            r.status,
                            r.problem.detail
                        )
                    })?;
                if p.json {
                    println!("{}", serde_json::to_string(&answer)?);
                    continue;
                }
                let doc: Crosswalk = serde_json::from_str(answer.document.payload.get())
                    .context("the published document is not a crosswalk")?;
                println!(
                    "{} version {} proposed as {}",
                    doc.id, doc.version, answer.hash
                );
            }
        }
        CrosswalkCommand::Endorse(e) => {
            let c = client(&e.node)?;
            let (decision, word) = match e.decision {
                DecisionArg::Accept => (Decision::Accept, "accept"),
                DecisionArg::Reject => (Decision::Reject, "reject"),
            };
            for id in &e.ids {
                let id = CrosswalkId::new(id.as_str()).map_err(|e| anyhow!("--id: {e}"))?;
                let body = wire::EndorsementRequest {
                    decision,
                    comment: e.comment.clone(),
                    version: None,
                };
                let answer: wire::EndorsementPublished = c
                    .post_json(&format!("/api/v1/crosswalks/{id}/endorsements"), &body, 201)?
                    .map_err(|r| {
                        anyhow!(
                            "{id}: the node refused the endorsement ({}): {}",
                            r.status,
                            r.problem.detail
                        )
                    })?;
                if e.json {
                    println!("{}", serde_json::to_string(&answer)?);
                    continue;
                }
                println!(
                    "{id}: {word} signed as {}; the crosswalk is now {}",
                    answer.hash,
                    answer.crosswalk.status.as_str()
                );
            }
        }
        CrosswalkCommand::List(l) => {
            let c = client(&l.node)?;
            let path = match &l.status {
                Some(s) => {
                    let s = CrosswalkStatus::parse(s).map_err(|e| anyhow::anyhow!("--{e}"))?;
                    format!("/api/v1/crosswalks?status={}", s.as_str())
                }
                None => "/api/v1/crosswalks".into(),
            };
            let answer: wire::CrosswalkList = c.get_as(&path)?;
            if l.json {
                println!("{}", serde_json::to_string(&answer)?);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = answer
                .crosswalks
                .iter()
                .map(|r| {
                    let c = &r.crosswalk;
                    vec![
                        c.id.to_string(),
                        c.version.to_string(),
                        format!("{}/{}", c.source.framework, c.source.indicator),
                        c.target.to_string(),
                        word(&c.relation),
                        r.status.as_str().to_string(),
                        r.why.clone(),
                    ]
                })
                .collect();
            print_table(
                &[
                    "id", "version", "source", "target", "relation", "status", "why",
                ],
                &rows,
            );
        }
    }
    Ok(())
}

/// Runs `deltabench compare`.
pub fn compare(a: CompareArgs) -> Result<()> {
    let indicator = IndicatorRef::parse(&a.indicator).map_err(|e| anyhow::anyhow!("{e}"))?;
    let period = Period::parse(&a.period).map_err(|e| anyhow::anyhow!("{e}"))?;
    let chosen = if a.json {
        CompareFormat::Json
    } else {
        a.format
    };
    let format = match chosen {
        CompareFormat::Table | CompareFormat::Json => "json",
        CompareFormat::Csv => "csv",
        CompareFormat::SdmxCsv => "sdmx-csv",
    };
    let c = client(&a.node)?;
    let path = format!(
        "/api/v1/comparisons?indicator={indicator}&period={period}&format={format}&include_flagged={}",
        a.include_flagged
    );
    let (status, text) = c.get(&path)?;
    if chosen != CompareFormat::Table {
        // JSON, CSV or SDMX-CSV, printed as the node wrote it.
        if status != 200 {
            read_answer::<serde::de::IgnoredAny>(&path, status, &text, 200)??;
        }
        print!("{text}");
        return Ok(());
    }
    let cmp: Comparison = read_answer(&path, status, &text, 200)??;
    print!("{}", table(&cmp));
    Ok(())
}

/// A comparison as an aligned text table with its provenance below.
pub fn table(c: &Comparison) -> String {
    let mut out = format!(
        "{} ({}, {}), {}: reference version {}\n",
        c.indicator,
        c.unit,
        word(&c.direction).replace('_', " "),
        c.period,
        c.reference_version
    );
    let rows: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| {
            let cw = r.crosswalk.as_ref();
            vec![
                r.rank.map_or("-".into(), |v| v.to_string()),
                r.jurisdiction.to_string(),
                num(Some(r.value.get())),
                num(Some(r.source_value.get())),
                r.source_indicator.to_string(),
                num(r.z_score.map(|v| v.get())),
                num(r.minmax.map(|v| v.get())),
                num(r.change.map(|v| v.get())),
                cw.map_or("(reference)".into(), |c| {
                    format!(
                        "{} v{} {}{}",
                        c.id,
                        c.version,
                        word(&c.relation),
                        if c.recognised { ", recognised" } else { "" }
                    )
                }),
                r.flags
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                r.document.as_str()[..12].to_string(),
            ]
        })
        .collect();
    out.push_str(&render_table(
        &[
            "rank",
            "jurisdiction",
            "value",
            "source",
            "source indicator",
            "z",
            "min-max",
            "change",
            "crosswalk",
            "flags",
            "document",
        ],
        &rows,
    ));
    if let (Some(f), Some(m)) = (c.frontier, c.median) {
        out.push_str(&format!(
            "frontier {}, median {}\n",
            num(Some(f.get())),
            num(Some(m.get()))
        ));
    }
    for m in &c.missing {
        out.push_str(&format!("no row for {}: {}\n", m.jurisdiction, m.reason));
    }
    out.push_str(&format!(
        "manifest {} over {} input documents\n",
        c.manifest,
        c.inputs.len()
    ));
    out
}

fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A number with at most four decimals, trailing zeros dropped.
fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) => {
            let s = format!("{v:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.into() }
        }
    }
}

fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(w - cell.chars().count()));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn print_table(header: &[&str], rows: &[Vec<String>]) {
    print!("{}", render_table(header, rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_tables_align() {
        assert_eq!(num(Some(99.1)), "99.1");
        assert_eq!(num(Some(1.0)), "1");
        assert_eq!(num(Some(-0.00001)), "0");
        assert_eq!(num(Some(1.234_56)), "1.2346");
        assert_eq!(num(None), "-");
        let t = render_table(&["a", "bb"], &[vec!["ccc".into(), "d".into()]]);
        assert_eq!(t, "a    bb\nccc  d\n");
    }
}
