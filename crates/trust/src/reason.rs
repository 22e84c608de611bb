//! Why a document is refused. Each reason has a stable code that appears in API
//! answers, metrics labels and evidence records; codes are never renamed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The reason a document was refused.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Larger than the configured document size limit.
    Oversized,
    /// Not JSON, or not shaped like an envelope.
    Malformed,
    /// Holds a number too large to be finite (`1e999`); JSON cannot carry NaN.
    NonFiniteNumber,
    /// The signature does not verify strictly under the issuer key.
    BadSignature,
    /// A kind (schema name) this node does not know.
    UnknownKind,
    /// A schema major version this node cannot read.
    UnsupportedSchemaVersion,
    /// The payload does not decode or fails its kind's checks.
    InvalidPayload,
    /// Sequence and predecessor do not fit: seq 1 must be a jurisdiction
    /// declaration without a predecessor, later ones must name one.
    BadChainLink,
    /// The issuer key is not the key known for the issuer.
    KeyMismatch,
    /// The issuer is not a member of any alliance roster in force here.
    NotAMember,
    /// The named predecessor is not the document held at the previous sequence.
    ChainBroken,
    /// Another document is held at the same issuer and sequence.
    Equivocation,
    /// Issued further in the future than the allowed clock skew.
    IssuedInFuture,
    /// A roster for an alliance this node does not belong to.
    UnknownAlliance,
    /// A roster version older than the one in force. No longer given: an
    /// older version is history (see `roster`); the code stays reserved, as
    /// codes are never reused.
    RosterOutdated,
    /// A roster version more than one ahead of the one in force.
    RosterVersionGap,
    /// A roster that has already expired.
    RosterExpired,
    /// Fewer distinct approvals from the previous members than the threshold.
    RosterThresholdNotMet,
    /// An approval whose signer or signature does not check out.
    RosterBadApproval,
    /// A different roster for a version already held, which no member
    /// approved alongside the held one (a fork is evidence, not this).
    RosterConflict,
    /// A roster older than the oldest version known that the next known
    /// version does not follow.
    RosterNotOnPath,
    /// A successor whose former-member list does not carry the history
    /// forward: a removal without its chain position, or an altered entry.
    RosterBadHistory,
}

impl Reason {
    /// Every reason, in a fixed order (for metrics and documentation).
    pub const ALL: [Reason; 22] = [
        Reason::Oversized,
        Reason::Malformed,
        Reason::NonFiniteNumber,
        Reason::BadSignature,
        Reason::UnknownKind,
        Reason::UnsupportedSchemaVersion,
        Reason::InvalidPayload,
        Reason::BadChainLink,
        Reason::KeyMismatch,
        Reason::NotAMember,
        Reason::ChainBroken,
        Reason::Equivocation,
        Reason::IssuedInFuture,
        Reason::UnknownAlliance,
        Reason::RosterOutdated,
        Reason::RosterVersionGap,
        Reason::RosterExpired,
        Reason::RosterThresholdNotMet,
        Reason::RosterBadApproval,
        Reason::RosterConflict,
        Reason::RosterNotOnPath,
        Reason::RosterBadHistory,
    ];

    /// The stable code, e.g. `bad_signature`.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Oversized => "oversized",
            Reason::Malformed => "malformed",
            Reason::NonFiniteNumber => "non_finite_number",
            Reason::BadSignature => "bad_signature",
            Reason::UnknownKind => "unknown_kind",
            Reason::UnsupportedSchemaVersion => "unsupported_schema_version",
            Reason::InvalidPayload => "invalid_payload",
            Reason::BadChainLink => "bad_chain_link",
            Reason::KeyMismatch => "key_mismatch",
            Reason::NotAMember => "not_a_member",
            Reason::ChainBroken => "chain_broken",
            Reason::Equivocation => "equivocation",
            Reason::IssuedInFuture => "issued_in_future",
            Reason::UnknownAlliance => "unknown_alliance",
            Reason::RosterOutdated => "roster_outdated",
            Reason::RosterVersionGap => "roster_version_gap",
            Reason::RosterExpired => "roster_expired",
            Reason::RosterThresholdNotMet => "roster_threshold_not_met",
            Reason::RosterBadApproval => "roster_bad_approval",
            Reason::RosterConflict => "roster_conflict",
            Reason::RosterNotOnPath => "roster_not_on_path",
            Reason::RosterBadHistory => "roster_bad_history",
        }
    }

    /// What a gossip peer that forwarded a document refused for this reason
    /// deserves: the gossip verdict policy, as one table.
    ///
    /// The rule: a forwarder is penalised only for a fault it could have
    /// checked itself before forwarding, from the bytes alone (size, JSON,
    /// signature, payload, chain link form, roster approvals and history).
    /// A refusal that depends on what this node holds or knows (its
    /// membership, its roster versions, its schema versions, its clock, its
    /// chain) is dropped without blame. Evidence travels on, so that every
    /// member records it.
    pub const fn relay(self) -> Relay {
        match self {
            Reason::Equivocation => Relay::Forward,
            Reason::UnsupportedSchemaVersion
            | Reason::UnknownKind
            | Reason::NotAMember
            | Reason::UnknownAlliance
            | Reason::RosterOutdated
            | Reason::RosterVersionGap
            | Reason::RosterExpired
            | Reason::RosterNotOnPath
            | Reason::IssuedInFuture
            | Reason::ChainBroken => Relay::Drop,
            Reason::Oversized
            | Reason::Malformed
            | Reason::NonFiniteNumber
            | Reason::BadSignature
            | Reason::InvalidPayload
            | Reason::BadChainLink
            | Reason::KeyMismatch
            | Reason::RosterThresholdNotMet
            | Reason::RosterBadApproval
            | Reason::RosterBadHistory
            | Reason::RosterConflict => Relay::Penalise,
        }
    }
}

/// The gossip verdict for a forwarded document that was refused (see
/// [`Reason::relay`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relay {
    /// Pass it on: it is evidence every member should hold.
    Forward,
    /// Drop it without blame: the forwarder could not have known.
    Drop,
    /// Drop it and lower the forwarder's score: it relayed what it could
    /// have checked.
    Penalise,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused document: the reason, and a detail for people.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema,
)]
#[error("{reason}: {detail}")]
pub struct Rejection {
    /// The stable reason.
    pub reason: Reason,
    /// What exactly was wrong.
    pub detail: String,
}

impl Rejection {
    /// A rejection with the given reason and detail.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_serde_agrees() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()), "{r:?}");
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.code())
            );
        }
    }

    #[test]
    fn forwarders_are_penalised_only_for_what_the_bytes_alone_show() {
        // Eleven of the twenty-two reasons are faults a forwarder could have
        // checked; evidence alone is forwarded.
        let count = |v: Relay| Reason::ALL.iter().filter(|r| r.relay() == v).count();
        assert_eq!(count(Relay::Penalise), 11);
        assert_eq!(count(Relay::Forward), 1);
        assert_eq!(Reason::Equivocation.relay(), Relay::Forward);
        for r in [
            Reason::NotAMember,
            Reason::UnsupportedSchemaVersion,
            Reason::RosterVersionGap,
            // Depends on which versions this node knows.
            Reason::RosterNotOnPath,
            Reason::IssuedInFuture,
        ] {
            assert_eq!(r.relay(), Relay::Drop, "{r}");
        }
        for r in [
            Reason::BadSignature,
            Reason::Malformed,
            Reason::RosterBadApproval,
            Reason::RosterBadHistory,
            Reason::Oversized,
        ] {
            assert_eq!(r.relay(), Relay::Penalise, "{r}");
        }
    }
}
