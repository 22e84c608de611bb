//! Who may rate: the check behind "one person, one rating", as a trait so
//! that a check other than the office's one-time codes can take its place.
//!
//! A rating arrives with a credential (the `code` member of `POST
//! /public/v1/ratings`). The node's [`RatingVerifier`] turns it into a
//! 32-byte *slot*, the one place where "this credential rated this
//! project in this period" is recorded, or refuses it. The store then uses
//! the slot exactly once, in the transaction that stores the rating, so a
//! credential rates once even when it is sent twice at the same moment.
//!
//! Two kinds of slot ([`Admission`]):
//!
//! - **Issued**: the slot must have been issued beforehand and not used.
//!   The office's one-time codes work this way ([`CodeVerifier`]): `POST
//!   /api/v1/projects/{id}/codes` stores the keyed digests of the codes it
//!   hands out, and a rating's code must match one of them.
//! - **Checked**: the verifier itself decided that the credential belongs
//!   to one eligible person (a lookup in a census or household register, a
//!   one-time password an SMS gateway confirms); the slot is registered
//!   when first used, and a second use is refused like a used code.
//!
//! A slot must depend on the project and the period as well as on the
//! person, so that one person rates each project once a period; and it
//! must be a keyed digest (as `CodeKey::digest` is), so that the store
//! holds nothing that names or identifies a resident.
//!
//! To plug in another check, implement [`RatingVerifier`] and give it to
//! the node with [`Node::set_verifier`](crate::Node::set_verifier) before
//! the API starts serving. The HTTP answers stay as they are: 201 stored,
//! 409 a slot used already, 400 naming `code` for a credential the
//! verifier refuses, 503 when it cannot decide now (a gateway that does not
//! answer).

use deltabench_model::InvalidField;
use deltabench_model::public::Project;
use deltabench_trust::codes::{CodeKey, RatingCode};

/// Where a credential's one rating is recorded: a keyed digest that
/// depends on the project, its period and the person.
pub type Slot = [u8; 32];

/// What a verifier says of a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The slot must have been issued before (one-time codes).
    Issued(Slot),
    /// The verifier vouches for the person: the slot is registered on
    /// first use.
    Checked(Slot),
    /// The verifier does not know the credential: nothing is stored, and
    /// the resident is told the code is not one issued for the project.
    Unknown,
}

/// Why a verifier gave no admission.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// The credential is malformed (named in the field, usually `code`).
    #[error("{0}")]
    Invalid(InvalidField),
    /// The verifier cannot decide now (a service it asks is down); the
    /// resident may try again later.
    #[error("the rating check is unavailable: {0}")]
    Unavailable(String),
}

/// The check a node applies to every rating's credential.
pub trait RatingVerifier: Send + Sync + 'static {
    /// A short name for logs, e.g. `one-time codes`.
    fn name(&self) -> &str;

    /// Decides on `credential`, given with a rating of `project`. Called
    /// before anything is stored, on a blocking thread: it may ask another
    /// service, but should bound how long it waits.
    fn admit(&self, project: &Project, credential: &str) -> Result<Admission, VerifyError>;
}

/// The office's one-time rating codes: each code's keyed digest for its
/// project and period was stored when it was issued.
#[derive(Debug, Clone)]
pub struct CodeVerifier {
    key: CodeKey,
}

impl CodeVerifier {
    /// Codes digested under `key` (the node's is derived from its signing
    /// seed).
    pub fn new(key: CodeKey) -> Self {
        Self { key }
    }
}

impl RatingVerifier for CodeVerifier {
    fn name(&self) -> &str {
        "one-time codes"
    }

    fn admit(&self, project: &Project, credential: &str) -> Result<Admission, VerifyError> {
        let code = RatingCode::parse(credential).map_err(VerifyError::Invalid)?;
        Ok(Admission::Issued(self.key.digest(
            project.id.as_str(),
            &project.period.to_string(),
            &code,
        )))
    }
}
