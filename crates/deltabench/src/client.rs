//! Client commands for a running node: `summary`, `bundle export|import`,
//! `peers` and `evidence`. Each prints a short human answer, or the node's
//! JSON with `--json`.

use crate::cli::{BundleArgs, BundleCommand, ShowArgs, SummaryArgs};
use crate::import::{Client, problem_detail};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// A bundle import that the node answered, with some documents refused: the
/// command exits with [`Partial::EXIT_CODE`] rather than 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Partial(pub String);

impl Partial {
    /// The exit code of a partly refused import.
    pub const EXIT_CODE: u8 = 3;
}

fn get(c: &Client, path: &str) -> Result<Value> {
    let (status, text) = c.get(path)?;
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status != 200 {
        bail!("the node answered {status}: {}", problem_detail(&v));
    }
    Ok(v)
}

fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

/// `deltabench summary`
pub fn summary(a: SummaryArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let mut body =
        json!({"framework": a.framework, "version": a.framework_version, "period": a.period});
    if let Some(r) = a.reason {
        body["reason"] = r.into();
    }
    let (status, v) = c.post(
        "/api/v1/summaries",
        "application/json",
        serde_json::to_vec(&body)?.into(),
    )?;
    if status != 201 {
        bail!(
            "the node refused the summary ({status}): {}",
            problem_detail(&v)
        );
    }
    if a.json {
        return print_json(&v);
    }
    let created = if v["created"] == false {
        "already published, unchanged"
    } else {
        "signed and published"
    };
    println!(
        "summary of {} {} for {}: {created} as {}",
        body["framework"].as_str().unwrap_or("?"),
        body["version"].as_str().unwrap_or("?"),
        body["period"].as_str().unwrap_or("?"),
        v["hash"].as_str().unwrap_or("?")
    );
    Ok(())
}

/// `deltabench bundle export|import`
pub fn bundle(a: BundleArgs) -> Result<()> {
    match a.command {
        BundleCommand::Export(e) => {
            let c = Client::new(&e.node.node, &e.node.token)?;
            let (status, text) = c.get("/api/v1/bundle")?;
            if status != 200 {
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                bail!("the node answered {status}: {}", problem_detail(&v));
            }
            let count = serde_json::from_str::<Value>(&text)
                .context("the node's bundle is not JSON")?["documents"]
                .as_array()
                .map_or(0, Vec::len);
            crate::config::write_atomic(&e.out, text.as_bytes(), false)?;
            if e.json {
                return print_json(
                    &json!({"file": e.out.display().to_string(), "documents": count}),
                );
            }
            println!("{count} signed documents written to {}", e.out.display());
        }
        BundleCommand::Import(i) => {
            let c = Client::new(&i.node.node, &i.node.token)?;
            let body = std::fs::read(&i.file)
                .with_context(|| format!("cannot read {}", i.file.display()))?;
            let (status, v) = c.post("/api/v1/bundle", "application/json", body.into())?;
            if status != 200 {
                bail!(
                    "the node refused the bundle ({status}): {}",
                    problem_detail(&v)
                );
            }
            let refused = v["rejected"].as_array().map_or(0, Vec::len);
            if i.json {
                print_json(&v)?;
            } else {
                println!(
                    "{} accepted, {} already held, {} waiting for a predecessor, {refused} refused",
                    v["accepted"], v["duplicates"], v["pending"]
                );
                for r in v["rejected"].as_array().into_iter().flatten() {
                    println!(
                        "  document {}: {} ({})",
                        r["index"],
                        r["reason"].as_str().unwrap_or("?"),
                        r["detail"].as_str().unwrap_or("")
                    );
                }
            }
            if refused > 0 {
                return Err(Partial(format!(
                    "{refused} documents of {} were refused",
                    i.file.display()
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// `deltabench peers`
pub fn peers(a: ShowArgs) -> Result<()> {
    let v = get(&Client::new(&a.node.node, &a.node.token)?, "/api/v1/peers")?;
    if a.json {
        return print_json(&v);
    }
    let list = v["peers"].as_array().cloned().unwrap_or_default();
    println!("{} connected peers", list.len());
    for p in &list {
        println!(
            "  {}  {}  {}  since {}",
            p["jurisdiction"].as_str().unwrap_or("(unknown)"),
            p["peer_id"].as_str().unwrap_or("?"),
            p["addresses"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .unwrap_or(""),
            p["connected_at"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

/// `deltabench evidence`
pub fn evidence(a: ShowArgs) -> Result<()> {
    let v = get(
        &Client::new(&a.node.node, &a.node.token)?,
        "/api/v1/evidence",
    )?;
    if a.json {
        return print_json(&v);
    }
    let by_reason = v["rejected_by_reason"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if by_reason.is_empty() {
        println!("no documents refused");
    }
    for (reason, n) in &by_reason {
        println!("{n} refused: {reason}");
    }
    let eq = v["equivocations"].as_array().map_or(0, Vec::len);
    println!("{eq} equivocations kept as evidence");
    Ok(())
}
