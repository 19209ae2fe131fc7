//! The report mailer: queues each schedule's due period once (a unique delivery row per
//! schedule and period, so restarts and other nodes never send a period twice), then renders
//! each due delivery's report and sends it through the relay as an attachment, retrying with
//! the outbox's backoff until the relay takes it. Time comes in as an argument (`tick`).

use super::schedule::{self, ReportKind, Timing};
use crate::routes::reports::{
    Format, MetricsQuery, ReportFile, ScorecardQuery, compute_metrics, compute_scorecards,
    metrics_file, scorecards_file,
};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kefu_mail::{Attachment, MailError, Mailbox as Address, Notice, Relay, build_notice};
use kefu_metrics::Tz;
use kefu_store::{Actor, NewReportDelivery, ReportDelivery, ReportSchedule, StoreError};
use std::time::Duration;
use uuid::Uuid;

/// Deliveries attempted per tenant per round.
const SEND_BATCH: u32 = 20;
/// How long an attempt holds its delivery before another worker may try it: rendering a
/// large report and a slow relay stay well within it.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Why an attempt failed, and whether trying again may help.
struct Failure {
    permanent: bool,
    message: String,
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Failure {
            permanent: matches!(err, StoreError::NotFound),
            message: err.to_string(),
        }
    }
}

impl From<MailError> for Failure {
    fn from(err: MailError) -> Self {
        let permanent = !matches!(
            err,
            MailError::Relay {
                transient: true,
                ..
            } | MailError::Io(_)
        );
        Failure {
            permanent,
            message: format!("{}: {err}", err.code()),
        }
    }
}

impl From<crate::error::ApiError> for Failure {
    fn from(err: crate::error::ApiError) -> Self {
        // A report its schedule's filters no longer allow (a deleted group…) will not heal.
        Failure {
            permanent: err.status.is_client_error(),
            message: format!("{}: {}", err.code, err.message),
        }
    }
}

/// Queues and sends scheduled reports.
pub struct ReportMailer {
    state: AppState,
    relay: Option<Relay>,
}

impl ReportMailer {
    /// A mailer sending through the server's relay (`mail.relay`); without one, due periods
    /// are queued and wait for a relay to be configured.
    pub fn new(state: AppState) -> Self {
        let settings = &state.config().mail;
        let relay = settings.relay.as_ref().and_then(|relay| {
            let config = kefu_mail::RelayConfig {
                extra_roots: settings.extra_roots.clone(),
                ..relay.clone()
            };
            Relay::new(&config)
                .map_err(|err| tracing::error!(%err, code = err.code(), "smtp relay not usable for reports"))
                .ok()
        });
        ReportMailer { state, relay }
    }

    /// One round at `now`: every tenant's due periods are queued, then its due deliveries
    /// attempted.
    pub async fn tick(&self, now: DateTime<Utc>) {
        let tenants = match self.state.store().report_schedule_tenants().await {
            Ok(tenants) => tenants,
            Err(err) => return tracing::warn!(%err, "report mailer: listing tenants"),
        };
        for tenant_id in tenants {
            if let Err(err) = self.queue_due(tenant_id, now).await {
                tracing::warn!(%err, %tenant_id, "report mailer: queueing due reports");
            }
            if let Err(err) = self.deliver(tenant_id, now).await {
                tracing::warn!(%err, %tenant_id, "report mailer: sending reports");
            }
        }
    }

    /// Queues the latest due period of each enabled schedule, unless it came before the
    /// schedule existed. Periods missed while kefu was down are not caught up one by one:
    /// the latest is sent.
    async fn queue_due(&self, tenant_id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let store = self.state.store();
        let zone = tenant_zone(&self.state, tenant_id).await?;
        for schedule in store.report_schedules(tenant_id).await? {
            if !schedule.enabled {
                continue;
            }
            let Some(timing) = Timing::of(schedule.weekday, &schedule.send_time) else {
                tracing::warn!(%tenant_id, schedule = %schedule.id, "report schedule's time does not parse");
                continue;
            };
            let Some(period) = schedule::latest_due(timing, zone, now) else {
                continue;
            };
            if period.due_at < schedule.created_at {
                continue;
            }
            store
                .queue_report_delivery(
                    tenant_id,
                    schedule.id,
                    NewReportDelivery {
                        period: period.key(),
                        window_start: period.window_start,
                        window_end: period.window_end,
                        due_at: period.due_at,
                    },
                    &Actor::system(),
                )
                .await?;
        }
        Ok(())
    }

    async fn deliver(&self, tenant_id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let Some(relay) = &self.relay else {
            return Ok(());
        };
        let store = self.state.store();
        for delivery in store
            .due_report_deliveries(tenant_id, now, SEND_BATCH)
            .await?
        {
            // Another node (or round) may have taken it since it was listed.
            if !store
                .claim_report_delivery(tenant_id, delivery.id, now, now + LEASE)
                .await?
            {
                continue;
            }
            let Err(failure) = self.send(relay, tenant_id, &delivery).await else {
                continue;
            };
            let attempts = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
            let settings = &self.state.config().mail;
            let retry_at = (!failure.permanent && attempts < settings.max_attempts).then(|| {
                let wait = settings
                    .retry_base
                    .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
                    .min(settings.retry_max);
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                now.checked_add_signed(wait).unwrap_or(now)
            });
            tracing::warn!(%tenant_id, delivery = %delivery.id, attempts, error = %failure.message, retry = ?retry_at, "scheduled report not sent");
            store
                .report_delivery_failed(tenant_id, delivery.id, &failure.message, retry_at)
                .await?;
        }
        Ok(())
    }

    /// One attempt: render the report for the delivery's window, mail it, record the send.
    async fn send(
        &self,
        relay: &Relay,
        tenant_id: Uuid,
        delivery: &ReportDelivery,
    ) -> Result<(), Failure> {
        let store = self.state.store();
        let schedule = store
            .report_schedule(tenant_id, delivery.schedule_id)
            .await?;
        let file = render(&self.state, tenant_id, &schedule, delivery).await?;
        let tenant = store.tenant(tenant_id).await?;
        let from = sender(&self.state, tenant_id).await?;
        let zh = tenant.settings.0.locale.starts_with("zh");
        let zone = tenant.settings.0.timezone.parse::<Tz>().unwrap_or(Tz::UTC);
        let local =
            |at: DateTime<Utc>| at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
        let window = format!(
            "{} – {} ({})",
            local(delivery.window_start),
            local(delivery.window_end),
            zone.name()
        );
        let (subject, text) = if zh {
            (
                format!("[kefu 报表] {} {}", schedule.name, delivery.period),
                format!(
                    "{}：{}\n附件为报表文件。\n\n—— kefu 定时报表",
                    schedule.name, window
                ),
            )
        } else {
            (
                format!("[kefu report] {} {}", schedule.name, delivery.period),
                format!(
                    "{}: {}\nThe report is attached.\n\n-- kefu scheduled reports",
                    schedule.name, window
                ),
            )
        };
        let built = build_notice(&Notice {
            from,
            to: schedule
                .recipients
                .iter()
                .map(|address| Address {
                    address: address.clone(),
                    name: None,
                })
                .collect(),
            subject,
            text,
            attachments: vec![Attachment {
                name: file.filename,
                content_type: file.content_type.to_owned(),
                data: file.body,
                content_id: None,
                inline: false,
            }],
        })?;
        relay.send(&built.message).await?;
        store
            .report_delivery_sent(
                tenant_id,
                delivery.id,
                &built.message_id,
                &schedule.recipients,
            )
            .await?;
        Ok(())
    }
}

async fn tenant_zone(state: &AppState, tenant_id: Uuid) -> Result<Tz, StoreError> {
    let tenant = state.store().tenant(tenant_id).await?;
    // A zone that no longer parses should not stop the tenant's reports: UTC, as reports do.
    Ok(tenant.settings.0.timezone.parse::<Tz>().unwrap_or(Tz::UTC))
}

/// The tenant's first enabled support address sends its reports.
async fn sender(state: &AppState, tenant_id: Uuid) -> Result<Address, Failure> {
    let mailboxes = state.store().list_mailboxes(tenant_id, None, 200).await?;
    mailboxes
        .items
        .into_iter()
        .find(|m| m.enabled)
        .map(|m| Address {
            address: m.address,
            name: Some(m.display_name).filter(|n| !n.is_empty()),
        })
        // An admin may add or enable one: retried like a relay outage.
        .ok_or(Failure {
            permanent: false,
            message: "no enabled mailbox to send reports from".into(),
        })
}

/// The schedule's report over the delivery's window, as its file.
pub(crate) async fn render(
    state: &AppState,
    tenant_id: Uuid,
    schedule: &ReportSchedule,
    delivery: &ReportDelivery,
) -> Result<ReportFile, crate::error::ApiError> {
    let format = match schedule.format.as_str() {
        "xlsx" => Format::Xlsx,
        _ => Format::Csv,
    };
    let mut params = schedule.filters.clone();
    params.insert("from".into(), delivery.window_start.to_rfc3339().into());
    params.insert("to".into(), delivery.window_end.to_rfc3339().into());
    params.insert("format".into(), schedule.format.clone().into());
    let params = serde_json::Value::Object(params);
    let bad_filters = |err: serde_json::Error| {
        crate::error::ApiError::bad_request(
            "invalid_filters",
            format!("the schedule's filters: {err}"),
        )
    };
    match ReportKind::parse(&schedule.report_kind) {
        Some(ReportKind::Scorecards) => {
            let query: ScorecardQuery = serde_json::from_value(params).map_err(bad_filters)?;
            let (report, _) = compute_scorecards(state, tenant_id, &query).await?;
            scorecards_file(state, tenant_id, &report, format).await
        }
        _ => {
            let query: MetricsQuery = serde_json::from_value(params).map_err(bad_filters)?;
            let (report, _) = compute_metrics(state, tenant_id, &query).await?;
            metrics_file(state, tenant_id, &report, format).await
        }
    }
}

/// Runs rounds every `check_every` and whenever woken (a send-now), until closing.
pub async fn run(state: AppState, check_every: Duration) {
    let mailer = ReportMailer::new(state.clone());
    let mut closing = state.closing();
    let wake = state.report_mailer().clone();
    loop {
        mailer.tick(Utc::now()).await;
        tokio::select! {
            () = tokio::time::sleep(check_every) => {}
            () = wake.notified() => {}
            () = crate::state::until_closing(&mut closing) => return,
        }
    }
}
