//! The one validation path for documents from anywhere: gossip, catch-up sync
//! and bundle import all call [`validate`].

use crate::envelope::{Document, Limits};
use crate::reason::{Reason, Rejection};
use crate::roster::{Membership, Placement, RosterDoc};
use deltabench_model::documents::DocKind;
use deltabench_model::{DocHash, JurisdictionCode, Timestamp};

/// What the validator needs to know of the documents already held.
pub trait Ledger {
    /// The hash of the document held at `(issuer, seq)`, if any.
    fn hash_at(&self, issuer: &JurisdictionCode, seq: u64) -> Option<DocHash>;
}

/// The context of one validation.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    /// Size bounds.
    pub limits: Limits,
    /// Whose documents are accepted.
    pub membership: &'a Membership,
    /// The current time.
    pub now: Timestamp,
    /// How far in the future an issue time may lie, in seconds.
    pub clock_skew_secs_max: i64,
}

/// The outcome of validating one document.
#[derive(Debug)]
pub enum Verdict {
    /// New, valid, and extends its issuer's chain: store it.
    Accept(Document),
    /// Already held, byte for byte in content.
    Duplicate(Document),
    /// Valid, but its predecessor is not held yet: keep it until the gap is filled.
    Pending(Document),
    /// A roster document that extends its issuer's chain: store it, and
    /// record its roster as `placement` says (history, next version, or fork
    /// evidence).
    AcceptRoster {
        /// The document.
        doc: Document,
        /// Its roster.
        roster: Box<RosterDoc>,
        /// Where the roster stands in its alliance's history.
        placement: Placement,
    },
    /// A roster document that extends its issuer's chain but whose roster
    /// cannot be placed until other versions are known: keep it, and try again
    /// when the history changes.
    Waiting {
        /// The document.
        doc: Document,
        /// What it waits for.
        why: String,
    },
    /// Valid signature, but another document is held at the same issuer and
    /// sequence: keep both as evidence.
    Equivocation {
        /// The newly received document.
        doc: Document,
        /// The hash of the document already held at that position.
        held: DocHash,
    },
    /// Refused.
    Rejected(Rejection),
}

impl Verdict {
    /// The rejection reason, for verdicts that count as refusals.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Verdict::Rejected(r) => Some(r.reason),
            Verdict::Equivocation { .. } => Some(Reason::Equivocation),
            _ => None,
        }
    }
}

/// Validates one received envelope completely.
pub fn validate(bytes: &[u8], checks: &Checks<'_>, ledger: &impl Ledger) -> Verdict {
    match Document::decode(bytes, &checks.limits) {
        Ok(doc) => validate_document(doc, checks, ledger),
        Err(r) => Verdict::Rejected(r),
    }
}

/// Validates a document whose signature and payload already verified: time,
/// membership, roster succession, and chain.
pub fn validate_document(doc: Document, checks: &Checks<'_>, ledger: &impl Ledger) -> Verdict {
    if doc.issued_at.unix() > checks.now.unix() + checks.clock_skew_secs_max {
        return Verdict::Rejected(Rejection::new(
            Reason::IssuedInFuture,
            format!(
                "issued at {}, more than {} s after this node's clock ({})",
                doc.issued_at, checks.clock_skew_secs_max, checks.now
            ),
        ));
    }
    if doc.kind != DocKind::Roster {
        if let Err(r) =
            checks
                .membership
                .check_issuer(&doc.issuer, &doc.issuer_key, doc.seq, doc.hash())
        {
            return Verdict::Rejected(r);
        }
        return check_chain(doc, ledger);
    }
    let placed = RosterDoc::from_payload(doc.payload()).and_then(|roster| {
        checks
            .membership
            .place_roster(
                &doc.issuer,
                &doc.issuer_key,
                doc.seq,
                doc.hash(),
                &roster,
                checks.now,
            )
            .map(|p| (roster, p))
    });
    let (roster, placement) = match placed {
        Ok(x) => x,
        Err(r) => return Verdict::Rejected(r),
    };
    match check_chain(doc, ledger) {
        Verdict::Accept(doc) => match placement {
            Placement::Wait(why) => Verdict::Waiting { doc, why },
            placement => Verdict::AcceptRoster {
                doc,
                roster: Box::new(roster),
                placement,
            },
        },
        other => other,
    }
}

/// Places a document in its issuer's chain.
pub fn check_chain(doc: Document, ledger: &impl Ledger) -> Verdict {
    if let Some(held) = ledger.hash_at(&doc.issuer, doc.seq) {
        return if &held == doc.hash() {
            Verdict::Duplicate(doc)
        } else {
            Verdict::Equivocation { doc, held }
        };
    }
    let Some(prev) = &doc.prev else {
        // seq 1: decode already checked that it has no predecessor.
        return Verdict::Accept(doc);
    };
    match ledger.hash_at(&doc.issuer, doc.seq - 1) {
        None => Verdict::Pending(doc),
        Some(held_prev) if &held_prev == prev => Verdict::Accept(doc),
        Some(held_prev) => Verdict::Rejected(Rejection::new(
            Reason::ChainBroken,
            format!(
                "{} seq {} names predecessor {} but {} is held at seq {}",
                doc.issuer,
                doc.seq,
                &prev.as_str()[..12],
                &held_prev.as_str()[..12],
                doc.seq - 1
            ),
        )),
    }
}
