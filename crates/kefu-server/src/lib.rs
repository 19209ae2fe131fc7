//! kefu-server: HTTP (and later WebSocket and channel listeners) in front of the store.
//! It speaks the wire: routing, auth, the error contract, OpenAPI, health and metrics,
//! and the embedded web UI. Business rules stay in the domain crates.

pub mod auth;
mod autoclose;
pub mod bot;
pub mod demo;
mod demo_articles;
pub mod error;
pub mod extract;
pub mod hours;
mod hub;
pub mod integrations;
pub mod knowledge;
mod left_message;
pub mod mail;
mod ops;
mod pending;
pub mod ratelimit;
pub mod reports;
pub mod routes;
pub mod routing;
pub mod search;
mod signals;
pub mod sla;
pub mod sockets;
pub mod state;
mod stream;
pub mod triggers;
pub mod visitor;
mod web;
pub mod webhooks;
pub mod workspaces;

pub use state::{AppState, ServerConfig};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use routes::{
    articles, attachments, audit, auth as auth_routes, bot as bot_routes, canned, conversations,
    customers, events, groups, help, kb_search, knowledge as kb, mailboxes, mails,
    report_schedules, reports as report_routes, scenarios, sla as sla_routes, tenant,
    ticket_fields, ticket_followers, ticket_links, ticket_status, ticket_views, tickets, tokens,
    triggers as trigger_routes, users, webhooks as webhook_routes, wfm, widget,
};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "kefu API", description = "The kefu contact center API. Every error is `{\"code\",\"message\",\"details\"}`; lists are cursor-paginated (`limit`, `cursor` → `next_cursor`).", license(name = "Apache-2.0")),
    modifiers(&SecurityAddon),
    security(("bearer" = []), ("session_cookie" = [])),
    components(schemas(error::ErrorBody)),
    tags(
        (name = "auth", description = "Sign in and out"),
        (name = "users", description = "Users, agents and presence"),
        (name = "groups", description = "Service groups (客服分组)"),
        (name = "customers", description = "Customers and their identities on every channel"),
        (name = "tenant", description = "The tenant's settings"),
        (name = "api-tokens", description = "Tokens for integrations"),
        (name = "audit", description = "Audit log of admin actions"),
        (name = "events", description = "The event log"),
        (name = "conversations", description = "Inboxes and conversations, for agents"),
        (name = "canned-responses", description = "Canned responses (快捷回复): shared and agents' own, rendered for a conversation"),
        (name = "tickets", description = "Tickets (工单): work carried across departments"),
        (name = "mailboxes", description = "Support email addresses: mail to them opens and updates tickets"),
        (name = "widget", description = "The customer side of conversations: web widget and apps (visitor token)"),
        (name = "wfm", description = "Workforce management: Erlang staffing and shift schedules"),
        (name = "reports", description = "Contact-center metrics and agent scorecards from the event log, as JSON, CSV or XLSX; scheduled reports mailed daily or weekly"),
        (name = "knowledge", description = "The knowledge base: articles, FAQs, categories, vocabulary, revisions, bot settings, CSV/JSONL import and export, full-text search, and matching (agent assist, try the bot)"),
        (name = "help", description = "The public help center of a tenant: its published articles and FAQs and their search, without login"),
        (name = "webhooks", description = "Outgoing webhooks: events POSTed to your systems, signed (HMAC-SHA256), retried with backoff, with a delivery log"),
        (name = "bot", description = "The service bot: what it did in a conversation, its answer and handoff rates, what it could not answer"),
        (name = "ops", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "visitor",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A visitor token (`kfv_…`) from POST /api/v1/widget/{inbox_id}/session",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API routes with their OpenAPI description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth_routes::login))
        .routes(routes!(auth_routes::logout))
        .routes(routes!(auth_routes::me))
        .routes(routes!(auth_routes::change_password))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::deactivate_user
        ))
        .routes(routes!(users::set_presence))
        .routes(routes!(groups::list_groups, groups::create_group))
        .routes(routes!(
            groups::get_group,
            groups::update_group,
            groups::delete_group
        ))
        .routes(routes!(
            customers::list_customers,
            customers::create_customer
        ))
        .routes(routes!(customers::lookup_customer))
        .routes(routes!(
            customers::get_customer,
            customers::update_customer,
            customers::delete_customer
        ))
        .routes(routes!(customers::add_identity))
        .routes(routes!(customers::remove_identity))
        .routes(routes!(customers::merge_customers))
        .routes(routes!(customers::customer_history))
        .routes(routes!(tenant::get_tenant, tenant::update_tenant))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(audit::list_audit))
        .routes(routes!(events::list_events))
        .routes(routes!(
            conversations::list_inboxes,
            conversations::create_inbox
        ))
        .routes(routes!(
            conversations::get_inbox,
            conversations::update_inbox
        ))
        .routes(routes!(bot_routes::conversation_bot))
        .routes(routes!(bot_routes::metrics))
        .routes(routes!(bot_routes::unanswered))
        .routes(routes!(widget::bot_feedback))
        .routes(routes!(conversations::list_conversations))
        .routes(routes!(conversations::get_conversation))
        .routes(routes!(
            conversations::list_messages,
            conversations::post_message
        ))
        .routes(routes!(attachments::upload_for_agent))
        .routes(routes!(attachments::download))
        .routes(routes!(conversations::assign))
        .routes(routes!(conversations::accept))
        .routes(routes!(conversations::mark_read))
        .routes(routes!(conversations::typing))
        .routes(routes!(widget::typing))
        .routes(routes!(conversations::unread))
        .routes(routes!(conversations::reject))
        .routes(routes!(conversations::transfer))
        .routes(routes!(conversations::routing_live))
        .routes(routes!(widget::standing))
        .routes(routes!(conversations::resolve))
        .routes(routes!(canned::list_canned, canned::create_canned))
        .routes(routes!(
            canned::get_canned,
            canned::update_canned,
            canned::delete_canned
        ))
        .routes(routes!(canned::render_canned))
        .routes(routes!(tickets::list_tickets, tickets::create_ticket))
        .routes(routes!(tickets::get_ticket, tickets::update_ticket))
        .routes(routes!(tickets::bulk_update))
        .routes(routes!(tickets::list_comments, tickets::add_comment))
        .routes(routes!(tickets::ticket_from_conversation))
        .routes(routes!(ticket_followers::list_followers))
        .routes(routes!(
            ticket_followers::add_follower,
            ticket_followers::remove_follower
        ))
        .routes(routes!(ticket_followers::get_cc, ticket_followers::set_cc))
        .routes(routes!(ticket_followers::list_conversations))
        .routes(routes!(
            ticket_followers::link_conversation,
            ticket_followers::unlink_conversation
        ))
        .routes(routes!(
            ticket_fields::list_fields,
            ticket_fields::create_field
        ))
        .routes(routes!(
            ticket_fields::get_field,
            ticket_fields::update_field
        ))
        .routes(routes!(ticket_views::list_views, ticket_views::create_view))
        .routes(routes!(
            ticket_views::get_view,
            ticket_views::update_view,
            ticket_views::delete_view
        ))
        .routes(routes!(tickets::status_link_of))
        .routes(routes!(ticket_status::status_page))
        .routes(routes!(ticket_status::status_reply))
        .routes(routes!(
            trigger_routes::list_triggers,
            trigger_routes::create_trigger
        ))
        .routes(routes!(
            trigger_routes::get_trigger,
            trigger_routes::update_trigger,
            trigger_routes::delete_trigger
        ))
        .routes(routes!(mails::ticket_mails))
        .routes(routes!(mails::ticket_file))
        .routes(routes!(mails::upload_ticket_file))
        .routes(routes!(mails::unthreaded_mails))
        .routes(routes!(mails::raw_mail))
        .routes(routes!(
            mailboxes::list_mailboxes,
            mailboxes::create_mailbox
        ))
        .routes(routes!(
            mailboxes::update_mailbox,
            mailboxes::delete_mailbox
        ))
        .routes(routes!(widget::start_session))
        .routes(routes!(
            widget::list_conversations,
            widget::start_conversation
        ))
        .routes(routes!(widget::list_messages, widget::send_message))
        .routes(routes!(attachments::upload_for_visitor))
        .routes(routes!(attachments::download_for_visitor))
        .routes(routes!(widget::rate))
        .routes(routes!(
            webhook_routes::list_webhooks,
            webhook_routes::create_webhook
        ))
        .routes(routes!(
            webhook_routes::update_webhook,
            webhook_routes::delete_webhook
        ))
        .routes(routes!(sla_routes::get_policies, sla_routes::put_policies))
        .routes(routes!(sla_routes::ticket_sla))
        .routes(routes!(webhook_routes::list_deliveries))
        .routes(routes!(webhook_routes::redeliver))
        .routes(routes!(kb::list_faqs, kb::create_faq))
        .routes(routes!(kb::get_faq, kb::update_faq, kb::delete_faq))
        .routes(routes!(kb::faq_revisions))
        .routes(routes!(kb::list_categories, kb::create_category))
        .routes(routes!(kb::update_category, kb::delete_category))
        .routes(routes!(kb::list_vocabulary, kb::create_vocabulary))
        .routes(routes!(kb::update_vocabulary, kb::delete_vocabulary))
        .routes(routes!(kb::get_settings, kb::put_settings))
        .routes(routes!(kb::match_question))
        .routes(routes!(
            scenarios::list_integrations,
            scenarios::create_integration
        ))
        .routes(routes!(
            scenarios::update_integration,
            scenarios::delete_integration
        ))
        .routes(routes!(scenarios::test_integration))
        .routes(routes!(
            scenarios::list_scenarios,
            scenarios::create_scenario
        ))
        .routes(routes!(
            scenarios::get_scenario,
            scenarios::update_scenario,
            scenarios::delete_scenario
        ))
        .routes(routes!(scenarios::scenario_revisions))
        .routes(routes!(scenarios::try_bot))
        .routes(routes!(
            scenarios::get_faq_action,
            scenarios::put_faq_action,
            scenarios::delete_faq_action
        ))
        .routes(routes!(kb::import_faqs))
        .routes(routes!(kb::export_faqs))
        .routes(routes!(articles::list_articles, articles::create_article))
        .routes(routes!(
            articles::get_article,
            articles::update_article,
            articles::delete_article
        ))
        .routes(routes!(articles::publish_article))
        .routes(routes!(articles::unpublish_article))
        .routes(routes!(articles::article_revisions))
        .routes(routes!(kb_search::search))
        .routes(routes!(help::help_center))
        .routes(routes!(help::help_article))
        .routes(routes!(help::help_faqs))
        .routes(routes!(help::help_faq_by_id))
        .routes(routes!(help::help_search))
        .routes(routes!(stream::staff_stream))
        .routes(routes!(stream::visitor_stream))
        .routes(routes!(wfm::erlang_c))
        .routes(routes!(wfm::erlang_a))
        .routes(routes!(wfm::erlang_b))
        .routes(routes!(wfm::schedule))
        .routes(routes!(wfm::forecast))
        .routes(routes!(report_routes::metrics))
        .routes(routes!(report_routes::scorecards))
        .routes(routes!(
            report_schedules::list_schedules,
            report_schedules::create_schedule
        ))
        .routes(routes!(
            report_schedules::get_schedule,
            report_schedules::update_schedule,
            report_schedules::delete_schedule
        ))
        .routes(routes!(report_schedules::send_now))
        .routes(routes!(report_schedules::list_deliveries))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(
            ticket_links::set_parent,
            ticket_links::remove_parent
        ))
        .routes(routes!(ticket_links::list_children))
        .routes(routes!(ticket_links::create_subtask))
        .routes(routes!(ticket_links::merge_ticket))
        .routes(routes!(ticket_links::split_ticket))
}

/// The OpenAPI document of every endpoint.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The whole application: API, docs, ops endpoints and web UI.
pub fn app(state: AppState) -> Router {
    let (api_router, openapi) = api().split_for_parts();
    let max_body = state.config().max_body_bytes;
    Router::new()
        .merge(api_router)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi))
        .route("/metrics", axum::routing::get(ops::metrics))
        .fallback(web::static_or_api_not_found)
        // JSON bodies only: uploads read their body themselves, up to their inbox's limit.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(visitor::widget_cors))
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish.
/// The SMTP listener runs too when `mail.smtp_listen` is configured.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let smtp = match state.config().mail.smtp_listen {
        Some(address) => Some(TcpListener::bind(address).await?),
        None => None,
    };
    serve_with_smtp(listener, smtp, state, shutdown).await
}

/// [`serve`] with an SMTP listener the caller bound (tests bind port 0 and read the address).
pub async fn serve_with_smtp(
    listener: TcpListener,
    smtp: Option<TcpListener>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    ops::install_metrics();
    state.routing().start().await;
    state.webhooks().start().await;
    state.sla().start().await;
    state.triggers().start().await;
    state.search().start().await;
    if let Some(after) = state.config().ticket_auto_close {
        // Often enough that a ticket closes within a few percent of its time, at most hourly.
        let check_every = (after / 20).clamp(Duration::from_millis(50), Duration::from_secs(3600));
        tokio::spawn(autoclose::run(
            state.store().clone(),
            after,
            check_every,
            state.closing(),
        ));
    }
    if let Some(quiet_for) = state.config().left_message_ticket_after {
        let check_every =
            (quiet_for / 10).clamp(Duration::from_millis(50), Duration::from_secs(30));
        tokio::spawn(left_message::run(state.clone(), quiet_for, check_every));
    }
    if let Some(check_every) = state.config().pending_solve_check {
        tokio::spawn(pending::run(
            state.store().clone(),
            check_every,
            state.closing(),
        ));
    }
    if let Some(check_every) = state.config().report_schedule_check {
        tokio::spawn(reports::mailer::run(state.clone(), check_every));
    }
    if let Err(err) = state.mail().reload(state.store()).await {
        // The directory fills at the next mailbox change; until then mail is refused (550).
        tracing::error!(%err, "loading the mailbox directory");
    }
    if let Some(smtp) = smtp {
        state
            .mail()
            .start_listener(state.store().clone(), smtp, state.closing());
    }
    state.mail().start_outbox(
        state.store().clone(),
        state.config().public_url.clone(),
        state.closing(),
    );
    state
        .mail()
        .start_pollers(state.store().clone(), state.closing())
        .await;
    let closing = state.clone();
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        closing.begin_closing();
    })
    .await
}
