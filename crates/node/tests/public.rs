//! Public rating on a node: projects need one of the node's units, codes
//! are answered once and kept only as digests, and a code rates once, also
//! after the node is reopened.

use deltabench_model::documents::Framework;
use deltabench_model::local::Unit;
use deltabench_model::public::Project;
use deltabench_model::{JurisdictionCode, ProjectId};
use deltabench_node::local::LocalError;
use deltabench_node::public::RatingRequest;
use deltabench_node::{Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_store::public::Rated;
use deltabench_trust::NodeKey;
use std::path::Path;
use std::sync::Arc;

const FRAMEWORK: &str = include_str!("../../engine/tests/data/small-framework.json");

fn open(dir: &Path) -> Node {
    let identity = Identity {
        code: JurisdictionCode::new("320585").unwrap(),
        name_zh: "太仓市".into(),
        name_en: "Taicang".into(),
    };
    Node::open(
        identity,
        NodeKey::from_seed([1; 32]),
        Store::open(dir).unwrap(),
        vec![],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap()
}

fn project(unit: &str) -> Project {
    serde_json::from_value(serde_json::json!({
        "id": "lib-2025", "name_zh": "图书馆改造", "name_en": "Library renovation",
        "unit": unit, "place": "城厢镇", "budget": 1_200_000, "period": "2025",
        "category": "culture",
    }))
    .unwrap()
}

fn rate(node: &Node, code: &str, level: u8) -> Result<Rated, LocalError> {
    node.rate(RatingRequest {
        project: ProjectId::new("lib-2025").unwrap(),
        code: code.into(),
        level,
        comment: None,
    })
}

#[test]
fn a_code_rates_once_and_is_still_used_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let codes = {
        let node = open(dir.path());
        node.declare().unwrap();
        let f: Framework = serde_json::from_str(FRAMEWORK).unwrap();
        node.publish_framework(f).unwrap();
        let unit: Unit = serde_json::from_value(serde_json::json!(
            {"id": "culture", "name_zh": "文体局", "name_en": "Culture bureau", "category": "agency"}
        ))
        .unwrap();
        node.put_units(&[unit]).unwrap();
        // A project needs one of the node's units.
        match node.put_projects(&[project("nobody")]) {
            Err(LocalError::Invalid(e)) => assert_eq!(e.field, "projects[0].unit"),
            other => panic!("{other:?}"),
        }
        assert_eq!(node.put_projects(&[project("culture")]).unwrap(), 1);
        let id = ProjectId::new("lib-2025").unwrap();
        assert!(matches!(
            node.issue_codes(&id, 0),
            Err(LocalError::Invalid(e)) if e.field == "count"
        ));
        assert!(matches!(
            node.issue_codes(&ProjectId::new("none").unwrap(), 1),
            Err(LocalError::NotFound(_))
        ));
        let codes = node.issue_codes(&id, 3).unwrap();
        assert_eq!(codes.len(), 3);
        let first = codes[0].to_string();
        assert_eq!(rate(&node, &first, 5).unwrap(), Rated::Stored(1));
        assert_eq!(
            rate(&node, &first.to_lowercase(), 1).unwrap(),
            Rated::CodeUsed
        );
        assert_eq!(
            rate(&node, "0000-0000-0000", 4).unwrap(),
            Rated::UnknownCode
        );
        assert!(matches!(
            rate(&node, "short", 4),
            Err(LocalError::Invalid(e)) if e.field == "code"
        ));
        assert!(matches!(
            rate(&node, &codes[1].to_string(), 9),
            Err(LocalError::Invalid(e)) if e.field == "level"
        ));
        codes
    };
    // Reopened: what was acknowledged is there, and the codes hold.
    let node = Node::open(
        Identity {
            code: JurisdictionCode::new("320585").unwrap(),
            name_zh: "太仓市".into(),
            name_en: "Taicang".into(),
        },
        NodeKey::from_seed([1; 32]),
        Store::open_waiting(dir.path()).unwrap(),
        vec![],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap();
    assert_eq!(node.store().ratings().unwrap().len(), 1);
    assert_eq!(
        rate(&node, &codes[0].to_string(), 3).unwrap(),
        Rated::CodeUsed
    );
    assert_eq!(
        rate(&node, &codes[1].to_string(), 2).unwrap(),
        Rated::Stored(2)
    );
    // A code issued under another node's key is worth nothing here.
    let other = NodeKey::from_seed([2; 32]);
    let foreign = deltabench_trust::codes::CodeKey::derive(&other.seed());
    let mine = deltabench_trust::codes::CodeKey::derive(&[1; 32]);
    assert_ne!(
        foreign.digest("lib-2025", "2025", &codes[2]),
        mine.digest("lib-2025", "2025", &codes[2])
    );
}
