//! Comparison answers as the JSON bytes the API serves, and amending those
//! bytes when the only change is endorsements added to their inputs.
//!
//! Most documents a federation exchanges are endorsements, and most of
//! those confirm a decision already taken: the crosswalk stays recognised
//! (or pending), every row and reason of every answer stays as it was, and
//! the answers whose rows go through that crosswalk gain one input and so a
//! new manifest. [`crate::view::View::revalidate`] tells which endorsements
//! an answer gains; [`with_inputs`] writes the amended bytes from the old
//! ones, without computing or serialising the comparison again. The
//! property test in `tests/view.rs` holds the result to the bytes of a
//! fresh computation.

use crate::compare::manifest_over;
use deltabench_model::DocHash;
use deltabench_model::comparison::Comparison;

/// What follows the inputs: the end of their list and the manifest's key.
const MANIFEST: &[u8] = b"],\"manifest\":\"";
/// What precedes the inputs.
const INPUTS: &[u8] = b",\"inputs\":[";
/// One input in the list: a quoted 64-digit hash and a comma.
const STRIDE: usize = 67;

/// The JSON bytes of `c` as the API serves them (compact), written into a
/// buffer of `capacity` bytes to start with.
pub fn to_json(c: &Comparison, capacity: usize) -> Vec<u8> {
    let mut json = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut json, c).expect("a comparison serialises");
    json
}

/// `json`, the bytes of a comparison from [`to_json`], with `added` joined
/// to its sorted inputs (those already there are skipped) and its manifest
/// computed again over `head` and the new inputs: byte for byte what
/// serialising the comparison computed afresh gives, when its rows and
/// reasons are unchanged. `None` when `json` does not end in the inputs and
/// manifest of that form, or its inputs are not sorted.
pub fn with_inputs(json: &[u8], added: &[DocHash], head: &[u8]) -> Option<Vec<u8>> {
    let tail = MANIFEST.len() + 64 + 2;
    if json.len() < tail + INPUTS.len() || !json.ends_with(b"\"}") {
        return None;
    }
    let end = json.len() - tail;
    if !json[end..].starts_with(MANIFEST) {
        return None;
    }
    // Walk back over the inputs from the end of their list.
    let mut start = end;
    while start >= STRIDE - 1 && json[start - 1] == b'"' {
        let item = &json[start - 66..start];
        if item[0] != b'"' || !is_hash(&item[1..65]) {
            return None;
        }
        start -= 66;
        if start == 0 || json[start - 1] != b',' {
            break;
        }
        start -= 1;
    }
    if start < INPUTS.len() || json[start - INPUTS.len()..start] != *INPUTS {
        return None;
    }
    let list = &json[start..end];
    let old: Vec<&[u8]> = if list.is_empty() {
        Vec::new()
    } else {
        list.split(|&b| b == b',').map(|q| &q[1..65]).collect()
    };
    if old.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    let mut new: Vec<&[u8]> = added.iter().map(|h| h.as_str().as_bytes()).collect();
    new.sort_unstable();
    new.dedup();
    let mut merged: Vec<&[u8]> = Vec::with_capacity(old.len() + new.len());
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => merged.push(a.next().expect("peeked")),
            (Some(x), Some(y)) if x == y => {
                merged.push(a.next().expect("peeked"));
                b.next();
            }
            (_, Some(_)) => merged.push(b.next().expect("peeked")),
            (Some(_), None) => merged.push(a.next().expect("peeked")),
            (None, None) => break,
        }
    }
    let manifest = manifest_over(
        head,
        merged
            .iter()
            .map(|h| std::str::from_utf8(h).expect("hex digits")),
    );
    let mut out = Vec::with_capacity(json.len() + STRIDE * new.len());
    out.extend_from_slice(&json[..start]);
    for (k, h) in merged.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(h);
        out.push(b'"');
    }
    out.extend_from_slice(MANIFEST);
    out.extend_from_slice(manifest.as_bytes());
    out.extend_from_slice(b"\"}");
    Some(out)
}

/// Whether `h` is a hash as the JSON carries it: 64 lowercase hex digits.
fn is_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{comparison_params, manifest_head};
    use deltabench_model::documents::Direction;
    use deltabench_model::{IndicatorRef, Period};

    fn hash(n: u8) -> DocHash {
        DocHash::from_bytes([n; 32])
    }

    fn comparison(inputs: &[u8], head: &[u8]) -> Comparison {
        let inputs: Vec<DocHash> = inputs.iter().map(|&n| hash(n)).collect();
        Comparison {
            indicator: IndicatorRef::parse("ref.a/r0").unwrap(),
            period: Period::parse("2025").unwrap(),
            unit: "percent".into(),
            direction: Direction::HigherIsBetter,
            reference_version: semver::Version::new(1, 0, 0),
            include_flagged: false,
            frontier: None,
            median: None,
            rows: Vec::new(),
            missing: Vec::new(),
            manifest: manifest_over(head, inputs.iter().map(DocHash::as_str)),
            inputs,
        }
    }

    fn head() -> Vec<u8> {
        let r = IndicatorRef::parse("ref.a/r0").unwrap();
        manifest_head(
            &comparison_params(&r, Period::parse("2025").unwrap(), false),
            &[],
        )
    }

    #[test]
    fn added_inputs_give_the_bytes_of_the_comparison_with_them() {
        let head = head();
        for (before, added, after) in [
            (&[1u8, 5, 9][..], &[7u8][..], &[1u8, 5, 7, 9][..]),
            (&[5, 9], &[1, 200], &[1, 5, 9, 200]),
            (&[], &[3], &[3]),
            (&[3], &[3, 4], &[3, 4]),
            (&[2, 4], &[], &[2, 4]),
        ] {
            let old = to_json(&comparison(before, &head), 0);
            let added: Vec<DocHash> = added.iter().map(|&n| hash(n)).collect();
            let want = to_json(&comparison(after, &head), 0);
            assert_eq!(
                with_inputs(&old, &added, &head).map(String::from_utf8),
                Some(Ok(String::from_utf8(want).unwrap())),
                "{before:?} + {added:?}"
            );
        }
    }

    #[test]
    fn bytes_of_another_form_are_refused() {
        let head = head();
        let good = to_json(&comparison(&[1, 2], &head), 0);
        assert!(with_inputs(&good, &[hash(3)], &head).is_some());
        // Not ending in the manifest, unsorted inputs, a short hash, and
        // other JSON altogether.
        let mut cut = good.clone();
        cut.pop();
        assert!(with_inputs(&cut, &[hash(3)], &head).is_none());
        let unsorted = to_json(&comparison(&[2, 1], &head), 0);
        assert!(with_inputs(&unsorted, &[hash(3)], &head).is_none());
        let text = String::from_utf8(good).unwrap();
        let short = text.replacen(&hash(1).as_str()[..2], "", 1);
        assert!(with_inputs(short.as_bytes(), &[hash(3)], &head).is_none());
        assert!(with_inputs(b"{\"a\":1}", &[hash(3)], &head).is_none());
        assert!(with_inputs(b"", &[], &head).is_none());
    }
}
