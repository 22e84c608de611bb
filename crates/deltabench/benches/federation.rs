//! Federation figures, printed (not a criterion benchmark: one run of each
//! scenario is the measurement).
//!
//! 1. Gossip latency: N nodes (3 and 10) on loopback, fully connected (each
//!    dials every earlier one), each with its own store and swarm, all in
//!    this process; one publishes 1,000 documents and every other node
//!    records when each arrived by gossip and verified. Prints
//!    publish-to-received latency p50/p99/max over all (document, receiver)
//!    pairs, and how many pairs arrived by catch-up sync instead.
//! 2. Catch-up: a node holding 100,000 documents of one issuer; a new node
//!    joins and syncs them from it. Prints documents per second, next to raw
//!    `verify_strict` per second measured in the same run.
//!
//! Run with `scripts/bench.sh federation` (or `cargo bench -p deltabench
//! --bench federation`). `DELTABENCH_BENCH_QUICK=1` shrinks the sizes ten
//! times for a smoke run.

use deltabench::federation::{Federation, NetMetrics};
use deltabench_api::PeerTable;
use deltabench_model::documents::{Decision, Endorsement, Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, Timestamp};
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::roster::{RosterDoc, approve_roster};
use deltabench_trust::{DOCUMENT_DOMAIN, Document, Header, NodeKey};
use ed25519_dalek::{Signer, SigningKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ALLIANCE: &str = "yrd.tax";

struct Party {
    code: JurisdictionCode,
    key: NodeKey,
}

fn members(n: usize) -> Vec<Party> {
    (0..n)
        .map(|i| Party {
            code: JurisdictionCode::new(format!("{}", 320500 + i)).unwrap(),
            key: NodeKey::from_seed([i as u8 + 1; 32]),
        })
        .collect()
}

fn roster(ms: &[Party]) -> SignedRoster {
    let roster = Roster {
        alliance: AllianceId::new(ALLIANCE).unwrap(),
        version: 1,
        members: ms
            .iter()
            .map(|m| Member {
                code: m.code.clone(),
                key: m.key.public_hex(),
                name_zh: m.code.to_string(),
                name_en: m.code.to_string(),
            })
            .collect(),
        threshold: ms.len() as u32 / 2 + 1,
        expires_at: Timestamp::from_unix(SystemClock.now().unix() + 86_400 * 365).unwrap(),
        reference_framework: None,
        recognition_quorum: None,
        former: vec![],
        previous: None,
    };
    let approvals = ms[..roster.threshold as usize]
        .iter()
        .map(|m| approve_roster(&m.key, m.code.clone(), &roster).unwrap())
        .collect();
    SignedRoster { roster, approvals }
}

struct Running {
    node: Arc<Node>,
    fed: Arc<Federation>,
    peers: PeerTable,
}

async fn start_node(
    m: &Party,
    anchor: &SignedRoster,
    bootstrap: Vec<String>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Running {
    let node = Node::open(
        Identity {
            code: m.code.clone(),
            name_zh: m.code.to_string(),
            name_en: m.code.to_string(),
        },
        NodeKey::from_seed(m.key.seed()),
        Store::open_temporary().unwrap(),
        vec![RosterDoc::from_signed(anchor).expect("a valid roster")],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap();
    node.declare().unwrap();
    let node = Arc::new(node);
    let mut c = deltabench_net::Config::new(m.key.seed());
    c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    c.bootstrap = bootstrap.iter().map(|b| b.parse().unwrap()).collect();
    c.alliances = vec![ALLIANCE.into()];
    c.redial_interval = Duration::from_millis(500);
    // Every node dials every earlier one and syncs on connect; the periodic
    // exchange would otherwise race gossip and hide its losses.
    c.anti_entropy_interval = Duration::from_secs(3600);
    c.messages_per_sec_per_peer = 100_000;
    let peers = PeerTable::default();
    let mut stop = stop;
    let (fed, _) = Federation::start(
        node.clone(),
        c,
        peers.clone(),
        NetMetrics::default(),
        async move {
            let _ = stop.wait_for(|s| *s).await;
        },
    )
    .unwrap();
    Running { node, fed, peers }
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn endorsement(i: u64) -> Endorsement {
    Endorsement {
        crosswalk: "bench.crosswalk".parse().unwrap(),
        crosswalk_hash: DocHash::from_bytes([(i % 251) as u8; 32]),
        decision: Decision::Accept,
        comment: Some(format!("document {i}")),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn gossip_latency(n: usize, docs: u64) {
    let ms = members(n);
    let anchor = roster(&ms);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let first = start_node(&ms[0], &anchor, vec![], stop_rx.clone()).await;
    wait_until("listening", Duration::from_secs(10), || {
        !first.peers.listen().is_empty()
    })
    .await;
    let mut boot = vec![first.peers.listen()[0].clone()];
    let mut nodes = vec![first];
    for m in &ms[1..] {
        let r = start_node(m, &anchor, boot.clone(), stop_rx.clone()).await;
        wait_until("listening", Duration::from_secs(10), || {
            !r.peers.listen().is_empty()
        })
        .await;
        boot.push(r.peers.listen()[0].clone());
        nodes.push(r);
    }
    // Everyone connected and synced the declarations.
    let nodes_ref = &nodes;
    wait_until("connected and synced", Duration::from_secs(30), || {
        nodes_ref
            .iter()
            .all(|r| r.node.store().document_count() >= n)
    })
    .await;
    // The publisher knows every peer's subscription (it floods its own
    // messages to all of them).
    let publisher_net = nodes[0].fed.net().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let peers = publisher_net.peers().await.unwrap();
        if peers.iter().filter(|p| !p.alliances.is_empty()).count() >= n - 1 {
            break;
        }
        assert!(Instant::now() < deadline, "timed out: subscriptions");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let received: Arc<Mutex<Vec<HashMap<String, Instant>>>> =
        Arc::new(Mutex::new(vec![HashMap::new(); n]));
    let want = docs as usize;
    // Each receiver says when it has every document.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(n);
    for (i, r) in nodes.iter().enumerate().skip(1) {
        let mut rx = r.fed.arrivals();
        let received = received.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            while let Ok(a) = rx.recv().await {
                let len = {
                    let mut m = received.lock().unwrap();
                    m[i].insert(a.hash, a.at);
                    m[i].len()
                };
                if len == want {
                    let _ = done.send(()).await;
                }
            }
        });
    }
    let publisher = nodes[0].node.clone();
    let sent: Vec<(String, Instant)> = tokio::task::spawn_blocking(move || {
        (0..docs)
            .map(|i| {
                let at = Instant::now();
                let doc = publisher.publish(&endorsement(i)).unwrap();
                (doc.hash().to_string(), at)
            })
            .collect()
    })
    .await
    .unwrap();
    let started = sent[0].1;
    let publish_secs = sent.last().unwrap().1.duration_since(started).as_secs_f64();
    // Wait for every receiver, or report what gossip did not bring in
    // two minutes.
    let _ = tokio::time::timeout(Duration::from_secs(120), async {
        for _ in 1..n {
            done_rx.recv().await;
        }
    })
    .await;
    let mut lat = Vec::new();
    let mut missing = 0usize;
    {
        let received = received.lock().unwrap();
        for m in &received[1..] {
            for (hash, at) in &sent {
                match m.get(hash) {
                    Some(t) => lat.push(t.saturating_duration_since(*at)),
                    None => missing += 1,
                }
            }
        }
    }
    lat.sort();
    println!(
        "gossip, {n} nodes: {docs} documents published in {publish_secs:.2} s ({:.0}/s, durable before sent); \
         publish-to-received (verified; stored or held for its predecessor) at {} peers: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {missing} (document, peer) pairs arrived by catch-up sync instead",
        docs as f64 / publish_secs.max(1e-9),
        n - 1,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
    );
    let _ = stop_tx.send(true);
}

/// Signs `n` endorsements on `m`'s chain after its declaration.
fn chain(m: &Party, n: u64) -> Vec<Vec<u8>> {
    let decl = Document::sign(
        &m.key,
        Header {
            issuer: m.code.clone(),
            seq: 1,
            prev: None,
            issued_at: Timestamp::from_unix(1_767_225_600).unwrap(),
        },
        &deltabench_model::documents::JurisdictionDecl {
            code: m.code.clone(),
            name_zh: m.code.to_string(),
            name_en: m.code.to_string(),
            public_key: m.key.public_hex(),
        },
    )
    .unwrap();
    let mut prev = decl.hash().clone();
    let mut out = vec![decl.bytes().to_vec()];
    for i in 0..n {
        let d = Document::sign(
            &m.key,
            Header {
                issuer: m.code.clone(),
                seq: i + 2,
                prev: Some(prev),
                issued_at: Timestamp::from_unix(1_767_225_600 + i as i64).unwrap(),
            },
            &endorsement(i),
        )
        .unwrap();
        prev = d.hash().clone();
        out.push(d.bytes().to_vec());
    }
    out
}

async fn catch_up(docs: u64) {
    // Three members: the source node, the newcomer, and an issuer whose
    // chain the source holds (its own node is not running).
    let ms = members(3);
    let anchor = roster(&ms);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let history = chain(&ms[2], docs);
    let mean = history.iter().map(Vec::len).sum::<usize>() / history.len();
    let source = start_node(&ms[0], &anchor, vec![], stop_rx.clone()).await;
    let node = source.node.clone();
    let history = Arc::new(history);
    let h = history.clone();
    tokio::task::spawn_blocking(move || {
        for batch in h.chunks(5000) {
            let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
            let r = node.ingest_synced(&refs, "bench").unwrap();
            assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
        }
    })
    .await
    .unwrap();
    println!(
        "catch-up: source holds {} documents of {mean} bytes (signed and stored in {:.1} s)",
        history.len(),
        t.elapsed().as_secs_f64()
    );
    wait_until("listening", Duration::from_secs(10), || {
        !source.peers.listen().is_empty()
    })
    .await;
    let boot = source.peers.listen()[0].clone();
    let t = Instant::now();
    let newcomer = start_node(&ms[1], &anchor, vec![boot], stop_rx.clone()).await;
    let issuer = ms[2].code.clone();
    let want = docs + 1;
    let store_node = newcomer.node.clone();
    wait_until("caught up", Duration::from_secs(1800), || {
        store_node
            .store()
            .head(&issuer)
            .unwrap()
            .is_some_and(|(s, _)| s >= want)
    })
    .await;
    let secs = t.elapsed().as_secs_f64();

    // Raw verify_strict in the same run, on one of these documents.
    let raw = SigningKey::from_bytes(&ms[2].key.seed());
    let vk = raw.verifying_key();
    let message = [DOCUMENT_DOMAIN, &history[history.len() / 2][..]].concat();
    let sig = raw.sign(&message);
    let rounds = 20_000;
    let v = Instant::now();
    for _ in 0..rounds {
        vk.verify_strict(std::hint::black_box(&message), &sig)
            .unwrap();
    }
    let verify_per_sec = rounds as f64 / v.elapsed().as_secs_f64();
    let per_sec = want as f64 / secs;
    println!(
        "catch-up: {want} documents fetched from one peer and stored in {secs:.1} s = {per_sec:.0} documents/s \
         (pages of {}); raw verify_strict on one core in this run: {verify_per_sec:.0}/s; ratio {:.2}",
        deltabench_sync::Limits::default().page_docs,
        per_sec / verify_per_sec
    );
    let _ = stop_tx.send(true);
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful either: run only when asked to benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let quick = std::env::var_os("DELTABENCH_BENCH_QUICK").is_some();
    let (docs, history) = if quick {
        (100, 10_000)
    } else {
        (1_000, 100_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        gossip_latency(3, docs).await;
        gossip_latency(10, docs).await;
        catch_up(history).await;
    });
}
