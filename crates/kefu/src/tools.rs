//! The offline subcommands: `kefu wfm …` (Erlang staffing and shift schedules) and `kefu sim`
//! (the routing simulator). Each prints one JSON object on stdout; a rejected input prints
//! `{"code","message"}` on stderr and exits with status 2, so scripts can tell the two apart.

use clap::{Args, Subcommand};
use kefu_routing::Strategy;
use kefu_routing::sim::{self, SimConfig};
use kefu_wfm::{ErlangBInput, ErlangCInput, ScheduleInput};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum WfmCommand {
    /// Fewest agents meeting a service level under Erlang C (M/M/N, no abandonment).
    ErlangC(ErlangCArgs),
    /// Fewest agents meeting a service level under Erlang A (M/M/N+M, customers abandon).
    ErlangA(ErlangAArgs),
    /// Blocking probability of N lines offered A Erlangs (Erlang B).
    ErlangB(ErlangBArgs),
    /// Solve a shift schedule exactly (integer programming) from a JSON question.
    Schedule(ScheduleArgs),
}

// Negative numbers are accepted as values so that the library rejects them with its own code.
#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct StaffingArgs {
    /// Contacts offered in the interval.
    #[arg(long)]
    calls: f64,
    /// Length of the interval in seconds (e.g. 1800).
    #[arg(long)]
    interval_secs: f64,
    /// Average handle time in seconds.
    #[arg(long)]
    aht_secs: f64,
    /// Service-level threshold T in seconds.
    #[arg(long)]
    target_secs: f64,
    /// Required fraction answered within T, in (0, 1).
    #[arg(long)]
    service_level: f64,
    /// Highest occupancy allowed, in (0, 1].
    #[arg(long)]
    max_occupancy: Option<f64>,
    /// Fraction of paid time not on the phones, in [0, 1).
    #[arg(long)]
    shrinkage: Option<f64>,
}

#[derive(Args)]
pub struct ErlangCArgs {
    #[command(flatten)]
    staffing: StaffingArgs,
}

#[derive(Args)]
pub struct ErlangAArgs {
    #[command(flatten)]
    staffing: StaffingArgs,
    /// Mean customer patience in seconds before abandoning.
    #[arg(long)]
    patience_secs: f64,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct ErlangBArgs {
    /// Offered traffic in Erlangs.
    #[arg(long)]
    traffic: f64,
    /// Number of lines (trunks).
    #[arg(long)]
    lines: u32,
}

#[derive(Args)]
pub struct ScheduleArgs {
    /// The question as JSON: days, periods_per_day, required, shifts, objective, …
    /// (`-` reads standard input).
    #[arg(long)]
    input: PathBuf,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct SimArgs {
    /// Identical agents staffing the one queue.
    #[arg(long)]
    agents: u32,
    /// Poisson arrival rate.
    #[arg(long)]
    arrivals_per_hour: f64,
    /// Mean of the exponential handle time, in seconds.
    #[arg(long)]
    aht_secs: f64,
    /// Service-level threshold T in seconds.
    #[arg(long)]
    sl_threshold_secs: f64,
    /// Simulated hours.
    #[arg(long)]
    hours: f64,
    /// Seed of the random streams: the same seed gives the same report.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Mean customer patience (exponential); without it nobody abandons.
    #[arg(long)]
    patience_secs: Option<f64>,
    /// Agent selection: longest-idle, least-occupied, best-proficiency, round-robin or random.
    #[arg(long, default_value = "longest-idle")]
    strategy: String,
}

/// A rejected input, printed as the API prints its errors.
#[derive(Serialize)]
struct Failure {
    code: &'static str,
    message: String,
}

pub fn run_wfm(command: WfmCommand) -> ExitCode {
    match command {
        WfmCommand::ErlangC(args) => {
            let input = erlang_c_input(&args.staffing);
            emit(kefu_wfm::staff_erlang_c(&input), |e| e.code())
        }
        WfmCommand::ErlangA(args) => {
            let input = erlang_c_input(&args.staffing).with_patience(args.patience_secs);
            emit(kefu_wfm::staff_erlang_a(&input), |e| e.code())
        }
        WfmCommand::ErlangB(args) => {
            let input = ErlangBInput {
                traffic: args.traffic,
                lines: args.lines,
            };
            emit(kefu_wfm::erlang_b_blocking(&input), |e| e.code())
        }
        WfmCommand::Schedule(args) => match read_schedule(&args.input) {
            Ok(input) => emit(kefu_wfm::solve_schedule(&input), |e| e.code()),
            Err(failure) => fail(&failure),
        },
    }
}

pub fn run_sim(args: SimArgs) -> ExitCode {
    let strategy = match args.strategy.parse::<Strategy>() {
        Ok(strategy) => strategy,
        Err(err) => {
            return fail(&Failure {
                code: "unknown_strategy",
                message: err.to_string(),
            });
        }
    };
    let config = SimConfig::single_queue(
        args.agents,
        args.arrivals_per_hour,
        args.aht_secs,
        args.sl_threshold_secs,
        args.hours,
        args.seed,
        args.patience_secs,
        strategy,
    );
    emit(sim::run(&config), |e| e.code())
}

fn erlang_c_input(args: &StaffingArgs) -> ErlangCInput {
    ErlangCInput {
        calls: args.calls,
        interval_secs: args.interval_secs,
        aht_secs: args.aht_secs,
        target_secs: args.target_secs,
        service_level: args.service_level,
        max_occupancy: args.max_occupancy,
        shrinkage: args.shrinkage,
    }
}

fn read_schedule(path: &PathBuf) -> Result<ScheduleInput, Failure> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|err| Failure {
        code: "input_unreadable",
        message: format!("cannot read {}: {err}", path.display()),
    })?;
    serde_json::from_str(&text).map_err(|err| Failure {
        code: "invalid_input",
        message: format!("{}: {err}", path.display()),
    })
}

fn emit<T: Serialize, E: std::fmt::Display>(
    result: Result<T, E>,
    code: impl Fn(&E) -> &'static str,
) -> ExitCode {
    match result {
        Ok(output) => print_json(&output),
        Err(err) => fail(&Failure {
            code: code(&err),
            message: err.to_string(),
        }),
    }
}

/// Prints one JSON object on stdout.
pub fn print_json<T: Serialize>(output: &T) -> ExitCode {
    match serde_json::to_string(output) {
        Ok(json) => {
            // A closed pipe (`kefu wfm … | head`) is the reader's choice, not a failure.
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{json}") {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            }
        }
        Err(err) => fail(&Failure {
            code: "internal",
            message: err.to_string(),
        }),
    }
}

fn fail(failure: &Failure) -> ExitCode {
    let json = serde_json::to_string(failure)
        .unwrap_or_else(|_| format!("{{\"code\":\"{}\"}}", failure.code));
    eprintln!("{json}");
    ExitCode::from(2)
}
