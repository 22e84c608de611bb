//! Appraisal scoring, grading, aggregation and summaries: pure functions over
//! model types.
//!
//! - [`appraisal::score`] turns one value into a score by its indicator's rule;
//!   [`appraisal::appraise`] scores every unit of a framework's categories,
//!   weights the scores into totals (nested groups included) and grades them.
//! - [`aggregate::aggregate`] gives an indicator's jurisdiction-level value by
//!   its aggregation rule.
//! - [`summary::build_summary`] assembles the publishable summary with
//!   disclosure control: distributions only where at least k units contributed.
//! - [`changelog::diff`] lists what changed between two framework versions.
//! - [`transform`] applies and inverts crosswalk value transforms (unit
//!   table, linear, rescale, invert, piecewise).
//! - [`recognition::recognise`] reads from the endorsements held which
//!   crosswalks are mutually recognised, pending, rejected or superseded.
//! - [`compare::Catalogue`] indexes the documents held and answers
//!   harmonised comparisons and composites, with [`scores`] (ranks, z-scores,
//!   min-max, distance to frontier) and [`composite`] (normalisation,
//!   aggregation, Monte Carlo rank intervals).
//! - [`view::View`] answers what the catalogue answers, kept up to date one
//!   document at a time; [`answer`] writes its comparisons as JSON bytes and
//!   amends them when only endorsements were added to their inputs.
//! - [`public`] aggregates public ratings of livelihood projects: the
//!   Bayesian average toward the category mean, the Wilson interval of the
//!   satisfied share, and nothing below k ratings; a unit's value of a
//!   `public_rating` indicator ([`public::unit_values`]), which
//!   [`appraisal::appraise_with_ratings`] scores like an observation, and
//!   the publishable per-category document ([`public::rating_summary`]).
//! - [`forecast`] tracks a monthly indicator's year to date and forecasts
//!   its year-end (seasonal mean plus current-year offset) with
//!   split-conformal intervals calibrated on past years, the probability of
//!   missing the annual target, and a backtest of the intervals' coverage.
//! - [`hotline`] puts 12345 requests onto WGS84 and H3 cells, flags
//!   data-quality problems, and measures each department's response with a
//!   Kaplan–Meier time to close.
//! - [`commitment`] combines units' forecasts into a jurisdiction's signed
//!   forecast of each indicator and scores it against the year's summary
//!   (coverage and interval score).
//!
//! Nothing here does IO or reads the clock: the same inputs give the same
//! outputs on every node.
#![deny(missing_docs)]

pub mod aggregate;
pub mod answer;
pub mod appraisal;
pub mod changelog;
pub mod commitment;
pub mod compare;
pub mod composite;
pub mod debt;
pub mod forecast;
pub mod hotline;
pub mod public;
pub mod recognition;
pub mod scores;
pub mod stats;
pub mod summary;
pub mod transform;
pub mod view;
pub mod whatif;

use deltabench_model::local::Observation;
use deltabench_model::{DocHash, IndicatorCode, JurisdictionCode, Timestamp, UnitId};
use std::collections::BTreeMap;

/// A held signed document: where it comes from, and its payload. The node
/// verified it when it entered the store; the engine only reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Held<P> {
    /// The document's hash.
    pub hash: DocHash,
    /// Its issuer.
    pub issuer: JurisdictionCode,
    /// Its sequence number on the issuer's chain.
    pub seq: u64,
    /// The issue time it states.
    pub issued_at: Timestamp,
    /// Its payload.
    pub payload: P,
}

/// One period's observations, by indicator and then unit.
#[derive(Debug, Clone, Default)]
pub struct ObservationSet {
    by_indicator: BTreeMap<IndicatorCode, BTreeMap<UnitId, Observation>>,
}

impl ObservationSet {
    /// The set of the given observations (a later duplicate replaces an
    /// earlier one).
    pub fn new(observations: impl IntoIterator<Item = Observation>) -> Self {
        let mut set = Self::default();
        for o in observations {
            set.by_indicator
                .entry(o.indicator.clone())
                .or_default()
                .insert(o.unit.clone(), o);
        }
        set
    }

    /// The observation of `indicator` for `unit`.
    pub fn get(&self, unit: &UnitId, indicator: &IndicatorCode) -> Option<&Observation> {
        self.by_indicator.get(indicator)?.get(unit)
    }

    /// Every unit's observation of `indicator`, in unit order.
    pub fn of_indicator(
        &self,
        indicator: &IndicatorCode,
    ) -> impl Iterator<Item = (&UnitId, &Observation)> {
        self.by_indicator.get(indicator).into_iter().flatten()
    }

    /// Every observation, by indicator and then unit.
    pub fn iter(&self) -> impl Iterator<Item = &Observation> {
        self.by_indicator.values().flat_map(BTreeMap::values)
    }

    /// How many observations the set holds.
    pub fn len(&self) -> usize {
        self.by_indicator.values().map(BTreeMap::len).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.by_indicator.is_empty()
    }

    /// Replaces every unit's observation of `indicator` with `values` (for
    /// an indicator whose values come from elsewhere than imports).
    pub fn replace_indicator(
        &mut self,
        indicator: &IndicatorCode,
        values: impl IntoIterator<Item = Observation>,
    ) {
        let units: BTreeMap<UnitId, Observation> = values
            .into_iter()
            .filter(|o| &o.indicator == indicator)
            .map(|o| (o.unit.clone(), o))
            .collect();
        if units.is_empty() {
            self.by_indicator.remove(indicator);
        } else {
            self.by_indicator.insert(indicator.clone(), units);
        }
    }
}
