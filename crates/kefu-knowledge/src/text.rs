//! Text analysis shared by training and matching: Unicode folding, Han segmentation (jieba plus
//! the tenant's vocabulary), English stemming, synonyms mapped to one canonical term, stop words.

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use unicode_normalization::UnicodeNormalization;

/// The embedded jieba dictionary takes a noticeable moment to load, so every analyser shares one
/// immutable copy; tenant words never go into it (they are matched before jieba sees the text).
pub(crate) fn shared_jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// What a token is made of; the feature extractor treats Han and Latin text differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Han,
    Word,
    Number,
}

/// One analysed token: `term` is what word features use (stemmed, or a synonym's canonical
/// term); `surface` is the folded text that character n-grams are cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    pub surface: String,
    pub kind: TokenKind,
}

/// A tenant's domain terms: each entry is one canonical term and the words that mean the same.
/// Han terms are kept whole by the segmenter; all of them are rewritten to the canonical term.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabEntry {
    pub term: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
}

/// Folds full-width forms to half-width (NFKC) and lower-cases, so "ＡＢＣ１２３" is "abc123".
pub fn normalize(text: &str) -> String {
    text.nfkc().flat_map(char::to_lowercase).collect()
}

/// CJK unified ideographs and their extensions and compatibility block.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF
        | 0x2A700..=0x2EBEF | 0x30000..=0x3134F)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

// Small on purpose: TF-IDF already discounts common words, and short questions lose meaning fast.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "am", "be", "to", "of", "and", "or", "in", "on", "at", "for",
    "it", "this", "that", "do", "does", "please", "pls", "can", "could", "would", "i", "me", "my",
    "you", "your", "we", "的", "了", "吗", "呢", "吧", "啊", "呀", "嘛", "哦", "我", "你", "您",
    "请问", "请", "一下", "是", "在", "有", "就", "都", "也", "和", "么",
];

/// Turns text into tokens. Cheap to clone (shares its tables), `Send + Sync`.
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<Tables>,
}

struct Tables {
    stemmer: Stemmer,
    stop_words: Option<FxHashSet<&'static str>>,
    /// Tenant Han words, longest first matched before jieba.
    custom_han: FxHashSet<String>,
    custom_max_chars: usize,
    /// Token-term sequences (length ≥ 1) rewritten to one canonical term.
    synonyms: FxHashMap<Vec<String>, String>,
    synonym_max_len: usize,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("custom_words", &self.inner.custom_han.len())
            .field("synonyms", &self.inner.synonyms.len())
            .finish()
    }
}

impl Analyzer {
    pub fn new(vocabulary: &[VocabEntry], stop_words: bool) -> Self {
        let mut tables = Tables {
            stemmer: Stemmer::create(Algorithm::English),
            stop_words: stop_words.then(|| STOP_WORDS.iter().copied().collect()),
            custom_han: FxHashSet::default(),
            custom_max_chars: 0,
            synonyms: FxHashMap::default(),
            synonym_max_len: 0,
        };
        // Han terms first, so that the sequences below are segmented the way queries will be.
        for entry in vocabulary {
            for word in std::iter::once(&entry.term).chain(&entry.synonyms) {
                let folded = normalize(word.trim());
                if !folded.is_empty() && folded.chars().all(is_han) {
                    tables.custom_max_chars = tables.custom_max_chars.max(folded.chars().count());
                    tables.custom_han.insert(folded);
                }
            }
        }
        let base = Analyzer {
            inner: Arc::new(tables),
        };
        let mut synonyms = FxHashMap::default();
        let mut max_len = 0;
        for entry in vocabulary {
            let canonical = normalize(entry.term.trim());
            if canonical.is_empty() {
                continue;
            }
            for word in std::iter::once(&entry.term).chain(&entry.synonyms) {
                let sequence: Vec<String> =
                    base.raw_tokens(word).into_iter().map(|t| t.term).collect();
                if !sequence.is_empty() {
                    max_len = usize::max(max_len, sequence.len());
                    synonyms.insert(sequence, canonical.clone());
                }
            }
        }
        let mut tables = match Arc::try_unwrap(base.inner) {
            Ok(tables) => tables,
            // Unreachable: `base` was never cloned; rebuild rather than panic.
            Err(shared) => Tables {
                stemmer: Stemmer::create(Algorithm::English),
                stop_words: shared.stop_words.clone(),
                custom_han: shared.custom_han.clone(),
                custom_max_chars: shared.custom_max_chars,
                synonyms: FxHashMap::default(),
                synonym_max_len: 0,
            },
        };
        tables.synonyms = synonyms;
        tables.synonym_max_len = max_len;
        Analyzer {
            inner: Arc::new(tables),
        }
    }

    /// Tokens after synonym rewriting and stop-word removal.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let raw = self.raw_tokens(text);
        let rewritten = self.apply_synonyms(raw);
        match &self.inner.stop_words {
            Some(stop) => {
                let kept: Vec<Token> = rewritten
                    .iter()
                    .filter(|t| !stop.contains(t.term.as_str()))
                    .cloned()
                    .collect();
                // A question made only of stop words ("我的呢") still means something.
                if kept.is_empty() { rewritten } else { kept }
            }
            None => rewritten,
        }
    }

    fn raw_tokens(&self, text: &str) -> Vec<Token> {
        let folded = normalize(text);
        let mut tokens = Vec::new();
        let mut run = String::new();
        let mut run_is_han = false;
        for c in folded.chars() {
            let han = is_han(c);
            if han || is_word_char(c) {
                if !run.is_empty() && han != run_is_han {
                    self.flush(&run, run_is_han, &mut tokens);
                    run.clear();
                }
                run_is_han = han;
                run.push(c);
            } else if c == '\'' && !run.is_empty() && !run_is_han {
                // "don't" and "order's" stay one word.
            } else if !run.is_empty() {
                self.flush(&run, run_is_han, &mut tokens);
                run.clear();
            }
        }
        if !run.is_empty() {
            self.flush(&run, run_is_han, &mut tokens);
        }
        tokens
    }

    fn flush(&self, run: &str, han: bool, out: &mut Vec<Token>) {
        if han {
            self.segment_han(run, out);
        } else if run.chars().all(|c| c.is_ascii_digit()) {
            out.push(Token {
                term: run.to_owned(),
                surface: run.to_owned(),
                kind: TokenKind::Number,
            });
        } else {
            out.push(Token {
                term: self.inner.stemmer.stem(run).into_owned(),
                surface: run.to_owned(),
                kind: TokenKind::Word,
            });
        }
    }

    /// Forward longest match on the tenant's words, jieba on the text between them.
    fn segment_han(&self, run: &str, out: &mut Vec<Token>) {
        let chars: Vec<(usize, char)> = run.char_indices().collect();
        let tables = &self.inner;
        let mut pending_start = 0usize;
        let mut i = 0usize;
        while i < chars.len() {
            let mut matched = 0;
            if tables.custom_max_chars > 0 {
                let longest = tables.custom_max_chars.min(chars.len() - i);
                for len in (1..=longest).rev() {
                    let end = chars.get(i + len).map_or(run.len(), |&(b, _)| b);
                    let start = chars.get(i).map_or(run.len(), |&(b, _)| b);
                    if run
                        .get(start..end)
                        .is_some_and(|w| tables.custom_han.contains(w))
                    {
                        matched = len;
                        break;
                    }
                }
            }
            if matched == 0 {
                i += 1;
                continue;
            }
            let start = chars.get(i).map_or(run.len(), |&(b, _)| b);
            let end = chars.get(i + matched).map_or(run.len(), |&(b, _)| b);
            push_jieba(run.get(pending_start..start).unwrap_or(""), out);
            let word = run.get(start..end).unwrap_or("").to_owned();
            out.push(Token {
                term: word.clone(),
                surface: word,
                kind: TokenKind::Han,
            });
            i += matched;
            pending_start = end;
        }
        push_jieba(run.get(pending_start..).unwrap_or(""), out);
    }

    fn apply_synonyms(&self, tokens: Vec<Token>) -> Vec<Token> {
        let tables = &self.inner;
        if tables.synonyms.is_empty() {
            return tokens;
        }
        let mut out = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let longest = tables.synonym_max_len.min(tokens.len() - i);
            let mut replaced = false;
            for len in (1..=longest).rev() {
                let key: Vec<String> = tokens[i..i + len].iter().map(|t| t.term.clone()).collect();
                if let Some(canonical) = tables.synonyms.get(&key) {
                    let kind = if canonical.chars().any(is_han) {
                        TokenKind::Han
                    } else {
                        TokenKind::Word
                    };
                    out.push(Token {
                        term: canonical.clone(),
                        surface: canonical.clone(),
                        kind,
                    });
                    i += len;
                    replaced = true;
                    break;
                }
            }
            if !replaced {
                out.push(tokens[i].clone());
                i += 1;
            }
        }
        out
    }
}

fn push_jieba(text: &str, out: &mut Vec<Token>) {
    if text.is_empty() {
        return;
    }
    for token in shared_jieba().cut(text, true) {
        out.push(Token {
            term: token.word.to_owned(),
            surface: token.word.to_owned(),
            kind: TokenKind::Han,
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn terms(analyzer: &Analyzer, text: &str) -> Vec<String> {
        analyzer.analyze(text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn full_width_is_folded_and_lower_cased() {
        assert_eq!(normalize("ＡＢＣ１２３，Ｏｒｄｅｒ"), "abc123,order");
    }

    #[test]
    fn english_is_stemmed_and_numbers_kept() {
        let a = Analyzer::new(&[], false);
        assert_eq!(
            terms(&a, "Where are my Orders? #20240117"),
            ["where", "are", "my", "order", "20240117"]
        );
        assert_eq!(terms(&a, "I don't know"), ["i", "dont", "know"]);
    }

    #[test]
    fn han_is_segmented_and_mixed_text_split_by_script() {
        let a = Analyzer::new(&[], false);
        let t = terms(&a, "我想退货iPhone15怎么办");
        assert!(t.contains(&"退货".to_owned()), "{t:?}");
        assert!(t.contains(&"iphone15".to_owned()), "{t:?}");
    }

    #[test]
    fn tenant_words_stay_whole_and_synonyms_become_canonical() {
        let vocab = [
            VocabEntry {
                term: "七天无理由".into(),
                synonyms: vec!["7天无理由".into()],
            },
            VocabEntry {
                term: "快递".into(),
                synonyms: vec!["物流".into(), "shipping".into(), "delivery status".into()],
            },
        ];
        let a = Analyzer::new(&vocab, false);
        assert!(terms(&a, "支持七天无理由退货吗").contains(&"七天无理由".to_owned()));
        assert!(terms(&a, "我的物流到哪了").contains(&"快递".to_owned()));
        assert_eq!(terms(&a, "delivery status please"), ["快递", "pleas"]);
        assert_eq!(terms(&a, "Shipping"), ["快递"]);
    }

    #[test]
    fn stop_words_are_optional_and_never_empty_the_question() {
        let a = Analyzer::new(&[], true);
        assert_eq!(terms(&a, "where is the order"), ["where", "order"]);
        assert_eq!(terms(&a, "the"), ["the"]);
    }
}
