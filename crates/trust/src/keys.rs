//! The node's key pair and public keys.
//!
//! One ed25519 key is both the node's libp2p identity and its document-signing
//! key. That is safe only because every signature deltabench makes is
//! domain-separated: the signed message starts with [`DOCUMENT_DOMAIN`] or
//! [`ROSTER_DOMAIN`], which no libp2p protocol uses.

use deltabench_model::{KeyHex, SigHex};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Prefix of every signed document message (envelope v2: the RFC 8785
/// canonical form follows it).
pub const DOCUMENT_DOMAIN: &[u8] = b"deltabench/document/v2\0";
/// Prefix of every roster approval message (the RFC 8785 canonical form of
/// the roster as published follows it).
pub const ROSTER_DOMAIN: &[u8] = b"deltabench/roster/v2\0";

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The system's random source failed.
    #[error("the system random source failed: {0}")]
    Random(String),
    /// The PEM text is not a PKCS#8 ed25519 private key.
    #[error("not a PKCS#8 ed25519 private key: {0}")]
    Pem(String),
}

/// The node's ed25519 signing key.
pub struct NodeKey {
    signing: SigningKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "NodeKey({})", self.public_hex())
    }
}

impl NodeKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// The key for a 32-byte seed. Tests and golden vectors use fixed seeds.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The 32-byte seed, e.g. to derive the libp2p identity from the same key.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// Reads a PKCS#8 PEM private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(|signing| Self { signing })
            .map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// The key as PKCS#8 PEM text (secret: write it with mode 0600).
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// The public key as hex.
    pub fn public_hex(&self) -> KeyHex {
        key_hex(&self.signing.verifying_key())
    }

    /// Signs `domain || message`.
    pub fn sign(&self, domain: &[u8], message: &[u8]) -> SigHex {
        let mut m = Vec::with_capacity(domain.len() + message.len());
        m.extend_from_slice(domain);
        m.extend_from_slice(message);
        sig_hex(&self.signing.sign(&m))
    }

    /// Signs a message that already starts with its domain prefix.
    pub(crate) fn sign_prefixed(&self, prefixed: &[u8]) -> SigHex {
        sig_hex(&self.signing.sign(prefixed))
    }
}

fn key_hex(k: &VerifyingKey) -> KeyHex {
    // 32 bytes always encode to 64 lowercase hex digits.
    KeyHex::new(hex::encode(k.as_bytes())).expect("32 bytes are 64 hex digits")
}

fn sig_hex(s: &Signature) -> SigHex {
    SigHex::new(hex::encode(s.to_bytes())).expect("64 bytes are 128 hex digits")
}

/// Verifies `signature` by `key` over `prefixed` (a message that already starts
/// with its domain) with `verify_strict`, which refuses small-order keys and
/// non-canonical signatures. Returns false for a key that is not a valid point.
pub fn verify_prefixed(key: &KeyHex, prefixed: &[u8], signature: &SigHex) -> bool {
    let mut kb = [0u8; 32];
    let mut sb = [0u8; 64];
    if hex::decode_to_slice(key.as_str(), &mut kb).is_err()
        || hex::decode_to_slice(signature.as_str(), &mut sb).is_err()
    {
        return false;
    }
    let Some(vk) = verifying_key(&kb) else {
        return false;
    };
    vk.verify_strict(prefixed, &Signature::from_bytes(&sb))
        .is_ok()
}

/// The key as a curve point. Decompressing costs about a tenth of a
/// verification, and a bundle or a sync page holds long runs of one issuer's
/// documents, so each thread keeps the last key it decompressed.
fn verifying_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    thread_local! {
        static LAST: std::cell::Cell<Option<VerifyingKey>> = const { std::cell::Cell::new(None) };
    }
    LAST.with(|last| {
        if let Some(vk) = last.get()
            && vk.as_bytes() == bytes
        {
            return Some(vk);
        }
        let vk = VerifyingKey::from_bytes(bytes).ok()?;
        last.set(Some(vk));
        Some(vk)
    })
}

/// Verifies a signature over `domain || message`.
pub fn verify(key: &KeyHex, domain: &[u8], message: &[u8], signature: &SigHex) -> bool {
    let mut m = Vec::with_capacity(domain.len() + message.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(message);
    verify_prefixed(key, &m, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_domains() {
        let k = NodeKey::from_seed([7; 32]);
        let sig = k.sign(DOCUMENT_DOMAIN, b"hello");
        assert!(verify(&k.public_hex(), DOCUMENT_DOMAIN, b"hello", &sig));
        assert!(!verify(&k.public_hex(), ROSTER_DOMAIN, b"hello", &sig));
        assert!(!verify(&k.public_hex(), DOCUMENT_DOMAIN, b"hellO", &sig));
        let other = NodeKey::from_seed([8; 32]);
        assert!(!verify(
            &other.public_hex(),
            DOCUMENT_DOMAIN,
            b"hello",
            &sig
        ));
    }

    #[test]
    fn the_kept_key_never_answers_for_another() {
        // Alternating keys on one thread: each answer is the key's own, with
        // the last key kept or replaced in between.
        let (a, b) = (NodeKey::from_seed([1; 32]), NodeKey::from_seed([2; 32]));
        let (sa, sb) = (
            a.sign(DOCUMENT_DOMAIN, b"doc"),
            b.sign(DOCUMENT_DOMAIN, b"doc"),
        );
        for _ in 0..3 {
            assert!(verify(&a.public_hex(), DOCUMENT_DOMAIN, b"doc", &sa));
            assert!(verify(&a.public_hex(), DOCUMENT_DOMAIN, b"doc", &sa));
            assert!(!verify(&a.public_hex(), DOCUMENT_DOMAIN, b"doc", &sb));
            assert!(!verify(&b.public_hex(), DOCUMENT_DOMAIN, b"doc", &sa));
            assert!(verify(&b.public_hex(), DOCUMENT_DOMAIN, b"doc", &sb));
        }
        // A key of no signer in between (0xff.. bytes) changes nothing.
        let not_a_point = KeyHex::new("ff".repeat(32)).unwrap();
        assert!(!verify(&not_a_point, DOCUMENT_DOMAIN, b"doc", &sb));
        assert!(verify(&b.public_hex(), DOCUMENT_DOMAIN, b"doc", &sb));
    }

    #[test]
    fn pem_round_trip() {
        let k = NodeKey::generate().unwrap();
        let pem = k.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = NodeKey::from_pem(&pem).unwrap();
        assert_eq!(back.public_hex(), k.public_hex());
        assert!(NodeKey::from_pem("not a key").is_err());
    }

    #[test]
    fn small_order_keys_are_refused() {
        // The identity point encodes as 0x01 followed by zeros: a small-order key
        // for which a weak verifier accepts forged signatures.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let key = KeyHex::new(hex::encode(weak)).unwrap();
        let mut sig = [0u8; 64];
        sig[0] = 1;
        let sig = SigHex::new(hex::encode(sig)).unwrap();
        assert!(!verify(&key, DOCUMENT_DOMAIN, b"anything", &sig));
    }
}
