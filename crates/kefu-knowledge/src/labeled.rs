//! Labelled question files (`question,intent` CSV) as the evaluation harness and FAQ import
//! read them, with errors that name the line; and turning such rows into FAQ entries.

use crate::error::KnowledgeError;
use crate::matcher::FaqEntry;
use std::io::Read;

/// The intent that marks a question the knowledge base cannot answer.
pub const OUT_OF_SCOPE: &str = "oos";

/// One row: a question and the intent (FAQ) it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labeled {
    pub question: String,
    pub intent: String,
    /// 1-based line of the row in its file.
    pub line: u64,
}

/// Reads a CSV whose header has `question` and `intent` columns (others are ignored; quoted
/// fields may hold commas and newlines). Empty questions or intents are refused by line.
pub fn read_labeled(reader: impl Read) -> Result<Vec<Labeled>, KnowledgeError> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            .ok_or_else(|| KnowledgeError::InvalidCsv {
                line: 1,
                message: format!("the header has no `{name}` column"),
            })
    };
    let (q, i) = (column("question")?, column("intent")?);
    let mut rows = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|e| csv_error(&e, 0))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |index: usize, name: &str| match record.get(index) {
            Some(value) if !value.is_empty() => Ok(value.to_owned()),
            _ => Err(KnowledgeError::InvalidCsv {
                line,
                message: format!("the {name} is empty"),
            }),
        };
        rows.push(Labeled {
            question: field(q, "question")?,
            intent: field(i, "intent")?,
            line,
        });
    }
    Ok(rows)
}

fn csv_error(error: &csv::Error, fallback_line: u64) -> KnowledgeError {
    let line = error.position().map_or(fallback_line, |p| p.line());
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8".to_owned(),
        _ => error.to_string(),
    };
    KnowledgeError::InvalidCsv { line, message }
}

/// Groups rows by intent into FAQ entries (in order of first appearance): the first row is the
/// standard question, the rest are similar questions, and the answer names the intent. Rows
/// marked out of scope are left out: they have no answer.
pub fn entries_from_labeled(rows: &[Labeled]) -> Vec<FaqEntry> {
    let mut entries: Vec<FaqEntry> = Vec::new();
    let mut index: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    for row in rows {
        if row.intent == OUT_OF_SCOPE {
            continue;
        }
        match index.get(row.intent.as_str()) {
            Some(&i) => {
                if let Some(entry) = entries.get_mut(i) {
                    entry.similar.push(row.question.clone());
                }
            }
            None => {
                index.insert(&row.intent, entries.len());
                entries.push(FaqEntry {
                    id: row.intent.clone(),
                    question: row.question.clone(),
                    similar: Vec::new(),
                    answer: row.intent.clone(),
                    language: None,
                });
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn reads_quoted_fields_and_extra_columns() {
        let text =
            "intent,question,note\nrefund,\"money back, please\",x\ntrack,\"where is\nit\",y\n";
        let rows = read_labeled(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].question, "money back, please");
        assert_eq!(rows[1].question, "where is\nit");
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
    }

    #[test]
    fn errors_name_the_line() {
        let missing = "question,intent\nok,a\n,b\n";
        assert_eq!(
            read_labeled(missing.as_bytes()),
            Err(KnowledgeError::InvalidCsv {
                line: 3,
                message: "the question is empty".into()
            })
        );
        let ragged = "question,intent\nok,a\nx,y,z\n";
        let err = read_labeled(ragged.as_bytes()).unwrap_err();
        assert!(
            matches!(err, KnowledgeError::InvalidCsv { line: 3, .. }),
            "{err:?}"
        );
        let header = "q,intent\nok,a\n";
        assert!(matches!(
            read_labeled(header.as_bytes()),
            Err(KnowledgeError::InvalidCsv { line: 1, .. })
        ));
    }

    #[test]
    fn rows_group_into_entries_without_out_of_scope() {
        let rows = read_labeled("question,intent\na1,a\nb1,b\na2,a\nzz,oos\n".as_bytes()).unwrap();
        let entries = entries_from_labeled(&rows);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].question, "a1");
        assert_eq!(entries[0].similar, ["a2"]);
    }
}
