//! Fault scenarios on a real node process.
//!
//! Crash: a writer streams acknowledged writes (observation corrections; in
//! every ten writes, one summary publication and one bundle import of three
//! documents of another member's chain) while the node is killed with SIGKILL
//! after a random number of acknowledgements. After each restart every
//! acknowledged write must be there: the current value of each observation is
//! the last acknowledged one (or the write that was in flight at the kill),
//! every acknowledged summary is held under its hash, and every imported
//! document of an acknowledged bundle is held.
//!
//! `DELTABENCH_CRASH_CYCLES` sets the number of cycles (default 5, sized for
//! CI; `scripts/faults.sh crash` runs 50) and `DELTABENCH_CRASH_SEED` the
//! seed of the kill points.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

/// (unit, indicator, period)
type Key = (String, String, String);

/// One write the node acknowledged, or the one in flight at the kill.
#[derive(Debug, Clone)]
enum Write {
    Observation(Key, f64),
    Summary(String),
    /// A bundle import; the number of chain documents held once it is done.
    Bundle(usize),
}

/// Documents of another member's chain, imported three at a time.
const BUNDLE_DOCS: usize = 3;

/// xorshift64*: the kill points, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn observations(p: &Proc, token: &str) -> BTreeMap<Key, f64> {
    let (s, v) = get(p, "/api/v1/observations?period=2025", token);
    assert_eq!(s, 200, "{v}");
    v["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let key = (
                o["unit"].as_str()?.to_owned(),
                o["indicator"].as_str()?.to_owned(),
                o["period"].as_str()?.to_owned(),
            );
            Some((key, o["value"].as_f64()?))
        })
        .collect()
}

/// Streams writes until the node stops answering; sends each acknowledged
/// write, and returns the one in flight when the connection failed.
fn writer(
    api: String,
    token: String,
    keys: Vec<(Key, f64)>,
    chain: std::sync::Arc<Vec<Vec<u8>>>,
    mut imported: usize,
    first: u64,
    acks: mpsc::Sender<Write>,
) -> Option<Write> {
    let client = http();
    for n in first.. {
        let write = if n % 10 == 9 {
            Write::Summary(String::new())
        } else if n % 10 == 4 && imported < chain.len() {
            Write::Bundle((imported + BUNDLE_DOCS).min(chain.len()))
        } else {
            // A value just below the original, so it stays in the
            // indicator's range, and distinct for every write of a key.
            let (key, original) = keys[(n as usize) % keys.len()].clone();
            Write::Observation(key, original * (1.0 - (n % 1000) as f64 / 100_000.0))
        };
        let req = match &write {
            Write::Observation((unit, indicator, period), value) => client
                .post(format!("{api}/api/v1/observations"))
                .json(&json!([{"unit": unit, "indicator": indicator, "period": period, "value": value}])),
            Write::Bundle(upto) => client
                .post(format!("{api}/api/v1/bundle"))
                .header("content-type", "application/json")
                .body(bundle_of(&chain[imported..*upto])),
            Write::Summary(_) => client.post(format!("{api}/api/v1/summaries")).json(&json!({
                "framework": "taicang.hqd", "version": "1.0.0", "period": "2025",
                "reason": format!("correction {n}"),
            })),
        };
        let resp = match req.bearer_auth(&token).send() {
            Ok(r) => r,
            Err(_) => return Some(write),
        };
        let status = resp.status().as_u16();
        let Ok(body) = resp.json::<Value>() else {
            return Some(write);
        };
        assert!(status == 201 || status == 200, "{status}: {body}");
        let acked = match write {
            Write::Summary(_) => Write::Summary(body["hash"].as_str().unwrap().to_owned()),
            Write::Bundle(upto) => {
                assert!(
                    body["rejected"].as_array().is_some_and(Vec::is_empty),
                    "{body}"
                );
                imported = upto;
                Write::Bundle(upto)
            }
            w => w,
        };
        if acks.send(acked).is_err() {
            return None;
        }
    }
    None
}

/// Notes an acknowledged write in what the node must hold.
fn record(
    write: Write,
    expected: &mut BTreeMap<Key, f64>,
    summaries: &mut Vec<String>,
    imported: &mut usize,
) {
    match write {
        Write::Observation(key, v) => {
            expected.insert(key, v);
        }
        Write::Summary(hash) => summaries.push(hash),
        Write::Bundle(upto) => *imported = (*imported).max(upto),
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_at_random_moments() {
    let cycles = env_u64("DELTABENCH_CRASH_CYCLES", 5);
    let seed = env_u64("DELTABENCH_CRASH_SEED", 0x5eed);
    // Any seed, including 0, gives a non-zero xorshift state.
    let mut rng = Rng((seed ^ 0x9E37_79B9_7F4A_7C15).max(1));
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let k = NodeDir::init(root.path(), "320583", "昆山市", "Kunshan");
    form_alliance(root.path(), "yrd.tax", &[&t, &k], 2);
    // Kunshan's declaration, and 300 more documents of its chain to import.
    let (declaration, head) = {
        let pk = k.start();
        let (_, list) = get(&pk, "/api/v1/documents?issuer=320583", &k.viewer);
        let head = list["documents"][0].clone();
        let hash = head["hash"].as_str().unwrap();
        let (s, _) = get(&pk, &format!("/api/v1/documents/{hash}"), &k.viewer);
        assert_eq!(s, 200);
        let bytes = http()
            .get(pk.url(&format!("/api/v1/documents/{hash}")))
            .bearer_auth(&k.viewer)
            .send()
            .unwrap()
            .bytes()
            .unwrap()
            .to_vec();
        assert!(pk.stop());
        (bytes, head)
    };
    let chain = std::sync::Arc::new(extend_chain(&k, &head, 300));
    let mut p = t.start();
    let (s, v) = post(
        &p,
        "/api/v1/bundle",
        Some(&t.admin),
        bundle_of(&[declaration]),
    );
    assert_eq!((s, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    let mut imported = 0usize;
    let s = samples("taicang");
    for (kind, file) in [
        ("framework", "framework.json"),
        ("units", "units.json"),
        ("observations", "observations-2025.csv"),
    ] {
        let out = import(&p, &t.admin, kind, &s.join(file));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut expected = observations(&p, &t.admin);
    // Keys with a positive value: a correction of it is always distinguishable.
    let keys: Vec<(Key, f64)> = expected
        .iter()
        .filter(|(_, v)| **v > 0.0)
        .take(25)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(keys.len(), 25);
    let mut summaries: Vec<String> = Vec::new();
    let mut written = 0u64;

    for cycle in 0..cycles {
        let kill_after = 1 + rng.below(40);
        let (tx, rx) = mpsc::channel();
        let (api, token, ks) = (p.api.clone(), t.admin.clone(), keys.clone());
        let (first, docs, from) = (written, chain.clone(), imported);
        let w = std::thread::spawn(move || writer(api, token, ks, docs, from, first, tx));
        let mut acked = 0;
        while acked < kill_after {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(write) => {
                    acked += 1;
                    record(write, &mut expected, &mut summaries, &mut imported);
                }
                Err(e) => panic!("cycle {cycle}: no acknowledgement: {e}"),
            }
        }
        p.kill_9();
        // Acknowledgements that raced the kill count too.
        let in_flight = w.join().unwrap();
        for write in rx.try_iter() {
            acked += 1;
            record(write, &mut expected, &mut summaries, &mut imported);
        }
        written += acked + 1;

        p = t.start();
        let (s, _) = get(&p, "/api/v1/node", &t.viewer);
        assert_eq!(s, 200, "cycle {cycle}: the restarted node answers");
        let held = observations(&p, &t.admin);
        for (key, want) in &mut expected {
            let got = held[key];
            let in_flight_here =
                matches!(&in_flight, Some(Write::Observation(k, v)) if k == key && *v == got);
            assert!(
                got == *want || in_flight_here,
                "cycle {cycle}: {key:?} is {got}, but {want} was acknowledged"
            );
            // The in-flight write may have landed: it is now the value.
            *want = got;
        }
        // Kunshan's declaration and every imported chain document.
        let (s, v) = get(&p, "/api/v1/documents?issuer=320583", &t.viewer);
        assert_eq!(s, 200);
        let held_seqs: std::collections::BTreeSet<u64> = v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["seq"].as_u64())
            .collect();
        for seq in 1..=(1 + imported as u64) {
            assert!(
                held_seqs.contains(&seq),
                "cycle {cycle}: Kunshan's document {seq} of an acknowledged bundle is lost"
            );
        }
        for hash in &summaries {
            let (s, v) = get(&p, &format!("/api/v1/documents/{hash}"), &t.viewer);
            assert_eq!(
                s, 200,
                "cycle {cycle}: acknowledged summary {hash} lost: {v}"
            );
        }
    }
    if written >= 10 {
        assert!(!summaries.is_empty(), "every tenth write is a summary");
    }
    if written >= 10 {
        assert!(imported > 0, "bundles were imported");
    }
    eprintln!(
        "{cycles} kill -9 cycles, {written} writes, {} acknowledged summaries, \
         {imported} documents imported in acknowledged bundles, none lost",
        summaries.len()
    );
    assert!(p.stop(), "the last restart stops cleanly");
}
