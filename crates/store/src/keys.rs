//! Key layouts. Integers are big-endian so that range scans come out ordered.

use deltabench_model::documents::DocKind;
use deltabench_model::{DocHash, JurisdictionCode};

/// A jurisdiction code is six ASCII digits.
pub const CODE_LEN: usize = 6;

/// `code (6) || seq (8, big-endian)`.
pub fn issuer_seq(code: &JurisdictionCode, seq: u64) -> [u8; 14] {
    let mut k = [0u8; 14];
    k[..CODE_LEN].copy_from_slice(code.as_str().as_bytes());
    k[CODE_LEN..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// Splits an [`issuer_seq`] key.
pub fn split_issuer_seq(k: &[u8]) -> Result<(JurisdictionCode, u64), String> {
    if k.len() < 14 {
        return Err(format!("an issuer key of {} bytes", k.len()));
    }
    let code = std::str::from_utf8(&k[..CODE_LEN])
        .ok()
        .and_then(|s| JurisdictionCode::new(s).ok())
        .ok_or("an issuer key with a bad code")?;
    let seq = u64::from_be_bytes(k[CODE_LEN..14].try_into().map_err(|_| "short key")?);
    Ok((code, seq))
}

/// `kind name || 0x00`.
pub fn kind_prefix(kind: DocKind) -> Vec<u8> {
    let mut k = kind.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

/// `kind name || 0x00 || code`.
pub fn kind_issuer_prefix(kind: DocKind, code: &JurisdictionCode) -> Vec<u8> {
    let mut k = kind_prefix(kind);
    k.extend_from_slice(code.as_str().as_bytes());
    k
}

/// `kind name || 0x00 || code || seq`.
pub fn kind_issuer_seq(kind: DocKind, code: &JurisdictionCode, seq: u64) -> Vec<u8> {
    let mut k = kind_prefix(kind);
    k.extend_from_slice(&issuer_seq(code, seq));
    k
}

/// A hash from its 32 stored bytes.
pub fn hash_from(v: &[u8]) -> Result<DocHash, String> {
    let bytes: [u8; 32] = v
        .try_into()
        .map_err(|_| format!("a stored hash of {} bytes", v.len()))?;
    Ok(DocHash::from_bytes(bytes))
}
