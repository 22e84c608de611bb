//! The comparison engine at scale: 300 jurisdictions, each with its own
//! 200-indicator framework and summaries for 5 periods, 60,000 crosswalks
//! onto a 200-indicator reference framework with 120,000 endorsements.
//!
//! Measures, on the harmonised view the node serves from: building it from
//! the documents (done once, at start), one comparison (300 rows, with the
//! previous period), and a 50-indicator composite with 1,000 Monte Carlo
//! draws; and, for comparison, building the full catalogue it replaced.
//!
//! `cargo bench -p deltabench-engine --bench compare`

mod common;

use common::{Gen, MEMBERS, inputs};
use criterion::{Criterion, criterion_group, criterion_main};
use deltabench_engine::compare::Catalogue;
use deltabench_engine::composite::{self, Column, Params};
use deltabench_engine::scores::Orientation;
use deltabench_engine::view::View;
use deltabench_model::comparison::{CompositePart, CompositeSpec};
use deltabench_model::documents::Direction;
use deltabench_model::{IndicatorRef, Period, Value};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    eprintln!(
        "documents: {} frameworks, {} summaries, {} crosswalks, {} endorsements",
        inputs.frameworks.len(),
        inputs.summaries.len(),
        inputs.crosswalks.len(),
        inputs.endorsements.len()
    );
    let view = View::build(inputs.clone());
    let r = IndicatorRef::parse("yrd.all/r1").unwrap();
    let period = Period::Year(2025);
    let one = view.compare(&r, period, false).unwrap();
    assert_eq!(one.rows.len(), MEMBERS);
    let spec = CompositeSpec {
        period,
        indicators: (0..50)
            .map(|k| CompositePart {
                indicator: IndicatorRef::parse(&format!("yrd.all/r{k}")).unwrap(),
                weight: Value::new(1.0 + (k % 4) as f64).unwrap(),
            })
            .collect(),
        normalisation: Default::default(),
        aggregation: Default::default(),
        draws: 1000,
        seed: 1,
        perturbation: Value::new(0.5).unwrap(),
        missing: Default::default(),
        include_flagged: true,
    };
    let composite = view.composite(&spec).unwrap();
    assert_eq!(composite.rows.len(), MEMBERS);

    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.bench_function("view build (300 x 200 x 5)", |b| {
        b.iter(|| black_box(View::build(inputs.clone())))
    });
    g.bench_function("full catalogue build, replaced by the view", |b| {
        b.iter(|| black_box(Catalogue::build(inputs.clone())))
    });
    g.bench_function("clone of the inputs (subtract from the builds)", |b| {
        b.iter(|| black_box(inputs.clone()))
    });
    g.sample_size(50);
    g.bench_function("one comparison (300 rows, with previous period)", |b| {
        b.iter(|| black_box(view.compare(&r, period, false).unwrap()))
    });
    // What a node does for a question it has not cached: the comparison,
    // its JSON bytes and their BLAKE3 hash (the ETag).
    g.bench_function("one answer: comparison, JSON and its BLAKE3 hash", |b| {
        b.iter(|| {
            let c = view.compare(&r, period, false).unwrap();
            let json = serde_json::to_vec(&c).unwrap();
            black_box(blake3::hash(&json))
        })
    });
    g.bench_function("JSON of one comparison", |b| {
        b.iter(|| black_box(serde_json::to_vec(&one).unwrap()))
    });
    // The ETag's hash, and the one it replaced, on the same bytes.
    let json = serde_json::to_vec(&one).unwrap();
    g.bench_function("BLAKE3 of one answer's JSON", |b| {
        b.iter(|| black_box(blake3::hash(&json)))
    });
    g.bench_function("SHA-256 of one answer's JSON", |b| {
        b.iter(|| black_box(<sha2::Sha256 as sha2::Digest>::digest(&json)))
    });
    g.sample_size(10);
    g.bench_function("composite 50 indicators, 1000 draws", |b| {
        b.iter(|| black_box(view.composite(&spec).unwrap()))
    });
    // The same composite without its 50 comparisons: normalisation,
    // aggregation and the draws over a 300 x 50 matrix.
    let columns: Vec<Column> = (0..50)
        .map(|k| Column {
            weight: 1.0 + (k % 4) as f64,
            orientation: Orientation {
                direction: Direction::HigherIsBetter,
                target: None,
            },
            range_width: Some(100.0),
        })
        .collect();
    let mut u = Gen {
        n: 0,
        rng: 11,
        seqs: vec![],
    };
    let values: Vec<Vec<Option<f64>>> = (0..MEMBERS)
        .map(|_| (0..50).map(|_| Some(50.0 + 50.0 * u.unit())).collect())
        .collect();
    let params = Params {
        normalisation: Default::default(),
        aggregation: Default::default(),
        missing: Default::default(),
        draws: 1000,
        seed: 1,
        perturbation: 0.5,
    };
    g.bench_function("composite engine alone, 300 x 50, 1000 draws", |b| {
        b.iter(|| black_box(composite::composite(&columns, &values, &params).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
