//! Year-end forecasts at scale: 500 units × 60 indicators, each series with
//! 36 months of history (2022 to 2024) and January to June of 2025, seeded.
//!
//! Measures, over all 30,000 series at the end of June 2025: the per-series
//! forecast (seasonal profile, offset, calibration on the series' own past
//! years, interval and miss probability); and the pooled forecast, one pool
//! of calibration errors per indicator over its 500 units, then each unit's
//! forecast from it.
//!
//! `cargo bench -p deltabench-engine --bench forecast` (add `-- --quick` for
//! a short run).

use criterion::{Criterion, criterion_group, criterion_main};
use deltabench_engine::forecast::{
    Goal, History, Params, Pool, forecast_year_end, forecast_year_end_pooled,
};
use deltabench_model::documents::{Aggregation, Direction};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

const UNITS: usize = 500;
const INDICATORS: usize = 60;
const YEAR: u16 = 2025;
const OBSERVED: u8 = 6;

/// One indicator's series for every unit: a level, a trend, a seasonal wave
/// and noise, 2022-01 to 2025-06.
fn generate(rng: &mut ChaCha8Rng) -> Vec<History> {
    (0..UNITS)
        .map(|_| {
            let level = 50.0 + 100.0 * rng.random::<f64>();
            let trend = level * (-0.002 + 0.012 * rng.random::<f64>());
            let phase = std::f64::consts::TAU * rng.random::<f64>();
            let mut h = History::new();
            for (yi, y) in (2022..=YEAR).enumerate() {
                let last = if y == YEAR { OBSERVED } else { 12 };
                for m in 1..=last {
                    let t = (yi * 12 + usize::from(m)) as f64;
                    let season =
                        0.2 * level * (std::f64::consts::TAU * f64::from(m) / 12.0 + phase).sin();
                    let noise = 0.05 * level * (rng.random::<f64>() - 0.5) * 3.46;
                    h.insert_month(y, m, level + trend * t + season + noise)
                        .expect("finite");
                }
            }
            h
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    let indicators: Vec<(Aggregation, Vec<History>)> = (0..INDICATORS)
        .map(|i| {
            let rule = match i % 3 {
                0 => Aggregation::Sum,
                1 => Aggregation::Mean,
                _ => Aggregation::Median,
            };
            (rule, generate(&mut rng))
        })
        .collect();
    let goal = Goal {
        target: Some(1000.0),
        direction: Direction::HigherIsBetter,
    };
    // Per series: K = 3 gives k = 2 profile years and one calibration year.
    let per_series = Params {
        level: 0.8,
        profile_years: 3,
    };
    // Pooled: k = 2 profile years for every series, 500 errors per pool.
    let pooled = Params {
        level: 0.8,
        profile_years: 2,
    };
    let months: Vec<u8> = (1..=OBSERVED).collect();

    let run_per_series = || {
        let mut n = 0usize;
        for (rule, series) in &indicators {
            for h in series {
                n += forecast_year_end(h, YEAR, rule, &goal, &per_series).is_ok() as usize;
            }
        }
        n
    };
    let run_pooled = || {
        let mut with_interval = 0usize;
        for (rule, series) in &indicators {
            let pool = Pool::build(series, YEAR, &months, rule, &pooled).expect("pool");
            for h in series {
                let f = forecast_year_end_pooled(h, YEAR, rule, &goal, &pooled, &pool)
                    .expect("forecast");
                with_interval += f.lower().is_some() as usize;
            }
        }
        with_interval
    };
    assert_eq!(run_per_series(), UNITS * INDICATORS);
    assert_eq!(run_pooled(), UNITS * INDICATORS);

    let mut g = c.benchmark_group("forecast");
    g.sample_size(10);
    g.bench_function("per series, 500 units x 60 indicators", |b| {
        b.iter(|| black_box(run_per_series()))
    });
    g.bench_function("pooled per indicator, 500 units x 60 indicators", |b| {
        b.iter(|| black_box(run_pooled()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
