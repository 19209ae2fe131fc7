use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `kefu serve --demo` child on port 0 with its own data directory; killed on drop.
struct Server {
    child: Child,
    url: String,
    /// The demo shop page with the chat widget, as printed.
    chat_page: String,
    data_dir: std::path::PathBuf,
}

impl Server {
    fn start(name: &str) -> Server {
        let data_dir =
            std::env::temp_dir().join(format!("kefu-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let (child, url, chat_page) = Server::spawn(&data_dir);
        Server {
            child,
            url,
            chat_page,
            data_dir,
        }
    }

    fn spawn(data_dir: &std::path::Path) -> (Child, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("KEFU_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut url = None;
        let chat_page = loop {
            let line = lines
                .next()
                .expect("kefu exited before printing the demo")
                .unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                url = rest.split_whitespace().next().map(str::to_owned);
            }
            if let Some(page) = line.strip_prefix("Chat as a customer: ") {
                break page.to_owned();
            }
        };
        let url = url.expect("the URL is printed before the demo");
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (child, url, chat_page)
    }

    /// SIGKILL: no drain, no goodbye; then a new server on the same data directory.
    fn kill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let (child, url, chat_page) = Server::spawn(&self.data_dir);
        self.child = child;
        self.url = url;
        self.chat_page = chat_page;
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[tokio::test]
async fn serve_demo_starts_with_logins_that_work_and_stops_on_sigterm() {
    let mut server = Server::start("demo");
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{}/readyz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    let login = http
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&json!({"email": "admin@demo.kefu.dev", "password": "kefu-demo-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let customers: Value = http
        .get(format!("{}/api/v1/customers", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names = customers.to_string();
    assert!(names.contains("张伟"), "{names}");

    let spec: Value = http
        .get(format!("{}/api/v1/openapi.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"].as_object().unwrap().len() >= 20);
    let page = http.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);

    // The printed chat page names the demo's web inbox, which takes visitors.
    let inboxes: Value = http
        .get(format!("{}/api/v1/inboxes", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inbox_id = inboxes[0]["id"].as_str().unwrap();
    assert!(
        server
            .chat_page
            .ends_with(&format!("/demo.html?inbox={inbox_id}")),
        "{}",
        server.chat_page
    );
    let session = http
        .post(format!("{}/api/v1/widget/{inbox_id}/session", server.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);

    assert!(server.terminate().success(), "SIGTERM is a clean stop");

    // The data survives the restart, and seeding the demo again is a no-op.
    let reseed = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["demo", "--data-dir"])
        .arg(&server.data_dir)
        .output()
        .unwrap();
    assert!(reseed.status.success());
    assert!(String::from_utf8_lossy(&reseed.stdout).contains("admin@demo.kefu.dev"));
}

#[test]
fn an_unknown_config_key_is_refused() {
    let dir = std::env::temp_dir().join(format!("kefu-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kefu.toml");
    std::fs::write(&config, "listne = \"127.0.0.1:9\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["migrate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("listne"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Requests against a running server, stopping at the first unexpected status.
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn login(&self, email: &str) -> String {
        let body = json!({"email": email, "password": "kefu-demo-2026"});
        let session = self
            .send(reqwest::Method::POST, "/api/v1/auth/login", "", Some(body))
            .await;
        session["token"].as_str().unwrap().to_owned()
    }

    /// Waits until the conversation has the status (the router works asynchronously).
    async fn until_status(&self, token: &str, id: &str, status: &str) -> Value {
        for _ in 0..300 {
            let conversation = self
                .send(
                    reqwest::Method::GET,
                    &format!("/api/v1/conversations/{id}"),
                    token,
                    None,
                )
                .await;
            if conversation["status"] == status {
                return conversation;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("conversation {id} never became {status}");
    }
}

#[tokio::test]
async fn a_killed_server_restarts_with_every_acknowledged_message_and_the_queue_in_order() {
    use reqwest::Method;
    let mut server = Server::start("kill");
    let inbox_id = server.chat_page.rsplit("inbox=").next().unwrap().to_owned();
    let client = Client {
        http: reqwest::Client::new(),
        url: server.url.clone(),
    };
    // Three customers write in while nobody is available; each message is acknowledged.
    let mut chats = Vec::new();
    for n in 1..=3 {
        let session = client
            .send(
                Method::POST,
                &format!("/api/v1/widget/{inbox_id}/session"),
                "",
                Some(json!({})),
            )
            .await;
        let visitor = session["visitor_token"].as_str().unwrap().to_owned();
        let conversation = client
            .send(
                Method::POST,
                "/api/v1/widget/conversations",
                &visitor,
                Some(json!({})),
            )
            .await;
        let id = conversation["id"].as_str().unwrap().to_owned();
        for m in 1..=2 {
            let body = json!({"body": format!("客户 {n} 的第 {m} 条消息"), "client_msg_id": format!("c{n}-m{m}")});
            client
                .send(
                    Method::POST,
                    &format!("/api/v1/widget/conversations/{id}/messages"),
                    &visitor,
                    Some(body),
                )
                .await;
        }
        chats.push((id, visitor));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    server.kill_and_restart();
    let client = Client {
        http: reqwest::Client::new(),
        url: server.url.clone(),
    };

    // Every acknowledged message is there, and a retry after the crash is not stored twice.
    let admin = client.login("admin@demo.kefu.dev").await;
    for (n, (id, visitor)) in chats.iter().enumerate() {
        let retry = json!({"body": format!("客户 {} 的第 2 条消息", n + 1), "client_msg_id": format!("c{}-m2", n + 1)});
        client
            .send(
                Method::POST,
                &format!("/api/v1/widget/conversations/{id}/messages"),
                visitor,
                Some(retry),
            )
            .await;
        let messages = client
            .send(
                Method::GET,
                &format!("/api/v1/conversations/{id}/messages"),
                &admin,
                None,
            )
            .await;
        let bodies: Vec<&str> = messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert_eq!(
            bodies,
            [
                format!("客户 {} 的第 1 条消息", n + 1),
                format!("客户 {} 的第 2 条消息", n + 1)
            ]
        );
    }

    // Lina takes one chat at a time: the waiting conversations reach her in arrival order.
    let lina = client.login("lina@demo.kefu.dev").await;
    let me = client
        .send(Method::GET, "/api/v1/auth/me", &lina, None)
        .await;
    let lina_id = me["user"]["id"]
        .as_str()
        .or(me["id"].as_str())
        .unwrap()
        .to_owned();
    client
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{lina_id}"),
            &admin,
            Some(json!({"capacities": {"chat": 1}})),
        )
        .await;
    client
        .send(
            Method::PUT,
            &format!("/api/v1/users/{lina_id}/presence"),
            &lina,
            Some(json!({"state": "available"})),
        )
        .await;
    for (id, _) in &chats {
        let offered = client.until_status(&lina, id, "offered").await;
        assert_eq!(offered["assignee_id"], lina_id.as_str());
        for (other, _) in chats.iter().filter(|(other, _)| other != id) {
            let waiting = client
                .send(
                    Method::GET,
                    &format!("/api/v1/conversations/{other}"),
                    &lina,
                    None,
                )
                .await;
            assert_ne!(
                waiting["status"], "offered",
                "one offer at a time, in order"
            );
        }
        client
            .send(
                Method::POST,
                &format!("/api/v1/conversations/{id}/accept"),
                &lina,
                Some(json!({})),
            )
            .await;
        client
            .send(
                Method::POST,
                &format!("/api/v1/conversations/{id}/resolve"),
                &lina,
                Some(json!({})),
            )
            .await;
    }
}
