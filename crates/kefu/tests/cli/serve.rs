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
        let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
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
        Server {
            child,
            url,
            chat_page,
            data_dir,
        }
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
