//! Composite indices: several weighted reference indicators, normalised onto
//! a common scale, aggregated into one index per member and ranked, with Monte
//! Carlo rank intervals that show how much a rank owes to the exact weights.
//!
//! # The computation
//!
//! 1. **Weights** are normalised to sum to 1 (only their ratios matter).
//! 2. **Members.** Under [`MissingValues::Exclude`] a member lacking any
//!    indicator is left out first (and listed in
//!    [`CompositeResult::excluded`] with what it lacks); the others are
//!    normalised among themselves. Under [`MissingValues::Reweight`] each
//!    indicator is normalised over the members that have it, and a member's
//!    index uses only its own indicators, their weights scaled up to sum to 1;
//!    its `coverage` is the share of the weight it had. A member without any
//!    value is left out either way.
//! 3. **Normalisation**, per indicator, of the goodness values (higher is
//!    better, see [`scores`](crate::scores)): [`Normalisation::MinMax`] by
//!    [`minmax`], [`Normalisation::ZScore`] by [`z_scores`] and
//!    [`Normalisation::DistanceToFrontier`] by [`dtf_scores`] with the
//!    indicator's declared range width.
//! 4. **Aggregation**: [`CompositeAggregation::Arithmetic`] is the weighted
//!    mean `Σ wᵢ sᵢ`; [`CompositeAggregation::Geometric`] the weighted
//!    geometric mean `Π sᵢ^wᵢ`, computed as `exp(Σ wᵢ ln sᵢ)`. A geometric
//!    mean does not let a strength make up for a weakness: a score of 0 on any
//!    indicator gives an index of 0, so with min-max normalisation the worst
//!    member on any indicator gets 0. Z-scores are signed, so they cannot be
//!    aggregated geometrically ([`CompositeError::GeometricZScore`]).
//! 5. **Rank**: the [competition ranks](crate::scores::competition_ranks)
//!    of the index, higher being better.
//! 6. **Robustness**: in each of `draws` Monte Carlo draws every weight is
//!    multiplied by an independent uniform factor in `[1 − p, 1 + p)` (`p` the
//!    perturbation), the weights renormalised, and the indices and ranks
//!    recomputed from the same normalised scores. A member's `rank_interval`
//!    is the 5th and 95th percentile of its ranks over the draws, by the
//!    nearest-rank method: with the ranks sorted, `sorted[⌈0.05 n⌉ − 1]` and
//!    `sorted[⌈0.95 n⌉ − 1]`. Without draws it is `[rank, rank]`.
//!
//! Draw `d` takes its factors from a ChaCha8 generator seeded with the seed
//! and set to stream `d`, so every draw is determined by the seed and its own
//! number alone: the same inputs and seed give the same result on every node,
//! whatever order the draws are computed in.
//!
//! # A worked example
//!
//! Satisfaction (higher is better, weight 2) and processing days (lower is
//! better, weight 1) for three members, min-max scores, arithmetic mean:
//!
//! | member | satisfaction | days | sat score | days score  | index                    | rank |
//! |--------|--------------|------|-----------|-------------|--------------------------|------|
//! | 0      | 80           | 5    | 50        | 83.33       | ⅔·50 + ⅓·83.33 = 61.11   | 2    |
//! | 1      | 90           | 10   | 100       | 0           | ⅔·100 + ⅓·0 = 66.67      | 1    |
//! | 2      | 70           | 4    | 0         | 100         | ⅔·0 + ⅓·100 = 33.33      | 3    |
//!
//! The days' goodness is −5, −10, −4, so its min-max scores are
//! 100·5/6, 0 and 100. Geometric aggregation would give members 1 and 2 an
//! index of 0, each being the worst on one indicator.

use crate::scores::{Orientation, competition_ranks_into, dtf_scores, minmax, z_scores};
use deltabench_model::comparison::{CompositeAggregation, MissingValues, Normalisation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One indicator column of a composite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// Its weight, positive; weights are normalised to sum to 1.
    pub weight: f64,
    /// Which way the indicator is good.
    pub orientation: Orientation,
    /// The width (max − min) of the indicator's declared range of valid
    /// values, used by distance-to-frontier normalisation.
    pub range_width: Option<f64>,
}

/// How the composite is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// How each column is put on a common scale.
    pub normalisation: Normalisation,
    /// How a member's normalised scores combine.
    pub aggregation: CompositeAggregation,
    /// What happens to members that lack a value.
    pub missing: MissingValues,
    /// How many Monte Carlo draws give the rank intervals (0: none).
    pub draws: u32,
    /// The seed of the draws.
    pub seed: u64,
    /// How far a weight is perturbed in a draw, within `[0, 1)`: it is
    /// multiplied by a uniform factor in `[1 − p, 1 + p)`.
    pub perturbation: f64,
}

/// Why a composite cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompositeError {
    /// There are no columns.
    #[error("a composite needs at least one indicator")]
    NoColumns,
    /// A column's weight is not positive and finite, or is so much smaller
    /// than the largest weight (by a factor beyond 1e100) that it would vanish
    /// in the arithmetic.
    #[error(
        "the weight of indicator {column} must be positive, finite and within 1e100 of the largest"
    )]
    BadWeight {
        /// The column.
        column: usize,
    },
    /// The perturbation is not within `[0, 1)`.
    #[error("perturbation {perturbation} is not within [0, 1)")]
    BadPerturbation {
        /// The perturbation given.
        perturbation: f64,
    },
    /// A closest-to-target column's target is not finite.
    #[error("the target of indicator {column} is not finite")]
    BadTarget {
        /// The column.
        column: usize,
    },
    /// Geometric aggregation of z-scores.
    #[error(
        "geometric aggregation needs positive normalised scores; z-scores are signed: use min_max or distance_to_frontier"
    )]
    GeometricZScore,
    /// No member is left: nobody has every indicator (under exclude) or any
    /// indicator (under reweight).
    #[error("no member has the indicators the composite needs")]
    NoMembers,
    /// A row's length differs from the number of columns.
    #[error("member {member} has a row of a different length from the indicators")]
    Shape {
        /// The member.
        member: usize,
    },
    /// A value is not finite.
    #[error("member {member} has a non-finite value of indicator {column}")]
    NotFinite {
        /// The member.
        member: usize,
        /// The column.
        column: usize,
    },
    /// Normalising a column gave a non-finite score (values too far apart to
    /// be represented).
    #[error("the values of indicator {column} are too far apart to normalise")]
    Overflow {
        /// The column.
        column: usize,
    },
}

/// One member's result.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberResult {
    /// The member: its index in the input rows.
    pub member: usize,
    /// Its composite index.
    pub index: f64,
    /// Its rank, 1 best; equal indices share a rank.
    pub rank: u32,
    /// The 5th and 95th percentile of its rank over the Monte Carlo draws
    /// (`[rank, rank]` without draws).
    pub rank_interval: [u32; 2],
    /// The share of the (unperturbed, normalised) weight it had values for;
    /// 1 under exclude.
    pub coverage: f64,
    /// Its normalised score per column, `None` where it has no value.
    pub scores: Vec<Option<f64>>,
}

/// A composite.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeResult {
    /// The members' results, by rank and then member.
    pub rows: Vec<MemberResult>,
    /// The members left out, in member order, each with the columns it lacks.
    pub excluded: Vec<(usize, Vec<usize>)>,
}

/// Weights smaller than the largest by more than this factor are refused.
const MIN_WEIGHT_RATIO: f64 = 1e-100;

/// The composite of `values` (`values[member][column]`, raw values in each
/// indicator's unit, `None` where missing) over `columns`.
///
/// See the [module documentation](self) for the definitions.
pub fn composite(
    columns: &[Column],
    values: &[Vec<Option<f64>>],
    params: &Params,
) -> Result<CompositeResult, CompositeError> {
    let weights = validate(columns, values, params)?;
    let k = columns.len();

    // Who takes part.
    let mut members = Vec::new();
    let mut excluded = Vec::new();
    for (m, row) in values.iter().enumerate() {
        let lacks: Vec<usize> = (0..k).filter(|&c| row[c].is_none()).collect();
        let keep = match params.missing {
            MissingValues::Exclude => lacks.is_empty(),
            MissingValues::Reweight => lacks.len() < k,
        };
        if keep {
            members.push(m);
        } else {
            excluded.push((m, lacks));
        }
    }
    if members.is_empty() {
        return Err(CompositeError::NoMembers);
    }
    let n = members.len();

    // Normalised scores, member-major: scores[j * k + c] for the j-th member
    // taking part.
    let mut scores: Vec<Option<f64>> = vec![None; n * k];
    let mut who = Vec::with_capacity(n);
    let mut goodness = Vec::with_capacity(n);
    for (c, column) in columns.iter().enumerate() {
        who.clear();
        goodness.clear();
        for (j, &m) in members.iter().enumerate() {
            if let Some(v) = values[m][c] {
                who.push(j);
                goodness.push(column.orientation.goodness(v));
            }
        }
        let normalised = match params.normalisation {
            Normalisation::MinMax => minmax(&goodness),
            Normalisation::ZScore => z_scores(&goodness),
            Normalisation::DistanceToFrontier => dtf_scores(&goodness, column.range_width),
        };
        for (&j, s) in who.iter().zip(normalised) {
            if !s.is_finite() {
                return Err(CompositeError::Overflow { column: c });
            }
            scores[j * k + c] = Some(s);
        }
    }

    let matrix = Matrix::new(&scores, k, params.aggregation);
    let mut work = Work::new(n);

    // The index and rank under the unperturbed weights.
    matrix.evaluate(&weights, &mut work);
    let index = work.index.clone();
    let rank = work.ranks.clone();

    // The Monte Carlo draws.
    let draws = params.draws as usize;
    let mut tally = run_draws(&matrix, &weights, params, &mut work);

    let total: f64 = weights.iter().sum();
    let mut rows: Vec<MemberResult> = members
        .iter()
        .enumerate()
        .map(|(j, &m)| {
            let member_scores = scores[j * k..(j + 1) * k].to_vec();
            let had: f64 = member_scores
                .iter()
                .zip(&weights)
                .filter(|(s, _)| s.is_some())
                .map(|(_, w)| w)
                .sum();
            let coverage = match params.missing {
                MissingValues::Exclude => 1.0,
                MissingValues::Reweight => had / total,
            };
            let rank_interval = if draws == 0 {
                [rank[j], rank[j]]
            } else {
                tally.interval(j)
            };
            MemberResult {
                member: m,
                index: index[j],
                rank: rank[j],
                rank_interval,
                coverage,
                scores: member_scores,
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.rank, r.member));
    Ok(CompositeResult { rows, excluded })
}

/// Checks the inputs; gives the weights scaled so that the largest is 1.
fn validate(
    columns: &[Column],
    values: &[Vec<Option<f64>>],
    params: &Params,
) -> Result<Vec<f64>, CompositeError> {
    if columns.is_empty() {
        return Err(CompositeError::NoColumns);
    }
    let mut largest = 0.0f64;
    for (c, column) in columns.iter().enumerate() {
        let w = column.weight;
        if !(w.is_finite() && w > 0.0) {
            return Err(CompositeError::BadWeight { column: c });
        }
        largest = largest.max(w);
        if column.orientation.target.is_some_and(|t| !t.is_finite()) {
            return Err(CompositeError::BadTarget { column: c });
        }
    }
    let weights: Vec<f64> = columns.iter().map(|c| c.weight / largest).collect();
    if let Some(c) = weights.iter().position(|&w| w < MIN_WEIGHT_RATIO) {
        return Err(CompositeError::BadWeight { column: c });
    }
    let p = params.perturbation;
    if !(0.0..1.0).contains(&p) {
        return Err(CompositeError::BadPerturbation { perturbation: p });
    }
    if params.normalisation == Normalisation::ZScore
        && params.aggregation == CompositeAggregation::Geometric
    {
        return Err(CompositeError::GeometricZScore);
    }
    for (member, row) in values.iter().enumerate() {
        if row.len() != columns.len() {
            return Err(CompositeError::Shape { member });
        }
        if let Some(column) = row.iter().position(|v| v.is_some_and(|v| !v.is_finite())) {
            return Err(CompositeError::NotFinite { member, column });
        }
    }
    Ok(weights)
}

/// The normalised scores in the form the aggregation sums: for each column
/// and member, the score (arithmetic) or its logarithm (geometric), 0 where
/// the member has no value, and a mask of 1 where it has one. Stored column
/// by column, so that a column's weighted terms are added to every member's
/// sum in one sweep.
struct Matrix {
    members: usize,
    aggregation: CompositeAggregation,
    /// `terms[c * members + j]`: the score or its logarithm; 0 where missing.
    terms: Vec<f64>,
    /// `mask[c * members + j]`: 1 where the member has the column, else 0.
    mask: Vec<f64>,
    /// Whether every member has every column (the weights' sum then serves
    /// every member).
    complete: bool,
}

impl Matrix {
    /// The matrix of `scores`, given member by member (`scores[j * columns + c]`).
    fn new(scores: &[Option<f64>], columns: usize, aggregation: CompositeAggregation) -> Self {
        let term = |s: f64| match aggregation {
            CompositeAggregation::Arithmetic => s,
            // ln 0 = −∞, so the index of a member with a 0 score is exp(−∞) = 0.
            CompositeAggregation::Geometric => s.ln(),
        };
        let members = scores.len().checked_div(columns).unwrap_or(0);
        let by_column = |c: usize| (0..members).map(move |j| scores[j * columns + c]);
        Matrix {
            members,
            aggregation,
            terms: (0..columns)
                .flat_map(by_column)
                .map(|s| s.map_or(0.0, term))
                .collect(),
            mask: (0..columns)
                .flat_map(by_column)
                .map(|s| if s.is_some() { 1.0 } else { 0.0 })
                .collect(),
            complete: scores.iter().all(Option::is_some),
        }
    }

    /// Every member's index under `weights` (positive, not necessarily summing
    /// to 1: each member's are normalised over the columns it has) and their
    /// ranks, into `work`.
    fn evaluate(&self, weights: &[f64], work: &mut Work) {
        let n = self.members;
        let sums = &mut work.index;
        sums.fill(0.0);
        for (w, terms) in weights.iter().zip(self.terms.chunks_exact(n)) {
            for (sum, t) in sums.iter_mut().zip(terms) {
                *sum += w * t;
            }
        }
        let had = &mut work.weight;
        if self.complete {
            had.fill(weights.iter().sum());
        } else {
            had.fill(0.0);
            for (w, mask) in weights.iter().zip(self.mask.chunks_exact(n)) {
                for (h, m) in had.iter_mut().zip(mask) {
                    *h += w * m;
                }
            }
        }
        for (out, h) in sums.iter_mut().zip(had.iter()) {
            let mean = *out / h;
            *out = match self.aggregation {
                CompositeAggregation::Arithmetic => mean,
                CompositeAggregation::Geometric => mean.exp(),
            };
        }
        competition_ranks_into(&work.index, &mut work.order, &mut work.ranks);
    }
}

/// Buffers reused from draw to draw.
struct Work {
    /// Each member's index (its weighted sum while it is computed).
    index: Vec<f64>,
    /// The weight of the columns each member has.
    weight: Vec<f64>,
    ranks: Vec<u32>,
    order: Vec<u128>,
}

impl Work {
    fn new(members: usize) -> Self {
        Work {
            index: vec![0.0; members],
            weight: vec![0.0; members],
            ranks: vec![0; members],
            order: Vec::with_capacity(members),
        }
    }
}

/// Step 6: the ranks of every draw's perturbed weights, tallied.
fn run_draws(matrix: &Matrix, weights: &[f64], params: &Params, work: &mut Work) -> Tally {
    let mut tally = Tally::new(matrix.members, params.draws as usize);
    let mut perturbed = vec![0.0; weights.len()];
    for d in 0..params.draws {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(u64::from(d));
        for (p, w) in perturbed.iter_mut().zip(weights) {
            let u: f64 = rng.random();
            *p = w * (1.0 + params.perturbation * (2.0 * u - 1.0));
        }
        matrix.evaluate(&perturbed, work);
        tally.record(d as usize, &work.ranks);
    }
    tally
}

/// The ranks (1 best, equal totals sharing one) and rank intervals of
/// members whose scores are already on one scale and are combined by the
/// weighted arithmetic mean, as an appraisal's are: steps 5 and 6 above,
/// with `params`' draws, seed and perturbation (its normalisation,
/// aggregation and missing-value rule are not used). `scores[member][column]`
/// must all have `weights.len()` entries; the weights must be positive.
/// Each member's `[P5, P95]`, `[rank, rank]` without draws.
pub fn rank_intervals(
    scores: &[Vec<f64>],
    weights: &[f64],
    params: &Params,
) -> Result<Vec<(u32, [u32; 2])>, CompositeError> {
    let k = weights.len();
    if k == 0 {
        return Err(CompositeError::NoColumns);
    }
    if let Some(column) = weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(CompositeError::BadWeight { column });
    }
    if !(0.0..1.0).contains(&params.perturbation) {
        return Err(CompositeError::BadPerturbation {
            perturbation: params.perturbation,
        });
    }
    let mut flat = Vec::with_capacity(scores.len() * k);
    for (member, row) in scores.iter().enumerate() {
        if row.len() != k {
            return Err(CompositeError::Shape { member });
        }
        if let Some(column) = row.iter().position(|v| !v.is_finite()) {
            return Err(CompositeError::NotFinite { member, column });
        }
        flat.extend(row.iter().map(|&v| Some(v)));
    }
    if scores.is_empty() {
        return Ok(Vec::new());
    }
    let matrix = Matrix::new(&flat, k, CompositeAggregation::Arithmetic);
    let mut work = Work::new(scores.len());
    matrix.evaluate(weights, &mut work);
    let rank = work.ranks.clone();
    let mut tally = run_draws(&matrix, weights, params, &mut work);
    Ok(rank
        .iter()
        .enumerate()
        .map(|(j, &r)| {
            let interval = if params.draws == 0 {
                [r, r]
            } else {
                tally.interval(j)
            };
            (r, interval)
        })
        .collect())
}

/// The ranks each member took over the draws, kept in whichever form is
/// smaller: every rank (members × draws) or a histogram of ranks (members ×
/// members). Both give the same percentiles.
enum Tally {
    /// `ranks[j * draws + d]`.
    Draws { draws: usize, ranks: Vec<u32> },
    /// `counts[j * members + rank − 1]`.
    Histogram { members: usize, counts: Vec<u32> },
}

impl Tally {
    fn new(members: usize, draws: usize) -> Self {
        if draws < members {
            Tally::Draws {
                draws,
                ranks: vec![0; members * draws],
            }
        } else {
            Tally::Histogram {
                members,
                counts: vec![0; members * members],
            }
        }
    }

    /// Notes the ranks of draw `d`.
    fn record(&mut self, d: usize, ranks: &[u32]) {
        match self {
            Tally::Draws { draws, ranks: all } => {
                for (j, &r) in ranks.iter().enumerate() {
                    if let Some(slot) = all.get_mut(j * *draws + d) {
                        *slot = r;
                    }
                }
            }
            Tally::Histogram { members, counts } => {
                for (j, &r) in ranks.iter().enumerate() {
                    let at = (r as usize).saturating_sub(1);
                    if let Some(slot) = counts.get_mut(j * *members + at) {
                        *slot = slot.saturating_add(1);
                    }
                }
            }
        }
    }

    /// The 5th and 95th percentile of member `j`'s ranks by the nearest-rank
    /// method (at least one draw recorded).
    fn interval(&mut self, j: usize) -> [u32; 2] {
        match self {
            Tally::Draws { draws, ranks } => {
                let n = *draws;
                let Some(mine) = ranks.get_mut(j * n..(j + 1) * n) else {
                    return [0, 0];
                };
                mine.sort_unstable();
                let (lo, hi) = nearest_ranks(n);
                [mine[lo - 1], mine[hi - 1]]
            }
            Tally::Histogram { members, counts } => {
                let m = *members;
                let Some(mine) = counts.get(j * m..(j + 1) * m) else {
                    return [0, 0];
                };
                let n: usize = mine.iter().map(|&c| c as usize).sum();
                let (lo, hi) = nearest_ranks(n);
                [nth_rank(mine, lo), nth_rank(mine, hi)]
            }
        }
    }
}

/// The positions (1-based) of the 5th and 95th percentile among `n` sorted
/// values by the nearest-rank method, `⌈0.05 n⌉` and `⌈0.95 n⌉`, in exact
/// integer arithmetic; at least 1.
fn nearest_ranks(n: usize) -> (usize, usize) {
    let lo = n.div_ceil(20).max(1);
    let hi = n.saturating_mul(19).div_ceil(20).max(1);
    (lo, hi)
}

/// The `k`-th smallest (1-based) rank in a histogram of ranks.
fn nth_rank(counts: &[u32], k: usize) -> u32 {
    let mut seen = 0usize;
    for (i, &c) in counts.iter().enumerate() {
        seen += c as usize;
        if seen >= k {
            return u32::try_from(i + 1).unwrap_or(u32::MAX);
        }
    }
    u32::try_from(counts.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::documents::Direction;

    fn column(weight: f64, direction: Direction) -> Column {
        Column {
            weight,
            orientation: Orientation {
                direction,
                target: None,
            },
            range_width: None,
        }
    }

    fn params() -> Params {
        Params {
            normalisation: Normalisation::MinMax,
            aggregation: CompositeAggregation::Arithmetic,
            missing: MissingValues::Exclude,
            draws: 0,
            seed: 0,
            perturbation: 0.5,
        }
    }

    #[test]
    fn module_example() {
        let columns = [
            column(2.0, Direction::HigherIsBetter),
            column(1.0, Direction::LowerIsBetter),
        ];
        let values = vec![
            vec![Some(80.0), Some(5.0)],
            vec![Some(90.0), Some(10.0)],
            vec![Some(70.0), Some(4.0)],
        ];
        let r = composite(&columns, &values, &params()).unwrap();
        let got: Vec<(usize, u32)> = r.rows.iter().map(|r| (r.member, r.rank)).collect();
        assert_eq!(got, vec![(1, 1), (0, 2), (2, 3)]);
        assert!((r.rows[1].index - 550.0 / 9.0).abs() < 1e-9);
        assert!((r.rows[0].index - 200.0 / 3.0).abs() < 1e-9);
        assert!((r.rows[2].index - 100.0 / 3.0).abs() < 1e-9);
        let geometric = Params {
            aggregation: CompositeAggregation::Geometric,
            ..params()
        };
        let r = composite(&columns, &values, &geometric).unwrap();
        let got: Vec<(usize, f64)> = r.rows.iter().map(|r| (r.member, r.index)).collect();
        assert_eq!(got[1..], [(1, 0.0), (2, 0.0)]);
        assert_eq!(r.rows[1].rank, 2);
        assert_eq!(r.rows[2].rank, 2);
    }

    #[test]
    fn refuses_bad_input() {
        let ok = [column(1.0, Direction::HigherIsBetter)];
        let row = vec![vec![Some(1.0)]];
        let err = |columns: &[Column], values: &[Vec<Option<f64>>], p: Params| {
            composite(columns, values, &p).unwrap_err()
        };
        assert_eq!(err(&[], &row, params()), CompositeError::NoColumns);
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                err(&[column(w, Direction::HigherIsBetter)], &row, params()),
                CompositeError::BadWeight { column: 0 }
            );
        }
        assert_eq!(
            err(
                &[
                    column(1e200, Direction::HigherIsBetter),
                    column(1e-200, Direction::HigherIsBetter)
                ],
                &[vec![Some(1.0), Some(1.0)]],
                params()
            ),
            CompositeError::BadWeight { column: 1 }
        );
        for p in [-0.1, 1.0, f64::NAN] {
            assert!(matches!(
                err(
                    &ok,
                    &row,
                    Params {
                        perturbation: p,
                        ..params()
                    }
                ),
                CompositeError::BadPerturbation { .. }
            ));
        }
        assert_eq!(
            err(
                &ok,
                &row,
                Params {
                    normalisation: Normalisation::ZScore,
                    aggregation: CompositeAggregation::Geometric,
                    ..params()
                }
            ),
            CompositeError::GeometricZScore
        );
        assert_eq!(
            err(&ok, &[vec![Some(1.0)], vec![]], params()),
            CompositeError::Shape { member: 1 }
        );
        assert_eq!(
            err(&ok, &[vec![Some(f64::NAN)]], params()),
            CompositeError::NotFinite {
                member: 0,
                column: 0
            }
        );
        assert_eq!(err(&ok, &[vec![None]], params()), CompositeError::NoMembers);
        assert_eq!(err(&ok, &[], params()), CompositeError::NoMembers);
        let target = Column {
            orientation: Orientation {
                direction: Direction::ClosestToTarget,
                target: Some(f64::INFINITY),
            },
            ..ok[0]
        };
        assert_eq!(
            err(&[target], &row, params()),
            CompositeError::BadTarget { column: 0 }
        );
        assert_eq!(
            err(
                &ok,
                &[vec![Some(-f64::MAX)], vec![Some(f64::MAX)]],
                params()
            ),
            CompositeError::Overflow { column: 0 }
        );
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(nearest_ranks(1), (1, 1));
        assert_eq!(nearest_ranks(20), (1, 19));
        assert_eq!(nearest_ranks(21), (2, 20));
        assert_eq!(nearest_ranks(100), (5, 95));
        assert_eq!(nearest_ranks(1000), (50, 950));
        // Histogram of ranks 1 ×3, 2 ×0, 3 ×2: sorted 1 1 1 3 3.
        assert_eq!(nth_rank(&[3, 0, 2], 1), 1);
        assert_eq!(nth_rank(&[3, 0, 2], 3), 1);
        assert_eq!(nth_rank(&[3, 0, 2], 4), 3);
    }

    #[test]
    fn both_tallies_agree() {
        // Three members, 25 draws with pseudo-random ranks.
        let mut draws = Tally::Draws {
            draws: 25,
            ranks: vec![0; 75],
        };
        let mut histogram = Tally::Histogram {
            members: 3,
            counts: vec![0; 9],
        };
        let mut state = 7u32;
        for d in 0..25 {
            let mut ranks = [0u32; 3];
            for r in &mut ranks {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *r = 1 + (state >> 16) % 3;
            }
            draws.record(d, &ranks);
            histogram.record(d, &ranks);
        }
        for j in 0..3 {
            assert_eq!(draws.interval(j), histogram.interval(j));
        }
    }

    #[test]
    fn draws_are_deterministic_and_bounded() {
        let columns = [
            column(1.0, Direction::HigherIsBetter),
            column(1.0, Direction::LowerIsBetter),
            column(3.0, Direction::HigherIsBetter),
        ];
        let values: Vec<Vec<Option<f64>>> = (0..12)
            .map(|i| {
                let x = f64::from(i);
                vec![
                    Some((x * 7.0) % 11.0),
                    if i % 4 == 0 {
                        None
                    } else {
                        Some((x * 5.0) % 13.0)
                    },
                    Some((x * 3.0) % 7.0),
                ]
            })
            .collect();
        // Both tally forms: fewer draws than members, and more.
        for draws in [5, 200] {
            let p = Params {
                missing: MissingValues::Reweight,
                draws,
                seed: 42,
                ..params()
            };
            let a = composite(&columns, &values, &p).unwrap();
            assert_eq!(a, composite(&columns, &values, &p).unwrap());
            assert_eq!(a.rows.len(), 12);
            for r in &a.rows {
                assert!(1 <= r.rank_interval[0]);
                assert!(r.rank_interval[0] <= r.rank_interval[1]);
                assert!(r.rank_interval[1] <= 12);
            }
            let still = composite(
                &columns,
                &values,
                &Params {
                    perturbation: 0.0,
                    ..p
                },
            )
            .unwrap();
            for r in &still.rows {
                assert_eq!(r.rank_interval, [r.rank, r.rank]);
            }
        }
    }
}
