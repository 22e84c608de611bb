//! Catch-up sync between deltabench nodes, as a state machine with no IO.
//!
//! A node holds, for every issuer, a chain of signed documents numbered from
//! 1, and its *head* for that issuer is the highest sequence number it holds
//! with every predecessor. Catch-up asks a peer for its heads, then for the
//! documents after the local head of every issuer where the peer is ahead, a
//! page at a time, and hands each page to the node's validation in chain
//! order.
//!
//! [`Sync`] makes every decision of that exchange and performs none of it. It
//! takes inputs (a peer's heads, a page, a failure, the outcome of ingesting a
//! page, the time) and queues [`Action`]s: send this request to that peer,
//! ingest these documents, this peer's session is over. The caller (the
//! node's network glue, or a test) does the IO and feeds the results back.
//! Time is an input ([`Instant`] values given to each call); nothing here
//! reads a clock, so tests drive timeouts without sleeping.
//!
//! What it guarantees:
//! - **Chain order.** At most one page of an issuer is being ingested at a
//!   time, and pages are handed over in sequence order.
//! - **One fetch per issuer.** An issuer's gap is fetched from one peer at a
//!   time, however many peers are ahead; if that peer fails, stops answering
//!   or turns out to hold less than it claimed, another peer that is ahead
//!   takes over.
//! - **Pipelining.** While a page is being ingested, the next one is already
//!   requested from the same peer.
//! - **Bounds.** Issuers fetched at once ([`Limits::fetches_max`]),
//!   heads accepted from one peer ([`Limits::heads_max`]), documents and
//!   bytes per page ([`Limits::page_docs`], [`Limits::page_bytes`]), and how
//!   long a request may take ([`Limits::request_timeout`]). A page larger
//!   than asked for is a fault of the peer and is not ingested.
//! - **No trust in claims.** A peer's heads are only claims: a page that
//!   comes back short or empty lowers the claim to what the peer delivered,
//!   and documents that do not advance the chain (refused by validation) end
//!   the fetch from that peer. Validation, not this machine, decides what a
//!   document is worth.
//!
//! ```
//! use deltabench_sync::{Action, Head, Limits, Request, Sync};
//! use std::time::Instant;
//!
//! let now = Instant::now();
//! let mut sync = Sync::new(Limits::default());
//! sync.start("peer-a", now);
//! let Some(Action::Send { id, request: Request::Heads, .. }) = sync.poll_action() else {
//!     panic!("asks for heads first");
//! };
//! sync.on_heads("peer-a", id, vec![Head::new("320585", 3)], now).unwrap();
//! let Some(Action::Send { request, .. }) = sync.poll_action() else { panic!() };
//! assert_eq!(request, Request::Range { issuer: "320585".into(), after: 0, limit: 500 });
//! ```
#![deny(missing_docs)]

mod limits;
mod machine;

pub use limits::{Limits, LimitsError};
pub use machine::{Action, Failure, Fault, Head, Request, RequestId, Sync, SyncError};
