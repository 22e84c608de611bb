//! Local appraisal at scale.
//!
//! - `import_1m`: 1,000,000 observations as CSV text (500 units × 50
//!   indicators × 40 periods) through the path of `POST /api/v1/observations`
//!   without HTTP: CSV parsing, row checks, one sled transaction with the audit
//!   trail, flush. Reported in rows per second.
//! - `appraise_500x60`: 500 units × 60 weighted indicators for one period:
//!   reading the period's 30,000 observations from the store, scoring,
//!   weighting and grading (`Node::appraisals`).
//! - `engine_500x60`: the same scoring, weighting and grading alone, without
//!   the store.
//!
//! Run: `cargo bench -p deltabench-api --bench appraisal`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use deltabench_api::local_routes::rows_from_csv;
use deltabench_engine::ObservationSet;
use deltabench_model::documents::Framework;
use deltabench_model::local::Unit;
use deltabench_model::{JurisdictionCode, Period};
use deltabench_node::{Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use serde_json::json;
use std::fmt::Write;
use std::sync::Arc;

const UNITS: usize = 500;

/// A framework of `n` indicators over `periods`, all weighted in one category
/// (weights 2 and 1 so that they sum to exactly 100), cycling through the
/// scoring rules.
fn framework(n: usize, periods: &[String]) -> Framework {
    assert!(n == 50 || n == 60);
    let rules = [
        json!({"rule": "ratio_to_target", "cap": 120}),
        json!({"rule": "linear", "floor": 20}),
        json!({"rule": "threshold", "threshold": 50}),
        json!({"rule": "direct"}),
    ];
    let indicators: Vec<_> = (0..n)
        .map(|i| {
            json!({"code": format!("i{i:02}"), "name_zh": format!("指标{i}"), "name_en": format!("Indicator {i}"),
                   "dimension": "economic", "unit": "score_0_100", "direction": "higher_is_better",
                   "aggregation": {"rule": "mean"}, "range": {"min": 0, "max": 100}, "target": 80,
                   "scoring": rules[i % 4]})
        })
        .collect();
    // 50 indicators: 2 each; 60: 40 at 2 and 20 at 1.
    let weights: Vec<_> = (0..n)
        .map(|i| json!({"indicator": format!("i{i:02}"), "weight": if n == 50 || i < 40 { 2 } else { 1 }}))
        .collect();
    serde_json::from_value(json!({
        "id": "bench.big", "version": "1.0.0", "owner": {"jurisdiction": "320585"},
        "name_zh": "基准", "name_en": "Bench", "periods": periods,
        "indicators": indicators,
        "categories": [{"id": "agency", "name_zh": "机关", "name_en": "Agencies", "weights": weights}]
    }))
    .unwrap()
}

fn units() -> Vec<Unit> {
    (0..UNITS)
        .map(|u| {
            serde_json::from_value(json!({"id": format!("unit-{u:03}"), "name_zh": "单位", "name_en": "Unit", "category": "agency"}))
                .unwrap()
        })
        .collect()
}

/// Deterministic values in 0-100.
fn value(u: usize, i: usize, p: usize) -> f64 {
    let x = (u as u64 * 2_654_435_761 + i as u64 * 40_503 + p as u64 * 97) % 10_000;
    (x as f64) / 100.0
}

fn csv(indicators: usize, periods: &[String]) -> String {
    let mut out = String::with_capacity(40 * UNITS * indicators * periods.len());
    out.push_str("unit,indicator,period,value\n");
    for (p, period) in periods.iter().enumerate() {
        for u in 0..UNITS {
            for i in 0..indicators {
                writeln!(out, "unit-{u:03},i{i:02},{period},{}", value(u, i, p)).unwrap();
            }
        }
    }
    out
}

/// A node on a store in a temporary folder on disk (not sled's in-memory
/// temporary mode), so that flushes cost what they cost.
fn node(f: &Framework) -> (tempfile::TempDir, Node) {
    let identity = Identity {
        code: JurisdictionCode::new("320585").unwrap(),
        name_zh: "太仓市".into(),
        name_en: "Taicang".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let node = Node::open(
        identity,
        NodeKey::from_seed([1; 32]),
        store,
        vec![],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap();
    node.declare().unwrap();
    node.publish_framework(f.clone()).unwrap();
    node.put_units(&units()).unwrap();
    (dir, node)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("appraisal");
    g.sample_size(10);

    let periods: Vec<String> = (0..40).map(|y| (1990 + y).to_string()).collect();
    let big = framework(50, &periods);
    let text = csv(50, &periods);
    let rows_n = UNITS * 50 * periods.len();
    eprintln!(
        "import: {rows_n} rows, {} MB of CSV",
        text.len() / 1_000_000
    );
    {
        // Where one import's time goes, printed once beside the figures.
        let (_dir, n) = node(&big);
        let t = std::time::Instant::now();
        let rows = rows_from_csv(text.as_bytes()).unwrap();
        let parse = t.elapsed();
        let units: std::collections::HashMap<_, _> = n
            .store()
            .units()
            .unwrap()
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let t = std::time::Instant::now();
        let checked = deltabench_node::local::check_rows(
            &rows,
            &units,
            std::slice::from_ref(&big),
            &Default::default(),
        )
        .unwrap();
        let check = t.elapsed();
        let t = std::time::Instant::now();
        n.store()
            .put_observations(&checked, "bench", n.now())
            .unwrap();
        let write = t.elapsed();
        let t = std::time::Instant::now();
        n.flush().unwrap();
        eprintln!(
            "import parts: csv {parse:?}, checks {check:?}, batch write {write:?}, flush {:?}",
            t.elapsed()
        );
    }
    g.throughput(Throughput::Elements(rows_n as u64));
    g.bench_function("import_1m", |b| {
        b.iter_batched(
            || node(&big),
            |(dir, n)| {
                let rows = rows_from_csv(text.as_bytes()).unwrap();
                let counts = n.import_observations(&rows, "bench").unwrap();
                assert_eq!(counts.inserted, rows_n);
                (dir, n)
            },
            BatchSize::PerIteration,
        )
    });

    let year = vec!["2025".to_string()];
    let wide = framework(60, &year);
    let (_wide_dir, n) = node(&wide);
    let rows = rows_from_csv(csv(60, &year).as_bytes()).unwrap();
    n.import_observations(&rows, "bench").unwrap();
    g.throughput(Throughput::Elements(UNITS as u64));
    g.bench_function("appraise_500x60", |b| {
        b.iter(|| {
            let (_, a) = n.appraisals(&wide.id, None, Period::Year(2025)).unwrap();
            assert_eq!(a.len(), UNITS);
        })
    });
    let t = std::time::Instant::now();
    let obs = ObservationSet::new(
        n.store()
            .observations(Some(&Period::Year(2025)), None, None)
            .unwrap(),
    );
    eprintln!("read 30k observations: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let fws = n.own_frameworks().unwrap();
    eprintln!("read {} frameworks: {:?}", fws.len(), t.elapsed());
    let t = std::time::Instant::now();
    let _ = n.store().units().unwrap();
    eprintln!("read units: {:?}", t.elapsed());
    let us = units();
    g.bench_function("engine_500x60", |b| {
        b.iter(|| {
            let a = deltabench_engine::appraisal::appraise(&wide, &us, &obs);
            assert_eq!(a.len(), UNITS);
        })
    });
    g.finish();
}

criterion_group!(appraisal, benches);
criterion_main!(appraisal);
