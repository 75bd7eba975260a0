//! Seeded random sampling from one row of logits, in Hugging Face `generate`'s order:
//! temperature, top-k, top-p (nucleus), then a draw from the renormalised distribution.
//! Done in Rust over the logits llama.cpp returns (not llama.cpp's sampler chain) so that
//! the same request and seed give the same tokens whatever llama.cpp version is linked.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use yardstick_backend::Sampling;

/// A seeded token sampler for one generation.
#[derive(Debug)]
pub(crate) struct TokenSampler {
    settings: Sampling,
    rng: ChaCha20Rng,
}

impl TokenSampler {
    pub fn new(settings: Sampling) -> TokenSampler {
        TokenSampler {
            settings,
            rng: ChaCha20Rng::seed_from_u64(settings.seed),
        }
    }

    /// The index of the sampled token, `None` when no logit is finite.
    pub fn sample(&mut self, row: &[f32]) -> Option<usize> {
        let candidates = candidates(row, &self.settings);
        let total: f64 = candidates.iter().map(|(_, weight)| weight).sum();
        if candidates.is_empty() || total.is_nan() || total <= 0.0 {
            return None;
        }
        let mut point = self.rng.random::<f64>() * total;
        for (index, weight) in &candidates {
            if point < *weight {
                return Some(*index);
            }
            point -= weight;
        }
        candidates.last().map(|(index, _)| *index)
    }
}

/// The tokens that survive temperature, top-k and top-p, most likely first, with their
/// unnormalised probabilities.
fn candidates(row: &[f32], settings: &Sampling) -> Vec<(usize, f64)> {
    let temperature = if settings.temperature > 0.0 {
        settings.temperature
    } else {
        1.0
    };
    let mut scaled: Vec<(usize, f64)> = row
        .iter()
        .enumerate()
        .filter(|(_, logit)| logit.is_finite())
        .map(|(index, logit)| (index, f64::from(*logit) / temperature))
        .collect();
    // Most likely first; ties by token id so the order is total and reproducible. Only the
    // part that top-k / top-p look at needs sorting (the vocabulary can be 262k tokens).
    let order = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    match settings.top_k.filter(|k| *k > 0) {
        Some(k) => {
            let k = usize::try_from(k).unwrap_or(usize::MAX).min(scaled.len());
            if k > 0 && k < scaled.len() {
                scaled.select_nth_unstable_by(k - 1, order);
                scaled.truncate(k);
            }
            scaled.sort_by(order);
        }
        None if settings.top_p.is_some_and(|p| p < 1.0) => scaled.sort_by(order),
        None => {
            // No truncation: the draw only needs the maximum (for a stable exp) first.
            if let Some(best) = (0..scaled.len()).min_by(|a, b| order(&scaled[*a], &scaled[*b])) {
                scaled.swap(0, best);
            }
        }
    }
    let Some(&(_, max)) = scaled.first() else {
        return Vec::new();
    };
    let mut weighted: Vec<(usize, f64)> = scaled
        .into_iter()
        .map(|(index, logit)| (index, (logit - max).exp()))
        .collect();
    if let Some(top_p) = settings.top_p.filter(|p| *p < 1.0) {
        let total: f64 = weighted.iter().map(|(_, weight)| weight).sum();
        let mut cumulative = 0.0;
        let mut keep = 0;
        for (_, weight) in &weighted {
            keep += 1;
            cumulative += weight / total;
            if cumulative >= top_p {
                break;
            }
        }
        weighted.truncate(keep.max(1));
    }
    weighted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(top_k: Option<u32>, top_p: Option<f64>, seed: u64) -> Sampling {
        Sampling {
            temperature: 1.0,
            top_k,
            top_p,
            seed,
        }
    }

    #[test]
    fn same_seed_same_draws_and_top_k_one_is_greedy() {
        let row = [0.1f32, 2.0, 1.5, -1.0, 1.9];
        let draws = |seed| {
            let mut sampler = TokenSampler::new(settings(None, None, seed));
            (0..50).map(|_| sampler.sample(&row)).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let mut greedy = TokenSampler::new(settings(Some(1), None, 3));
        assert!((0..20).all(|_| greedy.sample(&row) == Some(1)));
    }

    #[test]
    fn top_p_keeps_the_smallest_set_reaching_p() {
        // Probabilities 0.5, 0.3, 0.2 (logits are their logs).
        let row = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        let kept = candidates(&row, &settings(None, Some(0.75), 0));
        assert_eq!(
            kept.iter().map(|(index, _)| *index).collect::<Vec<_>>(),
            vec![0, 1]
        );
        let mut sampler = TokenSampler::new(settings(None, Some(0.75), 11));
        assert!((0..200).all(|_| sampler.sample(&row) != Some(2)));
    }

    #[test]
    fn frequencies_follow_the_distribution() {
        let row = [0.75f32.ln(), 0.25f32.ln()];
        let mut sampler = TokenSampler::new(settings(None, None, 42));
        let firsts = (0..10_000)
            .filter(|_| sampler.sample(&row) == Some(0))
            .count();
        assert!((7_200..7_800).contains(&firsts), "{firsts}");
    }
}
