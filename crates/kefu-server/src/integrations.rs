//! Calls to a tenant's own systems for the bot's scenarios: the URL from the integration's base
//! and path template, its secret header, its timeout; every failure comes back as a stable code
//! that agents see and customers never do.

use kefu_knowledge::scenario::render_path;
use kefu_store::IntegrationTarget;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// Largest JSON answer read from an integration.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
pub const DEFAULT_TIMEOUT_MS: i64 = 5_000;
pub const MAX_TIMEOUT_MS: i64 = 15_000;

/// One HTTP client for every tenant's integrations: redirects are not followed (they could
/// lead past the address check) and each request carries its integration's own timeout.
pub fn client() -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kefu-bot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| tracing::error!(%err, "integrations: no HTTP client"))
        .ok()
}

/// Calls the integration with the slots: their values fill the path (percent-encoded), and a
/// POST sends them as a JSON object. `Err` is a code: `timeout`, `connect_failed`,
/// `http_<status>`, `bad_json`, `missing_slot:<name>`, `target_not_allowed`, `invalid_url`.
pub async fn call(
    http: Option<&reqwest::Client>,
    target: &IntegrationTarget,
    slots: &BTreeMap<String, String>,
    allow_private: bool,
) -> Result<serde_json::Value, String> {
    let http = http.ok_or_else(|| "no_http_client".to_owned())?;
    let integration = &target.integration;
    let path = render_path(&integration.path_template, slots)
        .map_err(|missing| format!("missing_slot:{missing}"))?;
    let url = format!("{}{}", integration.base_url.trim_end_matches('/'), path);
    let url = reqwest::Url::parse(&url).map_err(|_| "invalid_url".to_owned())?;
    if !allow_private {
        check_public(&url).await?;
    }
    let timeout = Duration::from_millis(
        u64::try_from(integration.timeout_ms.clamp(1, MAX_TIMEOUT_MS)).unwrap_or(5_000),
    );
    let mut request = if integration.method == "POST" {
        http.post(url).json(slots)
    } else {
        http.get(url)
    };
    request = request
        .timeout(timeout)
        .header(reqwest::header::ACCEPT, "application/json");
    if let (Some(name), Some(value)) = (&integration.secret_header, &target.secret_value) {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.map_err(|err| {
        if err.is_timeout() {
            "timeout".to_owned()
        } else {
            "connect_failed".to_owned()
        }
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("http_{}", status.as_u16()));
    }
    let body = tokio::time::timeout(timeout, read_capped(response))
        .await
        .map_err(|_| "timeout".to_owned())??;
    serde_json::from_slice(&body).map_err(|_| "bad_json".to_owned())
}

/// The answer's body, read a chunk at a time so that an answer larger than `MAX_ANSWER_BYTES`
/// is refused once it passes the limit rather than held whole in memory first.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err("answer_too_large".to_owned());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|err| {
        if err.is_timeout() {
            "timeout".to_owned()
        } else {
            "read_failed".to_owned()
        }
    })? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err("answer_too_large".to_owned());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Refuses hosts on loopback and private networks, like webhooks do, unless the server allows
/// them (`webhook_allow_private_targets`): a tenant admin must not reach into the server's LAN.
async fn check_public(url: &reqwest::Url) -> Result<(), String> {
    let host = url.host_str().ok_or_else(|| "invalid_url".to_owned())?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| "dns_failed".to_owned())?
            .map(|addr| addr.ip())
            .collect(),
    };
    if addresses.is_empty() || !addresses.into_iter().all(crate::webhooks::is_public) {
        return Err("target_not_allowed".to_owned());
    }
    Ok(())
}
