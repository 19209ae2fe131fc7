//! `kefu kb import` / `kefu kb export`: a tenant's FAQs from and to CSV or JSONL files, straight
//! against the database like `migrate` and `demo`, with a progress bar on large imports.

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use kefu_knowledge::exchange::{self, FileFormat};
use kefu_store::{Actor, Store};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum KbCommand {
    /// Create or update a tenant's FAQs from a file, all or nothing (same standard question →
    /// updated). Problems are printed by line and nothing is imported.
    Import(ImportArgs),
    /// Write every FAQ of a tenant (drafts too) to a file that imports back to the same FAQs.
    Export(ExportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The CSV or JSONL file (columns: question,answer,category,tags,language,status,variants,
    /// similar_questions…; see the API docs of POST /api/v1/kb/import).
    #[arg(long)]
    file: PathBuf,
    /// The file's format; by default from its extension (.jsonl / .ndjson, else CSV).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The tenant's slug.
    #[arg(long)]
    tenant: String,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    #[arg(long)]
    tenant: String,
    /// Where to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn file_format(format: Option<Format>, path: &Path) -> FileFormat {
    match format {
        Some(Format::Csv) => FileFormat::Csv,
        Some(Format::Jsonl) => FileFormat::Jsonl,
        None => path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(FileFormat::parse)
            .unwrap_or(FileFormat::Csv),
    }
}

async fn tenant(store: &Store, slug: &str) -> anyhow::Result<kefu_store::Tenant> {
    match store.tenant_by_slug(slug).await? {
        Some(tenant) => Ok(tenant),
        None => bail!("no tenant with the slug {slug:?}"),
    }
}

/// Imports below this many FAQs finish before a bar would be worth drawing.
const PROGRESS_FROM: usize = 200;

/// A one-line progress bar on standard error, redrawn at each whole percent.
struct Progress {
    total: usize,
    shown: usize,
    terminal: bool,
}

impl Progress {
    fn update(&mut self, done: usize) {
        let percent = done * 100 / self.total.max(1);
        if self.total < PROGRESS_FROM || (percent == self.shown && done != self.total) {
            return;
        }
        self.shown = percent;
        let filled = percent * 30 / 100;
        let bar = format!(
            "[{}{}] {percent:>3}% {done}/{} FAQs",
            "#".repeat(filled),
            "-".repeat(30 - filled),
            self.total
        );
        let mut err = std::io::stderr().lock();
        // Off a terminal (CI logs), one line per tenth instead of redrawing.
        if self.terminal {
            let _ = write!(err, "\r{bar}");
            if done == self.total {
                let _ = writeln!(err);
            }
        } else if percent.is_multiple_of(10) {
            let _ = writeln!(err, "{bar}");
        }
    }
}

pub async fn import(store: &Store, args: ImportArgs) -> anyhow::Result<()> {
    let tenant_id = tenant(store, &args.tenant).await?.id;
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let format = file_format(args.format, &args.file);
    let records = match exchange::parse_file(format, &bytes) {
        Ok(records) => records,
        Err(problems) => {
            for p in &problems {
                eprintln!("line {}: {}: {} ({})", p.line, p.field, p.message, p.code);
            }
            bail!(
                "{} problem(s) in {}; nothing was imported",
                problems.len(),
                args.file.display()
            );
        }
    };
    let faqs: Vec<_> = records
        .into_iter()
        .map(|(_, record)| kefu_server::routes::knowledge::import_faq(record))
        .collect();
    let mut progress = Progress {
        total: faqs.len(),
        shown: usize::MAX,
        terminal: std::io::stderr().is_terminal(),
    };
    let outcome = store
        .import_faqs(tenant_id, faqs, &Actor::system(), &mut |done| {
            progress.update(done)
        })
        .await
        .context("importing (nothing was imported)")?;
    println!(
        "{} created, {} updated, {} categories created",
        outcome.created, outcome.updated, outcome.categories_created
    );
    Ok(())
}

pub async fn export(store: &Store, args: ExportArgs) -> anyhow::Result<()> {
    let tenant_id = tenant(store, &args.tenant).await?.id;
    let format = file_format(Some(args.format), Path::new(""));
    let faqs = store.all_faqs(tenant_id).await?;
    let categories = store.kb_categories(tenant_id).await?;
    let text = kefu_server::routes::knowledge::export_text(format, &faqs, &categories)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match args.out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}
