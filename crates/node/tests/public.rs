//! Public rating on a node: projects need one of the node's units, codes
//! are answered once and kept only as digests, and a code rates once, also
//! after the node is reopened.

mod common;

use common::{FRAMEWORK, open_taicang, project};
use deltabench_model::ProjectId;
use deltabench_model::documents::Framework;
use deltabench_model::local::Unit;
use deltabench_node::local::LocalError;
use deltabench_node::{Node, Policy, SystemClock};
use deltabench_store::public::Rated;
use deltabench_trust::NodeKey;
use std::path::Path;
use std::sync::Arc;

fn open(dir: &Path) -> Node {
    open_taicang(dir, Arc::new(SystemClock), Policy::default())
}

fn rate(node: &Node, code: &str, level: u8) -> Result<Rated, LocalError> {
    common::rate(node, "lib-2025", code, level)
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
        match node.put_projects(&[project("lib-2025", "nobody")]) {
            Err(LocalError::Invalid(e)) => assert_eq!(e.field, "projects[0].unit"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            node.put_projects(&[project("lib-2025", "culture")])
                .unwrap(),
            1
        );
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
    let node = open(dir.path());
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

/// A clock the test sets.
struct TestClock(std::sync::atomic::AtomicI64);

impl deltabench_node::Clock for TestClock {
    fn now(&self) -> deltabench_model::Timestamp {
        deltabench_model::Timestamp::from_unix(self.0.load(std::sync::atomic::Ordering::SeqCst))
            .unwrap()
    }
}

fn open_at(dir: &Path, clock: Arc<TestClock>, policy: Policy) -> Node {
    open_taicang(dir, clock, policy)
}

/// The closed loop on a node: a bad rating opens a task due 15 working days
/// later (a holiday skipped), the task turns overdue by the node's clock,
/// a late response is marked late, a call-back closes it, and a voided
/// rating leaves the public score. Tasks and decisions survive a restart.
#[test]
fn tasks_and_void_decisions_survive_a_restart() {
    use deltabench_model::rectify::{CallbackResult, Day, TaskStatus};
    use deltabench_node::public::TaskFilter;
    let dir = tempfile::tempdir().unwrap();
    // Monday 2025-03-03, 10:00 in Taicang.
    let monday = deltabench_model::Timestamp::parse("2025-03-03T02:00:00Z")
        .unwrap()
        .unix();
    let clock = Arc::new(TestClock(monday.into()));
    let mut policy = Policy::default();
    policy.public.k = 2;
    // A holiday on Wednesday 03-05: 15 working days end on Tuesday 03-25.
    policy.rectify.holidays = [Day::parse("h", "2025-03-05").unwrap()].into();
    let set_day = |days: i64| {
        clock
            .0
            .store(monday + days * 86_400, std::sync::atomic::Ordering::SeqCst)
    };
    let codes = {
        let node = open_at(dir.path(), clock.clone(), policy.clone());
        node.declare().unwrap();
        let f: Framework = serde_json::from_str(FRAMEWORK).unwrap();
        node.publish_framework(f).unwrap();
        let unit: Unit = serde_json::from_value(serde_json::json!(
            {"id": "culture", "name_zh": "文体局", "name_en": "Culture bureau", "category": "agency"}
        ))
        .unwrap();
        node.put_units(&[unit]).unwrap();
        node.put_projects(&[project("lib-2025", "culture")])
            .unwrap();
        let codes = node
            .issue_codes(&ProjectId::new("lib-2025").unwrap(), 4)
            .unwrap();
        for (code, level) in codes.iter().zip([1, 2, 5]) {
            assert!(matches!(
                rate(&node, &code.to_string(), level),
                Ok(Rated::Stored(_))
            ));
        }
        let tasks = node.tasks(None).unwrap();
        assert_eq!(tasks.len(), 2, "levels 1 and 2 open tasks, 5 does not");
        assert_eq!(tasks[0].task.due.to_string(), "2025-03-25");
        assert_eq!(tasks[0].task.unit.as_str(), "culture");
        assert!(tasks.iter().all(|t| !t.overdue));
        // Task 1 is answered on time; the call-back waits for a response.
        assert!(matches!(
            node.call_back(2, CallbackResult::Satisfied, None, "李".into()),
            Err(LocalError::Conflict(why)) if why.contains("no response")
        ));
        let t = node
            .respond(1, "已修复路灯".into(), "文体局 王".into())
            .unwrap();
        assert_eq!(t.task.status, TaskStatus::Responded);
        assert!(!t.task.response.unwrap().late);
        assert!(matches!(
            node.respond(1, " ".into(), "王".into()),
            Err(LocalError::Invalid(e)) if e.field == "text"
        ));
        node.call_back(1, CallbackResult::Satisfied, Some("".into()), "李".into())
            .unwrap();
        // Wednesday 03-26: task 2 is overdue.
        set_day(23);
        let overdue = node.tasks(Some(TaskFilter::Overdue)).unwrap();
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].task.id, 2);
        // Three ratings with k = 2: 1, 2 and 5.
        let score = |node: &Node| node.public_projects().unwrap()[0].score.map(|s| s.n);
        assert_eq!(score(&node), Some(3));
        node.void_rating(2, "评价对象非本项目".into(), "考核办 张".into())
            .unwrap();
        assert!(matches!(
            node.void_rating(2, "again".into(), "张".into()),
            Err(LocalError::Conflict(_))
        ));
        assert!(matches!(
            node.void_rating(99, "x".into(), "张".into()),
            Err(LocalError::NotFound(_))
        ));
        assert_eq!(score(&node), Some(2));
        codes
    };
    // Reopened: the tasks, the response, the call-back and the decision.
    let node = open_at(dir.path(), clock.clone(), policy);
    let tasks = node.tasks(None).unwrap();
    assert_eq!(
        tasks.iter().map(|t| t.task.status).collect::<Vec<_>>(),
        [TaskStatus::Closed, TaskStatus::Voided]
    );
    let closed = &tasks[0].task;
    assert_eq!(closed.response.as_ref().unwrap().by, "文体局 王");
    assert_eq!(
        closed.callback.as_ref().unwrap().result,
        CallbackResult::Satisfied
    );
    assert_eq!(closed.callback.as_ref().unwrap().note, None);
    assert!(node.tasks(Some(TaskFilter::Overdue)).unwrap().is_empty());
    let voided = node.store().rating(2).unwrap().unwrap();
    let decision = voided.moderation.voided.unwrap();
    assert_eq!(
        (decision.reason.as_str(), decision.decided_by.as_str()),
        ("评价对象非本项目", "考核办 张")
    );
    assert_eq!(
        node.public_projects().unwrap()[0].score.map(|s| s.n),
        Some(2)
    );
    // A late response: a new bad rating on 03-26 is due 04-16 (Wednesday);
    // answered on 04-17 it is kept, marked late.
    assert!(matches!(
        rate(&node, &codes[3].to_string(), 1),
        Ok(Rated::Stored(4))
    ));
    let t = &node
        .tasks(Some(TaskFilter::Status(TaskStatus::Open)))
        .unwrap()[0];
    assert_eq!(t.task.due.to_string(), "2025-04-16");
    set_day(45);
    let t = node.respond(t.task.id, "迟复".into(), "王".into()).unwrap();
    assert!(t.task.response.unwrap().late);
}
