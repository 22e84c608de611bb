//! 12345 hotline requests at scale: importing a year of requests and
//! querying the heat map and the departments' figures over them.
//!
//! The benchmark opens a node on an on-disk store in a temporary
//! directory, with 30 departments, and generates N requests of 2025 (seeded:
//! 10 categories, 10 towns, GCJ-02 coordinates around Taicang, times in
//! UTC+8, with acknowledgements, closures, SLAs, results and ratings). It
//! measures, in the same run:
//!
//! - `parse_rows_per_s`: the rows checked and turned into requests
//!   (coordinates converted) without storing them, the baseline;
//! - `import_rows_per_s`: [`Node::import_tickets`], whole and durable, the
//!   index of the months it wrote included;
//! - the heat map of the year at resolution 8 and of one month and category
//!   at resolution 9, and the departments' figures of the year and of one
//!   month: the first of each after the import (`first`: it works out what
//!   the index keeps for that query), then RUNS more, p50 and p99 (the
//!   slowest of them) in milliseconds;
//! - a re-import of 1% of the requests, about half of them changed: every
//!   month they fall in is rewritten (`reimport`);
//! - a restart: the node reopened on the store, and its first query, which
//!   reads the index from the store (`restart_first_query_ms`).
//!
//! Goals (the hotline issue): import ≥ 200,000 rows/s; each query p99 ≤ 50
//! ms at 1,000,000 requests. It ends with one JSON line of every figure.
//!
//! ```text
//! cargo bench -p deltabench-node --bench hotline [-- N [RUNS]]
//! ```
//!
//! (defaults 1000000 and 10). Not part of any test run.

use deltabench_model::hotline::CoordSystem;
use deltabench_model::local::Unit;
use deltabench_model::{CategoryId, JurisdictionCode, Period, UnitId};
use deltabench_node::hotline::RawTicket;
use deltabench_node::{Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use std::sync::Arc;
use std::time::Instant;

const FRAMEWORK: &str = include_str!("../../engine/tests/data/small-framework.json");
const CATEGORIES: [&str; 10] = [
    "housing",
    "city_appearance",
    "noise",
    "roads",
    "environment",
    "market",
    "labour",
    "water",
    "education",
    "health",
];
const TOWNS: [(&str, f64, f64); 10] = [
    ("城厢镇", 31.455, 121.105),
    ("沙溪镇", 31.560, 121.060),
    ("浏河镇", 31.500, 121.260),
    ("浮桥镇", 31.600, 121.200),
    ("璜泾镇", 31.660, 121.100),
    ("双凤镇", 31.470, 121.020),
    ("娄东街道", 31.440, 121.130),
    ("陆渡街道", 31.470, 121.170),
    ("港区", 31.620, 121.250),
    ("科教新城", 31.430, 121.080),
];

/// SplitMix64, for seeded data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn stamp(minutes: u64) -> String {
    // Minutes since 2025-01-01 00:00 UTC+8, as YYYY-MM-DD HH:MM.
    const DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut day, hm) = (minutes / 1440, minutes % 1440);
    let (mut year, mut month) = (2025, 0);
    loop {
        if day < DAYS[month] {
            break;
        }
        day -= DAYS[month];
        month += 1;
        if month == 12 {
            month = 0;
            year += 1;
        }
    }
    format!(
        "{year}-{:02}-{:02} {:02}:{:02}",
        month + 1,
        day + 1,
        hm / 60,
        hm % 60
    )
}

fn rows(n: usize) -> Vec<RawTicket> {
    let mut rng = Rng(20251204);
    (0..n)
        .map(|i| {
            let (town, lat, long) = TOWNS[rng.below(10) as usize];
            let accepted = rng.below(364 * 1440);
            let ack = accepted + 1 + rng.below(240);
            let close = accepted + 30 + rng.below(7 * 1440);
            let mut cells = std::collections::BTreeMap::new();
            let mut put = |c: &'static str, v: String| {
                cells.insert(c, v);
            };
            put("id", format!("TC-{i:08}"));
            put("category", CATEGORIES[rng.below(10) as usize].into());
            put("town", town.into());
            put("department", format!("d{:02}", rng.below(30)));
            put("lat", format!("{:.6}", lat + (rng.unit() - 0.5) * 0.04));
            put("long", format!("{:.6}", long + (rng.unit() - 0.5) * 0.05));
            put("accepted_at", stamp(accepted));
            put("acknowledged_at", stamp(ack));
            if rng.below(30) != 0 {
                put("closed_at", stamp(close));
                put(
                    "result",
                    ["resolved", "resolved", "resolved", "explained"][rng.below(4) as usize].into(),
                );
                if rng.below(2) == 0 {
                    put("satisfaction", (1 + rng.below(5)).to_string());
                }
            }
            put("sla_due", stamp(accepted + 5 * 1440));
            RawTicket {
                row: i + 1,
                line: None,
                cells,
            }
        })
        .collect()
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let p50 = ms[ms.len() / 2];
    let p99 = ms[((ms.len() as f64 * 0.99).ceil() as usize).min(ms.len()) - 1];
    (p50, p99)
}

fn open_node(dir: &std::path::Path) -> Node {
    Node::open(
        Identity {
            code: JurisdictionCode::new("320585").expect("a code"),
            name_zh: "太仓市".into(),
            name_en: "Taicang".into(),
        },
        NodeKey::from_seed([7; 32]),
        Store::open_waiting(dir).expect("a store"),
        vec![],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .expect("a node")
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let node = open_node(dir.path());
    node.declare().expect("the declaration");
    let f = serde_json::from_str(FRAMEWORK).expect("the framework");
    node.publish_framework(f).expect("the framework published");
    let units: Vec<Unit> = (0..30)
        .map(|d| Unit {
            id: UnitId::new(format!("d{d:02}")).expect("an id"),
            name_zh: format!("部门{d}"),
            name_en: format!("Department {d}"),
            category: CategoryId::new("agency").expect("a category"),
        })
        .collect();
    node.put_units(&units).expect("the units");

    let started = Instant::now();
    let mut data = rows(n);
    eprintln!(
        "generated {n} requests in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let parsed = node
        .check_tickets(&data, CoordSystem::Gcj02)
        .expect("every row is valid");
    let parse_s = started.elapsed().as_secs_f64();
    drop(parsed);
    let started = Instant::now();
    let stored = node
        .import_tickets(&data, CoordSystem::Gcj02, "bench")
        .expect("the import");
    let import_s = started.elapsed().as_secs_f64();
    assert_eq!(stored.inserted, n);
    let parse_rate = n as f64 / parse_s;
    let import_rate = n as f64 / import_s;
    println!(
        "{n} requests: checked and converted at {parse_rate:.0} rows/s, imported (durable) at {import_rate:.0} rows/s ({import_s:.2} s)"
    );

    let year = Period::Year(2025);
    let june = Period::Month(2025, 6);
    let heat_year = || {
        node.hotline_heatmap(year, None, 8).expect("the heat map");
    };
    let heat_month = || {
        node.hotline_heatmap(june, Some("noise"), 9)
            .expect("the heat map");
    };
    let dept_year = || {
        node.hotline_departments(year).expect("the departments");
    };
    let dept_month = || {
        node.hotline_departments(june).expect("the departments");
    };
    let queries: [(&str, &dyn Fn()); 4] = [
        ("heat map, 2025, resolution 8", &heat_year),
        ("heat map, 2025-06, noise, resolution 9", &heat_month),
        ("departments, 2025", &dept_year),
        ("departments, 2025-06", &dept_month),
    ];
    // The first of each query after the import: it works out what the
    // index keeps for that query (the import indexed the requests).
    let cold: Vec<f64> = queries
        .iter()
        .map(|(_, q)| {
            let t = Instant::now();
            q();
            ms_since(t)
        })
        .collect();
    // Then the same queries again, RUNS times each.
    let warm: Vec<(f64, f64)> = queries
        .iter()
        .zip(&cold)
        .map(|((what, q), cold)| {
            let ms: Vec<f64> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    q();
                    ms_since(t)
                })
                .collect();
            let (p50, p99) = percentiles(ms);
            println!("{what:<40} first {cold:>8.1} ms, then p50 {p50:>7.1} ms  p99 {p99:>7.1} ms");
            (p50, p99)
        })
        .collect();

    // A re-import of 1% of the requests, half of them changed: the months
    // they are in are rewritten and indexed anew.
    let k = (n / 100).max(1);
    for raw in data.iter_mut().take(k).step_by(2) {
        raw.cells.insert("satisfaction", "3".into());
    }
    let started = Instant::now();
    let again = node
        .import_tickets(&data[..k], CoordSystem::Gcj02, "bench")
        .expect("the re-import");
    let reimport_ms = ms_since(started);
    assert_eq!(again.inserted, 0);
    let t = Instant::now();
    heat_year();
    dept_year();
    let after_reimport_ms = ms_since(t);
    println!(
        "re-import of {k} requests ({} changed): {reimport_ms:.0} ms; then the year's heat map and departments {after_reimport_ms:.1} ms",
        again.updated
    );
    drop(data);

    // A restart: the index is read from the store by the first query.
    drop(node);
    let started = Instant::now();
    let node = open_node(dir.path());
    let open_ms = ms_since(started);
    let started = Instant::now();
    node.hotline_heatmap(year, None, 8).expect("the heat map");
    let restart_ms = ms_since(started);
    println!(
        "restart: store and node opened in {open_ms:.0} ms; first heat map (reads the index) {restart_ms:.0} ms"
    );

    let figure = |(p50, p99): (f64, f64), cold: f64| {
        let r = |x: f64| (x * 10.0).round() / 10.0;
        serde_json::json!({"first": r(cold), "p50": r(p50), "p99": r(p99)})
    };
    println!(
        "{}",
        serde_json::json!({
            "bench": "hotline",
            "requests": n,
            "runs": runs,
            "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "parse_rows_per_s": parse_rate.round(),
            "import_rows_per_s": import_rate.round(),
            "import_goal_rows_per_s": 200_000,
            "heatmap_year_ms": figure(warm[0], cold[0]),
            "heatmap_month_category_ms": figure(warm[1], cold[1]),
            "departments_year_ms": figure(warm[2], cold[2]),
            "departments_month_ms": figure(warm[3], cold[3]),
            "query_goal_p99_ms": 50,
            "reimport": {"requests": k, "changed": again.updated, "ms": reimport_ms.round()},
            "restart_first_query_ms": restart_ms.round(),
        })
    );
}
