//! The Delta-scale federation, signed, for the memory benchmark: the
//! engine benchmarks' 300 × 200 data set (`crates/engine/benches/common`)
//! as real members publish it.
//!
//! - the alliance `yrd.all`: a roster naming 300 members, each with its own
//!   key, approved by 151 of them (more than half), with the reference
//!   framework `yrd.all` and recognition quorum 2;
//! - per member: its jurisdiction declaration (seq 1), its 200-indicator
//!   framework, summaries for 5 periods, 200 crosswalks onto the reference
//!   and the endorsements (the owner and the next member accept each);
//!   member 0 also publishes the roster and the reference framework:
//!   182,102 documents, the "base" set;
//! - then, to grow past it, each member publishes corrected summaries
//!   (superseding its previous ones) and endorses further members'
//!   crosswalks, until the set holds the requested total.
//!
//! Chains are signed on all cores (one member per task). The documents are
//! put in the order gossip would bring them: round robin over the members,
//! each chain in order, the base set first.
//!
//! The data is deterministic: the same bytes on every run.

use deltabench_engine::recognition::AllianceView;
use deltabench_model::documents::{
    Crosswalk, CrosswalkSource, Decision, DocKind, Endorsement, Framework, IndicatorSummary,
    JurisdictionDecl, Member, Payload, Relation, Roster, Summary, Supersedes, TransformStep,
};
use deltabench_model::{
    AllianceId, CrosswalkId, DocHash, FrameworkId, IndicatorCode, IndicatorRef, JurisdictionCode,
    Period, Timestamp, Value,
};
use deltabench_node::{Clock, Identity, Node, Policy};
use deltabench_store::Store;
use deltabench_trust::roster::{RosterDoc, sign_roster};
use deltabench_trust::{Document, Header, NodeKey};
use rayon::prelude::*;
use serde_json::json;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

/// The benchmark's clock time.
pub const NOW: i64 = 1_767_225_600;
/// The members of the alliance.
pub const MEMBERS: usize = 300;
/// The indicators of every framework, the reference included.
pub const INDICATORS: usize = 200;
/// The periods every member has a summary for.
pub const PERIODS: [u16; 5] = [2021, 2022, 2023, 2024, 2025];
/// The alliance, and its reference framework's id.
pub const ALLIANCE: &str = "yrd.all";
/// Documents of the base set: per member a declaration, a framework, 5
/// summaries, 200 crosswalks and 400 endorsements; plus the roster and the
/// reference framework.
pub const BASE: usize = MEMBERS * (1 + 1 + PERIODS.len() + INDICATORS * 3) + 2;

/// A clock stopped at [`NOW`].
pub struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(NOW).unwrap()
    }
}

/// The code of member `m`: 310000 + m.
pub fn code(m: usize) -> JurisdictionCode {
    JurisdictionCode::new(format!("{:06}", 310_000 + m)).unwrap()
}

/// The key of member `m`.
pub fn key(m: usize) -> NodeKey {
    let mut seed = [0x5d; 32];
    seed[..8].copy_from_slice(&(m as u64).to_le_bytes());
    NodeKey::from_seed(seed)
}

/// The founding roster of `yrd.all`, approved by 151 members.
pub fn roster() -> RosterDoc {
    let keys: Vec<NodeKey> = (0..MEMBERS).map(key).collect();
    let roster = Roster {
        alliance: AllianceId::new(ALLIANCE).unwrap(),
        version: 1,
        members: keys
            .iter()
            .enumerate()
            .map(|(m, k)| Member {
                code: code(m),
                key: k.public_hex(),
                name_zh: format!("成员{m}"),
                name_en: format!("Member {m}"),
            })
            .collect(),
        threshold: (MEMBERS / 2 + 1) as u32,
        expires_at: Timestamp::from_unix(NOW + 365 * 86_400).unwrap(),
        reference_framework: Some(FrameworkId::new(ALLIANCE).unwrap()),
        recognition_quorum: Some(2),
        former: vec![],
        previous: None,
    };
    let approvers: Vec<(&NodeKey, JurisdictionCode)> = keys
        .iter()
        .enumerate()
        .take(MEMBERS / 2 + 1)
        .map(|(m, k)| (k, code(m)))
        .collect();
    sign_roster(&roster, &approvers).unwrap()
}

/// The rosters in force as the engine reads them.
pub fn alliance_views(roster: &RosterDoc) -> Vec<AllianceView> {
    let r = roster.roster();
    vec![AllianceView {
        id: r.alliance.clone(),
        version: r.version,
        members: r.members.iter().map(|m| m.code.clone()).collect(),
        reference_framework: r.reference_framework.clone(),
        recognition_quorum: r.recognition_quorum,
        digest: roster.id().to_string(),
    }]
}

/// Member 0's node on `store`, anchored at `roster`.
pub fn node(store: Store, roster: RosterDoc) -> Node {
    let identity = Identity {
        code: code(0),
        name_zh: "成员0".into(),
        name_en: "Member 0".into(),
    };
    Node::open(
        identity,
        key(0),
        store,
        vec![roster],
        Policy::default(),
        Arc::new(Fixed),
    )
    .unwrap()
}

/// A reference indicator, `yrd.all/r{k}`.
pub fn reference(k: usize) -> IndicatorRef {
    IndicatorRef::parse(&format!("{ALLIANCE}/r{}", k % INDICATORS)).unwrap()
}

fn framework(id: &str, owner: serde_json::Value, prefix: &str) -> Framework {
    let indicators: Vec<serde_json::Value> = (0..INDICATORS)
        .map(|k| {
            let lower = k % 3 == 0;
            json!({"code": format!("{prefix}{k}"), "name_zh": "指标", "name_en": "indicator",
                   "dimension": "tax", "unit": if prefix == "r" { "%" } else { "ratio" },
                   "direction": if lower { "lower_is_better" } else { "higher_is_better" },
                   "aggregation": {"rule": "mean"},
                   "range": {"min": 0, "max": if prefix == "r" { 100 } else { 1 }}})
        })
        .collect();
    serde_json::from_value(json!({"id": id, "version": "1.0.0", "owner": owner,
        "name_zh": "框架", "name_en": "framework",
        "periods": PERIODS.iter().map(|y| y.to_string()).collect::<Vec<_>>(),
        "indicators": indicators}))
    .unwrap()
}

/// One member's chain as it is signed.
struct Chain {
    m: usize,
    key: NodeKey,
    seq: u64,
    prev: Option<DocHash>,
    rng: u64,
    docs: Vec<Vec<u8>>,
    /// Its crosswalks' hashes, by indicator.
    crosswalks: Vec<DocHash>,
    /// Its newest summary per period.
    summaries: Vec<DocHash>,
}

impl Chain {
    fn header(&mut self) -> Header {
        self.seq += 1;
        Header {
            issuer: code(self.m),
            seq: self.seq,
            prev: self.prev.take(),
            issued_at: Timestamp::from_unix(NOW - 10_000_000 + self.seq as i64).unwrap(),
        }
    }

    fn push(&mut self, doc: Document) -> DocHash {
        let hash = doc.hash().clone();
        self.prev = Some(hash.clone());
        self.docs.push(doc.bytes().to_vec());
        hash
    }

    fn sign<P: Payload>(&mut self, payload: &P) -> DocHash {
        let header = self.header();
        let doc = Document::sign(&self.key, header, payload).unwrap();
        self.push(doc)
    }

    fn unit(&mut self) -> f64 {
        self.rng = self
            .rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    fn framework_id(&self) -> FrameworkId {
        FrameworkId::new(format!("j{}.fw", self.m)).unwrap()
    }

    /// A summary of `year`, correcting the previous one of that year if any.
    fn summary(&mut self, p: usize) {
        let indicators = (0..INDICATORS)
            .map(|k| IndicatorSummary {
                indicator: IndicatorCode::new(format!("i{k}")).unwrap(),
                value: Some(Value::new(0.5 + 0.5 * self.unit()).unwrap()),
                contributors: 10,
                distribution: None,
                withheld: Some("bench".into()),
            })
            .collect();
        let s = Summary {
            framework: self.framework_id(),
            version: semver::Version::new(1, 0, 0),
            period: Period::Year(PERIODS[p]),
            k: 3,
            indicators,
            grades: vec![],
            supersedes: self.summaries.get(p).map(|h| Supersedes {
                hash: h.clone(),
                reason: "corrected".into(),
            }),
        };
        let hash = self.sign(&s);
        if p < self.summaries.len() {
            self.summaries[p] = hash;
        } else {
            self.summaries.push(hash);
        }
    }

    fn endorse(&mut self, owner: usize, k: usize, hash: &DocHash) {
        self.sign(&Endorsement {
            crosswalk: CrosswalkId::new(format!("j{owner}.x{k}")).unwrap(),
            crosswalk_hash: hash.clone(),
            decision: Decision::Accept,
            comment: None,
        });
    }

    /// The member's own documents: declaration, (roster and reference),
    /// framework, summaries, and each crosswalk followed by its owner's
    /// acceptance.
    fn own(&mut self, roster: &RosterDoc) {
        let decl = JurisdictionDecl {
            code: code(self.m),
            name_zh: format!("成员{}", self.m),
            name_en: format!("Member {}", self.m),
            public_key: self.key.public_hex(),
        };
        self.sign(&decl);
        if self.m == 0 {
            let header = self.header();
            let doc =
                Document::sign_value(&self.key, header, DocKind::Roster, roster.payload().clone())
                    .unwrap();
            self.push(doc);
            self.sign(&framework(ALLIANCE, json!({"alliance": ALLIANCE}), "r"));
        }
        let id = self.framework_id();
        self.sign(&framework(
            id.as_str(),
            json!({"jurisdiction": code(self.m).as_str()}),
            "i",
        ));
        for p in 0..PERIODS.len() {
            self.summary(p);
        }
        for k in 0..INDICATORS {
            let c = Crosswalk {
                id: CrosswalkId::new(format!("j{}.x{k}", self.m)).unwrap(),
                version: 1,
                source: CrosswalkSource {
                    framework: id.clone(),
                    versions: "^1".parse().unwrap(),
                    indicator: IndicatorCode::new(format!("i{k}")).unwrap(),
                },
                target: reference(k),
                relation: if k % 10 == 9 {
                    Relation::Close
                } else {
                    Relation::Exact
                },
                transform: vec![TransformStep::Unit {
                    from: "ratio".into(),
                    to: "%".into(),
                }],
                valid_from: None,
                valid_to: None,
                justification: "bench".into(),
                confidence: Value::new(0.9).unwrap(),
            };
            let hash = self.sign(&c);
            self.crosswalks.push(hash.clone());
            let m = self.m;
            self.endorse(m, k, &hash);
        }
    }
}

/// The signed documents, in the order a node receives them.
pub struct DataSet {
    /// How many of `docs` form the base set (the first ones).
    pub base: usize,
    /// The envelopes.
    pub docs: Vec<Vec<u8>>,
}

/// Round robin over the chains' documents from `from[m]` on.
fn interleave(chains: &[Chain], from: &[usize], out: &mut Vec<Vec<u8>>) {
    let longest = chains
        .iter()
        .zip(from)
        .map(|(c, f)| c.docs.len() - f)
        .max()
        .unwrap_or(0);
    for i in 0..longest {
        for (c, f) in chains.iter().zip(from) {
            if let Some(d) = c.docs.get(f + i) {
                out.push(d.clone());
            }
        }
    }
}

/// Signs the base set and then growth documents up to `total` (at least
/// the base set).
pub fn generate(total: usize) -> DataSet {
    let roster = roster();
    let mut chains: Vec<Chain> = (0..MEMBERS)
        .map(|m| Chain {
            m,
            key: key(m),
            seq: 0,
            prev: None,
            rng: 7 + m as u64,
            docs: Vec::new(),
            crosswalks: Vec::new(),
            summaries: Vec::new(),
        })
        .collect();
    chains.par_iter_mut().for_each(|c| c.own(&roster));
    // Each member accepts the previous member's crosswalks: every crosswalk
    // has its owner's and the next member's acceptance.
    let hashes: Vec<Vec<DocHash>> = chains.iter().map(|c| c.crosswalks.clone()).collect();
    let ends = |chains: &mut Vec<Chain>, back: usize, each: &(dyn Fn(usize) -> usize + Sync)| {
        chains.par_iter_mut().for_each(|c| {
            let owner = (c.m + MEMBERS - back) % MEMBERS;
            for (k, hash) in hashes[owner].iter().enumerate().take(each(c.m)) {
                c.endorse(owner, k, hash);
            }
        })
    };
    ends(&mut chains, 1, &|_| INDICATORS);
    let mut docs = Vec::with_capacity(total.max(BASE));
    interleave(&chains, &vec![0; MEMBERS], &mut docs);
    assert_eq!(docs.len(), BASE);
    // Growth: per member, in rounds, 5 corrected summaries then acceptances
    // of one more member's crosswalks, until each has its share.
    let extra = total.saturating_sub(BASE);
    let share = |m: usize| extra / MEMBERS + usize::from(m < extra % MEMBERS);
    let from: Vec<usize> = chains.iter().map(|c| c.docs.len()).collect();
    let mut back = 2;
    loop {
        let left = |c: &Chain, m: usize| share(m) - (c.docs.len() - from[m]);
        if chains.iter().all(|c| left(c, c.m) == 0) {
            break;
        }
        chains.par_iter_mut().for_each(|c| {
            for p in 0..PERIODS.len() {
                if left(c, c.m) > 0 {
                    c.summary(p);
                }
            }
        });
        let todo: Vec<usize> = chains.iter().map(|c| left(c, c.m)).collect();
        ends(&mut chains, back, &|m| todo[m]);
        back += 1;
    }
    interleave(&chains, &from, &mut docs);
    DataSet { base: BASE, docs }
}

/// Writes `set` to `path`: base and total as u64 LE, then each envelope
/// as u32 LE length and bytes.
pub fn write(path: &Path, set: &DataSet) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    w.write_all(&(set.base as u64).to_le_bytes())?;
    w.write_all(&(set.docs.len() as u64).to_le_bytes())?;
    for d in &set.docs {
        w.write_all(&(d.len() as u32).to_le_bytes())?;
        w.write_all(d)?;
    }
    w.flush()
}

/// Reads a data set written by [`write`] a batch at a time.
pub struct Reader {
    r: BufReader<std::fs::File>,
    /// Documents of the base set.
    pub base: usize,
    /// Documents in all.
    pub total: usize,
    /// Documents read so far.
    pub read: usize,
}

impl Reader {
    /// Opens the file and reads its header.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut r = BufReader::new(std::fs::File::open(path)?);
        let mut b = [0u8; 8];
        r.read_exact(&mut b)?;
        let base = u64::from_le_bytes(b) as usize;
        r.read_exact(&mut b)?;
        let total = u64::from_le_bytes(b) as usize;
        Ok(Reader {
            r,
            base,
            total,
            read: 0,
        })
    }

    /// The next at most `n` envelopes, never crossing the end of the base
    /// set (so that a step ends exactly there).
    pub fn batch(&mut self, n: usize) -> Vec<Vec<u8>> {
        let limit = if self.read < self.base {
            self.base
        } else {
            self.total
        };
        let n = n.min(limit - self.read);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut len = [0u8; 4];
            self.r.read_exact(&mut len).unwrap();
            let mut d = vec![0u8; u32::from_le_bytes(len) as usize];
            self.r.read_exact(&mut d).unwrap();
            out.push(d);
        }
        self.read += n;
        out
    }
}
