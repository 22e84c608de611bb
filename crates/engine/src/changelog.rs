//! What changed between two versions of a framework.

use deltabench_model::IndicatorCode;
use deltabench_model::documents::{Change, ChangeKind, Framework, Indicator, Weight};
use std::collections::{BTreeMap, BTreeSet};

/// Every indicator's effective weight in each category.
fn weights(f: &Framework) -> BTreeMap<(String, IndicatorCode), f64> {
    let mut out = BTreeMap::new();
    for c in &f.categories {
        let mut shares = Vec::new();
        for w in &c.weights {
            Weight::effective(w, &mut shares);
        }
        for (code, share) in shares {
            out.insert((c.id.to_string(), code), share);
        }
    }
    out
}

/// Whether two definitions of an indicator measure differently (names aside).
fn redefined(a: &Indicator, b: &Indicator) -> bool {
    a.unit != b.unit
        || a.direction != b.direction
        || a.aggregation != b.aggregation
        || a.range != b.range
        || a.target != b.target
        || a.scoring != b.scoring
        || a.dimension != b.dimension
}

/// The changes from `prev` to `next`: indicators added, retired, re-weighted
/// (an effective weight changed, or the indicator entered or left a category)
/// and redefined. Notes come from `next`'s own changelog where it has an entry
/// of the same kind for the same indicator. Sorted by indicator, then kind.
pub fn diff(prev: &Framework, next: &Framework) -> Vec<Change> {
    let before: BTreeMap<_, _> = prev.indicators.iter().map(|i| (&i.code, i)).collect();
    let after: BTreeMap<_, _> = next.indicators.iter().map(|i| (&i.code, i)).collect();
    let mut found: BTreeSet<(IndicatorCode, u8)> = BTreeSet::new();
    let rank = |k: ChangeKind| match k {
        ChangeKind::Added => 0,
        ChangeKind::Retired => 1,
        ChangeKind::Reweighted => 2,
        ChangeKind::Redefined => 3,
    };
    for code in after.keys().filter(|c| !before.contains_key(*c)) {
        found.insert(((*code).clone(), rank(ChangeKind::Added)));
    }
    for code in before.keys().filter(|c| !after.contains_key(*c)) {
        found.insert(((*code).clone(), rank(ChangeKind::Retired)));
    }
    for (code, a) in &before {
        if let Some(b) = after.get(code) {
            if redefined(a, b) {
                found.insert(((*code).clone(), rank(ChangeKind::Redefined)));
            }
        }
    }
    let (wa, wb) = (weights(prev), weights(next));
    for key in wa.keys().chain(wb.keys()) {
        let (code_in_both, changed) = (
            before.contains_key(&key.1) && after.contains_key(&key.1),
            wa.get(key).map(|w| (w * 1e9).round()) != wb.get(key).map(|w| (w * 1e9).round()),
        );
        if code_in_both && changed {
            found.insert((key.1.clone(), rank(ChangeKind::Reweighted)));
        }
    }
    let kinds = [
        ChangeKind::Added,
        ChangeKind::Retired,
        ChangeKind::Reweighted,
        ChangeKind::Redefined,
    ];
    found
        .into_iter()
        .map(|(indicator, r)| {
            let kind = kinds[r as usize];
            let note = next
                .changelog
                .iter()
                .find(|c| c.kind == kind && c.indicator == indicator)
                .map(|c| c.note.clone())
                .unwrap_or_default();
            Change {
                kind,
                indicator,
                note,
            }
        })
        .collect()
}
