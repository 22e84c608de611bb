//! Client commands for a running node: `summary`, `bundle export|import`,
//! `peers` and `evidence`. Each prints a short human answer, or the node's
//! JSON with `--json`.

use crate::cli::{
    BundleArgs, BundleCommand, ForecastsArgs, HotlineArgs, PublicRatingsArgs, ShowArgs, SkillArgs,
    SummaryArgs, TwinArgs, WarningsArgs, WhatifArgs,
};
use crate::import::Client;
use anyhow::{Context, Result, bail};
use deltabench_wire as wire;
use serde::Serialize;
use serde_json::json;

/// A bundle import that the node answered, with some documents refused: the
/// command exits with [`Partial::EXIT_CODE`] rather than 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Partial(pub String);

impl Partial {
    /// The exit code of a partly refused import.
    pub const EXIT_CODE: u8 = 3;
}

fn print_json(v: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

/// POSTs a request to sign and publish a document (answered 201); a
/// refusal is an error saying the node refused `what`, with its reason.
fn publish<T: serde::de::DeserializeOwned>(
    c: &Client,
    path: &str,
    body: &impl Serialize,
    what: &str,
) -> Result<T> {
    post_or_refused(c, path, body, 201, what)
}

/// `body` posted to `path`, answered with `status`; a refusal names its
/// status, the field it points at, if any, and why.
fn post_or_refused<T: serde::de::DeserializeOwned>(
    c: &Client,
    path: &str,
    body: &impl Serialize,
    status: u16,
    what: &str,
) -> Result<T> {
    c.post_json(path, body, status)?.map_err(|r| {
        let at = match r.problem.field.as_deref() {
            Some(f) if !f.is_empty() => format!(" at {f}"),
            _ => String::new(),
        };
        anyhow::anyhow!(
            "the node refused {what} ({}){at}: {}",
            r.status,
            r.problem.detail
        )
    })
}

/// Whether a publication made a new document, in words.
fn created_words(created: bool) -> &'static str {
    if created {
        "signed and published"
    } else {
        "already published, unchanged"
    }
}

/// `deltabench summary`
pub fn summary(a: SummaryArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let body = wire::SummaryRequest {
        framework: a.framework.parse()?,
        version: Some(a.framework_version.clone()),
        period: deltabench_model::Period::parse(&a.period)?,
        reason: a.reason,
    };
    let path = if a.debt {
        "/api/v1/debt/summaries"
    } else {
        "/api/v1/summaries"
    };
    let v: wire::SummaryPublished = publish(&c, path, &body, "the summary")?;
    if a.json {
        return print_json(&v);
    }
    let created = created_words(v.created);
    println!(
        "summary of {} {} for {}: {created} as {}",
        body.framework, a.framework_version, body.period, v.hash
    );
    Ok(())
}

/// `deltabench public-ratings`
pub fn public_ratings(a: PublicRatingsArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let body = wire::PublicRatingsRequest {
        period: deltabench_model::Period::parse(&a.period)?,
    };
    let v: wire::PublicRatingsPublished = publish(
        &c,
        "/api/v1/public-ratings",
        &body,
        "to publish the public ratings",
    )?;
    if a.json {
        return print_json(&v);
    }
    let created = created_words(v.created);
    println!(
        "public ratings for {}: {created} as {}",
        body.period, v.hash
    );
    Ok(())
}

/// `deltabench whatif`: every unit's total, grade, pay coefficient and
/// rank before and after, the units whose grade changes marked.
pub fn whatif(a: WhatifArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let text = std::fs::read_to_string(&a.changes)
        .with_context(|| format!("cannot read {}", a.changes.display()))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let changes: deltabench_model::whatif::Changes = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| anyhow::anyhow!("{}: {}: {}", a.changes.display(), e.path(), e.inner()))?;
    let body = wire::WhatIfRequest {
        framework: a.framework.parse()?,
        version: a
            .framework_version
            .as_deref()
            .map(semver::Version::parse)
            .transpose()
            .context("--framework-version")?,
        period: deltabench_model::Period::parse(&a.period)?,
        changes,
        draws: a.draws,
        seed: 0,
        perturbation: deltabench_model::Value::new(0.5)?,
    };
    let v: wire::WhatIf = post_or_refused(&c, "/api/v1/whatif", &body, 200, "the what-if")?;
    if a.json {
        return print_json(&v);
    }
    println!(
        "what-if on {} {} for {}: {} of {} units change grade (rank intervals: {} draws)",
        v.framework,
        v.version,
        v.period,
        v.grades_changed,
        v.units.len(),
        v.draws
    );
    let show = |s: &Option<deltabench_model::whatif::Standing>| match s {
        Some(s) => format!(
            "{:>6.2} {:?} x{:<4} #{} [{}-{}]",
            s.total.get(),
            s.grade,
            s.pay_coefficient.get(),
            s.rank,
            s.rank_interval[0],
            s.rank_interval[1]
        ),
        None => "not appraised".into(),
    };
    for u in &v.units {
        println!(
            "{} {:<12} {:<24} {:<32} -> {}",
            if u.grade_changed { "*" } else { " " },
            u.category,
            u.unit,
            show(&u.before),
            show(&u.after)
        );
    }
    Ok(())
}

/// `deltabench debt-risk`: one line per jurisdiction and period, then the
/// changes of band and the thresholds' source.
pub fn debt_risk(a: ShowArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let v: wire::DebtRisk = c.get_as("/api/v1/debt-risk")?;
    if a.json {
        return print_json(&v);
    }
    for r in &v.rows {
        println!(
            "{} {:<8} debt ratio {:>7.1}%  debt service {:>5.1}%  {:<6}{}",
            r.jurisdiction,
            r.period.to_string(),
            r.debt_ratio,
            r.debt_service_ratio,
            format!("{:?}", r.band).to_lowercase(),
            if r.projected { "  projected" } else { "" }
        );
    }
    for x in &v.crossings {
        println!(
            "{} {} {:?} -> {:?}{}{}",
            if x.rising { "WARNING" } else { "change " },
            x.jurisdiction,
            x.from,
            x.to,
            format_args!(" in {}", x.period),
            if x.projected { " (projected)" } else { "" }
        );
    }
    println!(
        "bands: yellow from {}%, orange from {}%, red from {}% ({})",
        v.bands.yellow, v.bands.orange, v.bands.red, v.bands.source
    );
    Ok(())
}

/// The query of a framework and year, checked before anything is sent.
fn twin_query(a: &TwinArgs) -> Result<String> {
    let framework: deltabench_model::FrameworkId = a.framework.parse()?;
    let period = deltabench_model::Period::parse(&a.period)?;
    Ok(format!("?framework={framework}&period={period}"))
}

/// `deltabench forecasts`: one line per unit and indicator, or, with
/// `--commit`, the signed jurisdiction-level commitment.
pub fn forecasts(f: ForecastsArgs) -> Result<()> {
    if f.commit {
        return commit_forecasts(f);
    }
    let a = f.twin;
    let c = Client::new(&a.node.node, &a.node.token)?;
    let v: wire::ForecastList = c.get_as(&format!(
        "/api/v1/forecasts{}&level={}",
        twin_query(&a)?,
        f.level
    ))?;
    if a.json {
        return print_json(&v);
    }
    println!(
        "{} forecasts of {} {} for {} ({:.0}% intervals), {} series without",
        v.forecasts.len(),
        v.framework,
        v.version,
        v.period,
        v.level * 100.0,
        v.without.len()
    );
    let num = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{:.4}", x));
    for f in &v.forecasts {
        println!(
            "{:<24} {:<28} forecast {:>14.4} [{} – {}] target {} P(miss) {}  {}",
            f.unit,
            f.indicator,
            f.forecast,
            num(f.lower),
            num(f.upper),
            num(f.target),
            f.p_miss.map_or("–".to_string(), |p| format!("{p:.2}")),
            f.method
        );
    }
    for w in &v.without {
        println!(
            "{:<24} {:<28} no forecast: {}",
            w.unit, w.indicator, w.reason
        );
    }
    Ok(())
}

/// `deltabench forecasts --commit`
fn commit_forecasts(f: ForecastsArgs) -> Result<()> {
    let a = &f.twin;
    let c = Client::new(&a.node.node, &a.node.token)?;
    let body = wire::CommitmentRequest {
        framework: a.framework.parse()?,
        period: deltabench_model::Period::parse(&a.period)?,
        level: Some(f.level),
    };
    let v: wire::CommitmentPublished = publish(
        &c,
        "/api/v1/forecast-commitments",
        &body,
        "to commit to forecasts",
    )?;
    if a.json {
        return print_json(&v);
    }
    let created = created_words(v.created);
    println!(
        "forecasts of {} for {}: {created} as {}",
        body.framework, body.period, v.hash
    );
    for l in &v.left_out {
        println!("  left out {}: {}", l.indicator, l.reason);
    }
    Ok(())
}

/// `deltabench forecast-skill`: one line per commitment, then per indicator.
pub fn forecast_skill(a: SkillArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let period = deltabench_model::Period::parse(&a.period)?;
    let v: wire::ForecastSkill = c.get_as(&format!("/api/v1/forecast-skill?period={period}"))?;
    if a.json {
        return print_json(&v);
    }
    println!("{} forecast commitments for {period}", v.commitments.len());
    let num = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.4}"));
    for r in &v.commitments {
        println!(
            "{} {} as of {} (seq {}, {:.0}%): {:?}, coverage {}, mean relative interval score {}",
            r.issuer,
            r.framework,
            r.as_of,
            r.seq,
            r.level * 100.0,
            r.status,
            num(r.coverage),
            num(r.mean_relative_interval_score)
        );
        for i in &r.indicators {
            println!(
                "  {:<28} forecast {:>14.4} [{:.4} – {:.4}] actual {} {}",
                i.indicator,
                i.forecast,
                i.lower,
                i.upper,
                num(i.actual),
                match i.covered {
                    Some(true) => "held",
                    Some(false) => "missed",
                    None => "",
                }
            );
        }
    }
    Ok(())
}

/// `deltabench warnings`: the list, or one acknowledgement.
pub fn warnings(a: WarningsArgs) -> Result<()> {
    let t = &a.twin;
    let c = Client::new(&t.node.node, &t.node.token)?;
    if let Some(id) = &a.acknowledge {
        let body = wire::AcknowledgementRequest {
            action: a.action.clone().unwrap_or_default(),
            by: a.by.clone().unwrap_or_default(),
        };
        let path = format!(
            "/api/v1/warnings/{}/acknowledgement",
            id.replace('%', "%25")
                .replace('/', "%2F")
                .replace('?', "%3F")
                .replace('#', "%23")
        );
        let ack: wire::Acknowledgement = c.post_json(&path, &body, 201)?.map_err(|r| {
            anyhow::anyhow!(
                "the node refused the acknowledgement ({}): {}",
                r.status,
                r.problem.detail
            )
        })?;
        if t.json {
            return print_json(&ack);
        }
        println!(
            "{id} acknowledged by {} at {}: {}",
            ack.by, ack.at, ack.action
        );
        return Ok(());
    }
    let v: wire::WarningList = c.get_as(&format!("/api/v1/warnings{}", twin_query(t)?))?;
    if t.json {
        return print_json(&v);
    }
    println!(
        "{} warnings (a forecast warns when P(miss) > {})",
        v.warnings.len(),
        v.p_miss_threshold
    );
    for w in &v.warnings {
        let ack = match &w.acknowledged {
            Some(a) => format!("acknowledged by {}: {}", a.by, a.action),
            None => "not acknowledged".into(),
        };
        println!("{}\n  {}\n  {ack}", w.id, w.trigger);
    }
    Ok(())
}

/// `deltabench bundle export|import`
pub fn bundle(a: BundleArgs) -> Result<()> {
    match a.command {
        BundleCommand::Export(e) => {
            let c = Client::new(&e.node.node, &e.node.token)?;
            let count = export_pages(&c, &e.out, usize::from(e.page))?;
            if e.json {
                return print_json(
                    &json!({"file": e.out.display().to_string(), "documents": count}),
                );
            }
            println!("{count} signed documents written to {}", e.out.display());
        }
        BundleCommand::Import(i) => {
            let c = Client::new(&i.node.node, &i.node.token)?;
            let file = std::fs::File::open(&i.file)
                .with_context(|| format!("cannot read {}", i.file.display()))?;
            let mut total = BundleTotal::default();
            let mut sent = 0usize;
            let read = for_each_page(std::io::BufReader::new(file), usize::from(i.page), |page| {
                let mut body = b"{\"documents\":[".to_vec();
                for (n, doc) in page.iter().enumerate() {
                    if n > 0 {
                        body.push(b',');
                    }
                    body.extend_from_slice(doc.get().as_bytes());
                }
                body.extend_from_slice(b"]}");
                let answer: Result<wire::BundleReport, _> =
                    c.post_as("/api/v1/bundle", "application/json", body.into(), 200)?;
                let v = match answer {
                    Ok(v) => v,
                    Err(r) => bail!(
                        "the node refused the documents from {sent} on ({}): {}{}",
                        r.status,
                        r.problem.detail,
                        if sent > 0 {
                            " (the ones before are imported; importing the file again counts them as already held)"
                        } else {
                            ""
                        }
                    ),
                };
                total.add(v, sent);
                sent += page.len();
                Ok(())
            });
            read.with_context(|| format!("importing {}", i.file.display()))?;
            let v = total.0;
            let refused = v.rejected.len();
            if i.json {
                print_json(&v)?;
            } else {
                println!(
                    "{} accepted, {} already held, {} waiting for a predecessor, {refused} refused",
                    v.accepted, v.duplicates, v.pending
                );
                for r in &v.rejected {
                    println!("  document {}: {} ({})", r.index, r.reason, r.detail);
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

/// Writes the node's bundle to `out` page by page (`GET /api/v1/bundle` with
/// `limit` = `page_size` and `after`, following `next`), so that neither the node nor
/// this command holds the whole of it; the file appears whole or not at all.
/// Returns how many documents it holds.
fn export_pages(c: &Client, out: &std::path::Path, page_size: usize) -> Result<usize> {
    use std::io::Write;
    // A page of `wire::Bundle`, with each envelope kept as the bytes the
    // node sent (its signed bytes), never re-serialised.
    #[derive(serde::Deserialize)]
    struct PageIn {
        documents: Vec<Box<serde_json::value::RawValue>>,
        next: Option<String>,
    }
    let mut count = 0;
    crate::config::write_atomic_with(out, false, |f| {
        let mut w = std::io::BufWriter::new(f);
        w.write_all(b"{\"documents\":[")?;
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                None => format!("/api/v1/bundle?limit={page_size}"),
                Some(a) => format!("/api/v1/bundle?limit={page_size}&after={a}"),
            };
            let (status, text) = c.get(&path)?;
            let page: PageIn = crate::import::read_answer(&path, status, &text, 200)??;
            for doc in &page.documents {
                if count > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(doc.get().as_bytes())?;
                count += 1;
            }
            match page.next {
                // A cursor that does not move would never end.
                Some(next) if Some(&next) != after.as_ref() && !page.documents.is_empty() => {
                    after = Some(next)
                }
                Some(next) => bail!("the node's next page starts at {next} again"),
                None => break,
            }
        }
        w.write_all(b"]}")?;
        w.flush()?;
        Ok(())
    })?;
    Ok(count)
}

/// Reads a bundle `{"documents": [ENVELOPE, ...]}` from `reader` envelope by
/// envelope, handing them to `each` in pages of up to `size`: a file of any
/// size in bounded memory. Other members of the object are skipped. Returns
/// how many envelopes there were. An error of `each` stops the reading and
/// comes back as it was; a text that is not a bundle gives an error that
/// says where it went wrong.
pub fn for_each_page(
    reader: impl std::io::Read,
    size: usize,
    mut each: impl FnMut(&[Box<serde_json::value::RawValue>]) -> Result<()>,
) -> Result<usize> {
    use serde::de::{
        DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor,
    };
    use serde_json::value::RawValue;
    type Each<'f> = dyn FnMut(&[Box<RawValue>]) -> Result<()> + 'f;
    struct Bundle<'e, 'f> {
        each: &'e mut Each<'f>,
        size: usize,
    }
    impl<'de> Visitor<'de> for Bundle<'_, '_> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a bundle {\"documents\": [ENVELOPE, ...]}")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<usize>, A::Error> {
            let mut count = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "documents" && count.is_none() {
                    count = Some(map.next_value_seed(Documents {
                        each: &mut *self.each,
                        size: self.size,
                    })?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(count)
        }
    }
    struct Documents<'e, 'f> {
        each: &'e mut Each<'f>,
        size: usize,
    }
    impl<'de> DeserializeSeed<'de> for Documents<'_, '_> {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Documents<'_, '_> {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of envelopes")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut page = Vec::with_capacity(self.size);
            let mut count = 0;
            while let Some(doc) = seq.next_element::<Box<RawValue>>()? {
                page.push(doc);
                count += 1;
                if page.len() == self.size {
                    (self.each)(&page).map_err(|e| A::Error::custom(format!("{e:#}")))?;
                    page.clear();
                }
            }
            if !page.is_empty() {
                (self.each)(&page).map_err(|e| A::Error::custom(format!("{e:#}")))?;
            }
            Ok(count)
        }
    }
    // An error of `each` stops the reading and is returned as it is; the
    // reader's own errors say where the text is not a bundle.
    let mut failed = None;
    let mut guarded = |page: &[Box<RawValue>]| {
        each(page).inspect_err(|e| failed = Some(anyhow::anyhow!("{e:#}")))
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let read = de.deserialize_map(Bundle {
        each: &mut guarded,
        size: size.max(1),
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let count = read
        .map_err(|e| anyhow::anyhow!("not a bundle: {e}"))?
        .ok_or_else(|| anyhow::anyhow!("not a bundle: it has no \"documents\" member"))?;
    de.end()
        .map_err(|e| anyhow::anyhow!("not a bundle: text after it: {e}"))?;
    Ok(count)
}

/// The node's answers to the pages of one import, added up; refusals keep
/// their index in the whole file. A document held back in one page and
/// released by a later one counts in both `pending` and `accepted`.
#[derive(Default)]
struct BundleTotal(wire::BundleReport);

impl BundleTotal {
    fn add(&mut self, answer: wire::BundleReport, offset: usize) {
        self.0.accepted += answer.accepted;
        self.0.duplicates += answer.duplicates;
        self.0.pending += answer.pending;
        self.0
            .rejected
            .extend(answer.rejected.into_iter().map(|r| wire::BundleRejection {
                index: r.index + offset,
                ..r
            }));
    }
}

/// `deltabench peers`
pub fn peers(a: ShowArgs) -> Result<()> {
    let v: wire::PeerList = Client::new(&a.node.node, &a.node.token)?.get_as("/api/v1/peers")?;
    if a.json {
        return print_json(&v);
    }
    println!("{} connected peers", v.peers.len());
    for p in &v.peers {
        println!(
            "  {}  {}  {}  since {}",
            p.jurisdiction.as_ref().map_or("(unknown)", |j| j.as_str()),
            p.peer_id,
            p.addresses.first().map_or("", String::as_str),
            p.connected_at
        );
    }
    Ok(())
}

/// `deltabench evidence`
pub fn evidence(a: ShowArgs) -> Result<()> {
    let v: wire::Evidence = Client::new(&a.node.node, &a.node.token)?.get_as("/api/v1/evidence")?;
    if a.json {
        return print_json(&v);
    }
    if v.rejected_by_reason.is_empty() {
        println!("no documents refused");
    }
    for (reason, n) in &v.rejected_by_reason {
        println!("{n} refused: {reason}");
    }
    println!("{} equivocations kept as evidence", v.equivocations.len());
    Ok(())
}

/// `deltabench hotline`: one line per member's signed hotline summary of
/// the period, or, with `--publish`, the node's own signed.
pub fn hotline(a: HotlineArgs) -> Result<()> {
    let c = Client::new(&a.node.node, &a.node.token)?;
    let period = deltabench_model::Period::parse(&a.period)?;
    if a.publish {
        let body = wire::HotlineSummaryRequest {
            period,
            resolution: Some(a.resolution),
        };
        let v: wire::HotlineSummaryPublished = publish(
            &c,
            "/api/v1/hotline/summaries",
            &body,
            "to publish the hotline summary",
        )?;
        if a.json {
            return print_json(&v);
        }
        let s: deltabench_model::documents::HotlineSummary =
            serde_json::from_str(v.document.payload.get())?;
        println!(
            "hotline summary of {period}: {} as {}",
            created_words(v.created),
            v.hash
        );
        print_hotline(&s);
        return Ok(());
    }
    let v: deltabench_model::hotline::HotlineDelta =
        c.get_as(&format!("/api/v1/hotline/delta?period={period}"))?;
    if a.json {
        return print_json(&v);
    }
    println!("{} hotline summaries of {period}", v.members.len());
    for m in &v.members {
        println!("{} (seq {}, {})", m.issuer, m.seq, m.hash);
        print_hotline(&m.summary);
    }
    Ok(())
}

fn print_hotline(s: &deltabench_model::documents::HotlineSummary) {
    println!(
        "  {} requests; {} H3 cells at resolution {} of at least k = {}, {} cells of {} requests withheld, {} without coordinates",
        s.requests,
        s.cells.len(),
        s.resolution,
        s.k,
        s.withheld_cells,
        s.withheld_requests,
        s.without_coordinates
    );
    let pct = |n: u32, of: u32| {
        if of == 0 {
            "–".to_string()
        } else {
            format!("{:.1}%", 100.0 * f64::from(n) / f64::from(of))
        }
    };
    for c in &s.categories {
        println!(
            "  {:<20} {:>7} requests  办结率 {:>6}  解决率 {:>6}  within SLA {:>6}  satisfaction {}  flagged {}",
            c.category.as_str(),
            c.requests,
            pct(c.closed, c.requests),
            pct(c.resolved, c.requests),
            pct(c.within_sla, c.with_sla),
            c.satisfaction
                .map_or("–".to_string(), |x| format!("{:.2}", x.get())),
            c.flagged
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(text: &str, size: usize) -> Result<(usize, Vec<Vec<String>>)> {
        let mut seen = Vec::new();
        let count = for_each_page(text.as_bytes(), size, |page| {
            seen.push(page.iter().map(|d| d.get().to_string()).collect());
            Ok(())
        })?;
        Ok((count, seen))
    }

    #[test]
    fn a_bundle_is_read_in_pages_of_envelopes_as_written() {
        let text = r#"{"next":null,"documents":[{"a":1},{"b": [2, 3]},{"c":"]"},{"d":{}},{"e":5}],"x":[1]}"#;
        let (count, seen) = pages(text, 2).unwrap();
        assert_eq!(count, 5);
        assert_eq!(
            seen,
            vec![
                vec![r#"{"a":1}"#, r#"{"b": [2, 3]}"#],
                vec![r#"{"c":"]"}"#, r#"{"d":{}}"#],
                vec![r#"{"e":5}"#],
            ]
        );
        assert_eq!(pages(r#"{"documents":[]}"#, 2).unwrap(), (0, vec![]));
    }

    #[test]
    fn what_is_not_a_bundle_is_refused_with_where() {
        for (text, says) in [
            (r#"{"documents":[{"a":1},"#, "line 1"),
            (r#"{"documents":{}}"#, "an array of envelopes"),
            (r#"{"other":[]}"#, "no \"documents\" member"),
            (r#"[1,2]"#, "a bundle"),
            (r#"{"documents":[]} {}"#, "text after it"),
        ] {
            let e = format!("{:#}", pages(text, 2).unwrap_err());
            assert!(e.starts_with("not a bundle"), "{text}: {e}");
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn an_error_of_a_page_stops_the_reading_and_is_returned_as_it_was() {
        let mut calls = 0;
        let e = for_each_page(r#"{"documents":[1,2,3,4,5]}"#.as_bytes(), 2, |_| {
            calls += 1;
            if calls == 2 {
                bail!("the node refused page 2");
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(calls, 2);
        assert_eq!(format!("{e:#}"), "the node refused page 2");
    }
}
