//! 12345 hotline requests (see `deltabench_model::hotline`): the tree
//! `hotline` keyed `t ID` with the request as JSON, and its audit trail
//! keyed `h ID 0 SEQ` (SEQ big-endian u64, from the database's id
//! generator) with each earlier version replaced, who replaced it and when.

use crate::{Store, StoreError};
use deltabench_model::Timestamp;
use deltabench_model::hotline::Ticket;
use serde::{Deserialize, Serialize};

const HOTLINE: &str = "hotline";
const TICKET: u8 = b't';
const HISTORY: u8 = b'h';

/// An earlier version of a request, replaced by a re-import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Replaced {
    /// When it was replaced.
    pub at: Timestamp,
    /// Who replaced it (the token's name).
    pub by: String,
    /// The version replaced.
    pub previous: Ticket,
}

/// What one import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketCounts {
    /// New requests.
    pub inserted: usize,
    /// Known requests whose fields changed.
    pub updated: usize,
    /// Known requests unchanged.
    pub unchanged: usize,
}

fn key(prefix: u8, id: &str) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(id.as_bytes());
    k
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Store {
    /// Stores `tickets` all at once or none: a new id is inserted; a known
    /// one that changed replaces the stored version, which goes to its
    /// audit trail under `by` at `at`. Ids must be unique within the call.
    /// Not durable until [`Store::flush`].
    pub fn put_tickets(
        &self,
        tickets: &[Ticket],
        by: &str,
        at: Timestamp,
    ) -> Result<TicketCounts, StoreError> {
        let tree = self.db.open_tree(HOTLINE)?;
        let mut batch = sled::Batch::default();
        let mut counts = TicketCounts::default();
        for t in tickets {
            let k = key(TICKET, &t.id);
            let new = serde_json::to_vec(t).map_err(corrupt)?;
            match tree.get(&k)? {
                Some(old) if old.as_ref() == new.as_slice() => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(old) => {
                    let previous: Ticket = serde_json::from_slice(&old).map_err(corrupt)?;
                    let entry = Replaced {
                        at,
                        by: by.to_owned(),
                        previous,
                    };
                    let mut h = key(HISTORY, &t.id);
                    h.push(0);
                    h.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
                    batch.insert(h, serde_json::to_vec(&entry).map_err(corrupt)?);
                    counts.updated += 1;
                }
                None => counts.inserted += 1,
            }
            batch.insert(k, new);
        }
        tree.apply_batch(batch)?;
        Ok(counts)
    }

    /// Every request, by id.
    pub fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        self.db
            .open_tree(HOTLINE)?
            .scan_prefix([TICKET])
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect()
    }

    /// One request and the versions it replaced, oldest first.
    pub fn ticket(&self, id: &str) -> Result<Option<(Ticket, Vec<Replaced>)>, StoreError> {
        let tree = self.db.open_tree(HOTLINE)?;
        let Some(v) = tree.get(key(TICKET, id))? else {
            return Ok(None);
        };
        let t: Ticket = serde_json::from_slice(&v).map_err(corrupt)?;
        let mut prefix = key(HISTORY, id);
        prefix.push(0);
        let history = tree
            .scan_prefix(prefix)
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect::<Result<_, _>>()?;
        Ok(Some((t, history)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::UnitId;

    fn ticket(id: &str, category: &str) -> Ticket {
        Ticket {
            id: id.into(),
            channel: "12345".into(),
            category: category.into(),
            subcategory: None,
            town: Some("城厢镇".into()),
            department: UnitId::new("u1").unwrap(),
            lat: Some(31.45),
            long: Some(121.1),
            accepted_at: Timestamp::from_unix(1_740_000_000).unwrap(),
            acknowledged_at: None,
            closed_at: None,
            reopened_at: None,
            sla_due: None,
            result: None,
            satisfaction: None,
        }
    }

    #[test]
    fn a_changed_request_keeps_its_earlier_version() {
        let store = Store::open_temporary().unwrap();
        let at = Timestamp::from_unix(1_750_000_000).unwrap();
        let first = [ticket("a", "noise"), ticket("b", "roads")];
        let c = store.put_tickets(&first, "office", at).unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0));
        let mut closed = ticket("a", "noise");
        closed.closed_at = Some(at);
        let c = store
            .put_tickets(&[closed.clone(), ticket("b", "roads")], "clerk", at)
            .unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
        let (now, history) = store.ticket("a").unwrap().unwrap();
        assert_eq!(now, closed);
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].previous, first[0]);
        assert_eq!(history[0].by, "clerk");
        assert!(store.ticket("b").unwrap().unwrap().1.is_empty());
        assert!(store.ticket("c").unwrap().is_none());
        assert_eq!(store.tickets().unwrap().len(), 2);
    }
}
