//! `kefu bot eval`: the evaluation harness on the command line. Reads two `question,intent`
//! CSVs, runs the production matcher and decision rule, and prints one JSON report.

use clap::{Args, Subcommand, ValueEnum};
use kefu_knowledge::{BotSettings, KnowledgeError, MatcherSettings, Report, evaluate};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand)]
pub enum BotCommand {
    /// Score the bot: build a fresh knowledge base from --kb, ask every --questions row.
    Eval(EvalArgs),
}

#[derive(Clone, Copy, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Auto,
    Zh,
    En,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct EvalArgs {
    /// Knowledge base rows `question,intent`: each a similar question of the FAQ `intent`.
    #[arg(long)]
    kb: PathBuf,
    /// Questions `question,intent`; intent `oos` marks questions the bot should hand off.
    #[arg(long)]
    questions: PathBuf,
    /// Language of the data. Analysis follows the script of each word (Han is segmented,
    /// Latin is stemmed), so mixed text works in every mode; `auto` reports what it found.
    #[arg(long, value_enum, default_value = "auto")]
    lang: Lang,
    /// τ: answer when the best match is at least this confident (default 0.5).
    #[arg(long)]
    answer_threshold: Option<f32>,
    /// δ: offer choices when the best two are closer than this (default 0.15).
    #[arg(long)]
    margin: Option<f32>,
}

#[derive(Serialize)]
struct Output {
    lang: Lang,
    #[serde(flatten)]
    report: Report,
}

#[derive(Serialize)]
struct Failure {
    code: &'static str,
    message: String,
}

pub fn run(command: BotCommand) -> ExitCode {
    match command {
        BotCommand::Eval(args) => match eval(&args) {
            Ok(output) => crate::tools::print_json(&output),
            Err(failure) => {
                let json = serde_json::to_string(&failure)
                    .unwrap_or_else(|_| format!("{{\"code\":\"{}\"}}", failure.code));
                eprintln!("{json}");
                ExitCode::from(2)
            }
        },
    }
}

fn eval(args: &EvalArgs) -> Result<Output, Failure> {
    let kb = read(&args.kb)?;
    let questions = read(&args.questions)?;
    let defaults = BotSettings::default();
    let bot = BotSettings {
        answer_threshold: args.answer_threshold.unwrap_or(defaults.answer_threshold),
        margin: args.margin.unwrap_or(defaults.margin),
        ..defaults
    };
    let lang = match args.lang {
        Lang::Auto => detect(&kb),
        chosen => chosen,
    };
    let clock = Instant::now();
    let report = evaluate(
        &kb,
        &questions,
        &[],
        MatcherSettings::default(),
        &bot,
        || clock.elapsed().as_secs_f64(),
    )
    .map_err(|e| Failure {
        code: e.code(),
        message: e.to_string(),
    })?;
    Ok(Output { lang, report })
}

fn read(path: &Path) -> Result<Vec<kefu_knowledge::Labeled>, Failure> {
    let file = std::fs::File::open(path).map_err(|err| Failure {
        code: "input_unreadable",
        message: format!("cannot read {}: {err}", path.display()),
    })?;
    kefu_knowledge::read_labeled(std::io::BufReader::new(file)).map_err(|e| Failure {
        code: e.code(),
        message: match e {
            KnowledgeError::InvalidCsv { .. } => format!("{}: {e}", path.display()),
            other => other.to_string(),
        },
    })
}

/// Chinese when most letters of the knowledge base are Han characters.
fn detect(rows: &[kefu_knowledge::Labeled]) -> Lang {
    let (mut han, mut other) = (0usize, 0usize);
    for row in rows {
        for c in row.question.chars().filter(|c| c.is_alphanumeric()) {
            if kefu_knowledge::text::is_han(c) {
                han += 1;
            } else {
                other += 1;
            }
        }
    }
    if han >= other { Lang::Zh } else { Lang::En }
}
