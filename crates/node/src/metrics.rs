//! The node's Prometheus metrics. One registry serves the whole process.

use deltabench_trust::Reason;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The label of a rejection counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// The stable reason code.
    pub reason: String,
}

/// Document counters and gauges.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Documents newly stored (own and received).
    pub accepted: Counter,
    /// Documents refused, by reason.
    pub rejected: Family<ReasonLabel, Counter>,
    /// Documents received that were already held.
    pub duplicates: Counter,
    /// Documents waiting for a predecessor.
    pub pending: Gauge,
    /// Documents held.
    pub held: Gauge,
    /// Evidence recorded, by kind: `equivocation` (two documents at one
    /// issuer and sequence) and `roster_fork` (two rosters for one version).
    pub evidence: Family<EvidenceLabel, Counter>,
    /// Comparison answers, by whether the cache held them (`hit`) or they
    /// were computed (`miss`).
    pub comparisons: Family<CacheLabel, Counter>,
}

/// The label of the comparison answer counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabel {
    /// `hit` (served from the cache), `same` (checked again and still the
    /// answer), `amended` (endorsements added to its inputs) or `miss`
    /// (computed).
    pub cache: String,
}

/// The label of the evidence counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EvidenceLabel {
    /// `equivocation` or `roster_fork`.
    pub kind: String,
}

impl Metrics {
    /// Registers the metrics in `registry` under the `deltabench` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("deltabench");
        r.register(
            "documents_accepted",
            "Signed documents newly stored",
            self.accepted.clone(),
        );
        r.register(
            "documents_rejected",
            "Signed documents refused, by reason",
            self.rejected.clone(),
        );
        r.register(
            "documents_duplicate",
            "Signed documents received that were already held",
            self.duplicates.clone(),
        );
        r.register(
            "documents_pending",
            "Signed documents waiting for a missing predecessor",
            self.pending.clone(),
        );
        r.register("documents_held", "Signed documents held", self.held.clone());
        r.register(
            "evidence_recorded",
            "Evidence recorded: equivocations and roster forks",
            self.evidence.clone(),
        );
        r.register(
            "comparisons_answered",
            "Comparison answers, by how the answer cache gave them",
            self.comparisons.clone(),
        );
        for cache in ["hit", "same", "amended", "miss"] {
            let _ = self.comparisons.get_or_create(&CacheLabel {
                cache: cache.into(),
            });
        }
        for kind in ["equivocation", "roster_fork"] {
            let _ = self
                .evidence
                .get_or_create(&EvidenceLabel { kind: kind.into() });
        }
        // Every reason appears from the start, so a dashboard can tell zero
        // from absent.
        for reason in Reason::ALL {
            let _ = self.rejected.get_or_create(&ReasonLabel {
                reason: reason.code().into(),
            });
        }
    }

    /// Counts one piece of evidence.
    pub fn evidence(&self, kind: &str) {
        self.evidence
            .get_or_create(&EvidenceLabel { kind: kind.into() })
            .inc();
    }

    /// Counts one comparison answer by how it was had: `hit`, `same`,
    /// `amended` or `miss` ([`CacheLabel`]).
    pub fn comparison(&self, how: &str) {
        self.comparisons
            .get_or_create(&CacheLabel { cache: how.into() })
            .inc();
    }

    /// Counts one refusal.
    pub fn reject(&self, reason: Reason) {
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: reason.code().into(),
            })
            .inc();
    }
}
