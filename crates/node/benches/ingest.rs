//! Documents verified and stored per second, next to raw `verify_strict` in
//! the same run.
//!
//! - `verify_strict`: ed25519-dalek's strict verification of one signature over
//!   a message of the same size as the documents, with the key already parsed:
//!   the floor that every document pays.
//! - `verify_batch_64`: ed25519-dalek's `verify_batch` over the same
//!   signatures, 64 at a time. Measured only: it accepts signatures that
//!   `verify_strict` refuses (`crates/trust/tests/batch_verify.rs`), so no
//!   document is accepted by it.
//! - `decode`: everything a document needs before it may be stored, on one
//!   core: JSON parse, RFC 8785 canonical bytes, strict signature, typed
//!   payload checks.
//!   `parts/*` time three steps alone; `parts/schema_check` is the shipped
//!   JSON Schema pass, which the typed checks replaced on this path.
//! - `ingest_bundle`: decode, membership, chain, sled transaction for 1,000
//!   documents, then one flush (as `POST /api/v1/bundle` does).
//! - `ingest_flush_each`: one document, then a flush, as a durable single
//!   acknowledgement costs.
//!
//! - `paired` (after the criterion groups): raw `verify_strict` and
//!   `ingest_bundle` timed in turn for 15 rounds (`DELTABENCH_INGEST_ROUNDS`),
//!   with the CPU time ingest took per document, so that each ratio compares
//!   figures taken moments apart. It ends with one JSON line.
//!
//! Run: `cargo bench -p deltabench-node --bench ingest`
//! (`DELTABENCH_INGEST_PAIRED_ONLY=1` for the paired rounds alone).

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use deltabench_model::documents::{Distribution, IndicatorSummary, JurisdictionDecl, Summary};
use deltabench_model::{JurisdictionCode, Period, Timestamp, Value};
use deltabench_store::Store;
use deltabench_trust::{DOCUMENT_DOMAIN, Document, Header, Limits, NodeKey};
use ed25519_dalek::{Signer, SigningKey, verify_batch};

mod common;
use common::{NOW, code, node};

const CHAIN_LEN: usize = 1_000;

fn v(x: f64) -> Value {
    Value::new(x).unwrap()
}

/// A summary of 20 indicators with distributions: a realistic document.
fn summary(i: usize) -> Summary {
    Summary {
        framework: "kunshan.perf".parse().unwrap(),
        version: semver::Version::new(2, 0, 0),
        period: Period::Year(2025),
        k: 3,
        indicators: (0..20)
            .map(|n| IndicatorSummary {
                indicator: format!("ind_{n:02}").parse().unwrap(),
                value: Some(v(90.0 + n as f64 / 10.0 + i as f64 / 1000.0)),
                contributors: 12,
                distribution: Some(Distribution {
                    count: 12,
                    min: v(80.5),
                    q1: v(85.25),
                    median: v(90.0),
                    q3: v(94.75),
                    max: v(99.5),
                    mean: v(89.9),
                    sd: v(5.25),
                }),
                withheld: None,
            })
            .collect(),
        grades: vec![],
        supersedes: None,
    }
}

fn chain(key: &NodeKey, issuer: &JurisdictionCode) -> Vec<Vec<u8>> {
    let mut out: Vec<Document> = Vec::with_capacity(CHAIN_LEN);
    for i in 0..CHAIN_LEN {
        let header = Header {
            issuer: issuer.clone(),
            seq: i as u64 + 1,
            prev: out.last().map(|d| d.hash().clone()),
            issued_at: Timestamp::from_unix(NOW - 1000 + i as i64).unwrap(),
        };
        let doc = if i == 0 {
            let decl = JurisdictionDecl {
                code: issuer.clone(),
                name_zh: "昆山市".into(),
                name_en: "Kunshan".into(),
                public_key: key.public_hex(),
            };
            Document::sign(key, header, &decl)
        } else {
            Document::sign(key, header, &summary(i))
        };
        out.push(doc.unwrap());
    }
    out.into_iter().map(|d| d.bytes().to_vec()).collect()
}

fn benches(c: &mut Criterion) {
    let kunshan = NodeKey::from_seed([2; 32]);
    let docs = chain(&kunshan, &code("320583"));
    let mean_len = docs.iter().map(Vec::len).sum::<usize>() / docs.len();
    eprintln!(
        "documents: {} summaries of {mean_len} bytes on average",
        docs.len()
    );

    let mut g = c.benchmark_group("documents");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(5));

    // The floor: strict verification alone, key parsed once.
    let raw = SigningKey::from_bytes(&kunshan.seed());
    let vk = raw.verifying_key();
    let message = [DOCUMENT_DOMAIN, &docs[5][..]].concat();
    let sig = raw.sign(&message);
    g.throughput(Throughput::Elements(CHAIN_LEN as u64));
    g.bench_function("verify_strict", |b| {
        b.iter(|| {
            for _ in 0..CHAIN_LEN {
                vk.verify_strict(std::hint::black_box(&message), &sig)
                    .unwrap();
            }
        })
    });

    // Batch verification of the same signatures, 64 at a time.
    const BATCH: usize = 64;
    let messages: Vec<&[u8]> = vec![&message[..]; BATCH];
    let sigs = vec![sig; BATCH];
    let keys = vec![vk; BATCH];
    g.bench_function("verify_batch_64", |b| {
        b.iter(|| {
            for start in (0..CHAIN_LEN).step_by(BATCH) {
                let n = BATCH.min(CHAIN_LEN - start);
                verify_batch(std::hint::black_box(&messages[..n]), &sigs[..n], &keys[..n]).unwrap();
            }
        })
    });

    // Parts of decode, to see where its time goes.
    g.bench_function("parts/parse_json", |b| {
        b.iter(|| {
            for d in &docs {
                let _: serde_json::Value = serde_json::from_slice(std::hint::black_box(d)).unwrap();
            }
        })
    });
    let values: Vec<serde_json::Value> = docs
        .iter()
        .map(|d| serde_json::from_slice(d).unwrap())
        .collect();
    g.bench_function("parts/schema_check", |b| {
        b.iter(|| {
            for v in &values {
                deltabench_trust::schemas::check_envelope(std::hint::black_box(v)).unwrap();
            }
        })
    });
    g.bench_function("parts/canonical", |b| {
        b.iter(|| {
            for v in &values {
                std::hint::black_box(deltabench_trust::canonical::canonical(v).unwrap());
            }
        })
    });

    g.bench_function("parts/canonical_scan", |b| {
        b.iter(|| {
            for d in &docs {
                std::hint::black_box(deltabench_trust::canonical::canonical_shape(d).unwrap());
            }
        })
    });
    #[derive(serde::Deserialize)]
    struct Outer<'a> {
        #[serde(borrow)]
        payload: &'a serde_json::value::RawValue,
    }
    let payloads: Vec<&str> = docs[1..]
        .iter()
        .map(|d| serde_json::from_slice::<Outer>(d).unwrap().payload.get())
        .collect();
    g.bench_function("parts/typed_payload", |b| {
        b.iter(|| {
            for p in &payloads {
                let s: Summary = serde_json::from_str(std::hint::black_box(p)).unwrap();
                std::hint::black_box(s);
            }
        })
    });

    g.bench_function("decode", |b| {
        b.iter(|| {
            for d in &docs {
                Document::decode(std::hint::black_box(d), &Limits::default()).unwrap();
            }
        })
    });

    // The same on every core: the ceiling for a batch's decode.
    g.bench_function("decode_all_cores", |b| {
        use rayon::prelude::*;
        b.iter(|| {
            docs.par_iter().for_each(|d| {
                Document::decode(std::hint::black_box(d), &Limits::default()).unwrap();
            })
        })
    });
    g.bench_function("verify_strict_all_cores", |b| {
        use rayon::prelude::*;
        b.iter(|| {
            (0..CHAIN_LEN).into_par_iter().for_each(|_| {
                vk.verify_strict(std::hint::black_box(&message), &sig)
                    .unwrap();
            })
        })
    });

    let refs: Vec<&[u8]> = docs.iter().map(|d| d.as_slice()).collect();
    g.bench_function("ingest_bundle", |b| {
        b.iter_batched(
            || node(Store::open_temporary().unwrap()),
            |n| {
                let report = n.ingest_bundle(&refs, "bench").unwrap();
                assert_eq!(report.accepted, CHAIN_LEN);
                // Dropped outside the timing: closing the store is not ingest.
                n
            },
            BatchSize::PerIteration,
        )
    });

    const FLUSHED: usize = 50;
    g.throughput(Throughput::Elements(FLUSHED as u64));
    g.bench_function("ingest_flush_each", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let n = node(Store::open(dir.path()).unwrap());
                (dir, n)
            },
            |(_dir, n)| {
                for d in &refs[..FLUSHED] {
                    n.ingest(d, "bench").unwrap();
                    n.flush().unwrap();
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Raw `verify_strict` and `ingest_bundle` timed in turn, round after
/// round, so that each ratio compares two figures taken moments apart (this
/// machine's speed drifts over minutes). Prints each round, then one JSON
/// line with the medians.
fn paired() {
    let rounds: usize = std::env::var("DELTABENCH_INGEST_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let kunshan = NodeKey::from_seed([2; 32]);
    let docs = chain(&kunshan, &code("320583"));
    let refs: Vec<&[u8]> = docs.iter().map(|d| d.as_slice()).collect();
    let raw = SigningKey::from_bytes(&kunshan.seed());
    let vk = raw.verifying_key();
    let message = [DOCUMENT_DOMAIN, &docs[5][..]].concat();
    let sig = raw.sign(&message);
    let per_s = |d: std::time::Duration| CHAIN_LEN as f64 / d.as_secs_f64();
    let (mut verify, mut ingest, mut ratio, mut cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let t = std::time::Instant::now();
        for _ in 0..CHAIN_LEN {
            vk.verify_strict(std::hint::black_box(&message), &sig)
                .unwrap();
        }
        let v = per_s(t.elapsed());
        let n = node(Store::open_temporary().unwrap());
        let (t, c) = (std::time::Instant::now(), cpu_secs());
        let report = n.ingest_bundle(&refs, "bench").unwrap();
        let i = per_s(t.elapsed());
        let cpu_us = (cpu_secs() - c) * 1e6 / CHAIN_LEN as f64;
        assert_eq!(report.accepted, CHAIN_LEN);
        drop(n);
        eprintln!(
            "paired round {round}: verify_strict {v:.0}/s, ingest_bundle {i:.0}/s \
             ({cpu_us:.0} us CPU a document), ratio {:.3}",
            i / v
        );
        cpu.push(cpu_us);
        verify.push(v);
        ingest.push(i);
        ratio.push(i / v);
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let (lo, hi) = ratio
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    println!(
        "{{\"bench\":\"ingest_paired\",\"rounds\":{rounds},\"documents\":{CHAIN_LEN},\"verify_strict_per_s\":{:.0},\"ingest_bundle_per_s\":{:.0},\"ingest_cpu_us_per_doc\":{:.0},\"ratio_median\":{:.3},\"ratio_min\":{lo:.3},\"ratio_max\":{hi:.3}}}",
        median(verify),
        median(ingest),
        median(cpu),
        median(ratio)
    );
}

/// CPU seconds (user and system) this process has used.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

criterion_group!(ingest, benches);

fn main() {
    // `DELTABENCH_INGEST_PAIRED_ONLY=1` skips the criterion groups.
    if std::env::var_os("DELTABENCH_INGEST_PAIRED_ONLY").is_none() {
        ingest();
        Criterion::default().configure_from_args().final_summary();
    }
    paired();
}
