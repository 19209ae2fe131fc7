//! The `kefu` binary: the command line in front of the server, the store and the cores.
//! `serve` runs the platform, `migrate` and `demo` prepare a database, and the other
//! subcommands expose the routing simulator, workforce math and the bot's evaluation.

mod bot;
mod config;
mod kb;
mod tools;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use config::{Config, LogFormat, Overrides};
use kefu_server::{AppState, ServerConfig, demo};
use kefu_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "kefu",
    version,
    about = "kefu 客服: an open-source contact center in one binary"
)]
struct Cli {
    /// A kefu.toml to read (default: ./kefu.toml when it exists).
    #[arg(long, global = true, env = "KEFU_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    overrides: OverrideArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct OverrideArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, global = true)]
    listen: Option<SocketAddr>,
    /// Directory of the embedded SQLite database (default ./kefu-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrations are applied first).
    Serve {
        /// Also seed the demo tenant "Demo Shop / 演示商城" and print its logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Seed the demo tenant (idempotent) and print its logins.
    Demo,
    /// Print the version.
    Version,
    /// Workforce math: Erlang B/C/A staffing and shift schedules (prints JSON).
    Wfm {
        #[command(subcommand)]
        command: tools::WfmCommand,
    },
    /// Simulate one queue with the real router and report service level, ASA, abandonment.
    Sim(tools::SimArgs),
    /// The knowledge base: `kefu kb import --tenant demo --file faqs.csv`, `kefu kb export`.
    Kb {
        #[command(subcommand)]
        command: kb::KbCommand,
    },
    /// The service bot: `kefu bot eval` scores the matcher and decision rule (prints JSON).
    Bot {
        #[command(subcommand)]
        command: bot::BotCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("kefu {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Wfm { command } => tools::run_wfm(command),
        Command::Sim(args) => tools::run_sim(args),
        Command::Bot { command } => bot::run(command),
        command => match run_platform(cli.config, cli.overrides, command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("Error: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The commands that need configuration, logging and a database.
fn run_platform(
    config_path: Option<PathBuf>,
    overrides: OverrideArgs,
    command: Command,
) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: overrides.listen,
        data_dir: overrides.data_dir,
        database_url: overrides.database_url,
        log_format: overrides.log_format,
    };
    let config = Config::load(config_path.as_deref(), &overrides)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    init_logging(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(command, config))
}

fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .context("log_level is not a valid filter")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    Ok(())
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    }
    let store = Store::connect(&config.database_url())
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    tracing::debug!(?config, "configuration");
    match command {
        Command::Migrate => {
            open_store(&config).await?.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => {
            let store = open_store(&config).await?;
            seed_demo(&store).await?;
            print_demo_logins(None);
            store.close().await;
            Ok(())
        }
        Command::Serve { demo } => serve(config, demo).await,
        Command::Kb { command } => {
            let store = open_store(&config).await?;
            let result = match command {
                kb::KbCommand::Import(args) => kb::import(&store, args).await,
                kb::KbCommand::Export(args) => kb::export(&store, args).await,
            };
            store.close().await;
            result
        }
        Command::Version | Command::Wfm { .. } | Command::Sim(_) | Command::Bot { .. } => Ok(()),
    }
}

async fn seed_demo(store: &Store) -> anyhow::Result<demo::Seeded> {
    let seeded = demo::seed(store).await.context("seeding the demo tenant")?;
    tracing::info!(created = seeded.created, "demo tenant ready");
    Ok(seeded)
}

fn print_demo_logins(url: Option<&str>) {
    println!(
        "Demo tenant \"Demo Shop / 演示商城\" (slug {}); every demo login uses the password {}",
        demo::DEMO_SLUG,
        demo::DEMO_PASSWORD
    );
    for login in demo::logins() {
        println!(
            "  {:<11} {:<26} {}",
            login.role.as_str(),
            login.email,
            login.name
        );
    }
    if let Some(url) = url {
        println!("Sign in at {url}/ · API docs at {url}/api/docs · try:");
        println!(
            "  curl -s {url}/api/v1/auth/login -H 'content-type: application/json' -d '{{\"email\":\"admin@demo.kefu.dev\",\"password\":\"{}\"}}'",
            demo::DEMO_PASSWORD
        );
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    // Checked (TLS files read) before anything listens, so a bad setting never looks started.
    let mail = config.mail().map_err(anyhow::Error::msg)?;
    let public_url = config.public_url()?;
    let store = open_store(&config).await?;
    let seeded = if demo {
        Some(seed_demo(&store).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let url = format!("http://{address}");
    println!(
        "kefu {} listening on {url} ({:?} database)",
        env!("CARGO_PKG_VERSION"),
        store.backend()
    );
    if let Some(smtp) = config.smtp_listen {
        let tls = match (config.smtp_tls_cert.is_some(), config.smtp_require_tls) {
            (true, true) => ", STARTTLS required",
            (true, false) => ", STARTTLS offered",
            (false, _) => "",
        };
        println!("Inbound mail (SMTP) on {smtp}{tls}");
    }
    if let Some(seeded) = seeded {
        print_demo_logins(Some(&url));
        if let (Some(mailbox), Some(smtp)) = (&seeded.mailbox, config.smtp_listen) {
            println!(
                "Email the demo: swaks --server {smtp} --to {} --from you@example.com",
                mailbox.address
            );
        }
        if let Some(inbox) = seeded.inbox {
            println!("Chat as a customer: {url}/demo.html?inbox={}", inbox.id);
        }
        if let Some(inbox) = seeded.bot_inbox {
            println!(
                "Chat with the service bot: {url}/demo.html?inbox={}",
                inbox.id
            );
        }
    }
    let server_config = ServerConfig {
        session_ttl: Duration::from_secs(u64::from(config.session_ttl_hours.max(1)) * 3600),
        secure_cookies: config.secure_cookies,
        trust_forwarded_for: config.trust_forwarded_for,
        max_body_bytes: config.max_body_bytes,
        routing: kefu_server::routing::RoutingSettings {
            offer_timeout: Duration::from_secs(u64::from(config.offer_timeout_secs.max(1))),
            max_missed_offers: config.max_missed_offers,
        },
        disconnect_grace: Duration::from_secs(u64::from(config.disconnect_grace_secs)),
        max_sockets: config.max_sockets as usize,
        max_sockets_per_client: config.max_sockets_per_client as usize,
        ticket_auto_close: (config.ticket_auto_close_days > 0)
            .then(|| Duration::from_secs(u64::from(config.ticket_auto_close_days) * 24 * 3600)),
        left_message_ticket_after: (config.left_message_ticket_secs > 0)
            .then(|| Duration::from_secs(u64::from(config.left_message_ticket_secs))),
        // Each tenant sets its own wait (`pending_solve_hours`, 0 never); once a minute is
        // close enough for a rule counted in hours.
        pending_solve_check: Some(Duration::from_secs(60)),
        // Report schedules are set to the minute; twice a minute sends within 30 s of it.
        report_schedule_check: Some(Duration::from_secs(30)),
        webhooks: kefu_server::webhooks::WebhookSettings {
            allow_private_targets: config.webhook_allow_private_targets,
            ..Default::default()
        },
        mail,
        public_url,
    };
    kefu_server::serve(
        listener,
        AppState::new(store.clone(), server_config),
        shutdown_signal(),
    )
    .await
    .context("serving HTTP")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; the server then drains in-flight requests.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
