//! Outgoing webhooks at run time: a follower of the event log that queues deliveries for the
//! tenants that have webhooks, and a sender that makes each attempt (signed with the webhook's
//! secret, leased so it runs once, retried with backoff) and writes the outcome to the log.

use chrono::Utc;
use hmac::{KeyInit, Mac};
use kefu_store::{AttemptOutcome, DueDelivery, Store};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// Deliveries one round of the sender takes; they are attempted concurrently.
const ROUND: u32 = 32;
/// How often the sender looks for retries that came due, when nothing wakes it sooner.
const POLL: Duration = Duration::from_secs(1);
/// Bytes of a failing receiver's answer kept in the delivery log.
const ERROR_EXCERPT: usize = 200;

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The wait before each retry; one attempt plus one retry per entry, then it is failed.
    pub retry_delays: Vec<Duration>,
    /// How long the receiver has to answer one attempt.
    pub timeout: Duration,
    /// Allow receivers on loopback and private networks (an intranet CRM). Off by default, so
    /// a tenant admin cannot make the server call into its own network.
    pub allow_private_targets: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        WebhookSettings {
            // About a day in all, like the receivers' own outages tend to last at most.
            retry_delays: vec![
                Duration::from_secs(10),
                minutes(1),
                minutes(5),
                minutes(30),
                minutes(120),
                minutes(360),
                minutes(720),
            ],
            timeout: Duration::from_secs(10),
            allow_private_targets: false,
        }
    }
}

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: WebhookSettings,
    http: Option<reqwest::Client>,
    /// Tenants with at least one active webhook: only their commits are fanned out.
    tenants: Mutex<HashSet<Uuid>>,
    /// How far this process has fanned out each tenant's log: spares reading the stored cursor
    /// on every commit. Only a hint: the store re-reads the cursor in the transaction that moves
    /// it and skips what another process already did, so a stale value costs a re-read, never a
    /// double delivery.
    fanned_out_to: Mutex<HashMap<Uuid, i64>>,
    /// Deliveries were queued (or re-queued by hand): the sender looks at once.
    queued: Notify,
    /// A tenant's webhooks changed: the fan-out looks at it at once.
    changed: Notify,
    closing: tokio::sync::watch::Receiver<bool>,
}

impl Webhooks {
    pub fn new(
        store: Store,
        settings: WebhookSettings,
        closing: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            // A redirect could lead anywhere, past the address check: receivers answer directly.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kefu-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| tracing::error!(%err, "webhooks: no HTTP client; nothing will be sent"))
            .ok();
        Webhooks {
            inner: Arc::new(Inner {
                store,
                settings,
                http,
                tenants: Mutex::new(HashSet::new()),
                fanned_out_to: Mutex::new(HashMap::new()),
                queued: Notify::new(),
                changed: Notify::new(),
                closing,
            }),
        }
    }

    fn tenants(&self) -> MutexGuard<'_, HashSet<Uuid>> {
        crate::state::lock(&self.inner.tenants)
    }

    /// Starts the fan-out and the sender (once, when the server starts).
    pub async fn start(&self) {
        match self.inner.store.tenants_with_webhooks().await {
            Ok(tenants) => self.tenants().extend(tenants),
            Err(err) => tracing::warn!(%err, "webhooks: cannot list tenants with webhooks"),
        }
        tokio::spawn(self.clone().fan_out());
        tokio::spawn(self.clone().send());
    }

    /// Called after the tenant's webhooks changed: follow its log if it now has active ones.
    pub fn changed(&self, tenant_id: Uuid, has_active: bool) {
        if has_active {
            self.tenants().insert(tenant_id);
        } else {
            self.tenants().remove(&tenant_id);
        }
        self.inner.changed.notify_one();
        // A redelivery by hand is due at once.
        self.inner.queued.notify_one();
    }

    /// Deliveries were queued outside the fan-out (a trigger calling a webhook): send them now.
    pub fn wake_sender(&self) {
        self.inner.queued.notify_one();
    }

    async fn fan_out(self) {
        let mut commits = self.inner.store.subscribe_commits();
        let mut closing = self.inner.closing.clone();
        self.fan_out_all().await;
        loop {
            tokio::select! {
                commit = commits.recv() => match commit {
                    Ok(tenant) => {
                        if self.tenants().contains(&tenant) {
                            self.fan_out_tenant(tenant).await;
                        }
                    }
                    Err(RecvError::Lagged(_)) => self.fan_out_all().await,
                    Err(RecvError::Closed) => return,
                },
                () = self.inner.changed.notified() => self.fan_out_all().await,
                () = crate::state::until_closing(&mut closing) => return,
            }
        }
    }

    async fn fan_out_all(&self) {
        let tenants: Vec<Uuid> = self.tenants().iter().copied().collect();
        for tenant in tenants {
            self.fan_out_tenant(tenant).await;
        }
    }

    /// Queues deliveries for the tenant's events after its cursor, batch by batch.
    async fn fan_out_tenant(&self, tenant_id: Uuid) {
        let store = &self.inner.store;
        loop {
            let known = crate::state::lock(&self.inner.fanned_out_to)
                .get(&tenant_id)
                .copied();
            let cursor = match known {
                Some(cursor) => cursor,
                None => match store.webhook_cursor(tenant_id).await {
                    Ok(cursor) => cursor.unwrap_or(0),
                    Err(err) => return tracing::warn!(%err, "webhooks: reading the cursor"),
                },
            };
            let events = match store
                .events_since(tenant_id, cursor, crate::hub::LOG_BATCH)
                .await
            {
                Ok(events) => events,
                Err(err) => return tracing::warn!(%err, "webhooks: reading the log"),
            };
            let full = events.len() == crate::hub::LOG_BATCH as usize;
            match store.fan_out_webhooks(tenant_id, &events).await {
                Ok(queued) => {
                    if let Some(last) = events.last() {
                        crate::state::lock(&self.inner.fanned_out_to).insert(tenant_id, last.seq);
                    }
                    if queued > 0 {
                        self.inner.queued.notify_one();
                    }
                }
                // The next commit (or change) tries again from the stored cursor.
                Err(err) => {
                    crate::state::lock(&self.inner.fanned_out_to).remove(&tenant_id);
                    return tracing::warn!(%err, "webhooks: queueing deliveries");
                }
            }
            if !full {
                return;
            }
        }
    }

    async fn send(self) {
        let mut closing = self.inner.closing.clone();
        // Long enough that an attempt always reports before its lease ends.
        let lease = chrono::Duration::from_std(self.inner.settings.timeout + POLL * 30)
            .unwrap_or(chrono::Duration::minutes(5));
        loop {
            let due = match self
                .inner
                .store
                .claim_due_deliveries(Utc::now(), lease, ROUND)
                .await
            {
                Ok(due) => due,
                Err(err) => {
                    tracing::warn!(%err, "webhooks: claiming due deliveries");
                    Vec::new()
                }
            };
            if due.is_empty() {
                tokio::select! {
                    () = self.inner.queued.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                    () = crate::state::until_closing(&mut closing) => return,
                }
                continue;
            }
            let mut attempts = tokio::task::JoinSet::new();
            for due in due {
                let this = self.clone();
                attempts.spawn(async move { this.attempt(due).await });
            }
            while attempts.join_next().await.is_some() {}
        }
    }

    /// One attempt, recorded in the delivery log whatever happens.
    async fn attempt(&self, due: DueDelivery) {
        let started = Instant::now();
        let result = self.post(&due).await;
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let attempts_made = usize::try_from(due.delivery.attempts).unwrap_or(0) + 1;
        let retry_at = |permanent: bool| {
            let delay = self.inner.settings.retry_delays.get(attempts_made - 1)?;
            (!permanent)
                .then(|| Utc::now() + chrono::Duration::from_std(*delay).unwrap_or_default())
        };
        let outcome = match result {
            Ok(status) => AttemptOutcome {
                status: Some(status),
                error: None,
                duration_ms,
                retry_at: None,
                delivered: true,
            },
            Err(failure) => AttemptOutcome {
                status: failure.status,
                retry_at: retry_at(failure.permanent),
                error: Some(failure.reason),
                duration_ms,
                delivered: false,
            },
        };
        if let Err(err) = self
            .inner
            .store
            .record_attempt(due.tenant_id, due.delivery.id, &outcome)
            .await
        {
            // The lease ends and the delivery is tried again: at least once, never lost.
            tracing::warn!(%err, "webhooks: recording an attempt");
        }
    }

    /// Makes the request; the receiver's 2xx status, or why it failed.
    async fn post(&self, due: &DueDelivery) -> Result<i32, Failure> {
        let http = self
            .inner
            .http
            .as_ref()
            .ok_or_else(|| Failure::permanent("no HTTP client"))?;
        let url = reqwest::Url::parse(&due.target.webhook.url)
            .map_err(|_| Failure::permanent("invalid_url"))?;
        if !self.inner.settings.allow_private_targets {
            check_public(&url).await?;
        }
        let body = serde_json::json!({
            "delivery_id": due.delivery.id,
            "webhook_id": due.target.webhook.id,
            "tenant_id": due.tenant_id,
            "attempt": due.delivery.attempts + 1,
            "event": {
                "seq": due.event.seq,
                "kind": due.event.kind,
                "entity_type": due.event.entity_type,
                "entity_id": due.event.entity_id,
                "payload": due.event.payload.0,
                "created_at": due.event.created_at,
            },
        })
        .to_string();
        let timestamp = Utc::now().timestamp();
        let response = http
            .post(url)
            .header("content-type", "application/json")
            .header("x-kefu-event", &due.event.kind)
            .header("x-kefu-delivery", due.delivery.id.to_string())
            .header(
                "x-kefu-signature",
                signature(&due.target.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await
            .map_err(|err| {
                let reason = if err.is_timeout() {
                    "timeout".to_owned()
                } else if err.is_connect() {
                    "connection_failed".to_owned()
                } else {
                    format!("request_failed: {err}")
                };
                Failure::retry(None, reason)
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(i32::from(status.as_u16()));
        }
        let text = response.text().await.unwrap_or_default();
        let excerpt: String = text.chars().take(ERROR_EXCERPT).collect();
        Err(Failure::retry(
            Some(i32::from(status.as_u16())),
            format!("HTTP {}: {excerpt}", status.as_u16()),
        ))
    }
}

/// Why an attempt failed, and whether trying again could help.
struct Failure {
    status: Option<i32>,
    reason: String,
    permanent: bool,
}

impl Failure {
    fn retry(status: Option<i32>, reason: String) -> Self {
        Failure {
            status,
            reason,
            permanent: false,
        }
    }

    fn permanent(reason: &str) -> Self {
        Failure {
            status: None,
            reason: reason.to_owned(),
            permanent: true,
        }
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the receiver recomputes it
/// over the raw body and refuses old timestamps, so a captured request cannot be replayed.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Refuses receivers on loopback, private, link-local and other non-public addresses.
async fn check_public(url: &reqwest::Url) -> Result<(), Failure> {
    let host = url
        .host_str()
        .ok_or_else(|| Failure::permanent("invalid_url"))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| Failure::retry(None, "dns_failed".into()))?
            .map(|addr| addr.ip())
            .collect(),
    };
    if addresses.is_empty() || !addresses.into_iter().all(is_public) {
        return Err(Failure::permanent("target_not_allowed"));
    }
    Ok(())
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                // Carrier-grade NAT, 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                || a == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7 and link-local fe80::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_targets() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(
                !is_public(private.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))),
                "{private}"
            );
        }
        for public in ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"] {
            assert!(
                is_public(public.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))),
                "{public}"
            );
        }
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let a = signature("whsec_x", 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("whsec_x", 1_700_000_001, "{}"));
        assert_ne!(a, signature("whsec_x", 1_700_000_000, "{ }"));
        assert_ne!(a, signature("whsec_y", 1_700_000_000, "{}"));
    }
}
