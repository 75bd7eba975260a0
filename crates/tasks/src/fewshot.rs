//! Few-shot example selection that picks exactly what lm-eval 0.4.13 picks, so that prompts
//! are identical for the same seed.
//!
//! # What lm-eval does (`lm_eval/api/samplers.py`, `lm_eval/api/task.py`)
//!
//! **Which docs.** The few-shot docs are, in dataset order: the `fewshot_split` (or
//! `fewshot_config.split`) if set; else `fewshot_config.samples`; else `training_split`;
//! else `validation_split`; else `test_split`. They are read once, when the task is built.
//!
//! **One generator per task, shared across docs.** The task's sampler holds one
//! `random.Random`. `simple_evaluate` calls `task.set_fewshot_seed(fewshot_random_seed)`
//! (default **1234**) once per task, which re-creates it as `Random(seed)`; then
//! `build_all_requests` calls `fewshot_context` for the eval docs *in order*, and every call
//! draws from the same generator. It is not re-seeded per doc: the examples of doc *i* depend
//! on the draws made for docs 0..i (with `--limit N` the first N docs get the examples they
//! get in a full run; `--samples` or several ranks change them).
//!
//! **Whether the eval doc is passed.** `fewshot_context` passes the eval doc to the sampler
//! when `fewshot_split == test_split`, comparing the config values, both of which may be unset
//! ([`passes_eval_doc`]). So a task with no `test_split` and no `fewshot_split` passes it
//! even when its few-shot docs come from `training_split`; a task with a `test_split`, no
//! `fewshot_split` and no other split draws few-shot docs from the test split *without*
//! removing the eval doc.
//!
//! **`default` sampler.** `n = 0`: nothing, no draw. Without the eval doc:
//! `rnd.sample(docs, n)`. With it: `rnd.sample(docs, n + 1)`, then every drawn doc equal to
//! the eval doc (`x != doc`: dict equality, so exact duplicates of it go too) is dropped and
//! the first `n` kept; if fewer than `n` remain (duplicates), `rnd.sample` again, `n` from
//! the docs that differ from the eval doc. `sample` raises when it is asked for more docs than
//! there are (so `n + 1` docs are needed whenever the eval doc is passed). Python's
//! `if not eval_doc` also treats an *empty* eval doc (`{}`) as absent.
//!
//! **`first_n` sampler.** The first `n` few-shot docs, after removing every doc equal to the
//! eval doc when it is passed (`is not None` here); no randomness.
//!
//! `balanced` and `manual` raise `NotImplementedError` in lm-eval (and are not registered
//! under those names), so [`SamplerKind::parse`] refuses them.

mod python_random;

pub use python_random::{PyRandom, SampleError};

/// lm-eval's default `fewshot_random_seed`.
pub const DEFAULT_FEWSHOT_SEED: u64 = 1234;

/// A few-shot selection lm-eval would have refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FewshotError {
    /// An unknown `fewshot_config.sampler`.
    #[error("unknown few-shot sampler `{name}`; valid values: default, first_n")]
    UnknownSampler { name: String },
    /// More examples asked for than there are few-shot docs to draw from.
    #[error(
        "{needed} few-shot docs are needed ({requested} examples{}) but there are only {available}",
        if needed > requested { " plus the eval doc, which lm-eval draws and removes" } else { "" }
    )]
    NotEnoughDocs {
        requested: usize,
        needed: usize,
        available: usize,
    },
}

/// `fewshot_config.sampler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SamplerKind {
    /// `default`: a seeded random sample (`ContextSampler`).
    #[default]
    Default,
    /// `first_n`: the first docs in order (`FirstNSampler`).
    FirstN,
}

impl SamplerKind {
    /// Parses lm-eval's sampler name.
    pub fn parse(name: &str) -> Result<Self, FewshotError> {
        match name {
            "default" => Ok(SamplerKind::Default),
            "first_n" => Ok(SamplerKind::FirstN),
            other => Err(FewshotError::UnknownSampler {
                name: other.to_string(),
            }),
        }
    }
}

/// Whether lm-eval passes the eval doc to the sampler: `fewshot_split == test_split`, as
/// config values (two unset splits are equal).
pub fn passes_eval_doc(fewshot_split: Option<&str>, test_split: Option<&str>) -> bool {
    fewshot_split == test_split
}

/// Picks few-shot examples for a task's eval docs, in order, with one generator shared
/// across them (lm-eval's `task.sampler` after `set_fewshot_seed`).
#[derive(Debug, Clone)]
pub struct FewshotSampler {
    kind: SamplerKind,
    rng: PyRandom,
    docs_len: usize,
}

impl FewshotSampler {
    /// A sampler over `docs_len` few-shot docs, seeded as `set_fewshot_seed(seed)` seeds it.
    pub fn new(kind: SamplerKind, seed: u64, docs_len: usize) -> Self {
        Self {
            kind,
            rng: PyRandom::new(seed),
            docs_len,
        }
    }

    /// The sampler kind.
    pub fn kind(&self) -> SamplerKind {
        self.kind
    }

    /// The indices (into the few-shot docs, in prompt order) of the `n` examples for the
    /// next eval doc. Call it once per eval doc, in eval-doc order.
    ///
    /// `eval_doc` is `None` when lm-eval passes no eval doc (see [`passes_eval_doc`]);
    /// otherwise it tells which few-shot docs are *equal* to the eval doc (lm-eval compares
    /// whole docs, so duplicates count), e.g. `Some(&|i| docs[i] == *doc)`. It must be given
    /// whenever lm-eval passes the eval doc, even if no few-shot doc equals it: lm-eval then
    /// still draws `n + 1` docs, which moves the generator differently.
    pub fn select(
        &mut self,
        n: usize,
        eval_doc: Option<&dyn Fn(usize) -> bool>,
    ) -> Result<Vec<usize>, FewshotError> {
        match self.kind {
            SamplerKind::FirstN => {
                let pool: Vec<usize> = (0..self.docs_len)
                    .filter(|&index| !eval_doc.is_some_and(|is_eval_doc| is_eval_doc(index)))
                    .collect();
                if n > pool.len() {
                    return Err(FewshotError::NotEnoughDocs {
                        requested: n,
                        needed: n,
                        available: pool.len(),
                    });
                }
                Ok(pool[..n].to_vec())
            }
            SamplerKind::Default => self.select_random(n, eval_doc),
        }
    }

    fn select_random(
        &mut self,
        n: usize,
        eval_doc: Option<&dyn Fn(usize) -> bool>,
    ) -> Result<Vec<usize>, FewshotError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let not_enough = |needed: usize, available: usize| FewshotError::NotEnoughDocs {
            requested: n,
            needed,
            available,
        };
        let Some(is_eval_doc) = eval_doc else {
            return self
                .rng
                .sample(self.docs_len, n)
                .map_err(|_| not_enough(n, self.docs_len));
        };
        let drawn = self
            .rng
            .sample(self.docs_len, n + 1)
            .map_err(|_| not_enough(n + 1, self.docs_len))?;
        let kept: Vec<usize> = drawn
            .into_iter()
            .filter(|&index| !is_eval_doc(index))
            .take(n)
            .collect();
        if kept.len() == n {
            return Ok(kept);
        }
        // Copies of the eval doc were drawn and removed: lm-eval samples again from the docs
        // that differ from it.
        let others: Vec<usize> = (0..self.docs_len)
            .filter(|&index| !is_eval_doc(index))
            .collect();
        let again = self
            .rng
            .sample(others.len(), n)
            .map_err(|_| not_enough(n, others.len()))?;
        Ok(again.into_iter().map(|position| others[position]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_sampler_names() {
        assert_eq!(SamplerKind::parse("default"), Ok(SamplerKind::Default));
        assert_eq!(SamplerKind::parse("first_n"), Ok(SamplerKind::FirstN));
        let error = SamplerKind::parse("balanced").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unknown few-shot sampler `balanced`; valid values: default, first_n")
        );
    }

    #[test]
    fn eval_doc_is_passed_when_the_split_values_are_equal() {
        assert!(passes_eval_doc(Some("test"), Some("test")));
        assert!(passes_eval_doc(None, None));
        assert!(!passes_eval_doc(None, Some("test")));
        assert!(!passes_eval_doc(Some("train"), Some("test")));
    }

    #[test]
    fn first_n_skips_the_eval_doc_and_draws_nothing() {
        let mut sampler = FewshotSampler::new(SamplerKind::FirstN, 1, 5);
        assert_eq!(sampler.select(3, None), Ok(vec![0, 1, 2]));
        assert_eq!(
            sampler.select(3, Some(&|i| i == 1 || i == 2)),
            Ok(vec![0, 3, 4])
        );
        assert!(sampler.select(4, Some(&|i| i == 0 || i == 4)).is_err());
    }

    #[test]
    fn default_draws_one_more_when_the_eval_doc_is_passed() {
        // Python: random.Random(1234).sample(range(10), 4) == [7, 1, 0, 9]
        let drawn = PyRandom::new(1234).sample(10, 4).unwrap_or_default();
        assert_eq!(drawn, vec![7, 1, 0, 9]);
        let mut sampler = FewshotSampler::new(SamplerKind::Default, 1234, 10);
        let eval_doc = drawn[1];
        let chosen = sampler.select(3, Some(&|i| i == eval_doc));
        assert_eq!(chosen, Ok(vec![drawn[0], drawn[2], drawn[3]]));
        // Not among the drawn: the first three are kept.
        let mut sampler = FewshotSampler::new(SamplerKind::Default, 1234, 10);
        assert_eq!(sampler.select(3, Some(&|_| false)), Ok(drawn[..3].to_vec()));
        assert_eq!(sampler.select(0, None), Ok(Vec::new()));
    }

    #[test]
    fn default_needs_n_plus_one_docs_with_the_eval_doc() {
        let mut sampler = FewshotSampler::new(SamplerKind::Default, 1234, 3);
        assert!(sampler.select(3, None).is_ok());
        let error = sampler.select(3, Some(&|i| i == 0)).err();
        assert_eq!(
            error,
            Some(FewshotError::NotEnoughDocs {
                requested: 3,
                needed: 4,
                available: 3
            })
        );
    }
}
