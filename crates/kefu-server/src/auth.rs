//! Who is calling: session tokens (login) and API tokens (integrations), both random secrets
//! of which only SHA-256 hashes are stored; argon2id passwords hashed off the async runtime;
//! and the `Principal` every handler receives, with its role and scope checks.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use kefu_core::{Role, Scope};
use kefu_store::Actor;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "kefu_session";
const SESSION_PREFIX: &str = "kfs_";
pub const API_TOKEN_PREFIX: &str = "kfp_";

/// A new random secret with a recognisable prefix.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn new_session_token() -> String {
    new_token(SESSION_PREFIX)
}

/// Tokens are high-entropy, so a fast hash is enough (unlike passwords).
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|err| {
        tracing::error!(%err, "password hashing failed");
        ApiError::internal()
    })
}

/// Verifies off the runtime. A missing hash still costs one verification, so timing does not
/// tell whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        PasswordHash::new(&stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }) && stored != DUMMY_HASH
    })
    .await
    .unwrap_or(false)
}

/// An argon2id hash of a random string nobody knows, verified when there is no account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$WkHvPUWLxKv6Cfy1S58aNy7gVCJ/H1nY0ZrZ0Prqg8E";

pub fn check_password_policy(password: &str) -> ApiResult<()> {
    let chars = password.chars().count();
    if !(8..=256).contains(&chars) {
        return Err(kefu_core::ValidationErrors::single(
            "password",
            "weak_password",
            "a password has 8 to 256 characters",
        )
        .into());
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub enum Credential {
    User {
        user_id: Uuid,
        role: Role,
        session_id: Uuid,
    },
    Token {
        token_id: Uuid,
        scopes: Vec<Scope>,
    },
}

/// The authenticated caller, always bound to exactly one tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: Uuid,
    pub credential: Credential,
    pub ip: Option<String>,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        match &self.credential {
            Credential::User { user_id, .. } => Actor::user(*user_id, self.ip.clone()),
            Credential::Token { token_id, .. } => Actor::api_token(*token_id, self.ip.clone()),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::User { user_id, .. } => Some(user_id),
            Credential::Token { .. } => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self.credential {
            Credential::User { role, .. } => Some(role),
            Credential::Token { .. } => None,
        }
    }

    /// A user needs at least `role`; an API token needs `scope`.
    pub fn require(&self, role: Role, scope: Scope) -> ApiResult<()> {
        let allowed = match &self.credential {
            Credential::User { role: have, .. } => *have >= role,
            Credential::Token { scopes, .. } => scopes.contains(&scope),
        };
        if allowed {
            Ok(())
        } else {
            Err(match &self.credential {
                Credential::User { .. } => {
                    ApiError::forbidden(format!("this needs the {role} role or higher"))
                }
                Credential::Token { .. } => ApiError::forbidden(format!(
                    "this API token lacks the {} scope",
                    scope.as_str()
                )),
            })
        }
    }

    /// Only users (not API tokens) with at least `role`: token and user administration.
    pub fn require_user_role(&self, role: Role) -> ApiResult<Role> {
        match self.credential {
            Credential::User { role: have, .. } if have >= role => Ok(have),
            Credential::User { .. } => Err(ApiError::forbidden(format!(
                "this needs the {role} role or higher"
            ))),
            Credential::Token { .. } => Err(ApiError::forbidden(
                "API tokens cannot do this; sign in as a user",
            )),
        }
    }
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when configured.
pub fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for
        && let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = forwarded
            .split(',')
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    {
        return Some(first.to_owned());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return value.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then(|| value.to_owned())
        })
}

/// API tokens' `last_used_at` is refreshed at most this often, to keep reads free of writes.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = presented_token(parts).ok_or_else(ApiError::unauthorized)?;
        let ip = client_ip(parts, state.config().trust_forwarded_for);
        let hash = hash_token(&token);
        let now = Utc::now();
        if token.starts_with(API_TOKEN_PREFIX) {
            let found = state
                .store()
                .token_principal(&hash)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            if found.last_used_at.is_none_or(|at| now - at > TOUCH_EVERY) {
                let store = state.store().clone();
                tokio::spawn(async move {
                    if let Err(err) = store.touch_api_token(found.token_id, now).await {
                        tracing::warn!(%err, "could not record API token use");
                    }
                });
            }
            return Ok(Principal {
                tenant_id: found.tenant_id,
                credential: Credential::Token {
                    token_id: found.token_id,
                    scopes: found.scopes,
                },
                ip,
            });
        }
        let session = state
            .store()
            .session_principal(&hash, now)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Principal {
            tenant_id: session.tenant_id,
            credential: Credential::User {
                user_id: session.user_id,
                role: session.role,
                session_id: session.session_id,
            },
            ip,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
    }

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = new_session_token();
        assert!(a.starts_with("kfs_") && a.len() > 40);
        assert_ne!(a, new_session_token());
        assert_eq!(hash_token("x").len(), 64);
    }
}
