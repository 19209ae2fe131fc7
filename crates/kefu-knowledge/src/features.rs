//! Sparse features for one question: word uni+bigrams and character n-grams (Latin 2–4 grams
//! inside word boundaries, Han 1–2 grams), TF-IDF weighted with sublinear tf and L2-normalised.

use crate::text::{Token, TokenKind};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;

/// Sorted by feature id, unit length (or empty when no feature is known).
pub type SparseVec = Vec<(u32, f32)>;

const WORD: u8 = 0;
const CHAR: u8 = 1;

/// How much each feature family counts after both are normalised on their own; words carry
/// meaning, character n-grams survive typos, inflection and unsegmented Chinese.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureWeights {
    pub word: f32,
    pub char: f32,
    pub char_ngram_max: usize,
}

fn key(group: u8, parts: &[&str]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write_u8(group);
    for part in parts {
        hasher.write(part.as_bytes());
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

/// Feature keys with their counts, grouped by family. Keys are 64-bit hashes of the feature
/// text: collisions are negligible at this width and no strings are kept.
fn raw_features(tokens: &[Token], char_max: usize) -> FxHashMap<u64, (u8, u32)> {
    let mut counts: FxHashMap<u64, (u8, u32)> = FxHashMap::default();
    let mut add = |group: u8, k: u64| counts.entry(k).or_insert((group, 0)).1 += 1;
    for (i, token) in tokens.iter().enumerate() {
        add(WORD, key(WORD, &[&token.term]));
        if let Some(next) = tokens.get(i + 1) {
            add(WORD, key(WORD, &[&token.term, " ", &next.term]));
        }
    }
    let mut han_run = String::new();
    for token in tokens {
        match token.kind {
            TokenKind::Han => han_run.push_str(&token.surface),
            TokenKind::Word | TokenKind::Number => {
                han_grams(&han_run, &mut add);
                han_run.clear();
                if token.kind == TokenKind::Word {
                    latin_grams(&token.surface, char_max, &mut add);
                }
            }
        }
    }
    han_grams(&han_run, &mut add);
    counts
}

fn han_grams(run: &str, add: &mut impl FnMut(u8, u64)) {
    let chars: Vec<char> = run.chars().collect();
    let mut buf = [0u8; 8];
    for (i, c) in chars.iter().enumerate() {
        add(CHAR, key(CHAR, &[c.encode_utf8(&mut buf)]));
        if let Some(next) = chars.get(i + 1) {
            let pair: String = [*c, *next].iter().collect();
            add(CHAR, key(CHAR, &[&pair]));
        }
    }
}

fn latin_grams(word: &str, char_max: usize, add: &mut impl FnMut(u8, u64)) {
    let padded: Vec<char> = std::iter::once('<')
        .chain(word.chars())
        .chain(std::iter::once('>'))
        .collect();
    for n in 2..=char_max {
        for window in padded.windows(n) {
            let gram: String = window.iter().collect();
            add(CHAR, key(CHAR, &[&gram]));
        }
    }
}

/// The vocabulary of features seen in training, with their inverse document frequencies.
#[derive(Debug, Clone)]
pub struct FeatureSpace {
    ids: FxHashMap<u64, u32>,
    idf: Vec<f32>,
    group: Vec<u8>,
    weights: FeatureWeights,
}

impl FeatureSpace {
    /// Learns the vocabulary from `docs` and returns their vectors.
    pub fn fit(docs: &[Vec<Token>], weights: FeatureWeights) -> (Self, Vec<SparseVec>) {
        let raws: Vec<_> = docs
            .iter()
            .map(|d| raw_features(d, weights.char_ngram_max))
            .collect();
        let mut ids: FxHashMap<u64, u32> = FxHashMap::default();
        let mut df: Vec<u32> = Vec::new();
        let mut group = Vec::new();
        for raw in &raws {
            for (k, (g, _)) in raw {
                let next = ids.len() as u32;
                let id = *ids.entry(*k).or_insert(next);
                if id == next {
                    df.push(0);
                    group.push(*g);
                }
                df[id as usize] += 1;
            }
        }
        let n = docs.len() as f32;
        // Smoothed idf (as if one document held every feature): never zero, never negative.
        let idf = df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        let space = FeatureSpace {
            ids,
            idf,
            group,
            weights,
        };
        let vectors = raws.iter().map(|raw| space.weigh(raw)).collect();
        (space, vectors)
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// Document frequency order of a feature is not needed at query time; unknown features are
    /// dropped (no model weight exists for them).
    pub fn vectorize(&self, tokens: &[Token]) -> SparseVec {
        self.weigh(&raw_features(tokens, self.weights.char_ngram_max))
    }

    fn weigh(&self, raw: &FxHashMap<u64, (u8, u32)>) -> SparseVec {
        let mut vector: SparseVec = raw
            .iter()
            .filter_map(|(k, (_, tf))| {
                let id = *self.ids.get(k)?;
                let idf = self.idf.get(id as usize)?;
                Some((id, (1.0 + (*tf as f32).ln()) * idf))
            })
            .collect();
        let mut norms = [0.0f32; 2];
        for (id, w) in &vector {
            norms[self.group_of(*id)] += w * w;
        }
        let scale = [
            self.weights.word / norms[0].sqrt().max(f32::MIN_POSITIVE),
            self.weights.char / norms[1].sqrt().max(f32::MIN_POSITIVE),
        ];
        for (id, w) in &mut vector {
            *w *= scale[self.group_of(*id)];
        }
        let total = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if total > 0.0 {
            for (_, w) in &mut vector {
                *w /= total;
            }
        }
        vector.retain(|(_, w)| *w > 0.0);
        vector.sort_unstable_by_key(|(id, _)| *id);
        vector
    }

    fn group_of(&self, id: u32) -> usize {
        usize::from(self.group.get(id as usize).copied().unwrap_or(WORD) == CHAR)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::text::Analyzer;

    fn fit(texts: &[&str]) -> (FeatureSpace, Vec<SparseVec>, Analyzer) {
        let a = Analyzer::new(&[], false);
        let docs: Vec<_> = texts.iter().map(|t| a.analyze(t)).collect();
        let weights = FeatureWeights {
            word: 1.0,
            char: 1.0,
            char_ngram_max: 4,
        };
        let (space, vectors) = FeatureSpace::fit(&docs, weights);
        (space, vectors, a)
    }

    fn dot(a: &SparseVec, b: &SparseVec) -> f32 {
        a.iter()
            .filter_map(|(i, x)| b.iter().find(|(j, _)| j == i).map(|(_, y)| x * y))
            .sum()
    }

    #[test]
    fn vectors_are_unit_length_and_sorted() {
        let (_, vectors, _) = fit(&["where is my parcel", "我想退货", "refund 退款 2024"]);
        for v in &vectors {
            let norm: f32 = v.iter().map(|(_, w)| w * w).sum();
            assert!((norm - 1.0).abs() < 1e-4, "{norm}");
            assert!(v.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn a_typo_still_shares_character_grams() {
        let (space, vectors, a) = fit(&["where is my parcel", "cancel my subscription"]);
        let query = space.vectorize(&a.analyze("wher is my parcle"));
        assert!(dot(&query, &vectors[0]) > dot(&query, &vectors[1]));
    }

    #[test]
    fn unknown_text_gives_an_empty_vector() {
        let (space, _, a) = fit(&["where is my parcel"]);
        assert!(space.vectorize(&a.analyze("qqq 嗯")).is_empty());
    }
}
