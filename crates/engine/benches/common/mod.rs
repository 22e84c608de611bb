//! The generated federation the engine benchmarks share: 300 jurisdictions,
//! each with its own 200-indicator framework and summaries for 5 periods,
//! 60,000 crosswalks (unit `ratio` to `%`, every 10th relation `close`) onto
//! the 200-indicator reference framework `yrd.all`, and 120,000 endorsements
//! (the owner and the next member accept each crosswalk; quorum 2).
//!
//! The data is deterministic: the same documents, hashes and values on every
//! run.

use deltabench_engine::Held;
use deltabench_engine::compare::Inputs;
use deltabench_engine::recognition::AllianceView;
use deltabench_model::documents::{
    Crosswalk, CrosswalkSource, Decision, Endorsement, Framework, IndicatorSummary, Relation,
    Summary, TransformStep,
};
use deltabench_model::{
    AllianceId, CrosswalkId, DocHash, FrameworkId, IndicatorCode, IndicatorRef, JurisdictionCode,
    Period, Timestamp, Value,
};
use serde_json::json;

/// The number of jurisdictions, all members of `yrd.all`.
pub const MEMBERS: usize = 300;
/// The number of indicators of every framework, the reference included.
pub const INDICATORS: usize = 200;
/// The periods every jurisdiction has a summary for.
pub const PERIODS: [u16; 5] = [2021, 2022, 2023, 2024, 2025];

/// A deterministic source of document hashes, chain positions and values.
pub struct Gen {
    /// Documents made so far; the next hash encodes this count.
    pub n: u64,
    /// The state of the value generator.
    pub rng: u64,
    /// The last sequence number used on each member's chain.
    pub seqs: Vec<u64>,
}

impl Gen {
    fn hash(&mut self) -> DocHash {
        self.n += 1;
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&self.n.to_be_bytes());
        DocHash::from_bytes(b)
    }

    fn held<P>(&mut self, member: usize, payload: P) -> Held<P> {
        self.seqs[member] += 1;
        Held {
            hash: self.hash(),
            issuer: code(member),
            seq: self.seqs[member],
            issued_at: Timestamp::from_unix(1_750_000_000 + self.n as i64).unwrap(),
            payload,
        }
    }

    /// A deterministic value in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.rng = self
            .rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The code of member `m`: 310000 + m, six digits.
pub fn code(m: usize) -> JurisdictionCode {
    JurisdictionCode::new(format!("{:06}", 310_000 + m)).unwrap()
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

/// The documents of the generated federation.
pub fn inputs() -> Inputs {
    let mut g = Gen {
        n: 0,
        rng: 7,
        seqs: vec![0; MEMBERS],
    };
    let mut inputs = Inputs {
        alliances: vec![AllianceView {
            id: AllianceId::new("yrd.all").unwrap(),
            version: 1,
            members: (0..MEMBERS).map(code).collect(),
            reference_framework: Some(FrameworkId::new("yrd.all").unwrap()),
            recognition_quorum: Some(2),
            digest: "bench".into(),
        }],
        ..Default::default()
    };
    let reference = framework("yrd.all", json!({"alliance": "yrd.all"}), "r");
    inputs.frameworks.push(g.held(0, reference));
    for m in 0..MEMBERS {
        let id = format!("j{m}.fw");
        let f = framework(&id, json!({"jurisdiction": code(m).as_str()}), "i");
        inputs.frameworks.push(g.held(m, f));
        for y in PERIODS {
            let indicators = (0..INDICATORS)
                .map(|k| IndicatorSummary {
                    indicator: IndicatorCode::new(format!("i{k}")).unwrap(),
                    value: Some(Value::new(0.5 + 0.5 * g.unit()).unwrap()),
                    contributors: 10,
                    distribution: None,
                    withheld: Some("bench".into()),
                })
                .collect();
            let s = Summary {
                framework: FrameworkId::new(&id).unwrap(),
                version: semver::Version::new(1, 0, 0),
                period: Period::Year(y),
                k: 3,
                indicators,
                grades: vec![],
                supersedes: None,
            };
            inputs.summaries.push(g.held(m, s));
        }
        for k in 0..INDICATORS {
            let cid = CrosswalkId::new(format!("j{m}.x{k}")).unwrap();
            let c = Crosswalk {
                id: cid.clone(),
                version: 1,
                source: CrosswalkSource {
                    framework: FrameworkId::new(&id).unwrap(),
                    versions: "^1".parse().unwrap(),
                    indicator: IndicatorCode::new(format!("i{k}")).unwrap(),
                },
                target: IndicatorRef::parse(&format!("yrd.all/r{k}")).unwrap(),
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
            let held = g.held(m, c);
            let hash = held.hash.clone();
            inputs.crosswalks.push(held);
            // The owner and one more member accept: recognised with quorum 2.
            for e in [m, (m + 1) % MEMBERS] {
                let endorsement = Endorsement {
                    crosswalk: cid.clone(),
                    crosswalk_hash: hash.clone(),
                    decision: Decision::Accept,
                    comment: None,
                };
                inputs.endorsements.push(g.held(e, endorsement));
            }
        }
    }
    inputs
}
