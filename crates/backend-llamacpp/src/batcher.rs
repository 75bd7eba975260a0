//! Continuous batching of generations: up to `parallel` generations hold a KV sequence each
//! and advance together, one `llama_decode` per step, as llama-server's slots do.
//!
//! A step puts, in this order, the pending token of every generation that is decoding, then
//! the prompt tokens of generations still reading their prompt (oldest first) up to
//! `batch_tokens` tokens in all, so a long prompt is read over several steps (chunked
//! prefill) while the others keep producing tokens. A generation is admitted when a sequence
//! is free and the KV cells it may need at most (prompt + `max_tokens` − 1) fit beside those
//! reserved by the others, so a decode never runs out of cells. Admission is first come,
//! first served.
//!
//! With `parallel` = 1 (the default, and what evaluations use) each generation runs alone
//! from an empty KV cache, in sequence 0, in exactly the batches the unbatched engine used,
//! so its tokens are bit-identical to it. With more, a generation's cells and the batches it
//! shares depend on what else runs, which can change the last bits of its logits: the
//! load tests that use it measure speed, not scores.

use std::time::Instant;

use yardstick_backend::BackendError;

use crate::engine::{guarded, BatchEntry, Engine};
use crate::generation::{ActiveGeneration, PreparedGeneration};

/// The generations the engine is running.
pub(crate) struct Generations {
    active: Vec<ActiveGeneration>,
    parallel: usize,
    /// KV cells in all: reservations never exceed it.
    window: usize,
}

impl Generations {
    pub fn new(parallel: usize, window: usize) -> Self {
        Generations {
            active: Vec::with_capacity(parallel),
            parallel: parallel.max(1),
            window,
        }
    }

    pub fn is_idle(&self) -> bool {
        self.active.is_empty()
    }

    fn cells_reserved(&self) -> usize {
        self.active.iter().map(|generation| generation.cells).sum()
    }

    /// Whether `prepared` can start now.
    pub fn has_room_for(&self, prepared: &PreparedGeneration) -> bool {
        self.active.len() < self.parallel
            && self.cells_reserved().saturating_add(prepared.cells()) <= self.window
    }

    /// Starts `prepared` in the lowest free sequence. The first generation after an idle
    /// spell starts from an empty KV cache. Call only when [`Generations::has_room_for`].
    pub fn admit(&mut self, engine: &mut Engine<'_>, prepared: PreparedGeneration) {
        if self.active.is_empty() {
            engine.context.clear_kv_cache();
        }
        let sequence = (0..)
            .find(|candidate| {
                !self
                    .active
                    .iter()
                    .any(|generation| generation.sequence == *candidate)
            })
            .unwrap_or(0);
        self.active.push(prepared.start(sequence));
    }

    /// Runs one decode step over every active generation, then answers and releases those
    /// that finished (or whose caller has gone).
    pub fn step(&mut self, engine: &mut Engine<'_>) {
        for generation in &mut self.active {
            if generation.abandoned() {
                generation.fail(BackendError::Inference {
                    what: "generating".to_string(),
                    reason: "the caller stopped waiting".to_string(),
                });
            }
        }
        self.release_finished(engine);
        if self.active.is_empty() {
            return;
        }
        let entries = self.next_batch(engine.settings.batch_tokens);
        let model = engine.model;
        let end_of_generation = engine.end_of_generation.clone();
        let active = &mut self.active;
        let result = guarded("generating", || {
            engine.decode_entries("generating", &entries, &[], |entry, row| {
                if let Some(generation) = entry.owner.and_then(|owner| active.get_mut(owner)) {
                    generation.accept_logits(model, &end_of_generation, row);
                }
                Ok(())
            })
        });
        if let Err(error) = result {
            // The KV cache is in an unknown state: every generation fails with the step.
            for generation in &mut self.active {
                generation.fail(error.clone());
            }
            engine.context.clear_kv_cache();
        }
        self.release_finished(engine);
    }

    /// The entries of the next step: every pending token, then prompt chunks up to
    /// `batch_tokens` entries in all.
    fn next_batch(&mut self, batch_tokens: usize) -> Vec<BatchEntry> {
        let now = Instant::now();
        let mut entries = Vec::with_capacity(batch_tokens);
        // Decoding generations first (one token each), prefilling ones after.
        let mut order: Vec<usize> = (0..self.active.len()).collect();
        order.sort_by_key(|&index| self.active[index].prefilling());
        for index in order {
            let budget = batch_tokens.saturating_sub(entries.len());
            if budget == 0 {
                break;
            }
            let generation = &mut self.active[index];
            let next = generation.next_tokens(budget);
            let count = next.tokens.len();
            let sequence = generation.sequence;
            entries.extend(
                next.tokens
                    .iter()
                    .enumerate()
                    .map(|(offset, &token)| BatchEntry {
                        token,
                        position: next.position + offset,
                        sequence: Some(sequence),
                        logits: next.logits && offset + 1 == count,
                        owner: Some(index),
                    }),
            );
            generation.mark_read(count, now);
        }
        entries
    }

    fn release_finished(&mut self, engine: &mut Engine<'_>) {
        let mut index = 0;
        while index < self.active.len() {
            if !self.active[index].finished() {
                index += 1;
                continue;
            }
            let generation = self.active.remove(index);
            if self.active.is_empty() {
                engine.context.clear_kv_cache();
            } else {
                // Sequences are numbered from 0, so the id converts; `None` would clear all.
                let sequence = u32::try_from(generation.sequence).unwrap_or(0);
                if engine
                    .context
                    .clear_kv_cache_seq(Some(sequence), None, None)
                    .is_err()
                {
                    tracing::warn!(sequence, "could not free a finished generation's KV cells");
                }
            }
            generation.answer();
        }
    }
}
