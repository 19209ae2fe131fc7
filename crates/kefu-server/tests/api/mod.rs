mod articles;
mod attachments;
mod auth;
mod bot;
mod canned;
mod contract;
mod conversations;
mod customers;
mod email;
mod imap;
mod knowledge;
mod left_message;
mod report_schedules;
mod reports;
mod routing;
mod scenarios;
mod sla;
mod stream;
mod tenancy;
mod ticket_fields;
mod ticket_links;
mod ticket_status;
mod ticket_views;
mod tickets;
mod tickets_followers;
mod triggers;
mod users;
mod webhooks;
mod wfm;

use kefu_core::{AgentProfile, Role};
use kefu_server::{AppState, ServerConfig};
use kefu_store::testing::TestDatabase;
use kefu_store::{Actor, NewUser, Store, Tenant, TenantSettings};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub url: String,
    /// The SMTP listener's address, when the config asks for one (`mail.smtp_listen`).
    pub smtp: Option<std::net::SocketAddr>,
    pub store: Store,
    pub http: reqwest::Client,
    /// The running server's state (its background workers can be driven from a test).
    state: Option<AppState>,
    config: ServerConfig,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServerConfig {
        max_body_bytes: 64 * 1024,
        ..ServerConfig::default()
    })
    .await
}

pub async fn spawn_app_with(config: ServerConfig) -> TestApp {
    let db = TestDatabase::create().await.expect("test database");
    let store = db.store().await.expect("migrated store");
    let mut app = TestApp {
        url: String::new(),
        smtp: None,
        store,
        http: reqwest::Client::new(),
        state: None,
        config,
        shutdown: None,
        server: None,
        _db: db,
    };
    app.start().await;
    app
}

impl TestApp {
    async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.url = format!("http://{}", listener.local_addr().unwrap());
        // Port 0 for SMTP too, so parallel tests never collide; the test reads the address.
        let smtp = match self.config.mail.smtp_listen {
            Some(_) => Some(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()),
            None => None,
        };
        self.smtp = smtp.as_ref().map(|l| l.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let state = AppState::new(self.store.clone(), self.config.clone());
        self.state = Some(state.clone());
        self.server = Some(tokio::spawn(kefu_server::serve_with_smtp(
            listener,
            smtp,
            state,
            async move {
                let _ = rx.await;
            },
        )));
        self.shutdown = Some(tx);
    }

    /// The running server's state.
    pub fn state(&self) -> AppState {
        self.state.clone().unwrap()
    }

    /// Shuts the server down gracefully, waits until it has stopped, and starts a new one on
    /// the same database (a new address): what a deploy or a crash-and-restart does.
    pub async fn restart(&mut self) {
        self.stop();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.start().await;
    }
}

/// A tenant with one user of each role, all signed in.
pub struct Org {
    pub tenant: Tenant,
    pub owner: String,
    pub admin: String,
    pub supervisor: String,
    pub agent: String,
    pub agent_id: uuid::Uuid,
    pub supervisor_id: uuid::Uuid,
}

impl TestApp {
    /// Starts the server's graceful shutdown, as SIGTERM does in the binary.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn org(&self, slug: &str) -> Org {
        let tenant = self
            .store
            .create_tenant(
                slug,
                &format!("{slug} Inc"),
                &TenantSettings::default(),
                &Actor::system(),
            )
            .await
            .unwrap();
        let hash = kefu_server::auth::hash_password(PASSWORD.into())
            .await
            .unwrap();
        let mut tokens = Vec::new();
        let mut ids = Vec::new();
        for role in [Role::Owner, Role::Admin, Role::Supervisor, Role::Agent] {
            let email = format!("{}@{slug}.test", role.as_str());
            let user = self
                .store
                .create_user(
                    tenant.id,
                    NewUser {
                        email: email.clone(),
                        display_name: role.as_str().into(),
                        role,
                        password_hash: Some(hash.clone()),
                        profile: AgentProfile::default(),
                        group_ids: vec![],
                    },
                    &Actor::system(),
                )
                .await
                .unwrap();
            ids.push(user.id);
            tokens.push(self.login(&email, PASSWORD).await);
        }
        let [owner, admin, supervisor, agent] = <[String; 4]>::try_from(tokens).unwrap();
        Org {
            tenant,
            owner,
            admin,
            supervisor,
            agent,
            agent_id: ids[3],
            supervisor_id: ids[2],
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// One request with an optional bearer token and JSON body; the answer as JSON (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        )
    }

    /// A web inbox of the admin's tenant; its JSON (with `id` and `secret`).
    pub async fn inbox(&self, admin: &str) -> Value {
        let (status, inbox) = self
            .post(
                "/api/v1/inboxes",
                admin,
                serde_json::json!({"name": "官网", "channel": "web"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{inbox}");
        inbox
    }

    /// A new anonymous visitor of an inbox: its token.
    pub async fn visitor(&self, inbox_id: &str) -> String {
        let (status, session) = self
            .call(
                Method::POST,
                &format!("/api/v1/widget/{inbox_id}/session"),
                None,
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{session}");
        session["visitor_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
}
