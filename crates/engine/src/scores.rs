//! Where each member stands on one reference indicator: ranks, standard
//! scores, min-max scores and the distance to the frontier.
//!
//! Every function here works on **goodness** values, in which higher is
//! always better, so that one definition serves every [`Direction`]. An
//! [`Orientation`] turns a raw value into its goodness:
//!
//! | direction           | goodness of `v`   | example (raw → goodness)             |
//! |---------------------|-------------------|--------------------------------------|
//! | `HigherIsBetter`    | `v`               | 98.7 % → 98.7                        |
//! | `LowerIsBetter`     | `−v`              | 2.1 days → −2.1                      |
//! | `ClosestToTarget`   | `−│v − target│`   | 57 with target 55 → −2               |
//!
//! The results are returned in the order of the input.
//!
//! # Definitions, on one worked example
//!
//! Take four members of a closest-to-target indicator with target 55 and
//! values 50, 57, 70, 55. Their goodness is `g` = −5, −2, −15, 0.
//!
//! - [`competition_ranks`]: 1 is the best; equal goodness shares a rank and
//!   the next rank skips the places taken ("1224" ranking). Here the order of
//!   goodness is 0 > −2 > −5 > −15, so the ranks are 3, 2, 4, 1. Goodness
//!   99.1, 98.7, 98.7, 96.0 would rank 1, 2, 2, 4.
//! - [`z_scores`]: `(g − mean) / sd`, where `sd` is the *population* standard
//!   deviation (divided by n: the members are the whole population compared,
//!   not a sample of it). Here mean = −22 / 4 = −5.5, the squared deviations
//!   are 0.25, 12.25, 90.25, 30.25, summing to 133, so sd = √(133 / 4) =
//!   √33.25 ≈ 5.7663 and the z-scores are ≈ 0.0867, 0.6070, −1.6475, 0.9538.
//!   Positive means better than the mean. When every value is equal (or there
//!   is only one) all z-scores are 0.
//! - [`minmax`]: `100 (g − min) / (max − min)`, the worst at 0 and the best at
//!   100. Here min = −15, max = 0: 100·10/15 ≈ 66.67, 100·13/15 ≈ 86.67, 0,
//!   100. When every value is equal everyone is at the frontier: all 100.
//! - [`frontier_distances`]: `max(g) − g`, how far each member is behind the
//!   best, in the indicator's own unit: 5, 2, 15, 0.
//! - [`dtf_scores`]: the distance-to-frontier score `100 (1 − d / W)`, with
//!   `d` the frontier distance and `W` the width of the indicator's declared
//!   range of valid values (its max − min) when it has one, else the observed
//!   spread max(g) − min(g). With a declared range 0–100 (W = 100): 95, 98,
//!   85, 100. Without one, W = 15 and the scores equal the min-max scores. A
//!   member further behind than the declared width is clamped at 0.
//! - [`median`]: the ordinary median of the raw values, the mean of the two
//!   middle ones for an even count: 50, 55, 57, 70 → (55 + 57) / 2 = 56.
//!
//! The functions expect finite values (the model's values are); they never
//! panic, but a non-finite input gives unspecified, possibly non-finite,
//! results.

use deltabench_model::documents::Direction;

/// Which way a reference indicator is good, with its target when it has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orientation {
    /// Which way the indicator is good.
    pub direction: Direction,
    /// The target of a closest-to-target indicator.
    pub target: Option<f64>,
}

impl Orientation {
    /// The goodness of raw value `v`: higher is always better.
    ///
    /// `HigherIsBetter` gives `v`, `LowerIsBetter` gives `−v`, and
    /// `ClosestToTarget` gives `−|v − target|`, which is 0 at the target and
    /// falls away on both sides. A closest-to-target indicator always has a
    /// target once its framework is validated; should one lack it here, the
    /// target is taken as 0.
    pub fn goodness(&self, v: f64) -> f64 {
        match self.direction {
            Direction::HigherIsBetter => v,
            Direction::LowerIsBetter => -v,
            Direction::ClosestToTarget => -(v - self.target.unwrap_or(0.0)).abs(),
        }
    }
}

/// The competition ranks of goodness values: 1 for the highest; equal values
/// share a rank and the next rank skips ("1224" ranking), in input order.
///
/// 99.1, 98.7, 98.7, 96.0 → 1, 2, 2, 4.
pub fn competition_ranks(goodness: &[f64]) -> Vec<u32> {
    let mut order = Vec::with_capacity(goodness.len());
    let mut ranks = vec![0; goodness.len()];
    competition_ranks_into(goodness, &mut order, &mut ranks);
    ranks
}

/// [`competition_ranks`] into `ranks` (of the same length as `goodness`),
/// with `order` as scratch space, so repeated rankings need not allocate.
///
/// Each value is sorted as one integer: its descending sort key above its
/// position, so the sort compares plain integers.
pub(crate) fn competition_ranks_into(goodness: &[f64], order: &mut Vec<u128>, ranks: &mut [u32]) {
    order.clear();
    order.extend(
        goodness
            .iter()
            .enumerate()
            .map(|(i, &g)| (u128::from(descending_key(g)) << 64) | i as u128),
    );
    order.sort_unstable();
    let mut current = 1u32;
    let mut previous: Option<u64> = None;
    for (position, &entry) in order.iter().enumerate() {
        let key = (entry >> 64) as u64;
        let i = (entry & u128::from(u64::MAX)) as usize;
        if previous != Some(key) {
            current = u32::try_from(position + 1).unwrap_or(u32::MAX);
            previous = Some(key);
        }
        if let Some(r) = ranks.get_mut(i) {
            *r = current;
        }
    }
}

/// An integer that orders goodness values from the highest down: the IEEE 754
/// bits made monotone (sign bit flipped for positives, every bit for
/// negatives), then complemented. −0.0 is first made 0.0 so the zeros tie.
fn descending_key(g: f64) -> u64 {
    let bits = (g + 0.0).to_bits();
    let ascending = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    !ascending
}

/// Whether every value is equal (true for none or one).
fn all_equal(values: &[f64]) -> bool {
    values.windows(2).all(|w| w[0] == w[1])
}

/// The standard scores `(g − mean) / sd` of goodness values, with the
/// population standard deviation (divided by n); positive is better than the
/// mean. All 0 when there are fewer than two values or they are all equal.
///
/// 4, 8, 6 → mean 6, sd √(8/3) ≈ 1.633 → ≈ −1.2247, 1.2247, 0.
pub fn z_scores(goodness: &[f64]) -> Vec<f64> {
    let n = goodness.len();
    // Equal values are tested directly: their computed mean need not equal
    // them exactly, which would leave a spurious tiny deviation.
    if n < 2 || all_equal(goodness) {
        return vec![0.0; n];
    }
    let count = n as f64;
    let mean = goodness.iter().sum::<f64>() / count;
    let variance = goodness.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / count;
    let sd = variance.sqrt();
    if sd == 0.0 {
        return vec![0.0; n];
    }
    goodness.iter().map(|g| (g - mean) / sd).collect()
}

/// The smallest and largest of `values`, or `None` when there are none.
fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let first = *values.first()?;
    Some(
        values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// The min-max scores `100 (g − min) / (max − min)` of goodness values: 0 for
/// the worst, 100 for the best. All 100 when every value is equal: everyone
/// is at the frontier.
///
/// 96.0, 98.7, 99.1 → 0, 100·2.7/3.1 ≈ 87.10, 100.
pub fn minmax(goodness: &[f64]) -> Vec<f64> {
    let Some((lo, hi)) = min_max(goodness) else {
        return Vec::new();
    };
    let spread = hi - lo;
    if spread == 0.0 {
        return vec![100.0; goodness.len()];
    }
    goodness.iter().map(|g| 100.0 * (g - lo) / spread).collect()
}

/// How far each member is behind the best, `max(g) − g`, in the indicator's
/// own unit: 0 for the best, never negative.
///
/// Processing days 1.25, 2.1, 0.9 (goodness −1.25, −2.1, −0.9) → 0.35, 1.2, 0.
pub fn frontier_distances(goodness: &[f64]) -> Vec<f64> {
    let Some((_, hi)) = min_max(goodness) else {
        return Vec::new();
    };
    goodness.iter().map(|g| (hi - g).max(0.0)).collect()
}

/// The distance-to-frontier scores `100 (1 − d / W)` of goodness values, `d`
/// being the [frontier distance](frontier_distances).
///
/// `W` is `range_width`, the width (max − min) of the indicator's declared
/// range of valid values, when it is given, finite and positive; otherwise
/// the observed spread max(g) − min(g), with which the scores equal the
/// [min-max scores](minmax). All 100 when `W` is 0 (every value equal). A
/// member further behind than `W` (a value outside the declared range) is
/// clamped at 0.
///
/// Days 2, 5, 14 on a declared range 0–10 (W = 10): distances 0, 3, 12 →
/// 100, 70, and −20 clamped to 0.
pub fn dtf_scores(goodness: &[f64], range_width: Option<f64>) -> Vec<f64> {
    let Some((lo, hi)) = min_max(goodness) else {
        return Vec::new();
    };
    let width = match range_width {
        Some(w) if w.is_finite() && w > 0.0 => w,
        _ => hi - lo,
    };
    if width == 0.0 {
        return vec![100.0; goodness.len()];
    }
    goodness
        .iter()
        .map(|g| (100.0 * (1.0 - (hi - g).max(0.0) / width)).max(0.0))
        .collect()
}

/// The median of `values`: the middle one, or the mean of the two middle ones
/// for an even count; `None` when there are none.
///
/// 50, 57, 70, 55 → (55 + 57) / 2 = 56.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len();
    let upper = sorted[n / 2];
    if n % 2 == 1 {
        Some(upper)
    } else {
        // Halving first cannot overflow and rounds as (a + b) / 2 would.
        Some(sorted[n / 2 - 1] / 2.0 + upper / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn goodness_by_direction() {
        let o = |direction, target| Orientation { direction, target };
        assert_eq!(o(Direction::HigherIsBetter, None).goodness(98.7), 98.7);
        assert_eq!(o(Direction::LowerIsBetter, None).goodness(2.1), -2.1);
        assert_eq!(
            o(Direction::ClosestToTarget, Some(55.0)).goodness(57.0),
            -2.0
        );
        assert_eq!(
            o(Direction::ClosestToTarget, Some(55.0)).goodness(50.0),
            -5.0
        );
        assert_eq!(o(Direction::ClosestToTarget, None).goodness(-3.0), -3.0);
    }

    #[test]
    fn module_example() {
        let g = [-5.0, -2.0, -15.0, 0.0];
        assert_eq!(competition_ranks(&g), vec![3, 2, 4, 1]);
        let sd = 33.25f64.sqrt();
        assert!(close(
            &z_scores(&g),
            &[0.5 / sd, 3.5 / sd, -9.5 / sd, 5.5 / sd]
        ));
        assert!(close(
            &minmax(&g),
            &[1000.0 / 15.0, 1300.0 / 15.0, 0.0, 100.0]
        ));
        assert_eq!(frontier_distances(&g), vec![5.0, 2.0, 15.0, 0.0]);
        assert!(close(
            &dtf_scores(&g, Some(100.0)),
            &[95.0, 98.0, 85.0, 100.0]
        ));
        assert!(close(&dtf_scores(&g, None), &minmax(&g)));
        assert_eq!(median(&[50.0, 57.0, 70.0, 55.0]), Some(56.0));
    }

    #[test]
    fn ties_and_zeros() {
        assert_eq!(
            competition_ranks(&[99.1, 98.7, 98.7, 96.0]),
            vec![1, 2, 2, 4]
        );
        assert_eq!(competition_ranks(&[0.0, -0.0, -1.0]), vec![1, 1, 3]);
        assert_eq!(competition_ranks(&[1.0, 1.0, 1.0]), vec![1, 1, 1]);
        assert!(competition_ranks(&[]).is_empty());
    }

    #[test]
    fn degenerate_inputs() {
        // 0.1 three times: the computed mean is not exactly 0.1.
        assert_eq!(z_scores(&[0.1, 0.1, 0.1]), vec![0.0; 3]);
        assert_eq!(z_scores(&[7.0]), vec![0.0]);
        assert_eq!(minmax(&[0.1, 0.1]), vec![100.0; 2]);
        assert_eq!(dtf_scores(&[3.0, 3.0], None), vec![100.0; 2]);
        assert_eq!(dtf_scores(&[3.0, 3.0], Some(10.0)), vec![100.0; 2]);
        // A non-positive or non-finite declared width falls back to the spread.
        assert!(close(
            &dtf_scores(&[10.0, 20.0, 40.0], Some(0.0)),
            &[0.0, 100.0 / 3.0, 100.0]
        ));
        assert!(close(
            &dtf_scores(&[10.0, 20.0, 40.0], Some(f64::INFINITY)),
            &[0.0, 100.0 / 3.0, 100.0]
        ));
        assert!(z_scores(&[]).is_empty());
        assert!(minmax(&[]).is_empty());
        assert!(frontier_distances(&[]).is_empty());
        assert!(dtf_scores(&[], Some(1.0)).is_empty());
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[4.0]), Some(4.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[f64::MAX, f64::MAX]), Some(f64::MAX));
    }

    #[test]
    fn dtf_clamps_outside_the_declared_range() {
        let g = [-2.0, -5.0, -14.0];
        assert!(close(&dtf_scores(&g, Some(10.0)), &[100.0, 70.0, 0.0]));
    }
}
