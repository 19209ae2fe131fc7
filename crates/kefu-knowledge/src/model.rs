//! The linear classifier: multinomial logistic regression over sparse TF-IDF vectors, trained by
//! seeded SGD, with the softmax restricted to each example's likely classes when there are many.

use crate::features::SparseVec;
use rustc_hash::FxHashMap;

/// Training knobs; the defaults were chosen on HWU64's validation split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainParams {
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Above this many weights (classes × features) the matrix is kept sparse per class (large
    /// tenants); below it a flat array is faster to train and to score.
    pub max_dense_weights: usize,
}

#[derive(Debug, Clone)]
enum Weights {
    Dense { features: usize, w: Vec<f32> },
    Sparse(Vec<FxHashMap<u32, f32>>),
}

#[derive(Debug, Clone)]
pub struct LinearModel {
    weights: Weights,
    classes: usize,
}

/// splitmix64: small, seedable, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

impl LinearModel {
    /// `candidates[i]`, when given, lists the classes example `i` competes with besides its own;
    /// otherwise every class does.
    pub fn train(
        examples: &[SparseVec],
        labels: &[u32],
        classes: usize,
        features: usize,
        candidates: Option<&[Vec<u32>]>,
        params: &TrainParams,
    ) -> Self {
        let weights = if classes.saturating_mul(features) <= params.max_dense_weights {
            Weights::Dense {
                features,
                w: vec![0.0; classes * features],
            }
        } else {
            Weights::Sparse(vec![FxHashMap::default(); classes])
        };
        let mut model = LinearModel { weights, classes };
        let all: Vec<u32> = (0..classes as u32).collect();
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = Rng::new(params.seed);
        let mut cands: Vec<u32> = Vec::new();
        let mut logits: Vec<f32> = Vec::new();
        for epoch in 0..params.epochs {
            rng.shuffle(&mut order);
            let rate = params.learning_rate / (1.0 + epoch as f32 * 0.5);
            for &i in &order {
                let (Some(x), Some(&y)) = (examples.get(i), labels.get(i)) else {
                    continue;
                };
                cands.clear();
                match candidates.and_then(|c| c.get(i)) {
                    Some(list) => {
                        cands.push(y);
                        cands.extend(list.iter().filter(|&&c| c != y));
                    }
                    None => cands.extend_from_slice(&all),
                }
                logits.clear();
                logits.extend(cands.iter().map(|&c| model.logit(c, x)));
                softmax_in_place(&mut logits);
                for (&c, &p) in cands.iter().zip(&logits) {
                    let gradient = p - f32::from(u8::from(c == y));
                    // Negatives already far below the true class teach nothing; skipping them
                    // is most of the speed on large bases.
                    if gradient.abs() > 1e-3 {
                        model.add(c, x, -rate * gradient);
                    }
                }
            }
            model.decay(1.0 - rate * params.l2);
        }
        model.prune();
        model
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    pub fn logit(&self, class: u32, x: &SparseVec) -> f32 {
        match &self.weights {
            Weights::Dense { features, w } => {
                let base = class as usize * features;
                match w.get(base..base + features) {
                    Some(row) => x
                        .iter()
                        .map(|&(f, v)| row.get(f as usize).copied().unwrap_or(0.0) * v)
                        .sum(),
                    None => 0.0,
                }
            }
            Weights::Sparse(rows) => match rows.get(class as usize) {
                Some(row) => x
                    .iter()
                    .map(|(f, v)| row.get(f).copied().unwrap_or(0.0) * v)
                    .sum(),
                None => 0.0,
            },
        }
    }

    fn add(&mut self, class: u32, x: &SparseVec, scale: f32) {
        match &mut self.weights {
            Weights::Dense { features, w } => {
                let base = class as usize * *features;
                if let Some(row) = w.get_mut(base..base + *features) {
                    for &(f, v) in x {
                        if let Some(slot) = row.get_mut(f as usize) {
                            *slot += scale * v;
                        }
                    }
                }
            }
            Weights::Sparse(rows) => {
                if let Some(row) = rows.get_mut(class as usize) {
                    for &(f, v) in x {
                        *row.entry(f).or_insert(0.0) += scale * v;
                    }
                }
            }
        }
    }

    fn decay(&mut self, factor: f32) {
        let factor = factor.clamp(0.0, 1.0);
        match &mut self.weights {
            Weights::Dense { w, .. } => w.iter_mut().for_each(|v| *v *= factor),
            Weights::Sparse(rows) => rows
                .iter_mut()
                .flat_map(|row| row.values_mut())
                .for_each(|v| *v *= factor),
        }
    }

    /// Drops weights too small to change a ranking, which keeps sparse rows short.
    fn prune(&mut self) {
        if let Weights::Sparse(rows) = &mut self.weights {
            for row in rows {
                row.retain(|_, v| v.abs() >= 1e-4);
                row.shrink_to_fit();
            }
        }
    }
}

/// Softmax over `values` plus one extra "none of these" logit, which takes its share of the
/// probability mass: the values then sum to less than 1. Numerically stable.
pub fn softmax_with_background(values: &mut [f32], background: f32) {
    let max = values.iter().copied().fold(background, f32::max);
    if !max.is_finite() {
        softmax_in_place(values);
        return;
    }
    let mut sum = (background - max).exp();
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

/// Numerically stable softmax; an empty slice stays empty.
pub fn softmax_in_place(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        let uniform = 1.0 / values.len().max(1) as f32;
        values.iter_mut().for_each(|v| *v = uniform);
        return;
    }
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn params() -> TrainParams {
        TrainParams {
            epochs: 20,
            learning_rate: 1.0,
            l2: 1e-4,
            seed: 7,
            max_dense_weights: 1_000,
        }
    }

    #[test]
    fn separable_examples_are_learned_in_both_storage_modes() {
        let xs = vec![vec![(0, 1.0)], vec![(1, 1.0)], vec![(2, 1.0)]];
        let ys = vec![0, 1, 2];
        let cands: Vec<Vec<u32>> = vec![vec![1, 2], vec![0, 2], vec![0, 1]];
        for model in [
            LinearModel::train(&xs, &ys, 3, 3, None, &params()),
            LinearModel::train(
                &xs,
                &ys,
                3,
                3,
                Some(&cands),
                &TrainParams {
                    max_dense_weights: 0,
                    ..params()
                },
            ),
        ] {
            for (x, &y) in xs.iter().zip(&ys) {
                let best =
                    (0..3u32).max_by(|&a, &b| model.logit(a, x).total_cmp(&model.logit(b, x)));
                assert_eq!(best, Some(y));
            }
        }
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut v = [1.0, 2.0, 3.0, -1000.0];
        softmax_in_place(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[2] > v[1] && v[1] > v[0]);
    }

    #[test]
    fn shuffling_depends_only_on_the_seed() {
        let mut a: Vec<u32> = (0..50).collect();
        let mut b = a.clone();
        Rng::new(3).shuffle(&mut a);
        Rng::new(3).shuffle(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..50).collect::<Vec<u32>>());
    }
}
