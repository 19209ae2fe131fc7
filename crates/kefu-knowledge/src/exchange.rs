//! FAQ records as editors write them and as CSV / JSONL files carry them: the rules on their
//! fields, parsing with every problem named by line and field, and writing files back losslessly.
//!
//! CSV: a header row names the columns, in any order: `question` and `answer` (required),
//! `category` (a path of names from the top, `售后/退换货`), `tags` (`|`-separated), `language`,
//! `status` (`published`, the default, or `draft`), `variants` (a JSON object of channel →
//! answer) and `similar_questions`: that column, every further column of the same name or with
//! an empty name, and cells beyond the header hold one similar question each. JSONL: one
//! object per line with the same keys (`similar_questions` and `tags` as arrays, `variants` as
//! an object); blank lines are skipped.

use crate::matcher::MAX_QUESTION_CHARS;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Longest answer (Markdown), in characters.
pub const MAX_ANSWER_CHARS: usize = 10_000;
/// Most similar questions one FAQ may have.
pub const MAX_SIMILAR_QUESTIONS: usize = 200;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
/// Deepest category path.
pub const MAX_CATEGORY_DEPTH: usize = 5;
pub const MAX_CATEGORY_CHARS: usize = 100;
pub const MAX_VARIANTS: usize = 10;
/// The most problems one file reports; past it the file is surely not what was meant.
pub const MAX_REPORTED_PROBLEMS: usize = 100;

/// One FAQ as editors and files give it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqRecord {
    pub question: String,
    pub answer: String,
    /// Category path, names separated by `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default)]
    pub similar_questions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `published` (when absent) or `draft`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Channel kind (`web`, `app`, `email`, `wechat`, …) → the answer given there.
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A problem on one line of a file (the line a CSV record starts on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    pub line: u64,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Jsonl,
}

impl FileFormat {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(FileFormat::Csv),
            "jsonl" | "ndjson" => Some(FileFormat::Jsonl),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Jsonl => "application/x-ndjson",
        }
    }
}

fn problem(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        code,
        message: message.into(),
    }
}

fn too_long(field: &str, max: usize) -> Problem {
    problem(
        field,
        "too_long",
        format!("{field} must be at most {max} characters"),
    )
}

/// Whether `tag` looks like a language tag (`zh-CN`, `en`, `zh-Hant-TW`).
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Whether `kind` is a channel kind a variant may be keyed by: `[a-z][a-z0-9_-]{0,31}`.
pub fn is_channel_kind(kind: &str) -> bool {
    let mut chars = kind.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && kind.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The category path's names, trimmed; `None` for no category.
pub fn category_path(category: Option<&str>) -> Vec<String> {
    category
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.split('/').map(|n| n.trim().to_owned()).collect())
        .unwrap_or_default()
}

impl FaqRecord {
    /// Trims every text, drops empty and repeated similar questions and tags, and checks every
    /// field. Normalising twice changes nothing, so an exported file imports to the same FAQs.
    pub fn normalize_and_check(&mut self) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.question = self.question.trim().to_owned();
        if self.question.is_empty() {
            problems.push(problem(
                "question",
                "required",
                "question must not be empty",
            ));
        } else if self.question.chars().count() > MAX_QUESTION_CHARS {
            problems.push(too_long("question", MAX_QUESTION_CHARS));
        }
        if self.answer.trim().is_empty() {
            problems.push(problem("answer", "required", "answer must not be empty"));
        } else if self.answer.chars().count() > MAX_ANSWER_CHARS {
            problems.push(too_long("answer", MAX_ANSWER_CHARS));
        }
        let mut seen = std::collections::HashSet::new();
        seen.insert(self.question.clone());
        let similar = std::mem::take(&mut self.similar_questions);
        for q in similar {
            let q = q.trim().to_owned();
            if !q.is_empty() && seen.insert(q.clone()) {
                self.similar_questions.push(q);
            }
        }
        if self.similar_questions.len() > MAX_SIMILAR_QUESTIONS {
            problems.push(problem(
                "similar_questions",
                "too_many",
                format!("at most {MAX_SIMILAR_QUESTIONS} similar questions"),
            ));
        }
        if self
            .similar_questions
            .iter()
            .any(|q| q.chars().count() > MAX_QUESTION_CHARS)
        {
            problems.push(too_long("similar_questions", MAX_QUESTION_CHARS));
        }
        let path = category_path(self.category.as_deref());
        self.category = (!path.is_empty()).then(|| path.join("/"));
        if path.iter().any(String::is_empty) {
            problems.push(problem(
                "category",
                "invalid_category",
                "a category path is names separated by /, none of them empty",
            ));
        } else if path.len() > MAX_CATEGORY_DEPTH {
            problems.push(problem(
                "category",
                "invalid_category",
                format!("at most {MAX_CATEGORY_DEPTH} levels of categories"),
            ));
        } else if path.iter().any(|n| n.chars().count() > MAX_CATEGORY_CHARS) {
            problems.push(too_long("category", MAX_CATEGORY_CHARS));
        }
        let tags = std::mem::take(&mut self.tags);
        for tag in tags {
            let tag = tag.trim().to_owned();
            if !tag.is_empty() && !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
        if self.tags.len() > MAX_TAGS {
            problems.push(problem(
                "tags",
                "too_many",
                format!("at most {MAX_TAGS} tags"),
            ));
        }
        if self
            .tags
            .iter()
            .any(|t| t.chars().count() > MAX_TAG_CHARS || t.contains('|'))
        {
            problems.push(problem(
                "tags",
                "invalid_tag",
                format!("a tag has at most {MAX_TAG_CHARS} characters and no |"),
            ));
        }
        self.language = self
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        if self
            .language
            .as_deref()
            .is_some_and(|l| !is_language_tag(l))
        {
            problems.push(problem(
                "language",
                "invalid_language",
                "not a language tag such as zh-CN or en",
            ));
        }
        self.status = self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase);
        if !matches!(self.status.as_deref(), None | Some("draft" | "published")) {
            problems.push(problem(
                "status",
                "invalid_status",
                "status is published or draft",
            ));
        }
        if self.variants.len() > MAX_VARIANTS {
            problems.push(problem(
                "variants",
                "too_many",
                format!("at most {MAX_VARIANTS} channel variants"),
            ));
        }
        for (kind, text) in &self.variants {
            let field = format!("variants.{kind}");
            if !is_channel_kind(kind) {
                problems.push(problem(
                    field,
                    "invalid_channel",
                    "a channel kind such as web, app, email or wechat",
                ));
            } else if text.trim().is_empty() {
                problems.push(problem(field, "required", "a variant must not be empty"));
            } else if text.chars().count() > MAX_ANSWER_CHARS {
                problems.push(too_long(&field, MAX_ANSWER_CHARS));
            }
        }
        problems
    }

    /// Whether the record is published (the default) rather than a draft.
    pub fn is_published(&self) -> bool {
        self.status.as_deref() != Some("draft")
    }
}

/// Parses and checks a whole file. Either every record, normalised, with its line; or every
/// problem found (up to [`MAX_REPORTED_PROBLEMS`]), so an import is all or nothing.
pub fn parse_file(
    format: FileFormat,
    bytes: &[u8],
) -> Result<Vec<(u64, FaqRecord)>, Vec<LineProblem>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let (records, mut problems) = match format {
        FileFormat::Csv => read_csv(bytes),
        FileFormat::Jsonl => read_jsonl(bytes),
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut checked = Vec::with_capacity(records.len());
    for (line, mut record) in records {
        for p in record.normalize_and_check() {
            problems.push(LineProblem {
                line,
                field: p.field,
                code: p.code,
                message: p.message,
            });
        }
        if !record.question.is_empty() {
            if let Some(first) = first_line.get(&record.question) {
                problems.push(LineProblem {
                    line,
                    field: "question".into(),
                    code: "duplicate_question",
                    message: format!("the same standard question as line {first}"),
                });
            } else {
                first_line.insert(record.question.clone(), line);
            }
        }
        checked.push((line, record));
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        problems.sort_by_key(|p| p.line);
        problems.truncate(MAX_REPORTED_PROBLEMS);
        Err(problems)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Column {
    Question,
    Answer,
    Category,
    Tags,
    Language,
    Status,
    Variants,
    Similar,
}

fn column(name: &str) -> Option<Column> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "question" => Column::Question,
        "answer" => Column::Answer,
        "category" => Column::Category,
        "tags" => Column::Tags,
        "language" => Column::Language,
        "status" => Column::Status,
        "variants" => Column::Variants,
        "similar_questions" | "similar_question" | "" => Column::Similar,
        _ => return None,
    })
}

fn line_problem(line: u64, field: &str, code: &'static str, message: String) -> LineProblem {
    LineProblem {
        line,
        field: field.to_owned(),
        code,
        message,
    }
}

fn read_csv(bytes: &[u8]) -> (Vec<(u64, FaqRecord)>, Vec<LineProblem>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut rows = reader.byte_records();
    let mut problems = Vec::new();
    let header = match rows.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return (Vec::new(), vec![csv_problem(&e, 1)]),
        None => {
            return (
                Vec::new(),
                vec![line_problem(
                    1,
                    "file",
                    "empty_file",
                    "the file is empty".into(),
                )],
            );
        }
    };
    let mut columns = Vec::new();
    for name in header.iter() {
        let name = String::from_utf8_lossy(name);
        match column(&name) {
            Some(c) => columns.push(c),
            None => problems.push(line_problem(
                1,
                "header",
                "unknown_column",
                format!("unknown column {name:?}"),
            )),
        }
    }
    for needed in [(Column::Question, "question"), (Column::Answer, "answer")] {
        if !columns.contains(&needed.0) {
            problems.push(line_problem(
                1,
                "header",
                "missing_column",
                format!("the header has no `{}` column", needed.1),
            ));
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }
    let mut records = Vec::new();
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                problems.push(csv_problem(&e, 0));
                if problems.len() >= MAX_REPORTED_PROBLEMS {
                    break;
                }
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        if row
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
        {
            continue;
        }
        let mut record = FaqRecord::default();
        for (index, cell) in row.iter().enumerate() {
            let which = columns.get(index).copied().unwrap_or(Column::Similar);
            let Ok(text) = std::str::from_utf8(cell) else {
                problems.push(line_problem(
                    line,
                    "file",
                    "invalid_utf8",
                    "the text is not valid UTF-8".into(),
                ));
                continue;
            };
            let optional = || (!text.trim().is_empty()).then(|| text.to_owned());
            match which {
                Column::Question => record.question = text.to_owned(),
                Column::Answer => record.answer = text.to_owned(),
                Column::Category => record.category = optional(),
                Column::Tags => record.tags = text.split('|').map(str::to_owned).collect(),
                Column::Language => record.language = optional(),
                Column::Status => record.status = optional(),
                Column::Variants if text.trim().is_empty() => {}
                Column::Variants => match serde_json::from_str(text) {
                    Ok(variants) => record.variants = variants,
                    Err(_) => problems.push(line_problem(
                        line,
                        "variants",
                        "invalid_variants",
                        "variants is a JSON object of channel → answer text".into(),
                    )),
                },
                Column::Similar => record.similar_questions.push(text.to_owned()),
            }
        }
        records.push((line, record));
    }
    (records, problems)
}

fn csv_problem(error: &csv::Error, fallback_line: u64) -> LineProblem {
    let line = error.position().map_or(fallback_line, |p| p.line());
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8".to_owned(),
        _ => error.to_string(),
    };
    line_problem(line, "file", "invalid_csv", message)
}

fn read_jsonl(bytes: &[u8]) -> (Vec<(u64, FaqRecord)>, Vec<LineProblem>) {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = index as u64 + 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.push(line_problem(
                line,
                "file",
                "invalid_utf8",
                "the text is not valid UTF-8".into(),
            ));
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<FaqRecord>(text) {
            Ok(record) => records.push((line, record)),
            Err(e) => {
                problems.push(line_problem(
                    line,
                    &json_field(&e),
                    "invalid_json",
                    e.to_string(),
                ));
                if problems.len() >= MAX_REPORTED_PROBLEMS {
                    break;
                }
            }
        }
    }
    (records, problems)
}

/// The field a serde error names (`missing field `answer``), or `line` when it names none.
fn json_field(error: &serde_json::Error) -> String {
    let message = error.to_string();
    message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"))
        .map_or_else(|| "line".to_owned(), str::to_owned)
}

/// Writes records as CSV with as many `similar_questions` columns as the longest list needs.
pub fn write_csv(records: &[FaqRecord]) -> Result<String, csv::Error> {
    let similar_columns = records
        .iter()
        .map(|r| r.similar_questions.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "question", "answer", "category", "tags", "language", "status", "variants",
    ];
    header.extend(std::iter::repeat_n("similar_questions", similar_columns));
    writer.write_record(&header)?;
    for record in records {
        let variants = if record.variants.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&record.variants).unwrap_or_default()
        };
        let mut row = vec![
            record.question.clone(),
            record.answer.clone(),
            record.category.clone().unwrap_or_default(),
            record.tags.join("|"),
            record.language.clone().unwrap_or_default(),
            record.status.clone().unwrap_or_else(|| "published".into()),
            variants,
        ];
        row.extend(record.similar_questions.iter().cloned());
        row.resize(header.len(), String::new());
        writer.write_record(&row)?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes one JSON object per line.
pub fn write_jsonl(records: &[FaqRecord]) -> String {
    let mut out = String::new();
    for record in records {
        if let Ok(line) = serde_json::to_string(record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn record(question: &str) -> FaqRecord {
        FaqRecord {
            question: question.into(),
            answer: "**Markdown**, with \"quotes\",\nand lines".into(),
            category: Some("售后/退换货".into()),
            similar_questions: vec!["a, b".into(), "c|d".into()],
            tags: vec!["x".into(), "y".into()],
            language: Some("zh-CN".into()),
            status: Some("draft".into()),
            variants: BTreeMap::from([("wechat".into(), "微信".into())]),
        }
    }

    #[test]
    fn both_formats_round_trip() {
        let records = vec![
            record("怎么退货"),
            FaqRecord {
                question: "plain".into(),
                answer: "a".into(),
                ..FaqRecord::default()
            },
        ];
        let mut normalized = records.clone();
        for r in &mut normalized {
            assert!(r.normalize_and_check().is_empty());
        }
        for (format, text) in [
            (FileFormat::Csv, write_csv(&normalized).unwrap()),
            (FileFormat::Jsonl, write_jsonl(&normalized)),
        ] {
            let back: Vec<FaqRecord> = parse_file(format, text.as_bytes())
                .unwrap()
                .into_iter()
                .map(|(_, r)| r)
                .collect();
            let mut expected = normalized.clone();
            // CSV always names the status; an absent one means published.
            if format == FileFormat::Csv {
                expected[1].status = Some("published".into());
            }
            assert_eq!(back, expected, "{format:?}: {text}");
        }
    }

    #[test]
    fn csv_similar_questions_fill_the_following_columns() {
        let text = "question,answer,similar_questions\nq1,a1,s1,s2,s3\n\"q2\",a2\n";
        let parsed = parse_file(FileFormat::Csv, text.as_bytes()).unwrap();
        assert_eq!(parsed[0].1.similar_questions, ["s1", "s2", "s3"]);
        assert_eq!(parsed[1].0, 3);
        assert!(parsed[1].1.similar_questions.is_empty());
    }

    #[test]
    fn every_problem_is_named_by_line_and_field() {
        let text = "question,answer,status\nok,fine,\n,missing question,\nq,a,maybe\nok,again,\n";
        let problems = parse_file(FileFormat::Csv, text.as_bytes()).unwrap_err();
        let found: Vec<(u64, &str, &str)> = problems
            .iter()
            .map(|p| (p.line, p.field.as_str(), p.code))
            .collect();
        assert_eq!(
            found,
            [
                (3, "question", "required"),
                (4, "status", "invalid_status"),
                (5, "question", "duplicate_question"),
            ]
        );
        let jsonl = "{\"question\":\"q\",\"answer\":\"a\"}\n\n{\"question\":\"q2\"}\n{\"question\":\"q3\",\"answer\":\"a\",\"colour\":1}\nnot json\n";
        let problems = parse_file(FileFormat::Jsonl, jsonl.as_bytes()).unwrap_err();
        let found: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(found, [(3, "answer"), (4, "colour"), (5, "line")]);
        let header = parse_file(FileFormat::Csv, "question,antwort\nq,a\n".as_bytes()).unwrap_err();
        assert_eq!(header[0].code, "unknown_column");
        assert_eq!(header[1].code, "missing_column");
    }

    #[test]
    fn field_rules() {
        let mut r = record("q");
        r.variants.insert("Web Chat".into(), "x".into());
        r.language = Some("chinese!".into());
        r.category = Some("a//b".into());
        r.tags.push("a|b".into());
        let fields: Vec<String> = r
            .normalize_and_check()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            ["category", "tags", "language", "variants.Web Chat"]
        );
        let mut long = record(&"问".repeat(MAX_QUESTION_CHARS + 1));
        assert_eq!(long.normalize_and_check()[0].code, "too_long");
        let mut dup = record("q");
        dup.similar_questions = vec![" q ".into(), "s".into(), "s".into(), "".into()];
        assert!(dup.normalize_and_check().is_empty());
        assert_eq!(dup.similar_questions, ["s"]);
    }
}
