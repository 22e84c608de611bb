//! The signed `hotline` summary (kind `hotline`,
//! [`HotlineSummary`]): a period's 12345 requests counted per harmonised
//! category (`[hotline.categories]`) and per H3 cell, the cells with fewer
//! than `[disclosure] k` requests withheld and only counted. It carries no
//! request-level data, so it can go to the alliance. A request's cell is
//! the parent of its resolution-15 cell, as on the heat map, so the two
//! agree; every member's latest
//! one for a period is read back by [`Node::hotline_delta`].

use crate::Node;
use crate::local::LocalError;
use deltabench_engine::hotline as engine;
use deltabench_model::documents::{HotlineCategory, HotlineCell, HotlineSummary};
use deltabench_model::hotline::{HotlineDelta, HotlineMember, Ticket};
use deltabench_model::{CategoryId, InvalidField, Period, Value};
use deltabench_trust::Document;
use std::collections::BTreeMap;

/// The H3 resolution of a summary's cells when none is asked for: cells
/// of about 0.7 km², fine enough to show a town's streets, coarse enough
/// that most hold k requests in a year.
pub const SUMMARY_RESOLUTION: u8 = 8;

/// A category's running counts while the requests are read.
#[derive(Default)]
struct Tally {
    requests: u32,
    closed: u32,
    resolved: u32,
    with_sla: u32,
    within_sla: u32,
    rated: u32,
    rating_sum: u64,
    flagged: u32,
}

impl Tally {
    fn add(&mut self, t: &Ticket, flagged: bool) {
        self.requests += 1;
        self.closed += u32::from(t.closed_at.is_some());
        self.resolved += u32::from(engine::is_resolved(t));
        self.with_sla += u32::from(t.sla_due.is_some());
        self.within_sla += u32::from(engine::closed_in_time(t));
        if let Some(s) = t.satisfaction {
            self.rated += 1;
            self.rating_sum += u64::from(s);
        }
        self.flagged += u32::from(flagged);
    }

    fn entry(self, category: CategoryId, k: u32) -> Result<HotlineCategory, LocalError> {
        let satisfaction = if self.rated >= k && self.rated > 0 {
            let mean = self.rating_sum as f64 / f64::from(self.rated);
            Some(Value::new(mean).map_err(LocalError::Invalid)?)
        } else {
            None
        };
        Ok(HotlineCategory {
            category,
            requests: self.requests,
            closed: self.closed,
            resolved: self.resolved,
            with_sla: self.with_sla,
            within_sla: self.within_sla,
            rated: self.rated,
            satisfaction,
            flagged: self.flagged,
        })
    }
}

impl Node {
    /// The harmonised category of a local request category: its entry in
    /// `[hotline.categories]`, else the category itself when it is a valid
    /// category id.
    fn harmonised(&self, local: &str) -> Result<CategoryId, LocalError> {
        if let Some(c) = self.policy().hotline_categories.get(local) {
            return Ok(c.clone());
        }
        CategoryId::new(local).map_err(|_| {
            LocalError::Invalid(InvalidField::new(
                "category",
                format!(
                    "the request category {local:?} is not a category id (letters, digits, '_' and '-'); map it onto the alliance's name in [hotline.categories]"
                ),
            ))
        })
    }

    /// The `hotline` summary of the requests accepted in `period`, cells
    /// at H3 `resolution`. Refused when the period has no requests.
    pub fn hotline_summary(
        &self,
        period: Period,
        resolution: u8,
    ) -> Result<HotlineSummary, LocalError> {
        let res = h3o::Resolution::try_from(resolution).map_err(|_| {
            LocalError::Invalid(InvalidField::new(
                "resolution",
                format!("{resolution} is not an H3 resolution (0 to 15)"),
            ))
        })?;
        let k = self.policy().disclosure_k.max(1);
        let now = self.now();
        let quick = self.policy().hotline_quick_close_secs;
        let too_many = || {
            LocalError::Invalid(InvalidField::new(
                "period",
                format!("{period} holds more than {} requests", u32::MAX),
            ))
        };
        let mut categories: BTreeMap<CategoryId, Tally> = BTreeMap::new();
        let mut cells: BTreeMap<h3o::CellIndex, u32> = BTreeMap::new();
        let mut requests: u32 = 0;
        let mut without_coordinates: u32 = 0;
        for (t, finest) in self.hotline_requests_of(period)? {
            requests = requests.checked_add(1).ok_or_else(too_many)?;
            let flagged = !engine::flags(&t, now, quick).is_empty();
            categories
                .entry(self.harmonised(&t.category)?)
                .or_default()
                .add(&t, flagged);
            match finest.and_then(|c| c.parent(res)) {
                Some(c) => *cells.entry(c).or_default() += 1,
                None => without_coordinates += 1,
            }
        }
        if requests == 0 {
            return Err(LocalError::Invalid(InvalidField::new(
                "period",
                format!("no hotline requests were accepted in {period}: nothing to publish"),
            )));
        }
        let (mut withheld_cells, mut withheld_requests) = (0, 0);
        let mut published = Vec::new();
        for (cell, count) in cells {
            if count >= k {
                published.push(HotlineCell {
                    cell: cell.to_string(),
                    count,
                });
            } else {
                withheld_cells += 1;
                withheld_requests += count;
            }
        }
        published.sort_by(|a, b| a.cell.cmp(&b.cell));
        let summary = HotlineSummary {
            period,
            k,
            resolution,
            requests,
            categories: categories
                .into_iter()
                .map(|(c, tally)| tally.entry(c, k))
                .collect::<Result<_, _>>()?,
            cells: published,
            withheld_cells,
            withheld_requests,
            without_coordinates,
        };
        deltabench_model::documents::Payload::validate(&summary).map_err(LocalError::Invalid)?;
        Ok(summary)
    }

    /// Signs, stores and publishes the `hotline` summary of `period`. When
    /// the node's latest one for the period says the same, it is returned
    /// as it is (`false`); a changed one replaces it.
    pub fn publish_hotline_summary(
        &self,
        period: Period,
        resolution: u8,
    ) -> Result<(Document, bool), LocalError> {
        let _guard = crate::lock(&self.local_lock);
        let fresh = self.hotline_summary(period, resolution)?;
        let own = self.identity().code.clone();
        let latest = self
            .held::<HotlineSummary>(Some(&own))?
            .into_iter()
            .rev()
            .find(|(_, s)| s.period == period);
        if let Some((meta, held)) = latest {
            if held == fresh {
                let bytes = self.store().document(&meta.hash)?.unwrap_or_default();
                let doc = Document::decode(&bytes, &self.policy().limits).map_err(|r| {
                    LocalError::Store(deltabench_store::StoreError::Corrupt(r.to_string()))
                })?;
                return Ok((doc, false));
            }
        }
        Ok((self.publish(&fresh)?, true))
    }

    /// Every issuer's latest `hotline` summary of `period` held by the
    /// node, its own included, by issuer.
    pub fn hotline_delta(&self, period: Period) -> Result<HotlineDelta, LocalError> {
        let mut latest: BTreeMap<_, HotlineMember> = BTreeMap::new();
        for (meta, summary) in self.held::<HotlineSummary>(None)? {
            if summary.period != period {
                continue;
            }
            if latest.get(&meta.issuer).is_some_and(|m| m.seq > meta.seq) {
                continue;
            }
            latest.insert(
                meta.issuer.clone(),
                HotlineMember {
                    issuer: meta.issuer,
                    hash: meta.hash,
                    seq: meta.seq,
                    issued_at: meta.issued_at,
                    summary,
                },
            );
        }
        Ok(HotlineDelta {
            period,
            members: latest.into_values().collect(),
        })
    }
}
