//! The comparison engine on the generated federation of `common`, timed so
//! that `scripts/vs_pandas.py` can set the same computation in pandas beside
//! it.
//!
//! Writes the documents as CSV files into the output directory, then times,
//! over several runs: cloning the inputs (not counted), building the
//! [`Catalogue`], and comparing every one of the 200 reference indicators for
//! 2025 (each comparison also finds the 2024 value, as `compare` does). It
//! writes the rows of the last run's comparisons to `rust_results.csv` and
//! prints the timings as one JSON line.
//!
//! `cargo bench -p deltabench-engine --bench vs_pandas -- DIR`
//! (or `VS_PANDAS_DIR=DIR`; by default `deltabench-vs_pandas` in the
//! temporary directory); `VS_PANDAS_RUNS` sets the number of runs (5).
//!
//! Files written (one header line each; an absent value is an empty field):
//!
//! - `units.csv`: unit, dimension, factor (the transform unit table);
//! - `alliances.csv`: alliance, version, reference_framework, quorum;
//! - `members.csv`: alliance, jurisdiction;
//! - `frameworks.csv`: hash, issuer, seq, issued_at, framework, version,
//!   owner_kind, owner;
//! - `reference.csv`: framework, indicator, unit, direction, target, min, max
//!   (the reference framework's indicators);
//! - `summaries.csv`: hash, jurisdiction, seq, framework, version, period,
//!   indicator, value (one line per indicator of a summary);
//! - `crosswalks.csv`: hash, id, version, issuer, seq, issued_at,
//!   source_framework, source_versions, source_indicator, target_framework,
//!   target_indicator, relation, transform_from, transform_to, valid_from,
//!   valid_to, confidence;
//! - `endorsements.csv`: hash, endorser, seq, crosswalk_id, crosswalk_hash,
//!   decision;
//! - `rust_results.csv`: indicator, jurisdiction, value, source_value, rank,
//!   z, min_max, dtf, peer_median, previous_value, change, flags (`;`
//!   between flags); `dtf` is the distance to the frontier in the
//!   indicator's unit.

mod common;

use common::{INDICATORS, MEMBERS};
use deltabench_engine::compare::{Catalogue, Inputs};
use deltabench_engine::transform;
use deltabench_engine::view::{Doc, View};
use deltabench_model::comparison::Comparison;
use deltabench_model::documents::{Decision, Direction, Owner, Relation, TransformStep};
use deltabench_model::{FrameworkId, IndicatorRef, Period, Value};
use serde_json::json;
use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The period compared; the previous one is found by `compare` itself.
const PERIOD: u16 = 2025;

fn main() {
    let dir = out_dir();
    fs::create_dir_all(&dir).expect("create the output directory");
    let runs: usize = std::env::var("VS_PANDAS_RUNS")
        .ok()
        .map(|v| v.parse().expect("VS_PANDAS_RUNS is a number"))
        .unwrap_or(5)
        .max(1);

    let inputs = common::inputs();
    let started = Instant::now();
    write_dataset(&dir, &inputs);
    let write_ms = ms(started.elapsed());

    let refs: Vec<IndicatorRef> = (0..INDICATORS)
        .map(|k| IndicatorRef::parse(&format!("yrd.all/r{k}")).unwrap())
        .collect();
    let period = Period::Year(PERIOD);
    let mut clone = Vec::new();
    let mut build = Vec::new();
    let mut compare_all = Vec::new();
    let mut total = Vec::new();
    let mut compare_par = Vec::new();
    let mut total_par = Vec::new();
    let mut last: Vec<Comparison> = Vec::new();
    let mut view = None;
    for _ in 0..runs {
        let t = Instant::now();
        let copy = black_box(inputs.clone());
        clone.push(ms(t.elapsed()));

        let t = Instant::now();
        let v = black_box(View::build(copy));
        let b = ms(t.elapsed());

        let t = Instant::now();
        let results: Vec<Comparison> = refs
            .iter()
            .map(|r| v.compare(r, period, false).expect("comparison"))
            .collect();
        let results = black_box(results);
        let c = ms(t.elapsed());

        // The same comparisons on all cores, as concurrent requests are.
        let t = Instant::now();
        let parallel = black_box(v.compare_all(&refs, period, false));
        let p = ms(t.elapsed());
        assert!(parallel.iter().all(Result::is_ok));
        drop(parallel);

        build.push(b);
        compare_all.push(c);
        compare_par.push(p);
        total.push(b + c);
        total_par.push(b + p);
        // The previous run's results and view are dropped here, outside the
        // timed sections.
        last = results;
        view = Some(v);
    }
    let mut view = view.expect("at least one run");

    // The engine that rebuilds from every document (the oracle of the
    // property tests), once, on the same data: its answers must be the same
    // bytes.
    let t = Instant::now();
    let catalogue = Catalogue::build(inputs.clone());
    let oracle_build = ms(t.elapsed());
    let t = Instant::now();
    let oracle: Vec<Comparison> = refs
        .iter()
        .map(|r| catalogue.compare(r, period, false).expect("comparison"))
        .collect();
    let oracle_compare = ms(t.elapsed());
    let same = oracle.len() == last.len()
        && oracle.iter().zip(&last).all(|(a, b)| {
            serde_json::to_vec(a).expect("serialise") == serde_json::to_vec(b).expect("serialise")
        });
    assert!(same, "the view and the full build disagree");
    drop((catalogue, oracle));

    // What a node adds to a comparison it has not cached: the JSON bytes
    // and their BLAKE3 hash (the ETag).
    let t = Instant::now();
    for c in &last {
        let json = black_box(serde_json::to_vec(c).expect("serialise"));
        black_box(blake3::hash(&json));
    }
    let answer_json_ms = ms(t.elapsed());
    let apply = apply_latencies(&mut view, &inputs);
    let rows = write_results(&dir.join("rust_results.csv"), &last);
    let line = json!({
        "bench": "vs_pandas",
        "dir": dir.display().to_string(),
        "runs": runs,
        "members": MEMBERS,
        "indicators": INDICATORS,
        "period": period.to_string(),
        "rows": rows,
        "documents": {
            "frameworks": inputs.frameworks.len(),
            "summaries": inputs.summaries.len(),
            "crosswalks": inputs.crosswalks.len(),
            "endorsements": inputs.endorsements.len(),
        },
        "write_csv_ms": write_ms,
        "view_documents": view.documents(),
        "comparison_json_bytes": serde_json::to_vec(&last[0]).expect("serialise").len(),
        "identical_to_full_build": same,
        "answer_json_ms": answer_json_ms,
        "full_build_ms": oracle_build,
        "full_build_compare_all_ms": oracle_compare,
        "apply": apply,
        "clone_ms": clone,
        "build_ms": build,
        "compare_all_ms": compare_all,
        "total_ms": total,
        "threads": rayon::current_num_threads(),
        "compare_all_parallel_ms": compare_par,
        "total_parallel_ms": total_par,
        "median": {
            "clone_ms": median(&clone),
            "build_ms": median(&build),
            "compare_all_ms": median(&compare_all),
            "total_ms": median(&total),
            "compare_all_parallel_ms": median(&compare_par),
            "total_parallel_ms": median(&total_par),
        },
    });
    println!("{line}");
}

/// The output directory: the first argument that is not an option (cargo
/// passes `--bench`), else `VS_PANDAS_DIR`, else `deltabench-vs_pandas` in
/// the system's temporary directory (cargo runs a bench from its package
/// directory, so a relative default would land in the source tree).
fn out_dir() -> PathBuf {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .or_else(|| std::env::var("VS_PANDAS_DIR").ok())
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("deltabench-vs_pandas"))
}

/// Applies new documents one at a time to the full view and times each:
/// per kind, 1,000 each of summaries (a member's next summary of 2025),
/// endorsements (of existing crosswalks), crosswalk versions (superseding a
/// member's crosswalk) and new crosswalk ids, applied interleaved, plus 20
/// framework versions of members and one new reference framework version.
/// Returns p50, p99 and max per kind and over all, in microseconds.
fn apply_latencies(view: &mut View, inputs: &Inputs) -> serde_json::Value {
    const EACH: usize = 1_000;
    let mut seqs = std::collections::HashMap::new();
    let mut next_seq = |issuer: &deltabench_model::JurisdictionCode| {
        let s = seqs.entry(issuer.clone()).or_insert(1_000_000u64);
        *s += 1;
        *s
    };
    let mut n = 0u64;
    let mut fresh_hash = || {
        n += 1;
        let mut b = [0xabu8; 32];
        b[..8].copy_from_slice(&n.to_be_bytes());
        deltabench_model::DocHash::from_bytes(b)
    };
    let mut docs: Vec<(&str, Doc)> = Vec::new();
    let last_summaries: Vec<_> = inputs
        .summaries
        .iter()
        .filter(|s| s.payload.period == Period::Year(PERIOD))
        .collect();
    for k in 0..EACH {
        let mut s = last_summaries[k % last_summaries.len()].clone();
        s.seq = next_seq(&s.issuer);
        s.hash = fresh_hash();
        if let Some(v) = s.payload.indicators[k % INDICATORS].value.as_mut() {
            *v = Value::new(v.get() * 0.99).unwrap();
        }
        docs.push(("summary", Doc::Summary(s)));

        let c = &inputs.crosswalks[(k * 59) % inputs.crosswalks.len()];
        let mut e = inputs.endorsements[0].clone();
        e.issuer = common::code((k * 7) % MEMBERS);
        e.seq = next_seq(&e.issuer);
        e.hash = fresh_hash();
        e.payload.crosswalk = c.payload.id.clone();
        e.payload.crosswalk_hash = c.hash.clone();
        e.payload.decision = if k % 5 == 0 {
            Decision::Reject
        } else {
            Decision::Accept
        };
        docs.push(("endorsement", Doc::Endorsement(e)));

        let mut v2 = inputs.crosswalks[(k * 61 + 7) % inputs.crosswalks.len()].clone();
        v2.seq = next_seq(&v2.issuer);
        v2.hash = fresh_hash();
        v2.payload.version += 1 + k as u32;
        docs.push(("crosswalk_version", Doc::Crosswalk(v2)));

        let mut c = inputs.crosswalks[(k * 67 + 3) % inputs.crosswalks.len()].clone();
        c.seq = next_seq(&c.issuer);
        c.hash = fresh_hash();
        c.payload.id = format!("new.x{k}").parse().unwrap();
        docs.push(("crosswalk_new", Doc::Crosswalk(c)));
    }
    for k in 0..20 {
        let mut f = inputs.frameworks[1 + k].clone();
        f.seq = next_seq(&f.issuer);
        f.hash = fresh_hash();
        f.payload.version = semver::Version::new(1, 1, 0);
        docs.push(("framework", Doc::Framework(f)));
    }
    let mut f = inputs.frameworks[0].clone();
    f.seq = next_seq(&f.issuer);
    f.hash = fresh_hash();
    f.payload.version = semver::Version::new(1, 1, 0);
    docs.push(("reference_framework", Doc::Framework(f)));

    let mut by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut all = Vec::new();
    for (kind, doc) in docs {
        let t = Instant::now();
        view.apply(doc);
        let us = t.elapsed().as_secs_f64() * 1e6;
        by_kind.entry(kind).or_default().push(us);
        all.push(us);
    }
    let figures = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        json!({"n": v.len(), "p50_us": at(0.5), "p99_us": at(0.99), "max_us": at(1.0)})
    };
    let mut out = serde_json::Map::new();
    for (k, mut v) in by_kind {
        out.insert(k.to_string(), figures(&mut v));
    }
    out.insert("all".into(), figures(&mut all));
    out.insert("held_before".into(), json!(view.documents() - all.len()));
    serde_json::Value::Object(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The median, the mean of the two middle values for an even count.
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A CSV file being assembled: fields hold no commas, quotes or line breaks
/// (codes, ids, hashes and numbers), which `line` checks.
struct Csv {
    text: String,
}

impl Csv {
    fn new(header: &str) -> Self {
        Self {
            text: format!("{header}\n"),
        }
    }

    fn line(&mut self, fields: &[&dyn std::fmt::Display]) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            let start = self.text.len();
            write!(self.text, "{f}").unwrap();
            assert!(
                !self.text[start..].contains([',', '"', '\n', '\r']),
                "a field needs quoting: {}",
                &self.text[start..]
            );
        }
        self.text.push('\n');
    }

    fn save(self, path: &Path) {
        fs::write(path, self.text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// An optional field: empty when absent.
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::HigherIsBetter => "higher_is_better",
        Direction::LowerIsBetter => "lower_is_better",
        Direction::ClosestToTarget => "closest_to_target",
    }
}

fn relation(r: Relation) -> &'static str {
    match r {
        Relation::Exact => "exact",
        Relation::Close => "close",
        Relation::Broad => "broad",
        Relation::Narrow => "narrow",
        Relation::Related => "related",
    }
}

fn write_dataset(dir: &Path, inputs: &Inputs) {
    let mut units = Csv::new("unit,dimension,factor");
    for u in transform::units() {
        units.line(&[&u.name, &u.dimension, &u.factor]);
    }
    units.save(&dir.join("units.csv"));

    let mut alliances = Csv::new("alliance,version,reference_framework,quorum");
    let mut members = Csv::new("alliance,jurisdiction");
    for a in &inputs.alliances {
        alliances.line(&[
            &a.id,
            &a.version,
            &opt(a.reference_framework.as_ref()),
            &opt(a.recognition_quorum),
        ]);
        for m in &a.members {
            members.line(&[&a.id, m]);
        }
    }
    alliances.save(&dir.join("alliances.csv"));
    members.save(&dir.join("members.csv"));

    let mut frameworks = Csv::new("hash,issuer,seq,issued_at,framework,version,owner_kind,owner");
    let mut reference = Csv::new("framework,indicator,unit,direction,target,min,max");
    let reference_ids: Vec<&FrameworkId> = inputs
        .alliances
        .iter()
        .filter_map(|a| a.reference_framework.as_ref())
        .collect();
    for f in &inputs.frameworks {
        let p = &f.payload;
        let (kind, owner) = match &p.owner {
            Owner::Jurisdiction(c) => ("jurisdiction", c.to_string()),
            Owner::Alliance(a) => ("alliance", a.to_string()),
        };
        frameworks.line(&[
            &f.hash,
            &f.issuer,
            &f.seq,
            &f.issued_at.unix(),
            &p.id,
            &p.version,
            &kind,
            &owner,
        ]);
        if reference_ids.contains(&&p.id) {
            for i in &p.indicators {
                reference.line(&[
                    &p.id,
                    &i.code,
                    &i.unit,
                    &direction(i.direction),
                    &opt(i.target.map(Value::get)),
                    &opt(i.range.map(|r| r.min.get())),
                    &opt(i.range.map(|r| r.max.get())),
                ]);
            }
        }
    }
    frameworks.save(&dir.join("frameworks.csv"));
    reference.save(&dir.join("reference.csv"));

    let mut summaries = Csv::new("hash,jurisdiction,seq,framework,version,period,indicator,value");
    for s in &inputs.summaries {
        let p = &s.payload;
        for i in &p.indicators {
            summaries.line(&[
                &s.hash,
                &s.issuer,
                &s.seq,
                &p.framework,
                &p.version,
                &p.period,
                &i.indicator,
                &opt(i.value.map(Value::get)),
            ]);
        }
    }
    summaries.save(&dir.join("summaries.csv"));

    let mut crosswalks = Csv::new(
        "hash,id,version,issuer,seq,issued_at,source_framework,source_versions,\
         source_indicator,target_framework,target_indicator,relation,transform_from,\
         transform_to,valid_from,valid_to,confidence",
    );
    for c in &inputs.crosswalks {
        let p = &c.payload;
        let [TransformStep::Unit { from, to }] = p.transform.as_slice() else {
            panic!("the CSV form holds one unit step; {} has another", p.id);
        };
        crosswalks.line(&[
            &c.hash,
            &p.id,
            &p.version,
            &c.issuer,
            &c.seq,
            &c.issued_at.unix(),
            &p.source.framework,
            &p.source.versions,
            &p.source.indicator,
            &p.target.framework,
            &p.target.code,
            &relation(p.relation),
            from,
            to,
            &opt(p.valid_from),
            &opt(p.valid_to),
            &p.confidence.get(),
        ]);
    }
    crosswalks.save(&dir.join("crosswalks.csv"));

    let mut endorsements = Csv::new("hash,endorser,seq,crosswalk_id,crosswalk_hash,decision");
    for e in &inputs.endorsements {
        let decision = match e.payload.decision {
            Decision::Accept => "accept",
            Decision::Reject => "reject",
        };
        endorsements.line(&[
            &e.hash,
            &e.issuer,
            &e.seq,
            &e.payload.crosswalk,
            &e.payload.crosswalk_hash,
            &decision,
        ]);
    }
    endorsements.save(&dir.join("endorsements.csv"));
}

/// Writes every row of the comparisons; returns how many.
fn write_results(path: &Path, comparisons: &[Comparison]) -> usize {
    let mut out = Csv::new(
        "indicator,jurisdiction,value,source_value,rank,z,min_max,dtf,peer_median,\
         previous_value,change,flags",
    );
    let mut n = 0;
    for c in comparisons {
        for r in &c.rows {
            let flags: Vec<&str> = r.flags.iter().map(|f| f.as_str()).collect();
            out.line(&[
                &c.indicator,
                &r.jurisdiction,
                &r.value.get(),
                &r.source_value.get(),
                &opt(r.rank),
                &opt(r.z_score.map(Value::get)),
                &opt(r.minmax.map(Value::get)),
                &opt(r.distance_to_frontier.map(Value::get)),
                &opt(r.peer_median.map(Value::get)),
                &opt(r.previous_value.map(Value::get)),
                &opt(r.change.map(Value::get)),
                &flags.join(";"),
            ]);
            n += 1;
        }
    }
    out.save(path);
    n
}
