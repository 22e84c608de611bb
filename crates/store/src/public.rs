//! Public rating: livelihood projects, the digests of issued rating codes,
//! the ratings given with them, and the closed loop around them
//! (rectification tasks, hidden comments, voided ratings). None of it
//! leaves the node.
//!
//! One tree holds them all, so that using a code, storing its rating and
//! opening the rating's rectification task is one sled transaction: a code
//! rates once, even when two residents send it at the same moment, and a
//! stored bad rating always has its task. Keys:
//!
//! - `p PROJECT`: a project (JSON);
//! - `c DIGEST`: a rating slot's 32-byte keyed digest (an issued code's,
//!   see `deltabench_trust::codes`, or one a verifier vouched for), its
//!   value empty while issued and unused and the rating's id (8 bytes,
//!   big-endian) once used;
//! - `r ID`: a rating (JSON), ids from 1 in the order given; never changed
//!   once written;
//! - `n`: the last rating id;
//! - `v ID`: what the office decided about rating `ID` (`Moderation`, JSON:
//!   its comment hidden, the rating voided, each with why, who and when);
//!   absent while nothing was decided;
//! - `t ID`: a rectification task (JSON), ids from 1 in the order opened;
//! - `l RATING`: the id of the task rating `RATING` opened (8 bytes);
//! - `m`: the last task id.
//!
//! The store holds no code and nothing that ties a rating to a code's
//! digest except the used mark, which names the rating. A voided rating is
//! kept with its `v` record, so the history shows what was voided, why and
//! by whom; aggregates skip it.

use crate::{Store, StoreError};
use deltabench_model::public::{Project, Rating};
use deltabench_model::rectify::{Day, Hidden, Moderation, Task, TaskRefusal, TaskStatus, Voided};
use deltabench_model::{ProjectId, UnitId};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

pub(crate) const PUBLIC: &str = "public";
const PROJECT: u8 = b'p';
const CODE: u8 = b'c';
const RATING: u8 = b'r';
const LAST_ID: &[u8] = b"n";
const MODERATION: u8 = b'v';
const TASK: u8 = b't';
const TASK_OF: u8 = b'l';
const LAST_TASK: &[u8] = b"m";

/// What became of a rating sent with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rated {
    /// Stored under this id; the code is now used.
    Stored(u64),
    /// The code was issued and has rated already.
    CodeUsed,
    /// No such code was issued (for this project and period).
    UnknownCode,
}

/// How a rating's slot (the keyed digest of its code) may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRule {
    /// Only if it was issued (`Store::issue_codes`) and is unused.
    Issued,
    /// If it is unused, issued or not: the verifier vouched for the
    /// person, and the slot is registered by this use.
    FirstUse,
}

/// The rectification task a bad rating opens, as the node plans it before
/// the rating is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTask {
    /// The project's responsible unit.
    pub unit: UnitId,
    /// The last day of the response.
    pub due: Day,
}

/// A rating with its id and what the office decided about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingRecord {
    /// Its id.
    pub id: u64,
    /// The rating as given.
    pub rating: Rating,
    /// Hidden comment, voided rating.
    pub moderation: Moderation,
}

impl RatingRecord {
    /// Whether it counts in aggregates: not voided.
    pub fn counts(&self) -> bool {
        self.moderation.voided.is_none()
    }

    /// The comment the public may read: neither hidden nor voided.
    pub fn public_comment(&self) -> Option<&str> {
        match (&self.moderation.hidden, &self.moderation.voided) {
            (None, None) => self.rating.comment.as_deref(),
            _ => None,
        }
    }
}

/// What became of a moderation decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Moderated {
    /// Recorded; the rating as it now stands.
    Done(RatingRecord),
    /// No rating has this id.
    Unknown,
    /// Refused in the rating's present state, saying why.
    Refused(String),
}

/// What became of a step of a task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskUpdate {
    /// Recorded; the task as it now stands.
    Done(Task),
    /// No task has this id.
    Unknown,
    /// Refused in the task's present state.
    Refused(TaskRefusal),
}

fn key(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + rest.len());
    k.push(prefix);
    k.extend_from_slice(rest);
    k
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Store {
    fn public(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(PUBLIC)?)
    }

    /// Stores projects (replacing those with the same id) in one batch.
    /// Not durable until [`Store::flush`].
    pub fn put_projects(&self, projects: &[Project]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for p in projects {
            batch.insert(
                key(PROJECT, p.id.as_str().as_bytes()),
                serde_json::to_vec(p).map_err(corrupt)?,
            );
        }
        self.public()?.apply_batch(batch)?;
        Ok(())
    }

    /// One project.
    pub fn project(&self, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        self.public()?
            .get(key(PROJECT, id.as_str().as_bytes()))?
            .map(|v| serde_json::from_slice(&v).map_err(corrupt))
            .transpose()
    }

    /// Every project, by id.
    pub fn projects(&self) -> Result<Vec<Project>, StoreError> {
        self.public()?
            .scan_prefix([PROJECT])
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect()
    }

    /// Records issued codes by their digests, unused, in one batch. A
    /// digest already held (used or not) is left as it is. Not durable
    /// until [`Store::flush`].
    pub fn issue_codes(&self, digests: &[[u8; 32]]) -> Result<(), StoreError> {
        let tree = self.public()?;
        for d in digests {
            tree.compare_and_swap(key(CODE, d), None::<&[u8]>, Some(&[][..]))?
                .ok(); // Err: already there, which is what the caller wants.
        }
        Ok(())
    }

    /// Stores `rating` if `digest` is an unused slot (issued before, under
    /// [`SlotRule::Issued`]), marks it used and, when `task` is given,
    /// opens the rating's rectification task, atomically. Not durable
    /// until [`Store::flush`].
    pub fn rate(
        &self,
        digest: &[u8; 32],
        rule: SlotRule,
        rating: &Rating,
        task: Option<&OpenTask>,
    ) -> Result<Rated, StoreError> {
        let value = serde_json::to_vec(rating).map_err(corrupt)?;
        let code_key = key(CODE, digest);
        let result = self.public()?.transaction(|tx| {
            match tx.get(&code_key)? {
                None if rule == SlotRule::Issued => return Ok(Rated::UnknownCode),
                None => {}
                Some(used) if !used.is_empty() => return Ok(Rated::CodeUsed),
                Some(_) => {}
            }
            let id = next_id(tx, LAST_ID)?;
            let id_bytes = id.to_be_bytes();
            tx.insert(key(RATING, &id_bytes), value.as_slice())?;
            tx.insert(code_key.as_slice(), &id_bytes)?;
            if let Some(open) = task {
                let task_id = next_id(tx, LAST_TASK)?;
                let task = Task {
                    id: task_id,
                    rating: id,
                    project: rating.project.clone(),
                    unit: open.unit.clone(),
                    level: rating.level,
                    opened: rating.at,
                    due: open.due,
                    status: TaskStatus::Open,
                    response: None,
                    callback: None,
                };
                let task_bytes = task_id.to_be_bytes();
                tx.insert(key(TASK, &task_bytes), to_json(&task)?)?;
                tx.insert(key(TASK_OF, &id_bytes), &task_bytes)?;
            }
            Ok(Rated::Stored(id))
        });
        finish(result)
    }

    /// One rating with what was decided about it.
    pub fn rating(&self, id: u64) -> Result<Option<RatingRecord>, StoreError> {
        let tree = self.public()?;
        let id_bytes = id.to_be_bytes();
        let Some(v) = tree.get(key(RATING, &id_bytes))? else {
            return Ok(None);
        };
        let moderation = match tree.get(key(MODERATION, &id_bytes))? {
            Some(m) => serde_json::from_slice(&m).map_err(corrupt)?,
            None => Moderation::default(),
        };
        Ok(Some(RatingRecord {
            id,
            rating: serde_json::from_slice(&v).map_err(corrupt)?,
            moderation,
        }))
    }

    /// Every rating with what was decided about it, oldest first.
    pub fn rating_records(&self) -> Result<Vec<RatingRecord>, StoreError> {
        let tree = self.public()?;
        let mut decided: std::collections::BTreeMap<u64, Moderation> = Default::default();
        for entry in tree.scan_prefix([MODERATION]) {
            let (k, v) = entry?;
            decided.insert(id_of(&k)?, serde_json::from_slice(&v).map_err(corrupt)?);
        }
        self.ratings()?
            .into_iter()
            .map(|(id, rating)| {
                Ok(RatingRecord {
                    id,
                    rating,
                    moderation: decided.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Voids a rating on appeal: it stays stored with the decision, no
    /// longer counts, and its task, if any, becomes `voided`; atomically.
    /// Voiding twice is refused. Not durable until [`Store::flush`].
    pub fn void_rating(&self, id: u64, decision: &Voided) -> Result<Moderated, StoreError> {
        self.moderate(id, |m, _| {
            if m.voided.is_some() {
                return Err(format!("rating {id} is voided already"));
            }
            m.voided = Some(decision.clone());
            Ok(())
        })
    }

    /// Hides a rating's comment from the public; the rating still counts.
    /// Refused when it has no comment or the comment is hidden already. Not
    /// durable until [`Store::flush`].
    pub fn hide_comment(&self, id: u64, hidden: &Hidden) -> Result<Moderated, StoreError> {
        self.moderate(id, |m, r| {
            if r.comment.is_none() {
                return Err(format!("rating {id} has no comment to hide"));
            }
            if m.hidden.is_some() {
                return Err(format!("the comment of rating {id} is hidden already"));
            }
            m.hidden = Some(hidden.clone());
            Ok(())
        })
    }

    /// Applies `decide` to a rating's moderation record in one transaction,
    /// and voids its task when the rating becomes void.
    fn moderate(
        &self,
        id: u64,
        decide: impl Fn(&mut Moderation, &Rating) -> Result<(), String>,
    ) -> Result<Moderated, StoreError> {
        let id_bytes = id.to_be_bytes();
        let result = self.public()?.transaction(|tx| {
            let Some(v) = tx.get(key(RATING, &id_bytes))? else {
                return Ok(Moderated::Unknown);
            };
            let rating: Rating = from_json(&v)?;
            let mut moderation: Moderation = match tx.get(key(MODERATION, &id_bytes))? {
                Some(m) => from_json(&m)?,
                None => Moderation::default(),
            };
            let was_void = moderation.voided.is_some();
            if let Err(why) = decide(&mut moderation, &rating) {
                return Ok(Moderated::Refused(why));
            }
            tx.insert(key(MODERATION, &id_bytes), to_json(&moderation)?)?;
            if !was_void && moderation.voided.is_some() {
                if let Some(task_id) = tx.get(key(TASK_OF, &id_bytes))? {
                    let task_key = key(TASK, &task_id);
                    let v = tx.get(&task_key)?.ok_or_else(|| {
                        ConflictableTransactionError::Abort(corrupt("a rating's task is missing"))
                    })?;
                    let mut task: Task = from_json(&v)?;
                    task.status = TaskStatus::Voided;
                    tx.insert(task_key, to_json(&task)?)?;
                }
            }
            Ok(Moderated::Done(RatingRecord {
                id,
                rating,
                moderation,
            }))
        });
        finish(result)
    }

    /// One task.
    pub fn task(&self, id: u64) -> Result<Option<Task>, StoreError> {
        self.public()?
            .get(key(TASK, &id.to_be_bytes()))?
            .map(|v| serde_json::from_slice(&v).map_err(corrupt))
            .transpose()
    }

    /// The task a rating opened, if it opened one.
    pub fn task_of_rating(&self, rating: u64) -> Result<Option<Task>, StoreError> {
        match self.public()?.get(key(TASK_OF, &rating.to_be_bytes()))? {
            Some(id) => self.task(id_of_bytes(&id)?),
            None => Ok(None),
        }
    }

    /// Every task, oldest first.
    pub fn tasks(&self) -> Result<Vec<Task>, StoreError> {
        self.public()?
            .scan_prefix([TASK])
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect()
    }

    /// Applies one step to a task (`Task::respond`, `Task::call_back`) in
    /// one transaction: of two clerks acting at once, one sees the other's
    /// step. Not durable until [`Store::flush`].
    pub fn update_task(
        &self,
        id: u64,
        step: impl Fn(&mut Task) -> Result<(), TaskRefusal>,
    ) -> Result<TaskUpdate, StoreError> {
        let task_key = key(TASK, &id.to_be_bytes());
        let result = self.public()?.transaction(|tx| {
            let Some(v) = tx.get(&task_key)? else {
                return Ok(TaskUpdate::Unknown);
            };
            let mut task: Task = from_json(&v)?;
            if let Err(why) = step(&mut task) {
                return Ok(TaskUpdate::Refused(why));
            }
            tx.insert(task_key.as_slice(), to_json(&task)?)?;
            Ok(TaskUpdate::Done(task))
        });
        finish(result)
    }

    /// Every rating with its id, oldest first.
    pub fn ratings(&self) -> Result<Vec<(u64, Rating)>, StoreError> {
        self.public()?
            .scan_prefix([RATING])
            .map(|entry| {
                let (k, v) = entry?;
                Ok((id_of(&k)?, serde_json::from_slice(&v).map_err(corrupt)?))
            })
            .collect()
    }
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// The next id of a counter kept under `counter`, written back.
fn next_id(tx: &TransactionalTree, counter: &[u8]) -> TxResult<u64> {
    let last = match tx.get(counter)? {
        Some(v) => id_of_bytes(&v).map_err(ConflictableTransactionError::Abort)?,
        None => 0,
    };
    let id = last + 1;
    tx.insert(counter, &id.to_be_bytes())?;
    Ok(id)
}

fn to_json<T: serde::Serialize>(v: &T) -> TxResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| ConflictableTransactionError::Abort(corrupt(e)))
}

fn from_json<T: serde::de::DeserializeOwned>(v: &[u8]) -> TxResult<T> {
    serde_json::from_slice(v).map_err(|e| ConflictableTransactionError::Abort(corrupt(e)))
}

/// The id in a key `PREFIX ID`.
fn id_of(k: &[u8]) -> Result<u64, StoreError> {
    id_of_bytes(k.get(1..).unwrap_or_default())
}

fn id_of_bytes(v: &[u8]) -> Result<u64, StoreError> {
    let id: [u8; 8] = v.try_into().map_err(|_| corrupt("a short id"))?;
    Ok(u64::from_be_bytes(id))
}

fn finish<T>(result: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    match result {
        Ok(r) => Ok(r),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::rectify::{Hidden, TaskRefusal};
    use deltabench_model::{Period, Timestamp};

    fn rating(level: u8) -> Rating {
        Rating {
            project: ProjectId::new("lib-2025").unwrap(),
            period: Period::parse("2025").unwrap(),
            level,
            comment: None,
            at: Timestamp::from_unix(1_700_000_000).unwrap(),
        }
    }

    #[test]
    fn a_vouched_slot_is_registered_by_its_first_use_and_refused_after() {
        let store = Store::open_temporary().unwrap();
        let (a, b) = ([4u8; 32], [5u8; 32]);
        // Not issued: refused as a code, taken once as a vouched slot.
        assert_eq!(
            store.rate(&a, SlotRule::Issued, &rating(5), None).unwrap(),
            Rated::UnknownCode
        );
        assert_eq!(
            store
                .rate(&a, SlotRule::FirstUse, &rating(5), None)
                .unwrap(),
            Rated::Stored(1)
        );
        assert_eq!(
            store
                .rate(&a, SlotRule::FirstUse, &rating(2), None)
                .unwrap(),
            Rated::CodeUsed
        );
        assert_eq!(
            store.rate(&a, SlotRule::Issued, &rating(2), None).unwrap(),
            Rated::CodeUsed
        );
        // Two requests with one slot at the same moment: one is stored.
        let outcomes: Vec<Rated> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| {
                    let store = &store;
                    s.spawn(move || {
                        store
                            .rate(&b, SlotRule::FirstUse, &rating(3), None)
                            .unwrap()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let stored = outcomes
            .iter()
            .filter(|o| matches!(o, Rated::Stored(_)))
            .count();
        assert_eq!(stored, 1, "{outcomes:?}");
        assert_eq!(store.ratings().unwrap().len(), 2);
    }

    #[test]
    fn a_code_rates_once_and_an_unknown_code_not_at_all() {
        let store = Store::open_temporary().unwrap();
        let (a, b) = ([1u8; 32], [2u8; 32]);
        store.issue_codes(&[a, b]).unwrap();
        assert_eq!(
            store.rate(&a, SlotRule::Issued, &rating(5), None).unwrap(),
            Rated::Stored(1)
        );
        assert_eq!(
            store.rate(&a, SlotRule::Issued, &rating(1), None).unwrap(),
            Rated::CodeUsed
        );
        assert_eq!(
            store
                .rate(&[3; 32], SlotRule::Issued, &rating(4), None)
                .unwrap(),
            Rated::UnknownCode
        );
        assert_eq!(
            store.rate(&b, SlotRule::Issued, &rating(2), None).unwrap(),
            Rated::Stored(2)
        );
        // Issuing a used code again does not make it usable.
        store.issue_codes(&[a]).unwrap();
        assert_eq!(
            store.rate(&a, SlotRule::Issued, &rating(3), None).unwrap(),
            Rated::CodeUsed
        );
        let levels: Vec<(u64, u8)> = store
            .ratings()
            .unwrap()
            .into_iter()
            .map(|(id, r)| (id, r.level))
            .collect();
        assert_eq!(levels, [(1, 5), (2, 2)]);
    }

    #[test]
    fn racing_raters_each_code_counts_exactly_once() {
        let store = std::sync::Arc::new(Store::open_temporary().unwrap());
        let codes: Vec<[u8; 32]> = (0..50u8).map(|i| [i; 32]).collect();
        store.issue_codes(&codes).unwrap();
        // 50 codes, each sent by two raters at once: 100 attempts.
        let outcomes: Vec<Rated> = std::thread::scope(|s| {
            let handles: Vec<_> = codes
                .iter()
                .chain(codes.iter())
                .map(|c| {
                    let store = store.clone();
                    s.spawn(move || {
                        store
                            .rate(c, SlotRule::Issued, &rating(1), Some(&open()))
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let stored: Vec<u64> = outcomes
            .iter()
            .filter_map(|o| match o {
                Rated::Stored(id) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(stored.len(), 50);
        assert_eq!(
            outcomes.iter().filter(|o| **o == Rated::CodeUsed).count(),
            50
        );
        let mut ids = stored.clone();
        ids.sort_unstable();
        assert_eq!(
            ids,
            (1..=50).collect::<Vec<_>>(),
            "ids are dense and unique"
        );
        assert_eq!(store.ratings().unwrap().len(), 50);
        // Each stored bad rating opened exactly one task, numbered densely.
        let tasks = store.tasks().unwrap();
        let mut opened: Vec<u64> = tasks.iter().map(|t| t.rating).collect();
        opened.sort_unstable();
        assert_eq!(opened, ids);
        let task_ids: Vec<u64> = tasks.iter().map(|t| t.id).collect();
        assert_eq!(task_ids, (1..=50).collect::<Vec<_>>());
    }

    fn open() -> OpenTask {
        OpenTask {
            unit: UnitId::new("culture").unwrap(),
            due: Day::parse("due", "2023-12-05").unwrap(),
        }
    }

    fn at() -> Timestamp {
        Timestamp::from_unix(1_700_100_000).unwrap()
    }

    #[test]
    fn a_bad_rating_and_its_task_are_stored_together_or_not_at_all() {
        let store = Store::open_temporary().unwrap();
        store.issue_codes(&[[1; 32], [2; 32]]).unwrap();
        let bad = Rating {
            comment: Some("路灯不亮".into()),
            ..rating(1)
        };
        assert_eq!(
            store
                .rate(&[1; 32], SlotRule::Issued, &bad, Some(&open()))
                .unwrap(),
            Rated::Stored(1)
        );
        let task = store.task_of_rating(1).unwrap().expect("its task");
        assert_eq!(
            (task.id, task.rating, task.level, task.status),
            (1, 1, 1, TaskStatus::Open)
        );
        assert_eq!((task.unit.as_str(), task.opened), ("culture", bad.at));
        assert_eq!(task.due.to_string(), "2023-12-05");
        // A used or unknown code stores neither rating nor task.
        assert_eq!(
            store
                .rate(&[1; 32], SlotRule::Issued, &bad, Some(&open()))
                .unwrap(),
            Rated::CodeUsed
        );
        assert_eq!(
            store
                .rate(&[9; 32], SlotRule::Issued, &bad, Some(&open()))
                .unwrap(),
            Rated::UnknownCode
        );
        assert_eq!(store.tasks().unwrap().len(), 1);
        // A good rating opens none.
        assert_eq!(
            store
                .rate(&[2; 32], SlotRule::Issued, &rating(5), None)
                .unwrap(),
            Rated::Stored(2)
        );
        assert_eq!(store.task_of_rating(2).unwrap(), None);
    }

    #[test]
    fn a_voided_rating_is_kept_with_its_decision_but_counts_no_more() {
        let store = Store::open_temporary().unwrap();
        store.issue_codes(&[[1; 32], [2; 32]]).unwrap();
        let bad = Rating {
            comment: Some("骗子".into()),
            ..rating(1)
        };
        store
            .rate(&[1; 32], SlotRule::Issued, &bad, Some(&open()))
            .unwrap();
        store
            .rate(&[2; 32], SlotRule::Issued, &rating(5), None)
            .unwrap();
        let counted = |store: &Store| -> Vec<u8> {
            store
                .rating_records()
                .unwrap()
                .iter()
                .filter(|r| r.counts())
                .map(|r| r.rating.level)
                .collect()
        };
        assert_eq!(counted(&store), [1, 5]);
        let hidden = Hidden {
            reason: "辱骂".into(),
            by: "张".into(),
            at: at(),
        };
        assert!(
            matches!(store.hide_comment(1, &hidden).unwrap(), Moderated::Done(r) if r.public_comment().is_none())
        );
        assert!(matches!(
            store.hide_comment(1, &hidden).unwrap(),
            Moderated::Refused(_)
        ));
        assert!(
            matches!(store.hide_comment(2, &hidden).unwrap(), Moderated::Refused(why) if why.contains("no comment"))
        );
        assert_eq!(counted(&store), [1, 5], "a hidden comment's rating counts");
        let decision = Voided {
            reason: "评价对象错误".into(),
            decided_by: "考核办 李".into(),
            at: at(),
        };
        match store.void_rating(1, &decision).unwrap() {
            Moderated::Done(r) => assert_eq!(r.moderation.voided.as_ref(), Some(&decision)),
            other => panic!("{other:?}"),
        }
        assert_eq!(counted(&store), [5]);
        assert!(
            matches!(store.void_rating(1, &decision).unwrap(), Moderated::Refused(why) if why.contains("already"))
        );
        assert_eq!(store.void_rating(7, &decision).unwrap(), Moderated::Unknown);
        // Still there, with the decision and the earlier hiding.
        let kept = store.rating(1).unwrap().unwrap();
        assert_eq!(kept.rating, bad);
        assert_eq!(kept.moderation.voided, Some(decision));
        assert_eq!(kept.moderation.hidden, Some(hidden));
        assert_eq!(store.task(1).unwrap().unwrap().status, TaskStatus::Voided);
        // A void task takes no more steps.
        assert_eq!(
            store
                .update_task(1, |t| t.respond("x".into(), "y".into(), at()))
                .unwrap(),
            TaskUpdate::Refused(TaskRefusal::Voided(1))
        );
        assert_eq!(
            store.update_task(9, |_| Ok(())).unwrap(),
            TaskUpdate::Unknown
        );
    }

    #[test]
    fn projects_are_kept_by_id_and_replaced_whole() {
        let store = Store::open_temporary().unwrap();
        let mut p: Project = serde_json::from_str(
            r#"{"id": "lib-2025", "name_zh": "图书馆改造", "name_en": "Library renovation",
                "unit": "culture", "place": "城厢镇", "budget": 1200000, "period": "2025",
                "category": "culture"}"#,
        )
        .unwrap();
        store.put_projects(std::slice::from_ref(&p)).unwrap();
        p.place = "沙溪镇".into();
        store.put_projects(std::slice::from_ref(&p)).unwrap();
        assert_eq!(store.projects().unwrap(), [p.clone()]);
        assert_eq!(store.project(&p.id).unwrap(), Some(p));
        assert_eq!(
            store.project(&ProjectId::new("none").unwrap()).unwrap(),
            None
        );
    }
}
