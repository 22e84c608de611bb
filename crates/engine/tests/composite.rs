//! Composites against values computed by hand
//! (`tests/data/composites.json`, with the arithmetic in each case's
//! `working`), their determinism and their Monte Carlo rank intervals.

use deltabench_engine::composite::{Column, CompositeError, CompositeResult, Params, composite};
use deltabench_engine::scores::{Orientation, competition_ranks};
use deltabench_model::comparison::{CompositeAggregation, MissingValues, Normalisation};
use deltabench_model::documents::Direction;
use proptest::prelude::*;
use serde_json::Value as Json;

const TOLERANCE: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE
}

/// Reads a JSON field into the type the context needs.
macro_rules! parse {
    ($v:expr) => {
        serde_json::from_value($v.clone()).unwrap()
    };
}

fn column(c: &Json) -> Column {
    Column {
        weight: c["weight"].as_f64().unwrap(),
        orientation: Orientation {
            direction: parse!(c["direction"]),
            target: c["target"].as_f64(),
        },
        range_width: c["range_width"].as_f64(),
    }
}

fn options(v: &Json) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Json::as_f64).collect()
}

fn check_case(case: &Json, params: &Params) {
    let name = case["name"].as_str().unwrap();
    let columns: Vec<Column> = case["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(column)
        .collect();
    let values: Vec<Vec<Option<f64>>> = case["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(options)
        .collect();
    let result = composite(&columns, &values, params).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want = case["rows"].as_array().unwrap();
    assert_eq!(result.rows.len(), want.len(), "{name}: rows");
    for (got, want) in result.rows.iter().zip(want) {
        let member = usize::try_from(want["member"].as_u64().unwrap()).unwrap();
        let rank = u32::try_from(want["rank"].as_u64().unwrap()).unwrap();
        assert_eq!(got.member, member, "{name}: row order");
        assert_eq!(got.rank, rank, "{name}: rank of member {member}");
        assert_eq!(
            got.rank_interval,
            [rank, rank],
            "{name}: interval of {member}"
        );
        let index = want["index"].as_f64().unwrap();
        assert!(
            close(got.index, index),
            "{name}: index of {member} is {}, expected {index}",
            got.index
        );
        let coverage = want["coverage"].as_f64().unwrap();
        assert!(
            close(got.coverage, coverage),
            "{name}: coverage of {member} is {}",
            got.coverage
        );
        let scores = options(&want["scores"]);
        assert_eq!(got.scores.len(), scores.len(), "{name}: scores of {member}");
        for (c, (g, w)) in got.scores.iter().zip(&scores).enumerate() {
            match (g, w) {
                (Some(g), Some(w)) => assert!(
                    close(*g, *w),
                    "{name}: score {c} of {member} is {g}, expected {w}"
                ),
                (None, None) => {}
                _ => panic!("{name}: score {c} of {member} is {g:?}, expected {w:?}"),
            }
        }
    }
    let excluded: Vec<(usize, Vec<usize>)> = parse!(case["excluded"]);
    assert_eq!(result.excluded, excluded, "{name}: excluded");
}

fn cases() -> Vec<Json> {
    serde_json::from_str(include_str!("data/composites.json")).unwrap()
}

fn case_params(case: &Json) -> Params {
    Params {
        normalisation: parse!(case["normalisation"]),
        aggregation: parse!(case["aggregation"]),
        missing: parse!(case["missing"]),
        draws: 0,
        seed: 0,
        perturbation: 0.5,
    }
}

#[test]
fn hand_computed_composites() {
    let cases = cases();
    assert!(cases.len() >= 3);
    for case in &cases {
        check_case(case, &case_params(case));
    }
}

#[test]
fn unperturbed_draws_change_nothing() {
    // With perturbation 0 every draw repeats the unperturbed ranking, so the
    // hand-computed results hold with draws too, interval [rank, rank].
    for case in &cases() {
        let params = Params {
            draws: 50,
            seed: 9,
            perturbation: 0.0,
            ..case_params(case)
        };
        check_case(case, &params);
    }
}

#[test]
fn geometric_z_scores_are_refused() {
    let columns = [Column {
        weight: 1.0,
        orientation: Orientation {
            direction: Direction::HigherIsBetter,
            target: None,
        },
        range_width: None,
    }];
    let params = Params {
        normalisation: Normalisation::ZScore,
        aggregation: CompositeAggregation::Geometric,
        missing: MissingValues::Exclude,
        draws: 0,
        seed: 0,
        perturbation: 0.5,
    };
    let err = composite(&columns, &[vec![Some(1.0)]], &params).unwrap_err();
    assert_eq!(err, CompositeError::GeometricZScore);
    assert_eq!(
        err.to_string(),
        "geometric aggregation needs positive normalised scores; z-scores are signed: use min_max or distance_to_frontier"
    );
}

/// A deterministic pseudo-random matrix for the larger runs.
fn big_matrix(members: usize, columns: usize) -> (Vec<Column>, Vec<Vec<Option<f64>>>) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let directions = [
        Direction::HigherIsBetter,
        Direction::LowerIsBetter,
        Direction::ClosestToTarget,
    ];
    let cols = (0..columns)
        .map(|c| Column {
            weight: 0.5 + next(),
            orientation: Orientation {
                direction: directions[c % 3],
                target: Some(50.0),
            },
            range_width: Some(100.0),
        })
        .collect();
    let values = (0..members)
        .map(|_| (0..columns).map(|_| Some(100.0 * next())).collect())
        .collect();
    (cols, values)
}

#[test]
fn a_large_composite_completes() {
    let (columns, values) = big_matrix(300, 50);
    for (normalisation, aggregation) in [
        (Normalisation::MinMax, CompositeAggregation::Arithmetic),
        (
            Normalisation::DistanceToFrontier,
            CompositeAggregation::Geometric,
        ),
    ] {
        let params = Params {
            normalisation,
            aggregation,
            missing: MissingValues::Exclude,
            draws: 1000,
            seed: 2026,
            perturbation: 0.5,
        };
        let result = composite(&columns, &values, &params).unwrap();
        assert_eq!(result.rows.len(), 300);
        assert!(result.excluded.is_empty());
        for r in &result.rows {
            assert!((1..=300).contains(&r.rank));
            let [lo, hi] = r.rank_interval;
            assert!(1 <= lo && lo <= hi && hi <= 300, "{:?}", r.rank_interval);
        }
    }
}

/// A small composite problem: columns, values (some missing) and parameters.
fn problem() -> impl Strategy<Value = (Vec<Column>, Vec<Vec<Option<f64>>>, Params)> {
    (1usize..4, 2usize..9).prop_flat_map(|(k, n)| {
        let direction = prop_oneof![
            Just(Direction::HigherIsBetter),
            Just(Direction::LowerIsBetter),
            Just(Direction::ClosestToTarget),
        ];
        let columns = prop::collection::vec(
            (
                0.1f64..5.0,
                direction,
                -10i32..10,
                prop::option::of(1.0f64..50.0),
            ),
            k,
        )
        .prop_map(|cs| {
            cs.into_iter()
                .map(|(weight, direction, target, range_width)| Column {
                    weight,
                    orientation: Orientation {
                        direction,
                        target: Some(f64::from(target)),
                    },
                    range_width,
                })
                .collect::<Vec<_>>()
        });
        let cell = prop_oneof![
            1 => Just(None),
            6 => (-40i32..40).prop_map(|v| Some(f64::from(v) / 2.0)),
        ];
        let values = prop::collection::vec(prop::collection::vec(cell, k), n);
        let method = prop_oneof![
            Just((Normalisation::MinMax, CompositeAggregation::Arithmetic)),
            Just((Normalisation::MinMax, CompositeAggregation::Geometric)),
            Just((Normalisation::ZScore, CompositeAggregation::Arithmetic)),
            Just((
                Normalisation::DistanceToFrontier,
                CompositeAggregation::Arithmetic
            )),
            Just((
                Normalisation::DistanceToFrontier,
                CompositeAggregation::Geometric
            )),
        ];
        let missing = prop_oneof![Just(MissingValues::Exclude), Just(MissingValues::Reweight)];
        let params = (method, missing, 1u32..60, any::<u64>(), 0.0f64..0.95).prop_map(
            |((normalisation, aggregation), missing, draws, seed, perturbation)| Params {
                normalisation,
                aggregation,
                missing,
                draws,
                seed,
                perturbation,
            },
        );
        (columns, values, params)
    })
}

/// A row without its rank interval: member, index, rank, coverage, scores.
type PointEstimate = (usize, f64, u32, f64, Vec<Option<f64>>);

/// The result without its rank intervals.
fn point_estimates(r: &CompositeResult) -> Vec<PointEstimate> {
    r.rows
        .iter()
        .map(|m| (m.member, m.index, m.rank, m.coverage, m.scores.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_same_seed_gives_the_same_result((columns, values, params) in problem(), other in any::<u64>()) {
        let Ok(a) = composite(&columns, &values, &params) else {
            return Ok(());
        };
        let b = composite(&columns, &values, &params).unwrap();
        prop_assert_eq!(&a, &b);
        // Another seed can only move the intervals.
        let c = composite(&columns, &values, &Params { seed: other, ..params }).unwrap();
        prop_assert_eq!(point_estimates(&a), point_estimates(&c));
        prop_assert_eq!(&a.excluded, &c.excluded);
    }

    #[test]
    fn intervals_are_ordered_and_in_range((columns, values, params) in problem()) {
        let Ok(r) = composite(&columns, &values, &params) else {
            return Ok(());
        };
        let n = u32::try_from(r.rows.len()).unwrap();
        for m in &r.rows {
            let [lo, hi] = m.rank_interval;
            prop_assert!(1 <= lo && lo <= hi && hi <= n);
            prop_assert!((0.0..=1.0 + TOLERANCE).contains(&m.coverage));
        }
        // Rows are by rank, then member, and ranks are the competition ranks
        // of the indices.
        for w in r.rows.windows(2) {
            prop_assert!((w[0].rank, w[0].member) < (w[1].rank, w[1].member));
        }
        let indices: Vec<f64> = r.rows.iter().map(|m| m.index).collect();
        let ranks: Vec<u32> = r.rows.iter().map(|m| m.rank).collect();
        prop_assert_eq!(competition_ranks(&indices), ranks);
        // Every member is either ranked or excluded, once.
        let mut seen: Vec<usize> = r.rows.iter().map(|m| m.member).chain(r.excluded.iter().map(|e| e.0)).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..values.len()).collect::<Vec<_>>());
    }

    #[test]
    fn without_perturbation_the_interval_is_the_rank((columns, values, params) in problem()) {
        let params = Params { perturbation: 0.0, ..params };
        let Ok(r) = composite(&columns, &values, &params) else {
            return Ok(());
        };
        for m in &r.rows {
            prop_assert_eq!(m.rank_interval, [m.rank, m.rank]);
        }
    }
}
