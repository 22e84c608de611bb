//! 12345 hotline requests (see `deltabench_model::hotline`), in the tree
//! `hotline`:
//!
//! - `m YYYY MM` (the year a big-endian u16, the month a byte): the
//!   requests accepted in that month in China Standard Time (UTC+8), one
//!   segment: a format byte, then in postcard a dictionary of the month's
//!   names (channels, categories, subcategories, towns, departments), its
//!   earliest acceptance, and one row per request naming words by position
//!   and giving times as seconds after another ([`encode_segment`]);
//! - `i YYYY MM`: the format byte, then in postcard the ids of that
//!   segment's requests, in its order, so that an import finds the known
//!   ids without decoding the requests;
//! - `h ID 0 SEQ` (SEQ big-endian u64, from the database's id generator):
//!   the audit trail, each earlier version replaced with who replaced it and
//!   when, as JSON;
//! - `t ID`: a request as JSON, the layout before segments. Still read; the
//!   next import moves every such request into its month's segment.
//!
//! An import rewrites only the months it touches (those of its requests and
//! those its changed requests leave), in one sled batch with the audit
//! entries: all of it or none of it.

use crate::{Store, StoreError};
use deltabench_model::hotline::{ClosureResult, Ticket};
use deltabench_model::{Timestamp, UnitId};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const HOTLINE: &str = "hotline";
const TICKET: u8 = b't';
const HISTORY: u8 = b'h';
const SEGMENT: u8 = b'm';
const IDS: u8 = b'i';
/// The version byte that starts every segment and id list.
const FORMAT: u8 = 1;

/// A month in China Standard Time: (year, month 1 to 12).
pub type Month = (u16, u8);

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

/// The months an import rewrote, each with every request it now holds:
/// borrowed from the import or read from the store. A month left with no
/// request has an empty list.
pub type MonthsWritten<'a> = Vec<(Month, Vec<Cow<'a, Ticket>>)>;

/// The (year, month) of `t` in China Standard Time (UTC+8), the month a
/// request accepted at `t` is kept under.
pub fn month_of(t: Timestamp) -> Month {
    let local = t.unix() + 8 * 3600;
    let days = local.div_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as u16, month as u8)
}

fn key(prefix: u8, id: &str) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(id.as_bytes());
    k
}

fn month_key(prefix: u8, (year, month): Month) -> [u8; 4] {
    let y = year.to_be_bytes();
    [prefix, y[0], y[1], month]
}

fn month_of_key(k: &[u8]) -> Result<Month, StoreError> {
    match k {
        [_, y0, y1, m] => Ok((u16::from_be_bytes([*y0, *y1]), *m)),
        _ => Err(corrupt("a hotline month key is not 4 bytes")),
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Equal, coordinates to the bit (as their JSON was compared before).
fn same(a: &Ticket, b: &Ticket) -> bool {
    a == b
        && a.lat.map(f64::to_bits) == b.lat.map(f64::to_bits)
        && a.long.map(f64::to_bits) == b.long.map(f64::to_bits)
}

// The binary encoding: a format byte, then a value in postcard (serde's
// compact, not self-describing format: integers as varints, signed ones
// zigzagged, `Option` as a 0 or 1 byte before the value, sequences and
// strings as a length before their items, f64 as its 8 little-endian bytes,
// enum variants as their index). The mirrors below are the layout; they
// carry no skip attribute, which postcard could not read back.

/// A month's requests, less their ids.
#[derive(Serialize, Deserialize)]
struct Segment<'a> {
    /// The distinct channels, categories, subcategories, towns and
    /// departments, in order of first use: the rows name them by position.
    #[serde(borrow)]
    words: Vec<&'a str>,
    /// The earliest acceptance, in Unix seconds.
    base: i64,
    /// The requests, in the order of the id list.
    rows: Vec<Row>,
}

/// One request of a [`Segment`]. Words are positions in its dictionary;
/// times are Unix seconds after another time.
#[derive(Serialize, Deserialize)]
struct Row {
    channel: u32,
    category: u32,
    department: u32,
    subcategory: Option<u32>,
    town: Option<u32>,
    lat: Option<f64>,
    long: Option<f64>,
    /// After the segment's `base`.
    accepted: i64,
    /// This and the next three: after `accepted`.
    acknowledged: Option<i64>,
    closed: Option<i64>,
    reopened: Option<i64>,
    sla: Option<i64>,
    result: Option<Outcome>,
    satisfaction: Option<u8>,
}

/// [`ClosureResult`] as stored (variant 0, 1, 2), kept apart so that a
/// change to the model's enum cannot change the format unnoticed.
#[derive(Clone, Copy, Serialize, Deserialize)]
enum Outcome {
    Resolved,
    Explained,
    NotResolved,
}

impl From<ClosureResult> for Outcome {
    fn from(r: ClosureResult) -> Self {
        match r {
            ClosureResult::Resolved => Self::Resolved,
            ClosureResult::Explained => Self::Explained,
            ClosureResult::NotResolved => Self::NotResolved,
        }
    }
}

impl From<Outcome> for ClosureResult {
    fn from(r: Outcome) -> Self {
        match r {
            Outcome::Resolved => Self::Resolved,
            Outcome::Explained => Self::Explained,
            Outcome::NotResolved => Self::NotResolved,
        }
    }
}

/// The format byte, then `value` in postcard, `what` naming it in errors
/// (postcard fails only on what these types never hold, such as a sequence
/// of unknown length).
fn to_stored<T: Serialize>(value: &T, what: &str, capacity: usize) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(capacity);
    out.push(FORMAT);
    postcard::to_extend(value, out)
        .map_err(|e| corrupt(format!("a hotline {what} does not encode: {e}")))
}

/// The value of `b` (a format byte, then postcard), `what` naming it in
/// errors: every byte must be read.
fn from_stored<'a, T: Deserialize<'a>>(b: &'a [u8], what: &str) -> Result<T, StoreError> {
    let rest = match b.split_first() {
        Some((&FORMAT, rest)) => rest,
        Some((other, _)) => {
            return Err(corrupt(format!(
                "a hotline {what} of format {other}, not {FORMAT}: \
                 written by a later version?"
            )));
        }
        None => return Err(corrupt(format!("an empty hotline {what}"))),
    };
    match postcard::take_from_bytes(rest) {
        Ok((v, [])) => Ok(v),
        Ok((_, extra)) => Err(corrupt(format!(
            "a hotline {what} has {} bytes past its end",
            extra.len()
        ))),
        Err(e) => Err(corrupt(format!("a hotline {what} does not decode: {e}"))),
    }
}

/// A month's requests as two values: the segment and its ids.
///
/// Each is the format byte ([`FORMAT`]), then a postcard value. The
/// segment's is a [`Segment`]: the dictionary (the distinct channels,
/// categories, subcategories, towns and departments, in order of first
/// use), the earliest acceptance in Unix seconds, then each request as a
/// [`Row`]: its channel, category and department as dictionary positions;
/// its subcategory and town likewise, if any; its latitude and longitude,
/// if any; its acceptance in seconds after the earliest; its
/// acknowledgement, closure, last reopening and SLA due time, if any, each
/// in seconds after its acceptance; its result (0 resolved, 1 explained, 2
/// not resolved) and its satisfaction, if any. The id list's is the ids, in
/// the order of the rows.
fn encode_segment<T: std::borrow::Borrow<Ticket>>(
    tickets: &[T],
) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
    let mut dict: HashMap<&str, u32> = HashMap::new();
    let mut words: Vec<&str> = Vec::new();
    let mut intern = |s| {
        let next = words.len() as u32;
        *dict.entry(s).or_insert_with(|| {
            words.push(s);
            next
        })
    };
    let base = tickets
        .iter()
        .map(|t| t.borrow().accepted_at.unix())
        .min()
        .unwrap_or(0);
    let mut rows = Vec::with_capacity(tickets.len());
    let mut ids = Vec::with_capacity(tickets.len());
    for t in tickets {
        let Ticket {
            id,
            channel,
            category,
            subcategory,
            town,
            department,
            lat,
            long,
            accepted_at,
            acknowledged_at,
            closed_at,
            reopened_at,
            sla_due,
            result,
            satisfaction,
        } = t.borrow();
        ids.push(id.as_str());
        let accepted = accepted_at.unix();
        let after = |x: &Option<Timestamp>| x.map(|x| x.unix().wrapping_sub(accepted));
        rows.push(Row {
            channel: intern(channel.as_str()),
            category: intern(category.as_str()),
            department: intern(department.as_str()),
            subcategory: subcategory.as_deref().map(&mut intern),
            town: town.as_deref().map(&mut intern),
            lat: *lat,
            long: *long,
            accepted: accepted.wrapping_sub(base),
            acknowledged: after(acknowledged_at),
            closed: after(closed_at),
            reopened: after(reopened_at),
            sla: after(sla_due),
            result: result.map(Outcome::from),
            satisfaction: *satisfaction,
        });
    }
    let seg = Segment { words, base, rows };
    Ok((
        to_stored(&seg, "segment", 16 + tickets.len() * 56)?,
        to_stored(&ids, "id list", 8 + tickets.len() * 16)?,
    ))
}

/// The ids of an id list, in order.
fn decode_ids(b: &[u8]) -> Result<Vec<&str>, StoreError> {
    from_stored(b, "id list")
}

/// The requests of a segment and its id list.
fn decode_segment(seg: &[u8], ids: &[u8]) -> Result<Vec<Ticket>, StoreError> {
    let ids = decode_ids(ids)?;
    let Segment { words, base, rows } = from_stored(seg, "segment")?;
    if rows.len() != ids.len() {
        return Err(corrupt("a hotline segment and its ids differ in length"));
    }
    let units: Vec<Option<UnitId>> = words.iter().map(|w| UnitId::new(*w).ok()).collect();
    let word = |i: u32| -> Result<&str, StoreError> {
        words
            .get(i as usize)
            .copied()
            .ok_or_else(|| corrupt("a hotline segment names a word it lacks"))
    };
    let time = |t: i64, after: i64| Timestamp::from_unix(after.wrapping_add(t)).map_err(corrupt);
    let mut out = Vec::with_capacity(rows.len());
    for (id, r) in ids.into_iter().zip(rows) {
        let department = units
            .get(r.department as usize)
            .ok_or_else(|| corrupt("a hotline segment names a word it lacks"))?
            .clone()
            .ok_or_else(|| corrupt("a hotline segment holds a bad department"))?;
        let accepted_at = time(r.accepted, base)?;
        let a = accepted_at.unix();
        let after = |t: Option<i64>| t.map(|t| time(t, a)).transpose();
        out.push(Ticket {
            id: id.to_owned(),
            channel: word(r.channel)?.to_owned(),
            category: word(r.category)?.to_owned(),
            subcategory: r.subcategory.map(word).transpose()?.map(str::to_owned),
            town: r.town.map(word).transpose()?.map(str::to_owned),
            department,
            lat: r.lat,
            long: r.long,
            accepted_at,
            acknowledged_at: after(r.acknowledged)?,
            closed_at: after(r.closed)?,
            reopened_at: after(r.reopened)?,
            sla_due: after(r.sla)?,
            result: r.result.map(ClosureResult::from),
            satisfaction: r.satisfaction,
        });
    }
    Ok(out)
}

/// `f` of each of `items`, in order, the items shared out over the cores.
fn on_every_core<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if items.len() < 2 || threads < 2 {
        return items.iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// One known id found by an import: where it is held.
enum Held {
    /// Position in a month's segment.
    Segment(Month, usize),
    /// Position in the requests of the earlier layout.
    Legacy(usize),
}

impl Store {
    fn hotline(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(HOTLINE)?)
    }

    /// The requests still in the layout before segments.
    fn legacy_tickets(tree: &sled::Tree) -> Result<Vec<Ticket>, StoreError> {
        tree.scan_prefix([TICKET])
            .values()
            .map(|v| serde_json::from_slice(&v?).map_err(corrupt))
            .collect()
    }

    /// The requests of each of `months`' segments, decoded on every core.
    fn segments(tree: &sled::Tree, months: &[Month]) -> Result<Vec<Vec<Ticket>>, StoreError> {
        on_every_core(months, |m| Self::segment(tree, *m))
            .into_iter()
            .collect()
    }

    /// The requests of `month`'s segment (none when there is none).
    fn segment(tree: &sled::Tree, month: Month) -> Result<Vec<Ticket>, StoreError> {
        let (Some(seg), Some(ids)) = (
            tree.get(month_key(SEGMENT, month))?,
            tree.get(month_key(IDS, month))?,
        ) else {
            return Ok(Vec::new());
        };
        decode_segment(&seg, &ids)
    }

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
        Ok(self.put_tickets_by_month(tickets, by, at)?.0)
    }

    /// [`Store::put_tickets`], also giving the months it rewrote with all
    /// the requests each now holds, for an index to replace just those.
    pub fn put_tickets_by_month<'a>(
        &self,
        tickets: &'a [Ticket],
        by: &str,
        at: Timestamp,
    ) -> Result<(TicketCounts, MonthsWritten<'a>), StoreError> {
        let tree = self.hotline()?;
        let legacy = Self::legacy_tickets(&tree)?;
        let id_lists: Vec<(Month, sled::IVec)> = tree
            .scan_prefix([IDS])
            .map(|kv| {
                let (k, v) = kv?;
                Ok((month_of_key(&k)?, v))
            })
            .collect::<Result<_, StoreError>>()?;

        // Where each given request is already held, if it is.
        let mut held: Vec<Option<Held>> = Vec::new();
        if !legacy.is_empty() || !id_lists.is_empty() {
            held.resize_with(tickets.len(), || None);
            let given: HashMap<&str, usize> = tickets
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), i))
                .collect();
            for (month, list) in &id_lists {
                for (pos, id) in decode_ids(list)?.into_iter().enumerate() {
                    if let Some(&i) = given.get(id) {
                        held[i] = Some(Held::Segment(*month, pos));
                    }
                }
            }
            for (pos, t) in legacy.iter().enumerate() {
                if let Some(&i) = given.get(t.id.as_str()) {
                    held[i] = Some(Held::Legacy(pos));
                }
            }
        }

        // The months to read: those a known given request is held in.
        let mut read: BTreeMap<Month, Vec<Ticket>> = BTreeMap::new();
        for h in held.iter().flatten() {
            if let Held::Segment(m, _) = h {
                read.entry(*m).or_default();
            }
        }
        let months: Vec<Month> = read.keys().copied().collect();
        read = months
            .iter()
            .copied()
            .zip(Self::segments(&tree, &months)?)
            .collect();

        let mut batch = sled::Batch::default();
        let mut counts = TicketCounts::default();
        // Stored requests that leave their place: replaced, or moved out of
        // the earlier layout.
        let mut dropped: BTreeSet<(Month, usize)> = BTreeSet::new();
        let mut legacy_kept = vec![true; legacy.len()];
        let mut written: BTreeMap<Month, Vec<Cow<'a, Ticket>>> = BTreeMap::new();
        for (i, t) in tickets.iter().enumerate() {
            let old = match held.get(i).and_then(Option::as_ref) {
                None => None,
                Some(Held::Segment(m, pos)) => Some((&read[m][*pos], Some((*m, *pos)))),
                Some(Held::Legacy(pos)) => Some((&legacy[*pos], None)),
            };
            match old {
                Some((old, _)) if same(old, t) => {
                    counts.unchanged += 1;
                    continue;
                }
                Some((old, place)) => {
                    let entry = Replaced {
                        at,
                        by: by.to_owned(),
                        previous: old.clone(),
                    };
                    let mut h = key(HISTORY, &t.id);
                    h.push(0);
                    h.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
                    batch.insert(h, serde_json::to_vec(&entry).map_err(corrupt)?);
                    counts.updated += 1;
                    match place {
                        Some(p) => {
                            dropped.insert(p);
                            written.entry(p.0).or_default();
                        }
                        None => {
                            if let Some(Held::Legacy(pos)) = &held[i] {
                                legacy_kept[*pos] = false;
                            }
                        }
                    }
                }
                None => counts.inserted += 1,
            }
            written
                .entry(month_of(t.accepted_at))
                .or_default()
                .push(Cow::Borrowed(t));
        }
        // Every request of the earlier layout moves into its segment.
        let mut legacy_moved: BTreeMap<Month, Vec<Ticket>> = BTreeMap::new();
        for (t, kept) in legacy.into_iter().zip(legacy_kept) {
            batch.remove(key(TICKET, &t.id));
            let m = month_of(t.accepted_at);
            written.entry(m).or_default();
            if kept {
                legacy_moved.entry(m).or_default().push(t);
            }
        }

        // Each month written: what it held and keeps, then what comes in.
        let unread: Vec<Month> = written
            .keys()
            .filter(|m| !read.contains_key(m))
            .copied()
            .collect();
        read.extend(unread.iter().copied().zip(Self::segments(&tree, &unread)?));
        let months: Vec<(Month, Vec<Cow<'a, Ticket>>)> = written
            .into_iter()
            .map(|(m, incoming)| {
                let mut all: Vec<Cow<'a, Ticket>> = read
                    .remove(&m)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .filter(|(pos, _)| !dropped.contains(&(m, *pos)))
                    .map(|(_, t)| Cow::Owned(t))
                    .collect();
                all.extend(
                    legacy_moved
                        .remove(&m)
                        .into_iter()
                        .flatten()
                        .map(Cow::Owned),
                );
                all.extend(incoming);
                (m, all)
            })
            .collect();

        // Encoded on every core: a large import is mostly this.
        let encoded = on_every_core(&months, |(_, ts)| encode_segment(ts));
        for ((m, ts), encoded) in months.iter().zip(encoded) {
            let (seg, ids) = encoded?;
            if ts.is_empty() {
                batch.remove(&month_key(SEGMENT, *m));
                batch.remove(&month_key(IDS, *m));
            } else {
                batch.insert(&month_key(SEGMENT, *m), seg);
                batch.insert(&month_key(IDS, *m), ids);
            }
        }
        tree.apply_batch(batch)?;
        Ok((counts, months))
    }

    /// The months that hold requests, in order.
    pub fn ticket_months(&self) -> Result<Vec<Month>, StoreError> {
        let tree = self.hotline()?;
        let mut months: BTreeSet<Month> = tree
            .scan_prefix([SEGMENT])
            .keys()
            .map(|k| month_of_key(&k?))
            .collect::<Result<_, _>>()?;
        for t in Self::legacy_tickets(&tree)? {
            months.insert(month_of(t.accepted_at));
        }
        Ok(months.into_iter().collect())
    }

    /// The requests accepted in `month` (UTC+8), in no set order.
    pub fn month_tickets(&self, month: Month) -> Result<Vec<Ticket>, StoreError> {
        let tree = self.hotline()?;
        let mut out = Self::segment(&tree, month)?;
        out.extend(
            Self::legacy_tickets(&tree)?
                .into_iter()
                .filter(|t| month_of(t.accepted_at) == month),
        );
        Ok(out)
    }

    /// Every request, by id.
    pub fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for m in self.ticket_months()? {
            out.extend(self.month_tickets(m)?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One request and the versions it replaced, oldest first.
    pub fn ticket(&self, id: &str) -> Result<Option<(Ticket, Vec<Replaced>)>, StoreError> {
        let tree = self.hotline()?;
        let mut found = match tree.get(key(TICKET, id))? {
            Some(v) => Some(serde_json::from_slice(&v).map_err(corrupt)?),
            None => None,
        };
        if found.is_none() {
            for kv in tree.scan_prefix([IDS]) {
                let (k, list) = kv?;
                let Some(pos) = decode_ids(&list)?.iter().position(|x| *x == id) else {
                    continue;
                };
                let mut ts = Self::segment(&tree, month_of_key(&k)?)?;
                if pos < ts.len() {
                    found = Some(ts.swap_remove(pos));
                }
                break;
            }
        }
        let Some(t) = found else {
            return Ok(None);
        };
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

    fn full(id: &str, accepted: i64) -> Ticket {
        let t = |s: i64| Some(Timestamp::from_unix(accepted + s).unwrap());
        Ticket {
            id: id.into(),
            channel: "app".into(),
            category: "roads".into(),
            subcategory: Some("potholes".into()),
            town: None,
            department: UnitId::new("u2").unwrap(),
            lat: Some(-0.0),
            long: Some(121.123_456_789),
            accepted_at: Timestamp::from_unix(accepted).unwrap(),
            acknowledged_at: t(-5),
            closed_at: t(86_400 * 40),
            reopened_at: t(7),
            sla_due: t(3600),
            result: Some(ClosureResult::NotResolved),
            satisfaction: Some(2),
        }
    }

    #[test]
    fn segments_hold_every_field_and_a_moved_request_leaves_its_month() {
        let store = Store::open_temporary().unwrap();
        let at = Timestamp::from_unix(1_750_000_000).unwrap();
        // 2025-01-31T16:30Z is February in UTC+8; 16:29 the day before is
        // January.
        let feb = 1_738_341_000;
        let jan = feb - 86_401;
        let a = full("a", feb);
        let mut b = ticket("b", "noise");
        b.accepted_at = Timestamp::from_unix(jan).unwrap();
        let given = [a.clone(), b.clone()];
        let (c, months) = store.put_tickets_by_month(&given, "office", at).unwrap();
        assert_eq!(c.inserted, 2);
        assert_eq!(
            months
                .iter()
                .map(|(m, ts)| (*m, ts.len()))
                .collect::<Vec<_>>(),
            [((2025, 1), 1), ((2025, 2), 1)]
        );
        assert_eq!(store.ticket_months().unwrap(), [(2025, 1), (2025, 2)]);
        let got = store.month_tickets((2025, 2)).unwrap();
        assert_eq!(got, std::slice::from_ref(&a));
        assert_eq!(got[0].lat.unwrap().to_bits(), (-0.0f64).to_bits());
        // b moves to February: January is left empty and written so.
        let mut moved = b.clone();
        moved.accepted_at = Timestamp::from_unix(feb + 60).unwrap();
        let given = [moved.clone(), a.clone()];
        let (c, months) = store.put_tickets_by_month(&given, "clerk", at).unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
        assert_eq!(
            months
                .iter()
                .map(|(m, ts)| (*m, ts.len()))
                .collect::<Vec<_>>(),
            [((2025, 1), 0), ((2025, 2), 2)]
        );
        assert_eq!(store.ticket_months().unwrap(), [(2025, 2)]);
        assert_eq!(store.tickets().unwrap(), [a, moved.clone()]);
        let (now, history) = store.ticket("b").unwrap().unwrap();
        assert_eq!((now, history.len()), (moved, 1));
        assert_eq!(history[0].previous, b);
    }

    #[test]
    fn a_segment_decodes_to_what_was_encoded() {
        let mut b = ticket("b", "noise");
        b.subcategory = Some("roads".into());
        let given = [full("a", 1_738_341_000), b, ticket("c", "noise")];
        let (seg, ids) = encode_segment(&given).unwrap();
        assert_eq!((seg[0], ids[0]), (FORMAT, FORMAT));
        let got = decode_segment(&seg, &ids).unwrap();
        assert_eq!(got, given);
        assert!(got.iter().zip(&given).all(|(a, b)| same(a, b)));
        assert_eq!(decode_ids(&ids).unwrap(), ["a", "b", "c"]);
        let (seg, ids) = encode_segment::<Ticket>(&[]).unwrap();
        assert_eq!(decode_segment(&seg, &ids).unwrap(), []);
    }

    #[test]
    fn a_bad_segment_is_corrupt_not_a_panic() {
        let given = [full("a", 1_738_341_000), ticket("b", "noise")];
        let (seg, ids) = encode_segment(&given).unwrap();
        let corrupt = |seg: &[u8], ids: &[u8]| match decode_segment(seg, ids) {
            Err(StoreError::Corrupt(e)) => e,
            other => panic!("{other:?}"),
        };
        let mut later = seg.clone();
        later[0] = 2;
        assert!(corrupt(&later, &ids).contains("format 2"));
        assert!(corrupt(&seg, &[]).contains("empty"));
        let mut ids_later = ids.clone();
        ids_later[0] = 0;
        assert!(corrupt(&seg, &ids_later).contains("id list of format 0"));
        // Every truncation, and every byte changed, fails or decodes: none
        // panics.
        for n in 0..seg.len() {
            assert!(decode_segment(&seg[..n], &ids).is_err());
        }
        for i in 1..seg.len() {
            for v in [0, 1, 0x7f, 0x80, 0xff] {
                let mut bad = seg.clone();
                bad[i] = v;
                let _ = decode_segment(&bad, &ids);
            }
        }
        let mut extra = seg.clone();
        extra.push(0);
        assert!(corrupt(&extra, &ids).contains("past its end"));
        let other_ids = to_stored(&vec!["a"], "id list", 0).unwrap();
        assert!(corrupt(&seg, &other_ids).contains("differ in length"));
        // A row naming a word past the dictionary.
        let lacking = Segment {
            words: vec!["12345"],
            base: 0,
            rows: vec![Row {
                channel: 0,
                category: 0,
                department: 7,
                subcategory: None,
                town: None,
                lat: None,
                long: None,
                accepted: 0,
                acknowledged: None,
                closed: None,
                reopened: None,
                sla: None,
                result: None,
                satisfaction: None,
            }],
        };
        let bad = to_stored(&lacking, "segment", 0).unwrap();
        assert!(corrupt(&bad, &other_ids).contains("lacks"));
    }

    #[test]
    fn requests_of_the_earlier_layout_are_read_and_moved_into_segments() {
        let store = Store::open_temporary().unwrap();
        let at = Timestamp::from_unix(1_750_000_000).unwrap();
        let tree = store.db.open_tree(HOTLINE).unwrap();
        let old = [ticket("a", "noise"), ticket("b", "roads")];
        for t in &old {
            tree.insert(key(TICKET, &t.id), serde_json::to_vec(t).unwrap())
                .unwrap();
        }
        assert_eq!(store.tickets().unwrap(), old);
        assert_eq!(store.ticket("b").unwrap().unwrap().0, old[1]);
        let mut changed = ticket("a", "noise");
        changed.satisfaction = Some(5);
        let c = store
            .put_tickets(&[changed.clone(), ticket("c", "noise")], "clerk", at)
            .unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (1, 1, 0));
        assert_eq!(tree.scan_prefix([TICKET]).count(), 0);
        let all = store.tickets().unwrap();
        assert_eq!(all, [changed, old[1].clone(), ticket("c", "noise")]);
        assert_eq!(store.ticket("a").unwrap().unwrap().1[0].previous, old[0]);
    }
}
