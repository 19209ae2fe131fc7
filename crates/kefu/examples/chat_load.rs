//! Load generator for live conversations: starts a real `kefu serve --demo` (release build) on
//! 127.0.0.1, holds visitor and agent WebSockets, sends customer messages over HTTP at a fixed
//! rate, and measures the delay until each message reaches an agent's socket (it is persisted
//! before it is sent), plus the server's memory. Bounded in connections and time; stops itself.
//!
//! cargo build --release -p kefu && cargo run --release -p kefu --example chat_load -- \
//!     --visitors 10000 --agents 20 --rate 5000 --secs 20 [--database-url postgres://…]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message as Frame;

struct Args {
    kefu: String,
    visitors: usize,
    agents: usize,
    rate: u64,
    secs: u64,
    database_url: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        kefu: "target/release/kefu".into(),
        visitors: 1000,
        agents: 10,
        rate: 1000,
        secs: 10,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--kefu" => args.kefu = value,
            "--visitors" => args.visitors = value.parse().unwrap(),
            "--agents" => args.agents = value.parse().unwrap(),
            "--rate" => args.rate = value.parse().unwrap(),
            "--secs" => args.secs = value.parse::<u64>().unwrap().min(120),
            "--database-url" => args.database_url = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// POSTs JSON (with an optional bearer token) and returns the JSON answer.
async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(ws: &str, path: &str, token: &str) -> Socket {
    let url = format!("{ws}{path}?token={token}");
    let mut socket = tokio_tungstenite::connect_async(url).await.unwrap().0;
    // Wait for the "live" marker: the socket is caught up and following.
    loop {
        if let Some(Ok(Frame::Text(text))) = socket.next().await
            && text.contains("\"live\"")
        {
            return socket;
        }
    }
}

#[tokio::main]
async fn main() {
    let args = args();
    let data_dir = std::env::temp_dir().join(format!("kefu-load-{}", std::process::id()));
    let mut command = Command::new(&args.kefu);
    command
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env("KEFU_LOG_LEVEL", "warn")
        // Every agent socket here is the same signed-in agent: let it open as many as asked.
        .env("KEFU_MAX_SOCKETS_PER_CLIENT", (args.agents + 1).to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = &args.database_url {
        command.args(["--database-url", url]);
    }
    let mut server = command
        .spawn()
        .expect("run the kefu binary (cargo build --release -p kefu)");
    let pid = server.id();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let (mut url, mut inbox) = (String::new(), String::new());
    while inbox.is_empty() {
        let line = lines.next().expect("kefu exited").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            url = rest.split_whitespace().next().unwrap().to_owned();
        }
        if let Some(rest) = line.split("?inbox=").nth(1) {
            inbox = rest.trim().to_owned();
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let ws = url.replacen("http", "ws", 1);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let rss_start = rss_kib(pid);

    let credentials = json!({"email": "lina@demo.kefu.dev", "password": "kefu-demo-2026"});
    let login = post(&http, format!("{url}/api/v1/auth/login"), None, credentials).await;
    let agent_token = login["token"].as_str().unwrap().to_owned();

    // Visitors: a session, a conversation and a socket each.
    let setup = Instant::now();
    let mut visitors = Vec::with_capacity(args.visitors);
    let mut visitor_sockets = Vec::with_capacity(args.visitors);
    for chunk in (0..args.visitors).collect::<Vec<_>>().chunks(200) {
        let made = futures_util::future::join_all(chunk.iter().map(|_| async {
            let session_url = format!("{url}/api/v1/widget/{inbox}/session");
            let session = post(&http, session_url, None, json!({})).await;
            let token = session["visitor_token"].as_str().unwrap().to_owned();
            let conversations_url = format!("{url}/api/v1/widget/conversations");
            let conversation = post(&http, conversations_url, Some(&token), json!({})).await;
            let socket = open(&ws, "/api/v1/widget/stream", &token).await;
            (
                token,
                conversation["id"].as_str().unwrap().to_owned(),
                socket,
            )
        }))
        .await;
        for (token, conversation, socket) in made {
            visitors.push((token, conversation));
            visitor_sockets.push(socket);
        }
    }
    let mut agent_sockets = Vec::new();
    for _ in 0..args.agents {
        agent_sockets.push(open(&ws, "/api/v1/stream", &agent_token).await);
    }
    let connections = visitor_sockets.len() + agent_sockets.len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_connected = rss_kib(pid);
    eprintln!(
        "setup: {connections} sockets in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    // Every agent socket receives every message; latency is measured on all of them.
    let latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    for mut socket in agent_sockets {
        let (latencies, delivered) = (latencies.clone(), delivered.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let Frame::Text(text) = frame else { continue };
                let received = now_micros();
                let event: Value = serde_json::from_str(&text).unwrap_or_default();
                if event["kind"] != "message.created" {
                    continue;
                }
                let body = event["payload"]["message"]["body"].as_str().unwrap_or("");
                if let Some(sent) = body.strip_prefix("t=").and_then(|t| t.parse::<u64>().ok()) {
                    latencies.lock().await.push(received.saturating_sub(sent));
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    // Visitors read their own sockets so the server never blocks on them.
    for mut socket in visitor_sockets {
        tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} });
    }

    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let total = args.rate * args.secs;
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate.max(1)));
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    for i in 0..total {
        ticker.tick().await;
        let (token, conversation) = visitors[i as usize % visitors.len()].clone();
        let (http, url, sent, failed) = (http.clone(), url.clone(), sent.clone(), failed.clone());
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        tokio::spawn(async move {
            let body =
                json!({"body": format!("t={}", now_micros()), "client_msg_id": format!("m{i}")});
            let ok = http
                .post(format!(
                    "{url}/api/v1/widget/conversations/{conversation}/messages"
                ))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                sent.fetch_add(1, Ordering::Relaxed)
            } else {
                failed.fetch_add(1, Ordering::Relaxed)
            };
            drop(permit);
        });
    }
    let _ = in_flight.acquire_many(512).await;
    let send_secs = started.elapsed().as_secs_f64();
    let expected = sent.load(Ordering::Relaxed) * args.agents as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_end = rss_kib(pid);
    let mut all = latencies.lock().await.clone();
    all.sort_unstable();
    let report = json!({
        "backend": if args.database_url.is_some() { "postgres" } else { "sqlite" },
        "connections_held": connections,
        "visitor_sockets": args.visitors,
        "agent_sockets": args.agents,
        "messages_sent": sent.load(Ordering::Relaxed),
        "messages_failed": failed.load(Ordering::Relaxed),
        "send_secs": (send_secs * 10.0).round() / 10.0,
        "messages_per_sec": (sent.load(Ordering::Relaxed) as f64 / send_secs).round(),
        "deliveries": delivered.load(Ordering::Relaxed),
        "deliveries_expected": expected,
        "latency_ms_p50": percentile(&all, 0.50),
        "latency_ms_p99": percentile(&all, 0.99),
        "latency_ms_max": percentile(&all, 1.0),
        "server_rss_mib_start": rss_start / 1024,
        "server_rss_mib_connected": rss_connected / 1024,
        "server_rss_mib_end": rss_end / 1024,
        "server_kib_per_connection": (rss_connected.saturating_sub(rss_start)) as f64 / connections as f64,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data_dir);
}
