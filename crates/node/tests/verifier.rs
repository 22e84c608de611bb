//! Another check in place of the one-time codes: a census list that the
//! town keeps as keyed digests of its residents' identity numbers, plugged
//! in with `Node::set_verifier`. One resident rates each project once, the
//! rule holds across a restart, and the node's files never hold an
//! identity number.

mod common;

use common::{FRAMEWORK, open_taicang, project, rate};
use deltabench_model::documents::Framework;
use deltabench_model::local::Unit;
use deltabench_model::public::Project;
use deltabench_model::{InvalidField, ProjectId};
use deltabench_node::local::LocalError;
use deltabench_node::verifier::{Admission, RatingVerifier, VerifyError};
use deltabench_node::{Node, Policy, SystemClock};
use deltabench_store::public::Rated;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

/// Residents on the town's list, by the keyed digest of their 18-character
/// identity number; the slot of a rating is a second keyed digest over the
/// project, its period and the person.
struct CensusList {
    key: [u8; 32],
    residents: HashSet<[u8; 32]>,
}

impl CensusList {
    fn new(key: [u8; 32], ids: &[&str]) -> Self {
        let mut list = Self {
            key,
            residents: HashSet::new(),
        };
        list.residents = ids.iter().map(|id| list.person(id)).collect();
        list
    }

    fn person(&self, id: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.key, id.as_bytes()).as_bytes()
    }
}

impl RatingVerifier for CensusList {
    fn name(&self) -> &str {
        "census list"
    }

    fn admit(&self, project: &Project, credential: &str) -> Result<Admission, VerifyError> {
        let id = credential.trim().to_uppercase();
        let well_formed = id.len() == 18
            && id[..17].bytes().all(|b| b.is_ascii_digit())
            && id[17..].bytes().all(|b| b.is_ascii_digit() || b == b'X');
        if !well_formed {
            return Err(VerifyError::Invalid(InvalidField::new(
                "code",
                "not an identity number (17 digits and a digit or X)",
            )));
        }
        let person = self.person(&id);
        if !self.residents.contains(&person) {
            return Ok(Admission::Unknown);
        }
        let mut h = blake3::Hasher::new_keyed(&self.key);
        for part in [project.id.as_str(), &project.period.to_string()] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        h.update(&person);
        Ok(Admission::Checked(*h.finalize().as_bytes()))
    }
}

/// A gateway that never answers.
struct Down;

impl RatingVerifier for Down {
    fn name(&self) -> &str {
        "SMS gateway"
    }

    fn admit(&self, _: &Project, _: &str) -> Result<Admission, VerifyError> {
        Err(VerifyError::Unavailable(
            "the gateway did not answer in 5 s".into(),
        ))
    }
}

const ALICE: &str = "32058519800101002X";
const BOB: &str = "320585199002020031";
const STRANGER: &str = "110101198503030048";

fn open(dir: &Path) -> Node {
    let node = open_taicang(dir, Arc::new(SystemClock), Policy::default());
    node.set_verifier(Arc::new(CensusList::new([7; 32], &[ALICE, BOB])));
    node
}

#[test]
fn a_census_list_verifier_lets_each_resident_rate_each_project_once() {
    let dir = tempfile::tempdir().unwrap();
    {
        let node = open(dir.path());
        node.declare().unwrap();
        let f: Framework = serde_json::from_str(FRAMEWORK).unwrap();
        node.publish_framework(f).unwrap();
        let unit: Unit = serde_json::from_value(serde_json::json!(
            {"id": "culture", "name_zh": "文体局", "name_en": "Culture bureau", "category": "agency"}
        ))
        .unwrap();
        node.put_units(&[unit]).unwrap();
        node.put_projects(&[
            project("lib-2025", "culture"),
            project("pool-2025", "culture"),
        ])
        .unwrap();

        assert_eq!(rate(&node, "lib-2025", ALICE, 5).unwrap(), Rated::Stored(1));
        // The same person again, however the number is typed.
        assert_eq!(
            rate(&node, "lib-2025", &format!(" {} ", ALICE.to_lowercase()), 1).unwrap(),
            Rated::CodeUsed
        );
        // Another project is another rating; a bad one opens its task.
        assert_eq!(
            rate(&node, "pool-2025", ALICE, 2).unwrap(),
            Rated::Stored(2)
        );
        assert_eq!(node.tasks(None).unwrap().len(), 1);
        assert_eq!(rate(&node, "lib-2025", BOB, 4).unwrap(), Rated::Stored(3));
        // Not on the list, or not an identity number at all.
        assert_eq!(
            rate(&node, "lib-2025", STRANGER, 4).unwrap(),
            Rated::UnknownCode
        );
        let codes = node
            .issue_codes(&ProjectId::new("lib-2025").unwrap(), 1)
            .unwrap();
        assert!(matches!(
            rate(&node, "lib-2025", &codes[0].to_string(), 4),
            Err(LocalError::Invalid(e)) if e.field == "code"
        ));
        assert_eq!(node.store().ratings().unwrap().len(), 3);

        // A verifier that cannot decide stores nothing and says so.
        node.set_verifier(Arc::new(Down));
        match rate(&node, "pool-2025", BOB, 3) {
            Err(LocalError::Unavailable(m)) => assert!(m.contains("did not answer"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(node.store().ratings().unwrap().len(), 3);
    }

    // Reopened with the census list: the used slots hold.
    let node = open(dir.path());
    assert_eq!(rate(&node, "lib-2025", ALICE, 3).unwrap(), Rated::CodeUsed);
    assert_eq!(rate(&node, "pool-2025", BOB, 3).unwrap(), Rated::Stored(4));
    drop(node);

    // No file of the node holds an identity number.
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        for id in [ALICE, BOB] {
            assert!(
                !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
                "{} holds {id}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
