//! Canonical bytes, signed envelopes, keys, issuer chains and alliance rosters.
//!
//! Everything a node publishes travels as a [`Document`]: an envelope with the
//! kind and schema version, the issuer and its key, a per-issuer sequence
//! number, the hash of the issuer's previous document, the issue time, the
//! payload and an ed25519 signature over the domain-separated canonical bytes
//! ([`canonical`]). [`Document::decode`] checks what a document says about
//! itself; [`validate()`] adds what depends on the node: who is a member
//! ([`Membership`]), which rosters are in force ([`roster`]), and where the
//! document sits in its issuer's chain ([`Ledger`]). Every refusal is a
//! [`Rejection`] with a stable [`Reason`] code.
//!
//! ```
//! use deltabench_model::documents::JurisdictionDecl;
//! use deltabench_model::{JurisdictionCode, Timestamp};
//! use deltabench_trust::{Document, Header, Limits, NodeKey};
//!
//! let key = NodeKey::from_seed([1; 32]);
//! let code = JurisdictionCode::new("320585").unwrap();
//! let decl = JurisdictionDecl {
//!     code: code.clone(),
//!     name_zh: "太仓市".into(),
//!     name_en: "Taicang".into(),
//!     public_key: key.public_hex(),
//! };
//! let header = Header { issuer: code, seq: 1, prev: None, issued_at: Timestamp::from_unix(0).unwrap() };
//! let doc = Document::sign(&key, header, &decl).unwrap();
//! let back = Document::decode(doc.bytes(), &Limits::default()).unwrap();
//! assert_eq!(back.hash(), doc.hash());
//! ```
#![deny(missing_docs)]

pub mod canonical;
pub mod codes;
mod envelope;
mod keys;
mod reason;
pub mod roster;
pub mod schemas;
mod validate;

pub use envelope::{Document, Header, Limits, SchemaVersion, SignError};
pub use keys::{DOCUMENT_DOMAIN, KeyError, NodeKey, ROSTER_DOMAIN, verify, verify_prefixed};
pub use reason::{Reason, Rejection, Relay};
pub use roster::Membership;
pub use validate::{Checks, Ledger, Verdict, check_chain, validate, validate_document};
