//! Descriptive statistics of unit values.

/// Count, min, quartiles, max, mean and sample standard deviation of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// How many values.
    pub count: usize,
    /// The smallest.
    pub min: f64,
    /// The first quartile.
    pub q1: f64,
    /// The median.
    pub median: f64,
    /// The third quartile.
    pub q3: f64,
    /// The largest.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// The sample standard deviation (n − 1); 0 for a single value.
    pub sd: f64,
}

/// The `p`-quantile of sorted values by linear interpolation between closest
/// ranks (the "type 7" definition of R and NumPy's default).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The statistics of `values`, or `None` when there are none.
pub fn stats(values: &[f64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let sd = if sorted.len() > 1 {
        (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some(Stats {
        count: sorted.len(),
        min: sorted[0],
        q1: quantile(&sorted, 0.25),
        median: quantile(&sorted, 0.5),
        q3: quantile(&sorted, 0.75),
        max: sorted[sorted.len() - 1],
        mean,
        sd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // 1, 2, 4, 7, 11: mean 5; deviations -4 -3 -1 2 6 → squares 16 9 1 4 36 = 66;
        // sd = sqrt(66 / 4) = 4.0620192...; q1 at h = 1 → 2; q3 at h = 3 → 7.
        let s = stats(&[7.0, 1.0, 11.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            (s.count, s.min, s.q1, s.median, s.q3, s.max, s.mean),
            (5, 1.0, 2.0, 4.0, 7.0, 11.0, 5.0)
        );
        assert!((s.sd - 4.062_019_202_317_98).abs() < 1e-12);
        // Even count: 1 2 3 4 → q1 at h = 0.75 → 1.75; median 2.5; q3 at h = 2.25 → 3.25.
        let s = stats(&[4.0, 3.0, 2.0, 1.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert_eq!(stats(&[5.0]).unwrap().sd, 0.0);
        assert!(stats(&[]).is_none());
    }
}
