//! Public rating: livelihood projects, the digests of issued rating codes,
//! and the ratings given with them. None of it leaves the node.
//!
//! One tree holds them all, so that using a code and storing its rating is
//! one sled transaction: a code rates once, even when two residents send
//! it at the same moment. Keys:
//!
//! - `p PROJECT`: a project (JSON);
//! - `c DIGEST`: an issued code's 32-byte keyed digest (see
//!   `deltabench_trust::codes`), its value empty while unused and the
//!   rating's id (8 bytes, big-endian) once used;
//! - `r ID`: a rating (JSON), ids from 1 in the order given;
//! - `n`: the last rating id.
//!
//! The store holds no code and nothing that ties a rating to a code's
//! digest except the used mark, which names the rating so that a voided
//! rating can be traced in the audit history.

use crate::{Store, StoreError};
use deltabench_model::ProjectId;
use deltabench_model::public::{Project, Rating};
use sled::transaction::{ConflictableTransactionError, TransactionError};

pub(crate) const PUBLIC: &str = "public";
const PROJECT: u8 = b'p';
const CODE: u8 = b'c';
const RATING: u8 = b'r';
const LAST_ID: &[u8] = b"n";

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

    /// Stores `rating` if `digest` is an issued, unused code, and marks the
    /// code used, atomically. Not durable until [`Store::flush`].
    pub fn rate(&self, digest: &[u8; 32], rating: &Rating) -> Result<Rated, StoreError> {
        let value = serde_json::to_vec(rating).map_err(corrupt)?;
        let code_key = key(CODE, digest);
        let result = self.public()?.transaction(|tx| {
            match tx.get(&code_key)? {
                None => return Ok(Rated::UnknownCode),
                Some(used) if !used.is_empty() => return Ok(Rated::CodeUsed),
                Some(_) => {}
            }
            let last = match tx.get(LAST_ID)? {
                Some(v) => u64::from_be_bytes(v.as_ref().try_into().map_err(|_| {
                    ConflictableTransactionError::Abort(corrupt("a short rating id"))
                })?),
                None => 0,
            };
            let id = last + 1;
            let id_bytes = id.to_be_bytes();
            tx.insert(LAST_ID, &id_bytes)?;
            tx.insert(key(RATING, &id_bytes), value.as_slice())?;
            tx.insert(code_key.as_slice(), &id_bytes)?;
            Ok(Rated::Stored(id))
        });
        match result {
            Ok(r) => Ok(r),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    /// Every rating with its id, oldest first.
    pub fn ratings(&self) -> Result<Vec<(u64, Rating)>, StoreError> {
        self.public()?
            .scan_prefix([RATING])
            .map(|entry| {
                let (k, v) = entry?;
                let id: [u8; 8] = k[1..]
                    .try_into()
                    .map_err(|_| corrupt("a short rating key"))?;
                Ok((
                    u64::from_be_bytes(id),
                    serde_json::from_slice(&v).map_err(corrupt)?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn a_code_rates_once_and_an_unknown_code_not_at_all() {
        let store = Store::open_temporary().unwrap();
        let (a, b) = ([1u8; 32], [2u8; 32]);
        store.issue_codes(&[a, b]).unwrap();
        assert_eq!(store.rate(&a, &rating(5)).unwrap(), Rated::Stored(1));
        assert_eq!(store.rate(&a, &rating(1)).unwrap(), Rated::CodeUsed);
        assert_eq!(
            store.rate(&[3; 32], &rating(4)).unwrap(),
            Rated::UnknownCode
        );
        assert_eq!(store.rate(&b, &rating(2)).unwrap(), Rated::Stored(2));
        // Issuing a used code again does not make it usable.
        store.issue_codes(&[a]).unwrap();
        assert_eq!(store.rate(&a, &rating(3)).unwrap(), Rated::CodeUsed);
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
                    s.spawn(move || store.rate(c, &rating(4)).unwrap())
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
