//! What the node benchmarks share: a fixed clock and a node of Taicang in
//! an alliance with Kunshan (seed 2), whose documents it takes in.

use deltabench_model::documents::{Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, JurisdictionCode, Timestamp};
use deltabench_node::{Clock, Identity, Node, Policy};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use deltabench_trust::roster::{RosterDoc, approve_roster};
use std::sync::Arc;

/// The benchmarks' clock time.
pub const NOW: i64 = 1_767_225_600;

/// A clock stopped at [`NOW`].
pub struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(NOW).unwrap()
    }
}

/// A jurisdiction code.
pub fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

/// Taicang's node on `store`, in the yrd.tax alliance with Kunshan.
pub fn node(store: Store) -> Node {
    let me = NodeKey::from_seed([1; 32]);
    let kunshan = NodeKey::from_seed([2; 32]);
    let roster = Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version: 1,
        members: [("320585", &me), ("320583", &kunshan)]
            .iter()
            .map(|(c, k)| Member {
                code: code(c),
                key: k.public_hex(),
                name_zh: c.to_string(),
                name_en: c.to_string(),
            })
            .collect(),
        threshold: 2,
        expires_at: Timestamp::from_unix(NOW + 86_400).unwrap(),
        reference_framework: None,
        recognition_quorum: None,
        former: vec![],
        previous: None,
    };
    let approvals = vec![
        approve_roster(&me, code("320585"), &roster).unwrap(),
        approve_roster(&kunshan, code("320583"), &roster).unwrap(),
    ];
    let identity = Identity {
        code: code("320585"),
        name_zh: "太仓市".into(),
        name_en: "Taicang".into(),
    };
    Node::open(
        identity,
        me,
        store,
        vec![RosterDoc::from_signed(&SignedRoster { roster, approvals }).unwrap()],
        Policy::default(),
        Arc::new(Fixed),
    )
    .unwrap()
}
