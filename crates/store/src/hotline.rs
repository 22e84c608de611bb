//! 12345 hotline requests (see `deltabench_model::hotline`), in the tree
//! `hotline`:
//!
//! - `m YYYY MM` (the year a big-endian u16, the month a byte): the
//!   requests accepted in that month in China Standard Time (UTC+8), one
//!   segment in a compact binary encoding ([`encode_segment`]);
//! - `i YYYY MM`: the ids of that segment's requests, in its order, so that
//!   an import finds the known ids without decoding the requests;
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

// The binary encoding. Unsigned integers are LEB128 varints, signed ones
// zigzag varints, coordinates little-endian f64 bits.

fn put_var(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_zig(out: &mut Vec<u8>, v: i64) {
    put_var(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_var(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Result<Self, StoreError> {
        match b.first() {
            Some(&FORMAT) => Ok(Self { b, at: 1 }),
            _ => Err(corrupt("a hotline segment of an unknown format")),
        }
    }

    fn byte(&mut self) -> Result<u8, StoreError> {
        let v = *self
            .b
            .get(self.at)
            .ok_or_else(|| corrupt("a hotline segment ends early"))?;
        self.at += 1;
        Ok(v)
    }

    fn var(&mut self) -> Result<u64, StoreError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt("a hotline segment holds a bad number"))
    }

    fn zig(&mut self) -> Result<i64, StoreError> {
        let v = self.var()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn len(&mut self) -> Result<usize, StoreError> {
        let n = self.var()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.b.len() - self.at)
            .ok_or_else(|| corrupt("a hotline segment holds a bad length"))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| corrupt("a hotline segment ends early"))?;
        self.at += n;
        Ok(s)
    }

    fn str(&mut self) -> Result<&'a str, StoreError> {
        let n = self.len()?;
        std::str::from_utf8(self.bytes(n)?).map_err(corrupt)
    }

    fn f64(&mut self) -> Result<f64, StoreError> {
        let b = self.bytes(8)?;
        Ok(f64::from_le_bytes(b.try_into().map_err(corrupt)?))
    }

    fn time(&mut self, base: i64) -> Result<Timestamp, StoreError> {
        Timestamp::from_unix(base.wrapping_add(self.zig()?)).map_err(corrupt)
    }
}

const SUBCATEGORY: u64 = 1;
const TOWN: u64 = 1 << 1;
const LAT: u64 = 1 << 2;
const LONG: u64 = 1 << 3;
const ACKNOWLEDGED: u64 = 1 << 4;
const CLOSED: u64 = 1 << 5;
const REOPENED: u64 = 1 << 6;
const SLA: u64 = 1 << 7;
const RESULT: u64 = 1 << 8;
const SATISFACTION: u64 = 1 << 9;

/// A month's requests as two values: the segment and its ids.
///
/// The segment is the format byte, a dictionary of the distinct channels,
/// categories, subcategories, towns and departments (a count, then each a
/// length and UTF-8 bytes), the earliest acceptance (zigzag), the count of
/// requests, then each request: a bit set of the optional fields present;
/// its channel, category and department as dictionary positions; its
/// subcategory and town likewise when present; latitude and longitude as
/// f64 bits when present; its acceptance after the earliest; each other
/// time after its acceptance; its result (0 resolved, 1 explained, 2 not
/// resolved) and its satisfaction as a byte each when present. The id list
/// is the format byte, the count, then each id's length and bytes.
fn encode_segment<T: std::borrow::Borrow<Ticket>>(tickets: &[T]) -> (Vec<u8>, Vec<u8>) {
    let mut dict: HashMap<&str, u64> = HashMap::new();
    let mut words: Vec<&str> = Vec::new();
    // The dictionary, in order of first use.
    let mut intern = |s| {
        let next = words.len() as u64;
        *dict.entry(s).or_insert_with(|| {
            words.push(s);
            next
        })
    };
    let mut refs: Vec<[u64; 5]> = Vec::with_capacity(tickets.len());
    for t in tickets {
        let t = t.borrow();
        refs.push([
            intern(t.channel.as_str()),
            intern(t.category.as_str()),
            intern(t.department.as_str()),
            t.subcategory.as_deref().map_or(0, &mut intern),
            t.town.as_deref().map_or(0, &mut intern),
        ]);
    }
    let base = tickets
        .iter()
        .map(|t| t.borrow().accepted_at.unix())
        .min()
        .unwrap_or(0);
    let mut seg = Vec::with_capacity(16 + tickets.len() * 48);
    seg.push(FORMAT);
    put_var(&mut seg, words.len() as u64);
    for w in &words {
        put_str(&mut seg, w);
    }
    put_zig(&mut seg, base);
    put_var(&mut seg, tickets.len() as u64);
    let mut ids = Vec::with_capacity(8 + tickets.len() * 16);
    ids.push(FORMAT);
    put_var(&mut ids, tickets.len() as u64);
    for (t, r) in tickets.iter().zip(&refs) {
        let Ticket {
            id,
            channel: _,
            category: _,
            subcategory,
            town,
            department: _,
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
        put_str(&mut ids, id);
        let bit = |present: bool, b: u64| if present { b } else { 0 };
        let bits = bit(subcategory.is_some(), SUBCATEGORY)
            | bit(town.is_some(), TOWN)
            | bit(lat.is_some(), LAT)
            | bit(long.is_some(), LONG)
            | bit(acknowledged_at.is_some(), ACKNOWLEDGED)
            | bit(closed_at.is_some(), CLOSED)
            | bit(reopened_at.is_some(), REOPENED)
            | bit(sla_due.is_some(), SLA)
            | bit(result.is_some(), RESULT)
            | bit(satisfaction.is_some(), SATISFACTION);
        put_var(&mut seg, bits);
        put_var(&mut seg, r[0]);
        put_var(&mut seg, r[1]);
        put_var(&mut seg, r[2]);
        if subcategory.is_some() {
            put_var(&mut seg, r[3]);
        }
        if town.is_some() {
            put_var(&mut seg, r[4]);
        }
        for x in [lat, long].into_iter().flatten() {
            seg.extend_from_slice(&x.to_le_bytes());
        }
        let accepted = accepted_at.unix();
        put_zig(&mut seg, accepted.wrapping_sub(base));
        for x in [acknowledged_at, closed_at, reopened_at, sla_due]
            .into_iter()
            .flatten()
        {
            put_zig(&mut seg, x.unix().wrapping_sub(accepted));
        }
        if let Some(r) = result {
            seg.push(match r {
                ClosureResult::Resolved => 0,
                ClosureResult::Explained => 1,
                ClosureResult::NotResolved => 2,
            });
        }
        if let Some(s) = satisfaction {
            seg.push(*s);
        }
    }
    (seg, ids)
}

/// The ids of an id list, in order.
fn decode_ids(b: &[u8]) -> Result<Vec<&str>, StoreError> {
    let mut r = Reader::new(b)?;
    let n = r.len()?;
    (0..n).map(|_| r.str()).collect()
}

/// The requests of a segment and its id list.
fn decode_segment(seg: &[u8], ids: &[u8]) -> Result<Vec<Ticket>, StoreError> {
    let ids = decode_ids(ids)?;
    let mut r = Reader::new(seg)?;
    let words: Vec<&str> = (0..r.len()?).map(|_| r.str()).collect::<Result<_, _>>()?;
    let units: Vec<Option<UnitId>> = words.iter().map(|w| UnitId::new(*w).ok()).collect();
    let base = r.zig()?;
    let n = r.len()?;
    if n != ids.len() {
        return Err(corrupt("a hotline segment and its ids differ in length"));
    }
    let mut out = Vec::with_capacity(n);
    for id in ids {
        let bits = r.var()?;
        let word = |r: &mut Reader<'_>| -> Result<usize, StoreError> {
            usize::try_from(r.var()?)
                .ok()
                .filter(|i| *i < words.len())
                .ok_or_else(|| corrupt("a hotline segment names a word it lacks"))
        };
        let channel = words[word(&mut r)?].to_owned();
        let category = words[word(&mut r)?].to_owned();
        let department = units[word(&mut r)?]
            .clone()
            .ok_or_else(|| corrupt("a hotline segment holds a bad department"))?;
        let subcategory = if bits & SUBCATEGORY != 0 {
            Some(words[word(&mut r)?].to_owned())
        } else {
            None
        };
        let town = if bits & TOWN != 0 {
            Some(words[word(&mut r)?].to_owned())
        } else {
            None
        };
        let lat = if bits & LAT != 0 {
            Some(r.f64()?)
        } else {
            None
        };
        let long = if bits & LONG != 0 {
            Some(r.f64()?)
        } else {
            None
        };
        let accepted_at = r.time(base)?;
        let a = accepted_at.unix();
        let mut time = |b: u64| -> Result<Option<Timestamp>, StoreError> {
            if bits & b != 0 {
                r.time(a).map(Some)
            } else {
                Ok(None)
            }
        };
        let acknowledged_at = time(ACKNOWLEDGED)?;
        let closed_at = time(CLOSED)?;
        let reopened_at = time(REOPENED)?;
        let sla_due = time(SLA)?;
        let result = if bits & RESULT != 0 {
            Some(match r.byte()? {
                0 => ClosureResult::Resolved,
                1 => ClosureResult::Explained,
                2 => ClosureResult::NotResolved,
                _ => return Err(corrupt("a hotline segment holds a bad result")),
            })
        } else {
            None
        };
        let satisfaction = if bits & SATISFACTION != 0 {
            Some(r.byte()?)
        } else {
            None
        };
        out.push(Ticket {
            id: id.to_owned(),
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
        for ((m, ts), (seg, ids)) in months.iter().zip(encoded) {
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
