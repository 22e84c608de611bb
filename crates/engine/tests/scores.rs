//! Ranks, z-scores, min-max, frontier distances, distance-to-frontier scores
//! and medians against values computed by hand (`tests/data/scores.json`,
//! with the arithmetic in each case's `working`), and their invariances.

use deltabench_engine::scores::{
    Orientation, competition_ranks, dtf_scores, frontier_distances, median, minmax, z_scores,
};
use deltabench_model::documents::Direction;
use proptest::prelude::*;
use serde_json::Value as Json;

const TOLERANCE: f64 = 1e-9;

fn floats(case: &Json, field: &str) -> Vec<f64> {
    case[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is not a list"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn assert_close(name: &str, field: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: {field} length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= TOLERANCE,
            "{name}: {field}[{i}] is {g}, expected {w}"
        );
    }
}

#[test]
fn hand_computed_cases() {
    let cases: Vec<Json> = serde_json::from_str(include_str!("data/scores.json")).unwrap();
    assert!(cases.len() >= 6);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let direction: Direction = serde_json::from_value(case["direction"].clone()).unwrap();
        let orientation = Orientation {
            direction,
            target: case["target"].as_f64(),
        };
        let values = floats(case, "values");
        let goodness: Vec<f64> = values.iter().map(|&v| orientation.goodness(v)).collect();
        let ranks: Vec<u32> = case["ranks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| u32::try_from(r.as_u64().unwrap()).unwrap())
            .collect();
        assert_eq!(competition_ranks(&goodness), ranks, "{name}: ranks");
        assert_close(
            name,
            "z_scores",
            &z_scores(&goodness),
            &floats(case, "z_scores"),
        );
        assert_close(name, "minmax", &minmax(&goodness), &floats(case, "minmax"));
        assert_close(
            name,
            "frontier_distances",
            &frontier_distances(&goodness),
            &floats(case, "frontier_distances"),
        );
        assert_close(
            name,
            "dtf",
            &dtf_scores(&goodness, case["range_width"].as_f64()),
            &floats(case, "dtf"),
        );
        match (median(&values), case["median"].as_f64()) {
            (Some(got), Some(want)) => assert!((got - want).abs() <= TOLERANCE, "{name}: median"),
            (None, None) => {}
            (got, want) => panic!("{name}: median {got:?}, expected {want:?}"),
        }
    }
}

/// Values on a grid of quarters in [−20, 20], so that distinct values stay
/// distinct under the transforms below.
fn grid_values() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-80i32..=80).prop_map(|i| f64::from(i) / 4.0), 1..25)
}

/// Distinct grid values.
fn distinct_values() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::btree_set(-80i32..=80, 1..25).prop_flat_map(|set| {
        let values: Vec<f64> = set.into_iter().map(|i| f64::from(i) / 4.0).collect();
        Just(values).prop_shuffle()
    })
}

fn all_close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= TOLERANCE)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ranks_survive_increasing_transforms(
        values in grid_values(),
        a in 0.01f64..2.0,
        scale in 0.1f64..10.0,
        shift in -100.0f64..100.0,
    ) {
        let ranks = competition_ranks(&values);
        let cubic: Vec<f64> = values.iter().map(|x| a * x * x * x + x).collect();
        let exp: Vec<f64> = values.iter().map(|x| x.exp()).collect();
        let affine: Vec<f64> = values.iter().map(|x| scale * x + shift).collect();
        prop_assert_eq!(&competition_ranks(&cubic), &ranks);
        prop_assert_eq!(&competition_ranks(&exp), &ranks);
        prop_assert_eq!(&competition_ranks(&affine), &ranks);
    }

    #[test]
    fn minmax_and_z_scores_survive_positive_affine_transforms(
        values in grid_values(),
        scale in 0.1f64..10.0,
        shift in -100.0f64..100.0,
    ) {
        let affine: Vec<f64> = values.iter().map(|x| scale * x + shift).collect();
        prop_assert!(all_close(&minmax(&affine), &minmax(&values)));
        prop_assert!(all_close(&z_scores(&affine), &z_scores(&values)));
        // Distances scale with the unit; distance-to-frontier scores on the
        // observed spread do not change.
        let d: Vec<f64> = frontier_distances(&values).iter().map(|d| scale * d).collect();
        prop_assert!(all_close(&frontier_distances(&affine), &d));
        prop_assert!(all_close(&dtf_scores(&affine, None), &dtf_scores(&values, None)));
    }

    #[test]
    fn ranks_reverse_when_the_direction_flips(values in distinct_values()) {
        let of = |direction| {
            let o = Orientation { direction, target: None };
            competition_ranks(&values.iter().map(|&v| o.goodness(v)).collect::<Vec<_>>())
        };
        let higher = of(Direction::HigherIsBetter);
        let lower = of(Direction::LowerIsBetter);
        let n = u32::try_from(values.len()).unwrap();
        for (h, l) in higher.iter().zip(&lower) {
            prop_assert_eq!(h + l, n + 1);
        }
    }

    #[test]
    fn order_reverses_when_the_direction_flips_even_with_ties(values in grid_values()) {
        let higher = competition_ranks(&values);
        let lower = competition_ranks(&values.iter().map(|v| -v).collect::<Vec<_>>());
        for i in 0..values.len() {
            for j in 0..values.len() {
                prop_assert_eq!(higher[i] < higher[j], lower[i] > lower[j]);
            }
        }
    }

    #[test]
    fn definitions_hold(values in grid_values(), width in 0.5f64..100.0) {
        let n = values.len();
        let ranks = competition_ranks(&values);
        let mm = minmax(&values);
        let z = z_scores(&values);
        let d = frontier_distances(&values);
        let dtf = dtf_scores(&values, Some(width));
        // Rank = 1 + how many are strictly better.
        for (i, v) in values.iter().enumerate() {
            let better = values.iter().filter(|w| *w > v).count();
            prop_assert_eq!(ranks[i] as usize, better + 1);
        }
        prop_assert!(mm.iter().all(|s| (0.0..=100.0).contains(s)));
        prop_assert!(mm.contains(&100.0));
        prop_assert!(d.iter().all(|&d| d >= 0.0) && d.contains(&0.0));
        prop_assert!(dtf.iter().all(|s| (0.0..=100.0).contains(s)));
        // The best has rank 1, distance 0 and the top scores.
        for i in 0..n {
            if ranks[i] == 1 {
                prop_assert_eq!(d[i], 0.0);
                prop_assert_eq!(mm[i], 100.0);
                prop_assert_eq!(dtf[i], 100.0);
            }
        }
        // z-scores have mean 0 and population sd 1, unless all are 0.
        if z.iter().any(|&z| z != 0.0) {
            let count = n as f64;
            let mean = z.iter().sum::<f64>() / count;
            let var = z.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / count;
            prop_assert!(mean.abs() < TOLERANCE);
            prop_assert!((var - 1.0).abs() < TOLERANCE);
        }
        // The median has at least half the values on either side.
        if let Some(m) = median(&values) {
            prop_assert!(2 * values.iter().filter(|&&v| v <= m).count() >= n);
            prop_assert!(2 * values.iter().filter(|&&v| v >= m).count() >= n);
        }
    }
}
