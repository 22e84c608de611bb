//! What the node's public-rating tests share: Taicang's node on a folder,
//! a project and a rating.

#![allow(dead_code)]

use deltabench_model::public::Project;
use deltabench_model::{JurisdictionCode, ProjectId};
use deltabench_node::local::LocalError;
use deltabench_node::public::RatingRequest;
use deltabench_node::{Clock, Identity, Node, Policy};
use deltabench_store::Store;
use deltabench_store::public::Rated;
use deltabench_trust::NodeKey;
use std::path::Path;
use std::sync::Arc;

/// The small framework of the engine's tests.
pub const FRAMEWORK: &str = include_str!("../../../engine/tests/data/small-framework.json");

/// Taicang's node (key seed 1) on `dir`, waiting for the folder's lock.
pub fn open_taicang(dir: &Path, clock: Arc<dyn Clock>, policy: Policy) -> Node {
    Node::open(
        Identity {
            code: JurisdictionCode::new("320585").unwrap(),
            name_zh: "太仓市".into(),
            name_en: "Taicang".into(),
        },
        NodeKey::from_seed([1; 32]),
        Store::open_waiting(dir).unwrap(),
        vec![],
        policy,
        clock,
    )
    .unwrap()
}

/// A library renovation of 2025 (category `culture`) by `unit`.
pub fn project(id: &str, unit: &str) -> Project {
    serde_json::from_value(serde_json::json!({
        "id": id, "name_zh": "图书馆改造", "name_en": "Library renovation",
        "unit": unit, "place": "城厢镇", "budget": 1_200_000, "period": "2025",
        "category": "culture",
    }))
    .unwrap()
}

/// A rating of `project` at `level` with `code`, without a comment.
pub fn rate(node: &Node, project: &str, code: &str, level: u8) -> Result<Rated, LocalError> {
    node.rate(RatingRequest {
        project: ProjectId::new(project).unwrap(),
        code: code.into(),
        level,
        comment: None,
    })
}
