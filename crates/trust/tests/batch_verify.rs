//! Does ed25519-dalek's `verify_batch` refuse exactly what `verify_strict`
//! (the check every document passes, through `verify_prefixed`) refuses?
//!
//! No. Batch verification checks a random linear combination of the
//! cofactorless equations `[s]B = R + [h]A` as points, so it accepts:
//!
//! - a small-order key or a small-order `R` (strict refuses both);
//! - an `R` whose encoding is not canonical (strict compares the encoding);
//! - an `R` off by a small-order point, whenever the random coefficient is a
//!   multiple of that point's order: half the time for order 2, an eighth for
//!   order 8. Such an `R` is not small-order and its encoding is canonical,
//!   so no cheap check in front of the batch closes this case; only a check
//!   that every `R` has no torsion component, a scalar multiplication by the
//!   group order per signature, which costs about what batching saves.
//!
//! Non-reduced scalars (`s` ≥ ℓ) are refused by both. So deltabench does not
//! use batch verification to accept documents; each test below pins one case.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use deltabench_model::{KeyHex, SigHex};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey, verify_batch};
use sha2::{Digest, Sha512};

/// ℓ, the order of the prime-order subgroup, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `H(R || A || M)` reduced mod ℓ, as both verifications compute it.
fn challenge(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(m);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn strict(vk: &VerifyingKey, m: &[u8], sig: &Signature) -> bool {
    vk.verify_strict(m, sig).is_ok()
}

fn batch(vk: &VerifyingKey, m: &[u8], sig: &Signature) -> bool {
    verify_batch(&[m], std::slice::from_ref(sig), std::slice::from_ref(vk)).is_ok()
}

/// What the node itself says, through the hex forms documents carry.
fn node_accepts(vk: &VerifyingKey, m: &[u8], sig: &Signature) -> bool {
    let key: KeyHex = hex::encode(vk.as_bytes()).parse().unwrap();
    let sig: SigHex = hex::encode(sig.to_bytes()).parse().unwrap();
    deltabench_trust::verify_prefixed(&key, m, &sig)
}

/// A signature `(R, s)` made from raw parts.
fn signature(r: &[u8; 32], s: &Scalar) -> Signature {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(r);
    b[32..].copy_from_slice(s.as_bytes());
    Signature::from_bytes(&b)
}

/// A key pair from a scalar: `A = [a]B`.
fn key(a: &Scalar) -> VerifyingKey {
    VerifyingKey::from_bytes((ED25519_BASEPOINT_POINT * a).compress().as_bytes()).unwrap()
}

#[test]
fn honest_signatures_pass_both_and_a_changed_message_fails_both() {
    let keys: Vec<SigningKey> = (0..64u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let messages: Vec<Vec<u8>> = (0..64)
        .map(|i| format!("document {i}").into_bytes())
        .collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let sigs: Vec<Signature> = keys.iter().zip(&refs).map(|(k, m)| k.sign(m)).collect();
    let vks: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
    assert!(verify_batch(&refs, &sigs, &vks).is_ok());
    assert!(
        vks.iter()
            .zip(&refs)
            .zip(&sigs)
            .all(|((k, m), s)| strict(k, m, s))
    );
    let mut changed = refs.clone();
    changed[17] = b"another document";
    assert!(verify_batch(&changed, &sigs, &vks).is_err());
    assert!(!strict(&vks[17], changed[17], &sigs[17]));
}

#[test]
fn small_order_key_and_r_pass_batch_but_not_strict() {
    // A = R = the identity, s = 0: [0]B = O + [h]O for every message.
    let identity = CompressedEdwardsY::from_slice(&{
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    })
    .unwrap();
    let vk = VerifyingKey::from_bytes(identity.as_bytes()).unwrap();
    let sig = signature(identity.as_bytes(), &Scalar::ZERO);
    for m in [&b"any message"[..], b"another one"] {
        assert!(batch(&vk, m, &sig), "batch accepts the identity key");
        assert!(!strict(&vk, m, &sig));
        assert!(!node_accepts(&vk, m, &sig));
    }
}

#[test]
fn small_order_r_under_an_honest_key_passes_batch_but_not_strict() {
    // R = O and s = h·a: [s]B = O + [h]A holds exactly.
    let a = Scalar::from(0x1234_5678_9abc_def1_u64);
    let vk = key(&a);
    let r = EdwardsPoint::default().compress();
    let m = b"a document";
    let s = challenge(r.as_bytes(), vk.as_bytes(), m) * a;
    let sig = signature(r.as_bytes(), &s);
    assert!(batch(&vk, m, &sig));
    assert!(!strict(&vk, m, &sig));
    assert!(!node_accepts(&vk, m, &sig));
}

#[test]
fn non_canonical_r_encoding_passes_batch_but_not_strict() {
    // y = p + 1 is a second encoding of y = 1, the identity.
    let mut r = [0xffu8; 32];
    r[0] = 0xee;
    r[31] = 0x7f;
    let decoded = CompressedEdwardsY(r).decompress().unwrap();
    assert!(decoded.is_identity(), "p + 1 decodes as the identity");
    assert_ne!(
        decoded.compress().to_bytes(),
        r,
        "the encoding is not canonical"
    );
    let a = Scalar::from(77_u64);
    let vk = key(&a);
    let m = b"a document";
    let s = challenge(&r, vk.as_bytes(), m) * a;
    let sig = signature(&r, &s);
    assert!(batch(&vk, m, &sig));
    assert!(!strict(&vk, m, &sig));
    assert!(!node_accepts(&vk, m, &sig));
}

#[test]
fn s_not_reduced_is_refused_by_both() {
    let sk = SigningKey::from_bytes(&[9; 32]);
    let vk = sk.verifying_key();
    let m = b"a document";
    let good = sk.sign(m);
    assert!(strict(&vk, m, &good) && batch(&vk, m, &good));
    // s + ℓ: the same scalar mod ℓ, not reduced.
    let mut b = good.to_bytes();
    let mut carry = 0u16;
    for i in 0..32 {
        let t = u16::from(b[32 + i]) + u16::from(ELL[i]) + carry;
        b[32 + i] = t as u8;
        carry = t >> 8;
    }
    assert_eq!(carry, 0);
    let bad = Signature::from_bytes(&b);
    assert!(!strict(&vk, m, &bad));
    assert!(!batch(&vk, m, &bad));
    assert!(!node_accepts(&vk, m, &bad));
}

/// `R' = [r]B + T` with `T` of small order and `s = r + H(R'‖A‖M)·a`: every
/// cheap check passes (`R'` has large order, its encoding is canonical, the
/// key is honest), yet `[s]B - R' - [h]A = -T` is not the identity.
fn torsioned(order_index: usize, tries: u32) -> (u32, u32) {
    let a = Scalar::from(0xdead_beef_u64);
    let vk = key(&a);
    let (mut batch_ok, mut strict_ok) = (0, 0);
    for i in 0..tries {
        let r_scalar = Scalar::from(1_000_003_u64 + u64::from(i));
        let r_point = ED25519_BASEPOINT_POINT * r_scalar + EIGHT_TORSION[order_index];
        assert!(!r_point.is_small_order());
        let r = r_point.compress();
        assert_eq!(r.decompress().unwrap().compress(), r, "canonical");
        let m = format!("document {i}").into_bytes();
        let s = r_scalar + challenge(r.as_bytes(), vk.as_bytes(), &m) * a;
        let sig = signature(r.as_bytes(), &s);
        batch_ok += u32::from(batch(&vk, &m, &sig));
        strict_ok += u32::from(strict(&vk, &m, &sig));
        assert_eq!(strict(&vk, &m, &sig), node_accepts(&vk, &m, &sig));
    }
    (batch_ok, strict_ok)
}

#[test]
fn r_with_an_order_two_component_passes_batch_about_half_the_time() {
    // EIGHT_TORSION[4] is (0, -1), of order 2.
    let (batch_ok, strict_ok) = torsioned(4, 64);
    assert_eq!(strict_ok, 0);
    assert!(
        (16..=48).contains(&batch_ok),
        "batch accepted {batch_ok} of 64"
    );
}

#[test]
fn r_with_an_order_eight_component_passes_batch_sometimes() {
    let (batch_ok, strict_ok) = torsioned(1, 128);
    assert_eq!(strict_ok, 0);
    assert!(
        (4..=40).contains(&batch_ok),
        "batch accepted {batch_ok} of 128"
    );
}
