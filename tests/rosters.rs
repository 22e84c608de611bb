//! The life of an alliance roster over three versions, with real nodes: an
//! office admitted, an office removed and another admitted in its place, a
//! newcomer anchored at the newest version that syncs the whole history, and
//! restarts three days later, when a version in the history has expired.

use crate::support::*;
use deltabench_model::Timestamp;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

const ALLIANCE: &str = "yrd.tax";
const NOT_A_MEMBER: &str = "deltabench_documents_rejected_total{reason=\"not_a_member\"}";
const CLOCK_OFFSET: &str = "DELTABENCH_CLOCK_OFFSET_SECS";
const THREE_DAYS: i64 = 3 * 86_400;

const T: usize = 0; // Taicang
const K: usize = 1; // Kunshan
const J: usize = 2; // Jiading, removed by version 3
const S: usize = 3; // Jiashan, admitted by version 2
const Q: usize = 4; // Qingpu, admitted by version 3

const OFFICES: [(&str, &str, &str); 5] = [
    ("320585", "太仓市", "Taicang"),
    ("320583", "昆山市", "Kunshan"),
    ("310114", "嘉定区", "Jiading"),
    ("330421", "嘉善县", "Jiashan"),
    ("310118", "青浦区", "Qingpu"),
];

/// The five offices, their processes while they run, and the documents every
/// current member must end up holding.
struct Offices {
    nodes: Vec<NodeDir>,
    procs: Vec<Option<Proc>>,
    /// Hash to what the document is, for messages.
    expected: BTreeMap<String, String>,
}

impl Offices {
    fn init(root: &Path) -> Offices {
        Offices {
            nodes: OFFICES
                .iter()
                .map(|(code, zh, en)| NodeDir::init(root, code, zh, en))
                .collect(),
            procs: (0..OFFICES.len()).map(|_| None).collect(),
            expected: BTreeMap::new(),
        }
    }

    fn name(&self, i: usize) -> &'static str {
        OFFICES[i].2
    }

    fn p(&self, i: usize) -> &Proc {
        self.procs[i].as_ref().expect("node running")
    }

    fn viewer(&self, i: usize) -> &str {
        &self.nodes[i].viewer
    }

    /// Starts office `i` dialling `bootstrap`, with `env` for its process;
    /// returns its p2p address.
    fn start(&mut self, i: usize, bootstrap: &[String], env: &[(&str, &str)]) -> String {
        set_p2p(&self.nodes[i], bootstrap);
        let p = start_with_env(&self.nodes[i].config, env);
        let addr = p2p_addr(&p, &self.nodes[i].viewer);
        self.procs[i] = Some(p);
        addr
    }

    fn expect(&mut self, hash: String, what: impl Into<String>) {
        self.expected.insert(hash, what.into());
    }

    /// The hash of office `i`'s declaration (seq 1, signed by `init`).
    fn declaration(&self, i: usize) -> String {
        let chain = self.chain(i, i);
        assert_eq!(chain.len(), 1, "{}: {chain:?}", self.name(i));
        assert_eq!(chain[0].0, 1);
        chain[0].1.clone()
    }

    /// `(seq, hash)` of the documents of `issuer` that office `i` holds.
    fn chain(&self, i: usize, issuer: usize) -> Vec<(u64, String)> {
        let path = format!("/api/v1/documents?issuer={}", OFFICES[issuer].0);
        let (s, v) = get(self.p(i), &path, self.viewer(i));
        assert_eq!(s, 200, "{v}");
        let mut out: Vec<(u64, String)> = v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["seq"].as_u64().unwrap(),
                    d["hash"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn publish_roster(&self, i: usize, file: &Path) -> String {
        let out = roster_publish(self.p(i), &self.nodes[i].admin, file, true);
        assert!(
            out.status.success(),
            "{} could not publish {}: {}",
            self.name(i),
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["hash"].as_str().unwrap().to_owned()
    }

    fn rosters(&self, i: usize) -> Value {
        let (s, v) = get(self.p(i), "/api/v1/rosters", self.viewer(i));
        assert_eq!(s, 200, "{v}");
        v
    }

    fn version_in_force(&self, i: usize) -> Option<u64> {
        self.rosters(i)["rosters"]
            .as_array()?
            .iter()
            .find(|r| r["roster"]["alliance"] == ALLIANCE)?["roster"]["version"]
            .as_u64()
    }

    /// `(version, came_into_force, in_force)` of every version office `i`
    /// holds, oldest first.
    fn history(&self, i: usize) -> Vec<(u64, bool, bool)> {
        self.rosters(i)["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["alliance"] == ALLIANCE)
            .map(|h| {
                (
                    h["version"].as_u64().unwrap(),
                    h["came_into_force"].as_bool().unwrap(),
                    h["in_force"].as_bool().unwrap(),
                )
            })
            .collect()
    }

    fn wait_in_force(&self, which: &[usize], version: u64) {
        for &i in which {
            self.wait_until(
                i,
                &format!("roster version {version} in force at {}", self.name(i)),
                || self.version_in_force(i) == Some(version),
            );
        }
    }

    fn wait_peers(&self, i: usize, n: usize) {
        self.wait_until(i, &format!("{} to have {n} peers", self.name(i)), || {
            let (_, v) = get(self.p(i), "/api/v1/peers", self.viewer(i));
            v["peers"].as_array().map_or(0, Vec::len) >= n
        });
    }

    /// Waits until office `i` holds every expected document.
    fn wait_holding_expected(&self, i: usize) {
        let want: BTreeSet<String> = self.expected.keys().cloned().collect();
        let missing = || {
            let have = held(self.p(i), self.viewer(i), None);
            let missing: Vec<&str> = want
                .difference(&have)
                .map(|h| self.expected[h].as_str())
                .collect();
            format!("{} lacks {missing:?}\n{}", self.name(i), self.diagnose(i))
        };
        wait_for_or(
            &format!("{} to hold every expected document", self.name(i)),
            || {
                held(self.p(i), self.viewer(i), None)
                    .is_superset(&want)
                    .then_some(())
            },
            missing,
        );
    }

    /// Polls `f` until it holds, failing after [`NET_TIMEOUT`] with office
    /// `i`'s state and log.
    fn wait_until(&self, i: usize, what: &str, mut f: impl FnMut() -> bool) {
        wait_for_or(what, || f().then_some(()), || self.diagnose(i));
    }

    /// What office `i` holds and logged, for a failure message.
    fn diagnose(&self, i: usize) -> String {
        let p = self.p(i);
        let (_, docs) = get(p, "/api/v1/documents", self.viewer(i));
        let docs: Vec<String> = docs["documents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {} seq {}", d["issuer"], d["kind"], d["seq"]))
            .collect();
        let (_, ev) = get(p, "/api/v1/evidence", self.viewer(i));
        format!(
            "{} holds {docs:?}\nrosters history: {}\npending: {}\nrejected: {}\nrecent rejections: {}\nlog:\n{}",
            self.name(i),
            self.rosters(i)["history"],
            metric(p, "deltabench_documents_pending"),
            ev["rejected_by_reason"],
            ev["recent_rejections"],
            p.stderr_text()
        )
    }
}

/// The signed envelope of a document, as a node holds it.
fn envelope(p: &Proc, token: &str, hash: &str) -> Vec<u8> {
    let resp = http()
        .get(p.url(&format!("/api/v1/documents/{hash}")))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.bytes().unwrap().to_vec()
}

#[test]
fn a_roster_admits_removes_and_replaces_members_and_every_member_agrees() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let mut f = Offices::init(r);

    // 1. Version 1: Taicang, Kunshan and Jiading, threshold 2, approved by
    // two and joined by all three, which connect. Taicang also publishes
    // version 1 on its chain, so that the history travels as documents.
    let v1 = {
        let n = &f.nodes;
        form_alliance(r, ALLIANCE, &[&n[T], &n[K], &n[J]], 2)
    };
    let boot_t = f.start(T, &[], &[]);
    let boot_k = f.start(K, std::slice::from_ref(&boot_t), &[]);
    f.start(J, std::slice::from_ref(&boot_t), &[]);
    f.wait_peers(T, 2);
    for i in [T, K, J] {
        let d = f.declaration(i);
        f.expect(d, format!("{}'s declaration", f.name(i)));
    }
    let jiading_declaration = f.declaration(J);
    let v1_doc = f.publish_roster(T, &v1);
    f.expect(v1_doc.clone(), "roster v1 on Taicang's chain");
    for (i, sample) in [(T, "taicang"), (K, "kunshan"), (J, "jiading")] {
        let h = publish_framework(f.p(i), &f.nodes[i], sample, 1);
        f.expect(h, format!("{}'s framework 9.0.1", f.name(i)));
    }
    for i in [T, K, J] {
        f.wait_holding_expected(i);
    }

    // 2. Version 2 admits Jiashan (threshold 3 of 4), approved by two of
    // version 1's members, in force for one day, drafted against Taicang's
    // node and published on Taicang's chain.
    let v2 = {
        let n = &f.nodes;
        let api = f.p(T).api.clone();
        draft_roster_with(
            r,
            ALLIANCE,
            2,
            &[&n[T], &n[K], &n[J], &n[S]],
            3,
            &[&n[T], &n[K]],
            &["--days", "1", "--node", &api, "--token", &n[T].viewer],
        )
    };
    let drafted: Value = serde_json::from_slice(&std::fs::read(&v2).unwrap()).unwrap();
    assert!(
        drafted["roster"]["former"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "version 2 removes nobody: {drafted}"
    );
    let v2_doc = f.publish_roster(T, &v2);
    f.expect(v2_doc.clone(), "roster v2 on Taicang's chain");
    f.wait_in_force(&[T, K, J], 2);
    join_roster(&f.nodes[S], &v2);
    f.start(S, &[boot_t.clone(), boot_k.clone()], &[]);
    assert_eq!(f.version_in_force(S), Some(2));
    let d = f.declaration(S);
    f.expect(d, "Jiashan's declaration");
    let h = publish_framework(f.p(S), &f.nodes[S], "kunshan", 1);
    f.expect(h, "Jiashan's framework 9.0.1");
    for i in [T, K, J, S] {
        f.wait_holding_expected(i);
    }

    // 3. Version 3 removes Jiading and admits Qingpu (threshold 3 of 4),
    // drafted against Kunshan's node so that it records where Jiading's chain
    // stands, approved by three of version 2's members, published by Kunshan.
    let jiading_head = f.chain(K, J).last().cloned().unwrap();
    assert_eq!(jiading_head.0, 2, "declaration and framework");
    let v3 = {
        let n = &f.nodes;
        let api = f.p(K).api.clone();
        draft_roster_with(
            r,
            ALLIANCE,
            3,
            &[&n[T], &n[K], &n[S], &n[Q]],
            3,
            &[&n[T], &n[K], &n[S]],
            &["--node", &api, "--token", &n[K].viewer],
        )
    };
    let drafted: Value = serde_json::from_slice(&std::fs::read(&v3).unwrap()).unwrap();
    let former = drafted["roster"]["former"].as_array().unwrap();
    assert_eq!(former.len(), 1, "{drafted}");
    assert_eq!(former[0]["code"], OFFICES[J].0);
    assert_eq!(former[0]["key"], f.nodes[J].public_key.as_str());
    assert_eq!(former[0]["removed_in"], 3);
    assert_eq!(former[0]["last_seq"], jiading_head.0);
    assert_eq!(former[0]["last_hash"], jiading_head.1.as_str());
    let v3_doc = f.publish_roster(K, &v3);
    f.expect(v3_doc.clone(), "roster v3 on Kunshan's chain");
    f.wait_in_force(&[T, K, S], 3);

    // 4. Taicang publishes again; Jiading, removed, publishes too (its node
    // runs on): the members refuse its document.
    let h = publish_framework(f.p(T), &f.nodes[T], "taicang", 2);
    f.expect(h, "Taicang's framework 9.0.2, after version 3");
    let refused_before: Vec<f64> = [T, K, S]
        .iter()
        .map(|&i| metric(f.p(i), NOT_A_MEMBER))
        .collect();
    let late = publish_framework(f.p(J), &f.nodes[J], "jiading", 2);
    f.wait_until(T, "a member to refuse Jiading's document", || {
        [T, K, S]
            .iter()
            .zip(&refused_before)
            .any(|(&i, &before)| metric(f.p(i), NOT_A_MEMBER) > before)
    });
    for i in [T, K, S] {
        f.wait_holding_expected(i);
    }

    // 5. Qingpu joins with version 3 as its anchor and syncs the history.
    join_roster(&f.nodes[Q], &v3);
    f.start(Q, &[boot_t.clone(), boot_k.clone()], &[]);
    assert_eq!(f.version_in_force(Q), Some(3));
    let d = f.declaration(Q);
    f.expect(d, "Qingpu's declaration");
    for i in [T, K, S, Q] {
        f.wait_holding_expected(i);
    }

    // 6. Every current member holds the same documents, byte for byte:
    // Jiading's chain up to its recorded head, all three roster versions, and
    // not Jiading's late document.
    let current = [T, K, S, Q];
    let want: BTreeSet<String> = f.expected.keys().cloned().collect();
    assert_eq!(want.len(), 13, "{:?}", f.expected);
    for i in current {
        assert_eq!(
            held(f.p(i), f.viewer(i), None),
            want,
            "{} holds exactly the expected documents\n{}",
            f.name(i),
            f.diagnose(i)
        );
        assert_eq!(
            f.chain(i, J),
            vec![
                (1, jiading_declaration.clone()),
                (jiading_head.0, jiading_head.1.clone())
            ],
            "{}: Jiading's chain up to its recorded head",
            f.name(i)
        );
        let (_, rosters) = get(f.p(i), "/api/v1/documents?kind=roster", f.viewer(i));
        let roster_docs: BTreeSet<&str> = rosters["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["hash"].as_str().unwrap())
            .collect();
        assert_eq!(
            roster_docs,
            BTreeSet::from([v1_doc.as_str(), v2_doc.as_str(), v3_doc.as_str()]),
            "{}",
            f.name(i)
        );
    }
    let reference = bundle(f.p(T), f.viewer(T));
    for i in [K, S, Q] {
        assert!(
            bundle(f.p(i), f.viewer(i)) == reference,
            "{}'s bundle differs from Taicang's",
            f.name(i)
        );
    }
    assert!(!want.contains(&late));

    // Version 3 in force everywhere, the same roster, each node's history as
    // it came to know it.
    let in_force = f.rosters(T)["rosters"].clone();
    let ids: Vec<Value> = f.rosters(T)["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].clone())
        .collect();
    assert_eq!(ids.len(), 3);
    for i in current {
        let rosters = f.rosters(i);
        assert_eq!(rosters["rosters"], in_force, "{}", f.name(i));
        assert_eq!(in_force[0]["roster"]["version"], 3);
        let their_ids: Vec<Value> = rosters["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].clone())
            .collect();
        assert_eq!(their_ids, ids, "{}: the same versions", f.name(i));
        let expected_history = match i {
            // Configured at version 1, then each version arrived in force.
            T | K => vec![(1, true, false), (2, true, false), (3, true, true)],
            // Anchored at version 2: version 1 is history only.
            S => vec![(1, false, false), (2, true, false), (3, true, true)],
            // Anchored at version 3: the earlier ones are history only.
            _ => vec![(1, false, false), (2, false, false), (3, true, true)],
        };
        assert_eq!(f.history(i), expected_history, "{}", f.name(i));
    }

    // Jiading's whole chain offered to Qingpu (anchored at version 3): the
    // recorded part is held already, the late document refused.
    let jiading_chain: Vec<Vec<u8>> = f
        .chain(J, J)
        .iter()
        .map(|(_, h)| envelope(f.p(J), f.viewer(J), h))
        .collect();
    assert_eq!(jiading_chain.len(), 3);
    let (s, report) = post(
        f.p(Q),
        "/api/v1/bundle",
        Some(&f.nodes[Q].admin),
        bundle_of(&jiading_chain),
    );
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["accepted"], 0, "{report}");
    assert_eq!(report["duplicates"], 2, "{report}");
    assert_eq!(report["rejected"][0]["index"], 2, "{report}");
    assert_eq!(report["rejected"][0]["reason"], "not_a_member", "{report}");
    let mut refusing = 0;
    for i in current {
        let (_, ev) = get(f.p(i), "/api/v1/evidence", f.viewer(i));
        refusing += usize::from(ev["rejected_by_reason"]["not_a_member"].as_u64() >= Some(1));
    }
    assert!(refusing >= 2, "Qingpu and the gossip receivers counted it");

    // 7. Taicang, Jiashan (anchored at version 2) and Qingpu restart with
    // clocks three days on, when version 2 has expired: version 3 stays in
    // force, and nothing held changes.
    let before: Vec<(BTreeSet<String>, Value)> = current
        .iter()
        .map(|&i| (held(f.p(i), f.viewer(i), None), f.rosters(i)))
        .collect();
    let offset = THREE_DAYS.to_string();
    for i in [T, S, Q] {
        assert!(f.procs[i].take().unwrap().stop(), "{} stops", f.name(i));
    }
    for i in [T, S, Q] {
        f.start(i, std::slice::from_ref(&boot_k), &[(CLOCK_OFFSET, &offset)]);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (n, &i) in current.iter().enumerate() {
        if i != K {
            // Connected to Kunshan, with the clock shifted.
            f.wait_peers(i, 1);
            let (_, peers) = get(f.p(i), "/api/v1/peers", f.viewer(i));
            let at = peers["peers"][0]["connected_at"].as_str().unwrap();
            assert!(
                Timestamp::parse(at).unwrap().unix() >= now + THREE_DAYS - 600,
                "{}: the clock is shifted: {at}",
                f.name(i)
            );
            assert_eq!(f.version_in_force(i), Some(3), "{}", f.name(i));
        }
        assert_eq!(f.rosters(i), before[n].1, "{}: the same rosters", f.name(i));
        assert_eq!(
            held(f.p(i), f.viewer(i), None),
            before[n].0,
            "{}: the same documents",
            f.name(i)
        );
    }
    // The restarted Taicang still refuses Jiading's late document.
    let (s, report) = post(
        f.p(T),
        "/api/v1/bundle",
        Some(&f.nodes[T].admin),
        bundle_of(&jiading_chain[2..]),
    );
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["rejected"][0]["reason"], "not_a_member", "{report}");
    eprintln!("roster lifecycle took {:?}", started.elapsed());
}
