//! `deltabench import`: send an office's files to its running node.
//!
//! Observations, units and livelihood projects come from CSV or from a
//! spreadsheet (xlsx, xls, ods; the first sheet unless `--sheet` names one)
//! whose first row is the header. A framework comes from a JSON file. The rows go to the node as one
//! request, so the import is whole or refused; a refusal lists the rows and
//! columns at fault.

use crate::cli::{ImportArgs, ImportKind};
use anyhow::{Context, Result, anyhow, bail};
use calamine::{Data, Reader, open_workbook_auto};
use deltabench_model::documents::Framework;
use deltabench_wire::{self as wire, Problem};
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// A connection to a running node's API.
pub struct Client {
    base: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Client {
    /// A client of the node at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str, token: &str) -> Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("--node {base:?} is not an http:// or https:// address");
        }
        let http = reqwest::blocking::Client::builder()
            // A large import is validated and flushed before the answer.
            .timeout(Duration::from_secs(600))
            .build()?;
        Ok(Self {
            base,
            token: token.to_owned(),
            http,
        })
    }

    /// Checks, before any upload, that the node answers and that the token
    /// may write: a node refuses a write before reading its body, so a refusal
    /// found only after sending megabytes can arrive as a reset connection.
    pub fn check_admin(&self) -> Result<()> {
        match self.get("/api/v1/observations/audit?limit=1")?.0 {
            200..=299 => Ok(()),
            401 => bail!("the node refused the token (401): it is not a token of this node"),
            403 => bail!(
                "the node refused the token (403): a viewer token may only read; imports need the admin token"
            ),
            s => bail!("the node answered {s} to a check of the token"),
        }
    }

    /// POSTs `body` to `path`; answers the status and the body as text.
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        body: reqwest::blocking::Body,
    ) -> Result<(u16, String)> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .with_context(|| format!("cannot reach the node at {}", self.base))?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().unwrap_or_default()))
    }

    /// POSTs `body` to `path` and reads the answer as `T` when its status is
    /// `ok`; any other status is the node's [`Refused`].
    pub fn post_as<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: reqwest::blocking::Body,
        ok: u16,
    ) -> Result<Result<T, Refused>> {
        let (status, text) = self.post(path, content_type, body)?;
        read_answer(path, status, &text, ok)
    }

    /// POSTs `body` as JSON, like [`Client::post_as`].
    pub fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
        ok: u16,
    ) -> Result<Result<T, Refused>> {
        self.post_as(
            path,
            "application/json",
            serde_json::to_vec(body)?.into(),
            ok,
        )
    }

    /// GETs `path` and reads the answer as `T`; any status but 200 is an
    /// error that says what the node answered.
    pub fn get_as<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let (status, text) = self.get(path)?;
        Ok(read_answer(path, status, &text, 200)??)
    }

    /// GETs `path` (with its query); answers the status and the body as text.
    pub fn get(&self, path: &str) -> Result<(u16, String)> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .with_context(|| format!("cannot reach the node at {}", self.base))?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().unwrap_or_default()))
    }
}

/// A request the node refused: its status and its problem+json answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the node answered {status}: {}", problem.detail)]
pub struct Refused {
    /// The HTTP status.
    pub status: u16,
    /// The problem (for an answer that was not problem+json, its text as
    /// the detail).
    pub problem: Problem,
}

/// Reads an answer of the node: `T` when its status is `ok`, else the
/// problem it carries. An `ok` answer that is not a `T` is an error that
/// names the route.
pub fn read_answer<T: DeserializeOwned>(
    path: &str,
    status: u16,
    text: &str,
    ok: u16,
) -> Result<Result<T, Refused>> {
    if status == ok {
        let value = serde_json::from_str(text).with_context(|| {
            format!("the node's answer to {path} is not what this version of deltabench reads")
        })?;
        return Ok(Ok(value));
    }
    let problem = serde_json::from_str(text).unwrap_or_else(|_| Problem {
        status,
        detail: text.to_owned(),
        ..Problem::default()
    });
    Ok(Err(Refused { status, problem }))
}

/// Reads a spreadsheet's sheet as rows of text cells.
fn sheet_rows(path: &Path, sheet: Option<&str>, bar: &ProgressBar) -> Result<Vec<Vec<String>>> {
    let mut book =
        open_workbook_auto(path).with_context(|| format!("cannot open {}", path.display()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "{} has no sheet {s:?} (it has {})",
                    path.display(),
                    names.join(", ")
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("{} has no sheets", path.display()))?,
    };
    let range = book
        .worksheet_range(&name)
        .with_context(|| format!("cannot read sheet {name:?} of {}", path.display()))?;
    bar.set_length(range.height() as u64);
    bar.set_message(format!("reading sheet {name}"));
    let mut rows = Vec::with_capacity(range.height());
    for row in range.rows() {
        rows.push(row.iter().map(cell_text).collect());
        bar.inc(1);
    }
    Ok(rows)
}

/// A spreadsheet cell as the text a CSV file would hold.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        // Shortest text that reads back as the same number: 2025.0 → "2025".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        // A date cell as the date it shows; with a time of day, in full.
        Data::DateTime(d) => match d.to_ymd_hms_milli() {
            (y, m, day, 0, 0, 0, 0) => format!("{y:04}-{m:02}-{day:02}"),
            (y, m, day, h, min, sec, _) => {
                format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{sec:02}")
            }
        },
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_owned(),
        other => other.to_string(),
    }
}

/// Reads a file's rows: CSV as it is, spreadsheets through calamine.
fn read_rows(path: &Path, sheet: Option<&str>, bar: &ProgressBar) -> Result<Vec<Vec<String>>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => sheet_rows(path, sheet, bar),
        "csv" | "txt" => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            bar.set_message("reading CSV");
            let mut rows = Vec::new();
            for (i, rec) in reader.records().enumerate() {
                let rec = rec.with_context(|| {
                    format!("{} line {} is not valid CSV", path.display(), i + 1)
                })?;
                rows.push(rec.iter().map(|c| c.trim().to_owned()).collect());
                bar.inc(1);
            }
            Ok(rows)
        }
        other => bail!(
            "{}: cannot read .{other} files; use CSV, xlsx, xls or ods",
            path.display()
        ),
    }
}

fn to_csv(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| anyhow!("{e}"))
}

fn units_json(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let Some((header, data)) = rows.split_first() else {
        bail!("the file is empty");
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for need in ["id", "name_zh", "name_en", "category"] {
        if !header.iter().any(|h| h == need) {
            bail!("the header lacks the column {need}; expected id,name_zh,name_en,category");
        }
    }
    let units: Vec<Value> = data
        .iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .map(|r| {
            let obj: serde_json::Map<String, Value> = header
                .iter()
                .zip(r)
                .map(|(h, c)| (h.clone(), Value::String(c.clone())))
                .collect();
            Value::Object(obj)
        })
        .collect();
    Ok(serde_json::to_vec(&units)?)
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// A reader that advances a progress bar as the body is sent.
struct Progress<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        if n == 0 {
            self.bar
                .set_message("the node is checking and storing the rows");
        }
        Ok(n)
    }
}

pub fn import(args: ImportArgs) -> Result<()> {
    let client = Client::new(&args.node, &args.token)?;
    client.check_admin()?;
    let quiet = args.json || !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    // Where each project (or debt row) came from, to name a refused one's row.
    let mut origins = Vec::new();
    let mut debt_origins: Option<crate::debt_table::Origins> = None;
    let tickets_path: String;
    let (path, content_type, body) = match args.kind {
        ImportKind::Framework => {
            let text = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            ("/api/v1/frameworks", "application/json", text)
        }
        ImportKind::Units if has_extension(&args.file, "json") => {
            let text = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            ("/api/v1/units", "application/json", text)
        }
        ImportKind::Units => {
            let rows = read_rows(&args.file, args.sheet.as_deref(), &bar)?;
            ("/api/v1/units", "application/json", units_json(&rows)?)
        }
        ImportKind::Projects if has_extension(&args.file, "json") => {
            let text = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            ("/api/v1/projects", "application/json", text)
        }
        ImportKind::Projects => {
            let rows = read_rows(&args.file, args.sheet.as_deref(), &bar)?;
            let (projects, found) = match crate::projects::projects_from_rows(&rows) {
                Ok(p) => p,
                Err(errors) => return crate::projects::table_error("projects", &errors),
            };
            origins = found;
            (
                "/api/v1/projects",
                "application/json",
                serde_json::to_vec(&projects)?,
            )
        }
        ImportKind::Debt if has_extension(&args.file, "json") => {
            let text = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            ("/api/v1/debt", "application/json", text)
        }
        ImportKind::Debt => {
            let rows = read_rows(&args.file, args.sheet.as_deref(), &bar)?;
            let (body, found) = match crate::debt_table::debt_from_rows(&rows) {
                Ok(b) => b,
                Err(errors) => return crate::projects::table_error("debt figures", &errors),
            };
            debt_origins = Some(found);
            (
                "/api/v1/debt",
                "application/json",
                serde_json::to_vec(&body)?,
            )
        }
        ImportKind::Tickets => {
            let mut rows = read_rows(&args.file, args.sheet.as_deref(), &bar)?;
            rows.retain(|r| r.iter().any(|c| !c.is_empty()));
            if rows.len() <= 1 {
                bail!("{} has no data rows", args.file.display());
            }
            tickets_path = match args.coordinates.as_deref() {
                Some(c) => format!(
                    "/api/v1/hotline/tickets?coordinates={}",
                    deltabench_model::hotline::CoordSystem::parse(c)?.as_str()
                ),
                None => "/api/v1/hotline/tickets".into(),
            };
            (tickets_path.as_str(), "text/csv", to_csv(&rows)?)
        }
        ImportKind::Observations => {
            let mut rows = read_rows(&args.file, args.sheet.as_deref(), &bar)?;
            // Blank lines in a sheet carry nothing; they are not rows.
            rows.retain(|r| r.iter().any(|c| !c.is_empty()));
            if rows.len() <= 1 {
                bail!("{} has no data rows", args.file.display());
            }
            ("/api/v1/observations", "text/csv", to_csv(&rows)?)
        }
    };
    bar.set_position(0);
    bar.set_length(body.len() as u64);
    bar.set_message("sending");
    let len = body.len() as u64;
    let reader = Progress {
        inner: std::io::Cursor::new(body),
        bar: bar.clone(),
    };
    let (status, text) = client.post(
        path,
        content_type,
        reqwest::blocking::Body::sized(reader, len),
    )?;
    bar.finish_and_clear();
    if args.json {
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        println!("{}", json!({"status": status, "answer": answer}));
    }
    let refused = match args.kind {
        ImportKind::Observations => {
            read_answer::<wire::ObservationsStored>(path, status, &text, 201)?.map(|a| {
                format!(
                    "stored {} observations: {} new, {} corrected, {} unchanged",
                    a.accepted, a.inserted, a.corrected, a.unchanged
                )
            })
        }
        ImportKind::Units => read_answer::<wire::UnitsStored>(path, status, &text, 201)?
            .map(|a| format!("stored {} units", a.accepted)),
        ImportKind::Tickets => {
            read_answer::<wire::TicketsStored>(path, status, &text, 201)?.map(|a| {
                let flagged: Vec<String> = a
                    .flagged
                    .iter()
                    .map(|(f, n)| format!("{n} {f:?}"))
                    .collect();
                format!(
                    "stored {} hotline requests: {} new, {} updated, {} unchanged; flagged: {}",
                    a.accepted,
                    a.inserted,
                    a.updated,
                    a.unchanged,
                    if flagged.is_empty() {
                        "none".into()
                    } else {
                        flagged.join(", ")
                    }
                )
            })
        }
        ImportKind::Debt => read_answer::<wire::DebtStored>(path, status, &text, 201)?
            .map(|a| {
                format!(
                    "stored {} reported periods and {} of the bond calendar",
                    a.actuals, a.calendar
                )
            })
            .map_err(|mut r| {
                // The node names `actuals[I].FIELD`; a table's office reads rows.
                let place = r
                    .problem
                    .field
                    .as_deref()
                    .zip(debt_origins.as_ref())
                    .and_then(|(f, o)| crate::debt_table::place_of(f, o));
                if let (Some((row, column)), Some(reason)) = (place, &r.problem.reason) {
                    r.problem.detail = format!("row {row}, column {column}: {reason}");
                }
                r
            }),
        ImportKind::Projects => {
            match read_answer::<wire::ProjectsStored>(path, status, &text, 201)? {
                Ok(a) => Ok(format!("stored {} projects", a.accepted)),
                Err(mut r) => {
                    // The node names `projects[I].FIELD`; the office reads rows.
                    let place = r
                        .problem
                        .field
                        .as_deref()
                        .and_then(|f| crate::projects::place_of(f, &origins));
                    if let (Some((row, column)), Some(reason)) = (place, &r.problem.reason) {
                        r.problem.detail = format!("row {row}, column {column}: {reason}");
                    }
                    Err(r)
                }
            }
        }
        ImportKind::Framework => {
            match read_answer::<wire::FrameworkPublished>(path, status, &text, 201)? {
                Ok(a) => {
                    let f: Framework = serde_json::from_str(a.document.payload.get())
                        .context("the published document is not a framework")?;
                    Ok(format!("published {} {} as {}", f.id, f.version, a.hash))
                }
                Err(r) => Err(r),
            }
        }
    };
    let refused = match refused {
        Ok(done) => {
            if !args.json {
                println!("{done}");
            }
            return Ok(());
        }
        Err(r) => r,
    };
    // A refusal: every bad row on stderr, then the one-line cause.
    if !args.json {
        for e in refused.problem.errors.iter().flatten().skip(1) {
            eprintln!("  row {}, column {}: {}", e.row, e.column, e.reason);
        }
    }
    bail!(
        "the node refused the import ({}): {}",
        refused.status,
        refused.problem.detail
    )
}
