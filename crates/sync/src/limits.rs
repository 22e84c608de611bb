//! The bounds of a sync exchange, all derived from the transport's largest
//! response so that the side that cuts a page and the side that reads it
//! agree by construction.

use std::time::Duration;

/// Bytes a response spends outside its documents: the enum tag and the
/// array header of a CBOR `Documents` answer, with room to spare.
const RESPONSE_FRAME_BYTES: u64 = 64;

/// Bytes each document costs beyond its own length: the CBOR byte string
/// header is at most 9 bytes.
pub(crate) const PER_DOCUMENT_FRAME_BYTES: usize = 9;

/// The bounds of a sync exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Documents asked for per range request. A peer may send fewer (it cuts
    /// pages to [`Limits::page_bytes`]) but never more.
    pub page_docs: u32,
    /// The most bytes of documents in one page, framing included. Derived
    /// from the transport's response bound by [`Limits::new`].
    pub page_bytes: usize,
    /// The most heads accepted from one peer: an alliance of the whole Delta
    /// has about 300 issuers, so this leaves room for growth while bounding
    /// what a peer can make the node hold.
    pub heads_max: usize,
    /// Issuers fetched at once, over every peer. Each fetch has at most one
    /// request outstanding and two pages held (one being ingested, the next
    /// one), so this bounds the requests in flight and the memory pages take.
    pub fetches_max: usize,
    /// How long a request may take before the peer counts as not answering.
    pub request_timeout: Duration,
    /// Peers whose documents may fail to extend an issuer's chain at one
    /// head before the issuer is not fetched again until membership
    /// changes: more than one, so that one forger cannot block an issuer.
    pub unplaceable_peers_max: usize,
}

/// Why a set of limits cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// A response cannot hold even one document of the largest size allowed,
    /// so a chain holding one could never be fetched.
    #[error(
        "a sync response of {response_bytes_max} bytes cannot carry a document of {document_bytes_max} bytes"
    )]
    ResponseTooSmall {
        /// The transport's response bound.
        response_bytes_max: u64,
        /// The largest document accepted.
        document_bytes_max: usize,
    },
    /// A bound is zero, so no progress is possible.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

impl Default for Limits {
    /// The limits for a 16 MiB response bound, 30 s requests and 256 KiB
    /// documents (the node's defaults).
    fn default() -> Self {
        Self::new(16 * 1024 * 1024, 256 * 1024, Duration::from_secs(30))
            .expect("the defaults are consistent")
    }
}

impl Limits {
    /// The limits for a transport that carries responses of at most
    /// `response_bytes_max` bytes, for documents of at most
    /// `document_bytes_max` bytes: pages are cut so that their encoding
    /// always fits, and at least one document always fits.
    pub fn new(
        response_bytes_max: u64,
        document_bytes_max: usize,
        request_timeout: Duration,
    ) -> Result<Self, LimitsError> {
        let page_bytes = response_bytes_max.saturating_sub(RESPONSE_FRAME_BYTES);
        let page_bytes = usize::try_from(page_bytes).unwrap_or(usize::MAX);
        if page_bytes < document_bytes_max + PER_DOCUMENT_FRAME_BYTES {
            return Err(LimitsError::ResponseTooSmall {
                response_bytes_max,
                document_bytes_max,
            });
        }
        if request_timeout.is_zero() {
            return Err(LimitsError::Zero("request_timeout"));
        }
        Ok(Self {
            page_docs: 500,
            page_bytes,
            heads_max: 100_000,
            fetches_max: 8,
            request_timeout,
            unplaceable_peers_max: 3,
        })
    }

    /// The answering side's cut: the longest prefix of `docs` (at most
    /// `asked` of them, and never more than [`Limits::page_docs`]) whose
    /// bytes fit in a page. The first document always fits when the limits
    /// came from [`Limits::new`] and documents respect its size bound.
    pub fn cut_page<T: AsRef<[u8]>>(
        &self,
        docs: impl IntoIterator<Item = T>,
        asked: u32,
    ) -> Vec<T> {
        let count = asked.min(self.page_docs) as usize;
        let mut total = 0usize;
        docs.into_iter()
            .take(count)
            .take_while(|d| {
                total = total.saturating_add(d.as_ref().len() + PER_DOCUMENT_FRAME_BYTES);
                total <= self.page_bytes
            })
            .collect()
    }

    /// Whether a received page is within what was asked: no more documents
    /// than `asked`, and no more bytes than a page may hold.
    pub(crate) fn page_fits<T: AsRef<[u8]>>(&self, docs: &[T], asked: u32) -> Result<(), Fault> {
        if docs.len() > asked as usize {
            return Err(Fault::OversizedPage {
                docs: docs.len(),
                bytes: page_size(docs),
            });
        }
        let bytes = page_size(docs);
        if bytes > self.page_bytes {
            return Err(Fault::OversizedPage {
                docs: docs.len(),
                bytes,
            });
        }
        Ok(())
    }
}

fn page_size<T: AsRef<[u8]>>(docs: &[T]) -> usize {
    docs.iter()
        .map(|d| d.as_ref().len() + PER_DOCUMENT_FRAME_BYTES)
        .sum()
}

use crate::machine::Fault;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_where_its_bytes_would_exceed_the_response() {
        let limits = Limits::new(64 + 3 * 109, 100, Duration::from_secs(1)).unwrap();
        assert_eq!(limits.page_bytes, 3 * 109);
        let docs = vec![vec![0u8; 100]; 5];
        assert_eq!(limits.cut_page(docs.clone(), 10).len(), 3);
        assert_eq!(limits.cut_page(docs.clone(), 2).len(), 2);
        // What one side cuts, the other accepts, and one byte more is refused.
        let cut = limits.cut_page(docs, 10);
        assert_eq!(limits.page_fits(&cut, 10), Ok(()));
        let mut over = cut.clone();
        over[0].push(0);
        assert!(matches!(
            limits.page_fits(&over, 10),
            Err(Fault::OversizedPage { docs: 3, .. })
        ));
        assert!(limits.page_fits(&cut, 2).is_err(), "more than asked");
    }

    #[test]
    fn limits_that_cannot_carry_a_document_are_refused() {
        assert_eq!(
            Limits::new(1000, 1000, Duration::from_secs(1)),
            Err(LimitsError::ResponseTooSmall {
                response_bytes_max: 1000,
                document_bytes_max: 1000
            })
        );
        assert_eq!(
            Limits::new(1 << 20, 1000, Duration::ZERO),
            Err(LimitsError::Zero("request_timeout"))
        );
        // The largest document always fits on its own.
        let limits = Limits::default();
        let big = vec![vec![0u8; 256 * 1024]];
        assert_eq!(limits.cut_page(big, 1).len(), 1);
    }
}
