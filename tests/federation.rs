//! Federation scenarios: real nodes gossiping and syncing on loopback, and a
//! hostile peer driven from the test through the network crate.

use crate::support::*;
use deltabench_model::documents::JurisdictionDecl;
use deltabench_model::{JurisdictionCode, Timestamp};
use deltabench_net::{Event, Handle, PeerId};
use deltabench_trust::{Document, Header, NodeKey};
use serde_json::Value;
use std::collections::BTreeSet;

/// Three members of yrd.tax, running, with Kunshan and Jiading dialling
/// Taicang.
struct Federation {
    nodes: Vec<NodeDir>,
    procs: Vec<Option<Proc>>,
    bootstrap: String,
}

const SAMPLES: [&str; 4] = ["taicang", "kunshan", "jiading", "taicang"];

impl Federation {
    fn start(root: &std::path::Path) -> Federation {
        let nodes = vec![
            NodeDir::init(root, "320585", "太仓市", "Taicang"),
            NodeDir::init(root, "320583", "昆山市", "Kunshan"),
            NodeDir::init(root, "310114", "嘉定区", "Jiading"),
        ];
        let refs: Vec<&NodeDir> = nodes.iter().collect();
        form_alliance(root, "yrd.tax", &refs, 2);
        set_p2p(&nodes[0], &[]);
        let first = nodes[0].start();
        let bootstrap = p2p_addr(&first, &nodes[0].viewer);
        for n in &nodes[1..] {
            set_p2p(n, std::slice::from_ref(&bootstrap));
        }
        let mut procs = vec![Some(first)];
        for n in &nodes[1..] {
            procs.push(Some(n.start()));
        }
        let f = Federation {
            nodes,
            procs,
            bootstrap,
        };
        f.wait_connected(0, 2);
        f
    }

    fn p(&self, i: usize) -> &Proc {
        self.procs[i].as_ref().expect("node running")
    }

    fn wait_connected(&self, i: usize, n: usize) {
        wait_for(&format!("{} to have {n} peers", self.nodes[i].code), || {
            let (_, v) = get(self.p(i), "/api/v1/peers", &self.nodes[i].viewer);
            (v["peers"].as_array().map_or(0, Vec::len) >= n).then_some(())
        });
    }

    /// Waits until every running node holds `docs`.
    fn wait_all_hold(&self, docs: &BTreeSet<String>) {
        for (i, p) in self.procs.iter().enumerate() {
            let Some(p) = p else { continue };
            wait_for(
                &format!("{} to hold every document", self.nodes[i].code),
                || {
                    held(p, &self.nodes[i].viewer, None)
                        .is_superset(docs)
                        .then_some(())
                },
            );
        }
    }
}

#[test]
fn three_nodes_converge_on_each_others_documents() {
    let root = tempfile::tempdir().unwrap();
    let f = Federation::start(root.path());
    // Peers are listed with their jurisdictions.
    let (_, peers) = get(f.p(0), "/api/v1/peers", &f.nodes[0].viewer);
    let codes: BTreeSet<&str> = peers["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["jurisdiction"].as_str().unwrap())
        .collect();
    assert_eq!(codes, BTreeSet::from(["320583", "310114"]));

    let mut published = BTreeSet::new();
    for (i, sample) in SAMPLES[..3].iter().enumerate() {
        published.insert(publish_framework(f.p(i), &f.nodes[i], sample, 1));
    }
    f.wait_all_hold(&published);
    // The same documents, byte for byte, everywhere.
    let all = held(f.p(0), &f.nodes[0].viewer, None);
    assert_eq!(all.len(), 6, "three declarations and three frameworks");
    for i in 1..3 {
        assert_eq!(held(f.p(i), &f.nodes[i].viewer, None), all);
    }
    assert!(
        metric(
            f.p(1),
            "deltabench_gossip_messages_total{verdict=\"accept\"}"
        ) >= 1.0
    );
}

#[test]
fn a_node_killed_during_five_publications_catches_up() {
    let root = tempfile::tempdir().unwrap();
    let mut f = Federation::start(root.path());
    let mut published = BTreeSet::new();
    for n in 0..5 {
        if n == 2 {
            f.procs[2].take().unwrap().kill_9();
        }
        published.insert(publish_framework(f.p(0), &f.nodes[0], "taicang", n));
    }
    f.procs[2] = Some(f.nodes[2].start());
    f.wait_all_hold(&published);
    // Held byte for byte as published. Which path brought each one (catch-up
    // sync, or gossip's IHAVE/IWANT on a busy machine) is not what this
    // test is about, so it does not ask.
    for hash in &published {
        assert_eq!(
            document_bytes(f.p(2), &f.nodes[2].viewer, hash),
            document_bytes(f.p(0), &f.nodes[0].viewer, hash),
            "{hash}"
        );
    }
}

/// `deltabench roster publish` through node `i`.
fn publish_through(f: &Federation, i: usize, file: &std::path::Path) -> std::process::Output {
    roster_publish(f.p(i), &f.nodes[i].admin, file, false)
}

/// Waits until nodes `which` have roster `version` of yrd.tax in force.
fn wait_roster(f: &Federation, which: &[usize], version: u64) {
    for &i in which {
        wait_for(
            &format!("roster version {version} at {}", f.nodes[i].code),
            || {
                let (_, v) = get(f.p(i), "/api/v1/node", &f.nodes[i].viewer);
                (v["alliances"][0]["version"].as_u64() == Some(version)).then_some(())
            },
        );
    }
}

#[test]
fn a_member_admitted_by_roster_change_gets_the_history_and_a_removed_one_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let mut f = Federation::start(root.path());
    let mut history = BTreeSet::new();
    for (i, sample) in SAMPLES[..3].iter().enumerate() {
        history.insert(publish_framework(f.p(i), &f.nodes[i], sample, 1));
    }
    f.wait_all_hold(&history);

    // Version 2 admits Wujiang (threshold 3 of 4), approved by two of the
    // three members and published on Taicang's chain.
    let d = NodeDir::init(root.path(), "320509", "吴江区", "Wujiang");
    let v2 = {
        let m: Vec<&NodeDir> = f.nodes.iter().chain([&d]).collect();
        draft_roster(
            root.path(),
            "yrd.tax",
            2,
            &m,
            3,
            &[&f.nodes[0], &f.nodes[1]],
        )
    };
    let (s, v) = post(
        f.p(0),
        "/api/v1/rosters",
        Some(&f.nodes[0].admin),
        std::fs::read(&v2).unwrap(),
    );
    assert_eq!(s, 201, "{v}");
    wait_roster(&f, &[0, 1, 2], 2);
    join_roster(&d, &v2);
    set_p2p(&d, std::slice::from_ref(&f.bootstrap));
    f.nodes.push(d);
    f.procs.push(Some(f.nodes[3].start()));
    // The newcomer ends with the whole history, and its own documents are
    // accepted by the others.
    let everything = held(f.p(0), &f.nodes[0].viewer, None);
    wait_for("the new member to hold the history", || {
        held(f.p(3), &f.nodes[3].viewer, None)
            .is_superset(&everything)
            .then_some(())
    });
    let from_d = publish_framework(f.p(3), &f.nodes[3], "taicang", 1);
    f.wait_all_hold(&BTreeSet::from([from_d]));

    // Version 3 removes Jiading, drafted against Kunshan's node so that it
    // records where Jiading's chain stands; its next document is refused
    // everywhere. Three of version 2's four members approve.
    let v3 = {
        let m = [&f.nodes[0], &f.nodes[1], &f.nodes[3]];
        let api = f.p(1).api.clone();
        draft_roster_with(
            root.path(),
            "yrd.tax",
            3,
            &m,
            2,
            &[&f.nodes[0], &f.nodes[1], &f.nodes[3]],
            &["--node", &api, "--token", &f.nodes[1].viewer],
        )
    };
    let out = publish_through(&f, 1, &v3);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A version that skips one is refused with the rule it breaks.
    let v5 = {
        let m = [&f.nodes[0], &f.nodes[1], &f.nodes[3]];
        draft_roster(
            root.path(),
            "yrd.tax",
            5,
            &m,
            2,
            &[&f.nodes[0], &f.nodes[1]],
        )
    };
    let out = publish_through(&f, 0, &v5);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("roster_version_gap"), "{err}");
    // Everyone holds it, Jiading (removed) included.
    wait_roster(&f, &[0, 1, 2, 3], 3);
    let before = metric(
        f.p(0),
        "deltabench_documents_rejected_total{reason=\"not_a_member\"}",
    );
    let late = publish_framework(f.p(2), &f.nodes[2], "jiading", 2);
    wait_for("Taicang to refuse the removed member's document", || {
        (metric(
            f.p(0),
            "deltabench_documents_rejected_total{reason=\"not_a_member\"}",
        ) > before)
            .then_some(())
    });
    for i in [0, 1, 3] {
        assert!(!held(f.p(i), &f.nodes[i].viewer, None).contains(&late));
    }
}

/// A libp2p peer run by the test: not a deltabench node, so it can send what
/// no honest node would.
struct Hostile {
    rt: tokio::runtime::Runtime,
    net: Handle,
    events: tokio::sync::mpsc::Receiver<Event>,
}

impl Hostile {
    fn connect(to: &str) -> Hostile {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut c = deltabench_net::Config::new([0x66; 32]);
        c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
        c.bootstrap = vec![to.parse().unwrap()];
        c.alliances = vec!["yrd.tax".into()];
        let (net, events, _) = rt
            .block_on(async { deltabench_net::start(c, std::future::pending()) })
            .unwrap();
        let mut h = Hostile { rt, net, events };
        // Publishing reaches the node only once its subscription is known.
        h.wait_event(
            "the node's subscription",
            |e| matches!(e, Event::Subscribed { alliance, .. } if alliance == "yrd.tax"),
        );
        h
    }

    fn send(&self, data: Vec<u8>) {
        self.rt.block_on(self.net.publish("yrd.tax", data)).unwrap();
    }

    /// Waits until the connection to `peer` closes.
    fn wait_disconnected(&mut self, peer: PeerId) {
        self.wait_event(
            "the node to disconnect the hostile peer",
            |e| matches!(e, Event::Disconnected { peer: p } if *p == peer),
        );
    }

    /// Waits for the first network event that `f` accepts.
    fn wait_event(&mut self, what: &str, f: impl Fn(&Event) -> bool) {
        let events = &mut self.events;
        self.rt.block_on(async {
            tokio::time::timeout(NET_TIMEOUT, async {
                loop {
                    match events.recv().await {
                        Some(e) if f(&e) => return,
                        Some(_) => {}
                        None => panic!("network stopped"),
                    }
                }
            })
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        })
    }
}

fn node_peer_id(p: &Proc, token: &str) -> PeerId {
    let (_, v) = get(p, "/api/v1/node", token);
    v["peer_id"].as_str().unwrap().parse().unwrap()
}

/// A copy of an envelope with one payload value changed: its signature no
/// longer holds.
fn tampered(envelope: &[u8], n: usize) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(envelope).unwrap();
    v["payload"]["name_en"] = format!("Forged {n}").into();
    v["payload"]["version"] = format!("6.6.{n}").into();
    serde_json::to_vec(&v).unwrap()
}

fn document_bytes(p: &Proc, token: &str, hash: &str) -> Vec<u8> {
    http()
        .get(p.url(&format!("/api/v1/documents/{hash}")))
        .bearer_auth(token)
        .send()
        .unwrap()
        .bytes()
        .unwrap()
        .to_vec()
}

#[test]
fn non_member_tampered_and_replayed_documents_are_refused_and_counted() {
    let root = tempfile::tempdir().unwrap();
    let f = Federation::start(root.path());
    let hash = publish_framework(f.p(1), &f.nodes[1], "kunshan", 1);
    f.wait_all_hold(&BTreeSet::from([hash.clone()]));
    let (t, tv) = (f.p(0), &f.nodes[0].viewer);
    let before = held(t, tv, None);
    let hostile = Hostile::connect(&f.bootstrap);

    // An outsider's own, correctly signed declaration.
    let outsider = NodeKey::from_seed([0x77; 32]);
    let decl = Document::sign(
        &outsider,
        Header {
            issuer: JurisdictionCode::new("320581").unwrap(),
            seq: 1,
            prev: None,
            issued_at: Timestamp::from_unix(1_767_225_600).unwrap(),
        },
        &JurisdictionDecl {
            code: JurisdictionCode::new("320581").unwrap(),
            name_zh: "常熟市".into(),
            name_en: "Changshu".into(),
            public_key: outsider.public_hex(),
        },
    )
    .unwrap();
    hostile.send(decl.bytes().to_vec());
    wait_for("the non-member's document to be refused", || {
        (metric(
            t,
            "deltabench_documents_rejected_total{reason=\"not_a_member\"}",
        ) >= 1.0)
            .then_some(())
    });

    // Kunshan's framework with a changed payload.
    let original = document_bytes(t, tv, &hash);
    hostile.send(tampered(&original, 0));
    wait_for("the tampered document to be refused", || {
        (metric(
            t,
            "deltabench_documents_rejected_total{reason=\"bad_signature\"}",
        ) >= 1.0)
            .then_some(())
    });

    // Kunshan's old document sent again, re-spaced so that gossip's own
    // duplicate filter (by message bytes) does not catch it first: the
    // signature still holds, the node holds it already, nothing changes.
    let dups = metric(t, "deltabench_documents_duplicate_total");
    let respaced: Value = serde_json::from_slice(&original).unwrap();
    hostile.send(serde_json::to_vec_pretty(&respaced).unwrap());
    wait_for("the replay to be counted", || {
        (metric(t, "deltabench_documents_duplicate_total") > dups).then_some(())
    });

    assert_eq!(held(t, tv, None), before, "nothing new was stored");
    let (_, ev) = get(t, "/api/v1/evidence", tv);
    assert!(ev["rejected_by_reason"]["not_a_member"].as_u64().unwrap() >= 1);
    assert!(ev["rejected_by_reason"]["bad_signature"].as_u64().unwrap() >= 1);
}

#[test]
fn a_peer_flooding_invalid_documents_is_disconnected_while_honest_traffic_arrives() {
    let root = tempfile::tempdir().unwrap();
    let f = Federation::start(root.path());
    let (t, tv) = (f.p(0), &f.nodes[0].viewer);
    let decl = held(f.p(1), &f.nodes[1].viewer, Some("320583"));
    let original = document_bytes(t, tv, decl.iter().next().unwrap());
    let mut hostile = Hostile::connect(&f.bootstrap);
    let taicang = node_peer_id(t, tv);
    let flood = std::thread::scope(|s| {
        // Honest Kunshan publishes while the flood runs.
        let (api, kunshan) = (f.p(1).api.clone(), f.nodes[1].clone());
        let honest = s.spawn(move || publish_framework_at(&api, &kunshan, "kunshan", 1));
        for n in 0..200 {
            hostile.send(tampered(&original, n));
        }
        honest.join().unwrap()
    });
    hostile.wait_disconnected(taicang);
    f.wait_all_hold(&BTreeSet::from([flood]));
    assert!(metric(t, "deltabench_peers_banned_total") >= 1.0);
    assert!(metric(t, "deltabench_gossip_messages_total{verdict=\"reject\"}") >= 3.0);
    let (_, peers) = get(t, "/api/v1/peers", tv);
    let hostile_id = hostile.net.peer_id().to_string();
    assert!(
        peers["peers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["peer_id"] != hostile_id.as_str()),
        "{peers}"
    );
    // The honest members stay connected.
    f.wait_connected(0, 2);
}

#[test]
fn an_equivocating_issuer_is_recorded_as_evidence_on_every_node() {
    let root = tempfile::tempdir().unwrap();
    let f = Federation::start(root.path());
    let hash = publish_framework(f.p(2), &f.nodes[2], "jiading", 1);
    f.wait_all_hold(&BTreeSet::from([hash]));
    // Jiading's key signs a second document for sequence 2.
    let (_, docs) = get(
        f.p(0),
        "/api/v1/documents?issuer=310114&kind=jurisdiction",
        &f.nodes[0].viewer,
    );
    let decl = &docs["documents"][0];
    let conflicting = extend_chain(&f.nodes[2], decl, 1);
    let (s, report) = post(
        f.p(0),
        "/api/v1/bundle",
        Some(&f.nodes[0].admin),
        bundle_of(&conflicting),
    );
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["rejected"][0]["reason"], "equivocation");
    for i in 0..3 {
        wait_for(&format!("evidence at {}", f.nodes[i].code), || {
            let (_, ev) = get(f.p(i), "/api/v1/evidence", &f.nodes[i].viewer);
            ev["equivocations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["issuer"] == "310114" && e["seq"] == 2)
                .then_some(())
        });
    }
}
