//! Crosswalk value transforms against cases computed by hand
//! (`tests/data/transforms.json`, the arithmetic is in each case's
//! `working`), and properties over random invertible transforms.

use deltabench_engine::transform::{
    Monotonicity, apply, check, inverse, monotonicity, unit_factor, units,
};
use deltabench_model::Value;
use deltabench_model::documents::TransformStep;
use proptest::prelude::*;

// ------------------------------------------------------------ hand-computed

/// Whether `got` equals `want` within a relative 1e-9 (an absolute 1e-12 near
/// zero).
fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(got.abs()) || (got - want).abs() <= 1e-12
}

#[test]
fn hand_computed_cases() {
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("data/transforms.json")).unwrap();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        assert!(names.insert(name), "{name}: name used twice");
        assert!(
            case["working"].as_str().is_some_and(|w| !w.is_empty()),
            "{name}: no working"
        );
        let steps: Vec<TransformStep> = serde_json::from_value(case["steps"].clone())
            .unwrap_or_else(|e| panic!("{name}: steps: {e}"));
        let x = case["x"].as_f64().unwrap();
        let got = apply(&steps, x);
        match case["expected"].as_f64() {
            None => {
                let want = case["error"].as_str().unwrap();
                let err = got.expect_err(name).to_string();
                assert!(err.contains(want), "{name}: {err:?} lacks {want:?}");
                assert!(err.starts_with("transform step "), "{name}: {err:?}");
            }
            Some(want) => {
                assert!(case.get("error").is_none(), "{name}: error and expected");
                let y = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(close(y, want), "{name}: got {y}, want {want}");
                match case.get("inverse_error").and_then(|e| e.as_str()) {
                    Some(want) => {
                        let err = inverse(&steps, y).expect_err(name).to_string();
                        assert!(err.contains(want), "{name}: {err:?} lacks {want:?}");
                        assert!(check(&steps).is_err(), "{name}: check passed");
                    }
                    None => {
                        let back = inverse(&steps, y).unwrap_or_else(|e| panic!("{name}: {e}"));
                        assert!(close(back, x), "{name}: {y} undone is {back}, not {x}");
                        assert_eq!(check(&steps), Ok(()), "{name}");
                    }
                }
            }
        }
    }
}

#[test]
fn demo_monotonicity() {
    let steps = |json: &str| -> Vec<TransformStep> { serde_json::from_str(json).unwrap() };
    let satisfaction = steps(r#"[{"op": "rescale", "from": [1, 5], "to": [0, 100]}]"#);
    assert_eq!(monotonicity(&satisfaction), Monotonicity::Increasing);
    let dissatisfaction = steps(r#"[{"op": "invert", "lo": 0, "hi": 100}]"#);
    assert_eq!(monotonicity(&dissatisfaction), Monotonicity::Decreasing);
    let complaint_index = steps(
        r#"[{"op": "invert", "lo": 1, "hi": 10},
            {"op": "rescale", "from": [1, 10], "to": [0, 100]},
            {"op": "piecewise", "points": [[0, 0], [50, 60], [80, 85], [100, 100]]},
            {"op": "linear", "scale": 0.9, "offset": 5}]"#,
    );
    assert_eq!(monotonicity(&complaint_index), Monotonicity::Decreasing);
}

// --------------------------------------------------------------- properties

/// A step to be built; piecewise steps are placed around the values that
/// reach them so that the sampled inputs stay inside their domain.
#[derive(Debug, Clone)]
enum Spec {
    Linear {
        scale: f64,
        offset: f64,
    },
    Unit {
        from: &'static str,
        to: &'static str,
    },
    Rescale {
        from: [f64; 2],
        to: [f64; 2],
    },
    Invert {
        lo: f64,
        hi: f64,
    },
    Piecewise {
        /// Positions of the knots in the domain, from 0 to 1, increasing.
        at: Vec<f64>,
        /// The knots' y, strictly monotone.
        y: Vec<f64>,
        /// How far the domain reaches beyond the values that reach the step,
        /// relative to their magnitude.
        margin: f64,
    },
}

fn v(x: f64) -> Value {
    Value::new(x).unwrap()
}

fn signed(magnitude: impl Strategy<Value = f64>) -> impl Strategy<Value = f64> {
    (magnitude, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
}

fn unit_pairs() -> Vec<(&'static str, &'static str)> {
    let mut pairs = Vec::new();
    for a in units() {
        for b in units() {
            if a.dimension == b.dimension {
                pairs.push((a.name, b.name));
            }
        }
    }
    pairs
}

fn spec() -> impl Strategy<Value = Spec> {
    let linear = (signed(0.01..100.0f64), -1000.0..1000.0f64)
        .prop_map(|(scale, offset)| Spec::Linear { scale, offset });
    let unit = prop::sample::select(unit_pairs()).prop_map(|(from, to)| Spec::Unit { from, to });
    let rescale = (
        -100.0..100.0f64,
        signed(0.1..100.0f64),
        -100.0..100.0f64,
        signed(0.1..100.0f64),
    )
        .prop_map(|(a, wa, c, wc)| Spec::Rescale {
            from: [a, a + wa],
            to: [c, c + wc],
        });
    let invert =
        (-100.0..100.0f64, 0.0..200.0f64).prop_map(|(lo, w)| Spec::Invert { lo, hi: lo + w });
    let piecewise = (2usize..=5)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(0.1..1.0f64, n - 1),
                -1000.0..1000.0f64,
                prop::collection::vec(0.01..100.0f64, n - 1),
                any::<bool>(),
                0.05..2.0f64,
            )
        })
        .prop_map(|(gaps, y0, rises, falling, margin)| {
            let total: f64 = gaps.iter().sum();
            let mut at = vec![0.0];
            let mut y = vec![y0];
            let mut sum = 0.0;
            for (gap, rise) in gaps.iter().zip(&rises) {
                sum += gap;
                at.push(sum / total);
                let last = y[y.len() - 1];
                y.push(if falling { last - rise } else { last + rise });
            }
            Spec::Piecewise { at, y, margin }
        });
    prop_oneof![linear, unit, rescale, invert, piecewise]
}

/// The steps of `specs`, each piecewise step's domain covering every value
/// that `anchors` take on reaching it.
fn build(specs: &[Spec], anchors: &[f64]) -> Vec<TransformStep> {
    let mut steps = Vec::new();
    let mut values = anchors.to_vec();
    for spec in specs {
        let step = match spec {
            Spec::Linear { scale, offset } => TransformStep::Linear {
                scale: v(*scale),
                offset: v(*offset),
            },
            Spec::Unit { from, to } => TransformStep::Unit {
                from: from.to_string(),
                to: to.to_string(),
            },
            Spec::Rescale { from, to } => TransformStep::Rescale {
                from: [v(from[0]), v(from[1])],
                to: [v(to[0]), v(to[1])],
            },
            Spec::Invert { lo, hi } => TransformStep::Invert {
                lo: v(*lo),
                hi: v(*hi),
            },
            Spec::Piecewise { at, y, margin } => {
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let reach = margin * (hi - lo).max(lo.abs()).max(hi.abs()).max(1.0);
                let (first, last) = (lo - reach, hi + reach);
                let n = at.len();
                let points = at
                    .iter()
                    .zip(y)
                    .enumerate()
                    .map(|(k, (&t, &yk))| {
                        let xk = match k {
                            0 => first,
                            k if k == n - 1 => last,
                            _ => first + t * (last - first),
                        };
                        [v(xk), v(yk)]
                    })
                    .collect();
                TransformStep::Piecewise { points }
            }
        };
        for value in &mut values {
            *value = apply(std::slice::from_ref(&step), *value).unwrap();
        }
        steps.push(step);
    }
    steps
}

/// A step's slope at `x`, and the magnitude of the constants it adds.
fn local(step: &TransformStep, x: f64) -> (f64, f64) {
    match step {
        TransformStep::Linear { scale, offset } => (scale.get(), offset.get().abs()),
        TransformStep::Unit { from, to } => (unit_factor(from, to).unwrap(), 0.0),
        TransformStep::Rescale { from, to } => {
            let k = (to[1].get() - to[0].get()) / (from[1].get() - from[0].get());
            (k, to[0].get().abs() + k.abs() * from[0].get().abs())
        }
        TransformStep::Invert { lo, hi } => (-1.0, lo.get().abs() + hi.get().abs()),
        TransformStep::Piecewise { points } => {
            let w = points
                .windows(2)
                .find(|w| x <= w[1][0].get())
                .unwrap_or(&points[points.len() - 2..]);
            let (x0, y0, x1, y1) = (w[0][0].get(), w[0][1].get(), w[1][0].get(), w[1][1].get());
            let k = (y1 - y0) / (x1 - x0);
            (k, y0.abs().max(y1.abs()) + k.abs() * x0.abs().max(x1.abs()))
        }
    }
}

/// The magnitude, in units of the input, of what rounding can disturb when
/// `x` goes through the steps and back: every intermediate term divided by
/// the slope of the steps up to it. A round trip that is right up to
/// rounding differs from `x` by a tiny multiple of this (at least `|x|`).
fn roundoff_scale(steps: &[TransformStep], x: f64) -> f64 {
    let mut scale = x.abs();
    let mut value = x;
    let mut slope = 1.0;
    for step in steps {
        let next = apply(std::slice::from_ref(step), value).unwrap();
        let (k, constants) = local(step, value);
        slope *= k;
        let terms = next.abs() + (k * value).abs() + constants;
        scale = scale.max(terms / slope.abs());
        value = next;
    }
    scale
}

proptest! {
    #[test]
    fn inverse_undoes_apply(
        specs in prop::collection::vec(spec(), 0..=5),
        x in -1000.0..1000.0f64,
    ) {
        let steps = build(&specs, &[x]);
        prop_assert_eq!(check(&steps), Ok(()));
        let y = apply(&steps, x).unwrap();
        let back = inverse(&steps, y).unwrap();
        let tolerance = 1e-6 * roundoff_scale(&steps, x);
        prop_assert!(
            (back - x).abs() <= tolerance,
            "{x} -> {y} -> {back} (tolerance {tolerance})"
        );
    }

    #[test]
    fn monotonicity_orders_results(
        specs in prop::collection::vec(spec(), 0..=5),
        a in -1000.0..1000.0f64,
        b in -1000.0..1000.0f64,
    ) {
        prop_assume!(a != b);
        let (x1, x2) = (a.min(b), a.max(b));
        let steps = build(&specs, &[x1, x2]);
        let (y1, y2) = (apply(&steps, x1).unwrap(), apply(&steps, x2).unwrap());
        let separated =
            x2 - x1 > 1e-6 * roundoff_scale(&steps, x1).max(roundoff_scale(&steps, x2));
        match monotonicity(&steps) {
            Monotonicity::Increasing => {
                prop_assert!(y1 <= y2, "{x1} -> {y1}, {x2} -> {y2}");
                prop_assert!(!separated || y1 < y2, "{x1} -> {y1}, {x2} -> {y2}");
            }
            Monotonicity::Decreasing => {
                prop_assert!(y1 >= y2, "{x1} -> {y1}, {x2} -> {y2}");
                prop_assert!(!separated || y1 > y2, "{x1} -> {y1}, {x2} -> {y2}");
            }
            other => prop_assert!(false, "invertible steps are {other:?}"),
        }
    }

    #[test]
    fn unit_factors_compose(
        pair in prop::sample::select(unit_pairs()),
        x in -1e6..1e6f64,
    ) {
        let (from, to) = pair;
        let there = unit_factor(from, to).unwrap();
        let back = unit_factor(to, from).unwrap();
        prop_assert!((there * back - 1.0).abs() <= 1e-12);
        let step = TransformStep::Unit { from: from.into(), to: to.into() };
        let y = apply(std::slice::from_ref(&step), x).unwrap();
        prop_assert!((y - x * there).abs() <= 1e-12 * y.abs().max(1e-300));
    }
}
