//! The jurisdiction's own appraisal: frameworks, units, observations,
//! appraisals and summaries.

use crate::{Node, PublishError};
use deltabench_engine::ObservationSet;
use deltabench_engine::appraisal::appraise;
use deltabench_engine::changelog::diff;
use deltabench_engine::summary::build_summary;
use deltabench_model::documents::{
    Change, Direction, Framework, Indicator, Owner, ScoringRule, Summary, Supersedes,
};
use deltabench_model::local::{Appraisal, Observation, Unit};
use deltabench_model::whatif::{WhatIf, WhatIfRequest};
use deltabench_model::{DocHash, FrameworkId, IndicatorCode, InvalidField, Period, UnitId, Value};
use deltabench_store::StoreError;
use deltabench_store::local::ImportCounts;
use deltabench_trust::Document;
use serde::Serialize;
use std::collections::HashMap;

/// The most row errors one answer lists.
pub const ROW_ERRORS_MAX: usize = 100;

/// One cell as it arrived: a JSON number, text (CSV, or a JSON string), or
/// nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The column (or JSON field) was not sent at all. For `target` this
    /// keeps the stored target.
    Absent,
    /// Sent empty (or JSON `null`). For `target` this clears it.
    Missing,
    /// A number (JSON).
    Number(f64),
    /// Text, to be parsed.
    Text(String),
}

impl Cell {
    fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) if !t.trim().is_empty() => Some(t.trim()),
            _ => None,
        }
    }
}

/// One incoming observation row, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The row's position among the data rows, from 1.
    pub row: usize,
    /// The line in a CSV file (the header is line 1), when it came from one.
    pub line: Option<usize>,
    /// `unit`.
    pub unit: Cell,
    /// `indicator`.
    pub indicator: Cell,
    /// `period`.
    pub period: Cell,
    /// `value`.
    pub value: Cell,
    /// `target`, optional.
    pub target: Cell,
}

/// Why a row was refused: which row, which column, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The data row, from 1.
    pub row: usize,
    /// The CSV line, when the rows came from CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The column.
    pub column: &'static str,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        write!(f, ", column {}: {}", self.column, self.reason)
    }
}

/// Why a local operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The input is not valid.
    #[error("{0}")]
    Invalid(InvalidField),
    /// Rows of an import are not valid; nothing was stored.
    #[error("{} rows refused; first: {}", .0.len(), .0[0])]
    Rows(Vec<RowError>),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The operation conflicts with what is held.
    #[error("{0}")]
    Conflict(String),
    /// Publishing failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// Storage failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A service the operation depends on (a rating verifier's) cannot
    /// answer now; nothing was stored.
    #[error("{0}")]
    Unavailable(String),
}

/// A held framework version and the document that carries it.
#[derive(Debug, Clone)]
pub struct HeldFramework {
    /// The framework.
    pub framework: Framework,
    /// The hash of its document.
    pub hash: DocHash,
    /// Its issuer.
    pub issuer: deltabench_model::JurisdictionCode,
}

impl Node {
    /// Every framework version held (own and received), by id then version.
    pub fn frameworks(&self) -> Result<Vec<HeldFramework>, StoreError> {
        let mut out: Vec<HeldFramework> = self
            .held::<Framework>(None)?
            .into_iter()
            .map(|(meta, framework)| HeldFramework {
                framework,
                hash: meta.hash,
                issuer: meta.issuer,
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.framework.id, &a.framework.version).cmp(&(&b.framework.id, &b.framework.version))
        });
        Ok(out)
    }

    /// This node's own framework versions.
    pub fn own_frameworks(&self) -> Result<Vec<Framework>, StoreError> {
        Ok(self
            .frameworks()?
            .into_iter()
            .filter(|h| h.issuer == self.identity().code)
            .map(|h| h.framework)
            .collect())
    }

    /// Validates a framework version of this node's own, completes its
    /// changelog against the previous version, then signs and publishes it.
    /// Returns the document and the changelog it carries.
    pub fn publish_framework(
        &self,
        mut f: Framework,
    ) -> Result<(Document, Vec<Change>), LocalError> {
        use deltabench_model::documents::Payload;
        f.validate().map_err(LocalError::Invalid)?;
        match &f.owner {
            Owner::Jurisdiction(code) if code == &self.identity().code => {}
            Owner::Jurisdiction(code) => {
                return Err(LocalError::Invalid(InvalidField::new(
                    "owner",
                    format!("{code} is not this node ({})", self.identity().code),
                )));
            }
            Owner::Alliance(a) => {
                if self.membership().roster(a).is_none() {
                    return Err(LocalError::Invalid(InvalidField::new(
                        "owner",
                        format!("this node is not a member of alliance {a}"),
                    )));
                }
            }
        }
        let _guard = crate::lock(&self.local_lock);
        let versions: Vec<Framework> = self
            .frameworks()?
            .into_iter()
            .filter(|h| h.framework.id == f.id && h.framework.owner == f.owner)
            .map(|h| h.framework)
            .collect();
        if versions.iter().any(|v| v.version == f.version) {
            return Err(LocalError::Conflict(format!(
                "{} version {} is already published; publish a new version",
                f.id, f.version
            )));
        }
        let latest = versions.iter().max_by(|a, b| a.version.cmp(&b.version));
        let changes = match latest {
            Some(prev) => {
                if f.version < prev.version {
                    return Err(LocalError::Conflict(format!(
                        "version {} is older than the published {}",
                        f.version, prev.version
                    )));
                }
                match &f.previous {
                    Some(p) if p != &prev.version => {
                        return Err(LocalError::Invalid(InvalidField::new(
                            "previous",
                            format!(
                                "is {p}, but the latest published version is {}",
                                prev.version
                            ),
                        )));
                    }
                    _ => f.previous = Some(prev.version.clone()),
                }
                diff(prev, &f)
            }
            None => {
                if let Some(p) = &f.previous {
                    return Err(LocalError::Invalid(InvalidField::new(
                        "previous",
                        format!("names {p}, but no version of {} is published", f.id),
                    )));
                }
                Vec::new()
            }
        };
        f.changelog = changes.clone();
        let doc = self.publish(&f)?;
        Ok((doc, changes))
    }

    /// Stores units (replacing those with the same id), whole or not at all.
    /// Each unit's category must be a category of one of the node's own
    /// frameworks. Durable when it returns.
    pub fn put_units(&self, units: &[Unit]) -> Result<usize, LocalError> {
        let own = self.own_frameworks()?;
        let categories: std::collections::BTreeSet<_> = own
            .iter()
            .flat_map(|f| f.categories.iter().map(|c| &c.id))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, u) in units.iter().enumerate() {
            let at =
                |e: InvalidField| LocalError::Invalid(e.within(format!("[{i}]")).within("units"));
            u.validate().map_err(at)?;
            if !categories.contains(&u.category) {
                return Err(at(InvalidField::new(
                    "category",
                    format!("{} is not a category of this node's frameworks", u.category),
                )));
            }
            if !seen.insert(&u.id) {
                return Err(at(InvalidField::new(
                    "id",
                    format!("{} is listed twice", u.id),
                )));
            }
        }
        self.store().put_units(units)?;
        self.flush()?;
        Ok(units.len())
    }

    /// Validates every row, then stores them whole, with the audit trail of
    /// corrections under `by`. Durable when it returns. Refused rows are all
    /// reported (up to [`ROW_ERRORS_MAX`]) and nothing is stored.
    pub fn import_observations(
        &self,
        rows: &[RawRow],
        by: &str,
    ) -> Result<ImportCounts, LocalError> {
        if rows.is_empty() {
            return Err(LocalError::Invalid(InvalidField::new(
                "rows",
                "there are no data rows",
            )));
        }
        // Imports are serialised: the rows are checked against the stored
        // targets that the write will keep.
        let _guard = crate::lock(&self.local_lock);
        let units: HashMap<UnitId, Unit> = self
            .store()
            .units()?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let own = self.own_frameworks()?;
        let mut periods: Vec<Period> = rows
            .iter()
            .filter_map(|r| match &r.period {
                Cell::Text(t) => Period::parse(t.trim()).ok(),
                Cell::Number(n) => Period::parse(&n.to_string()).ok(),
                _ => None,
            })
            .collect();
        periods.sort();
        periods.dedup();
        let mut stored = StoredTargets::new();
        for p in &periods {
            for o in self.store().observations(Some(p), None, None)? {
                stored.insert((o.unit, o.indicator, o.period), o.target);
            }
        }
        let checked = check_rows(rows, &units, &own, &stored).map_err(LocalError::Rows)?;
        let counts = self.store().put_observations(&checked, by, self.now())?;
        self.flush()?;
        Ok(counts)
    }

    /// The own framework `id` at `version`, or the latest version covering
    /// `period`.
    pub fn own_framework(
        &self,
        id: &FrameworkId,
        version: Option<&semver::Version>,
        period: Option<&Period>,
    ) -> Result<Framework, LocalError> {
        let mut candidates: Vec<Framework> = self
            .own_frameworks()?
            .into_iter()
            .filter(|f| &f.id == id)
            .collect();
        if candidates.is_empty() {
            return Err(LocalError::NotFound(format!(
                "this node has no framework {id}"
            )));
        }
        if let Some(v) = version {
            return candidates
                .into_iter()
                .find(|f| &f.version == v)
                .ok_or_else(|| LocalError::NotFound(format!("{id} has no version {v}")));
        }
        if let Some(p) = period {
            candidates.retain(|f| f.periods.contains(p));
        }
        candidates
            .into_iter()
            .max_by(|a, b| a.version.cmp(&b.version))
            .ok_or_else(|| {
                LocalError::NotFound(format!(
                    "no version of {id} covers period {}",
                    period.map(Period::to_string).unwrap_or_default()
                ))
            })
    }

    /// Appraises the units for one framework version and period.
    pub fn appraisals(
        &self,
        id: &FrameworkId,
        version: Option<&semver::Version>,
        period: Period,
    ) -> Result<(Framework, Vec<Appraisal>), LocalError> {
        let _guard = crate::lock(&self.local_lock);
        let (f, _, a) = self.appraise_locked(id, version, period)?;
        Ok((f, a))
    }

    /// The appraisal of a framework version and period as it stands and
    /// under the request's changes, unit by unit, with ranks and their
    /// intervals (see `deltabench_engine::whatif`). Nothing held changes.
    pub fn what_if(&self, req: &WhatIfRequest) -> Result<WhatIf, LocalError> {
        req.validate().map_err(LocalError::Invalid)?;
        let (f, obs, before, units) = {
            let _guard = crate::lock(&self.local_lock);
            let (f, obs, before) =
                self.appraise_locked(&req.framework, req.version.as_ref(), req.period)?;
            (f, obs, before, self.store().units()?)
        };
        let params = deltabench_engine::whatif::params(req.draws, req.seed, req.perturbation);
        let rows = deltabench_engine::whatif::what_if(
            &f,
            &units,
            &obs,
            req.period,
            &before,
            &req.changes,
            &params,
        )
        .map_err(LocalError::Invalid)?;
        Ok(WhatIf {
            framework: f.id.clone(),
            version: f.version.clone(),
            period: req.period,
            grades_changed: rows.iter().filter(|r| r.grade_changed).count(),
            units: rows,
            draws: req.draws,
            seed: req.seed,
            perturbation: req.perturbation,
        })
    }

    /// The framework version, the period's observations and the units'
    /// appraisals, read once. Callers hold `local_lock`, so that no import
    /// lands between the reads.
    fn appraise_locked(
        &self,
        id: &FrameworkId,
        version: Option<&semver::Version>,
        period: Period,
    ) -> Result<(Framework, ObservationSet, Vec<Appraisal>), LocalError> {
        let f = self.own_framework(id, version, Some(&period))?;
        if !f.periods.contains(&period) {
            return Err(LocalError::Invalid(InvalidField::new(
                "period",
                format!("{period} is not a period of {} {}", f.id, f.version),
            )));
        }
        let obs = ObservationSet::new(self.store().observations(Some(&period), None, None)?);
        let units = self.store().units()?;
        let public = f.indicators.iter().any(|i| i.from_public_ratings());
        let hotline = f.indicators.iter().any(|i| i.from_hotline());
        if public || hotline {
            // Values of public_rating indicators come from the ratings, of
            // hotline indicators from the requests.
            let ratings = if public {
                self.public_unit_values(period)?
            } else {
                Default::default()
            };
            let values = if hotline {
                self.hotline_unit_values(&f, period)?
            } else {
                Default::default()
            };
            let (obs, a) = deltabench_engine::appraisal::appraise_with_sources(
                &f, &units, &obs, period, &ratings, &values,
            );
            return Ok((f, obs, a));
        }
        let a = appraise(&f, &units, &obs);
        Ok((f, obs, a))
    }

    /// Builds, signs, stores and publishes the summary of one framework
    /// version and period. A summary already published for the same framework
    /// and period (any version) is returned as it is when nothing changed; when
    /// the figures changed, the new one supersedes it and `reason` is required.
    pub fn publish_summary(
        &self,
        id: &FrameworkId,
        version: Option<&semver::Version>,
        period: Period,
        reason: Option<String>,
    ) -> Result<(Document, bool), LocalError> {
        // Under the import lock, so the figures come from one state of the data.
        let _guard = crate::lock(&self.local_lock);
        let (f, obs, appraisals) = self.appraise_locked(id, version, period)?;
        let fresh = build_summary(
            &f,
            period,
            &obs,
            &appraisals,
            self.policy().disclosure_k,
            None,
        );
        self.publish_fresh_summary(&f, period, fresh, reason)
    }

    /// Signs and publishes `fresh`, the summary of `f` for `period`, unless
    /// the node's latest summary of that framework and period says the same
    /// (returned as it is, `false`); one that differs supersedes it, and
    /// then `reason` is required. Callers hold `local_lock`.
    pub(crate) fn publish_fresh_summary(
        &self,
        f: &Framework,
        period: Period,
        fresh: Summary,
        reason: Option<String>,
    ) -> Result<(Document, bool), LocalError> {
        let supersedes = match self.latest_own_summary(&f.id, period)? {
            Some((hash, prev)) => {
                let same = Summary {
                    supersedes: None,
                    ..prev.clone()
                } == fresh;
                if same {
                    let bytes = self.store().document(&hash)?.unwrap_or_default();
                    let doc = Document::decode(&bytes, &self.policy().limits)
                        .map_err(|r| LocalError::Store(StoreError::Corrupt(r.to_string())))?;
                    return Ok((doc, false));
                }
                let reason = reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
                    LocalError::Invalid(InvalidField::new(
                        "reason",
                        format!(
                            "a different summary of {} for {period} is already published ({}, version {}); give a reason to supersede it",
                            f.id,
                            &hash.as_str()[..12],
                            prev.version
                        ),
                    ))
                })?;
                Some(Supersedes { hash, reason })
            }
            None => None,
        };
        let summary = Summary {
            supersedes,
            ..fresh
        };
        let doc = self.publish(&summary)?;
        Ok((doc, true))
    }

    /// The node's latest summary of framework `id` (any version) for `period`.
    fn latest_own_summary(
        &self,
        id: &FrameworkId,
        period: Period,
    ) -> Result<Option<(DocHash, Summary)>, StoreError> {
        Ok(self
            .held::<Summary>(Some(&self.identity().code))?
            .into_iter()
            .rev()
            .find(|(_, s)| &s.framework == id && s.period == period)
            .map(|(meta, s)| (meta.hash, s)))
    }
}

/// The stored target of each (unit, indicator, period), for rows that keep it.
pub type StoredTargets = HashMap<(UnitId, IndicatorCode, Period), Option<Value>>;

/// The largest magnitude an observed value or target may have: far beyond any
/// appraisal figure, and small enough that sums of millions of them stay finite.
pub const MAGNITUDE_MAX: f64 = 1e15;

/// For each indicator code, the own framework versions defining it, oldest first.
type Definitions<'a> = HashMap<&'a IndicatorCode, Vec<&'a Framework>>;

/// A refused cell: its column and why.
type CellError = (&'static str, String);

/// Checks import rows against the units, the node's own frameworks and the
/// stored targets (kept where a row does not send the target column). Every
/// refused row is reported, up to [`ROW_ERRORS_MAX`].
pub fn check_rows(
    rows: &[RawRow],
    units: &HashMap<UnitId, Unit>,
    frameworks: &[Framework],
    stored: &StoredTargets,
) -> Result<Vec<Observation>, Vec<RowError>> {
    let mut defs: Definitions<'_> = HashMap::new();
    for f in frameworks {
        for ind in &f.indicators {
            defs.entry(&ind.code).or_default().push(f);
        }
    }
    for list in defs.values_mut() {
        list.sort_by(|a, b| a.version.cmp(&b.version));
    }
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut first_row: HashMap<(UnitId, IndicatorCode, Period), usize> =
        HashMap::with_capacity(rows.len());
    for r in rows {
        if errors.len() >= ROW_ERRORS_MAX {
            break;
        }
        let refused = |(column, reason): CellError| RowError {
            row: r.row,
            line: r.line,
            column,
            reason,
        };
        match check_row(r, units, &defs, stored) {
            Err(e) => errors.push(refused(e)),
            Ok(o) => match first_row.entry((o.unit.clone(), o.indicator.clone(), o.period)) {
                std::collections::hash_map::Entry::Occupied(first) => errors.push(refused((
                    "unit",
                    format!(
                        "duplicates row {}: {}, {}, {} appear twice",
                        first.get(),
                        o.unit,
                        o.indicator,
                        o.period
                    ),
                ))),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(r.row);
                    out.push(o);
                }
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The text of a cell that must not be empty.
fn text(c: &Cell, column: &'static str) -> Result<String, CellError> {
    match c {
        Cell::Number(n) => Ok(n.to_string()),
        other => other
            .text()
            .map(str::to_owned)
            .ok_or_else(|| (column, "is empty".into())),
    }
}

/// The number in a cell, `None` when it is empty or absent.
fn number(c: &Cell, column: &'static str) -> Result<Option<Value>, CellError> {
    let v = match c {
        Cell::Missing | Cell::Absent => return Ok(None),
        Cell::Number(n) => Value::new(*n).map_err(|e| (column, e.reason))?,
        Cell::Text(t) if t.trim().is_empty() => return Ok(None),
        Cell::Text(t) => Value::parse(t).map_err(|e| (column, e.reason))?,
    };
    if v.get().abs() > MAGNITUDE_MAX {
        return Err((
            column,
            format!("{v} is larger in magnitude than {MAGNITUDE_MAX:e}"),
        ));
    }
    Ok(Some(v))
}

/// Checks one row: unit, indicator, a period of a framework defining the
/// indicator, the value within the indicator's range, the target.
fn check_row(
    r: &RawRow,
    units: &HashMap<UnitId, Unit>,
    defs: &Definitions<'_>,
    stored: &StoredTargets,
) -> Result<Observation, CellError> {
    let unit = UnitId::new(text(&r.unit, "unit")?).map_err(|e| ("unit", e.reason))?;
    if !units.contains_key(&unit) {
        return Err(("unit", format!("unknown unit {unit}")));
    }
    let indicator = IndicatorCode::new(text(&r.indicator, "indicator")?)
        .map_err(|e| ("indicator", e.reason))?;
    let versions = defs
        .get(&indicator)
        .ok_or_else(|| ("indicator", format!("unknown indicator {indicator}")))?;
    let period = Period::parse(&text(&r.period, "period")?).map_err(|e| ("period", e.reason))?;
    // A year, or a month, quarter or half within one (in-year tracking),
    // of the latest version covering it; a month or quarter of an earlier
    // year than any version covers is history for forecasts, checked
    // against the earliest version.
    let sub_year = !matches!(period, Period::Year(_));
    let first_year = versions
        .iter()
        .flat_map(|f| f.periods.iter().map(Period::year))
        .min();
    let framework = versions
        .iter()
        .rev()
        .find(|f| f.periods.iter().any(|p| p.contains(&period)))
        .or_else(|| {
            versions
                .first()
                .filter(|_| sub_year && first_year.is_some_and(|y| period.year() < y))
        })
        .ok_or_else(|| {
            let f = versions[versions.len() - 1];
            let periods: Vec<String> = f.periods.iter().map(Period::to_string).collect();
            (
                "period",
                format!(
                    "{period} is not a period of {} ({})",
                    f.id,
                    periods.join(", ")
                ),
            )
        })?;
    let value = number(&r.value, "value")?.ok_or_else(|| ("value", "is empty".to_string()))?;
    let target = match &r.target {
        Cell::Absent => stored
            .get(&(unit.clone(), indicator.clone(), period))
            .copied()
            .flatten(),
        sent => number(sent, "target")?,
    };
    let def = framework
        .indicator(&indicator)
        .ok_or_else(|| ("indicator", format!("unknown indicator {indicator}")))?;
    if def.from_public_ratings() {
        return Err((
            "indicator",
            format!(
                "{}/{indicator} takes its values from public ratings, not from observations",
                framework.id
            ),
        ));
    }
    if let Some(range) = def.range {
        if !range.contains(value) {
            return Err((
                "value",
                format!(
                    "{value} is outside the range {}..{} of {}/{}",
                    range.min, range.max, framework.id, indicator
                ),
            ));
        }
    }
    // A month's or quarter's value is tracked, not scored: its target,
    // if any, is checked only against the indicator's range.
    if !sub_year || target.is_some() {
        check_target(def, target).map_err(|why| ("target", why))?;
    }
    Ok(Observation {
        unit,
        indicator,
        period,
        value,
        target,
    })
}

/// Checks a row's target against its indicator: inside the valid range, and
/// usable by the scoring rule (present when the rule needs one and the
/// indicator has none; positive for a ratio; beyond the floor, in the
/// indicator's direction, for a linear scale).
fn check_target(ind: &Indicator, target: Option<Value>) -> Result<(), String> {
    if let (Some(t), Some(range)) = (target, ind.range) {
        if !range.contains(t) {
            return Err(format!(
                "{t} is outside the range {}..{} of {}",
                range.min, range.max, ind.code
            ));
        }
    }
    let Some(rule) = &ind.scoring else {
        return Ok(());
    };
    let Some(t) = target.or(ind.target).map(Value::get) else {
        return if rule.needs_target() {
            Err(format!(
                "is required: {} is scored against a target and has none of its own",
                ind.code
            ))
        } else {
            Ok(())
        };
    };
    let lower = ind.direction == Direction::LowerIsBetter;
    match rule {
        ScoringRule::RatioToTarget { .. } if t <= 0.0 => {
            Err(format!("{t}: a ratio to target needs a target above 0"))
        }
        ScoringRule::Linear { floor } => {
            let f = floor.get();
            if (lower && t < f) || (!lower && t > f) {
                Ok(())
            } else {
                Err(format!(
                    "{t} is not {} the floor {f} of {}'s linear scale",
                    if lower { "below" } else { "above" },
                    ind.code
                ))
            }
        }
        _ => Ok(()),
    }
}
