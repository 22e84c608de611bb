//! Alliance rosters: approvals over exact bytes, the history of versions, and
//! membership by position in that history.
//!
//! **Approvals.** A member approves a roster version by signing
//! [`ROSTER_DOMAIN`] followed by the RFC 8785 canonical bytes of the `roster`
//! object exactly as published: members the payload types do not know are
//! kept and covered. The SHA-256 of that message is the roster's *id*: two
//! rosters are the same exactly when their ids are.
//!
//! **Succession.** Version N+1 follows version N when it is for the same
//! alliance, more than half of N's members (N's threshold, which must be more
//! than half) approve it, and its `former` list is N's carried forward plus an
//! entry for each member N had and N+1 dropped: code, key, the version that
//! removed it, and where its chain stood (seq and hash of the last document
//! that counts). A re-admitted member leaves the list. When N+1 names the id
//! of the version before it (`previous`), that must be N's. Succession does
//! not depend on the clock.
//!
//! **History.** A node keeps, per alliance, every version it has placed
//! ([`History`]). A version arrives in one of these ways:
//! - the next after the newest known: it is checked against the newest, and
//!   comes *into force* only if it has not expired when it arrives (an expired
//!   one is kept as a link of the history, so that its own successor can be
//!   checked, but never governs membership);
//! - the one before the oldest known: it lies on the verified path when the
//!   oldest known version names its id (`previous`) and follows it;
//! - a version already known: the same roster is a duplicate, a different one
//!   that is validly approved, or that a member approved besides the known
//!   one, is a *fork* ([`RosterFork`]), kept as evidence;
//! - older than the version in force and not placed by the rules above (its
//!   successor unknown, or it cannot be verified): the document that carries
//!   it is a valid link of its issuer's chain when the issuer counts, since
//!   it cannot change membership, and refusing it on one node but not on
//!   another that knows less would split the federation; its roster enters
//!   the history only once verified;
//! - anything else (newer than the next version) waits until the versions
//!   between are known.
//!
//! Expiry is judged only on arrival. What was decided is stored with the
//! history, so a node that restarts puts the same version in force whatever
//! the date.
//!
//! **Membership.** Whose documents are accepted follows from the roster in
//! force (the newest version that came into force): its members' whole
//! chains, and each former member's chain up to the recorded position. A node
//! anchored at any version reaches the same answer as one anchored at version
//! 1, because the `former` list is cumulative.

use crate::canonical::{CanonicalError, canonical};
use crate::keys::{NodeKey, ROSTER_DOMAIN, verify_prefixed};
use crate::reason::{Reason, Rejection};
use deltabench_model::documents::{Approval, Payload, Roster, SignedRoster};
use deltabench_model::{AllianceId, DocHash, JurisdictionCode, KeyHex, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The message a roster approval signs: [`ROSTER_DOMAIN`] followed by the
/// canonical bytes of the `roster` object as published.
pub fn approval_message(raw_roster: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = ROSTER_DOMAIN.to_vec();
    out.extend_from_slice(&canonical(raw_roster)?);
    Ok(out)
}

/// A member's approval of the roster object `raw_roster` (as it will be
/// published, unknown members included).
pub fn approve(
    key: &NodeKey,
    signer: JurisdictionCode,
    raw_roster: &Value,
) -> Result<Approval, CanonicalError> {
    let message = approval_message(raw_roster)?;
    Ok(Approval {
        signer,
        key: key.public_hex(),
        signature: key.sign_prefixed(&message),
    })
}

/// A member's approval of `roster` as these types serialize it (members they
/// do not know cannot be in it). For rosters drafted in code.
pub fn approve_roster(
    key: &NodeKey,
    signer: JurisdictionCode,
    roster: &Roster,
) -> Result<Approval, CanonicalError> {
    let raw = serde_json::to_value(roster).map_err(|_| CanonicalError::NonFinite)?;
    approve(key, signer, &raw)
}

/// The roster payload of `roster` approved by each of `approvers`, for
/// rosters drafted in code (tests, fixtures, benchmarks). Offices draft and
/// approve with `deltabench roster new` and `approve`.
pub fn sign_roster(
    roster: &Roster,
    approvers: &[(&NodeKey, JurisdictionCode)],
) -> Result<RosterDoc, Rejection> {
    let raw = serde_json::to_value(roster)
        .map_err(|e| Rejection::new(Reason::InvalidPayload, e.to_string()))?;
    let approvals = approvers
        .iter()
        .map(|(key, code)| approve(key, code.clone(), &raw))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Rejection::new(Reason::Malformed, e.to_string()))?;
    RosterDoc::from_payload(serde_json::json!({"roster": raw, "approvals": approvals}))
}

/// A roster payload as published: the parsed roster and approvals, the exact
/// JSON they came from, and the roster's id.
#[derive(Debug, Clone)]
pub struct RosterDoc {
    signed: SignedRoster,
    payload: Value,
    message: Vec<u8>,
    id: DocHash,
}

impl RosterDoc {
    /// Reads a roster payload (`{"roster": {...}, "approvals": [...]}`) and
    /// checks its content.
    pub fn from_payload(payload: Value) -> Result<Self, Rejection> {
        let invalid = |d: String| Rejection::new(Reason::InvalidPayload, d);
        let signed = SignedRoster::deserialize(&payload)
            .map_err(|e| invalid(format!("roster payload: {e}")))?;
        signed
            .validate()
            .map_err(|e| invalid(format!("roster payload: {e}")))?;
        let raw = payload.get("roster").unwrap_or(&Value::Null);
        let message = approval_message(raw)
            .map_err(|e| Rejection::new(Reason::Malformed, format!("roster: {e}")))?;
        let id = DocHash::from_bytes(Sha256::digest(&message).into());
        Ok(Self {
            signed,
            payload,
            message,
            id,
        })
    }

    /// A roster document from roster types (members they do not know cannot
    /// be in it).
    pub fn from_signed(signed: &SignedRoster) -> Result<Self, Rejection> {
        let payload = serde_json::to_value(signed)
            .map_err(|e| Rejection::new(Reason::InvalidPayload, e.to_string()))?;
        Self::from_payload(payload)
    }

    /// The parsed roster and approvals.
    pub fn signed(&self) -> &SignedRoster {
        &self.signed
    }

    /// The roster content.
    pub fn roster(&self) -> &Roster {
        &self.signed.roster
    }

    /// The payload exactly as published.
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The roster's id: the SHA-256 of its approval message.
    pub fn id(&self) -> &DocHash {
        &self.id
    }

    /// The approvals of this roster that verify, by the keys that made them.
    fn valid_approvals(&self) -> BTreeMap<&KeyHex, &JurisdictionCode> {
        self.signed
            .approvals
            .iter()
            .filter(|a| verify_prefixed(&a.key, &self.message, &a.signature))
            .map(|a| (&a.key, &a.signer))
            .collect()
    }
}

/// Counts the distinct members of `approvers` whose approvals of `next`
/// verify. Approvals from others (a member being admitted by this very roster,
/// say) are not counted. An approval that names a member but carries another
/// key, or whose signature does not verify, makes the whole roster invalid: it
/// is a forgery or a corruption, never an accident to ignore.
fn count_approvals(approvers: &Roster, next: &RosterDoc) -> Result<usize, Rejection> {
    let mut counted: BTreeSet<&KeyHex> = BTreeSet::new();
    for (i, a) in next.signed.approvals.iter().enumerate() {
        let bad = |why: String| {
            Rejection::new(Reason::RosterBadApproval, format!("approvals[{i}]: {why}"))
        };
        let Some(member) = approvers.member(&a.signer) else {
            continue;
        };
        if member.key != a.key {
            return Err(bad(format!("{} approved with a key not its own", a.signer)));
        }
        if !verify_prefixed(&a.key, &next.message, &a.signature) {
            return Err(bad(format!(
                "the signature of {} does not verify",
                a.signer
            )));
        }
        counted.insert(&a.key);
    }
    Ok(counted.len())
}

fn check_threshold(approvers: &Roster, next: &RosterDoc) -> Result<(), Rejection> {
    let n = count_approvals(approvers, next)?;
    if n < approvers.threshold as usize {
        return Err(Rejection::new(
            Reason::RosterThresholdNotMet,
            format!(
                "{n} distinct approvals from {} version {}; the threshold is {}",
                approvers.alliance, approvers.version, approvers.threshold
            ),
        ));
    }
    Ok(())
}

fn check_not_expired(roster: &Roster, now: Timestamp) -> Result<(), Rejection> {
    if roster.expires_at <= now {
        return Err(Rejection::new(
            Reason::RosterExpired,
            format!(
                "{} version {} expired at {}",
                roster.alliance, roster.version, roster.expires_at
            ),
        ));
    }
    Ok(())
}

/// Checks a roster taken as a trust anchor (from the node's configuration).
/// The operator chose it, so it need not chain to anything the node holds;
/// it must be well formed, unexpired at `now` when given, and every approval
/// it carries from its own members must verify. Version 1 must be approved by
/// its threshold of its own members; a later version by at least one of them
/// (the rest of its approvals come from members of the version before).
pub fn check_anchor(doc: &RosterDoc, now: Option<Timestamp>) -> Result<(), Rejection> {
    if let Some(now) = now {
        check_not_expired(doc.roster(), now)?;
    }
    let r = doc.roster();
    if r.version == 1 {
        return check_threshold(r, doc);
    }
    if count_approvals(r, doc)? == 0 {
        return Err(Rejection::new(
            Reason::RosterThresholdNotMet,
            format!(
                "{} version {} carries no approval from its own members",
                r.alliance, r.version
            ),
        ));
    }
    Ok(())
}

/// Checks that `next` follows `prev`: same alliance, the next version, the
/// threshold of `prev`'s members approves it, and its former members are
/// `prev`'s carried forward plus those it removes, each removal recording its
/// chain position. The clock plays no part.
pub fn check_link(prev: &RosterDoc, next: &RosterDoc) -> Result<(), Rejection> {
    let (cur, new) = (prev.roster(), next.roster());
    if cur.alliance != new.alliance {
        return Err(Rejection::new(
            Reason::UnknownAlliance,
            format!(
                "a roster of {} is not one of {}",
                new.alliance, cur.alliance
            ),
        ));
    }
    if new.version != cur.version + 1 {
        return Err(Rejection::new(
            Reason::RosterVersionGap,
            format!(
                "version {} does not follow version {}",
                new.version, cur.version
            ),
        ));
    }
    if let Some(previous) = &new.previous {
        if previous != prev.id() {
            return Err(Rejection::new(
                Reason::RosterNotOnPath,
                format!(
                    "version {} names {} as the version before it, not {}",
                    new.version,
                    &previous.as_str()[..12],
                    &prev.id().as_str()[..12]
                ),
            ));
        }
    }
    check_threshold(cur, next)?;
    check_former(cur, new)
}

/// Checks that `older` is the version that the known `later` follows:
/// `later` must name `older`'s id as `previous`, and follow it by
/// [`check_link`]. Without a named predecessor, a version that only seems to
/// be followed could have been written by anyone with the later approvers'
/// public keys, so it is never placed.
fn check_back_link(older: &RosterDoc, later: &RosterDoc) -> Result<(), Rejection> {
    if later.roster().previous.is_none() {
        return Err(Rejection::new(
            Reason::RosterNotOnPath,
            "the later version does not name the version it follows",
        ));
    }
    check_link(older, later)
}

fn check_former(cur: &Roster, new: &Roster) -> Result<(), Rejection> {
    let bad = |d: String| Rejection::new(Reason::RosterBadHistory, d);
    let mut expected = BTreeSet::new();
    for m in &cur.members {
        if new.member(&m.code).is_some() {
            continue;
        }
        expected.insert(&m.code);
        let Some(f) = new.former.iter().find(|f| f.code == m.code) else {
            return Err(bad(format!(
                "version {} removes {} but does not record where its chain stood \
                 (draft it with `deltabench roster new --node URL --token TOKEN`)",
                new.version, m.code
            )));
        };
        if f.key != m.key || f.removed_in != new.version {
            return Err(bad(format!(
                "the former-member entry for {} must carry its key and removed_in {}",
                m.code, new.version
            )));
        }
    }
    for f in &cur.former {
        if new.member(&f.code).is_some() {
            continue; // re-admitted
        }
        expected.insert(&f.code);
        if !new.former.contains(f) {
            return Err(bad(format!(
                "version {} drops or alters the former-member entry for {} that version {} holds",
                new.version, f.code, cur.version
            )));
        }
    }
    if let Some(f) = new.former.iter().find(|f| !expected.contains(&f.code)) {
        return Err(bad(format!(
            "version {} lists {} as a former member, but version {} did not have it",
            new.version, f.code, cur.version
        )));
    }
    Ok(())
}

/// Two different rosters for one version of an alliance, each approved by
/// members: kept as evidence, never settled silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RosterFork {
    /// The alliance.
    pub alliance: AllianceId,
    /// The version both claim.
    pub version: u64,
    /// The id of the roster this node holds for that version.
    pub held_id: DocHash,
    /// The id of the other roster.
    pub conflicting_id: DocHash,
    /// Whether the other roster is approved by the threshold of the version
    /// before it (when that version is known here).
    pub both_approved: bool,
    /// Members whose approvals of both rosters verify.
    pub double_approvers: Vec<JurisdictionCode>,
    /// The held roster payload, as published.
    pub held: Value,
    /// The other roster payload, as published.
    pub conflicting: Value,
}

/// Where a roster document stands in its alliance's history.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// The version is known with this very roster: nothing changes.
    Same,
    /// An older version on the verified path: kept as history.
    History,
    /// The next version. It comes into force unless it had expired when it
    /// arrived.
    Next {
        /// Whether it comes into force.
        in_force: bool,
    },
    /// A different roster for a known version: evidence. The document that
    /// carries it is a valid link of its issuer's chain, but its roster is not
    /// used.
    Fork(Box<RosterFork>),
    /// A version older than every known one whose successor is not known
    /// yet, carried by an issuer that counts. It cannot change membership (a
    /// newer version is in force), so the document that carries it is a valid
    /// link of its issuer's chain; its roster enters the history once its
    /// successor is known ([`Membership::place_roster`] then answers
    /// [`Placement::History`] for it).
    Unplaced,
    /// It cannot be placed until the versions between are known.
    Wait(String),
}

/// One version in an alliance's history, as the node stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// The signed roster payload as published.
    pub payload: Value,
    /// Whether it came into force when it arrived (or was configured).
    pub in_force: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    doc: RosterDoc,
    in_force: bool,
}

/// The versions of one alliance's roster that a node has placed.
#[derive(Debug, Clone)]
pub struct History {
    entries: BTreeMap<u64, Entry>,
    /// The newest version that came into force.
    current: u64,
}

impl History {
    fn new(anchor: RosterDoc) -> Self {
        let v = anchor.roster().version;
        let mut entries = BTreeMap::new();
        entries.insert(
            v,
            Entry {
                doc: anchor,
                in_force: true,
            },
        );
        Self {
            entries,
            current: v,
        }
    }

    fn insert(&mut self, doc: RosterDoc, in_force: bool) {
        let v = doc.roster().version;
        if in_force && (v > self.current || !self.entries[&self.current].in_force) {
            self.current = v;
        }
        self.entries.insert(v, Entry { doc, in_force });
    }

    /// The roster in force.
    pub fn in_force(&self) -> &RosterDoc {
        &self.entries[&self.current].doc
    }

    /// Every known version, oldest first, with whether it came into force.
    pub fn versions(&self) -> impl Iterator<Item = (&RosterDoc, bool)> {
        self.entries.values().map(|e| (&e.doc, e.in_force))
    }

    fn oldest(&self) -> u64 {
        self.entries.keys().next().copied().unwrap_or(self.current)
    }

    fn newest(&self) -> u64 {
        self.entries
            .keys()
            .next_back()
            .copied()
            .unwrap_or(self.current)
    }
}

/// The alliance histories a node keeps, and the node's own identity: together
/// they say whose documents the node accepts.
#[derive(Debug, Clone)]
pub struct Membership {
    own_code: JurisdictionCode,
    own_key: KeyHex,
    alliances: BTreeMap<AllianceId, History>,
}

impl Membership {
    /// A membership that knows only the node itself.
    pub fn new(own_code: JurisdictionCode, own_key: KeyHex) -> Self {
        Self {
            own_code,
            own_key,
            alliances: BTreeMap::new(),
        }
    }

    /// Adds an alliance from a configured anchor roster, checked by
    /// [`check_anchor`] (expiry only when `now` is given).
    pub fn anchor(&mut self, doc: RosterDoc, now: Option<Timestamp>) -> Result<(), Rejection> {
        check_anchor(&doc, now)?;
        let id = doc.roster().alliance.clone();
        match self.alliances.get_mut(&id) {
            None => {
                self.alliances.insert(id, History::new(doc));
            }
            Some(h) => h.insert(doc, true),
        }
        Ok(())
    }

    /// Puts back a stored history entry as it was decided, without checks.
    pub fn restore(&mut self, doc: RosterDoc, in_force: bool) {
        let id = doc.roster().alliance.clone();
        let v = doc.roster().version;
        let h = self.alliances.entry(id).or_insert_with(|| History {
            entries: BTreeMap::new(),
            current: v,
        });
        h.entries.insert(v, Entry { doc, in_force });
        h.current = h
            .entries
            .iter()
            .rev()
            .find(|(_, e)| e.in_force)
            .or_else(|| h.entries.iter().next_back())
            .map_or(v, |(v, _)| *v);
    }

    /// The roster in force for each alliance.
    pub fn rosters(&self) -> impl Iterator<Item = &SignedRoster> {
        self.alliances.values().map(|h| h.in_force().signed())
    }

    /// The roster in force for each alliance, as published, with its id.
    pub fn roster_docs(&self) -> impl Iterator<Item = &RosterDoc> {
        self.alliances.values().map(History::in_force)
    }

    /// The roster in force for `alliance`.
    pub fn roster(&self, alliance: &AllianceId) -> Option<&SignedRoster> {
        self.alliances.get(alliance).map(|h| h.in_force().signed())
    }

    /// The history of `alliance`.
    pub fn history(&self, alliance: &AllianceId) -> Option<&History> {
        self.alliances.get(alliance)
    }

    /// Every alliance's history.
    pub fn histories(&self) -> impl Iterator<Item = &History> {
        self.alliances.values()
    }

    /// Checks that the document at `(code, seq)` with `hash`, signed by `key`,
    /// counts: `code` is this node (with its key), a member of a roster in
    /// force (with the key it lists), or a former member and the document lies
    /// within the part of its chain that the removal recorded.
    pub fn check_issuer(
        &self,
        code: &JurisdictionCode,
        key: &KeyHex,
        seq: u64,
        hash: &DocHash,
    ) -> Result<(), Rejection> {
        if code == &self.own_code {
            return if key == &self.own_key {
                Ok(())
            } else {
                Err(Rejection::new(
                    Reason::KeyMismatch,
                    format!("{code} is this node, and that is not its key"),
                ))
            };
        }
        let mut removed = None;
        let mut other_key = false;
        for h in self.alliances.values() {
            let r = h.in_force().roster();
            if let Some(m) = r.member(code) {
                if &m.key == key {
                    return Ok(());
                }
                other_key = true;
                continue;
            }
            let Some(f) = r.former.iter().find(|f| &f.code == code) else {
                continue;
            };
            if &f.key != key {
                other_key = true;
                continue;
            }
            if seq < f.last_seq || (seq == f.last_seq && f.last_hash.as_ref() == Some(hash)) {
                return Ok(());
            }
            removed = Some(if seq == f.last_seq {
                format!(
                    "{code} was removed from {} by version {}, and seq {seq} is not the document recorded then",
                    r.alliance, f.removed_in
                )
            } else {
                format!(
                    "{code} was removed from {} by version {}; its chain counts up to seq {}, not {seq}",
                    r.alliance, f.removed_in, f.last_seq
                )
            });
        }
        if let Some(why) = removed {
            return Err(Rejection::new(Reason::NotAMember, why));
        }
        if other_key {
            return Err(Rejection::new(
                Reason::KeyMismatch,
                format!("{code} is a member with another key"),
            ));
        }
        Err(Rejection::new(
            Reason::NotAMember,
            format!("{code} is not a member of any alliance of this node"),
        ))
    }

    /// Places a roster carried by the document at `(issuer, seq)` with
    /// `hash`, signed by `key`, in its alliance's history. The issuer must
    /// count by [`Membership::check_issuer`], or be listed with its key in the
    /// very roster it carries. `now` matters only to whether a next version
    /// comes into force.
    pub fn place_roster(
        &self,
        issuer: &JurisdictionCode,
        key: &KeyHex,
        seq: u64,
        hash: &DocHash,
        doc: &RosterDoc,
        now: Timestamp,
    ) -> Result<Placement, Rejection> {
        let r = doc.roster();
        let history = self.alliances.get(&r.alliance).ok_or_else(|| {
            Rejection::new(
                Reason::UnknownAlliance,
                format!("this node does not belong to {}", r.alliance),
            )
        })?;
        let placement = place_in(history, doc, now);
        match self.check_issuer(issuer, key, seq, hash) {
            Ok(()) => {}
            // One that does not count yet may carry only the verified next
            // version that lists it (a member publishing its own admission);
            // nothing else it carries is checked enough to let it in.
            Err(e) => {
                let listed = r.member(issuer).is_some_and(|m| &m.key == key);
                return match placement {
                    Ok(p @ Placement::Next { in_force: true }) if listed => Ok(p),
                    _ => Err(e),
                };
            }
        }
        // A version older than the one in force cannot change membership. The
        // document that carries it, from an issuer that counts, is a valid
        // link of its chain whatever this node knows of the older versions:
        // refusing it here but not on a node that knows less would split the
        // federation and stall the chain. Its roster is only placed when
        // verified.
        if r.version < history.current {
            return Ok(match placement {
                Ok(p) => p,
                Err(_) => Placement::Unplaced,
            });
        }
        placement
    }

    /// Records a placed roster in its history.
    pub fn apply(&mut self, doc: RosterDoc, placement: &Placement) {
        let Some(h) = self.alliances.get_mut(&doc.roster().alliance) else {
            return;
        };
        match placement {
            Placement::History => h.insert(doc, false),
            Placement::Next { in_force } => h.insert(doc, *in_force),
            Placement::Same | Placement::Fork(_) | Placement::Unplaced | Placement::Wait(_) => {}
        }
    }
}

/// Where `doc` stands in `history`, without asking who carries it.
fn place_in(history: &History, doc: &RosterDoc, now: Timestamp) -> Result<Placement, Rejection> {
    let r = doc.roster();
    let v = r.version;
    if let Some(held) = history.entries.get(&v) {
        if held.doc.id() == doc.id() {
            return Ok(Placement::Same);
        }
        return fork(history, &held.doc, doc);
    }
    if let Some(later) = history.entries.get(&(v + 1)) {
        return match check_back_link(doc, &later.doc) {
            Ok(()) => Ok(Placement::History),
            Err(e) => Err(Rejection::new(
                Reason::RosterNotOnPath,
                format!(
                    "{} version {v} is not the version that version {} follows: {}",
                    r.alliance,
                    v + 1,
                    e.detail
                ),
            )),
        };
    }
    if v < history.oldest() {
        // Its successor is not known: it may come later in this very chain.
        return Ok(Placement::Unplaced);
    }
    let newest = history.newest();
    if v == newest + 1 {
        check_link(&history.entries[&newest].doc, doc)?;
        return Ok(Placement::Next {
            in_force: check_not_expired(r, now).is_ok(),
        });
    }
    Ok(Placement::Wait(format!(
        "{} version {v} cannot be placed until the versions between it and the {} known are",
        r.alliance,
        history
            .entries
            .keys()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// A different roster for a version already held: a fork when it is validly
/// approved too, or when some member approved both; otherwise a conflict
/// nobody approved, refused.
fn fork(history: &History, held: &RosterDoc, other: &RosterDoc) -> Result<Placement, Rejection> {
    let v = held.roster().version;
    let both_approved = history
        .entries
        .get(&(v.wrapping_sub(1)))
        .is_some_and(|prev| check_link(&prev.doc, other).is_ok());
    let held_approvals = held.valid_approvals();
    let double: BTreeSet<JurisdictionCode> = other
        .valid_approvals()
        .into_iter()
        .filter(|(k, _)| held_approvals.contains_key(k))
        .map(|(_, code)| code.clone())
        .collect();
    if !both_approved && double.is_empty() {
        return Err(Rejection::new(
            Reason::RosterConflict,
            format!(
                "a different roster claims {} version {v}, and no member approved both",
                held.roster().alliance
            ),
        ));
    }
    Ok(Placement::Fork(Box::new(RosterFork {
        alliance: held.roster().alliance.clone(),
        version: v,
        held_id: held.id().clone(),
        conflicting_id: other.id().clone(),
        both_approved,
        double_approvers: double.into_iter().collect(),
        held: held.payload().clone(),
        conflicting: other.payload().clone(),
    })))
}
