//! Alliance rosters and the rules for changing them.
//!
//! A roster version is valid when distinct members approve its content: for
//! the roster a node is configured with (its anchor), a threshold of its own
//! members; for any later version N+1, a threshold of version N's members. A key
//! that approves twice counts once. Versions advance by exactly one, and an
//! expired roster is refused.

use crate::canonical::canonical;
use crate::keys::{NodeKey, ROSTER_DOMAIN, verify};
use crate::reason::{Reason, Rejection};
use deltabench_model::documents::{Approval, Roster, SignedRoster};
use deltabench_model::{AllianceId, JurisdictionCode, KeyHex, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// The bytes a roster approval signs (after [`ROSTER_DOMAIN`]).
pub fn roster_message(roster: &Roster) -> Vec<u8> {
    // A Roster holds only validated, finite values, so it always serializes.
    let value = serde_json::to_value(roster).unwrap_or(serde_json::Value::Null);
    canonical(&value)
}

/// A member's approval of `roster`.
pub fn approve(key: &NodeKey, signer: JurisdictionCode, roster: &Roster) -> Approval {
    Approval {
        signer,
        key: key.public_hex(),
        signature: key.sign(ROSTER_DOMAIN, &roster_message(roster)),
    }
}

/// Counts the distinct members of `approvers` whose approvals of the roster
/// verify. Approvals from others (a member being admitted by this very roster,
/// say) are not counted. An approval that names a member but carries another
/// key, or whose signature does not verify, makes the whole roster invalid: it
/// is a forgery or a corruption, never an accident to ignore.
fn count_approvals(approvers: &Roster, signed: &SignedRoster) -> Result<usize, Rejection> {
    let message = roster_message(&signed.roster);
    let mut counted: BTreeSet<&KeyHex> = BTreeSet::new();
    for (i, a) in signed.approvals.iter().enumerate() {
        let bad = |why: String| {
            Rejection::new(Reason::RosterBadApproval, format!("approvals[{i}]: {why}"))
        };
        let Some(member) = approvers.member(&a.signer) else {
            continue;
        };
        if member.key != a.key {
            return Err(bad(format!("{} approved with a key not its own", a.signer)));
        }
        if !verify(&a.key, ROSTER_DOMAIN, &message, &a.signature) {
            return Err(bad(format!(
                "the signature of {} does not verify",
                a.signer
            )));
        }
        counted.insert(&a.key);
    }
    Ok(counted.len())
}

fn check_threshold(approvers: &Roster, signed: &SignedRoster) -> Result<(), Rejection> {
    let n = count_approvals(approvers, signed)?;
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

fn check_not_expired(signed: &SignedRoster, now: Timestamp) -> Result<(), Rejection> {
    if signed.roster.expires_at <= now {
        return Err(Rejection::new(
            Reason::RosterExpired,
            format!(
                "{} version {} expired at {}",
                signed.roster.alliance, signed.roster.version, signed.roster.expires_at
            ),
        ));
    }
    Ok(())
}

fn check_content(signed: &SignedRoster) -> Result<(), Rejection> {
    signed
        .roster
        .validate()
        .map_err(|e| Rejection::new(Reason::InvalidPayload, format!("roster.{e}")))
}

/// Checks a roster taken as a trust anchor (from the node's configuration):
/// valid content, not expired, approved by a threshold of its own members.
pub fn check_anchor(signed: &SignedRoster, now: Timestamp) -> Result<(), Rejection> {
    check_content(signed)?;
    check_not_expired(signed, now)?;
    check_threshold(&signed.roster, signed)
}

/// How a roster relates to the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Succession {
    /// The same roster as the one in force (e.g. its publication on a chain).
    Same,
    /// The valid next version.
    Next,
}

/// Checks `next` against the roster in force, `current`.
pub fn check_successor(
    current: &SignedRoster,
    next: &SignedRoster,
    now: Timestamp,
) -> Result<Succession, Rejection> {
    check_content(next)?;
    let (cur, new) = (&current.roster, &next.roster);
    if cur.alliance != new.alliance {
        return Err(Rejection::new(
            Reason::UnknownAlliance,
            format!(
                "a roster of {} is not one of {}",
                new.alliance, cur.alliance
            ),
        ));
    }
    if new.version < cur.version {
        return Err(Rejection::new(
            Reason::RosterOutdated,
            format!(
                "version {} is older than version {} in force",
                new.version, cur.version
            ),
        ));
    }
    if new.version == cur.version {
        return if new == cur {
            Ok(Succession::Same)
        } else {
            Err(Rejection::new(
                Reason::RosterConflict,
                format!("a different roster claims version {} in force", cur.version),
            ))
        };
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
    check_not_expired(next, now)?;
    check_threshold(cur, next)?;
    Ok(Succession::Next)
}

/// The rosters in force for the alliances a node belongs to, and the node's own
/// identity: together they say whose documents the node accepts.
#[derive(Debug, Clone)]
pub struct Membership {
    own_code: JurisdictionCode,
    own_key: KeyHex,
    alliances: BTreeMap<AllianceId, SignedRoster>,
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

    /// Adds an alliance from a configured anchor roster.
    pub fn anchor(&mut self, signed: SignedRoster, now: Timestamp) -> Result<(), Rejection> {
        check_anchor(&signed, now)?;
        match self.alliances.get(&signed.roster.alliance) {
            Some(cur) if cur.roster.version >= signed.roster.version => Ok(()),
            _ => {
                self.alliances
                    .insert(signed.roster.alliance.clone(), signed);
                Ok(())
            }
        }
    }

    /// The roster in force for each alliance.
    pub fn rosters(&self) -> impl Iterator<Item = &SignedRoster> {
        self.alliances.values()
    }

    /// The roster in force for `alliance`.
    pub fn roster(&self, alliance: &AllianceId) -> Option<&SignedRoster> {
        self.alliances.get(alliance)
    }

    /// Checks that `key` is `code`'s key and that `code` is this node or a member
    /// of an alliance roster in force at `now`.
    pub fn check_issuer(
        &self,
        code: &JurisdictionCode,
        key: &KeyHex,
        now: Timestamp,
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
        let mut expired = None;
        let mut other_key = false;
        for signed in self.alliances.values() {
            let r = &signed.roster;
            let Some(m) = r.member(code) else { continue };
            if r.expires_at <= now {
                expired = Some(format!(
                    "{} version {} expired at {}",
                    r.alliance, r.version, r.expires_at
                ));
                continue;
            }
            if &m.key == key {
                return Ok(());
            }
            other_key = true;
        }
        if other_key {
            return Err(Rejection::new(
                Reason::KeyMismatch,
                format!("{code} is a member with another key"),
            ));
        }
        Err(Rejection::new(
            Reason::NotAMember,
            match expired {
                Some(why) => {
                    format!("{code} is a member only of a roster that is not in force: {why}")
                }
                None => format!("{code} is not a member of any alliance of this node"),
            },
        ))
    }

    /// Checks a roster document issued by `issuer` with `key`. The issuer must be
    /// a member of the roster in force or of the proposed one.
    pub fn check_roster(
        &self,
        issuer: &JurisdictionCode,
        key: &KeyHex,
        signed: &SignedRoster,
        now: Timestamp,
    ) -> Result<Succession, Rejection> {
        let current = self.alliances.get(&signed.roster.alliance).ok_or_else(|| {
            Rejection::new(
                Reason::UnknownAlliance,
                format!("this node does not belong to {}", signed.roster.alliance),
            )
        })?;
        let succession = check_successor(current, signed, now)?;
        let listed = |r: &Roster| r.member(issuer).is_some_and(|m| &m.key == key);
        if !(listed(&current.roster)
            || listed(&signed.roster)
            || issuer == &self.own_code && key == &self.own_key)
        {
            return Err(Rejection::new(
                Reason::NotAMember,
                format!(
                    "{issuer} may not publish a roster of {}",
                    signed.roster.alliance
                ),
            ));
        }
        Ok(succession)
    }

    /// Puts a checked successor in force.
    pub fn advance(&mut self, signed: SignedRoster) {
        let id = signed.roster.alliance.clone();
        match self.alliances.get(&id) {
            Some(cur) if cur.roster.version >= signed.roster.version => {}
            _ => {
                self.alliances.insert(id, signed);
            }
        }
    }
}
