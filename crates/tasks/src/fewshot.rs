//! Few-shot example selection, bit-compatible with lm-eval's samplers (filled in).
