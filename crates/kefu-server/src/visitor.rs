//! Customer-side credentials: the visitor token a browser or app keeps (`kfv_…`, stored only as
//! a hash) and the HMAC check that lets a site vouch for its signed-in user.

use crate::auth::hash_token;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use hmac::{Hmac, KeyInit, Mac};
use kefu_store::{Actor, StoreError};
use sha2::Sha256;
use uuid::Uuid;

pub const VISITOR_TOKEN_PREFIX: &str = "kfv_";

/// The visitor making a customer-side request.
#[derive(Debug, Clone)]
pub struct VisitorPrincipal {
    pub tenant_id: Uuid,
    pub inbox_id: Uuid,
    pub visitor_id: Uuid,
    pub customer_id: Uuid,
}

impl VisitorPrincipal {
    /// Customer-side changes are attributed to the system; the customer is in the payload.
    pub fn actor(&self) -> Actor {
        Actor::system()
    }
}

fn bad_visitor() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_visitor_token",
        "send the visitor token from POST /api/v1/widget/{inbox_id}/session as a bearer token",
    )
}

impl FromRequestParts<AppState> for VisitorPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .filter(|token| token.starts_with(VISITOR_TOKEN_PREFIX))
            .ok_or_else(bad_visitor)?;
        match state.store().visitor_by_token(&hash_token(token)).await {
            Ok(visitor) => Ok(VisitorPrincipal {
                tenant_id: visitor.tenant_id,
                inbox_id: visitor.inbox_id,
                visitor_id: visitor.id,
                customer_id: visitor.customer_id,
            }),
            Err(StoreError::NotFound) => Err(bad_visitor()),
            Err(other) => Err(other.into()),
        }
    }
}

/// HMAC-SHA256 keyed by the inbox secret over the site's user id.
fn user_mac(secret: &str, user_id: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(user_id.as_bytes());
    Some(mac)
}

/// `hex(HMAC-SHA256(secret, user_id))`, compared in constant time.
pub fn user_hash_matches(secret: &str, user_id: &str, user_hash: &str) -> bool {
    let (Ok(expected), Some(mac)) = (hex::decode(user_hash.trim()), user_mac(secret, user_id))
    else {
        return false;
    };
    mac.verify_slice(&expected).is_ok()
}

/// What a site computes on its server to identify its user to the widget.
pub fn user_hash(secret: &str, user_id: &str) -> ApiResult<String> {
    let mac = user_mac(secret, user_id).ok_or_else(ApiError::internal)?;
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// The widget runs on customers' own sites, so its endpoints answer cross-origin requests.
/// They authenticate with a bearer visitor token, never a cookie, so allowing any origin gives
/// a foreign page nothing it does not already hold.
pub async fn widget_cors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, Method, header};
    use axum::response::IntoResponse;
    if !request.uri().path().starts_with("/api/v1/widget/") {
        return next.run(request).await;
    }
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_hash_round_trips_and_rejects_tampering() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let hash = user_hash("Jefe", "what do ya want for nothing?").unwrap();
        assert_eq!(
            hash,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(user_hash_matches(
            "Jefe",
            "what do ya want for nothing?",
            &hash
        ));
        assert!(!user_hash_matches(
            "Jefe",
            "what do ya want for nothing!",
            &hash
        ));
        assert!(!user_hash_matches(
            "jefe",
            "what do ya want for nothing?",
            &hash
        ));
        assert!(!user_hash_matches(
            "Jefe",
            "what do ya want for nothing?",
            "zz"
        ));
    }
}
