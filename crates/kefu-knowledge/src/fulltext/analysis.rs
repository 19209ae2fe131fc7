//! The full-text index's tokenizer: the same analysis for documents and queries, with byte
//! offsets into the original text so snippets can be highlighted where the words really are.
//!
//! Han text is cut by the tenant's own words first, then by jieba (search mode, so long words
//! also yield their parts), and every pair of neighbouring Han characters is a token too: a word
//! jieba cuts differently in the question and in the answer still meets through its bigrams.
//! Latin text is folded (NFKC, lower case) and stemmed. A vocabulary term and its synonyms all
//! add one shared `~term` token, so a query for one finds documents written with another.

use crate::text::{VocabEntry, is_han, shared_jieba};
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Marks the token every spelling of a vocabulary term shares; text never yields it (`~` splits).
const SYNONYM_MARK: char = '~';

/// How one character of the original text takes part in tokens.
enum Class {
    Han(char),
    Word(String),
    Apostrophe,
    Break,
}

fn classify(c: char) -> Class {
    if c == '\'' || c == '’' {
        return Class::Apostrophe;
    }
    let folded: String = c.nfkc().flat_map(char::to_lowercase).collect();
    let mut chars = folded.chars();
    match (chars.next(), chars.next()) {
        (Some(h), None) if is_han(h) => Class::Han(h),
        (Some(_), _) if folded.chars().all(|f| f.is_alphanumeric() && !is_han(f)) => {
            Class::Word(folded)
        }
        _ => Class::Break,
    }
}

/// A token before positions are given: its text and the byte range it came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Piece {
    from: usize,
    to: usize,
    text: String,
}

/// The tables of one tenant's analysis. Immutable and shared by every tokenizer clone.
pub struct Analysis {
    stemmer: Stemmer,
    /// The tenant's Han words, kept whole (longest first) before jieba sees the text.
    custom_han: FxHashSet<String>,
    custom_max_chars: usize,
    /// Word sequences (as tokens) → the canonical term they all mean.
    synonyms: FxHashMap<Vec<String>, String>,
    synonym_max_len: usize,
}

impl std::fmt::Debug for Analysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("custom_words", &self.custom_han.len())
            .field("synonyms", &self.synonyms.len())
            .finish()
    }
}

impl Analysis {
    pub fn new(vocabulary: &[VocabEntry]) -> Self {
        let mut analysis = Analysis {
            stemmer: Stemmer::create(Algorithm::English),
            custom_han: FxHashSet::default(),
            custom_max_chars: 0,
            synonyms: FxHashMap::default(),
            synonym_max_len: 0,
        };
        for entry in vocabulary {
            for word in std::iter::once(&entry.term).chain(&entry.synonyms) {
                let folded = crate::text::normalize(word.trim());
                if !folded.is_empty() && folded.chars().all(is_han) {
                    analysis.custom_max_chars =
                        analysis.custom_max_chars.max(folded.chars().count());
                    analysis.custom_han.insert(folded);
                }
            }
        }
        // The sequences are cut with the tenant's words in place, as documents will be.
        let mut synonyms = FxHashMap::default();
        let mut longest = 0;
        for entry in vocabulary {
            let canonical = crate::text::normalize(entry.term.trim());
            if canonical.is_empty() || entry.synonyms.iter().all(|s| s.trim().is_empty()) {
                continue;
            }
            for word in std::iter::once(&entry.term).chain(&entry.synonyms) {
                let sequence: Vec<String> =
                    analysis.words(word).into_iter().map(|p| p.text).collect();
                if !sequence.is_empty() {
                    longest = longest.max(sequence.len());
                    synonyms.insert(sequence, format!("{SYNONYM_MARK}{canonical}"));
                }
            }
        }
        analysis.synonyms = synonyms;
        analysis.synonym_max_len = longest;
        analysis
    }

    /// Every token of `text`, ordered by where it starts, each text-and-range once.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let words = self.words(text);
        let mut pieces = self.synonym_pieces(&words);
        pieces.extend(words);
        self.han_extras(text, &mut pieces);
        pieces.sort();
        pieces.dedup();
        pieces
            .into_iter()
            .enumerate()
            .map(|(position, p)| Token {
                offset_from: p.from,
                offset_to: p.to,
                position,
                text: p.text,
                position_length: 1,
            })
            .collect()
    }

    /// The distinct terms a query asks for, in the order they appear.
    pub fn query_terms(&self, query: &str) -> Vec<String> {
        let mut seen = FxHashSet::default();
        self.tokens(query)
            .into_iter()
            .filter_map(|t| seen.insert(t.text.clone()).then_some(t.text))
            .collect()
    }

    /// Runs of one script, each with its characters' byte ranges.
    fn runs(text: &str) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        let mut current: Option<Run> = None;
        for (at, c) in text.char_indices() {
            let end = at + c.len_utf8();
            match (classify(c), current.as_mut()) {
                (Class::Han(h), Some(Run::Han(chars))) => chars.push((h, at, end)),
                (Class::Word(w), Some(Run::Word { text, to, .. })) => {
                    text.push_str(&w);
                    *to = end;
                }
                // "don't" and "order's" stay one word.
                (Class::Apostrophe, Some(Run::Word { .. })) => {}
                (class, _) => {
                    runs.extend(current.take());
                    current = match class {
                        Class::Han(h) => Some(Run::Han(vec![(h, at, end)])),
                        Class::Word(w) => Some(Run::Word {
                            text: w,
                            from: at,
                            to: end,
                        }),
                        Class::Apostrophe | Class::Break => None,
                    };
                }
            }
        }
        runs.extend(current);
        runs
    }

    /// The text as a sequence of words, without overlaps: what synonyms are matched against.
    fn words(&self, text: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        for run in Self::runs(text) {
            match run {
                Run::Word { text, from, to } => {
                    let term = if text.chars().all(|c| c.is_ascii_digit()) {
                        text
                    } else {
                        self.stemmer.stem(&text).into_owned()
                    };
                    out.push(Piece {
                        from,
                        to,
                        text: term,
                    });
                }
                Run::Han(chars) => self.segment_han(&chars, false, &mut out),
            }
        }
        out
    }

    /// The parts jieba's search mode adds and the character bigrams of every Han run.
    fn han_extras(&self, text: &str, out: &mut Vec<Piece>) {
        for run in Self::runs(text) {
            let Run::Han(chars) = run else {
                continue;
            };
            self.segment_han(&chars, true, out);
            for pair in chars.windows(2) {
                if let [(a, from, _), (b, _, to)] = pair {
                    out.push(Piece {
                        from: *from,
                        to: *to,
                        text: [*a, *b].iter().collect(),
                    });
                }
            }
        }
    }

    /// Forward longest match on the tenant's words, jieba on the text between them.
    fn segment_han(&self, chars: &[(char, usize, usize)], search: bool, out: &mut Vec<Piece>) {
        let mut pending = 0;
        let mut i = 0;
        while i < chars.len() {
            let longest = self.custom_max_chars.min(chars.len() - i);
            let matched = (1..=longest).rev().find(|&len| {
                let word: String = chars[i..i + len].iter().map(|c| c.0).collect();
                self.custom_han.contains(&word)
            });
            match matched {
                Some(len) => {
                    jieba_words(&chars[pending..i], search, out);
                    out.push(piece(&chars[i..i + len]));
                    i += len;
                    pending = i;
                }
                None => i += 1,
            }
        }
        jieba_words(&chars[pending..], search, out);
    }

    fn synonym_pieces(&self, words: &[Piece]) -> Vec<Piece> {
        let mut out = Vec::new();
        if self.synonyms.is_empty() {
            return out;
        }
        let mut i = 0;
        while i < words.len() {
            let longest = self.synonym_max_len.min(words.len() - i);
            let found = (1..=longest).rev().find_map(|len| {
                let key: Vec<String> = words[i..i + len].iter().map(|w| w.text.clone()).collect();
                self.synonyms.get(&key).map(|canonical| (len, canonical))
            });
            match found {
                Some((len, canonical)) => {
                    out.push(Piece {
                        from: words[i].from,
                        to: words[i + len - 1].to,
                        text: canonical.clone(),
                    });
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }
}

enum Run {
    Han(Vec<(char, usize, usize)>),
    Word {
        text: String,
        from: usize,
        to: usize,
    },
}

fn piece(chars: &[(char, usize, usize)]) -> Piece {
    Piece {
        from: chars.first().map_or(0, |c| c.1),
        to: chars.last().map_or(0, |c| c.2),
        text: chars.iter().map(|c| c.0).collect(),
    }
}

fn jieba_words(chars: &[(char, usize, usize)], search: bool, out: &mut Vec<Piece>) {
    if chars.is_empty() {
        return;
    }
    let text: String = chars.iter().map(|c| c.0).collect();
    let words = if search {
        shared_jieba().cut_for_search(&text, true)
    } else {
        shared_jieba().cut(&text, true)
    };
    for word in words {
        // jieba counts in characters; our run has one entry per character.
        if let Some(span) = chars.get(word.start..word.end).filter(|s| !s.is_empty()) {
            out.push(piece(span));
        }
    }
}

/// One tenant's analysis as a tantivy tokenizer (cheap to clone: the tables are shared).
#[derive(Clone)]
pub struct KbTokenizer {
    analysis: Arc<Analysis>,
    tokens: Vec<Token>,
}

impl KbTokenizer {
    pub fn new(analysis: Arc<Analysis>) -> Self {
        KbTokenizer {
            analysis,
            tokens: Vec::new(),
        }
    }
}

/// The tokens of one text, handed out in order.
pub struct KbTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for KbTokenizer {
    type TokenStream<'a> = KbTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> KbTokenStream<'a> {
        self.tokens = self.analysis.tokens(text);
        KbTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for KbTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        static NONE: std::sync::OnceLock<Token> = std::sync::OnceLock::new();
        match self.next.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(token) => token,
            None => NONE.get_or_init(Token::default),
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        let index = self.next.saturating_sub(1);
        if index >= self.tokens.len() {
            // Only reached when called before `advance` (a caller bug): hand out a blank token.
            self.tokens.push(Token::default());
        }
        let last = self.tokens.len() - 1;
        let index = index.min(last);
        &mut self.tokens[index]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn texts(analysis: &Analysis, text: &str) -> Vec<String> {
        analysis.tokens(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn offsets_point_at_the_original_text() {
        let a = Analysis::new(&[]);
        let text = "我想退货，Ｒｅｆｕｎｄｓ please";
        for token in a.tokens(text) {
            let original = &text[token.offset_from..token.offset_to];
            assert!(!original.is_empty(), "{token:?}");
        }
        let tokens = a.tokens(text);
        let refund = tokens.iter().find(|t| t.text == "refund").unwrap();
        assert_eq!(
            &text[refund.offset_from..refund.offset_to],
            "Ｒｅｆｕｎｄｓ"
        );
        let returns = tokens.iter().find(|t| t.text == "退货").unwrap();
        assert_eq!(&text[returns.offset_from..returns.offset_to], "退货");
    }

    #[test]
    fn han_text_yields_words_and_bigrams() {
        let a = Analysis::new(&[]);
        let t = texts(&a, "我想退货怎么办");
        for expected in ["退货", "怎么办", "货怎", "想退"] {
            assert!(t.contains(&expected.to_owned()), "{expected} in {t:?}");
        }
    }

    #[test]
    fn english_is_folded_and_stemmed_and_digits_kept() {
        let a = Analysis::new(&[]);
        assert_eq!(
            texts(&a, "Returning ORDERS, order #20240117; don't"),
            ["return", "order", "order", "20240117", "dont"]
        );
    }

    #[test]
    fn vocabulary_words_stay_whole_and_synonyms_share_a_token() {
        let vocab = [
            VocabEntry {
                term: "七天无理由".into(),
                synonyms: vec![],
            },
            VocabEntry {
                term: "快递".into(),
                synonyms: vec!["物流".into(), "delivery status".into()],
            },
        ];
        let a = Analysis::new(&vocab);
        assert!(texts(&a, "支持七天无理由退货吗").contains(&"七天无理由".to_owned()));
        let logistics = a.query_terms("我的物流到哪了");
        assert!(logistics.contains(&"~快递".to_owned()), "{logistics:?}");
        assert!(a.query_terms("快递").contains(&"~快递".to_owned()));
        let english = a.tokens("Delivery status, please");
        let shared = english.iter().find(|t| t.text == "~快递").unwrap();
        assert_eq!((shared.offset_from, shared.offset_to), (0, 15));
    }

    #[test]
    fn the_stream_hands_out_every_token_once() {
        let mut tokenizer = KbTokenizer::new(Arc::new(Analysis::new(&[])));
        let mut stream = tokenizer.token_stream("hello 世界");
        let mut seen = Vec::new();
        while let Some(token) = stream.next() {
            seen.push(token.text.clone());
        }
        assert_eq!(seen, ["hello", "世界"]);
    }
}
