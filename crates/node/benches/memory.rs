//! Resident memory against the documents held: a node on an on-disk store
//! takes in a member's endorsements (as gossip brings them, in small
//! batches, each batch flushed) and rebuilds its comparison catalogue after
//! each step, as a node answering comparisons does. Then the documents stop
//! and only the catalogue is asked for, to show whether memory still moves
//! when the data does not.
//!
//! `cargo bench -p deltabench-node --bench memory [-- STEPS [PER_STEP]]`
//! (default 20 steps of 2,500 documents). `MEMORY_NO_CATALOGUE=1` leaves
//! the catalogue out, to separate the store's share.

use deltabench_model::documents::{Decision, Endorsement, JurisdictionDecl};
use deltabench_model::{DocHash, JurisdictionCode, Timestamp};
use deltabench_store::Store;
use deltabench_trust::{Document, Header, NodeKey};
mod common;
use common::{NOW, code, node};
use std::time::Instant;

/// VmRSS of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Signs the member's chain onward from `prev`, `n` documents.
struct Chain {
    key: NodeKey,
    issuer: JurisdictionCode,
    seq: u64,
    prev: Option<DocHash>,
}

impl Chain {
    fn next(&mut self) -> Vec<u8> {
        self.seq += 1;
        let header = Header {
            issuer: self.issuer.clone(),
            seq: self.seq,
            prev: self.prev.clone(),
            issued_at: Timestamp::from_unix(NOW - 100_000 + self.seq as i64).unwrap(),
        };
        let doc = if self.seq == 1 {
            let decl = JurisdictionDecl {
                code: self.issuer.clone(),
                name_zh: "昆山市".into(),
                name_en: "Kunshan".into(),
                public_key: self.key.public_hex(),
            };
            Document::sign(&self.key, header, &decl)
        } else {
            let e = Endorsement {
                crosswalk: "kunshan.satisfaction".parse().unwrap(),
                crosswalk_hash: DocHash::from_bytes([7; 32]),
                decision: Decision::Accept,
                comment: Some(format!("endorsement {}", self.seq)),
            };
            Document::sign(&self.key, header, &e)
        }
        .unwrap();
        self.prev = Some(doc.hash().clone());
        doc.bytes().to_vec()
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let steps = args.first().copied().unwrap_or(20);
    let per_step = args.get(1).copied().unwrap_or(2_500);
    let with_catalogue = std::env::var_os("MEMORY_NO_CATALOGUE").is_none();
    let dir = tempfile::tempdir().unwrap();
    let member = NodeKey::from_seed([2; 32]);
    let node = node(Store::open(dir.path()).unwrap());
    node.declare().unwrap();
    let mut chain = Chain {
        key: member,
        issuer: code("320583"),
        seq: 0,
        prev: None,
    };
    println!(
        "catalogue rebuilt after each step: {}",
        if with_catalogue { "yes" } else { "no" }
    );
    println!("documents  rss_MiB  catalogue_ms  KiB_per_document_since_start");
    let start = rss_kib();
    for _ in 0..steps {
        for _ in 0..per_step / 50 {
            let batch: Vec<Vec<u8>> = (0..50).map(|_| chain.next()).collect();
            let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
            let report = node.ingest_bundle(&refs, "bench").unwrap();
            assert_eq!(report.accepted, 50, "{report:?}");
        }
        let t = Instant::now();
        if with_catalogue {
            std::hint::black_box(node.view().documents());
        }
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let docs = node.store().document_count();
        let rss = rss_kib();
        println!(
            "{docs:>9}  {:>7.1}  {ms:>12.1}  {:>6.2}",
            rss as f64 / 1024.0,
            (rss.saturating_sub(start)) as f64 / docs as f64
        );
    }
    println!("documents stop; the catalogue is asked for 20 more times");
    for i in 0..20 {
        if with_catalogue {
            std::hint::black_box(node.view().documents());
        }
        if i % 5 == 4 {
            println!(
                "{:>9}  {:>7.1}",
                node.store().document_count(),
                rss_kib() as f64 / 1024.0
            );
        }
    }
}
