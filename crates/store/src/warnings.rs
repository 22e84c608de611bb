//! Acknowledgements of early warnings: one tree, `warnings`, keyed by the
//! warning's id, holding its `Acknowledgement` (JSON). A warning is
//! computed from its trigger each time it is listed; its acknowledgement
//! stays here even after the trigger has gone.

use crate::{Store, StoreError};
use deltabench_model::twin::Acknowledgement;
use std::collections::BTreeMap;

const WARNINGS: &str = "warnings";

impl Store {
    /// Records the acknowledgement of warning `id` unless it has one:
    /// `Ok(false)` when it had. Not durable until [`Store::flush`].
    pub fn acknowledge(&self, id: &str, ack: &Acknowledgement) -> Result<bool, StoreError> {
        let bytes = serde_json::to_vec(ack).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(self
            .db
            .open_tree(WARNINGS)?
            .compare_and_swap(id.as_bytes(), None::<&[u8]>, Some(bytes))?
            .is_ok())
    }

    /// Every acknowledgement, by warning id.
    pub fn acknowledgements(&self) -> Result<BTreeMap<String, Acknowledgement>, StoreError> {
        self.db
            .open_tree(WARNINGS)?
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ))
            })
            .collect()
    }
}
