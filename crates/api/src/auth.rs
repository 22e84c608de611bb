//! Bearer tokens and the two roles.
//!
//! Tokens are random strings handed out once; the node keeps only their
//! SHA-256. A request proves its role by presenting a token whose hash is
//! configured for that role. The admin role includes the viewer role.

use crate::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads: coordinators and other offices.
    Viewer,
    /// Reads and writes: the office that owns the node.
    Admin,
}

/// A configured token: its role and the hex SHA-256 of the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenHash {
    /// The role the token grants.
    pub role: Role,
    /// Lowercase hex SHA-256 of the token text.
    pub sha256: String,
    /// Who holds the token (e.g. a person or an office), recorded in the
    /// audit trail of the changes made with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl TokenHash {
    /// Checks that the hash is 64 lowercase hex digits: anything else could
    /// never match a token, and would silently lock its holder out.
    pub fn validate(&self) -> Result<(), String> {
        let ok = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(())
        } else {
            Err(format!(
                "sha256 {:?} is not 64 lowercase hex digits",
                self.sha256
            ))
        }
    }
}

/// The hex SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The configured tokens.
#[derive(Debug, Clone, Default)]
pub struct Tokens(Vec<TokenHash>);

impl Tokens {
    /// Tokens from their stored hashes.
    pub fn new(hashes: Vec<TokenHash>) -> Self {
        Self(hashes)
    }

    /// The role of a presented token, if it is known, and the name of its
    /// holder (the token's `name`, else its role and the start of its hash).
    pub fn role_of(&self, token: &str) -> Option<(Role, String)> {
        let h = hash_token(token);
        // Comparing hashes, not tokens: timing reveals nothing usable.
        let t = self
            .0
            .iter()
            .filter(|t| t.sha256 == h)
            .max_by_key(|t| t.role)?;
        let who = t.name.clone().unwrap_or_else(|| {
            let role = match t.role {
                Role::Admin => "admin",
                Role::Viewer => "viewer",
            };
            format!("{role}:{}", &h[..8])
        });
        Some((t.role, who))
    }
}

fn role_from(parts: &Parts, state: &AppState) -> Result<(Role, String), ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("this route needs an Authorization: Bearer token"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header is not 'Bearer TOKEN'"))?;
    state
        .tokens
        .role_of(token)
        .ok_or_else(|| ApiError::unauthorized("the token is not known to this node"))
}

/// Extractor: the request carries a viewer or admin token.
#[derive(Debug, Clone, Copy)]
pub struct Viewer;

/// Extractor: the request carries an admin token; `who` names its holder.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The token's holder, for the audit trail.
    pub who: String,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        role_from(parts, state).map(|_| Viewer)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match role_from(parts, state)? {
            (Role::Admin, who) => Ok(Admin { who }),
            (Role::Viewer, _) => Err(ApiError::forbidden(
                "this route writes; a viewer token may only read",
            )),
        }
    }
}
