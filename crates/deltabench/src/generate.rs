//! `deltabench generate-federation`: writes a signed federation of Delta
//! jurisdictions (see `deltabench::delta`) for a coordinator to import, and
//! optionally configures that coordinator's node to accept it.

use crate::cli::GenerateFederationArgs;
use crate::config::{AllianceSection, Loaded};
use anyhow::{Context, Result};
use deltabench::delta::{self, ALLIANCE, Cities, Federation, Spec, Written};
use deltabench_model::Timestamp;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often progress is printed when stderr is not a terminal.
const PROGRESS_LINE_EVERY: Duration = Duration::from_secs(5);

/// The generator's outcome, for the command's output and for the demo.
pub struct Generated {
    /// The federation.
    pub federation: Federation,
    /// The files written.
    pub written: Written,
    /// How long signing took.
    pub signing: Duration,
}

/// Generates `spec` into `out`, showing progress on stderr unless `quiet`.
pub fn generate_into(spec: &Spec, out: &Path, quiet: bool) -> Result<Generated> {
    spec.check()?;
    let total = spec.document_count();
    let done = Arc::new(AtomicUsize::new(0));
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "signing [{bar:30}] {pos}/{len} documents ({per_sec}, {elapsed})",
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .progress_chars("=> "),
        );
        bar
    };
    // Without a terminal, a line every few seconds says how far it got,
    // until signing ends (the sender is dropped).
    let (finished, stop) = std::sync::mpsc::channel::<()>();
    let reporter = (!quiet && bar.is_hidden()).then(|| {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stop.recv_timeout(PROGRESS_LINE_EVERY)
            {
                eprintln!(
                    "signed {}/{total} documents ({:.0} s)",
                    done.load(Ordering::Relaxed),
                    start.elapsed().as_secs_f64()
                );
            }
        })
    });
    let start = Instant::now();
    let result = delta::generate(spec, &|n| {
        done.fetch_add(n, Ordering::Relaxed);
        bar.inc(n as u64);
    });
    drop(finished);
    if let Some(r) = reporter {
        let _ = r.join();
    }
    bar.finish_and_clear();
    let federation = result?;
    let signing = start.elapsed();
    let written = federation
        .write(out)
        .with_context(|| format!("cannot write the federation into {}", out.display()))?;
    Ok(Generated {
        federation,
        written,
        signing,
    })
}

/// Configures the node of `config` to accept a generated federation: the
/// anchor roster beside the config, named in `[[alliances]]`, and a bundle
/// limit that fits the bundle. The node must be restarted to apply it.
pub fn configure_coordinator(config: &Path, written: &Written) -> Result<()> {
    let mut loaded = Loaded::read(config)?;
    let file = Federation::anchor_file_name();
    std::fs::copy(&written.anchor, loaded.base.join(&file)).with_context(|| {
        format!(
            "cannot copy {} beside {}",
            written.anchor.display(),
            config.display()
        )
    })?;
    loaded.config.alliances.retain(|a| a.id != ALLIANCE);
    loaded.config.alliances.push(AllianceSection {
        id: ALLIANCE.into(),
        roster: file.into(),
    });
    // Room for the bundle as written, and for the same bundle re-indented.
    let need = usize::try_from(written.bundle_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(2);
    let api = &mut loaded.config.api;
    api.bundle_bytes_max = api.bundle_bytes_max.max(need);
    loaded.write()
}

/// Runs the command.
pub fn generate_federation(a: crate::cli::GenerateFederationArgs) -> Result<()> {
    let GenerateFederationArgs {
        out,
        cities: _,
        synthetic,
        indicators,
        periods,
        seed,
        issued_at,
        stream,
        join,
        json,
    } = a;
    let issued_at = issued_at
        .map(|t| Timestamp::parse(&t))
        .transpose()
        .context("--issued-at")?;
    let spec = Spec {
        cities: synthetic.map_or(Cities::Delta41, Cities::Synthetic),
        indicators,
        periods,
        seed,
        issued_at,
        stream,
        ..Spec::default()
    };
    let g = generate_into(&spec, &out, json)?;
    if let Some(config) = &join {
        configure_coordinator(config, &g.written)?;
    }
    let m = &g.federation.manifest;
    let secs = g.signing.as_secs_f64();
    let rate = m.documents.total as f64 / secs.max(1e-9);
    if json {
        println!(
            "{}",
            json!({
                "bundle": g.written.bundle, "bundle_bytes": g.written.bundle_bytes,
                "anchor": g.written.anchor, "manifest": g.written.manifest,
                "alliance": m.alliance, "jurisdictions": m.members.len(),
                "documents": m.documents, "seconds": secs, "documents_per_sec": rate,
                "configured": join,
            })
        );
        return Ok(());
    }
    let c = &m.documents;
    println!(
        "signed {} documents for {} jurisdictions in {secs:.1} s ({rate:.0} documents/s): \
         {} declarations, {} roster, {} frameworks, {} summaries, {} crosswalks, {} endorsements",
        c.total,
        m.members.len(),
        c.jurisdiction,
        c.roster,
        c.framework,
        c.summary,
        c.crosswalk,
        c.endorsement
    );
    println!(
        "  bundle:   {} ({:.1} MB)",
        g.written.bundle.display(),
        g.written.bundle_bytes as f64 / 1e6
    );
    println!(
        "  anchor:   {} (alliance {}, threshold {}, recognition quorum {})",
        g.written.anchor.display(),
        m.alliance,
        m.threshold,
        m.recognition_quorum
    );
    println!("  manifest: {}", g.written.manifest.display());
    match &join {
        Some(config) => println!(
            "configured {} to accept {}; restart that node, then: deltabench bundle import --node URL --token ADMIN {}",
            config.display(),
            m.alliance,
            g.written.bundle.display()
        ),
        None => println!(
            "a coordinator accepts it once its node.toml names the anchor ([[alliances]] id = \"{}\", roster = \"{}\"; or use --join NODE.toml); then: deltabench bundle import --node URL --token ADMIN {}",
            m.alliance,
            Federation::anchor_file_name(),
            g.written.bundle.display()
        ),
    }
    Ok(())
}
