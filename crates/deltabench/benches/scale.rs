//! Scale simulation: N deltabench nodes on loopback in this one process
//! (N = 10, 50, 100 by default), each with its own store, node and swarm,
//! started with the product's `Federation::start` and the product's
//! network defaults (ping, redial, anti-entropy every 30 s, rate bound).
//!
//! Topology: node i bootstraps to min(6, i) distinct earlier nodes chosen at
//! random (seeded): what an office deployment has when each office is given
//! a handful of others' addresses. Nobody dials everyone.
//!
//! 1. Gossip: the middle node publishes a stream of documents (100
//!    endorsements, 10 per second by default); every other node records
//!    when each arrived by gossip and verified (`Federation::arrivals`).
//!    Prints publish-to-received p50/p99/max over all (document, receiver)
//!    pairs; bytes sent per node at the TCP socket during the stream (mean
//!    and max); duplicate gossip messages received per node (gossipsub's
//!    own count of messages whose id it had already seen: copies of a
//!    document the node held or was validating, dropped before
//!    validation); the CPU this process used, next to the floor of every
//!    member verifying every document once; and how many members still lack
//!    a document 60 s after the last was published (catch-up sync may fill
//!    what gossip missed).
//! 2. Memory: the process RSS before and after the network formed, per node.
//! 3. Catch-up: an alliance of N members whose year is 37 documents each
//!    (declaration, 12 monthly summaries of 20 indicators, 24
//!    endorsements); six of them run (the rest are offline) and hold
//!    everything; a newcomer bootstraps to those six and syncs. Prints
//!    documents per second next to raw single-core `verify_strict` per
//!    second measured in the same run.
//!
//! Ends with a table of each figure by N and one JSON line holding them all.
//!
//! Run with `scripts/bench.sh scale [N...]` (it sets `DELTABENCH_SCALE=1`;
//! without it the bench does nothing, so `cargo bench --workspace` stays
//! short). Environment:
//! `DELTABENCH_SCALE_NODES` ("10 50 100"), `DELTABENCH_SCALE_DOCS` (100),
//! `DELTABENCH_SCALE_RATE` (documents per second, 0 = as fast as the
//! publisher stores them; default 10), `DELTABENCH_SCALE_DEGREE` (6),
//! `DELTABENCH_SCALE_NO_CATCHUP=1` (gossip only),
//! `DELTABENCH_SCALE_NO_GOSSIP=1` (catch-up only: N members' histories
//! without starting N nodes, so N can be larger than 2 cores run as nodes),
//! `DELTABENCH_BENCH_QUICK=1` (N = 10 and 20 documents: a smoke run).

use deltabench::federation::{Federation, NetMetrics, VerdictLabel};
use deltabench_api::PeerTable;
use deltabench_model::documents::{
    Decision, DocKind, Endorsement, JurisdictionDecl, Member, Roster, SignedRoster,
};
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, Timestamp};
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::roster::{RosterDoc, approve_roster};
use deltabench_trust::{DOCUMENT_DOMAIN, Document, Header, NodeKey};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ALLIANCE: &str = "yrd.tax";

/// 2026-01-01T00:00:00Z: the year the catch-up history covers.
const YEAR_START: i64 = 1_767_225_600;

/// Seconds after the last publication at which missing documents are
/// counted.
const MISSING_AFTER: Duration = Duration::from_secs(60);

struct Party {
    code: JurisdictionCode,
    key: NodeKey,
}

fn seed_of(i: usize) -> [u8; 32] {
    let mut s = [0x5c; 32];
    s[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    s
}

fn members(n: usize) -> Vec<Party> {
    (0..n)
        .map(|i| Party {
            code: JurisdictionCode::new(format!("{}", 310000 + i)).unwrap(),
            key: NodeKey::from_seed(seed_of(i)),
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

/// SplitMix64: a seeded stream for the topology (the bench has no `rand`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `k` distinct numbers below `n`.
    fn pick(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + (self.next() % (n - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all
    }
}

struct Running {
    node: Arc<Node>,
    fed: Arc<Federation>,
    peers: PeerTable,
    metrics: NetMetrics,
    /// The swarm's task, which ends once the scenario's stop is sent.
    task: tokio::task::JoinHandle<()>,
}

/// Sends the stop and waits for every swarm task to end, so that the next
/// scenario does not share the cores with swarms still shutting down.
async fn stop_all(stop: &tokio::sync::watch::Sender<bool>, nodes: Vec<Running>) {
    let _ = stop.send(true);
    for r in nodes {
        if tokio::time::timeout(Duration::from_secs(30), r.task)
            .await
            .is_err()
        {
            eprintln!("a swarm did not stop within 30 s");
        }
    }
}

async fn start_node(
    m: &Party,
    anchor: &SignedRoster,
    bootstrap: Vec<String>,
    declare: bool,
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
    if declare {
        node.declare().unwrap();
    }
    let node = Arc::new(node);
    // The product's network settings, but for where to listen and whom to
    // dial.
    let mut c = deltabench_net::Config::new(m.key.seed());
    c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    c.bootstrap = bootstrap.iter().map(|b| b.parse().unwrap()).collect();
    c.alliances = vec![ALLIANCE.into()];
    let peers = PeerTable::default();
    let metrics = NetMetrics::default();
    let mut stop = stop;
    let (fed, task) = Federation::start(
        node.clone(),
        c,
        peers.clone(),
        metrics.clone(),
        async move {
            let _ = stop.wait_for(|s| *s).await;
        },
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while peers.listen().is_empty() {
        assert!(Instant::now() < deadline, "not listening");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Running {
        node,
        fed,
        peers,
        metrics,
        task,
    }
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    let deadline = t + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.elapsed()
}

fn endorsement(i: u64, comment_len: usize) -> Endorsement {
    let mut comment = format!("document {i} ");
    while comment.len() < comment_len {
        comment.push_str("reviewed and accepted; ");
    }
    comment.truncate(comment_len.max(12));
    Endorsement {
        crosswalk: "bench.crosswalk".parse().unwrap(),
        crosswalk_hash: DocHash::from_bytes([(i % 251) as u8; 32]),
        decision: Decision::Accept,
        comment: Some(comment),
    }
}

/// A monthly summary of 20 indicators with their distributions (about
/// 3.5 KB signed: the size of a real office's monthly summary).
fn summary(member: usize, month: u32) -> Value {
    let indicators: Vec<Value> = (0..20)
        .map(|k| {
            let v = 50.0 + ((member * 7 + k * 13 + month as usize) % 50) as f64 / 2.0;
            json!({
                "indicator": format!("indicator_{k:02}"),
                "value": v,
                "contributors": 40,
                "distribution": {
                    "count": 40, "min": v - 9.5, "q1": v - 3.25, "median": v,
                    "q3": v + 3.5, "max": v + 8.75, "mean": v + 0.25, "sd": 2.5
                }
            })
        })
        .collect();
    json!({
        "framework": "yrd.tax-reference",
        "version": "1.0.0",
        "period": format!("2026-{month:02}"),
        "k": 5,
        "indicators": indicators,
        "grades": [{"category": "bureau", "counts": {"A": 6, "B": 12, "C": 9, "D": 2}}]
    })
}

/// A member's year: its declaration, then each month a summary and two
/// endorsements (37 documents).
fn year_of(member: usize, m: &Party) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(37);
    let mut prev: Option<DocHash> = None;
    let mut seq = 0u64;
    let mut push = |doc: Document, prev: &mut Option<DocHash>, seq: &mut u64| {
        *prev = Some(doc.hash().clone());
        *seq += 1;
        out.push(doc.bytes().to_vec());
    };
    let header = |seq: u64, prev: &Option<DocHash>, at: i64| Header {
        issuer: m.code.clone(),
        seq: seq + 1,
        prev: prev.clone(),
        issued_at: Timestamp::from_unix(at).unwrap(),
    };
    let decl = Document::sign(
        &m.key,
        header(seq, &prev, YEAR_START),
        &JurisdictionDecl {
            code: m.code.clone(),
            name_zh: m.code.to_string(),
            name_en: m.code.to_string(),
            public_key: m.key.public_hex(),
        },
    )
    .unwrap();
    push(decl, &mut prev, &mut seq);
    for month in 1..=12u32 {
        let at = YEAR_START + (month as i64 - 1) * 30 * 86_400 + 86_400;
        let s = Document::sign_value(
            &m.key,
            header(seq, &prev, at),
            DocKind::Summary,
            summary(member, month),
        )
        .unwrap();
        push(s, &mut prev, &mut seq);
        for e in 0..2 {
            let d = Document::sign(
                &m.key,
                header(seq, &prev, at + 3600 * (e + 1)),
                &endorsement(u64::from(month) * 2 + e as u64, 160),
            )
            .unwrap();
            push(d, &mut prev, &mut seq);
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

/// CPU seconds (user + system) this process has used.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Raw single-core `verify_strict` per second on a document of `bytes`.
fn raw_verify_per_sec(bytes: &[u8]) -> f64 {
    let raw = SigningKey::from_bytes(&seed_of(0));
    let vk = raw.verifying_key();
    let message = [DOCUMENT_DOMAIN, bytes].concat();
    let sig = raw.sign(&message);
    let rounds = 20_000;
    let v = Instant::now();
    for _ in 0..rounds {
        vk.verify_strict(std::hint::black_box(&message), &sig)
            .unwrap();
    }
    rounds as f64 / v.elapsed().as_secs_f64()
}

fn verdict(m: &NetMetrics, v: &str) -> u64 {
    m.gossip
        .get_or_create(&VerdictLabel { verdict: v.into() })
        .get()
}

fn mean_max(v: &[f64]) -> (f64, f64) {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    (mean, v.iter().cloned().fold(0.0, f64::max))
}

struct Settings {
    docs: u64,
    rate: f64,
    degree: usize,
}

async fn gossip(n: usize, s: &Settings, verify_per_sec: f64) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let ms = members(n);
    let anchor = roster(&ms);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let rss0 = rss_bytes();
    let t_start = Instant::now();
    let mut rng = Rng(0x5ca1e + n as u64);
    let mut nodes: Vec<Running> = Vec::with_capacity(n);
    let mut edges = 0;
    for (i, m) in ms.iter().enumerate() {
        let boot: Vec<String> = rng
            .pick(i, s.degree)
            .into_iter()
            .map(|j| nodes[j].peers.listen()[0].clone())
            .collect();
        edges += boot.len();
        nodes.push(start_node(m, &anchor, boot, true, stop_rx.clone()).await);
    }
    // Everyone holds every declaration (gossip and the sync on connect).
    let nodes_ref = &nodes;
    let last_started = t_start.elapsed();
    let formed = wait_until("declarations everywhere", Duration::from_secs(600), || {
        nodes_ref
            .iter()
            .all(|r| r.node.store().document_count() >= n)
    })
    .await;
    // Meshes form at gossipsub heartbeats, the first 5 s after a swarm
    // starts; nothing tells from outside when they have, so give every
    // mesh a few heartbeats past the last node's first one.
    if formed < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_secs(8) - formed).await;
    }
    let formed_secs = t_start.elapsed().as_secs_f64();
    let rss1 = rss_bytes();
    let mut conns = Vec::new();
    for r in &nodes {
        conns.push(r.fed.net().peers().await.unwrap().len() as f64);
    }
    let (conn_mean, conn_max) = mean_max(&conns);
    println!(
        "scale {n}: {n} nodes started in {:.1} s, {edges} bootstrap links (each node dials up to {} earlier ones); \
         connections per node mean {conn_mean:.1}, max {conn_max}; every declaration everywhere {:.1} s later",
        last_started.as_secs_f64(),
        s.degree,
        formed.as_secs_f64(),
    );

    // Counters before the stream.
    let mut before = Vec::new();
    for r in &nodes {
        before.push(r.fed.net().traffic().await.unwrap());
    }
    let ignore0: Vec<u64> = nodes
        .iter()
        .map(|r| verdict(&r.metrics, "ignore"))
        .collect();
    let limited0: u64 = nodes.iter().map(|r| r.metrics.rate_limited.get()).sum();
    let app_dup0: Vec<u64> = nodes
        .iter()
        .map(|r| r.node.metrics().duplicates.get())
        .collect();

    let publisher_ix = n / 2;
    let received: Arc<Mutex<Vec<HashMap<String, Instant>>>> =
        Arc::new(Mutex::new(vec![HashMap::new(); n]));
    let want = s.docs as usize;
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(n);
    for (i, r) in nodes.iter().enumerate() {
        if i == publisher_ix {
            continue;
        }
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
    let publisher = nodes[publisher_ix].node.clone();
    let docs = s.docs;
    let rate = s.rate;
    let cpu0 = cpu_secs();
    let t0 = Instant::now();
    let sent: Vec<(String, Instant, usize)> = tokio::task::spawn_blocking(move || {
        (0..docs)
            .map(|i| {
                if rate > 0.0 {
                    let due = t0 + Duration::from_secs_f64(i as f64 / rate);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
                let at = Instant::now();
                let doc = publisher.publish(&endorsement(i, 160)).unwrap();
                (doc.hash().to_string(), at, doc.bytes().len())
            })
            .collect()
    })
    .await
    .unwrap();
    let last_sent = sent.last().unwrap().1;
    let doc_bytes = sent.iter().map(|s| s.2).sum::<usize>() / sent.len();
    // Every receiver has every document by gossip, or 60 s have passed.
    let all_by_gossip =
        tokio::time::timeout(MISSING_AFTER.saturating_sub(last_sent.elapsed()), async {
            for _ in 1..n {
                done_rx.recv().await;
            }
        })
        .await
        .is_ok();
    let gossip_secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    // What gossip did not bring, sync may have: count what is still
    // missing 60 s after the last publication.
    let issuer = ms[publisher_ix].code.clone();
    let head_want = s.docs + 1;
    let missing_docs = |nodes: &[Running]| -> (usize, u64) {
        let mut members = 0;
        let mut docs = 0;
        for r in nodes {
            let head = r.node.store().head(&issuer).unwrap().map_or(0, |(s, _)| s);
            if head < head_want {
                members += 1;
                docs += head_want - head;
            }
        }
        (members, docs)
    };
    while missing_docs(&nodes).0 > 0 && last_sent.elapsed() < MISSING_AFTER {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (missing_members, missing_total) = missing_docs(&nodes);
    let mut after = Vec::new();
    for r in &nodes {
        after.push(r.fed.net().traffic().await.unwrap());
    }
    let rss2 = rss_bytes();

    let mut lat = Vec::new();
    let mut not_by_gossip = 0usize;
    {
        let received = received.lock().unwrap();
        for (i, m) in received.iter().enumerate() {
            if i == publisher_ix {
                continue;
            }
            for (hash, at, _) in &sent {
                match m.get(hash) {
                    Some(t) => lat.push(t.saturating_duration_since(*at)),
                    None => not_by_gossip += 1,
                }
            }
        }
    }
    lat.sort();
    let ms_of = |d: Duration| d.as_secs_f64() * 1e3;
    let (p50, p99, max) = (
        ms_of(percentile(&lat, 0.5)),
        ms_of(percentile(&lat, 0.99)),
        ms_of(lat.last().copied().unwrap_or_default()),
    );
    let sent_bytes: Vec<f64> = before
        .iter()
        .zip(&after)
        .map(|(b, a)| (a.bytes_sent - b.bytes_sent) as f64)
        .collect();
    let (bytes_mean, bytes_max) = mean_max(&sent_bytes);
    let dups: Vec<f64> = before
        .iter()
        .zip(&after)
        .map(|(b, a)| (a.gossip_duplicates - b.gossip_duplicates) as f64)
        .collect();
    let (dup_mean, dup_max) = mean_max(&dups);
    let iwant: u64 = before
        .iter()
        .zip(&after)
        .map(|(b, a)| a.iwant - b.iwant)
        .sum();
    let idontwant: u64 = before
        .iter()
        .zip(&after)
        .map(|(b, a)| a.idontwant_received - b.idontwant_received)
        .sum();
    let ignored: u64 = nodes
        .iter()
        .zip(&ignore0)
        .map(|(r, b)| verdict(&r.metrics, "ignore") - b)
        .sum();
    let app_dups: u64 = nodes
        .iter()
        .zip(&app_dup0)
        .map(|(r, b)| r.node.metrics().duplicates.get() - b)
        .sum();
    let limited = nodes
        .iter()
        .map(|r| r.metrics.rate_limited.get())
        .sum::<u64>()
        - limited0;
    // The floor: every member but the publisher verifies every document
    // once, on two cores.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get()) as f64;
    let verify_cpu = (n - 1) as f64 * s.docs as f64 / verify_per_sec;
    let per_doc_floor_ms = (n - 1) as f64 / verify_per_sec / cores * 1e3;
    let cpu_per_receipt_us = cpu / ((n - 1) as f64 * s.docs as f64) * 1e6;
    println!(
        "scale {n}: node {publisher_ix} published {} documents of {doc_bytes} bytes at {} over {:.1} s; \
         publish-to-received (gossip, verified) over {} pairs: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; \
         {not_by_gossip} pairs not by gossip{}",
        s.docs,
        if s.rate > 0.0 {
            format!("{}/s", s.rate)
        } else {
            "full speed".into()
        },
        last_sent.duration_since(t0).as_secs_f64(),
        lat.len(),
        if all_by_gossip {
            String::new()
        } else {
            " (gossip incomplete at the 60 s mark)".into()
        },
    );
    println!(
        "scale {n}: bytes sent per node during the stream: mean {:.0} KB, max {:.0} KB ({:.1} KB per document per node); \
         duplicate gossip messages per node (gossipsub, dropped before validation): mean {dup_mean:.1}, max {dup_max} \
         ({:.2} per document per node); gossip answered `ignore` by the node: {ignored} (of which already held: {app_dups}); \
         IWANT asked: {iwant}; IDONTWANT ids received: {idontwant}; rate-limited: {limited}",
        bytes_mean / 1e3,
        bytes_max / 1e3,
        bytes_mean / 1e3 / s.docs as f64,
        dup_mean / s.docs as f64,
    );
    println!(
        "scale {n}: CPU used by the process from the first publication until all had it: {cpu:.1} s over {gossip_secs:.1} s wall \
         ({:.2} of {cores} cores), {cpu_per_receipt_us:.0} us per (document, receiver); the verify floor: \
         {verify_cpu:.2} CPU-s in all, {per_doc_floor_ms:.2} ms per document on {cores} cores ({:.0} us per verify_strict)",
        cpu / gossip_secs,
        1e6 / verify_per_sec,
    );
    println!(
        "scale {n}: members missing a document {} s after the last publication: {missing_members} ({missing_total} documents); \
         RSS {:.0} MB before, {:.0} MB with the network formed, {:.0} MB after the stream: {:.1} MB per node",
        MISSING_AFTER.as_secs(),
        rss0 as f64 / 1e6,
        rss1 as f64 / 1e6,
        rss2 as f64 / 1e6,
        (rss2.saturating_sub(rss0)) as f64 / 1e6 / n as f64,
    );
    stop_all(&stop_tx, nodes).await;
    out.insert("nodes".into(), json!(n));
    out.insert("links".into(), json!(edges));
    out.insert("conn_mean".into(), json!(round1(conn_mean)));
    out.insert("conn_max".into(), json!(conn_max));
    out.insert("formed_s".into(), json!(round1(formed_secs)));
    out.insert("docs".into(), json!(s.docs));
    out.insert("doc_bytes".into(), json!(doc_bytes));
    out.insert("p50_ms".into(), json!(round1(p50)));
    out.insert("p99_ms".into(), json!(round1(p99)));
    out.insert("max_ms".into(), json!(round1(max)));
    out.insert("not_by_gossip".into(), json!(not_by_gossip));
    out.insert("missing_members_60s".into(), json!(missing_members));
    out.insert(
        "bytes_sent_node_mean_kb".into(),
        json!(round1(bytes_mean / 1e3)),
    );
    out.insert(
        "bytes_sent_node_max_kb".into(),
        json!(round1(bytes_max / 1e3)),
    );
    out.insert("dup_node_mean".into(), json!(round1(dup_mean)));
    out.insert("dup_node_max".into(), json!(dup_max));
    out.insert("iwant".into(), json!(iwant));
    out.insert("ignored".into(), json!(ignored));
    out.insert("rate_limited".into(), json!(limited));
    out.insert("cpu_s".into(), json!(round1(cpu)));
    out.insert("cpu_cores_busy".into(), json!(round2(cpu / gossip_secs)));
    out.insert(
        "cpu_us_per_receipt".into(),
        json!(cpu_per_receipt_us.round()),
    );
    out.insert(
        "verify_floor_ms_per_doc".into(),
        json!(round2(per_doc_floor_ms)),
    );
    out.insert("rss_mb".into(), json!((rss2 as f64 / 1e6).round()));
    out.insert(
        "rss_mb_per_node".into(),
        json!(round1(rss2.saturating_sub(rss0) as f64 / 1e6 / n as f64)),
    );
    out
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn catch_up(n: usize, degree: usize) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    // N members and the newcomer.
    let ms = members(n + 1);
    let anchor = roster(&ms);
    let newcomer_ix = n;
    let t = Instant::now();
    let year: Vec<Vec<Vec<u8>>> = (0..n).map(|i| year_of(i, &ms[i])).collect();
    let total: usize = year.iter().map(Vec::len).sum();
    let bytes: usize = year.iter().flatten().map(Vec::len).sum();
    let sign_secs = t.elapsed().as_secs_f64();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let year = Arc::new(year);
    let sources_n = degree.min(n);
    let mut sources = Vec::new();
    for m in &ms[..sources_n] {
        // A source's own chain comes from the year too, so it does not
        // declare itself again.
        let r = start_node(m, &anchor, vec![], false, stop_rx.clone()).await;
        let node = r.node.clone();
        let y = year.clone();
        tokio::task::spawn_blocking(move || {
            for chain in y.iter() {
                let refs: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
                let rep = node.ingest_synced(&refs, "bench").unwrap();
                assert!(rep.rejected.is_empty(), "{:?}", rep.rejected.first());
            }
        })
        .await
        .unwrap();
        sources.push(r);
    }
    println!(
        "catch-up {n}: {n} members x 37 documents = {total} documents, {:.1} MB ({} bytes each on average; signed in {sign_secs:.1} s); \
         {sources_n} of them running, each holding all",
        bytes as f64 / 1e6,
        bytes / total,
    );
    let boot: Vec<String> = sources
        .iter()
        .map(|r| r.peers.listen()[0].clone())
        .collect();
    let cpu0 = cpu_secs();
    let t = Instant::now();
    let newcomer = start_node(&ms[newcomer_ix], &anchor, boot, true, stop_rx.clone()).await;
    let store_node = newcomer.node.clone();
    let want = total + 1;
    wait_until("caught up", Duration::from_secs(1800), || {
        store_node.store().document_count() >= want
    })
    .await;
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    let verify = raw_verify_per_sec(&year[0][1]);
    let per_sec = total as f64 / secs;
    let synced = newcomer.metrics.synced.get();
    let dup = newcomer.node.metrics().duplicates.get();
    println!(
        "catch-up {n}: the newcomer, bootstrapped to {sources_n} members, held all {total} in {secs:.2} s = {per_sec:.0} documents/s \
         ({cpu:.1} CPU-s; {synced} stored from sync pages, {dup} duplicates received); raw verify_strict on one core in this run: \
         {verify:.0}/s; ratio {:.2}",
        per_sec / verify
    );
    sources.push(newcomer);
    stop_all(&stop_tx, sources).await;
    out.insert("catchup_docs".into(), json!(total));
    out.insert("catchup_s".into(), json!(round2(secs)));
    out.insert("catchup_docs_per_s".into(), json!(per_sec.round()));
    out.insert("verify_per_s".into(), json!(verify.round()));
    out.insert("catchup_ratio".into(), json!(round2(per_sec / verify)));
    out.insert("catchup_duplicates".into(), json!(dup));
    out
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // Minutes long: not part of `cargo bench --workspace`.
    if std::env::var_os("DELTABENCH_SCALE").is_none() {
        println!("scale: skipped (run `scripts/bench.sh scale`, or set DELTABENCH_SCALE=1)");
        return;
    }
    let quick = std::env::var_os("DELTABENCH_BENCH_QUICK").is_some();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let ns: Vec<usize> = match env("DELTABENCH_SCALE_NODES") {
        Some(v) => v
            .split([' ', ','])
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().expect("DELTABENCH_SCALE_NODES: numbers"))
            .collect(),
        None if quick => vec![10],
        None => vec![10, 50, 100],
    };
    let settings = Settings {
        docs: env("DELTABENCH_SCALE_DOCS")
            .map_or(if quick { 20 } else { 100 }, |v| v.parse().unwrap()),
        rate: env("DELTABENCH_SCALE_RATE").map_or(10.0, |v| v.parse().unwrap()),
        degree: env("DELTABENCH_SCALE_DEGREE").map_or(6, |v| v.parse().unwrap()),
    };
    // Each node holds a few dozen sockets and files.
    // SAFETY: getrlimit/setrlimit on a struct of this process.
    unsafe {
        let mut l: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let verify = {
        let m = &members(1)[0];
        raw_verify_per_sec(&year_of(0, m)[3])
    };
    println!("raw verify_strict on one core: {verify:.0}/s");
    let mut rows = Vec::new();
    rt.block_on(async {
        for &n in &ns {
            let mut row = serde_json::Map::new();
            row.insert("nodes".into(), json!(n));
            if std::env::var_os("DELTABENCH_SCALE_NO_GOSSIP").is_none() {
                row = gossip(n, &settings, verify).await;
                // Let the stopped swarms and stores go before the next scenario.
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            if std::env::var_os("DELTABENCH_SCALE_NO_CATCHUP").is_none() {
                row.extend(catch_up(n, settings.degree).await);
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            rows.push(row);
        }
    });
    let cols = [
        ("nodes", "N"),
        ("conn_mean", "conn/node"),
        ("p50_ms", "p50 ms"),
        ("p99_ms", "p99 ms"),
        ("max_ms", "max ms"),
        ("missing_members_60s", "missing@60s"),
        ("bytes_sent_node_mean_kb", "KB sent/node"),
        ("bytes_sent_node_max_kb", "KB sent max"),
        ("dup_node_mean", "dups/node"),
        ("dup_node_max", "dups max"),
        ("cpu_cores_busy", "cores busy"),
        ("cpu_us_per_receipt", "CPU us/recv"),
        ("verify_floor_ms_per_doc", "verify floor ms/doc"),
        ("rss_mb_per_node", "RSS MB/node"),
        ("catchup_docs", "catch-up docs"),
        ("catchup_docs_per_s", "docs/s"),
        ("catchup_ratio", "x verify"),
    ];
    println!();
    println!(
        "| {} |",
        cols.iter().map(|c| c.1).collect::<Vec<_>>().join(" | ")
    );
    println!("|{}", "---:|".repeat(cols.len()));
    for r in &rows {
        println!(
            "| {} |",
            cols.iter()
                .map(|c| r.get(c.0).map_or("-".into(), |v| v.to_string()))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    let all = json!({
        "bench": "scale",
        "docs": settings.docs,
        "rate_per_s": settings.rate,
        "degree": settings.degree,
        "verify_per_s": verify.round(),
        "cores": std::thread::available_parallelism().map_or(1, |c| c.get()),
        "runs": rows,
    });
    println!("{all}");
}
